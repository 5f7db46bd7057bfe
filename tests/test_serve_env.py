"""The environment server (``playschool serve-env``): the real app under uvicorn on a loopback port, played by the
clients. Whole episodes over HTTP and WebSocket give the runner's records for the same moves; 200 concurrent
scripted sessions all complete with those records; unknown sessions, malformed actions, a full server, a
disallowed partner and vanished clients get the answers the protocol promises."""

from __future__ import annotations

import asyncio
import contextlib
import json
import socket
import subprocess
import sys
import textwrap
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

uvicorn = pytest.importorskip("uvicorn")
pytest.importorskip("fastapi")

from playschool.games import EpisodeRecord, Instance, game_names, load_game  # noqa: E402

from playschool.backends.base import Conversation, Decoding, Reply  # noqa: E402
from playschool.envs.instances import instance_pool  # noqa: E402
from playschool.players import ReferencePlayer, ScriptedPlayer  # noqa: E402
from playschool.runner import EpisodeTask, Runner  # noqa: E402
from playschool.serve import (  # noqa: E402
    AsyncEnvClient,
    CapacityError,
    EnvClient,
    EnvServerError,
    ServerConfig,
    SessionTable,
    StepResult,
    UnknownSessionError,
    create_app,
)
from playschool.serve.app import KEEP_ALIVE_S, max_body_bytes  # noqa: E402
from playschool.serve.records import REPEATS_DIR  # noqa: E402
from playschool.store import iter_records  # noqa: E402

GARBAGE = ["", "\x00\x07 ünïcödé 😀 <|im_end|>", "x" * 9000]  # empty, hostile, longer than the game keeps


# ------------------------------------------------------------------------------------------------ the server
@dataclass
class Served:
    url: str
    records: Path
    config: ServerConfig


@pytest.fixture
def serve(tmp_path: Path) -> Iterator[Callable[..., Served]]:
    """Starts ``create_app(ServerConfig(...))`` under a real uvicorn server in a thread, on a free loopback port;
    every server started is stopped at teardown."""
    stops: list[Callable[[], None]] = []

    def start(**settings: Any) -> Served:
        records = tmp_path / f"records-{len(stops)}"
        config = ServerConfig(records=records, **settings)
        sock = socket.socket()
        sock.bind(("127.0.0.1", 0))
        server = uvicorn.Server(uvicorn.Config(create_app(config), log_level="warning",
                                               ws_max_size=max_body_bytes(config), timeout_keep_alive=KEEP_ALIVE_S))
        thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
        thread.start()
        deadline = time.monotonic() + 30
        while not server.started:
            assert thread.is_alive() and time.monotonic() < deadline, "the server did not start"
            time.sleep(0.01)

        def stop() -> None:
            server.should_exit = True
            thread.join(15)
            sock.close()

        stops.append(stop)
        return Served(f"http://127.0.0.1:{sock.getsockname()[1]}", records, config)

    yield start
    for stop in reversed(stops):
        stop()


def health(url: str) -> dict[str, Any]:
    return dict(httpx.get(f"{url}/health").json())


# --------------------------------------------------------------------------------------- what the runner writes
def reference_moves(tasks: Sequence[EpisodeTask]) -> dict[str, list[str]]:
    """Each task's moves by the game's reference player (one batched runner run), by episode key."""
    records = Runner({"learner": ReferencePlayer()}, concurrency=32, progress=False).run(list(tasks)).records
    return {r.key: [t.text for t in r.turns if t.kind == "move" and t.speaker == r.learner_role] for r in records}


def runner_record(task: EpisodeTask, moves: Sequence[str]) -> EpisodeRecord:
    """The record the runner writes when a scripted learner sends ``moves``, then empty replies."""
    todo = list(moves)
    player = ScriptedPlayer(lambda conversation: todo.pop(0) if todo else "")
    return Runner({"learner": player}, concurrency=1, progress=False).run([task]).records[0]


def comparable(record: dict[str, Any]) -> dict[str, Any]:
    """A record without what differs between a runner and an env by design: timing, manifest, token counts."""
    out = {k: v for k, v in record.items() if k not in ("timing", "manifest_id")}
    out["turns"] = [{k: v for k, v in t.items() if k != "tokens"} for t in record["turns"]]
    return out


def task(game: str, role: str, index: int = 0, split: str = "train") -> EpisodeTask:
    g = load_game(game)
    return EpisodeTask(g, [i for i in instance_pool(g, split, 0) if g.supports(i, role)][index], role)


