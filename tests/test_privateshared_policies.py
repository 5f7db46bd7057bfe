"""privateshared against cheap policies (they read only the learner's view): the exploits v1 paid now lose,
the honest short programs show how much language each role needs, and the instructions' examples carry
neither the learner's private details nor a move that scores."""

from __future__ import annotations

import re

import pytest
from playschool.games.checks import policy_bound
from playschool.games.policies import PolicyScores, move_lines, score_policies
from playschool.games.privateshared import PrivateShared
from playschool.games.privateshared.attacks import form_fields, private_facts, probed_field
from playschool.games.privateshared.moves import AGENT_KEYWORDS, CUSTOMER_KEYWORDS


@pytest.fixture(scope="module")
def game() -> PrivateShared:
    return PrivateShared()


@pytest.fixture(scope="module")
def table(game: PrivateShared) -> PolicyScores:
    return score_policies(game)


def row(table: PolicyScores, role: str, name: str) -> float:
    return next(r.main for r in table.roles[role] if r.name == name)


# The exploits of v1 (mean main then) and the bound each must now keep.
V1_EXPLOITS = [
    ("customer", "dump_facts_yes"),    # v1: 100 (kappa 1.0 when every truth and answer is yes)
    ("customer", "dump_facts_track"),  # v1: 100
    ("customer", "dump_facts_no"),     # v1: 50
    ("customer", "in_order_track"),    # v1: 100 (details listed in the asking order)
    ("agent", "open_then_form_no"),    # v1: 38 (an open question bought two details)
    ("agent", "generic_question_yes"),  # v1: 31
    ("agent", "open_then_form_track"),
    ("agent", "form_first_options"),
    ("agent", "form_unknown"),
]


@pytest.mark.parametrize(("role", "name"), V1_EXPLOITS)
def test_v1_exploits_lose(game: PrivateShared, table: PolicyScores, role: str, name: str) -> None:
    reference = table.reference[role].main
    assert row(table, role, name) <= policy_bound(game, role, name, reference) <= 25.0


def test_every_degenerate_policy_is_far_below_the_reference(game: PrivateShared, table: PolicyScores) -> None:
    for role, rows in table.roles.items():
        assert table.reference[role].main == 100.0
        assert table.random[role].main <= 10.0
        for r in rows:
            if r.degenerate:
                assert r.main <= min(25.0, table.reference[role].main / 3), (role, r.name, r.main)


def test_honest_programs_show_what_each_role_needs(table: PolicyScores) -> None:
    # The agent's form lists every option: a string-matching solver that tracks what it heard plays it
    # perfectly, and one that answers every probe yes keeps only the form half.
    assert row(table, "agent", "form_solver") >= 90.0
    assert row(table, "agent", "form_solver_yes") == pytest.approx(50.0)
    # The customer must understand which detail a question asks for; word overlap with the detail's name
    # gets part of the way only.
    assert 25.0 < row(table, "customer", "keyword_matcher") < 75.0
    # Matching the detail's whole name, else guessing, does less: the rest of the questions need paraphrase.
    assert row(table, "customer", "name_or_next") < row(table, "customer", "keyword_matcher")
    # Where every question is answered at once (easy, medium), "did I ask about it?" answers the probes as well
    # as tracking the answers; vague answers in hard tell them apart.
    assert row(table, "agent", "form_solver_asked") < row(table, "agent", "form_solver")
    assert row(table, "agent", "form_solver_asked") > 75.0


def test_constant_probe_answers_earn_no_probe_credit(game: PrivateShared) -> None:
    """An answerer that gives the teacher's (perfect) dialogue moves but answers every probe alike: kappa 0
    on every episode, so at most the task half (v1 paid the whole of it wherever the truths did not vary)."""
    for inst in game.generate("test", n=4):
        for role in game.learner_roles:
            for constant in ("PROBE: yes", "PROBE: no"):
                ep = game.new_episode(inst, role)
                while (turn := ep.pending()) is not None:
                    probed = probed_field(turn.messages) is not None
                    ep.act(constant if probed else ep.teacher_move(role))
                rec = ep.record()
                assert rec.scores["probe_kappa"] == 0.0 and rec.scores["main"] == 50.0, (inst.id, role, constant)


def test_examples_carry_no_private_data_and_no_scoring_move(game: PrivateShared) -> None:
    for inst in game.generate("test", n=5):
        for role, keywords in (("customer", CUSTOMER_KEYWORDS), ("agent", AGENT_KEYWORDS)):
            ep = game.new_episode(inst, role)
            instructions = ep.turns[0 if role == "customer" else 1].text
            view = ({"role": "user", "content": instructions},)
            examples = " ".join(move_lines(instructions, keywords)).casefold()
            secrets = ([v for _, v in private_facts(view)] if role == "customer"
                       else [o for _, _, opts in form_fields(view) for o in opts])
            assert secrets
            assert not [s for s in secrets if re.search(rf"\b{re.escape(s.casefold())}\b", examples)], (inst.id, role)
            if role == "customer":  # nor in any quoted example of the prose
                prose = instructions.split("\n\n", 1)[1]
                assert not [s for s in secrets if f'"{s}"'.casefold() in prose.casefold()]


def test_copying_the_examples_scores_nothing(table: PolicyScores) -> None:
    for role in ("customer", "agent"):
        for name in ("copy_example", "cycle_examples", "copy_examples"):
            assert row(table, role, name) == 0.0, (role, name)
