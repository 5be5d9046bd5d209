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
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from contextlib import contextmanager
from typing import Any, NamedTuple, TypeVar

import polars as pl

T = TypeVar("T")
R = TypeVar("R")

# Below this many distinct values a second process costs more than it saves.
PARALLEL_MIN = 20_000


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


def available_workers() -> int:
    """The cores this process may use; `LEADKIT_WORKERS` (a person's setting) overrides."""
    env = os.environ.get("LEADKIT_WORKERS")
    if env and env.isdigit():
        return int(env)
    return (
        len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    )


class Pool:
    """The second core for the per-value work of one owner: a run, a `normalize` call.

    With `workers` >= 2, one worker process (spawned on first need, not forked: forking a
    process that runs Polars' thread pool can deadlock) takes the second half of a big list
    while this process does the first, so its start-up overlaps useful work. When it cannot
    run here (a worker cannot import a REPL's `__main__`), this pool does everything in this
    process from then on: the failure is its owner's, not the rest of the process's.
    """

    def __init__(self, workers: int | None = None) -> None:
        self.workers = available_workers() if workers is None else workers
        self._executor: ProcessPoolExecutor | None = None
        self._broken = False
        self._lock = threading.Lock()  # standardize runs fields in threads: one worker for all

    @property
    def started(self) -> bool:
        return self._executor is not None

    @property
    def broken(self) -> bool:
        return self._broken

    def map(self, fn: Callable[[T], R], values: Sequence[T]) -> list[R]:
        """`[fn(v) for v in values]`, on both cores when there are enough values. `fn` must
        be a module-level function (picklable) and pure."""
        if len(values) < PARALLEL_MIN or self.workers < 2 or self._broken:
            return _run(fn, values)
        half = len(values) // 2
        try:
            future = self._worker().submit(_run, fn, values[half:])
        except Exception:  # noqa: BLE001 - no second process: one core still gives the answer
            return self._run_alone(fn, values)
        first = _run(fn, values[:half])
        try:
            return first + future.result()
        except Exception:  # noqa: BLE001 - e.g. a worker that cannot import __main__ (a REPL)
            return first + self._run_alone(fn, values[half:])

    def close(self) -> None:
        """Stop the worker process, if one was started."""
        with self._lock:
            executor, self._executor = self._executor, None
        if executor is not None:
            executor.shutdown(wait=True, cancel_futures=True)

    def __enter__(self) -> Pool:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _run_alone(self, fn: Callable[[T], R], values: Sequence[T]) -> list[R]:
        self._broken = True
        return _run(fn, values)

    def _worker(self) -> ProcessPoolExecutor:
        global _any_started
        with self._lock:
            if self._executor is None:
                context = multiprocessing.get_context("spawn")
                self._executor = ProcessPoolExecutor(max_workers=1, mp_context=context)
                _any_started = True
            return self._executor


# The pool `apply_all` uses: the one its owner put in place with `use_pool`, else one for
# callers that own none (made on first need, closed when the process ends).
_active: Pool | None = None
_default: Pool | None = None
_any_started = False  # a fact about this process, for the CLI's fast exit


@contextmanager
def use_pool(pool: Pool) -> Iterator[Pool]:
    """Make `pool` the one the normalizers use while the block runs (in every thread: the
    fields of a file are standardized in threads), then put back the one before."""
    global _active
    before, _active = _active, pool
    try:
        yield pool
    finally:
        _active = before


def current_pool() -> Pool:
    """The pool put in place by `use_pool`, else the process's default one."""
    global _default
    if _active is not None:
        return _active
    with _default_lock:
        if _default is None:
            _default = Pool()
            atexit.register(_default.close)
        return _default


_default_lock = threading.Lock()


def apply_all(fn: Callable[[T], R], values: Sequence[T], pool: Pool | None = None) -> list[R]:
    """`[fn(v) for v in values]`, through `pool` (default: `current_pool()`)."""
    return (pool or current_pool()).map(fn, values)


def workers_started() -> bool:
    """Whether a worker process was started in this process (its queues want a proper
    shutdown)."""
    return _any_started


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
