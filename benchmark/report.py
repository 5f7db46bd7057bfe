"""Reports of a CLU2 result: ``results.csv`` (one row per task, dimension and summary score) and a
self-contained ``report.html`` whose plots are inline SVG (no plotting library, no network, no scripts).

The HTML shows the dimension and overall scores with their 95% intervals, the improvement over the base model
when there is one, the per-task table (raw, normalised, interval, coverage) and the per-game table whose rows
link to the episode transcripts written by :func:`playschool.transcript.write_html` (``transcripts/``).
Everything taken from a result is escaped: ids and details come from files a model's output went into.
"""

from __future__ import annotations

import csv
import html
import io
from collections import defaultdict
from pathlib import Path
from typing import Any

from playschool.fileio import write_atomic

from .registry import DIMENSION_LABELS, DIMENSIONS
from .results import Results

CSV_FILE = "results.csv"
HTML_FILE = "report.html"
CSV_HEADER = ["kind", "id", "dimension", "plane", "metric", "weight", "random_baseline", "ceiling", "n", "missing",
              "invalid", "raw", "raw_ci_low", "raw_ci_high", "score", "ci_low", "ci_high"]


def _ci(ci: Any, i: int) -> Any:
    return "" if not ci else ci[i]


def csv_rows(results: Results) -> list[dict[str, Any]]:
    """The rows of ``results.csv``: tasks, dimensions, overall, clemscore, then improvements (if any)."""
    card = results.scorecard
    rows: list[dict[str, Any]] = []
    for tid, t in card["tasks"].items():
        rows.append({"kind": "task", "id": tid, "dimension": t["dimension"], "plane": t["plane"],
                     "metric": t["metric"], "weight": t["weight"], "random_baseline": t["random_baseline"],
                     "ceiling": t["ceiling"], "n": t["n"], "missing": t["missing"], "invalid": t["invalid"],
                     "raw": t["raw"], "raw_ci_low": _ci(t["raw_ci"], 0), "raw_ci_high": _ci(t["raw_ci"], 1),
                     "score": t["normalised"], "ci_low": _ci(t["ci"], 0), "ci_high": _ci(t["ci"], 1)})
    for dim, d in card["dimensions"].items():
        rows.append({"kind": "dimension", "id": dim, "dimension": dim, "score": d["score"],
                     "ci_low": _ci(d["ci"], 0), "ci_high": _ci(d["ci"], 1)})
    rows.append({"kind": "overall", "id": "clu2", "score": card["overall"]["score"],
                 "ci_low": _ci(card["overall"]["ci"], 0), "ci_high": _ci(card["overall"]["ci"], 1)})
    rows.append({"kind": "clemscore", "id": "clemscore", "score": card["clemscore"]["score"]})
    imp = results.improvement
    if imp:
        for tid, t in imp["tasks"].items():
            rows.append({"kind": "improvement", "id": tid, "dimension": t["dimension"], "n": t["n_shared"],
                         "score": t["delta"], "ci_low": _ci(t["ci"], 0), "ci_high": _ci(t["ci"], 1)})
        for dim, d in imp["dimensions"].items():
            rows.append({"kind": "improvement", "id": dim, "dimension": dim, "score": d["delta"],
                         "ci_low": _ci(d["ci"], 0), "ci_high": _ci(d["ci"], 1)})
        rows.append({"kind": "improvement", "id": "clu2", "score": imp["overall"]["delta"],
                     "ci_low": _ci(imp["overall"]["ci"], 0), "ci_high": _ci(imp["overall"]["ci"], 1)})
    return rows


def write_csv(results: Results, out_dir: str | Path) -> Path:
    path = Path(out_dir) / CSV_FILE
    buffer = io.StringIO(newline="")
    writer = csv.DictWriter(buffer, fieldnames=CSV_HEADER, restval="")
    writer.writeheader()
    writer.writerows({k: ("" if v is None else v) for k, v in r.items()} for r in csv_rows(results))
    return write_atomic(path, buffer.getvalue())


