"""Where the table sits among a file's rows, for text files and sheets alike.

- the header: the row holding the most expected headers, else the first label-like row about
  as wide as the table (`best_header`, `guess_header`); its cells become unique column names
  (`column_names`) and `header_key` is what headers are matched on;
- the table's end (`table_end`): the title row of a new report section (Zoom's attendee and
  poll sections), else an export footer. `find_footer` is the one function that decides a
  footer; `_FOOTER` holds the lines that start one;
- `assemble`: the raw body cut to the table, blank records counted and skipped, `_row` numbered.
"""

from __future__ import annotations

import bisect
import re
import unicodedata
from collections import Counter
from collections.abc import Sequence

import polars as pl

from leadkit.read.table import RESERVED, RawTable, ReadInfo, Table, raw_columns

# The header is looked for in the first HEADER_SCAN_ROWS records; without expected headers
# (`leadkit inspect`) the label-like guess looks at the first LABEL_SCAN_ROWS.
HEADER_SCAN_ROWS = 200
LABEL_SCAN_ROWS = 50
# Footers are looked for among the last TAIL_ROWS records of the table.
TAIL_ROWS = 64
# Section titles (Zoom-style reports) are checked at most this many times per file.
MAX_SECTION_CANDIDATES = 2000


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


def column_names(cells: Sequence[str]) -> list[str]:
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


def quoted(text: str) -> str:
    """`text` in quotes for a message, every character that is not printable escaped
    (`\\x1d`, `\\u2028`, a lone surrogate): a name from a file or a mapping never breaks
    the message's line or reaches the terminal as a control sequence."""
    shown = "".join(
        c if c.isprintable() else c.encode("unicode_escape", "backslashreplace").decode("ascii")
        for c in text
    )
    return f"'{shown}'"


def expected_keys(expected: Sequence[str | Sequence[str]]) -> list[frozenset[str]]:
    keys: list[frozenset[str]] = []
    for entry in expected:
        alts = [entry] if isinstance(entry, str) else list(entry)
        found = frozenset(k for k in (header_key(a) for a in alts) if k)
        if found:
            keys.append(found)
    return keys


def describe_expected(expected: Sequence[str | Sequence[str]]) -> str:
    shown = []
    for entry in expected:
        alts = [entry] if isinstance(entry, str) else list(entry)
        if alts:
            shown.append(" / ".join(quoted(a) for a in alts))
    if len(shown) > 6:
        return ", ".join(shown[:6]) + f" (or {len(shown) - 6} more)"
    return ", ".join(shown)


def match_score(cells: Sequence[str], expected: list[frozenset[str]]) -> int:
    keys = {header_key(c) for c in cells if c}
    return sum(1 for alts in expected if not alts.isdisjoint(keys))


def best_header(rows: Sequence[Sequence[str]], expected: list[frozenset[str]]) -> tuple[int, int]:
    """(index, score) of the first row holding the most expected headers; score 0: none."""
    best, best_score = -1, 0
    for i, cells in enumerate(rows[:HEADER_SCAN_ROWS]):
        score = match_score(cells, expected)
        if score > best_score:
            best, best_score = i, score
    return best, best_score


def filled_cells(cells: Sequence[str]) -> list[str]:
    return [c.strip() for c in cells if c and not c.isspace()]


def looks_like_labels(cells: Sequence[str]) -> bool:
    """Header-like: no email addresses, mostly non-numeric, mostly distinct."""
    values = filled_cells(cells)
    if not values or any("@" in v for v in values):
        return False
    numeric = sum(1 for v in values if _NUMERIC_LIKE.match(v))
    distinct = len({header_key(v) for v in values})
    return numeric * 5 <= len(values) and distinct * 2 >= len(values)


