"""Plain text: trim, collapse whitespace, drop control characters; neutralize formulas.

Both a per-value function (for tests and Python callers) and Polars expressions (what the
pipeline uses over whole columns) are given, and tests hold them to the same result.
"""

from __future__ import annotations

import re
import unicodedata

import polars as pl

# Control characters (C0 but tab/newline, DEL, C1) and invisible format characters
# (zero-width space/joiners, word joiner, BOM, soft hyphen) never belong in a CRM field.
_INVISIBLE = "\u200b\u200c\u200d\u2060\ufeff\u00ad"
_CONTROL_RE = f"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f{_INVISIBLE}]"
# Every kind of space, tab and line break, non-breaking and ideographic spaces included.
_SPACE_RE = r"[\s\u00a0\u2000-\u200a\u202f\u205f\u3000]+"
_CONTROL = re.compile(_CONTROL_RE)
_SPACE = re.compile(_SPACE_RE)

# A cell a spreadsheet would run as a formula (OWASP's CSV-injection advice, stricter): one
# that starts with a tab or CR, or, after any leading whitespace, with `=`, `@`, `+`, `-` or
# their full-width forms `＝ ＠ ＋ －`; unless the whole cell is a number or a phone number,
# with an extension (`+44 20 7946 0123`, `-5`, `(555) 010.0100`, `+16505550199 x204`). So
# `-2+3+cmd|' /C calc'!A0`, `+1+cmd|...`, `-.5+...` and `  =HYPERLINK(...)` are caught.
# (Polars' regex engine has no look-ahead: the test is "lead-in and not a number".)
_LEAD_IN_RE = r"^(?:[\t\r]|\s*[=@+\-\uff1d\uff20\uff0b\uff0d])"
_NUMBER_BODY = r"[+-]?[0-9 ().]*(?: ?(?:x|ext\.?) ?[0-9]+)?"
_NUMBER_RE = rf"^{_NUMBER_BODY}$"
_LEAD_IN = re.compile(_LEAD_IN_RE)
_NUMBER = re.compile(_NUMBER_BODY)


def clean_text(raw: str) -> str | None:
    """Trimmed, whitespace collapsed, control characters removed; None when nothing is left."""
    value = _SPACE.sub(" ", _CONTROL.sub("", raw)).strip()
    return value or None


def is_formula_like(value: str) -> bool:
    return bool(_LEAD_IN.match(value)) and not _NUMBER.fullmatch(value)


def neutralize(value: str) -> str:
    """Prefix a formula-like value with an apostrophe so spreadsheets show it as text."""
    return "'" + value if is_formula_like(value) else value


def clean_text_expr(expr: pl.Expr) -> pl.Expr:
    """`clean_text` over a column: null when nothing is left."""
    cleaned = (
        expr.str.replace_all(_CONTROL_RE, "").str.replace_all(_SPACE_RE, " ").str.strip_chars(" ")
    )
    return pl.when(cleaned == "").then(None).otherwise(cleaned)


def formula_like_expr(expr: pl.Expr) -> pl.Expr:
    """`is_formula_like` over a String column (null stays null)."""
    return expr.str.contains(_LEAD_IN_RE) & ~expr.str.contains(_NUMBER_RE)


def neutralize_expr(expr: pl.Expr) -> pl.Expr:
    """`neutralize` over a String column."""
    return pl.when(formula_like_expr(expr)).then(pl.lit("'") + expr).otherwise(expr)


# Polars' `str.find` counted bytes before 2.2 and counts characters since, while `str.head`
# and `str.slice` count characters in both: a cut at a found separator must be made in
# the unit `str.find` counts, or a value with a non-ASCII character before it is cut wrong.
_FIND_COUNTS_BYTES = pl.Series(["\u00e9@"]).str.find("@", literal=True).item() == 2


def split_once(expr: pl.Expr, sep: str) -> tuple[pl.Expr, pl.Expr]:
    """(the text before the first `sep`, the text after it), both null where there is no
    `sep`. `sep` is literal ASCII, so a cut at it leaves valid UTF-8 on either side. (Cheaper
    than a regular expression with capture groups.)"""
    at = expr.str.find(sep, literal=True)
    if _FIND_COUNTS_BYTES:
        data = expr.cast(pl.Binary)
        return data.bin.head(at).cast(pl.String), data.bin.slice(at + len(sep)).cast(pl.String)
    return expr.str.head(at), expr.str.slice(at + len(sep))


def fold(text: str) -> str:
    """`text` with case and accents folded away, for comparing words: `Müller`, `MULLER` and
    `müller` are `muller`, `Straße` is `strasse` (casefold, compatibility decomposition, then
    the combining marks dropped). Punctuation and spacing are left as they are."""
    text = unicodedata.normalize("NFKD", text.casefold())
    return "".join(c for c in text if not unicodedata.combining(c))
