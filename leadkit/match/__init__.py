"""Stage 5: repeats within the file, and matches against an existing CRM export.

A pair of records is judged in three steps.

1. **Blocking** (`_candidates`): records are compared only when they share a key, never all
   pairs. The keys: the email; a phone number; the organization name in a corporate email
   domain, or the company key, each with the last name and first initial, or with the first
   name and the last initial; the full name with the company key's first letters. First
   names block with their nickname groups (Bob with Robert); a typo is never looked for in
   a first letter, so initials narrow blocks without losing matches. Keys are 64-bit hashes,
   grouped by sorting them (NumPy). A block that would make more than
   `MatchSettings.max_block_pairs` pairs (a switchboard number, a common surname, a big
   company) is split by a longer key (with the country, the full first name), and dropped
   when even the longest key leaves it giant, so the cost stays near linear in the number of
   records.
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

The cost per record stays flat from a thousand records to millions: string work runs once
per distinct value (`_per_value`: a million records hold a few thousand names), a record's
strings are gathered only when it is in a candidate pair, fields are compared once per
distinct pair of values (told apart by the rows of the two values in the `_per_value`
tables), the same email or phone is found on the 64-bit keys and confirmed on the strings,
and what cannot change a score is skipped (keys no other record has, pairs no rung of the
ladder can accept, reasons the email already gives). Independent steps run on two threads.

`MatchSettings.auto` and `.review` turn scores into outcomes. The same scoring serves
`find_duplicates` (pairs within the file) and `match_existing` (leads x CRM records). Results
never depend on the CRM export's row order: every choice between records is made by score,
then by record id.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from functools import cache, partial
from typing import Any, Final

import numpy as np
import polars as pl
from rapidfuzz import fuzz, process
from rapidfuzz.distance import OSA, JaroWinkler

from leadkit.nicknames import groups_frame
from leadkit.normalizers.text import split_once

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
# 64-bit keys: blocking keys and distinct values are hashes, grouped by sorting them
# --------------------------------------------------------------------------------------

_SEED: Final = 0x1EAD
_MIX: Final = np.uint64(0x9E3779B97F4A7C15)


def _combine(parts: list[np.ndarray], out: np.ndarray | None = None) -> np.ndarray:
    """One 64-bit key from the hashes of a block's key parts (an order-sensitive mix),
    written to `out` when given."""
    key = np.empty_like(parts[0]) if out is None else out
    key[:] = parts[0]
    if len(parts) > 1:
        shifted = np.empty_like(key)  # (one scratch array for every step)
        for part in parts[1:]:
            key ^= np.right_shift(key, np.uint64(29), out=shifted)
            key *= _MIX
            key ^= part
    return key


def _bucket_mask(n: int) -> np.uint64:
    """Low hash bits that give `n` keys about four buckets each: a key whose bucket holds
    none of the other side's keys is not among them."""
    bits = min(max(int(n).bit_length() + 2, 10), 23)
    return np.uint64((1 << bits) - 1)


def _buckets(keys: np.ndarray, mask: np.uint64) -> np.ndarray:
    return (keys & mask).astype(np.intp)


def _seen(keys: list[np.ndarray], mask: np.uint64) -> np.ndarray:
    """Per bucket: does one of `keys` fall in it."""
    seen = np.zeros(int(mask) + 1, dtype=bool)
    for k in keys:
        seen[_buckets(k, mask)] = True
    return seen


def _offsets(counts: np.ndarray) -> np.ndarray:
    """0, 1, .. count-1 for every count, one after the other."""
    ends = np.cumsum(counts)
    total = int(ends[-1]) if len(ends) else 0
    return np.arange(total) - np.repeat(ends - counts, counts)


def _ranges(starts: np.ndarray, lengths: np.ndarray) -> np.ndarray:
    """start, start+1, .. start+length-1 for every run, one after the other."""
    return np.repeat(starts, lengths) + _offsets(lengths)


