"""The rule ladder: a score between 0 and 1 per compared pair (its reason: `reasons`).

- the same email: `EMAIL_SCORE`, "email exact" (`SHARED_INBOX_SCORE`, so review, when the
  names say two people: both differ, or one differs while the other is missing -- a shared
  inbox; first and last names the other way round are one person);
- the same phone and the same name: `PHONE_BASE` + `PHONE_NAME_WEIGHT` x name score;
- the same name and the same organization (company key, company similarity, corporate email
  domain): `NAME_WEIGHT` x name + `ORGANIZATION_WEIGHT` x organization + `CONTEXT_WEIGHT` x
  context (city, country, email local part) -- capped at review when one thing speaks
  against the pair (another phone, another email address, city or country), no match when
  `CONFLICTS_REJECT` do;
- the same last name with a different first name is a colleague (with the same phone, a
  switchboard), never a match; a first name that is only close (a typo, an initial) while
  both people use other email addresses, or a name missing on one side, is capped at review.

A pair no rung accepts scores 0: never a match, whatever the thresholds. The ladder decides
the pairs with an email or a phone in common or a company on both sides (`decided`); the
others -- no contact in common, a company on one side at most, where the names, address,
birth date and custom columns speak -- are weighed by the evidence (`evidence`, `weights`),
when their names agree (`_weighable`: a different first name is never the same person
there). The numbers people
tune are below, first; then the steps, each a column the next ones read (one long expression
would repeat its parts).
"""

from __future__ import annotations

from typing import Final

import polars as pl

from leadkit.match.columns import (
    BOTH_COMPANIES,
    COMPANY_SIMILARITY,
    FIRST,
    LAST,
    NAMES_SWAPPED,
    ORGANIZATION_KEY_SHARED,
    OTHER_PHONES,
    PHONE_IN_COMMON,
    SAME_CITY,
    SAME_COUNTRY,
    SAME_DOMAIN,
    SAME_DOMAIN_ORGANIZATION,
    SAME_EMAIL,
    SAME_EMAIL_WORDS,
    SCORE,
    NameColumns,
)

# --------------------------------------------------------------------------------------
# The numbers
# --------------------------------------------------------------------------------------

# How two names may agree and still be one person's (levels: `compare._name_level`).
FIRST_NAME_AGREES: Final = ("exact", "nickname", "typo", "part", "initial")
LAST_NAME_AGREES: Final = ("exact", "typo", "part")
# Names this alike (Jaro-Winkler) are one name misspelt, whatever their level: never
# "two people" behind one email, never a chain of two people.
DIFFERENT_NAME_SIMILARITY: Final = 0.85
# A last name this close (Jaro-Winkler) may still be one person's on the weighed route.
CLOSE_LAST_SIMILARITY: Final = 0.92
# A first name only close to the other: unsure when both use other email addresses.
CLOSE_FIRST_NAME: Final = ("typo", "part", "initial")
# The similarity of two names at a level (a typo, or names that differ: Jaro-Winkler).
LEVEL_SIMILARITY: Final = {"exact": 1.0, "nickname": 0.95, "part": 0.9, "initial": 0.85}

# The name score: the mean of the two names' similarities, or
SWAPPED_NAME_SCORE: Final = 0.95  # first and last names the other way round
ONE_NAME_FACTOR: Final = 0.9  # x the other name's similarity, when one name is missing

# The organization score: the company similarity, or better
SAME_DOMAIN_SCORE: Final = 1.0  # the same corporate email domain
SAME_DOMAIN_ORGANIZATION_SCORE: Final = 0.95  # the same organization in the domains
# The context score: the mean of the city, the country and the email words that agree
# (1.0) or not (0.0), among those both records have; this when they have none.
UNKNOWN_CONTEXT_SCORE: Final = 0.5

