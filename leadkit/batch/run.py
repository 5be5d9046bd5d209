"""One pass over the inbox (see the package docstring for the steps and why their order is
safe). A file goes through three phases: **begin** (hash, lock, ledger check, staging
folder), its processing (here or in a worker), then **complete** (publish, record, archive)
or **fail** (to failed/ with its reason)."""

from __future__ import annotations

import contextlib
import errno
import os
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from leadkit.batch.files import (
    Candidate,
    changed,
    default_mode,
    dir_mode,
    free_name,
    iso,
    make_dir,
    move,
    now,
    printable,
    rmtree,
    scan_inbox,
    sha256_file,
    stale_temps,
    stat_or_none,
    write_text,
)
from leadkit.batch.lock import LOCK_STALE_SECONDS, FileLock
from leadkit.batch.processor import PipelineProcessor, Processor, RunStopped, one_line
from leadkit.batch.results import BatchResult, Event, FileResult, Log, describe
from leadkit.batch.routing import Router, listed_before, was_listed, write_needs_mapping
from leadkit.batch.state import STATE_DIR, OutputState
from leadkit.batch.workers import Outcome, WorkerDied, WorkerError, WorkerPool
from leadkit.errors import InputError, LeadkitError, MappingError
from leadkit.ledger import FAILED, PROCESSED, LedgerEntry, handoff_summary
from leadkit.mapping import LoadedMapping

if TYPE_CHECKING:
    from leadkit.handoff.rules import LoadedRules
    from leadkit.pipeline import Options

SETTLE_SECONDS = 30.0
FAILED_DIR = "failed"
ARCHIVE_DIR = "archive"
# A processor's OSError with one of these is the run's problem (the disk), not the file's.
_RUN_ERRNOS = {errno.ENOSPC, errno.EDQUOT, errno.EROFS, errno.EIO, errno.EACCES, errno.EPERM}


def run_inbox(
    inbox: str | Path,
    mappings_dir: str | Path,
    out_dir: str | Path,
    *,
    existing: Sequence[str | Path] = (),
    accounts: Sequence[str | Path] = (),
    rules: LoadedRules | None = None,
    archive: str | Path | None = None,
    settle_seconds: float = SETTLE_SECONDS,
    lock_stale_seconds: float = LOCK_STALE_SECONDS,
    options: Options | None = None,
    workers: int = 1,
    processor: Processor | None = None,
    isolate: bool = False,
    mode: int | None = None,
    log: Log | None = None,
) -> BatchResult:
    """One pass over `inbox`: see the package docstring. Raises LeadkitError (exit 2) only
    when the run cannot happen at all (inbox or mappings folder missing, output folder not
    writable, CRM export, account export or a rules file's list unreadable); every problem
    of one file is that file's result. `accounts` and `rules` (a rules file loaded once by
    the caller) give every file the sales handoff, as `normalize -a ... --rules` does.

    Each file is normalized in a worker process (`workers` of them, files one at a time
    each, the CRM export read once per worker, so memory grows with them): whatever happens
    to a file there (an abort, an out-of-memory kill) fails that file alone. Locks, ledger
    and moves stay in this process. A `processor` given by the caller runs in this process,
    or, with `isolate=True`, in the worker processes (it must then pickle).

    `mode` is the permission bits of every file the run creates (outputs, ledger, lists,
    error files, the CRM cache; folders get it plus search where it reads); by default what
    the umask gives, never wider than the inbox file's own mode (the inbox folder's, for the
    run's own files)."""
    started = time.perf_counter()
    clock = time.time()
    inbox, mappings_dir, out_dir = Path(inbox), Path(mappings_dir), Path(out_dir)
    archive_dir = Path(archive) if archive is not None else out_dir / ARCHIVE_DIR
    _check_folders(inbox, mappings_dir, out_dir, archive_dir, existing, accounts)
    run_mode = mode if mode is not None else default_mode(inbox.stat().st_mode)
    OutputState.create(out_dir, run_mode)
    emit = log or (lambda _event: None)
    own = None
    if processor is None:  # the run's own: the run ends the pool it starts
        processor = own = PipelineProcessor(
            [Path(p) for p in existing],
            options=options,
            log=emit,
            cache_dir=out_dir / STATE_DIR,
            accounts=[Path(p) for p in accounts],
            rules=rules,
        )
    run = _Run(
        inbox=inbox,
        mappings_dir=mappings_dir,
        out_dir=out_dir,
        archive_dir=archive_dir,
        settle=settle_seconds,
        stale=lock_stale_seconds,
        processor=processor,
        emit=emit,
        workers=max(1, workers),
        isolate=isolate or own is not None,
        mode=mode,
        run_mode=run_mode,
        clock=clock,
    )
    result = BatchResult(inbox=inbox, out_dir=out_dir)
    try:
        run.go(result)
    except OSError as e:
        where = f"{e.filename}: " if e.filename else ""
        raise RunStopped(f"run stopped: {where}{e.strerror or e}") from e
    finally:
        if own is not None:
            own.close()
        result.seconds = time.perf_counter() - started
    return result


