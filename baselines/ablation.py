"""What does the teacher's feedback contribute? The same GRPO run once per feedback setting (and curriculum), each
evaluated with CLU2 against the same base model, in one table with paired intervals and one plot.

    playschool train ablation --model nano --out runs/ablation --budget-tokens 300k --roles reference:listener
    playschool train ablation --model PATH --out runs/abl --budget-tokens 50M --feedback all environment none \\
        --curricula learner-bandit uniform --roles taboo:guesser wordle:guesser -- --group-size 8 --bf16

Every run starts from the same model, with the same budget, seed and GRPO settings (flags after ``--`` go to every
run unchanged). Runs: each ``--feedback`` setting with the first curriculum, then each further curriculum with
feedback ``all``. The base model is evaluated once (``playschool eval --skip-reference`` on the test split of the
games trained on, ``--n`` instances per experiment) and every trained model is evaluated the same way with
``--base-results``, so each improvement is a *paired* bootstrap over the same episodes. Written into ``--out``:
one folder per run (model, ledger, ``eval/``), ``base-eval/``, ``ablation.json``, ``ablation.md`` (the table,
printed too) and ``ablation.png`` (learning curves: the runs' held-out points against budget tokens spent).

At small scale (the nano model, a few hundred thousand tokens) the differences are mostly noise: read the
intervals, not the point estimates.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from playschool.baselines.common import RecipeError
from playschool.baselines.config import parse_config


@dataclass
class AblationRecipe:
    """One GRPO run per feedback setting and curriculum, each scored with CLU2 against the same base."""

    model: str = field(metadata={"help": "Hub id or local folder of the learner ('nano': the embedded model)"})
    out: str = field(metadata={"help": "output folder (one sub-folder per run, the table and the plot)"})
    budget_tokens: int = field(metadata={"help": "token budget of every run (K/M/G suffixes allowed)"})
    roles: list[str] = field(default_factory=lambda: ["reference:listener"],
                             metadata={"help": "GAME:ROLE pairs every run practises"})
    feedback: list[str] = field(default_factory=lambda: ["all", "environment", "none"],
                                metadata={"help": "feedback settings to compare"})
    curricula: list[str] = field(default_factory=lambda: ["learner-bandit", "uniform"],
                                 metadata={"help": "curricula to compare (the first is used for the feedback runs)"})
    n: int = field(default=10, metadata={"help": "test instances per experiment in each CLU2 evaluation"})
    seed: int = 0
    grpo_args: list[str] = field(default_factory=list, metadata={"help": "further flags for every GRPO run "
                                                                          "(give them after --)"})
    recipe: str = "ablation"


def runs(cfg: AblationRecipe) -> list[tuple[str, str, str]]:
    """(name, feedback, curriculum) of every run, in order."""
    if not cfg.feedback or not cfg.curricula:
        raise RecipeError("give at least one --feedback setting and one --curricula entry")
    first = cfg.curricula[0]
    out = [(f"feedback-{fb}", fb, first) for fb in cfg.feedback]
    out += [(f"curriculum-{c.replace(':', '_')}", "all", c) for c in cfg.curricula[1:]]
    return out


def _games(roles: Sequence[str]) -> list[str]:
    return sorted({r.partition(":")[0] for r in roles})


def _evaluate(model_spec: str, out: Path, cfg: AblationRecipe, base: Path | None) -> dict[str, Any]:
    from playschool.cli import main as cli_main

    argv = ["eval", "--learner", model_spec, "--out", str(out), "--games", *_games(cfg.roles), "--n", str(cfg.n),
            "--skip-reference", "--quiet", "--seed", str(cfg.seed), "--device", "cpu"]
    if base is not None:
        argv += ["--base-results", str(base)]
    if cli_main(argv) != 0:
        raise RecipeError(f"CLU2 evaluation of {model_spec} failed (see above)")
    return dict(json.loads((out / "results.json").read_text()))


def run(cfg: AblationRecipe) -> dict[str, Any]:
    """Train and evaluate every run; returns what ``ablation.json`` holds."""
    from playschool.baselines.grpo import GRPORecipe, resolve_model
    from playschool.baselines.grpo import train as grpo_train

    from playschool.budget import verify_ledger

    out = Path(cfg.out)
    out.mkdir(parents=True, exist_ok=True)
    model_path = resolve_model(cfg.model)
    plan = runs(cfg)
    base_dir = out / "base-eval"
    base = _evaluate("nano" if cfg.model == "nano" else f"hf:{model_path}", base_dir, cfg, None)
    rows: list[dict[str, Any]] = []
    for name, feedback, curriculum in plan:
        folder = out / name
        argv = ["--model", str(model_path), "--out", str(folder), "--budget-tokens", str(cfg.budget_tokens),
                "--roles", *cfg.roles, "--feedback", feedback, "--curriculum", curriculum, "--seed", str(cfg.seed),
                "--eval-n", "0", *cfg.grpo_args]
        grpo = parse_config(GRPORecipe, argv, prog="ablation run")
        if not (folder / "budget.json").is_file():  # a finished run is kept: the ablation resumes
            grpo_train(grpo)
        result = _evaluate(f"hf:{folder}", folder / "eval", cfg, base_dir)
        ledger = verify_ledger(folder / "ledger.jsonl")
        rows.append({"run": name, "feedback": feedback, "curriculum": curriculum,
                     "used_tokens": ledger.total_tokens, "steps": len(ledger.steps),
                     "scorecard": _dims(result["scorecard"]), "improvement": _imp(result.get("improvement")),
                     "roles": _role_deltas(result.get("improvement"), cfg.roles),
                     "rewards": _rewards(folder)})
    doc = {"model": cfg.model, "budget_tokens": cfg.budget_tokens, "roles": cfg.roles, "n": cfg.n,
           "seed": cfg.seed, "base": _dims(base["scorecard"]), "runs": rows}
    (out / "ablation.json").write_text(json.dumps(doc, indent=1) + "\n")
    (out / "ablation.md").write_text(table(doc) + "\n")
    plot(doc, out / "ablation.png")
    return doc


def _dims(card: dict[str, Any]) -> dict[str, Any]:
    return {**{d: {"score": v["score"], "ci": v["ci"]} for d, v in card["dimensions"].items()},
            "overall": {"score": card["overall"]["score"], "ci": card["overall"]["ci"]}}


def _imp(imp: dict[str, Any] | None) -> dict[str, Any]:
    if not imp:
        return {}
    return {**{d: {"delta": v["delta"], "ci": v["ci"]} for d, v in imp["dimensions"].items()},
            "overall": {"delta": imp["overall"]["delta"], "ci": imp["overall"]["ci"]}}


def _role_deltas(imp: dict[str, Any] | None, roles: Sequence[str]) -> dict[str, Any]:
    """The paired improvement on each trained role's own game task (``game/GAME/ROLE``)."""
    tasks = (imp or {}).get("tasks", {})
    out = {}
    for role in roles:
        game, _, name = role.partition(":")
        t = tasks.get(f"game/{game}/{name}")
        if t is not None:
            out[role] = {"delta": t["delta"], "ci": t["ci"], "n": t.get("n_shared")}
    return out


