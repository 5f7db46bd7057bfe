"""The whole path of the Space's submit button: rate limit, checks, duplicate detection, re-scoring, storage,
and an audit row for every attempt."""

from __future__ import annotations

import logging
import traceback
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from .config import ArenaConfig
from .rescore import Rescored, fmt_score, rescore
from .strict_json import SubmissionError
from .submission import MAX_MODEL_NAME, Submission, parse_upload

if TYPE_CHECKING:
    from .db import ArenaDB

log = logging.getLogger(__name__)

@dataclass(frozen=True)
class UploadOutcome:
    """What happened to an upload. ``rescored``: the entry's numbers differ from the upload's claims (shown
    with ``differences``); ``tampered``: some claim was contradicted by the replay."""

    accepted: bool
    message: str
    entry_id: int | None = None
    submission_id: int | None = None
    rescored: bool = False
    tampered: bool = False
    differences: tuple[str, ...] = ()


def _model_name_problem(name: str) -> str | None:
    if not 1 <= len(name) <= MAX_MODEL_NAME or not name.isprintable():
        return f"the model name must be 1 to {MAX_MODEL_NAME} printable characters"
    return None


def _accepted_message(res: Rescored, sub: Submission) -> str:
    e = res.entry
    lines = [f"Re-scored by replaying {len(sub.records)} episode record(s) on the arena's {e.n_episodes} planned "
             f"episodes: collaborative language use {fmt_score(e.collab.score)}, understanding & reasoning "
             f"{fmt_score(e.understanding.score)} (self-reported), overall {fmt_score(e.overall.score)}."]
    if e.delta_collab is not None:
        lines.append(f"Improvement in collaborative language use over {e.base_model}: {fmt_score(e.delta_collab.score)}.")
    if e.missing_episodes or e.invalid_records:
        lines.append(f"{e.missing_episodes} planned episode(s) had no record and {e.invalid_records} record(s) "
                     "disagreed with their replay; they count as failures.")
    if res.differences:
        lines.append("Re-scored: " + "; ".join(res.differences) + ".")
    if res.tampered:
        lines.append("Claims the replay contradicts: " + "; ".join(res.problems[:5]) + ".")
    return " ".join(lines)


def handle_upload(db: ArenaDB, config: ArenaConfig, paths: Sequence[Path], *, visitor: str,
                  model_name: str) -> UploadOutcome:
    """Check, re-score and (when valid) store an upload; every attempt leaves one audit row, and a rejection
    leaves nothing else. Never raises for bad input or a failure while scoring: those are rejections."""
    from .db import DuplicateSubmissionError

    detail = ""
    try:
        outcome, detail, sub_id = _handle(db, config, paths, visitor, model_name.strip() if model_name else "",
                                          DuplicateSubmissionError)
    except Exception as exc:  # a fault of ours while scoring: the visitor gets a plain message, the audit the detail
        log.exception("submission from %s failed", visitor)
        detail = f"internal error: {type(exc).__name__}: {exc}\n{traceback.format_exc(limit=8)}"[:4000]
        outcome = UploadOutcome(False, "Your upload could not be scored because of an error on the arena's side; "
                                       "nothing was stored. Please try again later or report it.")
        sub_id = None
    db.audit(visitor=visitor, action="submit", outcome="accepted" if outcome.accepted else "rejected",
             detail=detail or outcome.message[:2000], submission_id=sub_id)
    return outcome


def _handle(db: ArenaDB, config: ArenaConfig, paths: Sequence[Path], visitor: str, model_name: str,
            duplicate_error: type[Exception]) -> tuple[UploadOutcome, str, int | None]:
    def reject(message: str) -> tuple[UploadOutcome, str, int | None]:
        return UploadOutcome(False, message), f"rejected: {message}"[:2000], None

    if not db.allow(visitor, "submit", config.submissions_per_hour):
        return reject(f"Too many submissions: at most {config.submissions_per_hour} per hour per visitor. Try "
                      "again later.")
    problem = _model_name_problem(model_name)
    if problem:
        return reject(problem[0].upper() + problem[1:] + ".")
    try:
        sub = parse_upload(paths, config)
    except SubmissionError as exc:
        return reject(str(exc))
    digest = sub.digest
    if db.is_duplicate(digest):
        return reject("This evaluation was already submitted (same results and records).")
    try:
        res = rescore(sub, config, model=model_name, reference_verified=False, source="upload")
    except SubmissionError as exc:
        return reject(str(exc))
    try:
        sub_id, entry_id = db.record_accepted(content_hash=digest, visitor=visitor, filename=sub.filename[:300],
                                              size=sub.size, entry=res.entry)
    except duplicate_error:  # the same content arrived twice at once; the other copy was stored
        return reject("This evaluation was already submitted (same results and records).")
    outcome = UploadOutcome(True, _accepted_message(res, sub), entry_id=entry_id, submission_id=sub_id,
                            rescored=res.rescored, tampered=res.tampered, differences=res.differences)
    detail = f"accepted entry {entry_id}; tampered={res.tampered}; " + " | ".join(res.problems)
    return outcome, detail[:4000], sub_id

