"""Delimited text (CSV/TSV/TXT): delimiter and header detected on a sample, body parsed by Polars.

Encoding, delimiter and header are detected on a sample in Python; the body is then parsed by
Polars' CSV reader (all columns String) straight from the file's UTF-8 bytes, skipping the
preamble by line count. Python's `csv` module is the reference for what a record is: when
Polars refuses the body (a stray quote), only the lines that are not well-formed are read by
the csv module and written back well-formed (`_repair`), and Polars reads the repaired body.
Non-UTF-8 inputs are decoded in Python and handed over as UTF-8 (`leadkit.read.encoding`).

Known differences with the csv module, on malformed input Polars accepts: a quoted cell with
unescaped inner quotes (`"say "hi" now"`) loses them (`say hi now`); a bare CR ending an
unquoted cell is dropped.
"""

from __future__ import annotations

import csv
import gc
import io
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from operator import methodcaller

import polars as pl

from leadkit.errors import InputError
from leadkit.read.encoding import (
    MAX_SAMPLE_BYTES,
    SAMPLE_BYTES,
    NotUtf8,
    Utf8Text,
    cut_sample,
    decode_sample,
    redecode,
    to_utf8,
)
from leadkit.read.layout import (
    HEADER_SCAN_ROWS,
    best_header,
    filled_cells,
    guess_header,
    header_width,
    looks_like_labels,
    match_score,
)
from leadkit.read.limits import ReadLimits, long_cell_line
from leadkit.read.table import InputHints, RawTable, extra_cells, raw_columns

# Polars is given this many spare columns beyond the header so that ragged rows are still
# parsed in one pass (and reported in `_extra`); wider rows make it count the widest line and
# read again with enough (up to MAX_SLACK_COLUMNS, beyond which Python's csv module reads).
SLACK_COLUMNS = 4
MAX_SLACK_COLUMNS = 1000

_DELIMITERS = (",", ";", "\t", "|")
_DELIMITER_NAMES = {
    "tab": "\t",
    "\\t": "\t",
    "comma": ",",
    "semicolon": ";",
    "pipe": "|",
}

_LINE = re.compile(r"[^\n]*\n|[^\n]+")
_BARE_CR = re.compile(r"\r(?!\n)")
_PARK = "\ue000"
_NON_SPACE = re.compile(rb"[^\s,;|\"]")


@dataclass
class _Record:
    line: int  # 1-based physical line where the record starts
    end: int  # physical lines consumed through the end of this record
    cells: list[str]


def _records(
    lines: Sequence[str], delimiter: str, limit: int, parked: bool = False
) -> list[_Record]:
    """The first `limit` records of `lines`, with the physical lines each one spans.

    `parked`: bare CRs in `lines` were parked on `_PARK` (see `_python_body`).
    """
    consumed = 0

    def feed() -> Iterator[str]:
        nonlocal consumed
        while consumed < len(lines):
            consumed += 1
            yield lines[consumed - 1]

    reader = csv.reader(feed(), delimiter=delimiter, quotechar='"', strict=False)
    out: list[_Record] = []
    while len(out) < limit:
        start = consumed
        try:
            cells = next(reader)
        except StopIteration:
            break
        except csv.Error:
            # Malformed sample record (a stray CR, a runaway quote): stop the sample here.
            break
        if parked:
            cells = [c.replace(_PARK, "\r") for c in cells]
        out.append(_Record(start + 1, consumed, cells))
    return out


def _fits(cells: Sequence[str], header: Sequence[str]) -> bool:
    """A record as wide as the header (a trailing delimiter, an empty last cell allowed)."""
    return len(cells) == len(header) or header_width(cells) <= header_width(header) <= len(cells)


def _delimiter_hint(name: str, value: str) -> str:
    delim = _DELIMITER_NAMES.get(value.strip().lower(), value) if value.strip() else value
    if len(delim) != 1 or delim in '"\r\n':
        raise InputError(f"{name}: delimiter hint must be one character (or 'tab'), got {value!r}")
    return delim


