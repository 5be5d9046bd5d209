"""What every normalizer shares: the result type and "run once per unique value".

A normalizer is a pure function from raw text (plus context such as the row's
country) to a `Normalized`: the clean value, or None when nothing usable is left,
and a reason code from `leadkit.codes` when something was wrong. It never raises.

Column functions run it once per distinct input and join the results back, so a
million-row column with 40,000 distinct values costs 40,000 calls.
"""

from __future__ import annotations

import atexit
import multiprocessing
import os
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from typing import Any, NamedTuple, TypeVar

import polars as pl

T = TypeVar("T")
R = TypeVar("R")

# Below this many distinct values a second process costs more than it saves.
PARALLEL_MIN = 20_000
_pool: ProcessPoolExecutor | None = None
_broken = False  # set when the worker cannot run here; everything then runs in-process
_pool_lock = threading.Lock()


class Normalized(NamedTuple):
    value: str | None
    code: str | None = None


def map_unique(
    col: pl.Series,
    fn: Callable[[str], Normalized],
) -> pl.DataFrame:
    """Apply `fn` to each distinct non-null value of `col`; return `value`, `code` columns.

    The result has one row per row of `col`, in order. Nulls stay null with no code.
    """
    uniq = col.drop_nulls().unique()
    results = apply_all(fn, uniq.to_list())
    lookup = pl.DataFrame(
        {
            "_key": uniq,
            "value": [r.value for r in results],
            "code": [r.code for r in results],
        },
        schema={"_key": pl.String, "value": pl.String, "code": pl.String},
    )
    return (
        col.rename("_key")
        .to_frame()
        .join(lookup, on="_key", how="left", maintain_order="left")
        .select("value", "code")
    )


def map_unique_with(
    col: pl.Series,
    context: pl.Series,
    fn: Callable[[str, str | None], Normalized],
) -> pl.DataFrame:
    """Like `map_unique` for a normalizer that also reads a per-row context (a region)."""
    frame = pl.DataFrame(
        {"_key": col, "_ctx": context}, schema={"_key": pl.String, "_ctx": pl.String}
    )
    uniq = frame.filter(pl.col("_key").is_not_null()).unique(maintain_order=False)
    keys = uniq["_key"].to_list()
    ctxs = uniq["_ctx"].to_list()
    results = apply_all(_Star(fn), list(zip(keys, ctxs, strict=True)))
    lookup = uniq.with_columns(
        pl.Series("value", [r.value for r in results], dtype=pl.String),
        pl.Series("code", [r.code for r in results], dtype=pl.String),
    )
    return frame.join(
        lookup, on=["_key", "_ctx"], how="left", nulls_equal=True, maintain_order="left"
    ).select("value", "code")


class _Star:
    """fn(*args) as a picklable one-argument callable."""

    def __init__(self, fn: Callable[..., Any]) -> None:
        self.fn = fn

    def __call__(self, args: tuple[Any, ...]) -> Any:
        return self.fn(*args)


def _run(fn: Callable[[T], R], values: Sequence[T]) -> list[R]:
    return [fn(v) for v in values]


def apply_all(fn: Callable[[T], R], values: Sequence[T]) -> list[R]:
    """`[fn(v) for v in values]`, on both cores when there are enough values.

    A worker process takes the second half while this process does the first, so the
    worker's start-up overlaps useful work. `fn` must be a module-level function (picklable)
    and pure. LEADKIT_WORKERS=1 turns the second core off.
    """
    if len(values) < PARALLEL_MIN or _workers() < 2 or _broken:
        return _run(fn, values)
    half = len(values) // 2
    try:
        future = _executor().submit(_run, fn, values[half:])
    except Exception:  # noqa: BLE001 - no second process: one core still gives the answer
        return _disable_and_run(fn, values)
    first = _run(fn, values[:half])
    try:
        return first + future.result()
    except Exception:  # noqa: BLE001 - e.g. a worker that cannot import __main__ (a REPL)
        return first + _disable_and_run(fn, values[half:])


def _disable_and_run(fn: Callable[[T], R], values: Sequence[T]) -> list[R]:
    global _broken
    _broken = True
    return _run(fn, values)


def _workers() -> int:
    env = os.environ.get("LEADKIT_WORKERS")
    if env and env.isdigit():
        return int(env)
    return (
        len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    )


def _executor() -> ProcessPoolExecutor:
    global _pool
    with _pool_lock:  # standardize runs fields in threads: one pool for all of them
        return _make_pool()


def _make_pool() -> ProcessPoolExecutor:
    global _pool
    if _pool is None:
        # spawn, not fork: forking a process that runs Polars' thread pool can deadlock.
        _pool = ProcessPoolExecutor(max_workers=1, mp_context=multiprocessing.get_context("spawn"))
        atexit.register(_pool.shutdown, wait=False, cancel_futures=True)
    return _pool


def workers_started() -> bool:
    """Whether a worker process was started (its queues want a proper shutdown)."""
    return _pool is not None


def settle_rest(
    settled: pl.DataFrame,
    rest: pl.DataFrame,
    fn: Callable[..., Normalized],
    value: str = "value",
    code: str = "code",
) -> pl.DataFrame:
    """One lookup table from a fast path and the per-value function.

    `settled` holds the key columns and `value` the fast path found (its code, if it has
    none, is null); `rest` holds only the key columns, which go to `fn(*keys)` once per row,
    on both cores when there are many.
    """
    results = apply_all(_Star(fn), list(rest.iter_rows()))
    if code not in settled.columns:
        settled = settled.with_columns(pl.lit(None, dtype=pl.String).alias(code))
    done = rest.with_columns(
        pl.Series(value, [r.value for r in results], dtype=pl.String),
        pl.Series(code, [r.code for r in results], dtype=pl.String),
    )
    return pl.concat([settled.select(done.columns), done])


def settle_nulls(
    lookup: pl.DataFrame,
    key: str,
    fn: Callable[[str], Normalized],
    value: str = "value",
    code: str = "code",
) -> pl.DataFrame:
    """`settle_rest` for a fast path that leaves `value` null where it is unsure."""
    unsure = pl.col(value).is_null()
    return settle_rest(lookup.filter(~unsure), lookup.filter(unsure).select(key), fn, value, code)
