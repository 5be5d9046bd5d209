"""Features: one row per record, what blocking and comparison use."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import partial
from typing import Final

import jellyfish
import numpy as np
import polars as pl

from leadkit.match.columns import (
    CITY,
    CITY_KEY,
    COMPANIES,
    COMPANY,
    COMPANY_KEY,
    COMPANY_PREFIX,
    CORPORATE_DOMAIN,
    COUNTRY,
    DOMAIN_ORGANIZATION,
    DOMAINS,
    EMAIL,
    EMAIL_DOMAIN,
    EMAIL_LOCAL,
    FIRST,
    KEY_PREFIX,
    LAST,
    MOBILE,
    PHONE,
    POSTAL,
    REPAIRED,
    STREET,
    STREET_KEY,
    VALUE,
    NameColumns,
)
from leadkit.match.keys import _SEED, _distinct
from leadkit.match.placeholders import _PLACEHOLDER_COMPANIES, _PLACEHOLDER_NAMES
from leadkit.match.threads import _parallel
from leadkit.normalizers.text import split_once

# The lead fields matching compares: all a CRM export need hold.
MATCH_FIELDS: Final = (
    "email",
    "first_name",
    "last_name",
    "company",
    "phone",
    "mobile_phone",
    "city",
    "country",
    "street",
    "postal_code",
    "website",
)
# What standardizing derives from them, which matching reads too.
DERIVED_FIELDS: Final = ("email_domain", "email_free", "company_key")

# Letters NFKD does not split into a base letter and an accent.
_FOLD_FROM: Final = ["ß", "ø", "ł", "đ", "æ", "œ", "ı", "þ", "ð", "ŀ"]
_FOLD_TO: Final = ["ss", "o", "l", "d", "ae", "oe", "i", "th", "d", "l"]

# UTF-8 read as Windows-1252 ("JosÃ©"): a lead byte 0xC2-0xDF shown as Â..ß, then a
# continuation byte 0x80-0xBF shown as a Windows-1252 or Latin-1 character.
_MOJIBAKE_RE: Final = (
    "[\u00c2-\u00df][\u00a0-\u00bf\u20ac\u201a\u0192\u201e\u2026\u2020\u2021\u02c6\u2030"
    "\u0160\u2039\u0152\u017d\u2018\u2019\u201c\u201d\u2022\u2013\u2014\u02dc\u2122\u0161"
    "\u203a\u0153\u017e\u0178]"
)


# The organization's name in a domain: the label before the public suffix, a two-level one
# (acme.co.uk, acme.com.au) or not. us.acme-corp.co.uk -> acme-corp.
_DOMAIN_ROOT_RE: Final = (
    r"([^.]+)\.(?:(?:co|com|org|net|ac|gov|edu|ne|or|gob|gv|ltd|plc|nom)\.[a-z]{2}|[^.]+)$"
)


def _per_value(
    col: pl.Series, *steps: pl.Expr, repair: Callable[[pl.Series], pl.Series] | None = None
) -> tuple[pl.Series, pl.DataFrame]:
    """Columns derived once per distinct value of `col`: a table with one row per distinct
    value, and per row of `col` the row of its value in the table.

    A million CRM rows carry a few thousand distinct names: the string work runs on those.
    The values are told apart by a 64-bit hash, which sorts several times faster than the
    strings. `steps` run one `with_columns` after the other over a frame whose column `v`
    holds the distinct values (null among them when `col` has nulls), and `REPAIRED` the same
    values through `repair` when given; every column they add is in the table.
    """
    hashes = col.hash(_SEED)
    if col.len() > 50_000 and col.head(5_000).n_unique() < 500:
        # a few distinct values (names, cities): a hash table finds them faster than sorting
        first = hashes.is_first_distinct().arg_true()
        rows = hashes.gather(first).to_frame("h").with_row_index("i")
        inverse = hashes.to_frame("h").join(rows, on="h", how="left", maintain_order="left")["i"]
    else:
        found, at = _distinct(hashes.to_numpy())
        inverse, first = pl.Series(found, dtype=pl.UInt32), pl.Series(at)
        if len(at) > 10_000:
            # (many values gathered in no order: far faster from one chunk than from several)
            col = col.rechunk()
    table = col.gather(first).rename(VALUE).to_frame()
    if repair is not None:
        table = table.with_columns(repair(table[VALUE]).alias(REPAIRED))
    for step in steps:
        table = table.with_columns(step)
    return inverse.cast(pl.UInt32).alias(VALUE), table.drop(VALUE)


def _repair_mojibake(col: pl.Series) -> pl.Series:
    """Undo UTF-8 read as Windows-1252 ("JosÃ©" -> "José") in a column of distinct values."""
    fixed: dict[str, str] = {}
    for value in col.filter(col.str.contains(_MOJIBAKE_RE).fill_null(False)).to_list():
        try:
            fixed[value] = value.encode("cp1252").decode("utf-8")
        except UnicodeError:  # a real "Ã" followed by a symbol, not mojibake
            continue
    return col.replace(fixed) if fixed else col


def _fold_steps(out: str, placeholders: Sequence[str] = (), source: str = VALUE) -> list[pl.Expr]:
    """Fold `source` into `out`: lowercase, no accents, every run of non-alphanumerics one space.

    Null when nothing is left or the value is a placeholder. Separate steps on purpose:
    Polars 2.1 runs this long chain several times slower as one expression.
    """
    o = pl.col(out)
    return [
        pl.col(source).str.to_lowercase().str.normalize("NFKD").alias(out),
        o.str.replace_all(r"\p{M}+", "").str.replace_many(_FOLD_FROM, _FOLD_TO).alias(out),
        o.str.replace_all(r"[^\p{L}\p{N}]+", " ").str.strip_chars(" ").alias(out),
        pl.when((o.str.len_bytes() == 0) | o.is_in(list(placeholders)))
        .then(None)
        .otherwise(o)
        .alias(out),
    ]


def _email_word_steps(out: str, source: str = VALUE) -> list[pl.Expr]:
    """An email's local part as words in `out`: "smith.john42+news@a.com" -> "smith john"
    (null when it has none). Steps for `_per_value`, each read once."""
    w = pl.col(out)
    return [
        split_once(pl.col(source), "@")[0].fill_null(pl.col(source)).alias(out),
        w.str.replace(r"\+.*$", "").alias(out),
        w.str.replace_all(r"[^a-z]+", " ").str.strip_chars(" ").alias(out),
        pl.when(w.str.len_bytes() > 0).then(w).alias(out),
    ]


def _without_extension(col: pl.Series) -> pl.Series:
    """ "+14155550123 x204" -> "+14155550123" (the contract's E.164 plus an extension).

    Only the values with a space are cut (a search costs less than a cut of every value).
    """
    spaced = col.str.contains(" ", literal=True).fill_null(False).arg_true()
    if spaced.is_empty():
        return col
    cut = col.gather(spaced)
    return col.clone().scatter(spaced, cut.str.slice(0, cut.str.find(" ", literal=True)))


def _ensure_columns(frame: pl.DataFrame, custom: Sequence[str] = ()) -> pl.DataFrame:
    """Every column matching reads, typed (a missing or all-null column as nulls);
    `custom`: the custom columns compared (`custom:` names)."""

    def typed(name: str) -> pl.Expr:
        dtype = pl.Boolean if name == "email_free" else pl.String
        column = pl.col(name) if name in frame.columns else pl.lit(None)
        return column.cast(dtype).alias(name)

    return frame.select(typed(c) for c in (*MATCH_FIELDS, *DERIVED_FIELDS, *custom))


def _nysiis(names: pl.Series) -> pl.Series:
    """The NYSIIS code (jellyfish) of each distinct folded name, null where none."""
    codes = [None if n is None else jellyfish.nysiis(n) or None for n in names.to_list()]
    return pl.Series(codes, dtype=pl.String)


def _hashed(expr: pl.Expr) -> pl.Expr:
    """A block-key part: the value's 64-bit hash, null when the value is."""
    return pl.when(expr.is_not_null()).then(expr.hash(_SEED))


_Column = tuple[np.ndarray, np.ndarray | None]  # values (any where missing), where present


@dataclass(frozen=True)
class _Records:
    """One side's records as blocking and comparison see them (`_features`), one row per
    record, in order. Blocking reads NumPy arrays: it never goes back to Polars."""

    rid: np.ndarray
    """Each record's id (UInt32)."""
    own: pl.DataFrame
    """The record's own compared columns (`columns.OWN`)."""
    keys: dict[str, _Column]
    """The block-key parts (`_KEY_PARTS`, `PHONE`, `MOBILE`): 64-bit hashes, see `_Keys`."""
    index: dict[str, np.ndarray]
    """Per table of `values`, each record's row in it."""
    values: dict[str, pl.DataFrame]
    """The columns worked out once per distinct value (`_per_value`), per table
    (`FIRST.table`, ...)."""
    screened: dict[str, np.ndarray] = field(default_factory=dict)
    """Per email and phone column, what `_screen_keys` found of each record's value
    (`_UNTESTED`, `_REAL`, `_PLACEHOLDER`)."""

    @property
    def height(self) -> int:
        return len(self.rid)


def _features(
    frame: pl.DataFrame,
    rid: pl.Expr,
    *,
    read_often: bool = True,
    compare: Mapping[str, str] | None = None,
) -> _Records:
    """What blocking and comparison use of each record of `frame`, in the frame's order.

    `rid` gives the record's id. Names, companies and domains are worked out once per
    distinct value (`_per_value`) and stay in tables: a million records are never given
    a million copies of their strings. Placeholder emails and phones are still in: the
    leads' are screened out of the keys (`_screen_keys`) and out of the pairs that reach
    comparison (`_screened`); the CRM side need not be (a million rows): a CRM placeholder
    can only pair with a lead's, which is gone.

    `read_often`: many of the records are read in comparison (the leads: most are in some
    pair), so their own columns are put in one chunk, from which rows are read many times
    faster (not worth it for a million CRM records of which a few are read).

    `compare`: the custom columns compared (`custom:` name -> `exact`, `fuzzy` or `date`);
    they are own columns, and the `exact` and `date` ones block-key parts.
    """
    compare = compare or {}
    rids = frame.select(rid.cast(pl.UInt32)).to_series().to_numpy()
    frame = _ensure_columns(frame, list(compare))

    def names(column: str, name: NameColumns) -> _Lookup:
        spaced, joined = name.words, name.folded
        # (mojibake repaired in plain Python, not as a Polars callback: the tasks run on
        # threads, and a callback waiting for the GIL could hold up Polars' thread pool)
        inverse, table = _per_value(
            frame[column],
            *_fold_steps(spaced, _PLACEHOLDER_NAMES, source=REPAIRED),
            pl.col(spaced).str.replace_all(" ", "", literal=True).alias(joined),
            _hashed(pl.col(joined)).alias(KEY_PREFIX + joined),
            _hashed(pl.col(joined).str.slice(0, 1)).alias(KEY_PREFIX + name.initial),
            repair=_repair_mojibake,
        )
        # (in plain Python once per distinct name: a callback could wait for the GIL)
        table = table.with_columns(_nysiis(table[joined]).alias(name.phonetic))
        table = table.with_columns(_hashed(pl.col(name.phonetic)).alias(KEY_PREFIX + name.phonetic))
        return _lookup(name.table, inverse, table)

    def domains() -> _Lookup:
        free = pl.col("email_free").fill_null(False)
        cdom = frame.select(pl.when(free).then(None).otherwise(pl.col("email_domain")))
        inverse, table = _per_value(
            cdom.to_series(),
            pl.col(VALUE).alias(CORPORATE_DOMAIN),
            pl.col(VALUE)
            .str.extract(_DOMAIN_ROOT_RE)
            .str.replace_all("-", "", literal=True)
            .alias(DOMAIN_ORGANIZATION),
            _hashed(pl.col(DOMAIN_ORGANIZATION)).alias(KEY_PREFIX + DOMAIN_ORGANIZATION),
        )
        return _lookup(DOMAINS, inverse, table)

    def companies() -> _Lookup:
        # the company key, or the company lowercased where it has no key (only there)
        co = frame["company_key"]
        unkeyed = (co.is_null() & frame["company"].is_not_null()).arg_true()
        if unkeyed.len():
            co = co.clone().scatter(unkeyed, frame["company"].gather(unkeyed).str.to_lowercase())
        ck = pl.col(COMPANY_KEY)
        # `company_key` is words of letters and digits: without the spaces it is a block key
        inverse, table = _per_value(
            co,
            pl.when(pl.col(VALUE).is_in(list(_PLACEHOLDER_COMPANIES)))
            .then(None)
            .otherwise(pl.col(VALUE))
            .alias(COMPANY),
            pl.col(COMPANY).str.replace_all(" ", "", literal=True).alias(COMPANY_KEY),
            pl.when(ck.str.len_bytes() > 0).then(ck).alias(COMPANY_KEY),
            _hashed(ck).alias(KEY_PREFIX + COMPANY_KEY),
            _hashed(ck.str.slice(0, 4)).alias(KEY_PREFIX + COMPANY_PREFIX),
        )
        return _lookup(COMPANIES, inverse, table)

    def own() -> tuple[pl.DataFrame, dict[str, _Column]]:
        columns = frame.select(
            pl.col("email"),
            _without_extension(frame["phone"]).alias(PHONE),
            _without_extension(frame["mobile_phone"]).alias(MOBILE),
            pl.col("country"),
            pl.col("city"),
            pl.col("street"),
            pl.col("postal_code").str.to_uppercase().str.replace_all(r"[^0-9A-Z]", ""),
            pl.col("website"),
            *(pl.col(c).str.strip_chars() for c in compare),
        )
        if read_often:
            columns = columns.rechunk()
        email = pl.col(EMAIL)
        hashes = columns.select(
            pl.col(EMAIL, PHONE, MOBILE, COUNTRY, POSTAL).hash(_SEED),
            _hashed(split_once(email, "@")[0]).alias(EMAIL_LOCAL),
            _hashed(split_once(email, "@")[1]).alias(EMAIL_DOMAIN),
            _hashed(pl.col(STREET).str.to_lowercase().str.replace_all(r"[^\p{L}\p{N}]+", "")).alias(
                STREET_KEY
            ),
            _hashed(pl.col(CITY).str.to_lowercase()).alias(CITY_KEY),
            *(pl.col(c).hash(_SEED) for c, kind in compare.items() if kind != "fuzzy"),
        )
        keyed = {EMAIL_LOCAL: EMAIL, EMAIL_DOMAIN: EMAIL, STREET_KEY: STREET, CITY_KEY: CITY}
        return columns, {
            name: _column(hashes[name], None if name in keyed else columns[name])
            for name in hashes.columns
        }

    (own_columns, keys), *lookups = _parallel(
        [
            own,
            partial(names, "first_name", FIRST),
            partial(names, "last_name", LAST),
            domains,
            companies,
        ]
    )
    values: dict[str, pl.DataFrame] = {}
    index: dict[str, np.ndarray] = {}
    for name, rows, table, parts in lookups:
        values[name], index[name] = table, rows
        keys |= parts
    return _Records(rids, own_columns, keys, index, values)


# A `_per_value` table as `_Records` holds it (`_lookup`).
_Lookup = tuple[str, np.ndarray, pl.DataFrame, dict[str, _Column]]


def _lookup(name: str, inverse: pl.Series, table: pl.DataFrame) -> _Lookup:
    """A `_per_value` table as `_Records` holds it: its name, each record's row in it, the
    table without its key columns, and each record's key parts (the `KEY_PREFIX` columns of
    its value)."""
    rows = inverse.to_numpy().astype(np.intp)  # (NumPy indexes fastest with intp)
    parts: dict[str, _Column] = {}
    for k in table.columns:
        if k.startswith(KEY_PREFIX):
            values, valid = _column(table[k])
            parts[k.removeprefix(KEY_PREFIX)] = (
                values[rows],
                None if valid is None else valid[rows],
            )
    return name, rows, table.select(pl.exclude(f"^{KEY_PREFIX}.*$", REPAIRED)), parts


def _column(hashes: pl.Series, values: pl.Series | None = None) -> _Column:
    """A block-key part as NumPy: the hashes, and where `values` (or the hashes) are not
    null (None when nowhere)."""
    present = hashes if values is None else values
    valid = present.is_not_null().to_numpy() if present.null_count() else None
    return hashes.fill_null(0).to_numpy(), valid
