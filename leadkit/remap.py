"""Stage 2: the mapping applied: source headers become canonical lead fields.

Headers are matched tolerantly (case, surrounding spaces, BOM remnants). A field mapped
to a list takes the first non-empty source on each row; a field with a default (`defaults:`)
takes it where it is still empty. A header the mapping marks `optional:` reads as empty when
the file lacks it. A placeholder cell (`--`, `N/A`, `unknown`, `TBD`, `#N/A`, ... see
`PLACEHOLDERS`) is blank here, in every mapped field and custom column, so no later stage
keeps or neutralizes it (`'--`). Rejects are written from the read table, so they still
show the cell as the file had it. Every mapped header the file
lacks is named in one error, with the headers the file does have.
"""

from __future__ import annotations

import re

import polars as pl

from leadkit.errors import InputError
from leadkit.frames import col
from leadkit.mapping import Mapping
from leadkit.read import Table, header_key

CUSTOM_PREFIX = "custom:"

# Whole cells that stand for "no value", compared case-insensitively after trimming. Left
# out on purpose: a bare `na`/`NA` (Namibia's ISO code; Na is a Korean surname), `nan`
# (Nan is a given name), `0`, `x` and `none of the above` (a real picklist answer).
PLACEHOLDERS: tuple[str, ...] = (
    "-",
    "--",
    "---",
    "-/-",
    ".",
    "..",
    "...",
    "?",
    "??",
    "???",
    "n/a",
    "n.a.",
    "n. a.",
    "none",
    "(none)",
    "null",
    "nil",
    "unknown",
    "(unknown)",
    "undefined",
    "tbd",
    "tba",
    "(blank)",
    "(empty)",
    "not applicable",
    "not available",
    "not provided",
    # spreadsheet error values left where a formula failed
    "#n/a",
    "#value!",
    "#ref!",
    "#name?",
    "#div/0!",
    "#null!",
    "#num!",
)
# One anchored, case-insensitive pattern: most cells fail at their first characters, and
# no lower-cased copy of the column is made. Spaces as the text normalizers read them.
_SPACE = r"[\s\u00a0\u2000-\u200a\u202f\u205f\u3000\ufeff]*"
_PLACEHOLDER_RE = f"(?i)^{_SPACE}(?:{'|'.join(re.escape(p) for p in PLACEHOLDERS)}){_SPACE}$"


def blank_placeholders(col: pl.Expr) -> pl.Expr:
    """`col` with every placeholder cell null."""
    return pl.when(col.str.contains(_PLACEHOLDER_RE)).then(None).otherwise(col)


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
            if mapping.is_optional(wanted):  # a question this file's form did not ask
                return pl.lit(None, dtype=pl.String)
            missing.append(f"{' or '.join(repr(h) for h in wanted)} ({where})")
            return pl.lit(None, dtype=pl.String)
        if len(present) == 1:  # every normalizer already reads whitespace-only as empty
            # literally: a header may be `*` or `^...$`
            return blank_placeholders(col(present[0]))
        return pl.coalesce([_non_empty(blank_placeholders(col(c))) for c in present])

    def filled(field: str, expr: pl.Expr) -> pl.Expr:
        """The field's value, its default where it is still empty (`defaults:`)."""
        default = mapping.defaults.get(field)  # type: ignore[call-overload]
        if default is None:
            return expr
        return _non_empty(expr).fill_null(pl.lit(default, dtype=pl.String))

    exprs = [
        filled(field, source(f"columns.{field}", heads)).alias(field)
        for field, heads in mapping.columns.items()
    ]
    exprs += [
        pl.lit(value, dtype=pl.String).alias(field)
        for field, value in mapping.defaults.items()
        if field not in mapping.columns
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
