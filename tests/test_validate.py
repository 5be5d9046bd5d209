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


HUBSPOT_LIKE = Rules(required=("email",))
SALESFORCE_LIKE = Rules(required=("last_name", "company"))
BAD_EMAIL = {"email": "a@@b.com", "email__code": "email_invalid"}
GOOD_PHONE = {"phone": "+14155550100"}


@pytest.mark.parametrize(
    ("rules", "cols", "email", "errors"),
    [
        # email optional (Salesforce): blanked on a lead with a valid phone, lead kept
        (SALESFORCE_LIKE, {**BAD_EMAIL, **GOOD_PHONE}, None, None),
        (
            SALESFORCE_LIKE,
            {"email": "a@b", "email__code": "email_no_tld", **GOOD_PHONE},
            None,
            None,
        ),
        # ... and still rejected when nobody could follow up
        (SALESFORCE_LIKE, BAD_EMAIL, "a@@b.com", "email:email_invalid"),
        (
            SALESFORCE_LIKE,
            {**BAD_EMAIL, "phone": "12", "phone__code": "phone_too_short"},
            "a@@b.com",
            "email:email_invalid",
        ),
        # email required (HubSpot, Marketo, generic): rejected, phone or not
        (HUBSPOT_LIKE, {**BAD_EMAIL, **GOOD_PHONE}, "a@@b.com", "email:email_invalid"),
        # the mapping can ask to reject anyway
        (
            Rules(required=("last_name",), policies={"email": "reject"}),
            {**BAD_EMAIL, **GOOD_PHONE},
            "a@@b.com",
            "email:email_invalid",
        ),
    ],
)
def test_invalid_email_follows_the_field_policy(
    rules: Rules, cols: dict[str, str | None], email: str | None, errors: str | None
) -> None:
    out = validate(row(**cols), rules)
    assert (out["email"][0], out["email__code"][0], out[ERRORS][0]) == (
        email,
        cols["email__code"],  # the code stays: counted in the report and the issues file
        errors,
    )


@pytest.mark.parametrize(
    ("cols", "errors"),
    [
        ({"first_name": "<test lead: dummy data for first_name>"}, "first_name:test_lead"),
        # a split full name: the marker is cut and re-cased
        (
            {"first_name": "<Test Lead: Dummy Data For", "last_name": "Full_name>"},
            "first_name:test_lead",
        ),
        ({"email": "test@meta.com"}, "email:test_lead"),
        ({"email": "test@fb.com"}, "email:test_lead"),
        ({"custom:form_answer": "<test lead: dummy data>"}, "form_answer:test_lead"),
        ({"first_name": "Testa", "email": "test@metal.com"}, None),
        ({"first_name": "Test", "last_name": "Lead"}, None),
    ],
)
def test_ad_platform_test_leads_are_rejected(
    cols: dict[str, str | None], errors: str | None
) -> None:
    assert validate(row(**cols), Rules())[ERRORS][0] == errors


def test_values_outside_the_target_picklist_are_coded_and_kept() -> None:
    rules = Rules(picklists={"lead_source": ("Web", "Partner")})
    data = frame(
        email=["a@b.com"] * 4,
        last_name=["Lee"] * 4,
        lead_source=["Web", "web", "LinkedIn", None],
        lead_source__code=[None, None, None, None],
    )
    out = validate(data, rules)
    assert out["lead_source__code"].to_list() == [None, "picklist_value", "picklist_value", None]
    assert out["lead_source"].to_list() == ["Web", "web", "LinkedIn", None]
    assert out[ERRORS].to_list() == [None] * 4
    # a code already there (a value map's) is not overwritten
    mapped = data.with_columns(pl.lit("value_unmapped").alias("lead_source__code"))
    assert validate(mapped, rules)["lead_source__code"].to_list() == ["value_unmapped"] * 4


def test_rules_take_the_targets_picklists() -> None:
    from leadkit.mapping import parse_mapping
    from leadkit.targets import load_target

    rules = Rules.of(parse_mapping("columns:\n  email: Email\n"), load_target("salesforce"))
    assert "Web" in rules.picklists["lead_source"]
    assert "Technology" in rules.picklists["industry"]
