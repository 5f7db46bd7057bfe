"""Parsing guesswhat replies into moves with the Playpen's one move grammar (``games/grammar.py``).

The grammar decides what a move line is (exactly one per reply, chatter around it ignored, Markdown
decoration forgiven); this module keeps only guesswhat's keywords and what their bodies mean:
``QUESTION: <question>`` or ``GUESS: <animal>`` for the questioner, ``ANSWER: yes|no`` or
``CLARIFY: <question back>`` for the answerer.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

from ..episode import FormatError
from ..grammar import body, find_move, strip_wrapping
from . import prompts

QUESTIONER_KEYWORDS = ("QUESTION", "GUESS")
ANSWERER_KEYWORDS = ("ANSWER", "CLARIFY")
#: Longest question accepted: a yes/no question is one sentence; a longer one is a list of questions.
MAX_QUESTION_CHARS = 200
#: Longest guess accepted (the longest animal name in the table is far shorter).
MAX_GUESS_CHARS = 40
#: Longest clarification request accepted: one short question back.
MAX_CLARIFY_CHARS = 300

_ARTICLE = re.compile(r"^(a|an|the)\s+", re.IGNORECASE)


@dataclass(frozen=True)
class Move:
    """A parsed reply: a ``question`` (its text), a ``guess`` (lower-case words), an ``answer`` (yes/no) or a
    ``clarify`` request (its text)."""

    kind: Literal["question", "guess", "answer", "clarify"]
    text: str


def parse_questioner(text: str) -> Move:
    fmt = prompts.QUESTIONER_FORMAT
    line = find_move(text, QUESTIONER_KEYWORDS, fmt=fmt)
    if line.keyword == "QUESTION":
        return Move("question", body(line, what="question", limit=MAX_QUESTION_CHARS, fmt=fmt))
    guess = " ".join(_ARTICLE.sub("", strip_wrapping(line.body)).split()).lower()
    if not guess:
        raise FormatError("Your guess names no animal. " + fmt)
    if len(guess) > MAX_GUESS_CHARS:
        raise FormatError("A guess is the name of one animal. " + fmt)
    return Move("guess", guess)


def parse_answerer(text: str) -> Move:
    fmt = prompts.ANSWERER_FORMAT
    line = find_move(text, ANSWERER_KEYWORDS, fmt=fmt)
    if line.keyword == "CLARIFY":
        return Move("clarify", body(line, what="clarification request", limit=MAX_CLARIFY_CHARS, fmt=fmt))
    answer = strip_wrapping(line.body).lower()
    if answer not in ("yes", "no"):
        raise FormatError(f"The answer must be yes or no. {fmt}")
    return Move("answer", answer)
