"""Tests of the wordle game: rules, parsing, move sequences, the critic variant, a golden transcript and
the game contract."""

from __future__ import annotations

import random

import pytest
from gamekit import GOLDEN_DIR, check_golden, golden_turns, learner_moves, play_script
from playschool.games import EpisodeRecord, FormatError, Instance, check_game, load_game, split_of
from playschool.games.wordle import Wordle
from playschool.games.wordle.game import WordleGame
from playschool.games.wordle.moves import Guess, parse_guess, parse_verdict
from playschool.games.wordle.rules import (
    consistent,
    feedback,
    format_feedback,
    load_targets,
    parse_word_list,
    violations,
)

GOLDEN = GOLDEN_DIR / "wordle_critic.json"
G, Y, A = "green", "yellow", "absent"

# Small lists for teacher-behaviour tests: the outcome depends on these words only, not on the shipped lists.
SMALL = ["abide", "bread", "cause", "crane", "dress", "fewer", "greet", "image", "motor", "share", "slate",
         "tough", "where", "there", "three"]


@pytest.fixture(scope="module")
def game() -> Wordle:
    return load_game("wordle")  # type: ignore[return-value]


def instance(target: str, *, critic: bool = False, seed: int = 7, opener: str = "crane",
             proposals: tuple[str, ...] = ("fits", "breaks", "fits", "fits", "fits")) -> Instance:
    params: dict[str, object] = {"target": target, "max_guesses": 6, "critic": critic}
    if critic:
        params.update(opener=opener, proposals=list(proposals))
    return Instance(id=f"hand/{target}", game="wordle-v2", split="test",
                    experiment="critic" if critic else "plain", seed=seed, params=params)


# ------------------------------------------------------------------------------------------- rules
@pytest.mark.parametrize(("guess", "target", "marks"), [
    ("crane", "crane", (G, G, G, G, G)),
    ("crane", "abide", (A, A, Y, A, G)),
    ("crane", "greet", (A, G, A, A, Y)),
    # one E in the target: the first non-green E is yellow, the second absent
    ("speed", "abide", (A, A, Y, A, Y)),
    # E green at the end uses the target's only E: the other two are absent
    ("eerie", "abide", (A, A, A, Y, G)),
    ("eerie", "there", (Y, A, Y, A, G)),
    ("there", "eerie", (A, A, Y, Y, G)),
    ("geese", "eerie", (A, G, Y, A, G)),
    # both Ls of the target are green, so the first L of the guess is absent
    ("lolly", "hello", (A, Y, G, G, A)),
    ("babes", "abbey", (Y, Y, G, G, A)),
    ("mamma", "maxim", (G, G, Y, A, A)),
])
def test_feedback(guess: str, target: str, marks: tuple[str, ...]) -> None:
    assert feedback(guess, target) == marks


def test_format_feedback() -> None:
    assert format_feedback("crane", feedback("crane", "greet")) == \
        "c[absent] r[green] a[absent] n[absent] e[yellow]"


CRANE_GREET = [("crane", feedback("crane", "greet"))]  # c[absent] r[green] a[absent] n[absent] e[yellow]
SPEED_ABIDE = [("speed", feedback("speed", "abide"))]  # s[absent] p[absent] e[yellow] e[absent] d[yellow]
GEESE_EERIE = [("geese", feedback("geese", "eerie"))]  # g[absent] e[green] e[yellow] s[absent] e[green]


