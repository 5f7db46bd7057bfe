"""The arena app end to end through ``gradio_client``, against a launched server (the endpoints the page uses):
a full game, a results upload that lands with the numbers ``playschool eval`` printed, a tampered upload that is
re-scored, 50+ hostile uploads rejected with the database unchanged, 20 concurrent uploads that all land, and a
model request that goes through the queue and the worker to a verified row."""

from __future__ import annotations

import csv
import json
import sqlite3
import threading
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("gradio")
gradio_client = pytest.importorskip("gradio_client")

from arena_fixtures import GAMES, N, run_eval, variant, zip_output  # noqa: E402

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def eval_out(tiny_model_path: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    from playschool.tiny import build_tiny_model

    base = build_tiny_model(tmp_path_factory.mktemp("tiny-base"), seed=1)
    return run_eval(tiny_model_path, base, tmp_path_factory.mktemp("eval") / "out")


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory, eval_out: Path) -> Iterator[tuple[str, Any]]:
    from playschool.arena import ArenaConfig
    from playschool.arena.launch import launch

    config = ArenaConfig(db_path=tmp_path_factory.mktemp("arena") / "arena.db", games=GAMES, n=N,
                         n_boot=1000, submissions_per_hour=10_000, max_upload_bytes=2 * 2**20,
                         max_unpacked_bytes=8 * 2**20, watch_models=("tiny",), transcripts=(eval_out,))
    app, arena, url = launch(config, port=None, block=False)
    yield url, arena
    app.close()
    arena.close()


def client(url: str) -> Any:
    return gradio_client.Client(url, verbose=False)


def counts(arena: Any) -> dict[str, int]:
    return {k: v for k, v in arena.db.counts().items() if k in ("entries", "submissions")}


