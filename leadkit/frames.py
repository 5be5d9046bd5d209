"""Column selection by a name the user gave (a source header, a custom column's name).

`pl.col("*")` selects every column and `pl.col("^.*$")` is a regular expression: a header named
so would select the wrong columns or none. `col` selects the one column named exactly so.
"""

from __future__ import annotations

import polars as pl
import polars.selectors as cs


def col(name: str) -> pl.Expr:
    """The column named exactly `name` (never a wildcard or a pattern)."""
    return cs.by_name(name, require_all=True).as_expr()
