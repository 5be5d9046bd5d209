from __future__ import annotations

import polars as pl
import pytest
from hypothesis import given
from hypothesis import strategies as st

from leadkit.normalizers._base import Normalized
from leadkit.normalizers.boolean import normalize_bool, standardize_bool

TRUE = [
    "Yes",
    "YES",
    "yes",
    " y ",
    "Y",
    "1",
    "1.0",
    "true",
    "TRUE",
    "True",
    "T",
    "t",
    "checked",
    "Checked",
    "x",
    "X",
    "opted in",
    "Opted-In",
    "opt-in",
    "subscribed",
    "agree",
    "agreed",
    "accepted",
    "on",
    "ok",
    "✓",
    "ja",
    "Ja",
    "oui",
    "sí",
    "si",
    "sì",
    "sim",
    "tak",
    "da",
    "はい",
    "是",
    "예",
    "Yes!",
]
FALSE = [
    "No",
    "NO",
    "no",
    "n",
    "N",
    "0",
    "0.0",
    "false",
    "FALSE",
    "F",
    "unchecked",
    "opted out",
    "Opt-Out",
    "unsubscribed",
    "declined",
    "off",
    "nein",
    "non",
    "não",
    "nao",
    "nee",
    "nie",
    "nej",
    "いいえ",
    "否",
    "아니요",
]
UNKNOWN = ["maybe", "in", "out", "2", "-", "N/A", "unknown", "yes please"]


@pytest.mark.parametrize("raw", TRUE)
def test_true(raw: str) -> None:
    assert normalize_bool(raw) == Normalized("true")


@pytest.mark.parametrize("raw", FALSE)
def test_false(raw: str) -> None:
    assert normalize_bool(raw) == Normalized("false")


@pytest.mark.parametrize("raw", UNKNOWN)
def test_unknown(raw: str) -> None:
    assert normalize_bool(raw) == Normalized(None, "opt_in_unknown")


def test_blank_is_empty_not_unknown() -> None:
    assert normalize_bool("   ") == Normalized(None)


@given(st.one_of(st.text(), st.sampled_from(TRUE + FALSE + UNKNOWN)))
def test_never_raises_and_is_idempotent(raw: str) -> None:
    first = normalize_bool(raw)
    if first.value is not None:
        assert normalize_bool(first.value) == first


def test_standardize_bool() -> None:
    out = standardize_bool(pl.Series(["Yes", None, "0", "maybe", "Yes"]))
    assert out.columns == ["opt_in", "opt_in__code"]
    assert out.rows() == [
        ("true", None),
        (None, None),
        ("false", None),
        (None, "opt_in_unknown"),
        ("true", None),
    ]
    assert standardize_bool(pl.Series(["N"]), name="consent").columns == [
        "consent",
        "consent__code",
    ]
