"""Accounts: which company record in the CRM a lead belongs to (SPEC "Sales handoff").

An account export (`-a`, repeatable) in Salesforce, HubSpot or generic column names is
read by leadkit's reader (report footers and title rows are fine), its names and websites
standardized by the same normalizers as the leads. A lead is matched, in order:

1. by **domain**: its corporate email domain (free-mail and disposable domains never) or
   its website host, rolled up to the registered domain with the Public Suffix List
   (`emea.acme.co.uk` -> `acme.co.uk`), against the accounts' website domains;
2. by **company exact**: the company key matching uses (legal forms, punctuation, `The`,
   `&`/`and` folded away);
3. by **company fuzzy**: the closest account key sharing the first word, at or above a
   threshold (`company 0.93`).

Several accounts on one domain or key are told apart by the lead's country, then by the
number of the account's contacts in the CRM export, then by file order. `_account_match`
says which rule decided.
"""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import suppress
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

import polars as pl
from rapidfuzz import fuzz, process

from leadkit.errors import InputError
from leadkit.normalizers.company import standardize_company
from leadkit.normalizers.country import standardize_country
from leadkit.normalizers.website import standardize_website
from leadkit.read import header_key, read_table

# Account export columns by layout: Salesforce, HubSpot, generic, and report labels.
_NAMES: dict[str, tuple[str, ...]] = {
    "id": ("Id", "Record ID", "id", "Account ID", "Company ID", "Account Id"),
    "name": ("Name", "Company name", "name", "Account Name", "Company"),
    "domain": ("Website", "Company Domain Name", "domain", "Website URL", "Domain"),
    "country": ("BillingCountry", "Country/Region", "country", "Billing Country", "Country"),
    "owner": ("OwnerId", "Company owner", "owner", "Account Owner", "Owner", "Owner ID"),
    "type": ("Type", "type", "Account Type", "Company Type"),
}
FUZZY_THRESHOLD = 0.9
ACCOUNT_COLUMNS = (
    "_account_id",
    "_account_name",
    "_account_match",
    "_account_owner",
    "_account_type",
)


@cache
def _suffix_rules() -> tuple[frozenset[str], frozenset[str], frozenset[str]]:
    """The Public Suffix List as the publicsuffixlist package ships it: plain rules,
    wildcard parents (`*.ck` -> `ck`) and exceptions (`!www.ck` -> `www.ck`), each also in
    its punycode form."""
    from publicsuffixlist import PSLFILE

    sets: dict[str, set[str]] = {"": set(), "*.": set(), "!": set()}
    for line in Path(PSLFILE).read_text(encoding="utf-8").splitlines():
        rule = line.strip().split(" ", 1)[0].lower()
        if not rule or rule.startswith("//"):
            continue
        kind = "!" if rule.startswith("!") else "*." if rule.startswith("*.") else ""
        name = rule[len(kind) :]
        sets[kind].add(name)
        with suppress(UnicodeError):
            sets[kind].add(name.encode("idna").decode("ascii"))
    return frozenset(sets[""]), frozenset(sets["*."]), frozenset(sets["!"])


def registered_domain(host: str) -> str | None:
    """The domain a host is registered under (`emea.acme.co.uk` -> `acme.co.uk`), by the
    Public Suffix List's rules: the longest matching rule names the public suffix, an
    exception beats a wildcard, an unknown top-level domain is public. None for a public
    suffix itself. Set lookups only: a file has tens of thousands of distinct hosts."""
    normal, wild, exceptions = _suffix_rules()
    labels = host.lower().strip(".").split(".")
    n = len(labels)
    public = 1
    for k in range(n, 0, -1):
        candidate = ".".join(labels[n - k :])
        if candidate in exceptions:
            public = k - 1
            break
        if candidate in normal or (k > 1 and ".".join(labels[n - k + 1 :]) in wild):
            public = k
            break
    return ".".join(labels[n - public - 1 :]) if n > public else None


_MAX_LABELS = 7  # the longest rule of the list has fewer labels


def registered_domains(hosts: pl.Series) -> pl.Series:
    """`registered_domain` of each host (null stays null), once per distinct host, as
    membership tests over whole columns: the longest rule that holds names the public
    suffix (an exception one label less), the registered domain is one label more."""
    normal, wild, exceptions = (pl.Series(list(s), dtype=pl.String) for s in _suffix_rules())
    uniq = hosts.drop_nulls().unique().str.to_lowercase().str.strip_chars(".").unique()
    labels = pl.col("h").str.split(".")
    count = labels.list.len()
    public: pl.Expr = pl.lit(1)
    for k in range(1, _MAX_LABELS + 1):  # longer rules wrap shorter ones: the longest wins
        candidate = labels.list.tail(k).list.join(".")
        listed = candidate.is_in(normal.implode())
        if k > 1:
            listed = listed | labels.list.tail(k - 1).list.join(".").is_in(wild.implode())
        public = (
            pl.when((count >= k) & candidate.is_in(exceptions.implode()))
            .then(pl.lit(k - 1))
            .when((count >= k) & listed)
            .then(pl.lit(k))
            .otherwise(public)
        )
    table = (
        uniq.to_frame("h")
        .with_columns(public.alias("_p"), count.alias("_n"))
        .select(
            "h",
            pl.when(pl.col("_n") > pl.col("_p"))
            .then(labels.list.tail(pl.col("_p") + 1).list.join("."))
            .alias("d"),
        )
    )
    key = hosts.str.to_lowercase().str.strip_chars(".").rename("h").to_frame()
    return key.join(table, on="h", how="left", maintain_order="left")["d"]


