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
    present = set(frame.columns)
    parts: list[pl.DataFrame] = [
        frame.select(c for c in frame.columns if c not in CANONICAL_FIELDS)
    ]

    def col(name: str) -> pl.Series:
        return frame[name] if name in present else pl.Series(name, [None] * frame.height, pl.String)

    country = col("country")
    if "country" in present:
        countries = standardize_country(country)
        parts.append(countries)
        # a country that is not understood gives no region: the phone falls back to the default
        country = countries.select(
            pl.when(pl.col("country__code").is_null()).then(pl.col("country"))
        ).to_series()
    region = country.fill_null(settings.default_country) if settings.default_country else country

    # The fields are independent once the country is known. Each runs in its own thread:
    # Polars releases the GIL, so one field's column work overlaps another's Python work.
    jobs: dict[str, Callable[[], pl.DataFrame]] = {}
    if "email" in present:
        jobs["email"] = lambda: _emails(col("email"), settings)
    if present & {"first_name", "last_name", "full_name"}:
        jobs["name"] = lambda: standardize_names(
            frame["first_name"] if "first_name" in present else None,
            frame["last_name"] if "last_name" in present else None,
            frame["full_name"] if "full_name" in present else None,
        )
    if "company" in present:
        jobs["company"] = lambda: standardize_company(col("company"))
    for name in ("phone", "mobile_phone"):
        if name in present:
            jobs[name] = partial(_phones, col(name), region, name, settings.phone_type)
    if "state" in present:
        jobs["state"] = lambda: standardize_state(col("state"), country)
    if "postal_code" in present:
        jobs["postal_code"] = lambda: standardize_postal(col("postal_code"), country)
    if "website" in present:
        jobs["website"] = lambda: standardize_website(col("website"))
    if "opt_in" in present:
        jobs["opt_in"] = lambda: standardize_bool(col("opt_in"), name="opt_in")
    if "created_at" in present:
        jobs["created_at"] = lambda: standardize_date(
            col("created_at"), order=settings.date_order, name="created_at"
        )
    for f in TEXT_FIELDS:
        if f in present:
            jobs[f] = partial(_clean_text_column, col(f))
    if frame.height < _THREADED_ROWS:
        parts += [job() for job in jobs.values()]
    else:
        # The costliest start first, so that no long job is left to run alone at the end;
        # the columns still come out in the order above.
        order = sorted(
            jobs, key=lambda f: _COSTLIEST.index(f) if f in _COSTLIEST else len(_COSTLIEST)
        )
        with ThreadPoolExecutor(max_workers=_THREADS) as pool:
            done = dict(zip(order, pool.map(lambda f: jobs[f](), order), strict=True))
        parts += [done[f] for f in jobs]

    out = pl.concat(parts, how="horizontal")
    if settings.derive_website and "email_domain" in out.columns:
        out = _derive_website(out)
    if unmapped:
        out = out.with_columns(
            pl.when(pl.col(f"_unmapped:{f}"))
            .then(pl.lit("value_unmapped"))
            .otherwise(pl.col(f"{f}__code") if f"{f}__code" in out.columns else None)
            .alias(f"{f}__code")
            for f in unmapped
        ).drop(f"_unmapped:{f}" for f in unmapped)
    return out


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
