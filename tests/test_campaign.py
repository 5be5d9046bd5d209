"""Campaign members, notes templates, engagement notes, and the mapping's campaign block."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import polars as pl
import pytest

from leadkit.errors import MappingError
from leadkit.handoff.campaign import (
    campaign_members,
    campaign_spec,
    campaign_status,
    engagement_note,
    member_files,
    notes,
    split_by_status,
    status_slug,
)
from leadkit.mapping import CampaignSpec, load_mapping, parse_mapping

ROOT = Path(__file__).resolve().parents[1]

MAPPING = """
target: salesforce
columns: {email: Email, notes: Question}
custom:
  Minutes: {column: Time in Session (minutes)}
  Came: {column: Attended}
campaign:
  id: 7015e00000ABCDE
  status: {column: Attended, map: {Yes: Attended, No: No Show}}
  notes: 'Attended "Scaling RevOps" {Minutes} min; asked: {notes}'
"""

LEADS = pl.DataFrame(
    {
        "email": ["ann@acme.com", "bo@beta.io", "cy@corp.de", "di@d.fr"],
        "notes": ["pricing for\n250 seats", None, "  ", "SSO?"],
        "custom:Minutes": ["62", "--", "5", None],
        "custom:Came": ["Yes", "no", " YES ", "maybe"],
        "Id": ["00Q1", None, "", None],
    }
)


def _spec() -> CampaignSpec:
    spec = campaign_spec(parse_mapping(MAPPING))
    assert spec is not None
    return spec


def test_status_from_a_source_header_through_the_map() -> None:
    spec = _spec()
    # the source header `Attended` resolves to the custom column reading it
    assert getattr(spec.status, "column", None) == "Came"
    assert campaign_status(LEADS, spec).to_list() == ["Attended", "No Show", "Attended", "maybe"]


def test_status_constant_and_default() -> None:
    constant = CampaignSpec(id="1", status="Registered")
    assert campaign_status(LEADS, constant).to_list() == ["Registered"] * 4
    with_default = CampaignSpec.model_validate(
        {"id": "1", "status": {"column": "Came", "map": {"yes": "Attended"}, "default": "Sent"}}
    )
    assert campaign_status(LEADS, with_default).to_list() == [
        "Attended",
        "Sent",
        "Attended",
        "Sent",
    ]


@pytest.mark.parametrize(
    ("template", "expected"),
    [
        (
            'Attended "Scaling RevOps" {Minutes} min; asked: {notes}',
            [
                'Attended "Scaling RevOps" 62 min; asked: pricing for\n250 seats',  # kept break
                None,  # `--` minutes and no question: nothing left
                'Attended "Scaling RevOps" 5 min',  # a blank question drops its clause
                "asked: SSO?",  # no minutes: the first clause and its separator go
            ],
        ),
        (
            "Minutes: {Minutes}\nQuestion: {notes}",
            ["Minutes: 62\nQuestion: pricing for\n250 seats", None, "Minutes: 5", "Question: SSO?"],
        ),
        ("Webinar lead", ["Webinar lead"] * 4),
        ("{{sic}} {Minutes}", ["{sic} 62", None, "{sic} 5", None]),
    ],
)
def test_notes_templates(template: str, expected: list[str | None]) -> None:
    spec = CampaignSpec(id="1", status="Attended", notes=template)
    assert notes(LEADS, spec).to_list() == expected


def test_no_template_no_notes() -> None:
    assert notes(LEADS, CampaignSpec(id="1", status="A")).to_list() == [None] * 4


def test_salesforce_members() -> None:
    members = campaign_members(LEADS, "salesforce", _spec(), "Id")
    assert members.columns == ["CampaignId", "LeadId", "Email", "Status", "Description"]
    assert members.rows() == [
        (
            "7015e00000ABCDE",
            "00Q1",
            "ann@acme.com",
            "Attended",
            'Attended "Scaling RevOps" 62 min; asked: pricing for\n250 seats',
        ),
        ("7015e00000ABCDE", None, "bo@beta.io", "No Show", None),
        ("7015e00000ABCDE", "", "cy@corp.de", "Attended", 'Attended "Scaling RevOps" 5 min'),
        ("7015e00000ABCDE", None, "di@d.fr", "maybe", "asked: SSO?"),
    ]


@pytest.mark.parametrize(
    ("target", "columns", "first"),
    [
        (
            "hubspot",
            ["Campaign", "Record ID", "Email", "Campaign Status", "Notes"],
            ("C1", "00Q1", "ann@acme.com", "Attended", "62 min"),
        ),
        (
            "marketo",
            ["Program", "Email Address", "Program Status", "Notes"],
            ("C1", "ann@acme.com", "Attended", "62 min"),
        ),
        (
            "generic",
            ["campaign_id", "id", "email", "status", "notes"],
            ("C1", "00Q1", "ann@acme.com", "Attended", "62 min"),
        ),
        (
            "my_org.yaml",  # a target file of its own: the generic form
            ["campaign_id", "id", "email", "status", "notes"],
            ("C1", "00Q1", "ann@acme.com", "Attended", "62 min"),
        ),
    ],
)
def test_members_per_target(target: str, columns: list[str], first: tuple[str, ...]) -> None:
    spec = CampaignSpec.model_validate(
        {
            "id": "C1",
            "status": {"column": "Came", "map": {"yes": "Attended"}},
            "notes": "{Minutes} min",
        }
    )
    members = campaign_members(LEADS, target, spec, "Id")
    assert members.columns == columns
    assert members.height == LEADS.height
    assert members.row(0) == first


def test_members_use_precomputed_status_and_note() -> None:
    rows = LEADS.with_columns(
        pl.lit("Registered").alias("_campaign_status"), pl.lit("n").alias("_campaign_note")
    )
    members = campaign_members(rows, "salesforce", _spec(), None)
    assert members["Status"].to_list() == ["Registered"] * 4
    assert members["Description"].to_list() == ["n"] * 4
    assert members["LeadId"].to_list() == [None] * 4


def test_split_by_status_and_member_files() -> None:
    spec = _spec()
    members = campaign_members(LEADS, "salesforce", spec, "Id")
    parts = split_by_status(members, "salesforce")
    assert list(parts) == ["Attended", "No Show", "maybe"]
    assert parts["Attended"]["Email"].to_list() == ["ann@acme.com", "cy@corp.de"]
    assert parts["No Show"].columns == members.columns
    # Salesforce splits only when asked; Marketo and HubSpot always do
    assert member_files(members, "salesforce", spec) == {}
    split = spec.model_copy(update={"split_by_status": True})
    assert list(member_files(members, "salesforce", split)) == ["Attended", "No Show", "maybe"]
    marketo = campaign_members(LEADS, "marketo", spec, None)
    assert list(member_files(marketo, "marketo", spec)) == ["Attended", "No Show", "maybe"]
    assert [status_slug(s) for s in ("No Show", "Attended", None, "!!")] == [
        "no_show",
        "attended",
        "no_status",
        "status",
    ]


def test_engagement_note_appends_with_a_date_stamp() -> None:
    note = pl.Series(
        "Description",
        ['Attended "Scaling RevOps" 62 min; asked: pricing', "Attended 5 min", None, "x"],
    )
    crm = pl.Series(
        [
            "Met at CeBIT 2025.\n",
            None,
            "Keep me",
            "Old\n2026-12-08: x",  # the same file run again: not appended twice
        ]
    )
    out = engagement_note(note, crm, date(2026, 12, 8))
    assert out.name == "Description"
    assert out.to_list() == [
        'Met at CeBIT 2025.\n2026-12-08: Attended "Scaling RevOps" 62 min; asked: pricing',
        "2026-12-08: Attended 5 min",
        "Keep me",
        "Old\n2026-12-08: x",
    ]
    assert (
        engagement_note(note, None, date(2026, 1, 2)).to_list()[1] == "2026-01-02: Attended 5 min"
    )


@pytest.mark.parametrize(
    ("block", "problem"),
    [
        (
            "  status: Registered\n  notes: 'Asked {question}'\n",
            "campaign: value error, notes names 'question', which the mapping neither maps nor "
            "declares in custom",
        ),
        (
            "  status: {column: Atended, map: {a: b}}\n",
            "campaign: value error, status.column 'Atended' is neither a mapped field, a custom "
            "column nor a source header the mapping reads",
        ),
        (
            "  status: Registered\n  notes: '{Minutes:>3}'\n",
            "campaign.notes: value error, notes template: write {Minutes} without a format",
        ),
        (
            "  status: Registered\n  notes: 'a {'\n",
            "campaign.notes: value error, notes template: Single '{' encountered in format "
            "string (write {{ and }} for literal braces)",
        ),
        ("  status: Registered\n  split: true\n", "campaign.split: unknown setting 'split'"),
    ],
)
def test_campaign_block_errors_are_located(block: str, problem: str) -> None:
    text = (
        "columns: {email: Email}\ncustom: {Minutes: {column: Mins}}\n"
        f"campaign:\n  id: C1\n{block}"
    )
    with pytest.raises(MappingError) as e:
        parse_mapping(text, "m.yaml")
    assert any(problem in p and p.startswith("m.yaml:") for p in e.value.problems), e.value.problems


def test_zoom_profile_campaign() -> None:
    mapping = load_mapping(ROOT / "mappings" / "zoom_webinar.yaml").spec
    spec = campaign_spec(mapping)
    assert spec is not None
    assert spec.split_by_status
    leads = pl.DataFrame(
        {
            "email": ["a@x.com", "b@y.com"],
            "custom:Webinar_Attended__c": ["Yes", "No"],
            "custom:Webinar_Minutes__c": ["75", "--"],
        }
    )
    assert campaign_status(leads, spec).to_list() == ["Attended", "No Show"]
    assert notes(leads, spec).to_list() == ["Zoom webinar: 75 min in session", None]
