"""The arena's database and leaderboard: schema and migrations, atomic writes under threads and processes, the
rate limit, request validation and the queue, and leaderboard rows that never mix CLU2 versions."""

from __future__ import annotations

import csv
import io
import multiprocessing
import sqlite3
import threading
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from matplotlib.figure import Figure
from playschool.arena import db as db_module
from playschool.arena.db import (
    MAX_ATTEMPTS,
    MIGRATIONS,
    ArenaDB,
    ArenaDBError,
    DuplicateRequestError,
    DuplicateSubmissionError,
    InvalidRequestError,
)
from playschool.arena.entry import Entry, Interval
from playschool.arena.leaderboard import (
    COLLAB,
    DELTA,
    OVERALL,
    RANK,
    SELF_REPORTED,
    VERIFIED,
    VERIFIED_MARK,
    plot,
    rows,
    to_csv,
    versions,
)
from playschool.benchmark import CLU2_VERSION


def make_entry(model: str = "org/model", *, overall: float | None = 50.0, collab: float | None = 40.0,
               understanding: float | None = 60.0, version: str = CLU2_VERSION, verified: bool = False,
               games: dict[str, float | None] | None = None, delta: Interval | None = None,
               base: str | None = None, content_hash: str = "") -> Entry:
    def iv(x: float | None) -> Interval:
        return Interval(x, None if x is None else x - 5, None if x is None else x + 5)

    return Entry(model=model, clu2_version=version, registry_fingerprint="f" * 64, understanding=iv(understanding),
                 collab=iv(collab), overall=iv(overall), delta_collab=delta, base_model=base,
                 games=games if games is not None else {"game/taboo/describer": 12.5},
                 reference_verified=verified, n_episodes=6, invalid_records=1, missing_episodes=2,
                 content_hash=content_hash)


@pytest.fixture
def db(tmp_path: Path):
    with ArenaDB(tmp_path / "arena.db") as d:
        yield d


# ------------------------------------------------------------------------------------------ schema
def test_fresh_database_has_the_schema_in_wal_mode(tmp_path: Path) -> None:
    path = tmp_path / "sub" / "arena.db"  # the folder is created too
    with ArenaDB(path) as d:
        assert d.counts() == {"submissions": 0, "entries": 0, "audit": 0, "requests": 0, "rate_events": 0}
        assert d.schema_version == len(MIGRATIONS)
    raw = sqlite3.connect(path)
    assert raw.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert raw.execute("PRAGMA user_version").fetchone()[0] == len(MIGRATIONS)
    raw.close()


def test_reopening_keeps_the_data(tmp_path: Path) -> None:
    with ArenaDB(tmp_path / "a.db") as d:
        d.add_entry(make_entry())
        d.add_request(model="org/m", revision="", base="", visitor="v")
    with ArenaDB(tmp_path / "a.db") as d:
        assert d.counts()["entries"] == 1 and d.counts()["requests"] == 1
        assert d.entries()[0]["model"] == "org/model"


def test_a_newer_schema_is_refused_and_left_alone(tmp_path: Path) -> None:
    path = tmp_path / "a.db"
    ArenaDB(path).close()
    raw = sqlite3.connect(path)
    raw.execute("PRAGMA user_version = 99")
    raw.close()
    with pytest.raises(ArenaDBError, match="version 99, newer"):
        ArenaDB(path)
    raw = sqlite3.connect(path)
    assert raw.execute("PRAGMA user_version").fetchone()[0] == 99
    raw.close()