def distinct_tasks(n: int) -> list[EpisodeTask]:
    """``n`` episodes of different (game, instance, role), spread over every game and learner role."""
    pools: list[list[EpisodeTask]] = []
    for name in game_names():
        g = load_game(name)
        for role in g.learner_roles:
            pools.append([EpisodeTask(g, i, role) for i in instance_pool(g, "train", 0) if g.supports(i, role)])
    out: list[EpisodeTask] = []
    for k in range(max(len(p) for p in pools)):
        out += [p[k] for p in pools if k < len(p)]
    assert len(out) >= n
    return out[:n]


def scripts_for(tasks: Sequence[EpisodeTask]) -> list[list[str]]:
    """Scripted players of three kinds, in turn: the reference moves (a win), a garbled move and then the
    reference moves (a correction and a repair), and garbage only (an aborted episode). Taboo is played by
    garbage only: its reference player needs seconds per episode to find its moves."""
    winnable = [t for t in tasks if t.game.name != "taboo"]
    moves = reference_moves(winnable)
    return [GARBAGE if t.game.name == "taboo" else [moves[t.key], moves[t.key], ["???"] + moves[t.key], GARBAGE][k % 4]
            for k, t in enumerate(tasks)]


async def play(url: str, t: EpisodeTask, script: Sequence[str]) -> StepResult:
    """One scripted player's episode, as the runner's :class:`ScriptedPlayer` plays it: the script's moves, then
    empty replies until the episode ends. Each player has its own connection, as separate processes would (one
    pool shared by hundreds of connections costs httpx more than the server spends on the games)."""
    async with AsyncEnvClient(url, timeout=120) as env:
        result = await env.reset(t.game.versioned_id, role=t.learner_role, instance_id=t.instance.id)
        todo = list(script)
        for _ in range(100):
            if result.done:
                break
            result = await env.step(todo.pop(0) if todo else "")
        assert result.done, f"{t.key} did not end within 100 moves"
    return result


# ------------------------------------------------------------------------------------------ whole episodes
def test_an_episode_over_http_writes_the_runners_record(serve: Callable[..., Served]) -> None:
    served = serve()
    t = task("guesswhat", "questioner", 3)
    moves = reference_moves([t])[t.key]
    with EnvClient(served.url) as env:
        result = env.reset("guesswhat", role="questioner", instance_id=t.instance.id)
        assert not result.done and result.reward is None and result.observation["messages"][0]["role"] == "user"
        assert result.observation["feedback"] and result.info["instance_id"] == t.instance.id
        state = env.state()
        assert (state["step_count"], state["done"], state["due"], state["game"]) == (0, False, "questioner",
                                                                                    t.game.versioned_id)
        for i, move in enumerate(moves):
            assert not result.done, f"the episode ended before move {i + 1}"
            result = env.step(move)
        assert result.done and result.info["outcome"] == "success"
        assert env.state()["step_count"] == len(moves) and env.state()["outcome"] == "success"
        with pytest.raises(EnvServerError) as over:
            env.step("one more")
        assert over.value.status == 409 and over.value.code == "EPISODE_OVER" and "reset" in over.value.detail
    expected = runner_record(t, moves)
    assert comparable(result.info["record"]) == comparable(expected.to_dict())
    [written] = list(iter_records(served.records))
    assert written.to_dict() == result.info["record"]  # what the client was told is what the file holds
    assert written.timing["seconds"] >= 0 and result.info["recorded_in"] == str(served.records)
    assert health(served.url)["sessions"] == 0 and health(served.url)["records_written"] == 1


def test_200_concurrent_scripted_sessions_all_end_with_the_runners_records(serve: Callable[..., Served]) -> None:
    served = serve(max_sessions=200)
    tasks = distinct_tasks(200)
    scripts = scripts_for(tasks)

    async def all_at_once() -> list[StepResult]:
        return list(await asyncio.gather(*(play(served.url, t, s) for t, s in zip(tasks, scripts))))

    results = asyncio.run(all_at_once())
    written = {r.key: r for r in iter_records(served.records)}
    assert len(written) == 200 and set(written) == {t.key for t in tasks}
    outcomes = set()
    for t, script, result in zip(tasks, scripts, results):
        expected = comparable(runner_record(t, script).to_dict())
        assert comparable(result.info["record"]) == expected, t.key
        assert comparable(written[t.key].to_dict()) == expected, t.key
        outcomes.add(result.info["outcome"])
    assert {"success", "aborted"} <= outcomes
    assert len({t.game.name for t in tasks}) == len(game_names())
    assert health(served.url)["sessions"] == 0  # every client closed its session


