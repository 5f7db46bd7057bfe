"""The privateshared episode: the slot-filling dialogue, the common-ground probes and both teachers.

The card is the docstring of :class:`playschool.games.privateshared.PrivateShared`; this module holds the
behaviour it documents. The game's one piece of language understanding is the instance's
:class:`~.scenarios.Form` (keywords name a slot in a question, options are found in an answer); every role,
learner or teacher, is understood through it, so a transcript reads the same whoever plays.
"""

from __future__ import annotations

import random
from typing import TYPE_CHECKING, Any

from ..episode import Episode, RuleError
from ..seeding import stable_seed
from . import prompts
from .moves import UNKNOWN, Answer, FormMove, Probe, Question, parse_agent, parse_customer, read_form
from .scenarios import form_for, load_scenarios

if TYPE_CHECKING:
    from .game import PrivateShared

__all__ = ["ASKS_PER_SLOT", "PrivateSharedEpisode"]

#: The teacher agent asks about a slot at most this often (one question, two clarifications), then moves on.
ASKS_PER_SLOT = 3
#: Most details an answer to an open question ("How can I help you?") gives without over-sharing.
OPEN_DETAILS = 2
#: Rewards (see the card).
PROBE_REWARD = 0.5
SLOT_REWARD = 0.5
ON_TOPIC = 0.5
OFF_TOPIC = -0.5
NEW_SLOT_QUESTION = 0.1
REDUNDANT_QUESTION = -0.1
UNCLEAR_QUESTION = -0.2


def _cap(text: str) -> str:
    return text[:1].upper() + text[1:]


