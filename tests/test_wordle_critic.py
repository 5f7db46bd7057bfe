"""Tests of wordle-v2's fixes: the chance-corrected critic score, grounded reasons, the proposals a learner
critic gets, the cheap policies of both roles, the notes for CLU2 and the instances."""

from __future__ import annotations

import random

import pytest
from gamekit import learner_moves, play_script
from playschool.games import RANDOM, TEACHER, EpisodeRecord, Instance, load_game, replay
from playschool.games.checks import play
from playschool.games.policies import policies_for, score_policies
from playschool.games.wordle import Wordle
from playschool.games.wordle.game import WordleGame
from playschool.games.wordle.moves import Verdict, named_letters
from playschool.games.wordle.rules import Constraints, consistent, feedback, load_targets, violations
from playschool.games.wordle.scoring import Review, critic_scores, grounded, judge

SMALL = ["abide", "bread", "cause", "crane", "dress", "fewer", "greet", "image", "motor", "share", "slate",
         "tough", "where", "there", "three"]


@pytest.fixture(scope="module")
def game() -> Wordle:
    return load_game("wordle")  # type: ignore[return-value]


def critic_instance(target: str, proposals: tuple[str, ...], *, opener: str = "crane", seed: int = 2) -> Instance:
    return Instance(id=f"hand/{target}", game="wordle-v2", split="test", experiment="critic", seed=seed,
                    params={"target": target, "max_guesses": 6, "critic": True, "opener": opener,
                            "proposals": list(proposals)})


def critic_records(game: Wordle, make_reply: object = None, n: int = 20) -> list[EpisodeRecord]:
    """The learner critic on ``n`` test instances; ``make_reply(rng)`` gives a reply function, None: reference."""
    out = []
    for inst in game.generate("test", n=n):
        if inst.experiment != "critic":
            continue
        if make_reply is None:
            ep = game.new_episode(inst, "critic", {r: TEACHER for r in game.roles})
            out.append(play(ep, {}).record())
        else:
            reply = make_reply(random.Random(inst.seed))  # type: ignore[operator]
            out.append(play(game.new_episode(inst, "critic"), {"critic": reply}).record())
    return out


def mean_main(records: list[EpisodeRecord]) -> float:
    return sum(r.scores["main"] for r in records) / len(records)


# ------------------------------------------------------------------------------------------- the v1 exploit
def test_always_agree_earns_nothing(game: Wordle) -> None:
    """v1 paid ~78 for always agreeing (plain accuracy, most proposals fit); chance correction pays 0."""
    records = critic_records(game, lambda _rng: (lambda _view: "AGREE"))
    assert all(r.scores["critic_youden"] <= 0.0 for r in records)
    assert mean_main(records) == 0.0
    # it was right on every fitting word and wrong on every breaking one: nothing was told apart
    assert all(r.scores["critic_fit_rate"] == 1.0 and r.scores["critic_catch_rate"] == 0.0 for r in records)


def test_always_disagree_earns_nothing_even_with_a_true_reason(game: Wordle) -> None:
    """A critic that rejects everything has detected nothing, whatever its reasons."""
    def checker_reason(view: tuple[dict[str, str], ...]) -> str:
        from playschool.games.wordle.policies import history_from_view, last_proposal
        broken = violations(last_proposal(view), history_from_view(view))
        return f"DISAGREE: {broken[0]}" if broken else "DISAGREE: E was marked absent"

    records = critic_records(game, lambda _rng: checker_reason)
    assert mean_main(records) == 0.0
    assert all(r.scores["critic_fit_rate"] == 0.0 for r in records)


def test_random_verdicts_stay_near_chance(game: Wordle) -> None:
    records = [play(game.new_episode(i, "critic", {"guesser": TEACHER, "critic": RANDOM}), {}).record()
               for i in game.generate("test") if i.experiment == "critic"]
    assert mean_main(records) < 10.0
    # at or below chance on average: its disagreements rarely name what the word breaks
    assert sum(r.scores["critic_youden"] for r in records) / len(records) <= 0.05


def test_reference_critic_scores_100_on_every_episode(game: Wordle) -> None:
    records = critic_records(game, n=40)
    assert {r.scores["main"] for r in records} == {100.0}


# ------------------------------------------------------------------------------------------- the proposals
def test_every_episode_shows_both_kinds(game: Wordle) -> None:
    """Whatever the critic says, each episode reviews fitting and breaking proposals (the teacher does not
    play the target before both kinds were reviewed)."""
    for reply in (lambda _rng: (lambda _v: "AGREE"), lambda _rng: (lambda _v: "DISAGREE: E is absent"), None):
        for rec in critic_records(game, reply, n=40):
            kinds = {(t.parse or {}).get("fits") for t in rec.turns if t.speaker == "critic" and t.kind == "move"
                     and (t.parse or {}).get("ok")}
            assert kinds == {True, False}, rec.instance_id


