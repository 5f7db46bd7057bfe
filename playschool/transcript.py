"""Readable transcripts of episode records: HTML pages (one per episode plus an index) and terminal text.

Feedback kinds are told apart at a glance: each has its own colour and a label, moves are set apart from
messages, and format/rule errors are flagged on the move that caused them. All record text is escaped:
model output is hostile input.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterable
from pathlib import Path

from playschool.games import EpisodeRecord

from .fileio import write_atomic

KIND_STYLE = {
    "instruction": ("#eef2ff", "#4338ca"),
    "observation": ("#f1f5f9", "#334155"),
    "clarification": ("#fef9c3", "#a16207"),
    "correction": ("#fee2e2", "#b91c1c"),
    "environment": ("#dcfce7", "#15803d"),
    "move": ("#ffffff", "#0f172a"),
}
RICH_STYLE = {"instruction": "blue", "observation": "white", "clarification": "yellow", "correction": "red",
              "environment": "green", "move": "bold"}

_CSS = """
body{font-family:system-ui,-apple-system,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem;color:#0f172a}
h1{font-size:1.4rem} table{border-collapse:collapse;width:100%} td,th{padding:.3rem .5rem;border-bottom:1px solid #e2e8f0;text-align:left}
.turn{border:1px solid #e2e8f0;border-radius:.5rem;margin:.5rem 0;padding:.5rem .75rem;white-space:pre-wrap;overflow-wrap:anywhere}
.turn.move{margin-left:3rem;border-width:2px}
.badge{display:inline-block;font-size:.75rem;font-weight:600;padding:0 .4rem;border-radius:.25rem;margin-right:.4rem;color:#fff}
.meta{font-size:.8rem;color:#64748b} .success{color:#15803d} .lose{color:#b45309} .aborted{color:#b91c1c}
.err{color:#b91c1c;font-weight:600}
"""


def _page(title: str, body: str) -> str:
    return (f"<!doctype html><html lang=en><head><meta charset=utf-8><title>{html.escape(title)}</title>"
            f"<style>{_CSS}</style></head><body>{body}</body></html>\n")


def episode_filename(record: EpisodeRecord) -> str:
    """A safe, stable file name for the episode's page."""
    raw = f"{record.game}__{record.instance_id}__{record.learner_role}"
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", raw) + ".html"


def render_html(record: EpisodeRecord) -> str:
    """One episode as a self-contained HTML page."""
    e = html.escape
    scores = ", ".join(f"{k}={v:g}" for k, v in sorted(record.scores.items()))
    head = (f"<h1>{e(record.game)} · {e(record.instance_id)}</h1>"
            f"<p>learner plays <b>{e(record.learner_role)}</b> · roles: "
            f"{e(', '.join(f'{r}={p}' for r, p in record.roles.items()))}<br>"
            f"outcome: <b class={e(record.outcome)}>{e(record.outcome)}</b>"
            f"{' — ' + e(record.reason) if record.reason else ''}<br><span class=meta>{e(scores)}</span></p>")
    legend = "".join(f"<span class=badge style='background:{fg}'>{k}</span>" for k, (_, fg) in KIND_STYLE.items())
    rows = []
    for t in record.turns:
        bg, fg = KIND_STYLE.get(t.kind, ("#fff", "#000"))
        label = "move" if t.kind == "move" else t.kind
        who = f"{t.speaker} (learner)" if t.speaker == record.learner_role else t.speaker
        arrow = f"{who} → {t.to}"
        extra = ""
        if t.kind == "move":
            parse = t.parse or {}
            if parse.get("ok") is False:
                extra += f" <span class=err>{e(str(parse.get('error')))} error</span>"
            if t.reward is not None:
                extra += f" <span class=meta>reward {t.reward:+g}</span>"
            if t.truncated_from:
                extra += f" <span class=meta>(cut from {t.truncated_from} chars)</span>"
        rows.append(f"<div class='turn {e(t.kind)}' style='background:{bg};border-color:{fg}'>"
                    f"<span class=badge style='background:{fg}'>{e(label)}</span>"
                    f"<span class=meta>{e(arrow)}</span>{extra}\n{e(t.text)}</div>")
    return _page(f"{record.game} {record.instance_id}", head + f"<p>{legend}</p>" + "".join(rows))


def write_html(records: Iterable[EpisodeRecord], out_dir: str | Path) -> Path:
    """Write one page per episode and an ``index.html`` table linking them; returns the index path."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    rows = []
    for rec in sorted(records, key=lambda r: (r.game, r.learner_role, r.instance_id)):
        name = episode_filename(rec)
        write_atomic(out / name, render_html(rec), durable=False)
        rows.append(f"<tr><td>{html.escape(rec.game)}</td><td>{html.escape(rec.learner_role)}</td>"
                    f"<td><a href='{html.escape(name)}'>{html.escape(rec.instance_id)}</a></td>"
                    f"<td class={html.escape(rec.outcome)}>{html.escape(rec.outcome)}</td>"
                    f"<td>{rec.scores.get('main', 0.0):.1f}</td></tr>")
    table = ("<table><tr><th>game</th><th>learner role</th><th>instance</th><th>outcome</th><th>main</th></tr>"
             + "".join(rows) + "</table>")
    index = out / "index.html"
    index.write_text(_page("playschool transcripts", f"<h1>Transcripts ({len(rows)} episodes)</h1>" + table),
                     encoding="utf-8")
    return index


def print_transcript(record: EpisodeRecord, console: object | None = None) -> None:
    """Print an episode to the terminal with rich, one colour per feedback kind."""
    from rich.console import Console
    from rich.markup import escape

    con = console if console is not None else Console()
    for t in record.turns:
        style = RICH_STYLE.get(t.kind, "")
        tag = "" if t.kind == "move" else f" ({t.kind})"
        err = (t.parse or {}).get("error")
        flag = f" [red]\\[{err} error][/red]" if err else ""
        con.print(f"[{style}]{escape(t.speaker)} → {escape(t.to)}{tag}[/{style}]{flag}: {escape(t.text)}")  # type: ignore[attr-defined]
    con.print(f"[bold]outcome: {record.outcome}[/bold] {escape(record.reason)}  main score "  # type: ignore[attr-defined]
              f"{record.scores.get('main', 0.0):.1f}")
