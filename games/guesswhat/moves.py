"""Parsing guesswhat replies into moves. Pure functions, shared by the live episode and the tests.

A reply may hold other text (a model thinking aloud), but exactly one move line: ``QUESTION: ...`` or
``GUESS: ...`` for the questioner, ``ANSWER: yes|no`` for the answerer. Keywords are case-insensitive, and
markdown decoration around them (``**QUESTION:**``, ``- GUESS:``) is forgiven.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

from ..episode import FormatError
from . import prompts

#: Longest question accepted: a yes/no question is one sentence; a longer one is a list of questions.
MAX_QUESTION_CHARS = 200
#: Longest guess accepted (the longest animal name in the table is far shorter).
MAX_GUESS_CHARS = 40

_DECOR = r"[ \t*_#>\-]*"
_QUESTIONER_RE = re.compile(rf"^{_DECOR}(QUESTION|GUESS)[*_ \t]*:[*_]*(.*)$", re.IGNORECASE | re.MULTILINE)
_ANSWER_RE = re.compile(rf"^{_DECOR}ANSWER[*_ \t]*:[*_]*(.*)$", re.IGNORECASE | re.MULTILINE)
# Quotes, emphasis and end punctuation around a guess or an answer are forgiven: "GUESS: **Penguin**." is fine.
_WRAPPING = " \t\"'`*_.,!?;:()[]"
_ARTICLE = re.compile(r"^(a|an|the)\s+", re.IGNORECASE)


@dataclass(frozen=True)
class Move:
    """A parsed reply: a ``question`` (its text), a ``guess`` (lower-case words) or an ``answer`` (yes/no)."""

    kind: Literal["question", "guess", "answer"]
    text: str


def parse_questioner(text: str) -> Move:
    matches = _QUESTIONER_RE.findall(text)
    if not matches:
        raise FormatError("Your reply has no QUESTION or GUESS line. " + prompts.QUESTIONER_FORMAT)
    if len(matches) > 1:
        raise FormatError("Your reply has more than one QUESTION/GUESS line: make one move per reply. "
                          + prompts.QUESTIONER_FORMAT)
    keyword, body = matches[0][0].upper(), matches[0][1].strip()
    if keyword == "QUESTION":
        if not body:
            raise FormatError("Your question is empty. " + prompts.QUESTIONER_FORMAT)
        if len(body) > MAX_QUESTION_CHARS:
            raise FormatError(f"Your question is {len(body)} characters long; ask one short question (at most "
                              f"{MAX_QUESTION_CHARS} characters). " + prompts.QUESTIONER_FORMAT)
        return Move("question", body)
    guess = " ".join(_ARTICLE.sub("", body.strip(_WRAPPING)).split()).lower()
    if not guess:
        raise FormatError("Your guess names no animal. " + prompts.QUESTIONER_FORMAT)
    if len(guess) > MAX_GUESS_CHARS:
        raise FormatError("A guess is the name of one animal. " + prompts.QUESTIONER_FORMAT)
    return Move("guess", guess)


def parse_answerer(text: str) -> Move:
    matches = _ANSWER_RE.findall(text)
    if len(matches) != 1:
        problem = "Your reply has no ANSWER line." if not matches else "Your reply has more than one ANSWER line."
        raise FormatError(f"{problem} {prompts.ANSWERER_FORMAT}")
    answer = matches[0].strip(_WRAPPING).lower()
    if answer not in ("yes", "no"):
        raise FormatError(f"The answer must be yes or no. {prompts.ANSWERER_FORMAT}")
    return Move("answer", answer)
