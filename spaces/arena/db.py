"""The arena's SQLite store: accepted submissions, the audit trail, the model-request queue, rate-limit events and
the leaderboard entries, in one file that the Space (many Gradio threads) and the worker (another process) share.

Every change is one ``BEGIN IMMEDIATE`` transaction, so a writer takes the write lock before it reads what it
decides on (a rate limit, a duplicate check, the next queued request) and two writers never decide on the same
state. The database runs in WAL mode (readers never block the writer) with a busy timeout, so processes wait for
each other instead of failing. The schema is versioned with ``PRAGMA user_version`` and migrated on open by the
steps in :data:`MIGRATIONS`; a file written by a newer playschool is refused rather than misread.
"""

from __future__ import annotations

import json
import re
import sqlite3
import threading
import time
import unicodedata
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from playschool.spec import SpecError, parse_spec

from .entry import Entry, Interval

#: Seconds a process waits for another's write lock before giving up.
BUSY_TIMEOUT_S = 30.0
#: A claimed request whose worker vanished (killed, machine lost) is claimed again at most this many times.
MAX_ATTEMPTS = 3
#: Lengths kept of free text (a reason is a stderr tail, a detail an error message): enough to read, bounded.
MAX_REASON = 2000
MAX_TEXT = 500
REQUEST_STATES = ("pending", "running", "done", "failed")
_INTERVALS = ("understanding", "collab", "overall", "delta_collab")

#: Schema migrations: step ``i`` takes a database from ``user_version`` i to i + 1. Append, never edit.
MIGRATIONS: tuple[tuple[str, ...], ...] = (
    (
        """CREATE TABLE submissions (
            id INTEGER PRIMARY KEY, created REAL NOT NULL, content_hash TEXT NOT NULL UNIQUE,
            visitor TEXT NOT NULL, filename TEXT NOT NULL, size INTEGER NOT NULL)""",
        """CREATE TABLE requests (
            id INTEGER PRIMARY KEY, created REAL NOT NULL, model TEXT NOT NULL, revision TEXT NOT NULL,
            base TEXT NOT NULL, visitor TEXT NOT NULL, state TEXT NOT NULL DEFAULT 'pending',
            worker TEXT, claimed REAL, finished REAL, attempts INTEGER NOT NULL DEFAULT 0,
            reason TEXT NOT NULL DEFAULT '', entry_id INTEGER)""",
        # At most one queued or running request per (model, revision, base): the race-safe duplicate check.
        """CREATE UNIQUE INDEX requests_active ON requests (model, revision, base)
            WHERE state IN ('pending', 'running')""",
        "CREATE INDEX requests_state ON requests (state, id)",
        """CREATE TABLE entries (
            id INTEGER PRIMARY KEY, created REAL NOT NULL, model TEXT NOT NULL, clu2_version TEXT NOT NULL,
            registry_fingerprint TEXT NOT NULL,
            understanding_score REAL, understanding_lo REAL, understanding_hi REAL,
            collab_score REAL, collab_lo REAL, collab_hi REAL,
            overall_score REAL, overall_lo REAL, overall_hi REAL,
            delta_collab_score REAL, delta_collab_lo REAL, delta_collab_hi REAL,
            base_model TEXT, games TEXT NOT NULL, reference_verified INTEGER NOT NULL,
            n_episodes INTEGER NOT NULL, invalid_records INTEGER NOT NULL, missing_episodes INTEGER NOT NULL,
            source TEXT NOT NULL, content_hash TEXT NOT NULL,
            submission_id INTEGER REFERENCES submissions (id), request_id INTEGER REFERENCES requests (id))""",
        "CREATE INDEX entries_version ON entries (clu2_version)",
        """CREATE TABLE audit (
            id INTEGER PRIMARY KEY, created REAL NOT NULL, visitor TEXT NOT NULL, action TEXT NOT NULL,
            outcome TEXT NOT NULL, detail TEXT NOT NULL, submission_id INTEGER, request_id INTEGER)""",
        "CREATE TABLE rate_events (visitor TEXT NOT NULL, action TEXT NOT NULL, at REAL NOT NULL)",
        "CREATE INDEX rate_events_key ON rate_events (visitor, action, at)",
    ),
    # 2: the interactional plan of each entry (entries of different plans are never ranked together).
    ("ALTER TABLE entries ADD COLUMN plan TEXT NOT NULL DEFAULT ''",),
)
_TABLES = ("submissions", "entries", "audit", "requests", "rate_events")


