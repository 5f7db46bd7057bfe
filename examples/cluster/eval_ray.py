"""CLU2 sharded over a Ray cluster: one Ray task per shard (``playschool eval --shard I/N``), then
``playschool eval merge`` into the result an unsharded run writes.

    # on a Ray cluster: playschool installed on every node, models and --out on a shared filesystem
    python examples/cluster/eval_ray.py --shards 8 --out /shared/runs/clu2-sft \\
        --learner hf:/shared/models/my-sft --base hf:/shared/models/base

    # without Ray: the same shards one after another on this machine, then the same merge
    python examples/cluster/eval_ray.py --local --shards 2 --out runs/clu2-demo \\
        --learner teacher --skip-reference --n 1 --games reference mapnav

Every flag this script does not define goes, unchanged and identically, to every shard's ``playschool eval``
(learner, base, games, ``--instance-seed``, bootstrap settings, ...): shards of one run must share their settings,
and ``eval merge`` refuses shards whose settings differ. The command line is parsed by playschool's own parser
before anything starts, so a typo fails here, not in N tasks. Shard I writes ``OUT/shard-I``; the merged result
goes to ``OUT`` (``results.json``, ``results.csv``, ``report.html``, ``transcripts/``).

Each shard runs as a subprocess of its Ray task: the GPU Ray assigned (``CUDA_VISIBLE_DEVICES``) is inherited, and
the model's memory is freed when the shard ends. The shards' folders must be on a filesystem every node and the
driver can reach: the merge reads them all. A shard is resumable (its episodes are fsync'd as they end), so a task
Ray retries after a lost node, or a rerun of this whole command, plays only what is missing.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path


def parse_args(argv: Sequence[str] | None) -> tuple[argparse.Namespace, list[str]]:
    # allow_abbrev=False: otherwise `--n 1` (an eval flag) would be taken as an abbreviation of --num-gpus.
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0], allow_abbrev=False,
                                epilog="Any other flag is passed to every shard's `playschool eval`.")
    p.add_argument("--shards", type=int, required=True, help="number of shards N (one task per shard)")
    p.add_argument("--out", required=True, help="merged result here; shard I in OUT/shard-I")
    p.add_argument("--local", action="store_true", help="no Ray: run the shards here, one after another")
    p.add_argument("--address", help="Ray cluster address (default: RAY_ADDRESS, else a local Ray instance)")
    p.add_argument("--num-gpus", type=float, default=1.0,
                   help="GPUs per shard task (default 1; 0 for openai:/teacher/random learners)")
    p.add_argument("--num-cpus", type=float, default=1.0, help="CPUs per shard task (default 1)")
    args, eval_args = p.parse_known_args(argv)
    if args.shards < 1:
        p.error("--shards must be at least 1")
    if any(a == "--shard" or a.startswith("--shard=") or a == "merge" for a in eval_args):
        p.error("this script sets --shard for each task and merges itself; leave --shard and merge out")
    # Fail now, once, on a flag `playschool eval` would refuse in every task (argparse exits with its message).
    from playschool.cli import build_parser

    build_parser().parse_args(["eval", *eval_args, "--shard", f"0/{args.shards}", "--out", args.out])
    return args, eval_args


def shard_dir(out: str | Path, index: int) -> Path:
    return Path(out) / f"shard-{index}"


def shard_command(index: int, count: int, out: str | Path, eval_args: Sequence[str],
                  python: str | None = None) -> list[str]:
    """The shard's command line. ``python`` defaults to the interpreter running it (on a Ray worker: the worker's)."""
    return [python or sys.executable, "-m", "playschool.cli", "eval", *eval_args,
            "--shard", f"{index}/{count}", "--out", str(shard_dir(out, index))]


def merge_command(count: int, out: str | Path) -> list[str]:
    return [sys.executable, "-m", "playschool.cli", "eval", "merge",
            *(str(shard_dir(out, i)) for i in range(count)), "--out", str(out)]


def run_shard(index: int, count: int, out: str, eval_args: Sequence[str]) -> tuple[int, int]:
    """Run one shard to the end; (index, exit status). Status 1: some episodes could not be played (a backend
    failure); running it again retries just those."""
    return index, subprocess.run(shard_command(index, count, out, eval_args), check=False).returncode


def run_local(args: argparse.Namespace, eval_args: Sequence[str]) -> list[tuple[int, int]]:
    return [run_shard(i, args.shards, args.out, eval_args) for i in range(args.shards)]


def run_ray(args: argparse.Namespace, eval_args: Sequence[str]) -> list[tuple[int, int]]:
    try:
        import ray  # only here: --local, the tests and the docs' examples need no Ray
    except ImportError:
        raise SystemExit("eval_ray.py: Ray is not installed (pip install 'ray[default]'); "
                         "--local runs the shards on this machine without it") from None
    ray.init(address=args.address)

    # max_retries: Ray reruns a task whose worker or node died; the shard resumes from its fsync'd records.
    @ray.remote(num_gpus=1, max_retries=2)
    def shard_task(index: int) -> tuple[int, int]:
        return run_shard(index, args.shards, args.out, list(eval_args))

    pending = [shard_task.options(num_gpus=args.num_gpus, num_cpus=args.num_cpus).remote(i)
               for i in range(args.shards)]
    done: list[tuple[int, int]] = []
    while pending:
        ready, pending = ray.wait(pending, num_returns=1)
        index, status = ray.get(ready[0])
        print(f"shard {index}/{args.shards} finished with status {status} ({len(pending)} to go)", flush=True)
        done.append((index, status))
    return sorted(done)


def main(argv: Sequence[str] | None = None) -> int:
    args, eval_args = parse_args(argv)
    statuses = run_local(args, eval_args) if args.local else run_ray(args, eval_args)
    failed = [i for i, status in statuses if status != 0]
    if failed:
        print(f"shard(s) {', '.join(f'{i}/{args.shards}' for i in failed)} did not finish cleanly; nothing merged. "
              "Run the same command again: every shard resumes from its records.", file=sys.stderr)
        return 1
    return subprocess.run(merge_command(args.shards, args.out), check=False).returncode


if __name__ == "__main__":
    raise SystemExit(main())
