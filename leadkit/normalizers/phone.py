"""Phone numbers: E.164 (``+14155550123``), an extension appended as `` x204``.

`normalize_phone` is the rule for one value; `standardize_phone` applies it to a column.

Cleaning before parsing: Unicode NFKC (full-width digits, ``＋``, ``（０３）``), control and
zero-width characters removed, trimmed; a leading label such as Meta lead ads' ``p:`` or
``tel:``/``Phone:``/``M:`` removed; a spreadsheet number (``4155550123.0``) turned back into
its digits, while a scientific one (``4.15555E+9``) has lost digits and is not a number; an
extension (``x204``, ``x.204``, ``ext. 12``, ``Ext.955``, ``extension 5``, ``#12``,
``;ext=12``) split off. What is left is parsed by phonenumbers with the row's region (ISO2:
the row's country, else the mapping's default), which also handles the region's own
international prefix (``0049 30 ...`` in Germany), ``+44 (0)20 ...`` and national prefixes.
Two additions of ours: a number starting with ``00`` is read as international when there
is no region (no national number starts with ``00``) or when reading it in the region
gives no valid number (``0044 20 ...`` written in the US, where the prefix is ``011``).

Codes (the value returned with a code is the cleaned text as given, so a "keep" policy
keeps something a person can read):

- ``phone_not_a_number``: letters (``N/A``, ``call me``, vanity numbers), no digits,
  a lossy spreadsheet number;
- ``phone_no_region``: a national-format number and no region to read it with;
- ``phone_too_short`` / ``phone_too_long``: too few / too many digits for the country;
- ``phone_invalid``: the digits do not form a valid number (``+1 555 0100 000``), or an
  unknown country calling code.

Speed: phonenumbers costs ~40 µs per call. `standardize_phone` runs it once per distinct
(text, region) pair, and only for the pairs its vectorized fast path cannot settle. The
fast path takes the plain forms (digits with spaces, dots, dashes, slashes, brackets, an
optional leading ``+``, full-width digits, ``p:`` prefixes and extensions) and replays
phonenumbers' own parsing steps with phonenumbers' own metadata (national number
patterns, possible lengths, national and international prefixes, leading digits) as
Polars regular expressions, per region and per country calling code. It only ever says
"valid, and this is the E.164 form" or "a national number with no region"; anything else,
and anything it cannot replay exactly (transformed national prefixes, non-geographic
codes...), goes to the library. Tests hold it to the library's exact result on large
generated samples: the nine countries of the benchmark data, every region phonenumbers
knows, and Hypothesis-generated input.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import cache
from typing import Any

import phonenumbers
import polars as pl
from phonenumbers import NumberParseException, PhoneMetadata, PhoneNumberType, ValidationResult

from leadkit.normalizers._base import Normalized

__all__ = ["normalize_phone", "phone_type", "phone_types", "standardize_phone"]

# --- cleaning (regular expressions kept ASCII-only: Python's re and Polars' Rust regex
# --- must read them the same way, as the fast path replays them) -------------------------

_INVISIBLE = re.compile("[\x00-\x08\x0e-\x1f\x7f-\x9f\u200b-\u200f\u2060\ufeff\u00ad\u202a-\u202e]")
PREFIX_RE = r"(?i)^(?:tel|phone|ph|mobile|mob|cell|p|t|m)(?:[ \t]*[:.][ \t]*|[ \t]+)"
FLOAT_RE = r"^([0-9]+)\.0+$"
_SCIENTIFIC_RE = r"^([0-9])(?:\.([0-9]+))?[eE]\+?([0-9]+)$"
EXT_RE = (
    r"(?i)[ \t]*(?:[,;][ \t]*)?(?:extension|extn|ext|x|#)[ \t]*[.:=]?[ \t]*([0-9]{1,10})#?$"
)
_PREFIX = re.compile(PREFIX_RE)
_FLOAT = re.compile(FLOAT_RE)
_SCIENTIFIC = re.compile(_SCIENTIFIC_RE)
_EXT = re.compile(EXT_RE)
_LETTER = re.compile(r"[^\W\d_]")
_INTL_00 = re.compile(r"^[( ]*00")


@dataclass(frozen=True, slots=True)
class _Cleaned:
    text: str  # the cleaned text as given (returned with a problem code)
    main: str  # the number part: no label, no extension
    ext: str | None
    lossy: bool  # a spreadsheet number in scientific notation


def _clean(raw: str) -> _Cleaned:
    s = " ".join(_INVISIBLE.sub("", unicodedata.normalize("NFKC", raw)).split())
    main = _PREFIX.sub("", s, count=1)
    lossy = False
    if m := _FLOAT.match(main):
        main = m.group(1)
    elif m := _SCIENTIFIC.match(main):
        first, frac, exp = m.group(1), m.group(2) or "", int(m.group(3))
        if len(frac) == exp:  # every digit is there: 4.155550123E+9
            main = first + frac
        else:
            lossy = True
    ext = None
    if (m := _EXT.search(main)) and m.start() > 0:
        ext, main = m.group(1), main[: m.start()]
    return _Cleaned(s, main.strip(), ext, lossy)


def _region(region: str | None) -> str | None:
    """The ISO2 region phonenumbers knows, upper-cased; None for anything else."""
    if not region:
        return None
    r = region.strip().upper()
    return r if r in phonenumbers.SUPPORTED_REGIONS else None


_PARSE_ERRORS = {
    NumberParseException.NOT_A_NUMBER: "phone_not_a_number",
    NumberParseException.TOO_SHORT_AFTER_IDD: "phone_too_short",
    NumberParseException.TOO_SHORT_NSN: "phone_too_short",
    NumberParseException.TOO_LONG: "phone_too_long",
    NumberParseException.INVALID_COUNTRY_CODE: "phone_invalid",
}
_LENGTH_CODES = {
    ValidationResult.TOO_SHORT: "phone_too_short",
    # a length only dialled locally (no area code): too short as a full number
    ValidationResult.IS_POSSIBLE_LOCAL_ONLY: "phone_too_short",
    ValidationResult.TOO_LONG: "phone_too_long",
}


def _parse(main: str, region: str | None) -> phonenumbers.PhoneNumber | str:
    """The parsed number, or a reason code."""
    try:
        return phonenumbers.parse(main, region)
    except NumberParseException as e:
        national = not main.lstrip("( ").startswith("+")
        if e.error_type == NumberParseException.INVALID_COUNTRY_CODE and region is None and national:
            return "phone_no_region"
        return _PARSE_ERRORS.get(e.error_type, "phone_invalid")


def _problem(num: phonenumbers.PhoneNumber) -> str:
    """The code of a parsed number that is not valid."""
    reason = phonenumbers.is_possible_number_with_reason(num)
    return _LENGTH_CODES.get(reason, "phone_invalid")


def normalize_phone(raw: str, region: str | None) -> Normalized:
    """One phone number: E.164 plus `` xNNN`` for an extension, or the cleaned text and a code.

    `region` is an ISO2 code (any case) or None; unknown codes count as None.
    """
    try:
        return _normalize(raw, _region(region))
    except Exception:  # phonenumbers is well behaved, but a normalizer never raises
        return Normalized(raw.strip() or None, "phone_invalid" if raw.strip() else None)


def _normalize(raw: str, region: str | None) -> Normalized:
    c = _clean(raw)
    if not c.text:
        return Normalized(None, None)
    if c.lossy or _LETTER.search(c.main) or not any(ch.isdigit() for ch in c.main):
        return Normalized(c.text, "phone_not_a_number")
    main = c.main
    intl_00 = bool(_INTL_00.match(main))
    if region is None and intl_00:  # no national number starts with 00: international
        main = "+" + main.lstrip("( ")[2:]
    parsed = _parse(main, region)
    if isinstance(parsed, str):
        code = parsed
    elif phonenumbers.is_valid_number(parsed):
        return _formatted(parsed, c.ext)
    else:
        code = _problem(parsed)
    if region is not None and intl_00:  # 0044 ... written where the prefix is not 00
        again = _parse("+" + main.lstrip("( ")[2:], None)
        if not isinstance(again, str) and phonenumbers.is_valid_number(again):
            return _formatted(again, c.ext)
    return Normalized(c.text, code)


def _formatted(num: phonenumbers.PhoneNumber, ext: str | None) -> Normalized:
    e164 = phonenumbers.format_number(num, phonenumbers.PhoneNumberFormat.E164)
    # phonenumbers finds a few more extension forms (",,12"), in any script's digits
    ext = ext or phonenumbers.normalize_digits_only(num.extension or "")
    return Normalized(f"{e164} x{ext}" if ext else e164, None)


_TYPE_NAMES = {
    PhoneNumberType.FIXED_LINE: "fixed_line",
    PhoneNumberType.MOBILE: "mobile",
    PhoneNumberType.FIXED_LINE_OR_MOBILE: "fixed_line_or_mobile",
    PhoneNumberType.TOLL_FREE: "toll_free",
    PhoneNumberType.PREMIUM_RATE: "premium_rate",
    PhoneNumberType.SHARED_COST: "shared_cost",
    PhoneNumberType.VOIP: "voip",
    PhoneNumberType.PERSONAL_NUMBER: "personal_number",
    PhoneNumberType.PAGER: "pager",
    PhoneNumberType.UAN: "uan",
    PhoneNumberType.VOICEMAIL: "voicemail",
}


def phone_type(e164: str) -> str | None:
    """The kind of a clean number (``+14155550123 x12`` is fine): ``mobile``, ``fixed_line``,
    ``fixed_line_or_mobile``, ``toll_free``, ``voip``, ... or None when unknown/invalid."""
    try:
        num = phonenumbers.parse(e164.split(" x", 1)[0], None)
        return _TYPE_NAMES.get(phonenumbers.number_type(num))
    except Exception:
        return None


# --- the fast path: phonenumbers' parsing replayed as Polars expressions ------------------

_FULLWIDTH_FROM = [chr(0xFF10 + i) for i in range(10)] + ["＋", "－", "（", "）", "．", "／", "\u3000"]
_FULLWIDTH_TO = [str(i) for i in range(10)] + ["+", "-", "(", ")", ".", "/", " "]
_MAIN_FAST_RE = r"^\+?[0-9 ().\-/]+$"
_MAX_INPUT = 250  # phonenumbers' _MAX_INPUT_STRING_LENGTH
_MIN_NSN, _MAX_NSN = 2, 17  # phonenumbers' _MIN_LENGTH_FOR_NSN, _MAX_LENGTH_FOR_NSN
_NON_GEO = "001"
_OTHER_TYPES = (
    ("premium_rate", "premium_rate"), ("toll_free", "toll_free"), ("shared_cost", "shared_cost"),
    ("voip", "voip"), ("personal_number", "personal_number"), ("pager", "pager"), ("uan", "uan"),
    ("voicemail", "voicemail"),
)


def _rx(pattern: str, *, full: bool) -> str:
    """A phonenumbers pattern for Polars: anchored like Python's re.match / fullmatch.

    `\\d` becomes [0-9] (the Rust engine's \\d is Unicode; the input here is ASCII digits)."""
    body = pattern.replace("\\d", "[0-9]")
    return f"^(?:{body})$" if full else f"^(?:{body})"


@dataclass(frozen=True)
class _Desc:
    pattern: str | None  # anchored for a full match
    lengths: tuple[int, ...]

    def matches(self, nsn: pl.Expr, length: pl.Expr) -> pl.Expr:
        if self.pattern is None:
            return pl.lit(False)
        hit = nsn.str.contains(self.pattern)
        return length.is_in(list(self.lengths)) & hit if self.lengths else hit


def _desc(d: Any) -> _Desc:
    if d is None or not d.national_number_pattern:
        return _Desc(None, ())
    return _Desc(_rx(d.national_number_pattern, full=True), tuple(d.possible_length or ()))


@dataclass(frozen=True)
class _Rules:
    """One region's metadata, as Polars regular expressions."""

    region: str
    cc: int
    general: _Desc
    local_lengths: tuple[int, ...]
    others: tuple[tuple[str, _Desc], ...]
    fixed: _Desc
    mobile: _Desc
    same_fixed_mobile: bool
    national_prefix: str | None  # anchored at the start
    prefix_groups: int
    has_transform: bool
    idd: str | None
    leading_digits: str | None

    def gd(self, x: pl.Expr) -> pl.Expr:
        """phonenumbers' _match_national_number against the general description."""
        return pl.lit(False) if self.general.pattern is None else x.str.contains(self.general.pattern)

    def kind(self, nsn: pl.Expr) -> pl.Expr:
        """phonenumbers' _number_type_helper: a type name, null for UNKNOWN."""
        n = nsn.str.len_bytes()
        expr: Any = pl.when(~self.general.matches(nsn, n)).then(pl.lit(None, dtype=pl.String))
        for name, desc in self.others:
            if desc.pattern is not None:
                expr = expr.when(desc.matches(nsn, n)).then(pl.lit(name))
        fixed = self.fixed.matches(nsn, n)
        if self.same_fixed_mobile:
            expr = expr.when(fixed).then(pl.lit("fixed_line_or_mobile"))
        else:
            mobile = self.mobile.matches(nsn, n)
            expr = (
                expr.when(fixed & mobile).then(pl.lit("fixed_line_or_mobile"))
                .when(fixed).then(pl.lit("fixed_line"))
                .when(mobile).then(pl.lit("mobile"))
            )
        return expr.otherwise(pl.lit(None, dtype=pl.String))

    def strip_national_prefix(
        self, frame: pl.DataFrame, src: str, dst: str, *, check_length: bool
    ) -> pl.DataFrame:
        """phonenumbers' _maybe_strip_national_prefix_carrier_code on column `src`.

        Adds `dst` (the number) and ORs into `unsure` the rows it cannot replay. With
        `check_length`, the stripped number is kept only when its length passes
        `length_ok`, as parse() does after the country code is known. Intermediate
        results are materialized: nested expression trees would be evaluated again at
        every use.
        """
        x = pl.col(src)
        if self.national_prefix is None:
            return frame.with_columns(x.alias(dst))
        # Only the rows the prefix pattern matches can change: work on those alone.
        hit = x.str.contains(self.national_prefix)
        frame = frame.with_columns(hit.alias("_hit"))
        missed = frame.filter(~pl.col("_hit")).with_columns(x.alias(dst))
        found = frame.filter(pl.col("_hit")).with_columns(
            x.str.replace(self.national_prefix, "").alias("_stripped")
        )
        stripped = pl.col("_stripped")
        take = ~(self.gd(x) & ~self.gd(stripped))  # viable before, not after: keep as is
        if check_length:
            take = take & self.length_ok(stripped)
        unsure = pl.col("unsure")
        if self.has_transform and self.prefix_groups:
            # The library transforms the number when the last group took part: not replayed.
            unsure = unsure | x.str.extract(self.national_prefix, self.prefix_groups).is_not_null()
        found = found.with_columns(
            pl.when(take).then(stripped).otherwise(x).alias(dst), unsure.alias("unsure")
        ).drop("_stripped")
        return pl.concat([missed, found]).drop("_hit")

    def length_ok(self, x: pl.Expr) -> pl.Expr:
        """_test_number_length(x) not in (TOO_SHORT, IS_POSSIBLE_LOCAL_ONLY, INVALID_LENGTH)."""
        lengths = self.general.lengths
        n = x.str.len_bytes()
        if not lengths:
            return pl.lit(False)
        ok = (n == lengths[0]) | (n > lengths[-1]) | n.is_in(list(lengths[1:]))
        return ~n.is_in(list(self.local_lengths)) & ok if self.local_lengths else ok

    def too_long(self, x: pl.Expr) -> pl.Expr:
        """_test_number_length(x) == TOO_LONG."""
        lengths = self.general.lengths
        if not lengths:
            return pl.lit(False)
        n = x.str.len_bytes()
        long = n > lengths[-1]
        return ~n.is_in(list(self.local_lengths)) & long if self.local_lengths else long


@cache
def _rules(region: str) -> _Rules | None:
    m = PhoneMetadata.metadata_for_region(region, None)
    if m is None or m.general_desc is None:
        return None
    npfp = m.national_prefix_for_parsing or None
    general = _desc(m.general_desc)
    return _Rules(
        region=region,
        cc=int(m.country_code or 0),
        general=general,
        local_lengths=tuple(m.general_desc.possible_length_local_only or ()),
        others=tuple((name, _desc(getattr(m, attr))) for name, attr in _OTHER_TYPES),
        fixed=_desc(m.fixed_line),
        mobile=_desc(m.mobile),
        same_fixed_mobile=bool(m.same_mobile_and_fixed_line_pattern),
        national_prefix=_rx(npfp, full=False) if npfp else None,
        prefix_groups=re.compile(npfp).groups if npfp else 0,
        has_transform=bool(m.national_prefix_transform_rule),
        idd=_rx(m.international_prefix, full=False) if m.international_prefix else None,
        leading_digits=_rx(m.leading_digits, full=False) if m.leading_digits else None,
    )


_COUNTRY_CODES = {str(cc) for cc in phonenumbers.COUNTRY_CODE_TO_REGION_CODE}


def _main_region(cc: int) -> str | None:
    region = phonenumbers.region_code_for_country_code(cc)
    return None if region in (_NON_GEO, phonenumbers.UNKNOWN_REGION) else region


def _country_code(digits: pl.Expr) -> pl.Expr:
    """The country calling code the digits start with (codes are prefix-free), or null."""
    expr: Any = pl.when(pl.lit(False)).then(pl.lit(None, dtype=pl.String))
    codes = pl.Series(sorted(_COUNTRY_CODES), dtype=pl.String).implode()
    for n in (1, 2, 3):
        head = digits.str.slice(0, n)
        expr = expr.when(head.is_in(codes) & (digits.str.len_bytes() >= n)).then(head)
    return expr.otherwise(None)


def _kind_for_cc(part: pl.DataFrame, cc: int) -> pl.DataFrame:
    """Add `kind` (null: invalid) to rows holding `nsn` of country code `cc`.

    Replays region_code_for_number over the code's regions in order (a region with
    leading digits claims the numbers that start with them; one without claims the
    numbers valid in it), then the type in the region found.
    """
    regions = phonenumbers.COUNTRY_CODE_TO_REGION_CODE.get(cc, ())
    nsn = pl.col("nsn")
    if len(regions) == 1:
        rules = _rules(regions[0])
        if rules is None:
            return part.with_columns(pl.lit(None, dtype=pl.String).alias("kind"))
        return part.with_columns(rules.kind(nsn).alias("kind"))
    done: list[pl.DataFrame] = []
    remaining = part
    for region in regions:
        rules = _rules(region)
        if rules is None or remaining.height == 0:
            continue
        if rules.leading_digits is not None:
            claimed = nsn.str.contains(rules.leading_digits)
            done.append(remaining.filter(claimed).with_columns(rules.kind(nsn).alias("kind")))
            remaining = remaining.filter(~claimed)
        else:
            typed = remaining.with_columns(rules.kind(nsn).alias("kind"))
            done.append(typed.filter(pl.col("kind").is_not_null()))
            remaining = typed.filter(pl.col("kind").is_null()).drop("kind")
    done.append(remaining.with_columns(pl.lit(None, dtype=pl.String).alias("kind")))
    return pl.concat(done)


def _international(part: pl.DataFrame) -> pl.DataFrame:
    """Rows with `digits` after a "+" (or an international prefix) -> `cc`, `nsn`, `unsure`."""
    d = pl.col("digits")
    part = part.with_columns(_country_code(d).alias("cc"), pl.lit(False).alias("unsure"))
    ok = pl.col("cc").is_not_null() & (d.str.len_bytes() > _MIN_NSN)
    out = [part.filter(~ok).with_columns(pl.lit(None, dtype=pl.String).alias("nsn"),
                                         pl.lit(True).alias("unsure"))]
    for (cc,), group in part.filter(ok).partition_by("cc", as_dict=True).items():
        region = _main_region(int(str(cc)))
        rules = _rules(region) if region else None
        group = group.with_columns(d.str.slice(len(str(cc))).alias("_rest"))
        if rules is None:  # a non-geographic code: not replayed
            out.append(group.with_columns(pl.col("_rest").alias("nsn"), pl.lit(True).alias("unsure")))
            continue
        group = group.with_columns(
            (pl.col("unsure") | (pl.col("_rest").str.len_bytes() < _MIN_NSN)).alias("unsure")
        )
        out.append(rules.strip_national_prefix(group, "_rest", "nsn", check_length=True))
    return pl.concat(out, how="diagonal_relaxed").drop("_rest", strict=False)


def _national(part: pl.DataFrame, region: str) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Rows of one region without a "+": (national rows -> cc, nsn, unsure; rows whose
    digits start with the region's international prefix -> digits after it)."""
    rules = _rules(region)
    d = pl.col("digits")
    if rules is None:  # not reached: regions are checked before
        return part.with_columns(
            pl.lit(None, dtype=pl.String).alias("cc"), pl.lit(None, dtype=pl.String).alias("nsn"),
            pl.lit(True).alias("unsure"),
        ), part.clear()
    intl = part.clear()
    if rules.idd is not None:
        part = part.with_columns(
            d.str.contains(rules.idd).alias("_idd"), d.str.replace(rules.idd, "").alias("_after")
        )
        # The prefix counts only when the next digit is not 0 (country codes never are).
        by_idd = pl.col("_idd") & ~pl.col("_after").str.starts_with("0")
        intl = part.filter(by_idd).with_columns(pl.col("_after").alias("digits")).drop("_idd", "_after")
        part = part.filter(~by_idd).drop("_idd", "_after")
    ccs = str(rules.cc)
    # Digits starting with the region's own country code (1 415 555 0123 in the US):
    # phonenumbers takes the code off when that makes the number fit the region's
    # pattern, or when the whole is too long.
    part = part.with_columns(
        pl.lit(ccs).alias("cc"), pl.lit(False).alias("unsure"),
        d.str.starts_with(ccs).alias("_own_cc"), d.str.slice(len(ccs)).alias("_after_cc"),
    )
    part = rules.strip_national_prefix(part, "_after_cc", "_pot", check_length=False)
    pot = pl.col("_pot")
    extract = pl.col("_own_cc") & ((~rules.gd(d) & rules.gd(pot)) | rules.too_long(d))
    part = part.with_columns(
        extract.alias("_extract"),
        # what stripping the code could not replay matters only where the code is there
        (pl.col("_own_cc") & pl.col("unsure")).alias("unsure"),
    ).with_columns(pl.when(pl.col("_extract")).then(pot).otherwise(d).alias("_nat"))
    part = part.with_columns(
        (pl.col("unsure") | (pl.col("_nat").str.len_bytes() < _MIN_NSN)).alias("unsure")
    )
    main_region = _main_region(rules.cc)
    main = _rules(main_region) if main_region and main_region != region else None
    if main is None:
        part = rules.strip_national_prefix(part, "_nat", "nsn", check_length=True)
    else:  # once the code is taken off, parse() uses the code's main region's metadata
        own = rules.strip_national_prefix(
            part.filter(~pl.col("_extract")), "_nat", "nsn", check_length=True
        )
        other = main.strip_national_prefix(
            part.filter(pl.col("_extract")), "_nat", "nsn", check_length=True
        )
        part = pl.concat([own, other])
    national = part.drop("_own_cc", "_after_cc", "_pot", "_extract", "_nat")
    return national, intl


def _prepare(frame: pl.DataFrame) -> pl.DataFrame:
    """`_clean` replayed for the rows whose number part is plain: adds `t0` (the text,
    trimmed), `main`, `ext`; drops the other rows.

    Most rows are already plain (``(415) 555-0123``): they take two cheap passes. Labels,
    extensions and spreadsheet numbers are handled on the few rows that have them.
    """
    raw = pl.col("raw")
    ascii_ = frame.filter(raw.str.len_bytes() == raw.str.len_chars()).with_columns(
        raw.str.strip_chars().alias("t")
    )
    wide = frame.filter(raw.str.len_bytes() != raw.str.len_chars()).with_columns(
        raw.str.replace_many(_FULLWIDTH_FROM, _FULLWIDTH_TO).str.strip_chars().alias("t")
    )
    frame = pl.concat([ascii_, wide]).with_columns(pl.col("t").alias("t0"))
    t = pl.col("t")
    plain = t.str.contains(_MAIN_FAST_RE) & ~t.str.contains(FLOAT_RE)
    simple = frame.filter(plain).with_columns(t.alias("main"), pl.lit(None, dtype=pl.String).alias("ext"))
    other = frame.filter(~plain).with_columns(
        t.str.replace(PREFIX_RE, "").str.replace(FLOAT_RE, "${1}").alias("t")
    )
    ext = t.str.extract(EXT_RE, 1)
    other = other.with_columns(ext.alias("ext")).with_columns(
        pl.when(pl.col("ext").is_not_null()).then(t.str.replace(EXT_RE, "")).otherwise(t)
        .str.strip_chars().alias("main")
    )
    other = other.filter(pl.col("main").str.contains(_MAIN_FAST_RE))
    return (
        pl.concat([simple, other], how="diagonal")
        .filter(pl.col("main").str.len_bytes() <= _MAX_INPUT)
        .drop("t")
    )


def _fast_path(frame: pl.DataFrame) -> pl.DataFrame:
    """`frame`: `_id`, `raw`, `region` (normalized, or null). Returns `_id`, `value`, `code`
    for the rows the fast path settles exactly as `normalize_phone` would: valid numbers,
    and national numbers with no region. The other rows are left to `normalize_phone`."""
    frame = _prepare(frame)
    # Only the characters of _MAIN_FAST_RE are left: dropping these keeps the digits.
    punctuation = [" ", "(", ")", ".", "-", "/", "+"]
    frame = frame.with_columns(
        pl.col("main").str.replace_many(punctuation, [""] * len(punctuation)).alias("digits"),
        pl.col("main").str.starts_with("+").alias("plus"),
    ).filter(pl.col("digits").str.len_bytes() >= 3)
    region = pl.col("region")
    plus = frame.filter(pl.col("plus"))
    no_region = frame.filter(~pl.col("plus") & region.is_null())
    starts_00 = pl.col("main").str.contains(r"^[( ]*00")
    zz = no_region.filter(starts_00).with_columns(pl.col("digits").str.slice(2))
    # A national number and no region: phonenumbers cannot read it. The value is the
    # cleaned text: NFKC and whitespace collapsing are the identity on printable ASCII,
    # apart from runs of spaces.
    t0 = pl.col("t0")
    no_region = no_region.filter(~starts_00 & t0.str.contains(r"^[\x20-\x7e]*$")).select(
        "_id", t0.str.replace_all(" {2,}", " ").alias("value"),
        pl.lit("phone_no_region").alias("code"),
    )
    national_in = frame.filter(~pl.col("plus") & region.is_not_null())
    nationals: list[pl.DataFrame] = []
    intl_parts = [plus, zz]
    for (r,), group in national_in.partition_by("region", as_dict=True).items():
        nat, intl = _national(group, str(r))
        nationals.append(nat)
        intl_parts.append(intl)
    parts = [_international(pl.concat(intl_parts, how="diagonal_relaxed")), *nationals]
    decided = pl.concat(parts, how="diagonal_relaxed").filter(
        ~pl.col("unsure") & pl.col("cc").is_not_null()
        & (pl.col("nsn").str.len_bytes() <= _MAX_NSN)
    )
    kinds = [
        _kind_for_cc(group, int(str(cc)))
        for (cc,), group in decided.partition_by("cc", as_dict=True).items()
    ]
    if not kinds:
        return no_region
    valid = pl.concat(kinds, how="diagonal_relaxed").filter(pl.col("kind").is_not_null())
    e164 = pl.lit("+") + pl.col("cc") + pl.col("nsn")
    ext = pl.col("ext")
    value = pl.when(ext.is_not_null()).then(e164 + pl.lit(" x") + ext).otherwise(e164)
    return pl.concat(
        [valid.select("_id", value.alias("value"), pl.lit(None, dtype=pl.String).alias("code")),
         no_region]
    )


# --- the column ----------------------------------------------------------------------------


def _normalize_column(
    col: pl.Series, region: pl.Series, *, fast: bool = True
) -> tuple[pl.DataFrame, int]:
    """(`value`, `code` per row; how many distinct pairs went to the library).

    The fast path runs over the rows as they are (a vectorized pass costs less than
    deduplicating and joining back); the rows it leaves go to `normalize_phone` once per
    distinct (text, region) pair. `fast=False` sends every pair to `normalize_phone`.
    """
    frame = pl.DataFrame(
        {"raw": col, "region": region}, schema={"raw": pl.String, "region": pl.String}
    )
    reg = pl.col("region").str.strip_chars().str.to_uppercase()
    supported = pl.Series(sorted(phonenumbers.SUPPORTED_REGIONS), dtype=pl.String).implode()
    frame = frame.with_columns(pl.when(reg.is_in(supported)).then(reg).alias("region"))
    rows = frame.with_row_index("_id").filter(pl.col("raw").is_not_null())
    empty = pl.DataFrame(schema={"_id": pl.UInt32, "value": pl.String, "code": pl.String})
    settled = _fast_path(rows) if fast else empty
    rest = rows.join(settled.select("_id"), on="_id", how="anti")
    pairs = rest.select("raw", "region").unique()
    results = [
        normalize_phone(raw, reg_)
        for raw, reg_ in zip(pairs["raw"].to_list(), pairs["region"].to_list(), strict=True)
    ]
    lookup = pairs.with_columns(
        pl.Series("value", [r.value for r in results], dtype=pl.String),
        pl.Series("code", [r.code for r in results], dtype=pl.String),
    )
    rest = rest.join(lookup, on=["raw", "region"], how="left", nulls_equal=True)
    done = pl.concat([settled, rest.select("_id", "value", "code")])
    ids = done["_id"]
    value = pl.Series("value", [None] * frame.height, dtype=pl.String)
    code = pl.Series("code", [None] * frame.height, dtype=pl.String)
    if done.height:
        value.scatter(ids, done["value"])
        code.scatter(ids, done["code"])
    return pl.DataFrame([value, code]), pairs.height


def standardize_phone(col: pl.Series, region: pl.Series, name: str = "phone") -> pl.DataFrame:
    """Normalize a column of phone numbers: one row per row of `col`, in order.

    `region` holds each row's ISO2 region (the row's country, else the mapping's default;
    null when neither). Columns: `name` (E.164 plus `` xNNN``; the cleaned text when there
    is a problem; null when empty) and ``{name}__code``.
    """
    out, _ = _normalize_column(col, region)
    return out.rename({"value": name, "code": f"{name}__code"})


def phone_types(values: pl.Series) -> pl.Series:
    """`phone_type` of every value of a clean phone column (null stays null), in order."""
    frame = pl.DataFrame({"v": values}, schema={"v": pl.String})
    uniq = frame.filter(pl.col("v").is_not_null()).unique().with_row_index("_id")
    e164 = uniq.with_columns(
        pl.col("v").str.replace(r" x[0-9]+$", "").alias("main")
    ).filter(pl.col("main").str.contains(r"^\+[1-9][0-9]{1,16}$")).with_columns(
        pl.col("main").str.slice(1).alias("digits")
    )
    inter = _international(e164).filter(~pl.col("unsure") & pl.col("cc").is_not_null())
    # A clean number's digits after the code are its national significant number.
    inter = inter.filter(pl.lit("+") + pl.col("cc") + pl.col("nsn") == pl.col("main"))
    kinds = [
        _kind_for_cc(group, int(str(cc)))
        for (cc,), group in inter.partition_by("cc", as_dict=True).items()
    ]
    fast = (
        pl.concat(kinds, how="diagonal_relaxed").filter(pl.col("kind").is_not_null())
        .select("_id", "kind")
        if kinds else pl.DataFrame(schema={"_id": pl.UInt32, "kind": pl.String})
    )
    rest = uniq.join(fast, on="_id", how="anti")
    slow = rest.select("_id").with_columns(
        pl.Series("kind", [phone_type(v) for v in rest["v"].to_list()], dtype=pl.String)
    )
    lookup = uniq.join(pl.concat([fast, slow]), on="_id").select("v", "kind")
    return frame.join(lookup, on="v", how="left", maintain_order="left")["kind"].rename("phone_type")
