"""Reading an upload safely: the ``playschool eval`` output folder as one ``.zip`` (possibly under one top-level
folder), or its files uploaded loose, into bytes in memory.

Only the parts the arena scores are read: ``results.json``, ``interactional/records.jsonl`` and (optionally)
``base/interactional/records.jsonl``; every other member (CSV, HTML, transcripts) is ignored and never
decompressed. Nothing is extracted to disk, so a member's name can never choose where bytes land.

An archive is refused, before any member is decompressed, when it has more members than allowed, a member with
an unsafe name (absolute, ``..``, a backslash or a drive letter, a NUL), a symbolic link, an encrypted member,
a name given twice, or a nested archive. The unpacked size is enforced by counting bytes while decompressing in
chunks: a member's declared size is a claim of the uploader, so a zip bomb is stopped after at most the limit
plus one chunk, whatever its header says. Only *stored* and *deflate* members are read, because the standard
library decompresses the other methods (bzip2, LZMA) without an output bound per call.
"""

from __future__ import annotations

import stat
import struct
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from .config import ArenaConfig

#: The parts of an eval output folder the arena reads, by their path inside the folder.
RESULTS = "results.json"
RECORDS = "interactional/records.jsonl"
BASE_RECORDS = "base/interactional/records.jsonl"
PARTS: tuple[str, ...] = (RESULTS, RECORDS, BASE_RECORDS)
#: File names accepted when the parts are uploaded loose (a browser upload keeps only the base name).
LOOSE_NAMES: dict[str, str] = {"results.json": RESULTS, "records.jsonl": RECORDS, "base_records.jsonl": BASE_RECORDS}
#: Bytes decompressed per read: the most an archive can unpack past the limit before it is stopped.
CHUNK = 64 * 1024
#: Names of archive formats: refused as uploads (other than .zip) and as members of a zip.
ARCHIVE_SUFFIXES: tuple[str, ...] = (".zip", ".tar", ".gz", ".tgz", ".bz2", ".tbz2", ".xz", ".txz", ".zst", ".7z",
                                     ".rar", ".jar", ".whl", ".lz", ".lzma", ".z", ".cab", ".iso", ".zipx")
_READABLE_METHODS = (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED)
_ZIP_MAGIC = b"PK\x03\x04"
_EMPTY_ZIP_MAGIC = b"PK\x05\x06"
#: Central-directory bytes allowed per permitted member: an output folder's names are short, and zipfile builds
#: an object for every entry of the directory, whatever count the archive declares.
_DIRECTORY_BYTES_PER_MEMBER = 1024


class ArchiveError(ValueError):
    """An upload that cannot be read safely; the message names the file (and member) and says why."""


class UnpackLimitError(ArchiveError):
    """An archive that unpacks to more than the limit. ``unpacked``: bytes decompressed when it was stopped."""

    def __init__(self, message: str, unpacked: int) -> None:
        super().__init__(message)
        self.unpacked = unpacked


@dataclass(frozen=True)
class UploadFiles:
    """What an upload holds: the bytes of each part found (keys from :data:`PARTS`), where each came from (for
    messages: ``run.zip:out/results.json``), the display name of the upload and its size on disk."""

    parts: dict[str, bytes]
    sources: dict[str, str] = field(default_factory=dict)
    filename: str = ""
    size: int = 0


def read_upload(paths: Sequence[Path], config: ArenaConfig) -> UploadFiles:
    """Read an upload: one ``.zip``, or loose ``results.json`` + ``records.jsonl`` (+ ``base_records.jsonl``).

    Raises :class:`ArchiveError` (:class:`UnpackLimitError` for a zip bomb) with a message a visitor can read.
    Checks sizes on disk before reading anything.
    """
    files = [Path(p) for p in paths]
    if not files:
        raise ArchiveError("nothing was uploaded: upload the output folder of `playschool eval` as a .zip, or its "
                           "results.json and records.jsonl")
    sizes = {}
    for p in files:
        if not p.is_file():
            raise ArchiveError(f"{p.name} is not a readable file")
        size = p.stat().st_size
        if size > config.max_upload_bytes:
            raise ArchiveError(f"{p.name} is {_mb(size)}, more than the {_mb(config.max_upload_bytes)} an upload may "
                               "have")
        sizes[p] = size
    zips = [p for p in files if p.name.lower().endswith(".zip")]
    if zips:
        if len(files) > 1:
            raise ArchiveError("upload one .zip on its own, or loose files without a .zip "
                               f"(got {', '.join(p.name for p in files)})")
        return _read_zip(zips[0], sizes[zips[0]], config)
    return _read_loose(files, sizes, config)


