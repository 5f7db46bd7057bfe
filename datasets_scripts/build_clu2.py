"""Build ``playschool/clu2``: the CLU2 reference tasks in one schema, the interactional test manifest, the registry.

Usage::

    python datasets_scripts/build_clu2.py --out build/clu2                        # sources from the Hub
    python datasets_scripts/build_clu2.py --out build/clu2 --source-dir MIRROR   # an offline mirror

Sources are listed in ``clu2_sources.json`` (Hub id, pinned revision, config, split mapping, field mapping,
license). Online, each is read with ``datasets.load_dataset(hub_id, config, split=..., revision=...)``. An
offline mirror holds the same rows as JSON lines at ``<source-dir>/<hub_id>/<config>/<split>.jsonl`` (config
``default`` when a source has none), e.g. ``MIRROR/cais/mmlu/all/test.jsonl``.

Configs: one per reference task (``mmlu``, ...; splits ``test`` and, where mapped, ``validation``) with
``id, task, question, choices, answer, answer_index, source, source_revision, source_config, source_split,
license``; ``interactional`` (split ``test``): the test instances and learner roles of every registered game;
``tasks`` (split ``test``): the task registry, also written as ``tasks.json``.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import dataset_io as io  # noqa: E402
from playschool.games import UnknownGameError, game_names, load_game  # noqa: E402

DATASET = "clu2"
SOURCES_FILE = io.HERE / "clu2_sources.json"
_SHA = re.compile(r"^[0-9a-f]{40}$")
REGISTRY_NOTE = ("The dataset's copy of the CLU2 task registry, for reference. The CLU2 evaluation "
                 "(playschool.benchmark) owns the registry it scores with.")
META: dict[str, Any] = {
    "pretty_name": "CLU2: collaborative language understanding and use",
    "language": ["en"],
    "task_categories": ["multiple-choice", "question-answering", "text-generation"],
    "tags": ["evaluation", "playschool", "pragmatics", "theory-of-mind", "dialogue-games"],
}


def task_features() -> Any:
    from datasets import Features, Value

    s = Value("string")
    return Features({"id": s, "task": s, "question": s, "choices": io.list_feature(s), "answer": s,
                     "answer_index": Value("int32"), "source": s, "source_revision": s, "source_config": s,
                     "source_split": s, "license": s})


def manifest_features() -> Any:
    from datasets import Features, Value

    s = Value("string")
    return Features({"id": s, "game": s, "instance_id": s, "experiment": s, "learner_role": s,
                     "seed": Value("int64")})


def registry_features() -> Any:
    from datasets import Features, Value

    s, f = Value("string"), Value("float64")
    return Features({"id": s, "plane": s, "dimension": s, "metric": s, "random_baseline": f, "ceiling": f,
                     "weight": f})


# -------------------------------------------------------------------------------------------- sources
def load_sources(path: Path = SOURCES_FILE) -> list[dict[str, Any]]:
    tasks = json.loads(path.read_text(encoding="utf-8"))["tasks"]
    ids = [t["id"] for t in tasks]
    if len(set(ids)) != len(ids):
        raise io.BuildError(f"{path}: duplicate task ids")
    return list(tasks)


def _mirror_rows(source_dir: Path, spec: Mapping[str, Any], split: str) -> Iterator[dict[str, Any]]:
    path = source_dir / spec["hub_id"] / spec.get("config", "default") / f"{split}.jsonl"
    if not path.is_file():
        raise io.BuildError(f"clu2 task {spec['id']!r}: source split {split!r} not found at {path} (offline mirror "
                            "layout: <source-dir>/<hub_id>/<config>/<split>.jsonl)")
    with path.open(encoding="utf-8") as fh:
        for lineno, line in enumerate(fh, start=1):
            if line.strip():
                try:
                    yield json.loads(line)
                except json.JSONDecodeError as exc:
                    raise io.BuildError(f"{path}:{lineno}: not valid JSON: {exc}") from exc


def _hub_rows(spec: Mapping[str, Any], split: str) -> Iterator[dict[str, Any]]:
    import datasets

    config = spec.get("config")
    try:
        ds = datasets.load_dataset(spec["hub_id"], None if config == "default" else config, split=split,
                                   revision=spec["revision"])
    except Exception as exc:  # network, missing split, auth: name the source in any case
        raise io.BuildError(f"clu2 task {spec['id']!r}: cannot load {spec['hub_id']} ({config}, split {split!r}, "
                            f"revision {spec['revision']}): {type(exc).__name__}: {exc}") from exc
    for row in ds:
        yield dict(row)


def _field(row: Mapping[str, Any], dotted: str) -> Any:
    value: Any = row
    for part in dotted.split("."):
        if not isinstance(value, Mapping) or part not in value:
            raise KeyError(dotted)
        value = value[part]
    return value


def _answer_index(row: Mapping[str, Any], spec: Mapping[str, Any]) -> int:
    kind, value = spec["type"], _field(row, spec["field"])
    if kind == "index":
        return int(value)
    if kind == "one_based":
        return int(value) - 1
    if kind == "label":
        return [str(x) for x in _field(row, spec["labels"])].index(str(value))
    if kind == "letter":
        return "ABCDEFGHIJ".index(str(value).strip().upper())
    if kind == "scores":
        best = max(value)
        if best <= 0 or list(value).count(best) != 1:
            raise ValueError(f"no single best choice in scores {value}")
        return list(value).index(best)
    if kind == "map":
        return int(spec["map"][str(value)])
    raise ValueError(f"unknown answer type {kind!r}")


def normalise(spec: Mapping[str, Any], split: str, source_split: str, index: int,
              row: Mapping[str, Any]) -> dict[str, Any] | None:
    """One source row in the common schema; ``None`` when its answer is unusable and the task allows dropping."""
    fields = spec["fields"]
    try:
        question = fields["question"].format_map(row)
        choice_spec = fields.get("choices", {})
        if "field" in choice_spec:
            choices = [str(c) for c in _field(row, choice_spec["field"])]
        elif "fields" in choice_spec:
            choices = [str(_field(row, f)) for f in choice_spec["fields"]]
        else:
            choices = [str(c) for c in choice_spec.get("fixed", [])]
        ans = fields["answer"]
        if ans["type"] == "text":
            text = str(_field(row, ans["field"]))
            answer, answer_index = (text.split(ans["after"])[-1] if ans.get("after") else text).strip(), -1
            if not answer:
                raise ValueError("empty answer")
        else:
            answer_index = _answer_index(row, ans)
            if not 0 <= answer_index < len(choices):
                raise ValueError(f"answer {answer_index} outside the {len(choices)} choices")
            answer = choices[answer_index]
        local_id = fields["id"].format_map(row) if "id" in fields else f"{index:05d}"
    except (KeyError, ValueError, IndexError, TypeError) as exc:
        if spec.get("drop_unanswerable") and isinstance(exc, ValueError):
            return None
        raise io.BuildError(f"clu2 task {spec['id']!r}, source split {source_split!r}, row {index}: cannot map "
                            f"{type(exc).__name__}: {exc} (source fields: {sorted(row)})") from exc
    return {"id": f"{spec['id']}/{split}/{local_id}", "task": spec["id"], "question": question, "choices": choices,
            "answer": answer, "answer_index": answer_index, "source": spec["hub_id"],
            "source_revision": spec["revision"], "source_config": spec.get("config", "default"),
            "source_split": source_split, "license": spec["license"]}


def task_rows(spec: Mapping[str, Any], source_dir: Path | None) -> tuple[dict[str, list[dict[str, Any]]], int]:
    """Rows per split of one task, and how many source rows were dropped as unanswerable."""
    out: dict[str, list[dict[str, Any]]] = {}
    dropped = 0
    for split, source_split in spec["splits"].items():
        rows = _mirror_rows(source_dir, spec, source_split) if source_dir else _hub_rows(spec, source_split)
        kept = []
        for i, row in enumerate(rows):
            norm = normalise(spec, split, source_split, i, row)
            if norm is None:
                dropped += 1
            else:
                kept.append(norm)
        if not kept:
            raise io.BuildError(f"clu2 task {spec['id']!r}: source split {source_split!r} has no usable rows")
        ids = [r["id"] for r in kept]
        if len(set(ids)) != len(ids):
            raise io.BuildError(f"clu2 task {spec['id']!r}: duplicate ids in split {split!r}")
        out[split] = kept
    return out, dropped


# ------------------------------------------------------------------------------- manifest and registry
def manifest_rows(games: Sequence[str]) -> list[dict[str, Any]]:
    """The interactional test: every test instance of each game, once per learner role it supports."""
    rows = []
    for name in games:
        game = load_game(name)
        for inst in game.generate("test"):
            rows += [{"id": f"{game.versioned_id}/{inst.id}/{role}", "game": game.versioned_id,
                      "instance_id": inst.id, "experiment": inst.experiment, "learner_role": role,
                      "seed": inst.seed} for role in game.learner_roles if game.supports(inst, role)]
    return rows


def registry_rows(specs: Sequence[Mapping[str, Any]], built: Mapping[str, dict[str, list[dict[str, Any]]]],
                  games: Sequence[str]) -> list[dict[str, Any]]:
    out = []
    for spec in specs:
        test = built[spec["id"]]["test"]
        generative = all(r["answer_index"] < 0 for r in test)
        # The expected accuracy of guessing uniformly among each item's choices.
        baseline = 0.0 if generative else 100.0 * sum(1 / len(r["choices"]) for r in test) / len(test)
        out.append({"id": spec["id"], "plane": "reference", "dimension": "understanding_reasoning",
                    "metric": "exact_match" if generative else "accuracy", "random_baseline": round(baseline, 4),
                    "ceiling": 100.0, "weight": float(spec.get("weight", 1.0))})
    for name in games:
        # The random player's score comes from `playschool calibrate`; the evaluation fills it in.
        out.append({"id": load_game(name).versioned_id, "plane": "interactional", "dimension": "collaborative",
                    "metric": "main", "random_baseline": None, "ceiling": 100.0, "weight": 1.0})
    return out


# ---------------------------------------------------------------------------------------------- build
def _card_body(specs: Sequence[Mapping[str, Any]], built: Mapping[str, dict[str, list[dict[str, Any]]]],
               dropped: Mapping[str, int], manifest: list[dict[str, Any]], offline: bool, version: str) -> str:
    lines = [
        "# CLU2: collaborative language understanding and use",
        "",
        "The test data of the PlaySchool-LM challenge's CLU2 evaluation, in two planes: *reference* tasks "
        "(knowledge, reasoning, pragmatics, theory of mind, social commonsense; normalised to one schema) and "
        "*interactional* tests (held-out test instances of the Playpen games, listed in config `interactional`; "
        "the instances themselves are in `playschool/playpen-games`).",
        "",
        "```python",
        "from datasets import load_dataset",
        f'mmlu = load_dataset("playschool/{DATASET}", "mmlu", split="test", revision="{version}")',
        "```",
        "",
        "## Reference tasks",
        "",
        "Fields: `id`, `task`, `question`, `choices` (empty for generative tasks), `answer` (the gold choice's "
        "text, or the exact-match answer), `answer_index` (-1 for generative tasks), `source` (Hub id), "
        "`source_revision`, `source_config`, `source_split`, `license`.",
        "",
        "| task | skill | source | revision | splits (rows) | license | dropped |",
        "|---|---|---|---|---|---|---|",
    ]
    for spec in specs:
        rows = built[spec["id"]]
        splits = ", ".join(f"{s} ← {spec['splits'][s]} ({len(rows[s])})" for s in rows)
        lines.append(f"| `{spec['id']}` | {spec['category']} | `{spec['hub_id']}` ({spec.get('config', 'default')}) "
                     f"| `{spec['revision']}` | {splits} | {spec['license']} | {dropped[spec['id']]} |")
    pinned = all(_SHA.match(s["revision"]) for s in specs)
    lines += ["", ("Every source is pinned to a commit." if pinned else
                   "**Not every source revision is pinned to a commit yet** (this version was prepared without "
                   "network access); pin them in `datasets_scripts/clu2_sources.json` before relying on this "
                   "data."), "",
              ("Built from an offline mirror of the sources listed above." if offline else
               "Built from the Hub sources at the revisions listed above.") +
              " `dropped`: source rows without a usable answer (e.g. Circa's `Other` label).",
              "", "## Interactional test", "",
              f"Config `interactional`: {len(manifest)} (instance, learner role) pairs. Play them with "
              "`playschool run --split test`; the instances are `load_instances(game, \"test\")`.", "",
              "| game | instances | roles |", "|---|---|---|"]
    per_game: dict[str, tuple[set[str], set[str]]] = {}
    for r in manifest:
        insts, roles = per_game.setdefault(r["game"], (set(), set()))
        insts.add(r["instance_id"])
        roles.add(r["learner_role"])
    lines += [f"| `{g}` | {len(i)} | {', '.join(sorted(r))} |" for g, (i, r) in sorted(per_game.items())]
    lines += ["", "## Task registry", "", f"Config `tasks` and `tasks.json`. {REGISTRY_NOTE} A missing "
              "`random_baseline` of a game is measured by `playschool calibrate`.", "",
              "## How it was built", "", f"`python datasets_scripts/build_clu2.py` ({io.tool_versions()}).", "",
              "## Licenses", "", "Each row carries its source's license (listed above); the manifests and the "
              "registry are Apache-2.0, like playschool."]
    return "\n".join(lines)


def build(out: Path, *, source_dir: Path | None = None, tasks: Sequence[str] | None = None,
          games: Sequence[str] | None = None, allow_unpinned: bool = False, version: str | None = None,
          sources_file: Path = SOURCES_FILE) -> Path:
    history = io.history_until(DATASET, version)
    specs = load_sources(sources_file)
    if tasks:
        unknown = sorted(set(tasks) - {s["id"] for s in specs})
        if unknown:
            raise io.BuildError(f"unknown task(s) {unknown}; {sources_file.name} has {[s['id'] for s in specs]}")
        specs = [s for s in specs if s["id"] in tasks]
    if source_dir is None and not allow_unpinned:
        loose = [s["id"] for s in specs if not _SHA.match(s["revision"])]
        if loose:
            raise io.BuildError(f"source revisions of {loose} are not pinned to a commit sha in {sources_file.name}; "
                                "pin them (or pass --allow-unpinned for a trial build)")
    if source_dir is not None and not source_dir.is_dir():
        raise io.BuildError(f"--source-dir {source_dir} is not a folder")
    games = list(games or game_names())
    built: dict[str, dict[str, list[dict[str, Any]]]] = {}
    dropped: dict[str, int] = {}
    for spec in specs:
        built[spec["id"]], dropped[spec["id"]] = task_rows(spec, source_dir)
    manifest = manifest_rows(games)
    registry = registry_rows(specs, built, games)
    configs = [io.Config(s["id"], task_features(), built[s["id"]], default=i == 0) for i, s in enumerate(specs)]
    configs.append(io.Config("interactional", manifest_features(), {"test": manifest}))
    configs.append(io.Config("tasks", registry_features(), {"test": registry}))
    licenses = sorted({s["license"] for s in specs} | {"apache-2.0"})
    body = _card_body(specs, built, dropped, manifest, source_dir is not None, history[-1]["version"])
    registry_json = json.dumps({"note": REGISTRY_NOTE, "tasks": registry}, indent=2) + "\n"
    return io.write_dataset(out, configs, {**META, "license": licenses}, body, history,
                            extra_files={"tasks.json": registry_json})


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--out", type=Path, required=True, help="dataset folder to (re)build")
    ap.add_argument("--source-dir", type=Path, help="offline mirror: <dir>/<hub_id>/<config>/<split>.jsonl")
    ap.add_argument("--tasks", nargs="+", help="reference tasks to include (default: all in clu2_sources.json)")
    ap.add_argument("--games", nargs="+", help="games of the interactional test (default: every registered game)")
    ap.add_argument("--allow-unpinned", action="store_true", help="read Hub sources at unpinned revisions")
    ap.add_argument("--version", help="dataset version from versions.json (default: the latest)")
    args = ap.parse_args(argv)
    try:
        folder = build(args.out, source_dir=args.source_dir, tasks=args.tasks, games=args.games,
                       allow_unpinned=args.allow_unpinned, version=args.version)
    except (io.BuildError, UnknownGameError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print(f"built {folder}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
