"""Arena memory benchmark: play sessions started and abandoned in one process, against the same process before
any was abandoned (the baseline), and against sessions kept alive (what a leak would look like).

    python tests/perf/bench_arena_sessions.py                 # 20, 200 and 2000 abandoned games
    python tests/perf/bench_arena_sessions.py --counts 200 --games wordle

Each game is started (an instance drawn, the episode advanced to the visitor's first move), sent one move, and
left; the store's idle timeout then drops it. Python allocations are traced (``tracemalloc``) after a warm-up
game of each kind, so instance generation and imports are in the baseline; RSS (``psutil``) is printed too,
though the allocator keeps freed pages, so it can only grow. Expected: memory after N abandoned games stays
flat in N (the session table only), while N live games cost roughly N times one game. Rounds run one after
the other in the same store: "so far" counts every game abandoned since the baseline.
"""

from __future__ import annotations

import argparse
import gc
import tracemalloc

import psutil
from playschool.arena.sessions import PlaySessions, roles_for


def _play_and_leave(store: PlaySessions, games: list[str], k: int) -> None:
    game = games[k % len(games)]
    role = roles_for(game)[0]
    view = store.start(game, role, seed=k)
    store.send(view.session_id, "hello?")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--counts", type=int, nargs="+", default=[20, 200, 2000])
    parser.add_argument("--games", nargs="+", default=["wordle", "reference", "guesswhat", "mapnav"])
    args = parser.parse_args()
    now = [0.0]
    store = PlaySessions(ttl_s=60.0, max_sessions=100_000, clock=lambda: now[0])
    proc = psutil.Process()
    for k in range(len(args.games)):  # warm-up: instances generated, modules imported
        _play_and_leave(store, args.games, k)
    now[0] += 120.0
    store.sweep()
    gc.collect()
    tracemalloc.start()
    base_traced, _ = tracemalloc.get_traced_memory()
    base_rss = proc.memory_info().rss
    total = 0
    print(f"{'games':>6} {'so far':>7} {'abandoned: traced':>18} {'per game':>9} {'live: traced':>13} {'per game':>9} "
          f"{'ratio live/abandoned':>21} {'RSS growth':>11}")
    for n in args.counts:
        for k in range(n):
            _play_and_leave(store, args.games, k)
        gc.collect()
        live, _ = tracemalloc.get_traced_memory()
        now[0] += 120.0  # every game idle past the timeout
        store.sweep()
        gc.collect()
        left, _ = tracemalloc.get_traced_memory()
        assert len(store) == 0
        abandoned, alive = left - base_traced, live - base_traced
        total += n
        print(f"{n:>6} {total:>7} {abandoned:>16,} B {abandoned / n:>7,.0f} B {alive:>11,} B {alive / n:>7,.0f} B "
              f"{alive / max(abandoned, 1):>20,.1f}x {(proc.memory_info().rss - base_rss) / 2**20:>8,.1f} MB")
    tracemalloc.stop()


if __name__ == "__main__":
    main()
