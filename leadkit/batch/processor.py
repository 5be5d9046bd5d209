"""How one file is normalized in a run: the processor, and the error that stops a run."""

from __future__ import annotations

import contextlib
import shutil
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from leadkit.batch.results import Event, Log
from leadkit.errors import LeadkitError
from leadkit.mapping import LoadedMapping

if TYPE_CHECKING:
    from leadkit.handoff.rules import LoadedRules
    from leadkit.handoff.stage import Handoff
    from leadkit.normalizers._base import Pool
    from leadkit.pipeline import Crm, Options


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

    The per-value work of leadkit.normalizers goes through this processor's own pool of
    `value_workers` processes (None: as many as the cores; 1 in a run's worker processes,
    where the files are the parallel work), made on first need; `close()` ends it.

    With a rules file (`rules`, loaded once by the caller) or account exports (`accounts`),
    each mapping gets its handoff stage (`Handoff.prepare`), made on first need and kept
    like its Job: the lists and account exports are read once per processor (a worker
    process reads them once for all its files). A list or account export that cannot be
    read stops the run (RunStopped), as the CRM export does.
    """

    def __init__(
        self,
        existing: Sequence[Path] = (),
        *,
        options: Options | None = None,
        log: Log | None = None,
        cache_dir: Path | None = None,
        value_workers: int | None = None,
        accounts: Sequence[Path] = (),
        rules: LoadedRules | None = None,
    ) -> None:
        self.existing = [Path(p) for p in existing]
        self.accounts = [Path(p) for p in accounts]
        self.rules = rules
        self.options = options
        self.log = log
        self.cache_dir = cache_dir
        self.value_workers = value_workers
        self._pool: Pool | None = None
        self._crm: Crm | None = None
        self._jobs: dict[tuple[str, str], Any] = {}
        self._handoffs: dict[tuple[str, str], Handoff | None] = {}
        self._shared: Handoff | None = None  # lists, accounts and router, for every mapping

    def crm(self) -> Crm | None:
        """The standardized CRM export(s), read (or taken from the cache) once, with the
        files and the seconds the load took (both go into every file's report)."""
        if not self.existing or self._crm is not None:
            return self._crm
        from leadkit.pipeline import Crm

        existing_id = self.options.existing_id if self.options else None
        try:
            with self._values_pool():
                self._crm = Crm.load(self.existing, id_column=existing_id, cache=self.cache_dir)
        except LeadkitError as e:
            raise RunStopped(f"CRM export: {one_line(e)}") from None
        if self.log:
            self.log(
                Event(
                    "note",
                    f"CRM export(s) ready: {self._crm.records.height:,} records in "
                    f"{self._crm.seconds:.1f}s",
                )
            )
        return self._crm

    def prepare(self) -> None:
        """Read the CRM export(s) (or find them in the cache) now, so that the cache is
        filled for the worker processes; keep nothing in memory here."""
        if self.crm() is not None:
            self._crm = None

    def for_worker(self) -> PipelineProcessor:
        """A fresh copy for a worker process (picklable: no log, pool or CRM in memory); it
        reads the CRM export from the cache this one filled."""
        return PipelineProcessor(
            self.existing,
            options=self.options,
            cache_dir=self.cache_dir,
            value_workers=1,
            accounts=self.accounts,
            rules=self.rules,
        )

    def handoff(self, mapping: LoadedMapping, key: tuple[str, str]) -> Handoff | None:
        """The handoff stage for `mapping` (None when there is nothing to hand off): the
        rules' lists, the account exports and the router are made once and shared by every
        mapping; the campaign and the target (the owners' form) are the mapping's own."""
        if key in self._handoffs:
            return self._handoffs[key]
        from leadkit.handoff.stage import Handoff

        if self._shared is not None:
            made: Handoff | None = self._shared.for_mapping(mapping)
        else:
            crm = self.crm()
            try:
                made = Handoff.prepare(
                    mapping,
                    rules=self.rules,
                    accounts=self.accounts,
                    crm=crm.records if crm is not None else None,
                )
            except LeadkitError as e:
                raise RunStopped(f"rules or account export: {one_line(e)}") from None
            if self.rules is not None or self.accounts:
                self._shared = made
        self._handoffs[key] = made
        return made

    def __call__(self, path: Path, mapping: LoadedMapping, out_dir: Path) -> dict[str, Any]:
        from leadkit.pipeline import Job, Options, normalize_file
        from leadkit.write import write_json

        crm = self.crm()
        key = (str(mapping.path), mapping.sha256)
        if key not in self._jobs:
            self._jobs[key] = Job(mapping)
        handoff = self.handoff(mapping, key)
        with self._values_pool(), _short_name(path, out_dir) as source:
            result = normalize_file(
                source,
                self._jobs[key],
                out_dir,
                crm=crm,
                handoff=handoff,
                options=self.options or Options(),
            )
        report = result.report  # report.json as written, `existing` block included
        if source != path and "report" in result.outputs:
            # the report names the file itself, not the short link read instead
            report.setdefault("input", {})["path"] = str(path)
            write_json(report, result.outputs["report"])
        return report

    def close(self) -> None:
        """End the pool's worker process, if one was started."""
        if self._pool is not None:
            self._pool.close()
            self._pool = None

    @contextlib.contextmanager
    def _values_pool(self) -> Iterator[None]:
        """Put this processor's pool in place for the normalizers while the block runs."""
        from leadkit.normalizers._base import Pool, use_pool

        if self._pool is None:
            self._pool = Pool(workers=self.value_workers)
        with use_pool(self._pool):
            yield


@contextlib.contextmanager
def _short_name(path: Path, out_dir: Path) -> Iterator[Path]:
    """`path`, or, when the output names made of its stem (`<stem>.duplicates.csv` and their
    temporary names) would pass the file system's limit, a symbolic link to it under a
    shortened name (beside the staging folder, so a dead run's is cleared with it)."""
    from leadkit.batch.files import fit_name

    short = fit_name(path.name, out_dir)
    if short == path.name:
        yield path
        return
    folder = out_dir.with_name(out_dir.name + ".in")
    folder.mkdir(exist_ok=True)
    link = folder / short
    try:
        link.symlink_to(path.resolve())
        yield link
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def one_line(err: BaseException) -> str:
    text = str(err).strip().splitlines()
    return text[0] if text else type(err).__name__
