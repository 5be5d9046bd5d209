from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import polars as pl
import pytest
from hypothesis import given
from hypothesis import strategies as st

from leadkit.normalizers._base import Normalized
from leadkit.normalizers.country import (
    country_name,
    normalize_country,
    normalize_state,
    standardize_country,
    standardize_state,
    state_name,
)

PLACEISH = st.lists(
    st.sampled_from(
        [
            *list("aAeEiInNsSuU.,-'& \xa0ßİıéÖöü日本大한"),
            "USA",
            "U.S.",
            "United",
            "States",
            "of",
            "the ",
            "St. ",
            "Kingdom",
            "CA",
            "NA",
            "n/a",
        ]
    ),
    max_size=10,
).map("".join)
ANY_TEXT = st.one_of(st.text(), PLACEISH)

COUNTRIES = [
    # ISO codes, any case and spacing
    ("US", "US"),
    ("us", "US"),
    ("  US  ", "US"),
    ("DE", "DE"),
    ("deu", "DE"),
    ("GBR", "GB"),
    ("JPN", "JP"),
    # English names
    ("United States", "US"),
    ("UNITED STATES", "US"),
    ("united states", "US"),
    ("Germany", "DE"),
    ("France", "FR"),
    ("India", "IN"),
    ("Japan", "JP"),
    ("Brazil", "BR"),
    ("Australia", "AU"),
    ("Canada", "CA"),
    ("United Kingdom", "GB"),
    # official and formal names
    ("United States of America", "US"),
    ("Federal Republic of Germany", "DE"),
    ("Commonwealth of Australia", "AU"),
    ("Korea, Republic of", "KR"),
    ("United Kingdom of Great Britain and Northern Ireland", "GB"),
    ("République française", "FR"),
    ("Viet Nam", "VN"),
    # aliases
    ("UK", "GB"),
    ("U.K.", "GB"),
    ("USA", "US"),
    ("U.S.", "US"),
    ("U.S.A.", "US"),
    ("u. s. a.", "US"),
    ("America", "US"),
    ("Great Britain", "GB"),
    ("England", "GB"),
    ("Scotland", "GB"),
    ("Wales", "GB"),
    ("Northern Ireland", "GB"),
    ("Holland", "NL"),
    ("The Netherlands", "NL"),
    ("Korea", "KR"),
    ("South Korea", "KR"),
    ("North Korea", "KP"),
    ("Russia", "RU"),
    ("Czechia", "CZ"),
    ("Czech Republic", "CZ"),
    ("Türkiye", "TR"),
    ("Turkey", "TR"),
    ("UAE", "AE"),
    ("Ivory Coast", "CI"),
    ("Côte d'Ivoire", "CI"),
    ("Cote d'Ivoire", "CI"),
    ("Vietnam", "VN"),
    ("Iran", "IR"),
    ("Taiwan", "TW"),
    ("Macedonia", "MK"),
    ("St. Lucia", "LC"),
    ("St Kitts & Nevis", "KN"),
    ("Bharat", "IN"),
    ("Nippon", "JP"),
    ("DR Congo", "CD"),
    # local names
    ("Deutschland", "DE"),
    ("DEUTSCHLAND", "DE"),
    ("Österreich", "AT"),
    ("Osterreich", "AT"),
    ("Oesterreich", "AT"),
    ("Schweiz", "CH"),
    ("Suisse", "CH"),
    ("Svizzera", "CH"),
    ("España", "ES"),
    ("Espana", "ES"),
    ("México", "MX"),
    ("Nederland", "NL"),
    ("Brasil", "BR"),
    ("Italia", "IT"),
    ("Polska", "PL"),
    ("Sverige", "SE"),
    ("Norge", "NO"),
    ("Danmark", "DK"),
    ("Suomi", "FI"),
    ("Allemagne", "DE"),
    ("Royaume-Uni", "GB"),
    ("Estados Unidos", "US"),
    ("日本", "JP"),
    ("中国", "CN"),
    ("대한민국", "KR"),
    ("Россия", "RU"),
    ("भारत", "IN"),
    # close typos, five letters or more
    ("Untied States", "US"),
    ("Germnay", "DE"),
    ("Frnace", "FR"),
    ("Austraila", "AU"),
    ("Brazl", "BR"),
    # comma-inverted (ISO and World Bank lists), abbreviated
    ("Netherlands, The", "NL"),
    ("Congo, Democratic Republic of the", "CD"),
    ("Congo, Dem. Rep.", "CD"),
    ("Man, Isle of", "IM"),
    ("Hong Kong SAR, China", "HK"),
    ("Hong Kong, China", "HK"),
    ("Macao SAR, China", "MO"),
    ("Czech Rep.", "CZ"),
    ("Iran, Islamic Republic of", "IR"),
    # CLDR names (through babel) in the major languages
    ("Hong Kong SAR China", "HK"),
    ("Congo - Kinshasa", "CD"),
    ("Tchéquie", "CZ"),
    ("Tschechien", "CZ"),
    ("Sonderverwaltungsregion Hongkong", "HK"),
    ("Estados Unidos de América", "US"),
    ("Stany Zjednoczone", "US"),
    ("Storbritannien", "GB"),
    ("Verenigde Staten", "US"),
    ("アメリカ合衆国", "US"),
    ("美国", "US"),
    ("미국", "US"),
    ("الولايات المتحدة", "US"),
    ("Соединенные Штаты", "US"),
    ("Alemanha", "DE"),
    ("Germania", "DE"),
    # Arabic: with and without the shadda (a combining mark outside U+0300-036F)
    ("السّعوديّة", "SA"),
    ("السعودية", "SA"),
    ("المملكة العربية السعودية", "SA"),
]

