"""The reason people read beside each score: why a pair scored so.

The rule ladder (`rules`): "email exact"; "phone exact + name 0.95 (nickname) + company
exact"; "name 1.00 + email domain + other city": the rung, the names, the organization and
what speaks against.

The weighed evidence (`evidence`, `weights`): "first_name exact +5.2, last_name exact +6.4,
city exact +3.7, postal_code differ -3.8, dob exact +9.3 = 20.8 bits": the fields both
records have, in the order of `evidence.COMPARISONS`, each with its level and match weight
in bits (log2 m/u: above 0 speaks for one person, below 0 against), and their sum. A field
either record lacks is not listed: it weighs nothing.
"""

from __future__ import annotations

import polars as pl

from leadkit.match.columns import (
    COMPANY_SIMILARITY,
    FIRST,
    LAST,
    LEFT,
    NAMES_SWAPPED,
    OTHER_PHONES,
    PHONE_IN_COMMON,
    REASON,
    RIGHT,
    SAME_COMPANY_KEY,
    SAME_DOMAIN,
    SAME_DOMAIN_ORGANIZATION,
    SAME_EMAIL,
    SCORE,
    WEIGHT,
)
from leadkit.match.rules import (
    BOTH_NAMES_DIFFER,
    CONFLICTS,
    NAME_SCORE,
    OTHER_CITY,
    OTHER_COUNTRY,
    OTHER_EMAIL,
    PHONE_RUNG,
    SAME_DOMAIN_ORGANIZATION_SCORE,
    UNSURE,
    _flag,
)
from leadkit.match.weights import Model
from leadkit.remap import CUSTOM_PREFIX

# The least company similarity a reason names (a lower one is no evidence worth reading).
_COMPANY_NAMED = 0.5
_WHY = "why"  # the names, organization and what speaks against, where the email does not


def _explained(scored: pl.DataFrame) -> pl.DataFrame:
    """`LEFT`, `RIGHT`, `SCORE` and `REASON` of the scored pairs (`rules._score`)."""
    # the names, organization and what speaks against: only where the email does not speak
    # for the pair (most pairs above a threshold share it, and need no more words)
    told = scored.select(~_flag(SAME_EMAIL)).to_series().arg_true()
    why = scored[told].select((_names() + _organization() + _against()).alias(_WHY)).to_series()
    unexplained = pl.repeat(None, scored.height, dtype=pl.String, eager=True).alias(_WHY)
    scored = scored.with_columns(unexplained.scatter(told, why))
    fs, ls = pl.col(FIRST.similarity), pl.col(LAST.similarity)
    reason = (
        pl.when(_flag(SAME_EMAIL) & pl.col(BOTH_NAMES_DIFFER))
        .then(
            pl.lit("email exact + name differs ") + _fmt2(pl.mean_horizontal(fs, ls).fill_null(0.0))
        )
        .when(_flag(SAME_EMAIL))
        .then(pl.lit("email exact"))
        .when(PHONE_RUNG)
        .then(pl.lit("phone exact + ") + pl.col(_WHY))
        .otherwise(pl.col(_WHY))
    )
    return scored.select(LEFT, RIGHT, SCORE, reason.alias(REASON))


def _names() -> pl.Expr:
    fl, ll = pl.col(FIRST.level), pl.col(LAST.level)
    return (
        pl.when(NAMES_SWAPPED)
        .then(pl.lit("name swapped"))
        .otherwise(
            pl.lit("name ")
            + _fmt2(pl.col(NAME_SCORE))
            + pl.when(fl == "nickname")
            .then(pl.lit(" (nickname)"))
            .when(fl.is_null() | ll.is_null())
            .then(pl.lit(" (one name missing)"))
            .otherwise(pl.lit(""))
        )
    )


def _organization() -> pl.Expr:
    company = pl.col(COMPANY_SIMILARITY)
    return (
        pl.when(_flag(SAME_COMPANY_KEY))
        .then(pl.lit(" + company exact"))
        .when(_flag(SAME_DOMAIN))
        .then(pl.lit(" + email domain"))
        .when(company >= _COMPANY_NAMED)
        .then(pl.lit(" + company ") + _fmt2(company))
        .when(_flag(SAME_DOMAIN_ORGANIZATION))
        .then(pl.lit(f" + email domain {SAME_DOMAIN_ORGANIZATION_SCORE:.2f}"))
        .otherwise(pl.lit(""))
    )


def _against() -> pl.Expr:
    """ " + other phone/email/city/country" where something speaks against the pair."""
    other_email = pl.col(OTHER_EMAIL)
    against = pl.concat_str(
        pl.when(pl.col(OTHER_PHONES) & ~_flag(PHONE_IN_COMMON)).then(pl.lit("phone")),
        pl.when(other_email).then(pl.lit("email")),
        pl.when(OTHER_CITY).then(pl.lit("city")),
        pl.when(OTHER_COUNTRY).then(pl.lit("country")),
        separator="/",
        ignore_nulls=True,
    )
    return (
        pl.when(pl.col(UNSURE) | (~_flag(PHONE_IN_COMMON) & (pl.col(CONFLICTS) > 0)))
        .then(pl.lit(" + other ") + against)
        .otherwise(pl.lit(""))
    )


def _fmt2(expr: pl.Expr) -> pl.Expr:
    """0.934 -> "0.93", 1.0 -> "1.00": reasons show two decimals."""
    cents = (expr * 100).round(0).cast(pl.Int64)
    return (
        pl.when(cents >= 100)
        .then(pl.lit("1.00"))
        .otherwise(pl.lit("0.") + cents.cast(pl.String).str.zfill(2))
    )


def _weighed(scored: pl.DataFrame, model: Model) -> pl.DataFrame:
    """`LEFT`, `RIGHT`, `SCORE` and `REASON` of the pairs the evidence weighed
    (`weights._scored`)."""
    pieces = []
    for comparison, weights in zip(model.comparisons, model.weights(), strict=True):
        texts = [
            f"{comparison.field.removeprefix(CUSTOM_PREFIX)} {level} {weight:+.1f}"
            for level, weight in zip(comparison.levels, weights.tolist(), strict=True)
        ]
        pieces.append(
            pl.col(comparison.column).replace_strict(
                list(range(len(texts))), texts, default=None, return_dtype=pl.String
            )
        )
    listed = pl.concat_str(pieces, separator=", ", ignore_nulls=True)
    total = pl.format(" = {} bits", pl.col(WEIGHT).round(1))
    return scored.select(LEFT, RIGHT, SCORE, (listed + total).alias(REASON))