def test_migration_applies_only_the_new_steps_and_keeps_rows(tmp_path: Path,
                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "a.db"
    with ArenaDB(path) as d:
        d.add_entry(make_entry("kept"))
    # A later release appends a step; the v1 file must gain it without its first step running again
    # (re-running CREATE TABLE would fail) and without losing rows.
    monkeypatch.setattr(db_module, "MIGRATIONS", (*MIGRATIONS, ("CREATE TABLE notes (x TEXT)",)))
    with ArenaDB(path) as d:
        assert d.schema_version == len(MIGRATIONS) + 1
        assert [e["model"] for e in d.entries()] == ["kept"]
    raw = sqlite3.connect(path)
    assert raw.execute("SELECT COUNT(*) FROM sqlite_master WHERE name = 'notes'").fetchone()[0] == 1
    raw.close()


def test_a_version_1_database_gains_the_plan_column_and_keeps_its_entries(tmp_path: Path,
                                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    """A file written before entries carried their plan (schema 1) opens under schema 2: rows kept, plan ''."""
    path = tmp_path / "v1.db"
    monkeypatch.setattr(db_module, "MIGRATIONS", MIGRATIONS[:1])
    with ArenaDB(path) as d:
        assert d.schema_version == 1
    raw = sqlite3.connect(path)  # a row as schema 1 wrote it (no plan column to fill)
    raw.execute("INSERT INTO entries (created, model, clu2_version, registry_fingerprint, games, reference_verified, "
                "n_episodes, invalid_records, missing_episodes, source, content_hash) "
                "VALUES (0, 'old', ?, 'f', '{}', 0, 0, 0, 0, 'upload', '')", (CLU2_VERSION,))
    raw.commit()
    raw.close()
    monkeypatch.setattr(db_module, "MIGRATIONS", MIGRATIONS)
    with ArenaDB(path) as d:
        assert d.schema_version == 2
        d.add_entry(replace(make_entry("new"), plan="games=taboo;n=1;instance_seed=0"))
        assert [(e["model"], e["plan"]) for e in d.entries()] == [("old", ""),
                                                                  ("new", "games=taboo;n=1;instance_seed=0")]


def test_entries_of_different_plans_are_never_ranked_together(db: ArenaDB) -> None:
    db.add_entry(replace(make_entry("a", overall=10.0), plan="games=all;n=split;instance_seed=0"))
    db.add_entry(replace(make_entry("b", overall=90.0), plan="games=taboo;n=1;instance_seed=0"))
    board = rows(db, plan="games=all;n=split;instance_seed=0")
    assert [(r["model"], r[RANK]) for r in board] == [("a", 1)]
    assert {r["model"] for r in rows(db)} == {"a", "b"}  # no plan asked: every entry of the version


def test_files_that_are_not_arena_databases_are_refused_unchanged(tmp_path: Path) -> None:
    junk = tmp_path / "junk.db"
    junk.write_bytes(b"this is not sqlite" * 100)
    with pytest.raises(ArenaDBError, match="cannot be used as the arena database"):
        ArenaDB(junk)
    assert junk.read_bytes() == b"this is not sqlite" * 100
    other = tmp_path / "other.db"
    raw = sqlite3.connect(other)
    raw.execute("CREATE TABLE users (name TEXT)")
    raw.commit()
    raw.close()
    with pytest.raises(ArenaDBError, match="not an arena database"):
        ArenaDB(other)


def test_a_closed_database_says_so(tmp_path: Path) -> None:
    d = ArenaDB(tmp_path / "a.db")
    d.close()
    d.close()  # idempotent
    with pytest.raises(ArenaDBError, match="closed"):
        d.counts()


# ------------------------------------------------------------------------------------- submissions
def test_entries_store_every_field(db: ArenaDB) -> None:
    delta = Interval(3.5, -1.0, 8.25)
    eid = db.add_entry(make_entry("a", verified=True, delta=delta, base="org/base", content_hash="h1",
                                  games={"game/taboo/guesser": None, "game/wordle/guesser": 7.0}))
    db.add_entry(make_entry("b", overall=None))
    a, b = db.entries()
    assert a["id"] == eid and isinstance(a["created"], float)
    assert (a["overall_score"], a["overall_lo"], a["overall_hi"]) == (50.0, 45.0, 55.0)
    assert (a["delta_collab_score"], a["delta_collab_lo"], a["delta_collab_hi"]) == (3.5, -1.0, 8.25)
    assert a["games"] == {"game/taboo/guesser": None, "game/wordle/guesser": 7.0}
    assert a["verified"] is True and a["reference_verified"] is True and a["base_model"] == "org/base"
    assert (a["n_episodes"], a["invalid_records"], a["missing_episodes"]) == (6, 1, 2)
    assert a["content_hash"] == "h1" and a["source"] == "upload"
    assert b["overall_score"] is None and b["delta_collab_score"] is None and b["verified"] is False


def test_a_bad_entry_is_refused_before_any_write(db: ArenaDB) -> None:
    with pytest.raises(ArenaDBError, match="finite"):
        db.add_entry(make_entry(games={"game/taboo/guesser": float("nan")}))
    with pytest.raises(ArenaDBError, match="Entry"):
        db.add_entry({"model": "x"})
    with pytest.raises(ArenaDBError, match="request"):
        db.add_entry(make_entry(), request_id=12345)  # no such request
    assert db.counts()["entries"] == 0


def test_record_accepted_stores_both_and_refuses_a_duplicate(db: ArenaDB) -> None:
    sid, eid = db.record_accepted(content_hash="abc", visitor="v", filename="run.zip", size=10, entry=make_entry())
    assert db.entries()[0]["submission_id"] == sid and db.entries()[0]["id"] == eid
    assert db.is_duplicate("abc") and not db.is_duplicate("abd")
    before = db.counts()
    with pytest.raises(DuplicateSubmissionError, match="already submitted"):
        db.record_accepted(content_hash="abc", visitor="w", filename="again.zip", size=10, entry=make_entry())
    assert db.counts() == before


def test_record_accepted_is_one_transaction(db: ArenaDB, monkeypatch: pytest.MonkeyPatch) -> None:
    def fail(*args: object) -> int:
        raise sqlite3.OperationalError("disk I/O error")

    monkeypatch.setattr(db_module, "_insert_entry", fail)
    with pytest.raises(sqlite3.OperationalError):
        db.record_accepted(content_hash="abc", visitor="v", filename="f", size=1, entry=make_entry())
    assert db.counts()["submissions"] == 0  # the submission row was rolled back with the failed entry
    assert not db.is_duplicate("abc")


def test_concurrent_threads_all_land(db: ArenaDB) -> None:
    errors: list[BaseException] = []

    def submit(i: int) -> None:
        try:
            db.record_accepted(content_hash=f"h{i}", visitor=f"v{i}", filename="f", size=i, entry=make_entry(f"m{i}"))
        except BaseException as exc:  # collected: an exception in a thread would otherwise vanish
            errors.append(exc)

    threads = [threading.Thread(target=submit, args=(i,)) for i in range(20)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert db.counts()["entries"] == 20 and db.counts()["submissions"] == 20
    assert sorted(e["model"] for e in db.entries()) == sorted(f"m{i}" for i in range(20))


def _writer(path: str, tag: str, n: int, start: Any) -> None:
    with ArenaDB(path) as d:
        start.wait(60)  # both processes write in the same moment, not one after the other
        for i in range(n):
            d.add_entry(make_entry(f"{tag}{i}"))
            d.allow("shared", "submit", 30)
            claimed = d.claim_request(tag)
            if claimed is not None:
                d.audit(visitor=tag, action="claimed", outcome="ok", request_id=claimed["id"])


def test_two_processes_writing_at_once_lose_nothing(tmp_path: Path) -> None:
    path = str(tmp_path / "a.db")
    with ArenaDB(path) as d:
        queued = {d.add_request(model=f"org/m{i}", revision="", base="", visitor="v") for i in range(80)}
    ctx = multiprocessing.get_context("spawn")  # a fresh interpreter each: no connection inherited by fork
    start = ctx.Barrier(2)
    procs = [ctx.Process(target=_writer, args=(path, tag, 60, start)) for tag in ("p", "q")]
    for p in procs:
        p.start()
    for p in procs:
        p.join(120)
    assert [p.exitcode for p in procs] == [0, 0]
    with ArenaDB(path) as d:
        assert d.counts()["entries"] == 120
        # 120 attempts against a shared limit of 30: exactly 30 were let through across both processes.
        assert d.counts()["rate_events"] == 30
        # 120 claims on 80 requests: each request claimed by exactly one process.
        claims = [r["request_id"] for r in d.audit_rows(1000) if r["action"] == "claimed"]
        assert sorted(claims) == sorted(queued)
        assert {r["worker"] for r in d.requests("running")} == {"p", "q"}


# ------------------------------------------------------------------------------------------ audit
def test_audit_rows_newest_first_and_long_details_cut(db: ArenaDB) -> None:
    db.audit(visitor="v", action="submit", outcome="rejected", detail="x" * 10_000)
    db.audit(visitor="v", action="request", outcome="queued", request_id=None)
    rows_ = db.audit_rows()
    assert [r["action"] for r in rows_] == ["request", "submit"]
    assert len(rows_[1]["detail"]) == db_module.MAX_REASON and rows_[1]["detail"].endswith("…")
    assert len(db.audit_rows(limit=1)) == 1


# ------------------------------------------------------------------------------------- rate limit
def test_rate_limit_is_a_sliding_hour_per_visitor_and_action(db: ArenaDB) -> None:
    t = 1_000_000.0
    assert [db.allow("v", "submit", 3, now=t + i) for i in range(4)] == [True, True, True, False]
    assert db.allow("w", "submit", 3, now=t + 5)  # another visitor
    assert db.allow("v", "request", 3, now=t + 5)  # another action
    assert not db.allow("v", "submit", 3, now=t + 3599)  # the first event is still inside the hour
    assert db.allow("v", "submit", 3, now=t + 3600.5)  # the first event left the window
    assert not db.allow("v", "submit", 0, now=t)
    with pytest.raises(ArenaDBError, match="non-negative"):
        db.allow("v", "submit", -1)


# --------------------------------------------------------------------------------------- requests
@pytest.mark.parametrize(("model", "message"), [
    ("agent:os:system", "agent spec"),
    ("scripted:/etc/passwd", "scripted spec"),
    ("openai:gpt@http://10.0.0.1/v1", "openai spec"),
    ("human", "not a Hub model id"),
    ("teacher", "not a Hub model id"),
    ("../models/x", "not a Hub model id"),
    ("hf:gpt2", "not a Hub model id"),
    ("org/na me", "spaces or control"),
    ("org/name\x00", "spaces or control"),
    ("org/\u200bname", "spaces or control"),
    ("org/" + "a" * 200, "longer than 200"),
    ("", "empty"),
    ("hf:", "not a model spec"),
    ("org--x/name", "not a Hub model id"),
])
def test_requests_for_specs_the_worker_must_not_run_are_refused(db: ArenaDB, model: str, message: str) -> None:
    with pytest.raises(InvalidRequestError, match=message):
        db.add_request(model=model, revision="", base="", visitor="v")
    if model:  # an empty base means "no base model"
        with pytest.raises(InvalidRequestError, match=message):
            db.add_request(model="org/ok", revision="", base=model, visitor="v")
    assert db.counts()["requests"] == 0


@pytest.mark.parametrize(("revision", "message"), [
    ("bad rev", "not a branch"), ("x" * 101, "not a branch"), ("refs/pr/1", "commit hash"), ("a;b", "not a branch"),
])
def test_malformed_revisions_are_refused(db: ArenaDB, revision: str, message: str) -> None:
    with pytest.raises(InvalidRequestError, match=message):
        db.add_request(model="org/m", revision=revision, base="", visitor="v")
    assert db.counts()["requests"] == 0


def test_accepted_requests_are_normalised(db: ArenaDB) -> None:
    db.add_request(model="org/m", revision="", base="", visitor="v")
    db.add_request(model=" hf:org/m2 ", revision="v1.0", base="nano", visitor="v")
    db.add_request(model="org/m3@main", revision="", base="hf:org/base@abc123", visitor="v")
    db.add_request(model="hf:/srv/models/mine", revision="", base="tiny", visitor="v")
    got = [(r["model"], r["revision"], r["base"], r["state"]) for r in db.requests()]
    assert got == [("hf:org/m", "", "", "pending"), ("hf:org/m2", "v1.0", "nano", "pending"),
                   ("hf:org/m3", "main", "hf:org/base@abc123", "pending"),
                   ("hf:/srv/models/mine", "", "tiny", "pending")]
    with pytest.raises(InvalidRequestError, match="give one"):
        db.add_request(model="org/m4@a", revision="b", base="", visitor="v")
    with pytest.raises(InvalidRequestError, match="no revisions"):
        db.add_request(model="nano", revision="main", base="", visitor="v")


def test_the_same_active_request_is_refused_until_it_finishes(db: ArenaDB) -> None:
    rid = db.add_request(model="org/m", revision="", base="nano", visitor="v")
    with pytest.raises(DuplicateRequestError, match="already queued"):
        db.add_request(model="hf:org/m", revision="", base="nano", visitor="w")
    db.add_request(model="org/m", revision="", base="tiny", visitor="w")  # another base: another request
    claimed = db.claim_request("w1")
    assert claimed is not None and claimed["id"] == rid
    with pytest.raises(DuplicateRequestError):
        db.add_request(model="org/m", revision="", base="nano", visitor="w")
    db.finish_request(rid, state="failed", reason="boom")
    assert db.add_request(model="org/m", revision="", base="nano", visitor="w") > rid


def test_claims_are_atomic_under_threads(db: ArenaDB) -> None:
    ids = {db.add_request(model=f"org/m{i}", revision="", base="", visitor="v") for i in range(30)}
    claimed: list[int] = []
    lock = threading.Lock()

    def work(name: str) -> None:
        while (req := db.claim_request(name)) is not None:
            with lock:
                claimed.append(req["id"])

    threads = [threading.Thread(target=work, args=(f"w{i}",)) for i in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(claimed) == sorted(ids)  # each exactly once
    assert {r["state"] for r in db.requests()} == {"running"}


def test_stale_claims_are_taken_over_then_given_up(db: ArenaDB) -> None:
    t = 1_000_000.0
    rid = db.add_request(model="org/m", revision="", base="", visitor="v")
    first = db.claim_request("w1", now=t)
    assert first is not None and first["attempts"] == 1 and first["worker"] == "w1"
    assert db.claim_request("w2", stale_after_s=100, now=t + 50) is None  # still fresh
    again = db.claim_request("w2", stale_after_s=100, now=t + 101)
    assert again is not None and (again["id"], again["worker"], again["attempts"]) == (rid, "w2", 2)
    for n in range(3, MAX_ATTEMPTS + 1):
        assert db.claim_request("w3", stale_after_s=100, now=t + 101 * n) is not None
    assert db.claim_request("w4", stale_after_s=100, now=t + 10_000) is None
    (req,) = db.requests()
    assert req["state"] == "failed" and "gave up" in req["reason"]
    assert db.audit_rows()[0]["outcome"] == "failed"


def test_a_stale_claim_with_its_entry_is_finished_not_rerun(db: ArenaDB) -> None:
    rid = db.add_request(model="org/m", revision="", base="", visitor="v")
    assert db.claim_request("w1", now=0.0) is not None
    eid = db.add_entry(make_entry(), request_id=rid)  # the worker died right after storing its entry
    assert db.claim_request("w2", stale_after_s=10, now=100.0) is None
    (req,) = db.requests()
    assert (req["state"], req["entry_id"]) == ("done", eid)


def test_finish_and_release(db: ArenaDB) -> None:
    rid = db.add_request(model="org/m", revision="", base="", visitor="v")
    with pytest.raises(ArenaDBError, match="not running"):
        db.release_request(rid)
    assert db.claim_request("w") is not None
    db.release_request(rid, reason="stopped")
    (req,) = db.requests("pending")
    assert (req["worker"], req["attempts"], req["reason"]) == (None, 0, "stopped")
    with pytest.raises(ArenaDBError, match="'done' or 'failed'"):
        db.finish_request(rid, state="pending")
    with pytest.raises(ArenaDBError, match="no request 999"):
        db.finish_request(999, state="done")
    db.finish_request(rid, state="failed", reason="r" * 5000)
    (req,) = db.requests("failed")
    assert len(req["reason"]) == db_module.MAX_REASON and req["finished"] is not None
    with pytest.raises(ArenaDBError, match="already failed"):
        db.finish_request(rid, state="done")
    with pytest.raises(ArenaDBError, match="unknown request state"):
        db.requests("lost")


# ------------------------------------------------------------------------------------- leaderboard
def test_versions_are_never_ranked_together(db: ArenaDB) -> None:
    db.add_entry(make_entry("old-best", overall=99.0, version="0.1.0"))
    db.add_entry(make_entry("new", overall=40.0))
    db.add_entry(make_entry("newer", overall=45.0, version="0.10.0"))
    db.add_entry(make_entry("between", overall=45.0, version="0.9.0"))
    current = rows(db)
    assert [(r["model"], r[RANK]) for r in current] == [("new", 1)]
    assert [(r["model"], r[RANK]) for r in rows(db, clu2_version="0.1.0")] == [("old-best", 1)]
    assert CLU2_VERSION in versions(db)
    assert [v for v in versions(db) if v != CLU2_VERSION] == ["0.10.0", "0.9.0", "0.1.0"]  # numeric order
    assert rows(db, clu2_version="9.9.9") == []


def test_ranking_filters_and_columns(db: ArenaDB) -> None:
    db.add_entry(make_entry("Org/Alpha", overall=70.0, verified=True, delta=Interval(2.0, -1.0, 4.5), base="b0"))
    db.add_entry(make_entry("org/beta", overall=50.0, games={"game/wordle/guesser": 3.0}))
    db.add_entry(make_entry("org/gamma", overall=None))
    db.add_entry(make_entry("org/delta", overall=50.0, verified=True))
    db.add_entry(make_entry("org/top", overall=80.123))
    board = rows(db)
    assert [(r["model"], r[RANK]) for r in board] == [("org/top", 1), ("Org/Alpha", 2), ("org/beta", 3),
                                                       ("org/delta", 3), ("org/gamma", None)]
    top, alpha = board[0], board[1]
    assert top[OVERALL] == 80.1 and top[OVERALL + " 95% CI"] == "75.1–85.1"
    assert alpha[DELTA] == 2.0 and alpha[DELTA + " 95% CI"] == "-1.0–4.5" and alpha["base"] == "b0"
    assert top[DELTA] is None and top[DELTA + " 95% CI"] == ""
    assert alpha[VERIFIED] == VERIFIED_MARK and top[VERIFIED] == SELF_REPORTED
    assert top["game/taboo/describer"] == 12.5 and top["game/wordle/guesser"] is None
    assert (top["invalid records"], top["missing episodes"], top["CLU2 version"]) == (1, 2, CLU2_VERSION)
    # search picks rows (case-insensitive, model or base) and keeps their rank on the board
    assert [(r["model"], r[RANK]) for r in rows(db, search="ALPHA")] == [("Org/Alpha", 2)]
    assert [r["model"] for r in rows(db, search="b0")] == ["Org/Alpha"]
    # the verified board is ranked on its own
    assert [(r["model"], r[RANK]) for r in rows(db, verified_only=True)] == [("Org/Alpha", 1), ("org/delta", 2)]


def test_csv_parses_back_to_the_same_numbers(db: ArenaDB) -> None:
    db.add_entry(make_entry("a, \"quoted\"", overall=61.25, delta=Interval(-2.5, -4.0, 0.5), base="b"))
    db.add_entry(make_entry("b", overall=None, collab=None))
    board = rows(db)
    parsed = list(csv.DictReader(io.StringIO(to_csv(board))))
    assert list(parsed[0]) == list(board[0])  # header = the row keys, in order
    for shown, back in zip(board, parsed):
        assert back["model"] == shown["model"]
        for column in (RANK, OVERALL, COLLAB, DELTA, "game/taboo/describer", "invalid records"):
            value = shown[column]
            assert (back[column] == "") if value is None else float(back[column]) == value
    assert to_csv([]).startswith("rank,model,overall")


def test_plot_draws_bars_or_says_empty(db: ArenaDB) -> None:
    empty = plot(rows(db))
    assert isinstance(empty, Figure)
    assert any("no entries yet" in t.get_text() for t in empty.axes[0].texts)
    db.add_entry(make_entry("a"))
    db.add_entry(make_entry("b", collab=None))
    fig = plot(rows(db))
    assert isinstance(fig, Figure)
    ax = fig.axes[0]
    assert len(ax.patches) == 3  # two dimension bars for "a", one for "b" (its collab score is missing)
    assert [t.get_text() for t in ax.get_yticklabels()] == ["1. a", "1. b"]
    fig.canvas.draw()  # renders on Agg without a display
