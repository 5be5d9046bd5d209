"""Postal codes: trimmed, leading zeros kept, written the way the country writes them.

Every code is trimmed and loses a leading ``〒`` (Japan's postal mark). Where the row's
country is one of `_RULES` the code is also put in that country's form, and flagged
``postal_code_invalid`` (value kept as given) when it cannot be one:

- US: ``02134``, ZIP+4 as ``02134-1234``; a ZIP that lost its leading zeros to a
  spreadsheet (``2134``, ``501``) is padded back to five digits;
- CA ``M5C 3L0``, GB ``SW1P 6JJ``, IE ``D02 X285``, NL ``1234 AB``: upper case, one space;
- BR ``01310-100``, JP ``100-0001``, PL ``00-950``, PT ``1000-001``, SE/CZ/SK/GR ``114 55``;
- five-digit countries (DE, FR, IT, ES, MX, FI...) and four-digit ones (AU, NO, ZA, NZ)
  where codes start with 0 are padded the same way as US ZIPs; the others only checked.

A country prefix is dropped (``D-80331``, ``F-75001``, ``CH-8001``, ``SE-114 55``).
Without a known country the value is only trimmed: a bare ``2134`` could be a US ZIP
that lost its zero or a complete Australian postcode.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable

import polars as pl

from leadkit.normalizers._base import Normalized, map_unique_with
from leadkit.normalizers.country import ISO2_CODES, country_code
from leadkit.normalizers.text import clean_text, clean_text_expr

POSTAL_CODE_INVALID = "postal_code_invalid"

# The Japanese postal mark, and the `z:` Meta lead-ads downloads put before a ZIP.
_POSTAL_MARK = re.compile(r"^(?:[〒\s]+|[zZ]:\s*)")
_DASHES = str.maketrans({c: "-" for c in "\u2010\u2011\u2012\u2013\u2014\u2212\u30fc\uff0d"})

Rule = Callable[[str], str | None]


def _padded_digits(width: int, pad_from: int) -> Rule:
    """All digits, `width` long; `pad_from`..`width`-1 digits get their zeros back."""
    pattern = re.compile(rf"^[0-9]{{{pad_from},{width}}}$")

    def rule(s: str) -> str | None:
        s = s.replace(" ", "")
        return s.zfill(width) if pattern.match(s) else None

    return rule


def _fixed(pattern: str, template: str) -> Rule:
    """Match `pattern` on the code without spaces; write the groups through `template`."""
    compiled = re.compile(pattern)

    def rule(s: str) -> str | None:
        m = compiled.match(s.replace(" ", ""))
        return m.expand(template) if m else None

    return rule


def _us(s: str) -> str | None:
    m = re.match(r"^([0-9]{5})([0-9]{4})$", s) or re.match(
        r"^([0-9]{3,5})(?:\s*-\s*|\s+)([0-9]{4})$", s
    )
    if m:
        return f"{m.group(1).zfill(5)}-{m.group(2)}"
    m = re.match(r"^[0-9]{3,5}$", s)
    return s.zfill(5) if m else None


def _br(s: str) -> str | None:
    s = s.replace(".", "").replace(" ", "")
    m = re.match(r"^([0-9]{4,5})-([0-9]{3})$", s) or re.match(r"^([0-9]{4,5})([0-9]{3})$", s)
    return f"{m.group(1).zfill(5)}-{m.group(2)}" if m else None


def _jp(s: str) -> str | None:
    m = re.match(r"^([0-9]{3})-?([0-9]{4})$", s.replace(" ", ""))
    return f"{m.group(1)}-{m.group(2)}" if m else None


_CA_LETTERS = "ABCEGHJ-NPRSTV-Z"
_RULES: dict[str, Rule] = {
    "US": _us,
    "CA": _fixed(
        rf"^([ABCEGHJ-NPRSTVXY][0-9][{_CA_LETTERS}])-?([0-9][{_CA_LETTERS}][0-9])$", r"\1 \2"
    ),
    "GB": _fixed(r"^([A-Z]{1,2}[0-9][A-Z0-9]?|GIR)([0-9][A-Z]{2})$", r"\1 \2"),
    "IE": _fixed(r"^([AC-FHKNPRTV-Y][0-9]{2}|D6W)([0-9AC-FHKNPRTV-Y]{4})$", r"\1 \2"),
    "NL": _fixed(r"^([1-9][0-9]{3})([A-Z]{2})$", r"\1 \2"),
    "BR": _br,
    "JP": _jp,
    "PL": _fixed(r"^([0-9]{2})-?([0-9]{3})$", r"\1-\2"),
    "PT": _fixed(r"^([1-9][0-9]{3})-?([0-9]{3})$", r"\1-\2"),
    "SE": _fixed(r"^([1-9][0-9]{2})([0-9]{2})$", r"\1 \2"),
    "CZ": _fixed(r"^([1-7][0-9]{2})([0-9]{2})$", r"\1 \2"),
    "SK": _fixed(r"^([089][0-9]{2})([0-9]{2})$", r"\1 \2"),
    "GR": _fixed(r"^([1-8][0-9]{2})([0-9]{2})$", r"\1 \2"),
    "IN": _fixed(r"^([1-9][0-9]{5})$", r"\1"),
    "CN": _fixed(r"^([0-9]{6})$", r"\1"),
    "RU": _fixed(r"^([1-9][0-9]{5})$", r"\1"),
    "SG": _fixed(r"^([0-9]{6})$", r"\1"),
    "KR": _fixed(r"^([0-9]{5})$", r"\1"),
    "TW": _fixed(r"^([0-9]{3}(?:[0-9]{2,3})?)$", r"\1"),
    "AT": _fixed(r"^([1-9][0-9]{3})$", r"\1"),
    "BE": _fixed(r"^([1-9][0-9]{3})$", r"\1"),
    "CH": _fixed(r"^([1-9][0-9]{3})$", r"\1"),
    "DK": _fixed(r"^([0-9]{4})$", r"\1"),
    "HU": _fixed(r"^([1-9][0-9]{3})$", r"\1"),
    "LU": _fixed(r"^([0-9]{4})$", r"\1"),
    "AU": _padded_digits(4, 3),
    "NO": _padded_digits(4, 3),
    "NZ": _padded_digits(4, 3),
    "ZA": _padded_digits(4, 3),
    "DE": _padded_digits(5, 4),
    "FR": _padded_digits(5, 4),
    "IT": _padded_digits(5, 4),
    "ES": _padded_digits(5, 4),
    "MX": _padded_digits(5, 4),
    "FI": _padded_digits(5, 4),
}
# Old car-plate letters still written in front of European postcodes (D-80331).
_PREFIXES: dict[str, tuple[str, ...]] = {
    "DE": ("D",), "FR": ("F",), "IT": ("I",), "AT": ("A",), "BE": ("B",), "SE": ("S",),
    "ES": ("E",), "PT": ("P",), "LU": ("L",), "NO": ("N",), "FI": ("FIN", "SF"),
    "DK": ("DK",), "CZ": ("CZ",), "SK": ("SK",), "GR": ("GR",), "HU": ("H",),
}
# Values in their final form already; the column function keeps them without a call.
_CANONICAL: dict[str, str] = {
    "US": r"^[0-9]{5}(?:-[0-9]{4})?$",
    "DE": r"^[0-9]{5}$", "FR": r"^[0-9]{5}$", "IT": r"^[0-9]{5}$", "ES": r"^[0-9]{5}$",
    "MX": r"^[0-9]{5}$", "FI": r"^[0-9]{5}$",
    "AU": r"^[0-9]{4}$", "NO": r"^[0-9]{4}$", "NZ": r"^[0-9]{4}$", "ZA": r"^[0-9]{4}$",
    "IN": r"^[1-9][0-9]{5}$",
    "JP": r"^[0-9]{3}-[0-9]{4}$",
    "BR": r"^[0-9]{5}-[0-9]{3}$",
}


def _strip_prefix(s: str, country: str) -> str:
    for prefix in (country, *_PREFIXES.get(country, ())):
        m = re.match(rf"^{prefix}\s*-\s*(?=[0-9])", s)
        if m:
            return s[m.end():]
    return s


def normalize_postal(raw: str, country: str | None) -> Normalized:
    """The postal code in its country's form; `country` is ISO2 or any country form."""
    text = clean_text(raw)
    if text is None:
        return Normalized(None)
    text = clean_text(_POSTAL_MARK.sub("", text))
    if text is None:
        return Normalized(None)
    iso = country_code(country)
    rule = _RULES.get(iso) if iso is not None else None
    if iso is None or rule is None:
        return Normalized(text)
    s = unicodedata.normalize("NFKC", text).upper().translate(_DASHES)
    s = _strip_prefix(s, iso)
    value = rule(s)
    if value is None:
        return Normalized(text, POSTAL_CODE_INVALID)
    return Normalized(value)


