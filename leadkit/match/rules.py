"""The rule ladder: a score between 0 and 1 and a reason per compared pair."""

from __future__ import annotations

from typing import Final

import polars as pl

_LEVEL_SIM: Final = {"exact": 1.0, "nickname": 0.95, "part": 0.9, "initial": 0.85}


_FIRST_OK: Final = ("exact", "nickname", "typo", "part", "initial")
_LAST_OK: Final = ("exact", "typo", "part")
_CLOSE_FIRST: Final = ("typo", "part", "initial")
# The most a pair scores when something speaks against it: a person decides.
_REVIEW_CAP: Final = 0.85


def _fmt2(expr: pl.Expr) -> pl.Expr:
    """0.934 -> "0.93", 1.0 -> "1.00": reasons show two decimals."""
    cents = (expr * 100).round(0).cast(pl.Int64)
    return (
        pl.when(cents >= 100)
        .then(pl.lit("1.00"))
        .otherwise(pl.lit("0.") + cents.cast(pl.String).str.zfill(2))
    )


def _flag(name: str) -> pl.Expr:
    """A nullable Boolean column as a plain Boolean (unknown is False)."""
    return pl.col(name).fill_null(False)


def _name_verdicts() -> tuple[pl.Expr, pl.Expr, pl.Expr]:
    """Whether a pair's names agree in full, in half (one missing), or say "colleague"."""
    fl, ll = pl.col("_fnl"), pl.col("_lnl")
    first_ok = fl.is_in(_FIRST_OK).fill_null(False)
    last_ok = ll.is_in(_LAST_OK).fill_null(False)
    swap = pl.col("_swap")
    full_name = (first_ok & last_ok) | swap
    # one of the names missing on a side, the other agreeing: never enough on its own
    half_name = ~full_name & ((first_ok & ll.is_null()) | (last_ok & fl.is_null()))
    # the same last name and another first name: a colleague (same phone: a switchboard)
    colleague = last_ok & (fl == "differ").fill_null(False) & ~swap
    return full_name, half_name, colleague


