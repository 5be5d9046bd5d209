"""What a read produces: the input hints, the table and what was detected about it, and the raw
table every reader hands to `layout.assemble` (the header's cells, then the body as columns
`c0..c{n-1}` and `_extra`)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import polars as pl

from leadkit.read.limits import ReadLimits

# Column names a header cannot take: the reader adds these.
RESERVED = ("_row", "_extra", "_read_problem")


@dataclass(frozen=True)
class InputHints:
    """From the mapping's `input:` section; every field is optional."""

    sheet: str | int | None = None  # sheet name or 0-based index
    header_row: int | None = None  # 1-based physical row/line number of the header
    delimiter: str | None = None
    encoding: str | None = None
    limits: ReadLimits = field(default_factory=ReadLimits)  # from the mapping's `limits:`


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
    # `_row` numbers of the non-blank records after the table's end (footer, other sections)
    dropped: tuple[int, ...] = ()


@dataclass(frozen=True)
class Table:
    frame: pl.DataFrame  # one String column per header, then `_row` (Int64), `_extra` (String)
    info: ReadInfo


@dataclass
class RawTable:
    body: pl.DataFrame  # c0..c{n-1} String + `_extra` String, one row per record after the header
    header: list[str]  # the header cells (the table's width)
    header_row: int
    encoding: str | None
    delimiter: str | None
    sheet: str | None
    # per body row: why the reader split it from a merged record (`runaway_quote`, `bare_cr`)
    problems: pl.Series | None = None


def raw_columns(n: int) -> list[str]:
    """The raw body's names for a table `n` columns wide: `c0`, `c1`, ..."""
    return [f"c{i}" for i in range(n)]


def extra_cells(columns: Sequence[str]) -> pl.Expr:
    """The non-blank cells of `columns` joined with `|`, null when there are none."""
    if not columns:
        return pl.lit(None, dtype=pl.String).alias("_extra")
    parts = [pl.when(pl.col(c).str.contains(r"\S")).then(pl.col(c)) for c in columns]
    joined = pl.concat_str(parts, separator="|", ignore_nulls=True)
    return pl.when(joined != "").then(joined).alias("_extra")


def with_read_problems(leads: pl.DataFrame, frame: pl.DataFrame, errors: str) -> pl.DataFrame:
    """`leads` (one row per row of the read `frame`, by `_row`) with `row:<code>` added to the
    `errors` column where the reader split a merged record (`runaway_quote`, `bare_cr`)."""
    if "_read_problem" not in frame.columns:
        return leads
    marks = frame.select("_row", "_read_problem")
    joined = leads.join(marks, on="_row", how="left", maintain_order="left")
    reason = pl.lit("row:") + pl.col("_read_problem")
    added = pl.concat_str([pl.col(errors), reason], separator="; ", ignore_nulls=True)
    return joined.with_columns(
        pl.when(pl.col("_read_problem").is_null())
        .then(pl.col(errors))
        .otherwise(added)
        .alias(errors)
    ).drop("_read_problem")
