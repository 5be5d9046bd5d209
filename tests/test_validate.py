"""SPEC's default validation, the target's limits, and the mapping's per-field policies."""

from __future__ import annotations

import polars as pl
import pytest

from leadkit.mapping import Policy
from leadkit.validate import ERRORS, Rules, validate

RULES = Rules(required=("last_name", "company"), max_length={"first_name": 40})


def frame(**cols: list[str | None]) -> pl.DataFrame:
    return pl.DataFrame(cols, schema=dict.fromkeys(cols, pl.String))


def row(**cols: str | None) -> pl.DataFrame:
    base: dict[str, str | None] = {
        "email": "a@b.com",
        "email__code": None,
        "first_name": "Ann",
        "first_name__code": None,
        "last_name": "Lee",
        "company": "X",
        "phone": None,
        "phone__code": None,
    }
    base.update(cols)
    return frame(**{k: [v] for k, v in base.items()})


@pytest.mark.parametrize(
    ("cols", "errors"),
    [
        ({}, None),
        ({"email": "a@@b.com", "email__code": "email_invalid"}, "email:email_invalid"),
        ({"email": "a@b", "email__code": "email_no_tld"}, "email:email_no_tld"),
        ({"email": None, "phone": "+14155550100"}, None),
        ({"email": None}, "email:no_contact"),
        ({"email": None, "phone": "N/A", "phone__code": "phone_not_a_number"}, "email:no_contact"),
        (
            {"last_name": None, "company": None},
            "last_name:required_missing; company:required_missing",
        ),
        ({"phone": "12", "phone__code": "phone_too_short"}, None),
        ({"first_name": '=HYPERLINK("http://example.com/a/very/long/path","x")'}, None),
    ],
)
def test_default_rules(cols: dict[str, str | None], errors: str | None) -> None:
    assert validate(row(**cols), RULES)[ERRORS][0] == errors


@pytest.mark.parametrize(
    ("policy", "value", "errors"),
    [("keep", "12", None), ("blank", None, None), ("reject", "12", "phone:phone_too_short")],
)
def test_field_policy(policy: Policy, value: str | None, errors: str | None) -> None:
    rules = Rules(policies={"phone": policy})
    out = validate(row(phone="12", phone__code="phone_too_short"), rules)
    assert (out["phone"][0], out[ERRORS][0]) == (value, errors)


def test_too_long_is_flagged_and_follows_the_policy() -> None:
    long_name = "A" * 41
    kept = validate(row(first_name=long_name), RULES)
    assert (kept["first_name__code"][0], kept[ERRORS][0]) == ("too_long", None)
    strict = Rules(max_length={"first_name": 40}, policies={"first_name": "reject"})
    assert validate(row(first_name=long_name), strict)[ERRORS][0] == "first_name:too_long"


def test_unmapped_value_rejects_only_when_the_map_says_so() -> None:
    data = row(industry="Other", industry__code="value_unmapped")
    assert validate(data, Rules(unmapped={"industry": "keep"}))[ERRORS][0] is None
    assert (
        validate(data, Rules(unmapped={"industry": "reject"}))[ERRORS][0]
        == "industry:value_unmapped"
    )


def test_email_required_targets_say_required_not_no_contact() -> None:
    out = validate(row(email=None), Rules(required=("email",)))
    assert out[ERRORS][0] == "email:required_missing"
