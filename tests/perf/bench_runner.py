"""Runner benchmarks, printed side by side in one process (not part of the test run).

1. Batched runner vs the same runner forced to one model call at a time (how clembench plays), on the same
   episodes with the same greedy model: episodes/s of each and the ratio.
2. Engine throughput with scripted players (no model): moves/s on one core.

    python tests/perf/bench_runner.py                       # tiny model on CPU, 64 wordle episodes
    python tests/perf/bench_runner.py --shape 8b --device cuda --episodes 64   # 8B-shaped random bf16 model
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path

from playschool import Decoding, Runner, ScriptedPlayer
from playschool.runner import plan_episodes


def _tasks(game: str, episodes: int, role: str):
    tasks = [t for t in plan_episodes([game], "test", roles=[role]) ]
    while len(tasks) < episodes:  # top up from the validation split if the test split is smaller
        tasks += plan_episodes([game], "validation", roles=[role])
    return tasks[:episodes]


def _model(args: argparse.Namespace, tmp: Path):
    from playschool.backends.hf import HFBackend
    from playschool.tiny import build_tiny_model

    if args.shape == "tiny":
        path = build_tiny_model(tmp / "tiny")
        return (lambda bs: HFBackend(path, device=args.device, max_batch_size=bs)), "tiny (random init)"
    # An 8B-shaped Llama (Llama-3-8B dimensions, random bf16 weights; vocabulary of the tiny tokenizer).
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer, LlamaConfig

    tok_dir = build_tiny_model(tmp / "tok")
    tokenizer = AutoTokenizer.from_pretrained(tok_dir)
    config = LlamaConfig(hidden_size=4096, intermediate_size=14336, num_hidden_layers=32, num_attention_heads=32,
                         num_key_value_heads=8, vocab_size=len(tokenizer), max_position_embeddings=8192,
                         bos_token_id=tokenizer.bos_token_id, eos_token_id=tokenizer.eos_token_id,
                         pad_token_id=tokenizer.pad_token_id, tie_word_embeddings=False)
    torch.manual_seed(0)
    with torch.device(args.device):
        model = AutoModelForCausalLM.from_config(config, dtype=torch.bfloat16)
    path = tmp / "8b"
    model.save_pretrained(path)
    tokenizer.save_pretrained(path)
    del model
    backend = HFBackend(path, device=args.device, dtype=torch.bfloat16, max_batch_size=args.episodes)

    def make(bs: int) -> HFBackend:
        backend.max_batch_size = bs  # load the 16 GB model once; batching is a runner-visible setting
        return backend

    return make, "8B-shaped Llama (random init, bf16)"


def bench_batching(args: argparse.Namespace) -> None:
    decoding = Decoding(max_new_tokens=args.max_new_tokens)
    with tempfile.TemporaryDirectory() as tmp:
        make, label = _model(args, Path(tmp))
        tasks = _tasks(args.game, args.episodes, args.role)
        results = {}
        for mode, (bs, conc) in {"batched": (args.episodes, args.episodes), "one call at a time": (1, 1)}.items():
            runner = Runner({"learner": make(bs)}, decoding=decoding, concurrency=conc)
            summary = runner.run(tasks)
            results[mode] = summary
            print(f"  {mode:>20}: {summary.played} episodes in {summary.seconds:7.2f}s = "
                  f"{summary.episodes_per_second:7.3f} episodes/s ({summary.model_calls} generate calls)")
        a, b = results["batched"], results["one call at a time"]
        same = sum(x.turns == y.turns for x, y in zip(sorted(a.records, key=lambda r: r.key),
                                                      sorted(b.records, key=lambda r: r.key)))
        print(f"  model: {label}, device {args.device}, {args.game}/{args.role}, max_new_tokens "
              f"{args.max_new_tokens}")
        print(f"  speed-up batched / one-at-a-time: {a.episodes_per_second / b.episodes_per_second:.1f}x "
              f"(target >= 5x); identical transcripts in {same}/{len(tasks)} episodes")


def bench_engine(args: argparse.Namespace) -> None:
    """Scripted players: what the engine itself costs per move, game logic and records included."""
    words = ["GUESS: crane", "GUESS: slate", "GUESS: light", "hello", "GUESS: pious", "GUESS: zzzzz"]
    tasks = _tasks("wordle", 2000, "guesser")
    runner = Runner({"learner": ScriptedPlayer(words)}, concurrency=64)
    start = time.perf_counter()
    summary = runner.run(tasks)
    seconds = time.perf_counter() - start
    moves = sum(sum(1 for t in r.turns if t.kind == "move") for r in summary.records)
    turns = sum(len(r.turns) for r in summary.records)
    lines = sum(len(r.to_json()) for r in summary.records[:1])
    print(f"  wordle, scripted learner vs programmatic teacher: {summary.played} episodes, {moves} moves, "
          f"{turns} turns (moves + feedback messages) in {seconds:.2f}s")
    print(f"  {moves / seconds:,.0f} moves/s, {turns / seconds:,.0f} turns/s on one core (target >= 20,000 "
          f"turns/s); record size ~{lines} bytes")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--episodes", type=int, default=64)
    parser.add_argument("--game", default="wordle")
    parser.add_argument("--role", default="guesser")
    parser.add_argument("--max-new-tokens", type=int, default=128, help="the CLI default")
    parser.add_argument("--shape", choices=["tiny", "8b"], default="tiny")
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--skip-engine", action="store_true")
    args = parser.parse_args()
    print("batched runner vs one call at a time")
    bench_batching(args)
    if not args.skip_engine:
        print("engine throughput")
        bench_engine(args)
    print(json.dumps({"note": "ratios are measured in this process, side by side"}))


if __name__ == "__main__":
    main()
