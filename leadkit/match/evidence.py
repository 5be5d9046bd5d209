"""The evidence: each compared field's agreement levels, and what each level is worth.

A compared pair gets one level per field (`exact`, `close`, ..., `differ`, or none when
either record lacks the field). A level's match weight is log2(m / u), Fellegi-Sunter:
`m` the chance of the level when the two records are one person, `u` when they are two.
A field both records lack weighs nothing; a field that differs weighs against the pair
(another birth date, city, company or email). The pair's weight is the sum over the
fields, its score the posterior probability of one person (`weights`).

This is the second route to a match, for the pairs the rule ladder (`rules`) does not decide:
no email, phone or organization in common, so names, address, birth date and the compared
custom columns speak. The m and u below are the measured priors: `weights.estimate` starts
from them, re-estimates u on random pairs of the data at hand and m by EM on those pairs,
held within `weights.MAX_SHIFT_BITS` of the priors. The numbers people tune are first.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Final

import polars as pl

from leadkit.match.columns import (
    BOTH_DOMAINS,
    CITY_SIMILARITY,
    COMPANY_SIMILARITY,
    EMAIL_EDITS,
    FIRST,
    LAST,
    LEVEL_PREFIX,
    NAMES_SWAPPED,
    OTHER_PHONES,
    PHONE_IN_COMMON,
    POSTAL_EDITS,
    SAME_COMPANY_KEY,
    SAME_COUNTRY,
    SAME_DOMAIN,
    SAME_DOMAIN_ORGANIZATION,
    SAME_EMAIL,
    SAME_EMAIL_WORDS,
    SAME_WEBSITE,
    STREET_SIMILARITY,
    custom_column,
    date_days_column,
)

# --------------------------------------------------------------------------------------
# The numbers
# --------------------------------------------------------------------------------------

# How alike two values must be to be "close" (RapidFuzz similarities, 0..1; keystrokes).
CLOSE_SIMILARITY: Final = 0.85  # a city, a street, a company name
CLOSE_JARO_WINKLER: Final = 0.92  # a last name, a custom `fuzzy` column
CLOSE_EMAIL_EDITS: Final = 2  # an email typo (either part)
CLOSE_POSTAL_EDITS: Final = 1
CLOSE_DATE_EDITS: Final = 1  # one digit mistyped; a day and month swapped is two
CLOSE_FUZZY: Final = 0.9
NEAR_DATE_DAYS: Final = 366  # a date within a year of the other (a birth date misremembered)

# The most and least a pair's posterior may be believed: a score is never 0 or 1 exactly
# unless rounded there.
SCORE_DECIMALS: Final = 3


@dataclass(frozen=True)
class Comparison:
    """One compared field: its levels, best first (the last is "differ"), and the priors
    of each level among pairs of one person (`m`) and of two people (`u`)."""

    field: str
    levels: tuple[str, ...]
    m: tuple[float, ...]
    u: tuple[float, ...]

    @property
    def column(self) -> str:
        """The pair's column holding this field's level (an index into `levels`)."""
        return LEVEL_PREFIX + self.field


# The measured priors (Splink's fake data, FEBRL and leadkit's bench): m, then u.
COMPARISONS: Final = (
    Comparison(
        "first_name",
        ("exact", "close", "initial", "differ"),
        (0.86, 0.09, 0.02, 0.03),
        (0.02, 0.01, 0.02, 0.95),
    ),
    Comparison("last_name", ("exact", "close", "differ"), (0.88, 0.09, 0.03), (0.01, 0.01, 0.98)),
    Comparison("email", ("exact", "close", "differ"), (0.70, 0.20, 0.10), (1e-4, 1e-3, 0.9989)),
    Comparison("phone", ("exact", "differ"), (0.80, 0.20), (5e-4, 0.9995)),
    Comparison("company", ("exact", "close", "differ"), (0.85, 0.07, 0.08), (0.02, 0.01, 0.97)),
    Comparison("city", ("exact", "close", "differ"), (0.82, 0.08, 0.10), (0.05, 0.01, 0.94)),
    Comparison("country", ("exact", "differ"), (0.97, 0.03), (0.3, 0.7)),
    Comparison("street", ("exact", "close", "differ"), (0.80, 0.12, 0.08), (1e-3, 2e-3, 0.997)),
    Comparison("postal_code", ("exact", "close", "differ"), (0.85, 0.08, 0.07), (0.01, 0.01, 0.98)),
    Comparison("website", ("exact", "differ"), (0.85, 0.15), (0.01, 0.99)),
)
# Custom columns (`matching.compare`), by kind.
CUSTOM_PRIORS: Final = {
    "exact": (("exact", "differ"), (0.85, 0.15), (1e-3, 0.999)),
    "fuzzy": (("exact", "close", "differ"), (0.80, 0.12, 0.08), (5e-3, 0.01, 0.985)),
    "date": (
        ("exact", "close", "year", "differ"),
        (0.80, 0.08, 0.07, 0.05),
        (1e-3, 5e-3, 0.03, 0.962),
    ),
}

# First-name levels (`compare._name_level`) that count as close.
CLOSE_FIRST_NAME: Final = ("nickname", "typo", "part")
CLOSE_LAST_NAME: Final = ("typo", "part")


def comparisons(compare: Mapping[str, str]) -> tuple[Comparison, ...]:
    """The compared fields: the canonical ones, then the custom columns of `compare`
    (`custom:` name -> kind)."""
    custom = tuple(Comparison(name, *CUSTOM_PRIORS[kind]) for name, kind in compare.items())
    return (*COMPARISONS, *custom)


def _levels(compare: Mapping[str, str]) -> list[pl.Expr]:
    """Each compared field's level per pair (`Comparison.column`), from `compare._compare`'s
    columns."""
    swap = pl.col(NAMES_SWAPPED).fill_null(False)
    fl, ll = pl.col(FIRST.level), pl.col(LAST.level)
    city, street = pl.col(CITY_SIMILARITY), pl.col(STREET_SIMILARITY)
    company = pl.col(COMPANY_SIMILARITY)
    # the corporate email domains speak for the organization only where the emails differ
    # (the same or a close email says the same domain already: never counted twice)
    other_email = pl.col(EMAIL_EDITS) > CLOSE_EMAIL_EDITS
    other_email = other_email & ~pl.col(SAME_EMAIL_WORDS).fill_null(False)
    domains = (pl.col(BOTH_DOMAINS) & other_email).fill_null(False)
    out = [
        _ladder(
            (swap | (fl == "exact"), 0),
            (fl.is_in(CLOSE_FIRST_NAME), 1),
            (fl == "initial", 2),
            (fl.is_not_null(), 3),
        ).alias(LEVEL_PREFIX + "first_name"),
        _ladder(
            (swap | (ll == "exact"), 0),
            (
                ll.is_in(CLOSE_LAST_NAME) | (pl.col(LAST.similarity) >= CLOSE_JARO_WINKLER),
                1,
            ),
            (ll.is_not_null(), 2),
        ).alias(LEVEL_PREFIX + "last_name"),
        _ladder(
            (pl.col(SAME_EMAIL), 0),
            # a typo only: the same words at another domain are the name again (a
            # namesake elsewhere), never counted twice
            (pl.col(EMAIL_EDITS) <= CLOSE_EMAIL_EDITS, 1),
            (pl.col(EMAIL_EDITS).is_not_null(), 2),
        ).alias(LEVEL_PREFIX + "email"),
        _ladder((pl.col(PHONE_IN_COMMON), 0), (pl.col(OTHER_PHONES), 1)).alias(
            LEVEL_PREFIX + "phone"
        ),
        _ladder(
            (pl.col(SAME_COMPANY_KEY) | (domains & pl.col(SAME_DOMAIN)), 0),
            ((company >= CLOSE_SIMILARITY) | (domains & pl.col(SAME_DOMAIN_ORGANIZATION)), 1),
            (company.is_not_null() | domains, 2),
        ).alias(LEVEL_PREFIX + "company"),
        _ladder((city >= 1.0, 0), (city >= CLOSE_SIMILARITY, 1), (city.is_not_null(), 2)).alias(
            LEVEL_PREFIX + "city"
        ),
        _ladder((pl.col(SAME_COUNTRY), 0), (~pl.col(SAME_COUNTRY), 1)).alias(
            LEVEL_PREFIX + "country"
        ),
        _ladder(
            (street >= 1.0, 0), (street >= CLOSE_SIMILARITY, 1), (street.is_not_null(), 2)
        ).alias(LEVEL_PREFIX + "street"),
        _ladder(
            (pl.col(POSTAL_EDITS) == 0, 0),
            (pl.col(POSTAL_EDITS) <= CLOSE_POSTAL_EDITS, 1),
            (pl.col(POSTAL_EDITS).is_not_null(), 2),
        ).alias(LEVEL_PREFIX + "postal_code"),
        _ladder((pl.col(SAME_WEBSITE), 0), (~pl.col(SAME_WEBSITE), 1)).alias(
            LEVEL_PREFIX + "website"
        ),
    ]
    for name, kind in compare.items():
        value = pl.col(custom_column(name))
        if kind == "exact":
            level = _ladder((value == 1.0, 0), (value.is_not_null(), 1))
        elif kind == "fuzzy":
            level = _ladder((value >= 1.0, 0), (value >= CLOSE_FUZZY, 1), (value.is_not_null(), 2))
        else:
            days = pl.col(date_days_column(name))
            level = _ladder(
                (value == 0, 0),
                (value <= CLOSE_DATE_EDITS, 1),
                (days <= NEAR_DATE_DAYS, 2),
                (value.is_not_null(), 3),
            )
        out.append(level.alias(LEVEL_PREFIX + name))
    return out


# Fields whose agreement vouches for a pair beyond its names (a name and a country alone
# are never one person, whatever the weights say: namesakes are common).
CORROBORATING: Final = ("email", "city", "street", "postal_code", "website")


def weighable(compare: Mapping[str, str]) -> pl.Expr:
    """Pairs the weights may accept (reads `_levels`): some field beyond the names agrees
    (`corroborated`), and not a different first name with another email -- colleagues and
    relatives share a surname, an address and a switchboard, never a mailbox."""
    first = pl.col(LEVEL_PREFIX + "first_name") == len(COMPARISONS[0].levels) - 1
    email = pl.col(LEVEL_PREFIX + "email") == len(COMPARISONS[2].levels) - 1
    return corroborated(compare) & ~(first & email).fill_null(False)


def corroborated(compare: Mapping[str, str]) -> pl.Expr:
    """Pairs some field beyond the names agrees on (exact or close): the city, street,
    postal code, website, an email typo, or a custom column of `compare`."""
    fields = [*CORROBORATING, *compare]
    return pl.any_horizontal((pl.col(LEVEL_PREFIX + f) <= 1).fill_null(False) for f in fields)


def _ladder(*cases: tuple[pl.Expr, int]) -> pl.Expr:
    """The level of the first case that holds, null when none does (a field either record
    lacks: the last case is "present on both sides")."""
    out = pl.lit(None, dtype=pl.Int8)
    for test, level in reversed(cases):
        out = pl.when(test.fill_null(False)).then(pl.lit(level, dtype=pl.Int8)).otherwise(out)
    return out
