"""Taboo: the game card (:class:`Taboo`), the instance generator and the scorer. The episode state machine is
in :mod:`.play`."""

from __future__ import annotations

import random
from typing import Any

from ..episode import Episode, MoveError
from ..game import Game
from ..policies import CheapPolicy
from ..records import EpisodeRecord
from .attacks import describer_attacks, guesser_attacks
from .bank import BANDS, cell, load_bank
from .embedding import Embedder, default_embedder
from .listener import Listener
from .moves import DESCRIBER_KEYWORDS, GUESSER_KEYWORDS, parse_guesser
from .play import QUESTION_COST, TabooEpisode
from .stems import find_taboo

__all__ = ["Taboo", "TabooEpisode"]

_DISTRACTORS = 19
_MAX_GUESSES = 3


class Taboo(Game):
    """Taboo: describe a secret noun without saying its taboo words, or guess it from the clues.

    Roles: ``describer`` and ``guesser``; the learner may play either, the programmatic teacher plays the
    other. Experiments are the target's word-frequency band: ``high``, ``medium``, ``low`` (Zipf frequency
    from the clue bank). Each target noun belongs to one split by a hash of the word (``split_of``), so test
    targets never appear as targets in train or validation. The bank holds two test sets of 72 targets: the
    published test split (instance seed 0) uses the hashed test words, and any other instance seed (the
    organisers' private test set) uses a second set listed in ``bank.SECOND_TEST_SET``, so the two share no
    target. Distractors come from the target's side only (its test set, or train and validation words), so
    a test word never shows up outside its test set. Both sets ship in the package: a test set that no
    participant has seen needs a private clue bank (a game pack). Instance params: ``target``, its 3
    ``taboo`` words, ``band``, ``zipf``, the bank's 3 ``clues``, ``candidates`` (the target and 19
    distractors, drawn and shuffled with the instance's generator; a distractor is never the target's taboo
    word or a form of it) and ``max_guesses`` (3). The instance key is the target: a split holds each
    target once (instance ``i`` of a band takes the ``i``-th word of a fixed shuffle of the band's words in
    the split; 16 train, 5 validation and 24 test instances per band). Should a band have no target in a
    split, the nearest band that has one supplies it (the shipped bank fills all nine band x split cells, and
    a test checks that).

    Action format (the Playpen's move grammar, ``games/grammar.py``: exactly one move line per reply; other
    lines and Markdown decoration are ignored):

    * describer: ``CLUE: <text>`` (at most 300 characters). The clue must not contain the target or a taboo
      word in any form, as a reader takes it (``stems.find_taboo``, ``folding.py``): the same word or stem;
      a curated irregular form or derivation (``forms.py``: "mice", "volcanic"); the word with a word-forming
      ending glued on ("clocklike"); the word with accents or other marks, in look-alike letters of another
      script or in leetspeak ("clòck", "сlock", "cl0ck"); spelled out letter by letter, spaced, dotted or
      hyphenated ("c-l-o-c-k", "starts with c, then l, ..."); or split over neighbouring words ("clo ck").
      It also reads the clue as a reader takes a word that is no word (``reading.py``, over ``words.txt``,
      the 47,947 words of wordfreq's 50,000 most frequent English words): a word off that list is read as
      the forbidden word it misspells, forwards or backwards ("clok", "cloock", "watc", "kcolc": one edit
      for up to seven letters, two up to eleven), holds ("xclock", "superwatch", "minikey") or mostly holds
      ("olcanovay"); and the forbidden word cut short by up to half is read as it ("volca", "gam"), unless
      the clipped word is a word of its own about as frequent or more ("far" is no "farm", "plan" no
      "plane"). A word on the list is another word, even one letter away ("rind" is no "ring"). On top of
      that, the check reads the clue as the teacher listener's own tokenizer does (MiniLM's WordPiece:
      lower case, accents stripped, a word it does not know whole and that is off the list split into
      pieces whose first piece must not be a forbidden word). The instructions also forbid translations,
      which no check catches (it has no bilingual dictionary; MiniLM ranks a translation of the word first
      among 20 candidates in about 1 try of 7).
    * guesser: ``GUESS: <word>`` (one word of letters; quotes and end punctuation are ignored) or
      ``CLARIFY: <question>``.

    Play: the describer gives a clue, the guesser guesses or asks, the describer answers a question or a
    wrong guess with another clue. The guesser is told the 20 candidate words; the describer never sees
    them. The guess must equal the target (case-insensitive); a guess outside the candidates is legal and
    wrong. The episode ends in ``success`` on the right guess, ``lose`` after 3 wrong guesses (or at 30
    moves in all), ``aborted`` after too many invalid moves: 2 repairs after a format error, 1 after a
    taboo/rule error (a second violation in a row aborts; as everywhere in the Playpen, repairs are counted
    per kind over the current run of invalid moves). Guessing the same wrong word again is a rule error.

    The teacher describer gives the bank's clues in order (the first one together with the instructions)
    and answers every question and wrong guess with its next clue; once all three are given, it gives them
    again in turn ("Once more: ..."). It never hints at spelling. The teacher guesser is a listener with a
    sentence-embedding model (all-MiniLM-L6-v2, CPU, part of the teacher: see ``embedding.py``); it picks
    among the candidates it is told, as a learner guesser does. It embeds all clues so far (joined), drops
    candidates already guessed, and ranks the rest by cosine similarity rounded to 4 decimals (ties
    alphabetical). It reads clues for meaning, not spelling: before embedding, it drops every clue word
    that spells one of its candidates without naming it (``reading.spelt_like``: a made-up word holding
    it, a compound holding it at either end, its first half or more unless that is a word of its own at
    least four times as frequent, or what the taboo check reads as a misspelling of it), so real words that spell the secret word ("gameplay", "preschool",
    "supercomputer", "buck" for "bucket", "sham" for "shampoo") tell it nothing. A word naming a candidate,
    inflected or not ("hands"), stays: a valid clue may name another candidate, and it never spells the
    secret word, so this costs a valid clue little (a compound holding a distractor: "chalkboard"). A candidate it asked about that the clues then name is ruled out (a valid clue never
    names the target, so "not X" answers "X or Y?"); other nouns a clue names stay in play. If the best two
    are less than ``Listener.clarify_margin`` (0.03) apart, it has not asked since the last clue and has
    asked fewer than ``max_clarifications`` (3) times, it asks ``CLARIFY: Do you mean X or Y?``; otherwise
    it guesses the best.

    Feedback kinds: ``instruction`` (rules; the secret word and taboo words for the describer, the
    candidates for the guesser); ``observation`` (a clue relayed to the guesser, including the answer to a
    question); ``clarification`` (the guesser's question relayed to the describer); ``correction`` (format
    or taboo/rule error, with a chance to repair); ``environment`` (a guess was wrong with guesses left,
    right, or the game is lost).

    Rewards per move: guesser +1 right guess, -0.2 wrong guess, -0.1 question. Describer (learner-played): +1
    for a clue after which the teacher listener guesses the target, else a shaping bonus of 0.05 per place
    the clue lifts the target in the listener's ranking (at most 0.3; before the first clue the target counts
    as mid-pool). Format error -1, rule error -0.5. Teacher-played describer moves carry reward 0.

    Scores (from the record alone): ``main`` = 100 / (guesses + 0.5 x questions) on success, else 0: speed,
    where a question costs half a guess (whoever asks: the describer's ambiguous clue costs a question of
    the teacher listener); ``guesses`` (0-3), ``clues`` (valid clues), ``taboo_violations`` (describer rule
    errors) and ``clarifications_asked`` (the guesser's questions, whoever plays it).

    Notes for CLU2 (in each valid move's ``parse``; the teacher's moves carry them too, only the learner's
    count):

    * ``act``: ``"describe"`` (a clue), ``"answer"`` (a clue that answers a question), ``"clarify"`` (a
      question), ``"guess"``.
    * ``ambiguous`` (guesser moves, the role that can ask): whether the clues so far leave the best two
      candidates still in play within the listener's margin (0.03 cosine), i.e. they fit the clues about
      equally well and a question is the right move. The ground truth is the teacher listener's reading of
      the clues among the candidates the guesser is told. Set on guesses only while a question may be asked
      (none since the last clue, fewer than 3 in all); a question past that budget is noted not ambiguous.
    * ``consistent`` (guesses): whether the guess is one of the candidates the guesser was told.
    * ``repaired``: on the describer's first valid clue after a taboo correction (``True``: it holds none of
      the forbidden words, the named one included) or, with a learner describer, after a wrong guess
      (``True`` when the teacher listener now ranks the target first: the clue resolved the misunderstanding
      the wrong guess named); on the guesser's first valid guess after a repeated-guess correction
      (``True``). A move that repeats the named problem is a rule error; the note it sets (``False``) is
      kept only where the Playpen keeps notes of invalid moves.

    Cheap policies and honest programs (``attacks.py``; the table below): every way of smuggling the
    secret word's letters (accents, look-alikes, leetspeak, spacing, splitting, glued endings and prefixes,
    misspellings, clippings, real compounds, reversals, pig Latin, and ``smuggle_checked``, which runs the
    game's own public check and says only the spellings that pass) is caught or tells the listener nothing;
    negating the listener's options, dumping nouns, echoing the prompt and the guesser's habits stay near
    chance. Two unbounded rows are contamination probes, not policies of a role (a policy reads only what its
    role is told): ``bank_clues`` (describer) and ``bank_lookup`` (guesser) read the shipped clue bank, the
    teacher's answer key (the describer says the bank's clues for its word, as the reference does; the
    guesser finds the clue it heard in the bank: 100). No rule can stop a program that holds the test items,
    and the second test set ships too. The published test split is for development; a test set no
    participant has seen needs a private clue bank (a game pack). The honest program ``nearest_words``
    (eight words of a public vocabulary nearest the secret word in the listener's own embedding) scores
    about 99, above the bank's sentence clues: against this listener the describer's work is word
    association, and a learner trained on its reward may learn to list associated words rather than write
    sentences, which Taboo allows.

    Versions:

    * v1: first release.
    * v2: a signal that cheap policies cannot win. (1) The teacher describer no longer answers a question
      with "N letters, starts with X" once its clues run out: three content-free ``CLARIFY`` bought the
      word's length and first letter and won 88 points. It answers with meaning only (its clues, then the
      same clues again), and a question costs half a guess in ``main``: a clarification request is worth
      its cost only when two words really fit. (2) The taboo check reads the clue as its reader does:
      accents and marks stripped (the listener's tokenizer strips them, so "clòck" won 100 points), look-
      alike letters and leetspeak folded, spelled-out, spaced or split words joined, curated irregular forms
      and derivations, glued endings, and the listener's own word pieces ("clocklike" won 100). (3) The
      listener rules out a named candidate only when it asked about it: ruling out every noun a clue named
      let a describer win 70 points by listing the public word list minus its word. (4) The guesser is told
      the candidates it chooses from, as the reference guesser (the teacher listener) always was: the
      reference must use only what its role is told, and random legal guesses among them are the chance
      floor. (5) 20 candidates instead of 10, so that a content-free clue leaves the listener at chance
      (about 9 points, not 18). (6) Distinct held-out items: the v1 test split held 13 targets in 60
      instances; the clue bank grew from 75 to 213 words (written for this project), each split holds a
      target once, the test split has 72 distinct targets, another instance seed draws a second set of 72,
      and test instances draw distractors from their own test set only. (7) Misspellings, coinages,
      reversals and clippings of a forbidden word are taboo (``reading.py``, with an English word list,
      ``words.txt``, to tell them from real words), a final vowel gives way to a glued ending ("gamer",
      "orchestral"), and the listener's tokenizer reading applies only to words off the list ("carves" no
      longer counts as "car"): the secret word with a prefix glued on ("xclock", "superwatch") won 63
      points, misspelt ("clok", "watc") 36, cut short ("volca") 27. (8) The teacher listener drops clue
      words spelt like a candidate before embedding: with (7) in place, a policy that runs the public check
      and says only the spellings that pass still won 32 points with real words ("gameplay", "preschool",
      "supercomputer", "sham" for "shampoo"), which no fair check can forbid; now it wins about 12, near
      chance.

    Data: ``clue_bank.json`` was written for this project. ``words.txt`` is selected from the frequency
    list of the ``wordfreq`` package (its data is licensed CC BY-SA 4.0) by ``build_words.py``; the list
    keeps that license.
    """

    name = "taboo"
    version = 2
    roles = ("describer", "guesser")
    learner_roles = ("describer", "guesser")
    experiments = BANDS
    max_moves = 30
    #: One instance per target word: a band's split can hold no more instances than it has targets.
    split_sizes = {"train": 16, "validation": 5, "test": 24}
    #: The teacher listener asks at most this many questions per episode, so an episode cannot stall in
    #: questions and answers.
    max_clarifications = 3
    move_keywords = {"describer": DESCRIBER_KEYWORDS, "guesser": GUESSER_KEYWORDS}
    #: Contamination probes, not rule exploits (argued on the card): they read the shipped clue bank.
    bare_keywords = ()
    score_ranges = {
        "guesses": (0.0, float(_MAX_GUESSES)),
        "clues": (0.0, float(max_moves)),
        "taboo_violations": (0.0, float(max_moves)),
        "clarifications_asked": (0.0, float(max_moves)),
    }

    def __init__(self, embedder: Embedder | None = None) -> None:
        # Another embedder makes another teacher: tests plug in a fake one. Scores from such a game are not
        # taboo-v2 scores.
        self._embedder = embedder

    def listener(self) -> Listener:
        """The teacher guesser's policy, on the game's embedder (MiniLM, loaded lazily, by default)."""
        return Listener(self._embedder if self._embedder is not None else default_embedder())

    # ------------------------------------------------------------ instances
    def make_params(self, rng: random.Random, *, split: str, experiment: str, index: int) -> dict[str, Any]:
        second = split == "test" and not self._published(rng, split, experiment, index)
        targets = cell(experiment, split, second)
        entry = targets[index % len(targets)]  # cycle through the cell: every target is used evenly
        forbidden = [entry.word, *entry.taboo]
        # Distractors come from the target's own side: the same test set for a test target, train and
        # validation words otherwise, so no test word ever shows up outside its test set.
        side = [e for e in load_bank() if (e.split == "test") == (split == "test") and e.second_test_set == second]
        pool = sorted(e.word for e in side if e.word != entry.word
                      and find_taboo(e.word, forbidden) is None and find_taboo(entry.word, [e.word]) is None)
        candidates = [entry.word, *rng.sample(pool, _DISTRACTORS)]
        rng.shuffle(candidates)
        return {
            "target": entry.word, "taboo": list(entry.taboo), "band": entry.band, "zipf": entry.zipf,
            "clues": list(entry.clues), "candidates": candidates, "max_guesses": _MAX_GUESSES,
        }

    def _published(self, rng: random.Random, split: str, experiment: str, index: int) -> bool:
        """Whether ``rng`` is the generator of the published test split's instance ``index`` (instance seed
        0). ``make_params`` is not told the instance seed (a record must not reveal it), so it compares ``rng``
        with the generator ``Game.generate`` seeds for that instance under seed 0 (taboo never redraws an
        instance: targets are picked by index, so the draw number is the index). Any other instance seed gives
        the second test set.
        """
        published = random.Random(self.draw_seed(split, experiment, index, 0))
        return rng.getstate() == published.getstate()

    def instance_key(self, params: dict[str, Any]) -> str:
        """The target word: the clues and the taboo words come with it, so two instances with one target are
        one item for the learner, whatever the distractors."""
        return str(params["target"])

    def episode_class(self) -> type[Episode]:
        return TabooEpisode

    def cheap_policies(self, role: str) -> list[CheapPolicy]:
        return describer_attacks() if role == "describer" else guesser_attacks()

    # --------------------------------------------------------------- scoring
    def game_scores(self, record: EpisodeRecord) -> dict[str, float]:
        guesses = clarifications = clues = violations = 0
        for t in record.turns:
            if t.kind != "move":
                continue
            parse = t.parse or {}
            if t.speaker == "describer":
                clues += bool(parse.get("ok"))
                violations += parse.get("error") == "rule"
            elif t.speaker == "guesser" and parse.get("ok"):
                try:
                    kind = parse_guesser(t.text).kind
                except MoveError:  # cannot happen for a move that parsed live; a hand-edited record is no crash
                    continue
                guesses += kind == "guess"
                clarifications += kind == "clarify"
        cost = guesses + QUESTION_COST * clarifications
        main = 100.0 / cost if record.outcome == "success" and guesses else 0.0
        return {"main": main, "guesses": float(guesses), "clues": float(clues),
                "taboo_violations": float(violations), "clarifications_asked": float(clarifications)}
