"""Writing: atomic, readable by colleagues, every cell neutralized, optional BOM."""

from __future__ import annotations

import os
import stat
from pathlib import Path
from typing import Any

import polars as pl
import pytest

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
        ({"a": [None, None], "b": ["@x", "-"]}, ["a,b", ",'@x", ",'-"]),
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