# The rungs
EMAIL_SCORE: Final = 1.0  # the same email
SHARED_INBOX_SCORE: Final = 0.80  # the same email, both names differ
PHONE_BASE: Final = 0.80  # a phone in common and the same name: this, plus
PHONE_NAME_WEIGHT: Final = 0.20  # x the name score
ORGANIZATION_RUNG: Final = 0.85  # the least organization score that makes a rung
NAME_WEIGHT: Final = 0.5  # the organization rung: x the name score, plus
ORGANIZATION_WEIGHT: Final = 0.4  # x the organization score, plus
CONTEXT_WEIGHT: Final = 0.1  # x the context score
CONFLICTS_REJECT: Final = 2  # things speaking against an organization match that make it none
# The most a pair scores when something speaks against it: a person decides. Never more
# than `AUTO_MARGIN` below the mapping's `auto` threshold.
REVIEW_CAP: Final = 0.85
AUTO_MARGIN: Final = 0.005
SCORE_DECIMALS: Final = 3

# --------------------------------------------------------------------------------------
# The steps: columns worked out on the way to the score
# --------------------------------------------------------------------------------------

FULL_NAME: Final = "full_name"  # both names agree (or are swapped)
HALF_NAME: Final = "half_name"  # one name missing on a side, the other agreeing
COLLEAGUE: Final = "colleague"  # the same last name, another first name
OTHER_EMAIL: Final = "other_email"  # the email local parts hold other words
OTHER_CITY: Final = "other_city"  # both have a city, not the same
OTHER_COUNTRY: Final = "other_country"  # both have a country, not the same
NAME_SCORE: Final = "name_score"  # how alike the names are, 0..1
ORGANIZATION_SCORE: Final = "organization_score"  # how alike the organizations are, 0..1
CONTEXT_SCORE: Final = "context_score"  # city, country and email words, 0..1
BOTH_NAMES_DIFFER: Final = "both_names_differ"  # the names say two people (`_two_names`)
UNSURE: Final = "unsure"  # a first name only close, while the emails differ
CONFLICTS: Final = "conflicts"  # things speaking against the pair: 0..4
PHONE_RUNG: Final = "phone_rung"  # a phone in common and the name
ORGANIZATION_RUNG_MET: Final = "organization_rung"  # the name and the organization


def review_cap(auto: float) -> float:
    """The highest score of a pair a person must decide, below `auto`."""
    return min(REVIEW_CAP, auto - AUTO_MARGIN)


def _flag(name: str) -> pl.Expr:
    """A nullable Boolean column as a plain Boolean (unknown is False)."""
    return pl.col(name).fill_null(False)


def _name_verdicts() -> tuple[pl.Expr, pl.Expr, pl.Expr]:
    """Whether a pair's names agree in full, in half (one missing), or say "colleague"."""
    fl, ll = pl.col(FIRST.level), pl.col(LAST.level)
    first_ok = fl.is_in(FIRST_NAME_AGREES).fill_null(False)
    last_ok = ll.is_in(LAST_NAME_AGREES).fill_null(False)
    swap = pl.col(NAMES_SWAPPED)
    full_name = (first_ok & last_ok) | swap
    # one of the names missing on a side, the other agreeing: never enough on its own
    half_name = ~full_name & ((first_ok & ll.is_null()) | (last_ok & fl.is_null()))
    # the same last name and another first name: a colleague (same phone: a switchboard)
    colleague = last_ok & (fl == "differ").fill_null(False) & ~swap
    return full_name, half_name, colleague


def _ladder_possible() -> pl.Expr:
    """Pairs some rung of the ladder can accept: the others score 0 there. Without an email
    or a phone in common, only pairs sharing an organization key (`ORGANIZATION_KEY_SHARED`:
    the blocks that find the organization rung's pairs) can reach it."""
    full_name, half_name, colleague = _name_verdicts()
    phone = _flag(PHONE_IN_COMMON)
    organization = _flag(ORGANIZATION_KEY_SHARED)
    return _flag(SAME_EMAIL) | (
        ((phone & (full_name | half_name)) | (organization & full_name)) & ~colleague
    )


def _weighable() -> pl.Expr:
    """Pairs the weighed evidence may accept: those the ladder does not decide. Names that
    differ weigh against the pair there (FEBRL's corrupted names are outweighed by a birth
    date and an id in common); a different first name while the emails differ is a hard
    no (`evidence.weighable`)."""
    return ~_ladder_decides()


def _possible() -> pl.Expr:
    """Pairs either route can accept: the others are dropped before the rest is compared."""
    return _ladder_possible() | _weighable()


