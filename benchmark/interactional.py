"""The interactional plane of CLU2: the learner plays the test split of every registered game (built-ins and
held-out game packs) against the games' programmatic partners; items come from the episode records.

A record is a claim: every record is **replayed** (:func:`playschool.games.replay`) — its instance regenerated
(or taken from the plan), the game's partners moving again, the learner's moves fed back from the record — and
items are computed from the replay, never from the scores or notes the record carries. A record that differs
from its replay is invalid: its episode scores 0 (invalid, with the reasons in ``details["invalid_record"]``)
and gives no sub-metric items.

Per episode (game, instance, learner role) there is one item of the game task ``game/<name>/<role>`` (its
``main`` score, 0-100; an aborted episode scores 0 and is invalid; a planned episode without a record counts
as a missing failure) and one item per collaborative sub-metric whose situation occurred
(:mod:`playschool.benchmark.collab`). An episode that ended in a game ``error``, or that a model partner (not
the learner) could not finish, is *excluded*: reported in the coverage, never counted against the learner.
Every item's ``details`` carry the episode key (``episode``), which keeps an episode's items in one shard and in
one bootstrap cluster, and the transcript page name (``transcript``).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any

from playschool.games import (
    LEARNER,
    RANDOM,
    TEACHER,
    EpisodeRecord,
    Instance,
    RecordError,
    game_names,
    load_game,
    replay,
)

from .aggregate import EXCLUDED
from .collab import episode_submetrics
from .items import ItemResult
from .registry import CLU2_VERSION, game_task_id
from .results import Shard, in_shard

#: The split CLU2 plays: held-out test instances.
SPLIT = "test"


def plan(games: Sequence[str] | None = None, *, n: int | None = None, seed: int = 0,
         shard: Shard | None = None) -> list[Any]:
    """The episodes to play: every (test instance, learner role) of ``games`` (default: all registered),
    ``n`` instances per experiment (default: the game's test split size), restricted to ``shard``."""
    from playschool.runner import plan_episodes

    tasks = plan_episodes(list(games or game_names()), SPLIT, n=n, seed=seed)
    return [t for t in tasks if in_shard(t.key, shard)]


def _as_record(record: EpisodeRecord | dict[str, Any], n: int) -> EpisodeRecord:
    if isinstance(record, EpisodeRecord):
        return record
    try:
        return EpisodeRecord.from_dict(record)
    except RecordError as exc:
        raise RecordError(f"record {n}: {exc}") from exc


def _excluded(record: EpisodeRecord) -> str | None:
    """Why an episode is not the learner's to answer for, or ``None``: a game error, or an abort whose fault is a
    role the learner did not play (a model partner's)."""
    if record.outcome == "error":
        return "game error"
    if record.outcome == "aborted" and record.fault and record.roles.get(record.fault) != LEARNER:
        return f"partner fault ({record.fault})"
    return None


def _roles_problem(record: EpisodeRecord, learner_as: str) -> str | None:
    """Why the record's role assignment is not CLU2's (the learner's role played by ``learner_as``, every other
    role by the game's programmatic partner), or ``None``. A record that says the game's teacher played the
    learner's role would otherwise replay as the teacher's own, perfect play."""
    expected = {r: (learner_as if r == record.learner_role else TEACHER) for r in record.roles}
    if record.learner_role not in record.roles or record.roles != expected:
        return (f"roles {record.roles} are not CLU2's: {record.learner_role!r} played by {learner_as!r}, every "
                "other role by the game's teacher")
    if record.split != SPLIT or not record.instance_id.startswith(f"{SPLIT}/"):
        return f"CLU2 plays the {SPLIT} split; this episode is of {record.split!r} ({record.instance_id})"
    return None


def record_items(record: EpisodeRecord, *, instance: Instance | None = None,
                 learner_as: str = LEARNER) -> list[ItemResult]:
    """The items of one episode record, recomputed by replay (see the module docstring): its game task's main
    score and the sub-metrics that apply. ``instance``: the planned instance the episode had to be played on;
    ``learner_as``: who played the learner's role (a model: ``learner``; the reference or random player when
    they are the ones evaluated: ``teacher``/``random``)."""
    from playschool.transcript import episode_filename

    key = record.key
    common = {"episode": key, "transcript": episode_filename(record)}
    task = game_task_id(record.game, record.learner_role)
    problem = _roles_problem(record, learner_as)
    result = replay(record, instance=instance) if problem is None else None
    if result is None or not result.valid or result.record is None:
        reasons = [problem] if result is None else list(result.problems[:3])
        return [ItemResult(task, key, 0.0, valid=False,
                           details={**common, "outcome": "invalid", "played": False, "success": False,
                                    "invalid_record": reasons})]
    rec = result.record
    excluded = _excluded(rec)
    if excluded is not None:
        return [ItemResult(task, key, 0.0, valid=False,
                           details={**common, "outcome": rec.outcome, "played": False, "success": False,
                                    EXCLUDED: excluded, "reason": rec.reason[:200]})]
    played = rec.outcome != "aborted"
    main = float(rec.scores.get("main", 0.0)) if played else 0.0
    items = [ItemResult(task, key, main, valid=played,
                        details={**common, "outcome": rec.outcome, "played": played,
                                 "success": rec.outcome == "success"})]
    for name, sub in episode_submetrics(rec).items():
        items.append(ItemResult(f"collab/{name}", key, sub.score, valid=sub.valid, details={**common, **sub.details}))
    return items


def iter_items(records: Iterable[EpisodeRecord | dict[str, Any]], plan: dict[str, Instance] | None = None,
               *, learner_as: str = LEARNER) -> Iterator[ItemResult]:
    """Items of a stream of records (``EpisodeRecord`` or their JSON dicts), one record in memory at a time,
    each recomputed by replay. ``plan`` maps episode keys to their planned instances (an evaluation's plan);
    ``learner_as`` is who played the learner's role (see :func:`record_items`).

    Raises :class:`~playschool.games.RecordError` naming the record's position for a malformed one.
    """
    for n, rec in enumerate(records):
        record = _as_record(rec, n)
        yield from record_items(record, instance=(plan or {}).get(record.key), learner_as=learner_as)


def items_from_records(records: Iterable[EpisodeRecord | dict[str, Any]], plan: dict[str, Instance] | None = None,
                       *, learner_as: str = LEARNER) -> list[ItemResult]:
    """All items of ``records``, each recomputed by replay. See :func:`iter_items` to stream."""
    return list(iter_items(records, plan, learner_as=learner_as))


def missing_items(planned: Iterable[Any], recorded: Iterable[str]) -> list[ItemResult]:
    """Failure items (score 0, invalid, ``missing``) for planned episodes that have no record."""
    done = set(recorded)
    return [ItemResult(game_task_id(t.game.versioned_id, t.learner_role), t.key, 0.0, valid=False,
                       details={"episode": t.key, "outcome": "missing", "played": False, "success": False,
                                "missing": True})
            for t in planned if t.key not in done]


def interactional_config(learner_spec: str, games: Sequence[str] | None, n: int | None, seed: int,
                         shard: Shard | None, decoding: dict[str, Any]) -> dict[str, Any]:
    """The settings of an interactional run, for its manifest (the folder refuses a run with others)."""
    names = list(games or game_names())
    return {"clu2_version": CLU2_VERSION, "games": {g: load_game(g).versioned_id for g in names}, "split": SPLIT,
            "instances_per_experiment": n, "instance_seed": seed, "learner": learner_spec, "teacher": "teacher",
            "decoding": decoding, "shard": f"{shard[0]}/{shard[1]}" if shard else None}


def _learner_as(learner_spec: str, player: Any) -> str:
    """Who plays the learner's role in the records of a run: the game's own players for the ``teacher`` and
    ``random`` specs (played inside the game), else the learner."""
    from playschool.players import RandomPlayer, ReferencePlayer

    if isinstance(player, ReferencePlayer) or learner_spec.strip() == "teacher":
        return TEACHER
    if isinstance(player, RandomPlayer) or learner_spec.strip() == "random":
        return RANDOM
    return LEARNER


def run_interactional_plane(learner_spec: str, *, out_dir: Path, games: Sequence[str] | None = None,
                            n: int | None = None, shard: Shard | None = None,
                            **runner_options: Any) -> list[ItemResult]:
    """Play the planned test episodes with the learner into the run folder ``out_dir`` (records.jsonl +
    manifest.json; resumable: recorded episodes are not played again) and return their items, with failure
    items for planned episodes that could not be played.

    ``runner_options``: ``seed`` (instance seed, 0), ``decoding`` (a :class:`~playschool.Decoding`),
    ``batch_size``, ``device``, ``reuse_cache``, ``cache_tokens``, ``concurrency``, ``progress`` (bool),
    ``player`` (a ready backend to use instead of loading ``learner_spec``, e.g. in tests).
    """
    from playschool.backends.base import Decoding
    from playschool.manifest import build_manifest, write_or_check_manifest
    from playschool.runner import Runner
    from playschool.spec import load_player
    from playschool.store import RecordStore, iter_records

    seed = int(runner_options.pop("seed", 0))
    decoding = runner_options.pop("decoding", None) or Decoding()
    player = runner_options.pop("player", None)
    progress = bool(runner_options.pop("progress", False))
    concurrency = int(runner_options.pop("concurrency", 64))
    load_opts = {k: runner_options.pop(k) for k in ("batch_size", "device", "reuse_cache", "cache_tokens")
                 if k in runner_options}
    if runner_options:
        raise TypeError(f"unknown runner option(s): {sorted(runner_options)}")
    for g in games or ():
        load_game(g)  # fail fast on a typo, before loading a model
    tasks = plan(games, n=n, seed=seed, shard=shard)
    out = Path(out_dir)
    config = interactional_config(learner_spec, games, n, seed, shard, decoding.to_dict())
    manifest = write_or_check_manifest(out, build_manifest(config), resume=True)
    with RecordStore(out) as store:
        todo = [t for t in tasks if t.key not in store]
        if todo:
            backend = player if player is not None else load_player(learner_spec, concurrency=concurrency,
                                                                    **load_opts)
            player = backend  # the runner assigns the learner's seat by what this object is
            runner = Runner({"learner": backend}, decoding=decoding, concurrency=concurrency,
                            manifest_id=manifest["manifest_id"], on_record=store.append, progress=progress,
                            progress_label="interactional")
            runner.run(todo)
    planned = {t.key: t.instance for t in tasks}
    learner_as = _learner_as(learner_spec, player)
    items: list[ItemResult] = []
    recorded: list[str] = []
    for rec in iter_records(out):
        if rec.key in planned:
            recorded.append(rec.key)
            items.extend(record_items(rec, instance=planned[rec.key], learner_as=learner_as))
    return items + missing_items(tasks, recorded)


def planned_records(out_dir: Path, keys: Iterable[str]) -> Iterator[EpisodeRecord]:
    """The records of ``out_dir`` whose episode keys are in ``keys`` (for transcripts of one run's plan)."""
    from playschool.store import iter_records

    wanted = set(keys)
    return (r for r in iter_records(out_dir) if r.key in wanted)


__all__ = ["SPLIT", "items_from_records", "iter_items", "missing_items", "plan",
           "planned_records", "record_items", "run_interactional_plane"]
