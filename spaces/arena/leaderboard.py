"""The leaderboard: display rows of one CLU2 version, its CSV and its plot.

Scores of different CLU2 versions measure different task sets, so they are never ranked together: every query
names one version (the installed one by default) and the rank is computed within it. A row's numbers are the
arena's own (see :class:`~playschool.arena.entry.Entry`), rounded for display; each interval sits beside its
score as a ``"lo–hi"`` text column (an en dash, so negative bounds stay readable).
"""

from __future__ import annotations

import csv
import io
import math
from collections.abc import Sequence
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any

from .db import ArenaDB

if TYPE_CHECKING:
    from matplotlib.figure import Figure

MODEL, RANK, BASE, VERIFIED, VERSION, DATE = "model", "rank", "base", "verified", "CLU2 version", "date"
OVERALL, UNDERSTANDING, COLLAB, DELTA = ("overall", "understanding & reasoning", "collaborative language use",
                                         "Δ collab vs base")
INVALID, MISSING = "invalid records", "missing episodes"
#: Score columns and the entry interval each shows; each is followed by its ``<column> 95% CI`` text column.
SCORES: tuple[tuple[str, str], ...] = ((OVERALL, "overall"), (UNDERSTANDING, "understanding"),
                                       (COLLAB, "collab"), (DELTA, "delta_collab"))
CI_SUFFIX = " 95% CI"
VERIFIED_MARK, SELF_REPORTED = "✓", "self-reported reference"
#: The most models the plot draws (the top of the board): beyond that the labels no longer fit.
PLOT_MAX = 30


def _version(version: str | None) -> str:
    if version is not None:
        return version
    from playschool.benchmark import CLU2_VERSION

    return CLU2_VERSION


def _r(x: Any) -> float | None:
    return round(float(x), 1) if isinstance(x, (int, float)) and math.isfinite(x) else None


def _span(lo: Any, hi: Any) -> str:
    lo, hi = _r(lo), _r(hi)
    return "" if lo is None or hi is None else f"{lo:.1f}–{hi:.1f}"


def _date(created: Any) -> str:
    try:
        return datetime.fromtimestamp(float(created), timezone.utc).strftime("%Y-%m-%d")
    except (TypeError, ValueError, OverflowError, OSError):
        return ""


def _display(entry: dict[str, Any], games: Sequence[str]) -> dict[str, Any]:
    row: dict[str, Any] = {RANK: None, MODEL: entry["model"]}
    for column, name in SCORES:
        row[column] = _r(entry.get(f"{name}_score"))
        row[column + CI_SUFFIX] = _span(entry.get(f"{name}_lo"), entry.get(f"{name}_hi"))
    row[BASE] = entry.get("base_model") or ""
    for game in games:
        row[game] = _r(entry["games"].get(game))
    row[VERIFIED] = VERIFIED_MARK if entry.get("verified") else SELF_REPORTED
    row[INVALID] = int(entry.get("invalid_records") or 0)
    row[MISSING] = int(entry.get("missing_episodes") or 0)
    row[VERSION] = entry["clu2_version"]
    row[DATE] = _date(entry.get("created"))
    return row


def _order(entry: dict[str, Any]) -> tuple[bool, float, bool, float, float]:
    """Overall score descending (unscored last), then collaborative language use, then the earlier entry."""
    overall, collab = entry.get("overall_score"), entry.get("collab_score")
    return (overall is None, -(overall or 0.0), collab is None, -(collab or 0.0), float(entry.get("created") or 0))


def rows(db: ArenaDB, *, clu2_version: str | None = None, search: str = "",
         verified_only: bool = False, plan: str | None = None) -> list[dict[str, Any]]:
    """The leaderboard of one CLU2 version (default: the installed one), best first, as display rows.

    Columns, in order: rank, model, each score (overall, understanding & reasoning, collaborative language use,
    Δ collab vs base) followed by its ``"<score> 95% CI"`` text, base, one column per game task (normalised
    score), verified, invalid records, missing episodes, CLU2 version, date. The rank is competition ranking
    by overall score over the board shown (all entries of the version, or the verified ones with
    ``verified_only``); entries without an overall score are unranked (None). ``search`` (case-insensitive,
    model or base name) only picks rows: they keep their rank on the board. ``plan`` (an
    :meth:`ArenaConfig.plan_id`) keeps the entries scored on that interactional plan: like versions, plans are
    never ranked together."""
    version = _version(clu2_version)
    entries = [e for e in db.entries(version) if (e["verified"] or not verified_only)
               and (plan is None or e.get("plan") == plan)]
    entries.sort(key=_order)
    games = sorted({g for e in entries for g in e["games"]})
    board = [_display(e, games) for e in entries]
    previous: float | None = None
    rank = 0
    for position, row in enumerate(board, start=1):
        score = row[OVERALL]
        if score is None:
            continue
        if score != previous:  # equal scores share a rank ("1, 2, 2, 4")
            rank, previous = position, score
        row[RANK] = rank
    needle = search.strip().casefold()
    if needle:
        board = [r for r in board if needle in r[MODEL].casefold() or needle in r[BASE].casefold()]
    return board


