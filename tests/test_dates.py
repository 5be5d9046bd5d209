from __future__ import annotations

import random
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path

import polars as pl
import pytest
from hypothesis import given
from hypothesis import strategies as st

from leadkit.normalizers._base import Normalized
from leadkit.normalizers.dates import (
    Order,
    _shape,
    infer_order,
    normalize_date,
    standardize_date,
)

DATEISH = st.lists(
    st.sampled_from(
        [
            *list("0123456789/-.:T Z+,"),
            "2024",
            "Mar",
            "march",
            "PM",
            "am",
            "UTC",
            "Sat, ",
            "st",
            "45123",
            "12",
            "31",
        ]
    ),
    max_size=12,
).map("".join)
ANY_TEXT = st.one_of(st.text(), DATEISH)
ORDERS: st.SearchStrategy[Order | None] = st.sampled_from(["mdy", "dmy", "ymd", None])

DATES = [
    # raw, order, value, code
    ("2020-03-28", None, "2020-03-28", None),
    ("2020-03-28T09:07:11", None, "2020-03-28T09:07:11", None),
    ("2020-03-28 09:07:11", None, "2020-03-28T09:07:11", None),
    ("2020-03-28T09:07", None, "2020-03-28T09:07:00", None),
    ("2020-03-28T09:07:11+01:00", None, "2020-03-28T09:07:11+01:00", None),
    ("2020-03-28T09:07:11-0500", None, "2020-03-28T09:07:11-05:00", None),
    ("2020-03-28T09:07:11Z", None, "2020-03-28T09:07:11+00:00", None),
    ("2020-03-28T09:07:11.123456Z", None, "2020-03-28T09:07:11+00:00", None),
    ("2025/03/30 19:51", None, "2025-03-30T19:51:00", None),
    ("Mar 28, 2020 09:07:11", None, "2020-03-28T09:07:11", None),  # Zoom
    ("March 28, 2020", None, "2020-03-28", None),
    ("Dec 2, 2023", None, "2023-12-02", None),
    ("Saturday, March 28th, 2020", None, "2020-03-28", None),
    ("28 Mar 2020", None, "2020-03-28", None),
    ("28-Mar-2020", None, "2020-03-28", None),
    ("28-Mar-20", None, "2020-03-28", None),
    ("Sat, 28 Mar 2020 09:07:11 +0000", None, "2020-03-28T09:07:11+00:00", None),
    ("28. März 2020", None, "2020-03-28", None),
    ("1 févr. 2021", None, "2021-02-01", None),
    ("11/29/24 22:28", None, "2024-11-29T22:28:00", None),
    ("12/6/2024 4:50 PM", "mdy", "2024-12-06T16:50:00", None),
    ("12/6/2024 4:50 PM", "dmy", "2024-06-12T16:50:00", None),
    ("12/6/2024 12:05 AM", "mdy", "2024-12-06T00:05:00", None),
    ("12/6/2024 12:05 pm", "mdy", "2024-12-06T12:05:00", None),
    ("28.03.2020", None, "2020-03-28", None),  # only one reading is possible
    ("15/06/2023", None, "2023-06-15", None),
    ("15/06/2023", "mdy", "2023-06-15", None),  # an impossible reading is never used
    ("06/15/2023", "dmy", "2023-06-15", None),
    ("03/04/2024", "mdy", "2024-03-04", None),
    ("03/04/2024", "dmy", "2024-04-03", None),
    ("03/04/2024", None, "2024-03-04", "date_ambiguous"),  # no order: month first, flagged
    ("04/04/2024", None, "2024-04-04", None),  # same either way
    ("24/03/28", "ymd", "2024-03-28", None),
    ("20240315", None, "2024-03-15", None),
    ("45123", None, "2023-07-16", None),  # spreadsheet serial number
    ("45123.5", None, "2023-07-16T12:00:00", None),
    ("45123.0", None, "2023-07-16", None),
    # a serial only in a plausible range (1990-01-01 .. 2100-12-31): a ZIP is not a date
    ("90210", None, "90210", "date_invalid"),
    ("10001", None, "10001", "date_invalid"),
    ("32873", None, "32873", "date_invalid"),
    ("32874", None, "1990-01-01", None),
    ("73050", None, "2099-12-31", None),
    ("73416", None, "73416", "date_invalid"),
    # French ordinals
    ("1er avril 2025", None, "2025-04-01", None),
    ("1er janvier 2024 10:30", None, "2024-01-01T10:30:00", None),
    # two-digit year first or last: 25/03/30 is 25 March 2030 or 2025-03-30
    ("25/03/30", None, "2030-03-25", "date_ambiguous"),
    ("25/03/30 10:00", None, "2030-03-25T10:00:00", "date_ambiguous"),
    ("25/03/30", "dmy", "2030-03-25", None),
    ("25/03/2030", None, "2030-03-25", None),
    ("２０２０-０３-２８", None, "2020-03-28", None),  # full-width digits
    ("2020-02-30", None, "2020-02-30", "date_invalid"),
    ("2020-03-28T24:00:00", None, "2020-03-28T24:00:00", "date_invalid"),
    ("13/13/2020", None, "13/13/2020", "date_invalid"),
    ("2024", None, "2024", "date_invalid"),  # a year is not a date, nor a serial
    ("12:00", None, "12:00", "date_invalid"),
    ("not a date", None, "not a date", "date_invalid"),
    ("  ", None, None, None),
]


