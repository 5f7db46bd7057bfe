"""Rollout throughput for GRPO: a step's groups played batched (every pending learner turn of every episode in one
``generate`` call) vs the same episodes played one at a time, side by side in one process.

    python tests/perf/bench_rollout.py                     # nano model, reference:listener, 4 groups x 8
    python tests/perf/bench_rollout.py --roles mapnav:follower --groups 2 --group-size 8 --rounds 3
    python tests/perf/bench_rollout.py --reuse-cache       # batched, with and without reuse of keys/values

Both variants play the same tasks with the same sampling seeds (a reply depends on the decoding seed, the episode
and the turn only, never on batching), so they generate the same episodes: the ratio is pure batching. Rounds
alternate (batched, one-at-a-time, batched, ...) so drift in the machine's load hits both alike. Reported per
variant: episodes/s and generated tokens/s (median over rounds) and the batched/one-at-a-time ratio. With
``--reuse-cache`` the second variant is batched play reusing keys and values (a group's shared prompt computed
once, an episode's history kept across its turns; cleared before each round, as GRPO clears it every step).
"""

from __future__ import annotations

import argparse
import statistics
import time
from typing import Any


def _play(backend: Any, groups: list[Any], group_size: int, concurrency: int | None) -> tuple[float, int, int]:
    from playschool.baselines.rollout import play_groups

    from playschool.backends.base import Decoding

    t0 = time.perf_counter()
    records, _ = play_groups(backend, groups, group_size=group_size, step=0, concurrency=concurrency,
                             decoding=Decoding(max_new_tokens=48, temperature=1.0, seed=0))
    seconds = time.perf_counter() - t0
    tokens = sum((t.tokens or {}).get("completion", 0) for r in records for t in r.turns
                 if t.kind == "move" and t.speaker == r.learner_role)
    return seconds, len(records), tokens


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", default="nano", help="'nano' or a model folder")
    parser.add_argument("--roles", nargs="+", default=["reference:listener"])
    parser.add_argument("--groups", type=int, default=4)
    parser.add_argument("--group-size", type=int, default=8)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--reuse-cache", action="store_true", help="compare batched with batched + reuse")
    args = parser.parse_args()

    import torch
    from playschool.baselines.heldout import parse_roles
    from playschool.baselines.rollout import InstancePicker

    from playschool.backends.hf import HFBackend
    from playschool.nano import nano_model_path

    torch.set_num_threads(max(1, torch.get_num_threads()))
    backend = HFBackend(nano_model_path() if args.model == "nano" else args.model, max_batch_size=256)
    picker = InstancePicker(seed=0)
    groups = []
    for game, role in parse_roles(args.roles):
        g = picker.game(game)
        for j in range(args.groups):
            exp = g.experiments[j % len(g.experiments)]
            groups.append((g, picker.draw(game, exp, role), role))
    episodes = len(groups) * args.group_size
    print(f"{len(groups)} groups x {args.group_size} episodes = {episodes} episodes per round, {args.rounds} rounds")
    other = "batched + reuse" if args.reuse_cache else "one at a time"
    results: dict[str, list[tuple[float, int, int]]] = {"batched": [], other: []}
    for _ in range(args.rounds):
        backend.set_cache_reuse(False)
        results["batched"].append(_play(backend, groups, args.group_size, None))
        backend.set_cache_reuse(args.reuse_cache)  # a fresh, empty store each round: a GRPO step starts empty
        results[other].append(_play(backend, groups, args.group_size, 1 if not args.reuse_cache else None))
    rows = {}
    for name, runs in results.items():
        eps = statistics.median(n / s for s, n, _ in runs)
        tps = statistics.median(k / s for s, _, k in runs)
        rows[name] = (eps, tps)
        print(f"{name:>14}: {eps:7.2f} episodes/s  {tps:8.1f} generated tokens/s  "
              f"(median of {len(runs)}; {runs[0][2]} tokens per round)")
    b, o = rows["batched"], rows[other]
    print(f"ratio batched / {other}: {b[0] / o[0]:.2f}x episodes/s, {b[1] / o[1]:.2f}x tokens/s")


if __name__ == "__main__":
    main()
