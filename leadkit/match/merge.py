"""Folding each kept row's repeats into it: empty fields filled, counters added up.

The mapping's `duplicates:` section asks for it; the match stage does it once every row has
its outcome.
"""

from __future__ import annotations

from collections.abc import Sequence

import polars as pl

from leadkit.mapping import CANONICAL_FIELDS
from leadkit.remap import CUSTOM_PREFIX


def merge_repeats(leads: pl.DataFrame, *, merge: bool, summed: Sequence[str]) -> pl.DataFrame:
    """Fold each kept row's repeats into it: empty fields filled from the repeats (first
    non-empty in file order) when `merge`, and the `summed` columns added up. The repeats
    themselves still go to the duplicates file as they were. Neither asked: `leads` as
    they are, at no cost.

    Reads `_outcome`, `_row` and `_duplicate_of` (the kept row's `_row`) as the pipeline
    routes them."""
    columns = [c for c in leads.columns if c in CANONICAL_FIELDS or c.startswith(CUSTOM_PREFIX)]
    summed_cols = [c if c in CANONICAL_FIELDS else CUSTOM_PREFIX + c for c in summed]
    filled = [c for c in columns if c not in summed_cols] if merge else []
    if not (filled or summed_cols):
        return leads
    repeats = leads.filter(pl.col("_outcome") == "duplicates").sort("_row")
    if not repeats.height:
        return leads
    number = {
        c: pl.col(c).str.strip_chars().str.replace(",", ".").cast(pl.Float64, strict=False)
        for c in summed_cols
    }
    agg = repeats.group_by("_duplicate_of").agg(
        *[pl.col(c).drop_nulls().first().alias(f"_m:{c}") for c in filled],
        *[number[c].sum().alias(f"_s:{c}") for c in summed_cols],
    )
    kept = pl.col("_outcome") != "duplicates"
    out = leads.join(
        agg, left_on="_row", right_on="_duplicate_of", how="left", maintain_order="left"
    )
    out = out.with_columns(
        *[
            pl.when(kept).then(pl.coalesce(c, f"_m:{c}")).otherwise(pl.col(c)).alias(c)
            for c in filled
        ],
        *[
            pl.when(kept & pl.col(f"_s:{c}").is_not_null())
            .then(_number_text(number[c].fill_null(0) + pl.col(f"_s:{c}")))
            .otherwise(pl.col(c))
            .alias(c)
            for c in summed_cols
        ],
    )
    return out.drop([f"_m:{c}" for c in filled] + [f"_s:{c}" for c in summed_cols])


def _number_text(x: pl.Expr) -> pl.Expr:
    """12.0 -> '12', 12.5 -> '12.5': how a person writes a total."""
    return (
        pl.when(x == x.round(0)).then(x.cast(pl.Int64).cast(pl.String)).otherwise(x.cast(pl.String))
    )
