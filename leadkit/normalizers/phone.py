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
  a lossy spreadsheet number, a negative number (``-2237``: a spreadsheet read the dash
  of a number as a minus sign);
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
Polars regular expressions, in a few lazy queries (one per region, one per country calling
code) that Polars runs side by side. It only ever says "valid, and this is the E.164 form"
or "a national number with no region"; anything else, and anything it cannot replay
exactly (transformed national prefixes, non-geographic codes, numbers that a region with
leading digits claims in a shared code...), goes to the library. Tests hold it to the
library's exact result on large generated samples: the nine countries of the benchmark
data, every region phonenumbers knows, and Hypothesis-generated input.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import cache, cached_property
from typing import Any

import phonenumbers
import polars as pl
from phonenumbers import NumberParseException, PhoneMetadata, PhoneNumberType, ValidationResult
from polars.expr.whenthen import ChainedThen, Then

from leadkit.normalizers._base import Normalized

__all__ = ["normalize_phone", "phone_type", "phone_types", "standardize_phone"]

# --- cleaning (regular expressions kept ASCII-only: Python's re and Polars' Rust regex
# --- must read them the same way, as the fast path replays them) -------------------------

_INVISIBLE = re.compile("[\x00-\x08\x0e-\x1f\x7f-\x9f\u200b-\u200f\u2060\ufeff\u00ad\u202a-\u202e]")
PREFIX_RE = r"(?i)^(?:tel|phone|ph|mobile|mob|cell|p|t|m)(?:[ \t]*[:.][ \t]*|[ \t]+)"
FLOAT_RE = r"^([0-9]+)\.0+$"
_SCIENTIFIC_RE = r"^([0-9])(?:\.([0-9]+))?[eE]\+?([0-9]+)$"
# A spreadsheet's negative number: no phone is written as one (`-49 30 ...`, spaced, is
# left to phonenumbers, which reads it).
NEGATIVE_RE = r"^-[0-9]+(?:[.,][0-9]+)?$"
EXT_RE = r"(?i)[ \t]*(?:[,;][ \t]*)?(?:extension|extn|ext|x|#)[ \t]*[.:=]?[ \t]*([0-9]{1,10})#?$"
_PREFIX = re.compile(PREFIX_RE)
_FLOAT = re.compile(FLOAT_RE)
_SCIENTIFIC = re.compile(_SCIENTIFIC_RE)
_NEGATIVE = re.compile(NEGATIVE_RE)
_EXT = re.compile(EXT_RE)
_LETTER = re.compile(r"[^\W\d_]")
_INTL_00 = re.compile(r"^[( ]*00")


@dataclass(frozen=True, slots=True)
class _Cleaned:
    text: str  # the cleaned text as given (returned with a problem code)
    main: str  # the number part: no label, no extension
    ext: str | None
    lossy: bool  # a spreadsheet number in scientific notation, or a negative one


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
    elif _NEGATIVE.match(main):
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
        if (
            e.error_type == NumberParseException.INVALID_COUNTRY_CODE
            and region is None
            and national
        ):
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
    except Exception:  # noqa: BLE001 - phonenumbers is well behaved, but a normalizer never raises
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
    except Exception:  # noqa: BLE001 - not a parsable number: its type is unknown
        return None


# --- the fast path: phonenumbers' parsing replayed as Polars expressions ------------------
#
# Four steps. Each is one lazy query, or one per region / per country code collected
# together (`_collect_all`), so that Polars runs them side by side on every core; a few
# big queries cost far less than many small eager operations, whose fixed cost dominates
# small files. Row order is not kept: every row carries its `_id`.
#   1. `_prepare`: the plain forms -> `digits`, `plus`, `ext`; the other rows are left out.
#   2. `_national` (per region): the rows written without "+" -> `cc` and `nsn` (the
#      national significant number), or `intl` (the digits after the region's
#      international prefix).
#   3. `_international` (per country code): the rows written with "+" or an international
#      prefix -> `nsn`.
#   4. `_first_region` (in the queries of steps 2 and 3): is the number valid in the first
#      region of its code? The few numbers that another region of a shared code may claim
#      (+1 outside the US, +44 in Jersey...) go through `_other_regions` afterwards.

