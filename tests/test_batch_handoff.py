"""`leadkit run` with `--rules` and `-a/--accounts`: every file of a run gets the sales
handoff `normalize` gives it (suppressed file, owners, statuses, campaign members), the rules
file is read once, and a bad rules file or a missing account export is one line, exit 2."""

from __future__ import annotations

import csv
import json
import pickle
import shutil
from dataclasses import dataclass
from pathlib import Path

import pytest
from typer.testing import CliRunner

from leadkit.batch import PipelineProcessor, run_inbox
from leadkit.cli import app
from leadkit.handoff.rules import load_rules
from leadkit.mapping import load_mapping
from leadkit.pipeline import Options

# Every file runs in real worker processes (spawned, killed, replaced): the `subprocess`
# step of .ci/run, not the everyday run.
pytestmark = pytest.mark.subprocess

ROOT = Path(__file__).parent.parent
RULES = ROOT / "examples" / "handoff"


@pytest.fixture
def setup(tmp_path: Path) -> dict[str, Path]:
    """An inbox with the Zoom example and the EU partner file, a mappings folder routing each
    to its mapping, and a copy of the example rules folder (its rotation state stays here)."""
    inbox, maps, rules = tmp_path / "inbox", tmp_path / "maps", tmp_path / "rules"
    inbox.mkdir()
    maps.mkdir()
    shutil.copytree(RULES, rules)
    shutil.copy(
        ROOT / "examples" / "zoom_webinar_attendees.csv", inbox / "zoom_attendee_report.csv"
    )
    shutil.copy(ROOT / "examples" / "eu_partner_leads.csv", inbox / "eu_partner_leads.csv")
    shutil.copy(ROOT / "mappings" / "zoom_webinar.yaml", maps / "zoom_webinar.yaml")
    shutil.copy(RULES / "eu_partner_event.yaml", maps / "eu_partner_event.yaml")
    with open(maps / "eu_partner_event.yaml", "a") as fh:
        fh.write('match: "eu_partner*.csv"\n')
    return {"inbox": inbox, "maps": maps, "rules": rules, "out": tmp_path / "out"}


