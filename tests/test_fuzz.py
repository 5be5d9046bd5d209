"""A standing fuzz suite: generated lead files and mappings through `leadkit normalize`, in
process.

Whatever the file, the command ends with exit 0, 1 or 2 (never 3, never a traceback); when
it writes outputs, they account for every row: the five CSVs' rows plus the blank rows are
the report's `rows`, each CSV's rows are the report's count for it, and for a file written
well-formed (csv.writer, or a workbook) from generated leads, `rows` is the number of leads
written. In CI a bounded number of examples runs; `-m slow` runs `FUZZ_FILES` (≥ 10,000)
files and prints the figures.
"""

from __future__ import annotations

import codecs
import csv
import io
import json
import os
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

import pytest
import xlsxwriter
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from leadkit.cli import app

runner = CliRunner()
OUTCOMES = ("import", "updates", "review", "duplicates", "rejects")
FIELDS = ("email", "first_name", "last_name", "company", "phone", "country")

# --- strategies --------------------------------------------------------------------------------

_ODD_HEADERS = ["*", "^E.*$", "=cmd()", "", " ", "Email", "E-mail", "_row", "_extra", "#", "名前"]
_HEADER = st.one_of(
    st.sampled_from(["Email", "First Name", "Last Name", "Company", "Phone", "Country", "Notes"]),
    st.sampled_from(_ODD_HEADERS),
    st.text(st.characters(exclude_categories=["Cs"]), max_size=12),
)
_EMAIL = st.builds(
    "{}{}@{}.{}".format,
    st.sampled_from(["ann", "bob", "c.d", "Zoë", "x+tag"]),
    st.integers(0, 30),
    st.sampled_from(["example", "acme", "xn--bcher-kva"]),
    st.sampled_from(["com", "co.uk", "de"]),
)
_ODD_CELLS = [
    "-2+3+cmd|' /C calc'!A0",
    '=HYPERLINK("x")',
    "\uff1d1",
    "Total",
    "Grand Total Fitness",
    "Grand Totals (3 records)",
    "Attendee Details",
    "Copyright (c) 2024",
    '"',
    'a "quoted" word',
    "x\ny",
    "x\ry",
    "\t",
    "+1 555 0100",
    "0",
    "1e9",
    "2024-03-15",
]
_CELL = st.one_of(
    _EMAIL,
    st.sampled_from(_ODD_CELLS),
    st.text(st.characters(exclude_categories=["Cs"], exclude_characters="\x00"), max_size=15),
    st.none(),
)
# Cells of a well-formed lead file: no footer or section words, no line breaks.
_PLAIN = st.text(st.sampled_from("abcxyzABCXYZ éüß0123456789.-'"), max_size=12)


@dataclass
class Case:
    name: str  # file name
    data: bytes
    mapping: str
    leads: int | None  # rows written, when the file is well-formed; else None

    def __repr__(self) -> str:
        head = self.data if self.name.endswith("v") or self.name.endswith("t") else b"(workbook)"
        return f"Case({self.name}, {len(self.data)} bytes, {head[:300]!r}, {self.mapping!r}, leads={self.leads})"


@st.composite
def mappings(draw: st.DrawFn, headers: list[str]) -> str:
    named = [h for h in headers if h.strip()] or ["Email"]
    fields = draw(st.lists(st.sampled_from(FIELDS), min_size=1, max_size=4, unique=True))
    lines = ["target: " + draw(st.sampled_from(["generic", "salesforce", "hubspot"])), "columns:"]
    lines += [f"  {f}: {json.dumps(draw(st.sampled_from(named)))}" for f in fields]
    if draw(st.booleans()):
        lines += ["custom:", f"  Extra_{draw(st.integers(0, 9))}:"]
        lines += [f"    column: {json.dumps(draw(st.sampled_from(named)))}"]
    if draw(st.booleans()):
        lines += ["default_country: US"]
    if draw(st.integers(0, 9)) == 0:
        lines += ["input:", f"  header_row: {draw(st.integers(1, 4))}"]
    return "\n".join(lines) + "\n"


