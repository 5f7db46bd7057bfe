"""guesswhat: twenty questions over a set of candidate animals, with a table-backed answerer (``guesswhat-v2``).

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
        about them come from ``animals.json``, an attribute table written for this game: 103 animals, each with
        class (mammal, bird, fish, reptile, amphibian, insect, arachnid, mollusc, crustacean), legs, colours,
        pattern (plain/striped/spotted), typical weight, diet (carnivore/herbivore/omnivore), kept
        (pet/farm/wild), habitats (land/sea/freshwater) and yes/no flags (can fly; has fur, feathers, scales,
        a shell, wings, a tail; lays eggs). The candidates are drawn with the instance rng from all animals,
        never two that no askable question tells apart (leopard and cheetah, elephant and rhino: the game
        must be winnable by questions). The *set* of candidates decides the split (``split_of`` of the sorted
        set, salt ``"guesswhat"``; a set of another split is redrawn), so no candidate set of the test split
        is ever seen in training or validation. Then the target is a uniform draw among the candidates and the
        list is shuffled: nothing a player sees (the list, its order, which split the set is in, which animals
        were targets in training) makes one candidate likelier than another, for any instance seed, so a
        private test set is drawn like the published one. An item (``instance_key``) is the target with its
        set of candidates: no item twice in a split, and another instance seed draws other items. Split sizes
        per experiment: 100 train, 20 validation, 28 test.

    Action format (the Playpen's move grammar: exactly one move line per reply, other lines ignored, keywords
    case-insensitive, Markdown decoration forgiven)
        questioner: ``QUESTION: <a yes/no question>`` (at most 200 characters), or ``GUESS: <animal>`` (a
        name or alias from the table: ``GUESS: hippopotamus`` means the hippo; articles, quotes and end
        punctuation are forgiven). Example: ``QUESTION: Does it live in water?``
        answerer: ``ANSWER: yes``, ``ANSWER: no``, or ``CLARIFY: <a question back>`` (at most 300
        characters) when the question is ambiguous.
        No move line, two move lines, an empty or over-long question, an empty guess or an answer other than
        yes/no is a *format* error.

    Flow
        The questioner asks; the game master reads the question (below) and either refuses it (a
        correction) or relays it to the answerer (``observation``). The answerer answers, or asks back; the
        answer comes back to the questioner as an ``observation`` (``ANSWER: yes``) plus an ``environment``
        line (``Questions used: 3 of 20``). After 20 answered questions only a guess is allowed. There is one
        guess: right -> ``success``, wrong -> ``lose``; both roles get the result (``environment``). **A
        question that names one candidate ("Is it the cat?") is that guess**: in twenty questions naming the
        animal is guessing it, and it is settled as one (a question naming an animal that is no candidate is
        a rule error).

    How a question is read (``matcher.py``, a documented keyword/phrase matcher)
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
        **refusal** (a correction): "I can't answer that with yes or no: <why and what I can answer>";
        exactly one predicate -> a clear question (identity: the guess);
        one vague topic ("Is it big?", "Is it bigger than a dog?") or two or more topics ("Is it a mammal or
        a bird?", "Is it a big cat?") -> an **ambiguous** question, relayed to the answerer, who should ask
        back. Vague words and blocks give way to a predicate of their own topic ("Is it brown in colour?"
        asks about brown, "Does it eat only meat?" about carnivores). A question about a colour no animal has
        (purple) is answered (no).

    Teacher (also the reference player for each role)
        answerer: asks back about an ambiguous question (its ``CLARIFY`` is the matcher's message, e.g.
        "Bigger or smaller than what? ..." or "Do you mean 'Is it a mammal?' or 'Is it a bird?'? Please ask
        about one thing at a time."), else answers the truth from the table. questioner: uses only the
        candidate list, the public table and the answers so far; it keeps the candidates consistent with the
        answers, guesses when one is left, and otherwise asks about the property (never an identity) that
        minimises the expected questions still needed, sum over both answers of share x ceil(log2(side));
        ties go to the more even split, then to the episode rng. Opposite a learner answerer it words each
        question in one of several ways the matcher maps to the same property ("Is it furry?", "Is its body
        covered in fur?"), so that answering takes understanding the question rather than finding its words
        in the fact table, and with probability 0.35 (at most twice per episode) it first asks an ambiguous
        *probe* of its question (a size or colour question without its reference, or the question joined
        with another property's: "Does it have fur, or is it a carnivore?"); after a question back (or an
        answer to the probe) it asks the clear version. Its choices never depend on the secret animal.

    Feedback kinds
        ``instruction``: the rules; the questioner's lists the candidates and what the answerer
        understands, the answerer's gives the target and its table row. ``observation``: a question relayed
        to the answerer, an answer relayed to the questioner. ``clarification``: the answerer's question back
        (a valid move; the questioner rephrases), or the game telling the questioner that its ambiguous
        question was answered and the answer does not count. ``correction``: format errors; refusals; a
        guess (or a question naming an animal) that is not a candidate; a question after the 20th; to the
        answerer, a wrong answer (it names the topic and the target's table value and asks again) and an
        answer to an ambiguous question (it says why the question is ambiguous and that CLARIFY was due).
        Format and rule errors allow the base class's 2 repairs in a row, the third aborts. A wrong answer is
        a valid move (a mistake of content, not of the rules); the third wrong answer to one question aborts
        the episode (fault: the answerer). After 5 questions sent back in an episode, an ambiguous question is
        a rule error and so is a further ``CLARIFY``. ``environment``: questions used, and the result of the
        guess.

    Episode end
        ``success``: the guess is the target. ``lose``: a wrong guess, or the move limit (200, never binding
        in practice). ``aborted``: a third consecutive invalid move of one kind, or a third wrong answer to
        one question.

    Rewards (every learner move)
        questioner: an answered question earns the information it gains, log2(candidates before / after)
        normalised by log2 N (over an episode these add up to at most 1, so asking more questions never
        earns more); an uninformative question (every remaining candidate gets the same answer) -0.1; an
        ambiguous question -0.05; right guess +1, wrong guess 0.
        answerer: a right answer, or a question back about an ambiguous question, +0.2; a wrong answer or
        an answer to an ambiguous question -0.5; a question back about a clear question -0.25. Format error
        -1, rule error -0.5.

    Scores (from the record: params, and the ``parse`` notes ``apply`` writes on each move)
        ``main``, questioner: 0 unless the guess is right; then 100 x ``found_by_questions`` x
        min(1, ceil(log2 N) / questions), where ``found_by_questions`` = log2(N / R) / log2 N is the share of
        the bits needed that the answers had given when it guessed (R: candidates still consistent with the
        answers; 1 when only the target was left). A right guess among R > 1 open candidates is luck for
        the rest, so a guess without questions, or by naming candidates one by one, earns 0, and each
        question beyond the optimum ceil(log2 N) lowers the score.
        ``main``, answerer: 100 if every question relayed to it got the right *first* response (format errors
        aside): the true answer to a clear question, a question back (``CLARIFY``) to an ambiguous one; else
        0. One wrong answer would have misled the questioner, and partial credit per answer pays a blind
        answerer by chance (in v1, yes-then-flip scored 52 and alternating yes/no 54); a blind policy now
        scores about 2^-(questions).
        ``questions``: answered questions (0-20). ``clarifications``: questions sent back to the questioner
        (0-5). Questioner only: ``information_gain``: mean expected information of its clear questions, the
        entropy in bits of how each split the remaining candidates (1 = every question halves them; absent
        without questions); ``uninformative_questions``: clear questions that split nothing;
        ``settled_questions``: questions the earlier answers had already decided; ``found_by_questions``
        (above; on a right guess). Answerer only: ``answer_accuracy``: share of relayed questions whose first
        response was right (absent without questions); ``ambiguous_questions``: probes it faced.
        Other move notes: ``pred``, ``vague``, ``topics``, ``relayed``, ``split_entropy``, ``uninformative``,
        ``remaining``, ``yes`` on questions; ``guess``, ``correct``, ``remaining``, ``by_question`` on guesses;
        ``correct``, ``first``, ``right`` on the answerer's moves.

    Notes for CLU2
        Ground truth of ambiguity: a question is *ambiguous* when the matcher finds a vague size or colour
        word without its reference, or two or more properties in it (it has no single yes/no in the table).
        ``act``: ``question`` / ``guess`` on the questioner's moves, ``answer`` / ``clarify`` on the
        answerer's. A question back is not judged by its wording, only by whether one was due.
        ``ambiguous`` (answerer only, on every valid answer or CLARIFY while a question back is still
        allowed): whether the question it responds to is ambiguous. CLARIFY on an ambiguous question is a
        true positive, on a clear one a false positive; an answer to an ambiguous one a miss. The questioner
        is never noted: the answerer's replies are yes/no, so it has nothing to ask back about.
        ``repaired``: answerer, on the answer that follows a wrong-answer correction (which names the topic
        and the table's value): whether it is now right. Questioner, on its first valid move after the
        answerer asked back about its question: whether it is a clear question about one of the properties
        offered (or a question naming a candidate, when the animal was among them); after a refusal (a
        correction naming why): whether it is a clear question.
        ``consistent``: answerer, on every answer to a clear question: whether it agrees with the fact table
        it was given. Questioner, on every clear question after the first answer: whether it is still open
        given the answers so far (False: the answers already decided it, e.g. a repeated question, or "Is it a
        bird?" after "Does it have feathers?" was answered); on guesses: whether the animal fits every answer.

    Cheap policies (``policies.py``)
        questioner: enumerate candidates by name, guess at once, binary search by lists of names (an
        ambiguous question), copy the example questions of the prompt blindly, repeat one question, ask
        ceil(log2 N) general questions blindly and guess a candidate never seen as a target in the training
        and validation splits (a prior learnt from the published data, not from the answers); an honest
        ``table_solver`` halves the candidates with the public table. answerer: yes then flip after a
        correction, the base rate of truths learnt from corrections, alternate, word overlap between the
        question and the fact table, ask back on surface cues (" or ", "big", "colour") else yes or word
        overlap, predict the teacher's next question from the candidates with the public table and the
        teacher's own choice rule instead of reading it (the teacher's many equally good questions defeat
        it); an honest ``table_reader`` reads the row with the game's matcher. The honest programs reach
        the reference: given the public table, neither role needs more language than the matcher's; what a
        learner must bring is that reading (and world knowledge of the animals' properties as a questioner).

    Version history
        v1: first version.
        v2: (1) a question naming one candidate is the guess: asking "Is it the X?" about each candidate
        scored ~53 in v1 through the per-question partial credit, although naming the animal is guessing it.
        (2) questioner ``main`` counts only what the answers had established when it guessed
        (``found_by_questions``): a lucky guess no longer scores 100. (3) answerer: ``CLARIFY`` added, the
        teacher questioner probes with ambiguous questions and words its questions in several ways; a wrong
        answer is a valid move of content with a correction and ``repaired`` notes; ``main`` is 100 only when
        every question got the right first response (v1's per-answer accuracy paid yes-then-flip 52,
        alternating yes/no 54 and word overlap with the fact table 57). (4) the teacher questioner never asks
        an identity question (it guesses instead); about half of its questions are answered yes (50% on the
        test split). (5) 38 animals added to the table (103); an instance never
        holds two animals no question separates; the item key is the target with its candidate set; test
        split 28 per experiment.
        (6) the Playpen's one move grammar; random legal moves as the chance floor; notes for CLU2
        (``ambiguous``, ``repaired``, ``consistent``) replace v1's ``repair``. (7) The candidate set decides the
        split and the target is a uniform draw from it: a first v2 draft held test targets out by animal (14
        test animals, each the target twice per experiment) while the other candidates came from every split,
        so the candidate that was never a training target was very likely the target (the same 14 for any
        instance seed, private test sets included); ceil(log2 N) blind questions and that guess
        (``unseen_target``) scored 27 with 50% success without reading an answer. It now scores at chance.
    """