def test_an_episode_over_the_websocket_writes_the_runners_record(serve: Callable[..., Served]) -> None:
    pytest.importorskip("websockets")
    from playschool.serve import WSEnvClient

    served = serve()
    t = task("wordle", "guesser", 5)
    moves = reference_moves([t])[t.key]
    with WSEnvClient(served.url) as env:
        with pytest.raises(EnvServerError, match="send a reset first") as early:
            env.step("CRANE")
        assert early.value.code == "NO_EPISODE"
        result = env.reset("wordle", role="guesser", instance_id=t.instance.id)
        assert health(served.url)["sessions"] == 1
        with pytest.raises(EnvServerError, match="Input should be a valid string") as bad:
            env._send("step", {"text": 42})
        assert bad.value.code == "VALIDATION_ERROR" and bad.value.status == 422
        env.ws.send("{not json")
        assert json.loads(env.ws.recv(timeout=10))["data"]["code"] == "INVALID_JSON"
        with pytest.raises(EnvServerError, match="unknown message type 'jump'") as unknown:
            env._send("jump")
        assert unknown.value.code == "UNKNOWN_TYPE"
        for move in moves:  # the connection outlived every bad message; the episode did not count them
            result = env.step(move)
        assert result.done and env.state()["step_count"] == len(moves)
    expected = comparable(runner_record(t, moves).to_dict())
    assert comparable(result.info["record"]) == expected
    assert [comparable(r.to_dict()) for r in iter_records(served.records)] == [expected]
    assert health(served.url)["sessions"] == 0  # closing the connection dropped its session


# --------------------------------------------------------------------------------------------------- errors
def test_unknown_sessions_get_404_with_a_clear_message(serve: Callable[..., Served]) -> None:
    served = serve()
    with httpx.Client(base_url=served.url) as http:
        for response in (http.post("/step", json={"session_id": "nope", "action": "hi"}),
                         http.get("/state", params={"session_id": "nope"}),
                         http.delete("/sessions/nope"),
                         http.post("/reset", json={"game": "wordle", "session_id": "nope"})):
            assert response.status_code == 404, response.text
            body = response.json()
            assert body["code"] == "UNKNOWN_SESSION" and body["detail"].startswith("no session 'nope'")
        sid = http.post("/reset", json={"game": "wordle"}).json()["session_id"]
        assert http.delete(f"/sessions/{sid}").status_code == 204
        assert http.post("/step", json={"session_id": sid, "action": "CRANE"}).status_code == 404


@pytest.mark.parametrize(("body", "problem"), [
    ({"action": 5}, "action: an action is the text of a move (a JSON string) or {\"text\": \"...\"}, got a number"),
    ({"action": None}, "got null"),
    ({"action": ["CRANE"]}, "got an array"),
    ({"action": {"text": 5}}, "an action object needs \"text\", the move as a string; got a number"),
    ({"action": {"text": "CRANE", "x": 1}}, "action.TextAction.x: Extra inputs are not permitted"),
    ({}, "action: Field required"),
    ({"action": "CRANE", "session_id": None}, "session_id: Input should be a valid string"),
    ({"action": "CRANE", "extra": 1}, "extra: Extra inputs are not permitted"),
    ({"action": "x" * 101}, "the action is 101 characters long; this server accepts at most 100"),
], ids=["number", "null", "array", "object-number", "object-extra", "missing", "null-session", "extra-field", "too-long"])
def test_malformed_actions_get_422_naming_the_problem_and_change_nothing(
        serve: Callable[..., Served], body: dict[str, Any], problem: str) -> None:
    served = serve(max_action_chars=100)
    with httpx.Client(base_url=served.url) as http:
        sid = http.post("/reset", json={"game": "wordle"}).json()["session_id"]
        response = http.post("/step", json={"session_id": sid, **body})
        assert response.status_code == 422, response.text
        assert response.json()["code"] == "VALIDATION_ERROR" and problem in response.json()["detail"]
        # Nothing the client sent is echoed back: it may be huge.
        assert all(set(e) == {"loc", "msg", "type"} for e in response.json()["errors"])
        assert http.get("/state", params={"session_id": sid}).json()["step_count"] == 0