def _mb(n: int) -> str:
    return f"{n / 2**20:.1f} MiB" if n >= 2**20 else f"{n} bytes"


def _is_archive_name(name: str) -> bool:
    return name.lower().endswith(ARCHIVE_SUFFIXES)


def _read_loose(files: list[Path], sizes: dict[Path, int], config: ArenaConfig) -> UploadFiles:
    named: dict[str, Path] = {}
    for p in files:  # every name is checked before anything is read
        part = LOOSE_NAMES.get(p.name)
        if part is None:
            if _is_archive_name(p.name):
                raise ArchiveError(f"{p.name}: only .zip archives are accepted (zip the eval output folder)")
            raise ArchiveError(f"{p.name} is not a file the arena reads; upload a .zip of the eval output folder, or "
                               f"loose files named {', '.join(LOOSE_NAMES)}")
        if part in named:
            raise ArchiveError(f"{p.name} was uploaded twice")
        named[part] = p
    total = sum(sizes.values())
    if total > config.max_unpacked_bytes:
        raise ArchiveError(f"the files add up to {_mb(total)}, more than the {_mb(config.max_unpacked_bytes)} "
                           "allowed")
    return UploadFiles({part: p.read_bytes() for part, p in named.items()}, {part: p.name for part, p in named.items()},
                       filename=", ".join(p.name for p in files), size=total)


# ---------------------------------------------------------------------------------------------------- zip
def _unsafe_name(name: str) -> str | None:
    """Why a member name is unsafe, or ``None``. Names are never used as paths, but an archive that carries
    such names was not made by zipping an output folder, and refusing it keeps the rules simple to state."""
    if "\x00" in name:
        return "has a NUL character in its name"
    if "\\" in name:
        return "has a backslash in its name (zip names use /)"
    if name.startswith("/"):
        return "has an absolute path"
    if len(name) >= 2 and name[1] == ":" and name[0].isalpha():
        return "has a drive letter"
    if ".." in PurePosixPath(name).parts:
        return "has '..' in its path"
    return None


def _check_members(path: Path, infos: list[zipfile.ZipInfo], config: ArenaConfig) -> None:
    if len(infos) > config.max_archive_members:
        raise ArchiveError(f"{path.name} has {len(infos)} members, more than the {config.max_archive_members} "
                           "allowed")
    seen: set[str] = set()
    for info in infos:
        # orig_filename: zipfile cuts a name at a NUL; the uploader's full name is what is judged.
        name = info.orig_filename
        problem = _unsafe_name(name)
        if problem is None and name in seen:
            problem = "appears twice in the archive"
        if problem is None and stat.S_ISLNK(info.external_attr >> 16):
            problem = "is a symbolic link"
        if problem is None and info.flag_bits & 0x1:
            problem = "is encrypted"
        if problem is None and not info.is_dir() and _is_archive_name(name):
            problem = "is an archive inside the archive (nested archives are not read)"
        if problem is not None:
            raise ArchiveError(f"{path.name}: member {name[:200]!r} {problem}")
        seen.add(name)


def _prefix(path: Path, names: list[str]) -> str:
    """The folder inside the archive that holds ``results.json``: the archive's root or one folder (the eval
    output folder zipped with its name); the shallowest one, which must be unique."""
    found = [n[: -len(RESULTS)] for n in names if n == RESULTS or n.endswith("/" + RESULTS)]
    if not found:
        raise ArchiveError(f"{path.name} has no {RESULTS}: zip the output folder of `playschool eval`")
    depth = min(p.count("/") for p in found)
    top = sorted(p for p in found if p.count("/") == depth)
    if len(top) > 1:
        raise ArchiveError(f"{path.name} holds several evaluations ({', '.join(p + RESULTS for p in top[:4])}); "
                           "upload one output folder per submission")
    return top[0]


