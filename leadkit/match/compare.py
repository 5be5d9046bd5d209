"""Comparison: each field's agreement, per pair."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import partial
from typing import Any

import numpy as np
import polars as pl
from rapidfuzz import fuzz, process
from rapidfuzz.distance import OSA, JaroWinkler

from leadkit.match.columns import (
    BOTH_COMPANIES,
    BOTH_DOMAINS,
    CITY,
    CITY_FOLDED,
    CITY_SIMILARITY,
    COMPANIES,
    COMPANY,
    COMPANY_KEY,
    COMPANY_PREFIX,
    COMPANY_RATIO,
    COMPANY_SIMILARITY,
    CORPORATE_DOMAIN,
    COUNTRY,
    DOMAIN_ORGANIZATION,
    DOMAINS,
    EDITS,
    EMAIL,
    EMAIL_EDITS,
    FIRST,
    JARO_WINKLER,
    LAST,
    LEFT,
    LEFT_ROW,
    MOBILE,
    NAME_PART,
    NAMES_SWAPPED,
    NICKNAME,
    ORGANIZATION_KEY_SHARED,
    OTHER_PHONES,
    PHONE,
    PHONE_IN_COMMON,
    POSTAL,
    POSTAL_EDITS,
    RIGHT,
    RIGHT_ROW,
    SAME_CITY,
    SAME_COMPANY_KEY,
    SAME_COUNTRY,
    SAME_DOMAIN,
    SAME_DOMAIN_ORGANIZATION,
    SAME_EMAIL,
    SAME_EMAIL_WORDS,
    SAME_WEBSITE,
    STREET,
    STREET_SIMILARITY,
    WEBSITE,
    NameColumns,
    custom_column,
    date_days_column,
    side_a,
    side_b,
)
from leadkit.match.features import _email_word_steps, _fold_steps, _per_value, _Records
from leadkit.match.keys import _pair_numbers
from leadkit.match.rules import LEVEL_SIMILARITY, _possible
from leadkit.match.screening import _screened
from leadkit.match.threads import _parallel
from leadkit.nicknames import groups_frame


def _cpdist(a: pl.Series, b: pl.Series, scorer: Any) -> np.ndarray:
    """Element-wise RapidFuzz scores of two aligned String columns (nulls compared as "")."""
    if a.is_empty():
        return np.zeros(0)
    # a second core pays off on long columns only (each call with workers=-1 costs ~0.2 ms)
    workers = -1 if a.len() >= 20_000 else 1
    scores = process.cpdist(
        a.fill_null("").to_list(), b.fill_null("").to_list(), scorer=scorer, workers=workers
    )
    return np.asarray(scores)


def _nickname_pairs(names: pl.DataFrame) -> pl.DataFrame:
    """The distinct pairs of folded first names that share a nickname group."""
    groups = groups_frame()
    a, b = side_a(FIRST.folded), side_b(FIRST.folded)
    distinct = names.select(a, b).unique().filter(pl.col(a) != pl.col(b))
    return (
        distinct.join(groups, left_on=a, right_on="name")
        .join(groups, left_on=[b, "group"], right_on=["name", "group"], how="semi")
        .select(a, b)
        .unique()
        .with_columns(pl.lit(True).alias(NICKNAME))
    )


def _name_level(name: NameColumns, *, first: bool) -> pl.Expr:
    """How two folded names agree: exact, nickname, typo, part, initial or differ.

    A typo is one keystroke (two in names of 9+ letters) that keeps the first letter:
    "Rohan"/"Roohan" is a typo, "Neha"/"Sneha" and "Brigitte"/"Birgit" are two people.
    A part is one name's words all inside the other's ("Mary"/"Mary Ann").
    """
    ca, cb = pl.col(side_a(name.folded)), pl.col(side_b(name.folded))
    longest = pl.max_horizontal(ca.str.len_chars(), cb.str.len_chars())
    allowed = pl.when(longest >= 9).then(2).when(longest >= 4).then(1).otherwise(0)
    same_initial = ca.str.slice(0, 1) == cb.str.slice(0, 1)
    cases = [(ca == cb, "exact")]
    if first:
        cases.append((pl.col(NICKNAME), "nickname"))
    cases += [(same_initial & (pl.col(EDITS) <= allowed), "typo"), (pl.col(NAME_PART), "part")]
    if first:
        shortest = pl.min_horizontal(ca.str.len_chars(), cb.str.len_chars())
        cases.append((same_initial & (shortest == 1), "initial"))
    # the first case that holds (a when/then chain, written so mypy follows it)
    return pl.coalesce(
        *(pl.when(test).then(pl.lit(level)) for test, level in cases), pl.lit("differ")
    )


@dataclass(frozen=True)
class _Both:
    """The two records of each pair: feature rows `a` of `left`, `b` of `right` (`within`:
    the same records, the file's)."""

    left: _Records
    right: _Records
    a: np.ndarray
    b: np.ndarray
    within: bool

    def take(self, at: np.ndarray) -> _Both:
        """The pairs numbered `at`."""
        return _Both(self.left, self.right, self.a[at], self.b[at], self.within)

    def present(self, name: str) -> np.ndarray:
        """Per pair, whether both records have the key part `name`."""
        (_, va), (_, vb) = self.left.keys[name], self.right.keys[name]
        out = np.ones(len(self.a), dtype=bool)
        if va is not None:
            out &= va[self.a]
        if vb is not None:
            out &= vb[self.b]
        return out

    def same_key(self, name: str) -> np.ndarray:
        """Per pair, whether both records have the key part `name` with one hash."""
        (ha, _), (hb, _) = self.left.keys[name], self.right.keys[name]
        same: np.ndarray = (ha[self.a] == hb[self.b]) & self.present(name)
        return same

    def same(self, name_a: str, name_b: str) -> np.ndarray:
        """Per pair, whether the left record's own column `name_a` and the right record's
        `name_b` hold one value, present and not screened out (`_screen_keys`).

        The 64-bit keys tell where they may (a value two records share is among the
        screened keys); the strings decide there, so a hash collision never counts.
        """
        (ha, va), (hb, vb) = self.left.keys[name_a], self.right.keys[name_b]
        same: np.ndarray = ha[self.a] == hb[self.b]
        if va is not None:
            same &= va[self.a]
        if vb is not None:
            same &= vb[self.b]
        at = np.flatnonzero(same)
        if len(at):
            sa = self.left.own[name_a].gather(self.a[at])
            sb = self.right.own[name_b].gather(self.b[at])
            same[at] = (sa == sb).fill_null(False).to_numpy()
        return same

    def values(self, table: str, columns: Sequence[str]) -> tuple[np.ndarray, pl.DataFrame]:
        """The distinct pairs of the two records' values of `table` (rows of `_per_value`
        tables): per pair the number of its distinct pair, and per distinct pair `columns`
        of both values (`*_a`, `*_b`). What is worked out for a pair of names, companies
        or domains is worked out once: a million pairs hold a few thousand such pairs."""
        ia, ib = self.left.index[table][self.a], self.right.index[table][self.b]
        inverse, first = _pair_numbers(ia, ib, self.right.values[table].height)
        a = self.left.values[table].select(columns)[ia[first]]
        b = self.right.values[table].select(columns)[ib[first]]
        return inverse, pl.concat(
            [a.rename({c: side_a(c) for c in columns}), b.rename({c: side_b(c) for c in columns})],
            how="horizontal",
        )

    def own(self) -> pl.DataFrame:
        """The own columns (`columns.OWN`) of both records of each pair (`*_a`, `*_b`), the
        leads' screened (`_screened`). Each record's are gathered and screened once,
        however many pairs it is in."""

        def table(records: _Records, at: np.ndarray, *, screen: bool) -> pl.DataFrame:
            # record rows are below `records.height`: told apart by a table of them, no sort
            chosen = np.zeros(records.height, dtype=bool)
            chosen[at] = True
            rows = np.flatnonzero(chosen)
            number = np.empty(records.height, dtype=np.intp)
            number[rows] = np.arange(len(rows))
            own = records.own[rows]
            if screen:
                own = _screened(own, {n: s[rows] for n, s in records.screened.items()})
            picked: pl.DataFrame = own[number[at]]
            return picked

        if self.within:
            both = table(self.left, np.concatenate([self.a, self.b]), screen=True)
            a, b = both.head(len(self.a)), both.tail(len(self.b))
        else:
            a = table(self.left, self.a, screen=True)
            b = table(self.right, self.b, screen=False)
        return pl.concat(
            [
                a.rename({c: side_a(c) for c in a.columns}),
                b.rename({c: side_b(c) for c in b.columns}),
            ],
            how="horizontal",
        )


def _name_agreement(both: _Both, name: NameColumns, *, first: bool) -> pl.DataFrame:
    """How the two records' first (`name` `FIRST`) or last (`LAST`) names agree: the level
    and the similarity per pair, worked out once per distinct pair of names; both null when
    either name is missing."""
    inverse, names = both.values(name.table, [name.words, name.folded])
    a, b = side_a(name.words), side_b(name.words)
    sa, sb = names[side_a(name.folded)], names[side_b(name.folded)]
    names = names.with_columns(
        pl.Series(
            JARO_WINKLER, _cpdist(sa, sb, JaroWinkler.normalized_similarity), dtype=pl.Float64
        ),
        pl.Series(EDITS, _cpdist(sa, sb, OSA.distance), dtype=pl.Int64),
        pl.Series(NAME_PART, _cpdist(names[a], names[b], fuzz.token_set_ratio) == 100),
    )
    if first:
        names = names.join(
            _nickname_pairs(names),
            on=[side_a(FIRST.folded), side_b(FIRST.folded)],
            how="left",
            maintain_order="left",
        )
        names = names.with_columns(pl.col(NICKNAME).fill_null(False))
    present = pl.col(a).is_not_null() & pl.col(b).is_not_null()
    names = names.with_columns(
        pl.when(present).then(_name_level(name, first=first)).alias(name.level)
    )
    names = names.select(
        name.level,
        pl.when(present)
        .then(
            pl.col(name.level)
            .replace_strict(LEVEL_SIMILARITY, default=None, return_dtype=pl.Float64)
            .fill_null(pl.col(JARO_WINKLER))
        )
        .alias(name.similarity),
    )
    return names[inverse]


def _swapped(both: _Both) -> np.ndarray:
    """Per pair, whether the first and last names are written the other way round on one
    side (common with East Asian names). The hashes of the folded names (the name block
    keys) tell where they may be; the names decide there."""
    (fa, fva), (la, lva) = both.left.keys[FIRST.folded], both.left.keys[LAST.folded]
    (fb, fvb), (lb, lvb) = both.right.keys[FIRST.folded], both.right.keys[LAST.folded]
    may: np.ndarray = (fa[both.a] == lb[both.b]) & (la[both.a] == fb[both.b])
    for valid, rows in ((fva, both.a), (lva, both.a), (fvb, both.b), (lvb, both.b)):
        if valid is not None:
            may &= valid[rows]
    at = np.flatnonzero(may)
    if len(at):

        def folded(records: _Records, name: NameColumns, rows: np.ndarray) -> pl.Series:
            index = records.index[name.table][rows]
            return records.values[name.table][name.folded].gather(index)

        fn_a, ln_a = folded(both.left, FIRST, both.a[at]), folded(both.left, LAST, both.a[at])
        fn_b, ln_b = folded(both.right, FIRST, both.b[at]), folded(both.right, LAST, both.b[at])
        swap = (fn_a == ln_b) & (ln_a == fn_b) & (fn_a != ln_a)
        may[at] = swap.fill_null(False).to_numpy()
    return may


def _same_words(df: pl.DataFrame) -> pl.Series:
    """Per pair, whether the two email local parts hold the same words (in any order:
    "john_smith", "smith.john"); null when either has none, or the emails are the same
    (the ladder does not ask then)."""
    asked = df.select(
        ~pl.col(SAME_EMAIL)
        & pl.col(side_a(EMAIL)).is_not_null()
        & pl.col(side_b(EMAIL)).is_not_null()
    ).to_series()
    at = asked.arg_true()
    same = pl.Series(SAME_EMAIL_WORDS, [None] * df.height, dtype=pl.Boolean)
    if at.is_empty():
        return same
    emails = pl.concat([df[side_a(EMAIL)].gather(at), df[side_b(EMAIL)].gather(at)])
    inverse, table = _per_value(emails, *_email_word_steps("w"))
    words = table["w"].gather(inverse)
    wa, wb = words.head(len(at)), words.tail(len(at))
    equal = wa == wb
    # the same words in another order: as long, with as many spaces (checked word by word)
    spaces_a = wa.str.count_matches(" ", literal=True)
    shuffled = (
        ~equal
        & (wa.str.len_bytes() == wb.str.len_bytes())
        & (spaces_a == wb.str.count_matches(" ", literal=True))
        & (spaces_a > 0)
    ).fill_null(False)
    # two words: the same when one is the other swapped round
    two = (shuffled & (spaces_a == 1)).arg_true()
    if len(two):
        halves = wb.gather(two).str.split_exact(" ", 1).struct.unnest()
        swapped = halves.select(pl.concat_str(halves.columns[::-1], separator=" ")).to_series()
        equal = equal.scatter(two, wa.gather(two) == swapped)
    more = (shuffled & (spaces_a > 1)).arg_true()
    if len(more):
        bags = [
            sorted(x.split(" ")) == sorted(y.split(" "))
            for x, y in zip(wa.gather(more).to_list(), wb.gather(more).to_list(), strict=True)
        ]
        equal = equal.scatter(more, pl.Series(bags, dtype=pl.Boolean))
    return same.scatter(at, equal)


def _compare(
    pairs: pl.DataFrame,
    left: _Records,
    right: _Records | None,
    compare: Mapping[str, str] | None = None,
    *,
    prune: bool = True,
) -> pl.DataFrame:
    """Per pair, each field's agreement: the columns the rule ladder (`rules`) and the
    weighed evidence (`evidence._levels`) read (`right=None` pairs the records of `left`;
    `compare`: the custom columns compared and how).

    The first look (names, emails, phones) reads the NumPy keys and the distinct pairs of
    names; with `prune`, the pairs neither route can accept (`rules._possible`) are then
    dropped, and the records' own columns, companies, domains, cities, email words, street,
    postal code, website and custom columns are compared for the rest only.
    """
    both = _Both(
        left,
        left if right is None else right,
        pairs[LEFT_ROW].to_numpy().astype(np.intp),
        pairs[RIGHT_ROW].to_numpy().astype(np.intp),
        within=right is None,
    )
    # (independent steps, on both cores: Polars, NumPy and RapidFuzz let go of the GIL)
    first_names, last_names, first_look = _parallel(
        [
            partial(_name_agreement, both, FIRST, first=True),
            partial(_name_agreement, both, LAST, first=False),
            partial(_first_look, both),
        ]
    )
    df = pl.concat(
        [pairs.select(LEFT, RIGHT), first_names, last_names, first_look], how="horizontal"
    )
    if prune:
        kept = np.flatnonzero(df.select(_possible()).to_series().fill_null(False).to_numpy())
        both = both.take(kept)
        df = df[kept]
    own, organizations = _parallel([both.own, partial(_organizations, both)])
    df = pl.concat([df, own, organizations], how="horizontal")
    cities, words, others = _parallel(
        [
            partial(_same_cities, df),
            partial(_same_words, df),
            partial(_other_fields, df, dict(compare or {})),
        ]
    )
    has_a = pl.col(side_a(PHONE)).is_not_null() | pl.col(side_a(MOBILE)).is_not_null()
    has_b = pl.col(side_b(PHONE)).is_not_null() | pl.col(side_b(MOBILE)).is_not_null()
    with_cities: pl.DataFrame = pl.concat([df, cities, others], how="horizontal")
    return with_cities.select(
        LEFT,
        RIGHT,
        FIRST.level,
        FIRST.similarity,
        LAST.level,
        LAST.similarity,
        SAME_EMAIL,
        PHONE_IN_COMMON,
        NAMES_SWAPPED,
        BOTH_COMPANIES,
        (has_a & has_b & ~pl.col(PHONE_IN_COMMON)).alias(OTHER_PHONES),
        SAME_COMPANY_KEY,
        SAME_DOMAIN,
        SAME_DOMAIN_ORGANIZATION,
        BOTH_DOMAINS,
        words,
        SAME_CITY,
        CITY_SIMILARITY,
        _equal(COUNTRY).alias(SAME_COUNTRY),
        pl.when(SAME_COMPANY_KEY)
        .then(1.0)
        .otherwise(pl.col(COMPANY_RATIO))
        .alias(COMPANY_SIMILARITY),
        *others.columns,
    )


def _similarity(a: pl.Series, b: pl.Series, scorer: Any, scale: float = 1.0) -> pl.Series:
    """`scorer` of each pair of values where both are present (else null), as Float64."""
    both = (a.is_not_null() & b.is_not_null()).arg_true()
    out = pl.Series([None] * a.len(), dtype=pl.Float64)
    if both.is_empty():
        return out
    scores = _cpdist(a.gather(both), b.gather(both), scorer) / scale
    scattered: pl.Series = out.scatter(both, pl.Series(scores, dtype=pl.Float64))
    return scattered


def _other_fields(df: pl.DataFrame, compare: dict[str, str]) -> pl.DataFrame:
    """The email's keystrokes, street, postal code, website and custom columns per pair."""

    def lower(name: str, side: Any) -> pl.Series:
        column: pl.Series = df[side(name)]
        return column.str.to_lowercase()

    email_a, email_b = df[side_a(EMAIL)], df[side_b(EMAIL)]
    street_a = lower(STREET, side_a).str.replace_all(r"[^\p{L}\p{N}]+", " ")
    street_b = lower(STREET, side_b).str.replace_all(r"[^\p{L}\p{N}]+", " ")
    host = r"^(?:[a-z]+://)?(?:www\.)?([^/:?#]+)"
    web_a = lower(WEBSITE, side_a).str.extract(host)
    web_b = lower(WEBSITE, side_b).str.extract(host)
    columns = [
        _similarity(email_a, email_b, OSA.distance).alias(EMAIL_EDITS),
        _similarity(street_a, street_b, fuzz.token_set_ratio, 100.0).alias(STREET_SIMILARITY),
        _similarity(df[side_a(POSTAL)], df[side_b(POSTAL)], OSA.distance).alias(POSTAL_EDITS),
        (web_a == web_b).alias(SAME_WEBSITE),
    ]
    for name, kind in compare.items():
        a, b = df[side_a(name)], df[side_b(name)]
        if kind == "fuzzy":
            a, b = a.str.to_lowercase(), b.str.to_lowercase()
            value = _similarity(a, b, JaroWinkler.normalized_similarity)
        elif kind == "date":
            # the digits' keystrokes: one mistyped digit or a day and month swapped is close
            days = (a.str.to_date(strict=False) - b.str.to_date(strict=False)).dt.total_days()
            columns.append(days.abs().cast(pl.Float64).alias(date_days_column(name)))
            a, b = a.str.replace_all(r"[^0-9]", ""), b.str.replace_all(r"[^0-9]", "")
            value = _similarity(a, b, OSA.distance)
        else:
            value = (a == b).cast(pl.Float64)
        columns.append(value.alias(custom_column(name)))
    return pl.DataFrame(columns)


def _equal(name: str) -> pl.Expr:
    """Whether a pair's two records hold one value of `name` (null when either is missing)."""
    return pl.col(side_a(name)) == pl.col(side_b(name))


def _first_look(both: _Both) -> pl.DataFrame:
    """`SAME_EMAIL`, `PHONE_IN_COMMON`, `NAMES_SWAPPED` and `BOTH_COMPANIES` per pair."""
    phones = (PHONE, MOBILE)
    return pl.DataFrame(
        {
            SAME_EMAIL: both.same(EMAIL, EMAIL),
            PHONE_IN_COMMON: np.logical_or.reduce(
                [both.same(a, b) for a in phones for b in phones]
            ),
            # first and last names written the other way round (common with East Asian names)
            NAMES_SWAPPED: _swapped(both),
            BOTH_COMPANIES: both.present(COMPANY_KEY),
            # (on the 64-bit keys alone: it only says which pairs are worth comparing)
            ORGANIZATION_KEY_SHARED: np.logical_or.reduce(
                [both.same_key(k) for k in (COMPANY_KEY, COMPANY_PREFIX, DOMAIN_ORGANIZATION)]
            ),
        }
    )


def _organizations(both: _Both) -> pl.DataFrame:
    """`COMPANY_RATIO`, `SAME_COMPANY_KEY`, `SAME_DOMAIN` and `SAME_DOMAIN_ORGANIZATION` per
    pair, each worked out once per distinct pair of values."""
    index, co = both.values(COMPANIES, [COMPANY, COMPANY_KEY])
    scores = _cpdist(co[side_a(COMPANY)], co[side_b(COMPANY)], fuzz.ratio)
    ratio = pl.Series(scores, dtype=pl.Float64) / 100.0
    co = co.select(
        pl.when(pl.col(side_a(COMPANY)).is_not_null() & pl.col(side_b(COMPANY)).is_not_null())
        .then(ratio)
        .alias(COMPANY_RATIO),
        _equal(COMPANY_KEY).fill_null(False).alias(SAME_COMPANY_KEY),
    )
    index_dom, dom = both.values(DOMAINS, [CORPORATE_DOMAIN, DOMAIN_ORGANIZATION])
    dom = dom.select(
        _equal(CORPORATE_DOMAIN).fill_null(False).alias(SAME_DOMAIN),
        _equal(DOMAIN_ORGANIZATION).fill_null(False).alias(SAME_DOMAIN_ORGANIZATION),
        (
            pl.col(side_a(CORPORATE_DOMAIN)).is_not_null()
            & pl.col(side_b(CORPORATE_DOMAIN)).is_not_null()
        ).alias(BOTH_DOMAINS),
    )
    return pl.concat([co[index], dom[index_dom]], how="horizontal")


def _same_cities(df: pl.DataFrame) -> pl.DataFrame:
    """`SAME_CITY` per pair: the two cities are one ("Frankfurt" and "Frankfurt am Main":
    all words of one inside the other), folded and compared once per distinct pair; null
    when either is missing."""
    both_cities = pl.concat([df[side_a(CITY)], df[side_b(CITY)]])
    ids, folded = _per_value(both_cities, *_fold_steps(CITY_FOLDED))
    a, b = ids.head(df.height).to_numpy(), ids.tail(df.height).to_numpy()
    index, first = _pair_numbers(a, b, folded.height)
    cities = pl.DataFrame(
        {"a": folded[CITY_FOLDED].gather(a[first]), "b": folded[CITY_FOLDED].gather(b[first])}
    )
    ratio = pl.Series(_cpdist(cities["a"], cities["b"], fuzz.token_set_ratio)) / 100.0
    present = pl.col("a").is_not_null() & pl.col("b").is_not_null()
    same = cities.select(
        pl.when(present).then(ratio >= 1.0).alias(SAME_CITY),
        pl.when(present).then(ratio).alias(CITY_SIMILARITY),
    )
    per_pair: pl.DataFrame = same[index]
    return per_pair


# --------------------------------------------------------------------------------------