def guess_header(rows: Sequence[Sequence[str]]) -> int:
    """Without expected headers: the first label-like row about as wide as the table.

    The table's width is the widest row width seen at least twice (one ragged row with extra
    cells is not the table), and "about" is 80% (the header may leave a column unnamed).
    """
    scan = rows[:LABEL_SCAN_ROWS]
    widths = [len(filled_cells(r)) for r in scan]
    if not any(widths):
        return -1
    counts = Counter(w for w in widths if w)
    repeated = [w for w, n in counts.items() if n > 1]
    table_width = max(repeated) if repeated else max(widths)
    need = max(1, -(-table_width * 4 // 5))
    for i, cells in enumerate(scan):
        if widths[i] >= need and looks_like_labels(cells):
            return i
    return next(i for i, w in enumerate(widths) if w >= need)


def header_width(cells: Sequence[str]) -> int:
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
        grand\s+totals?\s*(?:[:(=]|\d|$)
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


# A bare `Total` or `Grand Total` is a footer only with fewer filled cells than a lead: it may
# be a lead's company.
_WEAK_FOOTER = re.compile(r"^(?:(?:grand\s+)?(?:sub)?totals?)$", re.IGNORECASE)
# A phone number: 7 or more digits with a phone's separators (a plain sum is not one).
_PHONE = re.compile(r"^\+?[\d\s().\-/]*$")


def _has_contact(cells: Sequence[str]) -> bool:
    """A cell holds an email address or a phone number: the row is a lead's, never a footer
    or a section title."""
    for c in cells:
        if "@" in c:
            return True
        if _PHONE.match(c) and sum(ch.isdigit() for ch in c) >= 7 and not c.isdigit():
            return True
    return False


def _is_footer_line(cells: Sequence[str]) -> bool:
    return bool(cells) and bool(_FOOTER.match(cells[0])) and not _has_contact(cells)


def _lead_width(rows: Sequence[list[str]], width: int) -> int:
    """How many cells a lead fills: the median over the non-footer rows (else the header's)."""
    widths = sorted(len(r) for r in rows if r and not _is_footer_line(r))
    return widths[len(widths) // 2] if widths else width


def find_footer(rows: Sequence[list[str]], width: int) -> int | None:
    """Index in `rows` (the table's last records, as their non-blank cells) of a footer's start.

    A footer starts at a known footer line (`Grand Totals (12 records)`, `Copyright (c) ...`,
    `Generated By: ...`) after which only short lines (one or two cells: a company name, a
    date) and blank records follow. A one-cell line right before it and right after a blank
    record belongs to it too: Salesforce puts the report's name there. A line holding an email
    or a phone is never one; a bare `Total` only with fewer filled cells than a lead.
    """
    for p, cells in enumerate(rows):
        if not _is_footer_line(cells):
            continue
        if _WEAK_FOOTER.match(cells[0]) and len(cells) >= _lead_width(rows[:p], width):
            continue
        if not all(len(r) <= 2 or _is_footer_line(r) for r in rows[p + 1 :]):
            continue
        if width > 1 and p >= 2 and len(rows[p - 1]) == 1 and not rows[p - 2]:
            return p - 1
        return p
    return None


def _header_like(cells: Sequence[str]) -> bool:
    values = filled_cells(cells)
    if len(values) < 2 or any(len(v) > 80 or "@" in v or _NUMERIC_LIKE.match(v) for v in values):
        return False
    keys = [header_key(v) for v in values]
    return len(set(keys)) == len(keys)


# Words a report section's header row holds (Zoom's `Attended, User Name, Email, Join Time`):
# a title-like row followed by a row without any is a lead (a company named `Lab Results`).
_HEADER_WORD = re.compile(
    r"\b(?:e-?mail|name|phone|company|organi[sz]ation|title|time|date|status|country|"
    r"attended|attendee|registration|question|answer|address|city|id|duration|minutes|"
    r"source|type|guest|approval|join|leave)\b",
    re.IGNORECASE,
)


def _starts_new_section(title: str, following: Sequence[str], header: frozenset[str]) -> bool:
    """`title` (a record with one cell) followed by `following` starts a new report section:
    `following` shares two names with the table's header, or the title is a section title and
    `following` holds header words."""
    if len(title) > 80 or "@" in title or _NUMERIC_LIKE.match(title):
        return False
    if not _header_like(following) or _is_footer_line(following) or _has_contact(following):
        return False
    shared = len(header & {header_key(c) for c in filled_cells(following)})
    if shared >= 2:
        return True
    worded = sum(1 for c in filled_cells(following) if _HEADER_WORD.search(c))
    return bool(_SECTION_TITLE.search(title)) and worded >= 2


# --------------------------------------------------------------------------------------
# Assembling the table from a raw body: c0..c{n-1} (the header's columns) and `_extra`
# --------------------------------------------------------------------------------------


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


def assemble(raw: RawTable, path: str, fmt: str, sha: str) -> Table:
    """The table in `raw`: cut at its end, blank records counted and skipped, named columns."""
    nonblank = _nonblank(raw.body, raw_columns(len(raw.header)))
    end, footer = table_end(raw, nonblank)
    kept, blank_rows = _kept_records(nonblank, end)
    frame = _named_frame(raw, kept, blank_rows)
    # Non-blank records the table's end leaves out (a footer, another report section), by
    # their `_row` number: never dropped without a word.
    dropped = tuple(int(i) + 1 for i in nonblank.slice(end).arg_true() + end)
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
        dropped=dropped,
    )
    return Table(frame=frame, info=info)


def table_end(raw: RawTable, nonblank: pl.Series) -> tuple[int, str | None]:
    """Where the table ends (a body row index) and the text that ended it, if any.

    The first new report section cuts the body; an export footer at the end of what is left
    cuts it further.
    """
    end, footer = raw.body.height, None
    section = _new_section(raw, nonblank)
    if section is not None:
        end, footer = section
    found = _export_footer(raw.body, nonblank, end, len(raw.header))
    if found is not None:
        end, footer = found
    return end, footer


def _new_section(raw: RawTable, nonblank: pl.Series) -> tuple[int, str] | None:
    """(row, title) of a new report section: a one-cell title row followed by another
    table's header."""
    body = raw.body
    cols = raw_columns(len(raw.header))
    if len(cols) <= 1:
        return None
    header_keys = frozenset(header_key(c) for c in raw.header if c.strip())
    single = body.select(
        pl.all_horizontal(
            pl.col(cols[0]).is_not_null(), *[pl.col(c).is_null() for c in [*cols[1:], "_extra"]]
        )
    ).to_series()
    candidates = single.arg_true()
    if not candidates.len():
        return None
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
            return i, title
    return None


def _export_footer(
    body: pl.DataFrame, nonblank: pl.Series, end: int, width: int
) -> tuple[int, str] | None:
    """(row, text) of an export footer ending the table before `end`.

    Trailing blank rows, which a sheet can have by the thousand, are not part of the look.
    """
    filled_at = nonblank.slice(0, end).arg_true()
    last = int(filled_at[-1]) + 1 if filled_at.len() else 0
    lo = max(0, last - TAIL_ROWS)
    tail = [_row_cells(r) for r in body.slice(lo, last - lo).rows()]
    at = find_footer(tail, width)
    if at is None:
        return None
    return lo + at, next(", ".join(r) for r in tail[at:] if _is_footer_line(r))


def _kept_records(nonblank: pl.Series, end: int) -> tuple[pl.Series, int]:
    """The body's records up to the last data record before `end` (a mask: True where not
    blank), and how many of them are blank. Blank records after the last data record (before
    EOF or a footer) are not counted."""
    kept = nonblank.slice(0, end)
    data_at = kept.arg_true()
    last = int(data_at[-1]) + 1 if data_at.len() else 0
    kept = kept.slice(0, last)
    return kept, last - int(kept.sum() or 0)


def _named_frame(raw: RawTable, kept: pl.Series, blank_rows: int) -> pl.DataFrame:
    """The kept records under the header's column names, with `_row` and `_extra`."""
    body = raw.body
    cols = raw_columns(len(raw.header))
    names = column_names(raw.header)
    # One select (adding `_row` with with_columns first makes Polars realign all chunks).
    frame = body.select(
        *[pl.col(c).alias(name) for c, name in zip(cols, names, strict=True)],
        pl.int_range(1, pl.len() + 1, dtype=pl.Int64).alias("_row"),
        "_extra",
    )
    if raw.problems is not None:  # only when some record was split: `_read_problem`
        frame = frame.with_columns(raw.problems)
    if kept.len() < body.height:
        frame = frame.slice(0, kept.len())
    if blank_rows:
        frame = frame.filter(kept)
    return frame
