"""The ``playschool`` command: list games, play one, run many, score and render records.

    playschool list
    playschool play taboo --role guesser                # you play against the programmatic teacher
    playschool play wordle --learner hf:PATH            # watch a model play
    playschool run --learner hf:PATH --games taboo wordle --split test --out runs/x [--resume]
    playschool run --learner hf:PATH --feedback environment --out runs/y   # without the teacher's words
    playschool calibrate                                # reference vs random player, per game and role
    playschool score runs/x
    playschool transcript runs/x
    playschool train sft --model PATH --data runs/ref --out models/sft --budget-tokens 5M
    playschool budget verify models/sft/ledger.jsonl
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

from playschool.games import SPLITS, RecordError, UnknownGameError, game_names, list_games, load_game

from .backends.base import Decoding
from .feedback import FEEDBACK_MODES
from .spec import SpecError, check_hf_target, parse_spec

console = Console()
err_console = Console(stderr=True, soft_wrap=True)  # no hard wraps: paths and keys stay copyable


class CLIError(Exception):
    """A user-facing error: printed without a traceback, exit status 2."""


# ---------------------------------------------------------------------------------------------- list
def cmd_list(args: argparse.Namespace) -> int:
    infos = list_games()
    if args.json:
        print(json.dumps([i.__dict__ for i in infos], indent=2))
        return 0
    if not console.is_terminal:
        # Piped to a file or another program: one plain line per game, full ids, nothing cut to a width.
        for i in infos:
            print("\t".join([i.versioned_id, ",".join(i.roles), ",".join(i.learner_roles), ",".join(i.experiments),
                             i.source, i.summary]))
        if args.verbose:
            for i in infos:
                print(f"\n== {i.versioned_id}\n{load_game(i.versioned_id).card}")
        return 0
    table = Table(title="Playpen games")
    for col in ("id", "roles", "learner can play", "experiments", "source", "summary"):
        table.add_column(col)
    for i in infos:
        table.add_row(i.versioned_id, ", ".join(i.roles), ", ".join(i.learner_roles), ", ".join(i.experiments),
                      i.source, i.summary)
    console.print(table)
    if args.verbose:
        for i in infos:
            console.rule(i.versioned_id)
            console.print(load_game(i.versioned_id).card, markup=False)
    return 0


# ----------------------------------------------------------------------------------------------- run
def _decoding(args: argparse.Namespace) -> Decoding:
    return Decoding(max_new_tokens=args.max_new_tokens, temperature=args.temperature, seed=args.sampling_seed)


def _quiet_transformers() -> None:
    """Our progress bar is the one that matters; silence transformers' load/save bars when it is in use."""
    try:
        from transformers.utils import logging as hf_logging
    except ImportError:
        return
    hf_logging.disable_progress_bar()


def _players(args: argparse.Namespace) -> tuple[dict, bool]:
    from .spec import load_player

    _quiet_transformers()
    opts = {"batch_size": args.batch_size, "device": args.device, "concurrency": args.concurrency,
            "reuse_cache": args.reuse_cache, "cache_tokens": args.cache_tokens}
    players = {"learner": load_player(args.learner, **opts)}
    self_play = args.teacher == "self"
    if args.teacher not in ("teacher", "self"):
        players["partner"] = load_player(args.teacher, **opts)
    return players, self_play


