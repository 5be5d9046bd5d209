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
from leadkit.mapping import CANONICAL_FIELDS
from leadkit.profile import Inspection
from leadkit.read import InputHints

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
            return data
        data = {"target": self.target}
        hints = hints_dict(self.hints)
        if hints:
            data["input"] = hints
        data["columns"] = {f: h[0] if len(h) == 1 else h for f, h in self.mapped.items()}
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
    """The draft mapping for a profiled table (no profile recognition: see `draft_mapping`)."""
    columns = assign([(c, candidates(c)) for c in inspection.columns])
    columns = names_pass(columns, {c.name: c for c in inspection.columns})
    draft = Draft(path=inspection.path, target=target, inspection=inspection, columns=columns)
    mapped = draft.mapped
    have = set(mapped)
    if "full_name" in have:
        have |= {"first_name", "last_name"}
    missing = [f for f in required if f not in have]
    return replace(draft, required_missing=missing)