@dataclass
class _Layout:
    delimiter: str
    header: _Record


def _detect_layout(
    name: str,
    lines: Sequence[str],
    expected: list[frozenset[str]],
    expected_text: str,
    hints: InputHints,
    parked: bool,
) -> _Layout:
    delimiters = (_delimiter_hint(name, hints.delimiter),) if hints.delimiter else _DELIMITERS
    sep_line = 0
    if not hints.delimiter and lines and (m := re.match(r"^sep=(.)\r?\n?$", lines[0])):
        delimiters, sep_line = (m.group(1),), 1  # Excel's "sep=;" first line
    # Each delimiter is tried: the header it yields must hold the most expected names, then
    # have more than one column, then the most records after it must be as wide as it.
    best: tuple[tuple[int, int, int, int, int], _Layout] | None = None
    for rank, delim in enumerate(delimiters):
        records = _records(lines, delim, HEADER_SCAN_ROWS + 1 + (hints.header_row or 0), parked)
        if sep_line:
            records = [r for r in records if r.line > sep_line]
        index = _header_index(records, expected, hints)
        if index < 0:
            continue
        header = records[index]
        score = match_score(header.cells, expected) if expected else 0
        width = header_width(header.cells)
        fits = sum(
            1
            for r in records[index + 1 : index + 1 + HEADER_SCAN_ROWS]
            if filled_cells(r.cells) and _fits(r.cells, header.cells)
        )
        key = (score, int(width > 1), fits, width, -rank)
        if best is None or key > best[0]:
            best = (key, _Layout(delim, header))
    if best is None:
        raise _no_header(name, lines, expected_text, hints, parked)
    return best[1]


def _header_index(
    records: Sequence[_Record], expected: list[frozenset[str]], hints: InputHints
) -> int:
    """The header among `records` (-1: none). A hinted header row holding none of the mapped
    headers is taken only when it looks like labels: a data row is never the header."""
    if hints.header_row is None:
        if expected:
            return best_header([r.cells for r in records], expected)[0]
        return guess_header([r.cells for r in records])
    at = hints.header_row
    index = next((i for i, r in enumerate(records) if r.line <= at <= r.end), -1)
    cells = records[index].cells if index >= 0 else []
    if index >= 0 and expected and not match_score(cells, expected):
        return index if looks_like_labels(cells) else -1
    return index


def _no_header(
    name: str, lines: Sequence[str], expected_text: str, hints: InputHints, parked: bool
) -> InputError:
    """Why no header was found. The rows' values are never quoted: they may be a lead's."""
    if hints.header_row is not None:
        at = hints.header_row
        if any(r.line <= at <= r.end for r in _records(lines, ",", at, parked)):
            return InputError(
                f"{name}: header row {at} (input.header_row) looks like data "
                f"and holds none of the mapped headers {expected_text}"
            )
        return InputError(f"{name}: header row {at} is beyond the end of the file")
    if expected_text:
        return InputError(
            f"{name}: no header row with {expected_text} in the first {HEADER_SCAN_ROWS} rows"
        )
    return InputError(f"{name}: empty file (no rows)")


# --------------------------------------------------------------------------------------
# Delimited text: the body
# --------------------------------------------------------------------------------------


