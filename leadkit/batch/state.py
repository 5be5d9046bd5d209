"""What a run keeps in the output folder besides the outputs: the ledger, and under
`.leadkit/` the content locks and the staging folders; and how what a dead run left there
is cleared.

Only the holder of a content's lock touches that content's staging and output folders; the
ledger is appended under its own lock, and a content is recorded at most once.
"""

from __future__ import annotations

import contextlib
import secrets
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from leadkit.batch.files import chmod_tree, fit_name, make_dir, publish, rmtree, safe_stem
from leadkit.batch.lock import FileLock
from leadkit.errors import InputError
from leadkit.ledger import LEDGER_NAME, Ledger, LedgerEntry

STATE_DIR = ".leadkit"  # locks and staging folders, inside the output folder
SHORT = 12  # hex digits of the sha256 in output folder names


@dataclass
class OutputState:
    out_dir: Path
    stale: float  # seconds after which a lock nobody refreshes is taken over
    note: Callable[[str], None]  # housekeeping messages
    mode: int | None = None  # of the files the run creates (ledger, lists); None: the umask's

    def __post_init__(self) -> None:
        self.ledger = Ledger(self.out_dir / LEDGER_NAME, mode=self.mode)
        self.locks = self.out_dir / STATE_DIR / "locks"
        self.staging = self.out_dir / STATE_DIR / "staging"

    @staticmethod
    def create(out_dir: Path, mode: int | None = None) -> None:
        """The output folder and its state folders, the ones created given `mode`'s folder
        form (exit 2 when they cannot be made)."""
        if out_dir.exists() and not out_dir.is_dir():
            raise InputError(f"{out_dir}: the output folder is a file")
        try:
            for folder in (out_dir, out_dir / STATE_DIR / "locks", out_dir / STATE_DIR / "staging"):
                make_dir(folder, mode)
        except OSError as e:
            raise InputError(f"{out_dir}: cannot create the output folder ({e.strerror})") from None

    def content_lock(self, sha: str) -> FileLock:
        return FileLock(self.locks / f"{sha}.lock", stale_seconds=self.stale, on_break=self.note)

    def processed(self, sha: str) -> LedgerEntry | None:
        """The ledger's line for this content, as the ledger is now."""
        self.ledger.refresh()
        return self.ledger.processed(sha)

    def new_stage(self, sha: str) -> Path:
        stage = self.staging / f"{sha}.{secrets.token_hex(4)}"
        stage.mkdir(parents=True)
        return stage

    def publish(self, stage: Path, stem: str, sha: str, mode: int) -> Path:
        """The staging folder, its files given `mode`, under its final name
        `OUT/<stem>-<sha12>/` (the stem shortened when the name would be too long), in one
        rename."""
        chmod_tree(stage, mode)
        short = fit_name(safe_stem(stem), self.out_dir, reserve=SHORT + 1)
        final = self.out_dir / f"{short}-{sha[:SHORT]}"
        publish(stage, final, self.staging / f"{sha}.old.{secrets.token_hex(4)}")
        return final

    def record(self, entry: LedgerEntry) -> bool:
        """Append the processed line unless the content is already there (the check and the
        append under one lock)."""
        with self._ledger_lock():
            self.ledger.refresh()
            if entry.sha256 is None or self.ledger.processed(entry.sha256) is not None:
                return False
            self.ledger.append(entry)
            self.ledger.refresh()
        return True

    def record_failure(self, entry: LedgerEntry) -> None:
        with self._ledger_lock():
            self.ledger.append(entry)

    def clear_leftovers(self, sha: str) -> None:
        """What a killed run left for this content: its staging folders, and an output folder
        published but never recorded (under any file name). Only the holder of the content's
        lock calls this, and only for content the ledger does not know."""
        for p in self.staging.glob(f"{sha}.*"):
            rmtree(p)
            self.note(f"removed the leftovers of an interrupted run: {p.name}")
        for p in self.out_dir.glob(f"*-{sha[:SHORT]}"):
            if p.is_dir():
                rmtree(p)
                self.note(f"removed {p.name}/: published by an interrupted run, not recorded")

    def sweep(self) -> None:
        """What dead runs left that nothing else would clear: locks whose owner died after its
        file was done, and staging folders of content no run holds (taken under its lock, so
        never a live run's)."""
        for p in self.locks.glob("*.lock"):
            FileLock(p, stale_seconds=self.stale, on_break=self.note).break_if_stale()
        for sha in {p.name.split(".", 1)[0] for p in self.staging.iterdir()}:
            lock = FileLock(
                self.locks / f"{sha}.lock",
                stale_seconds=self.stale,
                heartbeat=False,
                on_break=self.note,
            )
            if lock.acquire():
                try:
                    for p in self.staging.glob(f"{sha}.*"):
                        rmtree(p)
                finally:
                    lock.release()

    @contextlib.contextmanager
    def _ledger_lock(self) -> Iterator[None]:
        lock = FileLock(
            self.out_dir / STATE_DIR / "ledger.lock",
            stale_seconds=60,
            heartbeat=False,
            on_break=self.note,
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