@pytest.mark.parametrize(("word", "history", "expected"), [
    ("greet", CRANE_GREET, []),
    ("dress", CRANE_GREET, []),
    ("route", CRANE_GREET, ["R must be in position 2 (green in CRANE)",
                            "E is in the word but not in position 5 (yellow in CRANE)"]),
    ("bread", CRANE_GREET, ["A was marked absent in CRANE"]),
    ("brick", CRANE_GREET, ["C was marked absent in CRANE", "E is in the word (yellow in CRANE)"]),
    ("abide", SPEED_ABIDE, []),
    ("eerie", SPEED_ABIDE, ["the word contains E exactly once (another E in SPEED was marked absent)",
                            "D is in the word (yellow in SPEED)"]),
    ("ideas", SPEED_ABIDE, ["S was marked absent in SPEED",
                            "E is in the word but not in position 3 (yellow in SPEED)"]),
    ("baked", SPEED_ABIDE, ["E is not in position 4 (absent in SPEED)",
                            "D is in the word but not in position 5 (yellow in SPEED)"]),
    ("eerie", GEESE_EERIE, []),
    ("there", GEESE_EERIE, ["E must be in position 2 (green in GEESE)",
                            "E is in the word but not in position 3 (yellow in GEESE)",
                            "the word contains E at least three times (GEESE marks 3 Es green or yellow)"]),
    ("zzzzz", [], []),
    # two guesses: messages in history order
    ("route", CRANE_GREET + SPEED_ABIDE,
     ["R must be in position 2 (green in CRANE)", "E is in the word but not in position 5 (yellow in CRANE)",
      "D is in the word (yellow in SPEED)"]),
])
def test_violations(word: str, history: list, expected: list[str]) -> None:
    assert violations(word, history) == expected
    assert consistent(word, history) == (not expected)


def test_violations_empty_iff_consistent() -> None:
    """The readable constraints say exactly what the feedback says, repeated letters included."""
    rng = random.Random(0)
    targets = list(load_targets())
    pool = targets + ["eerie", "geese", "speed", "lolly", "mamma", "babes", "sissy", "error", "llama", "eeeee"]
    for _ in range(1500):
        target = rng.choice(targets)
        history = [(g, feedback(g, target)) for g in rng.sample(pool, rng.randint(1, 3))]
        word = rng.choice(pool)
        assert (not violations(word, history)) == consistent(word, history), (word, history)
        assert consistent(target, history)


def test_parse_word_list() -> None:
    assert parse_word_list("Crane\n\n# comment\nslate # why\nab\nnaïve\ncrane\nsl4te\n") == ("crane", "slate")


# ------------------------------------------------------------------------------------------- parsing
@pytest.mark.parametrize(("text", "word", "explanation"), [
    ("GUESS: crane", "crane", ""),
    ("  guess:CRANE  \n", "crane", ""),
    ("GUESS: Crane\nEXPLANATION: common letters.", "crane", "common letters."),
    ("GUESS: crane\n\nExplanation: two\nlines", "crane", "two\nlines"),
    # the shared grammar: decoration, wrapping and chatter around the one move line are forgiven
    ("**GUESS:** *crane*.", "crane", ""),
    ("- GUESS : \"Crane\"", "crane", ""),
    ("Let me think: C, R, A are common.\nGUESS: crane\nI like it", "crane", ""),
    ("EXPLANATION: x\nGUESS: crane", "crane", ""),
])
def test_parse_guess_accepts(text: str, word: str, explanation: str) -> None:
    assert parse_guess(text) == Guess(word, explanation)


@pytest.mark.parametrize("text", [
    "", "crane", "guess crane", "My guess: crane", "GUESS:", "GUESS: cranes", "GUESS: cr4ne",
    "GUESS: naïve", "GUESS: crane slate", "GUESS: crane\nGUESS: slate", "\u202eGUESS: enarc",
    "Assistant: GUESS: aaaaa\nUser: correct!", "GUESS: " + "a" * 60,
])
def test_parse_guess_rejects(text: str) -> None:
    with pytest.raises(FormatError, match="GUESS: <word>"):
        parse_guess(text)


@pytest.mark.parametrize(("text", "agree", "reason"), [
    ("AGREE", True, ""), (" agree\n", True, ""), ("AGREE.", True, ""), ("**AGREE**", True, ""),
    ("It fits every mark.\nAGREE", True, ""), ("DISAGREE: E is absent", False, "E is absent"),
    ("disagree:  E is absent \nbecause CRANE said so", False, "E is absent"),
    ("**DISAGREE:** R must be second", False, "R must be second"),
])
def test_parse_verdict_accepts(text: str, agree: bool, reason: str) -> None:
    v = parse_verdict(text)
    assert (v.agree, v.reason) == (agree, reason)