@st.composite
def csv_cases(draw: st.DrawFn) -> Case:
    well_formed = draw(st.booleans())
    delimiter = draw(st.sampled_from([",", ";", "\t", "|"]))
    if well_formed:
        headers = [
            "Email",
            *draw(
                st.lists(
                    st.sampled_from(["First Name", "Company", "Phone"]), max_size=3, unique=True
                )
            ),
        ]
        rows = draw(
            st.lists(
                st.tuples(
                    _EMAIL, st.lists(_PLAIN, min_size=len(headers) - 1, max_size=len(headers) - 1)
                ),
                max_size=12,
            )
        )
        records = [headers] + [[e, *rest] for e, rest in rows]
        out = io.StringIO()
        csv.writer(
            out, delimiter=delimiter, lineterminator=draw(st.sampled_from(["\n", "\r\n"]))
        ).writerows(records)
        text = out.getvalue()
        leads: int | None = len(rows)
    else:
        headers = draw(st.lists(_HEADER, min_size=1, max_size=6))
        rows_raw = draw(st.lists(st.lists(_CELL, max_size=8), max_size=12))
        ends = draw(st.lists(st.sampled_from(["\n", "\r\n", "\r", "\n\n"]), min_size=1, max_size=3))
        quoted = draw(st.booleans())
        lines = []
        raw_rows: list[list[str | None]] = [list(headers), *rows_raw]
        for i, cells in enumerate(raw_rows):
            texts = ["" if c is None else c for c in cells]
            if quoted:
                buf = io.StringIO()
                csv.writer(buf, delimiter=delimiter, lineterminator="").writerow(texts)
                line = buf.getvalue()
            else:
                line = delimiter.join(texts)
            lines.append(line + ends[i % len(ends)])
        text = "".join(lines)
        leads = None
    encoding = draw(st.sampled_from(["utf-8", "utf-8-sig", "utf-16", "cp1252", "latin-1"]))
    data = text.encode(encoding, errors="replace")
    if not well_formed and draw(st.integers(0, 9)) == 0:
        at = draw(st.integers(0, len(data)))
        data = data[:at] + draw(st.sampled_from([b"\x00", b"\xff\xfe", b"\x81", b'"'])) + data[at:]
    ext = draw(st.sampled_from([".csv", ".txt", ".tsv"]))
    return Case("f" + ext, data, draw(mappings(headers)), leads)


@st.composite
def xlsx_cases(draw: st.DrawFn) -> Case:
    buf = io.BytesIO()
    book = xlsxwriter.Workbook(buf, {"in_memory": True})
    headers = [
        "Email",
        *draw(
            st.lists(
                st.sampled_from(["First Name", "Company", "Phone", "Created"]),
                max_size=3,
                unique=True,
            )
        ),
    ]
    leads = 0
    sheets = draw(st.integers(1, 3))
    lead_sheet = draw(st.integers(0, sheets - 1))
    names = draw(
        st.lists(
            st.text(st.sampled_from("abcXYZ 1_'"), min_size=1, max_size=10)
            .map(str.strip)
            .filter(bool)
            .filter(lambda s: not s.startswith("'") and not s.endswith("'")),
            min_size=sheets,
            max_size=sheets,
            unique_by=str.casefold,
        )
    )
    for s in range(sheets):
        ws = book.add_worksheet(names[s])
        if s != lead_sheet:
            cells = draw(
                st.lists(st.tuples(st.integers(0, 50), st.integers(0, 10), _PLAIN), max_size=6)
            )
            for r, c, v in cells:
                ws.write_string(r, c, v)
            continue
        top = draw(st.integers(0, 3))
        left = draw(st.integers(0, 2))
        for c, h in enumerate(headers):
            ws.write_string(top, left + c, h)
        rows = draw(
            st.lists(
                st.tuples(
                    _EMAIL,
                    st.lists(
                        st.one_of(
                            _PLAIN,
                            st.integers(-(10**6), 10**6),
                            st.floats(allow_nan=False, allow_infinity=False, width=32),
                        ),
                        min_size=len(headers) - 1,
                        max_size=len(headers) - 1,
                    ),
                ),
                max_size=10,
            )
        )
        for i, (email, rest) in enumerate(rows):
            ws.write_string(top + 1 + i, left, email)
            for c, value in enumerate(rest):
                if isinstance(value, str):
                    ws.write_string(top + 1 + i, left + 1 + c, value)
                else:
                    ws.write_number(top + 1 + i, left + 1 + c, value)
        leads = len(rows)
        if draw(st.booleans()):  # a far cell: the sheet's spread grows (and it is a row)
            ws.write_string(draw(st.integers(100, 5000)), draw(st.integers(20, 300)), "x")
            leads = -1
    book.close()
    return Case("f.xlsx", buf.getvalue(), draw(mappings(headers)), leads if leads >= 0 else None)


