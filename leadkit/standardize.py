"""Stage 3: every canonical field through its normalizer.

In: the remapped frame (one String column per canonical field, raw text). Out: for each
field `f`, `f` holds the clean value and `f__code` the reason code of its problem, plus
the derived columns matching needs (`email_domain`, `email_free`, `company_key`, ...).

Country comes first: phone regions, states and postal codes read it. Value maps apply to
the raw text before the normalizer, so a partner's own words ("Subscribed") can be
translated into ones the normalizer knows.
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from functools import partial

import polars as pl

from leadkit.mapping import CANONICAL_FIELDS, Mapping, ValueMap
from leadkit.normalizers.boolean import standardize_bool
from leadkit.normalizers.company import standardize_company
from leadkit.normalizers.country import standardize_country, standardize_state
from leadkit.normalizers.dates import Order, standardize_date
from leadkit.normalizers.email import check_deliverability, standardize_email
from leadkit.normalizers.name import standardize_names
from leadkit.normalizers.phone import phone_types, standardize_phone
from leadkit.normalizers.postal import standardize_postal
from leadkit.normalizers.text import clean_text_expr
from leadkit.normalizers.website import company_domain, standardize_website

# Fields that are plain text: trimmed, whitespace collapsed, control characters removed.
TEXT_FIELDS = ("job_title", "street", "city", "industry", "lead_source", "campaign", "notes")


@dataclass(frozen=True)
class Settings:
    """What standardization needs from the mapping."""

    default_country: str | None = None
    date_order: Order | None = None
    value_maps: dict[str, ValueMap] = field(default_factory=dict)
    derive_website: bool = False
    check_deliverability: bool = False  # DNS: off unless asked (private and deterministic)
    phone_type: bool = False

    @classmethod
    def from_mapping(cls, mapping: Mapping) -> Settings:
        return cls(
            default_country=mapping.default_country,
            date_order=mapping.dates.order,
            value_maps={str(f): vm for f, vm in mapping.values.items()},
            derive_website="website" in mapping.columns or "website" in mapping.constants,
            phone_type=mapping.flag_columns,
        )


def standardize(frame: pl.DataFrame, settings: Settings) -> pl.DataFrame:
    """The clean frame: passthrough columns (`_row`, custom) plus each field and its code."""
    frame, unmapped = _apply_value_maps(frame, settings.value_maps)
    parts: list[pl.DataFrame] = [
        frame.select(c for c in frame.columns if c not in CANONICAL_FIELDS)
    ]
    countries, cols = _country_first(frame, settings)
    parts += countries
    jobs: dict[str, Callable[[], pl.DataFrame]] = {
        job: partial(normalize, cols, job)
        for job, normalize in NORMALIZERS.items()
        if not cols.present.isdisjoint(_READS.get(job, (job,)))
    }
    parts += _run(jobs, frame.height)
    out = pl.concat(parts, how="horizontal")
    if settings.derive_website and "email_domain" in out.columns:
        out = _derive_website(out)
    return _mark_unmapped(out, unmapped) if unmapped else out


@dataclass(frozen=True)
class Columns:
    """What a field's normalizer reads: the frame's columns, and the country of each row
    (understood, or null) and the region its phone numbers are read for."""

    frame: pl.DataFrame
    settings: Settings
    country: pl.Series
    region: pl.Series

    @property
    def present(self) -> frozenset[str]:
        return frozenset(self.frame.columns)

    def col(self, name: str) -> pl.Series:
        """The column, or nulls when the mapping has no such field."""
        if name in self.frame.columns:
            return self.frame[name]
        return pl.Series(name, [None] * self.frame.height, pl.String)

    def optional(self, name: str) -> pl.Series | None:
        return self.frame[name] if name in self.frame.columns else None


def _country_first(frame: pl.DataFrame, settings: Settings) -> tuple[list[pl.DataFrame], Columns]:
    """The country column standardized (if mapped), and what the other fields read of it."""
    parts: list[pl.DataFrame] = []
    country = (
        frame["country"]
        if "country" in frame.columns
        else pl.Series("country", [None] * frame.height, pl.String)
    )
    if "country" in frame.columns:
        countries = standardize_country(country)
        parts.append(countries)
        # a country that is not understood gives no region: the phone falls back to the default
        country = countries.select(
            pl.when(pl.col("country__code").is_null()).then(pl.col("country"))
        ).to_series()
    region = country.fill_null(settings.default_country) if settings.default_country else country
    return parts, Columns(frame, settings, country, region)


# --- the normalizer of each field ----------------------------------------------------------

Normalizer = Callable[[Columns, str], pl.DataFrame]
"""(the columns, the field) -> the field's clean column, its code and any derived columns."""