def _score(df: pl.DataFrame, cap: float, floor: float) -> pl.DataFrame:
    """The rule ladder: `_score` (0..1, 3 decimals) and `_reason` per compared pair, for
    the pairs scoring at least `floor` (and above 0).

    `cap` is the highest score of a pair a person must decide (below `auto`). Worked out in
    steps, each a column the next ones read (one long expression would repeat its parts).
    """
    fl, ll = pl.col("_fnl"), pl.col("_lnl")
    fs, ls = pl.col("_fnsim"), pl.col("_lnsim")
    swap = pl.col("_swap")
    full_name, half_name, colleague = _name_verdicts()
    df = df.with_columns(
        full_name.alias("_full"),
        half_name.alias("_half"),
        colleague.alias("_colleague"),
        pl.col("_loc_eq").not_().fill_null(False).alias("_not_loc"),
        pl.col("_city_eq").not_().fill_null(False).alias("_not_city"),
        pl.col("_cty_eq").not_().fill_null(False).alias("_not_cty"),
        (
            pl.when(swap)
            .then(0.95)
            .when(fl.is_null())
            .then(ls * 0.9)
            .when(ll.is_null())
            .then(fs * 0.9)
            .otherwise((fs + ls) / 2)
        ).alias("_name_s"),
        pl.max_horizontal(
            pl.col("_cos"),
            pl.when(_flag("_dom_eq")).then(1.0).when(_flag("_droot_eq")).then(0.95),
        ).alias("_org_s"),
        pl.mean_horizontal(
            pl.col("_city_eq").cast(pl.Float64),
            pl.col("_cty_eq").cast(pl.Float64),
            pl.when(_flag("_loc_eq")).then(1.0),
        )
        .fill_null(0.5)
        .alias("_context"),
        ((fl == "differ").fill_null(False) & (ll == "differ").fill_null(False)).alias(
            "_both_differ"
        ),
    )
    full_name, half_name, colleague = pl.col("_full"), pl.col("_half"), pl.col("_colleague")
    not_loc, not_city, not_cty = pl.col("_not_loc"), pl.col("_not_city"), pl.col("_not_cty")
    name_s, org_s = pl.col("_name_s"), pl.col("_org_s")
    both_differ = pl.col("_both_differ")
    df = df.with_columns(
        # a first name only close to the other while both use other email addresses could
        # be a colleague with a similar name (Jan/Jana)
        (fl.is_in(_CLOSE_FIRST).fill_null(False) & not_loc).alias("_unsure"),
        # what says "two people" behind one name at one organization
        pl.sum_horizontal(
            pl.col("_p_ne").cast(pl.Int32),
            not_loc.cast(pl.Int32),
            not_city.cast(pl.Int32),
            not_cty.cast(pl.Int32),
        ).alias("_conflicts"),
        (_flag("_p_eq") & (full_name | half_name) & ~colleague).alias("_phone_rung"),
        (full_name & ~colleague & (org_s >= 0.85).fill_null(False)).alias("_org_rung"),
    )
    unsure, conflicts = pl.col("_unsure"), pl.col("_conflicts")
    phone_rung, org_rung = pl.col("_phone_rung"), pl.col("_org_rung")
    by_email = pl.when(both_differ).then(0.80).otherwise(1.0)
    by_phone = 0.80 + 0.20 * name_s
    by_org = 0.5 * name_s + 0.4 * org_s + 0.1 * pl.col("_context")
    by_org = (
        pl.when(conflicts >= 2)
        .then(0.0)
        .when(conflicts == 1)
        .then(pl.min_horizontal(by_org, pl.lit(cap)))
        .otherwise(by_org)
    )
    raw = (
        pl.when(_flag("_e_eq"))
        .then(by_email)
        .when(phone_rung & org_rung)
        .then(pl.max_horizontal(by_phone, by_org))
        .when(phone_rung)
        .then(by_phone)
        .when(org_rung)
        .then(by_org)
        .otherwise(0.0)
    )
    score = (
        pl.when(~_flag("_e_eq") & (unsure | half_name))
        .then(pl.min_horizontal(raw, pl.lit(cap)))
        .otherwise(raw)
    ).round(3)
    # a pair no rung accepts scores 0: never a match, whatever the thresholds
    df = df.with_columns(score.alias("_score")).filter(
        (pl.col("_score") >= floor) & (pl.col("_score") > 0)
    )

    name_txt = (
        pl.when(swap)
        .then(pl.lit("name swapped"))
        .otherwise(
            pl.lit("name ")
            + _fmt2(name_s)
            + pl.when(fl == "nickname")
            .then(pl.lit(" (nickname)"))
            .when(fl.is_null() | ll.is_null())
            .then(pl.lit(" (one name missing)"))
            .otherwise(pl.lit(""))
        )
    )
    org_txt = (
        pl.when(_flag("_ck_eq"))
        .then(pl.lit(" + company exact"))
        .when(_flag("_dom_eq"))
        .then(pl.lit(" + email domain"))
        .when(pl.col("_cos") >= 0.5)
        .then(pl.lit(" + company ") + _fmt2(pl.col("_cos")))
        .when(_flag("_droot_eq"))
        .then(pl.lit(" + email domain 0.95"))
        .otherwise(pl.lit(""))
    )
    against = pl.concat_str(
        pl.when(pl.col("_p_ne") & ~_flag("_p_eq")).then(pl.lit("phone")),
        pl.when(not_loc).then(pl.lit("email")),
        pl.when(not_city).then(pl.lit("city")),
        pl.when(not_cty).then(pl.lit("country")),
        separator="/",
        ignore_nulls=True,
    )
    warn = (
        pl.when(unsure | (~_flag("_p_eq") & (conflicts > 0)))
        .then(pl.lit(" + other ") + against)
        .otherwise(pl.lit(""))
    )
    # the names, organization and what speaks against: only where the email does not speak
    # for the pair (most pairs above a threshold share it, and need no more words)
    told = df.select(~_flag("_e_eq")).to_series().arg_true()
    why = df[told].select((name_txt + org_txt + warn).alias("_why")).to_series()
    unexplained = pl.repeat(None, df.height, dtype=pl.String, eager=True).alias("_why")
    df = df.with_columns(unexplained.scatter(told, why))
    reason = (
        pl.when(_flag("_e_eq") & both_differ)
        .then(pl.lit("email exact + name differs ") + _fmt2((fs + ls) / 2))
        .when(_flag("_e_eq"))
        .then(pl.lit("email exact"))
        .when(phone_rung)
        .then(pl.lit("phone exact + ") + pl.col("_why"))
        .otherwise(pl.col("_why"))
    )
    return df.select("_l", "_r", "_score", reason.alias("_reason"))
