"""Suppression: the people, domains and companies that must never be contacted.

SPEC "Sales handoff". The rules file names lists (CSV or XLSX, read by leadkit's own
reader, so a report export with a title row or a footer works too); each list's header
names its column: `email`, `email_sha256`, `domain`, `phone` or `company`. List values
are put in the same canonical form as the leads' (the same normalizers), so `MAILTO:Ann@X.com `
on a list suppresses `ann@x.com` in a file, and a company is compared by the key matching
uses. Checking a row is a join per kind, never a loop over the list: a list of hundreds of
thousands of entries costs a hash table.

Precedence when a row is on several lists: `erasure` first (it decides what may be
written at all), then the lists in the rules file's order.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import polars as pl

from leadkit.errors import InputError
from leadkit.handoff.rules import ERASURE, LIST_COLUMNS, LoadedRules
from leadkit.normalizers.company import standardize_company
from leadkit.normalizers.email import standardize_email
from leadkit.normalizers.phone import standardize_phone
from leadkit.normalizers.website import standardize_website
from leadkit.read import header_key, read_table

SUPPRESSED = "_suppressed"
_MAX_DEPTH = 8  # labels of the deepest host whose parents are tested
_SHA256_RE = r"^[0-9a-f]{64}$"


@dataclass(frozen=True)
class SuppressionList:
    """One kind of entry of one list: canonical values, unique, with the list's reason."""

    reason: str
    kind: str  # one of LIST_COLUMNS
    values: pl.Series
    source: Path

    def __len__(self) -> int:
        return self.values.len()


def load_lists(rules: LoadedRules) -> list[SuppressionList]:
    """Every file list of the rules, read and canonicalized, erasure lists first."""
    lists: list[SuppressionList] = []
    for entry in rules.spec.suppress:
        if entry.file is None:
            continue  # crm_opted_out: decided by matching, not by a list
        lists.extend(read_list(rules.resolve(entry.file), entry.reason))
    return sorted(lists, key=lambda s: s.reason != ERASURE)  # stable: file order otherwise


def read_list(path: Path, reason: str) -> list[SuppressionList]:
    """The list's columns that leadkit knows, each in canonical form.

    Raises InputError (one line) when the file cannot be read or names no known column.
    """
    table = read_table(path, expected_headers=[list(LIST_COLUMNS)])
    known = {header_key(k): k for k in LIST_COLUMNS}
    columns = {known[header_key(c)]: c for c in table.frame.columns if header_key(c) in known}
    if not columns:
        found = ", ".join(c for c in table.frame.columns if not c.startswith("_"))
        raise InputError(
            f"{path.name}: a suppression list needs a column named "
            f"{', '.join(LIST_COLUMNS)} (found: {found or 'none'})"
        )
    return [
        SuppressionList(reason, kind, canonical(kind, table.frame[col]), path)
        for kind, col in columns.items()
    ]


def canonical(kind: str, raw: pl.Series) -> pl.Series:
    """A list column's values in the form the leads' values have, unique, nulls dropped."""
    raw = raw.cast(pl.String).str.strip_chars()
    raw = raw.filter(raw.is_not_null() & (raw != ""))
    if kind == "email":
        frame = standardize_email(raw)
        values = frame.filter(pl.col("email__code").is_null())["email"]
    elif kind == "email_sha256":
        values = raw.str.to_lowercase().filter(raw.str.to_lowercase().str.contains(_SHA256_RE))
    elif kind == "domain":
        values = standardize_website(raw)["website"]
    elif kind == "phone":
        frame = standardize_phone(raw, pl.repeat(None, raw.len(), dtype=pl.String, eager=True))
        values = _without_extension(frame.filter(pl.col("phone__code").is_null())["phone"])
    elif kind == "company":
        values = standardize_company(raw)["company_key"]
    else:  # pragma: no cover - LIST_COLUMNS is the closed set above
        raise ValueError(kind)
    return values.drop_nulls().unique().rename(kind)


def suppressed(leads: pl.DataFrame, lists: Sequence[SuppressionList]) -> pl.Series:
    """`_suppressed` for every row of the standardized `leads`: the reason, or null.

    Rows are compared by their clean values: `email` (and its SHA-256), `email_domain`
    and `website` (a listed domain covers its subdomains), `phone` and `mobile_phone`
    (without extension), `company_key`. The first list (erasure first) that holds a row
    names it.
    """
    reason = pl.repeat(None, leads.height, dtype=pl.String, eager=True)
    for entry in lists:
        hit = _hits(leads, entry)
        if hit is not None:
            reason = pl.select(
                pl.when(reason.is_null() & hit).then(pl.lit(entry.reason)).otherwise(reason)
            ).to_series()
    return reason.rename(SUPPRESSED)


