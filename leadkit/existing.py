"""Reading an existing CRM export so leads can be matched against it.

An export may use any target's import names (Data Loader API names, HubSpot or Marketo
labels, leadkit's generic names) or a CRM report's labels (`Lead ID`, `Company / Account`,
with a report footer). Its columns are recognized by name, its id column detected or named
(`--existing-id`), and its values standardized by the same code as the leads.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import polars as pl

from leadkit import __version__
from leadkit.cache import code_fingerprint, prune
from leadkit.errors import InputError
from leadkit.mapping import CANONICAL_FIELDS, Mapping
from leadkit.match import DERIVED_FIELDS, MATCH_FIELDS
from leadkit.normalizers.boolean import standardize_bool
from leadkit.read import header_key as key
from leadkit.read import read_table
from leadkit.remap import CUSTOM_PREFIX, remap
from leadkit.standardize import Settings, standardize
from leadkit.targets import builtin_targets

ID = "_crm_id"
OWNER = "_owner"

# Report labels and other common export headers, beyond the targets' own column names.
_EXTRA_NAMES: dict[str, tuple[str, ...]] = {
    "first_name": ("First Name", "FirstName", "Given Name"),
    "last_name": ("Last Name", "LastName", "Surname", "Family Name"),
    "email": ("Email", "Email Address", "E-mail"),
    "company": ("Company / Account", "Company", "Account Name", "Company Name", "Organization"),
    "job_title": ("Title", "Job Title"),
    "phone": ("Phone", "Phone Number", "Business Phone"),
    "mobile_phone": ("Mobile", "Mobile Phone", "MobilePhone"),
    "street": ("Street", "Address", "Street Address", "Mailing Street"),
    "postal_code": ("Postal Code", "Zip", "ZIP Code", "Zip Code", "Postcode", "PostalCode"),
    "website": ("Website", "Web Site", "URL"),
    "city": ("City",),
    "country": ("Country", "CountryCode", "Country/Region", "Country Code"),
}
_ID_NAMES = (
    "Lead ID",
    "Contact ID",
    "Record ID",
    "Id",
    "ID",
    "id",
    "Lead Id",
    "Marketo ID",
    "Marketo Id",
)
_OWNER_NAMES = (
    "Lead Owner",
    "Contact owner",
    "Owner",
    "OwnerId",
    "Owner ID",
    "owner",
    "Lead Owner Email Address",
)


# The record's current state, for safe updates (SPEC "Sales handoff": the update policy
# compares against it): every other field a target writes, as the export has it, under
# `_crm:<field>`; the opt-out flag and the lead status.
CURRENT = "_crm:"
OPTED_OUT = "_crm_opted_out"
STATUS = "_crm_status"
_OPT_OUT_NAMES = (
    "HasOptedOutOfEmail",
    "Unsubscribed from all email",
    "Unsubscribed",
    "Email Opt Out",
    "opted_out",
)
_STATUS_NAMES = ("Status", "Lead Status", "lead_status")


def _names() -> dict[str, list[str]]:
    names: dict[str, list[str]] = {f: list(_EXTRA_NAMES.get(f, ())) for f in MATCH_FIELDS}
    for target in builtin_targets():
        for f, spec in target.fields.items():
            if f in names and spec.column not in names[f]:
                names[f].append(spec.column)
    return names


def load_existing(
    paths: Sequence[Path],
    *,
    id_column: str | None = None,
    cache: Path | None = None,
    default_country: str | None = None,
    compare: Sequence[str] = (),
) -> pl.DataFrame:
    """All exports, standardized, with `_crm_id`, `_owner` and the matching fields.

    `default_country`: the mapping's, for national phone numbers in the export (as the
    leads' are read). `compare`: the custom columns matching compares (the mapping's
    `matching.compare`), read from the export's column of the same name when it has one,
    as `custom:<name>`.

    With `cache`, each standardized export is kept there as Parquet, keyed by the file's
    content, the id column, these settings and leadkit's version, so an unchanged export
    is read back instead of standardized again.
    """
    how = _How(id_column, default_country, tuple(compare))
    frames = [_cached(Path(p), how, cache) for p in paths]
    if not frames:
        return pl.DataFrame()
    return pl.concat(frames, how="diagonal_relaxed")


# Standardized exports kept: today's and a few before (a daily export, or several CRMs).
_KEEP = 4


@dataclass(frozen=True)
class _How:
    """How an export is read: its id column, the default country, the compared columns."""

    id_column: str | None
    default_country: str | None
    compare: tuple[str, ...]


def _cached(path: Path, how: _How, cache: Path | None) -> pl.DataFrame:
    if cache is None or not path.is_file():
        return _load_one(path, how)
    digest = hashlib.sha256(f"{__version__}\0{code_fingerprint()}\0{how!r}\0".encode())
    with path.open("rb") as fh:
        while chunk := fh.read(1 << 20):
            digest.update(chunk)
    stored = cache / "crm" / f"{digest.hexdigest()}.parquet"
    if stored.is_file():
        try:
            frame = pl.read_parquet(stored)
            os.utime(stored)  # recently used: kept by the pruning below
            return frame
        except Exception:  # noqa: BLE001 - a damaged cache entry is rebuilt, never trusted
            stored.unlink(missing_ok=True)
    frame = _load_one(path, how)
    try:
        stored.parent.mkdir(parents=True, exist_ok=True)
        tmp = stored.with_suffix(f".{os.getpid()}.tmp")
        frame.write_parquet(tmp)
        os.replace(tmp, stored)
        prune(stored.parent, "*.parquet", keep=_KEEP)
    except OSError:
        pass  # a read-only or full cache folder only costs speed
    return frame


def _load_one(path: Path, how: _How) -> pl.DataFrame:
    names = _names()
    id_column = how.id_column
    ids = [id_column] if id_column else list(_ID_NAMES)
    expected: list[str | list[str]] = [list(v) for v in names.values()]
    expected.append(ids)
    table = read_table(path, expected_headers=expected)
    have = {key(c): c for c in table.frame.columns if not c.startswith("_")}

    def find(candidates: Sequence[str]) -> str | None:
        return next((have[key(c)] for c in candidates if key(c) in have), None)

    id_col = find(ids)
    if id_col is None:
        looked = f"'{id_column}'" if id_column else ", ".join(repr(n) for n in _ID_NAMES)
        raise InputError(
            f"{path}: no id column in the CRM export (looked for {looked}); "
            "name it with --existing-id"
        )
    columns = {f: col for f in MATCH_FIELDS if (col := find(names[f])) is not None}
    if not columns.keys() & {"email", "phone", "last_name"}:
        raise InputError(f"{path}: the CRM export has no email, phone or name column to match on")
    owner = find(_OWNER_NAMES)
    custom = {ID: {"column": id_col}} | ({OWNER: {"column": owner}} if owner else {})
    compared = {c: {"column": col} for c in how.compare if (col := find([c])) is not None}
    spec = Mapping.model_validate(
        {
            "columns": columns,
            "custom": custom | compared,
            "default_country": how.default_country,
        }
    )
    std = standardize(remap(table, spec), Settings.from_mapping(spec))
    renamed = {f"custom:{ID}": ID, f"custom:{OWNER}": OWNER}
    std = std.rename({k: v for k, v in renamed.items() if k in std.columns})
    # (only what matching compares is read from the export, and what is derived from it)
    wanted = {ID, OWNER, *CANONICAL_FIELDS, *DERIVED_FIELDS, *(CUSTOM_PREFIX + c for c in compared)}
    keep = [c for c in std.columns if c in wanted]
    std = std.select(keep).hstack(_current_state(table.frame, find, set(columns)))
    return std.filter(pl.col(ID).is_not_null())


def _current_state(
    frame: pl.DataFrame, find: Callable[[Sequence[str]], str | None], matched: set[str]
) -> list[pl.Series]:
    """The record's other fields as the export has them (trimmed, empty as null), its
    opt-out flag and its status: what the update policy compares a lead against."""
    out: list[pl.Series] = []
    for field in CANONICAL_FIELDS:
        if field in matched or field in ("opt_in", "full_name"):
            continue  # compared in its standardized form, already kept; opt-out below
        names = [t.fields[field].column for t in builtin_targets() if field in t.fields]
        found = find([*names, *_EXTRA_NAMES.get(field, ())])
        if found is not None:
            out.append(_trimmed(frame[found]).alias(CURRENT + field))
    opt_out = find(_OPT_OUT_NAMES)
    if opt_out is not None:
        flag = standardize_bool(frame[opt_out])["opt_in"]  # the flag's own truth value
        out.append((flag == "true").alias(OPTED_OUT))
    status = find(_STATUS_NAMES)
    if status is not None:
        out.append(_trimmed(frame[status]).alias(STATUS))
    return out


def _trimmed(values: pl.Series) -> pl.Series:
    text = values.cast(pl.String).str.strip_chars()
    return pl.select(pl.when(text != "").then(text)).to_series()