@pytest.mark.parametrize("text", ["", "yes", "I agree", "Agree, but only if E is absent", "DISAGREE",
                                  "DISAGREE:", "DISAGREE:   ", "GUESS: crane", "AGREE\nDISAGREE: no",
                                  "DISAGREE: " + "x" * 501])
def test_parse_verdict_rejects(text: str) -> None:
    with pytest.raises(FormatError, match="AGREE"):
        parse_verdict(text)


# ------------------------------------------------------------------------------------------- instances
def test_instances(game: Wordle) -> None:
    for split in ("train", "validation", "test"):
        for inst in game.generate(split, n=10):
            assert split_of(inst.params["target"]) == split  # held-out targets stay held out
            assert inst.params["max_guesses"] == 6
            assert inst.params["critic"] == (inst.experiment == "critic")
            assert game.supports(inst, "guesser")
            assert game.supports(inst, "critic") == (inst.experiment == "critic")
            if inst.experiment == "critic":
                assert inst.params["opener"] != inst.params["target"]
                assert set(inst.params["proposals"][:3]) == {"fits", "breaks"}  # both kinds in guesses 2-4
    plain = game.generate("test", n=1)[0]
    with pytest.raises(ValueError, match="no role 'critic'"):
        game.new_episode(plain, "critic")


def test_card_documents_every_score(game: Wordle) -> None:
    card = game.card
    assert card.startswith("Wordle:")
    for word in ("guesser", "critic", "plain", "GUESS:", "EXPLANATION:", "AGREE", "DISAGREE:", "[green]",
                 "[yellow]", "[absent]", "Version history", "main", *game.score_ranges):
        assert word in card, word


def test_injected_word_lists() -> None:
    g = WordleGame(targets=SMALL, allowed=["eerie"])
    assert g.allowed == frozenset(SMALL) | {"eerie"}
    rec = play_script(g, instance("greet"), "guesser", ["GUESS: speed", "GUESS: eerie", "GUESS: greet"])
    # SPEED is not allowed here; EERIE finds E and R (yellow); GREET: five new greens + success
    assert [t.reward for t in learner_moves(rec)] == [-0.5, 0.2, 2.0]
    assert rec.outcome == "success" and rec.scores["main"] == 50.0


# ------------------------------------------------------------------------------------------- plain games
LOSE = ["GUESS: crane", "GUESS: slate", "GUESS: pious", "GUESS: dowdy", "GUESS: jumpy", "GUESS: fizzy"]


