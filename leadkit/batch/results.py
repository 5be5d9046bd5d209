"""What a run reports: a result per file, the mapping problems, the events on the way."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

Status = Literal["processed", "skipped", "waiting", "failed", "needs-mapping"]


@dataclass
class FileResult:
    """What a run did with one inbox file. `to_dict()` is its `--json` line."""

    file: str
    status: Status
    reason: str | None = None  # a stable code: settling, clock-skew, locked, unreadable, ...
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
        return (
            self.status in ("failed", "needs-mapping")
            or self.limit_exceeded
            or self.reason == "clock-skew"
        )

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


def describe(r: FileResult) -> str:
    """One line about a file's result: file names, counts and codes, never a row's values;
    control characters in a name escaped, so a name never forges a line or reaches a
    terminal as a code."""
    from leadkit.batch.files import printable

    return printable(_describe(r))


def _describe(r: FileResult) -> str:
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