class ArenaDBError(ValueError):
    """A request the arena's store refuses (bad input, a duplicate, an unknown id) or a file it cannot use; the
    message says what and why, in words a visitor can act on."""


class DuplicateSubmissionError(ArenaDBError):
    """A submission whose content hash was already accepted."""


class InvalidRequestError(ArenaDBError):
    """A model request the worker must not run (a spec it refuses, a malformed revision)."""


class DuplicateRequestError(ArenaDBError):
    """The same (model, revision, base) is already queued or running."""


class ArenaDB:
    """The arena's database; safe to share between threads (one connection behind a lock) and processes (WAL,
    busy timeout, ``BEGIN IMMEDIATE``). Use as a context manager or call :meth:`close`."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self._lock = threading.RLock()
        if str(path) != ":memory:":
            self.path.parent.mkdir(parents=True, exist_ok=True)
        # isolation_level=None: the module starts no transactions of its own; each write opens BEGIN IMMEDIATE.
        self._conn: sqlite3.Connection | None = sqlite3.connect(
            str(path), timeout=BUSY_TIMEOUT_S, isolation_level=None, check_same_thread=False)
        self._conn.row_factory = sqlite3.Row
        try:
            self._conn.execute(f"PRAGMA busy_timeout = {int(BUSY_TIMEOUT_S * 1000)}")
            self._conn.execute("PRAGMA journal_mode = WAL")
            self._conn.execute("PRAGMA synchronous = NORMAL")  # durable across crashes of the process in WAL mode
            self._conn.execute("PRAGMA foreign_keys = ON")
            self._migrate()
        except sqlite3.DatabaseError as exc:
            self.close()
            raise ArenaDBError(f"{self.path} cannot be used as the arena database: {exc}") from exc
        except BaseException:
            self.close()
            raise

    # ------------------------------------------------------------------------------------------ plumbing
    def close(self) -> None:
        """Close the connection (idempotent); further calls raise :class:`ArenaDBError`."""
        with self._lock:
            if self._conn is not None:
                self._conn.close()
                self._conn = None

    def __enter__(self) -> ArenaDB:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _connection(self) -> sqlite3.Connection:
        if self._conn is None:
            raise ArenaDBError(f"the arena database {self.path} is closed")
        return self._conn

    @contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        """One write transaction; the write lock is taken at BEGIN so the reads inside decide on settled state."""
        with self._lock:
            conn = self._connection()
            conn.execute("BEGIN IMMEDIATE")
            try:
                yield conn
            except BaseException:
                conn.execute("ROLLBACK")
                raise
            conn.execute("COMMIT")

    def _read(self, sql: str, params: tuple[Any, ...] = ()) -> list[sqlite3.Row]:
        with self._lock:
            return self._connection().execute(sql, params).fetchall()

    def _migrate(self) -> None:
        with self._write() as conn:
            version = int(conn.execute("PRAGMA user_version").fetchone()[0])
            if version > len(MIGRATIONS):
                raise ArenaDBError(
                    f"{self.path} has arena schema version {version}, newer than this playschool knows "
                    f"({len(MIGRATIONS)}); upgrade playschool to open it")
            if version == 0:
                foreign = [r[0] for r in conn.execute(
                    "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'")]
                if foreign:
                    raise ArenaDBError(f"{self.path} is an SQLite file of something else (tables {foreign}), "
                                       "not an arena database; choose another path")
            for step in MIGRATIONS[version:]:
                for statement in step:
                    conn.execute(statement)
            # PRAGMA takes no parameters; the value is an int this code computed.
            conn.execute(f"PRAGMA user_version = {len(MIGRATIONS)}")

    @property
    def schema_version(self) -> int:
        """The file's schema version (``PRAGMA user_version``): ``len(MIGRATIONS)`` once opened."""
        return int(self._read("PRAGMA user_version")[0][0])

    def counts(self) -> dict[str, int]:
        """Rows per table (what "nothing was written" is checked against)."""
        return {t: int(self._read(f"SELECT COUNT(*) FROM {t}")[0][0]) for t in _TABLES}

    # ---------------------------------------------------------------------------------------- rate limit
    def allow(self, visitor: str, action: str, limit_per_hour: int, *, now: float | None = None) -> bool:
        """Whether ``visitor`` may do ``action`` now: fewer than ``limit_per_hour`` allowed events in the hour
        before ``now``. An allowed event is recorded in the same transaction as the check, so concurrent callers
        cannot both take the last slot; a refused one is not recorded (refusals do not extend a lock-out)."""
        visitor, action = _text(visitor, "visitor"), _text(action, "action")
        if not isinstance(limit_per_hour, int) or isinstance(limit_per_hour, bool) or limit_per_hour < 0:
            raise ArenaDBError(f"limit_per_hour must be a non-negative integer, got {limit_per_hour!r}")
        now = time.time() if now is None else float(now)
        with self._write() as conn:
            conn.execute("DELETE FROM rate_events WHERE at <= ?", (now - 3600.0,))  # keep the table small
            used = conn.execute("SELECT COUNT(*) FROM rate_events WHERE visitor = ? AND action = ? AND at > ?",
                                (visitor, action, now - 3600.0)).fetchone()[0]
            if used >= limit_per_hour:
                return False
            conn.execute("INSERT INTO rate_events (visitor, action, at) VALUES (?, ?, ?)", (visitor, action, now))
            return True

    # --------------------------------------------------------------------------------------- submissions
    def is_duplicate(self, content_hash: str) -> bool:
        """Whether a submission with this content hash was already accepted."""
        return bool(self._read("SELECT 1 FROM submissions WHERE content_hash = ?",
                               (_text(content_hash, "content_hash"),)))

    def record_accepted(self, *, content_hash: str, visitor: str, filename: str, size: int,
                        entry: Entry) -> tuple[int, int]:
        """Store an accepted upload and its leaderboard entry together; returns ``(submission_id, entry_id)``.

        Raises :class:`DuplicateSubmissionError` (and stores nothing) when the hash was accepted before; the
        UNIQUE constraint decides, so two concurrent uploads of the same file cannot both land."""
        content_hash = _text(content_hash, "content_hash")
        if not content_hash:
            raise ArenaDBError("a submission needs its content hash")
        if not isinstance(size, int) or isinstance(size, bool) or size < 0:
            raise ArenaDBError(f"size must be a non-negative integer, got {size!r}")
        values = _entry_values(entry)
        row = (time.time(), content_hash, _text(visitor, "visitor"), _text(filename, "filename", cut=True), size)
        try:
            with self._write() as conn:
                cur = conn.execute("INSERT INTO submissions (created, content_hash, visitor, filename, size) "
                                   "VALUES (?, ?, ?, ?, ?)", row)
                submission_id = int(cur.lastrowid or 0)
                entry_id = _insert_entry(conn, values, submission_id, None)
        except sqlite3.IntegrityError as exc:
            if "submissions.content_hash" in str(exc):
                raise DuplicateSubmissionError(
                    f"this file was already submitted (content hash {content_hash[:12]}…); the leaderboard "
                    "keeps one entry per submission") from exc
            raise ArenaDBError(f"the submission could not be stored: {exc}") from exc
        return submission_id, entry_id

    # --------------------------------------------------------------------------------------------- audit
    def audit(self, *, visitor: str, action: str, outcome: str, detail: str = "",
              submission_id: int | None = None, request_id: int | None = None) -> None:
        """Append one line to the audit trail (every submission attempt, request and worker outcome). Long
        details are cut rather than refused: the trail must never lose an event to its length."""
        row = (time.time(), _text(visitor, "visitor", cut=True), _text(action, "action", cut=True),
               _text(outcome, "outcome", cut=True), _text(detail, "detail", cut=True, limit=MAX_REASON),
               _opt_id(submission_id, "submission_id"), _opt_id(request_id, "request_id"))
        with self._write() as conn:
            conn.execute("INSERT INTO audit (created, visitor, action, outcome, detail, submission_id, request_id) "
                         "VALUES (?, ?, ?, ?, ?, ?, ?)", row)

    def audit_rows(self, limit: int = 200) -> list[dict[str, Any]]:
        """The newest ``limit`` audit lines, newest first."""
        if not isinstance(limit, int) or limit < 0:
            raise ArenaDBError(f"limit must be a non-negative integer, got {limit!r}")
        return [dict(r) for r in self._read("SELECT * FROM audit ORDER BY id DESC LIMIT ?", (limit,))]

    # ------------------------------------------------------------------------------------------- entries
    def add_entry(self, entry: Entry, *, submission_id: int | None = None, request_id: int | None = None) -> int:
        """Store a leaderboard entry; returns its id."""
        values = _entry_values(entry)
        sid, rid = _opt_id(submission_id, "submission_id"), _opt_id(request_id, "request_id")
        with self._write() as conn:
            for table, ref in (("submissions", sid), ("requests", rid)):
                if ref is not None and conn.execute(f"SELECT 1 FROM {table} WHERE id = ?", (ref,)).fetchone() is None:
                    raise ArenaDBError(f"the entry names {table[:-1]} {ref}, which does not exist")
            return _insert_entry(conn, values, sid, rid)

    def entries(self, clu2_version: str | None = None) -> list[dict[str, Any]]:
        """Leaderboard entries (oldest first) as flat rows: every :class:`Entry` field, each interval as
        ``<name>_score``/``<name>_lo``/``<name>_hi``, ``games`` as a dict, plus ``id``, ``created`` (Unix
        seconds), ``verified``, ``submission_id`` and ``request_id``."""
        if clu2_version is None:
            rows = self._read("SELECT * FROM entries ORDER BY id")
        else:
            rows = self._read("SELECT * FROM entries WHERE clu2_version = ? ORDER BY id", (clu2_version,))
        out = []
        for r in rows:
            d = dict(r)
            d["games"] = json.loads(d["games"])
            d["reference_verified"] = bool(d["reference_verified"])
            d["verified"] = d["reference_verified"]
            out.append(d)
        return out

    # ------------------------------------------------------------------------------------ request queue
    def add_request(self, *, model: str, revision: str, base: str, visitor: str) -> int:
        """Queue a model evaluation; returns the request id.

        ``model`` and ``base`` must be specs the worker may run: a Hub id ``org/name`` (stored as
        ``hf:org/name``), ``hf:ID_OR_PATH``, ``nano`` or ``tiny``; ``base`` may be empty (no base model).
        ``revision`` is empty or a branch, tag or commit. Raises :class:`InvalidRequestError` for anything else
        and :class:`DuplicateRequestError` when the same request is already queued or running."""
        model_spec, revision = _request_model(model, revision)
        base_spec = ""
        if _text(base, "base").strip():
            target, base_rev = _model_spec(base, "base")
            base_spec = f"{target}@{base_rev}" if base_rev else target
        visitor = _text(visitor, "visitor", cut=True)
        try:
            with self._write() as conn:
                if conn.execute("SELECT 1 FROM requests WHERE model = ? AND revision = ? AND base = ? AND state IN "
                                "('pending', 'running')", (model_spec, revision, base_spec)).fetchone():
                    raise DuplicateRequestError(_duplicate_message(model_spec, revision, base_spec))
                cur = conn.execute("INSERT INTO requests (created, model, revision, base, visitor) "
                                   "VALUES (?, ?, ?, ?, ?)", (time.time(), model_spec, revision, base_spec, visitor))
                return int(cur.lastrowid or 0)
        except sqlite3.IntegrityError as exc:  # the unique index: a concurrent identical request won
            raise DuplicateRequestError(_duplicate_message(model_spec, revision, base_spec)) from exc

    def claim_request(self, worker: str, *, stale_after_s: float = 6 * 3600,
                      now: float | None = None) -> dict[str, Any] | None:
        """Atomically take the oldest request to run: a pending one, or a running one claimed more than
        ``stale_after_s`` ago (its worker was killed). Returns the row, now ``running`` under ``worker``, or
        None when there is nothing to do.

        A stale request that already has its entry (the worker died between storing it and finishing) is
        finished as done instead of run again; one that was claimed :data:`MAX_ATTEMPTS` times is failed."""
        worker = _text(worker, "worker", cut=True)
        now = time.time() if now is None else float(now)
        stale = now - float(stale_after_s)
        with self._write() as conn:
            while True:
                row = conn.execute("SELECT * FROM requests WHERE state = 'pending' OR (state = 'running' AND "
                                   "claimed < ?) ORDER BY id LIMIT 1", (stale,)).fetchone()
                if row is None:
                    return None
                rid = row["id"]
                if row["state"] == "running":
                    entry = conn.execute("SELECT id FROM entries WHERE request_id = ? ORDER BY id DESC LIMIT 1",
                                         (rid,)).fetchone()
                    if entry is not None:
                        _finish(conn, rid, "done", "", entry["id"], now)
                        continue
                    if row["attempts"] >= MAX_ATTEMPTS:
                        reason = (f"gave up after {row['attempts']} attempts: the worker stopped without a result "
                                  "each time (killed, or out of memory?)")
                        _finish(conn, rid, "failed", reason, None, now)
                        _audit(conn, row["visitor"], "request", "failed", reason, request_id=rid)
                        continue
                conn.execute("UPDATE requests SET state = 'running', worker = ?, claimed = ?, "
                             "attempts = attempts + 1 WHERE id = ?", (worker, now, rid))
                return dict(conn.execute("SELECT * FROM requests WHERE id = ?", (rid,)).fetchone())

    def finish_request(self, request_id: int, *, state: str, reason: str = "", entry_id: int | None = None) -> None:
        """Mark a request ``done`` (with its entry) or ``failed`` (with a reason a visitor can read)."""
        if state not in ("done", "failed"):
            raise ArenaDBError(f"a request finishes as 'done' or 'failed', not {state!r}")
        rid, eid = _id(request_id, "request_id"), _opt_id(entry_id, "entry_id")
        reason = _text(reason, "reason", cut=True, limit=MAX_REASON)
        with self._write() as conn:
            current = _request_state(conn, rid)
            if current in ("done", "failed"):
                raise ArenaDBError(f"request {rid} is already {current}")
            _finish(conn, rid, state, reason, eid, time.time())

    def release_request(self, request_id: int, *, reason: str = "") -> None:
        """Put a running request back in the queue (its worker was stopped on purpose); the claim does not count
        as an attempt."""
        rid = _id(request_id, "request_id")
        with self._write() as conn:
            current = _request_state(conn, rid)
            if current != "running":
                raise ArenaDBError(f"request {rid} is {current}, not running; only a running request is released")
            conn.execute("UPDATE requests SET state = 'pending', worker = NULL, claimed = NULL, "
                         "attempts = MAX(attempts - 1, 0), reason = ? WHERE id = ?",
                         (_text(reason, "reason", cut=True, limit=MAX_REASON), rid))

    def requests(self, state: str | None = None) -> list[dict[str, Any]]:
        """Requests (oldest first), all or those in one state."""
        if state is None:
            return [dict(r) for r in self._read("SELECT * FROM requests ORDER BY id")]
        if state not in REQUEST_STATES:
            raise ArenaDBError(f"unknown request state {state!r}; expected one of {REQUEST_STATES}")
        return [dict(r) for r in self._read("SELECT * FROM requests WHERE state = ? ORDER BY id", (state,))]