def decided() -> pl.Expr:
    """Pairs the ladder decides (after `_score`'s steps): an email or a phone in common, a
    company on both sides (the same organization makes a rung; another one says two
    people -- namesakes at two companies in one city), or the name with the organization
    in the email domain. The others go to the weighed evidence."""
    return _ladder_decides() | pl.col(ORGANIZATION_RUNG_MET)


def _ladder_decides() -> pl.Expr:
    """`decided`, from the first look (`compare._first_look`) alone."""
    return _flag(SAME_EMAIL) | _flag(PHONE_IN_COMMON) | _flag(BOTH_COMPANIES)


def _steps(df: pl.DataFrame) -> pl.DataFrame:
    """`df` (compared pairs) with the steps' columns the rungs and `decided` read."""
    df = df.with_columns(*_verdicts(), *_part_scores())
    return df.with_columns(*_doubts())


def _score(df: pl.DataFrame, cap: float, floor: float) -> pl.DataFrame:
    """`df` with `SCORE` (0..1, 3 decimals) and the steps' columns, for the compared pairs
    scoring at least `floor` (and above 0).

    `cap` is the highest score of a pair a person must decide (`review_cap`).
    """
    return _ladder_scored(_steps(df), cap, floor)


def _ladder_scored(steps: pl.DataFrame, cap: float, floor: float) -> pl.DataFrame:
    """`steps` (`_steps`) with `SCORE`, for the pairs scoring at least `floor` (and above 0)."""
    # a pair no rung accepts scores 0: never a match, whatever the thresholds
    return steps.with_columns(_ladder(cap).alias(SCORE)).filter(
        (pl.col(SCORE) >= floor) & (pl.col(SCORE) > 0)
    )


def _verdicts() -> list[pl.Expr]:
    """What the names say, and what speaks against one person (a fact two records lack
    speaks for nothing and against nothing)."""
    full_name, half_name, colleague = _name_verdicts()
    return [
        full_name.alias(FULL_NAME),
        half_name.alias(HALF_NAME),
        colleague.alias(COLLEAGUE),
        pl.col(SAME_EMAIL_WORDS).not_().fill_null(False).alias(OTHER_EMAIL),
        pl.col(SAME_CITY).not_().fill_null(False).alias(OTHER_CITY),
        pl.col(SAME_COUNTRY).not_().fill_null(False).alias(OTHER_COUNTRY),
        _two_names().alias(BOTH_NAMES_DIFFER),
    ]


def names_differ(name: NameColumns) -> pl.Expr:
    """Two names that differ past a typo: level "differ" and Jaro-Winkler below
    `DIFFERENT_NAME_SIMILARITY` (Spencre/Spencer, Alan/Allen are one name misspelt)."""
    level, similarity = pl.col(name.level), pl.col(name.similarity)
    return ((level == "differ") & (similarity < DIFFERENT_NAME_SIMILARITY)).fill_null(False)


def _two_names() -> pl.Expr:
    """Names that say two people behind one email address (a shared inbox): both names
    differ, or one differs and the other is missing on a side (the missing name cannot
    vouch for the pair); never names the other way round (Smith John / John Smith)."""
    fl, ll = pl.col(FIRST.level), pl.col(LAST.level)
    first_differs = names_differ(FIRST)
    last_differs = names_differ(LAST)
    return ~pl.col(NAMES_SWAPPED).fill_null(False) & (
        (first_differs & last_differs)
        | (last_differs & fl.is_null())
        | (first_differs & ll.is_null())
    )