@dataclass(frozen=True)
class Accounts:
    """Standardized accounts: `_account_id`, `_account_name`, `domain` (registered),
    `company_key`, `country`, `_account_owner`, `_account_type`, `contacts`, `_order`."""

    frame: pl.DataFrame
    # The account keys by `_block` (first word, number of words), for typo candidates:
    # made once, when the export is read, and kept for every file of a run.
    blocks: dict[tuple[str, int], list[str]] = field(default_factory=dict, repr=False)

    @classmethod
    def read(cls, paths: Sequence[Path]) -> Accounts:
        frames = [_read_one(Path(p)) for p in paths]
        frame = pl.concat(frames, how="diagonal_relaxed") if frames else _empty()
        return cls(frame.with_row_index("_order"), _blocks_of(frame))

    def with_contacts(self, crm: pl.DataFrame | None) -> Accounts:
        """Each account's number of contacts in the CRM export (`_account_contacts`),
        counted by the same rules a lead is matched by (domain, else company key)."""
        if crm is None or crm.is_empty():
            return Accounts(
                self.frame.with_columns(pl.lit(0, dtype=pl.UInt32).alias("contacts")), self.blocks
            )
        uncounted = Accounts(self.frame.with_columns(pl.lit(0).alias("contacts")), self.blocks)
        owned = match_accounts(crm, uncounted)
        counts = owned.group_by("_account_id").len("contacts").drop_nulls("_account_id")
        frame = self.frame.drop("contacts", strict=False).join(
            counts, on="_account_id", how="left", maintain_order="left"
        )
        return Accounts(frame.with_columns(pl.col("contacts").fill_null(0)), self.blocks)


def _blocks_of(frame: pl.DataFrame) -> dict[tuple[str, int], list[str]]:
    """The distinct account keys grouped by `_block`, over the column."""
    words = pl.col("company_key").str.split(" ")
    grouped = (
        frame.select(pl.col("company_key").drop_nulls().unique())
        .with_columns(words.list.first().alias("_f"), words.list.len().alias("_n"))
        .group_by("_f", "_n")
        .agg("company_key")
    )
    return {(f, int(n)): keys for f, n, keys in grouped.iter_rows()}


def _empty() -> pl.DataFrame:
    return pl.DataFrame(
        schema=dict.fromkeys(
            (
                "_account_id",
                "_account_name",
                "domain",
                "company_key",
                "country",
                "_account_owner",
                "_account_type",
            ),
            pl.String,
        )
    )


def _read_one(path: Path) -> pl.DataFrame:
    expected = [list(_NAMES["id"]), list(_NAMES["name"])]
    table = read_table(path, expected_headers=expected)
    keys = {header_key(c): c for c in table.frame.columns if not c.startswith("_")}
    found = {
        field: next((keys[header_key(n)] for n in names if header_key(n) in keys), None)
        for field, names in _NAMES.items()
    }
    if found["id"] is None or found["name"] is None:
        raise InputError(f"{path.name}: an account export needs an id and a name column")
    raw = table.frame

    def col(field: str) -> pl.Series:
        name = found[field]
        return raw[name] if name else pl.Series([None] * raw.height, dtype=pl.String)

    company = standardize_company(col("name"))
    website = standardize_website(col("domain"))["website"]
    return pl.DataFrame(
        {
            "_account_id": col("id").str.strip_chars(),
            "_account_name": company["company"],
            "domain": registered_domains(website),
            "company_key": company["company_key"],
            "country": standardize_country(col("country"))["country"],
            "_account_owner": col("owner").str.strip_chars(),
            "_account_type": col("type").str.strip_chars(),
        }
    ).filter(pl.col("_account_id").is_not_null() & (pl.col("_account_id") != ""))


def match_accounts(leads: pl.DataFrame, accounts: Accounts) -> pl.DataFrame:
    """For each row of `leads`: `_account_id`, `_account_name`, `_account_match`,
    `_account_owner`, `_account_type`, `_account_contacts` (null when no account)."""
    rows = leads.with_row_index("_i").select("_i", *_lead_keys(leads))
    acc = accounts.frame
    by_domain = _best(
        rows.drop_nulls("domain").join(acc.drop_nulls("domain"), on="domain"), "domain"
    )
    left = rows.join(by_domain.select("_i"), on="_i", how="anti")
    by_key = _best(
        left.drop_nulls("company_key").join(acc.drop_nulls("company_key"), on="company_key"),
        "company exact",
    )
    left = left.join(by_key.select("_i"), on="_i", how="anti")
    by_fuzzy = _fuzzy(left, accounts)
    found = pl.concat([by_domain, by_key, by_fuzzy], how="diagonal_relaxed")
    out = rows.select("_i").join(found, on="_i", how="left", maintain_order="left")
    wanted = {**dict.fromkeys(ACCOUNT_COLUMNS, pl.String), "contacts": pl.UInt32}
    return out.select(
        (pl.col(c) if c in out.columns else pl.lit(None)).cast(t).alias(c)
        for c, t in wanted.items()
    ).rename({"contacts": "_account_contacts"})


