"""Honest outcomes (issue 14): a run says which kept issues it found and how to fix them,
exits 1 when it rejects more than its limit of rows, and refuses a mapping with errors."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from leadkit.check import CHECK_CODES, check_file
from leadkit.cli import app
from leadkit.codes import CODES, FIXES
from leadkit.mapping import DEFAULT_MAX_REJECT_RATE

ROOT = Path(__file__).parent.parent
runner = CliRunner()

MAPPING = """\
target: generic
name: outcomes
columns:
  email: Email
  last_name: Last
  phone: Phone
  country: Country
"""

# 4 rows: 3 phones without a country to read them by, 1 unknown country, 1 bad email.
LEADS = """\
Email,Last,Phone,Country
ann@contoso.com,Lee,030 1234567,
bob@contoso.com,Roe,0612345678,Narnia
cy@contoso.com,Fox,+49 30 1234567,Germany
bad@@contoso.com,Ray,040 7654321,
"""


def run(*args: str | Path) -> tuple[int, str, str]:
    result = runner.invoke(app, [str(a) for a in args], terminal_width=200)
    return result.exit_code, result.stdout, result.stderr


def write(tmp_path: Path, mapping: str = MAPPING, leads: str = LEADS) -> tuple[Path, Path]:
    m, f = tmp_path / "m.yaml", tmp_path / "leads.csv"
    m.write_text(mapping)
    f.write_text(leads)
    return m, f


def test_every_issue_code_has_a_fix() -> None:
    issues = {c.code for c in CODES.values() if c.severity == "issue"}
    assert issues <= set(FIXES)
    assert set(FIXES) <= set(CODES)


def test_summary_names_kept_issues_with_their_fix(tmp_path: Path) -> None:
    m, f = write(tmp_path)
    code, _, err = run("normalize", f, "-m", m, "-o", tmp_path / "out")
    assert code == 0, err
    flat = " ".join(err.split())
    # every row's values (the rejected row's phone too), each issue once, with its fix
    assert (
        "3 phone values could not be put in E.164: no country; "
        "set default_country or map a country column"
    ) in flat
    assert "1 country values are not a known country; add a value map under values.country" in flat
    # the bad email rejected its row: a reject reason, not an issue line
    assert "email values" not in flat
    assert "top reject reasons: email:email_invalid (1)" in flat


def test_kept_issue_line_leaves_out_what_the_policy_rejected(tmp_path: Path) -> None:
    m, f = write(tmp_path, MAPPING + "invalid:\n  country: reject\n")
    code, _, err = run("normalize", f, "-m", m, "-o", tmp_path / "out")
    assert code == 0, err
    assert "country values" not in err
    assert "country:country_unknown (1)" in " ".join(err.split())


@pytest.mark.parametrize(
    ("limit", "rejects", "code", "shown"),
    [
        # default limit: half of the rows
        ("", "bad@@x.com,A,1,\nbad2@@x.com,B,1,\nok@contoso.com,C,1,\n", 1, 0.5),
        ("", "bad@@x.com,A,1,\nok@contoso.com,B,1,\n", 0, 0.5),  # 50% is not above 50%
        (
            "limits:\n  max_reject_rate: 0.8\n",
            "bad@@x.com,A,1,\nbad2@@x.com,B,1,\nok@contoso.com,C,1,\n",
            0,
            0.8,
        ),
        ("limits:\n  max_reject_rate: 1\n", "bad@@x.com,A,1,\n", 0, 1.0),  # 1: never
        ("limits:\n  max_reject_rate: 0.25\n", "bad@@x.com,A,1,\nok@contoso.com,B,1,\n", 1, 0.25),
    ],
)
def test_reject_limit_default_and_override(
    tmp_path: Path, limit: str, rejects: str, code: int, shown: float
) -> None:
    m, f = write(tmp_path, MAPPING + limit, "Email,Last,Phone,Country\n" + rejects)
    got, out, err = run("normalize", f, "-m", m, "-o", tmp_path / "out", "--json", "-q")
    assert got == code, err
    report = json.loads(out)
    assert report["limits"]["max_reject_rate"] == shown  # the limit in effect
    assert report["limits"]["exceeded"] is (code == 1)
    if code:
        # one line saying why, even with --quiet
        assert len(err.strip().splitlines()) == 1
        assert "rows rejected" in err
        assert "limits.max_reject_rate" in err
    else:
        assert err == ""


def test_reject_limit_line_in_the_summary(tmp_path: Path) -> None:
    m, f = write(tmp_path, MAPPING, "Email,Last,Phone,Country\nbad@@x.com,A,1,\n")
    code, _, err = run("normalize", f, "-m", m, "-o", tmp_path / "out")
    assert code == 1
    flat = " ".join(err.split())
    assert "1 of 1 rows rejected (100.0%), above the limit of 50% (limits.max_reject_rate)" in flat


def test_default_limit_is_one_half() -> None:
    assert DEFAULT_MAX_REJECT_RATE == 0.5


@pytest.mark.parametrize(
    ("extra", "code", "message"),
    [
        # Salesforce needs Company: nothing fills it
        ("target: salesforce\n", 2, "required-unmapped"),
        # a constant outside the target's picklist
        (
            "target: salesforce\nconstants:\n  company: X\n  lead_source: Billboard\n",
            2,
            "picklist-value",
        ),
        # warnings do not stop a run: a value map for an unmapped field
        ("values:\n  state: {map: {Bavaria: BY}}\n", 0, None),
    ],
)
def test_normalize_refuses_a_mapping_with_errors(
    tmp_path: Path, extra: str, code: int, message: str | None
) -> None:
    mapping = MAPPING.replace("target: generic\n", "") + extra
    if "target:" not in extra:
        mapping = "target: generic\n" + mapping
    m, f = write(tmp_path, mapping)
    problems = check_file(m).problems
    assert problems, "each case is something `mapping check` reports"
    got, _, err = run("normalize", f, "-m", m, "-o", tmp_path / "out", "-q")
    assert got == code, err
    if message:
        assert len(err.strip().splitlines()) == 1
        assert err.startswith("leadkit: ")
        assert f": {message}: " in err
        assert "mapping check" in err
        assert not (tmp_path / "out").exists()
    else:
        assert all(CHECK_CODES[p.code].warning for p in problems)


def test_bundled_and_corpus_mappings_have_no_errors() -> None:
    paths = [
        *(ROOT / "mappings").glob("*.yaml"),
        *(ROOT / "tests" / "real").glob("*/expected.yaml"),
    ]
    assert len(paths) > 20
    errors = {str(p): [str(e) for e in check_file(p).errors] for p in paths}
    assert {p: e for p, e in errors.items() if e} == {}
