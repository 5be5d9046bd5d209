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

from leadkit.normalizers._base import Normalized, settle_rest
from leadkit.normalizers.country import country_code
from leadkit.normalizers.text import clean_text, clean_text_expr

POSTAL_CODE_INVALID = "postal_code_invalid"

# The Japanese postal mark, and the `z:` Meta lead-ads downloads put before a ZIP.
_POSTAL_MARK = re.compile(r"^(?:[〒\s]+|[zZ]:\s*)")
_DASHES = str.maketrans(dict.fromkeys("‐‑‒–—−ー－", "-"))

Rule = Callable[[str], str | None]


def _padded_digits(width: int, pad_from: int) -> Rule:
    """All digits, `width` long; `pad_from`..`width`-1 digits get their zeros back."""
    pattern = re.compile(rf"^[0-9]{{{pad_from},{width}}}$")

    def rule(s: str) -> str | None:
        s = s.replace(" ", "")
        return s.zfill(width) if pattern.match(s) else None

    return rule


def _fixed(pattern: str, joiner: str = "") -> Rule:
    """Match `pattern` on the code without spaces; write its groups joined by `joiner`."""
    compiled = re.compile(pattern)

    def rule(s: str) -> str | None:
        m = compiled.match(s.replace(" ", ""))
        return joiner.join(m.groups()) if m else None

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
    "CA": _fixed(rf"^([ABCEGHJ-NPRSTVXY][0-9][{_CA_LETTERS}])-?([0-9][{_CA_LETTERS}][0-9])$", " "),
    "GB": _fixed(r"^([A-Z]{1,2}[0-9][A-Z0-9]?|GIR)([0-9][A-Z]{2})$", " "),
    "IE": _fixed(r"^([AC-FHKNPRTV-Y][0-9]{2}|D6W)([0-9AC-FHKNPRTV-Y]{4})$", " "),
    "NL": _fixed(r"^([1-9][0-9]{3})([A-Z]{2})$", " "),
    "BR": _br,
    "JP": _jp,
    "PL": _fixed(r"^([0-9]{2})-?([0-9]{3})$", "-"),
    "PT": _fixed(r"^([1-9][0-9]{3})-?([0-9]{3})$", "-"),
    "SE": _fixed(r"^([1-9][0-9]{2})([0-9]{2})$", " "),
    "CZ": _fixed(r"^([1-7][0-9]{2})([0-9]{2})$", " "),
    "SK": _fixed(r"^([089][0-9]{2})([0-9]{2})$", " "),
    "GR": _fixed(r"^([1-8][0-9]{2})([0-9]{2})$", " "),
    "IN": _fixed(r"^([1-9][0-9]{5})$"),
    "CN": _fixed(r"^([0-9]{6})$"),
    "RU": _fixed(r"^([1-9][0-9]{5})$"),
    "SG": _fixed(r"^([0-9]{6})$"),
    "KR": _fixed(r"^([0-9]{5})$"),
    "TW": _fixed(r"^([0-9]{3}(?:[0-9]{2,3})?)$"),
    "AT": _fixed(r"^([1-9][0-9]{3})$"),
    "BE": _fixed(r"^([1-9][0-9]{3})$"),
    "CH": _fixed(r"^([1-9][0-9]{3})$"),
    "DK": _fixed(r"^([0-9]{4})$"),
    "HU": _fixed(r"^([1-9][0-9]{3})$"),
    "LU": _fixed(r"^([0-9]{4})$"),
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
    "DE": ("D",),
    "FR": ("F",),
    "IT": ("I",),
    "AT": ("A",),
    "BE": ("B",),
    "SE": ("S",),
    "ES": ("E",),
    "PT": ("P",),
    "LU": ("L",),
    "NO": ("N",),
    "FI": ("FIN", "SF"),
    "DK": ("DK",),
    "CZ": ("CZ",),
    "SK": ("SK",),
    "GR": ("GR",),
    "HU": ("H",),
}
# Forms the column function settles with Polars, per country: (pattern, replacement,
# width). A printable-ASCII value whose upper case matches `pattern` is, by the country's
# rule, `replacement` (`${n}`: the pattern's groups) zero-padded to `width` (0: as is).
# Everything else (other spacing, a prefix, full-width digits, 〒) goes to normalize_postal;
# a test holds the two to the same result.
_FAST_FORMS: dict[str, tuple[tuple[str, str, int], ...]] = {
    "US": ((r"^([0-9]{5})[- ]?([0-9]{4})$", "${1}-${2}", 0), (r"^[0-9]{3,5}$", "${0}", 5)),
    "CA": (
        (
            rf"^([ABCEGHJ-NPRSTVXY][0-9][{_CA_LETTERS}])[- ]?([0-9][{_CA_LETTERS}][0-9])$",
            "${1} ${2}",
            0,
        ),
    ),
    "GB": ((r"^([A-Z]{1,2}[0-9][A-Z0-9]?|GIR) ?([0-9][A-Z]{2})$", "${1} ${2}", 0),),
    "IE": ((r"^([AC-FHKNPRTV-Y][0-9]{2}|D6W) ?([0-9AC-FHKNPRTV-Y]{4})$", "${1} ${2}", 0),),
    "NL": ((r"^([1-9][0-9]{3}) ?([A-Z]{2})$", "${1} ${2}", 0),),
    "BR": ((r"^([0-9]{5})-?([0-9]{3})$", "${1}-${2}", 0),),
    "JP": ((r"^([0-9]{3})-?([0-9]{4})$", "${1}-${2}", 0),),
    "PL": ((r"^([0-9]{2})-?([0-9]{3})$", "${1}-${2}", 0),),
    "PT": ((r"^([1-9][0-9]{3})-?([0-9]{3})$", "${1}-${2}", 0),),
    "SE": ((r"^([1-9][0-9]{2}) ?([0-9]{2})$", "${1} ${2}", 0),),
    "CZ": ((r"^([1-7][0-9]{2}) ?([0-9]{2})$", "${1} ${2}", 0),),
    "SK": ((r"^([089][0-9]{2}) ?([0-9]{2})$", "${1} ${2}", 0),),
    "GR": ((r"^([1-8][0-9]{2}) ?([0-9]{2})$", "${1} ${2}", 0),),
    **dict.fromkeys(("IN", "RU"), ((r"^[1-9][0-9]{5}$", "${0}", 0),)),
    **dict.fromkeys(("CN", "SG"), ((r"^[0-9]{6}$", "${0}", 0),)),
    "KR": ((r"^[0-9]{5}$", "${0}", 0),),
    "TW": ((r"^[0-9]{3}(?:[0-9]{2,3})?$", "${0}", 0),),
    **dict.fromkeys(("AT", "BE", "CH", "HU"), ((r"^[1-9][0-9]{3}$", "${0}", 0),)),
    **dict.fromkeys(("DK", "LU"), ((r"^[0-9]{4}$", "${0}", 0),)),
    **dict.fromkeys(("AU", "NO", "NZ", "ZA"), ((r"^[0-9]{3,4}$", "${0}", 4),)),
    **dict.fromkeys(("DE", "FR", "IT", "ES", "MX", "FI"), ((r"^[0-9]{4,5}$", "${0}", 5),)),
}
_PREFIX_RES: dict[str, re.Pattern[str]] = {
    iso: re.compile(rf"^(?:{'|'.join((iso, *_PREFIXES.get(iso, ())))})\s*-\s*(?=[0-9])")
    for iso in _RULES
}


