"""Workbooks (XLSX/XLS) through fastexcel (calamine): every cell as the text a person sees.

`open_workbook` is the one place a workbook is opened. The sheet read is the one whose header
holds the most expected headers; without expected headers, the one with a label-like header and
the most filled cells (the lead list is the big sheet, not the summary). Visible sheets first,
then workbook order.

fastexcel is imported with this module, which `read_table` imports on the first workbook.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field

import fastexcel
import polars as pl

from leadkit.errors import InputError
from leadkit.read.layout import (
    HEADER_SCAN_ROWS,
    best_header,
    guess_header,
    header_key,
    header_width,
    looks_like_labels,
    match_score,
    quoted,
)
from leadkit.read.limits import ReadLimits, check_workbook
from leadkit.read.table import InputHints, RawTable, extra_cells, raw_columns

# What loading one sheet raises when it cannot be read (a damaged sheet): every fastexcel error
# derives from FastExcelError; the frame is built by Polars from fastexcel's Arrow data.
_SHEET_ERRORS = (fastexcel.FastExcelError, pl.exceptions.PolarsError)

# fastexcel turns a date cell into "2024-03-15 00:00:00" and a time-only cell into
# "1899-12-31 09:07:00"; a person sees 2024-03-15 and 09:07:00.
_MIDNIGHT = r"^(\d{4}-\d{2}-\d{2}) 00:00:00$"
_TIME_ONLY = r"^1899-12-3[01] (\d{2}:\d{2}:\d{2}(?:\.\d+)?)$"


def _displayed_text(value: str) -> str:
    return re.sub(_TIME_ONLY, r"\1", re.sub(_MIDNIGHT, r"\1", value))


def _as_displayed(column: str) -> pl.Expr:
    value = pl.col(column).str.replace(_MIDNIGHT, "${1}").str.replace(_TIME_ONLY, "${1}")
    return pl.when(value != "").then(value).alias(column)


def read_workbook(
    name: str,
    data: bytes,
    fmt: str,
    expected: list[frozenset[str]],
    expected_text: str,
    hints: InputHints,
) -> RawTable:
    """The raw table of the workbook's best sheet (or the hinted one), cells as displayed."""
    reader, sheet_names = open_workbook(name, data, fmt, hints.limits)
    indices = (
        [_sheet_index(name, sheet_names, hints.sheet)]
        if hints.sheet is not None
        else list(range(len(sheet_names)))
    )
    choice = _SheetChoice()
    for idx in indices:
        _consider_sheet(choice, name, reader, sheet_names[idx], idx, expected, hints)
    if choice.best is None:
        raise _no_table(name, sheet_names, indices, expected, expected_text, hints, choice)
    best = choice.best
    twins = [c for c in choice.others if _same_table(c, best)]
    if twins:
        listed = ", ".join(quoted(sheet_names[c.index]) for c in sorted([best, *twins], key=_at))
        raise InputError(
            f"{name}: sheets {listed} hold the same table (the same header, rows under it): "
            "one would be left out; set input.sheet to read one of them, or join them first"
        )
    return _sheet_table(name, best.frame, best.header, sheet_names[best.index])


def open_workbook(
    name: str, data: bytes, fmt: str, limits: ReadLimits | None = None
) -> tuple[fastexcel.ExcelReader, list[str]]:
    """The workbook's reader and its sheet names: the one place a workbook is opened.

    An XLSX is first checked against `limits` (`leadkit.read.limits`): fastexcel aborts the
    process, not raises, when a sheet's grid cannot be allocated.
    """
    kind = "XLSX" if fmt == "xlsx" else "XLS"
    if fmt == "xlsx":
        check_workbook(name, data, limits or ReadLimits())
    try:
        reader = fastexcel.read_excel(data)
        sheet_names = list(reader.sheet_names)
    except fastexcel.FastExcelError as exc:  # calamine: a corrupt file, or not a workbook
        raise InputError(f"{name}: not a readable {kind} workbook ({_short(exc)})") from None
    if not sheet_names:
        raise InputError(f"{name}: the workbook has no sheets")
    return reader, sheet_names


