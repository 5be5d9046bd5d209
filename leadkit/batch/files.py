"""File operations of a run: the inbox scan, content hashes, staging, publishing, moving.

Every step that changes a final name is one rename (fsynced), so a run killed at any moment
leaves either the old state or the new one, never half of a file or folder.
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import os
import re
import secrets
import shutil
import stat
import tempfile
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
        tmp = dst.with_name(f".{fit_name(dst.name, reserve=_TEMP)}.{secrets.token_hex(4)}.tmp")
        shutil.copy2(src, tmp)
        with open(tmp, "rb+") as fh:
            os.fsync(fh.fileno())
        os.rename(tmp, dst)
        os.unlink(src)
    _fsync_dir(dst.parent)
    return dst


def free_name(folder: Path, name: str, also: str = "") -> str:
    """`name`, or `stem.YYYYmmdd-HHMMSS[-n].ext` when the folder already holds that name;
    shortened (`fit_name`) so that it, `<it>.error.txt` and their temporary names all fit."""

    def free(n: str) -> bool:
        return not (folder / n).exists() and not (also and (folder / f"{n}{also}").exists())

    name = fit_name(name, folder)
    if free(name):
        return name
    p = Path(name)
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
    for i in range(1, 10_000):
        candidate = fit_name(f"{p.stem}.{stamp}{'' if i == 1 else f'-{i}'}{p.suffix}", folder)
        if free(candidate):
            return candidate
    raise InputError(f"{folder}: no free name for {name}")


def write_text(path: Path, text: str, mode: int | None = None) -> None:
    """Write a complete file under `path` in one rename, with `mode` (default: the umask's)."""
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        os.fchmod(fd, default_mode() if mode is None else mode)
        with os.fdopen(fd, "w", encoding="utf-8", errors="backslashreplace") as fh:
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


# --- permissions --------------------------------------------------------------------------


def umask() -> int:
    """The process's umask, read without changing it where the system allows."""
    try:
        with open("/proc/self/status", encoding="ascii") as fh:
            for line in fh:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except (OSError, ValueError):
        pass
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def default_mode(limit: int = 0o666) -> int:
    """A new file's mode: what the umask gives, never wider than `limit`'s permission bits."""
    return 0o666 & ~umask() & limit


def dir_mode(file_mode: int) -> int:
    """A folder's mode for files of `file_mode`: who may read may also enter."""
    return file_mode | ((file_mode & 0o444) >> 2)


def make_dir(folder: Path, mode: int | None) -> None:
    """`folder` (and its parents), the ones created given `mode`'s folder form."""
    missing = [p for p in (folder, *folder.parents) if not p.exists()]
    folder.mkdir(parents=True, exist_ok=True)
    if mode is not None:
        for p in missing:
            with contextlib.suppress(OSError):
                os.chmod(p, dir_mode(mode))


def chmod_tree(folder: Path, mode: int) -> None:
    """`mode` on every file of `folder` (one level: output folders are flat), the folder's
    form of it on the folder."""
    for entry in os.scandir(folder):
        if entry.is_file(follow_symlinks=False):
            os.chmod(entry.path, mode)
    os.chmod(folder, dir_mode(mode))


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


# Bytes a name may grow by, past what fit_name returns: a temporary name `.{name}.XXXXXXXX.tmp`
# (14), and a suffix such as `.duplicates.csv` or `.error.txt` (up to 26).
_TEMP = 14
RESERVE = 40
_NAME_MAX = 255


def name_max(folder: Path | None = None) -> int:
    """The longest file name (in bytes) the folder's file system takes (NAME_MAX)."""
    if folder is not None:
        for where in (folder, *folder.parents):
            try:
                return min(_NAME_MAX, int(os.pathconf(where, "PC_NAME_MAX")))
            except (OSError, ValueError):
                continue
    return _NAME_MAX


def fit_name(name: str, folder: Path | None = None, *, reserve: int = RESERVE) -> str:
    """`name`, or when it (grown by `reserve` bytes) would pass the file system's limit, its
    stem cut on a character boundary plus `~` and 8 hex digits of the whole name's sha256
    (stable, and distinct for names that share the kept part), its suffix kept."""
    limit = name_max(folder) - reserve
    if len(os.fsencode(name)) <= limit:
        return name
    p = Path(name)
    suffix = p.suffix if len(os.fsencode(p.suffix)) <= 16 else ""
    stem = name[: len(name) - len(suffix)] if suffix else name
    tag = "~" + hashlib.sha256(os.fsencode(name)).hexdigest()[:8]
    room = limit - len(os.fsencode(tag + suffix))
    cut = os.fsencode(stem)[: max(room, 1)].decode("utf-8", "ignore") or "file"
    return cut + tag + suffix


# A temporary name of leadkit's: `.{name}.{8 characters}.tmp` (tempfile.mkstemp in atomic_file,
# secrets.token_hex(4) in move).
_TEMP_NAME = re.compile(r"^\..+\.[a-z0-9_]{8}\.tmp$")


def is_temp_name(name: str) -> bool:
    return bool(_TEMP_NAME.match(name))


def stale_temps(folder: Path, older_than: float) -> list[Path]:
    """leadkit's temporary files directly in `folder` that nothing changed (content or
    metadata) since `older_than` (a time.time()): a dead run's or a killed command's."""
    found = []
    try:
        entries = list(os.scandir(folder))
    except OSError:
        return []
    for entry in entries:
        if not is_temp_name(entry.name):
            continue
        try:
            st = entry.stat(follow_symlinks=False)
        except OSError:
            continue
        if stat.S_ISREG(st.st_mode) and max(st.st_mtime, st.st_ctime) < older_than:
            found.append(Path(entry.path))
    return found


# Characters that must never reach a line of a log, a terminal or a list: control characters
# (C0, DEL, C1), line and paragraph separators, bidirectional overrides, and the lone
# surrogates an undecodable file name becomes.
_UNPRINTABLE = re.compile(
    "[\x00-\x1f\x7f-\x9f\u2028\u2029\u200e\u200f\u202a-\u202e\u2066-\u2069\ud800-\udfff]"
)


def printable(text: str) -> str:
    """`text` with every unprintable character written as an escape (`\\n`, `\\x1b`, `\\u202e`)."""
    return _UNPRINTABLE.sub(_escape, text)


def _escape(m: re.Match[str]) -> str:
    c = m.group()
    named = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}
    if c in named:
        return named[c]
    return f"\\x{ord(c):02x}" if ord(c) < 0x100 else f"\\u{ord(c):04x}"


def safe_stem(stem: str) -> str:
    return re.sub(r"[\x00-\x1f/\\]", "_", stem).strip() or "file"


def now() -> str:
    return datetime.now().astimezone().isoformat(timespec="milliseconds")


def iso(timestamp: float) -> str:
    return datetime.fromtimestamp(timestamp).astimezone().isoformat(timespec="milliseconds")
