"""Qualification: every condition kind, first-rule-wins, scores, never_backwards."""

from __future__ import annotations

from typing import Any

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from leadkit.handoff.qualify import job_columns, never_backwards, qualify
from leadkit.handoff.rules import Rules, RulesError, parse_rules


def _rules(text: str) -> Rules:
    return parse_rules(text)


def _one(when: str, column: str, values: list[Any]) -> list[str | None]:
    rules = _rules(f"qualify:\n  - status: Hit\n    when: {when}\n")
    return qualify(pl.DataFrame({column: values}), rules)["_status"].to_list()


@pytest.mark.parametrize(
    ("when", "column", "values", "expected"),
    [
        # text: equal, any case, surrounding spaces ignored
        ("{country: us}", "country", ["US", " us ", "CA", None], ["Hit", "Hit", None, None]),
        # a list: any of
        (
            "{country: [US, CA]}",
            "country",
            ["US", "CA", "DE", None],
            ["Hit", "Hit", None, None],
        ),
        # a number: parsed
        ("{custom:n: 5}", "custom:n", ["5", "5.0", "6", "x"], ["Hit", "Hit", None, None]),
        # {min, max}: inclusive, text that is no number never holds
        (
            "{employees: {min: 100, max: 500}}",
            "custom:employees",
            ["100", "500", "99", "501", "many", None],
            ["Hit", "Hit", None, None, None, None],
        ),
        ("{employees: {min: 1000}}", "custom:employees", ["1000", "20"], ["Hit", None]),
        # {matches}: searched, any case
        (
            "{job_title: {matches: 'ops|operations'}}",
            "job_title",
            ["RevOps Lead", "Head of OPERATIONS", "CFO", None],
            ["Hit", "Hit", None, None],
        ),
        # booleans: Boolean columns and words
        ("{email_role: true}", "email_role", [True, False, None], ["Hit", None, None]),
        ("{email_free: false}", "email_free", [True, False, None], [None, "Hit", None]),
        ("{Trial: true}", "custom:Trial", ["Yes", "no", "ja", ""], ["Hit", None, "Hit", None]),
        # a custom column written under its own name (an output frame)
        ("{Tier: gold}", "Tier", ["Gold", "silver"], ["Hit", None]),
        # a field the frame lacks is empty: nothing holds
        ("{industry: Banking}", "country", ["US"], [None]),
    ],
)
def test_condition_kinds(
    when: str, column: str, values: list[Any], expected: list[str | None]
) -> None:
    assert _one(when, column, values) == expected


def test_derived_job_level_and_function_from_title() -> None:
    rules = _rules(
        "qualify:\n"
        "  - status: Exec\n    when: {job_level: [executive, vp]}\n"
        "  - status: Marketer\n    when: {job_function: marketing}\n"
    )
    leads = pl.DataFrame({"job_title": ["CMO", "Marketing Manager", "Consultant", None]})
    assert qualify(leads, rules)["_status"].to_list() == ["Exec", "Marketer", None, None]
    jobs = job_columns(leads)
    assert jobs.columns == ["_job_level", "_job_function"]
    assert jobs.row(0) == ("executive", "marketing")
    assert jobs.row(3) == (None, None)


def test_phone_type_and_campaign_status() -> None:
    rules = _rules(
        "qualify:\n"
        "  - status: Mobile\n    when: {phone_type: mobile}\n"
        "  - status: Came\n    when: {campaign_status: Attended}\n"
    )
    leads = pl.DataFrame(
        {
            "phone": ["+4915123456789", "+493012345678", None],
            "_campaign_status": ["Attended", "Attended", "No Show"],
        }
    )
    assert qualify(leads, rules)["_status"].to_list() == ["Mobile", "Came", None]


RULES = """
statuses: [New, Nurture, Sales Ready, Disqualified]
qualify:
  - status: Disqualified
    when: {email_role: true}
  - name: Big account
    score: 10
    when: {employees: {min: 500}}
  - status: Sales Ready
    score: 5
    when: {job_level: [executive, vp, director], country: [US, CA, GB, DE]}
  - status: Nurture
"""


def test_first_rule_wins_scores_add_up_and_qualify_explains() -> None:
    leads = pl.DataFrame(
        {
            "job_title": ["Director of Marketing", "CEO", "CEO", "Analyst"],
            "country": ["US", "DE", "FR", "US"],
            "email_role": [False, True, False, None],
            "custom:employees": ["1000", "5000", None, "20"],
        }
    )
    out = qualify(leads, _rules(RULES))
    assert out.columns == ["_status", "_qualify", "_score"]
    assert out.rows() == [
        (
            "Sales Ready",
            "Sales Ready +5: job_level=director, country=US; Big account +10: employees=1000",
            15,
        ),
        # the role address is disqualified first; the later rules that hold still score
        (
            "Disqualified",
            "Disqualified: email_role=true; Big account +10: employees=5000; "
            "Sales Ready +5: job_level=executive, country=DE",
            15,
        ),
        ("Nurture", "Nurture", 0),
        ("Nurture", "Nurture", 0),
    ]


