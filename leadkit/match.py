"""Stage 5: repeats within the file, and matches against an existing CRM export.

A pair of records is judged in three steps.

1. **Blocking** (`_candidates`): records are compared only when they share a key, never all
   pairs. The keys: the email; a phone number; the organization name in a corporate email
   domain, or the company key, each with the last name and first initial, or with the first
   name and the last initial; the full name with the company key's first letters. First
   names block with their nickname groups (Bob with Robert); a typo is never looked for in
   a first letter, so initials narrow blocks without losing matches. Keys are 64-bit hashes.
   A block that would make more than `MatchSettings.max_block_pairs` pairs (a switchboard
   number, a common surname, a big company) is split by a longer key (with the country, the
   full first name), and dropped when even the longest key leaves it giant, so the cost
   stays near linear in the number of records.
2. **Comparison** (`_compare`): each field's agreement, over arrays of pairs (RapidFuzz
   `process.cpdist` on the distinct value pairs, Polars expressions for the rest). Names
   are folded (lowercase, accents and punctuation removed, UTF-8 read as Windows-1252
   repaired) and tolerate nicknames (`leadkit.nicknames`), one-keystroke typos that keep the
   first letter, initials, name parts ("dos Santos"/"Santos") and swapped first/last names.
3. **The rule ladder** (`_score`): a score between 0 and 1 and a reason per pair.

   - same email: 1.0, "email exact" (0.80, so review, when the first and the last names
     both differ: a shared inbox);
   - same phone and the same name: 0.80 + 0.20 x name similarity;
   - the same name and the same organization (company key, company similarity, corporate
     email domain): 0.5 x name + 0.4 x organization + 0.1 x context (city, country, email
     local part) -- capped at review when one thing speaks against the pair (another phone,
     another email address, city or country), no match when two do;
   - the same last name with a different first name is a colleague (with the same phone, a
     switchboard), never a match; a first name that is only close (a typo, an initial)
     while both people use other email addresses, or a name missing on one side, is
     capped at review.

`MatchSettings.auto` and `.review` turn scores into outcomes. The same scoring serves
`find_duplicates` (pairs within the file) and `match_existing` (leads x CRM records). Results
never depend on the CRM export's row order: every choice between records is made by score,
then by record id.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from typing import Any, Final

import numpy as np
import polars as pl
from rapidfuzz import fuzz, process
from rapidfuzz.distance import OSA, JaroWinkler

from leadkit.nicknames import groups_frame

__all__ = ["MatchSettings", "find_duplicates", "match_existing"]


@dataclass(frozen=True)
class MatchSettings:
    """Thresholds and guards of matching (the mapping's `matching:` section)."""

    auto: float = 0.90
    """A score at or above this is decided automatically: an update, a duplicate."""
    review: float = 0.75
    """A CRM match scoring at least this, but below `auto`, goes to the review queue."""
    tie_margin: float = 0.02
    """Two CRM records scoring this close to each other are a tie: the lead goes to review."""
    max_block_pairs: int = 1_000
    """A block that would make more pairs than this is split by a longer key, or dropped."""

    def __post_init__(self) -> None:
        if not 0.0 <= self.review <= self.auto <= 1.0:
            raise ValueError(
                "matching thresholds need 0 <= review <= auto <= 1 "
                f"(got review={self.review}, auto={self.auto})"
            )
        if self.tie_margin < 0 or self.max_block_pairs < 1:
            raise ValueError("matching needs tie_margin >= 0 and max_block_pairs >= 1")


# --------------------------------------------------------------------------------------
# Features: one row per record, what blocking and comparison use
# --------------------------------------------------------------------------------------

_LEAD_COLUMNS: Final = (
    "email", "email_domain", "email_free", "first_name", "last_name", "company",
    "company_key", "phone", "mobile_phone", "country", "city",
)

# Letters NFKD does not split into a base letter and an accent.
_FOLD_FROM: Final = ["ß", "ø", "ł", "đ", "æ", "œ", "ı", "þ", "ð", "ŀ"]
_FOLD_TO: Final = ["ss", "o", "l", "d", "ae", "oe", "i", "th", "d", "l"]

# UTF-8 read as Windows-1252 ("JosÃ©"): a lead byte 0xC2-0xDF shown as Â..ß, then a
# continuation byte 0x80-0xBF shown as a Windows-1252 or Latin-1 character.
_MOJIBAKE_RE: Final = (
    "[\u00c2-\u00df][\u00a0-\u00bf\u20ac\u201a\u0192\u201e\u2026\u2020\u2021\u02c6\u2030"
    "\u0160\u2039\u0152\u017d\u2018\u2019\u201c\u201d\u2022\u2013\u2014\u02dc\u2122\u0161"
    "\u203a\u0153\u017e\u0178]"
)

# What people type when they have nothing to type. Never a block key, never evidence.
_PLACEHOLDER_NAMES: Final = (
    "test", "tester", "testing", "unknown", "n a", "none", "null", "nil", "xx",
    "xxx", "asdf", "abc", "no name", "noname", "anonymous", "first", "last", "firstname",
    "lastname", "name", "user", "customer", "mr", "mrs", "ms", "dr",
)
_PLACEHOLDER_COMPANIES: Final = (
    "test", "unknown", "na", "n a", "n/a", "none", "null", "self", "self employed",
    "self-employed", "selfemployed", "individual", "student", "retired", "private",
    "freelance", "freelancer", "home", "personal", "company", "consultant", "independent",
    "x", "xx", "xxx", "abc", "-",
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
# The organization's name in a domain: the label before the public suffix, a two-level one
# (acme.co.uk, acme.com.au) or not. us.acme-corp.co.uk -> acme-corp.
_DOMAIN_ROOT_RE: Final = (
    r"([^.]+)\.(?:(?:co|com|org|net|ac|gov|edu|ne|or|gob|gv|ltd|plc|nom)\.[a-z]{2}|[^.]+)$"
)


def _per_value(col: pl.Series, *steps: pl.Expr) -> pl.DataFrame:
    """Columns derived once per distinct value of `col`: one row per row of `col`, in order.

    A million CRM rows carry a few thousand distinct names: the string work runs on those
    and a join maps the results back (on a 64-bit hash of the value, which joins several
    times faster than the strings). `steps` run one `with_columns` after the other over a
    frame whose column `v` holds the distinct values; every column they add is returned.
    """
    hashed = col.hash(_SEED).rename("_h").to_frame()
    lookup = pl.DataFrame({"v": col}).with_columns(hashed).drop_nulls("v").unique("_h")
    for step in steps:
        lookup = lookup.with_columns(step)
    return hashed.join(
        lookup.drop("v"), on="_h", how="left", maintain_order="left"
    ).drop("_h")


def _repair_mojibake(col: pl.Series) -> pl.Series:
    """Undo UTF-8 read as Windows-1252 ("JosÃ©" -> "José") in a column of distinct values."""
    fixed: dict[str, str] = {}
    for value in col.filter(col.str.contains(_MOJIBAKE_RE).fill_null(False)).to_list():
        try:
            fixed[value] = value.encode("cp1252").decode("utf-8")
        except UnicodeError:  # a real "Ã" followed by a symbol, not mojibake
            continue
    return col.replace(fixed) if fixed else col


def _fold_steps(out: str, placeholders: Sequence[str] = (), source: str = "v") -> list[pl.Expr]:
    """Fold `source` into `out`: lowercase, no accents, every run of non-alphanumerics one space.

    Null when nothing is left or the value is a placeholder. Separate steps on purpose:
    Polars 2.1 runs this long chain several times slower as one expression.
    """
    o = pl.col(out)
    return [
        pl.col(source).str.to_lowercase().str.normalize("NFKD").alias(out),
        o.str.replace_all(r"\p{M}+", "").str.replace_many(_FOLD_FROM, _FOLD_TO).alias(out),
        o.str.replace_all(r"[^\p{L}\p{N}]+", " ").str.strip_chars(" ").alias(out),
        pl.when((o.str.len_bytes() == 0) | o.is_in(list(placeholders)))
        .then(None)
        .otherwise(o)
        .alias(out),
    ]


def _email_words(expr: pl.Expr) -> pl.Expr:
    """An email's local part as words: "smith.john42+news@a.com" -> "smith john".

    Compared with RapidFuzz's token_sort_ratio, so "john_smith" and "smith.john" agree.
    """
    local = expr.str.slice(0, expr.str.find("@", literal=True))
    words = local.str.replace(r"\+.*$", "").str.replace_all(r"[^a-z]+", " ").str.strip_chars(" ")
    return pl.when(words.str.len_bytes() > 0).then(words)


def _without_extension(expr: pl.Expr) -> pl.Expr:
    """"+14155550123 x204" -> "+14155550123" (the contract's E.164 plus an extension)."""
    return expr.str.slice(0, expr.str.find(" ", literal=True))


def _placeholder_phone(expr: pl.Expr) -> pl.Expr:
    """Numbers nobody has: too short, the last 8 digits one or two digits, 12345678."""
    tail = expr.str.replace_all(r"[^0-9]", "").str.slice(-8)
    return (
        (tail.str.len_bytes() < 8)
        | (tail.str.split("").list.n_unique() <= 2)
        | tail.is_in(list(_PLACEHOLDER_DIGITS))
    )


def _ensure_columns(frame: pl.DataFrame) -> pl.DataFrame:
    """Every column matching reads, typed (a missing or all-null column as nulls)."""
    def typed(name: str) -> pl.Expr:
        dtype = pl.Boolean if name == "email_free" else pl.String
        column = pl.col(name) if name in frame.columns else pl.lit(None)
        return column.cast(dtype).alias(name)

    return frame.with_columns(typed(c) for c in _LEAD_COLUMNS)


def _features(frame: pl.DataFrame, rid: pl.Expr, *, screen: bool) -> pl.DataFrame:
    """What blocking and comparison use, one row per record, keyed by `_rid` (UInt32).

    `screen` drops placeholder emails and phones. The leads are screened; the CRM side need
    not be (a million rows): a CRM placeholder can only pair with a lead's, which is gone.
    """
    frame = _ensure_columns(frame)

    def names(column: str, prefix: str) -> pl.DataFrame:
        return _per_value(
            frame[column].cast(pl.String),
            pl.col("v").map_batches(_repair_mojibake, return_dtype=pl.String).alias("_raw"),
            *_fold_steps(f"_{prefix}s", _PLACEHOLDER_NAMES, source="_raw"),
            pl.col(f"_{prefix}s").str.replace_all(" ", "", literal=True).alias(f"_{prefix}"),
            pl.col(f"_{prefix}").str.slice(0, 1).alias(f"_{prefix[0]}ini"),
        ).drop("_raw")

    free = pl.col("email_free").cast(pl.Boolean).fill_null(False)
    domains = _per_value(
        frame.select(pl.when(free).then(None).otherwise(pl.col("email_domain").cast(pl.String)))
        .to_series(),
        pl.col("v").str.extract(_DOMAIN_ROOT_RE).str.replace_all("-", "", literal=True).alias(
            "_droot"
        ),
    )
    # `company_key` is words of letters and digits: without the spaces it is a block key
    co = pl.coalesce("company_key", pl.col("company").str.to_lowercase()).cast(pl.String)
    co = pl.when(co.is_in(list(_PLACEHOLDER_COMPANIES))).then(None).otherwise(co)
    feats = frame.select(
        rid.cast(pl.UInt32).alias("_rid"),
        pl.col("email").cast(pl.String).alias("_em"),
        _without_extension(pl.col("phone").cast(pl.String)).alias("_ph1"),
        _without_extension(pl.col("mobile_phone").cast(pl.String)).alias("_ph2"),
        pl.col("country").cast(pl.String).alias("_cty"),
        pl.col("city").cast(pl.String).alias("_city0"),
        co.alias("_co"),
        pl.when(free).then(None).otherwise(pl.col("email_domain").cast(pl.String)).alias("_cdom"),
    ).with_columns(pl.col("_co").str.replace_all(" ", "", literal=True).alias("_ck"))
    feats = pl.concat(
        [feats, names("first_name", "fn"), names("last_name", "ln"), domains], how="horizontal"
    ).with_columns(pl.when(pl.col("_ck").str.len_bytes() > 0).then(pl.col("_ck")).alias("_ck"))
    feats = feats.with_columns(pl.col("_ck").str.slice(0, 4).alias("_ck4"))
    if screen:
        feats = feats.with_columns(
            pl.when(
                pl.col("_em").str.contains(_PLACEHOLDER_EMAIL_LOCAL)
                | pl.col("_em").str.contains(_PLACEHOLDER_EMAIL_DOMAIN)
            )
            .then(None)
            .otherwise(pl.col("_em"))
            .alias("_em"),
            *(
                pl.when(_placeholder_phone(pl.col(ph))).then(None).otherwise(pl.col(ph)).alias(ph)
                for ph in ("_ph1", "_ph2")
            ),
        )
    return feats


# --------------------------------------------------------------------------------------
# Blocking
# --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Block:
    """Records sharing the values of `keys` are compared; `refine` splits giant blocks."""

    keys: tuple[str, ...]
    refine: tuple[_Block, ...] = ()


# `_ph` stands for either phone of a record; `_fkey` for its first name and each nickname
# group the name is in (bob -> bob, robert), so that Bob and Robert share blocks. A typo is
# never looked for in a first letter, so initials refine blocks without losing matches.
# (The company with its country alone pairs every two colleagues of a small company: ten
# times the pairs for no match the name-refined keys miss, so it is not a block.)
_BLOCKS: Final = (
    _Block(("_em",), (_Block(("_em", "_ln")), _Block(("_em", "_fkey")))),
    _Block(("_ph",), (_Block(("_ph", "_ln"), (_Block(("_ph", "_ln", "_fkey")),)),)),
    _Block(("_droot", "_ln", "_fini"), (_Block(("_droot", "_ln", "_fkey")),)),
    _Block(("_droot", "_fkey", "_lini"), (_Block(("_droot", "_fkey", "_lini", "_cty")),)),
    _Block(("_ck", "_ln", "_fini"), (_Block(("_ck", "_ln", "_fkey")),)),
    _Block(("_ck", "_fkey", "_lini"), (_Block(("_ck", "_fkey", "_lini", "_cty")),)),
    _Block(("_fkey", "_ln", "_ck4"), (_Block(("_fkey", "_ln", "_ck4", "_cty")),)),
)
_KEY_PARTS: Final = ("_em", "_droot", "_ck", "_ck4", "_ln", "_fn", "_fini", "_lini", "_cty")
_SEED: Final = 0x1EAD


def _hashed(name: str) -> pl.Expr:
    return pl.when(pl.col(name).is_not_null()).then(pl.col(name).hash(_SEED)).alias(name)


class _Keys:
    """One side's block-key parts as 64-bit hashes, with the list-valued parts exploded.

    A hash collision can only add a candidate pair, which scoring then rejects: it never
    makes a match.
    """

    def __init__(self, feats: pl.DataFrame, *, hashed: bool = False) -> None:
        if hashed:
            self.base = feats
        else:
            self.base = feats.select(
                "_rid", *(_hashed(c) for c in (*_KEY_PARTS, "_ph1", "_ph2"))
            )
        self._frames: dict[tuple[bool, bool], pl.DataFrame] = {}

    def subset(self, rids: pl.DataFrame) -> _Keys:
        return _Keys(self.base.join(rids, on="_rid", how="semi"), hashed=True)

    def _frame(self, phones: bool, first_names: bool) -> pl.DataFrame:
        """The base with `_ph` (one row per phone) and/or `_fkey` (per name group) added."""
        if (phones, first_names) in self._frames:
            return self._frames[phones, first_names]
        frame = self.base
        if phones:
            frame = pl.concat(
                [
                    frame.with_columns(pl.col("_ph1").alias("_ph")),
                    frame.filter(pl.col("_ph2") != pl.col("_ph1").fill_null(0)).with_columns(
                        pl.col("_ph2").alias("_ph")
                    ),
                ]
            ).filter(pl.col("_ph").is_not_null())
        if first_names:
            named = frame.filter(pl.col("_fn").is_not_null())
            groups = _nickname_keys()
            frame = pl.concat(
                [
                    named.with_columns(pl.col("_fn").alias("_fkey")),
                    named.join(groups, on="_fn").filter(pl.col("_fkey") != pl.col("_fn")),
                ]
            )
        self._frames[phones, first_names] = frame
        return frame

    def keyed(self, keys: tuple[str, ...]) -> pl.DataFrame:
        """`_rid` and `_key` (a hash of the values of `keys`) per record and key variant."""
        frame = self._frame("_ph" in keys, "_fkey" in keys).drop_nulls(list(keys))
        key = pl.col(keys[0]) if len(keys) == 1 else pl.struct(list(keys)).hash(_SEED)
        return frame.select("_rid", key.alias("_key"))


@cache
def _nickname_keys() -> pl.DataFrame:
    """(`_fn`, `_fkey`) as hashes: each name of the nickname table with each of its groups."""
    return groups_frame().select(
        pl.col("name").hash(_SEED).alias("_fn"), pl.col("group").hash(_SEED).alias("_fkey")
    )


def _block_pairs(left: _Keys, right: _Keys | None, block: _Block, cap: int) -> list[pl.DataFrame]:
    """Candidate pairs (`_l`, `_r`) of one block rule; `right=None` pairs `left` with itself."""
    lk = left.keyed(block.keys)
    if right is None:
        rk = lk
        n = pl.len().cast(pl.Int64)
        sizes = lk.group_by("_key").agg((n * (n - 1) // 2).alias("_pairs"))
    else:
        # only the (big) CRM side's keys some lead has can make a pair
        rk = right.keyed(block.keys).join(lk.select("_key"), on="_key", how="semi")
        sizes = (
            lk.group_by("_key")
            .len("_nl")
            .join(rk.group_by("_key").len("_nr"), on="_key")
            .select("_key", (pl.col("_nl").cast(pl.Int64) * pl.col("_nr")).alias("_pairs"))
        )
    small = sizes.filter((pl.col("_pairs") > 0) & (pl.col("_pairs") <= cap)).select("_key")
    big = sizes.filter(pl.col("_pairs") > cap).select("_key")
    ls = lk.join(small, on="_key", how="semi")
    rs = ls if right is None else rk.join(small, on="_key", how="semi")
    pairs = ls.join(rs, on="_key", suffix="_o").select(
        pl.col("_rid").alias("_l"), pl.col("_rid_o").alias("_r")
    )
    if right is None:
        pairs = pairs.filter(pl.col("_l") < pl.col("_r"))
    out = [pairs]
    if big.height and block.refine:
        # only the records of giant blocks go on to the longer keys
        lsub = left.subset(lk.join(big, on="_key", how="semi").select("_rid"))
        rsub = None
        if right is not None:
            rsub = right.subset(rk.join(big, on="_key", how="semi").select("_rid"))
        for finer in block.refine:
            out.extend(_block_pairs(lsub, rsub, finer, cap))
    return out


def _candidates(left: pl.DataFrame, right: pl.DataFrame | None, cap: int) -> pl.DataFrame:
    lkeys = _Keys(left)
    rkeys = None if right is None else _Keys(right)
    schema = pl.Schema({"_l": pl.UInt32(), "_r": pl.UInt32()})
    parts = [p.cast(schema) for block in _BLOCKS for p in _block_pairs(lkeys, rkeys, block, cap)]
    return pl.concat(parts).unique()


# --------------------------------------------------------------------------------------
# Comparison
# --------------------------------------------------------------------------------------


def _cpdist(a: pl.Series, b: pl.Series, scorer: Any) -> np.ndarray:
    """Element-wise RapidFuzz scores of two aligned String columns (nulls compared as "")."""
    if a.is_empty():
        return np.zeros(0)
    scores = process.cpdist(
        a.fill_null("").to_list(), b.fill_null("").to_list(), scorer=scorer, workers=-1
    )
    return np.asarray(scores)


def _nickname_pairs(names: pl.DataFrame) -> pl.DataFrame:
    """The distinct (`_fn_a`, `_fn_b`) first-name pairs that share a nickname group."""
    groups = groups_frame()
    distinct = names.select("_fn_a", "_fn_b").unique().filter(pl.col("_fn_a") != pl.col("_fn_b"))
    return (
        distinct.join(groups, left_on="_fn_a", right_on="name")
        .join(groups, left_on=["_fn_b", "group"], right_on=["name", "group"], how="semi")
        .select("_fn_a", "_fn_b")
        .unique()
        .with_columns(pl.lit(True).alias("_nick"))
    )


def _name_level(side: str, *, first: bool) -> pl.Expr:
    """How two folded names agree: exact, nickname, typo, part, initial or differ.

    A typo is one keystroke (two in names of 9+ letters) that keeps the first letter:
    "Rohan"/"Roohan" is a typo, "Neha"/"Sneha" and "Brigitte"/"Birgit" are two people.
    A part is one name's words all inside the other's ("Mary"/"Mary Ann").
    """
    ca, cb = pl.col(f"_{side}_a"), pl.col(f"_{side}_b")
    longest = pl.max_horizontal(ca.str.len_chars(), cb.str.len_chars())
    allowed = pl.when(longest >= 9).then(2).when(longest >= 4).then(1).otherwise(0)
    same_initial = ca.str.slice(0, 1) == cb.str.slice(0, 1)
    cases = [(ca == cb, "exact")]
    if first:
        cases.append((pl.col("_nick"), "nickname"))
    cases += [(same_initial & (pl.col("_d") <= allowed), "typo"), (pl.col("_part"), "part")]
    if first:
        shortest = pl.min_horizontal(ca.str.len_chars(), cb.str.len_chars())
        cases.append((same_initial & (shortest == 1), "initial"))
    # the first case that holds (a when/then chain, written so mypy follows it)
    return pl.coalesce(
        *(pl.when(test).then(pl.lit(level)) for test, level in cases), pl.lit("differ")
    )


_LEVEL_SIM: Final = {"exact": 1.0, "nickname": 0.95, "part": 0.9, "initial": 0.85}


def _name_agreement(pairs: pl.DataFrame, side: str, *, first: bool) -> pl.DataFrame:
    """Add `_{side}l` (level) and `_{side}sim` per pair, computed once per distinct pair of
    names; both null when either name is missing."""
    a, b = f"_{side}s_a", f"_{side}s_b"
    names = pairs.select(a, b).drop_nulls().unique()
    names = names.with_columns(
        pl.col(a).str.replace_all(" ", "", literal=True).alias(f"_{side}_a"),
        pl.col(b).str.replace_all(" ", "", literal=True).alias(f"_{side}_b"),
    )
    sa, sb = names[f"_{side}_a"], names[f"_{side}_b"]
    names = names.with_columns(
        pl.Series("_jw", _cpdist(sa, sb, JaroWinkler.normalized_similarity), dtype=pl.Float64),
        pl.Series("_d", _cpdist(sa, sb, OSA.distance), dtype=pl.Int64),
        pl.Series("_part", _cpdist(names[a], names[b], fuzz.token_set_ratio) == 100),
    )
    if first:
        names = names.join(_nickname_pairs(names), on=["_fn_a", "_fn_b"], how="left")
        names = names.with_columns(pl.col("_nick").fill_null(False))
    names = names.with_columns(_name_level(side, first=first).alias(f"_{side}l"))
    names = names.with_columns(
        pl.col(f"_{side}l")
        .replace_strict(_LEVEL_SIM, default=None, return_dtype=pl.Float64)
        .fill_null(pl.col("_jw"))
        .alias(f"_{side}sim")
    )
    return pairs.join(names.select(a, b, f"_{side}l", f"_{side}sim"), on=[a, b], how="left")


def _value_pairs(pairs: pl.DataFrame, a: str, b: str, name: str, scorer: object) -> pl.DataFrame:
    """Add `name`: `scorer` of columns `a` and `b`, computed once per distinct pair of values."""
    values = pairs.select(a, b).drop_nulls().unique()
    values = values.with_columns(
        pl.Series(name, _cpdist(values[a], values[b], scorer), dtype=pl.Float64) / 100.0
    )
    return pairs.join(values, on=[a, b], how="left")


def _compare(pairs: pl.DataFrame, left: pl.DataFrame, right: pl.DataFrame) -> pl.DataFrame:
    """Per pair, each field's agreement (columns `*_a` from `left`, `*_b` from `right`)."""
    la = left.rename({c: f"{c}_a" for c in left.columns if c != "_rid"})
    rb = right.rename({c: f"{c}_b" for c in right.columns if c != "_rid"})
    df = pairs.join(la, left_on="_l", right_on="_rid").join(rb, left_on="_r", right_on="_rid")
    df = _name_agreement(df, "fn", first=True)
    df = _name_agreement(df, "ln", first=False)
    df = _value_pairs(df, "_co_a", "_co_b", "_co_r", fuzz.ratio)
    cities = pl.concat([df["_city0_a"], df["_city0_b"]]).rename("_c")
    folded = pl.concat(
        [cities.to_frame(), _per_value(cities, *_fold_steps("_city"))], how="horizontal"
    )
    folded = folded.unique("_c")
    df = (
        df.join(folded.rename({"_c": "_city0_a", "_city": "_city_a"}), on="_city0_a", how="left")
        .join(folded.rename({"_c": "_city0_b", "_city": "_city_b"}), on="_city0_b", how="left")
        .with_columns(
            _email_words(pl.col("_em_a")).alias("_loc_a"),
            _email_words(pl.col("_em_b")).alias("_loc_b"),
        )
    )
    # "Frankfurt" and "Frankfurt am Main" are one city: all words of one inside the other
    df = _value_pairs(df, "_city_a", "_city_b", "_city_r", fuzz.token_set_ratio)
    df = df.with_columns(
        pl.Series("_loc_r", _cpdist(df["_loc_a"], df["_loc_b"], fuzz.token_sort_ratio))
    )
    phones_a = [pl.col("_ph1_a"), pl.col("_ph2_a")]
    phones_b = [pl.col("_ph1_b"), pl.col("_ph2_b")]
    shared_phone = pl.any_horizontal(
        [(a == b).fill_null(False) for a in phones_a for b in phones_b]
    )
    has_phones = pl.any_horizontal([p.is_not_null() for p in phones_a]) & pl.any_horizontal(
        [p.is_not_null() for p in phones_b]
    )
    ck_eq = (pl.col("_ck_a") == pl.col("_ck_b")).fill_null(False)
    return df.with_columns(
        (pl.col("_em_a") == pl.col("_em_b")).fill_null(False).alias("_e_eq"),
        shared_phone.alias("_p_eq"),
        (has_phones & ~shared_phone).alias("_p_ne"),
        ck_eq.alias("_ck_eq"),
        (pl.col("_cdom_a") == pl.col("_cdom_b")).fill_null(False).alias("_dom_eq"),
        (pl.col("_droot_a") == pl.col("_droot_b")).fill_null(False).alias("_droot_eq"),
        pl.when(pl.col("_loc_a").is_not_null() & pl.col("_loc_b").is_not_null())
        .then(pl.col("_loc_r") == 100)
        .alias("_loc_eq"),
        (pl.col("_city_r") >= 1.0).alias("_city_eq"),
        (pl.col("_cty_a") == pl.col("_cty_b")).alias("_cty_eq"),
        # first and last names written the other way round (common with East Asian names)
        (
            (pl.col("_fn_a") == pl.col("_ln_b"))
            & (pl.col("_ln_a") == pl.col("_fn_b"))
            & (pl.col("_fn_a") != pl.col("_ln_a"))
        )
        .fill_null(False)
        .alias("_swap"),
        pl.when(ck_eq).then(1.0).otherwise(pl.col("_co_r")).alias("_cos"),
    )


# --------------------------------------------------------------------------------------
# The rule ladder
# --------------------------------------------------------------------------------------

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


def _score(df: pl.DataFrame, cap: float) -> pl.DataFrame:
    """The rule ladder: `_score` (0..1, 3 decimals) and `_reason` per compared pair.

    `cap` is the highest score of a pair a person must decide (below `auto`).
    """
    fl, ll = pl.col("_fnl"), pl.col("_lnl")
    fs, ls = pl.col("_fnsim"), pl.col("_lnsim")
    first_ok = fl.is_in(_FIRST_OK).fill_null(False)
    last_ok = ll.is_in(_LAST_OK).fill_null(False)
    swap = pl.col("_swap")
    full_name = (first_ok & last_ok) | swap
    # one of the names missing on a side, the other agreeing: never enough on its own
    half_name = ~full_name & ((first_ok & ll.is_null()) | (last_ok & fl.is_null()))
    # the same last name and another first name: a colleague (same phone: a switchboard)
    colleague = last_ok & (fl == "differ").fill_null(False) & ~swap
    not_loc = pl.col("_loc_eq").not_().fill_null(False)
    # a first name only close to the other while both use other email addresses could be a
    # colleague with a similar name (Jan/Jana)
    unsure = fl.is_in(_CLOSE_FIRST).fill_null(False) & not_loc
    name_s = (
        pl.when(swap)
        .then(0.95)
        .when(fl.is_null())
        .then(ls * 0.9)
        .when(ll.is_null())
        .then(fs * 0.9)
        .otherwise((fs + ls) / 2)
    )
    org_s = pl.max_horizontal(
        pl.col("_cos"),
        pl.when(_flag("_dom_eq")).then(1.0).when(_flag("_droot_eq")).then(0.95),
    )
    context = pl.mean_horizontal(
        pl.col("_city_eq").cast(pl.Float64),
        pl.col("_cty_eq").cast(pl.Float64),
        pl.when(_flag("_loc_eq")).then(1.0),
    ).fill_null(0.5)
    not_city = pl.col("_city_eq").not_().fill_null(False)
    not_cty = pl.col("_cty_eq").not_().fill_null(False)
    # what says "two people" behind one name at one organization
    conflicts = pl.sum_horizontal(
        pl.col("_p_ne").cast(pl.Int32),
        not_loc.cast(pl.Int32),
        not_city.cast(pl.Int32),
        not_cty.cast(pl.Int32),
    )

    both_differ = (fl == "differ").fill_null(False) & (ll == "differ").fill_null(False)
    by_email = pl.when(both_differ).then(0.80).otherwise(1.0)
    by_phone = 0.80 + 0.20 * name_s
    by_org = 0.5 * name_s + 0.4 * org_s + 0.1 * context
    by_org = (
        pl.when(conflicts >= 2)
        .then(0.0)
        .when(conflicts == 1)
        .then(pl.min_horizontal(by_org, pl.lit(cap)))
        .otherwise(by_org)
    )
    phone_rung = _flag("_p_eq") & (full_name | half_name) & ~colleague
    org_rung = full_name & ~colleague & (org_s >= 0.85).fill_null(False)
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
    )

    name_txt = pl.when(swap).then(pl.lit("name swapped")).otherwise(
        pl.lit("name ")
        + _fmt2(name_s)
        + pl.when(fl == "nickname")
        .then(pl.lit(" (nickname)"))
        .when(fl.is_null() | ll.is_null())
        .then(pl.lit(" (one name missing)"))
        .otherwise(pl.lit(""))
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
    reason = (
        pl.when(_flag("_e_eq") & both_differ)
        .then(pl.lit("email exact + name differs ") + _fmt2((fs + ls) / 2))
        .when(_flag("_e_eq"))
        .then(pl.lit("email exact"))
        .when(phone_rung)
        .then(pl.lit("phone exact + ") + name_txt + org_txt + warn)
        .otherwise(name_txt + org_txt + warn)
    )
    return df.select("_l", "_r", score.round(3).alias("_score"), reason.alias("_reason"))


def _scored_pairs(
    left: pl.DataFrame, right: pl.DataFrame | None, settings: MatchSettings, floor: float
) -> pl.DataFrame:
    """Candidate pairs scoring at least `floor`: `_l`, `_r`, `_score`, `_reason`."""
    pairs = _candidates(left, right, settings.max_block_pairs)
    if pairs.is_empty():
        return pl.DataFrame(
            schema={"_l": pl.UInt32, "_r": pl.UInt32, "_score": pl.Float64, "_reason": pl.String}
        )
    cap = min(_REVIEW_CAP, settings.auto - 0.005)
    scored = _score(_compare(pairs, left, right if right is not None else left), cap)
    # a pair no rung accepts scores 0: never a match, whatever the thresholds
    return scored.filter((pl.col("_score") >= floor) & (pl.col("_score") > 0))


# --------------------------------------------------------------------------------------
# The two entry points
# --------------------------------------------------------------------------------------


def find_duplicates(leads: pl.DataFrame, settings: MatchSettings) -> pl.DataFrame:
    """Rows that repeat an earlier row: `_idx`, `_duplicate_of`, `_match_reason`.

    A pair scoring at least `settings.auto` is one person. A row repeating earlier rows
    points at the kept original (the first occurrence, never itself a duplicate) of its
    best-scoring earlier match; ties go to the earliest row.
    """
    schema = {"_idx": pl.UInt32, "_duplicate_of": pl.UInt32, "_match_reason": pl.String}
    if leads.height < 2:
        return pl.DataFrame(schema=schema)
    feats = _features(leads, pl.col("_idx"), screen=True)
    pairs = _scored_pairs(feats, None, settings, settings.auto).sort(
        ["_r", "_score", "_l"], descending=[False, True, False]
    )
    kept_of: dict[int, int] = {}
    reasons: dict[int, str] = {}
    for left, right, reason in zip(
        pairs["_l"].to_list(), pairs["_r"].to_list(), pairs["_reason"].to_list(), strict=True
    ):
        if right not in kept_of:  # the first row of a group is its best match
            kept_of[right] = kept_of.get(left, left)
            reasons[right] = reason
    rows = sorted(kept_of)
    return pl.DataFrame(
        {
            "_idx": rows,
            "_duplicate_of": [kept_of[r] for r in rows],
            "_match_reason": [reasons[r] for r in rows],
        },
        schema=schema,
    )


def match_existing(leads: pl.DataFrame, crm: pl.DataFrame, settings: MatchSettings) -> pl.DataFrame:
    """Each lead's best CRM record scoring at least `settings.review`.

    Columns `_idx`, `_match_id`, `_match_score`, `_match_reason`, `_match_outcome` ("update"
    at or above `settings.auto`, else "review") and `_match_owner`. When another record
    scores within `settings.tie_margin` of the best, the lead goes to review and the reason
    names the other record. Records are ranked by score, then id: the export's row order
    never matters.
    """
    schema = {
        "_idx": pl.UInt32,
        "_match_id": pl.String,
        "_match_score": pl.Float64,
        "_match_reason": pl.String,
        "_match_outcome": pl.String,
        "_match_owner": pl.String,
    }
    if leads.is_empty() or crm.is_empty():
        return pl.DataFrame(schema=schema)
    row = pl.int_range(pl.len(), dtype=pl.UInt32)
    owner = pl.col("_owner") if "_owner" in crm.columns else pl.lit(None)
    records = crm.select(
        row.alias("_r"), pl.col("_crm_id").cast(pl.String), owner.cast(pl.String).alias("_owner")
    )
    left = _features(leads, pl.col("_idx"), screen=True)
    right = _features(crm, row, screen=False)
    scored = _scored_pairs(left, right, settings, settings.review)
    if scored.is_empty():
        return pl.DataFrame(schema=schema)
    ranked = (
        scored.join(records, on="_r")
        .drop_nulls("_crm_id")
        .sort(["_l", "_score", "_crm_id", "_reason", "_owner"],
              descending=[False, True, False, False, False], nulls_last=True)
        # a record id listed twice in the export is one record: its best row speaks for it
        .unique(["_l", "_crm_id"], keep="first", maintain_order=True)
        .group_by("_l", maintain_order=True)
        .agg(
            pl.col("_crm_id").first().alias("_match_id"),
            pl.col("_score").first().alias("_match_score"),
            pl.col("_reason").first().alias("_reason1"),
            pl.col("_owner").first().alias("_match_owner"),
            pl.col("_crm_id").get(1, null_on_oob=True).alias("_id2"),
            pl.col("_score").get(1, null_on_oob=True).alias("_score2"),
            pl.col("_reason").get(1, null_on_oob=True).alias("_reason2"),
        )
    )
    tie = (pl.col("_score2") >= pl.col("_match_score") - settings.tie_margin - 1e-9).fill_null(
        False
    )
    return ranked.select(
        pl.col("_l").alias("_idx"),
        "_match_id",
        pl.col("_match_score").cast(pl.Float64),
        pl.when(tie)
        .then(
            pl.format(
                "{}; tie with {} ({}: {})",
                "_reason1",
                "_id2",
                pl.col("_score2").round(3),
                "_reason2",
            )
        )
        .otherwise(pl.col("_reason1"))
        .alias("_match_reason"),
        pl.when(tie | (pl.col("_match_score") < settings.auto))
        .then(pl.lit("review"))
        .otherwise(pl.lit("update"))
        .alias("_match_outcome"),
        "_match_owner",
    ).sort("_idx")