def _lead_keys(leads: pl.DataFrame) -> list[pl.Series]:
    """Each lead's registered domain (its corporate email domain, else its website's),
    company key and country."""
    cols = set(leads.columns)

    def column(name: str) -> pl.Series:
        if name in cols:
            return leads[name]
        return pl.Series(name, [None] * leads.height, dtype=pl.String)

    if {"email_domain", "email_free", "email_disposable"} <= cols:
        free = pl.col("email_free").fill_null(False) | pl.col("email_disposable").fill_null(False)
        corporate = leads.select(pl.when(~free).then(pl.col("email_domain"))).to_series()
    else:
        corporate = column("email_domain").clear(leads.height)
    host = pl.select(pl.coalesce(corporate, column("website"))).to_series()
    return [
        registered_domains(host).alias("domain"),
        column("company_key").alias("company_key"),
        column("country").alias("lead_country"),
    ]


def _best(pairs: pl.DataFrame, how: str) -> pl.DataFrame:
    """One account per lead: the country's, then the one with most contacts, then the first.
    Most leads have one candidate; only the others are sorted."""
    if pairs.is_empty():
        return pairs.with_columns(pl.lit(how).alias("_account_match"))
    counted = pairs.with_columns(pl.len().over("_i").alias("_n"))
    same_country = (pl.col("country") == pl.col("lead_country")).fill_null(False)
    several = (
        counted.filter(pl.col("_n") > 1)
        .with_columns(same_country.alias("_same"))
        .sort(["_i", "_same", "contacts", "_order"], descending=[False, True, True, False])
        .unique("_i", keep="first", maintain_order=True)
        .drop("_same")
    )
    one = counted.filter(pl.col("_n") == 1)
    return pl.concat([one, several]).drop("_n").with_columns(pl.lit(how).alias("_account_match"))


def _same_place(pairs: pl.DataFrame) -> pl.DataFrame:
    """A name alone is weak evidence: a company of the same name in another country is
    another company (`Frontier Field Group PLC` in GB is not the Indian `Pvt. Ltd.`).
    Pairs whose countries are both known and differ are dropped."""
    return pairs.filter(
        pl.col("country").is_null()
        | pl.col("lead_country").is_null()
        | (pl.col("country") == pl.col("lead_country"))
    )


def _close_names(a: str, b: str) -> bool:
    """Typos, not other words: the same number of words, each the same or, for words of
    five letters or more, at least 85% alike (`technolgies` ~ `technologies`, never
    `tower` ~ `water`)."""
    wa, wb = a.split(), b.split()
    if len(wa) != len(wb):
        return False
    return all(
        x == y or (min(len(x), len(y)) >= 5 and fuzz.ratio(x, y) >= 85)
        for x, y in zip(wa, wb, strict=True)
    )


def _block(key: str) -> tuple[str, int]:
    """Keys that can be typos of each other: the same first word and number of words
    (`_close_names` compares word for word). Company keys are words joined by one space."""
    words = key.split(" ")
    return words[0], len(words)


def _fuzzy(left: pl.DataFrame, accounts: Accounts) -> pl.DataFrame:
    """The closest account key in the lead key's block, at or above the threshold; once per
    distinct lead key."""
    acc = accounts.frame
    keys = left.drop_nulls("company_key")["company_key"].unique().to_list()
    if not keys or acc.is_empty():
        return left.clear().select("_i")
    blocks = accounts.blocks
    best: dict[str, tuple[str, float]] = {}
    for k in keys:
        choices = blocks.get(_block(k))
        if choices:
            hits = process.extract(
                k, choices, scorer=fuzz.ratio, score_cutoff=FUZZY_THRESHOLD * 100, limit=5
            )
            hit = next((h for h in hits if _close_names(k, h[0])), None)
            if hit:
                best[k] = (hit[0], hit[1] / 100)
    if not best:
        return left.clear().select("_i")
    table = pl.DataFrame(
        {
            "company_key": list(best),
            "_to": [v[0] for v in best.values()],
            "_score": [v[1] for v in best.values()],
        }
    )
    pairs = _same_place(
        left.join(table, on="company_key").join(acc.rename({"company_key": "_to"}), on="_to")
    )
    chosen = _best(pairs, "company")
    return chosen.with_columns(
        (pl.lit("company ") + pl.col("_score").round(2).cast(pl.String)).alias("_account_match")
    )
