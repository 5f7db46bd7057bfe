"""Drawing: the score means the picture was communicated. Chance-corrected agreement (kappa), the exploits of
v1 (whole-grid fills, copying the corrections) losing, the cheap policies of ``attacks.py`` against the test
split, the CLU2 notes, and the shared move grammar."""

from __future__ import annotations

import random
from collections.abc import Sequence

import pytest
from gamekit import play_script
from playschool.games import FormatError, Instance, Turn
from playschool.games.drawing import Drawing
from playschool.games.drawing.attacks import drawer_policies, instructor_policies
from playschool.games.drawing.grid import EMPTY, agreement, cell_f1, cell_kappa
from playschool.games.drawing.moves import parse_drawer, parse_instructor

ROW1 = ("XXXXX", ".....", ".....", ".....", ".....")


@pytest.fixture(scope="module")
def game() -> Drawing:
    return Drawing()


def hand(rows: Sequence[str], *, max_commands: int = 20, p_incomplete: float = 0.0) -> Instance:
    letters = sorted(set("".join(rows)) - {"."})
    params = {"target": list(rows), "family": "lines", "shape": "hand", "letter": letters[0], "letters": letters,
              "max_commands": max_commands, "p_incomplete": p_incomplete}
    return Instance(id="hand/0", game="drawing-v2", split="test", experiment="easy", seed=3, params=params)


def grid(*rows: str) -> str:
    return "GRID:\n" + "\n".join(rows)


# ------------------------------------------------------------------------------------------- kappa
def test_kappa_by_hand() -> None:
    assert cell_kappa(ROW1, ROW1) == 1.0
    # one X short: p_o = 24/25; p_e = (4*5 + 21*20) / 625 = .704; kappa = .256 / .296
    assert cell_kappa(("XXXX.", *ROW1[1:]), ROW1) == pytest.approx(0.256 / 0.296)
    # a grid of only one label agrees exactly as often as chance says it would
    assert cell_kappa(EMPTY, ROW1) == pytest.approx(0.0, abs=1e-12)
    assert cell_kappa(("XXXXX",) * 5, ROW1) == pytest.approx(0.0, abs=1e-12)
    # the negative picture agrees less than chance: below zero, and no credit
    negative = (".....", "XXXXX", "XXXXX", "XXXXX", "XXXXX")
    assert cell_kappa(negative, ROW1) < 0 and agreement(negative, ROW1) == 0.0
    # F1 (v1's measure) paid the full grid of the right letter a third; kappa pays nothing
    assert cell_f1(("XXXXX",) * 5, ROW1) == pytest.approx(1 / 3) and agreement(("XXXXX",) * 5, ROW1) == 0.0


def test_kappa_of_the_right_place_in_a_wrong_letter() -> None:
    # the shape came across, its letter did not: p_o = 20/25, p_e = 20*20/625 = .64, kappa = .16/.36 (less than
    # half), where the right letter in every cell, the place not at all, gets nothing
    assert agreement(("OOOOO", ".....", ".....", ".....", "....."), ROW1) == pytest.approx(0.16 / 0.36)


# ------------------------------------------------------------------------------------------- v1 exploits
def test_instructor_filling_the_whole_grid_earns_nothing(game: Drawing) -> None:
    target = ("KKKKK", "K....", "KKKK.", "K....", "KKKKK")  # 16 of 25 cells hold K
    rec = play_script(game, hand(target), "instructor", ["COMMAND: put K in the whole grid", "DONE"])
    assert rec.scores["cell_f1"] == pytest.approx(2 * 16 / 41)  # v1's main: 78
    assert rec.scores["main"] == 0.0 and rec.outcome == "lose"
    assert rec.scores["cell_kappa"] == pytest.approx(0.0, abs=1e-6)


def test_drawer_filling_every_cell_with_the_letter_it_hears_earns_nothing(game: Drawing) -> None:
    target = ("..K..", ".K.K.", "K...K", ".K.K.", "..K..")
    rec = play_script(game, hand(target, max_commands=4), "drawer", [grid(*("KKKKK",) * 5)] * 4)
    assert rec.scores["main"] == 0.0 and rec.scores["deviations"] == 4


def run_policy(game: Drawing, role: str, name: str, n: int = 6) -> float:
    """Mean main of the attack ``name`` on the first ``n`` test instances per experiment."""
    policies = {p.name: p for p in (drawer_policies() if role == "drawer" else instructor_policies())}
    total = count = 0.0
    for inst in game.generate("test", n=n):
        policy = policies[name].make(random.Random(0))
        ep = game.new_episode(inst, role)
        while (turn := ep.pending()) is not None:
            ep.act(policy(turn.messages))
        total += ep.record().scores["main"]
        count += 1
    return total / count


