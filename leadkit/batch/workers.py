"""Worker processes that normalize the run's files, one file at a time each; locks, ledger and
moves stay in the run's process.

A file is always normalized in a worker process, so that whatever happens to it there (a
native library aborting on a hostile workbook, the OOM killer, an address-space limit, a
library calling `exit()`) ends that process only: the file fails alone, and the slot gets a
fresh process for the next file. A worker lives as long as it does well: it is started once
per slot (spawned, not forked: forking a process that runs Polars' thread pool can deadlock),
reads the CRM export once (from the cache the run filled) and takes file after file, so a
run pays the start (imports, CRM cache) once per slot, not once per file.

The per-value work of a file stays in its worker: the files are the parallel work here, so
its pool of leadkit.normalizers is given `workers=1` explicitly. A worker's stderr goes to
the null device (a native library's abort message is a backtrace, not a line for cron).
"""

from __future__ import annotations

import contextlib
import multiprocessing
import os
import signal
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from multiprocessing.connection import Connection, wait
from multiprocessing.process import BaseProcess
from pathlib import Path
from typing import Any, Generic, TypeVar

from leadkit.batch.processor import Processor, RunStopped, one_line
from leadkit.errors import InputError, LeadkitError, MappingError
from leadkit.mapping import LoadedMapping

W = TypeVar("W")  # what the caller tracks for each file handed out (its work)

Outcome = dict[str, Any] | Exception  # the report, or what went wrong


class WorkerDied(Exception):
    """The worker process normalizing a file ended before it answered: killed (the OOM
    killer sends SIGKILL), aborted (SIGABRT: a native library's failed allocation or panic),
    or exited. The file's problem, as far as the run can tell: it fails alone."""

    def __init__(self, exitcode: int | None) -> None:
        self.exitcode = exitcode
        super().__init__(f"the process normalizing it stopped ({describe_exit(exitcode)})")


def describe_exit(code: int | None) -> str:
    if code is None:
        return "no exit status"
    if code < 0:
        try:
            name = signal.Signals(-code).name
        except ValueError:
            name = f"signal {-code}"
        hint = {"SIGKILL": "; out of memory?", "SIGABRT": "; an abort in a native library"}
        return f"{name}{hint.get(name, '')}"
    return f"exit code {code}"


@dataclass
class _Slot(Generic[W]):
    process: BaseProcess
    conn: Connection
    work: W | None = None
    closed: bool = False


