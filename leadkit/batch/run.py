"""Batch mode: every file dropped in an inbox, routed, normalized, archived; never twice, never lost.

`run_inbox(inbox, mappings_dir, out_dir, ...)` is one pass over the inbox, meant to be run by
cron or a systemd timer, possibly overlapping with another pass (on another machine too, when
the folders are on a shared drive). For each regular file in the inbox, oldest first:

1. **settle**: a file whose content or metadata changed less than `settle_seconds` ago is
   still being written: it waits for a later run.
2. **route**: the mappings whose `match:` glob(s) fit the file name (case-insensitive). None
   or several: the file needs a mapping and stays where it is (`needs-mapping.txt`).
3. **lock** the file's content (its sha256): a lock file created exclusively (O_CREAT|O_EXCL,
   which network drives honour) holding its owner (host, pid) and time, refreshed while the
   work goes on. A lock whose owner died (same host) or that has not been refreshed for
   `lock_stale_seconds` is taken over safely (one run breaks it, under a second lock).
4. **check the ledger** (re-read under the lock): content already processed, under any name,
   is not processed again: the copy goes to the archive.
5. **process** into a staging folder: the outputs `normalize` writes, with the CRM export(s)
   standardized once per run (and cached for the next runs while unchanged); with
   `workers` > 1, several files at a time in worker processes.
6. **publish**: the staging folder is renamed to `OUT/<stem>-<sha12>/` in one step.
7. **record**: one `processed` line appended to the ledger (under the ledger lock, fsynced).
8. **archive**: the inbox file is moved to the archive; the lock is released.

Why this order is safe, whatever moment a run is killed at: before 6, nothing exists under
a final name and the inbox file is untouched, so the next run does the file again (and
clears the leftovers of the dead one, which it can because it holds the content's lock);
between 6 and 7, the output folder exists but the ledger does not know it, so the next run
does the file again and replaces that folder (same name, same content); between 7 and 8,
the ledger knows the content, so the next run only moves the inbox file to the archive.
A content is in the ledger at most once because the check and the append happen under the
ledger lock, by the one run holding the content's lock. The inbox file leaves the inbox only
after its ledger line is on disk (or, for a failure, after its `.error.txt` is).

A file that cannot be processed (unreadable, mapping error) goes to `OUT/failed/` with
`<name>.error.txt` beside it, and the run goes on. The library never prints: it returns a
`BatchResult` and reports each step through the `log` callback as an `Event`. Messages hold
file names, counts and codes, never a row's values.
"""

from __future__ import annotations

import contextlib
import errno
import fnmatch
import hashlib
import json
import multiprocessing
import os
import re
import secrets
import shlex
import shutil
import socket
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, Protocol

import yaml

from leadkit import __version__
from leadkit.errors import InputError, LeadkitError, MappingError
from leadkit.ledger import FAILED, LEDGER_NAME, PROCESSED, VERSION, Ledger
from leadkit.mapping import LoadedMapping, load_mapping

if TYPE_CHECKING:
    import polars as pl

    from leadkit.pipeline import Options

SETTLE_SECONDS = 30.0
LOCK_STALE_SECONDS = 600.0
NEEDS_MAPPING = "needs-mapping.txt"
STATE_DIR = ".leadkit"  # locks and staging folders, inside the output folder
FAILED_DIR = "failed"
ARCHIVE_DIR = "archive"
SHORT = 12  # hex digits of the sha256 in output folder names

Status = Literal["processed", "skipped", "waiting", "failed", "needs-mapping"]

# Files that are not (yet) partner files: hidden files, Office owner files, partial downloads.
_IGNORED_SUFFIXES = (".tmp", ".temp", ".part", ".partial", ".crdownload", ".download", ".filepart")


# --- results and events -------------------------------------------------------------------


@dataclass
class FileResult:
    """What a run did with one inbox file. `to_dict()` is its `--json` line."""

    file: str
    status: Status
    reason: str | None = None  # a stable code: settling, locked, unmatched, unreadable, ...
    message: str = ""
    sha256: str | None = None
    mapping: str | None = None
    outputs: Path | None = None  # the output folder (processed, or already processed)
    moved_to: Path | None = None  # archive or failed/ path of the original
    rows: int | None = None
    counts: dict[str, int] | None = None
    limit_exceeded: bool = False
    seconds: float | None = None  # processing time
    command: str | None = None  # for needs-mapping: what to run
    new: bool = True  # for needs-mapping: not listed by the previous run

    @property
    def attention(self) -> bool:
        """Whether a person should look at this file (the run exits 1)."""
        return self.status in ("failed", "needs-mapping") or self.limit_exceeded

    def to_dict(self) -> dict[str, Any]:
        d: dict[str, Any] = {"kind": "file", "file": self.file, "status": self.status}
        for key in (
            "reason",
            "message",
            "sha256",
            "mapping",
            "rows",
            "counts",
            "seconds",
            "command",
        ):
            value = getattr(self, key)
            if value not in (None, ""):
                d[key] = value
        for key in ("outputs", "moved_to"):
            value = getattr(self, key)
            if value is not None:
                d[key] = str(value)
        if self.limit_exceeded:
            d["limit_exceeded"] = True
        if self.status == "needs-mapping":
            d["new"] = self.new
        return d