def _polars_body(data: bytes, skip_lines: int, width: int, delimiter: str) -> pl.DataFrame | None:
    """The body with Polars: None when Polars refuses it (malformed quoting)."""
    cols = raw_columns(width)
    slack, counted = SLACK_COLUMNS, False
    while True:
        spare = raw_columns(width + slack)[width:]
        try:
            raw = pl.read_csv(
                data,
                has_header=False,
                separator=delimiter,
                quote_char='"',
                skip_lines=skip_lines,
                schema=dict.fromkeys(cols + spare, pl.String),
                missing_columns="insert",
                truncate_ragged_lines=False,
                null_values=[""],
                raise_if_empty=False,
            )
        except pl.exceptions.PolarsError as exc:
            message = str(exc)
            if "invalid utf-8" in message:
                raise NotUtf8 from None
            if not counted and ("more fields" in message or "not specified in schema" in message):
                # Rows wider than the spare columns: as many spare columns as the widest line
                # could need (delimiters in quotes counted too: an upper bound).
                counted = True
                widest = max(map(methodcaller("count", delimiter.encode()), data.split(b"\n")))
                if widest + 1 - width <= MAX_SLACK_COLUMNS:
                    slack = max(widest + 1 - width, SLACK_COLUMNS + 1)
                    continue
            return None
        spare = [c for c in spare if raw[c].null_count() < raw.height]
        return raw.select(*cols, extra_cells(spare))


def _repair(data: bytes, skip: int, delimiter: str) -> bytes:
    """The body (after line `skip`) with the lines Polars refuses rewritten well-formed.

    A line whose quotes are well-formed is one record, read alike by Polars and Python's csv
    module, and is kept as it is. From each other line (a stray quote, a multi-line cell, a
    bare CR) Python's csv module reads records until the next record starts on a well-formed
    line, and writes them back properly quoted. So only the odd lines pay for Python.
    """
    lines = data.split(b"\n")[skip:]
    if lines and not lines[-1]:
        lines.pop()
    odd = _odd_lines(lines, delimiter)
    if not odd:
        return b"\n".join(lines)
    pieces: list[bytes] = []
    pos = 0
    for start in sorted(odd):
        if start < pos:
            continue  # read with the block before
        if start > pos:
            pieces.append(b"\n".join(lines[pos:start]) + b"\n")
        block, pos = _rewrite_from(lines, start, odd, delimiter)
        pieces.append(block)
    if pos < len(lines):
        pieces.append(b"\n".join(lines[pos:]) + b"\n")
    return b"".join(pieces)


def _odd_lines(lines: list[bytes], delimiter: str) -> set[int]:
    """Indices of the lines whose quotes are not well-formed (checked by Polars in one pass)."""
    d = re.escape(delimiter)
    cell = rf'(?:"(?:[^"]|"")*"|[^"\r{d}]*)'
    well_formed = rf"^{cell}(?:{d}{cell})*\r?$"
    try:
        text = pl.Series(lines, dtype=pl.Binary).cast(pl.String)
    except pl.exceptions.PolarsError:
        raise NotUtf8 from None
    return set(text.str.contains(well_formed).not_().arg_true().to_list())


def _rewrite_from(
    lines: list[bytes], start: int, odd: set[int], delimiter: str
) -> tuple[bytes, int]:
    """The records from the odd line `start` until one ends before a well-formed line, as
    Python's csv module reads them, written back well-formed; and the first line after them."""
    consumed = start

    def feed() -> Iterator[str]:
        nonlocal consumed
        while consumed < len(lines):
            consumed += 1
            try:
                line = lines[consumed - 1].decode("utf-8")
            except UnicodeDecodeError:
                raise NotUtf8 from None
            yield _BARE_CR.sub(_PARK, line + "\n")

    out = io.StringIO()
    writer = csv.writer(out, delimiter=delimiter, quotechar='"', lineterminator="\r\n")
    reader = csv.reader(feed(), delimiter=delimiter, quotechar='"', strict=False)
    while True:
        record_start = consumed
        try:
            row = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            raise _CsvError(record_start, str(exc)) from None
        writer.writerow([c.replace(_PARK, "\r") for c in row])
        if consumed >= len(lines) or consumed not in odd:
            break
    return out.getvalue().encode("utf-8"), consumed


class _CsvError(Exception):
    """Python's csv module refused a record starting on body line `line` (0-based)."""

    def __init__(self, line: int, message: str) -> None:
        super().__init__(message)
        self.line = line


