"""What every normalizer shares: the result type and "run once per unique value".

A normalizer is a pure function from raw text (plus context such as the row's
country) to a `Normalized`: the clean value, or None when nothing usable is left,
and a reason code from `leadkit.codes` when something was wrong. It never raises.

Column functions run it once per distinct input and join the results back, so a
million-row column with 40,000 distinct values costs 40,000 calls.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import NamedTuple

import polars as pl


class Normalized(NamedTuple):
    value: str | None
    code: str | None = None


def map_unique(
    col: pl.Series,
    fn: Callable[[str], Normalized],
) -> pl.DataFrame:
    """Apply `fn` to each distinct non-null value of `col`; return `value`, `code` columns.

    The result has one row per row of `col`, in order. Nulls stay null with no code.
    """
    uniq = col.drop_nulls().unique()
    results = [fn(v) for v in uniq.to_list()]
    lookup = pl.DataFrame(
        {
            "_key": uniq,
            "value": [r.value for r in results],
            "code": [r.code for r in results],
        },
        schema={"_key": pl.String, "value": pl.String, "code": pl.String},
    )
    return (
        col.rename("_key")
        .to_frame()
        .join(lookup, on="_key", how="left", maintain_order="left")
        .select("value", "code")
    )


def map_unique_with(
    col: pl.Series,
    context: pl.Series,
    fn: Callable[[str, str | None], Normalized],
) -> pl.DataFrame:
    """Like `map_unique` for a normalizer that also reads a per-row context (a region)."""
    frame = pl.DataFrame({"_key": col, "_ctx": context}, schema={"_key": pl.String, "_ctx": pl.String})
    uniq = frame.filter(pl.col("_key").is_not_null()).unique(maintain_order=False)
    keys = uniq["_key"].to_list()
    ctxs = uniq["_ctx"].to_list()
    results = [fn(k, c) for k, c in zip(keys, ctxs, strict=True)]
    lookup = uniq.with_columns(
        pl.Series("value", [r.value for r in results], dtype=pl.String),
        pl.Series("code", [r.code for r in results], dtype=pl.String),
    )
    return frame.join(
        lookup, on=["_key", "_ctx"], how="left", nulls_equal=True, maintain_order="left"
    ).select("value", "code")