@dataclass(frozen=True)
class MappingProblem:
    """A mapping file that did not load; files its `match:` fits wait for it to be fixed."""

    path: Path
    message: str

    def to_dict(self) -> dict[str, Any]:
        return {
            "kind": "mapping",
            "mapping_file": str(self.path),
            "status": "error",
            "message": self.message,
        }


@dataclass(frozen=True)
class Event:
    """A step of the run, for the caller to show or log: `start` (a file is being processed),
    `file` (a file's result), `mapping` (a mapping did not load), `note` (housekeeping)."""

    kind: Literal["start", "file", "mapping", "note"]
    message: str
    file: FileResult | None = None
    mapping: MappingProblem | None = None


Log = Callable[[Event], None]


@dataclass
class BatchResult:
    inbox: Path
    out_dir: Path
    files: list[FileResult] = field(default_factory=list)
    mapping_problems: list[MappingProblem] = field(default_factory=list)
    seconds: float = 0.0

    def by_status(self, status: Status) -> list[FileResult]:
        return [f for f in self.files if f.status == status]

    @property
    def exit_code(self) -> int:
        """0 done; 1 done but a person must look (a file failed, needs a mapping, crossed a
        limit, or a mapping did not load)."""
        return 1 if self.mapping_problems or any(f.attention for f in self.files) else 0

    def totals(self) -> dict[str, int]:
        out: dict[str, int] = {}
        for f in self.files:
            out[f.status] = out.get(f.status, 0) + 1
        return out

    def to_dict(self) -> dict[str, Any]:
        return {
            "kind": "run",
            "inbox": str(self.inbox),
            "out": str(self.out_dir),
            "totals": self.totals(),
            "mapping_errors": len(self.mapping_problems),
            "seconds": round(self.seconds, 3),
            "exit_code": self.exit_code,
        }


# --- how one file is normalized -----------------------------------------------------------


class RunStopped(LeadkitError):
    """A problem of the run, not of one file (the CRM export, the disk): the run stops and
    the file stays in the inbox."""


class Processor(Protocol):
    """Normalize `path` with `mapping` into `out_dir`; return the report dict."""

    def __call__(self, path: Path, mapping: LoadedMapping, out_dir: Path, /) -> dict[str, Any]: ...


class PipelineProcessor:
    """`normalize` for one file, with the CRM export(s) read once per run (on first need).

    With `cache_dir`, the standardized CRM export is kept there (leadkit.existing's cache,
    keyed by the export's content, the id column and leadkit's code): worker processes and
    the next runs read it instead of standardizing the export again.
    """

    def __init__(
        self,
        existing: Sequence[Path] = (),
        *,
        options: Options | None = None,
        log: Log | None = None,
        cache_dir: Path | None = None,
    ) -> None:
        self.existing = [Path(p) for p in existing]
        self.options = options
        self.log = log
        self.cache_dir = cache_dir
        self._crm: pl.DataFrame | None = None
        self._crm_seconds = 0.0
        self._jobs: dict[tuple[str, str], Any] = {}

    def crm(self) -> pl.DataFrame | None:
        """The standardized CRM export(s), read (or taken from the cache) once."""
        if not self.existing or self._crm is not None:
            return self._crm
        from leadkit.existing import load_existing

        t = time.perf_counter()
        existing_id = self.options.existing_id if self.options else None
        try:
            self._crm = load_existing(self.existing, id_column=existing_id, cache=self.cache_dir)
        except LeadkitError as e:
            raise RunStopped(f"CRM export: {_one_line(e)}") from None
        self._crm_seconds = time.perf_counter() - t
        if self.log:
            self.log(
                Event(
                    "note",
                    f"CRM export(s) ready: {self._crm.height:,} records in "
                    f"{self._crm_seconds:.1f}s",
                )
            )
        return self._crm

    def __call__(self, path: Path, mapping: LoadedMapping, out_dir: Path) -> dict[str, Any]:
        from leadkit.pipeline import Job, Options, normalize_file
        from leadkit.write import write_json

        crm = self.crm()
        key = (str(mapping.path), mapping.sha256)
        if key not in self._jobs:
            self._jobs[key] = Job(mapping)
        result = normalize_file(
            path, self._jobs[key], out_dir, crm=crm, options=self.options or Options()
        )
        report = result.report
        if crm is not None:
            report["timings"]["existing"] = round(self._crm_seconds, 3)
            report["existing"] = {"files": [str(p) for p in self.existing], "records": crm.height}
            if "report" in result.outputs:  # the folder's report.json as complete as --json
                write_json(report, result.outputs["report"])
        return report


# --- the run ------------------------------------------------------------------------------