def _python_body(text: str, width: int, delimiter: str) -> pl.DataFrame:
    """The body with Python's csv module alone: the reference for what a record is.

    Records end at line feeds only, as in the Polars path: a bare CR is part of a cell (the
    csv module would refuse it in an unquoted cell), so it is parked on a private-use
    character while parsing. (One difference is left: Polars drops a bare CR that ends an
    unquoted cell; this path keeps it.)
    """
    parked = "\r" in text and _PARK not in text
    if parked:
        text = _BARE_CR.sub(_PARK, text)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=False)
    collecting = gc.isenabled()
    gc.disable()  # millions of small lists: the cyclic GC would rescan them again and again
    try:
        try:
            rows = list(reader)
        except csv.Error as exc:
            raise _CsvError(_record_start(text, delimiter), str(exc)) from None
        extras: list[str | None] = [None] * len(rows)
        for i, row in enumerate(rows):
            if len(row) == width:
                continue
            if len(row) > width:
                more = [v for v in row[width:] if v.replace(_PARK, " ").strip()]
                extras[i] = "|".join(more) if more else None
                rows[i] = row[:width]
            else:
                rows[i] = row + [""] * (width - len(row))
        columns = list(zip(*rows, strict=True)) if rows else [() for _ in range(width)]
        series = [
            pl.Series(c, v, dtype=pl.String)
            for c, v in zip(raw_columns(width), columns, strict=True)
        ]
        del rows, columns
    finally:
        if collecting:
            gc.enable()
    frame = pl.DataFrame([*series, pl.Series("_extra", extras, dtype=pl.String)])
    empty_is_null = [pl.when(pl.col(c) != "").then(pl.col(c)).alias(c) for c in raw_columns(width)]
    frame = frame.with_columns(empty_is_null)
    if parked:
        frame = frame.with_columns(pl.all().str.replace_all(_PARK, "\r", literal=True))
    return frame


def _record_start(text: str, delimiter: str) -> int:
    """The 0-based line where the record the csv module refuses starts (error path only)."""
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=False)
    done = 0
    try:
        for _ in reader:
            done = reader.line_num
    except csv.Error:
        pass
    return done


def _read_body(
    name: str, data: bytes, start: int, skip: int, width: int, delimiter: str
) -> pl.DataFrame:
    """The records after the header (line `skip`): Polars, else Polars on a repaired body,
    else Python's csv module alone."""
    body = _polars_body(data, skip, width, delimiter)
    if body is not None:
        return body
    offset = _line_offset(data, start, skip)
    try:
        body = _polars_body(_repair(data, skip, delimiter), 0, width, delimiter)
        if body is not None:
            return body
        try:
            text = data[offset:].decode("utf-8")
        except UnicodeDecodeError:
            raise NotUtf8 from None
        return _python_body(text, width, delimiter)
    except _CsvError as exc:
        line = skip + 1 + exc.line
        if "field limit" in str(exc):
            raise InputError(
                f"{name}: line {line}: a quoted cell runs on for more than "
                f"{csv.field_size_limit() // 1024} KB (a closing quote is missing?)"
            ) from None
        raise InputError(f"{name}: line {line}: {exc}") from None


def _check_limits(
    name: str, data: bytes, start: int, width: int, delimiter: str, limits: ReadLimits
) -> None:
    """Before the body is parsed: the header's width, and no unbroken run of text longer than
    a cell may be (memory grows many times a cell's size while it is parsed)."""
    if width > limits.max_columns:
        raise InputError(
            f"{name}: the header has {width} columns, over the limit of {limits.max_columns} "
            "(limits.max_columns)"
        )
    line = long_cell_line(data, delimiter, limits, start)
    if line is not None:
        raise InputError(
            f"{name}: line {line}: a cell longer than {limits.max_cell_bytes} bytes "
            "(limits.max_cell_bytes)"
        )