def _load_sheet(reader: fastexcel.ExcelReader, idx: int) -> tuple[pl.DataFrame, bool]:
    """Every cell of sheet `idx` as String columns `c0, c1, ...`; and whether it is visible."""
    sheet = reader.load_sheet(idx, header_row=None, skip_rows=0, dtypes="string")
    frame = sheet.to_polars()
    visible = getattr(sheet, "visible", "visible") == "visible"
    return frame.rename(dict(zip(frame.columns, raw_columns(frame.width), strict=True))), visible


@dataclass
class _Candidate:
    rank: tuple[int, int, int, int, int]  # the highest is read (see `_candidate`)
    frame: pl.DataFrame
    index: int  # the sheet's index in the workbook
    header: int  # 0-based row of the header in `frame`


@dataclass
class _SheetChoice:
    best: _Candidate | None = None
    too_short: bool = False  # a sheet ends before the hinted header row
    unreadable: str | None = None  # the last sheet that could not be read, and why

    others: list[_Candidate] = field(default_factory=list)  # the candidates not read

    def offer(self, candidate: _Candidate) -> None:
        if self.best is None or candidate.rank > self.best.rank:
            if self.best is not None:
                self.others.append(self.best)
            self.best = candidate
        else:
            self.others.append(candidate)


def _at(candidate: _Candidate) -> int:
    return candidate.index


def _header_keys(candidate: _Candidate) -> frozenset[str]:
    return frozenset(
        header_key(v) for v in candidate.frame.row(candidate.header) if v and v.strip()
    )


def _same_table(other: _Candidate, best: _Candidate) -> bool:
    """A visible sheet whose header has the same names as the read one's, with rows under it:
    reading one of them would leave the other's leads out without a word."""
    visible = other.rank[2] == 1 and best.rank[2] == 1
    below = other.frame.slice(other.header + 1)
    has_rows = (
        below.height > 0 and below.null_count().sum_horizontal().item() < below.width * below.height
    )
    return visible and has_rows and _header_keys(other) == _header_keys(best)


def _consider_sheet(
    choice: _SheetChoice,
    name: str,
    reader: fastexcel.ExcelReader,
    sheet_name: str,
    idx: int,
    expected: list[frozenset[str]],
    hints: InputHints,
) -> None:
    """Read sheet `idx` and offer it to `choice` if a header is found in it."""
    try:
        frame, visible = _load_sheet(reader, idx)
    except _SHEET_ERRORS as exc:  # a chart sheet, a damaged sheet: the others may do
        unreadable = f"{name}: sheet {quoted(sheet_name)} cannot be read ({_short(exc)})"
        if hints.sheet is not None:
            raise InputError(unreadable) from None
        choice.unreadable = unreadable
        return
    if frame.width == 0 or frame.height == 0:
        return
    if hints.header_row is not None and hints.header_row > frame.height:
        choice.too_short = True
        return
    candidate = _candidate(frame, idx, visible, expected, hints)
    if candidate is not None:
        choice.offer(candidate)


def _candidate(
    frame: pl.DataFrame,
    idx: int,
    visible: bool,
    expected: list[frozenset[str]],
    hints: InputHints,
) -> _Candidate | None:
    """The sheet's header row and its rank: the most expected headers, then (without expected
    headers) a label-like header, visible, the most filled cells, then workbook order."""
    rows = [[v or "" for v in r] for r in frame.head(HEADER_SCAN_ROWS).rows()]
    found = _header_row(rows, expected, hints)
    if found is None:
        return None
    h, score = found
    labels = int(not expected and looks_like_labels(rows[h] if h < len(rows) else []))
    filled = 0 if expected else frame.width * frame.height - sum(frame.null_count().row(0))
    return _Candidate((score, labels, int(visible), filled, -idx), frame, idx, h)


