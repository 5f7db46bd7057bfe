"""The game master of one episode: the state machine every game builds on.

A game subclasses :class:`Episode` and fills in four hooks:

``start()``
    send the opening instructions (``self.tell``) and name the first role to move (``self.expect``);
``parse(role, text)``
    turn a reply into a move, or raise :class:`FormatError`;
``apply(role, move)``
    check the move against the rules (raise :class:`RuleError`), update the state, send feedback, name the
    next role or ``self.finish(...)``; return the mover's reward for the move;
``teacher_move(role)``
    the programmatic teacher's reply when it plays ``role`` (it goes through ``parse``/``apply`` like any
    other reply, so transcripts look the same whoever plays);

and one more for the chance-level floor:

``random_move(role, rng)``
    a random move of ``role`` in the right format, drawn with ``rng`` from the moves the rules allow now
    (a random legal move). The *random player* is this policy, so "random = 0" on CLU2's scale means chance,
    not "cannot type".

Everything else lives here, once: per-role chat histories, typed feedback, the bounded repair loop after
format and rule errors, the move limit, sanitising hostile text, and the episode record. Nothing a player
writes can raise out of :meth:`Episode.act`: at worst the episode ends ``aborted``, and the record's ``fault``
names the role that could not carry on. An exception in the game's own code (or an invalid move by its
programmatic teacher) ends the episode as ``error`` with fault ``"game"``: the game's bug is never charged to
a player.
"""

from __future__ import annotations

import random
from abc import ABC, abstractmethod
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

from .records import FEEDBACK_KINDS, GAME_FAULT, EpisodeRecord, Instance, Turn
from .seeding import stable_seed

if TYPE_CHECKING:
    from .game import Game

#: Role assignment value meaning "the game's programmatic teacher plays this role".
TEACHER = "teacher"
#: Role assignment value for the learner.
LEARNER = "learner"
#: Role assignment value meaning "the game plays this role with its random legal moves" (the chance floor).
RANDOM = "random"
#: Longest reply kept, in characters. Longer replies are cut (the record keeps the original length).
MAX_REPLY_CHARS = 8000


class MoveError(Exception):
    """A reply that cannot be accepted. The message is sent to the player as a correction."""

    kind = "move"


class FormatError(MoveError):
    """The reply does not follow the required format (cannot be parsed into a move)."""

    kind = "format"


class RuleError(MoveError):
    """The reply parses, but the move breaks a rule of the game."""

    kind = "rule"


@dataclass(frozen=True)
class PendingTurn:
    """A role that must reply now, and the conversation it sees (chat messages, oldest first).

    The message dicts are shared with the episode (no copy on the hot path): players treat them as read-only.
    """

    role: str
    messages: tuple[dict[str, str], ...]


def add_message(history: list[dict[str, str]], role: str, text: str) -> bool:
    """Append a chat message to ``history``; returns whether it was merged into the previous one.

    Consecutive ``user`` messages merge with a blank line, since chat templates expect user and assistant
    turns to alternate. This is the one rule for building a role's view: episodes use it live, and the
    dataset builders use it to rebuild a role's history from a record.
    """
    if role == "user" and history and history[-1]["role"] == "user":
        history[-1] = {"role": "user", "content": history[-1]["content"] + "\n\n" + text}
        return True
    history.append({"role": role, "content": text})
    return False


def sanitize(text: object) -> tuple[str, int | None]:
    """Make any reply safe to store and parse: a ``str`` of valid Unicode, at most ``MAX_REPLY_CHARS`` long.

    Returns the clean text and, when it had to be cut, the original length.
    """
    if not isinstance(text, str):
        text = "" if text is None else str(text)
    # Lone surrogates cannot be encoded as UTF-8 and would break every writer downstream.
    text = text.encode("utf-8", errors="replace").decode("utf-8")
    text = text.replace("\x00", "")
    if len(text) > MAX_REPLY_CHARS:
        return text[:MAX_REPLY_CHARS], len(text)
    return text, None


