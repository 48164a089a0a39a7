"""Reading a bundle's files into memory from a folder or an uploaded zip, safely.

Nothing is ever extracted to disk, so there is no path to escape to; names are
still checked so that a bad upload gets a clear error rather than a surprise.
"""

from __future__ import annotations

import copy
import io
import os
import stat
import struct
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

# The one size limit of a bundle, the same for `check-problem` and for uploads to the service: its files
# together (data included, counted uncompressed), and the zip that carries them, are at most this large.
MAX_BUNDLE_BYTES = 50 * 1024 * 1024


@dataclass(frozen=True)
class ArchiveLimits:
    """Caps on what a bundle may contain."""

    max_entries: int = 2000
    max_file_bytes: int = MAX_BUNDLE_BYTES
    max_total_bytes: int = MAX_BUNDLE_BYTES
    max_ratio: float = 200.0


class ArchiveError(ValueError):
    """The upload or folder cannot be a bundle; the message says what to fix."""


# What zipfile raises on damaged or crafted bytes (it has no single base class for them).
ZIP_ERRORS = (
    zipfile.BadZipFile,
    zlib.error,
    struct.error,
    EOFError,
    OSError,
    ValueError,
    NotImplementedError,
    RuntimeError,
)
_SKIP_DIRS = {"__pycache__", ".git", ".ipynb_checkpoints", "__MACOSX"}
_SKIP_FILES = {".DS_Store", "Thumbs.db"}


def _skipped(rel: str) -> bool:
    """Files an archiver or an editor leaves behind (the macOS Finder's `__MACOSX/`, `._*` and `.DS_Store`)."""
    parts = rel.split("/")
    return parts[-1] in _SKIP_FILES or parts[-1].startswith("._") or any(p in _SKIP_DIRS for p in parts[:-1])


def check_name(name: str) -> str:
    """A safe relative POSIX path, or ArchiveError naming what is wrong with it."""
    if "\x00" in name:
        raise ArchiveError(f"{name!r}: file names must not contain NUL bytes")
    if "\\" in name:
        raise ArchiveError(f"{name!r}: use '/' in paths, not '\\'")
    path = PurePosixPath(name)
    if path.is_absolute() or (len(name) > 1 and name[1] == ":"):
        raise ArchiveError(f"{name!r}: absolute paths are not allowed; paths must be relative to the bundle")
    if any(part in ("..", "") for part in name.rstrip("/").split("/")):
        raise ArchiveError(f"{name!r}: '..' and empty path segments are not allowed")
    if len(name) > 300:
        raise ArchiveError(f"{name[:40]!r}...: path longer than 300 characters")
    return str(path)


def read_folder(root: Path, limits: ArchiveLimits = ArchiveLimits()) -> dict[str, bytes]:
    """Every regular file under `root` (symlinks refused), keyed by relative path."""
    if not root.is_dir():
        raise ArchiveError(f"{root}: not a folder")
    files: dict[str, bytes] = {}
    total = 0
    for dirpath, dirnames, filenames in os.walk(root, followlinks=False):
        dirnames[:] = sorted(d for d in dirnames if d not in _SKIP_DIRS)
        for dname in dirnames:
            if os.path.islink(os.path.join(dirpath, dname)):
                raise ArchiveError(f"{os.path.join(dirpath, dname)}: symlinks are not allowed in a bundle")
        for fname in sorted(filenames):
            if fname in _SKIP_FILES or fname.startswith("._") or fname.endswith(".pyc"):
                continue
            full = os.path.join(dirpath, fname)
            info = os.lstat(full)
            if not stat.S_ISREG(info.st_mode):
                raise ArchiveError(f"{full}: only regular files are allowed in a bundle (no symlinks or devices)")
            rel = check_name(os.path.relpath(full, root).replace(os.sep, "/"))
            total += info.st_size
            _check_sizes(rel, info.st_size, total, len(files) + 1, limits)
            files[rel] = Path(full).read_bytes()
    return files


