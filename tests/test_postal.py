from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import polars as pl
import pytest
from hypothesis import given
from hypothesis import strategies as st

from leadkit.normalizers._base import Normalized
from leadkit.normalizers.postal import _FAST_FORMS, normalize_postal, standardize_postal

POSTISH = st.lists(
    st.sampled_from([*list("0123456789 -〒ABCDEJMNPSWabcdejmnpsw.－ー１"), "D-", "SE-", "GIR"]),
    max_size=12,
).map("".join)
COUNTRIES = st.sampled_from(
    [
        "US",
        "CA",
        "GB",
        "IE",
        "NL",
        "BR",
        "JP",
        "PL",
        "PT",
        "SE",
        "IN",
        "DE",
        "FR",
        "AU",
        "NO",
        "CH",
        "KR",
        "Narnia",
        None,
    ]
)

POSTAL = [
    # raw, country, value, code
    ("94105", "US", "94105", None),
    ("02134", "US", "02134", None),
    ("2134", "US", "02134", None),  # leading zero lost to a spreadsheet
    ("501", "US", "00501", None),
    ("02134-1234", "US", "02134-1234", None),
    ("021341234", "US", "02134-1234", None),
    ("2134-1234", "US", "02134-1234", None),
    ("02134 1234", "US", "02134-1234", None),
    ("1234567", "US", "1234567", "postal_code_invalid"),
    ("SW1P 6JJ", "US", "SW1P 6JJ", "postal_code_invalid"),
    ("sw1p6jj", "GB", "SW1P 6JJ", None),
    ("SW1P 6JJ", "GB", "SW1P 6JJ", None),
    ("m11ae", "GB", "M1 1AE", None),
    ("EC1A1BB", "GB", "EC1A 1BB", None),
    ("12345", "GB", "12345", "postal_code_invalid"),
    ("m5c3l0", "CA", "M5C 3L0", None),
    ("M5C-3L0", "CA", "M5C 3L0", None),
    ("D5C 3L0", "CA", "D5C 3L0", "postal_code_invalid"),  # D never starts one
    ("d02x285", "IE", "D02 X285", None),
    ("1234ab", "NL", "1234 AB", None),
    ("01310100", "BR", "01310-100", None),
    ("1310100", "BR", "01310-100", None),
    ("01310-100", "BR", "01310-100", None),
    ("〒100-0001", "JP", "100-0001", None),
    ("〒1000001", "JP", "100-0001", None),
    ("１００－０００１", "JP", "100-0001", None),
    ("00950", "PL", "00-950", None),
    ("1000001", "PT", "1000-001", None),
    ("11455", "SE", "114 55", None),
    ("SE-114 55", "SE", "114 55", None),
    ("400 001", "IN", "400001", None),
    ("40001", "IN", "40001", "postal_code_invalid"),
    ("80331", "DE", "80331", None),
    ("D-80331", "DE", "80331", None),
    ("1067", "DE", "01067", None),
    ("75001", "France", "75001", None),  # the country in any form
    ("800", "AU", "0800", None),
    ("150", "NO", "0150", None),
    ("8001", "CH", "8001", None),
    ("0800", "CH", "0800", "postal_code_invalid"),
    ("x", "FR", "x", "postal_code_invalid"),
    # no country, or one without a rule: trimmed only, 〒 dropped
    ("  sw1p6jj ", None, "sw1p6jj", None),
    ("2134", None, "2134", None),
    ("〒100-0001", None, "100-0001", None),
    ("1010", "Narnia", "1010", None),
    ("〒", "JP", None, None),
    ("  ", "US", None, None),
]


@pytest.mark.parametrize(("raw", "country", "value", "code"), POSTAL)
def test_normalize_postal(
    raw: str, country: str | None, value: str | None, code: str | None
) -> None:
    assert normalize_postal(raw, country) == Normalized(value, code)


@given(st.one_of(st.text(), POSTISH), COUNTRIES)
def test_never_raises_and_is_idempotent(raw: str, country: str | None) -> None:
    first = normalize_postal(raw, country)
    if first.value is not None:
        assert normalize_postal(first.value, country) == first


@pytest.mark.parametrize(
    ("country", "value"),
    [
        ("US", "94105"),
        ("US", "94105-1234"),
        ("DE", "01067"),
        ("AU", "0800"),
        ("IN", "400001"),
        ("JP", "100-0001"),
        ("BR", "01310-100"),
    ],
)
def test_canonical_forms_are_fixed_points(country: str, value: str) -> None:
    # The column function settles these with Polars (_FAST_FORMS), without normalize_postal.
    assert country in _FAST_FORMS
    assert normalize_postal(value, country) == Normalized(value)


def test_standardize_postal() -> None:
    codes = pl.Series(["2134", "94105", " 94105", "sw1p6jj", None, "〒100-0001", "x", "2134"])
    countries = pl.Series(["US", "US", "US", "GB", "US", None, "FR", None])
    out = standardize_postal(codes, countries)
    assert out.columns == ["postal_code", "postal_code__code"]
    assert out.rows() == [
        ("02134", None),
        ("94105", None),
        ("94105", None),
        ("SW1P 6JJ", None),
        (None, None),
        ("100-0001", None),
        ("x", "postal_code_invalid"),
        ("2134", None),
    ]


