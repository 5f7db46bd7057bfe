"""Runner benchmarks, printed side by side in one process (not part of the test run).

1. Batched runner vs the same runner forced to one model call at a time (how clembench plays), on the same
   episodes with the same greedy model: episodes/s of each and the ratio.
2. Prefill: the same episodes played by the transformers backend computing every prompt in full (before) and
   reusing the keys and values of prompts it has seen (after): prompt tokens computed per generated token,
   replies/s, and whether the transcripts are identical. With ``--vllm-standin`` also the prompt tokens vLLM's
   block prefix caching would compute for the same requests (counted by the CPU stand-in of its engine; vLLM
   itself needs a GPU).
3. Engine throughput with scripted players (no model): moves/s on one core.

    python tests/perf/bench_runner.py                       # tiny model on CPU, 64 wordle episodes
    python tests/perf/bench_runner.py --only prefill --shape nano --game taboo --role guesser --episodes 32 \
        --max-new-tokens 40 --vllm-standin      # prompt tokens computed per generated token, before/after
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


def _resized(backend):
    """A factory of ``backend`` at a given batch size: the model loads once; batching is a runner-visible
    setting."""

    def make(bs: int):
        backend.max_batch_size = bs
        return backend

    return make


def _model(args: argparse.Namespace, tmp: Path):
    from playschool.backends.hf import HFBackend
    from playschool.tiny import build_tiny_model

    if args.shape == "nano":  # the embedded default: trained, so its episodes run as long as a real model's
        from playschool.nano import nano_model_path

        backend = HFBackend(nano_model_path(), device=args.device, max_batch_size=args.episodes)
        return _resized(backend), "nano (the embedded default model)"
    if args.shape in ("tiny", "small"):
        # small: a 26.7M-parameter Llama shape (random init), where prefill costs what it does in real models.
        dims = {} if args.shape == "tiny" else {"hidden_size": 512, "layers": 8, "heads": 8, "intermediate_size": 1408}
        path = build_tiny_model(tmp / args.shape, **dims)
        backend = HFBackend(path, device=args.device, max_batch_size=args.episodes)
        return _resized(backend), f"{args.shape} (random init)"
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
    return _resized(backend), "8B-shaped Llama (random init, bf16)"  # the 16 GB model loads once


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


def _play(backend, tasks, decoding: Decoding, concurrency: int):
    backend.usage.reset()
    summary = Runner({"learner": backend}, decoding=decoding, concurrency=concurrency).run(tasks)
    return summary, backend.usage.to_dict()


def bench_prefill(args: argparse.Namespace) -> None:
    decoding = Decoding(max_new_tokens=args.max_new_tokens)
    with tempfile.TemporaryDirectory() as tmp:
        make, label = _model(args, Path(tmp))
        backend = make(args.batch)
        tasks = _tasks(args.game, args.episodes, args.role)
        _play(backend, tasks[:2], decoding, args.batch)  # warm-up: first-call costs stay out of both rows
        rows = {}
        for mode, reuse in (("recompute every prompt", False), ("reuse keys/values", True)):
            backend.set_cache_reuse(reuse, args.cache_tokens)
            summary, usage = _play(backend, tasks, decoding, args.batch)
            rows[mode] = (summary, usage)
            print(f"  {mode:>24}: {usage['prompt_tokens']:>7} prompt tokens, {usage['computed_prompt_tokens']:>7} "
                  f"computed, {usage['completion_tokens']:>6} generated -> "
                  f"{usage['computed_prompt_tokens'] / max(1, usage['completion_tokens']):6.1f} computed per "
                  f"generated; {usage['requests'] / summary.seconds:6.1f} replies/s ({usage['calls']} calls, "
                  f"{summary.seconds:.1f}s)")
        (a, ua), (b, ub) = rows.values()
        same = sum(x.turns == y.turns for x, y in zip(sorted(a.records, key=lambda r: r.key),
                                                      sorted(b.records, key=lambda r: r.key)))
        print(f"  model: {label}, device {args.device}, {args.game}/{args.role}, batch {args.batch}, "
              f"max_new_tokens {args.max_new_tokens}, {len(tasks)} episodes")
        print(f"  prompt tokens computed: x{ub['computed_prompt_tokens'] / max(1, ua['computed_prompt_tokens']):.3f}; "
              f"replies/s: x{(ub['requests'] / b.seconds) / (ua['requests'] / a.seconds):.2f} (after / before); "
              f"identical transcripts in {same}/{len(tasks)} episodes")
        if args.vllm_standin:
            _vllm_counts(args, backend, tasks, decoding, ua)


def _vllm_counts(args: argparse.Namespace, hf, tasks, decoding: Decoding, before: dict) -> None:
    """vLLM's prefix-cache hits for the same episodes, counted by the stand-in engine (tokens, not time)."""
    import sys

    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    from vllm_standin import StandInEngine

    from playschool.backends.vllm import VLLMBackend

    engine = StandInEngine(hf.model, hf.tokenizer)
    backend = VLLMBackend.from_engine(engine, hf.tokenizer, name="vllm:stand-in")
    summary, usage = _play(backend, tasks, decoding, args.batch)
    print(f"  {'vLLM prefix caching':>24}: {usage['prompt_tokens']:>7} prompt tokens, "
          f"{usage['computed_prompt_tokens']:>7} computed, {usage['completion_tokens']:>6} generated -> "
          f"{usage['computed_prompt_tokens'] / max(1, usage['completion_tokens']):6.1f} computed per generated "
          f"(x{usage['computed_prompt_tokens'] / max(1, before['computed_prompt_tokens']):.3f} of recomputing; "
          f"block-level hits as the stand-in counts them, no timing)")


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
    parser.add_argument("--shape", choices=["tiny", "nano", "small", "8b"], default="tiny")
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--batch", type=int, default=16, help="prefill: the runner's batch (and concurrency)")
    parser.add_argument("--cache-tokens", type=int, default=65_536, help="prefill: tokens the reuse may hold")
    parser.add_argument("--vllm-standin", action="store_true", help="prefill: also count vLLM's prefix-cache hits")
    parser.add_argument("--only", choices=["batching", "prefill", "engine"], help="run one section")
    parser.add_argument("--skip-engine", action="store_true")
    args = parser.parse_args()
    sections = [("batched runner vs one call at a time", "batching", bench_batching),
                ("prefill: recompute vs reuse", "prefill", bench_prefill),
                ("engine throughput", "engine", bench_engine)]
    for title, key, run in sections:
        if (args.only and key != args.only) or (key == "engine" and args.skip_engine):
            continue
        print(title)
        run(args)
    print(json.dumps({"note": "ratios are measured in this process, side by side"}))


if __name__ == "__main__":
    main()