UNKNOWN = [
    "Narnia",
    "Europe",
    "EMEA",
    "Global",
    "South America",
    "n/a",
    "N/A",
    "na",
    "none",
    "Unknown",
    "xx",
    "123",
    "Ger",  # too short for a fuzzy guess
    "Xambia",  # one edit from Zambia and from Gambia: no guess
]


@pytest.mark.parametrize(("raw", "iso2"), COUNTRIES)
def test_normalize_country(raw: str, iso2: str) -> None:
    assert normalize_country(raw) == Normalized(iso2)


@pytest.mark.parametrize("raw", UNKNOWN)
def test_normalize_country_unknown_keeps_the_value(raw: str) -> None:
    assert normalize_country(raw) == Normalized(raw.strip(), "country_unknown")


def test_normalize_country_edge_cases() -> None:
    assert normalize_country("NA") == Normalized("NA")  # upper-case ISO code: Namibia
    assert normalize_country("  ") == Normalized(None)
    assert normalize_country("Nigeria") == Normalized("NG")
    assert normalize_country("Niger") == Normalized("NE")


@given(ANY_TEXT)
def test_normalize_country_never_raises_and_is_idempotent(raw: str) -> None:
    first = normalize_country(raw)
    if first.value is not None:
        assert normalize_country(first.value) == first


@pytest.mark.parametrize(
    ("iso2", "name"),
    [
        ("US", "United States"),
        ("GB", "United Kingdom"),
        ("DE", "Germany"),
        ("KR", "South Korea"),
        ("RU", "Russia"),
        ("TW", "Taiwan"),
        ("us", "United States"),
        ("XX", None),
        ("", None),
    ],
)
def test_country_name(iso2: str, name: str | None) -> None:
    assert country_name(iso2) == name