def _email(cols: Columns, name: str) -> pl.DataFrame:
    return _emails(cols.col(name), cols.settings)


def _names(cols: Columns, name: str) -> pl.DataFrame:
    return standardize_names(
        cols.optional("first_name"), cols.optional("last_name"), cols.optional("full_name")
    )


def _company(cols: Columns, name: str) -> pl.DataFrame:
    return standardize_company(cols.col(name))


def _phone(cols: Columns, name: str) -> pl.DataFrame:
    return _phones(cols.col(name), cols.region, name, cols.settings.phone_type)


def _state(cols: Columns, name: str) -> pl.DataFrame:
    return standardize_state(cols.col(name), cols.country)


def _postal_code(cols: Columns, name: str) -> pl.DataFrame:
    return standardize_postal(cols.col(name), cols.country)


def _website(cols: Columns, name: str) -> pl.DataFrame:
    return standardize_website(cols.col(name))


def _opt_in(cols: Columns, name: str) -> pl.DataFrame:
    return standardize_bool(cols.col(name), name=name)


def _created_at(cols: Columns, name: str) -> pl.DataFrame:
    return standardize_date(cols.col(name), order=cols.settings.date_order, name=name)


def _text(cols: Columns, name: str) -> pl.DataFrame:
    return _clean_text_column(cols.col(name))


NORMALIZERS: dict[str, Normalizer] = {
    "email": _email,
    "name": _names,  # first, last and full name together
    "company": _company,
    "phone": _phone,
    "mobile_phone": _phone,
    "state": _state,
    "postal_code": _postal_code,
    "website": _website,
    "opt_in": _opt_in,
    "created_at": _created_at,
    **dict.fromkeys(TEXT_FIELDS, _text),
}
"""Each field's normalizer (country aside: it comes first, the others read it). The
fields are independent once the country is known; their columns come out in this order."""
_READS: dict[str, tuple[str, ...]] = {"name": ("first_name", "last_name", "full_name")}
"""A normalizer that reads other fields than the one it is listed under."""


def _run(jobs: dict[str, Callable[[], pl.DataFrame]], rows: int) -> list[pl.DataFrame]:
    """Every job's frame, in the jobs' order. Each runs in its own thread on a big file:
    Polars releases the GIL, so one field's column work overlaps another's Python work."""
    if rows < _THREADED_ROWS:
        return [job() for job in jobs.values()]
    # The costliest start first, so that no long job is left to run alone at the end.
    order = sorted(jobs, key=lambda f: _COSTLIEST.index(f) if f in _COSTLIEST else len(_COSTLIEST))
    with ThreadPoolExecutor(max_workers=_THREADS) as pool:
        done = dict(zip(order, pool.map(lambda f: jobs[f](), order), strict=True))
    return [done[f] for f in jobs]


def _mark_unmapped(out: pl.DataFrame, unmapped: list[str]) -> pl.DataFrame:
    """`value_unmapped` for the values a field's value map lacks."""
    return out.with_columns(
        pl.when(pl.col(f"_unmapped:{f}"))
        .then(pl.lit("value_unmapped"))
        .otherwise(pl.col(f"{f}__code") if f"{f}__code" in out.columns else None)
        .alias(f"{f}__code")
        for f in unmapped
    ).drop(f"_unmapped:{f}" for f in unmapped)


# Threads pay off only on big files; three keep both cores busy without thrashing.
_THREADED_ROWS = 50_000
_THREADS = 3
_COSTLIEST = ("phone", "mobile_phone", "email", "company")


def _emails(raw: pl.Series, settings: Settings) -> pl.DataFrame:
    emails = standardize_email(raw)
    return _mark_undeliverable(emails) if settings.check_deliverability else emails


def _phones(raw: pl.Series, region: pl.Series, name: str, with_type: bool) -> pl.DataFrame:
    phones = standardize_phone(raw, region, name=name)
    if with_type:
        valid = phones.select(pl.when(pl.col(f"{name}__code").is_null()).then(pl.col(name)))
        phones = phones.with_columns(phone_types(valid.to_series()).alias(f"{name}_type"))
    return phones


