"""The batch ledger: what `leadkit run` has done, one JSON line per file, and the partner scorecard.

The ledger (`ledger.jsonl` in the output folder) is the memory that makes batch mode safe:
a file whose sha256 has a `processed` line is never processed again, whatever its name.
Lines are only ever appended (by `leadkit.batch`, under a lock, flushed and fsynced); a line
cut short by a crash is ignored when read, so a reader never trusts half a record.

A `processed` line::

    {"ledger": 1, "status": "processed", "sha256": "...", "file": "webinar.csv", "size": 123,
     "mapping": "zoom-webinar", "mapping_file": "zoom_webinar.yaml", "mapping_sha256": "...",
     "target": "salesforce", "arrived": "2026-03-02T09:14:05+01:00", "started": "...",
     "ready": "...", "rows": 5000, "counts": {"import": 4100, ...}, "reject_reasons": {...},
     "limit_exceeded": false, "outputs": "webinar-0123456789ab", "host": "...", "pid": 4242,
     "leadkit_version": "0.1.0"}

With a rules file or account exports, a `processed` line also carries `handoff`: the counts
of the report's `handoff` block the scorecard sums (`suppressed` by reason, `owners`,
`routes`, `statuses`) and, when the report has them, `capture_hours` (`median`, `rows`: the
hours from a lead's capture to its import). Lines without it (older ones) read as before.

A `failed` line (the file went to `failed/`; it does not count as processed, so a fixed copy
dropped again is processed) carries `error` (a code) and `message` instead of the counts.

`LedgerEntry` is one line, typed; `to_dict()` gives its keys in the order above.

`scorecard(entries)` is what `leadkit report LEDGER` shows: per mapping (one partner format),
files, rows, outcome rates, top reject reasons and lead velocity (arrival to CRM-ready); with
the handoff, suppressed rows by reason, leads per owner and per route step, and the median
capture-to-import hours.
"""

from __future__ import annotations

import json
import os
import socket
import statistics
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field, fields
from datetime import datetime
from pathlib import Path
from typing import Any, Final, Literal

from leadkit import __version__
from leadkit.errors import InputError

LEDGER_NAME = "ledger.jsonl"
VERSION = 1
PROCESSED: Final = "processed"
FAILED: Final = "failed"

# The outcomes of `normalize`, in SPEC's order, and the rates the scorecard derives from them.
OUTCOMES = ("import", "updates", "review", "duplicates", "rejects", "blank")
RATES = {
    "accept": ("import", "updates"),
    "import": ("import",),
    "update": ("updates",),
    "review": ("review",),
    "duplicate": ("duplicates",),
    "reject": ("rejects",),
}
TOP_REASONS = 5


@dataclass(frozen=True)
class LedgerEntry:
    """One ledger line: a file processed (its outputs folder, counts, timings) or failed (the
    error code and message, where the file went). Times are ISO 8601 with the UTC offset."""

    status: Literal["processed", "failed"]
    sha256: str | None  # None only for a file that failed before it could be read
    file: str
    mapping: str | None = None
    mapping_file: str | None = None
    mapping_sha256: str | None = None
    arrived: str | None = None
    started: str | None = None
    # processed
    size: int | None = None
    target: str | None = None
    ready: str | None = None
    rows: int | None = None
    counts: dict[str, int] = field(default_factory=dict)
    reject_reasons: dict[str, int] = field(default_factory=dict)
    limit_exceeded: bool = False
    outputs: str | None = None  # the output folder's name, in the ledger's folder
    handoff: dict[str, Any] | None = None  # the report's handoff counts (see above)
    # failed
    failed: str | None = None
    error: str | None = None  # a stable code: unreadable, mapping-error, internal-error
    message: str | None = None
    moved_to: str | None = None
    # who wrote it
    host: str = field(default_factory=socket.gethostname)
    pid: int = field(default_factory=os.getpid)
    leadkit_version: str = __version__

    def to_dict(self) -> dict[str, Any]:
        """The line's JSON object: the keys of its status, in the documented order."""
        keys = _PROCESSED_KEYS if self.status == PROCESSED else _FAILED_KEYS
        line = {"ledger": VERSION, "status": self.status} | {k: getattr(self, k) for k in keys}
        if line.get("handoff", 0) is None:  # a run without the handoff: lines as they were
            del line["handoff"]
        return line

    @classmethod
    def from_dict(cls, line: dict[str, Any]) -> LedgerEntry:
        """A line read back: keys it does not know are left out, missing ones take their
        defaults (a line is trusted as far as `Ledger.refresh` checked it)."""
        known = {f.name for f in fields(cls)}
        return cls(**{"sha256": None, "file": ""} | {k: v for k, v in line.items() if k in known})


