"""leadkit's cache folder: derived data worth keeping between runs, never needed for correctness.

Whatever is kept here can be deleted at any time; it is rebuilt on the next run.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Callable, Sequence
from functools import cache
from pathlib import Path
from typing import Any


def cache_dir() -> Path:
    """`$LEADKIT_CACHE_DIR`, else `$XDG_CACHE_HOME/leadkit`, else `~/.cache/leadkit`."""
    if env := os.environ.get("LEADKIT_CACHE_DIR"):
        return Path(env)
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "leadkit"


def cache_key(*inputs: str) -> str:
    """The key of whatever leadkit derives and keeps: its own code (`code_fingerprint`) and
    the versions of the data it was built from (a library's version, a file's hash). One
    scheme for every table, so none can outlive the code or data that built it."""
    return hashlib.sha256("\0".join((code_fingerprint(), *inputs)).encode()).hexdigest()[:16]


def cached_json(stem: str, build: Callable[[], Any], *, inputs: Sequence[str] = ()) -> Any:
    """`build()`'s result, kept as `<stem>-<cache_key(*inputs)>.json` in the cache folder;
    rebuilt when missing or damaged (then the files of older keys, all but the two built
    last, are deleted)."""
    path = cache_dir() / f"{stem}-{cache_key(*inputs)}.json"
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        pass
    value = build()
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(f".{os.getpid()}.tmp")
        tmp.write_text(json.dumps(value, ensure_ascii=False), encoding="utf-8")
        os.replace(tmp, path)
    except OSError:
        pass  # a read-only or full cache folder only costs speed
    prune(path.parent, f"{stem}-*.json", keep=2)
    return value


@cache
def code_fingerprint() -> str:
    """Sizes and times of leadkit's own files: a changed leadkit (a new version, or a
    developer's edit) never reads what an older one cached."""
    root = Path(__file__).parent
    parts = []
    for p in sorted(root.rglob("*.py")) + sorted(root.rglob("*.yaml")):
        try:
            st = p.stat()
        except OSError:
            continue
        parts.append(f"{p.relative_to(root)}:{st.st_size}:{st.st_mtime_ns}")
    return hashlib.sha256("\n".join(parts).encode()).hexdigest()


def prune(folder: Path, pattern: str, keep: int) -> None:
    """Delete all but the `keep` most recently used files matching `pattern`."""
    try:
        entries = sorted(folder.glob(pattern), key=lambda p: p.stat().st_mtime, reverse=True)
        for old in entries[keep:]:
            old.unlink(missing_ok=True)
    except OSError:
        pass