def _check_cells(name: str, body: pl.DataFrame, limits: ReadLimits) -> None:
    """After parsing: a quoted cell running over delimiters and lines past the cell limit (a
    missing closing quote) is refused too."""
    longest = body.select(pl.all().str.len_bytes().max()).row(0)
    over = [i for i, n in enumerate(longest) if n is not None and n > limits.max_cell_bytes]
    if over:
        raise InputError(
            f"{name}: column {over[0] + 1} holds a cell longer than {limits.max_cell_bytes} "
            "bytes (limits.max_cell_bytes; a closing quote is missing?)"
        )


def _line_offset(data: bytes, start: int, lines: int) -> int:
    pos = start
    for _ in range(lines):
        nl = data.find(b"\n", pos)
        if nl < 0:
            return len(data)
        pos = nl + 1
    return pos


def read_delimited(
    name: str, data: bytes, expected: list[frozenset[str]], expected_text: str, hints: InputHints
) -> RawTable:
    text = to_utf8(name, data, hints.encoding)
    strict_utf8 = hints.encoding is not None
    while True:
        try:
            return _read_utf8(name, text, expected, expected_text, hints)
        except NotUtf8:
            if strict_utf8 or text.checked:
                raise InputError(f"{name}: not valid {text.encoding} text") from None
            text = redecode(text)


def _read_utf8(
    name: str, text: Utf8Text, expected: list[frozenset[str]], expected_text: str, hints: InputHints
) -> RawTable:
    data = text.data
    if b"\n" not in data and b"\r" in data:  # classic Mac line ends
        data = data.replace(b"\r", b"\n")
    body_start = text.start
    if not _NON_SPACE.search(data, body_start):
        raise InputError(f"{name}: empty file (no rows)")

    # The sample: enough lines to hold HEADER_SCAN_ROWS records (or the hinted header row).
    size = SAMPLE_BYTES
    while True:
        sample_bytes = cut_sample(data, size, body_start)
        try:
            sample = decode_sample(sample_bytes)
        except UnicodeDecodeError:
            raise NotUtf8 from None
        lines = _LINE.findall(sample)
        whole = len(sample_bytes) == len(data) - body_start
        want = max(HEADER_SCAN_ROWS + 1, (hints.header_row or 0) + 1)
        if whole or len(lines) > want or size >= MAX_SAMPLE_BYTES:
            break
        size *= 4
    lines = lines[: max(HEADER_SCAN_ROWS * 4, (hints.header_row or 0) + HEADER_SCAN_ROWS)]
    parked = "\r" in sample and _PARK not in sample
    if parked:  # bare CRs are cell content, as in the body
        lines = [_BARE_CR.sub(_PARK, line) for line in lines]
    layout = _detect_layout(name, lines, expected, expected_text, hints, parked)
    header = layout.header.cells[: header_width(layout.header.cells)]
    if not header:
        raise InputError(f"{name}: the header row (line {layout.header.line}) is empty")
    width = len(header)
    skip = layout.header.end
    _check_limits(name, data, body_start, width, layout.delimiter, hints.limits)

    # The UTF-8 BOM, if any, sits on a skipped line: Polars reads the file's own bytes.
    body = _read_body(name, data, body_start, skip, width, layout.delimiter)
    _check_cells(name, body, hints.limits)
    body, problems = unmerge(body, width, layout.delimiter)
    return RawTable(
        body=body,
        header=header,
        header_row=layout.header.line,
        encoding=text.encoding,
        delimiter=layout.delimiter,
        sheet=None,
        problems=problems,
    )


# --------------------------------------------------------------------------------------
# Records merged into one: a runaway quote, bare CR line ends among LF ones
# --------------------------------------------------------------------------------------

_BREAK = re.compile(r"\r\n|\n|\r")
RUNAWAY_QUOTE = "runaway_quote"
BARE_CR = "bare_cr"