class PrivateSharedEpisode(Episode):
    game: PrivateShared

    def start(self) -> None:
        p = self.params
        self.scenario = load_scenarios()[str(p["scenario"])]
        self.form = form_for(self.scenario.id, tuple(str(s) for s in p["slots"]))
        self.facts: dict[str, str] = {s: str(p["facts"][s]) for s in self.form.ids}
        self.max_questions = int(p.get("max_questions", 3 * len(self.form.ids) + 1))
        # Probe schedule: (after answer t, the truth the probe should have). The probed slot is chosen when the
        # probe is put, among the slots whose truth is the scheduled one, so that every episode has yes and no
        # truths in about equal numbers and answering every probe alike scores at chance.
        self.schedule: list[tuple[int, bool]] = [(int(t), str(label) == "yes") for t, label in p.get("probes", [])]
        self._probe_rng = random.Random(stable_seed("privateshared-probes", self.instance.seed))
        self.open = bool(p.get("open", False))
        self.vague: set[str] = {str(s) for s in p.get("vague", [])}
        volunteer = [str(s) for s in p.get("volunteer", [])]
        self.volunteer = (volunteer[0], volunteer[1]) if len(volunteer) == 2 else None
        # The learner's role is the one probed about the common ground (both roles can be).
        self.prober = self.learner_role
        # The common ground: slot -> the value the customer's answers communicated, as the agent understood
        # them. Both sides can know it legitimately: the agent from the answers it got, the customer from
        # what it said (see teacher_move).
        self.known: dict[str, str] = {}
        self.asks: dict[str, int] = {s: 0 for s in self.form.ids}
        self.questions = 0
        self.answers = 0
        self.asked_slot: str | None = None  # the slot the pending question asks about (None: an open question)
        self.last_asked: str | None = None
        self.last_missed = False  # the last answer did not communicate the slot it was asked about
        self.last_candidates: list[str] = []  # options of that slot it mentioned (two or more: ambiguous)
        self.probes: list[bool] = []  # probe queue of the prober: the truth each probe should have
        self.probe_slot: str | None = None  # the slot of the probe put to the prober now
        self.batch: set[str] = set()  # slots probed since the last answer (a batch never repeats a slot)
        self.owed: dict[bool, int] = {True: 0, False: 0}  # scheduled truths no slot had when their probe came
        self.probed_upto = 0  # schedule entries up to this answer count have been queued
        self.reasked = False  # the pending question asks again about a slot the last answer missed
        self.unclear_pending = False  # the customer said it did not understand the agent's last question
        self.vague_used: set[str] = set()
        self.volunteered = False
        self.warned = False
        # The order the customer's instructions list its details in: all the customer knows of an order.
        self.listed = [str(x) for x in p.get("listed", self.form.ids)]
        self.tell("customer", prompts.customer_instructions(self.scenario, self.form, self.facts, self.listed),
                  "instruction")
        self.tell("agent", prompts.agent_instructions(self.scenario, self.form, self.max_questions),
                  "instruction")
        self.expect("agent")

    # ------------------------------------------------------------------------------------ parse / apply
    def parse(self, role: str, text: str) -> Any:
        return parse_customer(text) if role == "customer" else parse_agent(text)

    def apply(self, role: str, move: Any) -> float:
        if isinstance(move, Probe):
            return self._probe_answer(role, move)
        if self.probes and role == self.prober:
            raise RuleError(prompts.PROBE_PENDING)
        if isinstance(move, Answer):
            return self._answer(move)
        if isinstance(move, Question):
            return self._question(move)
        assert isinstance(move, FormMove)
        return self._submit(move)

    def _question(self, move: Question) -> float:
        if self.questions >= self.max_questions:
            raise RuleError(prompts.no_questions_left(self.max_questions))
        self.questions += 1
        asked = self.form.asked(move.text)
        ambiguous = self.last_missed
        # After the customer said it did not understand, a question naming exactly one slot repairs that.
        repair = {"repaired": len(asked) == 1} if self.unclear_pending else {}
        self.unclear_pending = False
        if not asked and self.questions == 1:
            # An open first question ("How can I help you?"): the customer says what it likes.
            self.note(act="ask", slot=None, open=True, ambiguous=ambiguous)
            return self._relay_question(move.text, None, "observation", 0.0)
        if len(asked) != 1:
            # The customer cannot tell what is asked: it asks what the agent meant, speaking for itself.
            text = (prompts.no_slot(self.form) if not asked
                    else prompts.several_slots([self.form.slot(s).name for s in asked]))
            self.note(act="ask", slot=None, unclear=True, ambiguous=ambiguous, **repair)
            self.unclear_pending = True
            self.tell("agent", text, "clarification", speaker="customer")
            self._warn_if_out()
            self.expect("agent")
            return UNCLEAR_QUESTION
        slot = asked[0]
        clarify = self.asks[slot] > 0 and slot not in self.known
        self.asks[slot] += 1
        # Asking for a detail the customer has already given does not square with what was said.
        self.note(act="clarify" if clarify else "ask", slot=slot, ambiguous=ambiguous,
                  consistent=slot not in self.known, **repair)
        reward = NEW_SLOT_QUESTION if slot not in self.known else REDUNDANT_QUESTION
        return self._relay_question(move.text, slot, "clarification" if clarify else "observation", reward)

    def _relay_question(self, text: str, slot: str | None, kind: str, reward: float) -> float:
        self.asked_slot = slot
        self.reasked = kind == "clarification"
        self.tell("customer", prompts.relay(self.scenario.agent_label, text), kind, speaker="agent")
        self.expect("customer")
        return reward

    def _answer(self, move: Answer) -> float:
        slot = self.asked_slot
        self.answers += 1
        mentions = self.form.mentions(move.text)
        got = {s: vals[0] for s, vals in mentions.items() if len(vals) == 1}
        new = [s for s, v in got.items() if self.known.get(s) != v]  # details this answer adds or changes
        set_wrong = [s for s, v in got.items() if v != self.facts[s]]
        if slot is None:
            # An open question invites a detail or two; more is over-sharing.
            overshared = new[OPEN_DETAILS:]
            on_topic = not set_wrong and 1 <= len(new) <= OPEN_DETAILS
        else:
            overshared = [s for s in new if s != slot]
            on_topic = got.get(slot) == self.facts[slot] and not set_wrong and not overshared
        self.known.update(got)
        understood = bool(got) if slot is None else slot in got
        self.last_asked = slot
        self.last_missed = slot is not None and not understood
        self.last_candidates = mentions.get(slot, []) if slot is not None else []
        # A re-asked question names the slot the last answer missed: the answer repairs it if it now gives it.
        repair = {"repaired": slot is not None and got.get(slot) == self.facts[slot]} if self.reasked else {}
        self.note(act="answer", slot=slot, understood=understood, consistent=not set_wrong, on_topic=on_topic,
                  overshared=sorted(overshared), communicated=sorted(got), **repair)
        self.tell("agent", prompts.relay(self.scenario.customer_label, move.text), "observation",
                  speaker="customer")
        self._warn_if_out()
        self._after_answer()
        return ON_TOPIC if on_topic else OFF_TOPIC

    def _after_answer(self) -> None:
        """Queue the probes due after this answer; the agent moves once they are answered."""
        due = [label for t, label in self.schedule if self.probed_upto < t <= self.answers]
        self.probed_upto = self.answers
        if self.prober == "customer" and self.is_teacher("agent") and self._agent_plan()[0] == "form":
            # The dialogue ends with the agent's next move: probes scheduled for later come now.
            due += [label for t, label in self.schedule if t > self.answers]
            self.probed_upto = max([self.answers, *(t for t, _ in self.schedule)])
        self.probes = due
        self.batch = set()
        self._next_probe_or_agent()

    def truth(self, slot: str) -> bool:
        """Whether ``slot`` is common ground: the customer's answers communicated its true value."""
        return self.known.get(slot) == self.facts[slot]

    def _pick_probe_slot(self, scheduled: bool) -> str:
        """The slot of the next probe: one not yet probed in this batch whose truth is the ``scheduled`` one.

        When no slot has that truth now (nothing is known yet after a vague answer, everything is known at the
        end), the probe takes the other truth and the scheduled one is owed: a later probe scheduled the other
        way takes it as soon as a slot has it. So the truths of an episode follow the schedule's coin flips as
        far as the dialogue allows, whatever order the dialogue went in.
        """
        fresh = [s for s in self.form.ids if s not in self.batch] or list(self.form.ids)
        having = {want: [s for s in fresh if self.truth(s) == want] for want in (True, False)}
        other = not scheduled
        if self.owed[other] and having[other]:
            self.owed[other] -= 1
            want = other
        elif having[scheduled]:
            want = scheduled
        else:
            self.owed[scheduled] += 1
            want = other
        return self._probe_rng.choice(having[want] or fresh)

    def _next_probe_or_agent(self) -> None:
        if self.probes:
            slot = self.probe_slot = self._pick_probe_slot(self.probes[0])
            self.batch.add(slot)
            name = self.form.slot(slot).name
            text = (prompts.customer_probe(self.scenario, name) if self.prober == "customer"
                    else prompts.agent_probe(self.scenario, name))
            self.tell(self.prober, text, "instruction")
            self.expect(self.prober)
        else:
            self.probe_slot = None
            self.expect("agent")

    def _probe_answer(self, role: str, move: Probe) -> float:
        if role != self.prober or not self.probes or self.probe_slot is None:
            raise RuleError(prompts.NO_PROBE)
        self.probes.pop(0)
        slot = self.probe_slot
        truth = self.truth(slot)
        correct = move.yes == truth
        self.note(act="answer", probe=True, slot=slot, truth=truth, answer=move.yes, correct=correct)
        if correct:
            self.tell(role, prompts.PROBE_RIGHT, "environment")
        else:
            name = self.form.slot(slot).name
            text = (prompts.customer_probe_wrong(self.scenario, name, truth, self.known.get(slot),
                                                 self.facts[slot])
                    if role == "customer" else prompts.agent_probe_wrong(self.scenario, name, truth))
            self.tell(role, text, "correction")
        self._next_probe_or_agent()
        return PROBE_REWARD if correct else -PROBE_REWARD

    def _submit(self, move: FormMove) -> float:
        values = read_form(move, self.form)
        correct = [s for s in self.form.ids if values[s] == self.facts[s]]
        wrong = [s for s in self.form.ids if values[s] not in (self.facts[s], UNKNOWN)]
        # The form squares with the dialogue when every field the customer communicated carries that value.
        consistent = all(values[s] == v for s, v in self.known.items())
        self.note(act="submit", ambiguous=self.last_missed, consistent=consistent, form=values,
                  correct=len(correct))
        self.tell("agent", prompts.form_result_agent(self.scenario, self.form, values, self.facts), "environment")
        self.tell("customer", prompts.form_result_customer(self.scenario, self.form, values, self.facts),
                  "environment")
        n = len(self.form.ids)
        self.finish("success" if len(correct) == n else "lose", f"form submitted: {len(correct)}/{n} correct")
        return SLOT_REWARD * (len(correct) - len(wrong))

    def _warn_if_out(self) -> None:
        if self.questions >= self.max_questions and not self.warned:
            self.warned = True
            self.tell("agent", prompts.last_question(self.max_questions), "instruction")

    # ------------------------------------------------------------------------------------ teachers
    def teacher_move(self, role: str) -> str:
        if self.probes and role == self.prober and self.probe_slot is not None:
            slot = self.probe_slot
            # The agent knows a slot once an answer of the customer named one of its options. The customer
            # knows what it said and its own facts: ``known`` is what its answers communicated (the options
            # they named), compared with its private value.
            yes = slot in self.known if role == "agent" else self.truth(slot)
            return f"PROBE: {'yes' if yes else 'no'}"
        return self._agent_reply() if role == "agent" else self._customer_reply()

    def _agent_plan(self) -> tuple[str, str | None]:
        """The teacher agent's next step: ("open"|"clarify"|"ask"|"form", slot). Uses only what the agent
        was told: the answers it got (``known``, ``last_*``) and its own questions."""
        if self.questions >= self.max_questions:
            return "form", None
        if self.open and self.questions == 0:
            return "open", None
        last = self.last_asked
        if last is not None and last not in self.known and self.asks[last] < ASKS_PER_SLOT:
            return "clarify", last
        nxt = next((s for s in self.form.ids if s not in self.known and self.asks[s] < ASKS_PER_SLOT), None)
        return ("ask", nxt) if nxt is not None else ("form", None)

    def _agent_reply(self) -> str:
        step, slot = self._agent_plan()
        if step == "open":
            return f"QUESTION: {self.scenario.opening}"
        if step == "form":
            return "FORM: " + "; ".join(f"{s}={self.known.get(s, UNKNOWN)}" for s in self.form.ids)
        assert slot is not None
        spec = self.form.slot(slot)
        if step == "clarify":
            return f"QUESTION: {prompts.clarify(spec.name, self.last_candidates)}"
        gave_up = self.last_asked is not None and self.last_asked not in self.known
        return "QUESTION: " + (prompts.MOVE_ON if gave_up else "") + self.rng.choice(spec.questions)

    def _say(self, slot: str) -> str:
        return _cap(self.rng.choice(self.form.slot(slot).answers).format(value=self.facts[slot]))

    def _customer_reply(self) -> str:
        slot = self.asked_slot
        # Vague answers and volunteered details make a partner for a learner agent harder; as the customer's
        # reference player the teacher answers exactly what is asked.
        partner = self.learner_role == "agent"
        if slot is None:
            # An open question. As the learner agent's partner the customer says what it came for and leaves
            # the details to the agent's questions (an open question must not buy a field for free); as the
            # customer's reference player it gives the first detail its instructions list (the form's order is
            # the agent's, which the customer is never told), which the rules count as on topic.
            return "ANSWER: " + (self.scenario.request if partner else self._say(self.listed[0]))
        if partner and slot in self.vague and slot not in self.vague_used and slot not in self.known:
            self.vague_used.add(slot)
            return "ANSWER: " + self.rng.choice(self.form.slot(slot).vague)
        text = self._say(slot)
        if self.known.get(slot) == self.facts[slot]:
            text = prompts.AS_I_SAID + text
        if (partner and self.volunteer is not None and slot == self.volunteer[0] and not self.volunteered
                and self.volunteer[1] not in self.known):
            self.volunteered = True
            text += " " + self._say(self.volunteer[1])
        return "ANSWER: " + text

    # ------------------------------------------------------------------------------------ random player
    def random_move(self, role: str, rng: random.Random) -> str:
        """A random legal move: a random probe answer when probed; the customer answers with one of its
        details at random; the agent asks about a random field by its name or, about once per field, submits
        a form of random options (or ``unknown``), and must submit once no questions are left."""
        if self.probes and role == self.prober:
            return f"PROBE: {rng.choice(('yes', 'no'))}"
        if role == "customer":
            return f"ANSWER: {self.facts[rng.choice(self.form.ids)]}."
        n = len(self.form.ids)
        if self.questions >= self.max_questions or rng.random() < 1 / (n + 1):
            return "FORM: " + "; ".join(f"{s.id}={rng.choice([*s.options, UNKNOWN])}" for s in self.form.slots)
        return f"QUESTION: What is your {rng.choice(self.form.slots).name}?"
