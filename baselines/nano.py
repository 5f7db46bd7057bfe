"""The nano model: a ~2M-parameter Llama trained from scratch on CPU by the SFT recipe, shipped as the default.

One command rebuilds it (about ten minutes of training on two CPU cores, plus evaluation)::

    playschool train nano --out playschool/models/nano

1. The reference player plays the *train* split of the games and roles in ``--roles``; its episodes are the data.
2. A byte-level BPE tokenizer is trained on that text and a Llama is initialised from ``--seed``.
3. The SFT recipe trains it under ``--budget-tokens`` with the budget ledger, writing learning-curve points
   (held-out test play at the start, every ``--curve-every`` steps and at the end) into the ledger.
4. The random initialisation and the trained model play the *test* split of the same roles; the table (mean main
   and % success with 95% bootstrap intervals, next to the format-valid random player, the reference player and
   the best cheap policy of the games' validity suite) goes into ``eval.json`` and the model card.

The folder holds the model and tokenizer, ``ledger.jsonl``, ``budget.json``, ``training_data.json`` (every
instance trained on: train split only), ``eval.json``, ``ledger.png`` and ``README.md``.
"""

from __future__ import annotations

import json
import shutil
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from playschool.baselines.config import parse_config

#: The roles the nano model learns from reference play in minutes on CPU (short moves, templated prompts).
DEFAULT_ROLES = ["reference:speaker", "reference:listener", "mapnav:follower", "privateshared:customer",
                 "negotiation:alice", "negotiation:bob", "wordle:critic", "taboo:guesser"]


CARD_INTRO = """# The nano model: playschool's embedded default learner

A small Llama (`config.json`) trained from scratch on CPU by playschool's SFT recipe (`playschool train nano`) on the
reference player's episodes of the *train* split. "Base model" below is its random initialisation, built by the
recipe. Read the table at the end before using it: it has learned the games' move formats, not their skills, and
plays at about chance; it is the default so that a first run shows a real model making real moves.

"""


@dataclass
class NanoRecipe:
    """Train the nano model from scratch and evaluate it before and after."""

    out: str = field(metadata={"help": "output folder (the shipped one is playschool/models/nano)"})
    roles: list[str] = field(default_factory=lambda: list(DEFAULT_ROLES),
                             metadata={"help": "GAME:ROLE pairs to train and evaluate on"})
    work: str = field(default="runs/nano-build", metadata={"help": "folder for the reference play and the init"})
    budget_tokens: int = 3_300_000
    vocab: int = 4000
    hidden: int = 128
    layers: int = 4
    heads: int = 4
    intermediate: int = 512
    context: int = 2048
    max_length: int = 1536
    learning_rate: float = 3e-3
    batch_size: int = 8
    epochs: float = 0.0  # as many as the budget buys: the cosine schedule ends at the budget
    weight_decay: float = 0.1
    curve_every: int = field(default=100, metadata={"help": "learning-curve point every N steps (0: start/end)"})
    curve_n: int | None = field(default=5, metadata={"help": "test instances per experiment for curve points"})
    eval_n: int | None = field(default=None, metadata={"help": "test instances per experiment for the final table "
                                                                "(default: the whole test split)"})
    seed: int = 0
    recipe: str = "nano"