def leaderboard_csv(c: Any) -> list[dict[str, str]]:
    _, csv_path, _ = c.predict(None, "", False, api_name="/leaderboard")
    with open(csv_path, encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


# ------------------------------------------------------------------------------------------------ play
def _chat_text(chat: list[dict[str, Any]]) -> str:
    parts = []
    for m in chat:
        content = m.get("content")
        if isinstance(content, list):  # Gradio 6: a list of parts
            parts += [p.get("text", "") for p in content if isinstance(p, dict)]
        else:
            parts.append(str(content))
    return "\n".join(parts)


def test_a_full_game_through_the_api(server: tuple[str, Any]) -> None:
    """Taboo as the guesser: the moves are the ones the game's own reference player makes on the same instance,
    so the game ends in success; a bad move first draws a correction."""
    from play_moves import reference_moves

    url, arena = server
    c = client(url)
    chat, status = c.predict("taboo", "guesser", 3, api_name="/new_game")
    assert "Your move" in status and chat, status
    instance_id = status.split("instance `")[1].split("`")[0]
    chat, status, box = c.predict("", api_name="/send")
    assert "correction" in _chat_text(chat).lower()
    for move in reference_moves("taboo", "guesser", instance_id, arena):
        chat, status, box = c.predict(move, api_name="/send")
        if "Game over" in status:
            break
    assert "Game over — success" in status, status
    assert "100/100" in status or "score" in status
    # A second client is another visitor: its game is its own.
    other = client(url)
    _, other_status = other.predict("wordle", "guesser", 1, api_name="/new_game")
    assert "wordle" in other_status
    _, status_again, _ = c.predict("anything", api_name="/send")
    assert "taboo" in status_again


def test_watch_streams_one_update_per_turn(server: tuple[str, Any]) -> None:
    url, _ = server
    job = client(url).submit("tiny", "taboo", "guesser", 0, api_name="/watch")
    updates = list(job)
    assert len(updates) >= 3  # the loading line, then at least the first turn and the end
    chats = [u[0] for u in updates]
    assert [len(c) for c in chats] == sorted(len(c) for c in chats)  # the conversation only grows
    assert "Game over" in updates[-1][1]


def test_transcripts_browse_and_render(server: tuple[str, Any]) -> None:
    url, _ = server
    c = client(url)
    table, keys = c.predict("", "", "", "", api_name="/browse")
    assert table["data"] and keys["choices"] if isinstance(keys, dict) else table
    key = table["data"][0][0]
    chat, turns = c.predict(key, api_name="/show")
    assert chat and turns["data"]


# ------------------------------------------------------------------------------------------ submissions
def _scorecard_numbers(results: dict[str, Any]) -> dict[str, float | None]:
    card, imp = results["scorecard"], results["improvement"]
    dims = card["dimensions"]
    return {
        "understanding": dims["understanding_reasoning"]["score"],
        "collab": dims["collaborative_language_use"]["score"],
        "overall": card["overall"]["score"],
        "delta_collab": imp["dimensions"]["collaborative_language_use"]["delta"],
    }


def _num(row: dict[str, str], name: str) -> float | None:
    return float(row[name]) if row.get(name) not in ("", None) else None


def test_valid_submission_lands_with_the_numbers_of_playschool_eval(server: tuple[str, Any], eval_out: Path,
                                                                    tmp_path: Path) -> None:
    url, arena = server
    c = client(url)
    upload = zip_output(eval_out, tmp_path / "run.zip")
    message = c.predict([gradio_client.handle_file(str(upload))], "tiny-valid", api_name="/submit")
    assert "Accepted" in message, message
    rows = [r for r in leaderboard_csv(c) if r["model"] == "tiny-valid"]
    assert len(rows) == 1
    expected = _scorecard_numbers(json.loads((eval_out / "results.json").read_text()))
    row = rows[0]
    got = {"understanding": _num(row, "understanding & reasoning"),
           "collab": _num(row, "collaborative language use"),
           "overall": _num(row, "overall"),
           "delta_collab": _num(row, "Δ collab vs base")}
    for k, v in expected.items():
        assert got[k] == pytest.approx(v, abs=0.051), (k, got, expected)
    # The same upload again is a duplicate and changes nothing.
    before = counts(arena)
    again = c.predict([gradio_client.handle_file(str(upload))], "tiny-valid", api_name="/submit")
    assert "Rejected" in again and "already submitted" in again
    assert counts(arena) == before


def test_tampered_scores_are_rescored_never_shown_as_submitted(server: tuple[str, Any], eval_out: Path,
                                                               tmp_path: Path) -> None:
    url, arena = server
    c = client(url)
    forged = tmp_path / "forged"
    for member in ("results.json", "interactional/records.jsonl", "base/interactional/records.jsonl"):
        (forged / member).parent.mkdir(parents=True, exist_ok=True)
        (forged / member).write_bytes((eval_out / member).read_bytes())
    records = [json.loads(line) for line in (forged / "interactional/records.jsonl").read_text().splitlines()]
    for r in records:
        r["scores"] = {k: 100.0 for k in r["scores"]}
        r["outcome"] = "success"
    (forged / "interactional/records.jsonl").write_text("".join(json.dumps(r) + "\n" for r in records))
    results = json.loads((forged / "results.json").read_text())
    results["scorecard"]["dimensions"]["collaborative_language_use"]["score"] = 99.9
    results["scorecard"]["overall"]["score"] = 99.9
    (forged / "results.json").write_text(json.dumps(results))
    message = c.predict([gradio_client.handle_file(str(zip_output(forged, tmp_path / "forged.zip")))],
                        "tiny-forged", api_name="/submit")
    rows = [r for r in leaderboard_csv(c) if r["model"] == "tiny-forged"]
    if "Accepted" in message:
        assert "re-scored" in message.lower()
        assert len(rows) == 1
        assert _num(rows[0], "collaborative language use") != pytest.approx(99.9)
        assert _num(rows[0], "overall") != pytest.approx(99.9)
        genuine = _scorecard_numbers(json.loads((eval_out / "results.json").read_text()))
        assert _num(rows[0], "collaborative language use") <= genuine["collab"] + 1e-6
    else:
        assert "Rejected" in message and not rows


def test_hostile_uploads_are_rejected_and_change_nothing(server: tuple[str, Any], eval_out: Path,
                                                         tmp_path: Path) -> None:
    from arena_hostile import hostile_uploads

    url, arena = server
    c = client(url)
    cases = hostile_uploads(tmp_path, eval_out, arena.config)
    assert len(cases) >= 50
    before = counts(arena)
    audit_before = arena.db.counts().get("audit", 0)
    refused_by_server = 0
    for label, paths in cases:
        try:
            message = c.predict([gradio_client.handle_file(str(p)) for p in paths], f"hostile {label}",
                                api_name="/submit")
        except Exception as exc:  # the server's own upload limit refuses a file over max_upload_bytes
            assert "size" in str(exc).lower() or "large" in str(exc).lower(), (label, exc)
            refused_by_server += 1
            continue
        assert message.startswith("❌ **Rejected.**"), (label, message)
        assert len(message) > len("❌ **Rejected.** ") + 10, (label, message)  # says why
        assert "Traceback" not in message
    assert counts(arena) == before
    assert arena.db.counts().get("audit", 0) >= audit_before + len(cases) - refused_by_server
    assert not any(r["model"].startswith("hostile") for r in leaderboard_csv(c))


def test_twenty_concurrent_submissions_all_land(server: tuple[str, Any], eval_out: Path, tmp_path: Path) -> None:
    url, arena = server
    uploads = [variant(eval_out, tmp_path / f"v{k}.zip", k) for k in range(20)]
    before = counts(arena)
    messages: list[str] = [""] * 20

    def go(k: int) -> None:
        messages[k] = client(url).predict([gradio_client.handle_file(str(uploads[k]))], f"concurrent-{k}",
                                          api_name="/submit")

    threads = [threading.Thread(target=go, args=(k,)) for k in range(20)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert all("Accepted" in m for m in messages), messages
    after = counts(arena)
    assert after["entries"] == before["entries"] + 20 and after["submissions"] == before["submissions"] + 20
    models = {r["model"] for r in leaderboard_csv(client(url))}
    assert {f"concurrent-{k}" for k in range(20)} <= models


def test_model_request_goes_through_the_queue_to_a_verified_row(server: tuple[str, Any],
                                                                tiny_model_path: Path) -> None:
    from playschool.arena.worker import run_worker

    url, arena = server
    c = client(url)
    message, _ = c.predict(f"hf:{tiny_model_path}", "", f"hf:{tiny_model_path}", api_name="/request_model")
    assert "queued" in message, message
    bad, _ = c.predict("agent:os:system", "", "nano", api_name="/request_model")
    assert "❌" in bad
    config = replace(arena.config, worker_eval_args=("--limit", "2", "--device", "cpu", "--quiet"))
    assert run_worker(config, worker_id="test-worker", once=True, poll_s=0.1) == 0
    queue = c.predict(api_name="/queue")
    states = {row[4] for row in queue["data"]}
    assert "done" in states and "pending" not in states, queue
    rows = [r for r in leaderboard_csv(c) if str(tiny_model_path) in r["model"]]
    assert len(rows) == 1
    assert rows[0]["verified"] in ("✓", "True", "true", "1", "yes"), rows[0]
    with sqlite3.connect(arena.config.db_path) as db:
        done = db.execute("SELECT COUNT(*) FROM requests WHERE state = 'done' AND entry_id IS NOT NULL").fetchone()
    assert done[0] == 1