# ------------------------------------------------------------------------------------------------ helpers
def _text(value: Any, what: str, *, cut: bool = False, limit: int = MAX_TEXT) -> str:
    if not isinstance(value, str):
        raise ArenaDBError(f"{what} must be text, got {type(value).__name__}")
    if len(value) > limit:
        if not cut:
            raise ArenaDBError(f"{what} is longer than {limit} characters")
        return value[: limit - 1] + "…"
    return value


def _id(value: Any, what: str) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or value < 1:
        raise ArenaDBError(f"{what} must be a positive integer id, got {value!r}")
    return value


def _opt_id(value: Any, what: str) -> int | None:
    return None if value is None else _id(value, what)


def _entry_values(entry: Entry) -> dict[str, Any]:
    """The entries-table columns of ``entry`` (checked, so a bad entry fails before any write)."""
    if not isinstance(entry, Entry):
        raise ArenaDBError(f"expected a leaderboard Entry, got {type(entry).__name__}")
    if not isinstance(entry.model, str) or not entry.model or not isinstance(entry.clu2_version, str) \
            or not entry.clu2_version:
        raise ArenaDBError("an entry needs its model name and CLU2 version")
    try:
        games = json.dumps(dict(entry.games), sort_keys=True, allow_nan=False)
    except (TypeError, ValueError) as exc:
        raise ArenaDBError(f"an entry's per-game scores must be finite numbers or null: {exc}") from exc
    values: dict[str, Any] = {
        "model": entry.model, "clu2_version": entry.clu2_version,
        "registry_fingerprint": entry.registry_fingerprint, "base_model": entry.base_model, "games": games,
        "reference_verified": int(bool(entry.reference_verified)), "n_episodes": int(entry.n_episodes),
        "invalid_records": int(entry.invalid_records), "missing_episodes": int(entry.missing_episodes),
        "source": entry.source, "content_hash": entry.content_hash, "plan": entry.plan,
    }
    for name in _INTERVALS:
        interval: Interval | None = getattr(entry, name)
        for part in ("score", "lo", "hi"):
            values[f"{name}_{part}"] = getattr(interval, part) if interval is not None else None
    return values


