"""Phone normalization: tables of raw -> exact result, properties, fast path = library."""

from __future__ import annotations

import itertools
import random
import re
from collections.abc import Callable, Sequence
from pathlib import Path

import phonenumbers
import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from leadkit.normalizers._base import Normalized
from leadkit.normalizers.phone import (
    _MAIN_FAST_RE,
    _PLAIN_RE,
    FLOAT_RE,
    _lengths,
    _normalize_column,
    _rules,
    normalize_phone,
    phone_type,
    phone_types,
    standardize_phone,
)

NINE = ("US", "CA", "GB", "DE", "FR", "IN", "AU", "BR", "JP")

# (raw, region) -> (value, code). With a code, the value is the cleaned text as given.
CASES: list[tuple[str, str | None, str | None, str | None]] = [
    # United States / Canada: national, with the 1, international
    ("(415) 555-0123", "US", "+14155550123", None),
    ("415.555.0123", "US", "+14155550123", None),
    ("1-415-555-0123", "US", "+14155550123", None),
    ("+1 (415) 555-0123", None, "+14155550123", None),
    ("(212) 646-1234", "CA", "+12126461234", None),  # a US number on a Canadian row
    ("416-555-0199", "CA", "+14165550199", None),
    ("+1 604 555 0142", "US", "+16045550142", None),
    # United Kingdom
    ("020 7946 0123", "GB", "+442079460123", None),
    ("020 7946 0123", "gb", "+442079460123", None),  # region in any case
    ("+44 (0)20 7946 0123", None, "+442079460123", None),
    ("+44 (0) 7911 123456", "DE", "+447911123456", None),
    ("0044 7911 123456", "GB", "+447911123456", None),
    ("07911 123456", "GB", "+447911123456", None),
    # Germany
    ("030 12345678", "DE", "+493012345678", None),
    ("030/12345678", "DE", "+493012345678", None),
    ("0049 30 12345678", "DE", "+493012345678", None),
    ("0049 30 12345678", None, "+493012345678", None),  # 00 with no region: international
    ("+49 (0)30 12345678", None, "+493012345678", None),
    ("0171 1234567", "DE", "+491711234567", None),
    # France
    ("01 23 45 67 89", "FR", "+33123456789", None),
    ("06.12.34.56.78", "FR", "+33612345678", None),
    ("0033 6 12 34 56 78", "FR", "+33612345678", None),
    ("+33 (0)1 49 90 02 83", None, "+33149900283", None),
    # India
    ("98765 43210", "IN", "+919876543210", None),
    ("098765 43210", "IN", "+919876543210", None),
    ("022 2345 6789", "IN", "+912223456789", None),
    ("+91-98765-43210", None, "+919876543210", None),
    # Australia
    ("(02) 9876 5432", "AU", "+61298765432", None),
    ("0412 345 678", "AU", "+61412345678", None),
    ("+61 (0)2 9876 5432", None, "+61298765432", None),
    # Brazil
    ("(11) 99653 3565", "BR", "+5511996533565", None),
    ("(11) 3456-7890", "BR", "+551134567890", None),
    ("+55 21 98765 4321", None, "+5521987654321", None),
    # Japan: brackets round the area code, full-width digits
    ("03-1234-5678", "JP", "+81312345678", None),
    ("03(1234)5678", "JP", "+81312345678", None),
    ("０３－１２３４－５６７８", "JP", "+81312345678", None),
    ("０９０－１２３４－５６７８", "JP", "+819012345678", None),
    ("+81 (0)3 1234 5678", None, "+81312345678", None),
    # international written for another region
    ("+44 20 7946 0123", "US", "+442079460123", None),
    ("0044 20 7946 0123", "US", "+442079460123", None),  # 00 where the prefix is 011
    ("011 44 20 7946 0123", "US", "+442079460123", None),
    # country codes shared by several regions: the number is read in the region that claims
    # it (one with leading digits, else the first where it is valid)
    ("+1 268 464 1234", None, "+12684641234", None),  # Antigua: leading digits 268
    ("(268) 464-1234", "US", "+12684641234", None),
    ("+1 876 555 1234", None, "+18765551234", None),  # Jamaica
    ("+44 7624 123456", None, "+447624123456", None),  # Isle of Man: leading digits 7624
    ("07624 123456", "GB", "+447624123456", None),
    ("+7 495 123-45-67", None, "+74951234567", None),  # Russia: leading digits 3, 4, 8, 9
    ("+7 701 123 4567", None, "+77011234567", None),  # Kazakhstan: leading digit 7
    ("+61 8 9162 1234", None, "+61891621234", None),  # Cocos Islands: valid there, not in AU
    ("+590 590 27 1234", None, "+590590271234", None),  # Saint Barthélemy, after Guadeloupe
    ("+358 18 12345", None, "+3581812345", None),  # Åland: leading digits 18
    ("+212 5288 12345", None, "+212528812345", None),  # Morocco
    # labels and spreadsheet numbers
    ("p:+447911123456", None, "+447911123456", None),  # Meta lead ads
    ("tel:+14155550123", None, "+14155550123", None),
    ("Tel: 030 12345678", "DE", "+493012345678", None),
    ("4155550123.0", "US", "+14155550123", None),
    ("4.155550123E+9", "US", "+14155550123", None),  # every digit still there
    ("4.15555E+9", "US", "4.15555E+9", "phone_not_a_number"),  # digits lost
    ("4155550123.00", "US", "+14155550123", None),
    ("415.555.0120", "US", "+14155550120", None),  # ends in 0, not a spreadsheet number
    ("+1.415.555.0120", None, "+14155550120", None),
    # extensions, every form
    ("(415) 555-0123 x204", "US", "+14155550123 x204", None),
    ("(415) 555-0123 x 204", "US", "+14155550123 x204", None),
    ("415.555.0123 x.204", "US", "+14155550123 x204", None),
    ("415-555-0123 ext. 12", "US", "+14155550123 x12", None),
    ("415-555-0123 ext 12", "US", "+14155550123 x12", None),
    ("415-555-0123 Ext.955", "US", "+14155550123 x955", None),
    ("415-555-0123 extension 5", "US", "+14155550123 x5", None),
    ("415-555-0123 #12", "US", "+14155550123 x12", None),
    ("+14155550123;ext=12", None, "+14155550123 x12", None),
    ("+1 415 555 0123, ext 7", None, "+14155550123 x7", None),
    ("415 555 0123 ,,12", "US", "+14155550123 x12", None),  # auto-dial, found by phonenumbers
    ("+14155550123 x204", "JP", "+14155550123 x204", None),  # a clean value stays
    # junk
    ("N/A", "US", "N/A", "phone_not_a_number"),
    ("call me", "US", "call me", "phone_not_a_number"),
    ("TBD", "GB", "TBD", "phone_not_a_number"),
    ("see email", "US", "see email", "phone_not_a_number"),
    ("1-800-FLOWERS", "US", "1-800-FLOWERS", "phone_not_a_number"),  # letters
    ("-", "US", "-", "phone_not_a_number"),
    ("+", None, "+", "phone_not_a_number"),
    # Excel-mangled: a negative number (a dash read as minus), scientific notation in any
    # case and with a decimal comma; never "country unknown"
    ("-2237", None, "-2237", "phone_not_a_number"),
    ("-2237", "DE", "-2237", "phone_not_a_number"),
    ("-2237.0", "US", "-2237.0", "phone_not_a_number"),
    ("-4155550123", None, "-4155550123", "phone_not_a_number"),
    ("4.15E+09", None, "4.15E+09", "phone_not_a_number"),
    ("4,15E+09", None, "4,15E+09", "phone_not_a_number"),
    ("4.15e9", "US", "4.15e9", "phone_not_a_number"),
    ("-49 30 1234567", "DE", "+49301234567", None),  # spaced: phonenumbers reads it
    # too short, too long
    ("12345", "US", "12345", "phone_too_short"),
    ("+1 (415) 555", None, "+1 (415) 555", "phone_too_short"),
    ("+44 20 79", None, "+44 20 79", "phone_too_short"),
    ("1234567890123456", "US", "1234567890123456", "phone_too_long"),
    ("+49 30 1234567890123456", None, "+49 30 1234567890123456", "phone_too_long"),
    # invalid for the region
    ("(123) 456-7890", "US", "(123) 456-7890", "phone_invalid"),
    ("000-000-0000", "US", "000-000-0000", "phone_invalid"),
    ("0000000000", "GB", "0000000000", "phone_invalid"),
    ("+999 123 456", None, "+999 123 456", "phone_invalid"),  # no such country code
    # no region for a national number
    ("(415) 555-0123", None, "(415) 555-0123", "phone_no_region"),
    ("020 7946 0123", "XX", "020 7946 0123", "phone_no_region"),  # unknown region
    # whitespace and invisible characters; empty
    ("  \u200b(415) 555\u00a00123\t", "US", "+14155550123", None),
    ("", "US", None, None),
    ("   ", None, None, None),
]


