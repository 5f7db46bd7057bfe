"""The guesswhat scorer: every score from the record alone (the instance params and the ``parse`` notes that
``apply`` writes on each move), so that a replayed record is scored exactly like the live one.
"""

from __future__ import annotations

import math
from typing import Any

from ..records import EpisodeRecord


def _optimal(n: int) -> int:
    return max(1, math.ceil(math.log2(max(2, n))))


def _notes(record: EpisodeRecord, role: str) -> list[dict[str, Any]]:
    """The notes of ``role``'s valid moves, in order."""
    return [t.parse or {} for t in record.turns
            if t.kind == "move" and t.speaker == role and (t.parse or {}).get("ok")]


def game_scores(record: EpisodeRecord) -> dict[str, float]:
    """``main`` and the game's own scores for the learner's role (see the card)."""
    asks = [n for n in _notes(record, "questioner") if n.get("act") == "question"]
    replies = _notes(record, "answerer")
    questions = sum(1 for n in replies if n.get("act") == "answer" and n.get("correct") is True)
    clarifications = sum(1 for t in record.turns if t.kind == "clarification" and t.to == "questioner")
    scores: dict[str, float] = {"questions": float(questions), "clarifications": float(clarifications)}
    if record.learner_role == "answerer":
        relayed = sum(1 for n in asks if n.get("relayed"))
        right = sum(1 for n in replies if n.get("first") is True and n.get("right") is True)
        if relayed:
            scores["answer_accuracy"] = round(right / relayed, 6)
        scores["ambiguous_questions"] = float(sum(1 for n in asks if n.get("vague")))
        # Every question must get the right first response: one wrong answer (or a yes/no to an ambiguous
        # question) would mislead the questioner, so partial credit would pay a blind answerer by chance.
        scores["main"] = 100.0 if relayed and right == relayed else 0.0
        return scores
    clear = [n for n in asks if not n.get("vague")]
    if clear:
        scores["information_gain"] = round(sum(float(n.get("split_entropy", 0.0)) for n in clear) / len(clear), 6)
    scores["uninformative_questions"] = float(sum(1 for n in clear if n.get("uninformative")))
    scores["settled_questions"] = float(sum(1 for n in clear if n.get("consistent") is False))
    n = len(record.instance.get("params", {}).get("candidates", ()))
    guess = next((g for g in _notes(record, "questioner") if g.get("act") == "guess"), None)
    if record.outcome != "success" or guess is None or n < 2:
        scores["main"] = 0.0
        return scores
    # The share of the bits needed (log2 N) that the answers had given when the questioner guessed: a guess
    # among R candidates still open is luck for the rest, so a guess without questions earns nothing.
    known = math.log2(n / max(1, int(guess.get("remaining", n)))) / math.log2(n)
    scores["found_by_questions"] = round(known, 6)
    scores["main"] = 100.0 * known * min(1.0, _optimal(n) / max(1, questions))
    return scores
