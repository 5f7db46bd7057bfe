"""Hostile uploads for the arena's submission checker, built from one valid ``playschool eval`` output folder.

:func:`hostile_uploads` gives uploads the arena must refuse (each with a label saying what is wrong);
:func:`tampered_uploads` gives uploads whose claims were edited but whose shape is valid: the arena accepts
them with numbers it recomputed by replay, never the claimed ones (every tampered upload claims
:data:`CLAIMED` for the collaborative dimension and overall). Limits (sizes, members, records) are taken from
the config the caller passes, so tests keep them small instead of writing gigabytes.

Used by the submission tests and by the Space's end-to-end tests: keep the signatures.
"""

from __future__ import annotations

import copy
import io
import json
import pickle
import stat
import struct
import tarfile
import warnings
import zipfile
import zlib
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

#: What every tampered upload claims for the collaborative dimension and overall.
CLAIMED = 95.0
RECORDS = "interactional/records.jsonl"
BASE_RECORDS = "base/interactional/records.jsonl"

Upload = tuple[str, list[Path]]


# ------------------------------------------------------------------------------------------------ helpers
class _Valid:
    """The valid folder's bytes and parsed parts, to derive variants from."""

    def __init__(self, valid_dir: Path) -> None:
        self.results_bytes = (valid_dir / "results.json").read_bytes()
        self.records_bytes = (valid_dir / RECORDS).read_bytes()
        base = valid_dir / BASE_RECORDS
        self.base_bytes = base.read_bytes() if base.is_file() else None
        self.results: dict[str, Any] = json.loads(self.results_bytes)
        self.records: list[dict[str, Any]] = [json.loads(x) for x in self.records_bytes.splitlines() if x.strip()]

    def results_with(self, edit: Callable[[dict[str, Any]], Any]) -> bytes:
        data = copy.deepcopy(self.results)
        edit(data)
        return json.dumps(data).encode()

    def records_with(self, edit: Callable[[list[dict[str, Any]]], Any]) -> bytes:
        recs = copy.deepcopy(self.records)
        edit(recs)
        return b"".join(json.dumps(r).encode() + b"\n" for r in recs)


def _folder(tmp: Path, label: str) -> Path:
    d = tmp / label
    d.mkdir(parents=True, exist_ok=False)
    return d


def _loose(tmp: Path, label: str, files: dict[str, bytes]) -> Upload:
    d = _folder(tmp, label)
    paths = []
    for name, data in files.items():
        p = d / name
        p.write_bytes(data)
        paths.append(p)
    return label, paths


def _zip(tmp: Path, label: str, members: Sequence[tuple[str | zipfile.ZipInfo, bytes]],
         name: str = "upload.zip") -> Upload:
    p = _folder(tmp, label) / name
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # zipfile warns about the duplicate names some cases need
        with zipfile.ZipFile(p, "w", zipfile.ZIP_DEFLATED) as zf:
            for member, data in members:
                zf.writestr(member, data)
    return label, [p]


def _patch(path: Path, signature: bytes, offset: int, fmt: str, value: int) -> None:
    """Overwrite a field of every zip header with ``signature`` (local or central) in place."""
    raw = bytearray(path.read_bytes())
    start = 0
    while (at := raw.find(signature, start)) >= 0:
        struct.pack_into(fmt, raw, at + offset, value)
        start = at + 4
    path.write_bytes(bytes(raw))


