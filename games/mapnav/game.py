"""Map navigation: the game card (:class:`MapNav`), its instances and its scorer (the episode: ``navigation.py``)."""

from __future__ import annotations

import json
import random
from typing import Any, ClassVar

from ..episode import Episode
from ..game import Game
from ..policies import CheapPolicy
from ..records import EpisodeRecord
from .generator import LEVELS, make_house_params
from .moves import FOLLOWER_KEYWORDS, INSTRUCTOR_KEYWORDS
from .navigation import MapNavEpisode
from .policies import follower_policies, instructor_policies

__all__ = ["MapNav", "MapNavEpisode"]


class MapNav(Game):
    """Map navigation: guide a follower through a house of rooms to a target room, or follow such guidance.

    Roles
        ``instructor`` (sees the whole map, the follower's start and the target room) and ``follower`` (sees
        only its current room and, through each door, the type of the room beyond it; it is never told the
        target). The learner may play either; the programmatic teacher plays the other.

    Experiments and instances
        A house is a set of rooms on grid cells (north is up) with doors between some grid-adjacent rooms:
        a spanning tree grown from a random cell plus random extra doors (loops, 30% per neighbouring pair).
        Each room has a type from ``rooms.json`` (24 single words written for this project: attic, ballroom,
        ..., workshop). Levels: ``small``: 11-13 rooms on a 4x4 grid, every type distinct, start and target at
        least 4 doors apart; ``medium``: 14-17 rooms on 5x5, about a quarter of the rooms repeat a type,
        distance >= 5, and at least 1 *ambiguity point* on the route (a step whose next room has the type of
        another room behind a door of the same room); ``large``: 18-22 rooms on 6x6, about 45% repeats,
        distance >= 6, >= 2 ambiguity points. Routes must *take choosing*: the start and target are drawn
        uniformly among the pairs whose canonical shortest route carries at least 5 / 6 / 7 bits of choice
        (the sum over its rooms of log2(doors other than the one the follower came by / those of them on a
        shortest route)), so that a follower that ignores the instructions and never turns back walks a
        shortest route with chance at most 1/32 / 1/64 / 1/128. The room count is spread evenly with
        ``cycle_pick``; every house layout (cells and doors) belongs to one split by a hash of the layout
        (``split_of``) and the generator redraws until it fits, so test layouts never occur in training; the
        rest (layout, types, start, target) is drawn with the instance's rng, so another instance seed gives
        other houses. An instance is identified (``instance_key``) by its map (cells, types, doors), start
        and target; no split holds one twice. Params: ``rooms`` (``id`` A, B, ... in reading order, ``x``,
        ``y``, ``type``), ``doors`` (pairs of ids), ``start``, ``target``, ``shortest`` (doors on a shortest
        route), ``max_steps`` = shortest + 2 (one wrong door and the way back), ``max_instructions`` = 2 x
        shortest + 6, and the teacher instructor's ``p_ambiguous`` (0 / 0.5 / 0.75) and ``p_room_only``
        (0.9). Splits: 100 / 20 / 30 instances per experiment (train / validation / test).

    Action format (the Playpen's move grammar: exactly one move line, chatter around it ignored)
        instructor: ``INSTRUCT: <free text>`` (1-600 characters), e.g.
        ``INSTRUCT: go north into the hall, then east into the library``.
        follower: ``MOVE: <direction>`` (north, south, east, west, or n/s/e/w), or ``CLARIFY: <question>``
        (1-300 characters).
        No move line, two move lines, an empty or too long text, or a MOVE without a direction is a format
        error. A MOVE through a wall ("There is no door to the west here") and an instruction in which the
        follower finds no step at all, or more than 20 steps, are rule errors. Each gets a ``correction`` and
        the player repairs: as everywhere in the Playpen, 2 repairs per kind, the third invalid reply in a row
        of that kind aborts.

    How instructions are understood (``language.py``, the same for the teacher follower and for the game's
    own bookkeeping)
        The instruction is cut into parts at ``, ; . ! ? :``, line breaks and the words then/and/next/
        afterwards. Parts with a negation (not, never, avoid, don't, ...) or "you are"/"you're" are skipped. In
        a part, north/south/east/west (also northward(s), ...) are directions, ``back`` is the way the follower
        came (only when the part has no compass word: "go back south" is south), and the room types are rooms
        unless they follow from/leave/exit/past/in/at/of (+ the/a/an/this/that), which name a room to leave or
        pass. Left to right, a direction starts a step; a room joins the previous step if that has a direction
        and no room, else starts a room-only step; a direction joins a preceding room-only step of the part.
        ``twice``/``thrice``/``<1-5> times`` repeat the previous step. Other words are ignored; only an
        instruction with no step at all but a relative word (left, right, forward(s), straight, ahead) gets
        one step the follower cannot use ("go left"). A step then *resolves* against what the follower sees:
        a direction alone is ``clear`` if that door exists; a room alone is ``clear`` if exactly one door
        leads to a room of that type and ``ambiguous`` if several do; a direction with a room is ``clear`` if
        they agree and a ``contradiction`` if the door leads to another type; anything else (no such door, no
        such room next door, ``back`` before any move, a relative word) is ``impossible``. Ambiguity is
        therefore always visible to the follower.

    Flow
        The instructor speaks first. Its instruction is relayed to the follower (``instruction``, or
        ``correction`` when the follower's last move did not bring it closer to the target: the instructor
        is re-planning). The follower moves or asks. After each move the follower sees its new room
        (``environment``: the state its move led to) and the instructor gets its report, "I went north. I am
        in a hall. Exits: north, west." (``observation``; with the direction, so the instructor can track it
        on the map). While steps of the instruction remain and the follower moved through a door the current
        step allows, the follower moves again (told to carry on); otherwise the instructor speaks. A follower
        question goes to the instructor as a ``clarification``, or as a ``correction`` when the step was
        impossible ("There is no door to the west here."), and drops the rest of the instruction.

    Teacher
        follower (literal, uses only its view, the instruction and the way it came): resolves the next step;
        ``clear`` -> ``MOVE: <direction>``; ``ambiguous`` -> ``CLARIFY: Which door: north or east? Both lead
        to a kitchen.``; ``contradiction`` -> ``CLARIFY: The door to the north leads to a hall, not a kitchen.
        ... Which way do you mean?``; ``impossible`` -> ``CLARIFY: There is no door to the west here. Which
        way should I go?``. It asks exactly when a step is not clear.
        instructor (uses the map, the target and the follower's position known from the start and the reported
        moves; routes are shortest, ties broken north, east, south, west): when the learner is the
        instructor (the reference instructor), the whole route as unambiguous steps in one instruction, "Go
        north into the hall, then east into the library."; when the learner is the follower, one step at a
        time, naming the room as people giving directions in a house do: "Go to the <type>." with chance
        ``p_ambiguous`` where that is ambiguous (deliberately: two doors lead to that type) and
        ``p_room_only`` where it is not, else "Go <dir>." or "Go <dir> into the <type>." (even odds). After a
        move that did not bring the follower closer it corrects: "That was the wrong way. Go back." / "... Go
        back to the hall." (even odds) when the way on is the way it came, else "... Go south into the hall.".
        It answers a question as a cooperative instructor does (``answers.py``): when the step asked about was
        not clear and the question engages with it (names one of the doors in question or the room, or asks
        "which"/"where"/"what way, door, direction") it resolves exactly that: "I mean the kitchen to the
        east."; a question about a step that was clear gets its instruction restated ("As I said: go to the
        kitchen. There is only one such door."), and so does a content-free question ("Can you repeat
        that?"), even on an unclear step. Its choices use the episode rng only.

    Episode end
        ``success`` as soon as the follower enters the target room; ``lose`` when the follower has made
        ``max_steps`` moves, or when the instructor would have to speak after ``max_instructions``
        instructions (or, as a backstop, after 150 moves in all); ``aborted`` after too many invalid replies
        in a row.

    Rewards (every move; format error -1, rule error -0.5)
        follower: entering the target +1; else +0.1 for a move that brings it closer to the target, -0.2 for
        one that does not; -0.1 more for a move made on a step that was not clear (a guess); a question
        +0.2 when the step was not clear, -0.2 when it was (as much as a wasted move).
        instructor (as the literal follower would carry the instruction out): +0.1 per move that brings the
        follower closer, -0.1 per move that does not, +1 if it reaches the target, -0.2 if the follower has
        to stop and ask (an unclear or impossible step). Teacher-played moves carry rewards by the same rules.

    Scores (from the record: params and the notes on each move)
        ``main`` = 100 x ``efficiency`` on success, else 0. ``efficiency`` = shortest / (follower moves +
        ``charged_questions``), at most 1 (0 without moves): success weighted by path length, where every
        clarification exchange costs as much as a move and is charged to the party that made it necessary.
        A question about an unclear step is the instructor's doing (its instruction left the door open), a
        question about a clear step the follower's; the learner pays for its own: ``charged_questions`` is
        the number of questions about unclear steps when the learner is the instructor, and of questions
        about clear steps when it is the follower. Also ``follower_moves``; ``wrong_moves`` (moves that did
        not bring the follower closer); ``instructions`` (valid ones); ``clarifications`` (follower
        questions); ``unneeded_clarifications`` (questions about a clear step); ``missed_clarifications``
        (moves made on an unclear step); ``invalid_instructions`` (instructions refused as a rule error, plus
        instructions the follower found impossible to carry out).
        Notes on follower moves: ``act`` (``move``/``clarify``), ``situation``, ``closer``, ``room``,
        ``instruction`` (its number); on instructor moves: ``act="instruct"``, ``steps``, ``relayed_as``.

    Notes for CLU2
        ``ambiguous`` (follower moves and questions, whenever a step of an instruction is pending, which is
        always when the follower is asked to move): the ground truth is the resolution of the pending step
        against what the follower sees, ``True`` unless it is ``clear`` (several doors lead to the room named,
        the named door leads to another type, or no door fits). Only then is a question the right move.
        ``consistent`` (follower moves on a step that is not impossible: did it take a door the instruction
        named or left open; instructor moves: does the instruction agree with the map and the follower's
        reported position, i.e. carried out literally from where the follower is, it never takes a missing
        door or a door to another type of room than it names; an ambiguous stop is not an inconsistency).
        ``repaired`` (the follower's first move after "That was the wrong way. Go ...": did it take the door
        the correction named; the instructor's first instruction after a follower question or report that it
        cannot go on: can the follower now take its first step without asking again). Set on the teacher's
        moves too; only the learner's count. ``act`` is ``clarify`` on questions, ``move``, ``instruct``.

    Cheap policies (``policies.py``; the table below is measured)
        Attacks on the follower: ask until the instructor says a compass word, with a question
        (``ask_until_told``) or a plea to repeat (``repeat_until_told``); ask before every move; ask door by
        door; ask "Which door?" once, then walk on at random; compass words only (room names ignored), with or
        without walking on through any door but the way back; walk without reading (first door, first door not
        back, a random one, the last move again, a random walk that turns back whenever the instructor starts
        with "That was the wrong way": the re-planning preamble as a hot/cold signal, worth nothing with one
        wrong move in the budget). On the instructor: always "go north", the four compass directions, every room
        name on the map, the map's room lines, the target's room type, a random walk ending in the target's
        type, one step at a time toward the target's grid cell as the crow flies (where the rooms are, not which
        doors connect them). Honest programs (not bounded): a literal keyword follower (compass word, else the
        door to the room named; guessing, asking when several doors fit, or asking before every move), one that
        grounds room names only (compass words ignored, guessing among several doors), and a route solver that
        reads the map (with room names, or compass words only). They show how little language the game needs
        beyond its vocabulary: a follower must ground room names in what it sees and ask when they do not pick a
        door; an instructor must read the map and name a route.

    Feedback kinds
        ``instruction`` (role rules and map at the start; relayed instructions and answers; "carry on with
        the instruction"), ``observation`` (the follower's first view; its reports to the instructor),
        ``clarification`` (the follower's questions), ``correction`` (format and rule errors; re-planning
        instructions after a move that did not bring the follower closer; the follower saying an instruction
        cannot be carried out), ``environment`` (the follower's view after each of its moves; arrival, out of
        moves or instructions).

    Version history
        v1: first version.
        v2: (1) Clarifications cost and are answered as a cooperative instructor would. In v1 questions were
        free and the teacher answered *any* question with the exact next door, so a follower that asked
        before every move and obeyed the answer scored 100 without grounding a single room name. Now a
        question about a clear step costs as much as a move (in ``efficiency`` and its reward), the teacher
        resolves only the ambiguity the question is about, and it restates its instruction for a question
        about a clear step or a content-free one: a clarification request buys the information it asks for,
        nothing more. (2) Houses where the instructions matter: bigger houses (4x4 / 5x5 / 6x6 grids), longer
        routes (>= 4 / 5 / 6 doors) that take 5 / 6 / 7 bits of choosing, and a move budget of shortest + 2
        (was 2 x shortest + 4). In v1 most route steps were forced (one way on besides the way back), so a
        follower that never read an instruction and never turned back scored 49 on the test split. (3) The
        teacher names rooms rather than compass directions (``p_room_only`` 0.3 -> 0.9; "go back" when the
        way on is the way the follower came): grounding a referring expression in what one sees is the
        follower's work, and with compass words in most instructions a follower that ignored every room name
        scored 67 (81 with the never-turn-back habit). (4) The instructor pays for every question its
        instructions make necessary (an unclear or impossible step costs as much as a move): in v1 an
        instructor that never read the map's doors and sent the follower on a random walk ("go <any exit>,
        then to the <target's type>") scored 39, its failed steps costing nothing. (5) The one move grammar of
        the Playpen (exactly one move line; v1 took the first line starting with a keyword). (6) Notes for
        CLU2: ``consistent`` and ``repaired`` on both roles, ``ambiguous`` as before. (7) A random player
        (random legal moves), ``instance_key``, and a test split of 30 per experiment (the 95% bootstrap
        half-width of the reference player's mean and of reference - random stays under 4 points; an honest
        mid-strength program's under 10).
    """

    name = "mapnav"
    version = 2
    roles = ("instructor", "follower")
    learner_roles = ("instructor", "follower")
    experiments = tuple(LEVELS)
    split_sizes: ClassVar[dict[str, int]] = {"train": 100, "validation": 20, "test": 30}
    max_moves: ClassVar[int] = 150
    score_ranges: ClassVar[dict[str, tuple[float, float]]] = {
        "efficiency": (0.0, 1.0),
        "follower_moves": (0.0, 150.0),
        "wrong_moves": (0.0, 150.0),
        "instructions": (0.0, 150.0),
        "clarifications": (0.0, 150.0),
        "unneeded_clarifications": (0.0, 150.0),
        "missed_clarifications": (0.0, 150.0),
        "invalid_instructions": (0.0, 150.0),
        "charged_questions": (0.0, 150.0),
    }
    move_keywords: ClassVar[dict[str, tuple[str, ...]]] = {"instructor": INSTRUCTOR_KEYWORDS,
                                                           "follower": FOLLOWER_KEYWORDS}

    def cheap_policies(self, role: str) -> list[CheapPolicy]:
        return instructor_policies() if role == "instructor" else follower_policies()

    def make_params(self, rng: random.Random, *, split: str, experiment: str, index: int) -> dict[str, Any]:
        return make_house_params(rng, level=LEVELS[experiment], split=split, index=index,
                                 key=f"{self.versioned_id}/{split}/{experiment}")

    def instance_key(self, params: dict[str, Any]) -> str:
        """The map (cells, types, doors) and the route's ends: the teacher's wording probabilities are the
        level's, not part of the item."""
        return json.dumps([params["rooms"], params["doors"], params["start"], params["target"]],
                          sort_keys=True, separators=(",", ":"))

    def episode_class(self) -> type[Episode]:
        return MapNavEpisode

    def game_scores(self, record: EpisodeRecord) -> dict[str, float]:
        shortest = int(record.instance.get("params", {}).get("shortest", 0))
        counts = dict.fromkeys(("follower_moves", "wrong_moves", "instructions", "clarifications",
                                "unneeded_clarifications", "missed_clarifications"), 0)
        refused = 0
        impossible: set[object] = set()
        for t in record.turns:
            if t.kind != "move":
                continue
            note = t.parse or {}
            if t.speaker == "instructor":
                counts["instructions"] += bool(note.get("ok"))
                refused += note.get("error") == "rule"
            elif t.speaker == "follower" and note.get("ok"):
                if note.get("act") == "move":
                    counts["follower_moves"] += 1
                    counts["wrong_moves"] += not note.get("closer")
                    counts["missed_clarifications"] += bool(note.get("ambiguous"))
                elif note.get("act") == "clarify":
                    counts["clarifications"] += 1
                    counts["unneeded_clarifications"] += not note.get("ambiguous")
                if note.get("situation") == "impossible":
                    impossible.add(note.get("instruction"))
        # Each clarification exchange is charged to the party that made it necessary: a question about an
        # unclear step to the instructor whose instruction was unclear, a question about a clear step to the
        # follower that asked it. The learner pays for its own.
        charged = (counts["clarifications"] - counts["unneeded_clarifications"]
                   if record.learner_role == "instructor" else counts["unneeded_clarifications"])
        cost = counts["follower_moves"] + charged
        efficiency = min(1.0, shortest / cost) if counts["follower_moves"] and shortest else 0.0
        scores = {k: float(v) for k, v in counts.items()}
        scores["invalid_instructions"] = float(refused + len(impossible))
        scores["charged_questions"] = float(charged)
        scores["efficiency"] = round(efficiency, 6)
        scores["main"] = 100.0 * efficiency if record.outcome == "success" else 0.0
        return scores