@given(st.lists(st.tuples(st.one_of(st.none(), POSTISH, st.text()), COUNTRIES), max_size=20))
def test_standardize_postal_matches_the_per_value_function(
    rows: list[tuple[str | None, str | None]],
) -> None:
    codes = pl.Series([r[0] for r in rows], dtype=pl.String)
    countries = pl.Series([r[1] for r in rows], dtype=pl.String)
    out = standardize_postal(codes, countries)
    expected = [normalize_postal(v, c) if v is not None else Normalized(None) for v, c in rows]
    assert out.rows() == [tuple(e) for e in expected]


# --- the column function's fast path against the per-value function ---------------------
# Each country's `_FAST_FORMS` and its near misses: other spacing and dashes, prefixes
# (D-80331, SE-114 55, FIN-00100), lower case, full-width digits, 〒 and `z:` marks,
# too few or too many digits, letters a country never uses, and country names as context.
POSTAL_EDGES = [
    "94105",
    "02134",
    "2134",
    "501",
    "50",
    "941051234",
    "94105-1234",
    "94105 1234",
    "94105 - 1234",
    "2134-1234",
    "2134 1234",
    "02134-123",
    "94105-12345",
    "SW1P 6JJ",
    "sw1p6jj",
    "SW1P  6JJ",
    "M1 1AE",
    "m11ae",
    "EC1A1BB",
    "GIR 0AA",
    "gir0aa",
    "A1 23AB",
    "W1A 0AX",
    "M5C 3L0",
    "m5c3l0",
    "M5C-3L0",
    "M5C -3L0",
    "D5C 3L0",
    "D02 X285",
    "d02x285",
    "D6W 1234",
    "1234 AB",
    "1234ab",
    "0123 AB",
    "01310-100",
    "01310100",
    "1310100",
    "1310-100",
    "01.310-100",
    "100-0001",
    "1000001",
    "100 0001",
    "〒100-0001",
    "〒 100-0001",
    "00-950",
    "00950",
    "1000-001",
    "1000001",
    "0000-001",
    "114 55",
    "11455",
    "SE-114 55",
    "S-114 55",
    "D-80331",
    "D - 80331",
    "d-80331",
    "F-75001",
    "FIN-00100",
    "SF-00100",
    "CH-8001",
    "US-94105",
    "8001",
    "0800",
    "800",
    "80331",
    "8033",
    "803",
    "110001",
    "011000",
    "12345",
    "123456",
    "1234567",
    "1234",
    "123",
    "x",
    "z:94105",
    "Z: 94105",
    "Z:",
    "〒",
    "１００-０００１",
    "94105－1234",
    "94105ー1234",
    " 94105",
    "94105 ",
    "",
    "  ",
    "9410\u00a05",
    "94105\u200b",
    "ab",
    "AB 12",
    "12 34",
    "1 2 3 4 5",
    "SW1P-6JJ",
    "1234-AB",
    "114-55",
    "D02-X285",
    "110-001",
    "0800-",
    "-0800",
    "00 950",
    "1000 001",
]
POSTAL_COUNTRIES = [
    *sorted(_FAST_FORMS),
    "FR",
    "Narnia",
    "United States",
    "us",
    "Deutschland",
    "JP",
    "ZZ",
    None,
]


def _assert_column_matches_per_value(codes: list[str | None], countries: list[str | None]) -> None:
    out = standardize_postal(
        pl.Series(codes, dtype=pl.String), pl.Series(countries, dtype=pl.String)
    )
    expected = [
        normalize_postal(v, c) if v is not None else Normalized(None)
        for v, c in zip(codes, countries, strict=True)
    ]
    assert out.rows() == [tuple(e) for e in expected]


def test_standardize_postal_matches_the_per_value_function_on_generated_leads(
    bench_data: Callable[..., Path],
) -> None:
    from leadkit.normalizers.country import standardize_country

    partner = pl.read_csv(bench_data(20000, 0) / "partner.csv", infer_schema=False)
    countries = standardize_country(partner["Country"])
    iso = countries.select(pl.when(pl.col("country__code").is_null()).then("country")).to_series()
    codes = partner["Zip"].to_list()
    # as the pipeline passes them (ISO2 or null), and as written in the file
    _assert_column_matches_per_value(codes, iso.to_list())
    _assert_column_matches_per_value(codes, partner["Country"].to_list())
    # every edge case against every country: also their upper and lower case
    edges = [*POSTAL_EDGES, *(v.lower() for v in POSTAL_EDGES)]
    pairs = [(v, c) for v in edges for c in POSTAL_COUNTRIES]
    _assert_column_matches_per_value([v for v, _ in pairs], [c for _, c in pairs])
    # every generated code against every country
    distinct = partner["Zip"].drop_nulls().unique().sort()
    sample = distinct.gather_every(max(1, distinct.len() // 2000)).to_list()
    pairs = [(v, c) for v in sample for c in POSTAL_COUNTRIES]
    _assert_column_matches_per_value([v for v, _ in pairs], [c for _, c in pairs])