def cmd_run(args: argparse.Namespace) -> int:
    from .manifest import build_manifest, record_players, write_or_check_manifest
    from .runner import Runner, plan_episodes
    from .scoring import SUMMARY_HEADER, summarize
    from .store import RecordStore, iter_records

    games = args.games or game_names()
    for g in games:
        load_game(g)  # fail fast, before loading any model, on a typo
    for spec in (args.learner, args.teacher):
        if spec not in ("teacher", "self"):
            check_hf_target(parse_spec(spec))  # a missing model folder fails before the run folder is made
    tasks = plan_episodes(games, args.split, roles=args.roles, n=args.n, seed=args.instance_seed)
    out = Path(args.out)
    config = {
        "games": {g: load_game(g).versioned_id for g in games}, "split": args.split, "roles": args.roles,
        "instances_per_experiment": args.n, "instance_seed": args.instance_seed, "dataset": "generator",
        "learner": args.learner, "teacher": args.teacher, "decoding": _decoding(args).to_dict(),
        "feedback": args.feedback,  # what the learner was shown (playschool.feedback); part of the run's identity
    }
    manifest = build_manifest(config)
    write_or_check_manifest(out, manifest, resume=args.resume)
    with RecordStore(out) as store:
        todo = [t for t in tasks if t.key not in store]
        err_console.print(f"{len(tasks)} episodes planned, {len(tasks) - len(todo)} already recorded, "
                          f"{len(todo)} to play → {out}")
        if todo:
            players, self_play = _players(args)
            record_players(out, {k: v.describe() for k, v in players.items()})
            runner = Runner(players, decoding=_decoding(args), concurrency=args.concurrency, self_play=self_play,
                            manifest_id=manifest["manifest_id"], on_record=store.append, progress=not args.quiet,
                            feedback=args.feedback)
            summary = runner.run(todo)
            err_console.print(f"played {summary.played} episodes in {summary.seconds:.1f}s "
                              f"({summary.episodes_per_second:.2f} episodes/s, {summary.model_calls} model calls)")
            if summary.game_errors:
                err_console.print(f"[red]{summary.game_errors} episode(s) hit a bug in a game (recorded with outcome "
                                  "'error', fault 'game'; see their 'reason'): not counted against the learner"
                                  "[/red]")
            if summary.failed:
                err_console.print(f"[red]{len(summary.failed)} episode(s) failed and were not recorded; run again "
                                  "with --resume to retry them. First: "
                                  f"{next(iter(summary.failed.items()))}[/red]")
    table = Table(title=f"{args.split} split, learner {args.learner}")
    for col in SUMMARY_HEADER:
        table.add_column(col, no_wrap=col == "game")
    for row in summarize(iter_records(out)):
        table.add_row(*row.as_row())
    console.print(table)
    return 1 if todo and runner.summary.failed else 0


# --------------------------------------------------------------------------------------------- score
def _run_plan(run_dir: Path) -> dict[str, Any] | None:
    """The planned instances of a run folder, by episode key, from its manifest (``None`` without one)."""
    from .manifest import read_manifest
    from .runner import plan_episodes

    manifest = read_manifest(run_dir)
    games = (manifest or {}).get("games")
    if not manifest or not games or "split" not in manifest:
        return None
    names = list(games.values()) if isinstance(games, dict) else list(games)
    try:
        tasks = plan_episodes(names, manifest["split"], roles=manifest.get("roles"),
                              n=manifest.get("instances_per_experiment"), seed=int(manifest.get("instance_seed", 0)))
    except (UnknownGameError, ValueError) as exc:
        raise CLIError(f"{run_dir}: cannot rebuild the run's plan from its manifest: {exc}") from exc
    return {t.key: t.instance for t in tasks}


def cmd_score(args: argparse.Namespace) -> int:
    from .scoring import SUMMARY_HEADER, check_scores, summarize
    from .store import iter_records

    records = list(iter_records(args.dir))
    n, bad = check_scores(records, _run_plan(Path(args.dir)))
    rows = summarize(records)
    if args.json:
        print(json.dumps({"checked": n, "mismatches": [m.__dict__ for m in bad],
                          "summary": [r.__dict__ for r in rows]}, indent=2))
    else:
        table = Table(title=f"scores of {args.dir}")
        for col in SUMMARY_HEADER:
            table.add_column(col, no_wrap=col == "game")
        for r in rows:
            table.add_row(*r.as_row())
        console.print(table)
        if bad:
            err_console.print(f"[red]{len(bad)} of {n} records are invalid: they differ from what their moves "
                              "produce when replayed against the game[/red]", highlight=False)
            for b in bad[:10]:
                err_console.print(f"  {b.key}: {'; '.join(b.problems)}", markup=False, highlight=False)
        else:
            err_console.print(f"all {n} records replayed: every turn, outcome and score is what their moves produce")
    return 1 if bad else 0


# ---------------------------------------------------------------------------------------- transcript
def cmd_transcript(args: argparse.Namespace) -> int:
    from .store import iter_records
    from .transcript import write_html

    out = Path(args.out) if args.out else Path(args.dir) / "transcripts"
    index = write_html(iter_records(args.dir), out)
    console.print(f"wrote {index}")
    return 0


