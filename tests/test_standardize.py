"""The standardize stage's own rules: value maps, derived website, regions for phones."""

from __future__ import annotations

import polars as pl

from leadkit.mapping import ValueMap
from leadkit.standardize import Settings, standardize


def run(settings: Settings, **cols: list[str | None]) -> pl.DataFrame:
    n = len(next(iter(cols.values())))
    frame = pl.DataFrame(
        {"_row": list(range(1, n + 1)), **cols}, schema_overrides=dict.fromkeys(cols, pl.String)
    )
    return standardize(frame, settings)


def test_website_derived_from_corporate_email_only() -> None:
    out = run(
        Settings(derive_website=True),
        email=[
            "ann@acme.com",
            "bob@gmail.com",
            "sam@gmial.com",
            "x@mailinator.com",
            "ann@acme.com",
        ],
        website=[None, None, None, None, "https://www.Other.io/x"],
    )
    assert out["website"].to_list() == ["acme.com", None, None, None, "other.io"]


def test_value_map_is_case_insensitive_and_flags_unmapped() -> None:
    vm = ValueMap(map={"Tech": "Technology", "Straße": "Street"}, unmapped="keep")
    out = run(
        Settings(value_maps={"industry": vm}),
        industry=["TECH", " tech ", "Straße", "STRASSE", "Retail", None],
    )
    assert out["industry"].to_list() == [
        "Technology",
        "Technology",
        "Street",
        "STRASSE",
        "Retail",
        None,
    ]
    assert out["industry__code"].to_list() == [
        None,
        None,
        None,
        "value_unmapped",
        "value_unmapped",
        None,
    ]


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


def test_derived_website_fast_path_equals_company_domain(bench_data) -> None:
    from leadkit.normalizers.email import standardize_email
    from leadkit.normalizers.website import company_domain

    data = bench_data(20000, 0)
    raw = pl.read_csv(data / "partner.csv", infer_schema=False)["E-mail"]
    extra = pl.Series(
        [
            "a@www.acme.com",
            "b@müller.de",
            "c@xn--mller-kva.de",
            "d@sub.www2.acme.co.uk",
            "e@[1.2.3.4]",
        ]
    )
    emails = pl.concat([raw, extra])
    out = run(Settings(derive_website=True), email=emails.to_list(), website=[None] * emails.len())
    std = standardize_email(emails)
    skip = (
        std["email_free"].fill_null(False)
        | std["email_disposable"].fill_null(False)
        | std["email_suggestion"].is_not_null()
    )
    expected = [
        None if s or d is None else company_domain(d, False)
        for d, s in zip(std["email_domain"].to_list(), skip.to_list(), strict=True)
    ]
    assert out["website"].to_list() == expected
