"""guesswhat: twenty questions over a set of candidate animals, with a table-backed answerer (``guesswhat-v1``).

The game card is the docstring of :class:`GuessWhat`.
"""

from __future__ import annotations

from .game import GuessWhatEpisode, GuessWhatGame
from .matcher import Resolution, resolve
from .table import Animal, Table, load_table

__all__ = ["Animal", "GuessWhat", "GuessWhatEpisode", "Resolution", "Table", "load_table", "resolve"]


class GuessWhat(GuessWhatGame):
    """Guess What: find a secret animal among 8-32 candidates with yes/no questions, or answer the questions.

    Roles
        ``questioner`` and ``answerer``; a learner may play either, the programmatic teacher plays the other.

    Experiments
        ``small`` (8 candidate animals), ``medium`` (16), ``large`` (32).

    Instances
        ``params = {"candidates": [...], "target": str, "max_questions": 20}``. Animals and what is known
        about them come from ``animals.json``, an attribute table written for this game: 65 animals, each with
        class (mammal, bird, fish, reptile, amphibian, insect, arachnid, mollusc, crustacean), legs, colours,
        pattern (plain/striped/spotted), typical weight, diet (carnivore/herbivore/omnivore), kept
        (pet/farm/wild), habitats (land/sea/freshwater) and yes/no flags (can fly; has fur, feathers, scales,
        a shell, wings, a tail; lays eggs). Targets are split by animal with ``split_of(name,
        salt="guesswhat")`` (44 train, 12 validation, 9 test animals), so a test target is never the target
        of a training instance; within a split and experiment targets are drawn without replacement
        (``cycle_pick``). The other candidates are drawn with the instance rng from all other animals; the
        list is shuffled.

    Action format (keywords case-insensitive; markdown around them forgiven; other lines are ignored, but a
    reply holds exactly one move line)
        questioner: ``QUESTION: <a yes/no question>`` (at most 200 characters), or ``GUESS: <animal>`` (a
        name or alias from the table: ``GUESS: hippopotamus`` means the hippo; articles, quotes and end
        punctuation are forgiven). Example: ``QUESTION: Does it live in water?``
        answerer: ``ANSWER: yes`` or ``ANSWER: no``.
        No move line, two move lines, an empty or over-long question, an empty guess or an answer other than
        yes/no is a *format* error.

    Flow
        The questioner asks; the question goes to the answerer (``observation``), whose answer comes back as
        an ``observation`` (``ANSWER: yes``) plus an ``environment`` line (``Questions used: 3 of 20``). After
        20 answered questions only a guess is allowed. There is one guess: right -> ``success``, wrong ->
        ``lose``; both roles get the result (``environment``).

    How the answerer reads a question (``matcher.py``, a documented keyword/phrase matcher)
        Words are lower-cased, contractions expanded (``can't`` -> ``can not``) and articles dropped. Phrases
        of a fixed lexicon are found longest first without overlap; each is a predicate (``fly`` ->
        can_fly; ``brown`` -> colour=brown; ``black and white``; ``stripes``; ``four legs``, ``more than four
        legs``, ``no legs``; ``bigger than a cat`` -> weight above a cat's, with the references mouse, cat,
        person, horse, car; ``eat meat`` -> carnivore or omnivore, ``carnivore``, ``plants``, ``omnivore``;
        ``pet``, ``farm animal``, ``wild``, ``domestic``; ``water``, ``sea``, ``fresh water``, ``land``,
        ``land and water``; ``mammal`` ... ``crustacean``, ``vertebrate``; ``fur``, ``feathers``, ``scales``,
        ``shell``, ``wings``, ``tail``, ``lay eggs``, ``live young``; any animal name or alias -> identity),
        a vague word (size: ``big``, ``small``, ``bigger than`` + an unknown reference; colour: ``colour``,
        ``bright``, ``dark``), a block (topics the table lacks: ``swim``, ``dangerous``, ``jungle``,
        ``Africa``, ``eat`` without meat/plants, ...), or the weak ``animal`` (answered yes only when nothing
        else was asked). Then, in order:
        a wh-question (what, which, where, how, ...), a negation outside a phrase (not, no, never, non,
        without, ...), a block whose topic has no predicate in the question, or no topic at all ->
        **refusal**: "I can't answer that with yes or no: <why and what I can answer>";
        exactly one predicate -> answered yes/no from the table;
        one vague topic ("Is it big?", "Is it bigger than a dog?") or two or more topics ("Is it a mammal or
        a bird?", "Is it a big cat?") -> **clarification**: "Bigger or smaller than what? ..." / "Do you
        mean 'Is it a mammal?' or 'Is it a bird?'? Please ask about one thing at a time."
        Vague words and blocks give way to a predicate of their own topic ("Is it brown in colour?" asks
        about brown, "Does it eat only meat?" about carnivores). A question naming an animal that is not a
        candidate is answered (no); so is one about a colour no animal has (purple).

    Feedback kinds
        ``instruction``: the rules; the questioner's lists the candidates and what the answerer
        understands, the answerer's gives the target and its table row. ``observation``: a question relayed
        to the answerer, an answer relayed to the questioner. ``clarification``: the answerer asks what an
        ambiguous question meant (a valid move, not an error; the questioner rephrases). ``correction``:
        format errors; the answerer's refusals; a guess that is not a candidate; a question after the 20th;
        a wrong answer (it names the topic and the target's table value and asks again); each lets the
        player repair (rule errors: the base class's 2 repairs in a row, the third aborts; format errors
        likewise). After 5 clarifications in an episode a further unclear question is a correction.
        ``environment``: questions used, and the result of the guess.

    Teacher (also the reference player for each role)
        answerer: the truth from the table. questioner: uses only the candidate list, the public table and
        the answers so far; it keeps the candidates consistent with the answers, guesses when one is left,
        and otherwise asks the canonical question (``table.render``, e.g. "Does it have more than four
        legs?", which the matcher maps back to the same predicate) that minimises the expected questions
        still needed, sum over both answers of share x ceil(log2(side)); ties go to the more even split, then
        to the episode rng. It reaches the optimum ceil(log2 N) in most episodes (test split, reference
        main: about 99 small, 99 medium, 93 large).

    Episode end
        ``success``: the guess is the target. ``lose``: a wrong guess, or the move limit (160, never binding
        in practice). ``aborted``: a third consecutive invalid move of one kind.

    Rewards (every learner move)
        questioner: an answered question earns the information it gains, log2(candidates before / after)
        normalised by log2 N (over an episode these add up to at most 1, so asking more questions never
        earns more); an uninformative question (every remaining candidate gets the same answer) -0.1; a
        question sent back with a clarification -0.05; right guess +1, wrong guess 0.
        answerer: a correct answer +0.2. Format error -1, rule error (refusal, wrong answer, ...) -0.5.

    Scores (from the record: params, and the ``parse`` notes ``apply`` writes on each move)
        ``main``: questioner: on success 100 x min(1, ceil(log2 N) / questions) (questions = answered
        questions; a lucky guess without questions scores 100), else 0. answerer: 100 x ``answer_accuracy``.
        Aborted episodes score 0.
        ``questions``: answered questions (0-20). ``clarifications``: questions sent back with a
        clarification request (0-5).
        questioner only: ``information_gain``: mean expected information of the answered questions, the
        entropy in bits of how each split the remaining candidates (1 = every question halves them; absent
        without questions); ``uninformative_questions``: answered questions that split nothing.
        answerer only: ``answer_accuracy``: share of questions whose first answer (format errors aside) was
        right; absent without answers.
        Move notes: ``act`` (question/answer/guess), ``pred``, ``clarified``, ``split_entropy``,
        ``uninformative``; on guesses ``correct`` and ``consistent`` (the guess fits every answer so far);
        on answers ``first_try``; on every accepted move ``repair`` (it follows a correction or a
        clarification).

    Version history
        v1: first version.
    """
