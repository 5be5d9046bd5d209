"""Stage 1: any partner lead file (CSV/TSV/TXT, XLSX/XLS) -> a table of strings + what was detected.

The reader's promises:

- every value arrives as the text a person sees (`pl.String`; empty cells are null; spreadsheet
  numbers and dates as they are displayed, never `4.15e9`);
- nothing is dropped silently: cells beyond the header go to `_extra`, blank records are
  counted, `_row` keeps the count a person makes (blank records keep their number);
- preambles, title rows, other report sections and export footers are not data;
- bad input stops with one `InputError` line naming the file, never a traceback.

How it stays fast: encoding, delimiter and header are detected on a sample in Python; the body
is then parsed by Polars' CSV reader (all columns String) straight from the file's UTF-8 bytes,
skipping the preamble by line count. Python's `csv` module is the reference for what a record
is: when Polars refuses the body (a stray quote), only the lines that are not well-formed are
read by the csv module and written back well-formed, and Polars reads the repaired body.
Non-UTF-8 inputs are decoded in Python and handed over as UTF-8.

Known differences with the csv module, on malformed input Polars accepts: a quoted cell with
unescaped inner quotes (`"say "hi" now"`) loses them (`say hi now`); a bare CR ending an
unquoted cell is dropped.
"""

from __future__ import annotations

import bisect
import codecs
import csv
import gc
import hashlib
import io
import re
import unicodedata
from collections import Counter
from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from operator import methodcaller
from pathlib import Path

import polars as pl

from leadkit.errors import InputError

__all__ = ["InputHints", "ReadInfo", "Table", "header_key", "read_table"]

# The header is looked for in the first HEADER_SCAN_ROWS records; without expected headers
# (`leadkit inspect`) the label-like guess looks at the first LABEL_SCAN_ROWS.
HEADER_SCAN_ROWS = 200
LABEL_SCAN_ROWS = 50
SAMPLE_BYTES = 1 << 20
MAX_SAMPLE_BYTES = 64 << 20
# Polars is given this many spare columns beyond the header so that ragged rows are still
# parsed in one pass (and reported in `_extra`); wider rows make it count the widest line and
# read again with enough (up to MAX_SLACK_COLUMNS, beyond which Python's csv module reads).
SLACK_COLUMNS = 4
MAX_SLACK_COLUMNS = 1000
# Footers are looked for among the last TAIL_ROWS records of the table.
TAIL_ROWS = 64
# Section titles (Zoom-style reports) are checked at most this many times per file.
MAX_SECTION_CANDIDATES = 2000

FORMATS = {
    ".csv": "csv",
    ".tsv": "csv",
    ".tab": "csv",
    ".txt": "csv",
    ".xlsx": "xlsx",
    ".xlsm": "xlsx",
    ".xls": "xls",
}
_DELIMITERS = (",", ";", "\t", "|")
_DELIMITER_NAMES = {
    "tab": "\t",
    "\\t": "\t",
    "comma": ",",
    "semicolon": ";",
    "pipe": "|",
}
RESERVED = ("_row", "_extra")


@dataclass(frozen=True)
class InputHints:
    """From the mapping's `input:` section; every field is optional."""

    sheet: str | int | None = None  # sheet name or 0-based index
    header_row: int | None = None  # 1-based physical row/line number of the header
    delimiter: str | None = None
    encoding: str | None = None


@dataclass(frozen=True)
class ReadInfo:
    path: str
    format: str  # 'csv' | 'xlsx' | 'xls'
    encoding: str | None
    delimiter: str | None
    sheet: str | None
    header_row: int  # 1-based physical row of the header (line for CSV, row for sheets)
    footer: str | None  # the footer/trailer text that ended the table, if any
    data_rows: int  # non-blank records in the frame
    blank_rows: int  # whitespace-only records between data records (skipped, counted)
    extra_cell_rows: int  # records with non-empty cells beyond the header (see `_extra`)
    sha256: str  # hex sha256 of the input file's bytes


@dataclass(frozen=True)
class Table:
    frame: pl.DataFrame  # one String column per header, then `_row` (Int64), `_extra` (String)
    info: ReadInfo


# --------------------------------------------------------------------------------------
# Header names
# --------------------------------------------------------------------------------------

# BOM, zero-width space/joiners, word joiner, soft hyphen: invisible, never part of a name.
_INVISIBLE = re.compile("[\ufeff\u200b\u200c\u200d\u2060\u00ad]")


def header_key(name: str) -> str:
    """The key headers are matched on: `' E-Mail\\u00a0 '` and `'e-mail'` are the same header.

    Invisible characters (BOM, zero-width) are removed, then NFKC (which turns NBSP and
    full-width forms into plain ones), casefold, inner whitespace collapsed, ends stripped.
    """
    text = unicodedata.normalize("NFKC", _INVISIBLE.sub("", name)).casefold()
    return " ".join(text.split())


def _clean_name(name: str) -> str:
    return _INVISIBLE.sub("", name).strip()


