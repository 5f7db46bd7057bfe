"""One live episode as the environments see it: moves in, observations, rewards and infos out.

The Gymnasium env, the PettingZoo env and the vector env are thin shells around :class:`EpisodeDriver`, so the
three agree by construction: the same action on the same instance gives the same observation, reward and info.

Where this differs from the runner: the environment's user hands in moves one at a time, so a move carries no
token counts (``tokens`` is absent from its turn). Everything else (sanitising, the repair loop, the record and
its scores) is the episode's own and identical to a runner's episode with the same moves.
"""

from __future__ import annotations

import copy
import traceback
from collections.abc import Sequence
from typing import Any

from playschool.backends.base import CONTEXT_OVERFLOW, Backend, Decoding, Reply, Request
from playschool.feedback import check_feedback
from playschool.games import EpisodeRecord, Game, Instance, episode_key, stable_seed
from playschool.runner import PARTNER
from playschool.views import learner_view

from .partners import PartnerError, ask


def check_action(action: object) -> str:
    """``action`` if it is the text of a move; a :class:`TypeError` that says so otherwise.

    Any *text* is a move (empty, huge, binary-looking: the game sanitises it and answers, at worst, with a
    correction and an aborted episode), but a non-string is the caller's bug, not a model's reply, and is never
    silently turned into one.
    """
    if not isinstance(action, str):
        raise TypeError(f"an action is the text of a move (str), got {type(action).__name__}; decode bytes and "
                        "convert token ids to text before stepping")
    return action