def _check_folders(
    inbox: Path,
    mappings_dir: Path,
    out_dir: Path,
    archive_dir: Path,
    existing: Sequence[str | Path],
    accounts: Sequence[str | Path] = (),
) -> None:
    for what, folder in (("inbox", inbox), ("mappings folder", mappings_dir)):
        if not folder.is_dir():
            raise InputError(f"{folder}: {what} not found (or not a folder)")
    here = inbox.resolve()
    for what, folder in (("output folder", out_dir), ("archive", archive_dir)):
        there = folder.resolve()
        if there == here or here in there.parents:  # its files would be taken for drops
            raise InputError(f"{folder}: the {what} cannot be the inbox or inside the inbox")
    for p in existing or ():
        if not Path(p).is_file():
            raise InputError(f"{p}: CRM export not found")
    for p in accounts or ():
        if not Path(p).is_file():
            raise InputError(f"{p}: account export not found")


@dataclass
class _Work:
    """A file locked, checked against the ledger, and given a staging folder."""

    cand: Candidate
    mapping: LoadedMapping
    sha: str
    lock: FileLock
    stage: Path
    started: str
    clock: float


@dataclass
class _Run:
    inbox: Path
    mappings_dir: Path
    out_dir: Path
    archive_dir: Path
    settle: float
    stale: float
    processor: Processor
    emit: Log
    workers: int = 1
    isolate: bool = False  # process files in worker processes
    mode: int | None = None  # the mode asked for; None: each file's own (see run_inbox)
    run_mode: int = 0o644  # of the run's own files: ledger, lists, cache
    clock: float = 0.0  # time.time() at the run's start
    listed: set[str] = field(default_factory=set)
    router: Router | None = None
    pool: WorkerPool[_Work] | None = None

    def __post_init__(self) -> None:
        self.state = OutputState(self.out_dir, self.stale, self._note, self.run_mode)

    def file_mode(self, cand: Candidate) -> int:
        """The mode of a file's outputs and error file: asked for, or never wider than its."""
        return self.mode if self.mode is not None else default_mode(cand.stat.st_mode)

    # -- the pass --

    def go(self, result: BatchResult) -> None:
        self.listed = listed_before(self.out_dir)
        self.router = Router.load(self.mappings_dir)
        for problem in self.router.problems:
            result.mapping_problems.append(problem)
            message = f"mapping {problem.path.name} does not load: {problem.message}"
            self.emit(Event("mapping", message, mapping=problem))
        self.state.sweep()
        self._clear_temps()
        todo = self._triage(self.router, result)
        try:
            self._process(todo, result)
        finally:
            self._stop_workers()
        write_needs_mapping(
            self.out_dir, self.inbox, result.by_status("needs-mapping"), self.run_mode
        )

    def _triage(self, router: Router, result: BatchResult) -> list[tuple[Candidate, LoadedMapping]]:
        """The inbox's files that have settled and have one mapping; the others' results."""
        todo: list[tuple[Candidate, LoadedMapping]] = []
        for cand in scan_inbox(self.inbox):
            age = time.time() - cand.changed_at
            if age < -1:  # clock skew between the share and this machine: say so
                message = (
                    f"its time is {-age:.0f}s ahead of this machine's clock (clock skew on the "
                    "share?); it waits until then: sync the clocks (NTP)"
                )
                self._done(result, FileResult(cand.name, "waiting", "clock-skew", message))
                continue
            if age < self.settle:
                waits = f"waits until it has not changed for {self.settle:g}s"
                message = f"changed {max(0.0, age):.0f}s ago; {waits}"
                self._done(result, FileResult(cand.name, "waiting", "settling", message))
                continue
            route = router.route(cand)
            if isinstance(route, FileResult):
                route.new = not was_listed(cand.name, self.listed)
                self._done(result, route)
            else:
                todo.append((cand, route))
        return todo

    def _process(self, todo: list[tuple[Candidate, LoadedMapping]], result: BatchResult) -> None:
        for i, (cand, mapping) in enumerate(todo):
            step = self._begin(cand, mapping)
            if not isinstance(step, _Work):
                self._done(result, step)
                continue
            left = len(todo) - i
            if self.pool is None and self.isolate:
                self._start_workers(min(self.workers, left))  # once there is real work
            for res in self._submit(step):
                self._done(result, res)
        for res in self._harvest(everything=True):
            self._done(result, res)

    def _done(self, result: BatchResult, res: FileResult | None) -> None:
        if res is None:
            return  # gone from the inbox: another run took it
        result.files.append(res)
        self.emit(Event("file", describe(res), file=res))

    # -- begin: hash, lock, ledger check, staging folder --

    def _begin(self, cand: Candidate, mapping: LoadedMapping) -> _Work | FileResult | None:
        try:
            sha = sha256_file(cand.path)
        except FileNotFoundError:
            return None
        except OSError as e:  # no permission to read it, an I/O error: the file's problem
            msg = f"cannot read the file ({e.strerror})"
            return self._fail(cand, None, mapping, now(), "unreadable", msg, msg)
        lock = self.state.content_lock(sha)
        if not lock.acquire():
            return self._locked(cand, mapping, sha)
        work = None
        try:
            _checkpoint("locked")
            work = self._stage(cand, mapping, sha, lock)
            return work
        finally:
            if not isinstance(work, _Work):
                lock.release()

    def _locked(self, cand: Candidate, mapping: LoadedMapping, sha: str) -> FileResult:
        inflight = self.pool.inflight.values() if self.pool else ()
        who = (
            "this run is processing the same content under another name"
            if any(w.sha == sha for w in inflight)
            else "another run is processing this content"
        )
        return FileResult(cand.name, "waiting", "locked", who, sha256=sha, mapping=mapping.name)

    def _stage(
        self, cand: Candidate, mapping: LoadedMapping, sha: str, lock: FileLock
    ) -> _Work | FileResult | None:
        """Under the content's lock: the ledger's word, then a fresh staging folder."""
        st = stat_or_none(cand.path)
        if st is None:
            return None
        if changed(st, cand.stat):
            message = "changed while it was being looked at"
            return FileResult(cand.name, "waiting", "changed", message, sha256=sha)
        done = self.state.processed(sha)
        if done is not None:
            return self._already(cand, st, sha, done)
        self.state.clear_leftovers(sha)
        stage = self.state.new_stage(sha)
        self.emit(Event("start", f"processing {cand.name} with {mapping.name}"))
        return _Work(cand, mapping, sha, lock, stage, now(), time.perf_counter())

    def _already(
        self, cand: Candidate, st: os.stat_result, sha: str, done: LedgerEntry
    ) -> FileResult:
        moved = self._move_out(cand.path, st, self.archive_dir)
        same = "" if done.file == cand.name else f" as {done.file}"
        return FileResult(
            cand.name,
            "skipped",
            "already-processed",
            f"this content was processed{same} on {str(done.ready or '?')[:19]}",
            sha256=sha,
            mapping=done.mapping,
            outputs=self.out_dir / str(done.outputs),
            moved_to=moved,
        )

    # -- processing: here, or in a worker process --

    def _submit(self, work: _Work) -> Iterator[FileResult | None]:
        """Process `work` here, or hand it to a worker (and finish what the workers are done
        with, keeping at most one file waiting per worker)."""
        if self.pool is None:
            try:
                outcome: Outcome = self.processor(work.cand.path, work.mapping, work.stage)
            except Exception as e:  # noqa: BLE001 - judged in _complete
                outcome = e
            yield self._finish(work, outcome)
            return
        for done, outcome in self.pool.submit(work.cand.path, work.mapping, work.stage, work):
            yield self._finish(done, outcome)

    def _harvest(self, *, everything: bool) -> Iterator[FileResult | None]:
        if self.pool is None:
            return
        for work, outcome in self.pool.finished(everything=everything):
            yield self._finish(work, outcome)

    def _start_workers(self, size: int) -> None:
        """Worker processes for `size` files at a time. They start (import leadkit) while this
        process reads the CRM export once and shares it with them through the cache file."""
        if isinstance(self.processor, PipelineProcessor):
            self.pool = WorkerPool(self.processor.for_worker(), workers=size)
            self.processor.prepare()  # read once here; the workers find it in the cache
            self._chmod_cache()
        else:
            self.pool = WorkerPool(self.processor, workers=size)

    def _stop_workers(self) -> None:
        """At the end, or when the run stops: wait for the workers, give back what is held."""
        if self.pool is None:
            return
        for work in self.pool.stop():
            rmtree(work.stage)
            work.lock.release()
        self.pool = None

    # -- complete: judge the outcome; publish, record, archive --

    def _finish(self, work: _Work, outcome: Outcome) -> FileResult | None:
        try:
            return self._complete(work, outcome)
        finally:
            rmtree(work.stage)  # gone already when published
            work.lock.release()

    def _complete(self, work: _Work, outcome: Outcome) -> FileResult | None:
        """The order is what makes it safe: see the package docstring."""
        if isinstance(outcome, RunStopped):
            raise outcome  # the run's problem (CRM export), not the file's: it stays
        if isinstance(outcome, OSError) and (outcome.errno in _RUN_ERRNOS or outcome.errno is None):
            if stat_or_none(work.cand.path) is None:
                return None  # the file went away meanwhile
            raise outcome  # the disk's problem, not the file's: it stays
        if isinstance(outcome, Exception):
            return self._failed(work, outcome)
        _checkpoint("staged")
        st = stat_or_none(work.cand.path)
        if st is None:
            return None
        if changed(st, work.cand.stat):
            return _changed_meanwhile(work)
        if not work.lock.held():
            message = "another run took this content over"
            return FileResult(work.cand.name, "waiting", "locked", message, sha256=work.sha)
        final = self.state.publish(
            work.stage, work.cand.path.stem, work.sha, self.file_mode(work.cand)
        )
        entry = _processed_entry(work, st, outcome, final, ready=now())
        _checkpoint("published")
        if not self.state.record(entry):
            message = "another run recorded this content first"
            return FileResult(
                work.cand.name, "skipped", "already-processed", message, sha256=work.sha
            )
        _checkpoint("recorded")
        moved = self._move_out(work.cand.path, st, self.archive_dir)
        _checkpoint("archived")
        return _processed_result(work, entry, final, moved)

    def _move_out(self, path: Path, st: os.stat_result, folder: Path) -> Path | None:
        """Move an inbox file whose content is recorded, unless it was replaced meanwhile."""
        current = stat_or_none(path)
        if current is None or changed(current, st):
            return None  # replaced by a new drop under the same name: the next run sees it
        make_dir(folder, self.run_mode)
        return move(path, folder / free_name(folder, path.name))

    # -- fail: to failed/ with the one-line error beside it --

    def _failed(self, work: _Work, error: Exception) -> FileResult | None:
        """A file the processor could not do: its fault (unless it was still being written)."""
        cand, path = work.cand, work.cand.path
        st = stat_or_none(path)
        if st is None:
            return None
        if changed(st, cand.stat):  # half-written when read: wait for the rest
            return _changed_meanwhile(work)
        if isinstance(error, LeadkitError):
            code = "mapping-error" if isinstance(error, MappingError) else "unreadable"
            line = one_line(error)
            short = line
            for prefix in (f"{path}: ", f"{cand.name}: "):  # the file is named by the result
                short = short.removeprefix(prefix)
            return self._fail(cand, work.sha, work.mapping, work.started, code, short, line)
        if isinstance(error, WorkerDied) or (
            isinstance(error, WorkerError | MemoryError)
            and getattr(error, "kind", "MemoryError") == "MemoryError"
        ):
            line = str(error) if isinstance(error, WorkerDied) else "out of memory (MemoryError)"
            return self._fail(cand, work.sha, work.mapping, work.started, "crashed", line, line)
        kind = getattr(error, "kind", type(error).__name__)
        message = f"internal error ({kind}); see the .error.txt"
        detail = f"internal error: {kind}: {one_line(error)}"
        return self._fail(
            cand, work.sha, work.mapping, work.started, "internal-error", message, detail
        )

    def _fail(
        self,
        cand: Candidate,
        sha: str | None,
        mapping: LoadedMapping,
        started: str,
        code: str,
        message: str,
        detail: str,
    ) -> FileResult:
        """To failed/ with the one-line error beside it; the error file first, so a file never
        leaves the inbox without its reason."""
        folder = self.out_dir / FAILED_DIR
        make_dir(folder, self.run_mode)
        name = free_name(folder, cand.name, also=".error.txt")
        write_text(folder / f"{name}.error.txt", printable(detail) + "\n", self.file_mode(cand))
        try:
            moved: Path | None = move(cand.path, folder / name)
        except FileNotFoundError:
            moved = None
        entry = LedgerEntry(
            FAILED,
            sha,
            cand.name,
            mapping=mapping.name,
            mapping_file=mapping.path.name if mapping.path else None,
            mapping_sha256=mapping.sha256,
            arrived=iso(cand.changed_at),
            started=started,
            failed=now(),
            error=code,
            message=message,
            moved_to=f"{FAILED_DIR}/{name}",
        )
        self.state.record_failure(entry)
        return FileResult(
            cand.name, "failed", code, message, sha256=sha, mapping=mapping.name, moved_to=moved
        )

    # -- housekeeping --

    def _note(self, message: str) -> None:
        self.emit(Event("note", message))

    def _clear_temps(self) -> None:
        """leadkit's temporary files that dead runs left (a cross-drive move cut short by a
        full disk, an error file half written): unchanged since before this run started, and
        for `stale` seconds (a live run's copy changes as it is written), removed by one run
        at a time."""
        lock = FileLock(
            self.out_dir / STATE_DIR / "temps.lock",
            stale_seconds=60,
            heartbeat=False,
            on_break=self._note,
        )
        if not lock.acquire():
            return  # another run is at it
        try:
            before = min(self.clock, time.time() - self.stale)
            folders = (self.out_dir, self.out_dir / FAILED_DIR, self.archive_dir)
            for folder in (*folders, self.out_dir / STATE_DIR / "crm"):
                for p in stale_temps(folder, before):
                    with contextlib.suppress(FileNotFoundError):
                        p.unlink()
                    self._note(f"removed a temporary file of an interrupted run: {p.name}")
        finally:
            lock.release()

    def _chmod_cache(self) -> None:
        """The CRM cache holds the export's personal data: the run's mode, never wider."""
        cache = self.out_dir / STATE_DIR / "crm"
        with contextlib.suppress(OSError):
            for p in cache.iterdir():
                if p.is_file():
                    os.chmod(p, self.run_mode)
            os.chmod(cache, dir_mode(self.run_mode))