def _column_names(cells: Sequence[str]) -> list[str]:
    """Header cells -> unique column names: trimmed, `Email`, `Email_2`; empty -> `column_N`.

    A name keeps its first occurrence; repeats get the first free `_N` suffix, free also of the
    names the header itself holds, so a real `Email_2` column keeps its name.
    """
    raw = [_clean_name(c) or f"column_{i + 1}" for i, c in enumerate(cells)]
    taken: set[str] = set(RESERVED)
    first: dict[int, str] = {}
    for i, name in enumerate(raw):
        if name not in taken:
            taken.add(name)
            first[i] = name
    names: list[str] = []
    for i, name in enumerate(raw):
        if i in first:
            names.append(first[i])
            continue
        n = 2
        while f"{name}_{n}" in taken:
            n += 1
        taken.add(f"{name}_{n}")
        names.append(f"{name}_{n}")
    return names


# --------------------------------------------------------------------------------------
# Header detection (shared by text files and sheets)
# --------------------------------------------------------------------------------------

_NUMERIC_LIKE = re.compile(r"^[\s$€£+\-(]*[\d][\d\s.,:/\-()%]*$")


def _expected_keys(expected: Sequence[str | Sequence[str]]) -> list[frozenset[str]]:
    keys: list[frozenset[str]] = []
    for entry in expected:
        alts = [entry] if isinstance(entry, str) else list(entry)
        found = frozenset(k for k in (header_key(a) for a in alts) if k)
        if found:
            keys.append(found)
    return keys


def _describe_expected(expected: Sequence[str | Sequence[str]]) -> str:
    shown = []
    for entry in expected:
        alts = [entry] if isinstance(entry, str) else list(entry)
        if alts:
            shown.append(" / ".join(f"'{a}'" for a in alts))
    if len(shown) > 6:
        return ", ".join(shown[:6]) + f" (or {len(shown) - 6} more)"
    return ", ".join(shown)


def _match_score(cells: Sequence[str], expected: list[frozenset[str]]) -> int:
    keys = {header_key(c) for c in cells if c}
    return sum(1 for alts in expected if not alts.isdisjoint(keys))


def _best_header(rows: Sequence[Sequence[str]], expected: list[frozenset[str]]) -> tuple[int, int]:
    """(index, score) of the first row holding the most expected headers; score 0: none."""
    best, best_score = -1, 0
    for i, cells in enumerate(rows[:HEADER_SCAN_ROWS]):
        score = _match_score(cells, expected)
        if score > best_score:
            best, best_score = i, score
    return best, best_score


def _filled(cells: Sequence[str]) -> list[str]:
    return [c.strip() for c in cells if c and not c.isspace()]


def _looks_like_labels(cells: Sequence[str]) -> bool:
    """Header-like: no email addresses, mostly non-numeric, mostly distinct."""
    values = _filled(cells)
    if not values or any("@" in v for v in values):
        return False
    numeric = sum(1 for v in values if _NUMERIC_LIKE.match(v))
    distinct = len({header_key(v) for v in values})
    return numeric * 5 <= len(values) and distinct * 2 >= len(values)