class EpisodeDriver:
    """Plays one episode of ``game`` on ``instance`` with the role assignment ``roles``.

    Roles assigned ``"learner"`` move through :meth:`act`; roles assigned ``"partner"`` are model-played and wait
    for :meth:`answer_partner` (see :meth:`partner_request`); the teacher and random player move inside the game.
    ``feedback`` ablates what :meth:`observe` shows (see :mod:`playschool.feedback`); the game, its record and
    scores are the same in every mode.
    """

    def __init__(self, game: Game, instance: Instance, learner_role: str, roles: dict[str, str], *,
                 feedback: str = "all", decoding: Decoding | None = None) -> None:
        self.feedback = check_feedback(feedback)
        self.decoding = decoding or Decoding()
        self.key = episode_key(game.versioned_id, instance.id, learner_role)
        self.episode = game.new_episode(instance, learner_role, roles)
        self.roles = dict(roles)
        self._record: EpisodeRecord | None = None
        self._last_move: dict[str, int] = {}  # role -> index of its latest move turn

    # ------------------------------------------------------------------ state
    @property
    def done(self) -> bool:
        return self.episode.done

    @property
    def due(self) -> str | None:
        """The role whose move is due (``None`` once the episode is over)."""
        pending = self.episode.pending()
        return None if pending is None else pending.role

    def record(self) -> EpisodeRecord:
        """The scored record of the finished episode (computed once)."""
        if self._record is None:
            self._record = self.episode.record()
        return self._record

    # ------------------------------------------------------------------ moves
    def act(self, role: str, action: object) -> float:
        """Play ``action`` as ``role``'s move (``role`` must be due) and return the reward the game gave it."""
        text = check_action(action)
        if self.due != role:
            raise RuntimeError(f"{role!r} cannot move now: " + ("the episode is over" if self.done
                                                                 else f"{self.due!r} is due"))
        index = len(self.episode.turns)
        self._guarded_act(text, None)
        self._last_move[role] = index
        return float(self.episode.turns[index].reward or 0.0)

    def partner_request(self) -> Request | None:
        """The conversation a model partner must answer now, or ``None`` when no model-played role is due.

        Its sampling seed depends on the decoding seed, the episode and the move number only (as in the runner),
        so a sampled partner reply never depends on which other episodes shared its batch.
        """
        pending = self.episode.pending()
        if pending is None or self.roles[pending.role] != PARTNER:
            return None
        return Request(pending.messages, stable_seed(self.decoding.seed, self.key, self.episode.moves))

    def answer_partner(self, reply: Reply) -> None:
        """Feed a model partner's reply for the move :meth:`partner_request` asked for."""
        role = self.due
        if role is None or self.roles[role] != PARTNER:
            raise RuntimeError("no model-played role is due")
        if reply.error == CONTEXT_OVERFLOW:
            self.episode.abort(f"context overflow: {reply.detail or 'the conversation no longer fits the model'}")
            return
        if reply.error is not None:
            raise PartnerError(f"the partner playing {role!r} failed: {reply.error}: {reply.detail}")
        self._last_move[role] = len(self.episode.turns)
        self._guarded_act(reply.text, {"prompt": reply.prompt_tokens, "completion": reply.completion_tokens})

    def _guarded_act(self, text: str, tokens: dict[str, int] | None) -> None:
        try:
            self.episode.act(text, tokens=tokens)
        except Exception as exc:  # game code failing outside a move is the game's bug: record it, carry on
            self.episode.fail_game(exc, f"in the episode driver\n{traceback.format_exc(limit=3)}")

    # ------------------------------------------------------------------ views
    def observe(self, role: str) -> dict[str, Any]:
        """``role``'s conversation so far and the feedback kinds of its newest message (see :mod:`.text`).

        Built afresh on every call: what a caller keeps is never changed by later moves.
        """
        view = learner_view(self.episode.turns, role, self.feedback)
        return {"messages": tuple(view.messages), "feedback": self.newest_feedback(role)}

    def newest_feedback(self, role: str) -> tuple[str, ...]:
        """The kinds of the messages ``role`` received since its latest move: they make up its newest chat
        message (consecutive messages merge into one). Empty when its own move is the newest."""
        kinds: list[str] = []
        for turn in reversed(self.episode.turns):
            if turn.kind == "move" and turn.speaker == role:
                break
            if turn.kind != "move" and turn.to == role:
                kinds.append(turn.kind)
        return tuple(reversed(kinds))

    def info(self, role: str) -> dict[str, Any]:
        """What ``role`` learns besides its observation (fresh objects on every call).

        ``game``, ``instance_id``, ``role``; ``feedback`` (as in the observation); ``move``: the game's verdict on
        the role's latest move (``ok``, ``error`` = ``format``/``rule``, the correction ``message`` and the
        game's notes), ``None`` before its first move; ``outcome``: ``None`` while the episode runs. Once it is
        over, also ``reason``, ``fault``, ``scores`` (the game's one scorer: ``main`` 0-100, ``success``,
        ``reward``, ...) and ``record`` (the episode record as a dict, as the runner writes it).
        """
        move = self._last_move.get(role)
        parse = None if move is None else self.episode.turns[move].parse
        out: dict[str, Any] = {
            "game": self.episode.game.versioned_id, "instance_id": self.episode.instance.id, "role": role,
            "feedback": self.newest_feedback(role), "move": copy.deepcopy(parse), "outcome": self.episode.outcome,
        }
        if self.done:
            record = self.record()
            out.update(reason=record.reason, fault=record.fault, scores=dict(record.scores),
                       record=record.to_dict())
        return out


def drive_partners(drivers: Sequence[EpisodeDriver], backend: Backend | None, decoding: Decoding) -> int:
    """Let the model partner move in every episode that waits on it, until none does; returns the number of
    ``generate`` rounds. Each round sends every waiting conversation at once (one batch across episodes)."""
    rounds = 0
    while backend is not None:
        waiting = [(d, r) for d in drivers if (r := d.partner_request()) is not None]
        if not waiting:
            break
        rounds += 1
        for (driver, _), reply in zip(waiting, ask(backend, [r for _, r in waiting], decoding)):
            driver.answer_partner(reply)
    return rounds


__all__ = ["EpisodeDriver", "check_action", "drive_partners"]
