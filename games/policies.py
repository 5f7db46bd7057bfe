"""Cheap policies: how a game is attacked before anyone else attacks it.

A score (and an RL reward) is only as good as the cheapest policy it pays. Each policy here plays one learner
role while reading **only what that role is told** (its chat history) and skips the role's collaborative
work: it copies the instructions' example, echoes lines of the prompt, always agrees, asks until the partner
gives the answer away, answers yes (or no) to everything, sends the shortest well-formed move, ... The
:func:`check_degenerate_policies` check of :func:`~playschool.games.check_game` requires each to score well
below the game's reference player, and the rendered game card lists every policy's score.

Two sources of policies:

* **generic ones**, built here for any role from its move keywords (``Game.move_keywords``) and the text of
  its instructions, so that every game, a game pack's too, meets them on the day it is added;
* **the game's own** (``Game.cheap_policies(role)``): attacks that need the game's vocabulary (smuggle a
  forbidden word past a check, enumerate candidates, accept whatever the partner proposes). A game may also
  list *honest programs* there (``degenerate=False``): short programs that do the role's work without
  language skill beyond the format (read the map, track the state). They are not bounded; their scores show
  how much language a role needs.

Policies are deterministic given their seed (a fresh policy per episode: ``make(rng)``), so the table a card
shows is reproducible.
"""

from __future__ import annotations

import random
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from .episode import LEARNER, RANDOM, TEACHER, Episode, FormatError
from .grammar import find_move
from .records import EpisodeRecord
from .seeding import stable_seed

if TYPE_CHECKING:
    from .game import Game

__all__ = ["POLICY_INSTANCES", "CheapPolicy", "Policy", "PolicyFactory", "PolicyScore", "PolicyScores", "View",
           "generic_policies", "instruction_lines", "last_message", "move_lines", "policies_for", "policy_table",
           "score_policies", "stateless"]

#: What a learner role sees: its chat history (``user`` messages to it, ``assistant`` messages it wrote).
View = tuple[dict[str, str], ...]
#: A policy maps the view to the next reply.
Policy = Callable[[View], str]
#: Makes a fresh policy for one episode from a seeded generator (the policy may keep state between turns).
PolicyFactory = Callable[[random.Random], Policy]


@dataclass(frozen=True)
class CheapPolicy:
    """A named policy for one role. ``degenerate`` policies skip the role's work and are bounded by
    ``check_game``; honest programs (``degenerate=False``) are measured and listed, not bounded."""

    name: str
    description: str
    make: PolicyFactory
    degenerate: bool = True


def stateless(fn: Policy) -> PolicyFactory:
    """A factory for a policy that keeps no state and draws nothing at random."""
    return lambda _rng: fn


# ------------------------------------------------------------------------------------ reading the view
def last_message(view: View) -> str:
    """The newest message the role received (empty if none)."""
    for msg in reversed(view):
        if msg.get("role") == "user":
            return msg.get("content", "")
    return ""


def instruction_lines(view: View) -> list[str]:
    """The non-empty lines of the first message the role received (its instructions), stripped."""
    first = next((m.get("content", "") for m in view if m.get("role") == "user"), "")
    return [line.strip() for line in first.splitlines() if line.strip()]


_CODE_SPAN = re.compile(r"`([^`\n]+)`|\"([^\"\n]+)\"")


def move_lines(text: str, keywords: Sequence[str], bare: Sequence[str] = ()) -> list[str]:
    """Every line of ``text``, and every quoted or backticked span in it, that would parse as a move of
    ``keywords`` on its own (the examples of the instructions), in order of appearance, deduplicated."""
    out: list[str] = []
    candidates: list[str] = []
    for line in text.splitlines():
        candidates.append(line)
        candidates += [a or b for a, b in _CODE_SPAN.findall(line)]
    for candidate in candidates:
        try:
            find_move(candidate, keywords, fmt="", bare=bare)
        except FormatError:
            continue
        shown = candidate.strip().strip("`").strip()
        if shown not in out:
            out.append(shown)
    return out


_STRUCTURED = re.compile(r"^\s*(?:[-*•]|\d+[.)]|[A-Za-z][\w ]{0,30}:|\S+\s*=)")