_FULLWIDTH_FROM = [chr(0xFF10 + i) for i in range(10)] + [
    "＋",
    "－",
    "（",
    "）",
    "．",
    "／",
    "\u3000",
]
_FULLWIDTH_TO = [str(i) for i in range(10)] + ["+", "-", "(", ")", ".", "/", " "]
_MAIN_FAST_RE = r"^\+?[0-9 ().\-/]+$"
# _MAIN_FAST_RE, and not ending in "." and zeros as a spreadsheet's 4155550123.0 does (such
# rows take the long way, where FLOAT_RE reads them): both tests in one pass.
_PLAIN_RE = r"^\+?(?:[0-9 ().\-/]*[1-9 ().\-/]|(?:[0-9 ().\-/]*[1-9 ()\-/])?0+)$"
_MAX_INPUT = 250  # phonenumbers' _MAX_INPUT_STRING_LENGTH
_MIN_NSN, _MAX_NSN = 2, 17  # phonenumbers' _MIN_LENGTH_FOR_NSN, _MAX_LENGTH_FOR_NSN
_NON_GEO = "001"
_OTHER_TYPES = (
    ("premium_rate", "premium_rate"),
    ("toll_free", "toll_free"),
    ("shared_cost", "shared_cost"),
    ("voip", "voip"),
    ("personal_number", "personal_number"),
    ("pager", "pager"),
    ("uan", "uan"),
    ("voicemail", "voicemail"),
)
_NO_TEXT = pl.lit(None, dtype=pl.String)

# A query is written as steps, each the expressions of one `with_columns`. The steps for a
# region or a country code are built once and kept (functools.cache): building Polars
# expressions costs more than running them on a small file.
_Step = tuple[pl.Expr, ...]


def _run(frame: pl.LazyFrame, steps: Iterable[_Step]) -> pl.LazyFrame:
    for step in steps:
        frame = frame.with_columns(step)
    return frame


def _rx(pattern: str, *, full: bool) -> str:
    """A phonenumbers pattern for Polars: anchored like Python's re.match / fullmatch.

    `\\d` becomes [0-9] (the Rust engine's \\d is Unicode; the input here is ASCII digits)."""
    body = pattern.replace("\\d", "[0-9]")
    return f"^(?:{body})$" if full else f"^(?:{body})"


def _after_prefix(x: pl.Expr, pattern: str) -> pl.Expr:
    """The text after what phonenumbers pattern `pattern` matches at the start of `x` (as
    re.match finds it); null where it matches nothing."""
    if re.fullmatch("[0-9]+", pattern):  # plain digits (``0``, ``011``) need no regex
        return pl.when(x.str.starts_with(pattern)).then(x.str.slice(len(pattern)))
    # With "(.*)$" after it, the pattern still takes the same branch (leftmost-first, and
    # any branch can be followed by the rest): one pass.
    groups = re.compile(pattern).groups
    return x.str.extract(f"{_rx(pattern, full=False)}(.*)$", groups + 1)


# The pieces of a phonenumbers pattern, for `_lengths`.
_TOKEN = re.compile(
    r"(?P<atom>[0-9]|\\d|\[[0-9-]+\])|(?P<open>\(\?:|\()|(?P<close>\))|(?P<bar>\|)"
    r"|(?P<repeat>\?|\{(?P<least>[0-9]+)(?:,(?P<most>[0-9]+))?\})|(?P<other>.)"
)


def _repeated(lengths: set[int], least: int, most: int) -> set[int]:
    """The lengths of `least` to `most` repetitions of a string of a length in `lengths`."""
    repeated, times = set(), {0}
    for k in range(most + 1):
        if k >= least:
            repeated |= times
        times = {x + y for x in times for y in lengths if x + y <= _MAX_NSN}
    return repeated


def _lengths(pattern: str) -> frozenset[int] | None:
    """The lengths, up to _MAX_NSN, of the strings a phonenumbers pattern can match.

    Such patterns are made of digits, ``\\d``, ``[...]`` classes of digits, groups, ``|``,
    ``?``, ``{n}`` and ``{n,m}``; for anything else the answer is None (not known).
    """

    def then(a: set[int], b: set[int]) -> set[int]:
        """The lengths of a string of a length in `a` followed by one of a length in `b`."""
        return {x + y for x in a for y in b if x + y <= _MAX_NSN}

    outer: list[tuple[set[int], set[int]]] = []  # the enclosing groups, as below
    alts: set[int] = set()  # this group's alternatives so far,
    seq = {0}  # the one being read,
    last: set[int] | None = None  # and its last atom or group, which a quantifier repeats
    for m in _TOKEN.finditer(pattern):
        if m["repeat"]:
            if last is None:
                return None
            least = int(m["least"] or 0)
            most = 1 if m["repeat"] == "?" else int(m["most"] or least)
            seq, last = then(seq, _repeated(last, least, most)), None
            continue
        if last is not None:
            seq, last = then(seq, last), None
        if m["atom"]:
            last = {1}
        elif m["open"]:
            outer.append((alts, seq))
            alts, seq = set(), {0}
        elif m["close"] and outer:
            group = alts | seq
            alts, seq = outer.pop()
            last = group
        elif m["bar"]:
            alts, seq = alts | seq, {0}
        else:
            return None
    if last is not None:
        seq = then(seq, last)
    return None if outer else frozenset(alts | seq)


