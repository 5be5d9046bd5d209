"""examples/ is both the README quickstart and a golden test suite.

Each bundled example is normalized with its mapping (and the CRM export) and every output
must equal the reviewed copy under tests/golden/examples/. After a deliberate change,
regenerate with `LEADKIT_UPDATE_GOLDEN=1 pytest tests/test_examples.py` and review the diff.
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path
from typing import Any

import pytest

from leadkit.mapping import load_mapping
from leadkit.pipeline import Options, normalize

ROOT = Path(__file__).parent.parent
GOLDEN = Path(__file__).parent / "golden" / "examples"
EXAMPLES = {
    "zoom_webinar_attendees.csv": "zoom_webinar.yaml",
    "badge_scan.xlsx": "badge_scan.yaml",
    "eu_partner_leads.csv": "eu_partner.yaml",
}
# What differs from run to run or machine to machine is left out of the comparison.
_VOLATILE = ("timings", "leadkit_version")


def stable_report(path: Path) -> dict[str, Any]:
    """A report without what differs from run to run (also used by the handoff goldens)."""
    report: dict[str, Any] = json.loads(path.read_text())
    for key in _VOLATILE:
        report.pop(key, None)
    report["input"]["path"] = Path(report["input"]["path"]).name
    report["mapping"]["path"] = Path(report["mapping"]["path"]).name
    report.get("existing", {}).pop("files", None)
    return report


@pytest.mark.parametrize("example", sorted(EXAMPLES))
def test_example_matches_golden(example: str, tmp_path: Path) -> None:
    mapping = load_mapping(ROOT / "mappings" / EXAMPLES[example])
    (result,) = normalize(
        [ROOT / "examples" / example],
        mapping,
        tmp_path,
        existing=[ROOT / "examples" / "crm_export.csv"],
        options=Options(trace=True),
    )
    golden = GOLDEN / Path(example).stem
    if os.environ.get("LEADKIT_UPDATE_GOLDEN"):
        shutil.rmtree(golden, ignore_errors=True)
        golden.mkdir(parents=True)
        for path in result.outputs.values():
            if path.suffix == ".json":  # kept without timings, so goldens change only for a reason
                (golden / path.name).write_text(json.dumps(stable_report(path), indent=2) + "\n")
            else:
                shutil.copy(path, golden / path.name)
    expected = sorted(p.name for p in golden.iterdir())
    assert sorted(p.name for p in result.outputs.values()) == expected
    for name in expected:
        if name.endswith(".json"):
            assert stable_report(tmp_path / name) == stable_report(golden / name), name
        else:
            assert (tmp_path / name).read_text() == (golden / name).read_text(), name
