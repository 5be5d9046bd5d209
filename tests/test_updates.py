"""Safe updates (issue 16): the rules file's update policy against the CRM's current values,
on every target, with a Salesforce report export (labels, footer) as the CRM too."""

from __future__ import annotations

import csv
from datetime import date
from pathlib import Path

import pytest

from leadkit.handoff.rules import load_rules
from leadkit.mapping import load_mapping
from leadkit.pipeline import Options, normalize
from leadkit.targets import load_target

ROOT = Path(__file__).parent.parent
DAY = date(2026, 12, 8)

PARTNER = """\
Email,First,Last,Company,Title,Phone,Source,Opt-in,Comment
ann@acme.com,Ann,Lee,Acme,VP Sales,+1 415 555 0100,Partner,yes,Asked for pricing
"""

# The CRM's current state of Ann's record, per target's export columns: title known, phone
# empty, lead source set, opted out, a description and a status.
CRM = {
    "salesforce": (
        "Id,FirstName,LastName,Email,Company,Title,Phone,LeadSource,HasOptedOutOfEmail,"
        "Description,Status\n"
        "00Q000000000001AAA,Ann,Lee,ann@acme.com,Acme,Head of Sales,,Web,true,Met at a fair,"
        "Working\n"
    ),
    "hubspot": (
        "Record ID,First Name,Last Name,Email,Company Name,Job Title,Phone Number,Lead Source,"
        "Unsubscribed from all email,Notes,Lead Status\n"
        "51,Ann,Lee,ann@acme.com,Acme,Head of Sales,,Web,true,Met at a fair,Working\n"
    ),
    "marketo": (
        "Id,First Name,Last Name,Email Address,Company Name,Job Title,Phone Number,Lead Source,"
        "Unsubscribed,Notes,Lead Status\n"
        "7,Ann,Lee,ann@acme.com,Acme,Head of Sales,,Web,true,Met at a fair,Working\n"
    ),
    "generic": (
        "id,first_name,last_name,email,company,job_title,phone,lead_source,opted_out,notes,"
        "lead_status\n"
        "u-1,Ann,Lee,ann@acme.com,Acme,Head of Sales,,Web,true,Met at a fair,Working\n"
    ),
}

MAPPING = """\
target: {target}
columns:
  email: Email
  first_name: First
  last_name: Last
  company: Company
  job_title: Title
  phone: Phone
  lead_source: Source
  opt_in: Opt-in
  notes: Comment
"""


