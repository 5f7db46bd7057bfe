"""The arena's submission checker: a real ``playschool eval`` output is accepted with exactly the numbers the
eval computed; hostile uploads are refused with a readable reason and store nothing but an audit row; edited
claims are re-scored by replay, never believed; duplicates, the rate limit and zip bombs are handled."""

from __future__ import annotations

import json
import os
import tracemalloc
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from arena_hostile import CLAIMED, deflate_zeros_bomb, hostile_uploads, tampered_uploads
from playschool.arena import submission
from playschool.arena import upload as upload_module
from playschool.arena.archive import CHUNK, RECORDS, UnpackLimitError, read_upload
from playschool.arena.config import ArenaConfig
from playschool.arena.db import ArenaDB
from playschool.arena.entry import Interval
from playschool.arena.rescore import rescore, verify, verify_results_dir
from playschool.arena.strict_json import SubmissionError, loads_strict
from playschool.arena.submission import content_hash, parse_upload
from playschool.arena.upload import handle_upload

GAMES = ("wordle", "reference")
SEED, N_BOOT = 0, 200
OFFLINE = {"HF_HUB_OFFLINE": "1", "HF_DATASETS_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1"}
GENERIC = "error on the arena's side"


@pytest.fixture(scope="module")
def eval_dir(tiny_model_path: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The tiny model evaluated (learner and base) on two games, one test instance per experiment."""
    from playschool.cli import main

    out = tmp_path_factory.mktemp("arena-eval") / "eval"
    spec = f"hf:{tiny_model_path}"
    with pytest.MonkeyPatch.context() as mp:
        for k, v in OFFLINE.items():
            mp.setenv(k, v)
        code = main(["eval", "--learner", spec, "--base", spec, "--games", *GAMES, "--n", "1", "--limit", "2",
                     "--device", "cpu", "--seed", str(SEED), "--n-boot", str(N_BOOT), "--out", str(out), "--quiet"])
    assert code == 0
    assert (out / RECORDS).is_file() and (out / "base" / RECORDS).is_file()
    return out


@pytest.fixture()
def config(tmp_path: Path) -> ArenaConfig:
    """The eval's plan and bootstrap, with small limits so the size cases stay cheap."""
    return ArenaConfig(db_path=tmp_path / "arena.db", games=GAMES, n=1, instance_seed=0, n_boot=N_BOOT, seed=SEED,
                       max_upload_bytes=1 << 20, max_unpacked_bytes=4 << 20, max_archive_members=64, max_records=50,
                       submissions_per_hour=10_000)


@pytest.fixture()
def db(config: ArenaConfig) -> Iterator[ArenaDB]:
    with ArenaDB(config.db_path) as arena_db:
        yield arena_db


def zip_folder(folder: Path, dest: Path, *, top: str | None = "eval",
               compression: int = zipfile.ZIP_DEFLATED) -> Path:
    """Zip an eval output folder the way a visitor would (every file, under one top-level folder or not)."""
    with zipfile.ZipFile(dest, "w", compression) as zf:
        for p in sorted(folder.rglob("*")):
            if p.is_file():
                rel = p.relative_to(folder).as_posix()
                zf.write(p, f"{top}/{rel}" if top else rel)
    return dest


def _results(eval_dir: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((eval_dir / "results.json").read_text())
    return data


# ----------------------------------------------------------------------------------------------- valid
def test_a_real_eval_output_is_accepted_with_exactly_the_evals_numbers(eval_dir: Path, config: ArenaConfig,
                                                                         db: ArenaDB, tmp_path: Path) -> None:
    before = db.counts()
    upload = zip_folder(eval_dir, tmp_path / "eval.zip")
    out = handle_upload(db, config, [upload], visitor="ip:1", model_name="tiny-sft")
    assert out.accepted, out.message
    assert not out.rescored and not out.tampered and out.differences == ()
    after = db.counts()
    assert {k: after[k] - before[k] for k in ("submissions", "entries", "audit")} == \
        {"submissions": 1, "entries": 1, "audit": 1}
    assert db.audit_rows(1)[0]["outcome"] == "accepted" and db.audit_rows(1)[0]["submission_id"] == out.submission_id

    data = _results(eval_dir)
    card, imp = data["scorecard"], data["improvement"]
    entry = verify(parse_upload([upload], config), config, model="tiny-sft", reference_verified=False,
                   source="upload")
    assert entry.understanding == Interval.of(card["dimensions"]["understanding_reasoning"])
    assert entry.collab == Interval.of(card["dimensions"]["collaborative_language_use"])
    assert entry.overall == Interval.of(card["overall"])
    assert entry.delta_collab == Interval.of(imp["dimensions"]["collaborative_language_use"])
    assert entry.collab.score is not None and entry.collab.lo is not None  # numbers, not empty intervals
    assert entry.games == {tid: t["normalised"] for tid, t in card["tasks"].items() if tid.startswith("game/")}
    assert set(entry.games) == {"game/wordle/guesser", "game/wordle/critic", "game/reference/listener",
                                "game/reference/speaker"}
    assert (entry.n_episodes, entry.invalid_records, entry.missing_episodes) == (9, 0, 0)
    assert not entry.reference_verified and entry.source == "upload" and entry.base_model == data["base"]["learner"]
    row = db.entries()[-1]
    assert row["id"] == out.entry_id and row["model"] == "tiny-sft"
    assert (row["collab_score"], row["collab_lo"], row["collab_hi"]) == (entry.collab.score, entry.collab.lo,
                                                                        entry.collab.hi)
    assert row["content_hash"] == entry.content_hash


def test_loose_files_give_the_same_entry_as_the_zip(eval_dir: Path, config: ArenaConfig, tmp_path: Path) -> None:
    loose = tmp_path / "loose"
    loose.mkdir()
    for name, part in (("results.json", "results.json"), ("records.jsonl", RECORDS),
                       ("base_records.jsonl", f"base/{RECORDS}")):
        (loose / name).write_bytes((eval_dir / part).read_bytes())
    a = parse_upload(sorted(loose.iterdir()), config)
    b = parse_upload([zip_folder(eval_dir, tmp_path / "e.zip", top=None)], config)
    assert content_hash(a) == content_hash(b)
    kw: dict[str, Any] = {"model": "m", "reference_verified": False, "source": "upload"}
    assert verify(a, config, **kw) == verify(b, config, **kw)


def test_the_worker_verifies_an_output_folder(eval_dir: Path, config: ArenaConfig) -> None:
    entry = verify_results_dir(eval_dir, config, reference_verified=True)
    data = _results(eval_dir)
    assert entry.model == data["manifest"]["learner"] and entry.source == "worker"
    assert entry.reference_verified and entry.verified
    assert entry.overall == Interval.of(data["scorecard"]["overall"])


def test_without_base_records_there_is_no_improvement(eval_dir: Path, config: ArenaConfig, tmp_path: Path) -> None:
    loose = tmp_path / "nobase"
    loose.mkdir()
    (loose / "results.json").write_bytes((eval_dir / "results.json").read_bytes())
    (loose / "records.jsonl").write_bytes((eval_dir / RECORDS).read_bytes())
    entry = verify(parse_upload(sorted(loose.iterdir()), config), config, model="m", reference_verified=False,
                   source="upload")
    assert entry.delta_collab is None and entry.base_model is None
    assert entry.collab == Interval.of(_results(eval_dir)["scorecard"]["dimensions"]["collaborative_language_use"])


def test_records_outside_the_plan_are_ignored_and_missing_ones_fail(eval_dir: Path, config: ArenaConfig) -> None:
    from dataclasses import replace

    sub = submission.read_results_dir(eval_dir)
    wordle_only = replace(config, games=("wordle",))
    entry = verify(sub, wordle_only, model="m", reference_verified=False, source="upload")
    assert entry.n_episodes == 3 and set(entry.games) == {"game/wordle/guesser", "game/wordle/critic"}
    more = replace(config, n=2)  # twice the instances: the eval's records cover half the plan
    entry = verify(sub, more, model="m", reference_verified=False, source="upload")
    assert entry.n_episodes == 18 and entry.missing_episodes == 9


# --------------------------------------------------------------------------------------------- hostile
# What the refusal of some uploads must say (every refusal is also checked to be specific, not generic).
EXPECT = {
    "results-nan": "NaN", "results-1e999": "1e999", "results-pickle": "pickle", "results-utf16": "UTF-16",
    "results-duplicate-item": "appears twice", "results-wrong-clu2-version": "CLU2 9.9.9",
    "results-wrong-fingerprint": "fingerprint", "results-unknown-task": "unknown CLU2 task",
    "results-game-score-above-100": "outside", "results-deep-nesting-100000": "deep",
    "results-over-upload-limit": "more than", "records-duplicate-episode": "recorded twice",
    "records-truncated": "line 9", "records-teacher-played-the-learner": "roles",
    "records-train-split": "test split", "records-unknown-game": "unknown game", "records-too-many": "51 records",
    "records-other-instance-seed": "another instance", "tar-gz": "only .zip", "zip-dotdot-traversal": "'..'",
    "zip-absolute-path": "absolute", "zip-drive-letter": "drive letter", "zip-backslash": "backslash",
    "zip-symlink-member": "symbolic link", "zip-duplicate-member": "twice", "zip-nested-zip": "nested",
    "zip-encrypted-flag": "encrypted", "zip-too-many-members": "members", "zip-bomb-records": "zip bomb",
    "zip-bomb-results": "zip bomb", "zip-lying-size": "damaged", "zip-bzip2-member": "compression method",
    "zip-over-upload-limit": "more than", "zip-member-count-lies": "central directory",
}


def test_hostile_uploads_are_refused_and_store_nothing(eval_dir: Path, config: ArenaConfig, db: ArenaDB,
                                                         tmp_path: Path) -> None:
    cases = hostile_uploads(tmp_path / "hostile", eval_dir, config)
    labels = [label for label, _ in cases]
    assert len(cases) >= 50 and len(set(labels)) == len(labels)
    assert set(EXPECT) <= set(labels)
    before = db.counts()
    wrong = []
    for n, (label, paths) in enumerate(cases, start=1):
        out = handle_upload(db, config, paths, visitor="ip:hostile", model_name="evil")
        fragment = EXPECT.get(label, "")
        if out.accepted or out.entry_id is not None or GENERIC in out.message or fragment not in out.message \
                or len(out.message) < 15:
            wrong.append(f"{label}: accepted={out.accepted} {out.message[:200]}")
        counts = db.counts()
        assert (counts["submissions"], counts["entries"]) == (before["submissions"], before["entries"]), label
        assert counts["audit"] == before["audit"] + n, label
        row = db.audit_rows(1)[0]
        assert row["outcome"] == "rejected" and row["submission_id"] is None, label
    assert not wrong, "\n".join(wrong)


def test_tampered_claims_are_rescored_never_believed(eval_dir: Path, config: ArenaConfig, db: ArenaDB,
                                                      tmp_path: Path) -> None:
    honest = verify_results_dir(eval_dir, config, reference_verified=False)
    edited_records = {"record-scores-edited", "record-outcome-edited", "record-move-text-edited",
                      "record-feedback-text-edited", "record-turn-removed"}
    cases = tampered_uploads(tmp_path / "tampered", eval_dir, config)
    assert edited_records <= {label for label, _ in cases}
    for label, paths in cases:
        before = db.counts()
        out = handle_upload(db, config, paths, visitor="ip:tamper", model_name="cheat")
        assert out.accepted, f"{label}: {out.message}"
        assert out.tampered and out.rescored, label
        assert any("claimed 95.0" in d for d in out.differences), label
        row = db.entries()[-1]
        assert row["id"] == out.entry_id
        for name in ("collab", "overall", "delta_collab"):
            assert row[f"{name}_score"] != CLAIMED, (label, name)
        # Editing a record can only lose: it replays as invalid and scores 0, every other claim is ignored.
        assert row["collab_score"] <= honest.collab.score + 1e-9, label
        if label in edited_records:
            assert row["invalid_records"] == 1, label
        if label == "record-dropped":
            assert row["missing_episodes"] == 1, label
        if label.startswith("results-"):
            assert row["collab_score"] == honest.collab.score and row["overall_score"] == honest.overall.score
        assert db.counts()["entries"] == before["entries"] + 1


def test_an_edited_record_scores_zero_for_its_episode(eval_dir: Path, config: ArenaConfig, tmp_path: Path) -> None:
    cases = dict(tampered_uploads(tmp_path / "t", eval_dir, config))
    res = rescore(parse_upload(cases["record-scores-edited"], config), config, model="m", reference_verified=False,
                  source="upload")
    assert res.entry.invalid_records == 1
    assert any("disagrees with its replay" in p and "scores differ" in p for p in res.problems)


def test_the_same_content_rezipped_is_a_duplicate(eval_dir: Path, config: ArenaConfig, db: ArenaDB,
                                                  tmp_path: Path) -> None:
    first = handle_upload(db, config, [zip_folder(eval_dir, tmp_path / "a.zip")], visitor="ip:1", model_name="m")
    assert first.accepted, first.message
    before = db.counts()
    again = [zip_folder(eval_dir, tmp_path / "b.zip", top="renamed", compression=zipfile.ZIP_STORED),
             zip_folder(eval_dir, tmp_path / "c.zip", top=None)]
    for upload in again:
        out = handle_upload(db, config, [upload], visitor="ip:2", model_name="other name")
        assert not out.accepted and "already submitted" in out.message
    counts = db.counts()
    assert (counts["submissions"], counts["entries"], counts["audit"]) == \
        (before["submissions"], before["entries"], before["audit"] + 2)


def test_a_concurrent_duplicate_is_refused_by_the_database(eval_dir: Path, config: ArenaConfig, db: ArenaDB,
                                                          tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    upload = zip_folder(eval_dir, tmp_path / "a.zip")
    assert handle_upload(db, config, [upload], visitor="ip:1", model_name="m").accepted
    monkeypatch.setattr(db, "is_duplicate", lambda digest: False)  # the other upload checked before this one landed
    out = handle_upload(db, config, [upload], visitor="ip:1", model_name="m")
    assert not out.accepted and "already submitted" in out.message
    assert db.counts()["submissions"] == 1


def test_rate_limit(eval_dir: Path, config: ArenaConfig, tmp_path: Path) -> None:
    from dataclasses import replace

    limited = replace(config, submissions_per_hour=2)
    upload = [zip_folder(eval_dir, tmp_path / "a.zip")]
    with ArenaDB(limited.db_path) as db:
        assert handle_upload(db, limited, upload, visitor="ip:1", model_name="m").accepted
        assert not handle_upload(db, limited, upload, visitor="ip:1", model_name="m").accepted  # duplicate
        out = handle_upload(db, limited, upload, visitor="ip:1", model_name="m")
        assert not out.accepted and "Too many submissions" in out.message
        assert "Too many" not in handle_upload(db, limited, upload, visitor="ip:2", model_name="m").message
        assert db.audit_rows(2)[1]["detail"].startswith("rejected: Too many submissions")


@pytest.mark.parametrize("name", ["", "   ", "x" * 101, "bad\nname", "nul\x00"])
def test_model_name_is_checked(eval_dir: Path, config: ArenaConfig, db: ArenaDB, tmp_path: Path, name: str) -> None:
    out = handle_upload(db, config, [zip_folder(eval_dir, tmp_path / "a.zip")], visitor="ip:1", model_name=name)
    assert not out.accepted and "model name" in out.message
    assert db.counts()["submissions"] == 0


def test_a_fault_while_scoring_is_a_rejection_with_the_detail_audited(
        eval_dir: Path, config: ArenaConfig, db: ArenaDB, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("replay exploded")

    monkeypatch.setattr(upload_module, "rescore", broken)
    out = handle_upload(db, config, [zip_folder(eval_dir, tmp_path / "a.zip")], visitor="ip:1", model_name="m")
    assert not out.accepted and GENERIC in out.message and "exploded" not in out.message
    row = db.audit_rows(1)[0]
    assert row["outcome"] == "rejected" and "RuntimeError: replay exploded" in row["detail"]
    assert (db.counts()["submissions"], db.counts()["entries"]) == (0, 0)


# ------------------------------------------------------------------------------------------- zip bombs
def test_a_zip_bomb_is_stopped_at_the_limit_without_unpacking_it(eval_dir: Path, config: ArenaConfig,
                                                                 tmp_path: Path) -> None:
    from dataclasses import replace

    limited = replace(config, max_upload_bytes=4 << 20, max_unpacked_bytes=8 << 20)
    bomb = deflate_zeros_bomb(tmp_path / "bomb.zip", 1 << 30, [("results.json", (eval_dir / "results.json")
                                                                .read_bytes())], RECORDS)
    assert bomb.stat().st_size < limited.max_upload_bytes  # 1 GiB of zeros in about 1 MiB
    tracemalloc.start()
    try:
        with pytest.raises(UnpackLimitError) as info:
            read_upload([bomb], limited)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert limited.max_unpacked_bytes < info.value.unpacked <= limited.max_unpacked_bytes + CHUNK
    assert peak < 2 * limited.max_unpacked_bytes


def test_a_bomb_in_a_member_the_arena_does_not_read_is_never_unpacked(eval_dir: Path, config: ArenaConfig,
                                                                      tmp_path: Path) -> None:
    members = [(name, (eval_dir / name).read_bytes()) for name in ("results.json", RECORDS)]
    bomb = deflate_zeros_bomb(tmp_path / "bomb.zip", 64 * config.max_unpacked_bytes, members, "report.html")
    sub = parse_upload([bomb], config)
    assert len(sub.records) == 9 and sub.base_records is None


# ---------------------------------------------------------------------------------------- strict JSON
@pytest.mark.parametrize("text", [b"NaN", b"[Infinity]", b'{"a": -Infinity}', b"1e400", b'{"a": 1, "a": 2}',
                                  b"[" * 70 + b"]" * 70, b"1" * 41, b"\xef\xbb\xbf{}", b"", b"{} {}"])
def test_strict_json_refuses(text: bytes) -> None:
    with pytest.raises(SubmissionError, match="x.json"):
        loads_strict(text, "x.json")


def test_strict_json_reads_plain_json() -> None:
    assert loads_strict(b'{"a": [1, 2.5, "\\u00e9"], "b": null}', "x") == {"a": [1, 2.5, "é"], "b": None}


def test_files_over_the_limit_are_refused_before_reading(config: ArenaConfig, tmp_path: Path,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    big = tmp_path / "results.json"
    with big.open("wb") as fh:
        fh.truncate(config.max_upload_bytes + 1)  # sparse: nothing written
    monkeypatch.setattr(Path, "read_bytes", lambda self: pytest.fail(f"{self} was read"))
    with pytest.raises(SubmissionError, match="more than"):
        parse_upload([big], config)
    assert os.path.getsize(big) == config.max_upload_bytes + 1


def _as_zip64(data: bytes, *, entries: int | None = None) -> bytes:
    """The same archive with a zip64 end record (what large archives carry), declaring ``entries`` members."""
    import struct

    end = data.rfind(b"PK\x05\x06")
    _, _, n_disk, n_total, cd_size, cd_offset, _ = struct.unpack_from("<HHHHIIH", data, end + 4)
    n = n_total if entries is None else entries
    record = struct.pack("<IQHHIIQQQQ", 0x06064B50, 44, 45, 45, 0, 0, n, n, cd_size, cd_offset)
    locator = struct.pack("<IIQI", 0x07064B50, 0, end, 1)
    eocd = struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, 0xFFFF, 0xFFFF, 0xFFFFFFFF, 0xFFFFFFFF, 0)
    return data[:end] + record + locator + eocd


def test_zip64_archives_are_read_and_their_member_count_checked(eval_dir: Path, config: ArenaConfig,
                                                                tmp_path: Path) -> None:
    plain = zip_folder(eval_dir, tmp_path / "plain.zip").read_bytes()
    ok = tmp_path / "zip64.zip"
    ok.write_bytes(_as_zip64(plain))
    assert len(parse_upload([ok], config).records) == 9
    lying = tmp_path / "many.zip"
    lying.write_bytes(_as_zip64(plain, entries=10**12))
    with pytest.raises(SubmissionError, match="members, more than"):
        parse_upload([lying], config)
