"""One column, header and values together: the fields it may be, each with a confidence.

Header evidence: every field the header may name (`leadkit.draft.headers`), confirmed or
contradicted by the share of sampled values the field's normalizer accepts (`100% of 50
sampled values are emails`, `leadkit.profile`). Value evidence: a column with no telling
header is still the email, phone, country or website when nearly all of its values are
ones (`col3` full of addresses is the email), a company when its values carry legal forms,
a name when they start with given names.

Each kind of value evidence is one function in `VALUE_CHECKS`: a new check (a value that
vetoes a header, a new kind) is one more function there.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass

from leadkit.draft.headers import HEADER_MIN, HeaderMatch, match_header
from leadkit.profile import ColumnProfile

__all__ = [
    "FIELD_KIND",
    "KIND_WORDS",
    "NAME_FIELDS",
    "VALUE_CHECKS",
    "VALUE_FIELDS",
    "Candidate",
    "candidates",
]

# Each field's value kind (`leadkit.profile.KINDS`) that confirms or contradicts a header.
FIELD_KIND: dict[str, str] = {
    "email": "email",
    "phone": "phone",
    "mobile_phone": "phone",
    "country": "country",
    "website": "url",
    "created_at": "date",
    "opt_in": "boolean",
    "postal_code": "postal_code",
}
# Fields a column's values alone can establish, without any help from its header.
VALUE_FIELDS: dict[str, str] = {
    "email": "email",
    "phone": "phone",
    "country": "country",
    "url": "website",
}
# Fields no normalizer validates, and the kind that backs them a little.
_WEAK_KIND: dict[str, str] = {
    "first_name": "name",
    "full_name": "name",
    "company": "company",
    "job_title": "job_title",
}
KIND_WORDS: dict[str, str] = {
    "email": "emails",
    "phone": "phone numbers",
    "country": "countries",
    "url": "web addresses",
    "date": "dates",
    "boolean": "yes/no values",
    "postal_code": "postal codes",
    "name": "known given names",
    "company": "company names with a legal form",
    "job_title": "job titles",
    "number": "numbers",
    "coordinate": "decimal coordinates",
    "wallet": "crypto wallet addresses",
    "platform_url": "links to an event, meeting or social platform",
    "salutation": "salutations",
}
# Kinds whose values cannot be a name, a company or free text when nearly all are.
_FOREIGN_KINDS = (
    "email", "coordinate", "wallet", "platform_url", "salutation", "phone", "date", "url", "number",
)  # fmt: skip
NAME_FIELDS = ("first_name", "last_name", "full_name")
# Fields a column of numbers cannot be (a campaign, a state or a note can be a number).
_NOT_NUMBERS = frozenset({*NAME_FIELDS, "company", "job_title", "city", "street"})

MIN_TESTED = 3
"""Fewer tested values than this are no evidence about a column's values."""
MOSTLY = 0.8
"""The share of values of one kind that makes a column that kind."""


@dataclass(frozen=True)
class Candidate:
    field: str
    confidence: float
    evidence: str
    from_header: bool


def candidates(col: ColumnProfile) -> list[Candidate]:
    """Every field `col` may be, best first (one per field: the strongest evidence wins)."""
    header = match_header(col.name)
    foreign = _foreign_kind(col)
    found = [_from_header(col, m, foreign) for m in header if m.score >= HEADER_MIN - 0.15]
    for check in VALUE_CHECKS:
        found.extend(check(col, header, foreign))
    out: dict[str, Candidate] = {}
    for c in found:
        if c.field not in out or c.confidence > out[c.field].confidence:
            out[c.field] = c
    return sorted(out.values(), key=lambda c: (-c.confidence, c.field))


def _foreign_kind(col: ColumnProfile) -> str | None:
    """The kind (email, phone, date, url, number) nearly all values have, if one."""
    return next(
        (k for k in _FOREIGN_KINDS if col.tested >= MIN_TESTED and col.share(k) >= MOSTLY), None
    )


def _likely(col: ColumnProfile, kind: str) -> float:
    """The share of values of `kind`, pulled toward even odds when few values were tested:
    one odd value out of one is weak evidence against a header, fifty out of fifty strong."""
    return (col.share(kind) * col.tested + 0.5) / (col.tested + 1)


