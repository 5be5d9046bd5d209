"""Dates and timestamps to ISO 8601.

Out: ``YYYY-MM-DD`` for a date, ``YYYY-MM-DDTHH:MM:SS`` for a date with a time, and
``+HH:MM`` after it when the value carried an offset. ``Z``, ``UTC`` and ``GMT`` are
written ``+00:00``: one spelling per offset, the one Python's and Polars' ISO parsers
both read back. Fractions of a second are dropped (no CRM import field keeps them).

In: ISO 8601 (with or without ``T``, seconds, offset), ``2025/03/30 19:51``,
``28.03.2020``, ``15/06/2023``, ``11/29/24 22:28``, ``12/6/2024 4:50 PM``,
``Mar 28, 2020 09:07:11`` (Zoom), ``28 Mar 2020``, ``28-Mar-2020``, RFC 2822
(``Sat, 28 Mar 2020 09:07:11 +0000``), ``20240315``, and spreadsheet serial numbers
(``45123``, ``45123.5``; the 1900 date system, five-digit serials only, 1927-2173, so
a stray year or ZIP is never read as a date). Month names in English, German, French
and Spanish.

Day or month first? ``order`` decides numeric dates whose two first parts could both
be a month. When it is None the date is read month first and flagged
``date_ambiguous``; a reading that is impossible (month 13) is never used, so
``15/06/2023`` is 15 June whatever the order. Two-digit years are 2000-2068 for 00-68
and 1969-1999 for 69-99 (the POSIX rule), so results do not depend on today's date.
"""

from __future__ import annotations

import re
import unicodedata
from collections import defaultdict
from collections.abc import Iterable
from datetime import date, datetime, timedelta
from typing import Literal

import polars as pl

from leadkit.normalizers._base import Normalized
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
    r"^(?P<d>[0-9]{1,2})(?:st|nd|rd|th)?\.?[\s-]*(?P<mon>[a-z]+)\.?,?[\s-]*(?P<y>[0-9]{2}|[0-9]{4})$"
)
_SERIAL = re.compile(r"^([0-9]{5})(?:\.([0-9]+))?$")
_EXCEL_EPOCH = date(1899, 12, 30)
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
        return second, False
    ambiguous = second is not None and a.lstrip("0") != b.lstrip("0") and order in (None, "ymd")
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
    if not m:
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


def standardize_date(
    col: pl.Series, order: Order | None = None, name: str = "created_at"
) -> pl.DataFrame:
    """`name`, f"{name}__code". With no `order`, the order is inferred from the column.

    Inference runs per shape of numeric date (separator, with a time, with AM/PM), then
    over the whole column for shapes with no evidence, because exports mix sources:
    ``18/06/2024`` from a European form beside ``12/6/2024 4:50 PM`` from a US tool.
    ISO dates and ``YYYY-MM-DD HH:MM:SS`` timestamps, the bulk of most files, are
    checked and rewritten by Polars without a Python call.
    """
    code_name = f"{name}__code"
    frame = pl.DataFrame({"raw": col.cast(pl.String)})
    iso_date = pl.col("raw").str.contains(r"^[1-9][0-9]{3}-[0-9]{2}-[0-9]{2}$")
    iso_stamp = pl.col("raw").str.contains(  # no leap seconds, no 24:00: Python agrees
        r"^[1-9][0-9]{3}-[0-9]{2}-[0-9]{2}[T ](?:[01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9]$"
    )
    as_date = pl.col("raw").str.to_date("%Y-%m-%d", strict=False)
    as_stamp = pl.col("raw").str.replace("T", " ").str.to_datetime(
        "%Y-%m-%d %H:%M:%S", strict=False, time_unit="us"
    )
    frame = frame.with_columns(
        pl.when(iso_date & as_date.is_not_null())
        .then(pl.col("raw"))
        .when(iso_stamp & as_stamp.is_not_null())
        .then(pl.col("raw").str.replace(" ", "T"))
        .alias("fast")
    )
    rest = frame.filter(pl.col("fast").is_null() & pl.col("raw").is_not_null())["raw"]
    uniq: list[str] = rest.unique().to_list()

    if order is None:
        overall = infer_order(uniq)
        by_shape: dict[tuple[str, bool, bool], list[str]] = defaultdict(list)
        for value in uniq:
            shape = _shape(value)
            if shape is not None:
                by_shape[shape].append(value)
        orders: dict[tuple[str, bool, bool] | None, Order | None] = {
            shape: infer_order(values) or overall for shape, values in by_shape.items()
        }
        results = [normalize_date(v, orders.get(_shape(v), overall)) for v in uniq]
    else:
        results = [normalize_date(v, order) for v in uniq]

    lookup = pl.DataFrame(
        {
            "raw": uniq,
            "value": [r.value for r in results],
            "code": [r.code for r in results],
        },
        schema={"raw": pl.String, "value": pl.String, "code": pl.String},
    )
    joined = frame.join(lookup, on="raw", how="left", maintain_order="left")
    return joined.select(
        pl.coalesce("fast", "value").alias(name),
        pl.when(pl.col("fast").is_null()).then(pl.col("code")).alias(code_name),
    )

