"""The draft of one file: what became of each column, and the mapping it makes.

`draft_from_inspection` drafts a profiled table: every column's candidates
(`leadkit.draft.evidence`), then the fields shared out among the columns
(`leadkit.draft.assign`). `Draft.to_yaml()` is what `mapping init` writes
(`leadkit.draft.render`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from dataclasses import field as _field
from pathlib import Path
from typing import Any

import yaml

from leadkit.draft.assign import ColumnDraft, assign, names_pass
from leadkit.draft.evidence import candidates
from leadkit.draft.profiles import KnownProfile, ProfileMatch
from leadkit.draft.render import hints_dict, render_draft, render_profile
from leadkit.errors import LeadkitError
from leadkit.mapping import CANONICAL_FIELDS
from leadkit.profile import Inspection
from leadkit.read import InputHints, header_key
from leadkit.targets import load_target

__all__ = ["Draft", "draft_from_inspection"]


@dataclass(frozen=True)
class Draft:
    """A draft mapping for one file; `to_yaml()` is what `mapping init` writes."""

    path: str
    target: str
    inspection: Inspection
    columns: list[ColumnDraft]
    profile: KnownProfile | None = None
    profile_match: ProfileMatch | None = None
    near_profiles: list[ProfileMatch] = _field(default_factory=list)
    required_missing: list[str] = _field(default_factory=list)
    hints: InputHints | None = None
    target_given: bool = False
    defaults: dict[str, str] = _field(default_factory=dict)
    """Per-field defaults for required fields no column fills (`company: '[not provided]'`)."""
    default_country: tuple[str, str] | None = None
    """The suggested `default_country` and why (the phones' formats, the country column)."""

    @property
    def mapped(self) -> dict[str, list[str]]:
        """Canonical field -> its source headers (alternates after the first), in field order."""
        found: dict[str, list[ColumnDraft]] = {}
        for c in self.columns:
            if c.status in ("mapped", "alternate") and c.field:
                found.setdefault(c.field, []).append(c)
        for cols in found.values():
            cols.sort(key=lambda c: (c.status != "mapped", -c.confidence))
        return {f: [c.header for c in found[f]] for f in CANONICAL_FIELDS if f in found}

    def mapping_dict(self) -> dict[str, Any]:
        """The draft as plain data (what the YAML holds, comments aside)."""
        if self.profile is not None:
            data: dict[str, Any] = yaml.safe_load(self.profile.path.read_text(encoding="utf-8"))
            if self.target_given:
                data["target"] = self.target
            # What the file lacks of the profile's optional headers is read as empty.
            have = {header_key(h) for h in self.inspection.headers}
            data["columns"] = {
                f: src
                for f, src in data["columns"].items()
                if any(header_key(h) in have for h in ([src] if isinstance(src, str) else src))
            }
            return data
        data = {"target": self.target}
        hints = hints_dict(self.hints)
        if hints:
            data["input"] = hints
        if self.default_country is not None:
            data["default_country"] = self.default_country[0]
        data["columns"] = {f: h[0] if len(h) == 1 else h for f, h in self.mapped.items()}
        if self.defaults:
            data["defaults"] = dict(self.defaults)
        return data

    def as_dict(self) -> dict[str, Any]:
        return {
            "path": self.path,
            "target": self.target,
            "profile": self.profile_match.as_dict() if self.profile_match else None,
            "near_profiles": [p.as_dict() for p in self.near_profiles],
            "mapping": self.mapping_dict(),
            "columns": [c.as_dict() for c in self.columns],
            "required_missing": self.required_missing,
            "info": self.inspection.info,
        }

    def to_yaml(self, written_to: str | Path | None = None) -> str:
        """The mapping file's text; `written_to` (where it will be saved) is named in its
        comments for the next step."""
        if self.profile is not None:
            return render_profile(self, Path(written_to) if written_to else None)
        return render_draft(self, str(written_to) if written_to else "THIS_FILE")


def draft_from_inspection(
    inspection: Inspection, *, target: str = "generic", required: Sequence[str] = ()
) -> Draft:
    """The draft mapping for a profiled table (no profile recognition: see `draft_mapping`).

    A field the target cannot write is never drafted (its column is listed as unmapped, with
    why); a required field no column fills gets a default (`defaults:`) when a placeholder
    is the CRM convention for it (`company: "[not provided]"`, as Marketo and Pardot sync it).
    """
    columns = assign([(c, candidates(c)) for c in inspection.columns])
    columns = names_pass(columns, {c.name: c for c in inspection.columns})
    writable = _writable(target)
    if writable is not None:
        columns = [
            replace(
                c,
                status="unmapped",
                note=f"looks like {c.field}, which the target {target} has no column for",
            )
            if c.status in ("mapped", "alternate") and c.field and c.field not in writable
            else c
            for c in columns
        ]
    draft = Draft(path=inspection.path, target=target, inspection=inspection, columns=columns)
    mapped = draft.mapped
    have = set(mapped)
    if "full_name" in have:
        have |= {"first_name", "last_name"}
    missing = [f for f in required if f not in have]
    defaults = {f: NOT_PROVIDED for f in missing if f in PLACEHOLDER_FIELDS}
    return replace(
        draft,
        required_missing=[f for f in missing if f not in defaults],
        defaults=defaults,
        default_country=suggest_country(inspection, mapped),
    )


NOT_PROVIDED = "[not provided]"
"""The value a required field no column fills gets (the Marketo/Pardot convention)."""
PLACEHOLDER_FIELDS = ("company", "last_name")
"""Required fields a placeholder may fill: a lead is still a lead without them (an email
never is: a default email would make every row the same person)."""
COUNTRY_SHARE = 0.5
"""The share of phone values that must point to one country for it to be suggested."""


def _writable(target: str) -> frozenset[str] | None:
    try:
        spec = load_target(target)
    except LeadkitError:
        return None
    return frozenset({*spec.fields, "full_name"})


def suggest_country(inspection: Inspection, mapped: dict[str, list[str]]) -> tuple[str, str] | None:
    """`default_country` when the mapped phones are written the way one country writes them
    (its country code, or its national format: `03-5555-0100` is Japanese), or when the
    country column holds nearly only one country. None when nothing points to one."""
    votes: dict[str, float] = {}
    heads = [h for f in ("phone", "mobile_phone") for h in mapped.get(f, [])]
    for h in heads:
        for region, share in inspection.column(h).regions.items():
            votes[region] = votes.get(region, 0.0) + share / len(heads)
    ranked = sorted(votes.items(), key=lambda kv: -kv[1])
    if (
        ranked
        and ranked[0][1] >= COUNTRY_SHARE
        and (len(ranked) == 1 or ranked[0][1] >= 2 * ranked[1][1])
    ):
        region, share = ranked[0]
        return region, (
            f"{round(share * 100)}% of the sampled phone numbers are written as in {region} "
            "(country code or national format)"
        )
    for h in mapped.get("country", [])[:1]:
        col = inspection.column(h)
        top = max(col.regions.items(), key=lambda kv: kv[1], default=None)
        if top is not None and top[1] >= 0.9:
            return top[0], f"{round(top[1] * 100)}% of the values of '{h}' are {top[0]}"
    return None