@pytest.mark.parametrize(("role", "name", "bound"), [
    ("drawer", "follow_corrections", 5.0),   # v1: 100 (the corrections named the cells and their letters)
    ("drawer", "fill_letter", 5.0),          # v1: 52
    ("drawer", "clarify_then_fill", 5.0),    # questions buy nothing the command did not say
    ("drawer", "fixed_grid", 10.0),
    ("drawer", "example_grid", 10.0),
    ("drawer", "border_letter", 15.0),       # a shape prior, without reading the place
    ("drawer", "prior_shape", 15.0),
    ("instructor", "fill_everything", 5.0),  # v1: 60
    ("instructor", "incomplete_commands", 5.0),
    ("instructor", "example_with_letter", 15.0),
    # Red team (issue 8): asking buys no cells, a blind shape or smuggled row patterns convey no picture.
    ("drawer", "clarify_then_prior", 15.0),
    ("instructor", "blind_shapes", 15.0),
    ("instructor", "row_patterns", 20.0),
])
def test_v1_exploits_lose(game: Drawing, role: str, name: str, bound: float) -> None:
    assert run_policy(game, role, name) <= bound


def test_honest_programs_are_listed_and_score(game: Drawing) -> None:
    assert run_policy(game, "instructor", "cell_lister") == 100.0
    assert 40.0 <= run_policy(game, "drawer", "coordinates_only") < 100.0
    assert not any(p.degenerate for p in instructor_policies() + drawer_policies()
                   if p.name in ("cell_lister", "coordinates_only", "digit_pairs", "first_cells"))
    # A partial picture is paid in proportion: 6 cells of a picture earn a part, never the whole.
    assert 0.0 < run_policy(game, "instructor", "first_cells") < 75.0


# ------------------------------------------------------------------------------------------- notes
def notes(turns: Sequence[Turn], speaker: str) -> list[dict[str, object]]:
    """The parse notes of ``speaker``'s moves, in order."""
    return [t.parse or {} for t in turns if t.kind == "move" and t.speaker == speaker]


def test_drawer_notes_ambiguous_only_while_it_may_ask(game: Drawing) -> None:
    inst = hand(("XXXXX", ".....", "..O..", ".....", "....."), p_incomplete=1.0)
    inst = Instance(id=inst.id, game=inst.game, split=inst.split, experiment="hard", seed=inst.seed,
                    params=inst.params)
    rec = play_script(game, inst, "drawer", ["CLARIFY: Which letter?", grid("XXXXX", *EMPTY[1:]),
                                             grid("XXXXX", ".....", "..O..", ".....", ".....")])
    asked, after_answer, unasked = notes(rec.turns, "drawer")
    assert asked["act"] == "clarify" and asked["ambiguous"] is True
    assert after_answer["act"] == "draw" and "ambiguous" not in after_answer and after_answer["consistent"] is True
    assert unasked["act"] == "draw" and unasked["ambiguous"] is True and "consistent" not in unasked


def test_instructor_notes_repair_and_consistency(game: Drawing) -> None:
    target = ("XXXXX", ".....", ".....", ".....", ".....")
    answered = play_script(game, hand(target), "instructor", ["COMMAND: fill row 1", "ANSWER: X", "DONE"])
    command, answer, done = notes(answered.turns, "instructor")
    assert command["act"] == "instruct" and command["complete"] is False and "repaired" not in command
    assert answer["act"] == "answer" and answer["repaired"] is True
    assert done["act"] == "done" and done["consistent"] is True
    dropped = play_script(game, hand(target), "instructor", ["COMMAND: fill row 1", "COMMAND: put X in row 2",
                                                             "DONE"])
    _, new_command, early_done = notes(dropped.turns, "instructor")
    assert new_command["repaired"] is False  # the drawer's question about the letter went unanswered
    assert early_done["consistent"] is False  # the grid it was shown does not match the target
    assert "ambiguous" not in new_command  # the instructor cannot ask


# ------------------------------------------------------------------------------------------- grammar
@pytest.mark.parametrize(("text", "kind"), [
    ("- **COMMAND:** put X in row 1", "command"),
    ("> answer : X", "answer"),
    ("I am finished.\n**DONE**", "done"),
])
def test_instructor_grammar(text: str, kind: str) -> None:
    assert parse_instructor(text).kind == kind


@pytest.mark.parametrize("text", ["DONE, but first put X in row 1", "COMMAND: put X in row 1\nANSWER: X"])
def test_instructor_grammar_rejects(text: str) -> None:
    with pytest.raises(FormatError):
        parse_instructor(text)


def test_drawer_grammar() -> None:
    move = parse_drawer("Sure.\n**GRID:**\n`XXXXX`\n.....\n.....\n.....\n.....\nHope that helps!")
    assert move.kind == "grid" and move.grid == ROW1
    with pytest.raises(FormatError, match="2 move lines"):
        parse_drawer("CLARIFY: which?\nGRID:\nXXXXX\n.....\n.....\n.....\n.....")