def _insert_entry(conn: sqlite3.Connection, values: dict[str, Any], submission_id: int | None,
                  request_id: int | None) -> int:
    cols = {"created": time.time(), **values, "submission_id": submission_id, "request_id": request_id}
    sql = f"INSERT INTO entries ({', '.join(cols)}) VALUES ({', '.join('?' for _ in cols)})"
    return int(conn.execute(sql, tuple(cols.values())).lastrowid or 0)


def _audit(conn: sqlite3.Connection, visitor: str, action: str, outcome: str, detail: str, *,
           request_id: int | None = None) -> None:
    conn.execute("INSERT INTO audit (created, visitor, action, outcome, detail, submission_id, request_id) "
                 "VALUES (?, ?, ?, ?, ?, NULL, ?)", (time.time(), visitor, action, outcome, detail, request_id))


def _request_state(conn: sqlite3.Connection, request_id: int) -> str:
    row = conn.execute("SELECT state FROM requests WHERE id = ?", (request_id,)).fetchone()
    if row is None:
        raise ArenaDBError(f"there is no request {request_id}")
    return str(row["state"])


def _finish(conn: sqlite3.Connection, request_id: int, state: str, reason: str, entry_id: int | None,
            now: float) -> None:
    conn.execute("UPDATE requests SET state = ?, reason = ?, entry_id = ?, finished = ? WHERE id = ?",
                 (state, reason, entry_id, now, request_id))


