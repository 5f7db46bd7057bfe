"""Replay: a record is a claim; scoring recomputes it from the moves and never takes it as given.

:func:`replay` plays a record's episode again: the instance is regenerated from its seed by the game's
generator (or taken from the evaluation plan), the game's programmatic roles (teacher, random player) move
again, and every move of an externally played role (the learner, a model partner) is fed back from the
record's text. Games are deterministic given the instance seed, so an honest record comes back identical:
every turn (speaker, recipient, kind, text, parse notes, reward), the outcome, the reason, the fault and every
score. :func:`verify` compares the two and lists each difference; a record with any difference is invalid.

Only what no replay can know is taken from the record: token counts, timing, the original length of a reply
that was cut, and the reason of an abort imposed from outside the game (a context overflow), which always
scores 0 for the role it names.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

from .episode import LEARNER, RANDOM, TEACHER, Episode
from .game import Game
from .records import EpisodeRecord, Instance, RecordError, Turn
from .registry import UnknownGameError, load_game

__all__ = ["Replay", "replay", "verify"]

#: Role assignments a record may hold (the runner's model partner is ``partner``).
_ASSIGNMENTS = (LEARNER, TEACHER, RANDOM, "partner")
#: Turn fields replay recomputes and compares (token counts and cut lengths are the player's, not the game's).
_COMPARED: tuple[str, ...] = ("index", "speaker", "to", "kind", "text", "parse", "reward")
#: Reasons of aborts imposed from outside the game (the runner's): the only ones a record may end on early.
_EXTERNAL_ABORTS: tuple[str, ...] = ("context overflow",)


@dataclass(frozen=True)
class Replay:
    """The outcome of replaying one record: ``problems`` is empty when the record is exactly what the game
    produces from its moves. ``record`` is the replayed record (``None`` when replay could not start)."""

    problems: tuple[str, ...]
    record: EpisodeRecord | None

    @property
    def valid(self) -> bool:
        return not self.problems


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, float) or isinstance(b, float):
        try:
            return math.isclose(float(a), float(b), rel_tol=0.0, abs_tol=1e-9)
        except (TypeError, ValueError):
            return False
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_same(a[k], b[k]) for k in a)
    if isinstance(a, (list, tuple)) and isinstance(b, (list, tuple)):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b))
    return bool(a == b)


def _short(value: Any, limit: int = 80) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _external_moves(record: EpisodeRecord) -> list[Turn]:
    internal = {r for r, who in record.roles.items() if who in (TEACHER, RANDOM)}
    return [t for t in record.turns if t.kind == "move" and t.speaker not in internal]


def _instance(game: Game, record: EpisodeRecord, planned: Instance | None) -> Instance:
    if planned is not None:
        if planned.id != record.instance_id or planned.seed != record.seed:
            raise RecordError(f"the record's instance ({record.instance_id}, seed {record.seed}) is not the planned "
                              f"one ({planned.id}, seed {planned.seed})")
        return planned
    return game.regenerate(record.instance_id, record.seed)


def replay(record: EpisodeRecord, *, instance: Instance | None = None, game: Game | None = None) -> Replay:
    """Replay ``record`` (see the module docstring). ``instance``: the planned instance, when the caller knows
    which one the episode had to be (an evaluation does); otherwise it is regenerated from the record's seed.
    ``game``: the game object to use (default: the registered game of the record's exact version)."""
    problems: list[str] = []
    try:
        g = game if game is not None else load_game(record.game)
        if g.versioned_id != record.game:
            raise UnknownGameError(f"the record is of {record.game}, the game given is {g.versioned_id}")
        inst = _instance(g, record, instance)
    except (UnknownGameError, RecordError) as exc:
        return Replay((str(exc),), None)
    except Exception as exc:  # a generator that cannot rebuild the claimed instance: nothing to compare with
        return Replay((f"cannot regenerate instance {record.instance_id}: {type(exc).__name__}: {exc}",), None)
    if record.instance and not _same(record.instance, inst.to_dict()):
        problems.append("the record's instance differs from the one its seed generates"
                        f"{' (the planned one)' if instance is not None else ''}")
    if set(record.roles) != set(g.roles) or any(v not in _ASSIGNMENTS for v in record.roles.values()):
        return Replay((*problems, f"roles {record.roles} are not an assignment of {g.roles}"), None)
    if record.learner_role not in g.learner_roles:
        return Replay((*problems, f"{record.learner_role!r} is not a learner role of {g.versioned_id}"), None)
    try:
        episode = g.new_episode(inst, record.learner_role, dict(record.roles))
    except Exception as exc:
        return Replay((*problems, f"the game cannot start this episode: {type(exc).__name__}: {exc}"), None)
    problems += _feed(episode, record)
    replayed = _finish(episode, record)
    problems += _compare(record, replayed)
    return Replay(tuple(problems), replayed)


def _feed(episode: Episode, record: EpisodeRecord) -> list[str]:
    moves = _external_moves(record)
    for n, move in enumerate(moves):
        turn = episode.pending()
        if turn is None:
            return [f"the game ended before move {move.index} ({len(moves) - n} recorded move(s) after its end)"]
        if turn.role != move.speaker:
            return [f"turn {move.index}: the record says {move.speaker!r} moved, but {turn.role!r} was due"]
        episode.act(move.text, tokens=move.tokens)
    return []


def _finish(episode: Episode, record: EpisodeRecord) -> EpisodeRecord:
    pending = episode.pending()
    if not episode.done and pending is not None:
        # Only an abort from outside (the runner's: a context overflow) ends a record early. Its fault is the
        # role that was due, which the replay knows, and only a model-played role can overflow: a record cannot
        # blame a partner (and so have a lost episode excluded) by cutting it short. Its reason is taken from the
        # record; it scores 0 for the role at fault, so that gives nothing away.
        external = (record.outcome == "aborted" and any(x in record.reason for x in _EXTERNAL_ABORTS)
                    and record.roles.get(pending.role) in (LEARNER, "partner"))
        reason = record.reason.split(": ", 1)[-1] if external else "the record ends before the game does"
        episode.abort(reason, fault=pending.role)
    replayed = episode.record(manifest_id=record.manifest_id, timing=record.timing)
    # A cut reply keeps the length it had; the replay only ever saw the cut text.
    cut = {t.index: t.truncated_from for t in record.turns if t.truncated_from is not None}
    if cut:
        turns = tuple(replace(t, truncated_from=cut.get(t.index)) for t in replayed.turns)
        replayed = replace(replayed, turns=turns)
    return replayed


def _compare(record: EpisodeRecord, replayed: EpisodeRecord) -> list[str]:
    problems: list[str] = []
    mine, theirs = record.turns, replayed.turns
    for a, b in zip(mine, theirs):
        diff = [f for f in _COMPARED if not _same(getattr(a, f), getattr(b, f))]
        if diff:
            f = diff[0]
            problems.append(f"turn {a.index} ({a.speaker} -> {a.to}, {a.kind}): {f} is {_short(getattr(a, f))} "
                            f"in the record but {_short(getattr(b, f))} on replay")
            break
    if len(mine) != len(theirs) and not problems:
        problems.append(f"the record has {len(mine)} turns, the replay {len(theirs)}")
    for field in ("outcome", "reason", "fault"):
        if getattr(record, field) != getattr(replayed, field):
            problems.append(f"{field} is {_short(getattr(record, field))} in the record but "
                            f"{_short(getattr(replayed, field))} on replay")
    if not _same(record.scores, replayed.scores):
        keys = sorted(set(record.scores) | set(replayed.scores))
        bad = [k for k in keys if not _same(record.scores.get(k), replayed.scores.get(k))]
        shown = ", ".join(f"{k}: {record.scores.get(k)} vs {replayed.scores.get(k)}" for k in bad[:4])
        problems.append(f"scores differ from the replay's ({shown})")
    return problems


def verify(records: Sequence[EpisodeRecord]) -> list[tuple[EpisodeRecord, Replay]]:
    """Replay each record; returns the pairs (record, replay) of the invalid ones."""
    out = []
    for rec in records:
        result = replay(rec)
        if not result.valid:
            out.append((rec, result))
    return out