_WHO = ("host", "pid", "leadkit_version")
_PROCESSED_KEYS = (
    *("sha256", "file", "size", "mapping", "mapping_file", "mapping_sha256", "target"),
    *("arrived", "started", "ready", "rows", "counts", "reject_reasons", "limit_exceeded"),
    *("outputs", "handoff", *_WHO),
)
# The report's handoff tables a ledger line keeps (counts by name), and its capture hours.
HANDOFF_TABLES = ("suppressed", "owners", "routes", "statuses")


def handoff_summary(report_handoff: Any) -> dict[str, Any] | None:
    """The part of a report's `handoff` block a ledger line keeps (counts, never values)."""
    if not isinstance(report_handoff, dict):
        return None
    kept: dict[str, Any] = {
        k: {str(n): int(v) for n, v in report_handoff[k].items()}
        for k in HANDOFF_TABLES
        if isinstance(report_handoff.get(k), dict)
    }
    hours = report_handoff.get("capture_hours")
    if isinstance(hours, dict) and isinstance(hours.get("median"), int | float):
        kept["capture_hours"] = {
            "median": float(hours["median"]),
            "rows": int(hours.get("rows") or 0),
        }
    return kept


_FAILED_KEYS = (
    *("sha256", "file", "mapping", "mapping_file", "mapping_sha256", "arrived", "started"),
    *("failed", "error", "message", "moved_to", *_WHO),
)


def ledger_path(path: str | Path) -> Path:
    """A ledger file, or the output folder that holds one."""
    path = Path(path)
    return path / LEDGER_NAME if path.is_dir() else path


@dataclass
class Ledger:
    """The ledger file, read incrementally: `refresh()` reads only the lines added since."""

    path: Path
    mode: int | None = None  # the file's mode when `append` creates it (None: the umask's)
    _offset: int = 0
    _processed: dict[str, LedgerEntry] = field(default_factory=dict)
    bad_lines: int = 0

    def refresh(self) -> None:
        """Read the complete lines appended since the last refresh (by any process)."""
        try:
            with open(self.path, "rb") as fh:
                fh.seek(self._offset)
                data = fh.read()
        except FileNotFoundError:
            return
        end = data.rfind(b"\n")
        if end < 0:
            return  # only a partial line so far (or nothing): wait until it is complete
        for entry in _parse(data[: end + 1].splitlines(), self):
            sha = entry.get("sha256")
            if (
                entry.get("status") == PROCESSED
                and isinstance(sha, str)
                and sha not in self._processed
            ):
                self._processed[sha] = LedgerEntry.from_dict(entry)
        self._offset += end + 1

    def processed(self, sha256: str) -> LedgerEntry | None:
        """The ledger line of the file with this content, if it was processed."""
        return self._processed.get(sha256)

    def __len__(self) -> int:
        return len(self._processed)

    def append(self, entry: LedgerEntry) -> None:
        """Append one line durably. The caller holds the ledger lock.

        A line cut short by an earlier crash is ended first, so it stays one unreadable line
        (skipped by readers) instead of corrupting this one.
        """
        line = json.dumps(entry.to_dict(), ensure_ascii=False, separators=(",", ":")) + "\n"
        self.path.parent.mkdir(parents=True, exist_ok=True)
        try:
            fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT | os.O_EXCL, 0o600)
            if self.mode is not None:
                os.fchmod(fd, self.mode)
            else:  # what the umask gives a new file
                mask = os.umask(0o022)
                os.umask(mask)
                os.fchmod(fd, 0o666 & ~mask)
        except FileExistsError:
            fd = os.open(self.path, os.O_WRONLY | os.O_APPEND)
        try:
            size = os.fstat(fd).st_size
            prefix = b""
            if size:
                with open(self.path, "rb") as fh:
                    fh.seek(size - 1)
                    if fh.read(1) != b"\n":
                        prefix = b"\n"
            # an undecodable file name's lone surrogates as JSON escapes (`\udcff`)
            os.write(fd, prefix + line.encode("utf-8", "backslashreplace"))
            os.fsync(fd)
        finally:
            os.close(fd)


