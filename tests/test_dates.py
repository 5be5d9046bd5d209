from __future__ import annotations

import polars as pl
import pytest
from hypothesis import given
from hypothesis import strategies as st

from leadkit.normalizers._base import Normalized
from leadkit.normalizers.dates import Order, infer_order, normalize_date, standardize_date

DATEISH = st.lists(
    st.sampled_from(
        list("0123456789/-.:T Z+,")
        + ["2024", "Mar", "march", "PM", "am", "UTC", "Sat, ", "st", "45123", "12", "31"]
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
        ["18/06/2024", "03/04/2024", "12/6/2024 4:50 PM", "11/29/2024 4:50 PM", None,
         "2020-03-28", "2020-03-28 09:07:11", "x", "2020-02-30"]
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


@given(st.lists(st.one_of(st.none(), ANY_TEXT, st.sampled_from([r for r, _, _, _ in DATES])),
                max_size=20), ORDERS)
def test_standardize_date_matches_the_per_value_function(
    values: list[str | None], order: Order | None
) -> None:
    if order is None:
        return  # inference depends on the whole column; covered above
    out = standardize_date(pl.Series(values, dtype=pl.String), order=order)
    expected = [
        normalize_date(v, order) if v is not None else Normalized(None)
        for v in values
    ]
    assert out.rows() == [tuple(e) for e in expected]