def run_inbox(
    inbox: str | Path,
    mappings_dir: str | Path,
    out_dir: str | Path,
    *,
    existing: Sequence[str | Path] = (),
    archive: str | Path | None = None,
    settle_seconds: float = SETTLE_SECONDS,
    lock_stale_seconds: float = LOCK_STALE_SECONDS,
    options: Options | None = None,
    workers: int = 1,
    processor: Processor | None = None,
    log: Log | None = None,
) -> BatchResult:
    """One pass over `inbox`: see the module docstring. Raises LeadkitError (exit 2) only when
    the run cannot happen at all (inbox or mappings folder missing, output folder not
    writable, CRM export unreadable); every problem of one file is that file's result.

    `workers` > 1 processes that many files at a time, in worker processes that each read
    the CRM export(s) once (so memory grows with them); locks, ledger and moves stay in this
    process. A `processor` given by the caller always runs in this process."""
    started = time.perf_counter()
    inbox, mappings_dir, out_dir = Path(inbox), Path(mappings_dir), Path(out_dir)
    for what, folder in (("inbox", inbox), ("mappings folder", mappings_dir)):
        if not folder.is_dir():
            raise InputError(f"{folder}: {what} not found (or not a folder)")
    archive_dir = Path(archive) if archive is not None else out_dir / ARCHIVE_DIR
    if archive_dir.resolve() == inbox.resolve():
        raise InputError(f"{archive_dir}: the archive cannot be the inbox itself")
    for p in existing or ():
        if not Path(p).is_file():
            raise InputError(f"{p}: CRM export not found")
    try:
        for folder in (out_dir, out_dir / STATE_DIR / "locks", out_dir / STATE_DIR / "staging"):
            folder.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise InputError(f"{out_dir}: cannot create the output folder ({e.strerror})") from None
    emit = log or (lambda _event: None)
    run = _Run(
        inbox=inbox,
        mappings_dir=mappings_dir,
        out_dir=out_dir,
        archive_dir=archive_dir,
        settle=settle_seconds,
        stale=lock_stale_seconds,
        processor=processor
        or PipelineProcessor(
            [Path(p) for p in existing], options=options, log=emit, cache_dir=out_dir / STATE_DIR
        ),
        emit=emit,
        workers=max(1, workers),
    )
    result = BatchResult(inbox=inbox, out_dir=out_dir)
    try:
        run.go(result)
    except OSError as e:
        where = f"{e.filename}: " if e.filename else ""
        raise RunStopped(f"run stopped: {where}{e.strerror or e}") from e
    finally:
        result.seconds = time.perf_counter() - started
    return result


@dataclass
class _Candidate:
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


@dataclass
class _Route:
    mapping: LoadedMapping | None = None
    result: FileResult | None = None  # set when the file cannot be routed


