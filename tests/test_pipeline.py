"""Invariants of the whole job: nothing is lost, nothing is counted twice."""

from __future__ import annotations

import csv
import json
import subprocess
import sys
from pathlib import Path

import polars as pl
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from leadkit.mapping import LoadedMapping, parse_mapping
from leadkit.pipeline import Options, normalize

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
        alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"),
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
def test_counts_add_up_and_every_row_lands_once(tmp_path_factory, table: list[list[str]]) -> None:
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


def test_generated_partner_file_every_row_accounted_for(bench_data, tmp_path: Path) -> None:
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
