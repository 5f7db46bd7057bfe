"""CLU2 scoring benchmark on real episode records: replay + cluster bootstrap, streaming vs all-in-a-list, and
the cluster bootstrap vs the per-task independent resampling it replaced (time, memory, interval widths).

    python tests/perf/bench_scoring.py                      # 3k, 10k and 30k records
    python tests/perf/bench_scoring.py --sizes 100000

Records: the reference and the random player on the train split of every game but taboo (whose teacher embeds
every clue with a sentence model, which would dominate the time), so they replay like any run's records.

*streaming*: ``scorecard(iter_items(iter_records(path)))`` — one record in memory at a time; every record is
replayed; the scorer keeps a count per distinct score, a 64-bit digest per item id and one small profile per
episode (the cluster bootstrap's unit).
*list*: ``records = list(iter_records(path))`` first, then ``items_from_records`` and ``scorecard``.
*independent*: the same items with their episode key removed, so every item is its own cluster (the per-task
independent resampling CLU2 used before the cluster bootstrap), scored from the same in-memory list as
*cluster*; their interval widths are printed side by side.

Each (variant, size) runs in a fresh child process, twice: once for wall time (no tracing) and once under
``tracemalloc`` for the peak of Python allocations; ``ru_maxrss`` is reported from the timing run. Streaming and
list must give the same scorecard.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

GAMES = ("wordle", "reference", "guesswhat", "privateshared", "mapnav", "drawing", "repair", "negotiation")


def write_records(path: Path, n: int) -> None:
    """``n`` real records: reference and random play, cycling over games, roles and train instances."""
    from playschool.games import RANDOM, TEACHER, load_game
    from playschool.games.checks import play

    games = [load_game(name) for name in GAMES]
    # Episodes one instance per experiment gives, over all games and roles: how many instances n needs.
    unit = sum(game.supports(i, r) for game in games for i in game.generate("train", n=1) for r in game.learner_roles)
    per = -(-n // unit) + 1
    written = 0
    with path.open("w") as fh:
        for game in games:
            for inst in game.generate("train", n=per):
                for role in game.learner_roles:
                    if not game.supports(inst, role) or written >= n:
                        continue
                    mover = TEACHER if written % 2 else RANDOM
                    roles = {r: (mover if r == role else TEACHER) for r in game.roles}
                    fh.write(play(game.new_episode(inst, role, roles), {}).record().to_json() + "\n")
                    written += 1


# --------------------------------------------------------------------------------------------- child
def _items(path: Path) -> list:
    from playschool.benchmark import items_from_records

    from playschool.store import iter_records

    return items_from_records(list(iter_records(path)))


def child(variant: str, path: Path, n_boot: int, trace: bool) -> None:
    """Score in one of the four ways; *cluster* and *independent* measure the aggregation alone (their items
    are built before the clock and the memory trace start)."""
    from dataclasses import replace

    import numpy  # noqa: F401  (imported before measuring: the same fixed cost for every variant)
    from playschool.benchmark import iter_items, scorecard

    from playschool.store import iter_records

    items = None
    if variant in ("cluster", "independent"):
        items = _items(path)
        if variant == "independent":
            items = [replace(i, details={k: v for k, v in i.details.items() if k != "episode"}) for i in items]
    if trace:
        tracemalloc.start()
    t0 = time.perf_counter()
    if variant == "streaming":
        card = scorecard(iter_items(iter_records(path)), n_boot=n_boot)
    elif variant == "list":
        card = scorecard(_items(path), n_boot=n_boot)
    else:
        card = scorecard(items, n_boot=n_boot)
    seconds = time.perf_counter() - t0
    peak = tracemalloc.get_traced_memory()[1] if trace else None
    print(json.dumps({"seconds": seconds, "peak_mib": None if peak is None else peak / 2 ** 20,
                      "maxrss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
                      "items": card["coverage"]["items"], "card": card}))


def _run_child(variant: str, path: Path, n_boot: int, trace: bool) -> dict:
    out = subprocess.run([sys.executable, __file__, "--child", variant, str(path), str(n_boot), str(int(trace))],
                         capture_output=True, text=True, check=True)
    return json.loads(out.stdout)


def _width(block: dict) -> float:
    lo, hi = block["ci"]
    return hi - lo


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sizes", type=int, nargs="+", default=[3_000, 10_000, 30_000])
    ap.add_argument("--n-boot", type=int, default=1000)
    ap.add_argument("--child", nargs=4, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        variant, path, n_boot, trace = args.child
        child(variant, Path(path), int(n_boot), bool(int(trace)))
        return
    with tempfile.TemporaryDirectory() as tmp:
        print(f"{'records':>8} {'items':>8} | {'stream s':>8} {'list s':>7} | {'stream peak':>11} {'list peak':>9} | "
              f"{'cluster s':>9} {'indep s':>7} {'cluster peak':>12} {'indep peak':>10} | CI width collab: cluster "
              "vs independent (ratio)")
        for n in args.sizes:
            path = Path(tmp) / f"records-{n}.jsonl"
            write_records(path, n)
            res = {}
            for variant in ("streaming", "list", "cluster", "independent"):
                timed = _run_child(variant, path, args.n_boot, trace=False)
                traced = _run_child(variant, path, args.n_boot, trace=True)
                res[variant] = {**timed, "peak_mib": traced["peak_mib"]}
            assert res["streaming"]["card"] == res["list"]["card"], "streaming and list scorecards differ"
            s, b, c, i = res["streaming"], res["list"], res["cluster"], res["independent"]
            dim = "collaborative_language_use"
            wc, wi = _width(c["card"]["dimensions"][dim]), _width(i["card"]["dimensions"][dim])
            print(f"{n:>8} {s['items']:>8} | {s['seconds']:>8.1f} {b['seconds']:>7.1f} | {s['peak_mib']:>11.1f} "
                  f"{b['peak_mib']:>9.1f} | {c['seconds']:>9.2f} {i['seconds']:>7.2f} {c['peak_mib']:>12.1f} "
                  f"{i['peak_mib']:>10.1f} | {wc:.3f} vs {wi:.3f} ({wc / wi:.2f}x)", flush=True)


if __name__ == "__main__":
    main()