@dataclass(frozen=True)
class _Desc:
    pattern: str | None  # anchored for a full match
    lengths: tuple[int, ...]
    source: str | None = None  # the pattern as phonenumbers writes it

    @cached_property
    def lengths_implied(self) -> bool:
        """The pattern matches no length outside `lengths`: the length test can be left
        out, and the pattern joined with others into one regular expression. (Worked out
        when first asked: it is not free, and many regions never need it.)"""
        found = _lengths(self.source) if self.source else None
        return not self.lengths or (found is not None and found <= set(self.lengths))

    def matches(self, nsn: pl.Expr, length: pl.Expr) -> pl.Expr:
        if self.pattern is None:
            return pl.lit(False)
        hit = nsn.str.contains(self.pattern)
        return length.is_in(list(self.lengths)) & hit if self.lengths else hit


def _desc(d: Any) -> _Desc:
    if d is None or not d.national_number_pattern:
        return _Desc(None, ())
    pattern = d.national_number_pattern
    return _Desc(_rx(pattern, full=True), tuple(d.possible_length or ()), pattern)


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
    national_prefix: str | None  # phonenumbers' patterns, as written
    has_transform: bool
    idd: str | None
    leading_digits: str | None

    def gd(self, x: pl.Expr) -> pl.Expr:
        """phonenumbers' _match_national_number against the general description."""
        return (
            pl.lit(False) if self.general.pattern is None else x.str.contains(self.general.pattern)
        )

    def kind(self, nsn: pl.Expr) -> pl.Expr:
        """phonenumbers' _number_type_helper: a type name, null for UNKNOWN."""
        n = nsn.str.len_bytes()
        expr: Then | ChainedThen = pl.when(~self.general.matches(nsn, n)).then(_NO_TEXT)
        for name, desc in self.others:
            if desc.pattern is not None:
                expr = expr.when(desc.matches(nsn, n)).then(pl.lit(name))
        fixed = self.fixed.matches(nsn, n)
        if self.same_fixed_mobile:
            expr = expr.when(fixed).then(pl.lit("fixed_line_or_mobile"))
        else:
            mobile = self.mobile.matches(nsn, n)
            expr = (
                expr.when(fixed & mobile)
                .then(pl.lit("fixed_line_or_mobile"))
                .when(fixed)
                .then(pl.lit("fixed_line"))
                .when(mobile)
                .then(pl.lit("mobile"))
            )
        return expr.otherwise(_NO_TEXT)

    @property
    def types(self) -> list[_Desc]:
        """The descriptions `kind` finds a type in (mobile only when it is not fixed line's)."""
        found = [desc for _, desc in self.others] + [self.fixed]
        if not self.same_fixed_mobile:
            found.append(self.mobile)
        return [desc for desc in found if desc.pattern is not None]

    def valid(self, nsn: pl.Expr) -> pl.Expr:
        """`kind(nsn).is_not_null()`, for less: the general description matches, and the
        description of some type. The types whose lengths need no test are joined into one
        regular expression (that is all of them in phonenumbers' metadata), so that is two
        regular expressions where `kind` evaluates up to eleven."""
        n = nsn.str.len_bytes()
        joined = [d.pattern for d in self.types if d.lengths_implied]
        any_type = [d.matches(nsn, n) for d in self.types if not d.lengths_implied]
        if joined:
            any_type.append(nsn.str.contains("|".join(f"(?:{p})" for p in joined)))
        if not any_type:
            return pl.lit(False)
        return self.general.matches(nsn, n) & pl.any_horizontal(any_type)

    def strip_national_prefix(self, src: str, dst: str, *, check_length: bool) -> list[_Step]:
        """phonenumbers' _maybe_strip_national_prefix_carrier_code on column `src`.

        Steps adding `dst` (the number) and `{dst}_unsure` (the rows it cannot replay).
        With `check_length`, the stripped number is kept only when its length passes
        `length_ok`, as parse() does after the country code is known.
        """
        x = pl.col(src)
        if self.national_prefix is None:
            return [(x.alias(dst), pl.lit(False).alias(f"{dst}_unsure"))]
        rest = pl.col("_stripped")
        take = rest.is_not_null() & ~(self.gd(x) & ~self.gd(rest))  # viable before, not after: keep
        if check_length:
            take = take & self.length_ok(rest)
        unsure = pl.lit(False)
        if self.has_transform and (groups := re.compile(self.national_prefix).groups):
            # The library transforms the number when the last group took part: not replayed.
            prefix = _rx(self.national_prefix, full=False)
            unsure = x.str.extract(prefix, groups).is_not_null()
        return [
            (_after_prefix(x, self.national_prefix).alias("_stripped"),),
            (pl.when(take).then(rest).otherwise(x).alias(dst), unsure.alias(f"{dst}_unsure")),
        ]

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
    idd = m.international_prefix or None
    return _Rules(
        region=region,
        cc=int(m.country_code or 0),
        general=_desc(m.general_desc),
        local_lengths=tuple(m.general_desc.possible_length_local_only or ()),
        others=tuple((name, _desc(getattr(m, attr))) for name, attr in _OTHER_TYPES),
        fixed=_desc(m.fixed_line),
        mobile=_desc(m.mobile),
        same_fixed_mobile=bool(m.same_mobile_and_fixed_line_pattern),
        national_prefix=npfp,
        has_transform=bool(m.national_prefix_transform_rule),
        idd=idd,
        leading_digits=_rx(m.leading_digits, full=False) if m.leading_digits else None,
    )