@pytest.mark.parametrize(("raw", "order", "value", "code"), DATES)
def test_normalize_date(raw: str, order: Order | None, value: str | None, code: str | None) -> None:
    assert normalize_date(raw, order) == Normalized(value, code)


@given(ANY_TEXT, ORDERS)
def test_normalize_date_never_raises_and_is_idempotent(raw: str, order: Order | None) -> None:
    first = normalize_date(raw, order)
    if first.value is None:
        return
    again = normalize_date(first.value, order)
    # An ISO result is no longer ambiguous; everything else is unchanged.
    assert again == first or (first.code == "date_ambiguous" and again == Normalized(first.value))


@pytest.mark.parametrize(
    ("values", "order"),
    [
        (["18/06/2024", "03/04/2024"], "dmy"),
        (["06/18/2024", "03/04/2024"], "mdy"),
        (["28.03.2020"], "dmy"),
        (["01.02.2020"], "dmy"),  # dots: European
        (["01/02/2020", "03/04/2020"], None),  # no evidence
        (["18/06/2024", "19/06/2024", "06/20/2024"], "dmy"),  # the majority wins
        (["18/06/2024", "06/20/2024"], None),  # a tie decides nothing
        (["2020-03-28", "Mar 28, 2020", None], None),
        ([], None),
    ],
)
def test_infer_order(values: list[str], order: str | None) -> None:
    assert infer_order(values) == order


def test_standardize_date_infers_the_order_per_shape() -> None:
    # A European form's dates beside a US tool's timestamps.
    col = pl.Series(
        [
            "18/06/2024",
            "03/04/2024",
            "12/6/2024 4:50 PM",
            "11/29/2024 4:50 PM",
            None,
            "2020-03-28",
            "2020-03-28 09:07:11",
            "x",
            "2020-02-30",
        ]
    )
    out = standardize_date(col)
    assert out.columns == ["created_at", "created_at__code"]
    assert out.rows() == [
        ("2024-06-18", None),
        ("2024-04-03", None),
        ("2024-12-06T16:50:00", None),
        ("2024-11-29T16:50:00", None),
        (None, None),
        ("2020-03-28", None),
        ("2020-03-28T09:07:11", None),
        ("x", "date_invalid"),
        ("2020-02-30", "date_invalid"),
    ]


def test_standardize_date_with_an_order_and_a_name() -> None:
    out = standardize_date(pl.Series(["03/04/2024", "01/02/2024"]), order="dmy", name="d")
    assert out.rows() == [("2024-04-03", None), ("2024-02-01", None)]
    assert out.columns == ["d", "d__code"]
    flagged = standardize_date(pl.Series(["03/04/2024"]))
    assert flagged.rows() == [("2024-03-04", "date_ambiguous")]


@given(
    st.lists(
        st.one_of(st.none(), ANY_TEXT, st.sampled_from([r for r, _, _, _ in DATES])), max_size=20
    ),
    ORDERS,
)
def test_standardize_date_matches_the_per_value_function(
    values: list[str | None], order: Order | None
) -> None:
    if order is None:
        return  # inference depends on the whole column; covered above
    out = standardize_date(pl.Series(values, dtype=pl.String), order=order)
    expected = [normalize_date(v, order) if v is not None else Normalized(None) for v in values]
    assert out.rows() == [tuple(e) for e in expected]


# --- the column function's fast path against the per-value function ---------------------
def _per_value(
    values: list[str | None], order: Order | None
) -> list[tuple[str | None, str | None]]:
    """`standardize_date` done the slow way: the order inferred over the distinct values
    per shape (as its docstring says), then `normalize_date` on each."""
    distinct = sorted({v for v in values if v is not None})
    orders: dict[str, Order | None] = dict.fromkeys(distinct, order)
    if order is None:
        overall = infer_order(distinct)
        by_shape: dict[tuple[str, bool, bool], list[str]] = defaultdict(list)
        for v in distinct:
            if (shape := _shape(v)) is not None:
                by_shape[shape].append(v)
        for members in by_shape.values():
            for v in members:
                orders[v] = infer_order(members) or overall
        orders.update({v: overall for v in distinct if _shape(v) is None})
    return [
        (got.value, got.code) if (got := _normalized(v, orders)) else (None, None) for v in values
    ]


def _normalized(v: str | None, orders: dict[str, Order | None]) -> Normalized | None:
    return normalize_date(v, orders[v]) if v is not None else None


