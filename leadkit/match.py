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
distinct pair of values, and what cannot change a score is skipped (keys no other record
has, pairs no rung of the ladder can accept). Independent steps run on two threads.

`MatchSettings.auto` and `.review` turn scores into outcomes. The same scoring serves
`find_duplicates` (pairs within the file) and `match_existing` (leads x CRM records). Results
never depend on the CRM export's row order: every choice between records is made by score,
then by record id.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from functools import cache, partial
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
# 64-bit keys: blocking keys and distinct values are hashes, grouped by sorting them
# --------------------------------------------------------------------------------------

_SEED: Final = 0x1EAD
_MIX: Final = np.uint64(0x9E3779B97F4A7C15)


def _combine(parts: list[np.ndarray]) -> np.ndarray:
    """One 64-bit key from the hashes of a block's key parts (an order-sensitive mix)."""
    key = parts[0].copy()
    for part in parts[1:]:
        key ^= key >> np.uint64(29)
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


def _runs(keys: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The order that sorts `keys` (UInt64), and the start and length of each run of equal
    keys in that order.

    The keys are sorted with each one's position in its low bits, several times faster
    than an argsort; keys that differ only in those bits (rare) are then sorted in full.
    """
    n = len(keys)
    if n == 0:
        empty = np.zeros(0, dtype=np.intp)
        return empty, empty, empty
    low = np.uint64((1 << (n - 1).bit_length()) - 1)
    packed = keys & ~low
    packed |= np.arange(n, dtype=np.uint64)
    packed.sort()
    order = (packed & low).view(np.int64)
    ks = keys[order]
    change = ks[1:] != ks[:-1]
    packed &= ~low
    high_changes = np.count_nonzero(packed[1:] != packed[:-1])
    if np.count_nonzero(change) != high_changes:
        # keys alike in all but the low bits: sort each run of equal high bits in full
        bounds = np.flatnonzero(packed[1:] != packed[:-1]) + 1
        run_starts, run_ends = np.concatenate(([0], bounds)), np.append(bounds, n)
        inside = np.flatnonzero(change) + 1
        inside = inside[~np.isin(inside, bounds)]
        for run in sorted(set((np.searchsorted(run_starts, inside, side="right") - 1).tolist())):
            segment = order[run_starts[run] : run_ends[run]]
            order[run_starts[run] : run_ends[run]] = segment[np.argsort(keys[segment])]
        ks = keys[order]
        change = ks[1:] != ks[:-1]
    starts = np.concatenate(([0], np.flatnonzero(change) + 1))
    return order, starts, np.diff(starts, append=n)


def _distinct(keys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """For each key, the number of its distinct value; and one position of each value."""
    order, starts, lengths = _runs(keys)
    inverse = np.empty(len(keys), dtype=np.intp)
    inverse[order] = np.repeat(np.arange(len(starts)), lengths)
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
        pl.col(source).str.slice(0, pl.col(source).str.find("@", literal=True)).alias(out),
        w.str.replace(r"\+.*$", "").alias(out),
        w.str.replace_all(r"[^a-z]+", " ").str.strip_chars(" ").alias(out),
        pl.when(w.str.len_bytes() > 0).then(w).alias(out),
    ]


def _without_extension(expr: pl.Expr) -> pl.Expr:
    """"+14155550123 x204" -> "+14155550123" (the contract's E.164 plus an extension)."""
    return expr.str.slice(0, expr.str.find(" ", literal=True))


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
_COMPARED: Final = (
    *_OWN, "_fns", "_fn", "_lns", "_ln", "_cdom", "_droot", "_co", "_ck",
)


@dataclass(frozen=True)
class _Records:
    """One side's records as blocking and comparison see them (`_features`)."""

    rows: pl.DataFrame
    """One row per record, in order: `_rid` (UInt32), the record's own compared columns
    (`_OWN`), the block-key parts `_k_*` (64-bit hashes, see `_Keys`) and the `_i_*` rows
    of the record's values in `values`."""
    values: dict[str, pl.DataFrame]
    """Per `_i_*` column, the columns worked out once per distinct value (`_per_value`)."""

    def compared(self, at: pl.Series) -> pl.DataFrame:
        """The compared columns (`_COMPARED`) of the records at rows `at`."""
        rows = self.rows.select(*_OWN, *self.values)[at]
        parts = [rows.select(_OWN)]
        parts += [table[rows[index]] for index, table in self.values.items()]
        return pl.concat(parts, how="horizontal").select(_COMPARED)


def _features(frame: pl.DataFrame, rid: pl.Expr) -> _Records:
    """What blocking and comparison use of each record of `frame`, in the frame's order.

    `rid` gives the record's id. Names, companies and domains are worked out once per
    distinct value (`_per_value`) and stay in tables: a million records are never given
    a million copies of their strings. Placeholder emails and phones are still in: the
    leads' are screened out of the keys (`_screen_keys`) and out of the pairs that reach
    comparison (`_screened`); the CRM side need not be (a million rows): a CRM placeholder
    can only pair with a lead's, which is gone.
    """
    rids = frame.select(rid.cast(pl.UInt32).alias("_rid"))
    frame = _ensure_columns(frame)

    def names(column: str, prefix: str) -> tuple[str, pl.Series, pl.DataFrame]:
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
        return f"_i{joined}", inverse, table

    def domains() -> tuple[str, pl.Series, pl.DataFrame]:
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
        return "_i_dom", inverse, table

    def companies() -> tuple[str, pl.Series, pl.DataFrame]:
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
        return "_i_co", inverse, table

    def own() -> pl.DataFrame:
        em, ph1, ph2 = pl.col("_em"), pl.col("_ph1"), pl.col("_ph2")
        return frame.select(
            pl.col("email").alias("_em"),
            _without_extension(pl.col("phone")).alias("_ph1"),
            _without_extension(pl.col("mobile_phone")).alias("_ph2"),
            pl.col("country").alias("_cty"),
            pl.col("city").alias("_city0"),
        ).with_columns(
            _hashed(em).alias("_k_em"),
            _hashed(ph1).alias("_k_ph1"),
            _hashed(ph2).alias("_k_ph2"),
            _hashed(pl.col("_cty")).alias("_k_cty"),
        )

    own_columns, *lookups = _parallel(
        [
            own,
            partial(names, "first_name", "fn"),
            partial(names, "last_name", "ln"),
            domains,
            companies,
        ]
    )
    values: dict[str, pl.DataFrame] = {}
    columns: list[pl.Series] = []
    for index, inverse, table in lookups:
        values[index] = table.select(pl.exclude("^_k_.*$", "_raw"))
        columns += [table[k].gather(inverse) for k in table.columns if k.startswith("_k_")]
        columns.append(inverse.alias(index))
    return _Records(pl.concat([rids, own_columns, pl.DataFrame(columns)], how="horizontal"), values)


def _screened(feats: pl.DataFrame) -> pl.DataFrame:
    """`feats` with placeholder emails and phones as nulls (what comparison reads)."""
    return feats.with_columns(
        pl.when(test(feats[name])).then(None).otherwise(pl.col(name)).alias(name)
        for name, test in (
            ("_em", _placeholder_emails),
            ("_ph1", _placeholder_phones),
            ("_ph2", _placeholder_phones),
        )
    )


def _screen_keys(records: _Records, other: _Records | None) -> _Records:
    """The leads' email and phone key parts that can make a pair: placeholders dropped, and
    the keys no other record has.

    A key can only make a pair when another record has it: within the file (`other` None)
    a key held once never does, against the CRM (`other`) a key the export lacks never does
    (ruled out by hash buckets, so a few stay). Those are dropped, which spares blocking
    the work; the rest are screened for placeholders, which costs regular expressions per
    value. The pairs are the ones screening every record would give.
    """
    rows = records.rows

    def screen(names: tuple[str, ...], test: Callable[[pl.Series], pl.Series]) -> list[pl.Series]:
        keys = [rows[f"_k{n}"] for n in names]
        present = [k.is_not_null().arg_true() for k in keys]
        mine = [k.gather(at).to_numpy() for k, at in zip(keys, present, strict=True)]
        if other is None:
            order, starts, lengths = _runs(np.concatenate(mine))
            shared = np.empty(len(order), dtype=bool)
            shared[order] = np.repeat(lengths > 1, lengths)
            split = np.split(shared, np.cumsum([len(m) for m in mine])[:-1])
        else:
            theirs = [other.rows[f"_k{n}"].drop_nulls().to_numpy() for n in names]
            mask = _bucket_mask(max(sum(len(k) for k in mine), sum(len(k) for k in theirs)))
            seen = _seen(theirs, mask)
            split = [seen[_buckets(m, mask)] for m in mine]
        screened = []
        for name, key, at, chosen in zip(names, keys, present, split, strict=True):
            at = at.filter(pl.Series(chosen))
            keep = np.zeros(rows.height, dtype=bool)
            keep[at.to_numpy()] = True
            keep[at.filter(test(rows[name].gather(at))).to_numpy()] = False
            screened.append(pl.select(pl.when(pl.Series(keep)).then(key)).to_series())
        return [s.alias(k.name) for s, k in zip(screened, keys, strict=True)]

    emails, phones = _parallel(
        [
            partial(screen, ("_em",), _placeholder_emails),
            partial(screen, ("_ph1", "_ph2"), _placeholder_phones),
        ]
    )
    return _Records(rows.with_columns(*emails, *phones), records.values)


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
    order, starts, lengths = _runs(keys)
    pos = pos[order]
    pairs = lengths * (lengths - 1) // 2
    small = (pairs > 0) & (pairs <= cap)
    big = pairs > cap
    s, n = starts[small], lengths[small]
    member = _ranges(s, n)
    after = np.repeat(s + n, n) - member - 1  # the members that follow each member
    first = np.repeat(member, after)
    second = first + 1 + _offsets(after)
    return pos[first], pos[second], pos[_ranges(starts[big], lengths[big])]


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
    order, starts, lengths = _runs(
        np.concatenate([lkeys[lorder[lstarts]], rkeys[rorder[rstarts]]])
    )
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


_Column = tuple[np.ndarray, np.ndarray | None]  # values (0 where missing), where present


class _Keys:
    """One side's block-key parts (the `_k_*` hashes of `_features`) as NumPy columns, one
    row per record, with the list-valued parts exploded on demand (`_ph`: each phone of a
    record; `_fkey`: its first name and each other nickname group the name is in).

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
        self._variants: dict[tuple[bool, bool], tuple[np.ndarray | None, dict[str, _Column]]] = {}
        self._columns: dict[tuple[bool, bool, str], _Column] = {}

    @classmethod
    def of(cls, records: _Records) -> _Keys:
        parts: dict[str, _Column] = {}
        for name in (*_KEY_PARTS, "_ph1", "_ph2"):
            col = records.rows[f"_k{name}"]
            valid = col.is_not_null().to_numpy() if col.null_count() else None
            parts[name] = (col.fill_null(0).to_numpy(), valid)
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
        first_name = records.rows["_i_fn"].to_numpy()
        return cls(np.arange(records.rows.height), parts, first_name, groups)

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

    def _variant(
        self, phones: bool, first_names: bool
    ) -> tuple[np.ndarray | None, dict[str, _Column]]:
        """The records repeated once per phone and/or first-name group (their indices, None
        when each record once) and the `_ph` and/or `_fkey` of each repeat."""
        if (phones, first_names) in self._variants:
            return self._variants[phones, first_names]
        at: np.ndarray | None = None
        extra: dict[str, _Column] = {}
        if phones:
            (ph1, valid1), (ph2, valid2) = self.parts["_ph1"], self.parts["_ph2"]
            has1 = np.ones(len(ph1), dtype=bool) if valid1 is None else valid1
            has2 = np.ones(len(ph2), dtype=bool) if valid2 is None else valid2
            first, second = np.flatnonzero(has1), np.flatnonzero(has2 & ~(has1 & (ph1 == ph2)))
            at = np.concatenate([first, second])
            extra["_ph"] = (np.concatenate([ph1[first], ph2[second]]), None)
        if first_names:
            rows = np.arange(len(self.pos)) if at is None else at
            fn, valid = self.parts["_fn"]
            named = np.flatnonzero(valid[rows]) if valid is not None else np.arange(len(rows))
            counts, starts, keys = self.groups
            table_rows = self.first_name[rows[named]]
            repeats = counts[table_rows]
            again = np.repeat(named, repeats)
            chosen = np.concatenate([named, again])
            at = rows[chosen]
            extra = {name: (values[chosen], None) for name, (values, _) in extra.items()}
            others = keys[np.repeat(starts[table_rows], repeats) + _offsets(repeats)]
            extra["_fkey"] = (np.concatenate([fn[rows[named]], others]), None)
        self._variants[phones, first_names] = (at, extra)
        return at, extra

    def _column(self, phones: bool, first_names: bool, name: str) -> _Column:
        if (phones, first_names, name) not in self._columns:
            at, extra = self._variant(phones, first_names)
            if name in extra:
                column = extra[name]
            elif name == "_pos":
                column = (self.pos if at is None else self.pos[at], None)
            else:
                values, valid = self.parts[name]
                if at is not None:
                    values, valid = values[at], None if valid is None else valid[at]
                column = (values, valid)
            self._columns[phones, first_names, name] = column
        return self._columns[phones, first_names, name]

    def prepare(self, blocks: Sequence[_Block]) -> None:
        """Build what `keyed` reads for `blocks` (so that threads only read it)."""
        for block in blocks:
            variant = ("_ph" in block.keys, "_fkey" in block.keys)
            for name in (*block.keys, "_pos"):
                self._column(*variant, name)

    def keyed(self, keys: tuple[str, ...]) -> tuple[np.ndarray, np.ndarray]:
        """Feature rows and keys (a mix of the values of `keys`) of the records and their
        repeats (`_ph`, `_fkey`) with none of the values missing."""
        variant = ("_ph" in keys, "_fkey" in keys)
        parts = [self._column(*variant, k) for k in keys]
        pos, key = self._column(*variant, "_pos")[0], _combine([values for values, _ in parts])
        masks = [valid for _, valid in parts if valid is not None]
        if not masks:
            return pos, key
        valid = masks[0] if len(masks) == 1 else np.logical_and.reduce(masks)
        return pos[valid], key[valid]


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


def _candidates(left: _Records, right: _Records | None, cap: int) -> pl.DataFrame:
    """Every pair some block makes, once: record ids `_l`, `_r`, feature rows `_lp`, `_rp`.

    Within the file (`right` None) `_l` is the earlier record id of the two.
    """
    lkeys = _Keys.of(left)
    rkeys = None if right is None else _Keys.of(right)
    for keys in (lkeys, rkeys):
        if keys is not None:
            keys.prepare(_BLOCKS)
    found = _parallel([partial(_block_pairs, lkeys, rkeys, block, cap) for block in _BLOCKS])
    parts = [p for block_parts in found for p in block_parts]
    a = np.concatenate([p[0] for p in parts]).astype(np.uint64)
    b = np.concatenate([p[1] for p in parts]).astype(np.uint64)
    lrid = left.rows["_rid"].to_numpy()
    rrid = lrid if right is None else right.rows["_rid"].to_numpy()
    if right is None:
        later = lrid[a] > lrid[b]
        a, b = np.where(later, b, a), np.where(later, a, b)
        a, b = a[a != b], b[a != b]
    both = _unique((a << np.uint64(32)) | b)
    lp = (both >> np.uint64(32)).astype(np.uint32)
    rp = (both & np.uint64(0xFFFFFFFF)).astype(np.uint32)
    return pl.DataFrame(
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


def _per_pair(df: pl.DataFrame, a: str, b: str) -> tuple[pl.Series, pl.DataFrame]:
    """The distinct pairs of values of columns `a` and `b` in `df` (both present), and per
    row of `df` the row of its pair among them (null when a value is missing). Pairs are
    told apart by a 64-bit hash, as in `_per_value`."""
    at = df.select(pl.col(a).is_not_null() & pl.col(b).is_not_null()).to_series().arg_true()
    key = _combine([df[c].gather(at).hash(_SEED).to_numpy() for c in (a, b)])
    inverse, first = _distinct(key)
    index = pl.Series(np.full(df.height, -1, dtype=np.int64)).scatter(at, inverse)
    index = pl.select(pl.when(index >= 0).then(index)).to_series()
    return index, df.select(a, b)[at.gather(first)]


def _name_agreement(pairs: pl.DataFrame, side: str, *, first: bool) -> pl.DataFrame:
    """Add `_{side}l` (level) and `_{side}sim` per pair, computed once per distinct pair of
    names; both null when either name is missing."""
    a, b = f"_{side}s_a", f"_{side}s_b"
    index, names = _per_pair(pairs, a, b)
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
        names = names.join(
            _nickname_pairs(names), on=["_fn_a", "_fn_b"], how="left", maintain_order="left"
        )
        names = names.with_columns(pl.col("_nick").fill_null(False))
    names = names.with_columns(_name_level(side, first=first).alias(f"_{side}l"))
    names = names.with_columns(
        pl.col(f"_{side}l")
        .replace_strict(_LEVEL_SIM, default=None, return_dtype=pl.Float64)
        .fill_null(pl.col("_jw"))
        .alias(f"_{side}sim")
    )
    return pairs.with_columns(names[f"_{side}l"].gather(index), names[f"_{side}sim"].gather(index))


def _value_pairs(pairs: pl.DataFrame, a: str, b: str, name: str, scorer: object) -> pl.DataFrame:
    """Add `name`: `scorer` of columns `a` and `b`, computed once per distinct pair of values
    (null when either is missing)."""
    index, values = _per_pair(pairs, a, b)
    score = pl.Series(name, _cpdist(values[a], values[b], scorer), dtype=pl.Float64) / 100.0
    return pairs.with_columns(score.gather(index))


# What the first look at a pair reads: names, emails, phones. The rest is gathered only for
# the pairs some rung of the ladder can accept.
_FIRST_LOOK: Final = ("_em", "_ph1", "_ph2", "_fns", "_fn", "_lns", "_ln")


class _Sides:
    """The compared columns of both records of each candidate pair: `*_a` of the left one,
    `*_b` of the right one, the leads' screened (`_screened`). Each record's columns are
    gathered and screened once, however many pairs it is in."""

    def __init__(self, pairs: pl.DataFrame, left: _Records, right: _Records | None) -> None:
        lp, rp = pairs["_lp"].to_numpy(), pairs["_rp"].to_numpy()
        if right is None:
            both, index = self._table(left, np.concatenate([lp, rp]), screen=True)
            self.a, self.a_index = both, index.head(len(lp))
            self.b, self.b_index = both, index.tail(len(rp))
        else:
            self.a, self.a_index = self._table(left, lp, screen=True)
            self.b, self.b_index = self._table(right, rp, screen=False)

    @staticmethod
    def _table(
        records: _Records, at: np.ndarray, *, screen: bool
    ) -> tuple[pl.DataFrame, pl.Series]:
        inverse, first = _distinct(at.astype(np.uint64))
        compared = records.compared(pl.Series(at[first]))
        return (_screened(compared) if screen else compared), pl.Series(inverse)

    def columns(self, names: Sequence[str], pairs: pl.Series | None = None) -> pl.DataFrame:
        """Columns `names` of both records of every pair, or of the pairs numbered `pairs`."""
        a = self.a_index if pairs is None else self.a_index.gather(pairs)
        b = self.b_index if pairs is None else self.b_index.gather(pairs)
        return pl.concat(
            [
                self.a.select(names)[a].rename({c: f"{c}_a" for c in names}),
                self.b.select(names)[b].rename({c: f"{c}_b" for c in names}),
            ],
            how="horizontal",
        )


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
    """Per pair, each field's agreement (columns `*_a` from `left`, `*_b` from `right`;
    `right=None` pairs the records of `left`).

    Pairs no rung of the ladder can accept are dropped once the names, emails and phones
    are compared: the company, city and email words are compared for the rest only.
    """
    sides = _Sides(pairs, left, right)
    df = pl.concat(
        [pairs.select("_l", "_r"), sides.columns(_FIRST_LOOK)], how="horizontal"
    ).with_row_index("_pair")
    df = _name_agreement(df, "fn", first=True)
    df = _name_agreement(df, "ln", first=False)
    phones_a = [pl.col("_ph1_a"), pl.col("_ph2_a")]
    phones_b = [pl.col("_ph1_b"), pl.col("_ph2_b")]
    shared_phone = pl.any_horizontal(
        [(a == b).fill_null(False) for a in phones_a for b in phones_b]
    )
    has_phones = pl.any_horizontal([p.is_not_null() for p in phones_a]) & pl.any_horizontal(
        [p.is_not_null() for p in phones_b]
    )
    df = df.with_columns(
        (pl.col("_em_a") == pl.col("_em_b")).fill_null(False).alias("_e_eq"),
        shared_phone.alias("_p_eq"),
        (has_phones & ~shared_phone).alias("_p_ne"),
        # first and last names written the other way round (common with East Asian names)
        (
            (pl.col("_fn_a") == pl.col("_ln_b"))
            & (pl.col("_ln_a") == pl.col("_fn_b"))
            & (pl.col("_fn_a") != pl.col("_ln_a"))
        )
        .fill_null(False)
        .alias("_swap"),
    )
    df = df.filter(_possible())
    rest = [c for c in _COMPARED if c not in _FIRST_LOOK]
    df = pl.concat([df, sides.columns(rest, df["_pair"])], how="horizontal")
    df = _value_pairs(df, "_co_a", "_co_b", "_co_r", fuzz.ratio)
    cities = pl.concat([df["_city0_a"], df["_city0_b"]])
    inverse, folded = _per_value(cities, *_fold_steps("_city"))
    city = folded["_city"].gather(inverse)
    df = df.with_columns(
        city.head(df.height).alias("_city_a"), city.tail(df.height).alias("_city_b")
    )
    # "Frankfurt" and "Frankfurt am Main" are one city: all words of one inside the other
    df = _value_pairs(df, "_city_a", "_city_b", "_city_r", fuzz.token_set_ratio)
    ck_eq = (pl.col("_ck_a") == pl.col("_ck_b")).fill_null(False)
    return df.with_columns(
        ck_eq.alias("_ck_eq"),
        (pl.col("_cdom_a") == pl.col("_cdom_b")).fill_null(False).alias("_dom_eq"),
        (pl.col("_droot_a") == pl.col("_droot_b")).fill_null(False).alias("_droot_eq"),
        _same_words(df),
        (pl.col("_city_r") >= 1.0).alias("_city_eq"),
        (pl.col("_cty_a") == pl.col("_cty_b")).alias("_cty_eq"),
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
    df = df.with_columns((name_txt + org_txt + warn).alias("_why"))
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
    left = _screen_keys(left, right)
    pairs = _candidates(left, right, settings.max_block_pairs)
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
    right = _features(crm, row)
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