def _main_region(cc: int) -> str | None:
    region = phonenumbers.region_code_for_country_code(cc)
    return None if region in (_NON_GEO, phonenumbers.UNKNOWN_REGION) else region


# The country calling code digits start with: phonenumbers tries 1, 2, then 3 digits, so
# the shorter codes come first (leftmost-first alternation takes the first that matches).
_CC_RE = "^({})".format(
    "|".join(sorted(map(str, phonenumbers.COUNTRY_CODE_TO_REGION_CODE), key=lambda c: (len(c), c)))
)
_SUPPORTED = pl.Series(sorted(phonenumbers.SUPPORTED_REGIONS), dtype=pl.String)


def _first_region(cc: int, *, kind: bool = False) -> list[_Step]:
    """Steps for rows holding `nsn` and `unsure` of country code `cc`, as the code's first
    region sees them.

    They add `valid` (the number is valid: region_code_for_number gives the first region,
    and the number has a type there), `later` (that region does not claim the number,
    another region of the code may: see `_other_regions`) and, with `kind`, the type's
    name. Rows that are unsure or too long are neither valid nor later.
    """
    regions = phonenumbers.COUNTRY_CODE_TO_REGION_CODE.get(cc, ())
    nsn = pl.col("nsn")
    sure = ~pl.col("unsure") & (nsn.str.len_bytes() <= _MAX_NSN)
    rules = _rules(regions[0]) if regions else None
    if rules is None:
        found = _NO_TEXT if kind else pl.lit(False)
    else:  # the type's name costs more than the answer to "has it a type?"
        found = rules.kind(nsn) if kind else rules.valid(nsn)
    typed = pl.col("kind").is_not_null() if kind else pl.col("valid")
    # In a code of several regions, one with leading digits claims the numbers starting
    # with them, one without them the numbers valid in it.
    if len(regions) <= 1:
        claimed = pl.lit(True)
    elif rules is not None and rules.leading_digits is not None:
        claimed = nsn.str.contains(rules.leading_digits)
    else:
        claimed = typed
    steps = [
        (found.alias("kind" if kind else "valid"),),
        ((sure & claimed & typed).alias("valid"), (sure & ~claimed).alias("later")),
    ]
    return [*steps, (pl.when("valid").then("kind").alias("kind"),)] if kind else steps