# --- the property --------------------------------------------------------------------------------


@dataclass
class Outcome:
    code: int
    accounting: str | None  # what does not add up, if anything


def _rows(path: Path) -> int:
    with path.open(newline="", encoding="utf-8-sig") as fh:
        return max(0, sum(1 for _ in csv.reader(fh)) - 1)


def run_case(case: Case, tmp: Path) -> Outcome:
    src = tmp / case.name
    src.write_bytes(case.data)
    mapping = tmp / "m.yaml"
    mapping.write_text(case.mapping, encoding="utf-8")
    out = tmp / "out"
    result = runner.invoke(app, ["normalize", str(src), "-m", str(mapping), "-o", str(out), "-q"])
    text = (result.stdout or "") + (result.stderr or "")
    if result.exit_code not in (0, 1, 2) or "Traceback" in text or "internal error" in text:
        return Outcome(result.exit_code, f"crash: {text.strip()[:300]!r}")
    if result.exit_code == 2:
        if len(text.strip().splitlines()) != 1:
            return Outcome(2, f"not one line: {text!r}")
        return Outcome(2, None)
    report = json.loads((out / "f.report.json").read_text(encoding="utf-8"))
    counts = report["counts"]
    written = {k: _rows(out / f"f.{k}.csv") for k in OUTCOMES}
    problems = [
        f"{k}: {written[k]} rows, report {counts[k]}" for k in OUTCOMES if written[k] != counts[k]
    ]
    if sum(written.values()) + counts["blank"] != report["rows"]:
        problems.append(f"{written} + blank {counts['blank']} != rows {report['rows']}")
    if case.leads is not None and report["rows"] != case.leads:
        problems.append(f"rows {report['rows']} != leads written {case.leads}")
    return Outcome(result.exit_code, "; ".join(problems) or None)


CASES = st.one_of(csv_cases(), xlsx_cases())


@given(CASES)
@settings(max_examples=60, suppress_health_check=list(HealthCheck))
def test_fuzz_normalize(case: Case) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        outcome = run_case(case, Path(tmp))
    assert outcome.accounting is None, (case, outcome)


@pytest.mark.slow
def test_fuzz_normalize_many(tmp_path: Path) -> None:
    """≥ 10,000 files; every failure is collected (not stopped at), then the figures printed."""
    total = int(os.environ.get("FUZZ_FILES", "10000"))
    figures = {"files": 0, "exit0": 0, "exit1": 0, "exit2": 0, "crashes": 0, "accounting": 0}
    failures: list[str] = []

    @given(CASES)
    @settings(max_examples=total, suppress_health_check=list(HealthCheck), database=None)
    def one(case: Case) -> None:
        work = Path(tempfile.mkdtemp(dir=tmp_path))
        try:
            outcome = run_case(case, work)
        finally:
            shutil.rmtree(work, ignore_errors=True)
        figures["files"] += 1
        figures[f"exit{outcome.code}"] = figures.get(f"exit{outcome.code}", 0) + 1
        if outcome.accounting:
            kind = "crashes" if outcome.accounting.startswith("crash") else "accounting"
            figures[kind] += 1
            if len(failures) < 50:
                failures.append(f"{outcome.accounting} <- {case!r}"[:2000])
        if figures["files"] % 250 == 0 or outcome.accounting:
            save()

    def save() -> None:  # the figures so far: a long run can be watched, or cut short
        where.write_text(json.dumps(figures) + "\n" + "\n".join(failures), encoding="utf-8")

    where = Path(os.environ.get("FUZZ_REPORT", tmp_path / "fuzz.json"))
    one()
    save()
    report = json.dumps(figures)
    assert figures["files"] >= total * 0.9, report
    assert not failures, report + "\n" + "\n".join(failures[:5])


def test_codecs_used_by_the_strategies_exist() -> None:
    for name in ("utf-8", "utf-8-sig", "utf-16", "cp1252", "latin-1"):
        codecs.lookup(name)