def _clean_text_column(raw: pl.Series) -> pl.DataFrame:
    """Plain text cleaned once per distinct value (a job title column has a few hundred)."""
    name = raw.name
    uniq = raw.drop_nulls().unique().to_frame("_raw")
    lookup = uniq.with_columns(clean_text_expr(pl.col("_raw")).alias(name))
    return (
        raw.rename("_raw")
        .to_frame()
        .join(lookup, on="_raw", how="left", maintain_order="left")
        .select(name)
    )


def _mark_undeliverable(emails: pl.DataFrame) -> pl.DataFrame:
    """`email_undeliverable` on valid addresses whose domain accepts no mail (one DNS
    look-up per domain)."""
    valid = emails.filter(pl.col("email__code").is_null())["email_domain"].drop_nulls()
    dead = check_deliverability(valid.to_list())
    if not dead:
        return emails
    return emails.with_columns(
        pl.when(pl.col("email__code").is_null() & pl.col("email_domain").is_in(sorted(dead)))
        .then(pl.lit("email_undeliverable"))
        .otherwise(pl.col("email__code"))
        .alias("email__code")
    )


def _apply_value_maps(
    frame: pl.DataFrame, maps: dict[str, ValueMap]
) -> tuple[pl.DataFrame, list[str]]:
    """Translate picklist values; mark the ones the map lacks in `_unmapped:<field>`."""
    used = [f for f in maps if f in frame.columns]
    exprs: list[pl.Expr] = []
    for f in used:
        vm = maps[f]
        # Polars' to_lowercase and Python's lower() agree (casefold would turn ß into ss).
        lookup = {k.strip().lower(): v for k, v in vm.map.items()}
        key = pl.col(f).str.strip_chars().str.to_lowercase()
        hit = key.replace_strict(lookup, default=None, return_dtype=pl.String)
        miss = pl.col(f).is_not_null() & hit.is_null()
        kept = pl.lit(None, dtype=pl.String) if vm.unmapped == "blank" else pl.col(f)
        exprs += [pl.when(miss).then(kept).otherwise(hit).alias(f), miss.alias(f"_unmapped:{f}")]
    return (frame.with_columns(exprs) if exprs else frame), used


# A plain ASCII host that is its own website: company_domain() returns it unchanged.
_PLAIN_HOST = r"^(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$"


def _derive_website(out: pl.DataFrame) -> pl.DataFrame:
    """An empty website takes the corporate email's domain: never a free-mail, disposable
    or likely mistyped one (`gmial.com` is nobody's company)."""
    unusable = pl.col("email_free").fill_null(False)
    if "email_disposable" in out.columns:
        unusable = unusable | pl.col("email_disposable").fill_null(False)
    if "email_suggestion" in out.columns:
        unusable = unusable | pl.col("email_suggestion").is_not_null()
    domain = pl.col("email_domain")
    plain = (
        domain.str.contains(_PLAIN_HOST)
        & ~domain.str.starts_with("www")
        & (domain.str.len_bytes() <= 253)
    )
    out = out.with_columns(
        pl.when(unusable).then(None).when(plain).then(domain).alias("_site"),
        (~unusable & ~plain & domain.is_not_null()).alias("_ask"),
    )
    # The rest (Unicode hosts, www. labels, oddities) through the per-value rules.
    rest = out.filter(pl.col("_ask"))["email_domain"].unique()
    if rest.len():
        lookup = pl.DataFrame(
            {"email_domain": rest, "_rest": [company_domain(d, False) for d in rest.to_list()]},
            schema={"email_domain": pl.String, "_rest": pl.String},
        )
        out = (
            out.join(lookup, on="email_domain", how="left", maintain_order="left")
            .with_columns(
                pl.when(pl.col("_ask"))
                .then(pl.col("_rest"))
                .otherwise(pl.col("_site"))
                .alias("_site")
            )
            .drop("_rest")
        )
    if "website" not in out.columns:
        out = out.with_columns(pl.lit(None, dtype=pl.String).alias("website"))
    return out.with_columns(pl.coalesce("website", "_site").alias("website")).drop("_site", "_ask")
