"""``playschool budget report``: totals of a verified ledger and a PNG of tokens over steps.

The plot shows cumulative budget tokens per optimizer step against the budget line and, when the ledger holds
evaluation points (``eval`` entries: scores measured at checkpoints), the learning curve: each score against the
budget tokens spent when it was measured.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

from .ledger import LedgerSummary


def summary_lines(s: LedgerSummary) -> list[str]:
    """Human-readable totals of a verified ledger."""
    h = s.header
    model = h.get("model") or {}
    used = 100.0 * s.total_tokens / s.budget_tokens if s.budget_tokens else 0.0
    lines = [
        f"ledger         {s.path}",
        f"policy         {h.get('policy')}",
        f"model          {model.get('id', '?')} @ {model.get('revision') or '-'}",
        f"recipe         {(h.get('recipe') or {}).get('recipe', '?')}",
        f"budget         {s.budget_tokens:,} tokens",
        f"used           {s.total_tokens:,} tokens ({used:.2f}% of the budget) in {len(s.steps)} optimizer steps",
        f"not budgeted   {s.rollout_tokens:,} rollout tokens generated, {s.teacher_tokens:,} teacher tokens",
        f"ended          {s.end['reason'] if s.end else 'INCOMPLETE (no end record)'}",
        f"head hash      {s.head}",
    ]
    for name, fp in sorted((h.get("datasets") or {}).items()):
        lines.append(f"data           {name}: {fp}")
    for e in s.evals:
        scores = ", ".join(f"{k}={v:.2f}" for k, v in sorted(e["scores"].items()))
        lines.append(f"eval @ {e['cumulative']:>10,}  {e.get('label') or ''} {scores}".rstrip())
    if s.choices:
        counts = Counter(c["arm"] for c in s.choices)
        policies = sorted({str(c.get("policy", "?")) for c in s.choices})
        fallbacks = sum(1 for c in s.choices if c.get("fallback"))
        lines.append(f"curriculum     {len(s.choices)} choices by {', '.join(policies)}"
                     + (f" ({fallbacks} fell back to the bandit)" if fallbacks else ""))
        for arm, n in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])):
            lines.append(f"choice         {arm}: {n} ({100.0 * n / len(s.choices):.1f}%)")
    return lines


def plot(s: LedgerSummary, out: str | Path) -> Path:
    """Write the PNG (needs matplotlib: ``pip install 'playschool[train]'``)."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError as exc:
        raise RuntimeError("the plot needs matplotlib: pip install 'playschool[train]'") from exc
    out = Path(out)
    curves = sorted({k for e in s.evals for k in e["scores"]})
    fig, axes = plt.subplots(1, 2 if curves else 1, figsize=(11 if curves else 6, 4), squeeze=False)
    ax = axes[0][0]
    ax.plot([e["step"] for e in s.steps], [e["cumulative"] for e in s.steps], label="budget tokens fed")
    ax.axhline(s.budget_tokens, color="red", linestyle="--", label=f"budget ({s.budget_tokens:,})")
    if s.rollout_tokens:
        run, xs, ys = 0, [], []
        for e in s.steps:
            run += e["rollout_tokens"]
            xs.append(e["step"])
            ys.append(run)
        ax.plot(xs, ys, linestyle=":", label="rollout tokens (not budgeted)")
    ax.set_xlabel("optimizer step")
    ax.set_ylabel("tokens (cumulative)")
    ax.set_title("token budget")
    ax.legend(fontsize=8)
    if curves:
        ax2 = axes[0][1]
        for key in curves:
            pts = [(e["cumulative"], e["scores"][key]) for e in s.evals if key in e["scores"]]
            ax2.plot([p[0] for p in pts], [p[1] for p in pts], marker="o", label=key)
        ax2.set_xlabel("budget tokens fed")
        ax2.set_ylabel("score")
        ax2.set_title("learning curve")
        ax2.legend(fontsize=7)
    fig.tight_layout()
    out.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(out, dpi=110)
    plt.close(fig)
    return out


__all__ = ["plot", "summary_lines"]