def test_bodies_that_are_not_json_or_too_large_are_refused(serve: Callable[..., Served]) -> None:
    served = serve(max_action_chars=100)
    with httpx.Client(base_url=served.url) as http:
        response = http.post("/step", content=b"{oops", headers={"content-type": "application/json"})
        assert response.status_code == 422 and "the body is not valid JSON" in response.json()["detail"]
        huge = http.post("/step", json={"session_id": "x", "action": "y" * (max_body_bytes(served.config) + 1)})
        assert huge.status_code == 413 and huge.json()["code"] == "PAYLOAD_TOO_LARGE"


@pytest.mark.parametrize(("body", "status", "problem"), [
    ({"game": "chess"}, 422, "game 'chess' is not served here; this server serves"),
    ({"game": "taboo"}, 422, "game 'taboo' is not served here"),
    ({"game": "wordle", "role": "king"}, 422, "a learner cannot play 'king'"),
    ({"game": "wordle", "options": {"instance_id": "train/nowhere/1"}}, 422, "has no instance 'train/nowhere/1'"),
    ({"game": "wordle", "options": {"instance": {"id": "x"}}}, 422, "options.instance: Extra inputs"),
    ({"game": "wordle", "seed": -1}, 422, "seed: Input should be greater than or equal to 0"),
    ({"game": "wordle", "partner": "hf:some/model"}, 403, "partner 'hf:some/model' is not allowed on this server"),
    ({"game": "wordle", "partner": "agent:os:system"}, 403, "a client cannot make it load a model"),
    ({"game": "wordle", "split": "secret"}, 422, "split: Input should be 'train', 'validation' or 'test'"),
], ids=["unknown-game", "not-served", "role", "instance", "instance-object", "seed", "model", "agent", "split"])
def test_bad_resets_are_refused_and_leave_no_session(serve: Callable[..., Served], body: dict[str, Any],
                                                     status: int, problem: str) -> None:
    served = serve(games=("wordle", "guesswhat"))
    response = httpx.post(f"{served.url}/reset", json=body)
    assert response.status_code == status and problem in response.json()["detail"], response.text
    assert health(served.url)["sessions"] == 0


def test_a_full_server_refuses_new_sessions_until_one_ends(serve: Callable[..., Served]) -> None:
    served = serve(max_sessions=3, games=("wordle",))
    with httpx.Client(base_url=served.url) as http:
        ids = [http.post("/reset", json={}).json()["session_id"] for _ in range(3)]  # one game: it may go unnamed
        assert len(set(ids)) == 3 and all(len(i) >= 32 for i in ids)
        full = http.post("/reset", json={})
        assert full.status_code == 503 and full.json()["code"] == "CAPACITY_REACHED"
        assert "maximum of 3 sessions" in full.json()["detail"] and full.headers["retry-after"]
        # A session already held may still start new episodes: that takes no new place.
        again = http.post("/reset", json={"session_id": ids[0]})
        assert again.status_code == 200 and again.json()["session_id"] == ids[0]
        assert http.get("/state", params={"session_id": ids[0]}).json()["episodes"] == 2
        assert http.delete(f"/sessions/{ids[1]}").status_code == 204
        assert http.post("/reset", json={}).status_code == 200
        assert health(served.url)["sessions"] == 3


