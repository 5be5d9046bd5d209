"""Writing: atomic, readable by colleagues, every cell neutralized, optional BOM."""

from __future__ import annotations

import csv
import os
import re
import stat
from pathlib import Path
from typing import Any

import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from leadkit.normalizers.text import is_formula_like
from leadkit.write import atomic_file, write_csv


def test_cells_are_neutralized_but_numbers_and_phones_are_not(tmp_path: Path) -> None:
    frame = pl.DataFrame({"a": ["=1+2", "@SUM(A1)", "+44 20 7946 0958", "-5", "-x", "plain", None]})
    write_csv(frame, tmp_path / "o.csv")
    lines = (tmp_path / "o.csv").read_text().splitlines()
    assert lines == ["a", "'=1+2", "'@SUM(A1)", "+44 20 7946 0958", "-5", "'-x", "plain", ""]


@pytest.mark.parametrize(
    ("columns", "expected"),
    [
        # only the column with a formula is rewritten; the others are written as they are
        ({"a": ["x", "=1"], "b": ["+1 5", None], "n": [1, 2]}, ["a,b,n", "x,+1 5,1", "'=1,,2"]),
        ({"a": [None, None], "b": ["@x", "-"]}, ["a,b", ",'@x", ",-"]),
        ({"a": pl.Series([], dtype=pl.String)}, ["a"]),
    ],
)
def test_neutralizing_mixed_columns(
    tmp_path: Path, columns: dict[str, Any], expected: list[str]
) -> None:
    write_csv(pl.DataFrame(columns), tmp_path / "o.csv")
    assert (tmp_path / "o.csv").read_text().splitlines() == expected


def test_bom_is_optional(tmp_path: Path) -> None:
    frame = pl.DataFrame({"a": ["é"]})
    write_csv(frame, tmp_path / "plain.csv")
    write_csv(frame, tmp_path / "bom.csv", bom=True)
    assert not (tmp_path / "plain.csv").read_bytes().startswith(b"\xef\xbb\xbf")
    assert (tmp_path / "bom.csv").read_bytes().startswith(b"\xef\xbb\xbf")


def test_outputs_are_readable_by_others(tmp_path: Path) -> None:
    old = os.umask(0o022)
    try:
        write_csv(pl.DataFrame({"a": ["x"]}), tmp_path / "o.csv")
    finally:
        os.umask(old)
    assert stat.S_IMODE((tmp_path / "o.csv").stat().st_mode) == 0o644


def test_interrupted_write_leaves_nothing_under_the_final_name(tmp_path: Path) -> None:
    target = tmp_path / "o.csv"

    def interrupted() -> None:
        with atomic_file(target, "w") as fh:
            fh.write("half")
            raise RuntimeError("killed")

    with pytest.raises(RuntimeError):
        interrupted()
    assert not target.exists()
    assert list(tmp_path.iterdir()) == []


def test_existing_file_is_replaced_whole(tmp_path: Path) -> None:
    target = tmp_path / "o.csv"
    target.write_text("old\n")
    with atomic_file(target, "w") as fh:
        fh.write("new\n")
    assert target.read_text() == "new\n"


# OWASP's payloads and the forms issue 13 found getting through; then what must stay as it is.
OWASP = [
    "-2+3+cmd|' /C calc'!A0",
    "+1+cmd|' /C calc'!A0",
    "-.5+cmd|' /C calc'!A0",
    '-0+HYPERLINK("http://x")',
    '=HYPERLINK("http://x")',
    '  =HYPERLINK("http://x")',
    "\u00a0@SUM(A1)",
    "@SUM(A1)",
    "\tx",
    "\rx",
    "\uff1d1+1",
    "\uff0b1+1",
    "\uff20SUM(A1)",
    "\uff0dx",
    " -x",
    "+x",
    "-1,5",
]
KEPT = [
    "+44 20 7946 0123",
    "-5",
    "+1 (555) 010.0100",
    "+16505550199 x204",
    "+1 555 0100 ext. 12",
    "-",
    "12",
    "Ann",
    "a=b",
    "Grand Total",
]


@pytest.mark.parametrize("value", OWASP)
def test_formula_payloads_are_neutralized(tmp_path: Path, value: str) -> None:
    write_csv(pl.DataFrame({"v": [value]}), tmp_path / "o.csv")
    assert pl.read_csv(tmp_path / "o.csv")["v"].to_list() == ["'" + value]


@pytest.mark.parametrize("value", KEPT)
def test_numbers_phones_and_text_are_kept(tmp_path: Path, value: str) -> None:
    write_csv(pl.DataFrame({"v": [value]}), tmp_path / "o.csv")
    assert pl.read_csv(tmp_path / "o.csv", infer_schema=False)["v"].to_list() == [value]


def test_headers_are_neutralized_and_taken_literally(tmp_path: Path) -> None:
    """Rejects repeat the source headers: a header is a cell too, and `*` is no wildcard."""
    frame = pl.DataFrame({"=cmd()": ["=1"], "*": ["x"], "^.*$": ["-1+1"], "ok": ["y"]})
    write_csv(frame, tmp_path / "o.csv")
    lines = (tmp_path / "o.csv").read_text().splitlines()
    assert lines == ["'=cmd(),*,^.*$,ok", "'=1,x,'-1+1,y"]


_CHARS = st.characters(exclude_categories=["Cs"])  # text a file can hold (no lone surrogates)
_RISKY_START = ("=", "@", "+", "-", "\t", "\r", "\uff1d", "\uff0b", "\uff20", "\uff0d")


@given(
    st.lists(
        st.tuples(
            st.text(st.sampled_from(" \t\r=@+-\uff1d\uff20\u00a0") | _CHARS, max_size=4),
            st.text(_CHARS, max_size=12),
        ),
        min_size=1,
        max_size=8,
    )
)
@settings(max_examples=150, suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_no_written_cell_or_header_runs_as_a_formula(
    tmp_path: Path, cells: list[tuple[str, str]]
) -> None:
    """Property: whatever the cells and headers, every cell read back either is a number or
    phone shape, or does not start (after whitespace) with a formula lead-in."""
    values = [a + b for a, b in cells]
    frame = pl.DataFrame({f"{v}#{i}": [v] for i, v in enumerate(values)})
    path = tmp_path / "o.csv"
    write_csv(frame, path)
    with path.open(newline="", encoding="utf-8") as fh:
        rows = list(csv.reader(fh))
    for cell in rows[0] + rows[1]:
        stripped = cell.lstrip()
        if cell.startswith(("\t", "\r")) or stripped.startswith(_RISKY_START):
            assert re.fullmatch(r"[+-]?[0-9 ().]*(?: ?(?:x|ext\.?) ?[0-9]+)?", cell), repr(cell)
    assert rows[1] == [("'" + v) if is_formula_like(v) else v for v in values]