class WorkerPool(Generic[W]):
    """`workers` slots, each a process normalizing one file at a time with `processor` (a
    picklable copy of it lives in each process). A slot whose process died gets a new one on
    the next `submit`.

    `submit` hands a file to a free slot, waiting for one when all are busy; it returns the
    `(work, outcome)` of the files finished meanwhile. `finished` gives back those of the
    files done so far (all of them, waiting, with `everything=True`).
    """

    def __init__(self, processor: Processor, *, workers: int) -> None:
        self.workers = workers
        self._processor = processor
        self._ctx = multiprocessing.get_context("spawn")
        self._slots: list[_Slot[W]] = [self._start() for _ in range(workers)]
        self.started = workers  # processes started, replacements included

    @property
    def inflight(self) -> dict[int, W]:
        return {i: s.work for i, s in enumerate(self._slots) if s.work is not None}

    def submit(
        self, path: Path, mapping: LoadedMapping, stage: Path, work: W
    ) -> list[tuple[W, Outcome]]:
        done = list(self.finished(everything=False))
        while not any(s.work is None for s in self._slots):
            done.extend(self._wait(block=True))
        i = next(i for i, s in enumerate(self._slots) if s.work is None)
        slot = self._slots[i]
        if slot.closed or not slot.process.is_alive():  # it died (after its last file)
            self._close(slot)
            slot = self._slots[i] = self._start()
            self.started += 1
        with contextlib.suppress(OSError, EOFError):  # if it died just now, _wait says so
            slot.conn.send((str(path), mapping, str(stage)))
        slot.work = work
        return done

    def finished(self, *, everything: bool) -> Iterator[tuple[W, Outcome]]:
        while any(s.work is not None for s in self._slots):
            got = self._wait(block=everything)
            if not got and not everything:
                return
            yield from got

    def stop(self) -> list[W]:
        """End the workers (a file still in work is abandoned); the work they did not finish."""
        left = [s.work for s in self._slots if s.work is not None]
        for slot in self._slots:
            self._close(slot)
        self._slots = []
        return left

    # -- inside --

    def _start(self) -> _Slot[W]:
        ours, theirs = self._ctx.Pipe()
        process = self._ctx.Process(
            target=_serve,
            args=(theirs, self._processor, os.getpid()),
            name="leadkit-worker",
            daemon=True,
        )
        process.start()
        theirs.close()
        return _Slot(process, ours)

    def _wait(self, *, block: bool) -> list[tuple[W, Outcome]]:
        """The answers (or deaths) of busy slots: at least one when `block`."""
        busy = [s for s in self._slots if s.work is not None]
        handles: list[Any] = [s.conn for s in busy] + [s.process.sentinel for s in busy]
        ready = set(wait(handles, timeout=None if block else 0))
        out: list[tuple[W, Outcome]] = []
        for slot in busy:
            if slot.conn not in ready and slot.process.sentinel not in ready:
                continue
            outcome: Outcome
            try:
                outcome = _from_worker(slot.conn.recv())
            except (EOFError, OSError):  # no answer: the process died with the file
                slot.process.join(timeout=5)
                outcome = WorkerDied(slot.process.exitcode)
                self._close(slot)
            if isinstance(outcome, WorkerError) and outcome.kind == "MemoryError":
                self._close(slot)  # it ends itself (see _serve): never hand it another file
            assert slot.work is not None
            out.append((slot.work, outcome))
            slot.work = None
        return out

    @staticmethod
    def _close(slot: _Slot[W]) -> None:
        if slot.closed:
            return
        slot.closed = True
        with contextlib.suppress(OSError):
            slot.conn.close()
        if slot.process.is_alive():
            slot.process.kill()
        slot.process.join(timeout=10)
        with contextlib.suppress(ValueError):
            slot.process.close()


# --- in the worker process ----------------------------------------------------------------


class WorkerError(Exception):
    """An unexpected error in a worker, carried back by its type name and first line."""

    def __init__(self, kind: str, message: str) -> None:
        super().__init__(message)
        self.kind = kind


def _serve(conn: Connection, processor: Processor, parent: int) -> None:
    """A worker's life: file after file until the run closes the pipe (or dies)."""
    _die_with(parent)
    with contextlib.suppress(OSError):  # a native abort prints a backtrace: not for cron
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, 2)
        os.close(devnull)
    while True:
        try:
            path, mapping, stage = conn.recv()
        except (EOFError, OSError):
            return
        answer = _run_one(processor, Path(path), mapping, Path(stage))
        conn.send(answer)
        if answer[0] == "internal" and answer[1][0] == "MemoryError":
            return  # half-failed allocations leave a process in doubt: the slot gets a new one


def _run_one(processor: Processor, path: Path, mapping: LoadedMapping, stage: Path) -> Any:
    """The processor's report, or its error as plain values (exceptions do not all pickle)."""
    try:
        return "report", processor(path, mapping, stage)
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


def _die_with(parent: int) -> None:
    """Stop when the run is killed: do not write on into its folders. On Linux the kernel
    kills the worker with its parent (PR_SET_PDEATHSIG); elsewhere a thread watches."""
    if sys.platform.startswith("linux"):
        with contextlib.suppress(Exception):
            import ctypes

            libc = ctypes.CDLL(None, use_errno=True)
            libc.prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    if os.getppid() != parent:  # the run died before the line above took effect
        os._exit(1)

    def orphaned() -> None:
        while os.getppid() == parent:
            time.sleep(0.5)
        os._exit(1)

    threading.Thread(target=orphaned, name="leadkit-worker-watch", daemon=True).start()


# --- back in the run's process ------------------------------------------------------------


def _from_worker(answer: tuple[str, Any]) -> Outcome:
    kind, value = answer
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