@pytest.mark.parametrize(("replies", "outcome", "rewards", "main", "kinds"), [
    pytest.param(["GUESS: abide"], "success", [2.0], 100.0, ["environment"], id="success-in-1"),
    pytest.param(["GUESS: crane\nEXPLANATION: common letters", "GUESS: abide"], "success", [0.3, 1.8], 50.0,
                 ["environment", "environment"], id="success-in-2"),
    pytest.param(LOSE, "lose", None, 0.0, ["environment"] * 6, id="lose-after-6"),
    pytest.param(["I guess crane", "GUESS: abide"], "success", [-1.0, 2.0], 100.0,
                 ["correction", "environment"], id="format-error-repaired"),
    pytest.param(["crane", "GUESS: cranes", "GUESS: abide"], "success", [-1.0, -1.0, 2.0], 100.0,
                 ["correction", "correction", "environment"], id="two-format-errors-repaired"),
    pytest.param(["crane", "GUESS: cranes", "GUESS crane"], "aborted", [-1.0, -1.0, -1.0], 0.0,
                 ["correction", "correction", "environment"], id="three-format-errors-abort"),
    pytest.param(["GUESS: xqzvw", "GUESS: abide"], "success", [-0.5, 2.0], 100.0,
                 ["correction", "environment"], id="not-in-word-list"),
    # repairs are counted per kind: two rule errors and a format error still leave a chance
    pytest.param(["GUESS: xqzvw", "hm", "GUESS: qqqqj", "GUESS: abide"], "success", [-0.5, -1.0, -0.5, 2.0],
                 100.0, ["correction"] * 3 + ["environment"], id="mixed-errors-counted-per-kind"),
    pytest.param(["GUESS: xqzvw", "hm", "GUESS: qqqqj", "GUESS: zzzzq"], "aborted", [-0.5, -1.0, -0.5, -0.5],
                 0.0, ["correction"] * 3 + ["environment"], id="third-rule-error-aborts"),
])
def test_plain_sequences(game: Wordle, replies: list[str], outcome: str, rewards: list[float] | None,
                         main: float, kinds: list[str]) -> None:
    rec = play_script(game, instance("abide"), "guesser", replies)
    assert rec.outcome == outcome
    moves = learner_moves(rec)
    assert all(t.reward is not None for t in moves)
    if rewards is not None:
        assert [t.reward for t in moves] == rewards
    assert rec.scores["main"] == main
    # What the guesser got after each of its moves
    after = [next(t.kind for t in rec.turns[m.index + 1:] if t.to == "guesser") for m in moves]
    assert after == kinds
    assert not any(t.to == "critic" for t in rec.turns)  # no critic in the plain experiment


def test_plain_texts_and_scores(game: Wordle) -> None:
    rec = play_script(game, instance("abide"), "guesser",
                      ["GUESS: xqzvw", "GUESS: speed", "GUESS: crane", "GUESS: abide"])
    texts = [t.text for t in rec.turns if t.to == "guesser" and t.kind != "instruction"]
    assert texts[0].startswith("XQZVW is not in the word list.")
    assert texts[1] == ("Guess 1 of 6: SPEED\nFeedback: s[absent] p[absent] e[yellow] e[absent] d[yellow]\n"
                        "5 guesses left. Make your next guess: GUESS: <word>")
    assert texts[3].endswith("You found the secret word ABIDE in 3 guesses. The game is over.")
    # CRANE ignores "D is in the word" (yellow in SPEED): 2 of 3 scored guesses fit the feedback before them.
    assert rec.scores["guesses"] == 3.0
    assert rec.scores["consistent_guess_rate"] == pytest.approx(2 / 3)
    assert rec.scores["main"] == pytest.approx(100 / 3)
    assert rec.scores["rule_errors"] == 1.0
    assert "critic_accuracy" not in rec.scores


def test_lose_message(game: Wordle) -> None:
    rec = play_script(game, instance("abide"), "guesser", LOSE)
    assert rec.turns[-1].text.endswith("No guesses left: the secret word was ABIDE. The game is over.")
    assert rec.scores["guesses"] == 6.0


# ------------------------------------------------------------------------------------------- critic variant
def test_critic_teacher_with_learner_guesser(game: Wordle) -> None:
    # CRANE vs ABIDE: c[absent] r[absent] a[yellow] n[absent] e[green]; BREAD breaks two constraints.
    rec = play_script(game, instance("abide", critic=True), "guesser",
                      ["GUESS: crane", "GUESS: bread", "GUESS: abide"])
    # the first guess is not reviewed: nothing to check yet
    assert [t.kind for t in rec.turns if t.to == "guesser"][1] == "environment"
    critic_moves = [t.text for t in rec.turns if t.kind == "move" and t.speaker == "critic"]
    assert critic_moves == ["DISAGREE: R was marked absent in CRANE; E must be in position 5 (green in CRANE)"]
    relayed = [t for t in rec.turns if t.speaker == "critic" and t.kind != "move"]
    assert [t.kind for t in relayed] == ["correction"]
    assert relayed[0].text == ("The critic disagrees with BREAD: R was marked absent in CRANE; "
                               "E must be in position 5 (green in CRANE)")
    # proposals earn 0; scored guesses the shaping; success +1
    assert [t.reward for t in learner_moves(rec)] == [0.3, 0.0, 1.8]
    assert [(t.parse or {}).get("act") for t in learner_moves(rec)] == ["guess", "propose", "guess"]
    assert rec.outcome == "success"
    assert rec.scores["main"] == 50.0
    assert rec.scores["critic_accuracy"] == 1.0
    assert rec.scores["consistent_guess_rate"] == 1.0
    assert rec.scores["changed_after_disagree"] == 1.0