def _duplicate_message(model: str, revision: str, base: str) -> str:
    what = model + (f"@{revision}" if revision else "") + (f" with base {base}" if base else "")
    return f"{what} is already queued or being evaluated; its result will appear on the leaderboard"


# ---------------------------------------------------------------------------------------- request specs
#: Specs a visitor may ask the worker to run: anything else would run visitor-chosen code (agent:, scripted:
#: files), reach visitor-chosen servers (openai:) or wait for a human at the worker's terminal.
ACCEPTED_SPECS = "a Hub id org/name, hf:ID_OR_PATH, nano or tiny"
MAX_SPEC = 200
# A Hub repo id: namespace/name, each of letters, digits, '-', '_', '.', starting and ending with a letter or digit
# (or '_'), without '--' or '..'.
_HUB_PART = r"[A-Za-z0-9_](?:[A-Za-z0-9_.\-]{0,94}[A-Za-z0-9_])?"
_HUB_ID = re.compile(rf"(?!.*(?:--|\.\.)){_HUB_PART}/{_HUB_PART}")
_REVISION = re.compile(r"[\w.\-/]{1,100}", re.ASCII)


def _model_spec(text: Any, what: str) -> tuple[str, str]:
    """``(spec, revision)`` of a model a visitor asked for, normalised (``hf:`` prefixed); raises
    :class:`InvalidRequestError` with the accepted forms for anything the worker must not run."""
    if not isinstance(text, str):
        raise InvalidRequestError(f"the {what} must be text, got {type(text).__name__}")
    spec = text.strip()
    if not spec:
        raise InvalidRequestError(f"the {what} is empty; give {ACCEPTED_SPECS}")
    if len(spec) > MAX_SPEC:
        raise InvalidRequestError(f"the {what} is longer than {MAX_SPEC} characters")
    if any(c.isspace() or unicodedata.category(c).startswith("C") for c in spec):
        raise InvalidRequestError(f"the {what} {spec!r} contains spaces or control characters; give {ACCEPTED_SPECS}")
    if spec in ("nano", "tiny"):
        return spec, ""
    if ":" not in spec:
        if not _HUB_ID.fullmatch(spec.partition("@")[0]):
            raise InvalidRequestError(f"the {what} {spec!r} is not a Hub model id (org/name); give {ACCEPTED_SPECS}")
        spec = "hf:" + spec  # a bare Hub id
    try:
        parsed = parse_spec(spec)
    except SpecError as exc:
        raise InvalidRequestError(f"the {what} {text.strip()!r} is not a model spec; give {ACCEPTED_SPECS}") from exc
    if parsed.kind != "hf":
        raise InvalidRequestError(f"the {what} {spec!r} is a {parsed.kind} spec, which the evaluation worker does "
                                  f"not run for visitors; give {ACCEPTED_SPECS}")
    target = parsed.target
    is_path = target.startswith(("/", "./", "../", "~"))
    if not is_path and not _HUB_ID.fullmatch(target):
        raise InvalidRequestError(f"the {what} {target!r} is not a Hub model id (org/name, letters, digits, "
                                  "'-', '_' and '.')")
    return f"hf:{target}", parsed.revision or ""


def _request_model(model: Any, revision: Any) -> tuple[str, str]:
    """The requested learner and its revision (given apart, or as ``model@revision``), checked so that the
    worker's ``--learner model@revision`` reads back the same two."""
    spec, in_spec = _model_spec(model, "model")
    revision = _text(revision, "revision", cut=False, limit=MAX_SPEC).strip()
    if in_spec and revision and in_spec != revision:
        raise InvalidRequestError(f"the model names revision {in_spec!r} and the revision field {revision!r}; "
                                  "give one")
    revision = revision or in_spec
    if not revision:
        return spec, ""
    if spec in ("nano", "tiny"):
        raise InvalidRequestError(f"{spec} is the embedded model; it has no revisions")
    if not _REVISION.fullmatch(revision):
        raise InvalidRequestError(f"the revision {revision!r} is not a branch, tag or commit (letters, digits, "
                                  "'.', '-', '_' and '/', at most 100)")
    if parse_spec(f"{spec}@{revision}").revision != revision:
        raise InvalidRequestError(f"the revision {revision!r} cannot be passed to the evaluation (a revision "
                                  "with '/' reads as part of the model path); use the commit hash")
    return spec, revision