def _rewards(folder: Path) -> list[float]:
    """Mean training reward per step, as the GRPO run wrote it (``rewards.json``), for the learning-curve plot."""
    path = folder / "rewards.json"
    if not path.is_file():
        return []
    return [float(x) for x in json.loads(path.read_text())]


def _fmt(x: Any) -> str:
    return "–" if x is None else f"{x:.1f}"


def _ci(c: Any) -> str:
    return "" if not c else f" [{c[0]:.1f}, {c[1]:.1f}]"


#: Column names of the table (the CLU2 dimensions, short).
SHORT = {"understanding_reasoning": "understanding", "collaborative_language_use": "collab", "overall": "overall"}


def table(doc: dict[str, Any]) -> str:
    """The ablation table: per run, CLU2 dimension scores, the paired improvement over the base, and the paired
    improvement on each trained role's own game (dimensions the evaluation did not cover, e.g. the reference
    plane when skipped, are left out; overall needs both planes)."""
    dims = [d for d in doc["base"] if doc["base"][d]["score"] is not None]
    cols = ["run", "feedback", "curriculum", "tokens"]
    cols += [c for d in dims for c in (SHORT.get(d, d), f"Δ {SHORT.get(d, d)} [95% CI]")]
    cols += [f"Δ {role} [95% CI]" for role in doc["roles"]]
    rows = [["base", "–", "–", "0", *[c for d in dims for c in (_fmt(doc["base"][d]["score"]), "–")],
             *["–" for _ in doc["roles"]]]]
    for r in doc["runs"]:
        cells = [r["run"], r["feedback"], r["curriculum"], f"{r['used_tokens']:,}"]
        for d in dims:
            imp = r["improvement"].get(d, {})
            cells += [_fmt(r["scorecard"][d]["score"]), f"{_fmt(imp.get('delta'))}{_ci(imp.get('ci'))}"]
        for role in doc["roles"]:
            t = r.get("roles", {}).get(role, {})
            cells.append(f"{_fmt(t.get('delta'))}{_ci(t.get('ci'))}")
        rows.append(cells)
    lines = [f"CLU2 interactional plane, {doc['n']} test instances per experiment of "
             f"{', '.join(_games(doc['roles']))}; budget {doc['budget_tokens']:,} tokens per run; "
             f"roles trained: {', '.join(doc['roles'])}", "",
             "| " + " | ".join(cols) + " |", "|" + "---|" * len(cols)]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return "\n".join(lines)


def plot(doc: dict[str, Any], path: Path) -> None:
    """Training reward per step of every run (the runs' learning curves), side by side."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(7, 4))
    for r in doc["runs"]:
        if r["rewards"]:
            ax.plot(range(1, len(r["rewards"]) + 1), r["rewards"], label=r["run"])
    ax.set_xlabel("optimizer step")
    ax.set_ylabel("mean episode reward (main / 100)")
    ax.set_title(f"GRPO learning curves, {doc['budget_tokens']:,} budget tokens per run")
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def main(argv: Sequence[str] | None = None) -> int:
    args = list(argv or [])
    extra: list[str] = []
    if "--" in args:
        cut = args.index("--")
        args, extra = args[:cut], args[cut + 1:]
    cfg = parse_config(AblationRecipe, args, prog="playschool train ablation", doc=__doc__)
    cfg.grpo_args = [*cfg.grpo_args, *extra]
    doc = run(cfg)
    print(table(doc))
    print(f"wrote {Path(cfg.out) / 'ablation.json'}, ablation.md, ablation.png")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