@dataclass
class _Work:
    """A file locked, checked against the ledger, and given a staging folder."""

    cand: _Candidate
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
    mappings: list[LoadedMapping] = field(default_factory=list)
    workers: int = 1
    listed: set[str] = field(default_factory=set)
    pool: ProcessPoolExecutor | None = None
    pool_size: int = 0
    inflight: dict[Future[tuple[str, Any]], _Work] = field(default_factory=dict)
    broken: list[tuple[MappingProblem, list[str]]] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.ledger = Ledger(self.out_dir / LEDGER_NAME)
        self.locks = self.out_dir / STATE_DIR / "locks"
        self.staging = self.out_dir / STATE_DIR / "staging"

    # -- the pass --

    def go(self, result: BatchResult) -> None:
        self.listed = self._needs_mapping_before()
        self._load_mappings(result)
        self._sweep()
        todo: list[tuple[_Candidate, LoadedMapping]] = []
        for cand in self._scan():
            age = time.time() - cand.changed_at
            if age < self.settle:
                self._done(
                    result,
                    FileResult(
                        cand.name,
                        "waiting",
                        "settling",
                        f"changed {max(0.0, age):.0f}s ago; waits "
                        f"until it has not changed for {self.settle:g}s",
                    ),
                )
                continue
            route = self._route(cand)
            if route.mapping is not None:
                todo.append((cand, route.mapping))
            elif route.result is not None:
                route.result.new = cand.name not in self.listed
                self._done(result, route.result)
        try:
            for i, (cand, mapping) in enumerate(todo):
                step = self._begin(cand, mapping)
                if isinstance(step, _Work):
                    left = len(todo) - i
                    if self.pool is None and self.workers > 1 and left > 1 and not self.inflight:
                        self._start_pool(min(self.workers, left))  # once there is real work
                    for res in self._submit(step):
                        self._done(result, res)
                else:
                    self._done(result, step)
            for res in self._harvest(everything=True):
                self._done(result, res)
        finally:
            self._stop_pool()
        self._write_needs_mapping(result)

    def _done(self, result: BatchResult, res: FileResult | None) -> None:
        if res is None:
            return  # gone from the inbox: another run took it
        result.files.append(res)
        self.emit(Event("file", describe(res), file=res))

    # -- mappings and routing --

    def _load_mappings(self, result: BatchResult) -> None:
        files = sorted(
            p
            for p in self.mappings_dir.iterdir()
            if p.suffix.lower() in (".yaml", ".yml") and p.is_file() and not p.name.startswith(".")
        )
        for path in files:
            try:
                self.mappings.append(load_mapping(path))
            except MappingError as e:
                problem = MappingProblem(
                    path, str(e).splitlines()[0] if str(e) else "invalid mapping"
                )
                more = len(e.problems) - 1
                if more > 0:
                    problem = MappingProblem(
                        path, f"{problem.message} (and {more} more problem(s))"
                    )
                self.broken.append((problem, _raw_globs(path)))
                result.mapping_problems.append(problem)
                self.emit(
                    Event(
                        "mapping",
                        f"mapping {path.name} does not load: {problem.message}",
                        mapping=problem,
                    )
                )

    def _route(self, cand: _Candidate) -> _Route:
        name = cand.name
        fits = [m for m in self.mappings if _fits(name, _globs(m.spec.match))]
        if len(fits) == 1:
            return _Route(mapping=fits[0])
        broken = [p for p, globs in self.broken if _fits(name, globs)]
        if broken and not fits:
            return _Route(
                result=FileResult(
                    name,
                    "needs-mapping",
                    "mapping-error",
                    f"its mapping {broken[0].path.name} does not load: fix it, the file waits",
                )
            )
        if fits:
            names = ", ".join(f"{m.name} ({m.path.name if m.path else '?'})" for m in fits)
            return _Route(
                result=FileResult(
                    name,
                    "needs-mapping",
                    "ambiguous",
                    f"{len(fits)} mappings match this name: {names}; narrow their match: globs",
                )
            )
        target = self.mappings_dir / f"{_slug(cand.path.stem)}.yaml"
        cmd = f"leadkit mapping init {shlex.quote(str(cand.path))} -o {shlex.quote(str(target))}"
        return _Route(
            result=FileResult(
                name,
                "needs-mapping",
                "unmatched",
                "no mapping's match: glob fits this name; draft one (and give it a match: glob)",
                command=cmd,
            )
        )

    # -- inbox --

    def _scan(self) -> list[_Candidate]:
        found = []
        with os.scandir(self.inbox) as it:
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
                found.append(_Candidate(Path(entry.path), st))
        return sorted(found, key=lambda c: (c.changed_at, c.name))

    # -- one file: begin (lock, ledger), process (here or in a worker), finish --

    def _begin(self, cand: _Candidate, mapping: LoadedMapping) -> _Work | FileResult | None:
        name = cand.name
        try:
            sha = sha256_file(cand.path)
        except FileNotFoundError:
            return None
        except OSError as e:  # no permission to read it, an I/O error: the file's problem
            msg = f"cannot read the file ({e.strerror})"
            return self._fail(cand, None, mapping, _now(), "unreadable", msg, msg)
        lock = FileLock(self.locks / f"{sha}.lock", stale_seconds=self.stale, on_break=self._note)
        if not lock.acquire():
            who = (
                "this run is processing the same content under another name"
                if any(w.sha == sha for w in self.inflight.values())
                else "another run is processing this content"
            )
            return FileResult(name, "waiting", "locked", who, sha256=sha, mapping=mapping.name)
        work = None
        try:
            _checkpoint("locked")
            st = _stat(cand.path)
            if st is None:
                return None
            if _changed(st, cand.stat):
                return FileResult(
                    name, "waiting", "changed", "changed while it was being looked at", sha256=sha
                )
            self.ledger.refresh()
            done = self.ledger.processed(sha)
            if done is not None:
                return self._already(cand, st, sha, done)
            self._clear_leftovers(sha)
            stage = self.staging / f"{sha}.{secrets.token_hex(4)}"
            stage.mkdir(parents=True)
            work = _Work(cand, mapping, sha, lock, stage, _now(), time.perf_counter())
            self.emit(Event("start", f"processing {name} with {mapping.name}"))
            return work
        finally:
            if work is None:
                lock.release()

    def _submit(self, work: _Work) -> Iterator[FileResult | None]:
        """Process `work` here, or hand it to a worker (and finish what the workers are done
        with, keeping at most one file waiting per worker)."""
        if self.pool is None:
            try:
                outcome: dict[str, Any] | Exception = self.processor(
                    work.cand.path, work.mapping, work.stage
                )
            except Exception as e:  # noqa: BLE001 - judged in _finish
                outcome = e
            yield self._finish(work, outcome)
            return
        future = self.pool.submit(_worker_run, str(work.cand.path), work.mapping, str(work.stage))
        self.inflight[future] = work
        yield from self._harvest(everything=False)

    def _harvest(self, *, everything: bool) -> Iterator[FileResult | None]:
        while self.inflight:
            full = len(self.inflight) > self.pool_size
            ready, _ = wait(
                self.inflight,
                timeout=None if (everything or full) else 0,
                return_when=FIRST_COMPLETED,
            )
            if not ready:
                return
            for future in ready:
                work = self.inflight.pop(future)
                yield self._finish(work, _from_worker(future))
            if not everything and len(self.inflight) <= self.pool_size:
                return

    def _finish(self, work: _Work, outcome: dict[str, Any] | Exception) -> FileResult | None:
        try:
            return self._complete(work, outcome)
        finally:
            _rmtree(work.stage)  # gone already when published
            work.lock.release()

    def _complete(self, work: _Work, outcome: dict[str, Any] | Exception) -> FileResult | None:
        """Judge the outcome; publish, record, archive. The order is what makes it safe."""
        cand, mapping, sha, name, path = (
            work.cand,
            work.mapping,
            work.sha,
            work.cand.name,
            work.cand.path,
        )
        if isinstance(outcome, RunStopped | OSError):
            raise outcome  # the run's problem (CRM export, disk), not the file's: it stays
        if isinstance(outcome, Exception):
            st = _stat(path)
            if st is None:
                return None
            if _changed(st, cand.stat):  # half-written when read: wait for the rest
                return FileResult(
                    name, "waiting", "changed", "changed while it was being processed", sha256=sha
                )
            if isinstance(outcome, LeadkitError):
                code = "mapping-error" if isinstance(outcome, MappingError) else "unreadable"
                line = _one_line(outcome)
                short = line
                for prefix in (f"{path}: ", f"{name}: "):  # the file is named by the result
                    short = short.removeprefix(prefix)
                return self._fail(cand, sha, mapping, work.started, code, short, line)
            kind = getattr(outcome, "kind", type(outcome).__name__)
            return self._fail(
                cand,
                sha,
                mapping,
                work.started,
                "internal-error",
                f"internal error ({kind}); see the .error.txt",
                f"internal error: {kind}: {_one_line(outcome)}",
            )
        report = outcome
        _checkpoint("staged")
        st2 = _stat(path)
        if st2 is None:
            return None
        if _changed(st2, cand.stat):
            return FileResult(
                name, "waiting", "changed", "changed while it was being processed", sha256=sha
            )
        if not work.lock.held():
            return FileResult(
                name, "waiting", "locked", "another run took this content over", sha256=sha
            )
        final = self.out_dir / f"{_safe_stem(path.stem)}-{sha[:SHORT]}"
        _publish(work.stage, final, self.staging / f"{sha}.old.{secrets.token_hex(4)}")
        ready = _now()
        _checkpoint("published")
        counts = {k: int(v) for k, v in (report.get("counts") or {}).items()}
        limits = report.get("limits") or {}
        entry = {
            "ledger": VERSION,
            "status": PROCESSED,
            "sha256": sha,
            "file": name,
            "size": st2.st_size,
            "mapping": mapping.name,
            "mapping_file": mapping.path.name if mapping.path else None,
            "mapping_sha256": mapping.sha256,
            "target": (report.get("mapping") or {}).get("target"),
            "arrived": _iso(cand.changed_at),
            "started": work.started,
            "ready": ready,
            "rows": report.get("rows"),
            "counts": counts,
            "reject_reasons": report.get("reject_reasons") or {},
            "limit_exceeded": bool(limits.get("exceeded")),
            "outputs": final.name,
            "host": _HOST,
            "pid": os.getpid(),
            "leadkit_version": __version__,
        }
        if not self._record(entry):
            return FileResult(
                name,
                "skipped",
                "already-processed",
                "another run recorded this content first",
                sha256=sha,
            )
        _checkpoint("recorded")
        moved = self._move_out(path, st2, self.archive_dir)
        _checkpoint("archived")
        return FileResult(
            name,
            "processed",
            None,
            f"{mapping.name} -> {final.name}/",
            sha256=sha,
            mapping=mapping.name,
            outputs=final,
            moved_to=moved,
            rows=report.get("rows"),
            counts=counts,
            limit_exceeded=bool(limits.get("exceeded")),
            seconds=round(time.perf_counter() - work.clock, 3),
        )

    # -- the worker processes --

    def _start_pool(self, size: int) -> None:
        """Worker processes for `size` files at a time. They start (import leadkit) while this
        process reads the CRM export once and shares it with them through the cache file."""
        if not isinstance(self.processor, PipelineProcessor):
            return  # a processor given by the caller runs here, in this process
        p = self.processor
        self.pool_size = size
        self.pool = ProcessPoolExecutor(
            max_workers=size,
            mp_context=multiprocessing.get_context("spawn"),
            initializer=_worker_init,
            initargs=(p.existing, p.options, p.cache_dir, os.getpid()),
        )
        for _ in range(size):  # start them all now (a pool starts its processes on demand)
            self.pool.submit(int)
        p.crm()  # read once here; the workers find it in the cache

    def _stop_pool(self) -> None:
        """At the end, or when the run stops: wait for the workers, give back what is held."""
        if self.pool is None:
            return
        self.pool.shutdown(wait=True, cancel_futures=True)
        self.pool = None
        for work in self.inflight.values():
            _rmtree(work.stage)
            work.lock.release()
        self.inflight.clear()

    def _already(
        self, cand: _Candidate, st: os.stat_result, sha: str, done: dict[str, Any]
    ) -> FileResult:
        moved = self._move_out(cand.path, st, self.archive_dir)
        first = done.get("file")
        same = "" if first == cand.name else f" as {first}"
        return FileResult(
            cand.name,
            "skipped",
            "already-processed",
            f"this content was processed{same} on {str(done.get('ready', '?'))[:19]}",
            sha256=sha,
            mapping=done.get("mapping"),
            outputs=self.out_dir / str(done.get("outputs")),
            moved_to=moved,
        )

    def _fail(
        self,
        cand: _Candidate,
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
        folder.mkdir(parents=True, exist_ok=True)
        name = _free_name(folder, cand.name, also=".error.txt")
        _write_text(folder / f"{name}.error.txt", detail + "\n")
        try:
            moved: Path | None = _move(cand.path, folder / name)
        except FileNotFoundError:
            moved = None
        entry = {
            "ledger": VERSION,
            "status": FAILED,
            "sha256": sha,
            "file": cand.name,
            "mapping": mapping.name,
            "mapping_file": mapping.path.name if mapping.path else None,
            "mapping_sha256": mapping.sha256,
            "arrived": _iso(cand.changed_at),
            "started": started,
            "failed": _now(),
            "error": code,
            "message": message,
            "moved_to": f"{FAILED_DIR}/{name}",
            "host": _HOST,
            "pid": os.getpid(),
            "leadkit_version": __version__,
        }
        with self._ledger_lock():
            self.ledger.append(entry)
        return FileResult(
            cand.name, "failed", code, message, sha256=sha, mapping=mapping.name, moved_to=moved
        )

    # -- steps --

    @contextlib.contextmanager
    def _ledger_lock(self) -> Iterator[None]:
        lock = FileLock(
            self.out_dir / STATE_DIR / "ledger.lock",
            stale_seconds=60,
            heartbeat=False,
            on_break=self._note,
        )
        deadline = time.monotonic() + 120
        while not lock.acquire():
            if time.monotonic() > deadline:
                raise InputError(f"{lock.path}: the ledger stays locked by another run")
            time.sleep(0.02 + secrets.randbelow(30) / 1000)
        try:
            yield
        finally:
            lock.release()

    def _record(self, entry: dict[str, Any]) -> bool:
        """Append the processed line unless the content is already there (the check and the
        append under one lock)."""
        with self._ledger_lock():
            self.ledger.refresh()
            if self.ledger.processed(entry["sha256"]) is not None:
                return False
            self.ledger.append(entry)
            self.ledger.refresh()
        return True

    def _move_out(self, path: Path, st: os.stat_result, folder: Path) -> Path | None:
        """Move an inbox file whose content is recorded, unless it was replaced meanwhile."""
        now = _stat(path)
        if now is None or _changed(now, st):
            return None  # replaced by a new drop under the same name: the next run sees it
        folder.mkdir(parents=True, exist_ok=True)
        return _move(path, folder / _free_name(folder, path.name))

    def _clear_leftovers(self, sha: str) -> None:
        """What a killed run left for this content: its staging folders, and an output folder
        published but never recorded (under any file name). Only the holder of the content's
        lock calls this, and only for content the ledger does not know."""
        for p in self.staging.glob(f"{sha}.*"):
            _rmtree(p)
            self._note(f"removed the leftovers of an interrupted run: {p.name}")
        for p in self.out_dir.glob(f"*-{sha[:SHORT]}"):
            if p.is_dir():
                _rmtree(p)
                self._note(f"removed {p.name}/: published by an interrupted run, not recorded")

    def _sweep(self) -> None:
        """What dead runs left that nothing else would clear: locks whose owner died after its
        file was done, and staging folders of content no run holds (taken under its lock, so
        never a live run's)."""
        for p in self.locks.glob("*.lock"):
            FileLock(p, stale_seconds=self.stale, on_break=self._note).break_if_stale()
        for sha in {p.name.split(".", 1)[0] for p in self.staging.iterdir()}:
            lock = FileLock(
                self.locks / f"{sha}.lock",
                stale_seconds=self.stale,
                heartbeat=False,
                on_break=self._note,
            )
            if lock.acquire():
                try:
                    for p in self.staging.glob(f"{sha}.*"):
                        _rmtree(p)
                finally:
                    lock.release()

    def _needs_mapping_before(self) -> set[str]:
        """The files the previous run listed as needing a mapping."""
        try:
            text = (self.out_dir / NEEDS_MAPPING).read_text("utf-8")
        except (FileNotFoundError, UnicodeDecodeError):
            return set()
        return {line.split("\t", 1)[0] for line in text.splitlines() if line and line[0] != "#"}

    def _write_needs_mapping(self, result: BatchResult) -> None:
        path = self.out_dir / NEEDS_MAPPING
        todo = result.by_status("needs-mapping")
        if not todo:
            with contextlib.suppress(FileNotFoundError):
                path.unlink()
            return
        lines = [
            f"# Files in {self.inbox} that leadkit run cannot route to one mapping "
            f"(updated {_now()}).",
            "# file<TAB>reason<TAB>what to do",
        ]
        for f in todo:
            lines.append("\t".join((f.file, f.reason or "", f.command or f.message)))
        _write_text(path, "\n".join(lines) + "\n")

    def _note(self, message: str) -> None:
        self.emit(Event("note", message))


# --- worker processes (spawned; each reads the CRM export once) ----------------------------

_WORKER: PipelineProcessor | None = None


class _WorkerError(Exception):
    """An unexpected error in a worker, carried back by its type name and first line."""

    def __init__(self, kind: str, message: str) -> None:
        super().__init__(message)
        self.kind = kind


def _worker_init(
    existing: Sequence[Path], options: Options | None, cache_dir: Path | None, parent: int
) -> None:
    global _WORKER
    _WORKER = PipelineProcessor(existing, options=options, cache_dir=cache_dir)
    # The files are the parallel work here: a worker does not start processes of its own
    # for the per-value work (leadkit.normalizers._base).
    os.environ["LEADKIT_WORKERS"] = "1"

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
        return "internal", (type(e).__name__, _one_line(e))


def _from_worker(future: Future[tuple[str, Any]]) -> dict[str, Any] | Exception:
    try:
        kind, value = future.result()
    except Exception as e:  # noqa: BLE001 - a worker died (killed, out of memory)
        return RunStopped(f"a worker process stopped ({type(e).__name__}: {_one_line(e)})")
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
    return _WorkerError(*value)


# --- the lock -----------------------------------------------------------------------------

_HOST = socket.gethostname()


class FileLock:
    """A lock that works on network drives: a file created with O_CREAT|O_EXCL.

    It holds its owner (host, pid), the time and a random token. While held, a thread touches
    it every quarter of `stale_seconds`. It is stale when its owner is a process of this host
    that no longer runs, or when it has not been touched for `stale_seconds`. A stale lock is
    broken by one run at a time (under `<lock>.break`, itself created exclusively), and only
    if it is still the same lock (same token), so two runs never both take it over.
    """

    def __init__(
        self,
        path: Path,
        *,
        stale_seconds: float = LOCK_STALE_SECONDS,
        heartbeat: bool = True,
        on_break: Callable[[str], None] | None = None,
    ) -> None:
        self.path = Path(path)
        self.stale_seconds = stale_seconds
        self.heartbeat = heartbeat
        self.on_break = on_break
        self.token: str | None = None
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def acquire(self) -> bool:
        """Take the lock if it is free or stale; False when another live owner holds it."""
        for _ in range(3):
            token = secrets.token_hex(8)
            body = json.dumps({"host": _HOST, "pid": os.getpid(), "time": _now(), "token": token})
            try:
                fd = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
            except FileExistsError:
                if not self.break_if_stale():
                    return False
                continue
            try:
                os.write(fd, body.encode())
                os.fsync(fd)
            finally:
                os.close(fd)
            self.token = token
            if self.heartbeat:
                self._start_heartbeat()
            return True
        return False

    def held(self) -> bool:
        """Whether the lock file is still ours (not broken as stale and taken by another run)."""
        info = _read_lock(self.path)
        return self.token is not None and info is not None and info.get("token") == self.token

    def release(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
            self._thread = None
        if self.held():
            with contextlib.suppress(FileNotFoundError):
                self.path.unlink()
        self.token = None

    def break_if_stale(self) -> bool:
        """Remove the lock if it is stale; True when the caller may try again."""
        try:
            st = self.path.stat()
        except FileNotFoundError:
            return True
        info = _read_lock(self.path)
        why = self._stale(info, st)
        if why is None:
            return False
        breaker = self.path.with_name(self.path.name + ".break")
        try:
            fd = os.open(breaker, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
        except FileExistsError:
            # Another run is breaking it, or died doing so (a moment's work: old means dead).
            bst = _stat(breaker)
            if bst is not None and time.time() - bst.st_mtime > 30:
                with contextlib.suppress(FileNotFoundError):
                    breaker.unlink()
            return False
        os.close(fd)
        try:
            st_again = _stat(self.path)
            if st_again is None:
                return True
            same = _read_lock(self.path) == info and (
                info is not None
                or (st_again.st_ino == st.st_ino and st_again.st_mtime_ns == st.st_mtime_ns)
            )
            if same:
                self.path.unlink()
                if self.on_break:
                    self.on_break(f"took over a stale lock ({why}): {self.path.name}")
            return True
        finally:
            with contextlib.suppress(FileNotFoundError):
                breaker.unlink()

    def _stale(self, info: dict[str, Any] | None, st: os.stat_result) -> str | None:
        age = time.time() - st.st_mtime
        if info is None:
            # Created but never written: its creator died in between (or is just writing).
            return "empty lock file" if age > min(self.stale_seconds, 30.0) else None
        pid = info.get("pid")
        if (
            info.get("host") == _HOST
            and isinstance(pid, int)
            and pid != os.getpid()
            and not _pid_alive(pid)
        ):
            return f"its owner, process {pid} on this host, is gone"
        # A live owner touches its lock every stale_seconds/4: untouched this long means dead
        # (on another host, or a reused pid here).
        if age > self.stale_seconds:
            return f"held by {info.get('host')} pid {info.get('pid')}, untouched for {age:.0f}s"
        return None

    def _start_heartbeat(self) -> None:
        self._stop.clear()
        interval = max(0.05, self.stale_seconds / 4)

        def beat() -> None:
            while not self._stop.wait(interval):
                with contextlib.suppress(OSError):
                    os.utime(self.path)

        self._thread = threading.Thread(target=beat, name="leadkit-lock-heartbeat", daemon=True)
        self._thread.start()


def _read_lock(path: Path) -> dict[str, Any] | None:
    try:
        data = json.loads(path.read_bytes() or b"null")
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:  # a zombie (killed, not yet reaped) is not a live owner
        with open(f"/proc/{pid}/stat", "rb") as fh:
            return fh.read().rsplit(b")", 1)[-1].split()[0] != b"Z"
    except (OSError, IndexError):
        return True


# --- files --------------------------------------------------------------------------------


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def _stat(path: Path) -> os.stat_result | None:
    try:
        return os.stat(path, follow_symlinks=False)
    except FileNotFoundError:
        return None


def _changed(a: os.stat_result, b: os.stat_result) -> bool:
    return (a.st_size, a.st_mtime_ns, a.st_ino) != (b.st_size, b.st_mtime_ns, b.st_ino)


def _publish(stage: Path, final: Path, trash: Path) -> None:
    """Rename the complete staging folder to its final name, replacing an unrecorded one."""
    if final.exists():
        os.rename(final, trash)
    os.rename(stage, final)
    _fsync_dir(final.parent)
    _rmtree(trash)


def _move(src: Path, dst: Path) -> Path:
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


def _free_name(folder: Path, name: str, also: str = "") -> str:
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


def _write_text(path: Path, text: str) -> None:
    from leadkit.write import atomic_file

    with atomic_file(path, "w") as fh:
        fh.write(text)


def _rmtree(path: Path) -> None:
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


# --- names, globs, time -------------------------------------------------------------------


def _globs(match: str | list[str] | None) -> list[str]:
    if match is None:
        return []
    return [match] if isinstance(match, str) else [g for g in match if isinstance(g, str)]


def _fits(name: str, globs: Sequence[str]) -> bool:
    low = name.lower()
    return any(fnmatch.fnmatchcase(low, g.lower()) for g in globs)


def _raw_globs(path: Path) -> list[str]:
    """The `match:` of a mapping that does not validate, so its files wait for the fix."""
    try:
        data = yaml.safe_load(path.read_text("utf-8", errors="replace"))
    except (OSError, yaml.YAMLError):
        return []
    return _globs(data.get("match")) if isinstance(data, dict) else []


def _slug(stem: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", stem.lower()).strip("-") or "mapping"


def _safe_stem(stem: str) -> str:
    return re.sub(r"[\x00-\x1f/\\]", "_", stem).strip() or "file"


def _one_line(err: BaseException) -> str:
    text = str(err).strip().splitlines()
    return text[0] if text else type(err).__name__


def _now() -> str:
    return datetime.now().astimezone().isoformat(timespec="milliseconds")


def _iso(timestamp: float) -> str:
    return datetime.fromtimestamp(timestamp).astimezone().isoformat(timespec="milliseconds")


def _checkpoint(step: str) -> None:
    """A named point between the steps of one file; tests replace it to kill a run there."""


def describe(r: FileResult) -> str:
    """One line about a file's result: file names, counts and codes, never a row's values."""
    if r.status == "processed":
        c = r.counts or {}
        parts = ", ".join(
            f"{c[k]:,} {k}"
            for k in ("import", "updates", "review", "duplicates", "rejects")
            if c.get(k)
        )
        over = "; reject rate above the mapping's limit" if r.limit_exceeded else ""
        out = f"{r.outputs.name}/" if r.outputs else "?"
        return (
            f"{r.file}: {r.rows or 0:,} rows ({parts or 'nothing'}) -> {out} "
            f"[{r.mapping}, {r.seconds or 0:.1f}s]{over}"
        )
    if r.status == "needs-mapping" and r.command:
        return f"{r.file}: {r.message}: {r.command}"
    where = f" -> {r.moved_to}" if r.moved_to else ""
    return f"{r.file}: {r.message}{where}"
