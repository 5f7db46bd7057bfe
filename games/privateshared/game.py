"""privateshared: the game card (:class:`PrivateShared`), the instance generator and the scorer hook."""

from __future__ import annotations

import random
from typing import Any, ClassVar

from ..episode import Episode
from ..game import Game
from ..records import EpisodeRecord
from ..seeding import cycle_pick, split_of
from .dialogue import PrivateSharedEpisode
from .scenarios import load_scenarios
from .scoring import privateshared_scores

__all__ = ["PrivateShared"]

#: Slots on the form per experiment.
SLOTS: dict[str, int] = {"easy": 3, "medium": 5, "hard": 5}
#: Probes after each of the first n answers (n = slots): two distinct slots each.
PROBES_PER_ANSWER = 2
#: Hard instances: slots the teacher customer first answers vaguely.
VAGUE_SLOTS = 2
#: Fact draws tried before giving up on finding a combination of the requested split (p >= 0.15 per draw).
MAX_DRAWS = 10_000


def facts_key(scenario: str, facts: dict[str, str]) -> str:
    """What decides an instance's split: its scenario and its facts, whatever their order on the form."""
    return "privateshared/" + scenario + "/" + ";".join(f"{k}={v}" for k, v in sorted(facts.items()))


class PrivateShared(Game):
    """Private/shared: fill in a form in a slot-filling dialogue while keeping track of the common ground.

    After clembench's private/shared game. One party, the ``customer``, has private information (the values
    of the slots of a form); the other, the ``agent``, asks for the slots one at a time and fills in the
    form. At points during the dialogue the game privately *probes* the learner about the common ground:
    "Does the travel agent already know your departure city?" (customer) or "Has the customer already told
    you their departure city?" (agent). The ground truth is whether the slot's true value has been
    communicated so far: whether the customer's answers, as the agent understood them, hold the
    customer's private value for it (a contradicting value does not count).

    Roles
        ``customer`` and ``agent``; a learner may play either, the programmatic teacher plays the other.
        The learner's role is the one probed.

    Scenarios (``scenarios.json``, written for this project)
        ``travel`` (booking a trip with a travel agent: departure city, destination, travel month, seat
        preference, meal preference), ``interview`` (a job applicant and a recruiter: position, highest
        qualification, start month, foreign language, work location), ``food`` (a guest ordering from a
        waiter: main dish, drink, portion size, dessert, payment method). Each slot has a pool of 5-10
        *options* (what the agent's form accepts, and what the agent understands), the keywords that name it
        in a question, and the teacher's questions, answer templates and vague answers. The prompts call the
        roles by the scenario's labels (travel agent/customer, recruiter/applicant, waiter/guest).

    Experiments
        ``easy``: 3 slots. ``medium``: 5 slots. ``hard``: 5 slots, and the teacher partner is harder to talk
        to: the teacher agent opens with an open question ("How can I help you today?"), and the teacher
        customer answers two slots vaguely the first time it is asked about them (so the agent must ask
        again) and, asked about one particular slot, also volunteers another one (two slots in one answer).

    Instances
        ``params = {"scenario", "slots" (form order, which is also the teacher agent's order), "facts" (slot
        -> value), "probes" ([[after_answer, slot], ...]), "max_questions" (3 x slots + 1), "open" (bool),
        "vague" (slots), "volunteer" ([asked slot, volunteered slot] or [])}``. The scenario cycles over the
        three (``cycle_pick``); slots, facts and probes are drawn with the instance rng. The split is decided
        by hashing the scenario and the facts (``split_of``): a draw is repeated until it falls into the
        requested split, so no test combination of facts ever appears in train or validation. Probes: after
        each of the customer's first n answers (n = slots), two distinct slots drawn at random.

    Action format (one line; the first line that starts with a keyword of the role counts, text before it is
    ignored; case, spaces and Markdown emphasis around the keyword are forgiven)
        customer: ``ANSWER: <text>`` (at most 500 characters) to a question, ``PROBE: yes`` or ``PROBE: no``
        to a probe. Example: ``ANSWER: I'd like to fly to Rome.``
        agent: ``QUESTION: <text>`` (at most 300 characters), ``FORM: field=value; field=value; ...``
        (every field once, by id or name, each value one of its options or ``unknown``; entries may also go
        on the following lines, up to the first line without ``=``), ``PROBE: yes|no``. Example:
        ``FORM: departure=Berlin; destination=Rome; month=unknown``.
        Anything else is a *format* error. *Rule* errors: answering a probe when none is pending, any other
        move while one is pending, a question after ``max_questions``, a form with an unknown, repeated or
        missing field or a value that is not an option.

    Flow
        The agent moves first. Its first question may be open (naming no slot): the customer then says what
        it likes. Any later question must name exactly one slot of the form, by a keyword or one of its
        options ("What is your destination?", "Window or aisle?"; where matches of two slots overlap, the
        one ending later counts: "flying from" beats "where are you flying"); otherwise the customer asks what is meant (``clarification``: "Sorry, I'm not sure
        what you are asking. You can ask me about my ..." or "do you want to know my X or my Y?") and the
        question is used up. The customer's answer is relayed to the agent. It *communicates* a slot when it
        names exactly one of that slot's options (whole word, case-insensitive); every slot it communicates
        counts, asked or not, and a later mention overrides an earlier one. Two options of one slot are
        ambiguous and communicate nothing for it. A value that contradicts the customer's private facts is
        communicated all the same (the agent cannot know); the record notes ``consistent=False`` and it
        costs slot accuracy. After the customer's t-th answer, the probes scheduled for t are put to the
        learner, one at a time, before the agent moves again; right after the answer that completes the
        teacher agent's work (a learner customer), the probes scheduled for later answers come too, so a
        learner customer gets all 2n. A learner agent that submits the form early skips the rest. The agent
        ends the dialogue with ``FORM``.

    Teacher
        agent: opens with the scenario's open question in ``hard``; then asks for the first slot of the
        form not yet communicated. If an answer left the asked slot uncommunicated, it asks for
        clarification: "Sorry, which destination did you mean: Rome or Lisbon?" when two options were
        named, else "Sorry, I didn't catch that. Which destination did you mean?". After three questions
        about one slot it moves on ("Never mind, let's move on. ..."). When every slot is communicated or
        given up, or no questions are left, it submits the form with what it understood (``unknown`` for
        the rest). Probed, it answers yes iff an answer named the slot's option.
        customer: answers with an answer template and the exact value of the asked slot ("As I said: ..."
        when it was already communicated); an open question gets its first two facts (as a partner, its
        first two that are not vague). As the learner agent's partner in ``hard`` it answers each vague
        slot vaguely the first time (a vague answer names no option) and, asked about the ``volunteer``
        slot, adds the other slot's value. Probed, it answers from what its own answers communicated.
        Both teachers use only what their role is told (the agent: the answers; the customer: its facts and
        what it said), so teacher-played learner roles are the reference players.

    Feedback kinds
        ``instruction``: the rules and the private facts (customer) or the form and its options (agent);
        each probe; "that was your last question". ``observation``: a relayed question or answer.
        ``clarification``: the teacher agent asking again about a slot whose answer it did not understand
        (a re-asked question relayed to the customer), the customer asking what an unclear question meant.
        ``correction``: a format or rule error, with a chance to repair (2 repairs per kind in a run, then
        the episode is aborted); a wrong probe answer, with the truth ("Not quite: the travel agent does not
        know your seat preference yet ..."). ``environment``: a right probe answer ("Right."), the submitted
        form and how many fields are right (to both roles).

    Episode end
        ``success`` when the agent submits a form with every field right, ``lose`` when it submits a form
        with a wrong or unknown field or the 160 moves run out, ``aborted`` after too many invalid moves in a
        row.

    Rewards (every learner move)
        customer: an answer earns +0.5 per slot it newly communicates correctly, -0.5 per slot it sets to a
        value contradicting the facts, and -0.2 when it does not communicate the asked slot (or nothing,
        after an open question). agent: a question +0.1 about a slot not yet communicated, -0.1 about one
        already communicated, -0.2 when it names no slot or several (an open first question: 0); the form
        +0.5 per right field, -0.5 per wrong field, 0 per ``unknown``. Both: a probe answer +0.5 right,
        -0.5 wrong; a format error -1, a rule error -0.5.

    Scores (from the record: the params and the moves' parse notes)
        ``slot_accuracy``: share of the form's fields right in the submitted form (0 without one).
        ``probe_kappa``: Cohen's kappa (-1..1) of the learner's probe answers against the truth; when every
        truth and every answer carry the same label, kappa is undefined and taken as the accuracy (1.0).
        ``probe_accuracy``: share of probes answered right. Both are absent when no probe was answered.
        ``probes``: probes answered. ``questions``, ``unclear_questions``: the agent's questions, and those
        naming no slot or several. ``clarifications``: clarification requests the learner received.
        ``main`` = 100 x (``slot_accuracy`` + max(0, ``probe_kappa``)) / 2, with 0 for the probe part when no
        probe was answered; aborted episodes score 0.

    Record notes (the ``parse`` field of accepted moves)
        questions: ``act`` ``"ask"`` or ``"clarify"`` (asks again about a slot asked before and not yet
        communicated), ``slot``, ``ambiguous`` (the last answer left its asked slot uncommunicated, so asking
        again is right), ``unclear``/``open``; answers: ``act="answer"``, ``slot``, ``understood``,
        ``consistent``, ``communicated``; probe answers: ``probe=True``, ``slot``, ``truth``, ``answer``,
        ``correct``; the form: ``act="submit"``, ``ambiguous``, ``form`` (field -> value), ``correct``.

    Version history
        v1: first version.
    """

    name = "privateshared"
    version = 1
    roles = ("customer", "agent")
    learner_roles = ("customer", "agent")
    experiments = ("easy", "medium", "hard")
    # The learner makes at most 3n+1 questions or answers, 2n probe answers and a form (n = 5), each after
    # at most 2 format and 2 rule errors; the teacher at most 3n+1 moves: 5 x 27 + 16 = 151 < 160.
    max_moves: ClassVar[int] = 160
    score_ranges: ClassVar[dict[str, tuple[float, float]]] = {
        "slot_accuracy": (0.0, 1.0),
        "probe_kappa": (-1.0, 1.0),
        "probe_accuracy": (0.0, 1.0),
        "probes": (0.0, float(2 * max(SLOTS.values()))),
        "questions": (0.0, float(3 * max(SLOTS.values()) + 1)),
        "unclear_questions": (0.0, float(3 * max(SLOTS.values()) + 1)),
        "clarifications": (0.0, 160.0),
    }

    def make_params(self, rng: random.Random, *, split: str, experiment: str, index: int) -> dict[str, Any]:
        scenarios = load_scenarios()
        scenario_id = cycle_pick(sorted(scenarios), index, key=f"{self.versioned_id}/{split}/{experiment}")
        scenario = scenarios[scenario_id]
        n = SLOTS[experiment]
        all_slots = [s.id for s in scenario.slots]
        for _ in range(MAX_DRAWS):
            slots = rng.sample(all_slots, n)
            facts = {s: rng.choice(scenario.slot(s).options) for s in slots}
            if split_of(facts_key(scenario_id, facts)) == split:
                break
        else:  # pragma: no cover - p(no hit) < 1e-700
            raise ValueError(f"privateshared: no {split} facts found for {scenario_id}")
        probes = [[t, s] for t in range(1, n + 1) for s in rng.sample(slots, PROBES_PER_ANSWER)]
        params: dict[str, Any] = {"scenario": scenario_id, "slots": slots, "facts": facts, "probes": probes,
                                  "max_questions": 3 * n + 1, "open": experiment == "hard", "vague": [],
                                  "volunteer": []}
        if experiment == "hard":
            vague = rng.sample(slots, VAGUE_SLOTS)
            params["vague"] = vague
            params["volunteer"] = rng.sample([s for s in slots if s not in vague], 2)
        return params

    def episode_class(self) -> type[Episode]:
        return PrivateSharedEpisode

    def game_scores(self, record: EpisodeRecord) -> dict[str, float]:
        return privateshared_scores(record)
