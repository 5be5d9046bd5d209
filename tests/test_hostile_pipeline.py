"""Issue 13, the pipeline's side of the reader's work (the lead applies this with
hostile-read-pipeline.patch): limits from the mapping, literal source headers in rejects,
`input.dropped` in the report, split rows rejected with `row:<code>`."""

from __future__ import annotations

import csv
import json
from pathlib import Path

from typer.testing import CliRunner

from leadkit.cli import app

runner = CliRunner()


def normalize(tmp_path: Path, content: str, mapping: str) -> tuple[int, str, Path]:
    src = tmp_path / "f.csv"
    src.write_text(content, encoding="utf-8")
    m = tmp_path / "m.yaml"
    m.write_text(mapping, encoding="utf-8")
    out = tmp_path / "out"
    result = runner.invoke(app, ["normalize", str(src), "-m", str(m), "-o", str(out), "-q"])
    return result.exit_code, result.stdout + result.stderr, out


def rows(path: Path) -> list[list[str]]:
    with path.open(newline="", encoding="utf-8") as fh:
        return list(csv.reader(fh))


def test_mapping_limits_reach_the_reader(tmp_path: Path) -> None:
    code, err, _ = normalize(
        tmp_path, "Email,Name\na@x.com,A\n", "columns: {email: Email}\nlimits: {max_columns: 1}\n"
    )
    assert code == 2
    assert "the header has 2 columns, over the limit of 1 (limits.max_columns)" in err


def test_source_headers_named_like_patterns_reach_rejects_literally(tmp_path: Path) -> None:
    code, err, out = normalize(
        tmp_path,
        "Email,*,^E.*$\nnot-an-email,star,regex\n",
        'columns: {email: Email, company: "*"}\n',
    )
    assert code == 1, err  # its one row rejected: above the default reject limit
    assert rows(out / "f.rejects.csv")[0] == ["Email", "*", "^E.*$", "_errors"]


def test_report_counts_dropped_rows(tmp_path: Path) -> None:
    code, err, out = normalize(
        tmp_path,
        "Email,Name\na@x.com,A\nGrand Totals (1 records),\n",
        "columns: {email: Email, first_name: Name}\n",
    )
    assert code == 0, err
    report = json.loads((out / "f.report.json").read_text(encoding="utf-8"))
    assert report["input"]["dropped"] == [2]
    assert report["rows"] == 1


def test_rows_split_from_a_runaway_quote_are_rejected_with_a_code(tmp_path: Path) -> None:
    code, err, out = normalize(
        tmp_path,
        'Email,Name,Company\na@x.com,"Ann,Acme\nb@y.com,Bob,Beta\nc@z.com,Cy,Gamma\nd@w.com,D,E\n',
        "columns: {email: Email, first_name: Name, company: Company}\n",
    )
    assert code == 1, err  # every row rejected: above the default reject limit
    report = json.loads((out / "f.report.json").read_text(encoding="utf-8"))
    # the quote runs to the end of the file: all four leads are kept apart, and marked
    assert report["rows"] == 4
    assert report["reject_reasons"] == {"row:runaway_quote": 4}