def test_clients_killed_mid_episode_leave_no_sessions_after_the_idle_timeout(serve: Callable[..., Served]) -> None:
    served = serve(idle_timeout=1.0, sweep_interval=0.1)
    client = textwrap.dedent(f"""
        import time
        from playschool.serve.client import EnvClient
        envs = [EnvClient({served.url!r}) for _ in range(4)]
        for k, env in enumerate(envs):
            env.reset("wordle", seed=k)
            env.step("CRANE")
        print("playing", flush=True)
        time.sleep(600)
    """)
    proc = subprocess.Popen([sys.executable, "-c", client], stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout is not None and proc.stdout.readline().strip() == "playing"
        assert health(served.url)["sessions"] == 4
    finally:
        proc.kill()
        proc.wait(10)
    deadline = time.monotonic() + 20
    while health(served.url)["sessions"] and time.monotonic() < deadline:
        time.sleep(0.1)
    assert health(served.url)["sessions"] == 0
    assert health(served.url)["records_written"] == 0  # unfinished episodes have no record


def test_a_websocket_that_drops_frees_its_session_at_once(serve: Callable[..., Served]) -> None:
    pytest.importorskip("websockets")
    from playschool.serve import WSEnvClient

    served = serve(idle_timeout=600)
    env = WSEnvClient(served.url)
    env.reset("mapnav", seed=1)
    assert health(served.url)["sessions"] == 1
    env.ws.socket.shutdown(socket.SHUT_RDWR)  # the client dies: no close frame, no goodbye
    env.ws.socket.close()
    deadline = time.monotonic() + 10
    while health(served.url)["sessions"] and time.monotonic() < deadline:
        time.sleep(0.05)
    assert health(served.url)["sessions"] == 0


# ------------------------------------------------------------------------------------------ sessions at large
def test_a_session_plays_episodes_in_turn_and_repeats_go_to_their_own_run_folder(
        serve: Callable[..., Served]) -> None:
    served = serve()
    t = task("reference", "speaker", 2)
    moves = reference_moves([t])[t.key]
    with EnvClient(served.url) as env:
        for episode in (1, 2):
            result = env.reset("reference", role="speaker", instance_id=t.instance.id)
            first = env.session_id
            for move in moves:
                result = env.step(move)
            assert result.done and env.state()["episodes"] == episode and env.session_id == first
    expected = comparable(runner_record(t, moves).to_dict())
    assert [comparable(r.to_dict()) for r in iter_records(served.records)] == [expected]
    assert [comparable(r.to_dict()) for r in iter_records(served.records / REPEATS_DIR / "2")] == [expected]


def test_the_client_opens_a_new_session_when_its_own_was_dropped(serve: Callable[..., Served]) -> None:
    served = serve(idle_timeout=0.3, sweep_interval=0.05)
    with EnvClient(served.url) as env:
        env.reset("wordle", seed=0)
        old = env.session_id
        time.sleep(1.0)
        with pytest.raises(EnvServerError) as gone:
            env.state()
        assert gone.value.status == 404 and "dropped after 0.3 s without requests" in gone.value.detail
        env.reset("wordle", seed=0)
        assert env.session_id != old and env.state()["episodes"] == 1


class SilentPartner:
    """A model partner (allowed by the operator below) that takes a while and says nothing."""

    name = "silent"
    max_batch_size = 8

    def generate(self, conversations: Sequence[Conversation], decoding: Decoding) -> list[Reply]:
        time.sleep(0.02)
        return [Reply("") for _ in conversations]

    def describe(self) -> dict[str, str]:
        return {"model": self.name}


def test_an_allowed_model_partner_runs_off_the_loop_and_moves_to_one_session_are_serialised(
        serve: Callable[..., Served]) -> None:
    spec = "agent:test_serve_env:SilentPartner"
    served = serve(allowed_partners=(spec,), games=("wordle",))
    assert spec in httpx.get(f"{served.url}/metadata").json()["partners"]
    g = load_game("wordle")
    plain = next(i for i in instance_pool(g, "train", 0) if i.experiment == "plain")
    guesses = ["CRANE", "SLATE", "MOIST", "PLUMB", "FIGHT", "WORDY", "BRICK", "GHOST", "NYMPH", "DWARF",
               "JUMPS", "VEXED"]

    async def racing() -> tuple[str, list[httpx.Response]]:
        async with httpx.AsyncClient(base_url=served.url, timeout=60) as http:
            reset = (await http.post("/reset", json={"partner": spec, "options": {"instance_id": plain.id}})).json()
            sid = reset["session_id"]
            sends = [http.post("/step", json={"session_id": sid, "action": a}) for a in guesses]
            return sid, list(await asyncio.gather(*sends))

    sid, responses = asyncio.run(racing())
    played = [r.json() for r in responses if r.status_code == 200]
    assert {r.status_code for r in responses} <= {200, 409} and played
    # Each accepted move saw every move before it and nothing in between: one longer conversation per move.
    lengths = sorted(len(p["observation"]["messages"]) for p in played)
    assert lengths == list(range(lengths[0], lengths[0] + 2 * len(played), 2))
    record = next(p for p in played if p["done"])["info"]["record"]
    assert record["roles"]["guesser"] == "learner" and set(record["roles"].values()) <= {"learner", "partner"}
    learner_moves = [t for t in record["turns"] if t["kind"] == "move" and t["speaker"] == "guesser"]
    assert len(learner_moves) == len(played) and len(played) < len(guesses)  # the rest found it over: 409
    assert httpx.get(f"{served.url}/state", params={"session_id": sid}).json()["partner"] == spec


def test_schema_metadata_and_health_describe_the_server(serve: Callable[..., Served]) -> None:
    served = serve(games=("wordle", "mapnav"), max_sessions=7, idle_timeout=42)
    schema = httpx.get(f"{served.url}/schema").json()
    assert set(schema) == {"action", "observation", "state", "reset"}
    assert schema["action"]["properties"]["text"]["type"] == "string"
    assert {"messages", "feedback"} <= set(schema["observation"]["properties"])
    assert {"episode_id", "step_count", "session_id", "done", "due"} <= set(schema["state"]["properties"])
    meta = httpx.get(f"{served.url}/metadata").json()
    assert meta["games"] == ["wordle-v2", "mapnav-v2"] and meta["partners"] == ["teacher", "random"]
    assert health(served.url) == {"status": "healthy", "sessions": 0, "max_sessions": 7, "idle_timeout": 42.0,
                                  "records_written": 0}


# --------------------------------------------------------------------------------------------- the table itself
def test_the_session_table_caps_sweeps_only_idle_sessions_and_names_unknown_ids() -> None:
    now = [0.0]
    table: SessionTable[str] = SessionTable(2, idle_timeout=10, clock=lambda: now[0])
    a, b = table.add("a"), table.add("b")
    with pytest.raises(CapacityError, match="maximum of 2 sessions"):
        table.add("c")

    async def hold_a() -> None:
        async with table.use(a.id) as session:
            assert session.value == "a"
            now[0] = 100.0
            assert [s.id for s in table.sweep()] == [b.id]  # a is busy: never swept mid-request

    asyncio.run(hold_a())
    assert a.id in table and b.id not in table and b.closed
    now[0] = 105.0
    assert table.sweep() == [] and table.expires_in(a) == 5.0  # its request ended at 100: it was just active
    now[0] = 111.0
    assert table.sweep() == [a] and len(table) == 0
    with pytest.raises(UnknownSessionError, match="no session 'zz'"):
        table.pop("zz")

    async def use_gone() -> None:
        async with table.use(a.id):
            pass

    with pytest.raises(UnknownSessionError):
        asyncio.run(use_gone())


def test_bad_configurations_fail_before_serving() -> None:
    with pytest.raises(ValueError, match="max_sessions must be at least 1"):
        ServerConfig(max_sessions=0)
    with pytest.raises(ValueError, match="idle_timeout must be a positive"):
        ServerConfig(idle_timeout=0)
    with pytest.raises(Exception, match="chess"):
        create_app(ServerConfig(games=("chess",)))
    with pytest.raises(Exception, match="nobody is at this server's terminal"):
        create_app(ServerConfig(allowed_partners=("human",)))


def test_the_command_serves_until_stopped_and_refuses_bad_set_ups(tmp_path: Path,
                                                                  capsys: pytest.CaptureFixture[str]) -> None:
    from playschool.serve.cli import main
    from playschool.store import RecordStore

    assert main(["--workers", "2"]) == 2 and "--workers must be 1" in capsys.readouterr().err
    assert main(["--games", "chess"]) == 2 and "unknown game 'chess'" in capsys.readouterr().err
    with RecordStore(tmp_path / "busy"):
        assert main(["--records", str(tmp_path / "busy")]) == 2
    assert "another run is writing to" in capsys.readouterr().err

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    proc = subprocess.Popen([sys.executable, "-m", "playschool.serve.cli", "--port", str(port), "--games", "wordle",
                             "--records", str(tmp_path / "run"), "--log-level", "warning"])
    try:
        deadline = time.monotonic() + 60
        while True:
            assert proc.poll() is None and time.monotonic() < deadline, "the command did not serve"
            with contextlib.suppress(httpx.TransportError):
                if httpx.get(f"http://127.0.0.1:{port}/health").status_code == 200:
                    break
            time.sleep(0.1)
        with EnvClient(f"http://127.0.0.1:{port}") as env:
            result = env.reset()
            while not result.done:
                result = env.step("")
    finally:
        proc.terminate()
        assert proc.wait(30) is not None
    [record] = list(iter_records(tmp_path / "run"))
    assert record.outcome == "aborted" and record.game == "wordle-v2"
    with RecordStore(tmp_path / "run"):  # the server let go of the folder when it stopped
        pass


def test_instances_named_by_id_are_the_served_pools(serve: Callable[..., Served]) -> None:
    served = serve(games=("guesswhat",))
    t = task("guesswhat", "questioner", 7, split="validation")
    with EnvClient(served.url) as env:
        result = env.reset(split="validation", role="questioner", instance_id=t.instance.id)
        assert result.info["instance_id"] == t.instance.id and env.state()["split"] == "validation"
    assert isinstance(t.instance, Instance)
