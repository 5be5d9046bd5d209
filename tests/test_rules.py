"""The rules file: its form, short forms, located errors with did-you-mean, paths."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from leadkit.cli import app
from leadkit.handoff.rules import RulesError, load_rules, parse_rules, rules_schema
from leadkit.handoff.suppress import email_sha256

SPEC_EXAMPLE = """\
suppress:
  - file: optouts.csv
    reason: optout
  - file: erasures.csv
    reason: erasure
  - file: competitors.csv
    reason: competitor
  - crm_opted_out: true
routing:
  - existing_owner
  - account_owner
  - territories: territories.csv
  - round_robin: [rep-a, rep-b, rep-c]
  - default: marketing-queue
update:
  default: fill_empty
  never: [lead_source, opt_in]
statuses: [New, Nurture, Sales Ready, Disqualified]
qualify:
  - status: Disqualified
    when: {email_role: true}
  - status: Sales Ready
    when: {job_level: [executive, vp, director], country: [US, CA, GB, DE]}
  - status: Nurture
"""


def test_spec_example_loads() -> None:
    rules = parse_rules(SPEC_EXAMPLE)
    assert [s.kind for s in rules.routing] == [
        "existing_owner",
        "account_owner",
        "territories",
        "round_robin",
        "default",
    ]
    rr = rules.step("round_robin")
    assert rr is not None
    assert rr.round_robin is not None
    assert rr.round_robin.pool == ["rep-a", "rep-b", "rep-c"]
    assert [s.reason for s in rules.suppress] == ["optout", "erasure", "competitor", "optout"]
    assert rules.files() == ["optouts.csv", "erasures.csv", "competitors.csv", "territories.csv"]


@pytest.mark.parametrize(
    ("update", "field", "policy"),
    [
        ("{}", "lead_source", "never"),  # SPEC's default: first touch is not a partner's
        ("{}", "opt_in", "never"),
        ("{}", "job_title", "fill_empty"),
        ("{default: overwrite}", "phone", "overwrite"),
        ("{default: overwrite}", "opt_in", "never"),
        ("{overwrite: [job_title]}", "job_title", "overwrite"),
        ("{never: [phone]}", "lead_source", "fill_empty"),  # a list given replaces the default
        ("{fill_empty: [X__c]}", "X__c", "fill_empty"),
    ],
)
def test_update_policy(update: str, field: str, policy: str) -> None:
    assert parse_rules(f"update: {update}\n").update.policy(field) == policy


def test_empty_file_is_no_rules() -> None:
    rules = parse_rules("")
    assert rules.suppress == []
    assert rules.routing == []


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        (
            "suppress:\n  - file: a.csv\n    reasn: optout\n",
            "r.yaml:3:5: suppress.0.reasn: unknown setting 'reasn' - did you mean 'reason'?",
        ),
        (
            "routing:\n  - existing_ownr\n",
            "r.yaml:2:5: routing.0: value error, unknown routing step 'existing_ownr' - "
            "did you mean 'existing_owner'?",
        ),
        (
            "routing:\n  - territoris: t.csv\n",
            "r.yaml:2:5: routing.0.territoris: unknown setting 'territoris' - "
            "did you mean 'territories'?",
        ),
        (
            "routing:\n  - default: q\n  - existing_owner\n",
            "r.yaml:2:3: routing: value error, 'default' must be the last step",
        ),
        (
            "suppress:\n  - reason: optout\n",
            "r.yaml:2:5: suppress.0: value error, give exactly one of 'file' or 'crm_opted_out'",
        ),
        (
            "suppress:\n  - file: a.csv\n    reason: opt out\n",
            "r.yaml:3:13: suppress.0.reason: string should match pattern",
        ),
        (
            "routing:\n  - round_robin: {pool: [a], caps: {b: 3}}\n",
            "weights/caps name owner(s) not in the pool: b",
        ),
        (
            "update:\n  never: [phone]\n  overwrite: [phone]\n",
            "field 'phone' is under both 'overwrite' and 'never'",
        ),
        (
            "statuses: [New]\nqualify:\n  - status: Hot\n",
            "r.yaml:3:3: qualify: value error, status(es) not listed in 'statuses': Hot",
        ),
        ("qualify:\n  - when: {x: 1}\n", "a rule sets a 'status', adds a 'score', or both"),
        (
            "qualify:\n  - status: A\n    when: {title: {matches: '('}}\n",
            "not a regular expression",
        ),
        ("qualify:\n  - status: A\n    when: {minutes: {}}\n", "r.yaml:3"),
        ("sla:\n  hours: {A: 4}\n  timezone: Mars/Base\n", "unknown time zone 'Mars/Base'"),
        (
            "sla:\n  hours: {A: 4}\n  business_hours: {start: '18:00', end: '09:00'}\n",
            "'start' must be before 'end'",
        ),
        ("- a\n- b\n", "r.yaml:1: a rules file is a YAML dictionary (got list)"),
        ("routing: [\n", "r.yaml:2:1: malformed YAML"),
    ],
)
def test_problems_are_located(text: str, problem: str) -> None:
    with pytest.raises(RulesError) as info:
        parse_rules(text, source="r.yaml")
    assert any(problem in p for p in info.value.problems), info.value.problems


def test_every_problem_at_once() -> None:
    text = "suppress:\n  - file: a.csv\n    reasn: x\nrouting:\n  - territoris: t.csv\n"
    with pytest.raises(RulesError) as info:
        parse_rules(text, source="r.yaml")
    assert len(info.value.problems) == 2


def test_paths_are_relative_to_the_rules_file(tmp_path: Path) -> None:
    folder = tmp_path / "shared"
    folder.mkdir()
    (folder / "rules.yaml").write_text(SPEC_EXAMPLE)
    rules = load_rules(folder / "rules.yaml")
    assert rules.resolve("optouts.csv") == folder / "optouts.csv"
    assert rules.resolve("/abs/list.csv") == Path("/abs/list.csv")
    assert rules.rotation_state == folder / ".rules.yaml.rotation.json"


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda p: p, "rules file not found"),
        (lambda p: (p.mkdir(), p)[1], "is a directory"),
        (lambda p: (p.write_bytes(b"\xff\xfe\x00bad"), p)[1], "not UTF-8"),
    ],
)
def test_unreadable_rules_file(tmp_path: Path, make: object, message: str) -> None:
    path = make(tmp_path / "rules.yaml")  # type: ignore[operator]
    with pytest.raises(RulesError, match=message):
        load_rules(path)


def test_schema_names_every_section() -> None:
    schema = rules_schema()
    assert set(schema["properties"]) >= {
        "suppress",
        "routing",
        "owners",
        "update",
        "statuses",
        "qualify",
        "sla",
    }


# --- leadkit rules check / schema, leadkit suppress hash -----------------------------------

runner = CliRunner()


def run(*args: str | Path) -> tuple[int, str, str]:
    result = runner.invoke(app, [str(a) for a in args], terminal_width=100)
    return result.exit_code, result.stdout, result.stderr


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    (tmp_path / "optouts.csv").write_text("email\nann@x.com\n")
    (tmp_path / "territories.csv").write_text("country,state,owner\nUS,CA,rep-1\nDE,,rep-2\n")
    return tmp_path


@pytest.mark.parametrize(
    ("rules", "code", "lines"),
    [
        ("suppress:\n  - file: optouts.csv\n", 0, []),
        (
            "suppress:\n  - file: gone.csv\n",
            1,
            ["rules.yaml:2:11: missing-file: gone.csv: no such file"],
        ),
        (
            "suppress:\n  - file: territories.csv\n",
            1,
            ["rules.yaml:2:11: bad-list: territories.csv: no header row with 'email'"],
        ),
        (
            "routing:\n  - territories: optouts.csv\n",
            1,
            ["rules.yaml:2:18: bad-list: optouts.csv: no header row with 'country'"],
        ),
        ("routing:\n  - territories: territories.csv\n  - default: q\n", 0, []),
        (
            "routing:\n  - existing_ownr\n",
            1,
            ["rules.yaml:2:5: schema: routing.0: value error, unknown routing step"],
        ),
        ("[1, 2]\n", 1, ["rules.yaml:1:1: not-rules: a rules file is a YAML dictionary"]),
        (
            "update:\n  never: [lead_source]\n  never: [opt_in]\n",
            1,
            ["rules.yaml:3:3: duplicate-key"],
        ),
    ],
)
def test_rules_check(folder: Path, rules: str, code: int, lines: list[str]) -> None:
    (folder / "rules.yaml").write_text(rules)
    exit_code, out, _ = run("rules", "check", folder / "rules.yaml")
    assert exit_code == code, out
    got = [line.replace(str(folder) + "/", "") for line in out.splitlines()]
    assert len(got) == len(lines), got
    for have, want in zip(got, lines, strict=True):
        assert have.startswith(want), got


def test_rules_check_against_a_mapping(folder: Path) -> None:
    (folder / "rules.yaml").write_text("update:\n  overwrite: [job_titel, Partner_Id__c]\n")
    (folder / "m.yaml").write_text(
        "target: salesforce\ncolumns: {email: E, last_name: L, company: C}\n"
        "constants: {lead_source: Webinar}\ncustom: {Partner_Id__c: {column: P}}\n"
    )
    exit_code, out, _ = run("rules", "check", folder / "rules.yaml", "-m", folder / "m.yaml")
    assert exit_code == 1
    assert "unknown-update-field: update.overwrite: 'job_titel'" in out
    assert "Partner_Id__c" not in out  # a custom column of the mapping
    assert "never-overwritten-constant: m sets lead_source to 'Webinar'" in out


def test_rules_check_unreadable_is_exit_2(tmp_path: Path) -> None:
    exit_code, out, _ = run("rules", "check", tmp_path / "none.yaml")
    assert exit_code == 2
    assert "unreadable: no such file" in out


def test_rules_schema_is_json() -> None:
    exit_code, out, _ = run("rules", "schema")
    assert exit_code == 0
    assert json.loads(out)["title"] == "leadkit rules file"


def test_suppress_hash(tmp_path: Path) -> None:
    (tmp_path / "clear.csv").write_text("Email\n  Ann@X.com \nmailto:BOB@y.org\nnot-an-email\n")
    exit_code, _, err = run("suppress", "hash", tmp_path / "clear.csv", "-o", tmp_path / "h.csv")
    assert exit_code == 0
    assert "2 addresses hashed" in err
    assert (tmp_path / "h.csv").read_text().splitlines() == [
        "email_sha256",
        *sorted([email_sha256("ann@x.com"), email_sha256("bob@y.org")]),
    ]
    assert b"ann" not in (tmp_path / "h.csv").read_bytes()


def test_suppress_hash_missing_file_is_one_line(tmp_path: Path) -> None:
    exit_code, _, err = run("suppress", "hash", tmp_path / "none.csv")
    assert exit_code == 2
    assert len(err.strip().splitlines()) == 1