@cache
def _other_regions(cc: int, *, kind: bool = False) -> tuple[_Step, ...]:
    """Steps for rows of code `cc` that the code's first region does not claim (`later` in
    `_first_region`): they add `valid` and, with `kind`, the type's name.

    region_code_for_number goes on through the code's other regions in order: a region
    with leading digits claims the numbers that start with them, one without them the
    numbers valid in it. The numbers claimed by a region with leading digits (+1 268 in
    Antigua, +44 7624 on the Isle of Man...) are few: they are left to the library, which
    keeps this to one regular expression per run of such regions.
    """
    nsn, open_, typed = pl.col("nsn"), pl.col("_open"), pl.col("_typed")
    steps: list[_Step] = [
        (
            pl.lit(True).alias("_open"),
            pl.lit(False).alias("valid"),
            *([_NO_TEXT.alias("kind")] if kind else []),
        )
    ]
    run: list[str] = []  # the leading digits of the regions since the last one without
    for name in phonenumbers.COUNTRY_CODE_TO_REGION_CODE.get(cc, ())[1:]:
        rules = _rules(name)
        if rules is None:
            continue
        if rules.leading_digits is not None:
            run.append(rules.leading_digits)
            continue
        if run:
            steps.append((open_ & ~nsn.str.contains("|".join(run)),))
            run = []
        if kind:
            steps += [
                (rules.kind(nsn).alias("_kind"),),
                ((open_ & pl.col("_kind").is_not_null()).alias("_typed"),),
                (pl.when(typed).then("_kind").otherwise("kind").alias("kind"),),
            ]
        else:
            steps.append(((open_ & rules.valid(nsn)).alias("_typed"),))
        steps.append(((pl.col("valid") | typed).alias("valid"), open_ & ~typed))
    return tuple(steps)


def _run_other_regions(frame: pl.LazyFrame, cc: str, *, kind: bool = False) -> pl.LazyFrame:
    steps = _other_regions(int(cc), kind=kind)
    return _run(frame, steps).drop("_open", "_typed", "_kind", strict=False)


def _collect_all(queries: list[pl.LazyFrame]) -> list[pl.DataFrame]:
    """The queries of a step, run side by side. With the in-memory engine: for many small
    queries it starts faster than the streaming one, and runs them in parallel as well."""
    return pl.collect_all(queries, engine="in-memory")


def _by_code(
    rows: pl.DataFrame, query: Callable[[pl.LazyFrame, str], pl.LazyFrame]
) -> pl.DataFrame | None:
    """`query` over the rows of each country code (`cc`), the queries collected together;
    None when there are no rows."""
    groups = rows.rechunk().partition_by("cc", as_dict=True)
    queries = [query(group.lazy(), str(cc)) for (cc,), group in groups.items()]
    if not queries:
        return None
    return pl.concat(_collect_all(queries), how="vertical_relaxed", rechunk=True)


def _international(cc: str) -> list[_Step]:
    """Steps for rows whose `digits` (after a "+" or an international prefix) start with
    country code `cc`: `nsn`, `unsure`."""
    region = _main_region(int(cc))
    rules = _rules(region) if region else None
    rest = pl.col("_rest")
    steps: list[_Step] = [(pl.col("digits").str.slice(len(cc)).alias("_rest"),)]
    if rules is None:  # a non-geographic code: not replayed
        return [*steps, (rest.alias("nsn"), pl.lit(True).alias("unsure"))]
    steps += rules.strip_national_prefix("_rest", "nsn", check_length=True)
    return [*steps, ((pl.col("nsn_unsure") | (rest.str.len_bytes() < _MIN_NSN)).alias("unsure"),)]


@cache
def _reading(cc: str, *, kind: bool) -> tuple[_Step, ...]:
    """`_international` then `_first_region` for code `cc`, and the value unless `kind`."""
    steps = _international(cc) + _first_region(int(cc), kind=kind)
    return tuple(steps if kind else [*steps, (_e164(),)])


def _with_cc(rows: pl.LazyFrame) -> pl.LazyFrame:
    """Rows with `digits` after a "+" or an international prefix: adds `cc`, the country
    code they start with; rows with none, or too few digits, are left out."""
    d = pl.col("digits")
    return rows.with_columns(d.str.extract(_CC_RE, 1).alias("cc")).filter(
        pl.col("cc").is_not_null() & (d.str.len_bytes() > _MIN_NSN)
    )


def _read_international(rows: pl.DataFrame, *, kind: bool = False) -> pl.DataFrame:
    """Rows from `_with_cc` (and `ext`, unless `kind`) -> `nsn`, `valid`, `later`, and the
    `value` of valid numbers or, with `kind`, their type."""

    def query(part: pl.LazyFrame, cc: str) -> pl.LazyFrame:
        read = _run(part, _reading(cc, kind=kind))
        return read.drop("_rest", "_stripped", "nsn_unsure", strict=False)

    read = _by_code(rows, query)
    if read is None:  # no rows: the columns still
        return rows.with_columns(
            _NO_TEXT.alias("nsn"),
            pl.lit(True).alias("unsure"),
            pl.lit(False).alias("valid"),
            pl.lit(False).alias("later"),
            _NO_TEXT.alias("kind" if kind else "value"),
        )
    return read