@pytest.mark.parametrize(("raw", "region", "value", "code"), CASES)
def test_normalize_phone_table(
    raw: str, region: str | None, value: str | None, code: str | None
) -> None:
    assert normalize_phone(raw, region) == Normalized(value, code)


def test_standardize_phone_equals_table() -> None:
    col = pl.Series([c[0] for c in CASES] + [None], dtype=pl.String)
    region = pl.Series([c[1] for c in CASES] + ["US"], dtype=pl.String)
    out = standardize_phone(col, region, name="mobile_phone")
    assert out.columns == ["mobile_phone", "mobile_phone__code"]
    assert out.rows() == [(c[2], c[3]) for c in CASES] + [(None, None)]


def test_standardize_phone_empty() -> None:
    out = standardize_phone(pl.Series([], dtype=pl.String), pl.Series([], dtype=pl.String))
    assert out.columns == ["phone", "phone__code"]
    assert out.height == 0


@pytest.mark.parametrize(
    ("e164", "kind"),
    [
        ("+14155550123", "fixed_line_or_mobile"),
        ("+442079460123", "fixed_line"),
        ("+447911123456", "mobile"),
        ("+448001234567", "toll_free"),
        ("+18005550199", "toll_free"),
        ("+819012345678", "mobile"),
        ("+12684641234", "mobile"),  # Antigua, in +1
        ("+16045550142", "fixed_line_or_mobile"),  # Canada, in +1
        ("+447624123456", "mobile"),  # Isle of Man, in +44
        ("+74951234567", "fixed_line"),  # Russia, in +7
        ("+77011234567", "mobile"),  # Kazakhstan, in +7
        ("+14155550123 x204", "fixed_line_or_mobile"),
        ("+1 555", None),
        ("junk", None),
        ("", None),
    ],
)
def test_phone_type(e164: str, kind: str | None) -> None:
    assert phone_type(e164) == kind
    assert phone_types(pl.Series([e164])).to_list() == [kind]