def versions(db: ArenaDB) -> list[str]:
    """The CLU2 versions that have entries, newest first."""
    def key(version: str) -> tuple[tuple[int, Any], ...]:
        # Numeric parts compare as numbers ("0.10" after "0.9"); anything else as text, after them.
        return tuple((0, int(p)) if p.isdigit() else (1, p) for p in version.split("."))

    return sorted({e["clu2_version"] for e in db.entries()}, key=key, reverse=True)


def _columns(board: Sequence[dict[str, Any]]) -> list[str]:
    columns: list[str] = []
    for row in board:
        columns += [c for c in row if c not in columns]
    return columns


def to_csv(board: Sequence[dict[str, Any]]) -> str:
    """The rows as CSV text: one header line with the row keys, numbers written as numbers, empty for none."""
    columns = _columns(board) or [RANK, MODEL, *(c for s, _ in SCORES for c in (s, s + CI_SUFFIX)), BASE, VERIFIED,
                                  INVALID, MISSING, VERSION, DATE]
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=columns, restval="", lineterminator="\n")
    writer.writeheader()
    for row in board:
        writer.writerow({k: "" if v is None else v for k, v in row.items()})
    return out.getvalue()


def _bounds(score: float, span: Any) -> tuple[float, float]:
    """Error-bar lengths below and above ``score`` from a ``"lo–hi"`` text (zero where there is none)."""
    lo, sep, hi = str(span or "").partition("–")
    try:
        return max(score - float(lo), 0.0), max(float(hi) - score, 0.0)
    except ValueError:
        return 0.0, 0.0


def plot(board: Sequence[dict[str, Any]]) -> Figure:
    """The two dimension scores of each model (top :data:`PLOT_MAX` rows) as horizontal bars with their 95%
    intervals; a figure saying "no entries yet" for an empty board. Drawn on the Agg canvas, without pyplot's
    global state, so Gradio's worker threads can call it concurrently."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    shown = [r for r in board if r.get(UNDERSTANDING) is not None or r.get(COLLAB) is not None][:PLOT_MAX]
    fig = Figure(figsize=(8, max(2.5, 0.9 + 0.45 * len(shown))))
    FigureCanvasAgg(fig)
    ax = fig.add_subplot()
    if not shown:
        ax.text(0.5, 0.5, "no entries yet", ha="center", va="center", fontsize=14, transform=ax.transAxes)
        ax.set_axis_off()
        return fig
    labels = [f"{r[RANK]}. {r[MODEL]}" if r.get(RANK) is not None else str(r[MODEL]) for r in shown]
    height = 0.38
    for offset, column, colour in ((-height / 2, UNDERSTANDING, "#4c72b0"), (height / 2, COLLAB, "#dd8452")):
        ys: list[float] = []
        scores: list[float] = []
        below_all: list[float] = []
        above_all: list[float] = []
        for y, row in enumerate(shown):
            score = row.get(column)
            if score is None:
                continue
            below, above = _bounds(score, row.get(column + CI_SUFFIX))
            ys.append(y + offset)
            scores.append(score)
            below_all.append(below)
            above_all.append(above)
        ax.barh(ys, scores, height=height, xerr=[below_all, above_all], color=colour, label=column, capsize=3)
    ax.set_yticks(range(len(shown)), labels)
    ax.invert_yaxis()  # the best model on top
    ax.set_xlabel("normalised score (random 0, ceiling 100) with 95% interval")
    version = shown[0].get(VERSION, "")
    ax.set_title(f"CLU2 {version}".strip())
    ax.axvline(0, color="grey", linewidth=0.8)
    ax.legend(loc="lower right", fontsize=8)
    fig.tight_layout()
    return fig
