"""wordle: find a secret five-letter word from letter feedback, optionally with a critic reviewing each guess."""

from __future__ import annotations

from .game import WordleEpisode, WordleGame

__all__ = ["Wordle", "WordleEpisode"]


class Wordle(WordleGame):
    """Wordle: find a secret five-letter word in 6 guesses from per-letter feedback, optionally with a critic.

    Roles
        ``guesser`` and ``critic``; a learner may play either. The programmatic teacher plays the other.

    Experiments
        ``plain``: the guesser alone. There is no critic: ``supports(instance, "critic")`` is False and the
        critic role never moves. ``critic``: a critic reviews every proposed guess before it counts.

    Instances
        ``params = {"target": str, "max_guesses": 6, "critic": bool}`` plus ``"p_inconsistent": 0.4`` in
        ``critic`` instances. Targets come from ``targets.txt`` (~600 common words), split into
        train/validation/test by ``split_of(word)``, so test targets never occur in training instances;
        within a split and experiment they are drawn without replacement (``cycle_pick``): no target
        repeats before every target of the split has been used.

    Action format (keywords are case-insensitive; surrounding whitespace is ignored)
        guesser: first line ``GUESS: <word>``, ``<word>`` exactly five letters A-Z; optionally followed by
        ``EXPLANATION: <text>`` (may span lines) and nothing else.
        critic: exactly ``AGREE``, or ``DISAGREE: <reason>`` with a non-empty reason.
        Anything else is a *format* error. A five-letter guess not in ``allowed.txt`` (targets are always
        allowed) is a *rule* error: "X is not in the word list". Neither counts as a guess. Each gets a
        ``correction`` and the player repairs; the third consecutive invalid reply aborts the episode.

    Flow
        plain: guess -> ``environment`` feedback -> next guess.
        critic: each round the guesser proposes (``GUESS: ...``); the critic gets it as an ``observation``
        (with the guesser's explanation, cut to 300 characters) and replies; the guesser gets the critic's
        reply (``correction`` on DISAGREE, ``observation`` on AGREE) plus an ``instruction`` to make its
        final guess of the round (``GUESS: ...`` again, same word or another), which alone is scored. The
        critic observes every scored guess and its feedback.

    Feedback (``environment``, to the guesser after each scored guess)
        ``Guess 2 of 6: SLATE`` / ``Feedback: s[absent] l[absent] a[green] t[absent] e[yellow]`` / then
        ``4 guesses left. ...``, or the win/lose message. One ``letter[mark]`` per position, lowercase
        letter; marks: ``green`` = this letter at this position; ``yellow`` = in the word at another
        position; ``absent`` = not in the word. Repeated letters follow Wordle: greens first, then yellows
        left to right while the target has unused copies; extra copies are ``absent`` (SPEED vs ABIDE:
        ``s[absent] p[absent] e[yellow] e[absent] d[yellow]``).

    Teacher
        guesser: first guess one of a fixed list of openers (crane, slate, ...), chosen with the episode rng;
        later a word chosen with the rng among the targets consistent with all feedback so far. When the
        learner is the critic, from round 2 on it proposes, with probability ``p_inconsistent``, an
        inconsistent target word (one breaking the fewest constraints); after a DISAGREE it switches to a
        consistent word if its proposal was inconsistent, and otherwise keeps it (also after AGREE).
        critic: AGREE if the proposal is consistent with all earlier feedback (it would have produced exactly
        the same marks), else ``DISAGREE:`` naming up to 3 violated constraints, e.g. "E was marked absent in
        CRANE", "R must be in position 2 (green in CRANE)", "A is in the word but not in position 3 (yellow
        in CRANE)", "the word contains E exactly once (another E in SPEED was marked absent)".

    Episode end
        ``success`` when a scored guess is the target; ``lose`` after 6 scored guesses without it;
        ``aborted`` after the third consecutive invalid reply. ``max_moves`` = 54 (6 rounds x 3 moves x 3
        attempts) is never the binding limit.

    Rewards (every learner move)
        guesser: scored guess (0.2 x positions newly green + 0.1 x letters newly found yellow) + 1 on
        success; a proposal 0; format error -1, rule error -0.5.
        critic: +1 when AGREE/DISAGREE matches the truth (proposal consistent or not), -1 otherwise; format
        error -1.

    Scores (recomputed from the record's params and move texts only)
        ``main``: learner guesser: 100 / scored guesses on success, 0 otherwise (clembench's speed score);
        learner critic: 100 x ``critic_accuracy``. Aborted episodes score 0.
        ``guesses``: scored guesses (0-6).
        ``consistent_guess_rate``: learner guesser only: share of its scored guesses consistent with the
        feedback before them (a first guess always is); absent when it made none.
        ``critic_accuracy``: critic experiment: share of verdicts matching the truth; absent without verdicts.
        ``changed_after_disagree``: learner guesser, critic experiment: share of DISAGREE rounds where the
        final guess differs from the proposal; absent without a DISAGREE.

    Feedback kinds
        ``instruction`` (rules at the start; "make your final guess"), ``observation`` (critic: proposals and
        scored guesses; guesser: critic's AGREE), ``correction`` (format/rule errors; critic's DISAGREE),
        ``environment`` (letter feedback, guesses left, win/lose).

    Data
        ``targets.txt`` and ``allowed.txt`` are selected from the frequency lists of the ``wordfreq``
        package (its data is licensed CC BY-SA 4.0) by ``build_words.py``; the lists keep that license.

    Version history
        v1: first version.
    """

