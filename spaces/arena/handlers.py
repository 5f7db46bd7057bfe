"""What each control of the arena does, as plain functions over one :class:`Arena` (no Gradio import here):
the UI in ``ui.py`` only wires them to components, and tests call them directly.

Every handler turns a visitor's mistake into a message on the page (``gr.Warning``-free: the text is returned),
so a bad upload or a stale game never shows a traceback.
"""

from __future__ import annotations

import csv
import hashlib
import io
import tempfile
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .chat import escape_markdown, gradio_messages
from .config import ArenaConfig
from .db import ArenaDB, ArenaDBError
from .leaderboard import plot, rows, to_csv, versions
from .sessions import PlaySessions, PlayView, SessionNotFound
from .transcripts import TranscriptIndex
from .upload import handle_upload
from .watch import BackendCache, watch

#: Columns of the transcript browser's table, in order.
TRANSCRIPT_COLUMNS = ("key", "game", "role", "model", "outcome", "score", "turns")
#: Columns of the request queue table, in order.
QUEUE_COLUMNS = ("id", "model", "revision", "base", "state", "reason", "created")


@dataclass
class Arena:
    """The arena's state, shared by every visitor: settings, the database, live games, loaded models and the
    transcript index. One per process."""

    config: ArenaConfig
    db: ArenaDB
    sessions: PlaySessions
    backends: BackendCache = field(default_factory=BackendCache)
    transcripts: TranscriptIndex | None = None
    #: Where the leaderboard's CSV downloads are written (one file per distinct board).
    downloads: Path = field(default_factory=lambda: Path(tempfile.mkdtemp(prefix="playschool-arena-")))

    @classmethod
    def open(cls, config: ArenaConfig) -> Arena:
        """Open (create, migrate) the database and build the in-memory parts."""
        config.db_path.parent.mkdir(parents=True, exist_ok=True)
        index = TranscriptIndex.load(list(config.transcripts)) if config.transcripts else None
        return cls(config=config, db=ArenaDB(config.db_path),
                   sessions=PlaySessions(ttl_s=config.session_ttl_s, max_sessions=config.max_sessions),
                   transcripts=index)

    def close(self) -> None:
        self.db.close()


# ----------------------------------------------------------------------------------------------- play
def status_text(view: PlayView) -> str:
    """The line under the game: whose turn it is, or the final score and what it means."""
    head = f"**{view.game}** · you play **{view.role}** · instance `{view.instance_id}`"
    # The explanation and notice can quote what a player wrote: shown as text, never as markdown.
    notice = f"\n\n_{escape_markdown(view.notice)}_" if view.notice else ""
    if not view.done:
        return f"{head}\n\nYour move.{notice}"
    score = "–" if view.score is None else f"{view.score:.0f}/100"
    return f"{head}\n\n**Game over — {view.outcome}, score {score}.** {escape_markdown(view.explanation)}{notice}"


def new_game(arena: Arena, game: str, role: str, seed: float | None, old_session: str | None
             ) -> tuple[list[dict[str, Any]], str | None, str]:
    """Start a game (dropping the visitor's previous one): chat, session id, status."""
    if old_session:
        arena.sessions.close(old_session)
    try:
        view = arena.sessions.start(game, role, seed=None if seed is None else int(seed))
    except ValueError as exc:
        return [], None, f"⚠️ {exc}"
    return gradio_messages(view.messages), view.session_id, status_text(view)


def send(arena: Arena, text: str, session: str | None) -> tuple[list[dict[str, Any]], str | None, str, str]:
    """The visitor's move: chat, session id, status, and the emptied text box."""
    if not session:
        return [], None, "Start a game first (pick a game and a role, then **New game**).", text
    try:
        view = arena.sessions.send(session, text)
    except SessionNotFound as exc:
        return [], None, f"⚠️ {exc}", text
    except ValueError as exc:
        return [], session, f"⚠️ {exc}", text
    return gradio_messages(view.messages), view.session_id, status_text(view), ""


def watch_game(arena: Arena, model: str, game: str, role: str, seed: float | None
               ) -> Iterator[tuple[list[dict[str, Any]], str]]:
    """A model plays against the teacher; one (chat, status) per turn."""
    if model not in arena.config.watch_models:
        yield [], f"⚠️ {model!r} is not one of the models this arena offers: {', '.join(arena.config.watch_models)}"
        return
    yield [], f"Loading **{model}** and starting {game} ({role})…"
    try:
        for view in watch(model, game, role, seed=None if seed is None else int(seed), backends=arena.backends):
            status = status_text(view).replace("you play", f"{model} plays").replace("Your move.", "Thinking…")
            yield gradio_messages(view.messages), status
    except ValueError as exc:
        yield [], f"⚠️ {exc}"