def unmerge(
    body: pl.DataFrame, width: int, delimiter: str
) -> tuple[pl.DataFrame, pl.Series | None]:
    """The body with records that a parser merged into one split apart again, and a marker per
    row (`runaway_quote`, `bare_cr`, else null; None when no row is marked).

    - a runaway quote: one stray `"` opens a cell that swallows the next lines, each of them a
      whole record (as many delimiters as a record has), and the rest of the row is empty;
    - a bare CR ending a line in a file that uses LF: the record runs on into the next one,
      so the row has more cells than the header.

    Only rows with a line break in a cell are looked at (one vectorized scan); a multi-line
    address or note is not split (its lines are not records).
    """
    cols = raw_columns(width)
    broken = body.select(
        pl.any_horizontal(pl.col(c).str.contains("[\r\n]").fill_null(False) for c in cols)
    ).to_series()
    found: dict[int, tuple[list[list[str | None]], list[str | None], str]] = {}
    for i in broken.arg_true().to_list():
        row = body.row(i)
        split = _split_row(list(row[:width]), row[width], width, delimiter)
        if split is not None:
            found[i] = split
    if not found:
        return body, None
    frames: list[pl.DataFrame] = []
    marks: list[str | None] = []
    at = 0
    for i in sorted(found):
        frames.append(body.slice(at, i - at))
        marks += [None] * (i - at)
        cells, extras, code = found[i]
        columns = {c: [r[j] for r in cells] for j, c in enumerate(cols)}
        frames.append(pl.DataFrame({**columns, "_extra": extras}, schema=body.schema))
        marks += [code] * len(cells)
        at = i + 1
    frames.append(body.slice(at))
    marks += [None] * (body.height - at)
    return pl.concat(frames), pl.Series("_read_problem", marks, dtype=pl.String)


def _split_row(
    cells: list[str | None], extra: str | None, width: int, delimiter: str
) -> tuple[list[list[str | None]], list[str | None], str] | None:
    """The records merged in one row (cells, extras, marker), or None when it is one record."""
    for k, cell in enumerate(cells):
        if cell is None or not _BREAK.search(cell):
            continue
        parts = _BREAK.split(cell)
        tail = [*(c for c in cells[k + 1 :] if c is not None), *(extra.split("|") if extra else [])]
        bare_cr = (
            extra is not None
            and re.search("\r(?!\n)", cell) is not None
            and len([v for v in [parts[-1], *tail] if v.strip()]) >= 2
        )
        lines = [p for p in parts[1:] if p.strip()]
        records_like = all(p.count(delimiter) >= max(1, width - 2) for p in lines)
        runaway = (
            not tail
            and bool(lines)
            and records_like
            and (width >= 4 or any("@" in p for p in parts[1:]))
        )
        if not (runaway or bare_cr):
            return None
        later = [_fields(p, delimiter) for p in parts[1:]]
        later[-1] = later[-1] + tail
        # the rest of the line the stray quote opened holds the record's next cells
        first: list[str | None] = [*cells[:k], *_fields(parts[0], delimiter)]
        rows = [first, *[list[str | None](r) for r in later if any(v.strip() for v in r)]]
        shaped = [_shaped(r, width) for r in rows]
        return [c for c, _ in shaped], [e for _, e in shaped], BARE_CR if bare_cr else RUNAWAY_QUOTE
    return None


def _fields(line: str, delimiter: str) -> list[str]:
    return next(csv.reader([line], delimiter=delimiter, strict=False), [])


def _shaped(values: Sequence[str | None], width: int) -> tuple[list[str | None], str | None]:
    """A record's values as the table's cells (empty: null) and its extra cells."""
    cells = [v if v else None for v in values[:width]]
    cells += [None] * (width - len(cells))
    more = [v for v in values[width:] if v and v.strip()]
    return cells, ("|".join(more) if more else None)