def test_planned_proportion_is_one_half(game: Wordle) -> None:
    plans = [i.params["proposals"] for i in game.generate("train") if i.experiment == "critic"]
    share = sum(p.count("breaks") for p in plans) / sum(len(p) for p in plans)
    assert 0.4 < share < 0.6
    # guesses 2-4: every one of the six orders that hold both kinds occurs
    assert len({tuple(p[:3]) for p in plans}) == 6


def test_teacher_guesser_trusts_the_critic(game: Wordle) -> None:
    """It replaces every rejected word, right or wrong, so what it plays next never tells the critic whether
    its verdict was right; it keeps every accepted word, so a wrong AGREE costs a guess."""
    rec = play_script(game, critic_instance("greet", ("fits", "breaks", "fits", "fits", "fits")), "critic",
                      ["DISAGREE: R is wrong", "AGREE", "AGREE"])
    guesser = [t.text for t in rec.turns if t.kind == "move" and t.speaker == "guesser"]
    # CRANE, then a fitting proposal rejected (replaced), a breaking one accepted (kept and played)
    assert guesser[0] == "GUESS: crane"
    assert guesser[1] != guesser[2]
    assert guesser[3] == guesser[4]
    history = [("crane", feedback("crane", "greet"))]
    assert consistent(guesser[1].split()[-1], history) and consistent(guesser[2].split()[-1], history)
    assert not consistent(guesser[3].split()[-1], history + [(w := guesser[2].split()[-1], feedback(w, "greet"))])
    assert [t.reward for t in learner_moves(rec)][:2] == [-1.0, -1.0]


# ------------------------------------------------------------------------------------------- grounded reasons
@pytest.mark.parametrize(("reason", "letters"), [
    ("R must be in position 2 (green in CRANE)", ["r"]),
    ("A letter marked absent, S, is in SLOTH", ["s"]),
    ("I think S was marked absent", ["s"]),
    ("A is in the word but not in position 3", ["a"]),
    ("ROUTE has O in position 2, where R must be", ["o", "r"]),
    ("the letter e is absent", ["e"]),
    ("'e' is absent, and so is **T**", ["e", "t"]),
    ("e[absent] in CRANE", ["e"]),
    ("It does not fit the feedback.", []),
    ("CRANE SLATE", []),
])
def test_named_letters(reason: str, letters: list[str]) -> None:
    assert named_letters(reason) == letters


def test_grounded_needs_the_first_named_letter_broken() -> None:
    history = [("crane", feedback("crane", "greet"))]  # c[absent] r[green] a[absent] n[absent] e[yellow]
    broken = Constraints(history).broken_letters("route")  # no R in position 2; E in position 5
    assert broken == {"r", "e"}
    assert grounded("R must be in position 2", broken)
    assert grounded("E cannot end the word", broken)
    assert not grounded("O is in the wrong place", broken)
    assert not grounded("it does not fit", broken)
    assert not grounded(", ".join("ABCDEFGHIJKLMNOPQRSTUVWXYZ"), broken)  # listing the alphabet names A first


def test_a_disagreement_without_a_true_reason_earns_no_catch() -> None:
    g = WordleGame(targets=SMALL, allowed=SMALL)
    inst = critic_instance("greet", ("breaks", "fits", "fits", "fits", "fits"))
    right = play_script(g, inst, "critic", ["DISAGREE: " + violations_of_trap(g, inst), "AGREE"])
    vague = play_script(g, inst, "critic", ["DISAGREE: it does not fit the feedback", "AGREE"])
    assert right.scores["main"] == 100.0 and right.scores["critic_catch_rate"] == 1.0
    assert vague.scores["main"] == 0.0 and vague.scores["critic_catch_rate"] == 0.0
    assert [t.reward for t in learner_moves(vague)] == [0.0, 1.0]  # the verdict was right, the reason not


def violations_of_trap(g: WordleGame, inst: Instance) -> str:
    """The first constraint the teacher's proposal for guess 2 breaks (it is drawn with the episode rng)."""
    ep = g.new_episode(inst, "critic")
    assert ep.proposal is not None  # type: ignore[attr-defined]
    return violations(ep.proposal, ep.history)[0]  # type: ignore[attr-defined]


def test_teacher_critic_reasons_are_always_grounded() -> None:
    rng = random.Random(3)
    targets = list(load_targets())
    for _ in range(400):
        target = rng.choice(targets)
        history = [(g, feedback(g, target)) for g in rng.sample(targets, rng.randint(1, 3))]
        word = rng.choice(targets)
        reasons = violations(word, history)
        if reasons:
            assert judge(word, history, Verdict(False, "; ".join(reasons[:3]))).right, (word, history)


