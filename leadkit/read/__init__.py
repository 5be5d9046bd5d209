"""Stage 1: any partner lead file (CSV/TSV/TXT, XLSX/XLS) -> a table of strings + what was detected.

The reader's promises:

- every value arrives as the text a person sees (`pl.String`; empty cells are null; spreadsheet
  numbers and dates as they are displayed, never `4.15e9`);
- nothing is dropped silently: cells beyond the header go to `_extra`, blank records are
  counted, `_row` keeps the count a person makes (blank records keep their number);
- preambles, title rows, other report sections and export footers are not data;
- bad input stops with one `InputError` line naming the file, never a traceback.

The package, in the order a file goes through it:

- `encoding`: text files to UTF-8 (BOMs, UTF-16, cp1252, stray cp1252 bytes), binary refused;
- `delimited`: CSV/TSV/TXT: delimiter and header on a sample, the body through Polars (the
  lines it refuses repaired by Python's csv module);
- `workbook`: XLSX/XLS through fastexcel, the sheet chosen by its header;
- `layout`: the header row, column names, and the table's end (report sections, footers);
  `assemble` turns the raw table every reader returns into the `Table`;
- `table`: the types (`InputHints`, `ReadInfo`, `Table`, the raw table);
- here: `read_table`, which reads the file and tells its format by extension and content.
"""

from __future__ import annotations

import codecs
import hashlib
import re
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from leadkit.errors import InputError
from leadkit.read.delimited import read_delimited
from leadkit.read.layout import assemble, describe_expected, expected_keys, header_key, quoted
from leadkit.read.limits import ReadLimits
from leadkit.read.table import InputHints, ReadInfo, Table, with_read_problems

__all__ = [
    "InputHints",
    "ReadInfo",
    "ReadLimits",
    "Table",
    "header_key",
    "read_table",
    "with_read_problems",
]

FORMATS = {
    ".csv": "csv",
    ".tsv": "csv",
    ".tab": "csv",
    ".txt": "csv",
    ".xlsx": "xlsx",
    ".xlsm": "xlsx",
    ".xls": "xls",
}


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
        shown = quoted(ext) if ext else "(no extension)"
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
    expected = expected_keys(expected_headers)
    expected_text = describe_expected(expected_headers)
    with ThreadPoolExecutor(max_workers=1) as pool:
        # hashlib releases the GIL: the digest is computed while the table is parsed.
        digest = pool.submit(lambda: hashlib.sha256(data).hexdigest())
        try:
            if fmt == "csv":
                raw = read_delimited(name, data, expected, expected_text, hints)
            else:
                from leadkit.read.workbook import read_workbook  # fastexcel: on the first workbook

                raw = read_workbook(name, data, fmt, expected, expected_text, hints)
        except (InputError, MemoryError):
            raise
        except Exception as exc:  # never a traceback for bad input
            raise InputError(
                f"{name}: could not be read as {fmt.upper()} ({type(exc).__name__})"
            ) from exc
        sha = digest.result()
    try:
        return assemble(raw, str(path), fmt, sha)
    except Exception as exc:  # pragma: no cover - a bug, reported as one line all the same
        raise InputError(f"{name}: could not be read ({type(exc).__name__})") from exc