# --------------------------------------------------------------------------------------------------- svg
def _fmt(x: Any, digits: int = 1) -> str:
    return "–" if x is None else f"{x:.{digits}f}"


def interval_plot(rows: list[tuple[str, float | None, list[float] | None]], *, title: str,
                  zero_line: bool = True) -> str:
    """A horizontal dot-and-whisker plot (inline SVG) of scores with 95% intervals on a 0-100 scale that
    widens to show values outside it (negative: worse than random)."""
    e = html.escape
    shown = [(label, s, ci) for label, s, ci in rows if s is not None]
    values = [v for _, s, ci in shown for v in [s, *(ci or [])] if v is not None]
    lo = min([0.0, *values])
    hi = max([100.0, *values])
    left, width, row_h, top = 230, 420, 26, 30
    height = top + row_h * max(1, len(rows)) + 30

    def x(v: float) -> float:
        return left + (v - lo) / (hi - lo) * width

    parts = [f"<svg xmlns='http://www.w3.org/2000/svg' width='{left + width + 70}' height='{height}' "
             f"role='img' aria-label='{e(title)}' font-family='system-ui,sans-serif' font-size='12'>",
             f"<text x='4' y='16' font-weight='600'>{e(title)}</text>"]
    for tick in _ticks(lo, hi):
        parts.append(f"<line x1='{x(tick):.1f}' x2='{x(tick):.1f}' y1='{top - 6}' y2='{height - 24}' "
                     f"stroke='{'#64748b' if tick == 0 and zero_line else '#e2e8f0'}'/>"
                     f"<text x='{x(tick):.1f}' y='{height - 10}' text-anchor='middle' fill='#64748b'>{tick:g}</text>")
    for n, (label, score, ci) in enumerate(rows):
        y = top + n * row_h + row_h / 2
        parts.append(f"<text x='{left - 8}' y='{y + 4:.1f}' text-anchor='end'>{e(label)}</text>")
        if score is None:
            parts.append(f"<text x='{left + 4}' y='{y + 4:.1f}' fill='#94a3b8'>not evaluated</text>")
            continue
        if ci:
            parts.append(f"<line x1='{x(ci[0]):.1f}' x2='{x(ci[1]):.1f}' y1='{y:.1f}' y2='{y:.1f}' "
                         "stroke='#4338ca' stroke-width='2'/>")
            for v in ci:
                parts.append(f"<line x1='{x(v):.1f}' x2='{x(v):.1f}' y1='{y - 5:.1f}' y2='{y + 5:.1f}' "
                             "stroke='#4338ca' stroke-width='2'/>")
        parts.append(f"<circle cx='{x(score):.1f}' cy='{y:.1f}' r='5' fill='#4338ca'><title>{e(label)}: "
                     f"{score:.1f} [{_fmt(ci[0] if ci else None)}, {_fmt(ci[1] if ci else None)}]</title></circle>"
                     f"<text x='{left + width + 8}' y='{y + 4:.1f}'>{score:.1f}</text>")
    parts.append("</svg>")
    return "".join(parts)


