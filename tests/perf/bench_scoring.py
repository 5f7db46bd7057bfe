"""CLU2 scoring benchmark: score N synthetic episode records from a JSONL file, streaming vs all-in-a-list.

    python tests/perf/bench_scoring.py                      # 10k, 30k and 100k records
    python tests/perf/bench_scoring.py --sizes 100000 --n-boot 1000

*streaming*: ``scorecard(iter_items(iter_records(path)))`` — one record in memory at a time; the scorer keeps
a count per distinct score and a 64-bit digest per item id (duplicate check).
*baseline*: ``records = list(iter_records(path))`` first, then ``items_from_records`` and ``scorecard``.

Each (variant, size) runs in a fresh child process, twice: once for wall time (no tracing) and once under
``tracemalloc`` for the peak of Python allocations; ``ru_maxrss`` (peak resident memory of that child,
interpreter and numpy included) is reported from the timing run. Both variants must give the same scorecard.
"""

from __future__ import annotations

import argparse
import json
import random
import resource
import subprocess
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

# (game, learner role, the notes its learner moves carry) — shapes like the real games' records.
SHAPES = [
    ("mapnav-v1", "follower", "clarify"), ("reference-v1", "listener", "clarify"),
    ("privateshared-v1", "customer", "probe"), ("taboo-v1", "guesser", None), ("wordle-v1", "guesser", None),
    ("repair-v1", "builder", "clarify"), ("drawing-v1", "drawer", "clarify"), ("negotiation-v1", "alice", "clarify"),
]


def synthetic_record(i: int, rng: random.Random) -> dict:
    game, role, kind = SHAPES[i % len(SHAPES)]
    turns = [{"index": 0, "speaker": "game", "to": role, "kind": "instruction",
              "text": "Let's play. " + "Rules of the game. " * 20}]
    for _ in range(rng.randint(2, 8)):
        ok = rng.random() > 0.15
        parse: dict = {"ok": True} if ok else {"ok": False, "error": rng.choice(["format", "rule"]), "message": "no"}
        if ok and kind == "clarify":
            ambiguous = rng.random() < 0.3
            parse.update(act="clarify" if rng.random() < (0.7 if ambiguous else 0.1) else "move", ambiguous=ambiguous)
        elif ok and kind == "probe" and rng.random() < 0.4:
            parse.update(act="answer", probe=True, correct=rng.random() < 0.7)
        turns.append({"index": len(turns), "speaker": role, "to": "game", "kind": "move",
                      "text": "MOVE: north " + "x" * rng.randint(5, 60), "parse": parse,
                      "reward": 0.1 if ok else -1.0, "tokens": {"prompt": 300, "completion": 12}})
        turns.append({"index": len(turns), "speaker": "game", "to": role,
                      "kind": "correction" if not ok else "observation", "text": "You see a door. " * 4})
    outcome = rng.choices(["success", "lose", "aborted"], [0.5, 0.35, 0.15])[0]
    main = 0.0 if outcome != "success" else rng.choice([50.0, 75.0, 100.0])
    scores = {"main": main, "success": float(outcome == "success"), "played": float(outcome != "aborted"),
              "aborted": float(outcome == "aborted"), "learner_moves": 4.0, "reward": 0.0, "format_errors": 0.0,
              "rule_errors": 0.0}
    if game == "mapnav-v1":
        scores["efficiency"] = rng.choice([0.5, 0.75, 1.0])
    return {"game": game, "instance_id": f"test/synthetic/{i:07d}", "split": "test", "seed": i,
            "experiment": "synthetic", "roles": {role: "learner", "other": "teacher"}, "learner_role": role,
            "instance": {"id": f"test/synthetic/{i:07d}", "params": {"size": rng.randint(1, 9)}},
            "turns": turns, "outcome": outcome, "reason": "", "scores": scores, "manifest_id": "bench",
            "timing": {"seconds": 0.1}, "schema": 1}


def write_records(path: Path, n: int) -> None:
    rng = random.Random(0)
    with path.open("w") as fh:
        for i in range(n):
            fh.write(json.dumps(synthetic_record(i, rng), separators=(",", ":")) + "\n")


# --------------------------------------------------------------------------------------------- child
def _score(variant: str, path: Path, n_boot: int) -> dict:
    from playschool.benchmark import items_from_records, iter_items, scorecard

    from playschool.store import iter_records

    if variant == "streaming":
        return scorecard(iter_items(iter_records(path)), n_boot=n_boot)
    records = list(iter_records(path))
    return scorecard(items_from_records(records), n_boot=n_boot)


def child(variant: str, path: Path, n_boot: int, trace: bool) -> None:
    import numpy  # noqa: F401  (imported before measuring: the same fixed cost for both variants)
    import playschool.benchmark  # noqa: F401

    if trace:
        tracemalloc.start()
    t0 = time.perf_counter()
    card = _score(variant, path, n_boot)
    seconds = time.perf_counter() - t0
    peak = tracemalloc.get_traced_memory()[1] if trace else None
    print(json.dumps({"seconds": seconds, "peak_mib": None if peak is None else peak / 2 ** 20,
                      "maxrss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
                      "items": card["coverage"]["items"], "card": card}))


def _run_child(variant: str, path: Path, n_boot: int, trace: bool) -> dict:
    out = subprocess.run([sys.executable, __file__, "--child", variant, str(path), str(n_boot), str(int(trace))],
                         capture_output=True, text=True, check=True)
    return json.loads(out.stdout)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sizes", type=int, nargs="+", default=[10_000, 30_000, 100_000])
    ap.add_argument("--n-boot", type=int, default=1000)
    ap.add_argument("--child", nargs=4, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        variant, path, n_boot, trace = args.child
        child(variant, Path(path), int(n_boot), bool(int(trace)))
        return
    with tempfile.TemporaryDirectory() as tmp:
        print(f"{'records':>8} {'file MiB':>8} {'items':>8} | {'stream s':>8} {'list s':>8} | "
              f"{'stream peak':>11} {'list peak':>10} | {'stream rss':>10} {'list rss':>9}  (MiB)")
        for n in args.sizes:
            path = Path(tmp) / f"records-{n}.jsonl"
            write_records(path, n)
            res = {}
            for variant in ("streaming", "list"):
                timed = _run_child(variant, path, args.n_boot, trace=False)
                traced = _run_child(variant, path, args.n_boot, trace=True)
                res[variant] = {**timed, "peak_mib": traced["peak_mib"]}
            assert res["streaming"]["card"] == res["list"]["card"], "streaming and list scorecards differ"
            s, b = res["streaming"], res["list"]
            print(f"{n:>8} {path.stat().st_size / 2 ** 20:>8.0f} {s['items']:>8} | {s['seconds']:>8.2f} "
                  f"{b['seconds']:>8.2f} | {s['peak_mib']:>11.1f} {b['peak_mib']:>10.1f} | {s['maxrss_mib']:>10.0f} "
                  f"{b['maxrss_mib']:>9.0f}   ({n / s['seconds']:,.0f} records/s streaming)", flush=True)


if __name__ == "__main__":
    main()