def _national(part: pl.LazyFrame, rules: _Rules) -> pl.LazyFrame:
    """Rows of one region without a "+" -> `intl` (the digits after the region's
    international prefix; null when there is none) and, for the others, `cc`, `nsn`,
    `unsure`, and as `_first_region` sees them, `valid`, `later` and the `value` (see
    `_e164`)."""
    return _run(part, _national_steps(rules.region)).select(list(_NATIONAL))


@cache
def _national_steps(region: str) -> tuple[_Step, ...]:
    """The steps of `_national` for `region` (which has metadata)."""
    rules = _rules(region)
    assert rules is not None
    d = pl.col("digits")
    steps: list[_Step] = []
    if rules.idd is not None:
        after = pl.col("intl")
        # The prefix counts only when the next digit is not 0 (country codes never are).
        steps += [
            (_after_prefix(d, rules.idd).alias("intl"),),
            (pl.when(~after.str.starts_with("0")).then(after).alias("intl"),),
        ]
    else:
        steps.append((_NO_TEXT.alias("intl"),))
    ccs = str(rules.cc)
    # Digits starting with the region's own country code (1 415 555 0123 in the US):
    # phonenumbers takes the code off when that makes the number fit the region's
    # pattern, or when the whole is too long.
    own_cc = d.str.starts_with(ccs)
    steps.append(
        (
            # (elsewhere "": regular expressions are cheap on empty text)
            pl.lit(ccs).alias("cc"),
            own_cc.alias("_own_cc"),
            pl.when(own_cc).then(d.str.slice(len(ccs))).otherwise(pl.lit("")).alias("_after_cc"),
        )
    )
    steps += rules.strip_national_prefix("_after_cc", "_pot", check_length=False)
    pot, extract = pl.col("_pot"), pl.col("_extract")
    extracted = (~rules.gd(d) & rules.gd(pot)) | rules.too_long(d)
    steps += [
        (
            (pl.col("_own_cc") & extracted).alias("_extract"),
            # what stripping the code could not replay matters only where the code is there
            (pl.col("_own_cc") & pl.col("_pot_unsure")).alias("unsure"),
        ),
        (pl.when(extract).then(pot).otherwise(d).alias("_nat"),),
    ]
    main_region = _main_region(rules.cc)
    main = _rules(main_region) if main_region and main_region != rules.region else None
    if main is None:
        steps += rules.strip_national_prefix("_nat", "nsn", check_length=True)
    else:  # once the code is taken off, parse() uses the code's main region's metadata
        steps += rules.strip_national_prefix("_nat", "_own", check_length=True)
        steps += main.strip_national_prefix("_nat", "_main", check_length=True)
        steps.append(
            (
                pl.when(extract).then(pl.col("_main")).otherwise(pl.col("_own")).alias("nsn"),
                pl.when(extract)
                .then(pl.col("_main_unsure"))
                .otherwise(pl.col("_own_unsure"))
                .alias("nsn_unsure"),
            )
        )
    unsure = (
        pl.col("unsure")
        | (pl.col("_nat").str.len_bytes() < _MIN_NSN)
        | pl.col("nsn_unsure")
        # (the rows after an international prefix are not read as national numbers)
        | pl.col("intl").is_not_null()
    )
    steps.append((unsure.alias("unsure"),))
    return tuple(steps + _first_region(rules.cc) + [(_e164(),)])


