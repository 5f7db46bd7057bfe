"""Reference: the game card (:class:`Reference`), its instances and its scorer; the episode is in ``state.py``."""

from __future__ import annotations

import json
import random
from typing import Any, ClassVar

from ..episode import Episode
from ..game import Game
from ..policies import CheapPolicy
from ..records import EpisodeRecord
from . import scoring
from .generator import LEVELS, MAX_CLARIFICATIONS, make_params
from .moves import LISTENER_KEYWORDS, SPEAKER_KEYWORDS
from .policies import listener_policies, speaker_policies
from .scene import DIMS
from .state import ReferenceEpisode

__all__ = ["Reference"]


class Reference(Game):
    """Reference: describe a target object in a scene so a listener picks it, or pick it from a description.

    Roles
        ``speaker`` and ``listener``; the learner may play either, the programmatic teacher plays the other.

    Scenes
        4-8 objects. Each object has a colour (red, blue, green, yellow, purple, orange), a shape (circle,
        square, triangle, star, diamond), a size (large, small), a pattern (plain, striped, dotted) and a
        place in a grid of two rows (top, bottom) and three columns (left, middle, right); several objects
        may share a place, but no two objects are alike in everything. One object is the target. The
        listener sees the objects numbered 1..n (the params order), each as a phrase ("a large red striped
        circle (top left)"). The speaker sees a table of attribute values, one row per object, in reading
        order of the grid and labelled A, B, ... (letters, never the listener's numbers), and the label of
        the target ("The target is object C."): no line of its prompt is a ready-made description of the
        target, so it must choose which attributes to say.

    Experiments
        Every scene holds near-duplicates of the target (equal but for one attribute, each on another
        attribute, drawn at random), so the attributes that single the target out differ from scene to
        scene. ``easy``: 4 objects, 1 near-duplicate; one attribute singles the target out; the teacher
        speaker's first description is never ambiguous. ``medium``: 5-6 objects, 2 near-duplicates; the
        target needs 2 attributes. ``hard``: 7-8 objects, 3 near-duplicates; the target needs 3 attributes.
        In medium and hard the teacher speaker's first description (what a learner listener hears) cycles
        by instance index: unique (index mod 4 = 0, 2), ambiguous with one planned answer needed (1), with
        two (3; the first answer still leaves 2+). It names 1 to k+1 attributes (k: the fewest the target
        needs; a unique one k or k+1, over-specifying like people do), the number drawn evenly over what
        the scene allows, so its length does not tell whether it is ambiguous. No habit wins: never asking
        is right on half of medium and hard, asking once or twice on a quarter each.

    Instances
        ``params = {"objects": [{"colour", "shape", "size", "pattern", "column", "row"}, ...], "target":
        <1-based number>, "mode": "unique" | "ambiguous" | "ambiguous2", "ambiguous": bool,
        "questions_needed": 0-2, "descriptions": [{dimension: value}, ...], "max_clarifications": 3}``.
        ``descriptions`` is the teacher speaker's plan when the learner listens: the first description,
        then what it adds to answer each clarification question; it is drawn with the instance rng, so the
        ambiguity is fixed by the params. ``questions_needed`` counts the planned answers (questions about
        one well-chosen attribute may need fewer, or more). The target's (colour, shape, size, pattern)
        combination belongs to one split by ``split_of``, so test targets are combinations never used as
        targets in train or validation (33 combinations in test); within a split and experiment they are
        drawn without replacement (``cycle_pick``), and the rest of the scene is drawn with the instance
        rng, so another instance seed gives other scenes. The instance key (what makes an item distinct)
        is the scene: its objects as a set, and which one is the target (the listener's numbering and the
        plan are not part of it); no scene occurs twice in a split. Split sizes: 100 / 20 / 30 per
        experiment (train / validation / test; 90 test scenes, each target combination at most once per
        experiment). On the 90 test episodes the 95% bootstrap half-width of the reference player's mean
        is 0 (it scores 100 on each) and that of the paired difference reference - random 1.6 (speaker)
        and 6.7 (listener).

    Action format (the Playpen's one move grammar, ``games/grammar.py``: exactly one move line per reply,
    other lines ignored, Markdown decoration forgiven)
        speaker: ``DESCRIPTION: <text>`` (at most 300 characters), e.g. ``DESCRIPTION: the small red one``.
        listener: ``SELECT: <n>`` (also ``SELECT: #3``, ``SELECT: object 3``) or ``CLARIFY: <question>``
        (at most 300 characters), e.g. ``CLARIFY: Which colour: red or blue?``.
        Anything else is a format error. Rule errors: selecting a number outside 1..n; a fourth question;
        a description that no object fits (see below).

    The programmatic listener (the teacher listener, and the judge of what a description says)
        It reads attribute words from ``vocabulary.json``: the values and synonyms (big/huge = large,
        little/tiny = small, round/circular = circle, violet = purple, spotted/dots = dotted, solid = plain,
        stripes = striped, centre/center = middle, upper = top, lower = bottom, ...). A negator excludes the
        next attribute word in its reach ("not striped"): not, isn't, aren't within four words; without,
        neither, nor within two; no, non only right before it ("no dots", but "no, the small one" means
        small). Two values of one attribute in one description are alternatives ("red or blue"). Other
        words, numbers, letters and relations are ignored. The candidates are the objects fitting every
        accepted description so far. After each description: no known word -> it asks again, saying it did
        not understand; one candidate -> ``SELECT`` it; several -> ``CLARIFY`` with the attribute whose
        answer leaves the fewest candidates on average (ties: colour, shape, size, pattern, column, row),
        naming the values among the candidates ("Which colour: red or blue?", "The large one or the small
        one?", "The one on the left or in the middle?", "The one at the top or at the bottom?"); after 3
        questions it selects its lowest-numbered candidate. Reference listener: as the learner's stand-in
        it asks exactly when 2+ objects fit and it has questions left (it sees the scene and the words,
        which the listener role legitimately has) and selects the single fitting object otherwise.
        No fit: a description that (together with the earlier ones) fits no object is a rule error: the
        correction quotes it and what the listener understood ("No object matches "the green triangle".
        (I understood: green, triangle.)"), the description is not kept, and the speaker describes again
        (2 repairs; a third no-fit in a row aborts).

    The teacher speaker
        With a learner listener it says the planned ``descriptions[0]``. It answers one thing per question:
        a question about one attribute (by name, "which colour?", or by value, "the red one or the blue
        one?") that tells the remaining candidates apart gets that attribute; any other question (about
        nothing in particular, or about several attributes at once: "which colour, shape and size?") gets
        the next planned stage not yet said; should no plan be left while 2+ objects fit, it adds the
        fewest attributes that single the target out. An unneeded question (one object fits already) gets
        the named attribute, or else the next unsaid one: redundant, but true. So a question never buys
        more than it asks for, and no question makes it recite the whole target.
        Reference speaker (the teacher in the speaker role): it reads the table and says the target's
        shortest unique description, attributes chosen in the order colour, shape, size, pattern, column,
        row, e.g. "the large red one at the top"; the listener then selects at once. Descriptions are
        rendered as "the <size> <colour> <pattern> <shape, or 'one'> <place>" with only the chosen
        attributes.

    Flow and feedback kinds
        ``instruction``: the rules and the scene (both roles). ``observation``: the speaker's description or
        answer relayed to the listener. ``clarification``: the listener's question relayed to the speaker.
        ``correction``: a format or rule error, including "no object fits", with a chance to repair.
        ``environment``: the selection and its result, to both roles (a listener's lucky guess is told so).

    Episode end
        ``success``: the listener selects the target; ``lose``: it selects another object; ``aborted``: a
        third invalid reply in a row of one kind (format, or rule). ``max_moves`` = 40 (4 descriptions and 4
        listener moves, each after up to 4 invalid replies) never binds.

    Rewards (every move)
        speaker: 0.5 x (ln P - ln |C|) / ln n when the description keeps the target among the candidates C
        and |C| is below P, the smallest such set so far (P starts at n; so the shaping sums to at most 0.5
        per episode, however it is split over rounds); -0.2 if it rules the target out; -0.1 if the listener
        understood no word; plus, when the teacher listener will now select: the speaker's quality
        (``main`` / 100, below) if it selects the target, -1 if another object. listener: +1 selecting the
        target while it alone fits what was heard and no question was needless, 0 selecting it otherwise
        (a lucky guess, or after a needless question), -1 another object; +0.2 a question when 2+ objects
        fit, -0.5 one when a single object fits. Format error -1, rule error -0.5. Rewards are the same
        whoever plays a role (teacher moves get them too; only the learner's are trained on).

    Scores (from the record: params, and the notes each move stores in its ``parse`` field)
        ``main``: 0 unless the target was selected. Learner speaker, Gricean quantity: 100 x 0.5 ^
        redundant x 0.25 ^ (rounds - 1). ``redundant`` (the over-informative part) is the number of distinct
        attributes its accepted descriptions named (included or negated) beyond the fewest that single the
        target out; ``rounds`` (the under-informative part) counts its descriptions, including those no
        object fitted, so every round the listener had to ask for, or that fitted nothing, quarters the
        score. A minimal distinguishing description said at once scores 100; naming every attribute of a
        hard target (3 needed) 12.5, of an easy one (1 needed) 3.1. Learner listener: 100 if it selected
        the target asking exactly when it needed to, else 0. Its work is to judge whether what it heard
        singles out one object, and both misjudgements earn nothing: a guess (a selection while 2+ objects
        fitted: right by chance, not by understanding) and a needless question (asked when one object
        fitted: it did not see that the description was enough). Questions the ambiguity needs cost
        nothing. Partial credit for either misjudgement would pay a habit (always ask once, never ask) for
        the share of instances where it happens to be right. An aborted episode scores 0.
        ``rounds``: the speaker's descriptions (accepted or no-fit). ``clarifications``: questions asked.
        ``candidates_left``: objects fitting all accepted descriptions at the end (n if none).
        Speaker role only: ``first_unique`` (1 if the first description fitted only the target);
        ``overspecification`` (``redundant`` above; absent if no attribute was named).
        Listener role only: ``unnecessary_clarifications`` (needless questions); ``guessed`` (1 if the
        selection was made while 2+ objects fitted); ``clarification_precision`` (questions asked while 2+
        objects fitted / questions; absent without questions); ``clarification_recall`` (questions asked
        while 2+ objects fitted / listener moves made while 2+ objects fitted and a question was allowed;
        absent if the listener never faced ambiguity).

    Notes for CLU2 (each move's ``parse`` field)
        Speaker moves: ``act`` = "describe" (the first description), "answer" (after a question) or
        "repair" (after a correction that nothing fitted, or after the listener said it understood no
        word); ``understood``, ``heard`` (the words understood), ``attributes`` (the dimensions named),
        ``candidates_before``, ``candidates``. ``consistent`` (on understood descriptions): the target still
        fits everything said, i.e. the description is true of the target and agrees with the earlier
        descriptions. ``repaired`` (on the accepted description that answers a no-fit correction or a
        not-understood report): whether it fixes what was named, i.e. it is understood and true of the
        target. A repeat that again fits nothing is a rule error, and the game cannot note a rule error
        (the episode keeps no notes on invalid moves), so ``repaired`` = False is recorded only for a
        repair that fits some object but not the target. The speaker cannot ask, so ``ambiguous`` is never
        set on its moves.
        Listener moves: ``act`` = "select" or "clarify"; ``candidates`` (objects fitting all it heard).
        ``ambiguous`` (ground truth: 2+ objects fit everything the speaker said, by the listener's
        vocabulary above) on every clarify and on a select made while it still had questions left (the
        moves where asking was possible). ``consistent`` on a select: the object selected fits everything
        the speaker said. ``correct`` on a select. No listener move answers a correction naming a
        misunderstanding, so ``repaired`` is not set for the listener.

    Cheap policies and honest programs
        The suite (``policies.py``) attacks the speaker by copying what the prompt shows about the target
        (the line naming it, every attribute, the four object attributes, a fixed colour and shape, its
        place) or by leaving the choice of attributes to the listener (its colour, or two attributes at
        random, then whatever it asks about); the listener by a fixed selection (the first or the last
        object), or by asking once (also about an attribute the description left out), twice or every time
        allowed whatever it heard and then matching words. All use the default bound (<= 25 and <= a third
        of the reference player). ``select_first`` earns the instances whose target is object 1 and whose
        first description is unique: about 14 in expectation (a quarter of easy, an eighth to a tenth of
        medium and hard), 22 on the 90 published test instances by chance (targets are placed uniformly).
        Honest programs, listed unbounded, show how much of each role is more than table lookup and word
        matching: for the speaker Dale & Reiter's incremental algorithm (it reads the table but
        over-specifies) and a greedy one that names the target's rarest value, one more per round; for the
        listener word overlap without asking (it earns exactly the instances whose first description is
        unique), word overlap asking on ties, matching with the game's own word list (the reference
        listener's behaviour: 100), word overlap asking while a description is shorter than the scene size
        suggests (set against plain word overlap, it shows that the length of a description tells nearly
        nothing about its ambiguity; in v1 it scored 97), and word overlap asking once in scenes of more
        than 4 objects (easy scenes, the only ones with 4, are never ambiguous: a habit keyed to the level
        that stays below plain word overlap). Any policy that contains the listener's word matching earns
        the unique instances, so no bound below that program's score could hold for such a policy: the
        listener's clarification judgment is worth the difference to 100.

    Version history
        v1: first version.
        v2: (1) the speaker sees a table of attribute values and the target's label instead of a
        ready-made description of the target: selecting the distinguishing attributes is the speaker's
        task, and copying the marked line scored 100. (2) Gricean quantity in the speaker's ``main``: every
        attribute beyond the fewest needed halves it (v1 never charged over-specification, so naming every
        attribute scored 100), every extra round quarters it (v1: -20). (3) Near-duplicates in every level
        (easy had none), so the distinguishing attributes are random and no fixed choice (always colour)
        works. (4) Listener: 100 only for selecting the target asking exactly when needed; a guess earns
        nothing even if right (v1: 100) and so does a needless question (v1: -20), so that guessing and
        asking by habit no longer pay (asking once whatever was heard scored 85 in v1). (5) The teacher
        speaker's first descriptions: medium and hard cycle unique / one answer / unique / two answers (v1:
        ambiguous on half of medium and 3/4 of hard), and their length no longer gives away whether they
        are ambiguous (v1: the unique one always named exactly k attributes, the ambiguous one fewer). (6)
        The teacher speaker answers one thing per question (v1: the attribute asked about plus the next
        planned stage, so a question about everything bought two). (7) The one move grammar (one move line
        per reply; v1 took the first matching line). (8) A format-valid random player; notes
        ``repaired``/``consistent`` for CLU2, ``ambiguous`` only where a question was allowed; the
        speaker's result message says what Gricean quantity made of its description. (9) Test split 30 per
        experiment (v1: 20).
    """

    name = "reference"
    version = 2
    roles = ("speaker", "listener")
    learner_roles = ("speaker", "listener")
    experiments = tuple(LEVELS)
    max_moves = 40
    split_sizes: ClassVar[dict[str, int]] = {"train": 100, "validation": 20, "test": 30}
    score_ranges: ClassVar[dict[str, tuple[float, float]]] = {
        "rounds": (0.0, float(max_moves)),
        "clarifications": (0.0, float(MAX_CLARIFICATIONS)),
        "candidates_left": (0.0, 8.0),
        "first_unique": (0.0, 1.0),
        "overspecification": (0.0, float(len(DIMS))),
        "unnecessary_clarifications": (0.0, float(MAX_CLARIFICATIONS)),
        "guessed": (0.0, 1.0),
        "clarification_precision": (0.0, 1.0),
        "clarification_recall": (0.0, 1.0),
    }
    move_keywords: ClassVar[dict[str, tuple[str, ...]]] = {"speaker": SPEAKER_KEYWORDS,
                                                           "listener": LISTENER_KEYWORDS}
    bare_keywords: ClassVar[tuple[str, ...]] = ()  # every move of this game takes a body

    def make_params(self, rng: random.Random, *, split: str, experiment: str, index: int) -> dict[str, Any]:
        return make_params(rng, split=split, experiment=experiment, index=index, game_id=self.versioned_id)

    def instance_key(self, params: dict[str, Any]) -> str:
        """The scene: its objects as a set and the target. The listener's numbering and the teacher's plan
        are incidental draws of one scene."""
        objects = params["objects"]
        rows = sorted(json.dumps([o[d] for d in DIMS]) for o in objects)
        target = json.dumps([objects[int(params["target"]) - 1][d] for d in DIMS])
        return f"{target}|{'|'.join(rows)}"

    def episode_class(self) -> type[Episode]:
        return ReferenceEpisode

    def cheap_policies(self, role: str) -> list[CheapPolicy]:
        return speaker_policies() if role == "speaker" else listener_policies()

    def game_scores(self, record: EpisodeRecord) -> dict[str, float]:
        return scoring.game_scores(record)
