"""Independent steps on two threads."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any


def _parallel(tasks: Sequence[Callable[[], Any]]) -> list[Any]:
    """The results of `tasks`, run on two threads (Polars and NumPy's sorts and arithmetic
    let go of the GIL, so a second core works alongside)."""
    with ThreadPoolExecutor(max_workers=2) as pool:
        return list(pool.map(lambda task: task(), tasks))
