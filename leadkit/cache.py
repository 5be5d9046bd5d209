"""leadkit's cache folder: derived data worth keeping between runs, never needed for correctness.

Whatever is kept here can be deleted at any time; it is rebuilt on the next run.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any


def cache_dir() -> Path:
    """`$LEADKIT_CACHE_DIR`, else `$XDG_CACHE_HOME/leadkit`, else `~/.cache/leadkit`."""
    if env := os.environ.get("LEADKIT_CACHE_DIR"):
        return Path(env)
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "leadkit"


def cached_json(name: str, build: Callable[[], Any]) -> Any:
    """`build()`'s result, kept as `name` in the cache folder; rebuilt when missing or damaged."""
    path = cache_dir() / name
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
    return value