def read_ledger(path: str | Path) -> tuple[list[dict[str, Any]], int]:
    """Every readable line of a ledger, and how many lines could not be read (not JSON, cut
    short). A line that is JSON but holds a field of the wrong type is not leadkit's: an
    InputError names its line and field."""
    ledger = Ledger(ledger_path(path))
    with open(ledger.path, "rb") as fh:
        lines = fh.read().splitlines()
    entries = []
    for number, raw in enumerate(lines, 1):
        for entry in _parse([raw], ledger):
            wrong = _wrong_field(entry)
            if wrong:
                raise InputError(f"{ledger.path}:{number}: {wrong}")
            entries.append(entry)
    return entries, ledger.bad_lines


_TYPES: dict[str, tuple[type, ...]] = {
    "status": (str,),
    "sha256": (str,),
    "file": (str,),
    "mapping": (str,),
    "size": (int,),
    "rows": (int,),
    "limit_exceeded": (bool,),
    "arrived": (str,),
    "started": (str,),
    "ready": (str,),
    "failed": (str,),
    "outputs": (str,),
}


def _wrong_field(entry: dict[str, Any]) -> str | None:
    """What is wrongly typed in a ledger line, if anything."""
    for key, types in _TYPES.items():
        value = entry.get(key)
        if value is not None and (not isinstance(value, types) or isinstance(value, float)):
            return f"field {key!r} is not a {types[0].__name__}"
    handoff = entry.get("handoff")
    if handoff is not None:
        if not isinstance(handoff, dict):
            return "field 'handoff' is not a table"
        for key in HANDOFF_TABLES:
            table = handoff.get(key)
            if table is not None and not _counts(table):
                return f"field 'handoff.{key}' is not a table of counts"
    for key in ("counts", "reject_reasons"):
        value = entry.get(key)
        if value is None:
            continue
        if not _counts(value):
            return f"field {key!r} is not a table of counts"
    return None


def _counts(value: Any) -> bool:
    return isinstance(value, dict) and all(
        isinstance(v, int) and not isinstance(v, bool) for v in value.values()
    )


def _parse(lines: Iterable[bytes], counter: Ledger) -> Iterator[dict[str, Any]]:
    for raw in lines:
        if not raw.strip():
            continue
        try:
            entry = json.loads(raw)
        except ValueError:
            counter.bad_lines += 1
            continue
        if isinstance(entry, dict) and entry.get("ledger") == VERSION:
            yield entry
        else:
            counter.bad_lines += 1


# --- the partner scorecard ----------------------------------------------------------------