STATES = [
    # raw, country, value, code
    ("CA", "US", "CA", None),
    ("ca", "US", "CA", None),
    ("California", "US", "CA", None),
    ("CALIFORNIA", "US", "CA", None),
    ("Calif.", "US", "CA", None),
    ("Cal.", "US", "CA", None),
    ("Mass.", "US", "MA", None),
    ("Penn.", "US", "PA", None),
    ("Penna.", "US", "PA", None),
    ("N.Y.", "US", "NY", None),
    ("W. Va.", "US", "WV", None),
    ("D.C.", "US", "DC", None),
    ("District of Columbia", "US", "DC", None),
    ("US-TX", "US", "TX", None),
    ("Puerto Rico", "US", "PR", None),
    ("Narnia", "US", "Narnia", "state_unknown"),
    ("ON", "CA", "ON", None),
    ("Ont.", "CA", "ON", None),
    ("Québec", "CA", "QC", None),
    ("Quebec", "CA", "QC", None),
    ("PQ", "CA", "QC", None),
    ("Colombie-Britannique", "CA", "BC", None),
    ("Nouvelle-Écosse", "CA", "NS", None),
    ("Newfoundland", "CA", "NL", None),
    ("NSW", "AU", "NSW", None),
    ("New South Wales", "AU", "NSW", None),
    ("Qld", "AU", "QLD", None),
    ("Vic", "AU", "VIC", None),
    ("Bayern", "DE", "BY", None),
    ("Bavaria", "DE", "BY", None),
    ("NRW", "DE", "NW", None),
    ("Nordrhein-Westfalen", "DE", "NW", None),
    ("North Rhine-Westphalia", "DE", "NW", None),
    ("Baden-Wuerttemberg", "DE", "BW", None),
    ("Thüringen", "DE", "TH", None),
    ("MH", "IN", "MH", None),
    ("Maharashtra", "IN", "MH", None),
    ("Tamil Nadu", "IN", "TN", None),
    ("TG", "IN", "TS", None),  # Telangana's code before ISO changed it
    ("Orissa", "IN", "OD", None),
    ("NCT of Delhi", "IN", "DL", None),
    ("SP", "BR", "SP", None),
    ("São Paulo", "BR", "SP", None),
    ("Sao Paulo", "BR", "SP", None),
    ("Ceara", "BR", "CE", None),
    ("CDMX", "MX", "CMX", None),
    ("Nuevo León", "MX", "NLE", None),
    # the country may come in any form
    ("Ontario", "Canada", "ON", None),
    ("Bayern", "Deutschland", "BY", None),
    ("CA", "Canada", "CA", "state_unknown"),  # not a Canadian province
    # other countries, or none: trimmed only
    ("  Tokyo ", "JP", "Tokyo", None),
    ("Greater London", "GB", "Greater London", None),
    ("Île-de-France", "FR", "Île-de-France", None),
    ("California", None, "California", None),
    ("Bayern", "Narnia", "Bayern", None),
    ("  ", "US", None, None),
]


@pytest.mark.parametrize(("raw", "country", "value", "code"), STATES)
def test_normalize_state(
    raw: str, country: str | None, value: str | None, code: str | None
) -> None:
    assert normalize_state(raw, country) == Normalized(value, code)


@given(ANY_TEXT, st.sampled_from(["US", "CA", "AU", "DE", "IN", "BR", "MX", "FR", None]))
def test_normalize_state_never_raises_and_is_idempotent(raw: str, country: str | None) -> None:
    first = normalize_state(raw, country)
    if first.value is not None:
        assert normalize_state(first.value, country) == first


def test_state_name() -> None:
    assert state_name("US", "CA") == "California"
    assert state_name("Canada", "qc") == "Quebec"
    assert state_name("DE", "BY") == "Bayern"
    assert state_name("US", "XX") is None
    assert state_name("Narnia", "CA") is None


def test_standardize_country_fast_and_slow_paths_agree() -> None:
    values = ["US", " us", "USA", None, "Deutschland", "Narnia", "  DE  ", "NA", "n/a", "US"]
    out = standardize_country(pl.Series(values))
    assert out.columns == ["country", "country__code"]
    expected = [normalize_country(v) if v is not None else Normalized(None) for v in values]
    assert out.rows() == [tuple(e) for e in expected]


@given(
    st.lists(
        st.one_of(st.none(), ANY_TEXT, st.sampled_from([r for r, _ in COUNTRIES])), max_size=20
    )
)
def test_standardize_country_matches_the_per_value_function(values: list[str | None]) -> None:
    out = standardize_country(pl.Series(values, dtype=pl.String))
    expected = [normalize_country(v) if v is not None else Normalized(None) for v in values]
    assert out.rows() == [tuple(e) for e in expected]


