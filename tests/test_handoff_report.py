"""What a person sees of the handoff: `rules check --sample` (a dry run), the run summary's
handoff lines, and `leadkit report`'s suppressed, owners and routes per partner."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from leadkit.cli import app
from leadkit.errors import InputError
from leadkit.handoff.check import dry_run
from leadkit.handoff.rules import load_rules
from leadkit.ledger import LedgerEntry, handoff_summary, read_ledger, scorecard
from leadkit.mapping import load_mapping

ROOT = Path(__file__).parent.parent
ZOOM = ROOT / "examples" / "zoom_webinar_attendees.csv"
ZOOM_MAP = ROOT / "mappings" / "zoom_webinar.yaml"
CRM = ROOT / "examples" / "crm_export.csv"


@pytest.fixture
def rules_dir(tmp_path: Path) -> Path:
    shutil.copytree(ROOT / "examples" / "handoff", tmp_path / "rules")
    return tmp_path / "rules"


def run(*args: str | Path) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, [str(a) for a in args], terminal_width=200)
    return result.exit_code, result.stdout, result.stderr


# --- rules check --sample ------------------------------------------------------------------


def test_dry_run_splits_the_sample_and_leaves_the_rotation(rules_dir: Path) -> None:
    state = rules_dir / ".rotation.json"
    found = dry_run(
        load_rules(rules_dir / "rules.yaml"),
        ZOOM,
        load_mapping(ZOOM_MAP),
        existing=[CRM],
        accounts=[rules_dir / "accounts.csv"],
    )
    assert found.rows == 9
    assert found.counts == {
        "import": 2,
        "updates": 2,
        "review": 0,
        "duplicates": 1,
        "rejects": 2,
        "suppressed": 2,
        "blank": 0,
    }
    assert found.suppressed == {"optout": 1, "erasure": 1}
    assert found.statuses == {"Sales Ready": 4}
    assert found.routes == {"existing_owner": 2, "territory": 1, "round_robin": 1}
    assert not state.exists()  # a dry run never moves the rotation


def test_dry_run_starts_the_rotation_where_the_state_is(rules_dir: Path) -> None:
    rules = load_rules(rules_dir / "rules.yaml")
    first = dry_run(rules, ZOOM, load_mapping(ZOOM_MAP), accounts=[rules_dir / "accounts.csv"])
    state = rules_dir / ".rotation.json"
    state.write_text(json.dumps({"position": 1, "inputs": {}}))
    before = state.read_text()
    moved = dry_run(rules, ZOOM, load_mapping(ZOOM_MAP), accounts=[rules_dir / "accounts.csv"])
    assert state.read_text() == before
    assert first.routes == moved.routes
    # the round-robin leads go to the next owner in the pool once the state says so
    assert first.owners != moved.owners


def test_rules_check_sample_cli(rules_dir: Path) -> None:
    code, out, err = run(
        "rules", "check", rules_dir / "rules.yaml", "--sample", ZOOM, "-m", ZOOM_MAP, "-e", CRM
    )
    assert code == 1, err  # the lint's warning about the Webinar lead source stands
    lines = out.splitlines()
    assert lines[0] == f"{ZOOM} with {rules_dir / 'rules.yaml'}: 9 rows"
    assert "  suppressed         2" in lines
    assert "  by suppressed: optout 1, erasure 1" in lines
    assert any(line.startswith("  by route: existing_owner 2") for line in lines)
    assert "never-overwritten-constant" in out


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--sample", ZOOM], "--sample needs the file's mapping: -m MAPPING"),
        (["--sample", ROOT / "nope.csv", "-m", ZOOM_MAP], "nope.csv"),
    ],
)
def test_rules_check_sample_bad_input_is_one_line(
    rules_dir: Path, args: list[Any], message: str
) -> None:
    code, _, err = run("rules", "check", rules_dir / "rules.yaml", *args)
    assert code == 2
    assert len(err.strip().splitlines()) == 1
    assert message in err


def test_no_dry_run_for_rules_that_cannot_run(rules_dir: Path) -> None:
    (rules_dir / "optouts.csv").unlink()
    code, out, _ = run("rules", "check", rules_dir / "rules.yaml", "--sample", ZOOM, "-m", ZOOM_MAP)
    assert code == 1
    assert "missing-file" in out
    assert "rows" not in out


# --- the run summary -----------------------------------------------------------------------


def test_summary_shows_suppressed_and_routes(rules_dir: Path, tmp_path: Path) -> None:
    code, _, err = run(
        "normalize",
        ZOOM,
        "-m",
        ZOOM_MAP,
        "-e",
        CRM,
        "-a",
        rules_dir / "accounts.csv",
        "--rules",
        rules_dir / "rules.yaml",
        "-o",
        tmp_path / "out",
    )
    assert code == 0, err
    assert "  suppressed: optout (1), erasure (1)" in err
    assert "  routes: existing_owner (2), territory (1), round_robin (1)" in err
    assert "  owners: " in err


def test_summary_without_rules_has_no_handoff_lines(tmp_path: Path) -> None:
    code, _, err = run(
        "normalize",
        ROOT / "examples" / "eu_partner_leads.csv",
        "-m",
        ROOT / "mappings" / "eu_partner.yaml",
        "-o",
        tmp_path,
    )
    assert code == 0, err
    assert "suppressed:" not in err
    assert "routes:" not in err


# --- the ledger and the scorecard ----------------------------------------------------------


def _entry(handoff: dict[str, Any] | None, mapping: str = "zoom") -> dict[str, Any]:
    return LedgerEntry(
        "processed",
        "ab" * 32,
        "f.csv",
        mapping=mapping,
        rows=10,
        counts={"import": 6, "suppressed": 2},
        ready="2026-03-02T09:00:00+00:00",
        handoff=handoff_summary(handoff),
    ).to_dict()


def test_ledger_line_keeps_handoff_counts_only() -> None:
    report_block = {
        "suppressed": {"optout": 2},
        "accounts": {"domain": 3},
        "owners": {"rep-a": 4, "rep-b": 2},
        "routes": {"territory": 6},
        "statuses": {"Nurture": 6},
    }
    line = _entry(report_block)
    assert line["handoff"] == {
        "suppressed": {"optout": 2},
        "owners": {"rep-a": 4, "rep-b": 2},
        "routes": {"territory": 6},
        "statuses": {"Nurture": 6},
    }
    assert list(line)[-4:] == ["handoff", "host", "pid", "leadkit_version"]
    assert "handoff" not in _entry(None)  # a run without the handoff writes lines as before
    assert LedgerEntry.from_dict(line).handoff == line["handoff"]


def test_scorecard_sums_handoff_per_partner(tmp_path: Path) -> None:
    entries = [
        _entry({"suppressed": {"optout": 2}, "owners": {"a": 3}, "routes": {"default": 3}}),
        _entry(
            {
                "suppressed": {"optout": 1, "erasure": 1},
                "owners": {"a": 1, "b": 5},
                "routes": {"territory": 6},
                "capture_hours": {"median": 30.0, "rows": 6},
            }
        ),
        _entry(None),  # an older line, or a run without the rules
        _entry({"owners": {"c": 1}}, mapping="eu"),
    ]
    card = scorecard(entries)
    zoom = next(p for p in card["partners"] if p["mapping"] == "zoom")
    assert zoom["handoff"] == {
        "owners": {"b": 5, "a": 4},
        "routes": {"territory": 6, "default": 3},
        "suppressed": {"optout": 3, "erasure": 1},
    }
    assert zoom["median_capture_hours"] == 30.0
    assert card["total"]["handoff"]["owners"] == {"b": 5, "a": 4, "c": 1}
    eu = next(p for p in card["partners"] if p["mapping"] == "eu")
    assert eu["median_capture_hours"] is None

    ledger = tmp_path / "ledger.jsonl"
    ledger.write_text("".join(json.dumps(e) + "\n" for e in entries))
    code, out, err = run("report", ledger)
    assert code == 0, err
    assert "zoom: suppressed: optout (3), erasure (1)" in out
    assert "zoom: routes: territory (6), default (3)" in out
    assert "zoom: owners: b (5), a (4)" in out
    assert "zoom: capture to import: median 30.0h" in out


@pytest.mark.parametrize(
    ("handoff", "message"),
    [
        ("lots", "field 'handoff' is not a table"),
        ({"owners": {"a": "3"}}, "field 'handoff.owners' is not a table of counts"),
        ({"suppressed": [1]}, "field 'handoff.suppressed' is not a table of counts"),
    ],
)
def test_wrongly_typed_handoff_in_ledger(tmp_path: Path, handoff: Any, message: str) -> None:
    line = _entry(None) | {"handoff": handoff}
    ledger = tmp_path / "ledger.jsonl"
    ledger.write_text(json.dumps(line) + "\n")
    with pytest.raises(InputError, match=message):
        read_ledger(ledger)