def _prepare(rows: pl.LazyFrame, regions: pl.Expr) -> pl.LazyFrame:
    """`_clean` replayed for the rows whose number part is plain. `rows`: `_id`, `raw`,
    `region` (as given, read by `regions`: see `_regions`); returns `_id`, `region`,
    `digits`, `plus`, `ext`, and where there is no region, `t0` (the text, trimmed) and
    `main` (the number part).

    Most rows are already plain (``(415) 555-0123``): they take a few cheap passes. Wide
    characters, labels, extensions and spreadsheet numbers are handled on the few rows
    that have them.
    """
    raw, region, t = pl.col("raw"), pl.col("region"), pl.col("t")
    text = rows.filter(raw.is_not_null()).with_columns(regions, raw.str.strip_chars().alias("t"))
    text = text.with_columns(t.str.contains(_PLAIN_RE).alias("_plain"))
    simple = text.filter("_plain").with_columns(
        pl.when(region.is_null()).then(t).alias("t0"), t.alias("main"), _NO_TEXT.alias("ext")
    )
    # The others: full-width characters (trimming first is the same: the only one that
    # becomes a space, U+3000, is trimmed as one), labels, spreadsheet numbers, extensions.
    other = (
        text.filter(~pl.col("_plain"))
        .with_columns(t.str.replace_many(_FULLWIDTH_FROM, _FULLWIDTH_TO).str.strip_chars())
        .with_columns(
            pl.when(region.is_null()).then(t).alias("t0"),
            t.str.replace(PREFIX_RE, "").str.replace(FLOAT_RE, "${1}"),
        )
    )
    ext = t.str.extract(EXT_RE, 1)
    other = other.with_columns(ext.alias("ext")).with_columns(
        pl.when(pl.col("ext").is_not_null())
        .then(t.str.replace(EXT_RE, ""))
        .otherwise(t)
        .str.strip_chars()
        .alias("main")
    )
    other = other.filter(pl.col("main").str.contains(_MAIN_FAST_RE))
    main = pl.col("main")
    # Only the characters of _MAIN_FAST_RE are left: dropping these keeps the digits.
    punctuation = [" ", "(", ")", ".", "-", "/", "+"]
    return (
        pl.concat([simple, other], how="diagonal")
        .with_columns(
            main.str.replace_many(punctuation, [""] * len(punctuation)).alias("digits"),
            main.str.starts_with("+").alias("plus"),
            pl.when(region.is_null()).then(main).alias("main"),
            main.str.len_bytes().alias("_length"),
            main.str.contains(NEGATIVE_RE).alias("_negative"),
        )
        .filter(
            (pl.col("_length") <= _MAX_INPUT)
            & (pl.col("digits").str.len_bytes() >= 3)
            # a negative number is not a number: the library's path says so
            & ~pl.col("_negative")
        )
        .select("_id", "region", "digits", "plus", "ext", "t0", "main")
    )


def _e164() -> pl.Expr:
    """The value of a valid number: E.164 from `cc` and `nsn`, and `` x`` `ext`. (Built
    for every row of a query and kept for the valid ones: cheaper than a condition.)"""
    return pl.concat_str(
        pl.lit("+"), pl.col("cc"), pl.col("nsn"), pl.lit(" x") + pl.col("ext"), ignore_nulls=True
    ).alias("value")


def _fast_path(rows: pl.DataFrame, regions: pl.Expr) -> pl.DataFrame:
    """`rows`: `_id`, `raw`, `region` (as given, read by `regions`). Returns `_id`, `value`,
    `code` for the rows the fast path settles exactly as `normalize_phone` would: valid
    numbers, and national numbers with no region. The other rows are left to
    `normalize_phone`."""
    # 1. The plain forms. (Frames are put in one chunk before they are used again: eager
    # operations over many chunks cost much more, and joining them is cheap.)
    prepared = _prepare(rows.lazy(), regions).collect().rechunk()
    source = prepared.lazy()
    plus, region, digits = pl.col("plus"), pl.col("region"), pl.col("digits")
    no_region = source.filter(~plus & region.is_null())
    # No region: a number starting with 00 is international (no national number does).
    starts_00 = pl.col("main").str.contains(r"^[( ]*00")
    # A national number and no region: phonenumbers cannot read it. The value is the
    # cleaned text: NFKC and whitespace collapsing are the identity on printable ASCII,
    # apart from runs of spaces.
    t0 = pl.col("t0")
    no_region_read = no_region.filter(~starts_00 & t0.str.contains(r"^[\x20-\x7e]*$")).select(
        "_id",
        t0.str.replace_all(" {2,}", " ").alias("value"),
        pl.lit("phone_no_region").alias("code"),
    )
    with_plus = pl.concat(
        [
            source.filter(plus).select("_id", "ext", "digits"),
            no_region.filter(starts_00).select("_id", "ext", digits.str.slice(2)),
        ]
    )
    # 2. The rows written without "+": one query per region.
    queries = [
        _national(source.filter(~plus & (region == r)), rules)
        for r in prepared["region"].drop_nulls().unique()
        if (rules := _rules(r))  # every supported region has metadata
    ]
    unreadable, written_intl, *by_region = _collect_all(
        [no_region_read, _with_cc(with_plus), *queries]
    )
    national = pl.concat(by_region, rechunk=True) if by_region else pl.DataFrame(schema=_NATIONAL)
    # 3. The rows written with "+" or an international prefix: one query per country code.
    after_idd = national.select("_id", "ext", pl.col("intl").alias("digits")).filter(
        digits.is_not_null()
    )
    after_idd = _with_cc(after_idd.lazy()).collect()
    read = _read_international(pl.concat([written_intl, after_idd]))
    found = [part.filter("valid").select("_id", "value") for part in (national, read)]
    # 4. The numbers the first region of their code did not claim: the other regions' turn.
    later = pl.concat(
        [
            part.select("_id", "ext", "cc", "nsn", "later").filter("later")
            for part in (national, read)
        ]
    )
    if (other := _by_code(later, lambda part, cc: _run_other_regions(part, cc))) is not None:
        found.append(other.filter("valid").select("_id", _e164()))
    return pl.concat([pl.concat(found).with_columns(_NO_TEXT.alias("code")), unreadable])


