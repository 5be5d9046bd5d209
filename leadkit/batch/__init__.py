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
`<name>.error.txt` beside it, and the run goes on. Files are normalized in worker processes
(`workers`), so a file whose processing aborts or is killed (out of memory) fails alone too
(`crashed`). Names the run builds are shortened with a hash when they would pass the file
system's NAME_MAX; the files it creates take `mode` (default: never wider than the inbox's). The library never prints: it returns a
`BatchResult` and reports each step through the `log` callback as an `Event`. Messages hold
file names, counts and codes, never a row's values.

The modules: `run` (the pass, and a file's begin / complete / fail phases), `routing` (which
mapping a file goes to), `state` (ledger, locks and staging in the output folder), `lock` (the
file lock), `files` (scan, hash, publish, move), `workers` (the worker processes),
`processor` (how one file is normalized), `results` (what a run reports).
"""

from leadkit.batch.files import sha256_file
from leadkit.batch.lock import LOCK_STALE_SECONDS, FileLock
from leadkit.batch.processor import PipelineProcessor, Processor, RunStopped
from leadkit.batch.results import (
    BatchResult,
    Event,
    FileResult,
    Log,
    MappingProblem,
    Status,
    describe,
)
from leadkit.batch.routing import NEEDS_MAPPING
from leadkit.batch.run import ARCHIVE_DIR, FAILED_DIR, SETTLE_SECONDS, run_inbox
from leadkit.batch.state import SHORT, STATE_DIR

__all__ = [
    "ARCHIVE_DIR",
    "FAILED_DIR",
    "LOCK_STALE_SECONDS",
    "NEEDS_MAPPING",
    "SETTLE_SECONDS",
    "SHORT",
    "STATE_DIR",
    "BatchResult",
    "Event",
    "FileLock",
    "FileResult",
    "Log",
    "MappingProblem",
    "PipelineProcessor",
    "Processor",
    "RunStopped",
    "Status",
    "describe",
    "run_inbox",
    "sha256_file",
]
