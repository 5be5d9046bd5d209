"""The run's report: one typed document, built once from the stages' results.

`Report.to_dict()` is exactly what `X.report.json` holds and what `normalize --json`
prints: the same keys in the same order, written once (`Report.to_json()`).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import polars as pl

from leadkit import __version__
from leadkit.mapping import CANONICAL_FIELDS, LoadedMapping
from leadkit.read import ReadInfo
from leadkit.targets import Target
from leadkit.validate import ERRORS
from leadkit.write import OUTPUTS

# The email flag columns counted in `flags`, in the report's order.
EMAIL_FLAGS = ("email_role", "email_free", "email_disposable")


@dataclass(frozen=True)
class InputFacts:
    path: str
    sha256: str
    format: str
    encoding: str | None
    delimiter: str | None
    sheet: str | None
    header_row: int
    footer: str | None
    dropped: tuple[int, ...] = ()  # non-blank records after the table's end (footer, section)

    @classmethod
    def of(cls, info: ReadInfo) -> InputFacts:
        return cls(
            path=info.path,
            sha256=info.sha256,
            format=info.format,
            encoding=info.encoding,
            delimiter=info.delimiter,
            sheet=info.sheet,
            header_row=info.header_row,
            footer=info.footer,
            dropped=tuple(info.dropped),
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "path": self.path,
            "sha256": self.sha256,
            "format": self.format,
            "encoding": self.encoding,
            "delimiter": self.delimiter,
            "sheet": self.sheet,
            "header_row": self.header_row,
            "footer": self.footer,
            "dropped": list(self.dropped),
        }


@dataclass(frozen=True)
class MappingFacts:
    name: str
    path: str | None
    sha256: str
    target: str

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "path": self.path, "sha256": self.sha256, "target": self.target}


@dataclass(frozen=True)
class Limits:
    """The reject limit in effect (the mapping's `limits.max_reject_rate`, else the default
    `DEFAULT_MAX_REJECT_RATE`), the run's reject rate, and whether it is above the limit."""

    max_reject_rate: float
    reject_rate: float  # rounded to 4 places
    exceeded: bool

    def to_dict(self) -> dict[str, Any]:
        return {
            "max_reject_rate": self.max_reject_rate,
            "reject_rate": self.reject_rate,
            "exceeded": self.exceeded,
        }


@dataclass(frozen=True)
class ExistingFacts:
    """The CRM export(s) matched against: their paths, records, and the seconds to load them."""

    files: tuple[str, ...]
    records: int
    seconds: float


@dataclass(frozen=True)
class Report:
    leadkit_version: str
    input: InputFacts
    mapping: MappingFacts
    rows: int
    counts: Mapping[str, int]
    issues: Mapping[str, Mapping[str, int]]
    reject_reasons: Mapping[str, int]
    flags: Mapping[str, int]
    warnings: tuple[str, ...]
    limits: Limits
    outputs: Mapping[str, str]  # output kind -> file name
    timings: Mapping[str, float]  # the stages in order, then `total`
    existing: ExistingFacts | None = None
    handoff: Mapping[str, Any] | None = None  # suppressed, accounts, owners, routes, statuses

    def to_dict(self) -> dict[str, Any]:
        """The JSON document, keys in their published order."""
        timings = dict(self.timings)
        doc: dict[str, Any] = {
            "leadkit_version": self.leadkit_version,
            "input": self.input.to_dict(),
            "mapping": self.mapping.to_dict(),
            "rows": self.rows,
            "counts": dict(self.counts),
            "issues": {f: dict(codes) for f, codes in self.issues.items()},
            "reject_reasons": dict(self.reject_reasons),
            "flags": dict(self.flags),
            "warnings": list(self.warnings),
            "limits": self.limits.to_dict(),
            "outputs": dict(self.outputs),
            "timings": timings,
        }
        if self.existing is not None:
            timings["existing"] = round(self.existing.seconds, 3)
            doc["existing"] = {"files": list(self.existing.files), "records": self.existing.records}
        if self.handoff is not None:
            doc["handoff"] = dict(self.handoff)
        return doc

    def limit_line(self) -> str:
        """Why a run over its reject limit exits 1, in one line."""
        lim = self.limits
        return (
            f"{self.counts.get('rejects', 0):,} of {self.rows:,} rows rejected "
            f"({lim.reject_rate:.1%}), above the limit of {lim.max_reject_rate * 100:g}% "
            "(limits.max_reject_rate): see the reject reasons and fix the mapping or the file"
        )

    def to_json(self) -> str:
        """The text of `X.report.json` (and of `normalize --json` for one input)."""
        return json.dumps(self.to_dict(), indent=2, ensure_ascii=False) + "\n"


