"""File operations of a run: the inbox scan, content hashes, staging, publishing, moving.

Every step that changes a final name is one rename (fsynced), so a run killed at any moment
leaves either the old state or the new one, never half of a file or folder.
"""

from __future__ import annotations

import errno
import hashlib
import os
import re
import secrets
import shutil
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from leadkit.errors import InputError

# Files that are not (yet) partner files: hidden files, Office owner files, partial downloads.
_IGNORED_SUFFIXES = (".tmp", ".temp", ".part", ".partial", ".crdownload", ".download", ".filepart")


@dataclass
class Candidate:
    """A regular file of the inbox, as it was when the run looked."""

    path: Path
    stat: os.stat_result

    @property
    def name(self) -> str:
        return self.path.name

    @property
    def changed_at(self) -> float:
        """When the file last changed: content (mtime) or metadata (ctime; a copy that kept an
        old mtime, a rename into the inbox)."""
        return max(self.stat.st_mtime, self.stat.st_ctime)


def scan_inbox(inbox: Path) -> list[Candidate]:
    """The inbox's partner files, oldest first."""
    found = []
    with os.scandir(inbox) as it:
        for entry in it:
            name = entry.name
            if name.startswith((".", "~$")) or name.lower().endswith(_IGNORED_SUFFIXES):
                continue
            try:
                if not entry.is_file(follow_symlinks=False):
                    continue
                st = entry.stat(follow_symlinks=False)
            except FileNotFoundError:
                continue
            found.append(Candidate(Path(entry.path), st))
    return sorted(found, key=lambda c: (c.changed_at, c.name))


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def stat_or_none(path: Path) -> os.stat_result | None:
    try:
        return os.stat(path, follow_symlinks=False)
    except FileNotFoundError:
        return None


def changed(a: os.stat_result, b: os.stat_result) -> bool:
    return (a.st_size, a.st_mtime_ns, a.st_ino) != (b.st_size, b.st_mtime_ns, b.st_ino)


def publish(stage: Path, final: Path, trash: Path) -> None:
    """Rename the complete staging folder to its final name, replacing an unrecorded one."""
    if final.exists():
        os.rename(final, trash)
    os.rename(stage, final)
    _fsync_dir(final.parent)
    rmtree(trash)


def move(src: Path, dst: Path) -> Path:
    """Move a file without overwriting; across drives by copy, fsync, rename, then delete."""
    if dst.exists():
        raise FileExistsError(errno.EEXIST, "exists", str(dst))
    try:
        os.rename(src, dst)
    except OSError as e:
        if e.errno != errno.EXDEV:
            raise
        tmp = dst.with_name(f".{dst.name}.{secrets.token_hex(4)}.tmp")
        shutil.copy2(src, tmp)
        with open(tmp, "rb+") as fh:
            os.fsync(fh.fileno())
        os.rename(tmp, dst)
        os.unlink(src)
    _fsync_dir(dst.parent)
    return dst


def free_name(folder: Path, name: str, also: str = "") -> str:
    """`name`, or `stem.YYYYmmdd-HHMMSS[-n].ext` when the folder already holds that name."""

    def free(n: str) -> bool:
        return not (folder / n).exists() and not (also and (folder / f"{n}{also}").exists())

    if free(name):
        return name
    p = Path(name)
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
    for i in range(1, 10_000):
        candidate = f"{p.stem}.{stamp}{'' if i == 1 else f'-{i}'}{p.suffix}"
        if free(candidate):
            return candidate
    raise InputError(f"{folder}: no free name for {name}")


def write_text(path: Path, text: str) -> None:
    from leadkit.write import atomic_file

    with atomic_file(path, "w") as fh:
        fh.write(text)


def rmtree(path: Path) -> None:
    shutil.rmtree(path, ignore_errors=True)


def _fsync_dir(folder: Path) -> None:
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass  # not supported on every file system (some network drives)
    finally:
        os.close(fd)


def safe_stem(stem: str) -> str:
    return re.sub(r"[\x00-\x1f/\\]", "_", stem).strip() or "file"


def now() -> str:
    return datetime.now().astimezone().isoformat(timespec="milliseconds")


def iso(timestamp: float) -> str:
    return datetime.fromtimestamp(timestamp).astimezone().isoformat(timespec="milliseconds")
