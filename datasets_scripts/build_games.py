"""Build ``playschool/playpen-games``: every registered game's instances, one config per versioned game id.

Usage::

    python datasets_scripts/build_games.py --out build/playpen-games            # all registered games
    python datasets_scripts/build_games.py --out DIR --games taboo wordle         # a subset
    python datasets_scripts/build_games.py --refresh-fingerprints [--games NEW]  # pin generators (see below)

Each config (``taboo-v1``, with the alias ``taboo``) has splits train/validation/test at the game's default
sizes, one row per instance: ``id, game, version, split, experiment, seed, params`` (canonical JSON) and
``learner_roles``. Rows come from :mod:`playschool.games.loading`, which the loader uses too.

Generator guard: ``fingerprints.json`` pins the sha256 of each versioned game's rows. The build refuses a game
whose rows no longer match its pin (the generator changed without a version bump) or that has no pin yet.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import dataset_io as io  # noqa: E402
from playschool.games import SPLITS, UnknownGameError, game_names, load_game  # noqa: E402
from playschool.games.loading import game_rows, instances_fingerprint, rows_fingerprint  # noqa: E402

DATASET = "playpen-games"
FINGERPRINTS_FILE = io.HERE / "fingerprints.json"
REFRESH_HINT = "python datasets_scripts/build_games.py --refresh-fingerprints"

META: dict[str, Any] = {
    "pretty_name": "PlaySchool Playpen: game instances",
    "license": "apache-2.0",
    "language": ["en"],
    "task_categories": ["text-generation", "reinforcement-learning"],
    "tags": ["dialogue-games", "playschool", "clembench", "interactive-learning"],
}


def features() -> Any:
    from datasets import Features, Value

    try:
        from datasets import List
    except ImportError:  # datasets < 4
        from datasets import Sequence as List
    return Features({"id": Value("string"), "game": Value("string"), "version": Value("int32"),
                     "split": Value("string"), "experiment": Value("string"), "seed": Value("int64"),
                     "params": Value("string"), "learner_roles": List(Value("string"))})


# ------------------------------------------------------------------------------------------ fingerprints
def read_fingerprints() -> dict[str, str]:
    if not FINGERPRINTS_FILE.is_file():
        return {}
    return dict(json.loads(FINGERPRINTS_FILE.read_text(encoding="utf-8")))


def fingerprint_problem(versioned_id: str, actual: str, pinned: dict[str, str]) -> str | None:
    """Why ``actual`` does not match the pin of ``versioned_id``, or ``None`` when it does."""
    if versioned_id not in pinned:
        return (f"{versioned_id} has no pinned fingerprint in {FINGERPRINTS_FILE.name}: a new game (or version) "
                f"is pinned once, when its dataset is first built for release: "
                f"{REFRESH_HINT} --games {versioned_id.rpartition('-v')[0]}")
    if pinned[versioned_id] != actual:
        return (f"the generator of {versioned_id} changed without a version bump: bump `version` in its Game "
                f"class (or, if intended before release, refresh fingerprints with `{REFRESH_HINT}`)")
    return None


def refresh_fingerprints(games: Sequence[str] | None = None) -> dict[str, str]:
    """Pin the current generators of ``games`` (default: all registered); other pins are kept."""
    pinned = read_fingerprints()
    for name in games or game_names():
        game = load_game(name)
        pinned[game.versioned_id] = instances_fingerprint(name)
    FINGERPRINTS_FILE.write_text(json.dumps(dict(sorted(pinned.items())), indent=2) + "\n", encoding="utf-8")
    return pinned


# ----------------------------------------------------------------------------------------------- build
def _card_body(configs: list[io.Config], fingerprints: dict[str, str], version: str) -> str:
    lines = [
        "# PlaySchool Playpen: game instances",
        "",
        "The instances of the Playpen's dialogue games (the `playschool` kit of the PlaySchool-LM challenge). Each config is one game at one version; `taboo` is an alias of the "
        "version that was current when this dataset version was built. Instances are generated from seeds, so "
        "the installed generator gives exactly these rows; this dataset freezes them.",
        "",
        "```python",
        "from datasets import load_dataset",
        f'ds = load_dataset("playschool/{DATASET}", "taboo-v1", revision="{version}")',
        "from playschool.games import load_instances          # the same rows as Instance objects",
        f'test = load_instances("taboo-v1", "test", source="hub", revision="{version}")',
        "```",
        "",
        "## Fields",
        "",
        "| field | type | meaning |",
        "|---|---|---|",
        "| `id` | string | instance id within the game, `<split>/<experiment>/<index>` |",
        "| `game` | string | versioned game id (`taboo-v1`) |",
        "| `version` | int32 | the game's version |",
        "| `split` | string | train / validation / test |",
        "| `experiment` | string | the game's experiment (difficulty level or variant) |",
        "| `seed` | int64 | the instance seed (also seeds the teacher's randomness in an episode) |",
        "| `params` | string | the instance parameters as canonical JSON (sorted keys); differ per game |",
        "| `learner_roles` | list of string | the roles a learner can play in this instance |",
        "",
        "## Games",
        "",
        "| config | roles | experiments | train | validation | test | rows sha256 (generator pin) |",
        "|---|---|---|---|---|---|---|",
    ]
    for cfg in configs:
        game = load_game(cfg.name)
        sizes = " | ".join(str(len(cfg.splits[s])) for s in SPLITS)
        lines.append(f"| `{cfg.name}` | {', '.join(game.learner_roles)} | {', '.join(game.experiments)} | {sizes} "
                     f"| `{fingerprints[cfg.name][:16]}…` |")
    lines += ["", "### Game cards", ""]
    for cfg in configs:
        lines += [f"<details><summary><code>{cfg.name}</code>: {load_game(cfg.name).summary}</summary>", "",
                  "```text", load_game(cfg.name).card, "```", "", "</details>", ""]
    lines += [
        "## How it was built",
        "",
        f"`python datasets_scripts/build_games.py` ({io.tool_versions()}). Building twice gives byte-identical "
        "files (`checksums.sha256`). Any change to a generator bumps the game's version, which makes a new config.",
        "",
        "## License",
        "",
        "Apache-2.0, like playschool. Word lists inside some games derive from public resources named in each "
        "game's card (e.g. wordle's lists from `wordfreq`); see there for their terms.",
    ]
    return "\n".join(lines)


def build(out: Path, games: Sequence[str] | None = None, *, version: str | None = None,
          check_fingerprints: bool = True) -> Path:
    """Build the dataset folder at ``out`` (atomically). Returns its path."""
    history = io.history_until(DATASET, version)
    pinned = read_fingerprints()
    configs: list[io.Config] = []
    prints: dict[str, str] = {}
    feats = features()
    for name in games or game_names():
        game = load_game(name)
        rows = {s: game_rows(name, s) for s in SPLITS}
        prints[game.versioned_id] = rows_fingerprint(rows)
        if check_fingerprints and (problem := fingerprint_problem(game.versioned_id, prints[game.versioned_id],
                                                                   pinned)):
            raise io.BuildError(problem)
        configs.append(io.Config(game.versioned_id, feats, rows, aliases=[game.name]))
    body = _card_body(configs, prints, history[-1]["version"])
    return io.write_dataset(out, configs, META, body, history)


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--out", type=Path, help="dataset folder to (re)build")
    ap.add_argument("--games", nargs="+", help="games to include (default: every registered game)")
    ap.add_argument("--version", help="dataset version from versions.json (default: the latest)")
    ap.add_argument("--refresh-fingerprints", action="store_true",
                    help="pin the current generators of --games (default all) in fingerprints.json")
    args = ap.parse_args(argv)
    try:
        if args.refresh_fingerprints:
            pinned = refresh_fingerprints(args.games)
            print(f"pinned {len(pinned)} generator(s) in {FINGERPRINTS_FILE}")
            return 0
        if args.out is None:
            ap.error("--out is required (or --refresh-fingerprints)")
        folder = build(args.out, args.games, version=args.version)
    except (io.BuildError, UnknownGameError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print(f"built {folder}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