@pytest.mark.parametrize(("reviews", "main", "youden"), [
    ([Review(True, True), Review(False, False, True)], 100.0, 1.0),
    ([Review(True, True), Review(False, True)], 0.0, 0.0),                      # always agree
    ([Review(True, False), Review(False, False, True)], 0.0, 0.0),              # always disagree
    ([Review(True, True), Review(True, False), Review(False, False, True)], 50.0, 0.5),
    ([Review(True, False), Review(False, True)], 0.0, -1.0),                    # exactly wrong: floored
    ([Review(True, True), Review(True, True)], 50.0, 0.5),                      # one kind only: the other at 1/2
])
def test_critic_scores(reviews: list[Review], main: float, youden: float) -> None:
    scores = critic_scores(reviews)
    assert scores["main"] == pytest.approx(main) and scores["critic_youden"] == pytest.approx(youden)


# ------------------------------------------------------------------------------------------- cheap policies
def test_cheap_critic_policies_lose_and_the_checker_wins(game: Wordle) -> None:
    table = score_policies(game)
    rows = {r.name: r for r in table.roles["critic"]}
    assert table.reference["critic"].main == 100.0
    for name in ("always_agree", "copy_example", "coin_flip", "alternate", "pattern_dda", "enumerate_letters",
                 "name_own_letters", "coin_flip_known_letter"):
        assert rows[name].degenerate and rows[name].main <= 25.0, name
    assert rows["checker"].main >= 90.0 and not rows["checker"].degenerate


def test_feedback_blind_guessers_lose_and_the_solver_wins(game: Wordle) -> None:
    table = score_policies(game)
    rows = {r.name: r for r in table.roles["guesser"]}
    for name in ("fixed_sequence", "random_targets", "repeat_last", "copy_example"):
        assert rows[name].main <= 5.0, name
    assert rows["solver_targets"].main >= 0.6 * table.reference["guesser"].main
    assert {p.name for p in policies_for(game, "guesser")} >= {"fixed_sequence", "solver_targets"}


# ------------------------------------------------------------------------------------------- notes
def test_notes_for_clu2(game: Wordle) -> None:
    inst = critic_instance("abide", ("fits", "breaks", "fits", "fits", "fits"))
    rec = play_script(game, inst, "guesser", ["GUESS: crane", "GUESS: bread", "GUESS: aside", "GUESS: abide",
                                              "GUESS: abide"])
    notes = [t.parse or {} for t in learner_moves(rec)]
    assert [n.get("act") for n in notes] == ["guess", "propose", "guess", "propose", "guess"]
    assert "consistent" not in notes[0]  # nothing was given yet
    assert notes[2].get("repaired") is True and notes[2].get("consistent") is True  # ASIDE fixes R and E
    assert notes[4].get("consistent") is True and "repaired" not in notes[4]  # after an AGREE: nothing named
    assert not any("ambiguous" in n for n in notes)
    critic = [t.parse or {} for t in rec.turns if t.kind == "move" and t.speaker == "critic"]
    assert [c.get("act") for c in critic] == ["reject", "accept"]


# ------------------------------------------------------------------------------------------- instances
def test_test_split_is_distinct_and_held_out(game: Wordle) -> None:
    test = game.generate("test")
    keys = [game.instance_key(i.params) for i in test]
    assert len(keys) == len(set(keys)) == 2 * game.split_sizes["test"]
    train = {game.instance_key(i.params) for s in ("train", "validation") for i in game.generate(s)}
    assert not train & set(keys)


def test_a_private_test_set_leaves_out_the_published_items(game: Wordle) -> None:
    published = {game.instance_key(i.params) for i in game.generate("test")}
    private = game.generate("test", seed=12345)
    assert not published & {game.instance_key(i.params) for i in private}
    assert sorted(i.experiment for i in private) == sorted(i.experiment for i in game.generate("test"))
    # a private instance is remade from its own seed, so its records replay
    rec = play(game.new_episode(private[-1], "critic", {r: TEACHER for r in game.roles}), {}).record()
    assert replay(rec, game=game).valid
    assert game.regenerate(private[3].id, private[3].seed) == private[3]


def test_reviewers_attacks_lose(game: Wordle) -> None:
    """A second round of attacks: verdicts from features of the words alone (a repeated letter, letters shared
    with the last guess), one habit per episode (the score floors each episode at 0), the test split's
    targets (a public hash) feedback-blind. Partial checkers are honest and show what a constraint is worth."""
    table = score_policies(game)
    critic = {r.name: r for r in table.roles["critic"]}
    for name in ("repeated_letter", "shared_with_last", "episode_habit"):
        assert critic[name].degenerate and critic[name].main <= 15.0, name
    assert not critic["greens_only"].degenerate and critic["greens_only"].main < critic["checker"].main
    guesser = {r.name: r for r in table.roles["guesser"]}
    assert guesser["enumerate_test_pool"].degenerate and guesser["enumerate_test_pool"].main <= 5.0
    assert not guesser["solver_test_pool"].degenerate
    assert guesser["solver_test_pool"].main >= guesser["solver_targets"].main
