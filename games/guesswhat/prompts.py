"""Every text the guesswhat game master and its answerer send. The learner is a language model: each role's
instructions spell out the rules and the exact reply format, with an example.

Kept in one place so the wording can be reviewed (and versioned: a changed prompt is a changed game).
"""

from __future__ import annotations

from collections.abc import Sequence

#: What the answerer understands; shown to the questioner and repeated in refusals.
ASKABLE = """\
- which animal it is: "Is it the cat?" (such a question is your one guess)
- its class: mammal, bird, fish, reptile, amphibian, insect, arachnid, mollusc or crustacean; vertebrate
- its legs: "Does it have legs?", "Does it have four legs?", "Does it have more than four legs?"
- its colours (black, white, brown, grey, orange, yellow, green, red, pink, blue): "Is it brown?"; \
stripes or spots: "Does it have stripes?"
- its size, by typical weight, compared with a mouse, a cat, a person, a horse or a car: "Is it bigger \
than a cat?", "Is it smaller than a person?"
- what it eats: "Does it eat meat?", "Does it eat plants?", "Is it a carnivore / herbivore / omnivore?"
- whether it is a pet, a farm animal or a wild animal ("Is it a domestic animal?" = a pet or a farm animal)
- where it lives: on land, in the sea, in fresh water (rivers, lakes), in water (sea or fresh water)
- whether it can fly; has fur, feathers, scales, a shell, wings or a tail; lays eggs"""

_SHORT_ASKABLE = ("I can answer one yes/no question at a time about: which animal it is (your guess), its class, legs, "
                  "colours, stripes or spots, size compared with a mouse, a cat, a person, a horse or a car, "
                  "whether it eats meat or plants, whether it is a pet, farm or wild animal, where it lives "
                  "(land, sea, fresh water), and whether it can fly, has fur, feathers, scales, a shell, wings "
                  "or a tail, or lays eggs.")

QUESTION_EXAMPLE = "QUESTION: Does it live in water?"


def questioner_instructions(candidates: Sequence[str], max_questions: int, optimal: int) -> str:
    return (
        "Let's play Guess What, a game of twenty questions about animals. You are the QUESTIONER.\n"
        f"Your partner, the answerer, has secretly chosen one of these {len(candidates)} animals:\n"
        f"{', '.join(candidates)}\n\n"
        f"Find it by asking yes/no questions, then guess it. You may ask at most {max_questions} questions "
        "and you have ONE guess: a wrong guess loses the game. A question that names one animal (\"Is it the "
        "cat?\") is that guess, not a question. Use as few questions as you can: a good question splits the "
        f"animals that are still possible into two halves, and {optimal} such questions are enough for "
        f"{len(candidates)} animals; every question beyond that lowers your score.\n\n"
        "The answerer answers from a fixed table of facts and understands simple questions about one property "
        f"at a time:\n{ASKABLE}\n"
        'Ask about one thing at a time, and ask positively (without "not"). If the answerer cannot answer a '
        "question, or is not sure what you mean, it tells you so and you ask again.\n\n"
        "Reply with exactly one line, either a question:\n"
        "QUESTION: <a yes/no question>\n"
        "or, once you know the animal, your guess:\n"
        "GUESS: <animal>\n"
        f"Example:\n{QUESTION_EXAMPLE}"
    )


def answerer_instructions(name: str, description: str, candidates: Sequence[str]) -> str:
    return (
        "Let's play Guess What, a game of twenty questions about animals. You are the ANSWERER.\n"
        f"The secret animal is: {name}. The questioner does not know it and must find it among these "
        f"{len(candidates)} animals: {', '.join(candidates)}.\n\n"
        f"Answer each yes/no question truthfully according to this table of facts about the {name} (the table "
        "counts, not your own knowledge):\n"
        f"{description}\n\n"
        'Notes: "bigger/smaller than X" compares typical weights with a mouse, a cat, a person, a horse or a '
        'car; "Does it eat meat?" is yes for carnivores and omnivores, "Does it eat plants?" for herbivores and '
        'omnivores; "in water" means in the sea or in fresh water; "Is it an animal?" is always yes. The '
        'questioner asks in its own words: "Is it furry?" asks whether it has fur.\n\n'
        "A question may be ambiguous: it can be read in more than one way, so that the table gives no single "
        "yes or no. That happens when it asks about two things at once, or about size or colour without "
        "saying which (bigger than what? which colour?). Do not answer such a question: ask the questioner "
        "what it means. A wrong answer, or an answer to an ambiguous question, can mislead the questioner; a "
        "question back about a clear question wastes its time.\n\n"
        "Reply with exactly one line:\n"
        "ANSWER: yes\n"
        "or\n"
        "ANSWER: no\n"
        "or, only if the question is ambiguous:\n"
        "CLARIFY: <your question back>\n"
        "Example: asked \"QUESTION: Does it have legs?\" about an animal with 4 legs, you reply\n"
        "ANSWER: yes"
    )


# ---------------------------------------------------------------------------- the answerer's refusals
_CANNOT = "I can't answer that with yes or no: "
REFUSE_WH = _CANNOT + ("it is not a yes/no question. Ask a question that can be answered with yes or no, "
                       f'e.g. "{QUESTION_EXAMPLE}"')
REFUSE_NEGATION = _CANNOT + ('answers to questions with "{word}" are easy to misread. Ask it positively, '
                             'e.g. "QUESTION: Can it fly?" rather than "QUESTION: Can\'t it fly?"')
