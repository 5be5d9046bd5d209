"""Resource limits, checked before a file is parsed: a hostile file is refused with one line
instead of taking the process down.

- a workbook (XLSX) is a zip: every part's uncompressed size and compression ratio (a zip
  bomb), then each sheet's cells' spread. The XLSX reader allocates a dense grid from the
  first to the last cell, so one cell at A1 and one at XFD1048576 ask for 17 billion cells
  (512 GiB): the cell references are scanned from the sheet's XML, streamed, before it sees
  them. The declared `<dimension ref>` is read too, but only the cells' true spread is refused
  (a declared dimension alone allocates nothing; exports that declare too much are common);
- a text file: no cell over `max_cell_bytes`, no table over `max_columns`.

The defaults are far beyond any real lead file; a mapping's `limits:` overrides them.
"""

from __future__ import annotations

import re
import zipfile
from dataclasses import dataclass
from io import BytesIO

from leadkit.errors import InputError


@dataclass(frozen=True)
class ReadLimits:
    """What the reader accepts; over any of these a file is an `InputError`."""

    max_columns: int = 5_000  # columns in the table (header or widest row)
    max_cell_bytes: int = 1 << 20  # one cell's text, in UTF-8 bytes
    max_sheet_cells: int = 60_000_000  # a sheet's rows x columns, first to last cell
    max_part_bytes: int = 1 << 30  # one part of a workbook, uncompressed
    max_zip_ratio: int = 200  # uncompressed / compressed, for parts over RATIO_FLOOR


# Small parts compress extremely well (a sheet of empty styled rows); the ratio is only
# looked at for parts that expand to more than this.
RATIO_FLOOR = 16 << 20
_CHUNK = 1 << 20
# A cell's or a row's reference attribute: `<c r="XFD1048576"`, `<x:row r="12"`.
_CELL_REF = re.compile(rb'<(?:[A-Za-z_][\w.-]*:)?c\s[^>]*?\br="([A-Z]{1,4})([0-9]{1,8})"')
_ROW_REF = re.compile(rb'<(?:[A-Za-z_][\w.-]*:)?row\s[^>]*?\br="([0-9]{1,8})"')
_DIMENSION = re.compile(rb'<(?:[A-Za-z_][\w.-]*:)?dimension\s[^>]*?\bref="([^"]*)"')
_SHEET_PART = re.compile(r"^xl/worksheets/[^/]+\.xml$", re.IGNORECASE)


def column_number(letters: bytes) -> int:
    """`A` -> 1, `XFD` -> 16384."""
    n = 0
    for ch in letters:
        n = n * 26 + ch - 64
    return n


@dataclass
class _Spread:
    min_row: int = 0
    max_row: int = 0
    min_col: int = 0
    max_col: int = 0
    dimension: str | None = None

    def add(self, row: int, col: int) -> None:
        if not self.max_row:
            self.min_row = self.max_row = row
            self.min_col = self.max_col = col
            return
        self.min_row, self.max_row = min(self.min_row, row), max(self.max_row, row)
        self.min_col, self.max_col = min(self.min_col, col), max(self.max_col, col)

    @property
    def rows(self) -> int:
        return self.max_row - self.min_row + 1 if self.max_row else 0

    @property
    def columns(self) -> int:
        return self.max_col - self.min_col + 1 if self.max_col else 0


def _sheet_spread(zf: zipfile.ZipFile, info: zipfile.ZipInfo) -> _Spread:
    """The spread of a sheet's cells, read from its XML in chunks (never whole in memory)."""
    spread = _Spread()
    tail = b""
    with zf.open(info) as fh:
        while chunk := fh.read(_CHUNK):
            text = tail + chunk
            # A tag cut by the chunk's end is read with the next chunk: keep from its `<`.
            cut = text.rfind(b"<")
            cut = cut if cut >= 0 and text.find(b">", cut) < 0 else len(text)
            body, tail = text[:cut], text[cut:]
            if len(tail) > _CHUNK:  # no tag is that long: not a sheet worth reading
                tail = b""
            if spread.dimension is None and (m := _DIMENSION.search(body)):
                spread.dimension = m.group(1).decode("ascii", "replace")
            for m in _CELL_REF.finditer(body):
                spread.add(int(m.group(2)), column_number(m.group(1)))
            for m in _ROW_REF.finditer(body):  # cells without `r` sit on their row
                spread.add(int(m.group(1)), spread.min_col or 1)
    return spread


def check_workbook(name: str, data: bytes, limits: ReadLimits) -> None:
    """Refuse an XLSX whose parts or sheets would exhaust memory when read."""
    try:
        zf = zipfile.ZipFile(BytesIO(data))
    except (zipfile.BadZipFile, OSError, ValueError):
        return  # not a zip: fastexcel says what it is
    with zf:
        infos = zf.infolist()
        for info in infos:
            size, packed = info.file_size, max(info.compress_size, 1)
            if size > limits.max_part_bytes:
                raise InputError(
                    f"{name}: workbook part {info.filename!r} expands to {_mib(size)}, over the "
                    f"limit of {_mib(limits.max_part_bytes)} (limits.max_part_bytes)"
                )
            if size > RATIO_FLOOR and size // packed > limits.max_zip_ratio:
                raise InputError(
                    f"{name}: workbook part {info.filename!r} expands {size // packed} times "
                    f"(to {_mib(size)}), over the limit of {limits.max_zip_ratio} "
                    "(limits.max_zip_ratio): a zip bomb?"
                )
        for info in infos:
            if not _SHEET_PART.match(info.filename):
                continue
            try:
                spread = _sheet_spread(zf, info)
            except (zipfile.BadZipFile, OSError, EOFError, ValueError, NotImplementedError):
                continue  # a damaged part: fastexcel reports it
            sheet = info.filename.rsplit("/", 1)[-1]
            if spread.columns > limits.max_columns:
                raise InputError(
                    f"{name}: sheet part {sheet!r} has cells across {spread.columns} columns, "
                    f"over the limit of {limits.max_columns} (limits.max_columns)"
                )
            if spread.rows * spread.columns > limits.max_sheet_cells:
                raise InputError(
                    f"{name}: sheet part {sheet!r} spreads its cells over {spread.rows} rows x "
                    f"{spread.columns} columns, over the limit of {limits.max_sheet_cells} cells "
                    "(limits.max_sheet_cells)"
                )


def _mib(n: int) -> str:
    return f"{n / (1 << 20):.0f} MiB" if n >= 1 << 20 else f"{n} bytes"


def long_cell_line(data: bytes, delimiter: str, limits: ReadLimits, start: int = 0) -> int | None:
    """The 1-based line of the first run of more than `max_cell_bytes` bytes holding neither
    a line feed nor the delimiter (a cell too big whatever its quoting), else None.

    The look-behind makes each run be tried once from its start: linear in the file's size.
    """
    d = re.escape(delimiter.encode("utf-8"))
    run = re.compile(rb"(?<![^\n" + d + rb"])[^\n" + d + rb"]{%d}" % (limits.max_cell_bytes + 1))
    m = run.search(data, start)
    if m is None:
        return None
    return data.count(b"\n", start, m.start()) + 1