def deflate_zeros_bomb(path: Path, unpacked: int, members: list[tuple[str, bytes]], bomb_name: str) -> Path:
    """A zip whose ``bomb_name`` member inflates to ``unpacked`` zero bytes from about unpacked/1000 bytes, built
    without compressing that much: one deflated MiB of zeros, ended by a full flush, repeats byte for byte.
    The other ``members`` are stored. The bomb's CRC is left 0 (a reader that stops early never checks it)."""
    mib = 1 << 20
    comp = zlib.compressobj(9, zlib.DEFLATED, -15)
    block = comp.compress(bytes(mib)) + comp.flush(zlib.Z_FULL_FLUSH)
    tail = comp.flush(zlib.Z_FINISH)
    entries = [(n.encode(), 0, zlib.crc32(d), d, len(d)) for n, d in members]
    out = io.BytesIO()
    central = []
    for name, method, crc, data, size in entries:
        central.append((name, method, crc, len(data), size, out.tell()))
        out.write(struct.pack("<IHHHHHIIIHH", 0x04034B50, 20, 0, method, 0, 0, crc, len(data), size, len(name), 0))
        out.write(name + data)
    name = bomb_name.encode()
    full, rest = divmod(unpacked, mib)
    last = zlib.compressobj(9, zlib.DEFLATED, -15)
    rest_data = (last.compress(bytes(rest)) + last.flush()) if rest else tail
    comp_size = len(block) * full + len(rest_data)
    central.append((name, 8, 0, comp_size, unpacked, out.tell()))
    out.write(struct.pack("<IHHHHHIIIHH", 0x04034B50, 20, 0, 8, 0, 0, 0, comp_size, unpacked, len(name), 0))
    out.write(name)
    for _ in range(full):
        out.write(block)
    out.write(rest_data)
    cd_start = out.tell()
    for name, method, crc, csize, size, offset in central:
        out.write(struct.pack("<IHHHHHHIIIHHHHHII", 0x02014B50, 20, 20, 0, method, 0, 0, crc, csize, size,
                              len(name), 0, 0, 0, 0, 0, offset))
        out.write(name)
    cd_size = out.tell() - cd_start
    out.write(struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, len(central), len(central), cd_size, cd_start, 0))
    path.write_bytes(out.getvalue())
    return path


def _nested(depth: int) -> str:
    return "[" * depth + "]" * depth


def _learner_move(rec: dict[str, Any]) -> dict[str, Any]:
    return next(t for t in rec["turns"] if t["kind"] == "move" and t["speaker"] == rec["learner_role"])


def _claim(data: dict[str, Any]) -> None:
    """Make results.json claim :data:`CLAIMED` for the collaborative dimension and overall."""
    data["scorecard"]["dimensions"]["collaborative_language_use"]["score"] = CLAIMED
    data["scorecard"]["overall"]["score"] = CLAIMED
    if data.get("improvement"):
        data["improvement"]["dimensions"]["collaborative_language_use"]["delta"] = CLAIMED


