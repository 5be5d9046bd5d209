"""What people type when they have nothing to type: never a block key, never evidence."""

from __future__ import annotations

from typing import Final

import numpy as np
import polars as pl

# What people type when they have nothing to type. Never a block key, never evidence.
_PLACEHOLDER_NAMES: Final = (
    "test",
    "tester",
    "testing",
    "unknown",
    "n a",
    "none",
    "null",
    "nil",
    "xx",
    "xxx",
    "asdf",
    "abc",
    "no name",
    "noname",
    "anonymous",
    "first",
    "last",
    "firstname",
    "lastname",
    "name",
    "user",
    "customer",
    "mr",
    "mrs",
    "ms",
    "dr",
)
_PLACEHOLDER_COMPANIES: Final = (
    "test",
    "unknown",
    "na",
    "n a",
    "n/a",
    "none",
    "null",
    "self",
    "self employed",
    "self-employed",
    "selfemployed",
    "individual",
    "student",
    "retired",
    "private",
    "freelance",
    "freelancer",
    "home",
    "personal",
    "company",
    "consultant",
    "independent",
    "x",
    "xx",
    "xxx",
    "abc",
    "-",
)
_PLACEHOLDER_EMAIL_LOCAL: Final = (
    r"^(?:test|tester|none|noemail|no\.?email|no-?reply|donotreply|do-?not-?reply|unknown|null"
    r"|na|n/a|x+|asdf|abc|nobody|nomail|no)@"
)
_PLACEHOLDER_EMAIL_DOMAIN: Final = (
    r"@(?:example\.(?:com|org|net)|test\.com|none\.com|noemail\.com|nomail\.com"
    r"|domain\.com|invalid|localhost)$"
)
_PLACEHOLDER_DIGITS: Final = ("12345678", "23456789", "01234567", "87654321", "98765432")


def _placeholder_emails(values: pl.Series) -> pl.Series:
    """test@..., noreply@..., ...@example.com: addresses nobody reads."""
    v = pl.col("v")
    test = v.str.contains(_PLACEHOLDER_EMAIL_LOCAL) | v.str.contains(_PLACEHOLDER_EMAIL_DOMAIN)
    return values.to_frame("v").select(test).to_series()


_PLACEHOLDER_TAILS: Final = [int(d) for d in _PLACEHOLDER_DIGITS]


def _placeholder_phones(values: pl.Series) -> pl.Series:
    """Numbers nobody has: fewer than 8 digits, the last 8 only one or two digits over and
    over (+1 555 555 5555), or counting (12345678).

    Worked out on the last 8 digits as a number: a plain number ("+14155550123") parses
    as one, anything else goes through a regular expression first.
    """
    plain = values.str.strip_chars_start("+")
    number = plain.str.to_integer(dtype=pl.UInt64, strict=False)
    length = plain.str.len_bytes()
    odd = (number.is_null() & values.is_not_null()).arg_true()
    if len(odd):
        digits = values.gather(odd).str.replace_all(r"[^0-9]", "")
        length = length.scatter(odd, digits.str.len_bytes())
        number = number.scatter(
            odd, digits.str.slice(-8).str.to_integer(dtype=pl.UInt64, strict=False)
        )
    tail = number.fill_null(0).to_numpy() % 100_000_000
    # which digits occur: one bit per digit, looked up for each half of the 8 digits
    used = _DIGIT_BITS[tail // 10_000] | _DIGIT_BITS[tail % 10_000]
    few = np.bitwise_count(used) <= 2
    return (length.fill_null(0) < 8) | pl.Series(few | np.isin(tail, _PLACEHOLDER_TAILS))


# For each number 0000..9999 (as four digits), one bit per digit it holds.
_DIGIT_BITS: Final = np.bitwise_or.reduce(
    [np.left_shift(1, np.arange(10_000) // 10**place % 10) for place in range(4)]
).astype(np.uint16)