def standardize_postal(col: pl.Series, country: pl.Series) -> pl.DataFrame:
    """`postal_code`, `postal_code__code`, read against each row's country.

    Rows with no country or a country without a rule, and codes already in their
    country's final form (``94105``, ``100-0001``), skip the per-value call.
    """
    frame = pl.DataFrame(
        {"raw": col.cast(pl.String), "ctx": country.cast(pl.String)},
        schema={"raw": pl.String, "ctx": pl.String},
    )
    no_rule = sorted(ISO2_CODES - _RULES.keys())
    keep = pl.col("ctx").is_null() | pl.col("ctx").is_in(no_rule)
    for iso, pattern in _CANONICAL.items():
        keep = keep | ((pl.col("ctx") == iso) & pl.col("raw").str.contains(pattern))
    fast = (keep & ~pl.col("raw").str.contains("〒")).fill_null(False)
    frame = frame.with_columns(fast.alias("fast"))
    rest = frame.select(pl.when(~pl.col("fast")).then(pl.col("raw"))).to_series()
    slow = map_unique_with(rest, frame["ctx"], normalize_postal)
    return pl.DataFrame(
        {
            "postal_code": frame.select(
                pl.when(pl.col("fast"))
                .then(clean_text_expr(pl.col("raw")))
                .otherwise(slow["value"])
            ).to_series(),
            "postal_code__code": slow["code"],
        },
        schema={"postal_code": pl.String, "postal_code__code": pl.String},
    )