def _header_row(
    rows: Sequence[Sequence[str]], expected: list[frozenset[str]], hints: InputHints
) -> tuple[int, int] | None:
    """(0-based row, expected headers it holds) of the header among a sheet's first rows."""
    if hints.header_row is not None:
        h = hints.header_row - 1
        score = match_score(rows[h], expected) if h < len(rows) and expected else 0
        if expected and not score and not looks_like_labels(rows[h] if h < len(rows) else []):
            return None  # no mapped header, and data-like: its values are never quoted
        return h, score
    if expected:
        h, score = best_header(rows, expected)
        return (h, score) if score else None
    h = guess_header(rows)
    return (h, 0) if h >= 0 else None


def _no_table(
    name: str,
    sheet_names: list[str],
    indices: list[int],
    expected: list[frozenset[str]],
    expected_text: str,
    hints: InputHints,
    choice: _SheetChoice,
) -> InputError:
    """The one line that says why no sheet holds the table."""
    if hints.header_row is not None and choice.too_short:
        return InputError(f"{name}: header row {hints.header_row} is beyond the end of the sheet")
    if hints.header_row is not None and expected:
        return InputError(
            f"{name}: header row {hints.header_row} (input.header_row) looks like data and holds "
            f"none of the mapped headers {expected_text}"
        )
    if expected:
        where = (
            f"sheet {quoted(sheet_names[indices[0]])}"
            if hints.sheet is not None
            else ("any sheet (" + ", ".join(quoted(s) for s in sheet_names) + ")")
        )
        return InputError(
            f"{name}: no header row with {expected_text} in the first {HEADER_SCAN_ROWS} rows of {where}"
        )
    return InputError(choice.unreadable or f"{name}: empty workbook (no cells in any sheet)")


def _sheet_table(name: str, frame: pl.DataFrame, h: int, sheet: str) -> RawTable:
    """The raw table under the header on row `h` of a sheet's frame, cells as displayed."""
    header_cells = [_displayed_text(v or "") for v in frame.row(h)]
    body = frame.slice(h + 1)
    lead = _untitled_lead(header_cells, body)
    header_cells = header_cells[lead:]
    width = header_width(header_cells)
    if width == 0:
        raise InputError(f"{name}: the header row (row {h + 1}) is empty")
    table = [f"c{lead + i}" for i in range(width)]
    spare = [c for c in body.columns[lead + width :] if body[c].null_count() < body.height]
    body = body.with_columns(_as_displayed(c) for c in table + spare).select(
        *[pl.col(c).alias(f"c{i}") for i, c in enumerate(table)], extra_cells(spare)
    )
    return RawTable(
        body=body,
        header=header_cells[:width],
        header_row=h + 1,
        encoding=None,
        delimiter=None,
        sheet=sheet,
    )


def _untitled_lead(header_cells: Sequence[str], body: pl.DataFrame) -> int:
    """How many leading columns have no header and no data (a title cell sat there): they are
    not columns."""
    lead = 0
    while (
        lead < len(header_cells) - 1
        and not header_cells[lead].strip()
        and body[f"c{lead}"].null_count() == body.height
    ):
        lead += 1
    return lead


def _sheet_index(name: str, sheet_names: list[str], wanted: str | int) -> int:
    if isinstance(wanted, int):
        if 0 <= wanted < len(sheet_names):
            return wanted
    else:
        for i, sheet in enumerate(sheet_names):
            if sheet == wanted:
                return i
        for i, sheet in enumerate(sheet_names):
            if header_key(sheet) == header_key(wanted):
                return i
    listed = ", ".join(quoted(s) for s in sheet_names)
    raise InputError(f"{name}: no sheet {wanted!r} (the workbook has {listed})")


def _short(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    line = text[0] if text else type(exc).__name__
    return line if len(line) <= 120 else line[:117] + "..."
