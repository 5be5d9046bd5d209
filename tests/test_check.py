"""`leadkit mapping check`: each problem is caught, located on its line, with a stable code.

The table below is the contract: a mapping and the exact `line:col: code: message` lines
it gives. A bug found in the checker adds a row.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from leadkit.check import (
    CHECK_CODES,
    Problem,
    check_file,
    check_paths,
    check_text,
    mapping_files,
    mapping_schema,
    mapping_schema_text,
)
from leadkit.cli import app
from leadkit.mapping import Mapping

ROOT = Path(__file__).parent.parent
MAPPINGS = ROOT / "mappings"
ZOOM = ROOT / "examples" / "zoom_webinar_attendees.csv"
runner = CliRunner()


def run(*args: str | Path) -> tuple[int, str, str]:
    result = runner.invoke(app, [str(a) for a in args], terminal_width=100)
    return result.exit_code, result.stdout, result.stderr


def lines(text: str) -> list[str]:
    """The problems of a mapping as `line:col: code: message`, the file name left out."""
    return [str(p).removeprefix("m.yaml:") for p in check_text(text, "m.yaml")]


SF = "target: salesforce\n"
SF_OK = SF + "columns:\n  email: Email\n  last_name: Last\n  company: Company\n"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param(SF_OK, [], id="clean"),
        # --- the spec's own errors, through leadkit.mapping.located_errors ---------------
        pytest.param(
            SF_OK + "  emial: E-mail\n",
            ["6:3: unknown-field: columns.emial: unknown field 'emial' - did you mean 'email'?"],
            id="unknown-field",
        ),
        pytest.param(
            SF_OK + "defualt_country: US\n",
            [
                "6:1: unknown-setting: defualt_country: unknown setting 'defualt_country' - did you mean 'default_country'?"
            ],
            id="unknown-setting",
        ),
        pytest.param(
            SF_OK + "invalid:\n  email: drop\n",
            ["7:10: schema: invalid.email: unknown value 'drop' (expected keep, blank, reject)"],
            id="schema",
        ),
        pytest.param(
            "columns: [email\n",
            ["2:1: yaml-syntax: malformed YAML: expected ',' or ']', but got '<stream end>'"],
            id="yaml-syntax",
        ),
        pytest.param(
            "- a\n- b\n",
            ["1:1: not-a-mapping: a mapping is a YAML dictionary with 'columns:' (got list)"],
            id="not-a-mapping",
        ),
        pytest.param(
            "",
            [
                "1:1: not-a-mapping: a mapping is a YAML dictionary with 'columns:' (got an empty file)"
            ],
            id="empty",
        ),
        # --- targets ----------------------------------------------------------------------
        pytest.param(
            "target: salesfroce\ncolumns:\n  email: Email\n",
            [
                "1:9: unknown-target: target: unknown target 'salesfroce' - did you mean 'salesforce'? "
                "(use one of salesforce, hubspot, marketo, generic or a target YAML file)"
            ],
            id="unknown-target",
        ),
        pytest.param(
            "target: crm/pipedrive.yaml\ncolumns:\n  email: Email\n",
            ["1:9: unknown-target: target: target file 'crm/pipedrive.yaml' not found"],
            id="target-file-missing",
        ),
        # --- duplicate assignments --------------------------------------------------------
        pytest.param(
            SF_OK + "  email: Work Email\n",
            [
                "6:3: duplicate-key: columns.email: 'email' is given twice (first on line 3); YAML keeps only this one"
            ],
            id="duplicate-key",
        ),
        pytest.param(
            SF_OK + "  notes: [Comments, ' EMAIL ']\n",
            [
                "6:21: duplicate-source: columns.notes: header ' EMAIL ' is already read by columns.email (line 3)"
            ],
            id="duplicate-source",
        ),
        pytest.param(
            SF_OK + "custom:\n  Email_Copy__c: {column: email}\n",
            [
                "7:27: duplicate-source: custom.Email_Copy__c: header 'email' is already read by columns.email (line 3)"
            ],
            id="duplicate-source-custom",
        ),
        pytest.param(
            SF_OK + "constants:\n  company: ACME\n",
            [
                "7:3: duplicate-field: constants.company: 'company' is mapped under columns and also given a constant; keep one"
            ],
            id="duplicate-field",
        ),
        pytest.param(
            SF_OK + "custom:\n  Email: {value: x}\n",
            [
                "7:3: duplicate-column: custom.Email: 'Email' is salesforce's own column for 'email' "
                "(map it under columns or constants)"
            ],
            id="duplicate-column",
        ),
        pytest.param(
            SF_OK
            + "  industry: Industry\nvalues:\n  industry:\n    map: {Tech: Technology, ' tech': Technology}\n",
            [
                "9:29: duplicate-key: values.industry.map: ' tech' and 'Tech' are the same key "
                "(value maps are matched case-insensitively)"
            ],
            id="duplicate-map-key",
        ),
        # --- picklists and lengths --------------------------------------------------------
        pytest.param(
            SF_OK
            + "  industry: Sector\nvalues:\n  industry:\n    map:\n      Tech: technology\n      Pharma: Pharmaceuticals\n",
            [
                "10:13: picklist-value: values.industry.map.Tech: 'technology' is not a value of salesforce's "
                "Industry picklist - did you mean 'Technology'?",
                "11:15: picklist-value: values.industry.map.Pharma: 'Pharmaceuticals' is not a value of "
                "salesforce's Industry picklist",
            ],
            id="picklist-value",
        ),
        pytest.param(
            SF_OK + "constants:\n  lead_source: Webinars\n",
            [
                "7:16: picklist-value: constants.lead_source: 'Webinars' is not a value of salesforce's "
                "LeadSource picklist - did you mean 'Webinar'?"
            ],
            id="picklist-constant",
        ),
        pytest.param(
            SF_OK + "constants:\n  job_title: " + "x" * 130 + "\n",
            [
                "7:14: too-long-constant: constants.job_title: '"
                + "x" * 130
                + "' is 130 characters; "
                "salesforce Title allows 128"
            ],
            id="too-long-constant",
        ),
        pytest.param(
            SF_OK + "  city: Town\nvalues:\n  city:\n    map: {NYC: " + "New York " * 5 + "}\n",
            [
                "9:16: too-long-value: values.city.map.NYC: '"
                + ("New York " * 5).strip()
                + "' is 44 characters; "
                "salesforce City allows 40"
            ],
            id="too-long-value",
        ),
        # --- required fields --------------------------------------------------------------
        pytest.param(
            SF + "columns:\n  email: Email\n  company: Company\n",
            [
                "2:1: required-unmapped: columns: target salesforce requires 'last_name' (LastName); "
                "map columns.last_name (or columns.full_name) or give constants.last_name"
            ],
            id="required-by-target",
        ),
        pytest.param(
            SF + "columns:\n  full_name: Name\n  company: Company\n",
            [],
            id="full-name-fills-last-name",
        ),
        pytest.param(
            SF + "columns:\n  email: Email\n",
            [
                "2:1: required-unmapped: columns: target salesforce requires 'last_name' (LastName); "
                "map columns.last_name (or columns.full_name) or give constants.last_name",
                "2:1: required-unmapped: columns: target salesforce requires 'company' (Company); "
                "map columns.company or give constants.company",
            ],
            id="neither-last-name-nor-company",
        ),
        pytest.param(
            SF_OK + "required: [email, phone]\n",
            [
                "6:19: required-unmapped: required: 'phone' is required but neither mapped nor a constant"
            ],
            id="required-by-mapping",
        ),
        # --- settings for nothing ---------------------------------------------------------
        pytest.param(
            SF_OK + "  created_at: Registered\nconstants:\n  campaign: Q4\n",
            [
                "6:3: unwritten-field: columns.created_at: target salesforce has no column for 'created_at', "
                "so it is read but never written; keep it as a custom column instead",
                "8:3: unwritten-field: constants.campaign: target salesforce has no column for 'campaign', "
                "so it is read but never written; keep it as a custom column instead",
            ],
            id="unwritten-field",
        ),
        pytest.param(
            SF_OK + "values:\n  industry:\n    map: {a: Other}\ninvalid:\n  phone: blank\n",
            [
                "7:3: unused-setting: values.industry: a value map for 'industry', which the mapping does not fill",
                "10:3: unused-setting: invalid.phone: an invalid-value policy for 'phone', which the mapping does not fill",
            ],
            id="unused-setting",
        ),
        pytest.param(
            SF_OK + "default_country: UK\n",
            [
                "6:18: unknown-country: default_country: 'UK' is not an ISO 3166-1 alpha-2 country code"
            ],
            id="unknown-country",
        ),
    ],
)
def test_problem_is_caught_on_its_line(text: str, expected: list[str]) -> None:
    assert lines(text) == expected


def test_every_problem_at_once_in_file_order() -> None:
    text = (
        "target: salesforce\n"  # 1
        "columns:\n"  # 2  last_name and company missing
        "  email: Email\n"  # 3
        "  emial: E-mail\n"  # 4  unknown field
        "  email: Work Email\n"  # 5  duplicate key
        "  notes: work email\n"  # 6  header already read
        "constants:\n"  # 7
        "  lead_source: Seminar\n"  # 8  not in the picklist
        "defualt_country: US\n"  # 9  unknown setting
    )
    assert [(p.line, p.code) for p in check_text(text, "m.yaml")] == [
        (2, "required-unmapped"),
        (2, "required-unmapped"),
        (4, "unknown-field"),
        (5, "duplicate-key"),
        (6, "duplicate-source"),
        (8, "picklist-value"),
        (9, "unknown-setting"),
    ]


def test_a_custom_target_is_checked_with_its_own_picklists_and_limits(tmp_path: Path) -> None:
    (tmp_path / "crm.yaml").write_text(
        "name: crm\nid_column: ID\nrequired: [email]\nfields:\n  email: {column: Email}\n"
        "  lead_source: {column: Source, max_length: 10, picklist: [Web, Event]}\n"
    )
    mapping = tmp_path / "m.yaml"
    mapping.write_text(
        "target: crm.yaml\ncolumns:\n  email: Email\nconstants:\n  lead_source: Webinar 2026\n"
    )
    assert [str(p) for p in check_file(mapping).problems] == [
        f"{mapping}:5:16: picklist-value: constants.lead_source: 'Webinar 2026' is not a value of crm's "
        "Source picklist",
        f"{mapping}:5:16: too-long-constant: constants.lead_source: 'Webinar 2026' is 12 characters; "
        "crm Source allows 10",
    ]


def test_a_broken_custom_target_is_reported_in_its_own_file(tmp_path: Path) -> None:
    (tmp_path / "crm.yaml").write_text(
        "name: crm\nid_column: ID\nfields:\n  emial: {column: Email}\n"
    )
    mapping = tmp_path / "m.yaml"
    mapping.write_text("target: crm.yaml\ncolumns:\n  email: Email\n")
    assert [str(p) for p in check_file(mapping).problems] == [
        f"{mapping}:1:9: invalid-target: target: the target file crm.yaml has problems",
        f"{tmp_path / 'crm.yaml'}:4:3: invalid-target: fields.emial: unknown field 'emial' - did you mean 'email'?",
    ]


def test_a_custom_target_file_beside_the_mappings_is_checked_as_a_target(tmp_path: Path) -> None:
    target = tmp_path / "crm.yaml"
    target.write_text(
        "name: crm\nid_column: ID\nfields:\n  email: {column: Email, max_lenght: 80}\n"
    )
    assert [str(p) for p in check_file(target).problems] == [
        f"{target}:4:26: unknown-setting: fields.email.max_lenght: unknown setting 'max_lenght' - did you mean 'max_length'?"
    ]


def test_unreadable_file_is_fatal(tmp_path: Path) -> None:
    result = check_file(tmp_path / "nope.yaml")
    assert [str(p) for p in result.problems] == [
        f"{tmp_path / 'nope.yaml'}:1:1: unreadable: no such file"
    ]
    assert result.fatal


def test_directories_give_their_yaml_files(tmp_path: Path) -> None:
    for name in ("b.yaml", "a.yml", "notes.txt", "mapping.schema.json"):
        (tmp_path / name).write_text("columns: {email: Email}\n")
    assert [p.name for p in mapping_files([tmp_path])] == ["a.yml", "b.yaml"]


def test_every_code_has_a_title_and_description() -> None:
    assert all(c.title and c.description for c in CHECK_CODES.values())
    assert all(c == c.lower() and " " not in c for c in CHECK_CODES)


# --- the bundled mappings ---------------------------------------------------------------


def test_every_bundled_mapping_passes() -> None:
    results = check_paths([MAPPINGS])
    assert len(results) >= 10
    assert [str(p) for r in results for p in r.problems] == []


def test_every_profile_points_editors_at_the_schema() -> None:
    for path in sorted(MAPPINGS.glob("*.yaml")):
        if path.name in ("zoom_webinar.yaml", "badge_scan.yaml", "eu_partner.yaml"):
            continue  # written before the schema existed
        assert path.read_text().startswith(
            "# yaml-language-server: $schema=mapping.schema.json\n"
        ), path


# --- the sample file --------------------------------------------------------------------


def test_sample_names_each_missing_header(tmp_path: Path) -> None:
    sample = tmp_path / "webinar.csv"
    sample.write_text(
        "Attendee Report\n"
        "First Name,Last Name,Email,Phone,Organization,Time in Session (minutes)\n"
        "Priya,Raman,priya@northwind.example,+1 415 555 0132,Northwind,60\n"
    )
    mapping = tmp_path / "m.yaml"
    mapping.write_text(
        "target: generic\ncolumns:\n  email: Email\n  company: [Company, Organisation]\n  phone: Phone Number\n"
        "custom:\n  Minutes: {column: Time in Session}\n"
    )
    result = check_file(mapping, sample=sample)
    assert [str(p).removeprefix(f"{mapping}:") for p in result.problems] == [
        "4:12: header-missing: columns.company: no header 'Company' or 'Organisation' in webinar.csv "
        "(header row 2) - did you mean 'Organization'?",
        "5:10: header-missing: columns.phone: no header 'Phone Number' in webinar.csv (header row 2)"
        " - did you mean 'Phone'?",
        "7:21: header-missing: custom.Minutes: no header 'Time in Session' in webinar.csv (header row 2)"
        " - did you mean 'Time in Session (minutes)'?",
    ]
    assert result.dry_run is None


def test_sample_dry_run_gives_the_counts(tmp_path: Path) -> None:
    result = check_file(MAPPINGS / "zoom_webinar.yaml", sample=ZOOM)
    assert result.problems == []
    assert result.dry_run is not None
    counts = result.dry_run.counts
    assert sum(counts.values()) == result.dry_run.rows == 9
    assert counts["rejects"] >= 1
    assert counts["duplicates"] >= 1
    assert not list(tmp_path.iterdir())  # nothing is written beside the inputs


def test_sample_reject_limit(tmp_path: Path) -> None:
    mapping = tmp_path / "m.yaml"
    mapping.write_text(
        "target: salesforce\ncolumns:\n  email: Email\n  last_name: Last Name\n  company: Organization\n"
        "limits:\n  max_reject_rate: 0.01\n"
    )
    problems = check_file(mapping, sample=ZOOM).problems
    assert [(p.line, p.col, p.code) for p in problems] == [(7, 20, "reject-limit")]
    assert "limits.max_reject_rate:" in problems[0].message
    assert "above 1%" in problems[0].message


def test_unreadable_sample_is_fatal(tmp_path: Path) -> None:
    result = check_file(MAPPINGS / "zoom_webinar.yaml", sample=tmp_path / "nope.csv")
    assert [p.code for p in result.problems] == ["unreadable"]
    assert result.fatal


# --- the command ------------------------------------------------------------------------


def test_cli_exit_0_when_clean() -> None:
    code, out, err = run("mapping", "check", MAPPINGS)
    assert (code, out) == (0, "")
    assert "OK" in err


def test_cli_exit_1_and_one_line_per_problem(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text(SF + "columns:\n  email: Email\n  company: Company\n  emial: E\n")
    code, out, err = run("mapping", "check", bad, MAPPINGS / "zoom_webinar.yaml")
    assert code == 1
    assert out.splitlines() == [
        f"{bad}:2:1: required-unmapped: columns: target salesforce requires 'last_name' (LastName); "
        "map columns.last_name (or columns.full_name) or give constants.last_name",
        f"{bad}:5:3: unknown-field: columns.emial: unknown field 'emial' - did you mean 'email'?",
    ]
    assert "2 problem(s) in 1 file(s); 2 mapping file(s) checked" in err


def test_cli_github_annotations(tmp_path: Path) -> None:
    bad = tmp_path / "bad,1.yaml"
    bad.write_text("target: generic\ncolumns:\n  email: Email\n  emial: E\n")
    code, out, _ = run("mapping", "check", "--github", bad)
    assert code == 1
    assert out.splitlines() == [
        f"::error file={str(bad).replace(',', '%2C')},line=4,col=3,title=leadkit unknown-field::"
        "columns.emial: unknown field 'emial' - did you mean 'email'?"
    ]


def test_cli_exit_2_when_a_file_cannot_be_read(tmp_path: Path) -> None:
    code, out, _ = run("mapping", "check", tmp_path / "nope.yaml", MAPPINGS / "zoom_webinar.yaml")
    assert code == 2
    assert out == f"{tmp_path / 'nope.yaml'}:1:1: unreadable: no such file\n"


def test_cli_sample_prints_the_dry_run() -> None:
    code, out, err = run("mapping", "check", MAPPINGS / "zoom_webinar.yaml", "--sample", ZOOM)
    assert (code, out) == (0, "")
    assert "dry run: " in err
    assert "9 rows: " in err
    assert " import" in err


# --- the JSON Schema --------------------------------------------------------------------


def test_schema_is_generated_from_the_model() -> None:
    schema = mapping_schema()
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert schema["title"] == "leadkit mapping"
    assert schema["properties"] == Mapping.model_json_schema()["properties"]
    assert schema["required"] == ["columns"]


def test_checked_in_schema_is_fresh() -> None:
    checked_in = (MAPPINGS / "mapping.schema.json").read_text(encoding="utf-8")
    assert checked_in == mapping_schema_text(), (
        "mappings/mapping.schema.json is stale: regenerate it with "
        "`leadkit mapping schema > mappings/mapping.schema.json`"
    )


def test_every_bundled_mapping_is_valid_by_the_schema() -> None:
    """What editors see: the schema accepts every profile and refuses an unknown field."""
    jsonschema = pytest.importorskip("jsonschema")
    validator = jsonschema.Draft202012Validator(mapping_schema())
    validator.check_schema(mapping_schema())
    for path in sorted(MAPPINGS.glob("*.yaml")):
        assert [e.message for e in validator.iter_errors(yaml.safe_load(path.read_text()))] == [], (
            path
        )
    assert not validator.is_valid({"columns": {"emial": "E-mail"}})


def test_cli_schema_prints_it() -> None:
    code, out, _ = run("mapping", "schema")
    assert code == 0
    assert json.loads(out) == mapping_schema()


def test_problem_str_is_the_line_format() -> None:
    assert (
        str(Problem("m.yaml", 3, 5, "unknown-field", "columns.x: bad"))
        == "m.yaml:3:5: unknown-field: columns.x: bad"
    )


def test_docs_list_every_code() -> None:
    docs = "".join(
        (ROOT / "docs" / page).read_text(encoding="utf-8") for page in ("mappings.md", "handoff.md")
    )
    assert [c for c in CHECK_CODES if f"| `{c}` |" not in docs] == []


def test_pre_commit_hook() -> None:
    [hook] = yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text(encoding="utf-8"))
    assert (hook["id"], hook["entry"], hook["language"]) == (
        "leadkit-mapping-check",
        "leadkit mapping check",
        "python",
    )
    wanted = ["mappings/zoom.yaml", "partner.yml"]
    left_out = [".github/workflows/ci.yml", ".pre-commit-config.yaml", "README.md"]
    chosen = [
        f
        for f in wanted + left_out
        if re.search(hook["files"], f) and not re.search(hook["exclude"], f)
    ]
    assert chosen == wanted


def test_contact_required_false_waives_the_targets_email_requirement() -> None:
    """As validation does: FEBRL-like files (names and addresses, no email) with a generic
    target must not be refused by `normalize` for an email the mapping says it may lack."""
    text = "target: generic\ncontact_required: false\ncolumns: {first_name: given_name}\n"
    assert [p.code for p in check_text(text)] == []
    strict = "target: generic\ncolumns: {first_name: given_name}\n"
    assert [p.code for p in check_text(strict)] == ["required-unmapped"]
