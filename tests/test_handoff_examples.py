"""examples/handoff/ is the starter rules file and a golden test of the sales handoff.

Three bundled examples (the Zoom attendee report for Salesforce, the EU partner file for
HubSpot, the ON24 registrants report for Marketo) are normalized with the CRM export, the
example account export and the example rules file; every output (statuses, owners and
routes, campaign-member files, notes, the suppressed file, the report) must equal the
reviewed copy under tests/golden/handoff/. After a deliberate change, regenerate with
`LEADKIT_UPDATE_GOLDEN=1 pytest tests/test_handoff_examples.py` and review the diff.

The rules folder is copied to a temporary folder first, so the round-robin state file starts
empty for every example (the goldens do not depend on the order tests run in), and the run's
clock is fixed (a lead without a capture time is captured when the run happens).
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from test_examples import stable_report as _stable_report  # one rule for both golden sets

from leadkit.handoff import stage
from leadkit.handoff.rules import load_rules
from leadkit.mapping import load_mapping
from leadkit.pipeline import Options, normalize

ROOT = Path(__file__).parent.parent
RULES = ROOT / "examples" / "handoff"
GOLDEN = Path(__file__).parent / "golden" / "handoff"
# Each example with its mapping: the bundled one, or its copy in examples/handoff/ that adds
# the campaign (the partner file is the same; the campaign is per event).
EXAMPLES = {
    "zoom_webinar_attendees.csv": ROOT / "mappings" / "zoom_webinar.yaml",  # salesforce
    "eu_partner_leads.csv": RULES / "eu_partner_event.yaml",  # hubspot
    "profiles/on24_registrants.csv": RULES / "on24_program.yaml",  # marketo
}
# The people erasures.csv holds (their requests were hashed with `leadkit suppress hash`):
# what identifies them must appear in no byte of any output.
ERASED = {
    "zoom_webinar_attendees.csv": ("alex.smith@woodgrovebank.com", "Woodgrove"),
    "eu_partner_leads.csv": ("pieter.vandenberg@voorbeeld.nl", "van der Berg"),
    "profiles/on24_registrants.csv": ("chloe.martin@coholab.com.au", "Coho Lab"),
}
RUN_TIME = datetime(2026, 12, 8, 9, 30, tzinfo=UTC)


class _FixedClock(datetime):
    @classmethod
    def now(cls, tz: Any = None) -> _FixedClock:
        fixed = RUN_TIME.astimezone(tz) if tz else RUN_TIME
        return cls.fromtimestamp(fixed.timestamp(), fixed.tzinfo)


def _run(example: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, Path]:
    rules_dir = tmp_path / "rules"
    shutil.copytree(RULES, rules_dir)
    monkeypatch.setattr(stage, "datetime", _FixedClock)
    out = tmp_path / "out"
    (result,) = normalize(
        [ROOT / "examples" / example],
        load_mapping(EXAMPLES[example]),
        out,
        existing=[ROOT / "examples" / "crm_export.csv"],
        accounts=[rules_dir / "accounts.csv"],
        rules=load_rules(rules_dir / "rules.yaml"),
        options=Options(trace=True, issues=True),
    )
    return dict(result.outputs)


@pytest.mark.parametrize("example", sorted(EXAMPLES))
def test_handoff_example_matches_golden(
    example: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    outputs = _run(example, tmp_path, monkeypatch)
    golden = GOLDEN / Path(example).stem
    if os.environ.get("LEADKIT_UPDATE_GOLDEN"):
        shutil.rmtree(golden, ignore_errors=True)
        golden.mkdir(parents=True)
        for path in outputs.values():
            if path.suffix == ".json":
                (golden / path.name).write_text(json.dumps(_stable_report(path), indent=2) + "\n")
            else:
                shutil.copy(path, golden / path.name)
    expected = sorted(p.name for p in golden.iterdir())
    assert sorted(p.name for p in outputs.values()) == expected
    for path in outputs.values():
        if path.suffix == ".json":
            assert _stable_report(path) == _stable_report(golden / path.name), path.name
        else:
            assert path.read_text() == (golden / path.name).read_text(), path.name


@pytest.mark.parametrize("example", sorted(EXAMPLES))
def test_every_example_uses_each_part_of_the_rules(
    example: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The starter rules do something on each example: a row suppressed as erasure, owners
    from several steps, a status for every row that reaches sales."""
    outputs = _run(example, tmp_path, monkeypatch)
    report = json.loads(outputs["report"].read_text())
    handoff = report["handoff"]
    assert handoff["suppressed"].get("erasure") == 1
    assert len(handoff["routes"]) >= 2
    sales = sum(report["counts"][k] for k in ("import", "updates", "review"))
    assert sum(handoff["owners"].values()) == sales
    assert sum(handoff["statuses"].values()) == sales
    members = outputs["campaign_members"].read_text().splitlines()
    assert len(members) - 1 == report["counts"]["import"] + report["counts"]["updates"]


@pytest.mark.parametrize("example", sorted(EXAMPLES))
def test_erased_person_is_in_no_output(
    example: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    email, other = ERASED[example]
    listed = (RULES / "erasures.csv").read_text().split()
    assert hashlib.sha256(email.encode()).hexdigest() in listed  # the list holds no clear text
    assert email not in (RULES / "erasures.csv").read_text()
    assert email.encode() in (ROOT / "examples" / example).read_bytes().lower()
    outputs = _run(example, tmp_path, monkeypatch)
    for path in (tmp_path / "out").iterdir():
        data = path.read_bytes().lower()
        for needle in (email, email.split("@")[0], other):
            assert needle.lower().encode() not in data, (path.name, needle)
    assert outputs["suppressed"].read_text().count(",erasure") == 1