def build_report(
    info: ReadInfo,
    leads: pl.DataFrame,
    mapping: LoadedMapping,
    target: Target,
    *,
    outputs: Mapping[str, Path],
    timings: Mapping[str, float],
    existing: ExistingFacts | None = None,
    handoff: Mapping[str, Any] | None = None,
) -> Report:
    """The report of one file from the stages' results: `leads` with `_outcome`, the
    per-field `<field>__code` columns and the validation errors."""
    counts = _counts(leads, info, suppressing=handoff is not None and "suppressed" in handoff)
    rows = leads.height + info.blank_rows
    limit = mapping.spec.limits.reject_limit
    reject_rate = counts["rejects"] / rows if rows else 0.0
    return Report(
        leadkit_version=__version__,
        input=InputFacts.of(info),
        mapping=MappingFacts(
            name=mapping.name,
            path=str(mapping.path) if mapping.path else None,
            sha256=mapping.sha256,
            target=target.name,
        ),
        rows=rows,
        counts=counts,
        issues=_issues(leads),
        reject_reasons=_reject_reasons(leads),
        flags=_flags(leads, info),
        warnings=_warnings(mapping, target),
        limits=Limits(
            max_reject_rate=limit,
            reject_rate=round(reject_rate, 4),
            exceeded=reject_rate > limit,
        ),
        outputs={name: p.name for name, p in outputs.items()},
        timings=dict(timings),
        existing=existing,
        handoff=handoff,
    )


def _counts(leads: pl.DataFrame, info: ReadInfo, *, suppressing: bool = False) -> dict[str, int]:
    """Rows per outcome, `blank` last; `suppressed` whenever a rules file has lists."""
    counts = dict.fromkeys((*OUTPUTS, "suppressed") if suppressing else OUTPUTS, 0)
    for name, n in leads["_outcome"].value_counts().iter_rows():
        counts[name] = n
    counts["blank"] = info.blank_rows
    return counts


def _issues(leads: pl.DataFrame) -> dict[str, dict[str, int]]:
    issues: dict[str, dict[str, int]] = {}
    for f in CANONICAL_FIELDS:
        code_col = f"{f}__code"
        if code_col in leads.columns:
            vc = leads[code_col].drop_nulls().value_counts(sort=True)
            if vc.height:
                issues[f] = dict(vc.iter_rows())
    return issues


def _reject_reasons(leads: pl.DataFrame) -> dict[str, int]:
    reasons = leads[ERRORS].drop_nulls().str.split("; ").explode().value_counts(sort=True)
    return dict(reasons.iter_rows())


def _flags(leads: pl.DataFrame, info: ReadInfo) -> dict[str, int]:
    flags = {f: int(leads[f].sum()) for f in EMAIL_FLAGS if f in leads.columns}
    if "email_suggestion" in leads.columns:
        flags["email_typo"] = int(leads["email_suggestion"].is_not_null().sum())
    if info.extra_cell_rows:
        flags["extra_cells"] = info.extra_cell_rows
    return flags


def _warnings(mapping: LoadedMapping, target: Target) -> tuple[str, ...]:
    spec = mapping.spec
    mapped = set(spec.columns) | set(spec.constants) | set(spec.defaults)
    unwritten = sorted(f for f in mapped - set(target.fields) if f != "full_name")
    return tuple(
        f"mapped field '{f}' has no column in target '{target.name}' and is not written"
        for f in unwritten
    )


def reports_json(reports: Sequence[Report]) -> str:
    """What `normalize --json` prints: the one report as written, or a list of them."""
    if len(reports) == 1:
        return reports[0].to_json()
    return json.dumps([r.to_dict() for r in reports], indent=2, ensure_ascii=False) + "\n"