def _ticks(lo: float, hi: float) -> list[float]:
    span = hi - lo
    step = next(s for s in (10, 20, 25, 50, 100, 200, 500, 1000, 10 ** 9) if span / s <= 10)
    start = -(-lo // step) * step
    out, t = [], start
    while t <= hi + 1e-9:
        out.append(float(t) + 0.0 if abs(t) > 1e-9 else 0.0)  # never a "-0" label
        t += step
    return out


# -------------------------------------------------------------------------------------------------- html
_CSS = """
body{font-family:system-ui,-apple-system,sans-serif;max-width:72rem;margin:2rem auto;padding:0 1rem;color:#0f172a}
h1{font-size:1.5rem} h2{font-size:1.15rem;margin-top:2rem} table{border-collapse:collapse;width:100%;font-size:.9rem}
td,th{padding:.25rem .5rem;border-bottom:1px solid #e2e8f0;text-align:left}
td.n{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
.meta{color:#64748b;font-size:.85rem} .warn{color:#b45309} .neg{color:#b91c1c} details{margin:.2rem 0}
.card{display:inline-block;border:1px solid #e2e8f0;border-radius:.5rem;padding:.5rem 1rem;margin:.25rem .5rem .25rem 0}
.card b{font-size:1.4rem;display:block}
"""


def _num(x: Any, digits: int = 1) -> str:
    if x is None:
        return "<td class=n>–</td>"
    cls = "n neg" if isinstance(x, (int, float)) and x < 0 else "n"
    return f"<td class='{cls}'>{x:.{digits}f}</td>"


def _ci_cell(ci: Any, digits: int = 1) -> str:
    return "<td class=n>–</td>" if not ci else f"<td class=n>[{ci[0]:.{digits}f}, {ci[1]:.{digits}f}]</td>"


def render_html(results: Results, *, transcripts: str | None = "transcripts") -> str:
    """The report page. ``transcripts``: the folder (relative to the page) with the episode pages, or None."""
    e = html.escape
    card, man = results.scorecard, results.manifest
    cov = card["coverage"]
    body = [f"<h1>CLU2 {e(results.clu2_version)} · learner {e(str(man.get('learner', '?')))}</h1>",
            f"<p class=meta>manifest {e(str(man.get('manifest_id', '')))} · {e(str(man.get('created', '')))} · "
            f"playschool {e(str(man.get('package_version', '')))} · git {e(str(man.get('git_sha', '')))} · "
            f"registry {e(results.registry_fingerprint[:12])} · bootstrap n={card['n_boot']}, seed {card['seed']}"
            + (f" · shard {results.shard[0]}/{results.shard[1]}" if results.shard else "") + "</p>"]
    cards = [("CLU2 overall", card["overall"]["score"], card["overall"]["ci"])]
    cards += [(DIMENSION_LABELS[d], card["dimensions"][d]["score"], card["dimensions"][d]["ci"]) for d in DIMENSIONS]
    cards.append(("clemscore", card["clemscore"]["score"], None))
    body.append("<div>" + "".join(
        f"<span class=card>{e(label)}<b>{_fmt(s)}</b><span class=meta>"
        f"{'95% CI [' + _fmt(ci[0]) + ', ' + _fmt(ci[1]) + ']' if ci else '&nbsp;'}</span></span>"
        for label, s, ci in cards) + "</div>")
    if not cov["complete"]:
        body.append(f"<p class=warn>Incomplete: {cov['missing']} missing item(s); tasks not evaluated: "
                    f"{e(', '.join(cov['tasks_not_evaluated']) or 'none')}. Compare only complete scorecards.</p>")
    body.append("<h2>Scores (normalised: random baseline 0, ceiling 100)</h2>")
    body.append(interval_plot([(DIMENSION_LABELS[d], card["dimensions"][d]["score"], card["dimensions"][d]["ci"])
                               for d in DIMENSIONS] + [("overall", card["overall"]["score"], card["overall"]["ci"])],
                              title="dimensions and overall, 95% bootstrap intervals"))
    body.append(interval_plot([(tid, t["normalised"], t["ci"]) for tid, t in card["tasks"].items()],
                              title="tasks, normalised, 95% bootstrap intervals"))
    if results.improvement:
        body.append(_improvement_html(results))
    short = {"understanding_reasoning": "U&amp;R", "collaborative_language_use": "CLU"}
    body.append("<h2>Tasks</h2><p class=meta>U&amp;R: understanding &amp; reasoning; CLU: collaborative language "
                "use. Raw: mean item score on the task's own scale.</p>"
                "<table><tr><th>task</th><th>dim.</th><th>weight</th>"
                "<th>items</th><th>missing</th><th>invalid</th><th>baseline</th><th>ceiling</th><th>raw</th>"
                "<th>raw 95% CI</th><th>score</th><th>95% CI</th></tr>")
    for tid, t in card["tasks"].items():
        body.append(f"<tr><td>{e(tid)}</td><td>{short.get(t['dimension'], e(t['dimension']))}</td>"
                    f"{_num(t['weight'])}<td class=n>{t['n']}</td>"
                    f"<td class=n>{t['missing']}</td><td class=n>{t['invalid']}</td>{_num(t['random_baseline'], 3)}"
                    f"{_num(t['ceiling'], 0)}{_num(t['raw'], 3)}{_ci_cell(t['raw_ci'], 3)}{_num(t['normalised'])}"
                    f"{_ci_cell(t['ci'])}</tr>")
    body.append("</table>")
    body.append(_games_html(results, transcripts))
    return (f"<!doctype html><html lang=en><head><meta charset=utf-8><title>CLU2 report</title>"
            f"<style>{_CSS}</style></head><body>{''.join(body)}</body></html>\n")


def _improvement_html(results: Results) -> str:
    imp = results.improvement or {}
    base = (results.base or {}).get("learner", "base")
    rows = [(DIMENSION_LABELS[d], imp["dimensions"][d]["delta"], imp["dimensions"][d]["ci"]) for d in DIMENSIONS]
    rows.append(("overall", imp["overall"]["delta"], imp["overall"]["ci"]))
    cov = imp["coverage"]
    note = (f"<p class=warn>{cov['only_in_run']} item(s) only in this run and {cov['only_in_base']} only in the "
            "base run are not paired (see results.json, improvement.coverage).</p>"
            if cov["only_in_run"] or cov["only_in_base"] else "")
    return (f"<h2>Improvement over {html.escape(str(base))} (paired bootstrap)</h2>"
            + interval_plot(rows, title="run - base, normalised points, 95% paired intervals") + note)


def _games_html(results: Results, transcripts: str | None) -> str:
    e = html.escape
    card = results.scorecard
    if not card["games"]:
        return ""
    pages: dict[str, list[tuple[str, str, str]]] = defaultdict(list)
    for item in results.items:
        if item.task in card["games"] and item.details.get("transcript"):
            pages[item.task].append((item.item_id.split("|")[1] if "|" in item.item_id else item.item_id,
                                     str(item.details["transcript"]), str(item.details.get("outcome", ""))))
    out = ["<h2>Games</h2>"]
    if transcripts:
        out.append(f"<p><a href='{e(transcripts)}/index.html'>all transcripts</a></p>")
    out.append("<table><tr><th>game</th><th>learner role</th><th>episodes</th><th>% played</th><th>% success</th>"
               "<th>main</th><th>quality (played)</th><th>transcripts</th></tr>")
    for tid, g in card["games"].items():
        links = ""
        if transcripts and pages.get(tid):
            links = (f"<details><summary>{len(pages[tid])} episodes</summary>" + "<br>".join(
                f"<a href='{e(transcripts)}/{e(page)}'>{e(inst)}</a> <span class=meta>{e(outcome)}</span>"
                for inst, page, outcome in sorted(pages[tid])) + "</details>")
        out.append(f"<tr><td>{e(str(g['game']))}</td><td>{e(str(g['role']))}</td><td class=n>{g['episodes']}</td>"
                   f"{_num(100 * g['played'])}{_num(100 * g['success'])}{_num(g['main'])}{_num(g['quality'])}"
                   f"<td>{links}</td></tr>")
    out.append("</table>")
    clem = card["clemscore"]
    out.append(f"<p>clemscore (clembench: % played x quality / 100, mean over games): <b>{_fmt(clem['score'])}</b></p>")
    return "".join(out)


def write_html(results: Results, out_dir: str | Path, *, transcripts: str | None = "transcripts") -> Path:
    path = Path(out_dir) / HTML_FILE
    return write_atomic(path, render_html(results, transcripts=transcripts))