# ---------------------------------------------------------------------------------------- transcripts
def browse(arena: Arena, game: str | None, role: str | None, model: str | None, outcome: str | None
           ) -> tuple[list[list[Any]], list[str]]:
    """Rows of the transcript table for the filters, and the episode keys to pick from."""
    if arena.transcripts is None:
        return [], []
    found = arena.transcripts.filter(game=game or None, role=role or None, model=model or None,
                                     outcome=outcome or None)
    table = [[getattr(r, c) for c in TRANSCRIPT_COLUMNS] for r in found]
    return table, [r.key for r in found]


def show_transcript(arena: Arena, key: str | None) -> tuple[list[dict[str, Any]], list[list[Any]]]:
    """One episode: its messages as the learner saw them, and its per-turn table."""
    if arena.transcripts is None or not key:
        return [], []
    try:
        messages, turns = arena.transcripts.render(key)
    except (KeyError, ValueError):
        return [], []
    columns = list(turns[0]) if turns else []
    return gradio_messages(messages), [[t.get(c) for c in columns] for t in turns]


# ------------------------------------------------------------------------------------------- submit
def visitor_of(request: Any) -> str:
    """Who is asking, for the rate limit and the audit: the signed-in user, else the client address."""
    user = getattr(request, "username", None)
    if user:
        return f"user:{user}"
    client = getattr(request, "client", None)
    host = getattr(client, "host", None)
    return f"ip:{host}" if host else "anonymous"


def _paths(files: Any) -> list[Path]:
    if not files:
        return []
    items = files if isinstance(files, (list, tuple)) else [files]
    return [Path(str(getattr(f, "name", f))) for f in items]


def submit_results(arena: Arena, files: Any, model_name: str, visitor: str) -> str:
    """Check, re-score and (if valid) store an uploaded ``playschool eval`` output; the verdict as markdown."""
    paths = _paths(files)  # an empty upload is refused (and audited) by the checker like any other
    outcome = handle_upload(arena.db, arena.config, paths, visitor=visitor, model_name=model_name or "")
    if not outcome.accepted:
        return f"❌ **Rejected.** {outcome.message}"
    return f"✅ **Accepted** as entry #{outcome.entry_id}. {outcome.message}"


def request_model(arena: Arena, model: str, revision: str, base: str, visitor: str) -> str:
    """Queue a model for the worker to evaluate."""
    if not arena.db.allow(visitor, "request", arena.config.submissions_per_hour):
        arena.db.audit(visitor=visitor, action="request", outcome="rejected", detail="rate limit")
        return (f"❌ Too many requests: at most {arena.config.submissions_per_hour} per hour per visitor. "
                "Try again later.")
    try:
        rid = arena.db.add_request(model=(model or "").strip(), revision=(revision or "").strip(),
                                   base=(base or "").strip(), visitor=visitor)
    except ArenaDBError as exc:
        arena.db.audit(visitor=visitor, action="request", outcome="rejected", detail=str(exc)[:500])
        return f"❌ {exc}"
    arena.db.audit(visitor=visitor, action="request", outcome="queued", request_id=rid)
    return f"✅ Request #{rid} queued: a worker will evaluate it with `playschool eval` and post verified results."


def queue_rows(arena: Arena) -> list[list[Any]]:
    """The request queue, newest first."""
    reqs = sorted(arena.db.requests(), key=lambda r: r.get("id", 0), reverse=True)
    return [[r.get(c) for c in QUEUE_COLUMNS] for r in reqs]


# -------------------------------------------------------------------------------------- leaderboard
def leaderboard(arena: Arena, version: str | None, search: str, verified_only: bool
                ) -> tuple[list[dict[str, Any]], str, Any]:
    """Rows of one CLU2 version (filtered), a CSV file path for download, and the dimension plot."""
    shown = rows(arena.db, clu2_version=version or None, search=search or "", verified_only=bool(verified_only),
                 plan=arena.config.plan_id())
    text = to_csv(shown)
    # One file per distinct board, in the arena's own folder: page loads showing the same board reuse it, so a
    # long-running Space does not leave a new temporary file behind on every visit.
    digest = hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]
    out = arena.downloads / f"leaderboard-{digest}.csv"
    if not out.exists():
        out.write_text(text, encoding="utf-8")
    return shown, str(out), plot(shown)


def leaderboard_versions(arena: Arena) -> list[str]:
    return versions(arena.db)


def table(rows_: Sequence[dict[str, Any]]) -> tuple[list[str], list[list[Any]]]:
    """Dict rows -> (headers, values) for a Dataframe; the same column order as the CSV."""
    if not rows_:
        return [], []
    text = to_csv(list(rows_))
    reader = csv.reader(io.StringIO(text))
    headers = next(reader)
    return headers, [[r.get(h) for h in headers] for r in rows_]