def test_no_rules_and_no_scores() -> None:
    leads = pl.DataFrame({"country": ["US"]})
    assert qualify(leads, Rules()).rows() == [(None, None, None)]
    only_status = _rules("qualify:\n  - status: New\n")
    assert qualify(leads, only_status).rows() == [("New", "New", None)]


def test_a_pattern_polars_refuses_is_a_rules_error() -> None:
    rules = _rules("qualify:\n  - status: X\n    when: {job_title: {matches: '(?=ops)'}}\n")
    with pytest.raises(RulesError) as e:
        qualify(pl.DataFrame({"job_title": ["ops"]}), rules)
    assert e.value.problems[0].startswith("qualify.0.when.job_title: the pattern '(?=ops)'")


@pytest.mark.parametrize(
    ("new", "crm", "expected"),
    [
        ("Sales Ready", None, "Sales Ready"),  # a new lead
        ("Sales Ready", "", "Sales Ready"),
        ("Sales Ready", "Nurture", "Sales Ready"),  # forwards
        ("Nurture", "Sales Ready", "Sales Ready"),  # never backwards
        ("nurture", "NURTURE", "nurture"),  # same place, any case
        (None, "Nurture", "Nurture"),  # nothing to change
        ("Nurture", "Working", "Working"),  # a CRM status outside the funnel is kept
        (None, None, None),
    ],
)
def test_never_backwards(new: str | None, crm: str | None, expected: str | None) -> None:
    out = never_backwards(
        pl.Series("s", [new], pl.String),
        pl.Series([crm], dtype=pl.String),
        ["New", "Nurture", "Sales Ready", "Disqualified"],
    )
    assert out.to_list() == [expected]
    assert out.name == "s"


# --- properties --------------------------------------------------------------------------

_WORDS = st.sampled_from(["US", "DE", "ceo", "Analyst", "", None, "42", "yes"])
_CONDITION = st.one_of(
    st.sampled_from(["US", "ceo", "42", "yes"]),
    st.lists(st.sampled_from(["US", "DE", "Analyst"]), min_size=1, max_size=3),
    st.builds(lambda n: {"min": n}, st.integers(0, 100)),
    st.builds(lambda p: {"matches": p}, st.sampled_from(["^a", "e", "[0-9]"])),
    st.booleans(),
)


@settings(max_examples=60, deadline=None)
@given(
    rows=st.lists(st.tuples(_WORDS, _WORDS), min_size=1, max_size=12),
    whens=st.lists(
        st.dictionaries(st.sampled_from(["country", "custom:x"]), _CONDITION, max_size=2),
        max_size=4,
    ),
)
def test_every_row_gets_exactly_one_status_with_a_catch_all(
    rows: list[tuple[str | None, str | None]], whens: list[dict[str, Any]]
) -> None:
    statuses = [f"S{n}" for n in range(len(whens))] + ["Rest"]
    rules = Rules.model_validate(
        {
            "statuses": statuses,
            "qualify": [{"status": s, "when": w} for s, w in zip(statuses, whens, strict=False)]
            + [{"status": "Rest"}],
        }
    )
    leads = pl.DataFrame(rows, schema={"country": pl.String, "custom:x": pl.String}, orient="row")
    out = qualify(leads, rules)
    assert out.height == leads.height
    assert out["_status"].null_count() == 0
    assert set(out["_status"].to_list()) <= set(statuses)
    assert out["_qualify"].null_count() == 0


_FUNNEL = ["New", "Nurture", "MQL", "SQL", "Won"]
_STATUS = st.one_of(st.none(), st.sampled_from(_FUNNEL), st.just("Custom"))


@settings(max_examples=100, deadline=None)
@given(pairs=st.lists(st.tuples(_STATUS, _STATUS), min_size=1, max_size=20))
def test_never_backwards_never_moves_a_status_backwards(
    pairs: list[tuple[str | None, str | None]],
) -> None:
    new = pl.Series("s", [p[0] for p in pairs], pl.String)
    crm = pl.Series("c", [p[1] for p in pairs], pl.String)
    out = never_backwards(new, crm, _FUNNEL).to_list()
    for (n, c), written in zip(pairs, out, strict=True):
        assert written in (n, c)
        if c in _FUNNEL:
            assert written in _FUNNEL
            assert _FUNNEL.index(written) >= _FUNNEL.index(c)
        elif c is not None:
            assert written == c