def test_standardize_state() -> None:
    states = pl.Series(["Calif.", "Bayern", " Tokyo ", None, "Narnia", "Ont.", "ON"])
    countries = pl.Series(["US", "DE", "JP", "US", "US", None, "Canada"])
    out = standardize_state(states, countries)
    assert out.columns == ["state", "state__code"]
    assert out.rows() == [
        ("CA", None),
        ("BY", None),
        ("Tokyo", None),
        (None, None),
        ("Narnia", "state_unknown"),
        ("Ont.", None),  # no country: kept as written
        ("ON", None),
    ]


@given(
    st.lists(
        st.tuples(
            st.one_of(st.none(), ANY_TEXT, st.sampled_from([r for r, _, _, _ in STATES])),
            st.sampled_from(["US", "CA", "DE", "FR", "JP", "Canada", "Narnia", "  ", None]),
        ),
        max_size=20,
    )
)
def test_standardize_state_matches_the_per_value_function(
    rows: list[tuple[str | None, str | None]],
) -> None:
    states = pl.Series([r[0] for r in rows], dtype=pl.String)
    countries = pl.Series([r[1] for r in rows], dtype=pl.String)
    out = standardize_state(states, countries)
    expected = [normalize_state(v, c) if v is not None else Normalized(None) for v, c in rows]
    assert out.rows() == [tuple(e) for e in expected]


def _bench_accuracy(directory: object) -> float:
    partner = pl.read_csv(f"{directory}/partner.csv", infer_schema=False)
    truth = pl.read_csv(f"{directory}/truth.csv", infer_schema=False)
    got = standardize_country(partner["Country"])["country"]
    scored = pl.DataFrame({"got": got, "want": truth["country"]}).drop_nulls("want")
    return scored.filter(pl.col("got") == pl.col("want")).height / scored.height


def test_country_accuracy_on_generated_leads(bench_data: Callable[..., Path]) -> None:
    assert _bench_accuracy(bench_data(5_000, 0)) >= 0.995


@pytest.mark.slow
def test_country_accuracy_on_100k_generated_leads(bench_data: Callable[..., Path]) -> None:
    # Measured 100.00% (95,986 of 95,986 rows with a country, seed 1).
    assert _bench_accuracy(bench_data(100_000, 0)) >= 0.995


def test_standardize_country_and_state_match_the_per_value_functions_on_generated_leads(
    bench_data: Callable[..., Path],
) -> None:
    partner = pl.read_csv(bench_data(20000, 0) / "partner.csv", infer_schema=False)
    raw = [*partner["Country"].to_list(), " us ", "US\xa0", "u s", "DE\u200b", "NA", "na", ""]
    countries = standardize_country(pl.Series(raw, dtype=pl.String))
    assert countries.rows() == [
        tuple(normalize_country(v)) if v is not None else (None, None) for v in raw
    ]
    iso = countries.select(pl.when(pl.col("country__code").is_null()).then("country")).to_series()
    states = partner["State/Province"].to_list() + [" CA ", "ca", "Calif.", "\u00a0", "Bayern"] * 2
    contexts = [
        *iso.head(partner.height).to_list(),
        "US",
        "US",
        "us",
        "US",
        "DE",
        None,
        "JP",
        "Canada",
        "Narnia",
        "  ",
    ]
    for ctx in (contexts, [*partner["Country"].to_list(), *contexts[partner.height :]]):
        out = standardize_state(pl.Series(states, dtype=pl.String), pl.Series(ctx, dtype=pl.String))
        assert out.rows() == [
            tuple(normalize_state(v, c)) if v is not None else (None, None)
            for v, c in zip(states, ctx, strict=True)
        ]


# --- state tables kept in the cache folder -----------------------------------------------
def test_state_tables_are_read_back_from_the_cache(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from leadkit.normalizers import country

    monkeypatch.setenv("LEADKIT_CACHE_DIR", str(tmp_path))
    country._state_tables.cache_clear()
    built = country._state_tables()
    assert [p.name.startswith("state-names-") for p in tmp_path.iterdir()] == [True]
    assert built["US"]["newyork"] == "NY"
    assert built["DE"]["bayern"] == "BY"

    def no_build() -> None:
        raise AssertionError("built again: the cache was not read")

    monkeypatch.setattr(country, "_build_state_tables", no_build)
    country._state_tables.cache_clear()
    assert country._state_tables() == built
    country._state_tables.cache_clear()  # the next test builds from its own folder