def _part_scores() -> list[pl.Expr]:
    """The name, organization and context scores the rungs weigh."""
    fl, ll = pl.col(FIRST.level), pl.col(LAST.level)
    fs, ls = pl.col(FIRST.similarity), pl.col(LAST.similarity)
    name = (
        pl.when(pl.col(NAMES_SWAPPED))
        .then(SWAPPED_NAME_SCORE)
        .when(fl.is_null())
        .then(ls * ONE_NAME_FACTOR)
        .when(ll.is_null())
        .then(fs * ONE_NAME_FACTOR)
        .otherwise((fs + ls) / 2)
    )
    organization = pl.max_horizontal(
        pl.col(COMPANY_SIMILARITY),
        pl.when(_flag(SAME_DOMAIN))
        .then(SAME_DOMAIN_SCORE)
        .when(_flag(SAME_DOMAIN_ORGANIZATION))
        .then(SAME_DOMAIN_ORGANIZATION_SCORE),
    )
    context = pl.mean_horizontal(
        pl.col(SAME_CITY).cast(pl.Float64),
        pl.col(SAME_COUNTRY).cast(pl.Float64),
        pl.when(_flag(SAME_EMAIL_WORDS)).then(1.0),
    ).fill_null(UNKNOWN_CONTEXT_SCORE)
    return [
        name.alias(NAME_SCORE),
        organization.alias(ORGANIZATION_SCORE),
        context.alias(CONTEXT_SCORE),
    ]


def _doubts() -> list[pl.Expr]:
    """What makes a person decide, and which rungs the pair reaches (reads `_verdicts` and
    `_part_scores`)."""
    full_name, half_name, colleague = pl.col(FULL_NAME), pl.col(HALF_NAME), pl.col(COLLEAGUE)
    other_email = pl.col(OTHER_EMAIL)
    return [
        # a first name only close to the other while both use other email addresses could
        # be a colleague with a similar name (Jan/Jana)
        (pl.col(FIRST.level).is_in(CLOSE_FIRST_NAME).fill_null(False) & other_email).alias(UNSURE),
        # what says "two people" behind one name at one organization
        pl.sum_horizontal(
            pl.col(OTHER_PHONES).cast(pl.Int32),
            other_email.cast(pl.Int32),
            pl.col(OTHER_CITY).cast(pl.Int32),
            pl.col(OTHER_COUNTRY).cast(pl.Int32),
        ).alias(CONFLICTS),
        (_flag(PHONE_IN_COMMON) & (full_name | half_name) & ~colleague).alias(PHONE_RUNG),
        (
            full_name
            & ~colleague
            & (pl.col(ORGANIZATION_SCORE) >= ORGANIZATION_RUNG).fill_null(False)
        ).alias(ORGANIZATION_RUNG_MET),
    ]


def _ladder(cap: float) -> pl.Expr:
    """The score: the first rung the pair reaches, capped at `cap` when unsure or when a
    name is missing (not for the same email)."""
    same_email = _flag(SAME_EMAIL)
    phone_rung, org_rung = pl.col(PHONE_RUNG), pl.col(ORGANIZATION_RUNG_MET)
    by_phone, by_org = _by_phone(), _by_organization(cap)
    raw = (
        pl.when(same_email)
        .then(_by_email())
        .when(phone_rung & org_rung)
        .then(pl.max_horizontal(by_phone, by_org))
        .when(phone_rung)
        .then(by_phone)
        .when(org_rung)
        .then(by_org)
        .otherwise(0.0)
    )
    return (
        pl.when(~same_email & (pl.col(UNSURE) | pl.col(HALF_NAME)))
        .then(pl.min_horizontal(raw, pl.lit(cap)))
        .otherwise(raw)
    ).round(SCORE_DECIMALS)


def _by_email() -> pl.Expr:
    return pl.when(BOTH_NAMES_DIFFER).then(SHARED_INBOX_SCORE).otherwise(EMAIL_SCORE)


def _by_phone() -> pl.Expr:
    return PHONE_BASE + PHONE_NAME_WEIGHT * pl.col(NAME_SCORE)


def _by_organization(cap: float) -> pl.Expr:
    """The organization rung's score: capped at `cap` with one thing against, 0 with more."""
    score = (
        NAME_WEIGHT * pl.col(NAME_SCORE)
        + ORGANIZATION_WEIGHT * pl.col(ORGANIZATION_SCORE)
        + CONTEXT_WEIGHT * pl.col(CONTEXT_SCORE)
    )
    conflicts = pl.col(CONFLICTS)
    return (
        pl.when(conflicts >= CONFLICTS_REJECT)
        .then(0.0)
        .when(conflicts == 1)
        .then(pl.min_horizontal(score, pl.lit(cap)))
        .otherwise(score)
    )
