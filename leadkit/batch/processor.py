"""How one file is normalized in a run: the processor, and the error that stops a run."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from leadkit.batch.results import Event, Log
from leadkit.errors import LeadkitError
from leadkit.mapping import LoadedMapping

if TYPE_CHECKING:
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
    """

    def __init__(
        self,
        existing: Sequence[Path] = (),
        *,
        options: Options | None = None,
        log: Log | None = None,
        cache_dir: Path | None = None,
        value_workers: int | None = None,
    ) -> None:
        self.existing = [Path(p) for p in existing]
        self.options = options
        self.log = log
        self.cache_dir = cache_dir
        self.value_workers = value_workers
        self._pool: Pool | None = None
        self._crm: Crm | None = None
        self._jobs: dict[tuple[str, str], Any] = {}

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

    def __call__(self, path: Path, mapping: LoadedMapping, out_dir: Path) -> dict[str, Any]:
        from leadkit.pipeline import Job, Options, normalize_file

        crm = self.crm()
        key = (str(mapping.path), mapping.sha256)
        if key not in self._jobs:
            self._jobs[key] = Job(mapping)
        with self._values_pool():
            result = normalize_file(
                path, self._jobs[key], out_dir, crm=crm, options=self.options or Options()
            )
        return result.report  # report.json as written, `existing` block included

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


def one_line(err: BaseException) -> str:
    text = str(err).strip().splitlines()
    return text[0] if text else type(err).__name__
