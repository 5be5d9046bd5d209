"""The standardize stage's own rules: value maps, derived website, regions for phones."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import polars as pl
import pytest

from leadkit.mapping import CANONICAL_FIELDS, ValueMap
from leadkit.standardize import _READS, NORMALIZERS, Settings, standardize


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


def test_derived_website_fast_path_equals_company_domain(
    bench_data: Callable[..., Path],
) -> None:
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


def test_every_field_but_country_has_one_normalizer() -> None:
    """Country comes first (the others read it); every other field is in the table once."""
    listed = [f for job in NORMALIZERS for f in _READS.get(job, (job,))]
    assert sorted(listed) == sorted(set(CANONICAL_FIELDS) - {"country"})


@pytest.mark.parametrize(
    ("field", "raw", "clean", "code"),
    [
        ("email", " Ann@Acme.COM ", "ann@acme.com", None),
        ("company", "Acme  Inc.", "Acme Inc.", None),
        ("job_title", "  Head of\tSales ", "Head of Sales", None),
        ("opt_in", "yes", "true", None),
        ("phone", "+44 20 7946 0958", "+442079460958", None),
        ("created_at", "28.03.2026", "2026-03-28", None),
        ("created_at", "not a date", "not a date", "date_invalid"),
    ],
)
def test_each_field_goes_through_its_own_normalizer(
    field: str, raw: str, clean: str | None, code: str | None
) -> None:
    column: list[str | None] = [raw]
    out = run(Settings(), **{field: column})
    assert out[field].cast(pl.String).to_list() == [clean]
    if f"{field}__code" in out.columns:
        assert out[f"{field}__code"].to_list() == [code]