def _structured_lines(view: View) -> list[str]:
    """Lines of the messages received that look like data (list items, ``key: value``, ``key=value``)."""
    out: list[str] = []
    for msg in view:
        if msg.get("role") != "user":
            continue
        for line in msg.get("content", "").splitlines():
            line = line.strip()
            if line and _STRUCTURED.match(line) and line not in out:
                out.append(line)
    return out


def _body_of(line: str) -> str:
    """The text after a ``key:`` or list marker of a structured line."""
    return re.sub(r"^\s*(?:[-*•]|\d+[.)])\s*", "", line).split(":", 1)[-1].strip() or line.strip()


# --------------------------------------------------------------------------------------- generic policies
def generic_policies(keywords: Sequence[str], bare: Sequence[str] = ()) -> list[CheapPolicy]:
    """The generic cheap policies for a role whose move keywords are ``keywords`` (``bare``: those without a
    body). Each reads only the role's view."""
    with_body = [k for k in keywords if k not in bare]
    policies: list[CheapPolicy] = []

    def copy_example(cycle: bool) -> PolicyFactory:
        def make(_rng: random.Random) -> Policy:
            turn = [0]

            def policy(view: View) -> str:
                examples = move_lines("\n".join(instruction_lines(view)), keywords, bare)
                if not examples:
                    examples = [f"{keywords[0]}: example" if keywords[0] not in bare else keywords[0]]
                pick = examples[turn[0] % len(examples)] if cycle else examples[0]
                turn[0] += 1
                return pick
            return policy
        return make

    policies.append(CheapPolicy("copy_example", "repeats the first move line shown in the instructions",
                                copy_example(False)))
    policies.append(CheapPolicy("cycle_examples", "cycles through every move line shown in the instructions",
                                copy_example(True)))
    for kw in bare:
        policies.append(CheapPolicy(f"always_{kw.lower()}", f"always replies {kw}", _constant(kw)))
    for kw in with_body:
        low = kw.lower()
        policies.append(CheapPolicy(f"{low}_yes", f"always {kw}: yes", _constant(f"{kw}: yes")))
        policies.append(CheapPolicy(f"{low}_no", f"always {kw}: no", _constant(f"{kw}: no")))
        policies.append(CheapPolicy(f"{low}_shortest", f"the shortest well-formed {kw} (one letter)",
                                    _constant(f"{kw}: a")))
        policies.append(CheapPolicy(f"{low}_ask", f"{kw} with a content-free request to say more, every turn",
                                    _constant(f"{kw}: Can you say that again, more precisely?")))
        policies.append(CheapPolicy(f"{low}_echo_last", f"{kw} with the last line it was told",
                                    stateless(_echo_last(kw))))

        def echo_structured(kw: str = kw) -> PolicyFactory:
            def make(_rng: random.Random) -> Policy:
                turn = [0]

                def policy(view: View) -> str:
                    lines = _structured_lines(view) or [_last_line(view)]
                    pick = lines[turn[0] % len(lines)]
                    turn[0] += 1
                    return f"{kw}: {_body_of(pick)}"
                return policy
            return make

        policies.append(CheapPolicy(f"{low}_echo_structured",
                                    f"{kw} with the structured lines of the prompt, one per turn",
                                    echo_structured()))
    return policies


def _constant(reply: str) -> PolicyFactory:
    return stateless(lambda _view: reply)


def _echo_last(keyword: str) -> Policy:
    return lambda view: f"{keyword}: {_last_line(view)}"


def _last_line(view: View) -> str:
    lines = [line.strip() for line in last_message(view).splitlines() if line.strip()]
    return lines[-1] if lines else "ok"


# ------------------------------------------------------------------------------------------- scoring them
#: Test instances per experiment each policy plays (the card's table and ``check_game`` use the same).
POLICY_INSTANCES = 10


@dataclass(frozen=True)
class PolicyScore:
    """One policy's mean main score and success rate over ``episodes`` test episodes of one role."""

    name: str
    description: str
    main: float
    success: float
    episodes: int
    degenerate: bool = True


