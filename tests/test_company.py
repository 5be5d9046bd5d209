from __future__ import annotations

import polars as pl
import pytest
from hypothesis import given
from hypothesis import strategies as st

from leadkit.normalizers._base import Normalized
from leadkit.normalizers.company import company_key, normalize_company, standardize_company

COMPANYISH = st.lists(
    st.sampled_from(
        list("aAcCiInN&.,/()'’- \u00a0ßİéÉ株式会社㈱0")
        + ["Inc", "LLC", "GmbH", "& Co.", "KG", "The ", "S.A.", "de", "C.V.", "Ltd", "Co"]
    ),
    max_size=12,
).map("".join)
ANY_TEXT = st.one_of(st.text(), COMPANYISH)

DISPLAY = [
    ("Acme Inc", "Acme Inc", None),
    ("  Acme,   Inc. ", "Acme, Inc.", None),
    ("IBM", "IBM", None),  # capitals kept: companies write themselves so
    ("ACME INCORPORATED", "ACME INCORPORATED", None),
    ("Zenera Medizintechnik GmbH", "Zenera Medizintechnik GmbH", None),
    ("株式会社トヨタ", "株式会社トヨタ", None),
    ("3M", "3M", None),
    ("!!!", "!!!", "company_invalid"),
    ("-", "-", "company_invalid"),
    ("   ", None, None),
]


@pytest.mark.parametrize(("raw", "value", "code"), DISPLAY)
def test_normalize_company(raw: str, value: str | None, code: str | None) -> None:
    assert normalize_company(raw) == Normalized(value, code)


KEYS = [
    ("Acme Inc", "acme"),
    ("Acme, Inc.", "acme"),
    ("ACME INCORPORATED", "acme"),
    ("Acme Corp.", "acme"),
    ("Acme Corporation", "acme"),
    ("Acme", "acme"),
    ("The Acme Company", "acme"),
    ("Acme, The", "acme"),
    ("Acme Co Ltd", "acme"),
    ("Acme Co., Ltd.", "acme"),
    ("Acme LLC", "acme"),
    ("Acme L.L.C.", "acme"),
    ("Acme PLC", "acme"),
    ("Acme LLP", "acme"),
    ("Acme LP", "acme"),
    ("Smith & Sons Ltd", "smith and sons"),
    ("Smith and Sons", "smith and sons"),
    ("Smith & Co.", "smith"),
    ("Müller GmbH", "muller"),
    ("Muller GmbH", "muller"),
    ("Unity Raven Logistics Services GmbH & Co. KG", "unity raven logistics services"),
    ("Beacon Hub Systemhaus KG", "beacon hub systemhaus"),
    ("Oak Raven AG", "oak raven"),
    ("Société Générale S.A.", "societe generale"),
    ("IJC Pharma SAS", "ijc pharma"),
    ("SOQS Technologies SARL", "soqs technologies"),
    ("Fiat S.p.A.", "fiat"),
    ("Pasta S.r.l.", "pasta"),
    ("Philips N.V.", "philips"),
    ("Acme B.V.", "acme"),
    ("Nokia Oyj", "nokia"),
    ("Kone Oy", "kone"),
    ("Volvo AB (publ)", "volvo"),
    ("Maersk A/S", "maersk"),
    ("Lego ApS", "lego"),
    ("Equinor ASA", "equinor"),
    ("Sony K.K.", "sony"),
    ("株式会社トヨタ", "トヨタ"),
    ("トヨタ自動車株式会社", "トヨタ自動車"),
    ("(株)トヨタ", "トヨタ"),
    ("XQF Consulting Pty Ltd", "xqf consulting"),
    ("Acme (Pty) Ltd", "acme"),
    ("Balakrishnan & Dubey Pvt. Ltd.", "balakrishnan and dubey"),
    ("Zenith Textiles Private Limited", "zenith textiles"),
    ("Acme Pte. Ltd.", "acme"),
    ("Acme Ltda.", "acme"),
    ("Cemex S.A.B. de C.V.", "cemex"),
    ("Bimbo S.A. de C.V.", "bimbo"),
    ("Acme Sp. z o.o.", "acme"),
    ("Petronas Sdn Bhd", "petronas"),
    ("SAP SE", "sap"),
    ("AT&T Inc.", "at and t"),
    ("O'Reilly Media, Inc.", "oreilly media"),
    ("Hotel Co-op", "hotel co op"),  # "op" is not a legal form: "co" stays
    ("Co", "co"),  # never stripped to nothing
    ("Inc.", "inc"),
    ("The Company", "company"),
    ("!!!", None),
    ("", None),
]


@pytest.mark.parametrize(("raw", "key"), KEYS)
def test_company_key(raw: str, key: str | None) -> None:
    assert company_key(raw) == key


@given(ANY_TEXT)
def test_normalize_company_never_raises_and_is_idempotent(raw: str) -> None:
    first = normalize_company(raw)
    if first.value is not None:
        assert normalize_company(first.value) == first


@given(ANY_TEXT)
def test_company_key_never_raises_and_is_idempotent(raw: str) -> None:
    key = company_key(raw)
    if key is not None:
        assert company_key(key) == key


def test_standardize_company() -> None:
    col = pl.Series(["Acme, Inc.", None, "ACME INCORPORATED", "!!!", "Acme, Inc."])
    out = standardize_company(col)
    assert out.columns == ["company", "company__code", "company_key"]
    assert out.rows() == [
        ("Acme, Inc.", None, "acme"),
        (None, None, None),
        ("ACME INCORPORATED", None, "acme"),
        ("!!!", "company_invalid", None),
        ("Acme, Inc.", None, "acme"),
    ]