REFUSE_UNKNOWN = _CANNOT + "I don't know what property you are asking about. " + _SHORT_ASKABLE
REFUSE_BLOCK: dict[str, str] = {
    "diet": _CANNOT + ("I only know whether it eats meat, plants or both (carnivore, herbivore, omnivore), not "
                       'which food. Ask e.g. "QUESTION: Does it eat meat?"'),
    "habitat": _CANNOT + ('I don\'t know about "{word}"; I only know whether it lives on land, in the sea or in '
                          'fresh water (rivers, lakes). Ask e.g. "QUESTION: Does it live in the sea?"'),
    "other": _CANNOT + 'my table says nothing about "{word}". ' + _SHORT_ASKABLE,
}

# ---------------------------------------------------------------------- the answerer's clarifications
CLARIFY_VAGUE: dict[str, str] = {
    "size": ("Bigger or smaller than what? I compare sizes by typical weight, only with a mouse, a cat, a person, "
             'a horse or a car. Ask e.g. "QUESTION: Is it bigger than a cat?"'),
    "colour": ('Which colour do you mean? Ask about one colour, e.g. "QUESTION: Is it brown?" (I know black, '
               "white, brown, grey, orange, yellow, green, red, pink and blue.)"),
}
VAGUE_TOPIC: dict[str, str] = {
    "size": "a question about its size (bigger or smaller than a mouse, a cat, a person, a horse or a car)",
    "colour": "a question about one of its colours",
}


def clarify_compound(options: Sequence[str]) -> str:
    shown = list(options[:3])
    listed = shown[0] if len(shown) == 1 else ", ".join(shown[:-1]) + " or " + shown[-1]
    return f"Do you mean {listed}? Please ask about one thing at a time."


TOO_MANY_CLARIFICATIONS = ("I still can't tell what you mean, and I won't ask again. {message} Reply with "
                           "one clear question about one property: QUESTION: <question>")

# ------------------------------------------------------------------------------------ format and rules
QUESTIONER_FORMAT = ("Reply with exactly one line: either 'QUESTION: <a yes/no question>' or 'GUESS: <animal>'. "
                     f"Example:\n{QUESTION_EXAMPLE}")
ANSWERER_FORMAT = ("Reply with exactly one line: 'ANSWER: yes' or 'ANSWER: no', or 'CLARIFY: <your question back>' "
                   "if the question is ambiguous.")


def not_a_candidate(guess: str, candidates: Sequence[str]) -> str:
    return (f'"{guess}" is not one of the animals in this game. It does not count as your guess. Guess one of: '
            f"{', '.join(candidates)}. Reply GUESS: <animal>")


NO_QUESTIONS_LEFT = ("You have used all {max_questions} questions: you cannot ask another. Make your guess now: "
                     "GUESS: <animal>")


def not_a_candidate_question(name: str, candidates: Sequence[str]) -> str:
    return (f'Your question names the {name}, which is not one of the animals in this game; a question that '
            f"names one animal is a guess. It does not count. The animals are: {', '.join(candidates)}.")


def guess_by_question(name: str) -> str:
    return f"Your question names one animal, so it is your guess: the {name}. "


def ambiguity(topics: Sequence[str], options: Sequence[str]) -> str:
    """Why a question is ambiguous, for the answerer: what it could mean (``topics`` as the matcher names them:
    predicate ids or ``vague:<family>``; ``options``: the readings it offers, as questions)."""
    if len(topics) == 1 and topics[0] == "vague:size":
        return "It asks about size without saying compared with what."
    if len(topics) == 1 and topics[0] == "vague:colour":
        return "It asks about colour without saying which colour."
    shown = ", ".join(options[:3]) if options else f"{len(topics)} things"
    return f"It asks about {len(topics)} things at once ({shown})."


def ambiguous_answered(answer: str, why: str) -> str:
    return (f'Your answer "{answer}" does not count: the question is ambiguous, and a yes or no to it could '
            f"mislead the questioner. {why} When a question can be read in more than one way, ask back with "
            "CLARIFY: <your question>. The questioner will ask again.")


def ambiguous_for_questioner(why: str) -> str:
    return f"Your question is ambiguous, so its answer does not count. {why}"


NO_CLARIFICATIONS_LEFT = ("No more questions back in this game: answer the question. Reply ANSWER: yes or "
                          "ANSWER: no.")
TOO_MANY_WRONG = "Game over: three wrong answers to the same question."


def wrong_answer(answer: str, topic: str, question: str) -> str:
    return (f'"{answer}" is not right for the secret animal. {topic} Answer the question again: {question}\n'
            "Reply ANSWER: yes or ANSWER: no.")


# --------------------------------------------------------------------------------------- relays, state
def relay_question(text: str) -> str:
    return f"QUESTION: {text}"


def relay_answer(answer: str) -> str:
    return f"ANSWER: {answer}"


def questions_left(used: int, max_questions: int) -> str:
    left = max_questions - used
    if left <= 0:
        return f"That was your last question ({used} of {max_questions}). Make your guess now: GUESS: <animal>"
    return f"Questions used: {used} of {max_questions}. Ask another question or guess."


def won(name: str, questions: int, prefix: str = "") -> str:
    plural = "s" * (questions != 1)
    return prefix + f"Correct! The animal is the {name}. You found it with {questions} question{plural}."


def lost(guess: str, name: str, prefix: str = "") -> str:
    return prefix + f"Wrong: the animal is the {name}, not the {guess}. The game is over."


def guess_for_answerer(guess: str, correct: bool) -> str:
    return (f"The questioner guessed {guess}: " + ("correct. The game is over." if correct else
                                                    "wrong. The game is over."))