def _run(tmp_path: Path, target: str, update: str, crm: str | None = None) -> dict[str, str]:
    (tmp_path / "p.csv").write_text(PARTNER)
    (tmp_path / "crm.csv").write_text(crm or CRM[target])
    (tmp_path / "m.yaml").write_text(MAPPING.format(target=target))
    statuses = "statuses: [New, Working, Nurture, Sales Ready]\n"
    qualify = "qualify:\n  - status: Nurture\n"
    (tmp_path / "rules.yaml").write_text(f"{update}\n{statuses}{qualify}")
    normalize(
        [tmp_path / "p.csv"],
        load_mapping(tmp_path / "m.yaml"),
        tmp_path / "out",
        existing=[tmp_path / "crm.csv"],
        rules=load_rules(tmp_path / "rules.yaml"),
        options=Options(today=DAY, cache=None),
    )
    with (tmp_path / "out" / "p.updates.csv").open(newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert len(rows) == 1, rows
    return rows[0]


def _column(target: str, field: str) -> str:
    t = load_target(target)
    if field == "status":
        return t.status_column or "lead_status"
    column = t.column(field)
    assert column is not None
    return column


TARGETS = ["salesforce", "hubspot", "marketo", "generic"]


@pytest.mark.parametrize("target", TARGETS)
def test_default_policy(tmp_path: Path, target: str) -> None:
    """fill_empty for everything, never for lead_source and opt_in."""
    row = _run(tmp_path, target, "update: {}")
    assert row[_column(target, "job_title")] == ""  # the CRM has a title: kept
    assert row[_column(target, "phone")] == "+14155550100"  # the CRM's is empty: filled
    assert row[_column(target, "lead_source")] == ""  # first touch is not a partner's
    assert row[_column(target, "opt_in")] == ""  # consent is not a partner's, and opted out
    assert row["_changed"] == "phone; notes"


@pytest.mark.parametrize("target", TARGETS)
def test_overwrite_and_never(tmp_path: Path, target: str) -> None:
    row = _run(tmp_path, target, "update: {default: overwrite, never: [phone]}")
    assert row[_column(target, "job_title")] == "VP Sales"
    assert row[_column(target, "phone")] == ""
    assert row[_column(target, "lead_source")] == "Partner"  # the list given replaces the default
    # an opted-out record is never opted back in, whatever the policy says
    assert row[_column(target, "opt_in")] == ""
    assert row["_changed"] == "job_title; lead_source; notes"


@pytest.mark.parametrize("target", TARGETS)
def test_notes_are_appended_and_the_status_never_moves_back(tmp_path: Path, target: str) -> None:
    row = _run(tmp_path, target, "update: {}")
    assert row[_column(target, "notes")] == "Met at a fair\n2026-12-08: Asked for pricing"
    # qualify says Nurture; the CRM record is at Working, earlier in the funnel
    # (New, Working, Nurture, Sales Ready): the status moves forward
    assert row[_column(target, "status")] == "Nurture"


def test_status_never_moves_backwards(tmp_path: Path) -> None:
    crm = CRM["generic"].replace(",Working\n", ",Sales Ready\n")
    row = _run(tmp_path, "generic", "update: {}", crm=crm)
    assert row["lead_status"] == "Sales Ready"


def test_a_salesforce_report_export_as_the_crm(tmp_path: Path) -> None:
    """Report labels (Lead ID, Company / Account) and its footer: what the export does not
    hold (a title) is taken as empty, so it is filled."""
    (tmp_path / "p.csv").write_text(
        "Email,First,Last,Company,Title,Phone,Source,Opt-in,Comment\n"
        "priya.raman@northwindlogistics.com,Priya,Raman,Northwind,COO,+1 415 555 0132,"
        "Partner,,\n"
    )
    (tmp_path / "m.yaml").write_text(MAPPING.format(target="salesforce"))
    (tmp_path / "rules.yaml").write_text("update: {}\n")
    normalize(
        [tmp_path / "p.csv"],
        load_mapping(tmp_path / "m.yaml"),
        tmp_path / "out",
        existing=[ROOT / "examples" / "crm_export.csv"],
        rules=load_rules(tmp_path / "rules.yaml"),
        options=Options(today=DAY),
    )
    with (tmp_path / "out" / "p.updates.csv").open(newline="") as fh:
        [row] = list(csv.DictReader(fh))
    assert row["Id"] == "00Q5e00000AbCdEEAZ"
    assert row["Title"] == "COO"  # the report has no title column: empty, filled
    assert row["Phone"] == ""  # the same number: nothing to change
    assert row["FirstName"] == ""  # the record has it
    assert row["LeadSource"] == ""
    assert row["_changed"] == "job_title"


def test_without_a_rules_file_updates_are_as_before(tmp_path: Path) -> None:
    (tmp_path / "p.csv").write_text(PARTNER)
    (tmp_path / "crm.csv").write_text(CRM["salesforce"])
    (tmp_path / "m.yaml").write_text(MAPPING.format(target="salesforce"))
    normalize(
        [tmp_path / "p.csv"],
        load_mapping(tmp_path / "m.yaml"),
        tmp_path / "out",
        existing=[tmp_path / "crm.csv"],
    )
    with (tmp_path / "out" / "p.updates.csv").open(newline="") as fh:
        [row] = list(csv.DictReader(fh))
    assert row["Title"] == "VP Sales"
    assert "_changed" not in row


def test_an_opted_out_crm_record_is_suppressed_when_the_rules_say_so(tmp_path: Path) -> None:
    (tmp_path / "p.csv").write_text(PARTNER)
    (tmp_path / "crm.csv").write_text(CRM["salesforce"])  # HasOptedOutOfEmail = true
    (tmp_path / "m.yaml").write_text(MAPPING.format(target="salesforce"))
    (tmp_path / "rules.yaml").write_text(
        "suppress:\n  - {crm_opted_out: true, reason: crm_optout}\n"
    )
    (result,) = normalize(
        [tmp_path / "p.csv"],
        load_mapping(tmp_path / "m.yaml"),
        tmp_path / "out",
        existing=[tmp_path / "crm.csv"],
        rules=load_rules(tmp_path / "rules.yaml"),
        options=Options(today=DAY, cache=None),
    )
    assert result.report["counts"]["updates"] == 0
    assert result.report["counts"]["suppressed"] == 1
    with (tmp_path / "out" / "p.suppressed.csv").open(newline="") as fh:
        [row] = list(csv.DictReader(fh))
    assert row["_suppressed"] == "crm_optout"
