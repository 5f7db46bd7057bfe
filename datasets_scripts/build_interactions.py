"""Build ``playschool/playpen-interactions``: episode records turned into SFT conversations and DPO pairs.

Usage::

    python datasets_scripts/build_interactions.py --runs runs/a runs/b --out build/playpen-interactions
    python datasets_scripts/build_interactions.py --runs runs/a --out DIR --include-test   # see below

Config ``interactions`` (default): one row per episode and learner perspective. ``messages`` is the chat the
learner's role saw, exactly as the game sent it (instructions, observations, clarifications, corrections and
environment feedback as ``user``, its own moves as ``assistant``; consecutive messages merged as
``Episode.tell`` merges them); ``meta`` keeps the feedback kinds per message, the reward and error of every
move, the outcome and the scores. A self-play episode gives one row per role the learner played; an episode
of the reference player (``playschool calibrate``) gives one row for the learner's seat (``played_by``).

Config ``preferences``: TRL's conversational preference format (``prompt``, ``chosen``, ``rejected``), from
runs that gave different replies at the same learner turn. See :func:`preference_rows` for the rule.

Rows keep the split of their instance; test-split episodes are left out unless ``--include-test`` (test
instances are held out for CLU2; training on them leaks the test).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
from collections import defaultdict
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import dataset_io as io  # noqa: E402
from playschool.games import EpisodeRecord, RecordError  # noqa: E402
from playschool.games.loading import canonical_json  # noqa: E402

from playschool.views import View, interaction_rows, learner_view, perspectives  # noqa: E402,F401

DATASET = "playpen-interactions"
META: dict[str, Any] = {
    "pretty_name": "PlaySchool Playpen: interactions",
    "license": "apache-2.0",
    "language": ["en"],
    "task_categories": ["text-generation", "reinforcement-learning"],
    "tags": ["dialogue-games", "playschool", "sft", "dpo", "conversational"],
}


def _messages_feature() -> Any:
    from datasets import Value

    return io.list_feature({"role": Value("string"), "content": Value("string")})


def interaction_features() -> Any:
    from datasets import Features, Value

    s, f = Value("string"), Value("float64")
    meta = {"game": s, "instance_id": s, "split": s, "experiment": s, "seed": Value("int64"), "role": s,
            "learner_role": s, "played_by": s, "self_play": Value("bool"), "roles": s,
            "kinds": io.list_feature(io.list_feature(s)), "rewards": io.list_feature(f), "errors": io.list_feature(s), "outcome": s, "reason": s,
            "main": f, "scores": s, "manifest_id": s, "run": s}
    return Features({"id": s, "messages": _messages_feature(), "meta": meta})


def preference_features() -> Any:
    from datasets import Features, Value

    s, f = Value("string"), Value("float64")
    meta = {"game": s, "instance_id": s, "split": s, "experiment": s, "role": s, "turn": Value("int32"),
            "chosen_main": f, "rejected_main": f, "chosen_reward": f, "rejected_reward": f,
            "chosen_from": io.list_feature(s), "rejected_from": io.list_feature(s)}
    return Features({"id": s, "prompt": _messages_feature(), "chosen": _messages_feature(),
                     "rejected": _messages_feature(), "meta": meta})


# The learner's view lives in the Playpen (the training recipes read it too).


# ---------------------------------------------------------------------------------------- preferences
def preference_rows(interactions: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """DPO pairs from learner turns that share a conversation prefix but got different replies.

    Rule: learner turns are grouped by (game, instance, role, who played the other roles, every message before
    the turn). Within a group, each distinct reply is valued by the mean ``main`` score of the episodes that
    made it there, ties broken by the mean reward of that move. For every two distinct replies with different
    values, the higher is ``chosen`` and the lower ``rejected``; equal values give no pair. ``prompt`` is the
    shared prefix (TRL's conversational format), ``chosen``/``rejected`` one assistant message each.
    """
    groups: dict[str, dict[str, list[tuple[float, float, str]]]] = defaultdict(lambda: defaultdict(list))
    context: dict[str, tuple[dict[str, Any], list[dict[str, str]], int]] = {}
    for row in interactions:
        meta = row["meta"]
        others = {r: who for r, who in json.loads(meta["roles"]).items() if r != meta["role"]}
        for i, msg in enumerate(row["messages"]):
            if msg["role"] != "assistant" or i == 0:
                continue  # a reply with nothing before it has no prompt to pair on
            prefix = row["messages"][:i]
            key = canonical_json([meta["game"], meta["instance_id"], meta["role"], others, prefix])
            groups[key][msg["content"]].append((meta["main"], meta["rewards"][i] or 0.0, row["id"]))
            turn = sum(1 for m in prefix if m["role"] == "assistant")
            context.setdefault(key, (meta, prefix, turn))
    out = []
    for key, replies in groups.items():
        if len(replies) < 2:
            continue
        meta, prefix, turn = context[key]
        valued = sorted((sum(v[0] for v in vs) / len(vs), sum(v[1] for v in vs) / len(vs), text,
                         sorted(v[2] for v in vs)) for text, vs in replies.items())
        for a in range(len(valued)):
            for b in range(a + 1, len(valued)):
                lo, hi = valued[a], valued[b]
                if (lo[0], lo[1]) == (hi[0], hi[1]):
                    continue
                if (lo[0], lo[1]) > (hi[0], hi[1]):
                    lo, hi = hi, lo
                pair_id = hashlib.sha256(canonical_json([key, hi[2], lo[2]]).encode()).hexdigest()[:20]
                out.append({
                    "id": pair_id, "prompt": prefix,
                    "chosen": [{"role": "assistant", "content": hi[2]}],
                    "rejected": [{"role": "assistant", "content": lo[2]}],
                    "meta": {"game": meta["game"], "instance_id": meta["instance_id"], "split": meta["split"],
                             "experiment": meta["experiment"], "role": meta["role"], "turn": turn,
                             "chosen_main": hi[0], "rejected_main": lo[0], "chosen_reward": hi[1],
                             "rejected_reward": lo[1], "chosen_from": hi[3], "rejected_from": lo[3]},
                })
    return sorted(out, key=lambda r: r["id"])


# ---------------------------------------------------------------------------------------------- build
def _read_run(path: Path) -> tuple[str, list[EpisodeRecord], dict[str, Any]]:
    """(run name, records, manifest) of a run folder or a records JSONL file. Unfinished files are errors."""
    from playschool.manifest import read_manifest
    from playschool.store import iter_records

    folder = path if path.is_dir() else path.parent
    try:
        # allow_partial_tail=False: a cut last line means the run was killed mid-write; resume it first.
        records = list(iter_records(path, allow_partial_tail=False))
    except FileNotFoundError as exc:
        raise io.BuildError(str(exc)) from exc
    except RecordError as exc:
        raise io.BuildError(f"broken records file: {exc}") from exc
    try:
        manifest = read_manifest(folder) or {}
    except json.JSONDecodeError as exc:
        raise io.BuildError(f"{folder}/manifest.json is not valid JSON: {exc}") from exc
    return folder.name, records, manifest


def _card_body(configs: list[io.Config], sources: list[dict[str, Any]], skipped_test: int, version: str) -> str:
    lines = [
        "# PlaySchool Playpen: interactions",
        "",
        "Episodes of the Playpen's dialogue games as training data, from the learner's point of view.",
        "",
        "```python",
        "from datasets import load_dataset",
        f'sft = load_dataset("playschool/{DATASET}", "interactions", revision="{version}")   # trl.SFTTrainer',
        f'dpo = load_dataset("playschool/{DATASET}", "preferences", revision="{version}")    # trl.DPOTrainer',
        "```",
        "",
        "## Config `interactions`",
        "",
        "One row per episode and learner perspective. `messages` is the conversation the learner's role saw, as "
        "the game sent it: instructions, observations, clarification requests, corrections and environment "
        "feedback are `user` messages (consecutive ones merged with a blank line, as in the game), the "
        "learner's moves are `assistant` messages. `meta` holds: `game`, `instance_id`, `split`, `experiment`, "
        "`seed`; `role` (whose view this is), `learner_role` (the seat scored), `played_by` (`learner`, or "
        "`teacher` for the reference player), `self_play`, `roles` (JSON: who played each role); aligned with "
        "`messages`: `kinds` (feedback kinds merged into each message, `move` for the learner's), `rewards` "
        "and `errors` (`format`/`rule`/empty) of each move; the episode's `outcome`, `reason`, `main` score "
        "(0-100) and all `scores` (JSON); `manifest_id` and `run` name the run. Filter on `meta.outcome` or "
        "`meta.main` to train only on good episodes.",
        "",
        "## Config `preferences`",
        "",
        "TRL's conversational preference format: `prompt` (the conversation so far), `chosen` and `rejected` "
        "(one assistant message each). Rule: learner turns are grouped by game, instance, role, who played the "
        "other roles, and the exact conversation before the turn. Within a group each distinct reply is valued "
        "by the mean `main` score of the episodes that made it there, ties broken by the mean reward of that "
        "move; every two distinct replies with different values give one pair, the higher one `chosen`. "
        "`meta.chosen_from`/`rejected_from` list the `interactions` ids behind each side.",
        "",
        "## Contents",
        "",
        "| config | split | rows |",
        "|---|---|---|",
    ]
    lines += [f"| `{c.name}` | {s} | {len(c.splits[s])} |" for c in configs for s in c.ordered_splits()]
    lines += ["", "## Sources", "", "| run | manifest | learner | teacher | episodes |", "|---|---|---|---|---|"]
    lines += [f"| {s['run']} | `{s['manifest_id']}` | {s['learner']} | {s['teacher']} | {s['episodes']} |"
              for s in sources]
    if skipped_test:
        lines += ["", f"{skipped_test} test-split episode(s) were left out: test instances are held out for CLU2."]
    lines += ["", "## How it was built", "",
              f"`python datasets_scripts/build_interactions.py` ({io.tool_versions()}); rows sorted by id, so "
              "the same runs give byte-identical files (`checksums.sha256`).", "",
              "## License", "", "The transcripts contain text generated by the models named under Sources; their "
              "terms may apply in addition to this dataset's license."]
    return "\n".join(lines)


def build(out: Path, runs: Sequence[Path], *, include_test: bool = False, version: str | None = None,
          license: str = "apache-2.0") -> Path:
    """Build the dataset folder at ``out`` from the given run folders (atomically). Returns its path."""
    if not runs:
        raise io.BuildError("no runs given")
    history = io.history_until(DATASET, version)
    rows: dict[str, dict[str, Any]] = {}
    origin: dict[str, str] = {}
    sources = []
    skipped_test = 0
    for path in runs:
        run, records, manifest = _read_run(Path(path))
        sources.append({"run": run, "manifest_id": manifest.get("manifest_id", ""), "episodes": len(records),
                        "learner": manifest.get("learner", "?"), "teacher": manifest.get("teacher", "?")})
        for record in records:
            if record.split == "test" and not include_test:
                skipped_test += 1
                continue
            for row in interaction_rows(record, run):
                if row["id"] in rows:
                    raise io.BuildError(f"episode {row['id']} appears in both {origin[row['id']]} and {path}: "
                                        "pass each run once")
                rows[row["id"]], origin[row["id"]] = row, str(path)
    if not rows:
        raise io.BuildError(f"the runs hold no usable episode ({skipped_test} test-split episode(s) left out)")
    ordered = [rows[k] for k in sorted(rows)]
    configs = [io.Config("interactions", interaction_features(), _by_split(ordered), default=True)]
    prefs = preference_rows(ordered)
    if prefs:
        configs.append(io.Config("preferences", preference_features(), _by_split(prefs)))
    else:
        print("note: no learner turn got different replies across the runs: no preferences config",
              file=sys.stderr)
    body = _card_body(configs, sorted(sources, key=lambda s: (s["run"], s["manifest_id"])), skipped_test,
                      history[-1]["version"])
    return io.write_dataset(out, configs, {**META, "license": license}, body, history)


def _by_split(rows: Iterable[dict[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    out: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for row in rows:
        out[row["meta"]["split"]].append(row)
    return dict(out)


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--runs", nargs="+", type=Path, required=True, help="run folders (or records.jsonl files)")
    ap.add_argument("--out", type=Path, required=True, help="dataset folder to (re)build")
    ap.add_argument("--include-test", action="store_true", help="keep test-split episodes (leaks the CLU2 test)")
    ap.add_argument("--version", help="dataset version from versions.json (default: the latest)")
    ap.add_argument("--license", default="apache-2.0", help="license id for the card (default: apache-2.0)")
    args = ap.parse_args(argv)
    try:
        folder = build(args.out, args.runs, include_test=args.include_test, version=args.version,
                       license=args.license)
    except io.BuildError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print(f"built {folder}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