_NATIONAL = {
    "_id": pl.UInt32,
    "ext": pl.String,
    "intl": pl.String,
    "cc": pl.String,
    "nsn": pl.String,
    "unsure": pl.Boolean,
    "valid": pl.Boolean,
    "later": pl.Boolean,
    "value": pl.String,
}
_REGION = pl.Enum(sorted(phonenumbers.SUPPORTED_REGIONS))


def _regions(region: pl.Series) -> pl.Expr:
    """`region` read as phonenumbers knows regions (trimmed, upper case), else null, as an
    enum (cheap to compare). Worked out once per distinct value: there are a handful."""
    given = region.drop_nulls().unique()
    reg = given.str.strip_chars().str.to_uppercase()
    known = (
        given.to_frame("given")
        .with_columns(reg.alias("region"))
        .filter(pl.col("region").is_in(_SUPPORTED.implode()))
    )
    return pl.col("region").replace_strict(
        known["given"], known["region"], default=None, return_dtype=_REGION
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
    ).with_row_index("_id")
    regions = _regions(frame["region"])
    settled = (
        _fast_path(frame, regions)
        if fast
        else pl.DataFrame(schema={"_id": pl.UInt32, "value": pl.String, "code": pl.String})
    )
    # Where each row's result is in `found` (null: an empty row, or not yet settled).
    position = pl.repeat(None, frame.height, dtype=pl.UInt32, eager=True)
    position.scatter(settled["_id"], _positions(0, settled.height))
    rest = frame.filter(pl.col("raw").is_not_null() & position.is_null())
    rest = rest.with_columns(regions.cast(pl.String))
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
    position.scatter(rest["_id"], _positions(settled.height, rest.height))
    found = pl.concat([settled.select("value", "code"), rest.select("value", "code")], rechunk=True)
    return found.select(pl.all().gather(position)), pairs.height


def _positions(start: int, n: int) -> pl.Series:
    """`n` row positions from `start`."""
    return pl.int_range(start, start + n, dtype=pl.UInt32, eager=True)


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
    frame = pl.DataFrame({"v": values}, schema={"v": pl.String}).with_row_index("_id")
    main = pl.col("main")
    e164 = frame.lazy().with_columns(pl.col("v").str.replace(r" x[0-9]+$", "").alias("main"))
    e164 = e164.filter(main.str.contains(r"^\+[1-9][0-9]{1,16}$"))
    read = _read_international(
        _with_cc(e164.with_columns(main.str.slice(1).alias("digits"))).collect(), kind=True
    ).filter(
        # A clean number's digits after the code are its national significant number.
        pl.lit("+") + pl.col("cc") + pl.col("nsn") == main
    )
    found = [read.filter("valid").select("_id", "kind")]
    later = read.filter("later").drop("kind")
    other = _by_code(later, lambda part, cc: _run_other_regions(part, cc, kind=True))
    if other is not None:
        found.append(other.filter("valid").select("_id", "kind"))
    fast = pl.concat(found, rechunk=True)
    # The others go to `phone_type`, once per distinct value.
    position = pl.repeat(None, frame.height, dtype=pl.UInt32, eager=True)
    position.scatter(fast["_id"], _positions(0, fast.height))
    rest = frame.filter(pl.col("v").is_not_null() & position.is_null())
    distinct = rest.select("v").unique()
    distinct = distinct.with_columns(
        pl.Series("kind", [phone_type(v) for v in distinct["v"].to_list()], dtype=pl.String)
    )
    rest = rest.join(distinct, on="v", how="left")
    position.scatter(rest["_id"], _positions(fast.height, rest.height))
    kinds = pl.concat([fast["kind"], rest["kind"]], rechunk=True)
    return kinds.gather(position).rename("phone_type")
