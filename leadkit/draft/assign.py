"""The columns together: each field to the column with the strongest evidence.

A close second becomes an alternate (a list: the first non-empty value wins). Nothing is
guessed: a column whose evidence is weak (below `MAP_MIN`) or split between two fields
(within `MARGIN`) is left out with a note saying why. Names are decided together: `Nom`
alone with values like `Jean Dupont` is a full name; `Name` beside `Vorname` is the last name.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from dataclasses import field as _field
from typing import Any

from leadkit.draft.evidence import MIN_TESTED, NAME_FIELDS, Candidate
from leadkit.draft.headers import MARGIN
from leadkit.draft.vocabulary import OPT_OUT
from leadkit.profile import ColumnProfile

__all__ = ["MAP_MIN", "TIE", "ColumnDraft", "assign", "names_pass"]

MAP_MIN = 0.6
"""A column is mapped only when its confidence is at least this."""
TIE = 0.03
"""Two columns this close for one field are both used, as alternates."""
_RUNNER_UP = 0.25
"""A column competes for a field other than its best one within this much of its best."""


@dataclass(frozen=True)
class ColumnDraft:
    """What became of one column.

    `status`: mapped; alternate (mapped too, after a better column for the same field:
    the first non-empty value wins); duplicate (looks like a field another column has,
    left out); ambiguous (could be two fields, left out); unmapped (no field, or too
    little evidence: `note` says which).
    """

    header: str
    status: str
    field: str | None
    confidence: float
    evidence: str
    note: str = ""
    candidates: list[Candidate] = _field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "header": self.header,
            "status": self.status,
            "field": self.field,
            "confidence": round(self.confidence, 2),
            "evidence": self.evidence,
            "note": self.note,
        }


Column = tuple[ColumnProfile, list[Candidate]]
_Offer = tuple[float, int, str, Candidate]  # confidence, column index, field, candidate


def assign(cols: list[Column]) -> list[ColumnDraft]:
    """Each field to the column with the strongest evidence; weak or split columns left out."""
    result: dict[str, ColumnDraft] = {}
    offers: list[_Offer] = []
    for i, (col, cands) in enumerate(cols):
        left_out = _left_out(col.name, cands)
        if left_out is not None:
            result[col.name] = left_out
        else:
            offers.extend(_offers(i, cands))
    _give_fields(cols, offers, result)
    return [result[col.name] for col, _ in cols]


def _real(cands: list[Candidate]) -> list[Candidate]:
    return [c for c in cands if not c.field.startswith("_")]


def _left_out(header: str, cands: list[Candidate]) -> ColumnDraft | None:
    """The column's draft when it takes no part: weak evidence, a known non-lead column or
    an opt-out, or two fields too close to choose. None when it competes for a field."""
    real = _real(cands)
    top = cands[0] if cands else None
    if top is None or top.confidence < MAP_MIN:
        hint = (
            f"weak evidence: {real[0].field} ({real[0].confidence:.2f}, {real[0].evidence})"
            if real
            else ""
        )
        return ColumnDraft(header, "unmapped", None, 0.0, "", hint, cands)
    if top.field.startswith("_"):
        note = (
            "looks like an opt-out, the inverse of opt_in: map it with a value map"
            if top.field == OPT_OUT
            else "a known column that is no lead field"
        )
        return ColumnDraft(header, "unmapped", None, top.confidence, top.evidence, note, cands)
    if (
        len(real) > 1
        and real[1].confidence >= MAP_MIN
        and top.confidence - real[1].confidence < MARGIN
    ):
        note = (
            f"could be {real[0].field} ({real[0].confidence:.2f}) "
            f"or {real[1].field} ({real[1].confidence:.2f})"
        )
        return ColumnDraft(header, "ambiguous", None, top.confidence, top.evidence, note, cands)
    return None


def _offers(i: int, cands: list[Candidate]) -> list[_Offer]:
    """The fields column `i` competes for: strong ones, not far below its best."""
    top = cands[0].confidence
    return [
        (c.confidence, i, c.field, c)
        for c in _real(cands)
        if c.confidence >= MAP_MIN and c.confidence >= top - _RUNNER_UP
    ]


def _give_fields(cols: list[Column], offers: list[_Offer], result: dict[str, ColumnDraft]) -> None:
    """Strongest offers first: a field goes to the first column offered it, an alternate to
    a column as good (within `TIE`) whose best field it is; the rest are duplicates."""
    owner: dict[str, tuple[str, float]] = {}
    # A filled column is the first choice before any empty one, whatever their headers say.
    order = sorted(offers, key=lambda p: (cols[p[1]][0].tested == 0, -p[0], p[1]))
    for conf, i, fld, cand in order:
        name, cands = cols[i][0].name, cols[i][1]
        if name in result:
            continue
        if fld not in owner:
            owner[fld] = (name, conf)
            result[name] = ColumnDraft(name, "mapped", fld, conf, cand.evidence, "", cands)
            continue
        first, first_conf = owner[fld]
        if cands[0].field == fld and first_conf - conf < TIE:
            note = f"as good as '{first}' for {fld}: both kept, the first non-empty value wins"
            result[name] = ColumnDraft(name, "alternate", fld, conf, cand.evidence, note, cands)
    for col, cands in cols:
        if col.name not in result:
            result[col.name] = _duplicate(col.name, cands, owner)


def _duplicate(
    header: str, cands: list[Candidate], owner: dict[str, tuple[str, float]]
) -> ColumnDraft:
    top = cands[0]
    first = owner.get(top.field, ("?", 0.0))[0]
    note = f"also looks like {top.field}, mapped to '{first}'; add it as an alternate if it is one"
    return ColumnDraft(header, "duplicate", top.field, top.confidence, top.evidence, note, cands)


def names_pass(columns: list[ColumnDraft], profiles: dict[str, ColumnProfile]) -> list[ColumnDraft]:
    """First, last and full name decided together: what one name column means depends on the others."""
    by_field = {c.field: c for c in columns if c.status == "mapped" and c.field in NAME_FIELDS}
    first, last, full = (by_field.get(f) for f in NAME_FIELDS)
    change: ColumnDraft | None
    if full is None:
        change = _lone_full_name(first, last, profiles)
    elif first is not None and last is not None:
        change = replace(
            full,
            evidence=f"{full.evidence}; the fallback where first_name and last_name are "
            "empty (it is split into them)",
        )
    else:
        change = _single_words(full, first, last, profiles)
    if change is None:
        return columns
    return [change if c.header == change.header else c for c in columns]


def _lone_full_name(
    first: ColumnDraft | None, last: ColumnDraft | None, profiles: dict[str, ColumnProfile]
) -> ColumnDraft | None:
    """The only name column holds two words or more: a full name."""
    alone = first if last is None else last if first is None else None
    if alone is None:
        return None
    col = profiles[alone.header]
    if col.tested < MIN_TESTED or col.multi_word < 0.5:
        return None
    share = round(col.multi_word * 100)
    return replace(
        alone,
        field="full_name",
        evidence=f"{alone.evidence}; but {share}% of values are two words or more, "
        "and no other name column: a full name",
    )


def _single_words(
    full: ColumnDraft,
    first: ColumnDraft | None,
    last: ColumnDraft | None,
    profiles: dict[str, ColumnProfile],
) -> ColumnDraft | None:
    """A full name of single words beside a first (or last) name column: the other one."""
    col = profiles[full.header]
    if col.tested < MIN_TESTED or col.multi_word >= 0.3 or (first is None) == (last is None):
        return None
    other = "last_name" if first is not None else "first_name"
    return replace(
        full,
        field=other,
        evidence=f"{full.evidence}; but its values are single words, beside a "
        f"{'first' if first is not None else 'last'} name column: the {other.replace('_', ' ')}",
    )