class Episode(ABC):
    """One episode of a game between named roles. See the module docstring for the hooks."""

    #: Repair attempts granted after a format error / a rule error before the episode is aborted.
    max_format_repairs: int = 2
    max_rule_repairs: int = 2
    #: Rewards for a move that fails to parse / breaks a rule.
    format_penalty: float = -1.0
    rule_penalty: float = -0.5

    def __init__(self, game: Game, instance: Instance, learner_role: str, roles: dict[str, str]) -> None:
        unknown = set(roles) ^ set(game.roles)
        if unknown:
            raise ValueError(f"{game.versioned_id}: roles must be exactly {game.roles}, got {sorted(roles)}")
        self.game = game
        self.instance = instance
        self.params: dict[str, Any] = instance.params
        self.learner_role = learner_role
        self.roles = dict(roles)
        # The teacher's own randomness: seeded by the instance, never the global RNG.
        self.rng = random.Random(instance.seed)
        # The random player's draws come from a generator of their own, so they never shift the teacher's.
        self._random_rng = random.Random(stable_seed("random-player", instance.seed))
        self._turns: list[Turn] = []
        self._histories: dict[str, list[dict[str, str]]] = {r: [] for r in game.roles}
        self._current: str | None = None
        self._outcome: str | None = None
        self._reason = ""
        self._fault = ""
        self._repairs = {"format": 0, "rule": 0}  # invalid moves in a row, per kind
        self._moves = 0
        self._notes: dict[str, Any] = {}
        self.start()
        self._advance()

    # ----------------------------------------------------------------- hooks
    @abstractmethod
    def start(self) -> None:
        """Send the opening messages and ``expect`` the first role."""

    @abstractmethod
    def parse(self, role: str, text: str) -> Any:
        """Parse a reply of ``role`` into a move; raise :class:`FormatError` if it cannot be parsed."""

    @abstractmethod
    def apply(self, role: str, move: Any) -> float:
        """Apply a parsed move (raise :class:`RuleError` if illegal) and return the mover's reward."""

    @abstractmethod
    def teacher_move(self, role: str) -> str:
        """The programmatic teacher's reply for ``role`` in the current state."""

    def random_move(self, role: str, rng: random.Random) -> str:
        """A random legal move of ``role`` now, in the right format, drawn with ``rng`` only (see the module
        docstring). Every game implements it for its learner roles; ``check_game`` checks it."""
        raise NotImplementedError(f"{self.game.versioned_id} has no random player for {role!r}")

    # ------------------------------------------------------- helpers for games
    def tell(self, role: str, text: str, kind: str, *, speaker: str = "game") -> None:
        """Send a typed message to ``role``. Consecutive messages merge into one chat message."""
        if kind not in FEEDBACK_KINDS:
            raise ValueError(f"unknown feedback kind {kind!r}; expected one of {FEEDBACK_KINDS}")
        self._turns.append(Turn(index=len(self._turns), speaker=speaker, to=role, kind=kind, text=text))
        add_message(self._histories[role], "user", text)

    def note(self, **fields: Any) -> None:
        """Attach details to the move being applied; they land in the move's ``parse`` field of the record.

        Scorers, CLU2's collaborative sub-metrics and datasets read them, so games use these shared keys
        where they apply (and any others of their own). Each game's card says when it sets each one.

        ``act``        what the move does: ``"clarify"`` (asks what the partner meant), ``"repair"`` (fixes
                       something that went wrong after a misunderstanding), ``"answer"``, ``"guess"``,
                       ``"instruct"``, ``"propose"``, ``"accept"``, ``"report"``, ``"select"``, ...
        ``ambiguous``  ``True``/``False``, set on the learner's moves where asking was a possible move:
                       whether the mover's situation was genuinely ambiguous (by the game's ground truth,
                       defined on its card), i.e. whether a clarification request was the right move. Left out
                       where the role cannot ask, so that "never asked, never needed to" earns nothing.
        ``repaired``   ``True``/``False``, set on the mover's move that answers a correction or a reported
                       misunderstanding naming a specific problem (a taboo word, a misread step, a wrong
                       state): whether this move fixes *what was named*, not merely whether it is well-formed.
        ``consistent`` ``True``/``False``, set where the game can check it: whether the move agrees with what
                       was said, given or agreed earlier in the episode (facts the mover gave or was given,
                       agreed values, positions). CLU2's multi-turn coherence.
        ``probe``      ``True`` on answers to common-ground probes, with ``correct`` ``True``/``False``
        """
        self._notes.update(fields)

    def expect(self, role: str) -> None:
        """Name the role that moves next."""
        if role not in self._histories:
            raise ValueError(f"unknown role {role!r}")
        self._current = role

    def finish(self, outcome: str, reason: str = "", *, fault: str = "") -> None:
        """End the episode with ``success`` or ``lose`` (or ``aborted``/``error``, with the ``fault``)."""
        if self._outcome is None:
            self._outcome = outcome
            self._reason = reason
            self._fault = fault
            self._current = None

    def is_teacher(self, role: str) -> bool:
        return self.roles.get(role) == TEACHER

    def _internal(self, role: str) -> bool:
        """Whether the game itself plays ``role`` (its teacher, or its random player)."""
        return self.roles.get(role) in (TEACHER, RANDOM)

    @property
    def moves(self) -> int:
        """Moves made so far (valid or not), by every role."""
        return self._moves

    @property
    def turns(self) -> tuple[Turn, ...]:
        return tuple(self._turns)

    # ---------------------------------------------------------- driver API
    @property
    def done(self) -> bool:
        return self._outcome is not None

    @property
    def outcome(self) -> str | None:
        return self._outcome

    @property
    def reason(self) -> str:
        return self._reason

    def pending(self) -> PendingTurn | None:
        """The externally played role that must reply now, or ``None`` when the episode is over."""
        if self.done or self._current is None:
            return None
        # A snapshot without copying the messages: add_message() never mutates a message in place (it replaces
        # or appends), so later moves cannot change what this tuple holds.
        return PendingTurn(self._current, tuple(self._histories[self._current]))

    def act(self, text: object, *, tokens: dict[str, int] | None = None) -> None:
        """Feed the reply of the pending role, then let teacher-played roles move until someone else is due."""
        if self.done or self._current is None:
            raise RuntimeError("act() called on a finished episode")
        self._act(self._current, text, tokens)
        self._advance()

    @property
    def fault(self) -> str:
        return self._fault

    def abort(self, reason: str, *, fault: str | None = None) -> None:
        """End the episode as aborted from outside (a context overflow, ...). ``fault`` is the role that could
        not carry on (default: the role due to move now)."""
        role = fault if fault is not None else (self._current or "")
        self.finish("aborted", f"{role}: {reason}" if role else reason, fault=role)

    def fail_game(self, exc: BaseException, where: str) -> None:
        """End the episode as ``error``: the game's own code failed (never a player's fault)."""
        self.finish("error", f"game error {where}: {type(exc).__name__}: {exc}", fault=GAME_FAULT)

    def record(self, *, manifest_id: str = "", timing: dict[str, float] | None = None) -> EpisodeRecord:
        """The episode record, scored by the game's one scorer. Only valid once the episode is done."""
        if not self.done:
            raise RuntimeError("record() called before the episode ended")
        draft = EpisodeRecord(
            game=self.game.versioned_id, instance_id=self.instance.id, split=self.instance.split,
            seed=self.instance.seed, experiment=self.instance.experiment, roles=dict(self.roles),
            learner_role=self.learner_role, instance=self.instance.to_dict(), turns=tuple(self._turns),
            outcome=self._outcome or "aborted", reason=self._reason, scores={}, manifest_id=manifest_id,
            timing=dict(timing or {}), fault=self._fault,
        )
        return replace(draft, scores=self.game.score(draft))

    # ------------------------------------------------------------ internals
    def _act(self, role: str, raw: object, tokens: dict[str, int] | None) -> None:
        text, original_len = sanitize(raw)
        self._moves += 1
        index = len(self._turns)
        # A placeholder keeps the move's place while apply() may send feedback; _settle fills in the outcome.
        self._turns.append(Turn(index=index, speaker=role, to="game", kind="move", text=text,
                                tokens=tokens, truncated_from=original_len))
        add_message(self._histories[role], "assistant", text)
        self._notes = {}
        try:
            move = self.parse(role, text)
            reward = float(self.apply(role, move))
        except MoveError as err:
            self._on_error(role, index, err)
        except Exception as exc:  # the game's own bug: recorded as such, never charged to the mover
            self._settle(index, {"ok": False, "error": "game"}, 0.0)
            self.fail_game(exc, f"while applying {role}'s move")
        else:
            self._repairs = {"format": 0, "rule": 0}
            self._settle(index, {**self._notes, "ok": True}, reward)
        if not self.done and self._moves >= self.game.max_moves:
            self.finish("lose", f"move limit ({self.game.max_moves}) reached")

    def _settle(self, index: int, parse: dict[str, Any], reward: float) -> None:
        # Direct construction: dataclasses.replace() introspects fields on every call and this is the hot path.
        t = self._turns[index]
        self._turns[index] = Turn(index=t.index, speaker=t.speaker, to=t.to, kind=t.kind, text=t.text, parse=parse,
                                  reward=reward, tokens=t.tokens, truncated_from=t.truncated_from)

    def _on_error(self, role: str, index: int, err: MoveError) -> None:
        kind = "format" if err.kind == "format" else "rule"
        penalty = self.format_penalty if kind == "format" else self.rule_penalty
        limit = self.max_format_repairs if kind == "format" else self.max_rule_repairs
        # Notes made before the move was refused stay (a refused repair attempt is still a failed repair).
        self._settle(index, {**self._notes, "ok": False, "error": err.kind, "message": str(err)}, penalty)
        if self.is_teacher(role):  # the programmatic teacher's invalid move is a bug in the game
            self.finish("error", f"game error: the teacher's {role} move was invalid ({kind}): {err}",
                        fault=GAME_FAULT)
            return
        if self._repairs[kind] >= limit:
            self.tell(role, "Game over: too many invalid moves in a row.", "environment")
            self.finish("aborted", f"{role} ({self.roles[role]}): {kind} error after {limit} repair attempt(s): "
                        f"{err}", fault=role)
            return
        self._repairs[kind] += 1
        self.tell(role, str(err), "correction")
        self._current = role

    def _advance(self) -> None:
        while not self.done and self._current is not None and self._internal(self._current):
            role = self._current
            try:
                text = (self.teacher_move(role) if self.is_teacher(role)
                        else self.random_move(role, self._random_rng))
            except Exception as exc:  # the game's own bug, not a player's
                self.fail_game(exc, f"while making the {self.roles[role]} move of {role}")
                return
            self._act(role, text, None)