def _rows(path: Path) -> list[dict[str, str]]:
    with open(path, newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def _outputs(out: Path, stem: str) -> Path:
    (folder,) = [p for p in out.iterdir() if p.name.startswith(stem + "-")]
    return folder


@pytest.mark.parametrize("workers", [1, 2])
def test_run_gives_every_file_the_handoff(setup: dict[str, Path], workers: int) -> None:
    rules = setup["rules"]
    result = run_inbox(
        setup["inbox"],
        setup["maps"],
        setup["out"],
        existing=[ROOT / "examples" / "crm_export.csv"],
        accounts=[rules / "accounts.csv"],
        rules=load_rules(rules / "rules.yaml"),
        settle_seconds=0,
        workers=workers,
    )
    assert result.exit_code == 0
    zoom = _outputs(setup["out"], "zoom_attendee_report")
    assert (zoom / "zoom_attendee_report.campaign_members.attended.csv").is_file()
    suppressed = _rows(zoom / "zoom_attendee_report.suppressed.csv")
    assert sorted(r["_suppressed"] for r in suppressed) == ["erasure", "optout"]
    report = json.loads((zoom / "zoom_attendee_report.report.json").read_text())
    assert report["counts"]["suppressed"] == 2
    assert report["handoff"]["suppressed"] == {"optout": 1, "erasure": 1}
    for row in _rows(zoom / "zoom_attendee_report.import.csv"):
        assert row["OwnerId"]
        assert row["_route"]
        assert row["Status"]
    eu = _outputs(setup["out"], "eu_partner_leads")
    imported = _rows(eu / "eu_partner_leads.import.csv")
    # HubSpot's owner column takes emails, whatever mapping ran first in the batch
    assert {r["Contact owner"] for r in imported} >= {"jonas.berg@leadkit-demo.com"}
    members = _rows(eu / "eu_partner_leads.campaign_members.csv")
    assert {m["Campaign"] for m in members} == {"EU Partner Q2"}
    # the rotation state is the rules file's, beside it
    assert (rules / ".rotation.json").is_file()


def test_run_owners_equal_normalize_owners(setup: dict[str, Path], tmp_path: Path) -> None:
    """The batch processor's handoff is the one `normalize` prepares: the same owners."""
    from leadkit.pipeline import normalize

    rules = setup["rules"]
    loaded = load_rules(rules / "rules.yaml")
    run_inbox(
        setup["inbox"],
        setup["maps"],
        setup["out"],
        existing=[ROOT / "examples" / "crm_export.csv"],
        accounts=[rules / "accounts.csv"],
        rules=loaded,
        settle_seconds=0,
    )
    direct = tmp_path / "direct"
    (res,) = normalize(
        [setup["out"] / "archive" / "eu_partner_leads.csv"],
        load_mapping(setup["maps"] / "eu_partner_event.yaml"),
        direct,
        existing=[ROOT / "examples" / "crm_export.csv"],
        accounts=[rules / "accounts.csv"],
        rules=loaded,  # the same input again: the rotation gives the same owners
    )
    batch = _outputs(setup["out"], "eu_partner_leads") / "eu_partner_leads.import.csv"
    owners = [(r["Email"], r["Contact owner"], r["_route"]) for r in _rows(batch)]
    assert owners == [
        (r["Email"], r["Contact owner"], r["_route"]) for r in _rows(res.outputs["import"])
    ]


def test_processor_prepares_each_mapping_once_and_pickles(setup: dict[str, Path]) -> None:
    rules = setup["rules"]
    processor = PipelineProcessor(
        accounts=[rules / "accounts.csv"],
        rules=load_rules(rules / "rules.yaml"),
        options=Options(),
    )
    worker = processor.for_worker()
    assert worker.rules == processor.rules
    assert worker.accounts == processor.accounts
    pickle.dumps(worker)  # a worker process gets it
    zoom = load_mapping(setup["maps"] / "zoom_webinar.yaml")
    eu = load_mapping(setup["maps"] / "eu_partner_event.yaml")
    first = processor.handoff(zoom, (str(zoom.path), zoom.sha256))
    again = processor.handoff(zoom, (str(zoom.path), zoom.sha256))
    other = processor.handoff(eu, (str(eu.path), eu.sha256))
    assert first is again
    assert first is not None
    assert other is not None
    # lists, accounts and router are shared; the campaign is each mapping's own
    assert other.lists is first.lists
    assert other.accounts is first.accounts
    assert first.campaign is not None
    assert other.campaign is not None
    assert first.campaign.id != other.campaign.id


def test_processor_without_rules_keeps_the_mapping_campaign(setup: dict[str, Path]) -> None:
    processor = PipelineProcessor(options=Options())
    zoom = load_mapping(setup["maps"] / "zoom_webinar.yaml")
    plain = load_mapping(ROOT / "mappings" / "on24_registrants.yaml")
    made = processor.handoff(zoom, ("z", zoom.sha256))
    assert made is not None
    assert made.campaign is not None
    assert made.lists == ()
    assert processor.handoff(plain, ("p", plain.sha256)) is None


@dataclass
class _Done:
    returncode: int
    stderr: str


def _cli(*args: str | Path) -> _Done:
    result = CliRunner().invoke(app, ["run", *map(str, args)])
    return _Done(result.exit_code, result.stderr)


@pytest.mark.parametrize(
    ("rules_text", "message"),
    [
        ("suppress:\n  - fil: x.csv\n    reason: optout\nroutng: []\n", "did you mean 'file'"),
        ("routing: [existing_owner, {default: q}, account_owner]\n", "routing"),
        ("- just\n- a list\n", "a rules file is a YAML dictionary"),
    ],
)
def test_bad_rules_file_is_one_line_exit_2(
    setup: dict[str, Path], rules_text: str, message: str
) -> None:
    bad = setup["rules"] / "bad.yaml"
    bad.write_text(rules_text)
    done = _cli(setup["inbox"], "-m", setup["maps"], "-o", setup["out"], "--rules", bad)
    assert done.returncode == 2
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1
    assert lines[0].startswith("leadkit: --rules: ")
    assert message in lines[0]
    assert sorted(p.name for p in setup["inbox"].iterdir()) == [
        "eu_partner_leads.csv",
        "zoom_attendee_report.csv",
    ]


def test_missing_rules_file_or_accounts_is_exit_2(setup: dict[str, Path]) -> None:
    base = (setup["inbox"], "-m", setup["maps"], "-o", setup["out"], "--settle", "0")
    done = _cli(*base, "--rules", setup["rules"] / "nope.yaml")
    assert done.returncode == 2
    assert "rules file not found" in done.stderr
    done = _cli(*base, "-a", setup["rules"] / "nope.csv")
    assert done.returncode == 2
    assert "nope.csv: account export not found" in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1


def test_unreadable_list_stops_the_run_and_keeps_the_files(setup: dict[str, Path]) -> None:
    (setup["rules"] / "optouts.csv").unlink()
    done = _cli(
        setup["inbox"],
        "-m",
        setup["maps"],
        "-o",
        setup["out"],
        "--settle",
        "0",
        "--rules",
        setup["rules"] / "rules.yaml",
    )
    assert done.returncode == 2
    assert "optouts.csv" in done.stderr
    assert "Traceback" not in done.stderr
    assert len(list(setup["inbox"].iterdir())) == 2  # nothing processed, nothing lost