def scorecard(
    entries: Iterable[dict[str, Any]], *, since: datetime | None = None
) -> dict[str, Any]:
    """Per mapping (partner): files, rows, outcome rates, top reject reasons, lead velocity.

    Rates are shares of all data rows (`accept` = import + updates: the leads that reach the
    CRM without a person). Velocity is the time from a file's arrival in the inbox to its
    outputs being ready, in seconds.
    """
    groups: dict[str, _Group] = {}
    total = _Group("(all)")
    for e in entries:
        when = _time(e.get("ready") or e.get("started"))
        if since is not None and (when is None or when < since):
            continue
        name = str(e.get("mapping") or "(none)")
        group = groups.setdefault(name, _Group(name))
        for g in (group, total):
            g.add(e)
    return {
        "since": since.isoformat() if since else None,
        "partners": [groups[k].summary() for k in sorted(groups)],
        "total": total.summary(),
    }


@dataclass
class _Group:
    mapping: str
    files: int = 0
    failed: int = 0
    rows: int = 0
    counts: Counter[str] = field(default_factory=Counter)
    reasons: Counter[str] = field(default_factory=Counter)
    velocity: list[float] = field(default_factory=list)
    work: list[float] = field(default_factory=list)
    limit_exceeded: int = 0
    handoff: dict[str, Counter[str]] = field(default_factory=dict)
    capture_hours: list[float] = field(default_factory=list)
    first: str | None = None
    last: str | None = None

    def add(self, e: dict[str, Any]) -> None:
        if e.get("status") == FAILED:
            self.failed += 1
            return
        if e.get("status") != PROCESSED:
            return
        self.files += 1
        self.rows += int(e.get("rows") or 0)
        self.counts.update({k: int(v) for k, v in (e.get("counts") or {}).items()})
        self.reasons.update({k: int(v) for k, v in (e.get("reject_reasons") or {}).items()})
        self.limit_exceeded += bool(e.get("limit_exceeded"))
        handoff = e.get("handoff")
        if isinstance(handoff, dict):
            for key in HANDOFF_TABLES:
                if isinstance(handoff.get(key), dict):
                    self.handoff.setdefault(key, Counter()).update(handoff[key])
            hours = handoff.get("capture_hours")
            if isinstance(hours, dict) and isinstance(hours.get("median"), int | float):
                self.capture_hours.append(float(hours["median"]))
        arrived, started, ready = (_time(e.get(k)) for k in ("arrived", "started", "ready"))
        if arrived and ready:
            self.velocity.append(max(0.0, (ready - arrived).total_seconds()))
        if started and ready:
            self.work.append(max(0.0, (ready - started).total_seconds()))
        stamp = e.get("ready")
        if isinstance(stamp, str):
            self.first = min(self.first or stamp, stamp)
            self.last = max(self.last or stamp, stamp)

    def summary(self) -> dict[str, Any]:
        rates = {
            name: round(sum(self.counts[c] for c in parts) / self.rows, 4) if self.rows else None
            for name, parts in RATES.items()
        }
        return {
            "mapping": self.mapping,
            "files": self.files,
            "failed_files": self.failed,
            "rows": self.rows,
            "counts": {k: self.counts[k] for k in OUTCOMES},
            "rates": rates,
            "top_reject_reasons": dict(self.reasons.most_common(TOP_REASONS)),
            "median_seconds_to_ready": _median(self.velocity),
            "max_seconds_to_ready": round(max(self.velocity), 1) if self.velocity else None,
            "median_seconds_processing": _median(self.work),
            "files_over_limit": self.limit_exceeded,
            "first_ready": self.first,
            "last_ready": self.last,
            # with a rules file or account exports: suppressed by reason, leads per owner and
            # per route step (most first), the median of the files' capture-to-import hours
            "handoff": {k: dict(self.handoff[k].most_common()) for k in sorted(self.handoff)},
            "median_capture_hours": _median(self.capture_hours),
        }


def _median(values: list[float]) -> float | None:
    return round(statistics.median(values), 1) if values else None


def _time(value: Any) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        t = datetime.fromisoformat(value)
    except ValueError:
        return None
    return t if t.tzinfo else t.astimezone()
