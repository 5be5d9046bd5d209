"""Invariants of the whole job: nothing is lost, nothing is counted twice."""

from __future__ import annotations

import csv
import json
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from leadkit.mapping import LoadedMapping, load_mapping, parse_mapping
from leadkit.pipeline import Crm, Job, Options, normalize, normalize_file

BENCH = Path(__file__).parent.parent.parent / "shared" / "bench"
HEADERS = ["Email", "First", "Last", "Company", "Phone", "Country"]
MAPPING = LoadedMapping(
    spec=parse_mapping(
        "target: salesforce\ncolumns:\n  email: Email\n  first_name: First\n  last_name: Last\n"
        "  company: Company\n  phone: Phone\n  country: Country\n"
    ),
    name="t",
    path=None,
    sha256="0" * 64,
)

cell = st.one_of(
    st.sampled_from(
        [
            "",
            " ",
            "a@b.co",
            "A@B.CO ",
            "mailto:x@y.de",
            "bad@@x",
            "=1+2",
            "+44 20 7946 0958",
            "N/A",
            "Müller",
            "O'BRIEN",
            "Acme Inc",
            "US",
            "Deutschland",
            "zz",
        ]
    ),
    st.text(
        alphabet=st.characters(codec="utf-8", exclude_characters="\x00"),
        max_size=12,
    ),
)


def _rows_in_outputs(out: Path) -> list[int]:
    rows: list[int] = []
    for path in out.glob("*.csv"):
        rows += pl.read_csv(path, infer_schema=False)["_row"].cast(pl.Int64).to_list()
    return rows


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(st.lists(st.lists(cell, min_size=6, max_size=6), min_size=1, max_size=30))
def test_counts_add_up_and_every_row_lands_once(
    tmp_path_factory: pytest.TempPathFactory, table: list[list[str]]
) -> None:
    tmp = tmp_path_factory.mktemp("prop")
    src = tmp / "leads.csv"
    with src.open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(HEADERS)
        w.writerows(table)
    (result,) = normalize([src], MAPPING, tmp / "out", options=Options(trace=True))
    report = result.report
    assert sum(report["counts"].values()) == report["rows"]
    landed = _rows_in_outputs(tmp / "out")
    assert len(landed) == len(set(landed)) == report["rows"] - report["counts"]["blank"]


def test_generated_partner_file_every_row_accounted_for(
    bench_data: Callable[[int, int], Path], tmp_path: Path
) -> None:
    data = bench_data(2000, 2000)
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "leadkit",
            "normalize",
            str(data / "partner.csv"),
            "-m",
            str(data / "mapping.yaml"),
            "-e",
            str(data / "crm_export.csv"),
            "-o",
            str(tmp_path),
            "--trace",
            "-q",
        ],
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 0, proc.stderr
    score = subprocess.run(
        [
            sys.executable,
            str(BENCH / "score.py"),
            "--truth",
            str(data / "truth.csv"),
            "--out",
            str(tmp_path),
            "--json",
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    res = json.loads(score.stdout)
    assert res["accounting"]["missing"] == 0
    assert res["accounting"]["double_counted"] == 0
    assert res["formula_like_cells"] == 0


# --- the report: one document, written once ---------------------------------------------
ROOT = Path(__file__).parent.parent
ZOOM = ROOT / "examples" / "zoom_webinar_attendees.csv"
CRM = ROOT / "examples" / "crm_export.csv"
REPORT_KEYS = [
    "leadkit_version",
    "input",
    "mapping",
    "rows",
    "counts",
    "issues",
    "reject_reasons",
    "flags",
    "warnings",
    "limits",
    "outputs",
    "timings",
]


def _zoom_job() -> Job:
    return Job(load_mapping(ROOT / "mappings" / "zoom_webinar.yaml"))


@pytest.mark.parametrize(
    ("crm", "keys", "existing"),
    [
        ("none", REPORT_KEYS, None),
        ("loaded", [*REPORT_KEYS, "existing"], {"files": [str(CRM)], "records": 4}),
        ("bare frame", REPORT_KEYS, None),  # matched against, but neither named nor timed
    ],
)
def test_report_json_is_the_result_report(
    tmp_path: Path, crm: str, keys: list[str], existing: dict[str, object] | None
) -> None:
    loaded = Crm.load([CRM])
    given = {"none": None, "loaded": loaded, "bare frame": loaded.records}[crm]
    result = normalize_file(ZOOM, _zoom_job(), tmp_path, crm=given)
    text = result.outputs["report"].read_text(encoding="utf-8")
    assert text == result.document.to_json()
    assert json.loads(text) == result.report
    assert list(result.report) == keys
    assert result.report.get("existing") == existing
    assert ("existing" in result.report["timings"]) == (existing is not None)
    assert result.report["counts"]["updates"] == (0 if crm == "none" else 2)


def test_result_report_is_a_fresh_copy(tmp_path: Path) -> None:
    result = normalize_file(ZOOM, _zoom_job(), tmp_path)
    result.report["counts"]["import"] = -1
    assert result.report["counts"]["import"] >= 0


def test_one_crm_load_serves_every_input(tmp_path: Path) -> None:
    second = tmp_path / "second.csv"
    second.write_bytes(ZOOM.read_bytes())
    results = normalize(
        [ZOOM, second],
        load_mapping(ROOT / "mappings" / "zoom_webinar.yaml"),
        tmp_path / "out",
        existing=[CRM],
    )
    timings = [r.report["timings"]["existing"] for r in results]
    assert timings[0] == timings[1] > 0
    assert [r.report["existing"]["records"] for r in results] == [4, 4]


def test_normalize_takes_a_generator_of_paths(tmp_path: Path) -> None:
    """Issue 13: `normalize(folder.glob("*.csv"), ...)` returned [] (the generator was used up
    by the name check)."""
    folder = tmp_path / "in"
    folder.mkdir()
    for i in range(2):
        rows = [HEADERS, [f"p{i}@example.com", "Ann", "Lee", "Acme", "", "US"]]
        (folder / f"p{i}.csv").write_text("\n".join(",".join(r) for r in rows) + "\n")
    results = normalize(folder.glob("*.csv"), MAPPING, tmp_path / "out")
    assert sorted(r.input.name for r in results) == ["p0.csv", "p1.csv"]