# --- fast path == library -----------------------------------------------------------------


def _assert_fast_equals_library(
    values: Sequence[str | None], regions: Sequence[str | None]
) -> None:
    col = pl.Series(values, dtype=pl.String)
    region = pl.Series(regions, dtype=pl.String)
    fast, _ = _normalize_column(col, region, fast=True)
    slow, _ = _normalize_column(col, region, fast=False)
    if not fast.equals(slow):
        frame = pl.DataFrame({"raw": col, "region": region}).with_columns(
            fast.rename({"value": "fast", "code": "fast_code"}),
            slow.rename({"value": "lib", "code": "lib_code"}),
        )
        diff = frame.filter(
            (pl.col("fast").fill_null("") != pl.col("lib").fill_null(""))
            | (pl.col("fast_code").fill_null("") != pl.col("lib_code").fill_null(""))
        )
        pytest.fail(f"fast path differs from the library:\n{diff.head(20)}")


def _national_forms(rnd: random.Random, region: str, n: int) -> tuple[list[str], list[str | None]]:
    """Numbers of `region` written in many ways, from phonenumbers' example numbers with
    random subscriber digits (valid and invalid mixed), and the region each row carries."""
    meta = phonenumbers.PhoneMetadata.metadata_for_region(region)
    assert meta is not None
    cc = str(meta.country_code)
    seeds = [
        phonenumbers.national_significant_number(ex)
        for t in (
            phonenumbers.PhoneNumberType.FIXED_LINE,
            phonenumbers.PhoneNumberType.MOBILE,
            phonenumbers.PhoneNumberType.TOLL_FREE,
        )
        if (ex := phonenumbers.example_number_for_type(region, t)) is not None
    ]
    values: list[str] = []
    regions: list[str | None] = []
    for _ in range(n):
        seed = rnd.choice(seeds)
        keep = rnd.randrange(1, 4)
        digits = seed[:keep] + "".join(str(rnd.randrange(10)) for _ in seed[keep:])
        if rnd.random() < 0.1:
            digits = digits + str(rnd.randrange(10)) if rnd.random() < 0.5 else digits[:-1]
        trunk = meta.national_prefix or ""
        form = rnd.choice(
            [
                f"{trunk}{digits}",
                f"({trunk}{digits[:2]}) {digits[2:6]} {digits[6:]}",
                f"{trunk}{digits[:3]}-{digits[3:6]}-{digits[6:]}",
                f"+{cc} {digits}",
                f"+{cc} ({trunk}){digits[:3]} {digits[3:]}",
                f"00{cc} {digits}",
                f"{cc}{digits}",
                f"{digits[:3]}.{digits[3:6]}.{digits[6:]}",
                f"+{cc}-{digits[:2]}-{digits[2:]}",
            ]
        )
        if rnd.random() < 0.1:
            form += rnd.choice([" x12", " ext. 345", " #9", ";ext=77"])
        if rnd.random() < 0.05:
            form = "p:" + form
        values.append(form)
        regions.append(rnd.choice([region, region, region, None, rnd.choice(NINE)]))
    return values, regions


