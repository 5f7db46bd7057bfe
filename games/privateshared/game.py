"""privateshared: the game card (:class:`PrivateShared`), the instance generator and the scorer hook."""

from __future__ import annotations

import random
from typing import Any, ClassVar

from ..episode import Episode
from ..game import Game
from ..policies import CheapPolicy
from ..records import EpisodeRecord
from ..seeding import cycle_pick, split_of
from .attacks import agent_policies, customer_policies
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


def listed_order(rng: random.Random, slots: list[str]) -> list[str]:
    """The order the customer's instructions list its details in: a shuffle of the form's order that is never
    the form's order itself (the teacher agent asks in form order, so that list would say what comes next)."""
    listed = list(slots)
    while listed == slots:
        rng.shuffle(listed)
    return listed


def probe_schedule(rng: random.Random, n: int) -> list[list[Any]]:
    """Two probes after each of the first ``n`` answers, each with the truth it should have ("yes"/"no",
    drawn like a fair coin), with both truths among the first four so that the early probes, which the
    dialogue can always serve with either truth, already vary."""
    while True:
        labels = [rng.choice(("yes", "no")) for _ in range(PROBES_PER_ANSWER * n)]
        if len(set(labels[:4])) == 2:
            return [[1 + i // PROBES_PER_ANSWER, label] for i, label in enumerate(labels)]


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
        in a question, and the teacher's questions, answer templates and vague answers; each scenario has an
        open question (``opening``) and what a customer comes for (``request``, naming no detail). The prompts
        call the roles by the scenario's labels (travel agent/customer, recruiter/applicant, waiter/guest).

    Experiments
        ``easy``: 3 slots. ``medium``: 5 slots. ``hard``: 5 slots, and the teacher partner is harder to talk
        to: the teacher agent opens with an open question ("How can I help you today?"), and the teacher
        customer answers two slots vaguely the first time it is asked about them (so the agent must ask
        again) and, asked about one particular slot, also volunteers another one (two slots in one answer).

    Instances
        ``params = {"scenario", "slots" (form order, which is also the teacher agent's order), "facts" (slot
        -> value), "listed" (the order the customer's instructions list its details in: a shuffle of the
        form order that is never the form order), "probes" ([[after_answer, "yes"|"no"], ...]),
        "max_questions" (3 x slots + 1), "open" (bool), "vague" (slots), "volunteer" ([asked slot,
        volunteered slot] or [])}``. The scenario cycles over the three (``cycle_pick``); slots, facts, the
        listed order and the probes are drawn with the instance rng, so another instance seed gives other
        items. The split is decided by hashing the scenario and the facts (``split_of``): a draw is repeated
        until it falls into the requested split, so no test combination of facts ever appears in train or
        validation. An instance is the item its scenario and facts make (``instance_key``): the same details
        on a form in another order, or with other probes, are not a new item. Test split: 20 instances per
        experiment (60 per role, 60 distinct items); on it the 95% bootstrap half-width of the reference
        player's mean main is 0.0 points and of reference - random 2.6 (customer) and 0.0 (agent).

    Action format (the Playpen's move grammar: exactly one move line per reply, chatter around it ignored,
    Markdown decoration forgiven)
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
        one ending later counts: "flying from" beats "where are you flying"); otherwise the customer asks
        what is meant (``clarification``: "Sorry, I'm not sure what you are asking. You can ask me about my
        ..." or "do you want to know my X or my Y?") and the question is used up. The customer's answer is
        relayed to the agent. It *communicates* a slot when it names exactly one of that slot's options
        (whole word, case-insensitive); every slot it communicates counts, asked or not, and a later mention
        overrides an earlier one. Two options of one slot are ambiguous and communicate nothing for it. A
        value that contradicts the customer's private facts is communicated all the same (the agent cannot
        know); the record notes ``consistent=False`` and it costs the form.
        An answer is *on topic* when it answers the question asked: it communicates the asked slot with its
        true value and communicates nothing else that was not common ground yet (to an open question: one or
        two true details and nothing false). Anything else is off topic: a vague or wrong answer, or a
        detail not asked for (*over-sharing*: the customer's details are private until the agent asks, and
        an answer gives what the question asks for, no more). The customer is told this rule.
        Probes: after the customer's t-th answer, the probes scheduled for t are put to the learner, one at
        a time, before the agent moves again; right after the answer that completes the teacher agent's work
        (a learner customer), the probes scheduled for later answers come too, so a learner customer gets all
        2n. A learner agent that submits the form early skips the rest. Each scheduled probe carries the
        truth it should have (a fair coin per probe, both truths among the first four); the probed slot is
        drawn, when the probe is put, among the slots not yet probed since the last answer that have that
        truth now. When none has it (nothing is common ground yet, or everything is), the probe takes the
        other truth and owes the scheduled one to a later probe scheduled the other way. The truths of an
        episode so follow the coin flips as far as the dialogue allows, whatever order it went in, and
        answering every probe alike scores at chance. The agent ends the dialogue with ``FORM``.

    Teacher
        agent: opens with the scenario's open question in ``hard``; then asks for the first slot of the
        form not yet communicated. If an answer left the asked slot uncommunicated, it asks for
        clarification: "Sorry, which destination did you mean: Rome or Lisbon?" when two options were
        named, else "Sorry, I didn't catch that. Which destination did you mean?". After three questions
        about one slot it moves on ("Never mind, let's move on. ..."). When every slot is communicated or
        given up, or no questions are left, it submits the form with what it understood (``unknown`` for
        the rest). Probed, it answers yes iff an answer named the slot's option.
        customer: answers with an answer template and the exact value of the asked slot ("As I said: ..."
        when it was already communicated). As the customer's reference player it answers an open question
        with the first detail its instructions list; as the learner agent's partner it answers one with the
        scenario's request ("I'd like to book a trip, please."), naming no detail, so that the agent asks for
        every field. As that partner in ``hard`` it answers each vague slot vaguely the first time (a vague
        answer names no option) and, asked about the ``volunteer`` slot, adds the other slot's value.
        Probed, it answers from what its own answers communicated.
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
        customer: an answer +0.5 on topic, -0.5 off topic. agent: a question +0.1 about a slot not yet
        communicated, -0.1 about one already communicated, -0.2 when it names no slot or several (an open
        first question: 0); the form +0.5 per right field, -0.5 per wrong field, 0 per ``unknown``. Both: a
        probe answer +0.5 right, -0.5 wrong; a format error -1, a rule error -0.5.

    Scores (from the record: the params and the moves' parse notes)
        ``slot_accuracy``: share of the form's fields right in the submitted form (0 without one).
        ``form_score`` (agent): (right fields - wrong fields) / fields, at least 0; ``unknown`` counts 0. A
        value the customer never gave is made up, so a guessed field costs what a right one earns: a form of
        guesses scores 0 however lucky.
        ``answer_score`` (customer): (on-topic answers - off-topic answers) / answers, at least 0. Saying
        details in some order until the asked one comes up, stalling until a re-asked question names the
        detail, or giving every detail at once all come to about 0. ``answers``, ``on_topic_answers`` and
        ``overshared`` (details given unasked) go with it.
        ``probe_kappa``: Cohen's kappa (-1..1) of the learner's probe answers against the truth. When every
        truth carries one label, kappa is 0 (chance) whatever the answers: such an episode cannot tell a
        player that tracks the common ground from one that answers every probe alike (the probe schedule
        makes it rare). ``probe_accuracy``: share of probes answered right. Both are absent when no probe was
        answered. ``probes``: probes answered. ``questions``, ``unclear_questions``: the agent's questions,
        and those naming no slot or several. ``clarifications``: clarification requests the learner received.
        ``main`` = 100 x task x (1 + max(0, ``probe_kappa``)) / 2, the task being ``form_score`` (agent) or
        ``answer_score`` (customer), with 0 for kappa when no probe was answered; aborted episodes score 0.
        The probe half is earned on the dialogue the learner achieved: knowing the common ground of a
        dialogue that built none is cheap (a customer that ignores the questions still knows what it said),
        so it is weighted by the task.

    Cheap policies (``attacks.py``; the table below is measured)
        customer: dump every detail, the first detail to every question, echo the question, say the details in
        the listed order, stall until a re-asked question names a detail, copy the examples; probes yes, no, or
        "said it". agent: submit the form at once (unknown, first or random options), one generic or open
        question, ask every field but ignore the answers, copy the examples; probes yes, no, or "heard it".
        Honest programs (not bounded) read the dialogue with string matching only. ``keyword_matcher`` and
        ``name_or_next`` read the question at the level of the detail's name (about half of the teacher agent's
        questions name it, "What is your departure city?"; the other half do not, "Where would you like to sit
        on the plane?") and guess otherwise: what they miss is the paraphrase a customer must understand.
        ``form_solver`` asks every field by name and writes what it heard; ``form_solver_asked`` answers the
        probes from its own questions instead of the answers, which is as good as tracking the common ground
        where the teacher customer answers every question at once (``easy``, ``medium``) and worse in ``hard``,
        where vague answers leave an asked field unknown. They show that the agent's form needs little language
        beyond the options' names; the customer's answers need understanding the question.

    What makes a move ambiguous (CLU2's clarification ground truth)
        The agent's situation is ambiguous when the customer's last answer left the slot it asked about
        uncommunicated (vague, naming no option, or two options of the slot): the value is unknown and asking
        again is the right move. The customer has no clarification move (the teacher agent's questions
        always name one slot), so its moves carry no ``ambiguous``.

    Notes for CLU2 (the ``parse`` field of accepted moves; both roles' moves carry them, the learner's count)
        agent questions: ``act`` ``"ask"`` or ``"clarify"`` (asks again about a slot asked before and not yet
        communicated), ``slot``, ``ambiguous`` (see above), ``unclear``/``open``; ``consistent`` on a question
        naming one slot: ``False`` when it asks for a slot the customer has already communicated (asking for
        what one was told); ``repaired`` on the question right after the customer said it did not understand
        the last one: whether it now names exactly one slot. The form: ``act="submit"``, ``ambiguous``,
        ``form`` (field -> value), ``correct``, ``consistent`` (every communicated field carries the value
        communicated for it). Customer answers: ``act="answer"``, ``slot``, ``understood``, ``on_topic``,
        ``overshared``, ``communicated``, ``consistent`` (no value contradicting its private facts);
        ``repaired`` on the answer to a re-asked question (the agent named the slot it missed): whether the
        answer now communicates that slot's true value. Probe answers (both roles): ``act="answer"``,
        ``probe=True``, ``slot``, ``truth``, ``answer``, ``correct``.

    Version history
        v1: first version.
        v2: a signal that can be trusted (every change measured against cheap policies that read only what
        the role is told). (1) Kappa's undefined case (every truth and every answer alike) counted 1.0, so
        answering every probe yes earned the whole probe half wherever the truths did not vary; it is now 0
        (chance, its limit), and probes are scheduled with balanced truths (above) so that such episodes are
        rare and a constant answerer scores chance. (2) The customer listed its details in the teacher
        agent's asking order, so saying them in the listed order answered every question without reading
        it (100); they are now listed in another order. (3) An answer gave every detail at once and the
        teacher agent took them all (100 with constant probes): relevance (Grice's maxims of quantity and
        relation: give what is asked, no more) is now a rule the customer is told, and its task score is
        ``answer_score`` (right answers minus the others) instead of the teacher agent's form, which was the
        teacher's work. (4) An open question bought one or two details for free and tracking the one heard
        detail earned the probe half (38, and 34 after (1)): the teacher customer, as the agent's partner,
        answers an open question with what it came for, and the agent's task score is ``form_score``, where
        a guessed field costs what a right field earns (as the form's reward already said), since writing a
        value the customer never gave is making it up. (5) ``main`` weights the probe half by the task (a
        player that ignores the questions still knows what it said). (6) The instructions' examples use a
        made-up ice-cream form only (v1 quoted the customer's own first detail and the agent's first field).
        (7) The Playpen's one move grammar (one move line per reply; ``ANSWER:`` with its text on the next
        line is now a format error). (8) A random legal player (``random_move``), instance keys, and notes
        for CLU2 (``repaired``, ``consistent`` on the agent's moves, ``on_topic``). (9) The reference
        customer answers an open question with the first detail its own instructions list; it used the first
        field of the agent's form, whose order the customer is never told (a reference player uses only what
        its role is told).
    """

    name = "privateshared"
    version = 2
    roles = ("customer", "agent")
    learner_roles = ("customer", "agent")
    experiments = ("easy", "medium", "hard")
    # The learner makes at most 3n+1 questions or answers, 2n probe answers and a form (n = 5), each after
    # at most 2 format and 2 rule errors; the teacher at most 3n+1 moves: 5 x 27 + 16 = 151 < 160.
    max_moves: ClassVar[int] = 160
    move_keywords: ClassVar[dict[str, tuple[str, ...]]] = {"customer": ("ANSWER", "PROBE"),
                                                           "agent": ("QUESTION", "FORM", "PROBE")}
    score_ranges: ClassVar[dict[str, tuple[float, float]]] = {
        "slot_accuracy": (0.0, 1.0),
        "probe_kappa": (-1.0, 1.0),
        "probe_accuracy": (0.0, 1.0),
        "answer_score": (0.0, 1.0),
        "form_score": (0.0, 1.0),
        "answers": (0.0, float(3 * max(SLOTS.values()) + 1)),
        "on_topic_answers": (0.0, float(3 * max(SLOTS.values()) + 1)),
        "overshared": (0.0, float(max(SLOTS.values()))),
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
        params: dict[str, Any] = {"scenario": scenario_id, "slots": slots, "facts": facts,
                                  "listed": listed_order(rng, slots), "probes": probe_schedule(rng, n),
                                  "max_questions": 3 * n + 1, "open": experiment == "hard", "vague": [],
                                  "volunteer": []}
        if experiment == "hard":
            vague = rng.sample(slots, VAGUE_SLOTS)
            params["vague"] = vague
            params["volunteer"] = rng.sample([s for s in slots if s not in vague], 2)
        return params

    def cheap_policies(self, role: str) -> list[CheapPolicy]:
        return customer_policies() if role == "customer" else agent_policies()

    def instance_key(self, params: dict[str, Any]) -> str:
        """The scenario and the facts: the same details on a form in another order, with other probes, are the
        same item."""
        return facts_key(str(params["scenario"]), {str(k): str(v) for k, v in params["facts"].items()})

    def episode_class(self) -> type[Episode]:
        return PrivateSharedEpisode

    def game_scores(self, record: EpisodeRecord) -> dict[str, float]:
        return privateshared_scores(record)
