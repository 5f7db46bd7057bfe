"""The privateshared episode: the slot-filling dialogue, the common-ground probes and both teachers.

The card is the docstring of :class:`playschool.games.privateshared.PrivateShared`; this module holds the
behaviour it documents. The game's one piece of language understanding is the instance's
:class:`~.scenarios.Form` (keywords name a slot in a question, options are found in an answer); every role,
learner or teacher, is understood through it, so a transcript reads the same whoever plays.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..episode import Episode, RuleError
from . import prompts
from .moves import UNKNOWN, Answer, FormMove, Probe, Question, parse_agent, parse_customer, read_form
from .scenarios import form_for, load_scenarios

if TYPE_CHECKING:
    from .game import PrivateShared

__all__ = ["ASKS_PER_SLOT", "PrivateSharedEpisode"]

#: The teacher agent asks about a slot at most this often (one question, two clarifications), then moves on.
ASKS_PER_SLOT = 3
#: Rewards (see the card).
PROBE_REWARD = 0.5
SLOT_REWARD = 0.5
NEW_SLOT_QUESTION = 0.1
REDUNDANT_QUESTION = -0.1
UNCLEAR_QUESTION = -0.2
NOT_UNDERSTOOD = -0.2


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
        self.schedule: list[tuple[int, str]] = [(int(t), str(s)) for t, s in p.get("probes", [])]
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
        self.probes: list[str] = []  # probe queue of the prober: slots
        self.probed_upto = 0  # schedule entries up to this answer count have been queued
        self.vague_used: set[str] = set()
        self.volunteered = False
        self.warned = False
        self.tell("customer", prompts.customer_instructions(self.scenario, self.form, self.facts), "instruction")
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
        if not asked and self.questions == 1:
            # An open first question ("How can I help you?"): the customer says what it likes.
            self.note(act="ask", slot=None, open=True, ambiguous=ambiguous)
            return self._relay_question(move.text, None, "observation", 0.0)
        if len(asked) != 1:
            # The customer cannot tell what is asked: it asks what the agent meant, speaking for itself.
            text = (prompts.no_slot(self.form) if not asked
                    else prompts.several_slots([self.form.slot(s).name for s in asked]))
            self.note(act="ask", slot=None, unclear=True, ambiguous=ambiguous)
            self.tell("agent", text, "clarification", speaker="customer")
            self._warn_if_out()
            self.expect("agent")
            return UNCLEAR_QUESTION
        slot = asked[0]
        clarify = self.asks[slot] > 0 and slot not in self.known
        self.asks[slot] += 1
        self.note(act="clarify" if clarify else "ask", slot=slot, ambiguous=ambiguous)
        reward = NEW_SLOT_QUESTION if slot not in self.known else REDUNDANT_QUESTION
        return self._relay_question(move.text, slot, "clarification" if clarify else "observation", reward)

    def _relay_question(self, text: str, slot: str | None, kind: str, reward: float) -> float:
        self.asked_slot = slot
        self.tell("customer", prompts.relay(self.scenario.agent_label, text), kind, speaker="agent")
        self.expect("customer")
        return reward

    def _answer(self, move: Answer) -> float:
        slot = self.asked_slot
        self.answers += 1
        mentions = self.form.mentions(move.text)
        got = {s: vals[0] for s, vals in mentions.items() if len(vals) == 1}
        newly_right = [s for s, v in got.items() if v == self.facts[s] and self.known.get(s) != v]
        set_wrong = [s for s, v in got.items() if v != self.facts[s]]
        self.known.update(got)
        understood = bool(got) if slot is None else slot in got
        self.last_asked = slot
        self.last_missed = slot is not None and not understood
        self.last_candidates = mentions.get(slot, []) if slot is not None else []
        self.note(act="answer", slot=slot, understood=understood, consistent=not set_wrong,
                  communicated=sorted(got))
        self.tell("agent", prompts.relay(self.scenario.customer_label, move.text), "observation",
                  speaker="customer")
        self._warn_if_out()
        self._after_answer()
        reward = SLOT_REWARD * (len(newly_right) - len(set_wrong)) + (0.0 if understood else NOT_UNDERSTOOD)
        return round(reward, 6)

    def _after_answer(self) -> None:
        """Queue the probes due after this answer; the agent moves once they are answered."""
        due = [s for t, s in self.schedule if self.probed_upto < t <= self.answers]
        self.probed_upto = self.answers
        if self.prober == "customer" and self.is_teacher("agent") and self._agent_plan()[0] == "form":
            # The dialogue ends with the agent's next move: probes scheduled for later come now.
            due += [s for t, s in self.schedule if t > self.answers]
            self.probed_upto = max([self.answers, *(t for t, _ in self.schedule)])
        self.probes = due
        self._next_probe_or_agent()

    def _next_probe_or_agent(self) -> None:
        if self.probes:
            name = self.form.slot(self.probes[0]).name
            text = (prompts.customer_probe(self.scenario, name) if self.prober == "customer"
                    else prompts.agent_probe(self.scenario, name))
            self.tell(self.prober, text, "instruction")
            self.expect(self.prober)
        else:
            self.expect("agent")

    def _probe_answer(self, role: str, move: Probe) -> float:
        if role != self.prober or not self.probes:
            raise RuleError(prompts.NO_PROBE)
        slot = self.probes.pop(0)
        truth = self.known.get(slot) == self.facts[slot]
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
        self.note(act="submit", ambiguous=self.last_missed, form=values, correct=len(correct))
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
        if self.probes and role == self.prober:
            slot = self.probes[0]
            # The agent knows a slot once an answer of the customer named one of its options. The customer
            # knows what it said and its own facts: ``known`` is what its answers communicated (the options
            # they named), compared with its private value.
            yes = slot in self.known if role == "agent" else self.known.get(slot) == self.facts[slot]
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
            # An open question: the customer states its first two details (as a partner, not vague ones).
            firm = [s for s in self.form.ids if not (partner and s in self.vague)]
            return "ANSWER: " + " ".join(self._say(s) for s in firm[:2])
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