# ------------------------------------------------------------------------------------------------ hostile
def hostile_uploads(tmp: Path, valid_dir: Path, config: Any) -> list[Upload]:
    """At least 50 labelled uploads the arena must refuse, each a list of files as a browser would upload them
    (``results.json`` + ``records.jsonl`` loose, or one archive). ``config``: an ``ArenaConfig`` whose limits
    the size cases exceed."""
    v = _Valid(valid_dir)
    R, REC = v.results_bytes, v.records_bytes
    out: list[Upload] = []

    def results_case(label: str, results: bytes) -> None:
        out.append(_loose(tmp, label, {"results.json": results, "records.jsonl": REC}))

    def records_case(label: str, records: bytes) -> None:
        out.append(_loose(tmp, label, {"results.json": R, "records.jsonl": records}))

    def first_record(edit: Callable[[dict[str, Any]], Any]) -> bytes:
        return v.records_with(lambda recs: edit(recs[0]))

    def main_literal(literal: bytes) -> bytes:
        """records.jsonl with the first record's main score written as ``literal``."""
        return first_record(lambda r: r["scores"].update(main="__MAIN__")).replace(b'"__MAIN__"', literal)

    def item(edit: Callable[[dict[str, Any]], Any], n: int = 0) -> bytes:
        return v.results_with(lambda d: edit(d["items"][n]))

    ref = next(n for n, i in enumerate(v.results["items"]) if i["task"].startswith("ref/"))
    game = next(n for n, i in enumerate(v.results["items"]) if i["task"].startswith("game/"))

    def score_literal(literal: bytes) -> bytes:
        """results.json with a reference item's score written as ``literal`` (what json.dumps cannot write)."""
        return item(lambda i: i.update(score="__SCORE__"), ref).replace(b'"__SCORE__"', literal)

    # results.json: syntax, encoding and type confusion
    results_case("results-malformed-json", b'{"schema": 1, "items": [')
    results_case("results-truncated", R[: len(R) // 2])
    results_case("results-empty", b"")
    results_case("results-whitespace-only", b" \n\t\n")
    results_case("results-not-an-object", b"[1, 2, 3]")
    results_case("results-a-string", b'"results"')
    results_case("results-utf16", R.decode().encode("utf-16"))
    results_case("results-invalid-utf8", R[:100] + b"\xff\xfe\xfa" + R[100:])
    results_case("results-pickle", pickle.dumps(v.results))
    results_case("results-binary-junk", bytes((i * 151 + 7) % 256 for i in range(4096)))
    results_case("results-zip-bytes", _zip_bytes({"results.json": R}))
    results_case("results-nan", score_literal(b"NaN"))
    results_case("results-infinity", score_literal(b"Infinity"))
    results_case("results-minus-infinity", score_literal(b"-Infinity"))
    results_case("results-1e999", score_literal(b"1e999"))
    results_case("results-huge-integer", score_literal(b"9" * 5000))
    results_case("results-duplicate-json-key", b'{"schema": 1, "schema": 2, ' + R.lstrip()[1:])
    results_case("results-deep-nesting-100", v.results_with(
        lambda d: d["manifest"].update(junk="__NEST__")).replace(b'"__NEST__"', _nested(100).encode()))
    results_case("results-deep-nesting-100000", v.results_with(
        lambda d: d["manifest"].update(junk="__NEST__")).replace(b'"__NEST__"', _nested(100_000).encode()))
    results_case("results-over-upload-limit", R.rstrip()[:-1] + b" " * (config.max_upload_bytes + 1) + b"}")
    # results.json: schema
    results_case("results-schema-2", v.results_with(lambda d: d.update(schema=2)))
    results_case("results-schema-as-string", v.results_with(lambda d: d.update(schema="1")))
    results_case("results-missing-items", v.results_with(lambda d: d.pop("items")))
    results_case("results-missing-manifest", v.results_with(lambda d: d.pop("manifest")))
    results_case("results-missing-scorecard", v.results_with(lambda d: d.pop("scorecard")))
    results_case("results-missing-fingerprint", v.results_with(lambda d: d.pop("registry_fingerprint")))
    results_case("results-items-not-a-list", v.results_with(lambda d: d.update(items={"a": 1})))
    results_case("results-item-not-an-object", v.results_with(lambda d: d["items"].append("item")))
    results_case("results-item-missing-score", item(lambda i: i.pop("score")))
    results_case("results-item-score-is-text", item(lambda i: i.update(score="high"), ref))
    results_case("results-item-score-is-bool", item(lambda i: i.update(score=True), ref))
    results_case("results-item-task-not-text", item(lambda i: i.update(task=7), ref))
    results_case("results-item-details-not-object", item(lambda i: i.update(details=[1]), ref))
    results_case("results-manifest-not-object", v.results_with(lambda d: d.update(manifest=[1])))
    results_case("results-base-not-object", v.results_with(lambda d: d.update(base=[1])))
    results_case("results-base-items-malformed", v.results_with(lambda d: d.update(base={"items": [{"task": 1}]})))
    results_case("results-wrong-clu2-version", v.results_with(lambda d: d.update(clu2_version="9.9.9")))
    results_case("results-wrong-fingerprint", v.results_with(lambda d: d.update(registry_fingerprint="0" * 64)))
    results_case("results-unknown-task", item(lambda i: i.update(task="ref/made_up"), ref))
    results_case("results-extra-task-claims-reference", v.results_with(lambda d: (
        d.update(extra_tasks={"ref/mine": {"id": "ref/mine", "plane": "reference", "dimension":
                                           "understanding_reasoning", "metric": "acc", "random_baseline": 0,
                                           "ceiling": 1}}),
        d["items"].append({"task": "ref/mine", "item_id": "x", "score": 1.0}))))
    results_case("results-reference-score-above-ceiling", item(lambda i: i.update(score=5.0), ref))
    results_case("results-negative-score", item(lambda i: i.update(score=-1.0), ref))
    results_case("results-game-score-above-100", item(lambda i: i.update(score=1000.0), game))
    results_case("results-duplicate-item", v.results_with(lambda d: d["items"].append(copy.deepcopy(d["items"][ref]))))

    # records.jsonl
    records_case("records-malformed-line", REC + b'{"game": "wordle-v2", \n')
    records_case("records-truncated", REC[: len(REC) - len(REC.splitlines()[-1]) // 2 - 1])
    records_case("records-line-not-an-object", b"[1, 2]\n" + REC)
    records_case("records-empty", b"")
    records_case("records-blank-lines-only", b"\n\n  \n")
    records_case("records-missing-turns", first_record(lambda r: r.pop("turns")))
    records_case("records-turns-not-a-list", first_record(lambda r: r.update(turns=5)))
    records_case("records-unknown-outcome", first_record(lambda r: r.update(outcome="victory")))
    records_case("records-duplicate-episode", REC + REC.splitlines(keepends=True)[0])
    records_case("records-nan", main_literal(b"NaN"))
    records_case("records-1e999", main_literal(b"1e999"))
    records_case("records-score-overflows-float", main_literal(b"1" + b"0" * 400))
    records_case("records-deep-nesting", first_record(lambda r: r.update(junk="__NEST__")).replace(
        b'"__NEST__"', _nested(200).encode()))
    records_case("records-pickle", pickle.dumps(v.records))
    records_case("records-binary-junk", bytes((i * 97 + 3) % 256 for i in range(4096)))
    records_case("records-utf16", REC.decode().encode("utf-16"))
    records_case("records-too-many", b"{}\n" * (config.max_records + 1))
    records_case("records-over-upload-limit", REC + b" " * (config.max_upload_bytes + 1) + b"\n")
    records_case("records-teacher-played-the-learner", first_record(
        lambda r: r["roles"].update({r["learner_role"]: "teacher"})))
    records_case("records-random-played-the-learner", first_record(
        lambda r: r["roles"].update({r["learner_role"]: "random"})))
    records_case("records-train-split", first_record(lambda r: r.update(
        split="train", instance_id="train/" + r["instance_id"].split("/", 1)[1])))
    records_case("records-unknown-game", first_record(lambda r: r.update(game="nosuchgame-v1")))
    records_case("records-old-game-version", first_record(lambda r: r.update(game=r["game"].rsplit("-v", 1)[0] + "-v1")))
    records_case("records-other-instance-seed", first_record(lambda r: r.update(seed=r["seed"] + 1)))
    out.append(_loose(tmp, "base-records-malformed", {"results.json": R, "records.jsonl": REC,
                                                     "base_records.jsonl": b"{not json\n"}))
    out.append(_loose(tmp, "base-records-duplicate-episode", {
        "results.json": R, "records.jsonl": REC, "base_records.jsonl": REC + REC.splitlines(keepends=True)[0]}))

    # what was uploaded
    out.append(_loose(tmp, "only-results", {"results.json": R}))
    out.append(_loose(tmp, "only-records", {"records.jsonl": REC}))
    out.append(_loose(tmp, "unknown-loose-file", {"results.json": R, "records.jsonl": REC, "notes.txt": b"hi"}))
    out.append(("nothing-uploaded", []))
    label, paths = _zip(tmp, "zip-plus-loose-file", [("results.json", R), (RECORDS, REC)])
    (paths[0].parent / "results.json").write_bytes(R)
    out.append((label, [*paths, paths[0].parent / "results.json"]))
    label, paths = _zip(tmp, "two-zips", [("results.json", R), (RECORDS, REC)])
    other = _zip(tmp, "two-zips-b", [("results.json", R), (RECORDS, REC)])[1]
    out.append((label, [*paths, *other]))
    d = _folder(tmp, "tar-gz")
    with tarfile.open(d / "eval.tar.gz", "w:gz") as tar:
        tar.add(valid_dir, arcname="eval")
    out.append(("tar-gz", [d / "eval.tar.gz"]))
    out.append(_loose(tmp, "zip-empty-file", {"eval.zip": b""}))
    out.append(_loose(tmp, "zip-not-a-zip", {"eval.zip": b"this is not a zip archive\n"}))
    good_zip = _zip_bytes({"results.json": R, RECORDS: REC})
    out.append(_loose(tmp, "zip-truncated", {"eval.zip": good_zip[: len(good_zip) // 2]}))
    out.append(_zip(tmp, "zip-no-members", []))
    out.append(_zip(tmp, "zip-without-results", [(RECORDS, REC)]))
    out.append(_zip(tmp, "zip-without-records", [("results.json", R)]))
    out.append(_zip(tmp, "zip-two-evaluations", [("a/results.json", R), ("a/" + RECORDS, REC),
                                                 ("b/results.json", R), ("b/" + RECORDS, REC)]))

    # archive members
    out.append(_zip(tmp, "zip-dotdot-traversal", [("../results.json", R), (RECORDS, REC)]))
    out.append(_zip(tmp, "zip-dotdot-inside", [("eval/../../results.json", R), (RECORDS, REC)]))
    out.append(_zip(tmp, "zip-absolute-path", [("/results.json", R), ("/" + RECORDS, REC)]))
    out.append(_zip(tmp, "zip-drive-letter", [("C:/eval/results.json", R), ("C:/eval/" + RECORDS, REC)]))
    out.append(_zip(tmp, "zip-backslash", [("eval\\results.json", R), ("eval\\interactional\\records.jsonl", REC)]))
    link = zipfile.ZipInfo("results.json")
    link.create_system = 3
    link.external_attr = (stat.S_IFLNK | 0o777) << 16
    out.append(_zip(tmp, "zip-symlink-member", [(link, b"/etc/passwd"), (RECORDS, REC)]))
    out.append(_zip(tmp, "zip-duplicate-member", [("results.json", R), ("results.json", R), (RECORDS, REC)]))
    out.append(_zip(tmp, "zip-nested-zip", [("eval.zip", good_zip)]))
    out.append(_zip(tmp, "zip-nested-zip-beside-results", [("results.json", R), (RECORDS, REC), ("more.zip", good_zip)]))
    out.append(_zip(tmp, "zip-results-is-a-zip", [("results.json", good_zip), (RECORDS, REC)]))
    out.append(_zip(tmp, "zip-records-is-a-pickle", [("results.json", R), (RECORDS, pickle.dumps(v.records))]))
    out.append(_zip(tmp, "zip-too-many-members", [("results.json", R), (RECORDS, REC)] + [
        (f"transcripts/{n}.html", b"x") for n in range(config.max_archive_members)]))
    out.append(_zip(tmp, "zip-wrong-clu2-version", [
        ("results.json", v.results_with(lambda d: d.update(clu2_version="0.0.1"))), (RECORDS, REC)]))
    label, paths = _zip(tmp, "zip-member-count-lies", [("results.json", R), (RECORDS, REC)] + [
        (f"transcripts/{n:04d}-{'x' * 1000}.html", b"") for n in range(config.max_archive_members)])
    raw = bytearray(paths[0].read_bytes())  # the end record says 2 members; the directory holds many more
    end = raw.rfind(b"PK\x05\x06")
    struct.pack_into("<HH", raw, end + 8, 2, 2)
    paths[0].write_bytes(bytes(raw))
    out.append((label, paths))
    label, paths = _zip(tmp, "zip-encrypted-flag", [("results.json", R), (RECORDS, REC)])
    _patch(paths[0], b"PK\x01\x02", 8, "<H", 1)
    _patch(paths[0], b"PK\x03\x04", 6, "<H", 1)
    out.append((label, paths))
    label, paths = _zip(tmp, "zip-bzip2-member", [])
    with zipfile.ZipFile(paths[0], "w", zipfile.ZIP_BZIP2) as zf:
        zf.writestr("results.json", R)
        zf.writestr(RECORDS, REC)
    out.append((label, paths))
    bomb = _folder(tmp, "zip-bomb-records") / "eval.zip"
    deflate_zeros_bomb(bomb, 4 * config.max_unpacked_bytes, [("results.json", R)], RECORDS)
    out.append(("zip-bomb-records", [bomb]))
    bomb = _folder(tmp, "zip-bomb-results") / "eval.zip"
    deflate_zeros_bomb(bomb, 4 * config.max_unpacked_bytes, [(RECORDS, REC)], "results.json")
    out.append(("zip-bomb-results", [bomb]))
    label, paths = _zip(tmp, "zip-lying-size", [("results.json", R), (RECORDS, REC)])
    with zipfile.ZipFile(paths[0]) as zf:
        true_size = zf.getinfo(RECORDS).file_size
    raw = bytearray(paths[0].read_bytes())  # the records member claims 100 bytes: its CRC can no longer match
    for sig, off in ((b"PK\x01\x02", 24), (b"PK\x03\x04", 22)):
        at = raw.find(sig)
        while at >= 0:
            if struct.unpack_from("<I", raw, at + off)[0] == true_size:
                struct.pack_into("<I", raw, at + off, 100)
            at = raw.find(sig, at + 4)
    paths[0].write_bytes(bytes(raw))
    out.append((label, paths))
    big = _folder(tmp, "zip-over-upload-limit") / "eval.zip"
    with zipfile.ZipFile(big, "w", zipfile.ZIP_STORED) as zf:
        zf.writestr("results.json", R)
        zf.writestr(RECORDS, REC)
        zf.writestr("padding.bin", bytes((i * 31) % 251 for i in range(config.max_upload_bytes + 1)))
    out.append(("zip-over-upload-limit", [big]))
    labels = [label for label, _ in out]
    assert len(labels) == len(set(labels)), "hostile labels must be unique"
    return out


def _zip_bytes(members: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    return buf.getvalue()


# ---------------------------------------------------------------------------------------------- tampered
def tampered_uploads(tmp: Path, valid_dir: Path, config: Any) -> list[Upload]:
    """Uploads of valid shape whose claims were edited; each claims :data:`CLAIMED` for the collaborative
    dimension and overall. The arena accepts them with recomputed numbers (an edited record replays as invalid
    and scores 0). Loose ``results.json`` + ``records.jsonl`` (+ ``base_records.jsonl`` when the valid folder
    has base records)."""
    v = _Valid(valid_dir)
    claimed = v.results_with(_claim)
    base = {"base_records.jsonl": v.base_bytes} if v.base_bytes is not None else {}
    out: list[Upload] = []

    def case(label: str, results: bytes, records: bytes | None = None) -> None:
        out.append(_loose(tmp, label, {"results.json": results, "records.jsonl": records or v.records_bytes,
                                       **base}))

    def record(edit: Callable[[dict[str, Any]], Any]) -> bytes:
        return v.records_with(lambda recs: edit(recs[0]))

    def move(rec: dict[str, Any]) -> None:
        turn = _learner_move(rec)
        turn["text"] = "GUESS: crane" if turn["text"] != "GUESS: crane" else "GUESS: slate"

    def feedback(rec: dict[str, Any]) -> None:
        turn = next(t for t in rec["turns"] if t["kind"] != "move")
        turn["text"] = "Well done, you won."

    def items_to_100(data: dict[str, Any]) -> None:
        _claim(data)
        for item in data["items"]:
            if item["task"].startswith("game/"):
                item.update(score=100.0, valid=True)

    def inject(data: dict[str, Any]) -> None:
        _claim(data)
        episodes = sorted({i["details"]["episode"] for i in data["items"] if i["details"].get("episode")})
        data["items"] += [{"task": "collab/clarification_f1", "item_id": e, "score": 1.0, "valid": True,
                           "details": {"episode": e}} for e in episodes]
        data["items"].append({"task": "game/wordle/guesser", "item_id": "wordle-v2|test/fake/0000|guesser",
                              "score": 100.0, "valid": True,
                              "details": {"episode": "wordle-v2|test/fake/0000|guesser"}})

    case("record-scores-edited", claimed, record(lambda r: r["scores"].update(main=100.0, success=1.0)))
    case("record-outcome-edited", claimed, record(lambda r: r.update(outcome="success", reason="", fault="")))
    case("record-move-text-edited", claimed, record(move))
    case("record-feedback-text-edited", claimed, record(feedback))
    case("record-turn-removed", claimed, record(lambda r: r.update(turns=r["turns"][:-1])))
    case("record-dropped", claimed, v.records_with(lambda recs: recs.pop(0)))
    case("results-scorecard-edited", claimed)
    case("results-interactional-items-edited", v.results_with(items_to_100))
    case("results-interactional-items-injected", v.results_with(inject))
    return out


__all__ = ["CLAIMED", "deflate_zeros_bomb", "hostile_uploads", "tampered_uploads"]
