"""The standardize stage's own rules: value maps, derived website, regions for phones."""

from __future__ import annotations

import polars as pl

from leadkit.mapping import ValueMap
from leadkit.standardize import Settings, standardize


def run(settings: Settings, **cols: list[str | None]) -> pl.DataFrame:
    n = len(next(iter(cols.values())))
    frame = pl.DataFrame({"_row": list(range(1, n + 1)), **cols}, schema_overrides={k: pl.String for k in cols})
    return standardize(frame, settings)


def test_website_derived_from_corporate_email_only() -> None:
    out = run(
        Settings(derive_website=True),
        email=["ann@acme.com", "bob@gmail.com", "sam@gmial.com", "x@mailinator.com", "ann@acme.com"],
        website=[None, None, None, None, "https://www.Other.io/x"],
    )
    assert out["website"].to_list() == ["acme.com", None, None, None, "other.io"]


def test_value_map_is_case_insensitive_and_flags_unmapped() -> None:
    vm = ValueMap(map={"Tech": "Technology", "Straße": "Street"}, unmapped="keep")
    out = run(Settings(value_maps={"industry": vm}), industry=["TECH", " tech ", "Straße", "STRASSE", "Retail", None])
    assert out["industry"].to_list() == ["Technology", "Technology", "Street", "STRASSE", "Retail", None]
    assert out["industry__code"].to_list() == [None, None, None, "value_unmapped", "value_unmapped", None]


def test_unmapped_blank_policy_blanks_the_value() -> None:
    vm = ValueMap(map={"Yes": "true"}, unmapped="blank")
    out = run(Settings(value_maps={"opt_in": vm}), opt_in=["yes", "maybe"])
    assert out["opt_in"].to_list() == ["true", None]


def test_phone_region_from_row_country_else_default() -> None:
    out = run(
        Settings(default_country="GB"),
        phone=["020 7946 0958", "(415) 555-0132", "020 7946 0958"],
        country=[None, "United States", "Atlantis"],
    )
    assert out["phone"].to_list() == ["+442079460958", "+14155550132", "+442079460958"]
    assert out["country__code"].to_list() == [None, None, "country_unknown"]