def _made_up_dates(count: int, seed: int) -> list[str]:
    """The forms the Polars path reads and their near misses: impossible days, months,
    hours and offsets, year 0000, two-digit years, mixed separators, AM/PM and offsets in
    every spelling, fractions, long values, non-ASCII digits and spaces."""
    rng = random.Random(seed)

    def part() -> str:
        return rng.choice(["", "0"]) + str(rng.randint(0, 39))

    values = []
    for _ in range(count):
        kind, sep = rng.random(), rng.choice("-/.")
        second_sep = sep if rng.random() < 0.95 else rng.choice("-/.")
        if kind < 0.3:
            year = rng.choice(
                ["1999", "2024", "0000", "0999", "2100", str(rng.randint(1000, 2999))]
            )
            text = f"{year}{sep}{part()}{second_sep}{part()}"
        elif kind < 0.4:
            text = f"{rng.randint(1890, 2110)}{rng.randint(0, 13):02d}{rng.randint(0, 32):02d}"
        elif kind < 0.9:
            year = rng.choice(
                [f"{rng.randint(0, 99):02d}", str(rng.randint(1900, 2100)), "0000", "7"]
            )
            text = f"{part()}{sep}{part()}{second_sep}{year}"
        else:
            text = rng.choice([str(rng.randint(9000, 100000)), "45123.5", "Mar 28, 2020", "x", ""])
        if rng.random() < 0.6:
            text += rng.choice(["T", "t", " ", ",", "  ", " T"])
            text += f"{rng.randint(0, 25)}" if rng.random() < 0.5 else f"{rng.randint(0, 25):02d}"
            text += f":{rng.randint(0, 61):02d}"
            if rng.random() < 0.6:
                text += f":{rng.randint(0, 61):02d}"
                if rng.random() < 0.2:
                    text += rng.choice([".123", ",5", ".", ".1234567", "." + "1" * 80])
            if rng.random() < 0.4:
                text += rng.choice([" AM", " PM", "am", "pm", " p.m.", " A.M.", " Am", "  PM"])
            if rng.random() < 0.4:
                text += rng.choice(
                    [
                        "Z",
                        "z",
                        "+01:00",
                        "-0530",
                        "+19:00",
                        "+05",
                        "+05:60",
                        " UTC",
                        "GMT",
                        "+1:00",
                        " Z",
                        "+00:00",
                    ]
                )
        values.append(text)
    return values


DATE_EDGES = [
    " 1/2/2024",
    "1/2/2024\n",
    "\x1c1/2/2024",
    "\t12/06/2024",
    "１/2/2024",
    "12/06/2024é",
    "12/06/2024_",
    "12/06/2024a",
    "12/06/20245",
    "12/06/2024 5 PM",
    "12/06/2024 5:00 pm\n",
    "13.06.2024",
    "06.13.2024",
    "2024-02-29",
    "2023-02-29",
    "1900-02-29",
    "2000-02-29",
    "0001-01-01",
    "9999-12-31",
    "29/02/2023",
    "02/29/2024",
    "31/04/2024",
    "00/00/0000",
    "12/12/2024",
    "01/1/2024",
    "2024-03-23T09:34:24Z",
    "2024-03-23 09:34:24z",
    "2024-03-23T24:00:00",
    "2024-03-23T23:59:60",
    "2024-03-23T09:34:24+18:00",
    "2024-03-23T09:34:24+18:59",
    "2024-03-23T09:34:24+19:00",
    "2024-03-23T09:34:24-00:00",
    "2024-03-23T09:34+0530",
    "2024-03-23T09:34:24.5+05",
    "6/10/2024 12:20 PM",
    "6/10/2024 12:20 AM",
    "6/10/2024 0:20 AM",
    "6/10/2024 13:20 PM",
    "6/10/2024 24:20 PM",
    "6/10/2024T12:20",
    "20240230",
    "18991231",
    "21010101",
    "19000101",
    "45123",
    "99999",
]


@pytest.mark.parametrize("order", ["mdy", "dmy", "ymd", None])
def test_standardize_date_matches_the_per_value_function_on_generated_leads(
    bench_data: Callable[..., Path], order: Order | None
) -> None:
    partner = pl.read_csv(bench_data(20000, 0) / "partner.csv", infer_schema=False)
    samples: list[list[str | None]] = [
        [None, *partner["Registered At"].to_list(), *DATE_EDGES],
        [*_made_up_dates(5000, seed=3), *DATE_EDGES],
        [*_made_up_dates(300, seed=4)],  # small: the inferred orders come out differently
        [v for v in _made_up_dates(3000, seed=5) if "/" in v],
    ]
    for values in samples:
        out = standardize_date(pl.Series(values, dtype=pl.String), order=order)
        assert out.rows() == _per_value(values, order)


@given(
    st.lists(
        st.one_of(st.none(), ANY_TEXT, st.sampled_from([r for r, _, _, _ in DATES])), max_size=20
    )
)
def test_standardize_date_with_an_inferred_order_matches_the_per_value_function(
    values: list[str | None],
) -> None:
    out = standardize_date(pl.Series(values, dtype=pl.String))
    assert out.rows() == _per_value(values, None)