def _strip_prefix(s: str, country: str) -> str:
    m = _PREFIX_RES[country].match(s)
    return s[m.end() :] if m else s


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


def _fast_postal(part: pl.DataFrame, iso: str | None) -> pl.DataFrame:
    """Adds `postal_code` and `_sure` to the distinct (`raw`, `ctx`) pairs of one country.

    `_sure` rows hold `normalize_postal`'s answer (with no code); the others need it asked.
    """
    raw = pl.col("raw")
    if iso not in _RULES:  # trimmed only, unless a postal mark must go first
        cleaned = clean_text_expr(raw)
        sure = cleaned.is_null() | ~cleaned.str.contains("^(?:〒|[zZ]:)")
        return part.lazy().with_columns(cleaned.alias("postal_code"), sure.alias("_sure")).collect()
    upper = pl.col("_upper")
    value: pl.Expr = pl.lit(None, pl.String)
    for pattern, replacement, width in reversed(_FAST_FORMS.get(iso or "", ())):
        formed = upper.str.replace(pattern, replacement)
        if width:
            formed = formed.str.zfill(width)
        value = pl.when(upper.str.contains(pattern)).then(formed).otherwise(value)
    return (
        part.lazy()
        .with_columns(
            pl.when(raw.str.contains(r"^[ -~]*$")).then(raw.str.to_uppercase()).alias("_upper")
        )
        .with_columns(value.alias("postal_code"))
        .with_columns(pl.col("postal_code").is_not_null().alias("_sure"))
        .drop("_upper")
        .collect()
    )


def standardize_postal(col: pl.Series, country: pl.Series) -> pl.DataFrame:
    """`postal_code`, `postal_code__code`, read against each row's country.

    Worked out once per distinct (code, country) pair: by Polars where the country has no
    rule (trimmed only) or the code is one of its `_FAST_FORMS`, else by
    `normalize_postal` (on both cores when there are many).
    """
    frame = pl.DataFrame(
        {"raw": col.cast(pl.String), "ctx": country.cast(pl.String)},
        schema={"raw": pl.String, "ctx": pl.String},
    )
    pairs = frame.drop_nulls("raw").unique()
    ctxs = pairs["ctx"].unique()
    isos = pl.DataFrame(
        {"ctx": ctxs, "_iso": [country_code(c) for c in ctxs.to_list()]},
        schema={"ctx": pl.String, "_iso": pl.String},
    )
    pairs = pairs.join(isos, on="ctx", how="left", nulls_equal=True)
    parts = [
        _fast_postal(part.drop("_iso"), iso)
        for (iso,), part in pairs.partition_by("_iso", as_dict=True).items()
    ]
    lookup = (
        pl.concat(parts)
        if parts
        else pairs.drop("_iso").with_columns(
            pl.lit(None, pl.String).alias("postal_code"), pl.lit(True).alias("_sure")
        )
    )
    lookup = settle_rest(
        lookup.filter(pl.col("_sure")).select("raw", "ctx", "postal_code"),
        lookup.filter(~pl.col("_sure")).select("raw", "ctx"),
        normalize_postal,
        "postal_code",
        "postal_code__code",
    )
    joined = frame.join(
        lookup, on=["raw", "ctx"], how="left", nulls_equal=True, maintain_order="left"
    )
    return joined.select("postal_code", "postal_code__code")
