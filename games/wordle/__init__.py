"""wordle: find a secret five-letter word from letter feedback, optionally with a critic reviewing each guess."""

from __future__ import annotations

from .episode import WordleEpisode
from .game import WordleGame

__all__ = ["Wordle", "WordleEpisode"]


class Wordle(WordleGame):
    """Wordle: find a secret five-letter word in 6 guesses from per-letter feedback, optionally with a critic.

    Roles
        ``guesser`` and ``critic``; a learner may play either. The programmatic teacher plays the other.

    Experiments
        ``plain``: the guesser alone. There is no critic: ``supports(instance, "critic")`` is False and the
        critic role never moves. ``critic``: a critic reviews every proposed guess from the second on.

    Instances
        ``params = {"target": str, "max_guesses": 6, "critic": bool}``; ``critic`` instances add
        ``"opener"`` (the teacher guesser's first guess, never the target) and ``"proposals"``: for guesses 2
        to 6, whether the teacher guesser proposes to a learner critic a word that ``"fits"`` the feedback or
        one that ``"breaks"`` it (see Teacher). Both are used only when the learner is the critic. Targets come
        from ``targets.txt`` (600 common words), split into train/validation/test by ``split_of(word)`` (88
        test words), so test targets never occur in training instances. Each instance draws its target with
        its own rng (so another instance seed draws others); ``instance_key`` is experiment and target, and no
        key repeats within a split. Test: 40 instances per experiment (of 88 words). A test split drawn with
        another instance seed (a private test set) leaves out every item of the published one (seed 0): with
        so few words, independent draws would repeat nearly half of them.

    Action format (the shared move grammar: one move line per reply, keywords in any case, Markdown
    decoration forgiven, other lines ignored)
        guesser: ``GUESS: <word>``, ``<word>`` exactly five letters A-Z (quotes, emphasis and end punctuation
        around it are forgiven). An ``EXPLANATION: <text>`` line after it (to the end of the reply) is relayed
        to the critic. critic: ``AGREE`` alone on its line, or ``DISAGREE: <reason>`` with a non-empty reason
        (at most 500 characters). No move line, two move lines, or a malformed body are *format* errors. A
        five-letter guess not in ``allowed.txt`` (targets are always allowed) is a *rule* error: "X is not in
        the word list". Neither counts as a guess. Each gets a ``correction`` and the player repairs; the third
        consecutive invalid reply aborts the episode.

    Flow
        plain: guess -> ``environment`` feedback -> next guess.
        critic: the first guess counts at once (there is no feedback to check yet). From the second on, each
        round the guesser proposes (``GUESS: ...``); the critic gets it as an ``observation`` (with the
        guesser's explanation, cut to 300 characters) and replies; the guesser gets the critic's reply
        (``correction`` on DISAGREE, ``observation`` on AGREE) plus an ``instruction`` to make its final guess
        of the round (``GUESS: ...`` again, same word or another), which alone is scored. The critic observes
        every scored guess and its feedback.

    Feedback (``environment``, to the guesser after each scored guess)
        ``Guess 2 of 6: SLATE`` / ``Feedback: s[absent] l[absent] a[green] t[absent] e[yellow]`` / then
        ``4 guesses left. ...``, or the win/lose message. One ``letter[mark]`` per position, lowercase
        letter; marks: ``green`` = this letter at this position; ``yellow`` = in the word at another
        position; ``absent`` = not in the word. Repeated letters follow Wordle: greens first, then yellows
        left to right while the target has unused copies; extra copies are ``absent`` (SPEED vs ABIDE:
        ``s[absent] p[absent] e[yellow] e[absent] d[yellow]``).

    Teacher
        guesser (a solver that trusts its critic): first guess an opener (the instance's, or one of a fixed
        list drawn with the episode rng in ``plain``), later a word drawn with the rng among the targets
        consistent with all feedback so far (any allowed word if no target fits). It keeps a proposal the
        critic agreed with and replaces one it disagreed with by a consistent word. When the learner is the
        critic, each proposal is of the kind the instance plans: ``fits`` (a consistent word) or ``breaks`` (a
        near miss: a target breaking the fewest constraints, never an earlier guess). Guesses 2-4 always hold
        both kinds (one of the six orders that do, drawn per instance), guesses 5-6 either kind at even odds,
        so half the proposals break a constraint. Until the critic has reviewed both kinds the teacher does
        not play the target (if no other word fits, it proposes a near miss instead), so every episode shows
        the critic both.
        critic: AGREE if the proposal is consistent with all earlier feedback (it would have produced exactly
        the same marks), else ``DISAGREE:`` naming up to 3 violated constraints, e.g. "E was marked absent in
        CRANE", "R must be in position 2 (green in CRANE)", "A is in the word but not in position 3 (yellow
        in CRANE)", "the word contains E exactly once (another E in SPEED was marked absent)".

    Verdicts (ground truth)
        A proposal *fits* if it would have produced every feedback seen so far, else it *breaks* the letters
        whose constraints it violates. A verdict is right when it is AGREE on a fitting word, or DISAGREE on a
        breaking word whose reason is *grounded*: the first letter the reason names is one whose constraint the
        word breaks. A reason names a letter by a capital standing alone ("E was marked absent"), a letter in
        quotes or emphasis ('e', *E*), "letter e", or the feedback notation ``e[absent]``; capitalised words
        (CRANE) name none. The first letter counts, so that hedging over several letters or listing the
        alphabet points at nothing.

    Episode end
        ``success`` when a scored guess is the target; ``lose`` after 6 scored guesses without it;
        ``aborted`` after the third consecutive invalid reply. ``max_moves`` = 54 (6 rounds x 3 moves x 3
        attempts) is never the binding limit.

    Rewards (every learner move)
        guesser: scored guess (0.2 x positions newly green + 0.1 x letters newly found yellow) + 1 on
        success; a proposal 0; format error -1, rule error -0.5.
        critic: +1 for a right verdict; 0 for a DISAGREE on a breaking word whose reason is not grounded; -1
        for a wrong verdict; format error -1.

    Scores (recomputed from the record's params and move texts only)
        ``main``: learner guesser: 100 / scored guesses on success, 0 otherwise (clembench's speed score).
        learner critic: 100 x max(0, ``critic_youden``), chance-corrected: always agreeing, always
        disagreeing and coin flips score 0 in expectation, whatever the mix of proposals. Aborted episodes
        score 0.
        ``guesses``: scored guesses (0-6).
        ``consistent_guess_rate``: learner guesser only: share of its scored guesses consistent with the
        feedback before them (a first guess always is); absent when it made none.
        ``changed_after_disagree``: learner guesser, critic experiment: share of DISAGREE rounds where the
        final guess differs from the proposal; absent without a DISAGREE.
        Over the verdicts of an episode (critic experiment, either learner role; absent without one):
        ``critic_fit_rate`` share of fitting proposals agreed with (absent without one);
        ``critic_catch_rate`` share of breaking proposals rejected with a grounded reason (absent without
        one); ``critic_youden`` = fit rate + catch rate - 1 (Youden's J: balanced accuracy rescaled so that
        chance is 0, in [-1, 1]; a kind the episode never showed counts at the chance rate 1/2);
        ``critic_accuracy`` share of right verdicts; ``critic_grounded_reasons`` share of DISAGREEs on
        breaking words whose reason is grounded.

    Notes for CLU2 (on every move, whoever plays it; only the learner's count)
        ``act``: guesser ``"guess"`` (scored) or ``"propose"``; critic ``"accept"`` (AGREE) or ``"reject"``.
        The critic's verdicts also carry ``fits`` and ``right`` (the ground truth above).
        ``consistent`` (multi-turn coherence): on every scored guess after the first, whether the word agrees
        with all the feedback given so far (it could still be the target).
        ``repaired``: on the final guess after a DISAGREE whose reason names a letter the proposal really
        breaks (a correction naming a specific problem): whether the final guess breaks none of the named
        letters' constraints. Keeping the proposal is not a repair.
        ``ambiguous`` is never set: neither role can ask a question, and the feedback is exact, so no
        situation in this game calls for a clarification. ``probe`` is never set.

    Feedback kinds
        ``instruction`` (rules at the start; "make your final guess"), ``observation`` (critic: proposals and
        scored guesses; guesser: critic's AGREE), ``correction`` (format/rule errors; critic's DISAGREE),
        ``environment`` (letter feedback, guesses left, win/lose).

    Cheap policies
        Every guesser attack that ignores the feedback (a fixed word sequence, random targets, the test
        split's 88 targets in turn, repeating a guess, copying the example) scores about 0; the speed score pays only for finding the word. The honest program that
        filters the word list by the feedback is close to the reference: the role needs deduction and the
        format, little more language. ``split_of`` is a public hash, so a program may know the test split's
        88 targets: filtering them by the feedback beats the reference (about 40 against 35), and the
        private test set (the test words the published split leaves out) is a smaller pool still. That is
        knowledge of the test pool, not a shortcut past the deduction; a private test set that no program
        can list needs private targets. Critic attacks (always agree, always disagree, coin flips, one habit
        per episode, fixed verdict patterns, reasons that list letters, name a letter the feedback showed,
        a letter the proposal holds twice or shares with the last guess, all without checking the proposal
        against the feedback) stay near 0 under the chance-corrected score and the grounded-reason rule.
        Partial checkers are honest programs and show what each constraint is worth: greens alone about 45,
        absent letters alone about 23, all of them 100.

    Data
        ``targets.txt`` and ``allowed.txt`` are selected from the frequency lists of the ``wordfreq``
        package (its data is licensed CC BY-SA 4.0) by ``build_words.py``; the lists keep that license.

    Version history
        v1: first version.
        v2: the critic's score is chance-corrected (Youden's J over its verdicts, floored at 0) instead of
        plain accuracy, which paid ~78 for always agreeing: judging a proposal is a detection task, and a
        judge that never objects has detected nothing. A DISAGREE counts only when its reason points at a
        constraint the proposal really breaks (the first letter it names), since a critic's job is to say
        *what* is wrong, not only that something is. Every learner-critic episode shows both kinds of
        proposal, in a known proportion (half break a constraint; guesses 2-4 hold both kinds), so the score
        can be computed in every episode. The first guess is no longer reviewed: with no feedback there is
        nothing to check, and the free AGREE it paid is gone. The teacher guesser now trusts its critic (it
        replaces every word the critic rejects), so what it plays next never reveals whether a verdict was
        right. Replies are read by the shared move grammar (chatter around the move line is ignored;
        ``AGREE.`` and ``**GUESS:** crane`` are accepted). A random player (random allowed words; random
        verdicts with a random-letter reason) sets the chance floor. Instances draw targets with their rng
        (a private test set draws other words, leaving out the published ones), the test split grows to 40
        per experiment, and notes for CLU2 (act, consistent, repaired) are set.
    """