def _reference_data(cfg: NanoRecipe, roles: list[tuple[str, str]]) -> Path:
    from playschool.baselines.heldout import play

    from playschool.players import ReferencePlayer
    from playschool.store import RecordStore

    run = Path(cfg.work) / "reference-train"
    if (run / "records.jsonl").is_file():
        return run
    records = play(ReferencePlayer(), roles, "train", progress=True, label="reference play (train)")
    tmp = run.with_name(run.name + ".tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    with RecordStore(tmp) as store:
        for r in records:
            store.append(r)
    tmp.rename(run)
    return run


def _init_model(cfg: NanoRecipe, run: Path) -> Path:
    from playschool.baselines.common import load_conversations

    from playschool.tiny import build_tiny_model

    init = Path(cfg.work) / "init"
    convs, _ = load_conversations([str(run)], min_main=0.0)
    texts = sorted({m["content"] for c in convs for m in c.messages})  # sorted: the same tokenizer every time
    build_tiny_model(init, seed=cfg.seed, vocab_corpus=texts, hidden_size=cfg.hidden, layers=cfg.layers,
                     heads=cfg.heads, max_position_embeddings=cfg.context, vocab_size=cfg.vocab,
                     intermediate_size=cfg.intermediate)
    return init


def build(cfg: NanoRecipe) -> dict[str, Any]:
    """Run the whole pipeline; returns what ``eval.json`` holds."""
    from playschool.baselines.heldout import cheap_best, curve_callback, parse_roles, play, role_scores
    from playschool.baselines.sft import SFTRecipe, train
    from transformers import AutoTokenizer

    from playschool.backends.hf import HFBackend
    from playschool.budget import verify_ledger
    from playschool.budget.report import plot
    from playschool.players import RandomPlayer, ReferencePlayer

    roles = parse_roles(cfg.roles)
    out = Path(cfg.out)
    run = _reference_data(cfg, roles)
    init = _init_model(cfg, run)
    tokenizer = AutoTokenizer.from_pretrained(init)
    stage = Path(cfg.work) / "sft"
    shutil.rmtree(stage, ignore_errors=True)
    sft = SFTRecipe(model=str(init), data=[str(run)], out=str(stage), budget_tokens=cfg.budget_tokens,
                    min_main=50.0, max_length=cfg.max_length, epochs=cfg.epochs, learning_rate=cfg.learning_rate,
                    batch_size=cfg.batch_size, lr_scheduler="cosine", weight_decay=cfg.weight_decay,
                    warmup_steps=10, group_by_length=True, seed=cfg.seed, use_cpu=True)
    curve: list[Any] = []

    def with_curve(budget: Any) -> list[Any]:
        cb = curve_callback(budget, tokenizer, roles, split="test", n=cfg.curve_n, every=cfg.curve_every)
        curve.append(cb)
        return [cb]

    start = time.perf_counter()
    budget = train(sft, extra_callbacks=with_curve)
    seconds = time.perf_counter() - start
    results: dict[str, Any] = {"roles": cfg.roles, "train_seconds": round(seconds, 1), "budget": budget}
    tables = {}
    for label, player in (("init", HFBackend(init, device="cpu")), ("nano", HFBackend(stage, device="cpu")),
                          ("random", RandomPlayer()), ("reference", ReferencePlayer())):
        tables[label] = {f"{s.game}:{s.role}": s.row() for s in role_scores(
            play(player, roles, "test", n=cfg.eval_n, progress=True, label=f"{label} (test)"), roles)}
    results["test"] = tables
    results["cheap_best"] = cheap_best(roles)
    if out.resolve() != stage.resolve():
        shutil.rmtree(out, ignore_errors=True)
        shutil.copytree(stage, out, ignore=shutil.ignore_patterns("checkpoints"))
    (out / "eval.json").write_text(json.dumps(results, indent=1) + "\n")
    summary = verify_ledger(out / "ledger.jsonl")
    plot(summary, out / "ledger.png")
    card = (out / "README.md").read_text().replace("# SFT learner trained with playschool\n\n", CARD_INTRO)
    card += "\n" + results_markdown(results) + "\n"
    (out / "README.md").write_text(card)
    return results


def results_markdown(results: dict[str, Any]) -> str:
    """The before/after table of the card and the closing notes."""
    t = results["test"]
    lines = ["## Held-out test play (greedy), before and after training", "",
             "| game:role | n | init main | nano main [95% CI] | nano % success [95% CI] | random main | "
             "reference main | best cheap policy |", "|---|---|---|---|---|---|---|---|"]
    for key in results["roles"]:
        i, n_, r, ref = t["init"][key], t["nano"][key], t["random"][key], t["reference"][key]
        cheap = results["cheap_best"].get(key, ("-", 0.0))
        lines.append(f"| {key} | {n_['n']} | {i['main']:.1f} | {n_['main']:.1f} [{n_['main_lo']:.1f}, "
                     f"{n_['main_hi']:.1f}] | {n_['success']:.1f} [{n_['success_lo']:.1f}, {n_['success_hi']:.1f}] | "
                     f"{r['main']:.1f} | {ref['main']:.1f} | {cheap[0]} {cheap[1]:.1f} |")
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    cfg = parse_config(NanoRecipe, argv, prog="playschool train nano", doc=__doc__)
    results = build(cfg)
    print(results_markdown(results))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