def _sort(keys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The order that sorts `keys` (UInt64), and per two neighbours in that order whether
    they hold the same key.

    The keys are sorted with each one's position in their low bits, several times faster
    than an argsort, and neighbours are told apart by their high bits. Neighbours alike in
    the high bits are then read in full (most keys are held by one record: those are not
    read again), and keys that differ only in the low bits (rare) are sorted in full.
    """
    n = len(keys)
    low = np.uint64((1 << (n - 1).bit_length()) - 1) if n else np.uint64(0)
    scratch = np.arange(n, dtype=np.uint64)  # (positions first, then one step's scratch)
    packed = keys & ~low
    packed |= scratch
    packed.sort()
    same = np.bitwise_xor(packed[1:], packed[:-1], out=scratch[1:]) <= low
    order = np.bitwise_and(packed, low, out=packed).view(np.int64)
    if np.count_nonzero(same) * 4 > n:  # most keys repeat: read them all in order, at once
        ordered = np.take(keys, order, out=scratch, mode="clip")
        differ = np.flatnonzero(same & (ordered[1:] != ordered[:-1]))
    else:
        alike = np.flatnonzero(same)
        differ = alike[keys[order[alike]] != keys[order[alike + 1]]]
    if len(differ):
        # keys alike in all but the low bits: sort each run of equal high bits in full
        run_starts = np.concatenate(([0], np.flatnonzero(~same) + 1))
        run_ends = np.append(run_starts[1:], n)
        for run in np.unique(np.searchsorted(run_starts, differ, side="right") - 1).tolist():
            start, end = int(run_starts[run]), int(run_ends[run])
            segment = order[start:end]
            segment = segment[np.argsort(keys[segment], kind="stable")]
            order[start:end] = segment
            same[start : end - 1] = keys[segment[1:]] == keys[segment[:-1]]
    return order, same


def _runs(keys: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The order that sorts `keys` (UInt64), and the start and length of each run of equal
    keys in that order."""
    order, same = _sort(keys)
    starts = np.concatenate(([0], np.flatnonzero(~same) + 1)) if len(keys) else order
    return order, starts, np.diff(starts, append=len(keys))


def _repeats(keys: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """As `_runs`, only the runs of two or more keys: the ones that can make a pair (most
    keys are held by one record, and need no more work once sorted)."""
    order, same = _sort(keys)
    alike = np.flatnonzero(same)  # the first of two equal neighbours
    first = np.flatnonzero(np.diff(alike, prepend=-2) != 1)  # where each run starts in `alike`
    return order, alike[first], np.diff(first, append=len(alike)) + 1


def _distinct(keys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """For each key, the number of its distinct value; and one position of each value."""
    order, same = _sort(keys)
    number = np.zeros(len(keys), dtype=np.intp)
    np.cumsum(~same, out=number[1:])
    inverse = np.empty(len(keys), dtype=np.intp)
    inverse[order] = number
    starts = np.concatenate(([0], np.flatnonzero(~same) + 1)) if len(keys) else order
    return inverse, order[starts]


def _unique(keys: np.ndarray) -> np.ndarray:
    """The distinct keys, sorted."""
    ordered = np.sort(keys)
    return ordered[np.concatenate(([True], ordered[1:] != ordered[:-1]))] if len(keys) else keys


def _parallel(tasks: Sequence[Callable[[], Any]]) -> list[Any]:
    """The results of `tasks`, run on two threads (Polars and NumPy's sorts and arithmetic
    let go of the GIL, so a second core works alongside)."""
    with ThreadPoolExecutor(max_workers=2) as pool:
        return list(pool.map(lambda task: task(), tasks))


# --------------------------------------------------------------------------------------
# Features: one row per record, what blocking and comparison use
# --------------------------------------------------------------------------------------

_LEAD_COLUMNS: Final = (
    "email",
    "email_domain",
    "email_free",
    "first_name",
    "last_name",
    "company",
    "company_key",
    "phone",
    "mobile_phone",
    "country",
    "city",
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
# The organization's name in a domain: the label before the public suffix, a two-level one
# (acme.co.uk, acme.com.au) or not. us.acme-corp.co.uk -> acme-corp.
_DOMAIN_ROOT_RE: Final = (
    r"([^.]+)\.(?:(?:co|com|org|net|ac|gov|edu|ne|or|gob|gv|ltd|plc|nom)\.[a-z]{2}|[^.]+)$"
)


def _per_value(
    col: pl.Series, *steps: pl.Expr, repair: Callable[[pl.Series], pl.Series] | None = None
) -> tuple[pl.Series, pl.DataFrame]:
    """Columns derived once per distinct value of `col`: a table with one row per distinct
    value, and per row of `col` the row of its value in the table.

    A million CRM rows carry a few thousand distinct names: the string work runs on those.
    The values are told apart by a 64-bit hash, which sorts several times faster than the
    strings. `steps` run one `with_columns` after the other over a frame whose column `v`
    holds the distinct values (null among them when `col` has nulls), and `_raw` the same
    values through `repair` when given; every column they add is in the table.
    """
    hashes = col.hash(_SEED)
    if col.len() > 50_000 and col.head(5_000).n_unique() < 500:
        # a few distinct values (names, cities): a hash table finds them faster than sorting
        first = hashes.is_first_distinct().arg_true()
        rows = hashes.gather(first).to_frame("h").with_row_index("i")
        inverse = hashes.to_frame("h").join(rows, on="h", how="left", maintain_order="left")["i"]
    else:
        found, at = _distinct(hashes.to_numpy())
        inverse, first = pl.Series(found, dtype=pl.UInt32), pl.Series(at)
        if len(at) > 10_000:
            # (many values gathered in no order: far faster from one chunk than from several)
            col = col.rechunk()
    table = col.gather(first).rename("v").to_frame()
    if repair is not None:
        table = table.with_columns(repair(table["v"]).alias("_raw"))
    for step in steps:
        table = table.with_columns(step)
    return inverse.cast(pl.UInt32).alias("v"), table.drop("v")


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


def _email_word_steps(out: str, source: str = "v") -> list[pl.Expr]:
    """An email's local part as words in `out`: "smith.john42+news@a.com" -> "smith john"
    (null when it has none). Steps for `_per_value`, each read once."""
    w = pl.col(out)
    return [
        split_once(pl.col(source), "@")[0].fill_null(pl.col(source)).alias(out),
        w.str.replace(r"\+.*$", "").alias(out),
        w.str.replace_all(r"[^a-z]+", " ").str.strip_chars(" ").alias(out),
        pl.when(w.str.len_bytes() > 0).then(w).alias(out),
    ]


def _without_extension(col: pl.Series) -> pl.Series:
    """ "+14155550123 x204" -> "+14155550123" (the contract's E.164 plus an extension).

    Only the values with a space are cut (a search costs less than a cut of every value).
    """
    spaced = col.str.contains(" ", literal=True).fill_null(False).arg_true()
    if spaced.is_empty():
        return col
    cut = col.gather(spaced)
    return col.clone().scatter(spaced, cut.str.slice(0, cut.str.find(" ", literal=True)))


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


def _ensure_columns(frame: pl.DataFrame) -> pl.DataFrame:
    """Every column matching reads, typed (a missing or all-null column as nulls)."""

    def typed(name: str) -> pl.Expr:
        dtype = pl.Boolean if name == "email_free" else pl.String
        column = pl.col(name) if name in frame.columns else pl.lit(None)
        return column.cast(dtype).alias(name)

    return frame.select(typed(c) for c in _LEAD_COLUMNS)


def _hashed(expr: pl.Expr) -> pl.Expr:
    """A block-key part: the value's 64-bit hash, null when the value is."""
    return pl.when(expr.is_not_null()).then(expr.hash(_SEED))


# The compared columns each record has (the rest come from `_Records.values`).
_OWN: Final = ("_em", "_ph1", "_ph2", "_cty", "_city0")


_Column = tuple[np.ndarray, np.ndarray | None]  # values (any where missing), where present


@dataclass(frozen=True)
class _Records:
    """One side's records as blocking and comparison see them (`_features`), one row per
    record, in order. Blocking reads NumPy arrays: it never goes back to Polars."""

    rid: np.ndarray
    """Each record's id (UInt32)."""
    own: pl.DataFrame
    """The record's own compared columns (`_OWN`)."""
    keys: dict[str, _Column]
    """The block-key parts (`_KEY_PARTS`, `_ph1`, `_ph2`): 64-bit hashes, see `_Keys`."""
    index: dict[str, np.ndarray]
    """Per table of `values`, each record's row in it."""
    values: dict[str, pl.DataFrame]
    """The columns worked out once per distinct value (`_per_value`), per `_i_*` table."""
    screened: dict[str, np.ndarray] = field(default_factory=dict)
    """Per email and phone column, what `_screen_keys` found of each record's value
    (`_UNTESTED`, `_REAL`, `_PLACEHOLDER`)."""

    @property
    def height(self) -> int:
        return len(self.rid)


def _features(frame: pl.DataFrame, rid: pl.Expr, *, read_often: bool = True) -> _Records:
    """What blocking and comparison use of each record of `frame`, in the frame's order.

    `rid` gives the record's id. Names, companies and domains are worked out once per
    distinct value (`_per_value`) and stay in tables: a million records are never given
    a million copies of their strings. Placeholder emails and phones are still in: the
    leads' are screened out of the keys (`_screen_keys`) and out of the pairs that reach
    comparison (`_screened`); the CRM side need not be (a million rows): a CRM placeholder
    can only pair with a lead's, which is gone.

    `read_often`: many of the records are read in comparison (the leads: most are in some
    pair), so their own columns are put in one chunk, from which rows are read many times
    faster (not worth it for a million CRM records of which a few are read).
    """
    rids = frame.select(rid.cast(pl.UInt32)).to_series().to_numpy()
    frame = _ensure_columns(frame)

    def names(column: str, prefix: str) -> _Lookup:
        spaced, joined, initial = f"_{prefix}s", f"_{prefix}", f"_{prefix[0]}ini"
        # (mojibake repaired in plain Python, not as a Polars callback: the tasks run on
        # threads, and a callback waiting for the GIL could hold up Polars' thread pool)
        inverse, table = _per_value(
            frame[column],
            *_fold_steps(spaced, _PLACEHOLDER_NAMES, source="_raw"),
            pl.col(spaced).str.replace_all(" ", "", literal=True).alias(joined),
            _hashed(pl.col(joined)).alias(f"_k{joined}"),
            _hashed(pl.col(joined).str.slice(0, 1)).alias(f"_k{initial}"),
            repair=_repair_mojibake,
        )
        return _lookup(f"_i{joined}", inverse, table)

    def domains() -> _Lookup:
        free = pl.col("email_free").fill_null(False)
        cdom = frame.select(pl.when(free).then(None).otherwise(pl.col("email_domain")))
        inverse, table = _per_value(
            cdom.to_series(),
            pl.col("v").alias("_cdom"),
            pl.col("v")
            .str.extract(_DOMAIN_ROOT_RE)
            .str.replace_all("-", "", literal=True)
            .alias("_droot"),
            _hashed(pl.col("_droot")).alias("_k_droot"),
        )
        return _lookup("_i_dom", inverse, table)

    def companies() -> _Lookup:
        # the company key, or the company lowercased where it has no key (only there)
        co = frame["company_key"]
        unkeyed = (co.is_null() & frame["company"].is_not_null()).arg_true()
        if unkeyed.len():
            co = co.clone().scatter(unkeyed, frame["company"].gather(unkeyed).str.to_lowercase())
        ck = pl.col("_ck")
        # `company_key` is words of letters and digits: without the spaces it is a block key
        inverse, table = _per_value(
            co,
            pl.when(pl.col("v").is_in(list(_PLACEHOLDER_COMPANIES)))
            .then(None)
            .otherwise(pl.col("v"))
            .alias("_co"),
            pl.col("_co").str.replace_all(" ", "", literal=True).alias("_ck"),
            pl.when(ck.str.len_bytes() > 0).then(ck).alias("_ck"),
            _hashed(ck).alias("_k_ck"),
            _hashed(ck.str.slice(0, 4)).alias("_k_ck4"),
        )
        return _lookup("_i_co", inverse, table)

    def own() -> tuple[pl.DataFrame, dict[str, _Column]]:
        columns = frame.select(
            pl.col("email").alias("_em"),
            _without_extension(frame["phone"]).alias("_ph1"),
            _without_extension(frame["mobile_phone"]).alias("_ph2"),
            pl.col("country").alias("_cty"),
            pl.col("city").alias("_city0"),
        )
        if read_often:
            columns = columns.rechunk()
        hashes = columns.select(pl.col("_em", "_ph1", "_ph2", "_cty").hash(_SEED))
        return columns, {name: _column(hashes[name], columns[name]) for name in hashes.columns}

    (own_columns, keys), *lookups = _parallel(
        [
            own,
            partial(names, "first_name", "fn"),
            partial(names, "last_name", "ln"),
            domains,
            companies,
        ]
    )
    values: dict[str, pl.DataFrame] = {}
    index: dict[str, np.ndarray] = {}
    for name, rows, table, parts in lookups:
        values[name], index[name] = table, rows
        keys |= parts
    return _Records(rids, own_columns, keys, index, values)


# A `_per_value` table as `_Records` holds it (`_lookup`).
_Lookup = tuple[str, np.ndarray, pl.DataFrame, dict[str, _Column]]


def _lookup(name: str, inverse: pl.Series, table: pl.DataFrame) -> _Lookup:
    """A `_per_value` table as `_Records` holds it: its name, each record's row in it, the
    table without its key columns, and each record's key parts (the `_k_*` of its value)."""
    rows = inverse.to_numpy().astype(np.intp)  # (NumPy indexes fastest with intp)
    parts: dict[str, _Column] = {}
    for k in table.columns:
        if k.startswith("_k_"):
            values, valid = _column(table[k])
            parts[k[2:]] = (values[rows], None if valid is None else valid[rows])
    return name, rows, table.select(pl.exclude("^_k_.*$", "_raw")), parts


def _column(hashes: pl.Series, values: pl.Series | None = None) -> _Column:
    """A block-key part as NumPy: the hashes, and where `values` (or the hashes) are not
    null (None when nowhere)."""
    present = hashes if values is None else values
    valid = present.is_not_null().to_numpy() if present.null_count() else None
    return hashes.fill_null(0).to_numpy(), valid


# What `_screen_keys` found of a record's email or phone (`_Records.screened`).
_UNTESTED: Final = 0
_REAL: Final = 1
_PLACEHOLDER: Final = 2


def _screened(feats: pl.DataFrame, known: dict[str, np.ndarray]) -> pl.DataFrame:
    """`feats` with placeholder emails and phones as nulls (what comparison reads).

    `known` holds, per column, what `_screen_keys` found of each row: only the rows it did
    not test are tested here (regular expressions per value).
    """
    screens = (
        ("_em", _placeholder_emails),
        ("_ph1", _placeholder_phones),
        ("_ph2", _placeholder_phones),
    )
    columns = []
    for name, test in screens:
        values = feats[name]
        state = known.get(name)
        if state is None:
            placeholder = test(values).fill_null(False).to_numpy()
        else:
            placeholder = state == _PLACEHOLDER
            untested = np.flatnonzero((state == _UNTESTED) & values.is_not_null().to_numpy())
            if len(untested):
                placeholder[untested] = test(values.gather(untested)).fill_null(False).to_numpy()
        columns.append(pl.when(pl.Series(placeholder)).then(None).otherwise(values).alias(name))
    return feats.with_columns(columns)


def _screen_keys(records: _Records, other: _Records | None) -> _Records:
    """The leads' email and phone key parts that can make a pair: placeholders dropped, and
    the keys no other record has.

    A key can only make a pair when another record has it: within the file (`other` None)
    a key held once never does, against the CRM (`other`) a key the export lacks never does
    (ruled out by hash buckets, so a few stay). Those are dropped, which spares blocking
    the work; the rest are screened for placeholders, which costs regular expressions per
    value. The pairs are the ones screening every record would give.
    """

    def screen(
        names: tuple[str, ...], test: Callable[[pl.Series], pl.Series]
    ) -> tuple[dict[str, _Column], dict[str, np.ndarray]]:
        present = [_present(records.keys[n]) for n in names]
        mine = [
            values if valid is None else values[at]
            for (values, valid), at in zip((records.keys[n] for n in names), present, strict=True)
        ]
        if other is None:
            order, starts, lengths = _repeats(mine[0] if len(mine) == 1 else np.concatenate(mine))
            shared = np.zeros(len(order), dtype=bool)
            shared[order[_ranges(starts, lengths)]] = True
            split = np.split(shared, np.cumsum([len(m) for m in mine])[:-1])
        else:
            theirs = [other.keys[n][0][_present(other.keys[n])] for n in names]
            mask = _bucket_mask(max(sum(len(k) for k in mine), sum(len(k) for k in theirs)))
            seen = _seen(theirs, mask)
            split = [seen[_buckets(m, mask)] for m in mine]
        keys: dict[str, _Column] = {}
        states: dict[str, np.ndarray] = {}
        for name, at, chosen in zip(names, present, split, strict=True):
            at = at[chosen]
            placeholder = test(records.own[name].gather(at)).fill_null(False).to_numpy()
            valid = np.zeros(records.height, dtype=bool)
            valid[at[~placeholder]] = True
            keys[name] = (records.keys[name][0], valid)
            # (kept for comparison, which screens the records it reads: these need not be)
            states[name] = np.full(records.height, _UNTESTED, dtype=np.int8)
            states[name][at] = np.where(placeholder, _PLACEHOLDER, _REAL)
        return keys, states

    (emails, email_states), (phones, phone_states) = _parallel(
        [
            partial(screen, ("_em",), _placeholder_emails),
            partial(screen, ("_ph1", "_ph2"), _placeholder_phones),
        ]
    )
    keys = records.keys | emails | phones
    states = email_states | phone_states
    return _Records(records.rid, records.own, keys, records.index, records.values, states)


def _present(column: _Column) -> np.ndarray:
    """The rows where a key part is present."""
    values, valid = column
    return np.arange(len(values)) if valid is None else np.flatnonzero(valid)


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
_Pairs = tuple[np.ndarray, np.ndarray]


def _within(pos: np.ndarray, keys: np.ndarray, cap: int) -> tuple[np.ndarray, ...]:
    """Records sharing a key, pairwise: positions `a`, `b` (each pair once, in either order)
    from blocks of at most `cap` pairs, and the positions in the bigger blocks."""
    order, starts, lengths = _repeats(keys)
    pairs = lengths * (lengths - 1) // 2
    small = pairs <= cap
    big = ~small
    s, n = starts[small], lengths[small]
    # the members of the small blocks one after the other, and their positions (read once)
    members = pos[order[_ranges(s, n)]]
    after = np.repeat(np.cumsum(n), n) - np.arange(len(members)) - 1  # members following
    first = np.repeat(np.arange(len(members)), after)
    second = first + 1 + _offsets(after)
    return members[first], members[second], pos[order[_ranges(starts[big], lengths[big])]]


def _across(
    lpos: np.ndarray, lkeys: np.ndarray, rpos: np.ndarray, rkeys: np.ndarray, cap: int
) -> tuple[np.ndarray, ...]:
    """Left and right records sharing a key: positions `a` (left), `b` (right) from blocks
    of at most `cap` pairs, and the left and right positions in the bigger blocks."""
    mask = _bucket_mask(max(len(lkeys), len(rkeys)))
    # only keys both sides have can make a pair (the buckets rule most out unsorted)
    some = _seen([lkeys], mask)[_buckets(rkeys, mask)]
    rpos, rkeys = rpos[some], rkeys[some]
    some = _seen([rkeys], mask)[_buckets(lkeys, mask)]
    lpos, lkeys = lpos[some], lkeys[some]
    lorder, lstarts, llens = _runs(lkeys)
    rorder, rstarts, rlens = _runs(rkeys)
    # the keys both sides have: each side's distinct keys together, the ones seen twice
    order, starts, lengths = _runs(np.concatenate([lkeys[lorder[lstarts]], rkeys[rorder[rstarts]]]))
    twice = starts[lengths == 2]
    one, other = order[twice], order[twice + 1]
    li, ri = np.minimum(one, other), np.maximum(one, other) - len(lstarts)
    lstarts, llens, rstarts, rlens = lstarts[li], llens[li], rstarts[ri], rlens[ri]
    lpos, rpos = lpos[lorder], rpos[rorder]
    pairs = llens * rlens
    small = pairs <= cap
    big = ~small
    each = _offsets(pairs[small])
    width = np.repeat(rlens[small], pairs[small])
    first = np.repeat(lstarts[small], pairs[small]) + each // width
    second = np.repeat(rstarts[small], pairs[small]) + each % width
    return (
        lpos[first],
        rpos[second],
        lpos[_ranges(lstarts[big], llens[big])],
        rpos[_ranges(rstarts[big], rlens[big])],
    )


# Records (their indices, None for all, in order) and the list-valued key parts they take
_Segment = tuple[np.ndarray | None, dict[str, _Column]]


class _Keys:
    """One side's block-key parts (`_Records.keys`) as NumPy columns, one row per record,
    with the list-valued parts exploded on demand (`_ph`: each phone of a record; `_fkey`:
    its first name and each other nickname group the name is in).

    A hash collision can only add a candidate pair, which scoring then rejects: it never
    makes a match.
    """

    def __init__(
        self,
        pos: np.ndarray,
        parts: dict[str, _Column],
        first_name: np.ndarray,
        groups: tuple[np.ndarray, np.ndarray, np.ndarray],
    ) -> None:
        self.pos = pos  # each record's row in the features
        self.parts = parts
        self.first_name = first_name  # each record's row in the first-name table
        # per row of that table: how many other groups, where they start in the groups
        self.groups = groups
        self._variants: dict[tuple[bool, bool], list[_Segment]] = {}

    @classmethod
    def of(cls, records: _Records) -> _Keys:
        parts = {name: records.keys[name] for name in (*_KEY_PARTS, "_ph1", "_ph2")}
        # each first name's nickname groups other than the name itself (Bob: Robert)
        names = records.values["_i_fn"].select(_hashed(pl.col("_fn")).alias("_fn"))
        other = (
            names.with_row_index("_j")
            .join(_nickname_keys(), on="_fn")
            .filter(pl.col("_fkey") != pl.col("_fn"))
            .sort("_j")
        )
        counts = np.bincount(other["_j"].to_numpy(), minlength=names.height)
        groups = (counts, np.cumsum(counts) - counts, other["_fkey"].to_numpy())
        return cls(np.arange(records.height), parts, records.index["_i_fn"], groups)

    def screened(self, records: _Records) -> _Keys:
        """These keys with the email and phone parts of `records` (`_screen_keys`)."""
        parts = {name: records.keys[name] for name in ("_em", "_ph1", "_ph2")}
        return _Keys(self.pos, self.parts | parts, self.first_name, self.groups)

    def subset(self, positions: np.ndarray) -> _Keys:
        """The records at feature rows `positions`."""
        chosen = np.zeros(int(self.pos.max()) + 1, dtype=bool)
        chosen[positions] = True
        keep = chosen[self.pos]
        parts = {
            name: (values[keep], None if valid is None else valid[keep])
            for name, (values, valid) in self.parts.items()
        }
        return _Keys(self.pos[keep], parts, self.first_name[keep], self.groups)

    def _variant(self, phones: bool, first_names: bool) -> list[_Segment]:
        """The records repeated once per phone and/or first-name group, in segments: the
        records of each (their indices, None for every record once, in order) and the `_ph`
        and/or `_fkey` of each repeat. Every record once is read where it is, not copied: a
        segment of a million rows costs nothing until keyed."""
        if (phones, first_names) in self._variants:
            return self._variants[phones, first_names]
        segments: list[_Segment] = [(None, {})]
        if phones:
            (ph1, valid1), (ph2, valid2) = self.parts["_ph1"], self.parts["_ph2"]
            has1 = np.ones(len(ph1), dtype=bool) if valid1 is None else valid1
            has2 = np.ones(len(ph2), dtype=bool) if valid2 is None else valid2
            first, second = np.flatnonzero(has1), np.flatnonzero(has2 & ~(has1 & (ph1 == ph2)))
            at = np.concatenate([first, second])
            segments = [(at, {"_ph": (np.concatenate([ph1[first], ph2[second]]), None)})]
        if first_names:
            fn, valid = self.parts["_fn"]
            counts, starts, keys = self.groups
            named_segments: list[_Segment] = []
            for rows, extra in segments:
                # the record with its own first name (missing: no key), then once per other
                # nickname group of the name
                own = fn if rows is None else fn[rows]
                own_valid = valid if rows is None or valid is None else valid[rows]
                named_segments.append((rows, extra | {"_fkey": (own, own_valid)}))
                table_rows = self.first_name if rows is None else self.first_name[rows]
                repeats = counts[table_rows]
                if own_valid is not None:
                    repeats[~own_valid] = 0
                named = np.flatnonzero(repeats)  # the ones whose name is in other groups
                repeats, table_rows = repeats[named], table_rows[named]
                again = np.repeat(named, repeats)
                others = keys[np.repeat(starts[table_rows], repeats) + _offsets(repeats)]
                named_segments.append(
                    (
                        again if rows is None else rows[again],
                        {name: (values[again], None) for name, (values, _) in extra.items()}
                        | {"_fkey": (others, None)},
                    )
                )
            segments = named_segments
        self._variants[phones, first_names] = segments
        return segments

    def prepare(self, blocks: Sequence[_Block]) -> None:
        """Build what `keyed` reads for `blocks` (so that threads only read it)."""
        for block in blocks:
            self._variant("_ph" in block.keys, "_fkey" in block.keys)

    def keyed(self, keys: tuple[str, ...]) -> tuple[np.ndarray, np.ndarray]:
        """Feature rows and keys (a mix of the values of `keys`) of the records and their
        repeats (`_ph`, `_fkey`) with none of the values missing."""
        segments = [
            self._parts(rows, extra, keys)
            for rows, extra in self._variant("_ph" in keys, "_fkey" in keys)
        ]
        if len(segments) == 1:
            pos, values, valid = segments[0]
            if valid is None:
                return pos, _combine(values)
            if np.count_nonzero(valid) * 4 < len(valid):
                # few records have every part (an email, a phone): mix only theirs
                at = np.flatnonzero(valid)
                return pos[at], _combine([v[at] for v in values])
            return pos[valid], _combine(values)[valid]
        # the segments mixed into one array (not mixed apart, then copied together)
        sizes = [len(pos) for pos, _, _ in segments]
        key = np.empty(sum(sizes), dtype=np.uint64)
        start = 0
        for (_, values, _), size in zip(segments, sizes, strict=True):
            _combine(values, out=key[start : start + size])
            start += size
        pos = np.concatenate([pos for pos, _, _ in segments])
        if all(valid is None for _, _, valid in segments):
            return pos, key
        valid = np.concatenate(
            [np.ones(len(p), dtype=bool) if v is None else v for p, _, v in segments]
        )
        return pos[valid], key[valid]

    def _parts(
        self, rows: np.ndarray | None, extra: dict[str, _Column], keys: tuple[str, ...]
    ) -> tuple[np.ndarray, list[np.ndarray], np.ndarray | None]:
        """The feature rows of a segment's records, the values of `keys` there, and where
        they all are present (None: everywhere)."""

        def part(name: str) -> _Column:
            if name in extra:
                return extra[name]
            values, valid = self.parts[name]
            if rows is None:
                return values, valid
            return values[rows], None if valid is None else valid[rows]

        parts = [part(k) for k in keys]
        pos = self.pos if rows is None else self.pos[rows]
        masks = [valid for _, valid in parts if valid is not None]
        valid = None
        if masks:
            valid = masks[0] if len(masks) == 1 else np.logical_and.reduce(masks)
        return pos, [values for values, _ in parts], valid


@cache
def _nickname_keys() -> pl.DataFrame:
    """(`_fn`, `_fkey`) as hashes: each name of the nickname table with each of its groups."""
    return groups_frame().select(
        pl.col("name").hash(_SEED).alias("_fn"), pl.col("group").hash(_SEED).alias("_fkey")
    )


def _block_pairs(left: _Keys, right: _Keys | None, block: _Block, cap: int) -> list[_Pairs]:
    """Candidate pairs (left, right positions) of one block rule; `right=None` pairs `left`
    with itself."""
    lpos, lkeys = left.keyed(block.keys)
    if right is None:
        a, b, lbig = _within(lpos, lkeys, cap)
        rbig = lbig
    else:
        rpos, rkeys = right.keyed(block.keys)
        a, b, lbig, rbig = _across(lpos, lkeys, rpos, rkeys, cap)
    out = [(a, b)]
    if len(lbig) and block.refine:
        # only the records of giant blocks go on to the longer keys
        lsub = left.subset(lbig)
        rsub = None if right is None else right.subset(rbig)
        for finer in block.refine:
            out.extend(_block_pairs(lsub, rsub, finer, cap))
    return out


def _candidates(left: _Records, right: _Records | None, cap: int) -> tuple[_Records, pl.DataFrame]:
    """`left` with its email and phone keys screened (`_screen_keys`), and every pair some
    block makes, once: record ids `_l`, `_r`, feature rows `_lp`, `_rp`.

    Within the file (`right` None) `_l` is the earlier record id of the two. The blocks that
    read no email or phone are made while those are screened (regular expressions): both
    cores stay busy.
    """
    lkeys = _Keys.of(left)
    rkeys = None if right is None else _Keys.of(right)
    early = [b for b in _BLOCKS if "_em" not in b.keys and "_ph" not in b.keys]
    late = [b for b in _BLOCKS if b not in early]
    lkeys.prepare(early)
    if rkeys is not None:
        rkeys.prepare(_BLOCKS)

    def codes(lkeys: _Keys, block: _Block) -> np.ndarray:
        """The block's pairs as one number each: left row << 32 | right row (within the
        file, a pair either way round is one pair: the lower row first)."""
        found = _block_pairs(lkeys, rkeys, block, cap)
        a = np.concatenate([p[0] for p in found], dtype=np.uint64, casting="unsafe")
        b = np.concatenate([p[1] for p in found], dtype=np.uint64, casting="unsafe")
        if right is None:
            a, b = np.minimum(a, b), np.maximum(a, b)
            apart = a != b
            a, b = a[apart], b[apart]
        a <<= np.uint64(32)
        a |= b
        return a

    # (the screening runs its two steps on threads of its own, alongside these)
    left, *found = _parallel(
        [partial(_screen_keys, left, right), *(partial(codes, lkeys, b) for b in early)]
    )
    lkeys = lkeys.screened(left)
    lkeys.prepare(late)
    found += _parallel([partial(codes, lkeys, block) for block in late])
    both = _unique(np.concatenate(found))
    lrid = left.rid
    rrid = lrid if right is None else right.rid
    if right is None:
        # the earlier record id first (turned after the duplicates are gone: fewer to look up)
        a, b = both >> np.uint64(32), both & np.uint64(0xFFFFFFFF)
        later = lrid[a] > lrid[b]
        if later.any():
            a, b = np.where(later, b, a), np.where(later, a, b)
            both = np.sort((a << np.uint64(32)) | b)
    lp = (both >> np.uint64(32)).astype(np.uint32)
    rp = (both & np.uint64(0xFFFFFFFF)).astype(np.uint32)
    return left, pl.DataFrame(
        {"_l": lrid[lp], "_r": rrid[rp], "_lp": lp, "_rp": rp},
        schema={"_l": pl.UInt32, "_r": pl.UInt32, "_lp": pl.UInt32, "_rp": pl.UInt32},
    )


# --------------------------------------------------------------------------------------
# Comparison
# --------------------------------------------------------------------------------------


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


def _pair_numbers(ia: np.ndarray, ib: np.ndarray, nb: int) -> tuple[np.ndarray, np.ndarray]:
    """The distinct pairs of (`ia`, `ib`), rows of two tables (the second of `nb` rows):
    for each pair the number of its distinct pair, and one position of each."""
    key = ia.astype(np.uint64) * np.uint64(nb) + ib.astype(np.uint64)
    key *= _MIX  # (one-to-one, and spreads the bits: `_sort` tells keys apart by high bits)
    return _distinct(key)


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

    def same(self, name_a: str, name_b: str) -> np.ndarray:
        """Per pair, whether the left record's own column `name_a` and the right record's
        `name_b` hold one value, present and not screened out (`_screen_keys`).

        The 64-bit keys tell where they may (a value two records share is among the
        screened keys); the strings decide there, so a hash collision never counts.
        """
        (ha, va), (hb, vb) = self.left.keys[name_a], self.right.keys[name_b]
        same = ha[self.a] == hb[self.b]
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
            [a.rename({c: f"{c}_a" for c in columns}), b.rename({c: f"{c}_b" for c in columns})],
            how="horizontal",
        )

    def own(self) -> pl.DataFrame:
        """The own columns (`_OWN`) of both records of each pair (`*_a`, `*_b`), the
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
            return own[number[at]]

        if self.within:
            both = table(self.left, np.concatenate([self.a, self.b]), screen=True)
            a, b = both.head(len(self.a)), both.tail(len(self.b))
        else:
            a = table(self.left, self.a, screen=True)
            b = table(self.right, self.b, screen=False)
        return pl.concat(
            [a.rename({c: f"{c}_a" for c in _OWN}), b.rename({c: f"{c}_b" for c in _OWN})],
            how="horizontal",
        )


def _name_agreement(both: _Both, side: str, *, first: bool) -> pl.DataFrame:
    """How the two records' first (`side` "fn") or last ("ln") names agree: `_{side}l`
    (the level) and `_{side}sim` per pair, worked out once per distinct pair of names;
    both null when either name is missing."""
    inverse, names = both.values(f"_i_{side}", [f"_{side}s", f"_{side}"])
    a, b = f"_{side}s_a", f"_{side}s_b"
    sa, sb = names[f"_{side}_a"], names[f"_{side}_b"]
    names = names.with_columns(
        pl.Series("_jw", _cpdist(sa, sb, JaroWinkler.normalized_similarity), dtype=pl.Float64),
        pl.Series("_d", _cpdist(sa, sb, OSA.distance), dtype=pl.Int64),
        pl.Series("_part", _cpdist(names[a], names[b], fuzz.token_set_ratio) == 100),
    )
    if first:
        names = names.join(
            _nickname_pairs(names), on=["_fn_a", "_fn_b"], how="left", maintain_order="left"
        )
        names = names.with_columns(pl.col("_nick").fill_null(False))
    present = pl.col(a).is_not_null() & pl.col(b).is_not_null()
    names = names.with_columns(
        pl.when(present).then(_name_level(side, first=first)).alias(f"_{side}l")
    )
    names = names.select(
        f"_{side}l",
        pl.when(present)
        .then(
            pl.col(f"_{side}l")
            .replace_strict(_LEVEL_SIM, default=None, return_dtype=pl.Float64)
            .fill_null(pl.col("_jw"))
        )
        .alias(f"_{side}sim"),
    )
    return names[inverse]


def _swapped(both: _Both) -> np.ndarray:
    """Per pair, whether the first and last names are written the other way round on one
    side (common with East Asian names). The hashes of the folded names (the name block
    keys) tell where they may be; the names decide there."""
    (fa, fva), (la, lva) = both.left.keys["_fn"], both.left.keys["_ln"]
    (fb, fvb), (lb, lvb) = both.right.keys["_fn"], both.right.keys["_ln"]
    may = (fa[both.a] == lb[both.b]) & (la[both.a] == fb[both.b])
    for valid, rows in ((fva, both.a), (lva, both.a), (fvb, both.b), (lvb, both.b)):
        if valid is not None:
            may &= valid[rows]
    at = np.flatnonzero(may)
    if len(at):

        def name(records: _Records, side: str, rows: np.ndarray) -> pl.Series:
            index = records.index[f"_i_{side}"][rows]
            return records.values[f"_i_{side}"][f"_{side}"].gather(index)

        fn_a, ln_a = name(both.left, "fn", both.a[at]), name(both.left, "ln", both.a[at])
        fn_b, ln_b = name(both.right, "fn", both.b[at]), name(both.right, "ln", both.b[at])
        swap = (fn_a == ln_b) & (ln_a == fn_b) & (fn_a != ln_a)
        may[at] = swap.fill_null(False).to_numpy()
    return may


def _possible() -> pl.Expr:
    """Pairs some rung of the ladder can accept (`_score`): the others score 0."""
    full_name, half_name, colleague = _name_verdicts()
    return _flag("_e_eq") | ((full_name | (_flag("_p_eq") & half_name)) & ~colleague)


def _same_words(df: pl.DataFrame) -> pl.Series:
    """Per pair, whether the two email local parts hold the same words (in any order:
    "john_smith", "smith.john"); null when either has none, or the emails are the same
    (the ladder does not ask then)."""
    asked = df.select(
        ~pl.col("_e_eq") & pl.col("_em_a").is_not_null() & pl.col("_em_b").is_not_null()
    ).to_series()
    at = asked.arg_true()
    same = pl.Series("_loc_eq", [None] * df.height, dtype=pl.Boolean)
    if at.is_empty():
        return same
    emails = pl.concat([df["_em_a"].gather(at), df["_em_b"].gather(at)])
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


def _compare(pairs: pl.DataFrame, left: _Records, right: _Records | None) -> pl.DataFrame:
    """Per pair, each field's agreement: the columns the rule ladder (`_score`) reads
    (`right=None` pairs the records of `left`).

    The first look (names, emails, phones) reads the NumPy keys and the distinct pairs of
    names; the pairs no rung of the ladder can accept are then dropped, and the records'
    own columns, companies, domains, cities and email words are compared for the rest only.
    """
    both = _Both(
        left,
        left if right is None else right,
        pairs["_lp"].to_numpy().astype(np.intp),
        pairs["_rp"].to_numpy().astype(np.intp),
        within=right is None,
    )
    # (independent steps, on both cores: Polars, NumPy and RapidFuzz let go of the GIL)
    first_names, last_names, first_look = _parallel(
        [
            partial(_name_agreement, both, "fn", first=True),
            partial(_name_agreement, both, "ln", first=False),
            partial(_first_look, both),
        ]
    )
    df = pl.concat(
        [pairs.select("_l", "_r"), first_names, last_names, first_look], how="horizontal"
    )
    kept = np.flatnonzero(df.select(_possible()).to_series().fill_null(False).to_numpy())
    both = both.take(kept)
    own, organizations = _parallel([both.own, partial(_organizations, both)])
    df = pl.concat([df[kept], own, organizations], how="horizontal")
    cities, words = _parallel([partial(_same_cities, df), partial(_same_words, df)])
    has_a = pl.col("_ph1_a").is_not_null() | pl.col("_ph2_a").is_not_null()
    has_b = pl.col("_ph1_b").is_not_null() | pl.col("_ph2_b").is_not_null()
    return pl.concat([df, cities], how="horizontal").select(
        "_l",
        "_r",
        "_fnl",
        "_fnsim",
        "_lnl",
        "_lnsim",
        "_e_eq",
        "_p_eq",
        "_swap",
        (has_a & has_b & ~pl.col("_p_eq")).alias("_p_ne"),
        "_ck_eq",
        "_dom_eq",
        "_droot_eq",
        words,
        "_city_eq",
        (pl.col("_cty_a") == pl.col("_cty_b")).alias("_cty_eq"),
        pl.when("_ck_eq").then(1.0).otherwise(pl.col("_co_r")).alias("_cos"),
    )


def _first_look(both: _Both) -> pl.DataFrame:
    """`_e_eq` (the same email), `_p_eq` (a phone in common) and `_swap` per pair."""
    phones = ("_ph1", "_ph2")
    return pl.DataFrame(
        {
            "_e_eq": both.same("_em", "_em"),
            "_p_eq": np.logical_or.reduce([both.same(a, b) for a in phones for b in phones]),
            # first and last names written the other way round (common with East Asian names)
            "_swap": _swapped(both),
        }
    )


def _organizations(both: _Both) -> pl.DataFrame:
    """`_co_r` (company similarity, null when either is missing), `_ck_eq` (the same company
    key), `_dom_eq` (the same corporate email domain) and `_droot_eq` (the same organization
    name in it) per pair, each worked out once per distinct pair of values."""
    index, co = both.values("_i_co", ["_co", "_ck"])
    ratio = pl.Series(_cpdist(co["_co_a"], co["_co_b"], fuzz.ratio), dtype=pl.Float64) / 100.0
    co = co.select(
        pl.when(pl.col("_co_a").is_not_null() & pl.col("_co_b").is_not_null())
        .then(ratio)
        .alias("_co_r"),
        (pl.col("_ck_a") == pl.col("_ck_b")).fill_null(False).alias("_ck_eq"),
    )
    index_dom, dom = both.values("_i_dom", ["_cdom", "_droot"])
    dom = dom.select(
        (pl.col("_cdom_a") == pl.col("_cdom_b")).fill_null(False).alias("_dom_eq"),
        (pl.col("_droot_a") == pl.col("_droot_b")).fill_null(False).alias("_droot_eq"),
    )
    return pl.concat([co[index], dom[index_dom]], how="horizontal")


def _same_cities(df: pl.DataFrame) -> pl.DataFrame:
    """`_city_eq` per pair: the two cities are one ("Frankfurt" and "Frankfurt am Main":
    all words of one inside the other), folded and compared once per distinct pair; null
    when either is missing."""
    ids, folded = _per_value(pl.concat([df["_city0_a"], df["_city0_b"]]), *_fold_steps("_city"))
    a, b = ids.head(df.height).to_numpy(), ids.tail(df.height).to_numpy()
    index, first = _pair_numbers(a, b, folded.height)
    cities = pl.DataFrame(
        {"a": folded["_city"].gather(a[first]), "b": folded["_city"].gather(b[first])}
    )
    ratio = pl.Series(_cpdist(cities["a"], cities["b"], fuzz.token_set_ratio)) / 100.0
    same = cities.select(
        pl.when(pl.col("a").is_not_null() & pl.col("b").is_not_null())
        .then(ratio >= 1.0)
        .alias("_city_eq")
    )
    return same[index]


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


def _scored_pairs(
    left: _Records, right: _Records | None, settings: MatchSettings, floor: float
) -> pl.DataFrame:
    """Candidate pairs scoring at least `floor`: `_l`, `_r`, `_score`, `_reason`.

    `left` and `right` are `_features`; `right=None` pairs the records of `left`.
    """
    left, pairs = _candidates(left, right, settings.max_block_pairs)
    if pairs.is_empty():
        return pl.DataFrame(
            schema={"_l": pl.UInt32, "_r": pl.UInt32, "_score": pl.Float64, "_reason": pl.String}
        )
    cap = min(_REVIEW_CAP, settings.auto - 0.005)
    compared = _compare(pairs, left, right)
    return _score(compared, cap, floor)


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
    feats = _features(leads, pl.col("_idx"))
    pairs = _scored_pairs(feats, None, settings, settings.auto)
    # each later row's best earlier match: the highest score, then the earliest row
    best = pairs.sort(["_r", "_score", "_l"], descending=[False, True, False]).unique(
        "_r", keep="first", maintain_order=True
    )
    later = best["_r"].to_numpy()
    earlier = best["_l"].to_numpy()
    # a row repeating a repeat points at the kept original: follow the chain (the earlier
    # row of a pair has the smaller `_idx`, so every chain ends at a row that repeats none)
    size = int(later.max()) + 1 if len(later) else 0
    kept = np.arange(size, dtype=np.int64)
    kept[later] = earlier
    while True:
        step = kept[kept]
        if np.array_equal(step, kept):
            break
        kept = step
    return pl.DataFrame(
        {"_idx": later, "_duplicate_of": kept[later], "_match_reason": best["_reason"]},
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
    left = _features(leads, pl.col("_idx"))
    right = _features(crm, row, read_often=False)
    scored = _scored_pairs(left, right, settings, settings.review)
    if scored.is_empty():
        return pl.DataFrame(schema=schema)
    ranked = (
        scored.join(records, on="_r")
        .drop_nulls("_crm_id")
        .sort(
            ["_l", "_score", "_crm_id", "_reason", "_owner"],
            descending=[False, True, False, False, False],
            nulls_last=True,
        )
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