@pytest.mark.parametrize("region", NINE)
def test_fast_path_equals_library_per_country(region: str) -> None:
    rnd = random.Random(region)
    values, regions = _national_forms(rnd, region, 2500)
    _assert_fast_equals_library(values, regions)


def test_fast_path_equals_library_all_regions() -> None:
    """Every region phonenumbers knows, a few numbers each: shared country codes (+1, +44,
    +7, +590...), leading digits, transformed national prefixes, non-geographic codes."""
    rnd = random.Random(5)
    values: list[str | None] = []
    regions: list[str | None] = []
    for region in sorted(phonenumbers.SUPPORTED_REGIONS):
        v, r = _national_forms(rnd, region, 12)
        values += v
        regions += r
    for cc in (800, 808, 870, 882, 883, 979):
        values += [f"+{cc} 1234 5678", f"+{cc}12345678901"]
        regions += [None, "US"]
    _assert_fast_equals_library([*values, None, "", "x"], [*regions, "US", None, None])


# How the generated partner file writes its countries (the country normalizer's job in
# the pipeline; a fixed map keeps this test about phones).
_COUNTRY = {
    "us": "US",
    "usa": "US",
    "u.s.": "US",
    "u.s.a.": "US",
    "united states": "US",
    "united states of america": "US",
    "america": "US",
    "ca": "CA",
    "can": "CA",
    "canada": "CA",
    "gb": "GB",
    "gbr": "GB",
    "uk": "GB",
    "u.k.": "GB",
    "united kingdom": "GB",
    "great britain": "GB",
    "england": "GB",
    "de": "DE",
    "deu": "DE",
    "germany": "DE",
    "deutschland": "DE",
    "federal republic of germany": "DE",
    "fr": "FR",
    "fra": "FR",
    "france": "FR",
    "république française": "FR",
    "in": "IN",
    "ind": "IN",
    "india": "IN",
    "bharat": "IN",
    "au": "AU",
    "aus": "AU",
    "australia": "AU",
    "commonwealth of australia": "AU",
    "br": "BR",
    "bra": "BR",
    "brazil": "BR",
    "brasil": "BR",
    "jp": "JP",
    "jpn": "JP",
    "japan": "JP",
    "nippon": "JP",
    "日本": "JP",
}


@pytest.fixture(scope="module")
def partner_phones(bench_data: Callable[..., Path]) -> pl.DataFrame:
    out = bench_data(20000, 0)
    partner = pl.read_csv(out / "partner.csv", infer_schema=False, columns=["Phone", "Country"])
    region = (
        partner["Country"]
        .str.strip_chars()
        .str.to_lowercase()
        .replace_strict(_COUNTRY, default=None, return_dtype=pl.String)
    )
    return partner.with_columns(region.alias("region"))


def test_fast_path_equals_library_on_generated_leads(partner_phones: pl.DataFrame) -> None:
    _assert_fast_equals_library(
        partner_phones["Phone"].to_list(), partner_phones["region"].to_list()
    )
    counts = partner_phones["region"].value_counts()
    assert set(NINE) <= set(counts["region"].drop_nulls().to_list())


def test_phone_types_equals_phone_type(partner_phones: pl.DataFrame) -> None:
    clean = standardize_phone(partner_phones["Phone"], partner_phones["region"])
    values = clean.filter(pl.col("phone__code").is_null())["phone"].head(5000)
    assert phone_types(values).to_list() == [
        phone_type(v) if v is not None else None for v in values.to_list()
    ]


# --- the fast path's building blocks --------------------------------------------------------