@dataclass(frozen=True)
class PolicyScores:
    """Per learner role: the reference player, the random player and every cheap policy, on the same
    test instances."""

    game: str
    instances_per_experiment: int
    reference: dict[str, PolicyScore]
    random: dict[str, PolicyScore]
    roles: dict[str, list[PolicyScore]]


def policies_for(game: Game, role: str) -> list[CheapPolicy]:
    """The generic policies for ``role`` and the game's own, by name (the game's own win a name clash)."""
    keywords = game.move_keywords.get(role, ())
    bare = [k for k in keywords if k in game.bare_keywords]
    by_name = {p.name: p for p in generic_policies(keywords, bare)} if keywords else {}
    by_name.update({p.name: p for p in game.cheap_policies(role)})
    return list(by_name.values())


def _drive(episode: Episode, role: str, policy: Policy | None) -> EpisodeRecord:
    guard = 10 * episode.game.max_moves + 10
    while (turn := episode.pending()) is not None and guard > 0:
        guard -= 1
        if policy is None or turn.role != role:
            raise RuntimeError(f"{episode.game.versioned_id}: {turn.role!r} is due, but no one plays it")
        try:
            reply = policy(turn.messages)
        except Exception as exc:  # a broken attack must not pass for a lost game: report it loudly
            raise RuntimeError(f"cheap policy crashed on {episode.instance.id}/{role}: {exc!r}") from exc
        episode.act(reply)
    if not episode.done:
        episode.abort("the policy did not finish the episode")
    return episode.record()


def _summary(name: str, description: str, records: list[EpisodeRecord], degenerate: bool) -> PolicyScore:
    n = len(records)
    main = sum(r.scores.get("main", 0.0) for r in records) / n if n else 0.0
    success = sum(r.outcome == "success" for r in records) / n if n else 0.0
    return PolicyScore(name, description, round(main, 2), round(success, 3), n, degenerate)


_CACHE_SCORES: dict[tuple[int, int], PolicyScores] = {}


def score_policies(game: Game, n: int = POLICY_INSTANCES) -> PolicyScores:
    """Play the reference player, the random player and every cheap policy of every learner role on ``n``
    test instances per experiment (the same instances for all). Cached per game object and ``n``."""
    cached = _CACHE_SCORES.get((id(game), n))
    if cached is not None and cached.game == game.versioned_id:
        return cached
    instances = game.generate("test", n=n)
    reference: dict[str, PolicyScore] = {}
    rand: dict[str, PolicyScore] = {}
    roles: dict[str, list[PolicyScore]] = {}
    for role in game.learner_roles:
        insts = [i for i in instances if game.supports(i, role)]
        teacher_all = {r: TEACHER for r in game.roles}
        random_role = {r: (RANDOM if r == role else TEACHER) for r in game.roles}
        reference[role] = _summary("reference", "the game's reference player (its teacher in this role)",
                                   [_drive(game.new_episode(i, role, teacher_all), role, None) for i in insts],
                                   False)
        rand[role] = _summary("random", "random legal moves in the right format",
                              [_drive(game.new_episode(i, role, random_role), role, None) for i in insts], False)
        rows = []
        learner = {r: (LEARNER if r == role else TEACHER) for r in game.roles}
        for pol in policies_for(game, role):
            recs = []
            for inst in insts:
                rng = random.Random(stable_seed("cheap-policy", game.versioned_id, inst.id, role, pol.name))
                recs.append(_drive(game.new_episode(inst, role, learner), role, pol.make(rng)))
            rows.append(_summary(pol.name, pol.description, recs, pol.degenerate))
        roles[role] = rows
    out = PolicyScores(game.versioned_id, n, reference, rand, roles)
    _CACHE_SCORES[(id(game), n)] = out
    return out


def policy_table(scores: PolicyScores) -> list[str]:
    """The Markdown table of ``scores`` that a rendered game card shows."""
    lines = ["| role | policy | what it does | mean main | success | bounded |", "|---|---|---|---|---|---|"]
    for role in scores.roles:
        ref, rnd = scores.reference[role], scores.random[role]
        for row in (ref, rnd, *scores.roles[role]):
            lines.append(f"| {role} | `{row.name}` | {row.description} | {row.main:.1f} | {100 * row.success:.0f}% | "
                         f"{'yes' if row.degenerate else 'no'} |")
    return lines