class _Budget:
    """Bytes left to unpack, shared by every member read from one archive."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.used = 0

    def take(self, n: int, where: str) -> None:
        self.used += n
        if self.used > self.limit:
            raise UnpackLimitError(f"{where} unpacks to more than the {_mb(self.limit)} allowed (stopped after "
                                   f"{_mb(self.used)}); is it a zip bomb?", self.used)


def _read_member(zf: zipfile.ZipFile, info: zipfile.ZipInfo, budget: _Budget, where: str) -> bytes:
    if info.compress_type not in _READABLE_METHODS:
        raise ArchiveError(f"{where} uses compression method {info.compress_type}; only stored and deflate members "
                           "are read (what zip tools write by default)")
    buf = bytearray()
    try:
        with zf.open(info) as fh:
            while chunk := fh.read(CHUNK):
                budget.take(len(chunk), where)
                buf += chunk
    except ArchiveError:
        raise
    except Exception as exc:  # a damaged member can fail in zipfile, zlib or the CRC check; all mean "unreadable"
        raise ArchiveError(f"{where} cannot be read: the archive is damaged ({type(exc).__name__}: "
                           f"{str(exc)[:200]})") from exc
    return bytes(buf)


def _directory(path: Path, size: int) -> tuple[int, int] | None:
    """(entries, central directory bytes) declared by the end record (zip64 aware), or ``None`` when there is no
    end record to read (zipfile then refuses the file)."""
    with path.open("rb") as fh:
        tail_len = min(size, 0xFFFF + 22)
        fh.seek(size - tail_len)
        tail = fh.read(tail_len)
        at = tail.rfind(_EMPTY_ZIP_MAGIC)
        if at < 0 or len(tail) - at < 22:
            return None
        entries, cd_size = struct.unpack_from("<HI", tail, at + 10)
        if entries != 0xFFFF and cd_size != 0xFFFFFFFF:
            return entries, cd_size
        locator = at - 20  # a zip64 archive: the real values are in the zip64 end record the locator points to
        if locator < 0 or tail[locator:locator + 4] != b"PK\x06\x07":
            raise ArchiveError(f"{path.name} has a damaged zip64 directory")
        (offset,) = struct.unpack_from("<Q", tail, locator + 8)
        fh.seek(min(offset, size))
        record = fh.read(56)
        if len(record) < 56 or record[:4] != b"PK\x06\x06":
            raise ArchiveError(f"{path.name} has a damaged zip64 directory")
        entries64, cd_size64 = struct.unpack_from("<QQ", record, 32)
        return entries64, cd_size64


def _read_zip(path: Path, size: int, config: ArenaConfig) -> UploadFiles:
    with path.open("rb") as fh:
        magic = fh.read(4)
    if magic not in (_ZIP_MAGIC, _EMPTY_ZIP_MAGIC):
        raise ArchiveError(f"{path.name} is not a zip archive")
    declared = _directory(path, size)
    if declared is not None:
        entries, cd_size = declared
        if entries > config.max_archive_members:
            raise ArchiveError(f"{path.name} has {entries} members, more than the {config.max_archive_members} "
                               "allowed")
        if cd_size > config.max_archive_members * _DIRECTORY_BYTES_PER_MEMBER:
            raise ArchiveError(f"{path.name} has a central directory of {_mb(cd_size)}, more than an archive of "
                               f"at most {config.max_archive_members} members needs")
    try:
        zf = zipfile.ZipFile(path)
    except Exception as exc:  # BadZipFile, or an odd header that trips zipfile's parser: not a readable zip
        raise ArchiveError(f"{path.name} is not a readable zip archive ({type(exc).__name__}: "
                           f"{str(exc)[:200]})") from exc
    with zf:
        infos = zf.infolist()
        _check_members(path, infos, config)
        by_name = {i.orig_filename: i for i in infos if not i.is_dir()}
        prefix = _prefix(path, list(by_name))
        budget = _Budget(config.max_unpacked_bytes)
        parts: dict[str, bytes] = {}
        sources: dict[str, str] = {}
        for part in PARTS:
            info = by_name.get(prefix + part)
            if info is None:
                continue
            where = f"{path.name}:{info.orig_filename}"
            parts[part] = _read_member(zf, info, budget, where)
            sources[part] = where
    return UploadFiles(parts, sources, filename=path.name, size=size)


__all__ = ["ARCHIVE_SUFFIXES", "BASE_RECORDS", "CHUNK", "LOOSE_NAMES", "PARTS", "RECORDS", "RESULTS", "ArchiveError",
           "UnpackLimitError", "UploadFiles", "read_upload"]
