"""Worker processes that normalize several files at a time; locks, ledger and moves stay in
the run's process.

Each worker is spawned (not forked: forking a process that runs Polars' thread pool can
deadlock), reads the CRM export once (from the cache the run filled), and does the per-value
work of its files in its own process: the files are the parallel work here, so its pool of
leadkit.normalizers is given `workers=1` explicitly.
"""

from __future__ import annotations

import multiprocessing
import os
import threading
import time
from collections.abc import Iterator, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from pathlib import Path
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from leadkit.batch.processor import PipelineProcessor, RunStopped, one_line
from leadkit.errors import InputError, LeadkitError, MappingError
from leadkit.mapping import LoadedMapping

if TYPE_CHECKING:
    from leadkit.pipeline import Options

W = TypeVar("W")  # what the caller tracks for each file handed out (its work)

Outcome = dict[str, Any] | Exception  # the report, or what went wrong


class WorkerPool(Generic[W]):
    """`workers` processes, each normalizing one file at a time with a copy of `processor`.

    `submit` hands a file out; `finished` gives back `(work, outcome)` for each file done,
    with at most one file waiting per worker (or all of them, with `everything=True`).
    """

    def __init__(self, processor: PipelineProcessor, *, workers: int) -> None:
        self.workers = workers
        self.inflight: dict[Future[tuple[str, Any]], W] = {}
        p = processor
        self._executor = ProcessPoolExecutor(
            max_workers=workers,
            mp_context=multiprocessing.get_context("spawn"),
            initializer=_worker_init,
            initargs=(p.existing, p.options, p.cache_dir, os.getpid()),
        )
        for _ in range(workers):  # start them all now (a pool starts its processes on demand)
            self._executor.submit(int)

    def submit(self, path: Path, mapping: LoadedMapping, stage: Path, work: W) -> None:
        future = self._executor.submit(_worker_run, str(path), mapping, str(stage))
        self.inflight[future] = work

    def finished(self, *, everything: bool) -> Iterator[tuple[W, Outcome]]:
        while self.inflight:
            full = len(self.inflight) > self.workers
            ready, _ = wait(
                self.inflight,
                timeout=None if (everything or full) else 0,
                return_when=FIRST_COMPLETED,
            )
            if not ready:
                return
            for future in ready:
                yield self.inflight.pop(future), _from_worker(future)
            if not everything and len(self.inflight) <= self.workers:
                return

    def stop(self) -> list[W]:
        """Wait for the workers to end; the work they did not finish."""
        self._executor.shutdown(wait=True, cancel_futures=True)
        left = list(self.inflight.values())
        self.inflight.clear()
        return left


# --- in the worker process ----------------------------------------------------------------

_WORKER: PipelineProcessor | None = None


class WorkerError(Exception):
    """An unexpected error in a worker, carried back by its type name and first line."""

    def __init__(self, kind: str, message: str) -> None:
        super().__init__(message)
        self.kind = kind


def _worker_init(
    existing: Sequence[Path], options: Options | None, cache_dir: Path | None, parent: int
) -> None:
    global _WORKER
    _WORKER = PipelineProcessor(existing, options=options, cache_dir=cache_dir, value_workers=1)

    def orphaned() -> None:  # the run was killed: stop, do not write on into its folders
        while os.getppid() == parent:  # (the run's pid is passed: it may be dead already)
            time.sleep(0.5)
        os._exit(1)

    threading.Thread(target=orphaned, name="leadkit-worker-watch", daemon=True).start()


def _worker_run(path: str, mapping: LoadedMapping, stage: str) -> tuple[str, Any]:
    """The processor's report, or its error as plain values (exceptions do not all pickle)."""
    assert _WORKER is not None
    try:
        return "report", _WORKER(Path(path), mapping, Path(stage))
    except RunStopped as e:
        return "stop", str(e)
    except OSError as e:
        return "oserror", (e.errno, e.strerror, e.filename)
    except MappingError as e:
        return "mapping", e.problems
    except LeadkitError as e:
        return "input", str(e)
    except Exception as e:  # noqa: BLE001 - judged by the run, like an error in-process
        return "internal", (type(e).__name__, one_line(e))


# --- back in the run's process ------------------------------------------------------------


def _from_worker(future: Future[tuple[str, Any]]) -> Outcome:
    try:
        kind, value = future.result()
    except Exception as e:  # noqa: BLE001 - a worker died (killed, out of memory)
        return RunStopped(f"a worker process stopped ({type(e).__name__}: {one_line(e)})")
    if kind == "report":
        return dict(value)
    if kind == "stop":
        return RunStopped(value)
    if kind == "oserror":
        return OSError(*value)
    if kind == "mapping":
        return MappingError(list(value))
    if kind == "input":
        return InputError(value)
    return WorkerError(*value)
