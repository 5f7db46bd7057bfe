"""Every text the taboo game master sends: instructions per role, feedback, corrections.

Kept in one place so the wording can be reviewed (and versioned: a changed prompt is a changed game) without
reading the rules.
"""

from __future__ import annotations

from collections.abc import Sequence

from .stems import find_taboo

# Two worked examples, both words outside the clue bank (an example must never give an answer away). The
# describer's instructions use the first whose words do not collide with the instance's own secret or taboo
# words, so that an example never contradicts the rules.
_EXAMPLES: tuple[tuple[str, tuple[str, ...], str], ...] = (
    ("ladder", ("climb", "step", "rung"), "you lean it against a wall to reach the roof"),
    ("toothbrush", ("teeth", "brush", "paste"), "you use it every morning and night to keep your smile clean"),
)


def _example(forbidden: Sequence[str]) -> tuple[str, tuple[str, ...], str]:
    for word, taboo, clue in _EXAMPLES:
        text = " ".join((word, *taboo, clue))
        if find_taboo(text, forbidden) is None:
            return word, taboo, clue
    return _EXAMPLES[-1]


def _words(words: Sequence[str]) -> str:
    return ", ".join(f'"{w}"' for w in words)


def describer_instructions(target: str, taboo: Sequence[str], max_guesses: int) -> str:
    word, ex_taboo, ex_clue = _example([target, *taboo])
    return (
        "Let's play Taboo. You are the DESCRIBER.\n"
        f'The secret word is "{target}". Describe it so that your partner, the guesser, can find it.\n'
        f"You must not say the secret word or any of these taboo words, in any form (plural, -ing, -ed, ...): "
        f"{_words(taboo)}. Describe the meaning: spelling a word out or hinting at its letters, splitting it, "
        "gluing it to other words, accents or look-alike letters, and translations all count as saying it.\n"
        f"The guesser picks from a list of candidate words that you do not see, and has {max_guesses} guesses. "
        "It may ask you a question when two words seem equally likely; answer it with another clue.\n"
        "Reply with exactly one line in this format:\n"
        "CLUE: <your clue>\n"
        f'Example: for the word "{word}" with taboo words {_words(ex_taboo)}, a good reply is\n'
        f"CLUE: {ex_clue}"
    )


def guesser_instructions(max_guesses: int, candidates: Sequence[str]) -> str:
    word, _, ex_clue = _EXAMPLES[0]
    return (
        "Let's play Taboo. You are the GUESSER.\n"
        "The describer knows a secret English noun and gives you clues without saying it or its most "
        f"related words. The secret word is one of these {len(candidates)} words: {', '.join(candidates)}.\n"
        f"You have {max_guesses} guesses. A wrong guess costs a guess and brings another clue.\n"
        "Reply with exactly one line, either a guess of one word:\n"
        "GUESS: <word>\n"
        "or, if two words fit the clues equally well, a question to the describer, who answers with another "
        "clue (a question costs half a guess in your score):\n"
        "CLARIFY: <your question>\n"
        f'Example (with other words): after the clue "{ex_clue}", a good reply is\n'
        f"GUESS: {word}\n"
        "Here is the first clue."
    )


def relay_clue(clue: str) -> str:
    return f"CLUE: {clue}"


def restate(clue: str) -> str:
    """The teacher describer's answer once its clues have run out: one of them again, marked as such. It never
    turns to spelling ("N letters, starts with X"): a clue is about meaning, and a spelling hint would let a
    guesser that asks content-free questions read the word off it."""
    return f"Once more: {clue}"


# ------------------------------------------------------------------ feedback
def wrong_for_guesser(guess: str, left: int) -> str:
    return f'"{guess}" is not the word. You have {left} guess{"es" if left != 1 else ""} left.'


def wrong_for_describer(guess: str, left: int) -> str:
    return (f'The guesser guessed "{guess}": wrong. {left} guess{"es" if left != 1 else ""} left. '
            "Give another clue (CLUE: ...).")


def correct_for_guesser(target: str) -> str:
    return f'Correct! The word was "{target}".'


def correct_for_describer(target: str) -> str:
    return f'The guesser guessed "{target}": correct! Well described.'


def lost(guess: str, target: str) -> str:
    return f'"{guess}" is not the word either. No guesses left: the word was "{target}".'


# --------------------------------------------------------------- corrections
CLUE_FORMAT = ('Your reply has no clue. Reply with exactly one line that starts with "CLUE:", '
               'for example "CLUE: you lean it against a wall to reach the roof".')


def taboo_used(word: str, forbidden: Sequence[str]) -> str:
    return (f'Your clue uses the forbidden word "{word}" (or a form of it). Rephrase your clue without the '
            f"secret word or a taboo word ({_words(forbidden)}). Reply with one line: CLUE: <your clue>")


GUESSER_FORMAT = ('Reply with exactly one line: "GUESS: <one word>" (letters only, for example "GUESS: ladder") '
                  'or "CLARIFY: <your question>".')


def repeated_guess(word: str) -> str:
    return f'You already guessed "{word}" and it was wrong. Guess a different word.'
