"""Stage 2: the mapping applied: source headers become canonical lead fields.

Headers are matched tolerantly (case, surrounding spaces, BOM remnants). A field mapped
to a list takes the first non-empty source on each row. Every mapped header the file
lacks is named in one error, with the headers the file does have.
"""

from __future__ import annotations

import polars as pl

from leadkit.errors import InputError
from leadkit.frames import col
from leadkit.mapping import Mapping
from leadkit.read import Table, header_key

CUSTOM_PREFIX = "custom:"


def remap(table: Table, mapping: Mapping) -> pl.DataFrame:
    """One String column per mapped canonical field, constants, custom columns, and `_row`."""
    by_key: dict[str, str] = {}
    for name in table.frame.columns:
        if not name.startswith("_"):
            by_key.setdefault(header_key(name), name)

    missing: list[str] = []

    def source(where: str, headers: str | list[str]) -> pl.Expr:
        wanted = [headers] if isinstance(headers, str) else headers
        present = [by_key[header_key(h)] for h in wanted if header_key(h) in by_key]
        if not present:
            missing.append(f"{' or '.join(repr(h) for h in wanted)} ({where})")
            return pl.lit(None, dtype=pl.String)
        if len(present) == 1:  # every normalizer already reads whitespace-only as empty
            return col(present[0])  # literally: a header may be `*` or `^...$`
        return pl.coalesce([_non_empty(col(c)) for c in present])

    exprs = [
        source(f"columns.{field}", heads).alias(field) for field, heads in mapping.columns.items()
    ]
    exprs += [
        pl.lit(value, dtype=pl.String).alias(field) for field, value in mapping.constants.items()
    ]
    for name, custom in mapping.custom.items():
        expr = (
            source(f"custom.{name}", custom.column)
            if custom.column is not None
            else pl.lit(custom.value, dtype=pl.String)
        )
        exprs.append(expr.alias(CUSTOM_PREFIX + name))
    if missing:
        have = ", ".join(repr(c) for c in table.frame.columns if not c.startswith("_"))
        raise InputError(
            f"{table.info.path}: mapped header(s) not in the file: {'; '.join(missing)}. "
            f"The file has: {have}"
        )
    return table.frame.select(pl.col("_row"), *exprs)


def _non_empty(col: pl.Expr) -> pl.Expr:
    return pl.when(col.str.strip_chars() == "").then(None).otherwise(col)