def share_words(col: ColumnProfile, kind: str) -> str:
    return f"{round(col.share(kind) * 100)}% of {col.tested} sampled values are {KIND_WORDS[kind]}"


# --- header evidence, weighed by the values ----------------------------------------------------


def _from_header(col: ColumnProfile, m: HeaderMatch, foreign: str | None) -> Candidate:
    """What a header match is worth once the column's values are seen."""
    said = m.evidence(col.name)
    if m.field.startswith("_"):
        return Candidate(m.field, m.score, said, True)
    kind = FIELD_KIND.get(m.field)
    if col.tested == 0:
        return Candidate(m.field, m.score * 0.9, f"{said}; the column is empty", True)
    if kind is not None:
        p = _likely(col, kind)
        return Candidate(
            m.field, m.score * (0.5 + 0.5 * p), f"{said}; {share_words(col, kind)}", True
        )
    if foreign is not None and (foreign != "number" or m.field in _NOT_NUMBERS):
        return Candidate(m.field, m.score * 0.5, f"{said}; but {share_words(col, foreign)}", True)
    if col.tested >= MIN_TESTED and col.structured >= 0.6:
        but = (
            f"but {round(col.structured * 100)}% of {col.tested} sampled values are emails, "
            "phones, dates or web addresses"
        )
        return Candidate(m.field, m.score * 0.5, f"{said}; {but}", True)
    support, why = _weak_support(col, m.field)
    return Candidate(m.field, m.score * (0.9 + 0.1 * support), f"{said}{why}", True)


def _weak_support(col: ColumnProfile, fld: str) -> tuple[float, str]:
    """How much the values back a field no normalizer validates (names, company, title)."""
    kind = _WEAK_KIND.get(fld)
    if kind is None or col.tested < MIN_TESTED:
        return 0.5, ""
    p = col.share(kind)
    if p < 0.2:
        return 0.5, ""
    return min(1.0, 0.5 + p), f"; {share_words(col, kind)}"


# --- value evidence: fields the values establish on their own -----------------------------------

ValueCheck = Callable[[ColumnProfile, list[HeaderMatch], str | None], Iterable[Candidate]]
"""A value check: (the column, its header matches, its foreign kind or None) -> candidates."""


def _validated_kinds(
    col: ColumnProfile, header: list[HeaderMatch], foreign: str | None
) -> Iterator[Candidate]:
    """Emails, phones, countries, web addresses: nearly all values accepted by the normalizer."""
    for kind, fld in VALUE_FIELDS.items():
        p = col.share(kind)
        if col.tested < MIN_TESTED or p < MOSTLY or (kind == "country" and col.kind != "country"):
            continue
        named = next((m for m in header if m.field == fld), None)
        hint = named.score if named is not None else 0.0
        why = share_words(col, kind) + (f"; {named.evidence(col.name)}" if named else "")
        yield Candidate(fld, 0.55 + 0.35 * _likely(col, kind) + 0.05 * hint, why, False)


def _company_names(
    col: ColumnProfile, header: list[HeaderMatch], foreign: str | None
) -> Iterator[Candidate]:
    """Company names: many values end in a legal form (GmbH, Inc., S.A.)."""
    if col.tested < MIN_TESTED or col.kind != "company" or foreign is not None:
        return
    p = col.share("company")
    if p >= 0.6:
        yield Candidate("company", 0.35 + 0.4 * p, share_words(col, "company"), False)


def _person_names(
    col: ColumnProfile, header: list[HeaderMatch], foreign: str | None
) -> Iterator[Candidate]:
    """Names: many values start with a known given name; one word a first name, two or
    more a full name (in between, nothing is said)."""
    if col.tested < MIN_TESTED or col.kind != "name" or foreign is not None:
        return
    p = col.share("name")
    if p < 0.6:
        return
    fld = "full_name" if col.multi_word >= 0.7 else "first_name" if col.multi_word <= 0.2 else ""
    if not fld:
        return
    why = share_words(col, "name").replace("are known given names", "start with a known given name")
    if fld == "full_name":
        why += f", {round(col.multi_word * 100)}% have two words or more"
    yield Candidate(fld, 0.35 + 0.4 * p, why, False)


VALUE_CHECKS: tuple[ValueCheck, ...] = (_validated_kinds, _company_names, _person_names)
"""The value checks `candidates` runs on every column, in this order."""
