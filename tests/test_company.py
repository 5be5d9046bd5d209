from __future__ import annotations

import random
from collections.abc import Callable
from pathlib import Path

import polars as pl
import pytest
from hypothesis import given
from hypothesis import strategies as st

from leadkit.normalizers import company as company_module
from leadkit.normalizers._base import Normalized
from leadkit.normalizers.company import (
    _ARTICLES,
    _CONNECTORS,
    _PREFIXES,
    _SUFFIX_PHRASES,
    _fold,
    _fold_unicode,
    company_key,
    normalize_company,
    standardize_company,
)

COMPANYISH = st.lists(
    st.sampled_from(
        [
            *list("aAcCiInN&.,/()'’- \xa0ßİéÉ株式会社㈱0"),
            "Inc",
            "LLC",
            "GmbH",
            "& Co.",
            "KG",
            "The ",
            "S.A.",
            "de",
            "C.V.",
            "Ltd",
            "Co",
        ]
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


# --- the column function's fast path against the per-value functions -------------------
# What the Polars key path must get right: legal forms one after another and nested
# (`Co Ltd`, `S.A. de C.V.`), front articles and prefixes, trailing connectors, a name
# that is nothing but forms, accented Latin-1 letters (æ ð ø þ keep), ß and other Unicode
# (left to `company_key`), slashes, every kind of punctuation and space.
COMPANY_EDGES = [
    "The Co",
    "the inc",
    "Co",
    "Inc.",
    "The The",
    "ooo",
    "OOO Acme",
    "Acme ooo",
    "Acme, The",
    "Acme And",
    "Acme &",
    "Smith & Co.",
    "Smith and Co and",
    "Acme Co Ltd",
    "Acme Co. Ltd. Inc",
    "Acme S.A. de C.V.",
    "Acme S de RL de CV",
    "Acme sp. z o.o.",
    "Acme Sp z oo sp k",
    "Acme Pvt Ltd Ltd",
    "Acme GmbH & Co. KG",
    "Acme KG GmbH & Co",
    "de cv",
    "Acme de",
    "Acme y cia",
    "Acme et Cie",
    "Acme e",
    "Acme (Pty) Ltd",
    "Acme_Ltd",
    "Acme-Ltd",
    "Acme--Ltd",
    "Acme`s Co",
    "O'Reilly & Sons",
    "AT&T",
    "A&B",
    "&&",
    "& Co",
    "Maersk A/S",
    "a/s",
    "A / S",
    "C/O Acme",
    "Acme/Ltd",
    "Hotel Co-op",
    "Co-op",
    "3M Co",
    "123",
    "1 2 3 inc",
    "Acme  Inc",
    " Acme Inc ",
    "Acme\tInc",
    "Acme\u00a0Inc",
    "Acme\u200bInc",
    "Acme\x7fInc",
    "!!!",
    "-",
    ".",
    "...",
    "'",
    "Société Générale S.A.",
    "SOCIÉTÉ GÉNÉRALE",
    "Müller GmbH",
    "MÜLLER GMBH",
    "Ærø Øst ApS",
    "Þór ehf",
    "Ðakovo d.o.o.",
    "Straße GmbH",
    "STRASSE GMBH",
    "Cité Ltée",
    "Ñandú S.A.",
    "Brandão Engenharia Ltda.",
    "naïve café inc",
    "façade & co",
    "İstanbul AŞ",
    "ﬁnance Ltd",
    "Acme \u00b4s Inc",
    "Acme\u2019s Inc",
    "Acme \u00d7 Co",
    "Acme ÷ Co",
    "µ Ltd",
    "株式会社トヨタ",
    "(株)トヨタ",
    "トヨタ自動車株式会社",
    "ООО Ромашка",
    "Ромашка ооо",
    "Grüße & Co. KG",
    "Ünal ve Ortakları",
    "Zoë Ltd",
    "Chloë & Zoë",
    "Ÿ Inc",
    # letters newer than Python's Unicode tables (Polars would call them letters)
    "\U00011f04",
    "\u0cf3 Inc",
    "\U0001e4d0",
    # slashes among accents, several slashes, word characters that are not letters
    "Logística S/A",
    "Ærø A/S",
    "é/x Co",
    "x/É Inc",
    "a/b/c",
    "A/B/C Ltd",
    "_/x",
    "x/_",
    "1/2 Co",
    "A/S/",
    "/A/S",
    "a//s",
    "Acme A/S Ltd",
    # punctuation next to spaces, in every order (folded in one pass, then squeezed)
    "Acme ,Inc",
    "Acme , Inc",
    "Acme.,Inc",
    "Acme . Inc",
    "Smith & Co. - Ltd",
    "A - B",
    "A -B",
    "A- B",
    "A &B",
    "A& B",
    "A & & B",
    "A, , B",
    "(Acme) Ltd",
    "Acme (The)",
    "- Acme -",
    "Acme\t\tInc",
    "Acme \u00a0 Inc",
]


def test_no_legal_form_ends_with_an_article_or_a_connector() -> None:
    # the column function finds what a step strips at the end with one regular expression,
    # which takes the last word alone when it is an article or a connector only so
    assert not [p for p in _SUFFIX_PHRASES if p.split()[-1] in _ARTICLES | _CONNECTORS]


def test_standardize_company_when_hashes_collide(monkeypatch: pytest.MonkeyPatch) -> None:
    # distinct values are found by their hash; two values with one hash must still get
    # their own results (here every value has the same hash)
    monkeypatch.setattr(
        company_module, "_hashes", lambda col: pl.repeat(7, col.len(), dtype=pl.UInt64, eager=True)
    )
    _assert_column_matches_per_value(["Acme, Inc.", None, "ACME INCORPORATED", "!!!", "Acme, Inc."])
    _assert_column_matches_per_value([None, None])
    _assert_column_matches_per_value([])


def _made_up_names(count: int, seed: int) -> list[str]:
    """Names built from legal forms, articles and connectors in every order and case."""
    rng = random.Random(seed)
    words = [
        *_SUFFIX_PHRASES,
        *_ARTICLES,
        *_CONNECTORS,
        *_PREFIXES,
        "Acme",
        "Smith",
        "S.A.",
        "L.L.C.",
        "Co.",
        "& Co.",
        "A/S",
        "(Pty)",
        "Müller",
        "Zoë",
        "Øst",
    ]
    names = []
    for _ in range(count):
        tokens = [rng.choice(words) for _ in range(rng.randint(1, 6))]
        tokens = [
            t.upper() if rng.random() < 0.3 else t.title() if rng.random() < 0.3 else t
            for t in tokens
        ]
        separators = [rng.choice([" ", " ", ", ", "  ", "-", " & ", "."]) for _ in tokens]
        names.append("".join(t + s for t, s in zip(tokens, separators, strict=True)))
    return names


def _assert_column_matches_per_value(values: list[str | None]) -> None:
    out = standardize_company(pl.Series(values, dtype=pl.String))
    expected = [
        (*normalize_company(v), company_key(v)) if v is not None else (None, None, None)
        for v in values
    ]
    assert out.rows() == expected


def test_standardize_company_matches_the_per_value_functions_on_generated_leads(
    bench_data: Callable[..., Path],
) -> None:
    partner = pl.read_csv(bench_data(20000, 0) / "partner.csv", infer_schema=False)
    values = partner["Company"].to_list() + COMPANY_EDGES + _made_up_names(20000, seed=7)
    _assert_column_matches_per_value([None, *values, *(v.lower() for v in COMPANY_EDGES)])


@given(st.lists(st.one_of(st.none(), ANY_TEXT), max_size=30))
def test_standardize_company_matches_the_per_value_functions(values: list[str | None]) -> None:
    _assert_column_matches_per_value(values)


@given(st.one_of(st.text(st.characters(max_codepoint=127)), COMPANYISH.filter(str.isascii)))
def test_the_ascii_fold_is_the_unicode_fold(text: str) -> None:
    assert _fold(text) == _fold_unicode(text)


@pytest.mark.parametrize(
    "value",
    # letters beyond ASCII before the legal form the key drops (Polars 2.2 changed how
    # str.find counts them)
    [
        "Łódź Tech Sp. z o.o.",
        "Ørsted A/S",
        "Ærø Shipping ApS",
        "Œuvre Holding SAS",
        "Straße und Söhne GmbH & Co. KG",
        "İstanbul Gıda A.Ş.",
        "東京 Trading Co., Ltd.",
    ],
)
def test_standardize_company_non_ascii_before_a_legal_form(value: str) -> None:
    _assert_column_matches_per_value([value, value.lower(), value.upper()])