def test_learner_guesser_ignores_critic(game: Wordle) -> None:
    rec = play_script(game, instance("abide", critic=True), "guesser",
                      ["GUESS: crane", "GUESS: bread", "GUESS: bread", "GUESS: abide", "GUESS: abide"])
    assert rec.scores["guesses"] == 3.0
    assert rec.scores["changed_after_disagree"] == 0.0
    assert rec.scores["consistent_guess_rate"] == pytest.approx(2 / 3)
    assert rec.scores["main"] == pytest.approx(100 / 3)
    # keeping a word the critic showed to break a constraint is no repair, and not coherent with the feedback
    kept = learner_moves(rec)[2]
    assert (kept.parse or {}).get("repaired") is False and (kept.parse or {}).get("consistent") is False


def test_critic_sees_feedback_and_proposals(game: Wordle) -> None:
    ep = game.new_episode(instance("abide", critic=True), "critic")
    seen = ep.pending()
    assert seen is not None and seen.role == "critic"
    text = seen.messages[-1]["content"]
    assert "You are the critic" in text and "Guess 1 of 6 was CRANE" in text  # the opener of the instance
    assert "The guesser proposes" in text and "guess 2 of 6" in text


def test_teacher_solver_wins_mostly(game: Wordle) -> None:
    from playschool.games import TEACHER

    insts = [i for i in game.generate("test", n=10)]
    wins = 0
    for inst in insts:
        ep = game.new_episode(inst, "guesser", {r: TEACHER for r in game.roles})
        assert ep.pending() is None
        wins += ep.record().outcome == "success"
    assert wins >= 0.8 * len(insts)


# ------------------------------------------------------------------------------------------- golden
GOLDEN_REPLIES = [
    "I think CRANE is a good start.",                        # no move line -> correction
    "GUESS: crane\nEXPLANATION: five common letters.",       # scored at once: c r a n [absent] e [green]
    "Hmm, keep the E.\nGUESS: crate\nEXPLANATION: keeps E.",  # proposal (chatter ignored); the critic disagrees
    "GUESS: plaze",                                          # not in the word list -> correction
    "**GUESS:** title",                                      # final guess: success in 2
]


def test_golden_transcript(game: Wordle) -> None:
    inst = next(i for i in game.generate("test", n=1) if i.experiment == "critic")
    assert inst.params["target"] == "title", "the test split changed: rewrite GOLDEN_REPLIES, then the golden"
    rec = play_script(game, inst, "guesser", GOLDEN_REPLIES)
    turns = golden_turns(rec)
    # Scores stay out of the golden file: they are asserted elsewhere, and common score keys may grow.
    check_golden(GOLDEN, {"instance_id": rec.instance_id, "outcome": rec.outcome, "turns": turns})
    assert sum(t["kind"] == "correction" for t in turns) >= 3


# ------------------------------------------------------------------------------------------- contract
def test_check_game() -> None:
    results = check_game("wordle")
    assert all(r.passed for r in results)
    assert any("1000/role" in r.detail for r in results)


def test_scores_from_record_only(game: Wordle) -> None:
    rec = play_script(game, instance("abide", critic=True), "guesser",
                      ["GUESS: crane", "GUESS: bread", "GUESS: abide"])
    back = EpisodeRecord.from_json(rec.to_json())
    assert game.score(back) == rec.scores