def _hits(leads: pl.DataFrame, entry: SuppressionList) -> pl.Series | None:
    """Which rows the entry holds (a Boolean per row), or None when the leads lack the field."""
    listed = entry.values.implode()
    cols = leads.columns
    if entry.kind == "email" and "email" in cols:
        return leads.select(pl.col("email").is_in(listed).fill_null(False)).to_series()
    if entry.kind == "email_sha256" and "email" in cols:
        return _sha256_of(leads["email"]).is_in(listed).fill_null(False)
    if entry.kind == "phone":
        phones = [c for c in ("phone", "mobile_phone") if c in cols]
        if not phones:
            return None
        return leads.select(
            pl.any_horizontal(
                pl.col(c).str.replace(r" x[0-9]+$", "").is_in(listed).fill_null(False)
                for c in phones
            )
        ).to_series()
    if entry.kind == "company" and "company_key" in cols:
        return leads.select(pl.col("company_key").is_in(listed).fill_null(False)).to_series()
    if entry.kind == "domain":
        hosts = [c for c in ("email_domain", "website") if c in cols]
        if not hosts:
            return None
        hits = [_under_domains(leads[c], entry.values) for c in hosts]
        return pl.select(pl.any_horizontal(hits)).to_series()
    return None


def _under_domains(hosts: pl.Series, domains: pl.Series) -> pl.Series:
    """Whether each host is one of `domains` or a subdomain of one (`emea.acme.com` under
    `acme.com`): each distinct host and its parents tested as memberships in the list."""
    listed = domains.implode()
    uniq = hosts.drop_nulls().unique().to_frame("h")
    labels = pl.col("h").str.split(".")
    tests = [pl.col("h").is_in(listed)]
    for drop in range(1, _MAX_DEPTH):  # a parent keeps at least two labels
        parent = labels.list.slice(drop).list.join(".")
        tests.append((labels.list.len() - drop >= 2) & parent.is_in(listed))
    under = uniq.filter(pl.any_horizontal(tests))["h"]
    return hosts.is_in(under.implode()).fill_null(False)


def _sha256_of(emails: pl.Series) -> pl.Series:
    """The lowercase hex SHA-256 of each (already canonical) email; null stays null.

    polars-hash does it in Rust over the whole column (emails are nearly all distinct, so
    hashing each row beats finding the distinct ones first); hashlib once per distinct
    address where polars-hash is missing or built for another Polars."""
    try:
        import polars_hash as plh

        return (
            emails.rename("e").to_frame().select(plh.col("e").chash.sha2_256()).to_series()
        ).rename("email_sha256")
    except Exception:  # noqa: BLE001 - not installed, or built for another Polars: hashlib
        uniq = emails.drop_nulls().unique()
        digests = pl.Series(
            [hashlib.sha256(e.encode()).hexdigest() for e in uniq.to_list()], dtype=pl.String
        )
        table = pl.DataFrame({"e": uniq, "h": digests})
        return (
            emails.rename("e")
            .to_frame()
            .join(table, on="e", how="left", maintain_order="left")["h"]
            .rename("email_sha256")
        )


def _without_extension(phones: pl.Series) -> pl.Series:
    return phones.str.replace(r" x[0-9]+$", "")


def email_sha256(email: str) -> str:
    """SPEC's erasure-list form of one address: trimmed, lowercased, SHA-256, hex."""
    return hashlib.sha256(email.strip().lower().encode()).hexdigest()


def hash_list(path: Path) -> pl.DataFrame:
    """A clear-text email list as an `email_sha256` list (`leadkit suppress hash`).

    Each address is put in canonical form first (trimmed, `mailto:` removed, lowercased:
    the form leads are compared in), then hashed; invalid addresses are left out, since
    no lead can match them. One column, `email_sha256`, sorted: the output says nothing
    of the order people were added in.
    """
    table = read_table(path, expected_headers=["email"])
    column = next(c for c in table.frame.columns if header_key(c) == "email")
    emails = canonical("email", table.frame[column])
    return _sha256_of(emails).unique().sort().to_frame()