def _guess_header(rows: Sequence[Sequence[str]]) -> int:
    """Without expected headers: the first label-like row about as wide as the table.

    The table's width is the widest row width seen at least twice (one ragged row with extra
    cells is not the table), and "about" is 80% (the header may leave a column unnamed).
    """
    scan = rows[:LABEL_SCAN_ROWS]
    widths = [len(_filled(r)) for r in scan]
    if not any(widths):
        return -1
    counts = Counter(w for w in widths if w)
    repeated = [w for w, n in counts.items() if n > 1]
    table_width = max(repeated) if repeated else max(widths)
    need = max(1, -(-table_width * 4 // 5))
    for i, cells in enumerate(scan):
        if widths[i] >= need and _looks_like_labels(cells):
            return i
    return next(i for i, w in enumerate(widths) if w >= need)


def _header_width(cells: Sequence[str]) -> int:
    """Trailing empty header cells (a trailing delimiter) are not columns: their values, if
    any, go to `_extra`. Empty names in the middle become `column_N`."""
    width = len(cells)
    while width > 0 and not (cells[width - 1] or "").strip():
        width -= 1
    return width


# --------------------------------------------------------------------------------------
# Table end: section titles (Zoom reports) and export footers (Salesforce reports)
# --------------------------------------------------------------------------------------

_FOOTER = re.compile(
    r"""^(?:
        grand\s+totals?\b
      | (?:sub)?totals?\s*(?:[:(=]|$) | total\s+(?:records?|rows?)\b
      | confidential\s+information\b
      | copyright\s*(?:\(c\)|©|\d) | ©\s*\d | \(c\)\s*\d{4}
      | .*\bsalesforce\.com,?\s+inc\b
      | generated\s+by\s*: | report\s+generated\b | generated\s+(?:on|at)\s*:?\s*\d
      | exported\s+(?:by|on|at)\s*:
      | \(?\d[\d,.]*\s+(?:records?|rows?|leads?|contacts?|results?)\)?\.?$
      | (?:records?|rows?|row\s+count|record\s+count)\s*[:=]\s*\d
      | end\s+of\s+(?:report|file|data|list)\b
    )""",
    re.IGNORECASE | re.VERBOSE,
)
# A section title: `Attendee Details`, `Panelist Details`, `Poll Results`, `Q&A Report` ...
_SECTION_TITLE = re.compile(
    r"\b(?:details|report|summary|section|information|attendees?|panelists?|hosts?"
    r"|registrants?|participants?|questions?|polls?|q\s*&\s*a|surveys?|results?)\s*:?$",
    re.IGNORECASE,
)


def _is_footer_line(cells: Sequence[str]) -> bool:
    return bool(cells) and bool(_FOOTER.match(cells[0]))


def _find_footer(rows: Sequence[list[str]], width: int) -> int | None:
    """Index in `rows` (the table's last records, as their non-blank cells) of a footer's start.

    A footer starts at a known footer line (`Grand Totals (12 records)`, `Copyright (c) ...`,
    `Generated By: ...`) after which only short lines (one or two cells: a company name, a
    date) and blank records follow. A one-cell line right before it and right after a blank
    record belongs to it too: Salesforce puts the report's name there.
    """
    for p, cells in enumerate(rows):
        if not _is_footer_line(cells):
            continue
        if not all(len(r) <= 2 or _is_footer_line(r) for r in rows[p + 1 :]):
            continue
        if width > 1 and p >= 2 and len(rows[p - 1]) == 1 and not rows[p - 2]:
            return p - 1
        return p
    return None


def _header_like(cells: Sequence[str]) -> bool:
    values = _filled(cells)
    if len(values) < 2 or any(len(v) > 80 or "@" in v or _NUMERIC_LIKE.match(v) for v in values):
        return False
    keys = [header_key(v) for v in values]
    return len(set(keys)) == len(keys)


def _starts_new_section(title: str, following: Sequence[str], header: frozenset[str]) -> bool:
    """`title` (a record with one cell) followed by `following` starts a new report section."""
    if len(title) > 80 or "@" in title or _NUMERIC_LIKE.match(title):
        return False
    if not _header_like(following) or _is_footer_line(following):
        return False
    shared = len(header & {header_key(c) for c in _filled(following)})
    return bool(_SECTION_TITLE.search(title)) or shared >= 2


# --------------------------------------------------------------------------------------
# Assembling the table from a raw frame: c0..c{n-1} (the header's columns) and `_extra`
# --------------------------------------------------------------------------------------


@dataclass
class _Raw:
    body: pl.DataFrame  # c0..c{n-1} String + `_extra` String, one row per record after the header
    header: list[str]  # the header cells (the table's width)
    header_row: int
    encoding: str | None
    delimiter: str | None
    sheet: str | None


def _cols(n: int) -> list[str]:
    return [f"c{i}" for i in range(n)]


def _extra_expr(columns: Sequence[str]) -> pl.Expr:
    """The non-blank cells of `columns` joined with `|`, null when there are none."""
    if not columns:
        return pl.lit(None, dtype=pl.String).alias("_extra")
    parts = [pl.when(pl.col(c).str.contains(r"\S")).then(pl.col(c)) for c in columns]
    joined = pl.concat_str(parts, separator="|", ignore_nulls=True)
    return pl.when(joined != "").then(joined).alias("_extra")


def _row_cells(row: Sequence[str | None]) -> list[str]:
    """A raw row (table cells then `_extra`) as its non-blank cells."""
    cells: list[str] = []
    for i, value in enumerate(row):
        if value is None or value.isspace() or not value:
            continue
        if i == len(row) - 1:  # _extra
            cells.extend(v for v in value.split("|") if v.strip())
        else:
            cells.append(value.strip())
    return cells


def _nonblank(body: pl.DataFrame, cols: Sequence[str]) -> pl.Series:
    """Rows with a non-space character in some cell.

    Tested column by column on the rows not yet known to be non-blank: the first column
    usually settles almost every row, so the regex runs about once per row, not once per cell.
    """
    known = body["_extra"].is_not_null()
    pending: pl.Series | None = None  # indices of rows still unknown; None: all rows
    for c in cols:
        column = body[c] if pending is None else body[c].gather(pending)
        hit = column.str.contains(r"\S").fill_null(False)
        if pending is None:
            known = known | hit
            pending = (~known).arg_true()
        else:
            found = pending.filter(hit)
            if found.len():
                known = known.scatter(found, True)
            pending = pending.filter(~hit)
        if not pending.len():
            break
    return known


def _assemble(raw: _Raw, path: str, fmt: str, sha: str) -> Table:
    body = raw.body
    n = len(raw.header)
    cols = _cols(n)
    nonblank = _nonblank(body, cols)
    end = body.height
    footer: str | None = None

    # A new report section: a one-cell title row followed by another table's header.
    header_keys = frozenset(header_key(c) for c in raw.header if c.strip())
    single = body.select(
        pl.all_horizontal(
            pl.col(cols[0]).is_not_null(), *[pl.col(c).is_null() for c in [*cols[1:], "_extra"]]
        )
    ).to_series()
    candidates = single.arg_true() if n > 1 else pl.Series(dtype=pl.UInt32)
    if candidates.len():
        rows_after = nonblank.arg_true().to_list()
        for i in candidates.head(MAX_SECTION_CANDIDATES).to_list():
            k = bisect.bisect_right(rows_after, i)
            if k >= len(rows_after):
                break
            title_cells = _row_cells(body.row(i))
            if not title_cells:
                continue
            title = title_cells[0]
            if _starts_new_section(title, _row_cells(body.row(rows_after[k])), header_keys):
                end, footer = i, title
                break

    # An export footer at the end of the table (trailing blank rows, which a sheet can have by
    # the thousand, are not part of the look).
    filled_at = nonblank.slice(0, end).arg_true()
    last = int(filled_at[-1]) + 1 if filled_at.len() else 0
    lo = max(0, last - TAIL_ROWS)
    tail = [_row_cells(r) for r in body.slice(lo, last - lo).rows()]
    at = _find_footer(tail, n)
    if at is not None:
        end = lo + at
        footer = next(", ".join(r) for r in tail[at:] if _is_footer_line(r))

    # Blank records after the last data record (before EOF or a footer) are not counted.
    kept = nonblank.slice(0, end)
    data_at = kept.arg_true()
    end = int(data_at[-1]) + 1 if data_at.len() else 0
    kept = kept.slice(0, end)
    blank_rows = end - int(kept.sum() or 0)

    names = _column_names(raw.header)
    # One select (adding `_row` with with_columns first makes Polars realign all chunks).
    frame = body.select(
        *[pl.col(c).alias(name) for c, name in zip(cols, names, strict=True)],
        pl.int_range(1, pl.len() + 1, dtype=pl.Int64).alias("_row"),
        "_extra",
    )
    if end < body.height:
        frame = frame.slice(0, end)
    if blank_rows:
        frame = frame.filter(kept)
    info = ReadInfo(
        path=path,
        format=fmt,
        encoding=raw.encoding,
        delimiter=raw.delimiter,
        sheet=raw.sheet,
        header_row=raw.header_row,
        footer=footer,
        data_rows=frame.height,
        blank_rows=blank_rows,
        extra_cell_rows=frame.height - frame["_extra"].null_count(),
        sha256=sha,
    )
    return Table(frame=frame, info=info)


# --------------------------------------------------------------------------------------
# Delimited text: encoding
# --------------------------------------------------------------------------------------


def _latin1_bytes(err: UnicodeError) -> tuple[str, int]:
    """Bytes cp1252 leaves undefined (0x81, 0x8D, 0x8F, 0x90, 0x9D) decode as latin-1."""
    assert isinstance(err, UnicodeDecodeError)
    return chr(err.object[err.start]), err.start + 1


def _cp1252_bytes(err: UnicodeError) -> tuple[str, int]:
    """A byte that is not valid UTF-8 inside UTF-8 text decodes as cp1252 (then latin-1)."""
    assert isinstance(err, UnicodeDecodeError)
    byte = err.object[err.start : err.start + 1]
    return byte.decode("cp1252", errors="leadkit-latin1"), err.start + 1


codecs.register_error("leadkit-latin1", _latin1_bytes)
codecs.register_error("leadkit-cp1252", _cp1252_bytes)

# One valid multi-byte UTF-8 sequence: evidence that a file that is not valid UTF-8 as a whole
# is still mostly UTF-8 (with stray cp1252 bytes), rather than cp1252 text.
_UTF8_MULTIBYTE = re.compile(
    rb"[\xc2-\xdf][\x80-\xbf]|[\xe0-\xef][\x80-\xbf]{2}|[\xf0-\xf4][\x80-\xbf]{3}"
)

_MAGIC = (
    (b"\x89PNG", "a PNG image"),
    (b"GIF8", "a GIF image"),
    (b"\xff\xd8\xff", "a JPEG image"),
    (b"%PDF", "a PDF document"),
    (b"\x1f\x8b", "a gzip archive"),
    (b"PK\x03\x04", "a ZIP archive"),
    (b"\xd0\xcf\x11\xe0", "an OLE2 (legacy Office) file"),
)


class _NotUtf8(Exception):
    """The body of a file taken for UTF-8 is not valid UTF-8."""


def _utf16_without_bom(head: bytes) -> str | None:
    """UTF-16 text without BOM: NUL bytes at every other position (ASCII-range characters)."""
    if len(head) < 4:
        return None
    even, odd = head[0::2], head[1::2]
    nul_even, nul_odd = even.count(0) / len(even), odd.count(0) / len(odd)
    if nul_odd > 0.3 and nul_even < 0.05:
        return "utf-16-le"
    if nul_even > 0.3 and nul_odd < 0.05:
        return "utf-16-be"
    return None


def _codec_name(name: str, encoding: str) -> str:
    try:
        return codecs.lookup(encoding).name
    except LookupError:
        raise InputError(
            f"{name}: unknown encoding '{encoding}' in the mapping's input hints"
        ) from None


def _decode_or_fail(name: str, data: bytes, codec: str) -> str:
    try:
        return data.decode(codec)
    except UnicodeDecodeError as exc:
        raise InputError(
            f"{name}: cannot be decoded as {codec} (byte 0x{data[exc.start]:02x} at offset {exc.start})"
        ) from None


def _legacy_decode(data: bytes) -> tuple[str, str]:
    """Text that is not valid UTF-8: cp1252, or UTF-8 with stray cp1252 bytes."""
    if _UTF8_MULTIBYTE.search(data):
        return data.decode("utf-8", errors="leadkit-cp1252"), "utf-8+cp1252"
    return data.decode("cp1252", errors="leadkit-latin1"), "cp1252"


@dataclass
class _Text:
    data: bytes  # UTF-8 bytes
    start: int  # bytes to skip (a UTF-8 BOM)
    encoding: str
    checked: bool  # True when the whole of `data` is known to be valid UTF-8


def _to_utf8(name: str, data: bytes, hint: str | None) -> _Text:
    if hint:
        codec = _codec_name(name, hint)
        if codec in ("utf-8", "utf-8-sig"):
            start = 3 if data.startswith(codecs.BOM_UTF8) else 0
            return _Text(data, start, codec, checked=False)
        text = _decode_or_fail(name, data, codec).removeprefix("\ufeff")
        return _Text(text.encode("utf-8"), 0, codec, checked=True)
    if data.startswith(codecs.BOM_UTF8):
        return _Text(data, 3, "utf-8-sig", checked=False)
    for bom, codec in ((codecs.BOM_UTF16_LE, "utf-16-le"), (codecs.BOM_UTF16_BE, "utf-16-be")):
        if data.startswith(bom):
            text = _decode_or_fail(name, data[2:], codec)
            return _Text(text.encode("utf-8"), 0, codec, checked=True)
    head = data[:8192]
    for magic, what in _MAGIC:
        if head.startswith(magic):
            raise InputError(f"{name}: binary file ({what}), not a text table")
    codec16 = _utf16_without_bom(head)
    if codec16:
        text = _decode_or_fail(name, data[: len(data) - len(data) % 2], codec16)
        return _Text(text.encode("utf-8"), 0, codec16, checked=True)
    if b"\x00" in head:
        raise InputError(f"{name}: binary file (NUL bytes), not a text table")
    controls = sum(
        head.count(bytes([b])) for b in (*range(1, 9), 11, 14, *range(16, 27), *range(28, 32))
    )
    if controls * 10 > len(head):
        raise InputError(f"{name}: binary file (control bytes), not a text table")
    sample = _cut_sample(data, SAMPLE_BYTES)
    try:
        _decode_sample(sample)
    except UnicodeDecodeError:
        text, codec = _legacy_decode(data)
        return _Text(text.encode("utf-8"), 0, codec, checked=True)
    return _Text(data, 0, "utf-8", checked=len(sample) == len(data))


def _decode_sample(sample: bytes) -> str:
    """UTF-8 text of a sample; a character cut in two at the sample's end is left out."""
    return codecs.getincrementaldecoder("utf-8")().decode(sample, final=False)


def _cut_sample(data: bytes, size: int, start: int = 0) -> bytes:
    """The first `size` bytes from `start`, cut after a line end (never inside a character)."""
    if len(data) - start <= size:
        return data[start:]
    cut = data.rfind(b"\n", start, start + size)
    return data[start : cut + 1] if cut >= 0 else data[start : start + size]


def _redecode(name: str, text: _Text) -> _Text:
    """The body turned out not to be valid UTF-8: decode the whole file again."""
    raw = text.data[text.start :]
    decoded, codec = _legacy_decode(raw)
    return _Text(decoded.encode("utf-8"), 0, codec, checked=True)


# --------------------------------------------------------------------------------------
# Delimited text: records, delimiter, header
# --------------------------------------------------------------------------------------

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
    return len(cells) == len(header) or _header_width(cells) <= _header_width(header) <= len(cells)


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
        if hints.header_row is not None:
            index = next(
                (i for i, r in enumerate(records) if r.line <= hints.header_row <= r.end), -1
            )
        elif expected:
            index, _ = _best_header([r.cells for r in records], expected)
        else:
            index = _guess_header([r.cells for r in records])
        if index < 0:
            continue
        header = records[index]
        score = _match_score(header.cells, expected) if expected else 0
        width = _header_width(header.cells)
        fits = sum(
            1
            for r in records[index + 1 : index + 1 + HEADER_SCAN_ROWS]
            if _filled(r.cells) and _fits(r.cells, header.cells)
        )
        key = (score, int(width > 1), fits, width, -rank)
        if best is None or key > best[0]:
            best = (key, _Layout(delim, header))
    if best is None:
        if hints.header_row is not None:
            raise InputError(f"{name}: header row {hints.header_row} is beyond the end of the file")
        if expected:
            raise InputError(
                f"{name}: no header row with {expected_text} in the first {HEADER_SCAN_ROWS} rows"
            )
        raise InputError(f"{name}: empty file (no rows)")
    return best[1]


# --------------------------------------------------------------------------------------
# Delimited text: the body
# --------------------------------------------------------------------------------------


def _polars_body(data: bytes, skip_lines: int, width: int, delimiter: str) -> pl.DataFrame | None:
    """The body with Polars: None when Polars refuses it (malformed quoting)."""
    cols = _cols(width)
    slack, counted = SLACK_COLUMNS, False
    while True:
        spare = _cols(width + slack)[width:]
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
                raise _NotUtf8 from None
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
        return raw.select(*cols, _extra_expr(spare))


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
    d = re.escape(delimiter)
    cell = rf'(?:"(?:[^"]|"")*"|[^"\r{d}]*)'
    well_formed = rf"^{cell}(?:{d}{cell})*\r?$"
    try:
        text = pl.Series(lines, dtype=pl.Binary).cast(pl.String)
    except pl.exceptions.PolarsError:
        raise _NotUtf8 from None
    odd = set(text.str.contains(well_formed).not_().arg_true().to_list())
    del text
    if not odd:
        return b"\n".join(lines)
    pieces: list[bytes] = []
    pos = 0
    for start in sorted(odd):
        if start < pos:
            continue  # read with the block before
        if start > pos:
            pieces.append(b"\n".join(lines[pos:start]) + b"\n")
        consumed = start

        def feed() -> Iterator[str]:
            nonlocal consumed
            while consumed < len(lines):
                consumed += 1
                try:
                    line = lines[consumed - 1].decode("utf-8")
                except UnicodeDecodeError:
                    raise _NotUtf8 from None
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
        pieces.append(out.getvalue().encode("utf-8"))
        pos = consumed
    if pos < len(lines):
        pieces.append(b"\n".join(lines[pos:]) + b"\n")
    return b"".join(pieces)


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
            pl.Series(c, v, dtype=pl.String) for c, v in zip(_cols(width), columns, strict=True)
        ]
        del rows, columns
    finally:
        if collecting:
            gc.enable()
    frame = pl.DataFrame([*series, pl.Series("_extra", extras, dtype=pl.String)])
    empty_is_null = [pl.when(pl.col(c) != "").then(pl.col(c)).alias(c) for c in _cols(width)]
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
            raise _NotUtf8 from None
        return _python_body(text, width, delimiter)
    except _CsvError as exc:
        line = skip + 1 + exc.line
        if "field limit" in str(exc):
            raise InputError(
                f"{name}: line {line}: a quoted cell runs on for more than "
                f"{csv.field_size_limit() // 1024} KB (a closing quote is missing?)"
            ) from None
        raise InputError(f"{name}: line {line}: {exc}") from None


def _line_offset(data: bytes, start: int, lines: int) -> int:
    pos = start
    for _ in range(lines):
        nl = data.find(b"\n", pos)
        if nl < 0:
            return len(data)
        pos = nl + 1
    return pos


def _read_delimited(
    name: str, data: bytes, expected: list[frozenset[str]], expected_text: str, hints: InputHints
) -> _Raw:
    text = _to_utf8(name, data, hints.encoding)
    strict_utf8 = hints.encoding is not None
    while True:
        try:
            return _read_utf8(name, text, expected, expected_text, hints)
        except _NotUtf8:
            if strict_utf8 or text.checked:
                raise InputError(f"{name}: not valid {text.encoding} text") from None
            text = _redecode(name, text)


def _read_utf8(
    name: str, text: _Text, expected: list[frozenset[str]], expected_text: str, hints: InputHints
) -> _Raw:
    data = text.data
    if b"\n" not in data and b"\r" in data:  # classic Mac line ends
        data = data.replace(b"\r", b"\n")
    body_start = text.start
    if not _NON_SPACE.search(data, body_start):
        raise InputError(f"{name}: empty file (no rows)")

    # The sample: enough lines to hold HEADER_SCAN_ROWS records (or the hinted header row).
    size = SAMPLE_BYTES
    while True:
        sample_bytes = _cut_sample(data, size, body_start)
        try:
            sample = _decode_sample(sample_bytes)
        except UnicodeDecodeError:
            raise _NotUtf8 from None
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
    header = layout.header.cells[: _header_width(layout.header.cells)]
    if not header:
        raise InputError(f"{name}: the header row (line {layout.header.line}) is empty")
    width = len(header)
    skip = layout.header.end

    # The UTF-8 BOM, if any, sits on a skipped line: Polars reads the file's own bytes.
    body = _read_body(name, data, body_start, skip, width, layout.delimiter)
    return _Raw(
        body=body,
        header=header,
        header_row=layout.header.line,
        encoding=text.encoding,
        delimiter=layout.delimiter,
        sheet=None,
    )


# --------------------------------------------------------------------------------------
# Workbooks (XLSX/XLS) through fastexcel (calamine)
# --------------------------------------------------------------------------------------

# fastexcel turns a date cell into "2024-03-15 00:00:00" and a time-only cell into
# "1899-12-31 09:07:00"; a person sees 2024-03-15 and 09:07:00.
_MIDNIGHT = r"^(\d{4}-\d{2}-\d{2}) 00:00:00$"
_TIME_ONLY = r"^1899-12-3[01] (\d{2}:\d{2}:\d{2}(?:\.\d+)?)$"


def _displayed_text(value: str) -> str:
    return re.sub(_TIME_ONLY, r"\1", re.sub(_MIDNIGHT, r"\1", value))


def _as_displayed(column: str) -> pl.Expr:
    value = pl.col(column).str.replace(_MIDNIGHT, "${1}").str.replace(_TIME_ONLY, "${1}")
    return pl.when(value != "").then(value).alias(column)


def _read_workbook(
    name: str,
    data: bytes,
    fmt: str,
    expected: list[frozenset[str]],
    expected_text: str,
    hints: InputHints,
) -> _Raw:
    import fastexcel

    kind = "XLSX" if fmt == "xlsx" else "XLS"
    try:
        reader = fastexcel.read_excel(data)
        sheet_names = list(reader.sheet_names)
    except Exception as exc:  # calamine reports corrupt files with several exception types
        raise InputError(f"{name}: not a readable {kind} workbook ({_short(exc)})") from None
    if not sheet_names:
        raise InputError(f"{name}: the workbook has no sheets")
    indices = (
        [_sheet_index(name, sheet_names, hints.sheet)]
        if hints.sheet is not None
        else list(range(len(sheet_names)))
    )

    # The sheet: the one whose header holds the most expected headers; without expected
    # headers, the one with a label-like header and the most filled cells (the lead list is
    # the big sheet, not the summary). Visible sheets first, then workbook order.
    best: tuple[tuple[int, int, int, int, int], pl.DataFrame, int, int] | None = None
    too_short = False
    unreadable: str | None = None
    for idx in indices:
        try:
            sheet = reader.load_sheet(idx, header_row=None, skip_rows=0, dtypes="string")
            frame = sheet.to_polars()
            visible = getattr(sheet, "visible", "visible") == "visible"
        except Exception as exc:  # a chart sheet, a damaged sheet: the others may do
            unreadable = f"{name}: sheet '{sheet_names[idx]}' cannot be read ({_short(exc)})"
            if hints.sheet is not None:
                raise InputError(unreadable) from None
            continue
        if frame.width == 0 or frame.height == 0:
            continue
        frame = frame.rename(dict(zip(frame.columns, _cols(frame.width), strict=True)))
        rows = [[v or "" for v in r] for r in frame.head(HEADER_SCAN_ROWS).rows()]
        if hints.header_row is not None:
            h = hints.header_row - 1
            if h >= frame.height:
                too_short = True
                continue
            score = _match_score(rows[h], expected) if h < len(rows) and expected else 0
        elif expected:
            h, score = _best_header(rows, expected)
            if score == 0:
                continue
        else:
            h, score = _guess_header(rows), 0
            if h < 0:
                continue
        labels = int(not expected and _looks_like_labels(rows[h] if h < len(rows) else []))
        filled = 0 if expected else frame.width * frame.height - sum(frame.null_count().row(0))
        key = (score, labels, int(visible), filled, -idx)
        if best is None or key > best[0]:
            best = (key, frame, idx, h)
    if best is None:
        if hints.header_row is not None and too_short:
            raise InputError(
                f"{name}: header row {hints.header_row} is beyond the end of the sheet"
            )
        if expected:
            where = (
                f"sheet '{sheet_names[indices[0]]}'"
                if hints.sheet is not None
                else ("any sheet (" + ", ".join(f"'{s}'" for s in sheet_names) + ")")
            )
            raise InputError(
                f"{name}: no header row with {expected_text} in the first {HEADER_SCAN_ROWS} rows of {where}"
            )
        raise InputError(unreadable or f"{name}: empty workbook (no cells in any sheet)")
    _, frame, idx, h = best

    header_cells = [_displayed_text(v or "") for v in frame.row(h)]
    body = frame.slice(h + 1)
    # Leading columns with no header and no data (a title cell sat there) are not columns.
    lead = 0
    while (
        lead < len(header_cells) - 1
        and not header_cells[lead].strip()
        and body[f"c{lead}"].null_count() == body.height
    ):
        lead += 1
    header_cells = header_cells[lead:]
    width = _header_width(header_cells)
    if width == 0:
        raise InputError(f"{name}: the header row (row {h + 1}) is empty")
    table = [f"c{lead + i}" for i in range(width)]
    spare = [c for c in body.columns[lead + width :] if body[c].null_count() < body.height]
    body = body.with_columns(_as_displayed(c) for c in table + spare).select(
        *[pl.col(c).alias(f"c{i}") for i, c in enumerate(table)], _extra_expr(spare)
    )
    return _Raw(
        body=body,
        header=header_cells[:width],
        header_row=h + 1,
        encoding=None,
        delimiter=None,
        sheet=sheet_names[idx],
    )


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
    listed = ", ".join(f"'{s}'" for s in sheet_names)
    raise InputError(f"{name}: no sheet {wanted!r} (the workbook has {listed})")


def _short(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    line = text[0] if text else type(exc).__name__
    return line if len(line) <= 120 else line[:117] + "..."


# --------------------------------------------------------------------------------------
# Entry point
# --------------------------------------------------------------------------------------


def _read_bytes(path: Path, name: str) -> bytes:
    try:
        if path.is_dir():
            raise InputError(f"{name}: is a directory, not a file")
        data = path.read_bytes()
    except FileNotFoundError:
        raise InputError(f"{name}: file not found") from None
    except IsADirectoryError:
        raise InputError(f"{name}: is a directory, not a file") from None
    except PermissionError:
        raise InputError(f"{name}: permission denied") from None
    except OSError as exc:
        raise InputError(f"{name}: cannot be read ({exc.strerror or exc})") from None
    if not data:
        raise InputError(f"{name}: empty file (0 bytes)")
    return data


_HTML = re.compile(rb"^\s*<(?:!doctype\s+html|html|table|\?xml)", re.IGNORECASE)


def _format_of(path: Path, data: bytes, name: str) -> str:
    """The format by extension, corrected by content where exports lie about it."""
    ext = path.suffix.lower()
    fmt = FORMATS.get(ext)
    if fmt is None:
        supported = ", ".join(FORMATS)
        shown = f"'{ext}'" if ext else "(no extension)"
        raise InputError(f"{name}: unsupported file type {shown} (supported: {supported})")
    if data.startswith(b"PK\x03\x04"):
        return "xlsx" if fmt == "csv" else fmt  # a workbook saved under a text name
    if data.startswith(b"\xd0\xcf\x11\xe0"):
        return "xls" if fmt == "csv" else fmt
    if fmt != "csv":
        head = data[:1024].removeprefix(codecs.BOM_UTF8)
        if _HTML.match(head):
            raise InputError(
                f"{name}: a web page saved as {ext}, not a workbook "
                "(open it in a spreadsheet and save it as .xlsx or .csv)"
            )
        if _looks_like_text(data[:8192]):
            return "csv"  # tab-separated text saved as .xls, as some exports do
    return fmt


def _looks_like_text(head: bytes) -> bool:
    if head.startswith((codecs.BOM_UTF8, codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return True
    if b"\x00" in head or not head:
        return False
    controls = sum(1 for b in head if b < 32 and b not in (9, 10, 13))
    return controls * 20 < len(head) and b"\n" in head


def read_table(
    path: str | Path,
    *,
    expected_headers: Sequence[str | Sequence[str]] = (),
    hints: InputHints | None = None,
) -> Table:
    """Read a lead file into a table of strings, detecting its layout.

    `expected_headers` (the mapping's source headers; an entry that is a list holds
    alternates) pick the header row and the sheet; without them the header is the first
    label-like row about as wide as the widest. `hints` override detection.
    Raises `InputError` (one line, naming the file) for anything that is not a readable table.
    """
    p = Path(path)
    name = p.name or str(p)
    hints = hints or InputHints()
    if hints.header_row is not None and hints.header_row < 1:
        raise InputError(f"{name}: header row hint must be 1 or more, got {hints.header_row}")
    data = _read_bytes(p, name)
    fmt = _format_of(p, data, name)
    expected = _expected_keys(expected_headers)
    expected_text = _describe_expected(expected_headers)
    with ThreadPoolExecutor(max_workers=1) as pool:
        # hashlib releases the GIL: the digest is computed while the table is parsed.
        digest = pool.submit(lambda: hashlib.sha256(data).hexdigest())
        try:
            if fmt == "csv":
                raw = _read_delimited(name, data, expected, expected_text, hints)
            else:
                raw = _read_workbook(name, data, fmt, expected, expected_text, hints)
        except (InputError, MemoryError):
            raise
        except Exception as exc:  # never a traceback for bad input
            raise InputError(
                f"{name}: could not be read as {fmt.upper()} ({type(exc).__name__})"
            ) from exc
        sha = digest.result()
    try:
        return _assemble(raw, str(path), fmt, sha)
    except Exception as exc:  # pragma: no cover - a bug, reported as one line all the same
        raise InputError(f"{name}: could not be read ({type(exc).__name__})") from exc
