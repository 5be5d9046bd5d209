"""Dates and timestamps to ISO 8601.

Out: ``YYYY-MM-DD`` for a date, ``YYYY-MM-DDTHH:MM:SS`` for a date with a time, and
``+HH:MM`` after it when the value carried an offset. ``Z``, ``UTC`` and ``GMT`` are
written ``+00:00``: one spelling per offset, the one Python's and Polars' ISO parsers
both read back. Fractions of a second are dropped (no CRM import field keeps them).

In: ISO 8601 (with or without ``T``, seconds, offset), ``2025/03/30 19:51``,
``28.03.2020``, ``15/06/2023``, ``11/29/24 22:28``, ``12/6/2024 4:50 PM``,
``Mar 28, 2020 09:07:11`` (Zoom), ``28 Mar 2020``, ``28-Mar-2020``, RFC 2822
(``Sat, 28 Mar 2020 09:07:11 +0000``), ``20240315``, and spreadsheet serial numbers
(``45123``, ``45123.5``; the 1900 date system, five-digit serials of a plausible lead
date only, 1990-01-01 to 2100-12-31, so a stray year or a ZIP such as ``90210`` or
``10001`` is never read as a date). Month names in English, German, French and Spanish;
ordinal days in English and French (``March 28th``, ``1er avril 2025``).

Day or month first? ``order`` decides numeric dates whose two first parts could both
be a month. When it is None the date is read month first and flagged
``date_ambiguous``; a reading that is impossible (month 13) is never used, so
``15/06/2023`` is 15 June whatever the order. Two-digit years are 2000-2068 for 00-68
and 1969-1999 for 69-99 (the POSIX rule), so results do not depend on today's date.
With no order, a two-digit first part before a two-digit year is flagged
``date_ambiguous`` too when it could be the year (``25/03/30``: 25 March 2030, or
2025-03-30).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from datetime import date, datetime, timedelta
from typing import Literal

import polars as pl

from leadkit.normalizers._base import Normalized, settle_rest
from leadkit.normalizers.text import clean_text

Order = Literal["mdy", "dmy", "ymd"]

DATE_INVALID = "date_invalid"
DATE_AMBIGUOUS = "date_ambiguous"

_MONTHS: dict[str, int] = {}
for _number, _names in enumerate(
    (
        "jan january janv januar janvier enero ene janner",
        "feb february febr februar fevr fev fevrier febrero",
        "mar march marz maerz mars marzo mrz",
        "apr april avr avril abril abr",
        "may mai mayo",
        "jun june juni juin junio",
        "jul july juli juil juillet julio",
        "aug august aout agosto ago",
        "sep sept september septembre septiembre setiembre",
        "oct october okt oktober octobre octubre",
        "nov november novembre noviembre",
        "dec december dez dezember decembre diciembre dic",
    ),
    start=1,
):
    for _name in _names.split():
        _MONTHS[_name] = _number
_WEEKDAYS = (
    r"(?:mon|tue|tues|wed|thu|thur|thurs|fri|sat|sun)(?:day|nesday|sday|urday|rsday)?"
    r"|montag|dienstag|mittwoch|donnerstag|freitag|samstag|sonntag"
    r"|lundi|mardi|mercredi|jeudi|vendredi|samedi|dimanche"
)

_TIME = re.compile(
    r"^(?P<date>.+?)[ t,]+"
    r"(?P<h>[0-9]{1,2}):(?P<mi>[0-9]{2})(?::(?P<s>[0-9]{2})(?:[.,][0-9]+)?)?"
    r"\s*(?P<ampm>[ap]\.?m\.?)?"
    r"\s*(?P<tz>z|utc|gmt|[+-][0-9]{2}(?::?[0-9]{2})?)?$"
)
_YMD = re.compile(r"^([0-9]{4})([-/.])([0-9]{1,2})\2([0-9]{1,2})$")
_COMPACT = re.compile(r"^([0-9]{4})([0-9]{2})([0-9]{2})$")
_NUMERIC = re.compile(r"^([0-9]{1,2})([-/.])([0-9]{1,2})\2([0-9]{2}|[0-9]{4})$")
_WEEKDAY_PREFIX = re.compile(rf"^(?:{_WEEKDAYS})\.?,?\s+")
_MONTH_FIRST = re.compile(
    r"^(?P<mon>[a-z]+)\.?[\s-]+(?P<d>[0-9]{1,2})(?:st|nd|rd|th)?,?[\s-]+(?P<y>[0-9]{4})$"
)
_DAY_FIRST = re.compile(
    r"^(?P<d>[0-9]{1,2})(?:st|nd|rd|th|er|re)?\.?[\s-]*(?P<mon>[a-z]+)\.?,?[\s-]*(?P<y>[0-9]{2}|[0-9]{4})$"
)
_SERIAL = re.compile(r"^([0-9]{5})(?:\.([0-9]+))?$")
_EXCEL_EPOCH = date(1899, 12, 30)
# Serial days of 1990-01-01 and 2100-12-31: no lead was created outside them, while ZIP
# codes (90210, 10001) and other five-digit numbers fall outside.
_SERIAL_RANGE = (32874, 73415)
# No date is longer ("Wednesday, September 28th, 2020 09:07:11.123456 +01:00" is 56);
# the cap keeps a pasted paragraph from costing the regexes quadratic time.
_LONGEST = 80
# What infer_order reads: the numeric head of a value, and its "shape" (separator, time,
# AM/PM), so that a file mixing `18/06/2024` and `12/6/2024 4:50 PM` infers each apart.
_HEAD = re.compile(r"^\s*([0-9]{1,2})([-/.])([0-9]{1,2})\2(?:[0-9]{4}|[0-9]{2})\b")
_AMPM = re.compile(r"[0-9]\s*[ap]\.?m\.?\s*$", re.IGNORECASE)
_COMBINING = re.compile(r"[\u0300-\u036f]")


def _year(text: str) -> int:
    y = int(text)
    if len(text) == 2:
        y += 2000 if y <= 68 else 1900
    return y


def _make_date(y: int, m: int, d: int) -> date | None:
    try:
        return date(y, m, d)
    except ValueError:
        return None


def _time_part(h: str, mi: str, s: str | None, ampm: str | None) -> tuple[int, int, int] | None:
    hour, minute, second = int(h), int(mi), int(s or 0)
    if ampm:
        if 1 <= hour <= 12:
            pm = ampm.startswith("p")
            hour = hour % 12 + (12 if pm else 0)
        elif hour > 23:
            return None
    if hour > 23 or minute > 59 or second > 59:
        return None
    return hour, minute, second


def _offset(tz: str | None) -> str | None:
    if not tz:
        return ""
    if tz in ("z", "utc", "gmt"):
        return "+00:00"
    digits = tz[1:].replace(":", "")
    hours, minutes = int(digits[:2]), int(digits[2:4] or 0)
    if hours > 18 or minutes > 59:
        return None
    return f"{tz[0]}{hours:02d}:{minutes:02d}"


def _numeric(a: str, b: str, c: str, order: Order | None) -> tuple[date | None, bool]:
    """(date, ambiguous) for `a/b/c` with a one- or two-digit first part."""
    if order == "ymd" and len(c) == 2 and len(a) == 2:
        return _make_date(_year(a), int(b), int(c)), False
    y = _year(c)
    mdy = _make_date(y, int(a), int(b))
    dmy = _make_date(y, int(b), int(a))
    first, second = (dmy, mdy) if order == "dmy" else (mdy, dmy)
    if first is None:
        first, second = second, None
    ambiguous = second is not None and a.lstrip("0") != b.lstrip("0") and order in (None, "ymd")
    if first is not None and order is None and len(a) == 2 and len(c) == 2:
        ymd = _make_date(_year(a), int(b), int(c))  # 25/03/30: 2025-03-30 too
        ambiguous = ambiguous or (ymd is not None and ymd != first)
    return first, ambiguous


def _month(name: str) -> int | None:
    return _MONTHS.get(name)


def _parse_date(text: str, order: Order | None) -> tuple[date | None, bool]:
    m = _YMD.match(text) or _COMPACT.match(text)
    if m:
        groups = m.groups()
        y, mo, d = (groups[0], groups[2], groups[3]) if len(groups) == 4 else groups
        if len(groups) == 3 and not 1900 <= int(y) <= 2100:
            return None, False
        return _make_date(int(y), int(mo), int(d)), False
    m = _NUMERIC.match(text)
    if m:
        return _numeric(m.group(1), m.group(3), m.group(4), order)
    text = _WEEKDAY_PREFIX.sub("", text)
    m = _MONTH_FIRST.match(text) or _DAY_FIRST.match(text)
    if m:
        month = _month(m.group("mon"))
        if month is None:
            return None, False
        return _make_date(_year(m.group("y")), month, int(m.group("d"))), False
    return None, False


def _serial(text: str) -> str | None:
    m = _SERIAL.match(text)
    if not m or not _SERIAL_RANGE[0] <= int(m.group(1)) <= _SERIAL_RANGE[1]:
        return None
    day = _EXCEL_EPOCH + timedelta(days=int(m.group(1)))
    if not m.group(2) or not m.group(2).strip("0"):
        return day.isoformat()
    seconds = round(float("0." + m.group(2)) * 86400)
    stamp = datetime(day.year, day.month, day.day) + timedelta(seconds=seconds)
    return stamp.isoformat(timespec="seconds")


def normalize_date(raw: str, order: Order | None = None) -> Normalized:
    """ISO 8601 from the formats in the module docstring; `order` settles ``03/04/2024``."""
    text = clean_text(raw)
    if text is None:
        return Normalized(None)
    if len(text) > _LONGEST:
        return Normalized(text, DATE_INVALID)
    s = unicodedata.normalize("NFKC", text).casefold()
    s = _COMBINING.sub("", unicodedata.normalize("NFKD", s))
    serial = _serial(s)
    if serial is not None:
        return Normalized(serial)
    clock: tuple[int, int, int] | None = None
    offset = ""
    m = _TIME.match(s)
    if m:
        clock = _time_part(m.group("h"), m.group("mi"), m.group("s"), m.group("ampm"))
        tz = _offset(m.group("tz"))
        if clock is None or tz is None:
            return Normalized(text, DATE_INVALID)
        offset = tz
        s = m.group("date").strip()
    day, ambiguous = _parse_date(s, order)
    if day is None:
        return Normalized(text, DATE_INVALID)
    code = DATE_AMBIGUOUS if ambiguous else None
    if clock is None:
        return Normalized(day.isoformat(), code)
    h, mi, sec = clock
    return Normalized(f"{day.isoformat()}T{h:02d}:{mi:02d}:{sec:02d}{offset}", code)


def _votes(values: Iterable[str | None]) -> tuple[int, int, int]:
    dmy = mdy = dots = 0
    for value in values:
        if value is None:
            continue
        m = _HEAD.match(value)
        if not m:
            continue
        first, second = int(m.group(1)), int(m.group(3))
        if 12 < first <= 31 and 1 <= second <= 12:
            dmy += 1
        elif 12 < second <= 31 and 1 <= first <= 12:
            mdy += 1
        if m.group(2) == ".":
            dots += 1
    return dmy, mdy, dots


def _decide(dmy: int, mdy: int, dots: int) -> Literal["mdy", "dmy"] | None:
    if dmy or mdy:
        if dmy > mdy:
            return "dmy"
        return "mdy" if mdy > dmy else None
    return "dmy" if dots else None


def infer_order(values: Iterable[str]) -> Literal["mdy", "dmy"] | None:
    """Day or month first, judged from a column's numeric dates.

    A first part above 12 votes day-first, a second part above 12 month-first; the
    majority wins (a tie is None). With no such evidence, dotted dates (``28.03.2020``)
    mean day-first, the way they are written in Europe; otherwise None.
    """
    return _decide(*_votes(values))


def _shape(value: str) -> tuple[str, bool, bool] | None:
    m = _HEAD.match(value)
    if not m:
        return None
    return m.group(2), ":" in value, bool(_AMPM.search(value))


# --- columns ------------------------------------------------------------------------
# `normalize_date` as Polars expressions, for values in printable ASCII (where its NFKC and
# casefold steps only lower the case) of these forms: a date `YYYY-M-D` (`-`, `/` or `.`,
# the same twice), `YYYYMMDD`, or `D-M-Y`/`M-D-Y` (two- or four-digit year); then
# optionally `T` or a space, `H:MM[:SS[.fff]]`, `[ ]AM`/`PM`, and `Z` or an offset.
# What they leave (month names, serial days, other spacing, an impossible date, time or
# offset, a "ymd" order) goes to `normalize_date`; a test holds the two to the same result.
_FAST = (
    r"^(?:(?P<Y>[0-9]{4})(?P<ys1>[-/.])(?P<Ym>[0-9]{1,2})(?P<ys2>[-/.])(?P<Yd>[0-9]{1,2})"
    r"|(?P<C>[0-9]{4})(?P<Cm>[0-9]{2})(?P<Cd>[0-9]{2})"
    r"|(?P<a>[0-9]{1,2})(?P<ns1>[-/.])(?P<b>[0-9]{1,2})(?P<ns2>[-/.])(?P<c>[0-9]{4}|[0-9]{2}))"
    r"(?:[Tt ](?P<h>[0-9]{1,2}):(?P<mi>[0-9]{2})(?::(?P<s>[0-9]{2})(?:[.,][0-9]+)?)?"
    r"(?: ?(?P<ampm>[AaPp])[Mm])?"
    r"(?P<tz>[Zz]|(?P<sign>[+-])(?P<tzh>[0-9]{2})(?::?(?P<tzm>[0-9]{2}))?)?)?$"
)
# `_HEAD` and `_AMPM` for ASCII text, where Python's \s is [\t-\r\x1c-\x1f ]; the
# back-reference becomes two separators that must be equal.
_ASCII_SPACE = r"[\t-\r\x1c-\x1f ]"
_HEAD_ASCII = (
    rf"^{_ASCII_SPACE}*([0-9]{{1,2}})([-/.])([0-9]{{1,2}})([-/.])(?:[0-9]{{4}}|[0-9]{{2}})\b"
)
_AMPM_ASCII = rf"(?i)[0-9]{_ASCII_SPACE}*[ap]\.?m\.?{_ASCII_SPACE}*$"
_ASCII = r"^[\x00-\x7f]*$"


def _valid_date(y: pl.Expr, m: pl.Expr, d: pl.Expr) -> pl.Expr:
    """`datetime.date(y, m, d)` would not raise (proleptic Gregorian, years 1-9999)."""
    leap = (y % 4 == 0) & ((y % 100 != 0) | (y % 400 == 0))
    days = (
        pl.when(m == 2)
        .then(pl.when(leap).then(29).otherwise(28))
        .when(m.is_in([4, 6, 9, 11]))
        .then(30)
        .otherwise(31)
    )
    return y.is_between(1, 9999) & m.is_between(1, 12) & d.is_between(1, days)


def _padded(e: pl.Expr, width: int) -> pl.Expr:
    return e.cast(pl.String).str.zfill(width)


def _iso_date(y: pl.Expr, m: pl.Expr, d: pl.Expr) -> pl.Expr:
    """`date(y, m, d).isoformat()` for integer columns."""
    return pl.concat_str([_padded(y, 4), _padded(m, 2), _padded(d, 2)], separator="-")


def _shapes(values: pl.Series) -> pl.DataFrame:
    """What `_votes` and `_shape` read in each value: `v`, `sep`, `colon`, `ampm`, and the
    two first numbers `first`, `second` (`sep` and the numbers are null without a numeric
    head). Polars for ASCII values, the Python regexes for the others."""
    head = pl.col("_h")
    ascii_ = (
        values.to_frame("v")
        .lazy()
        .filter(pl.col("v").str.contains(_ASCII))
        .with_columns(pl.col("v").str.extract_groups(_HEAD_ASCII).alias("_h"))
        .select(
            "v",
            pl.when(head.struct[1] == head.struct[3]).then(head.struct[1]).alias("sep"),
            pl.col("v").str.contains(":", literal=True).alias("colon"),
            pl.col("v").str.contains(_AMPM_ASCII).alias("ampm"),
            head.struct[0].cast(pl.Int32).alias("first"),
            head.struct[2].cast(pl.Int32).alias("second"),
        )
        .collect()
    )
    rows: list[tuple[str, str | None, bool, bool, int | None, int | None]] = []
    for v in values.filter(~values.str.contains(_ASCII)).to_list():
        m, shape = _HEAD.match(v), _shape(v)
        if m is None or shape is None:
            rows.append((v, None, ":" in v, bool(_AMPM.search(v)), None, None))
        else:
            rows.append((v, *shape, int(m.group(1)), int(m.group(3))))
    others = pl.DataFrame(rows, schema=ascii_.schema, orient="row")
    return pl.concat([ascii_, others]).with_columns(
        pl.when(pl.col("sep").is_not_null()).then(pl.col(c)).alias(c) for c in ("first", "second")
    )


def _inferred_orders(values: pl.Series) -> pl.DataFrame:
    """`v`, `order`: the order `standardize_date` reads each distinct value with when none
    is given: `infer_order` over the values of its shape, else over all values."""
    first, second = pl.col("first"), pl.col("second")
    dmy = (first.is_between(13, 31) & second.is_between(1, 12)).fill_null(False)
    mdy = (second.is_between(13, 31) & first.is_between(1, 12)).fill_null(False)
    shapes = _shapes(values).with_columns(
        dmy.alias("dmy"),
        (mdy & ~dmy).alias("mdy"),
        (pl.col("sep") == ".").fill_null(False).alias("dots"),
    )
    votes = [pl.col(c).sum() for c in ("dmy", "mdy", "dots")]
    overall = _decide(*shapes.select(votes).row(0))
    keys = ["sep", "colon", "ampm"]
    per_shape = shapes.filter(pl.col("sep").is_not_null()).group_by(keys).agg(votes)
    decided = [_decide(*v) or overall for v in per_shape.select("dmy", "mdy", "dots").iter_rows()]
    orders = per_shape.select(keys).with_columns(pl.Series("order", decided, dtype=pl.String))
    return shapes.join(orders, on=keys, how="left").select(
        "v", pl.col("order").fill_null(pl.lit(overall, pl.String))
    )


_NUMBERS = ("Y", "Ym", "Yd", "C", "Cm", "Cd", "a", "b", "c", "h", "mi", "s", "tzh", "tzm")
_TEXTS = ("ys1", "ys2", "ns1", "ns2", "ampm", "tz", "sign")


def _fast_dates(frame: pl.LazyFrame) -> pl.LazyFrame:
    """Adds `value`, `code` and `_sure` (the value is `normalize_date`'s) to a frame of
    distinct values `v` and the `order` each is read with."""
    g = pl.col("_g")
    parts = [g.struct.field(n).cast(pl.Int32).alias(n) for n in _NUMBERS]
    parts += [g.struct.field(n).alias(n) for n in _TEXTS]
    parts.append(g.struct.field("c").str.len_bytes().alias("c_digits"))
    parts.append(g.struct.field("a").str.len_bytes().alias("a_digits"))
    col = pl.col
    # the date: `_parse_date`, with `_numeric` for D-M-Y and M-D-Y
    order = col("order")
    numeric = (
        col("a").is_not_null()
        & (col("ns1") == col("ns2"))
        & (order.is_null() | order.is_in(["mdy", "dmy"]))
    )
    year = (
        pl.when(col("c_digits") == 2)  # `_year`
        .then(col("c") + pl.when(col("c") <= 68).then(2000).otherwise(1900))
        .otherwise(col("c"))
    )
    mdy_ok = _valid_date(year, col("a"), col("b"))
    dmy_ok = _valid_date(year, col("b"), col("a"))
    day_first = (order == "dmy").fill_null(False)
    first_ok = pl.when(day_first).then(dmy_ok).otherwise(mdy_ok)
    second_ok = pl.when(day_first).then(mdy_ok).otherwise(dmy_ok)
    take_dmy = pl.when(first_ok).then(day_first).otherwise(~day_first)
    day = (
        pl.when((col("ys1") == col("ys2")) & _valid_date(col("Y"), col("Ym"), col("Yd")))
        .then(_iso_date(col("Y"), col("Ym"), col("Yd")))
        .when(col("C").is_between(1900, 2100) & _valid_date(col("C"), col("Cm"), col("Cd")))
        .then(_iso_date(col("C"), col("Cm"), col("Cd")))
        .when(numeric & (first_ok | second_ok))
        .then(
            pl.when(take_dmy)
            .then(_iso_date(year, col("b"), col("a")))
            .otherwise(_iso_date(year, col("a"), col("b")))
        )
    )
    ambiguous = numeric & first_ok & second_ok & (col("a") != col("b")) & order.is_null()
    # `_numeric`'s two-digit year first: 25/03/30 could be 2025-03-30
    a_year = col("a") + pl.when(col("a") <= 68).then(2000).otherwise(1900)
    ymd = _iso_date(a_year, col("b"), col("c"))
    ambiguous = ambiguous | (
        numeric
        & order.is_null()
        & (col("a_digits") == 2)
        & (col("c_digits") == 2)
        & _valid_date(a_year, col("b"), col("c"))
        & (ymd != day)
    ).fill_null(False)
    # the time: `_time_part` and `_offset`
    twelve = col("ampm").is_not_null() & col("h").is_between(1, 12)
    pm = pl.when(col("ampm").str.to_lowercase() == "p").then(12).otherwise(0)
    hour = pl.when(twelve).then(col("h") % 12 + pm).otherwise(col("h"))
    second = col("s").fill_null(0)
    clock_ok = (hour <= 23) & (col("mi") <= 59) & (second <= 59)
    utc = col("tz").str.to_lowercase() == "z"
    minutes = col("tzm").fill_null(0)
    offset = (
        pl.when(col("tz").is_null())
        .then(pl.lit(""))
        .when(utc)
        .then(pl.lit("+00:00"))
        .otherwise(
            pl.concat_str([col("sign"), _padded(col("tzh"), 2), pl.lit(":"), _padded(minutes, 2)])
        )
    )
    offset_ok = col("tz").is_null() | utc | ((col("tzh") <= 18) & (minutes <= 59))
    clock = pl.concat_str(
        [
            pl.lit("T"),
            _padded(hour, 2),
            pl.lit(":"),
            _padded(col("mi"), 2),
            pl.lit(":"),
            _padded(second, 2),
            offset,
        ]
    )
    value = pl.when(col("h").is_null()).then(day).when(clock_ok & offset_ok).then(day + clock)
    # clean_text leaves these values as they are, and `_LONGEST` lets them through
    sure = col("v").str.contains(r"^[ -~]{1,80}$") & value.is_not_null()
    return (
        frame.with_columns(col("v").str.extract_groups(_FAST).alias("_g"))
        .with_columns(parts)
        .with_columns(
            value.alias("value"), sure.fill_null(False).alias("_sure"), ambiguous.alias("_amb")
        )
        .select(
            "v",
            "order",
            "value",
            "_sure",
            pl.when(col("_sure") & col("_amb")).then(pl.lit(DATE_AMBIGUOUS)).alias("code"),
        )
    )


def standardize_date(
    col: pl.Series, order: Order | None = None, name: str = "created_at"
) -> pl.DataFrame:
    """`name`, f"{name}__code". With no `order`, the order is inferred from the column.

    Inference runs per shape of numeric date (separator, with a time, with AM/PM), then
    over the whole column for shapes with no evidence, because exports mix sources:
    ``18/06/2024`` from a European form beside ``12/6/2024 4:50 PM`` from a US tool.
    Each distinct value is read once: the common forms (ISO dates and timestamps,
    ``2025/03/30 19:51``, ``28.03.2020``, ``12/6/2024 4:50 PM``) by Polars
    (`_fast_dates`), the rest by `normalize_date`.
    """
    code_name = f"{name}__code"
    raw = col.cast(pl.String).rename("v").to_frame()
    uniq = raw["v"].drop_nulls().unique()
    if order is None:
        lookup = _inferred_orders(uniq)
    else:
        lookup = uniq.to_frame().with_columns(pl.lit(order, pl.String).alias("order"))
    lookup = _fast_dates(lookup.lazy()).collect()
    lookup = settle_rest(
        lookup.filter(pl.col("_sure")).select("v", "order", "value", "code"),
        lookup.filter(~pl.col("_sure")).select("v", "order"),
        normalize_date,
    )
    joined = raw.join(lookup, on="v", how="left", maintain_order="left")
    return joined.select(pl.col("value").alias(name), pl.col("code").alias(code_name))