@pytest.mark.parametrize(
    ("pattern", "lengths"),
    [
        ("[2-9]\\d{9}", {10}),
        ("3\\d{6}|[2-9]\\d{9}", {7, 10}),
        ("1(?:[0-79]\\d{7}(?:\\d(?:\\d{2})?)?|8[0-24-9]\\d{7})", {9, 10, 12}),
        ("(?:1[0-3]|2)\\d{3,4}", {4, 5, 6}),
        ("0?8\\d{2}", {3, 4}),
        ("(183[12])|0", {1, 4}),
        ("\\d{20}", set()),  # longer than any national number
        ("\\d+", None),  # not the kind of pattern phonenumbers writes: not known
        ("[^0]\\d", None),
        ("(?P<x>1)", None),
        ("(12", None),
    ],
)
def test_pattern_lengths(pattern: str, lengths: set[int] | None) -> None:
    assert _lengths(pattern) == (None if lengths is None else frozenset(lengths))


def test_valid_is_having_a_type() -> None:
    """`valid` joins the type patterns into one regular expression, leaving out the length
    tests the patterns make needless: it must say what `kind` says, in every region."""
    rnd = random.Random(7)
    for region in sorted(phonenumbers.SUPPORTED_REGIONS):
        rules = _rules(region)
        assert rules is not None
        seeds = [
            phonenumbers.national_significant_number(ex)
            for t in phonenumbers.PhoneNumberType.values()
            if (ex := phonenumbers.example_number_for_type(region, t)) is not None
        ] or ["1"]
        numbers = [
            seed[: rnd.randrange(len(seed) + 1)]
            + "".join(str(rnd.randrange(10)) for _ in range(rnd.randrange(0, 14)))
            for seed in seeds
            for _ in range(40)
        ]
        nsn = pl.col("nsn")
        out = pl.DataFrame({"nsn": numbers}).select(
            rules.valid(nsn).alias("valid"), rules.kind(nsn).is_not_null().alias("typed")
        )
        assert out["valid"].to_list() == out["typed"].to_list(), region


def test_plain_re() -> None:
    """_PLAIN_RE is _MAIN_FAST_RE without the text ending in "." and zeros (so never a
    spreadsheet number, which FLOAT_RE must read), for every short text of these characters."""
    texts = {"".join(t) for n in range(7) for t in itertools.product("0 1.+(-", repeat=n)}
    for text in sorted(texts):
        plain = bool(re.match(_PLAIN_RE, text))
        assert plain == (bool(re.match(_MAIN_FAST_RE, text)) and not re.search(r"\.0+$", text))
        assert not (plain and re.match(FLOAT_RE, text))
    series = pl.Series(sorted(texts))  # and the Rust engine reads it the same way
    expected = [bool(re.match(_PLAIN_RE, t)) for t in series]
    assert series.str.contains(_PLAIN_RE).to_list() == expected


# --- properties ---------------------------------------------------------------------------

_REGIONS = st.sampled_from([None, "", "us", "GB", "DE", "JP", "BR", "IN", "XX", "001", "zz"])
_PHONEISH = st.lists(
    st.sampled_from(
        [
            *list("0123456789+()-./ x#;,:"),
            "ext",
            "00",
            "+1",
            "+44",
            "(0)",
            "p:",
            "０",
            "５",
            "\u200b",
            "E+",
            ".0",
        ]
    ),
    max_size=20,
).map("".join)


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=40), _REGIONS)
def test_never_raises_and_idempotent(raw: str, region: str | None) -> None:
    value, code = normalize_phone(raw, region)
    if value is not None and code is None:
        for other in (None, "US", "JP"):  # a clean value means the same in every region
            assert normalize_phone(value, other) == (value, None)


@settings(max_examples=500, deadline=None)
@given(_PHONEISH, _REGIONS)
def test_phoneish_never_raises_and_idempotent(raw: str, region: str | None) -> None:
    value, code = normalize_phone(raw, region)
    if value is not None and code is None:
        assert value.startswith("+")
        assert normalize_phone(value, None) == (value, None)
        phone_type(value)


@settings(max_examples=40, deadline=None)
@given(st.lists(st.tuples(st.one_of(st.none(), _PHONEISH), _REGIONS), max_size=30))
def test_column_equals_scalar(pairs: list[tuple[str | None, str | None]]) -> None:
    values = [p[0] for p in pairs]
    regions = [p[1] for p in pairs]
    out = standardize_phone(pl.Series(values, dtype=pl.String), pl.Series(regions, dtype=pl.String))
    expected = [normalize_phone(v, r) if v is not None else (None, None) for v, r in pairs]
    assert out.rows() == [tuple(e) for e in expected]
    _assert_fast_equals_library(values, regions)