# --- what a file's completion records and returns ----------------------------------------


def _processed_entry(
    work: _Work, st: os.stat_result, report: dict[str, Any], final: Path, *, ready: str
) -> LedgerEntry:
    return LedgerEntry(
        PROCESSED,
        work.sha,
        work.cand.name,
        mapping=work.mapping.name,
        mapping_file=work.mapping.path.name if work.mapping.path else None,
        mapping_sha256=work.mapping.sha256,
        size=st.st_size,
        target=(report.get("mapping") or {}).get("target"),
        arrived=iso(work.cand.changed_at),
        started=work.started,
        ready=ready,
        rows=report.get("rows"),
        counts={k: int(v) for k, v in (report.get("counts") or {}).items()},
        reject_reasons=report.get("reject_reasons") or {},
        limit_exceeded=bool((report.get("limits") or {}).get("exceeded")),
        outputs=final.name,
        handoff=handoff_summary(report.get("handoff")),
    )


def _processed_result(
    work: _Work, entry: LedgerEntry, final: Path, moved: Path | None
) -> FileResult:
    return FileResult(
        work.cand.name,
        "processed",
        None,
        f"{work.mapping.name} -> {final.name}/",
        sha256=work.sha,
        mapping=work.mapping.name,
        outputs=final,
        moved_to=moved,
        rows=entry.rows,
        counts=entry.counts,
        limit_exceeded=entry.limit_exceeded,
        seconds=round(time.perf_counter() - work.clock, 3),
    )


def _changed_meanwhile(work: _Work) -> FileResult:
    message = "changed while it was being processed"
    return FileResult(work.cand.name, "waiting", "changed", message, sha256=work.sha)


def _checkpoint(step: str) -> None:
    """A named point between the steps of one file; tests replace it to kill a run there."""