# ----------------------------------------------------------------------------------------- calibrate
def cmd_calibrate(args: argparse.Namespace) -> int:
    """Floor and ceiling of every game and learner role: the random player vs the reference player."""
    from .players import RandomPlayer, ReferencePlayer
    from .runner import Runner, plan_episodes
    from .scoring import summarize

    _quiet_transformers()
    games = args.games or game_names()
    tasks = plan_episodes(games, args.split, n=args.n, seed=args.instance_seed)
    rows: dict[tuple[str, str], dict[str, float]] = {}
    for label, player in (("reference", ReferencePlayer()), ("random", RandomPlayer())):
        summary = Runner({"learner": player}, progress=not args.quiet, progress_label=label).run(tasks)
        for s in summarize(summary.records):
            row = rows.setdefault((s.game, s.learner_role), {"episodes": s.episodes})
            row.update({f"{label}_main": s.main, f"{label}_success": s.success, f"{label}_played": s.played})
    if args.json:
        print(json.dumps([{"game": g, "learner_role": r, **v} for (g, r), v in sorted(rows.items())], indent=2))
        return 0
    table = Table(title=f"reference (programmatic) vs random player, {args.split} split")
    for col in ("game", "role", "episodes", "ref. main", "ref. % success", "random main", "random % played"):
        table.add_column(col, no_wrap=col == "game")
    for (g, r), v in sorted(rows.items()):
        table.add_row(g, r, str(int(v["episodes"])), f"{v['reference_main']:.1f}",
                      f"{100 * v['reference_success']:.1f}", f"{v['random_main']:.1f}",
                      f"{100 * v['random_played']:.1f}")
    console.print(table)
    return 0


# ---------------------------------------------------------------------------------------------- play
def cmd_play(args: argparse.Namespace) -> int:
    from .runner import EpisodeTask, Runner
    from .transcript import print_transcript

    game = load_game(args.game)
    role = args.role or game.learner_roles[0]
    if role not in game.learner_roles:
        raise CLIError(f"{game.versioned_id}: the learner can play {', '.join(game.learner_roles)}, not {role!r}")
    instances = [i for i in game.generate(args.split, seed=args.instance_seed)
                 if (args.experiment is None or i.experiment == args.experiment) and game.supports(i, role)]
    if not instances:
        raise CLIError(f"no {args.split} instance of {game.versioned_id} fits --experiment/--role")
    inst = instances[args.index % len(instances)]
    human = args.learner == "human"
    if human:
        console.print(f"[bold]{game.versioned_id}[/bold] · you play [bold]{role}[/bold] · instance {inst.id}\n"
                      "(end a line with \\ to continue on the next; Ctrl-D quits)\n")
    players, self_play = _players(args)
    runner = Runner(players, decoding=_decoding(args), concurrency=1, self_play=self_play, feedback=args.feedback)
    summary = runner.run([EpisodeTask(game, inst, role)])
    if not summary.records:
        console.print(f"episode not finished: {next(iter(summary.failed.values()), '')}")
        return 1
    rec = summary.records[0]
    if human:  # show what the game said after the last reply (as the learner is shown it)
        from .feedback import shown_turns

        last = max((t.index for t in rec.turns if t.kind == "move" and t.speaker == role), default=-1)
        for t in shown_turns(rec.turns[last + 1:], role, args.feedback):
            if t.to == role:
                console.print(t.text, markup=False)
        console.print(f"\n[bold]{rec.outcome}[/bold] {rec.reason} · main score {rec.scores['main']:.1f}")
    else:
        print_transcript(rec, console)
    if args.out:
        from .store import RecordStore

        with RecordStore(args.out) as store:
            if rec.key not in store:
                store.append(rec)
    return 0


# ------------------------------------------------------------------------------------------- parser
def _model_options(p: argparse.ArgumentParser, *, learner_default: str) -> None:
    p.add_argument("--learner", default=learner_default,
                   nargs="?", const="nano",
                   help=f"model spec of the learner (default: {learner_default}; a bare --learner: nano, the "
                        "embedded default model); hf:PATH[@REV], vllm:PATH[@REV], openai:MODEL@URL, scripted:FILE, "
                        "agent:MODULE:ATTR, human, nano, tiny, teacher, random")
    p.add_argument("--teacher", default="teacher",
                   help="who plays the other roles: 'teacher' (the game's programmatic teacher, default), "
                        "'self' (self-play) or a model spec")
    p.add_argument("--max-new-tokens", type=int, default=128)
    p.add_argument("--temperature", type=float, default=0.0, help="0 = greedy (default, reproducible)")
    p.add_argument("--instance-seed", "--seed", dest="instance_seed", type=int, default=0,
                   help="instance seed: which instances are generated (default 0, the published splits)")
    p.add_argument("--sampling-seed", type=int, default=0,
                   help="sampling seed (with --temperature > 0): vary it over runs of the same instances to "
                        "sample several replies per turn, e.g. for preference pairs")
    p.add_argument("--batch-size", type=int, default=32, help="max conversations per generate call (hf)")
    p.add_argument("--concurrency", type=int, default=64, help="episodes in flight / HTTP requests at once")
    p.add_argument("--device", default="auto", help="cpu, cuda or auto (hf)")
    add_cache_options(p)
    p.add_argument("--feedback", default="all", choices=FEEDBACK_MODES,
                   help="what the learner is shown of the teacher's feedback: 'all' (default), 'environment' "
                        "(clarifications and corrections replaced by a neutral message) or 'none' (environment "
                        "messages too); the game and its scores are unchanged")


