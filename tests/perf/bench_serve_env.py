"""Loopback load test of ``playschool serve-env``: N concurrent sessions of scripted players against one server
process, side by side with the same episodes played in-process through ``PlaypenEnv`` one after another.

    python tests/perf/bench_serve_env.py                       # 200 sessions over HTTP, 2 rounds
    python tests/perf/bench_serve_env.py --sessions 500 --transport ws --rounds 3

The server is a separate process (``python -m playschool.serve.cli``) on a free loopback port; the players are
asyncio tasks in this process, each with its own connection. Every session plays a different (game, instance,
role) of every game, with one of three scripts: the reference moves (a win), a garbled move and then the
reference moves (a repair), or garbage (an aborted episode); then it closes its session. Rounds alternate
(in-process, server, in-process, ...) so drift in the machine's load hits both alike. Printed per variant:
sessions/s and learner steps/s (median over rounds), and the server/in-process ratio. The server pays for HTTP
or WebSocket, JSON and the session table; it gains nothing from concurrency on the games themselves (pure Python
under one GIL), so a ratio below 1 is the price of serving, and the client's CPU is on the same machine too.

Checked, not timed: every episode ends; every record the server wrote (one run folder per round: the first in
the records folder, repeats in ``repeats/N``) equals the runner's record for the same moves (timing, manifest
and token counts aside); finally a client process holding K sessions mid-episode is killed, and the server must
hold no session once the idle timeout has passed.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the tests' helpers: one source of the scripts

from test_serve_env import comparable, distinct_tasks, play, runner_record, scripts_for  # noqa: E402

from playschool.envs import PlaypenEnv  # noqa: E402
from playschool.runner import EpisodeTask  # noqa: E402
from playschool.serve.records import REPEATS_DIR  # noqa: E402
from playschool.store import iter_records  # noqa: E402

#: Episodes played once before timing (other instances than the timed ones), on both sides.
WARM_UP = 20


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start_server(port: int, records: Path, sessions: int, idle_timeout: float) -> subprocess.Popen[str]:
    cmd = [sys.executable, "-m", "playschool.serve.cli", "--port", str(port), "--records", str(records),
           "--max-sessions", str(sessions + 50), "--idle-timeout", str(idle_timeout), "--log-level", "warning"]
    proc = subprocess.Popen(cmd, text=True)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"the server exited with {proc.returncode}: {' '.join(cmd)}")
        try:
            if httpx.get(f"http://127.0.0.1:{port}/health", timeout=1).status_code == 200:
                return proc
        except httpx.TransportError:
            time.sleep(0.1)
    proc.kill()
    raise SystemExit("the server did not answer /health within 60 s")


def in_process(tasks: Sequence[EpisodeTask], scripts: Sequence[list[str]]) -> tuple[float, int]:
    """The baseline: the same episodes through PlaypenEnv, one after another; (seconds, learner steps)."""
    steps = 0
    t0 = time.perf_counter()
    for t, script in zip(tasks, scripts):
        env = PlaypenEnv(t.game.versioned_id, t.learner_role)
        env.reset(options={"instance_id": t.instance.id})
        todo, done = list(script), False
        while not done:
            _, _, done, _, _ = env.step(todo.pop(0) if todo else "")
            steps += 1
    return time.perf_counter() - t0, steps


async def _play_ws(url: str, t: EpisodeTask, script: Sequence[str]) -> dict[str, Any]:
    from websockets.asyncio.client import connect

    async with connect(url.replace("http", "ws", 1) + "/ws", max_size=None) as ws:
        async def send(kind: str, data: dict[str, Any]) -> dict[str, Any]:
            await ws.send(json.dumps({"type": kind, "data": data}))
            reply = json.loads(await ws.recv())
            if reply["type"] == "error":
                raise RuntimeError(f"{t.key}: {reply['data']}")
            return dict(reply["data"])

        result = await send("reset", {"game": t.game.versioned_id, "role": t.learner_role,
                                      "options": {"instance_id": t.instance.id}})
        todo = list(script)
        while not result["done"]:
            result = await send("step", {"text": todo.pop(0) if todo else ""})
        await ws.send(json.dumps({"type": "close"}))
        return result


def served(url: str, tasks: Sequence[EpisodeTask], scripts: Sequence[list[str]],
           transport: str) -> tuple[float, int, float]:
    """All sessions at once against the server; (seconds, learner steps, this process's CPU seconds)."""
    async def everyone() -> list[dict[str, Any]]:
        if transport == "ws":
            return list(await asyncio.gather(*(_play_ws(url, t, s) for t, s in zip(tasks, scripts))))
        results = await asyncio.gather(*(play(url, t, s) for t, s in zip(tasks, scripts)))
        return [{"info": r.info, "done": r.done} for r in results]

    t0, cpu0 = time.perf_counter(), time.process_time()
    results = asyncio.run(everyone())
    seconds, cpu = time.perf_counter() - t0, time.process_time() - cpu0
    assert all(r["done"] for r in results)
    steps = sum(sum(1 for turn in r["info"]["record"]["turns"] if turn["kind"] == "move"
                    and turn["speaker"] == r["info"]["role"]) for r in results)
    return seconds, steps, cpu


def killed_clients(url: str, k: int, idle_timeout: float) -> float:
    """A client process holding ``k`` sessions mid-episode is killed; seconds until the server holds none."""
    code = textwrap.dedent(f"""
        import time
        from playschool.serve.client import EnvClient
        for i in range({k}):
            env = EnvClient({url!r})
            env.reset("wordle", seed=i)
            env.step("CRANE")
        print("holding", flush=True)
        time.sleep(600)
    """)
    proc = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
    assert proc.stdout is not None and proc.stdout.readline().strip() == "holding"
    held = httpx.get(f"{url}/health").json()["sessions"]
    proc.kill()
    proc.wait()
    t0 = time.perf_counter()
    while httpx.get(f"{url}/health").json()["sessions"]:
        assert time.perf_counter() - t0 < idle_timeout + 10, "sessions of the killed client outlived the timeout"
        time.sleep(0.1)
    assert held == k, f"the client held {held} sessions, expected {k}"
    return time.perf_counter() - t0


def _cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of process ``pid`` so far (Linux ``/proc``)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sessions", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--transport", choices=("http", "ws"), default="http")
    parser.add_argument("--idle-timeout", type=float, default=5.0)
    parser.add_argument("--killed", type=int, default=20, help="sessions held by the client that is killed")
    args = parser.parse_args()

    everything = distinct_tasks(args.sessions + WARM_UP)
    every_script = scripts_for(everything)
    tasks, scripts = everything[:args.sessions], every_script[:args.sessions]
    warm, warm_scripts = everything[args.sessions:], every_script[args.sessions:]  # other episodes: own records
    expected = {t.key: comparable(runner_record(t, s).to_dict()) for t, s in zip(tasks, scripts)}
    in_process(warm, warm_scripts)  # warm-up: instance pools generated, modules imported
    with tempfile.TemporaryDirectory() as tmp:
        port, records = free_port(), Path(tmp) / "records"
        server = start_server(port, records, args.sessions, args.idle_timeout)
        url = f"http://127.0.0.1:{port}"
        try:
            served(url, warm, warm_scripts, args.transport)  # the server's pools and code warmed too
            runs: dict[str, list[tuple[float, int]]] = {"in-process": [], "server": []}
            server_cpu, client_cpu = [], []
            for _ in range(args.rounds):
                runs["in-process"].append(in_process(tasks, scripts))
                before = _cpu_seconds(server.pid)
                seconds, steps, cpu = served(url, tasks, scripts, args.transport)
                server_cpu.append(_cpu_seconds(server.pid) - before)
                client_cpu.append(cpu)
                runs["server"].append((seconds, steps))
            # Round r repeats the episodes for the r-th time: its records are in the r-th run folder.
            checked = sum(verify_folder(records if r == 1 else records / REPEATS_DIR / str(r), expected)
                          for r in range(1, args.rounds + 1))
            gone = killed_clients(url, args.killed, args.idle_timeout)
        finally:
            server.terminate()
            server.wait(30)

    print(f"{args.sessions} sessions x {args.rounds} rounds, transport {args.transport}, "
          f"{sum(s for _, s in runs['server']) // args.rounds} learner steps per round; {os.cpu_count()} CPUs")
    print(f"{'variant':<12} {'sessions/s':>11} {'steps/s':>9} {'seconds':>8}")
    rates: dict[str, tuple[float, float]] = {}
    for name, rows in runs.items():
        seconds = statistics.median(s for s, _ in rows)
        steps = statistics.median(n for _, n in rows)
        rates[name] = (args.sessions / seconds, steps / seconds)
        print(f"{name:<12} {rates[name][0]:>11.1f} {rates[name][1]:>9.1f} {seconds:>8.2f}")
    print(f"ratio server/in-process: sessions/s x{rates['server'][0] / rates['in-process'][0]:.2f}, "
          f"steps/s x{rates['server'][1] / rates['in-process'][1]:.2f}")
    per_round_steps = statistics.median(n for _, n in runs["server"])
    print(f"CPU per served round (median): server {statistics.median(server_cpu):.2f} s "
          f"({1e3 * statistics.median(server_cpu) / per_round_steps:.2f} ms per step), clients "
          f"{statistics.median(client_cpu):.2f} s; the two share the machine's cores")
    print(f"records checked against the runner's: {checked}, all identical")
    print(f"killed client's {args.killed} sessions gone {gone:.1f} s after the kill (idle timeout "
          f"{args.idle_timeout:g} s)")


def verify_folder(folder: Path, expected: dict[str, dict[str, Any]]) -> int:
    """Every expected episode has its record in ``folder``, equal to the runner's; returns how many."""
    written = {rec.key: comparable(rec.to_dict()) for rec in iter_records(folder)}
    missing = set(expected) - set(written)
    assert not missing, f"{folder}: {len(missing)} episodes have no record, e.g. {sorted(missing)[0]}"
    bad = [k for k in expected if written[k] != expected[k]]
    assert not bad, f"{folder}: {len(bad)} records differ from the runner's, e.g. {bad[0]}"
    return len(expected)


if __name__ == "__main__":
    main()