def read_zip(data: bytes, limits: ArchiveLimits = ArchiveLimits()) -> dict[str, bytes]:
    """Every file of a zip (one optional top-level folder stripped), checked before reading."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except ZIP_ERRORS as exc:
        raise ArchiveError(f"the upload is not a valid zip file ({exc})") from None
    with archive:
        if len(data) > limits.max_total_bytes:
            raise ArchiveError(
                f"the zip is {len(data)} bytes; a bundle may be at most {_mib(limits.max_total_bytes)}: {_SMALLER}"
            )
        if any(not i.filename for i in archive.infolist()):  # ZipInfo.is_dir() fails on an empty name
            raise ArchiveError("the zip has an entry without a name; make the zip again")
        entries = [i for i in archive.infolist() if not i.is_dir()]
        if len(archive.infolist()) > limits.max_entries:
            raise ArchiveError(
                f"the zip has {len(archive.infolist())} entries; at most {limits.max_entries} are allowed"
            )
        named = [(i, check_name(_entry_name(i))) for i in entries]
        _check_unique([name for _, name in named])
        named = [(i, name) for i, name in named if not _skipped(name)]
        prefix = _common_folder([name for _, name in named])
        files: dict[str, bytes] = {}
        total = 0
        for info, name in named:
            _check_entry(info, name, limits)
            total += info.file_size
            _check_sizes(name, info.file_size, total, len(files) + 1, limits)
            files[name[len(prefix) :]] = _read_capped(archive, info, name)
    return files


def _entry_name(info: zipfile.ZipInfo) -> str:
    # ZipInfo.orig_filename keeps what the archive really says (filename is sanitised).
    return info.orig_filename


def _check_entry(info: zipfile.ZipInfo, name: str, limits: ArchiveLimits) -> None:
    mode = info.external_attr >> 16
    if stat.S_ISLNK(mode):
        raise ArchiveError(f"{name!r}: symlinks are not allowed in a bundle")
    if mode and not (stat.S_ISREG(mode) or stat.S_IFMT(mode) == 0):
        raise ArchiveError(f"{name!r}: only regular files are allowed in a bundle")
    if info.flag_bits & 0x1:
        raise ArchiveError(f"{name!r}: encrypted zip entries are not supported")
    if info.file_size > max(1, info.compress_size) * limits.max_ratio and info.file_size > 1024 * 1024:
        raise ArchiveError(f"{name!r}: compression ratio is suspiciously high (a zip bomb?)")


def _check_sizes(name: str, size: int, total: int, count: int, limits: ArchiveLimits) -> None:
    if size > limits.max_file_bytes:
        raise ArchiveError(
            f"{name!r} is {size} bytes; a bundle file may be at most {_mib(limits.max_file_bytes)}: {_SMALLER}"
        )
    if total > limits.max_total_bytes:
        raise ArchiveError(
            f"the bundle's files add up to more than {_mib(limits.max_total_bytes)}, data included, counted "
            f"uncompressed: {_SMALLER}"
        )
    if count > limits.max_entries:
        raise ArchiveError(f"the bundle has more than {limits.max_entries} files")


def _mib(cap: int) -> str:
    return f"{cap} bytes ({cap / 2**20:.3g} MiB)"


_SMALLER = "make the data smaller (fewer or smaller arrays, a subset of the set) and try again"


def _read_capped(archive: zipfile.ZipFile, info: zipfile.ZipInfo, name: str) -> bytes:
    # zipfile stops reading at the declared size, so ask for one byte more through a copy
    # of the entry that declares one byte more: an entry longer than declared shows itself.
    probe = copy.copy(info)
    probe.file_size = info.file_size + 1
    try:
        with archive.open(probe) as fh:
            data = fh.read(info.file_size + 1)
    except ZIP_ERRORS as exc:
        raise ArchiveError(f"{name!r}: cannot be read ({exc}); the zip is corrupt or crafted") from None
    if len(data) != info.file_size:
        raise ArchiveError(f"{name!r}: its size does not match the zip directory (corrupt or crafted zip)")
    return data


def _check_unique(names: list[str]) -> None:
    seen: set[str] = set()
    for name in names:
        if name in seen:
            raise ArchiveError(f"{name!r} appears more than once in the zip")
        seen.add(name)


def _common_folder(names: list[str]) -> str:
    """'folder/' when every entry lives under one top-level folder without problem.toml at the root."""
    if not names or "problem.toml" in names:
        return ""
    tops = {n.split("/", 1)[0] for n in names}
    if len(tops) == 1 and all("/" in n for n in names):
        return tops.pop() + "/"
    return ""