def add_cache_options(p: argparse.ArgumentParser) -> None:
    """The transformers backend's reuse of keys and values (``play``, ``run`` and ``eval`` share these)."""
    p.add_argument("--reuse-cache", action="store_true",
                   help="hf: reuse the keys and values of prompts already computed (an episode's earlier turns, "
                        "instructions shared by episodes) instead of computing them again; same replies, less "
                        "prefill, more memory")
    p.add_argument("--cache-tokens", type=int, default=65_536,
                   help="hf with --reuse-cache: the most tokens whose keys and values are held (default 65536)")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="playschool", description="The Playpen: dialogue games with a teacher.")
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("list", help="list the registered games")
    p.add_argument("--json", action="store_true")
    p.add_argument("-v", "--verbose", action="store_true", help="also print each game card")
    p.set_defaults(fn=cmd_list)

    p = sub.add_parser("play", help="play one episode in the terminal, or watch a model play one")
    p.add_argument("game")
    p.add_argument("--role", help="the role the learner plays (default: the game's first learner role)")
    p.add_argument("--split", default="test", choices=SPLITS)
    p.add_argument("--experiment")
    p.add_argument("--index", type=int, default=0, help="which matching instance")
    p.add_argument("--out", help="also append the record to this run folder")
    _model_options(p, learner_default="human")
    p.set_defaults(fn=cmd_play)

    p = sub.add_parser("run", help="play many episodes with a learner; resumable")
    p.add_argument("--games", nargs="+", help="game ids (default: every registered game)")
    p.add_argument("--split", default="test", choices=SPLITS)
    p.add_argument("--roles", nargs="+", help="learner roles to play (default: every learner role)")
    p.add_argument("--n", type=int, help="instances per experiment (default: the game's split size)")
    p.add_argument("--out", required=True, help="run folder: records.jsonl, manifest.json")
    p.add_argument("--resume", action="store_true", help="continue the run in --out")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    _model_options(p, learner_default="nano")
    p.set_defaults(fn=cmd_run)

    p = sub.add_parser("calibrate", help="floor and ceiling per game: random player vs reference player")
    p.add_argument("--games", nargs="+", help="game ids (default: every registered game)")
    p.add_argument("--split", default="test", choices=SPLITS)
    p.add_argument("--n", type=int, help="instances per experiment (default: the game's split size)")
    p.add_argument("--instance-seed", "--seed", dest="instance_seed", type=int, default=0,
                   help="instance seed (default 0)")
    p.add_argument("--json", action="store_true")
    p.add_argument("--quiet", action="store_true")
    p.set_defaults(fn=cmd_calibrate)

    p = sub.add_parser("score", help="replay a run's records against the games, report invalid ones, summarise")
    p.add_argument("dir")
    p.add_argument("--json", action="store_true")
    p.set_defaults(fn=cmd_score)

    p = sub.add_parser("transcript", help="write readable HTML transcripts of a run")
    p.add_argument("dir")
    p.add_argument("--out", help="output folder (default: DIR/transcripts)")
    p.set_defaults(fn=cmd_transcript)

    from playschool.benchmark.cli import add_parser as add_eval_parser  # CLU2 lives in the application layer

    add_eval_parser(sub)
    from playschool.baselines.cli import add_parser as add_train_parser  # recipes: application layer too

    add_train_parser(sub)
    from .budget.cli import add_parser as add_budget_parser

    add_budget_parser(sub)
    from playschool.arena.cli import add_parser as add_space_parser  # the arena Space: application layer

    add_space_parser(sub)
    from .interop.cli import add_parser as add_clembench_parser  # clembench results: import and export

    add_clembench_parser(sub)
    from .serve.cli import add_parser as add_serve_env_parser  # the environment server ([serve] extra to run)

    add_serve_env_parser(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return int(args.fn(args))
    except (CLIError, SpecError, UnknownGameError, RecordError, FileNotFoundError, ValueError) as exc:
        err_console.print(f"[red]error:[/red] {exc}", markup=True, highlight=False)
        return 2
    except KeyboardInterrupt:
        err_console.print("interrupted; finished episodes are saved (continue with --resume)")
        return 130
    except RuntimeError as exc:  # run-folder conflicts: locked, other configuration
        err_console.print(f"[red]error:[/red] {exc}", highlight=False)
        return 2


if __name__ == "__main__":
    # Under ``python -m playschool.cli`` this file runs as __main__, a second copy of the module: subcommands
    # that raise playschool.cli.CLIError would not be caught by this copy's except clause. Run the real one.
    from playschool.cli import main as _main

    sys.exit(_main())
