"""Column profiling: what each column of a file holds, for `leadkit inspect` and `mapping init`.

For every column: how often it is filled, how many distinct values it has, a few sample
values, and the kind of value it looks like (email, phone, country, date, ...), with the
share of sampled values of every kind.

Kinds are decided by the normalizers themselves, never by a second set of rules: a value
is an email when `normalize_email` accepts it, a phone when `normalize_phone` accepts it
for one of the file's regions, a country when `normalize_country` knows it, and so on.
Only the kinds no normalizer validates (postal code, name, job title, number) use a shape
test here.

Fast by construction: fill rates and distinct counts are Polars aggregations over the
whole frame; kinds are decided on the distinct values of the first `SAMPLE_ROWS` rows, at
most `SAMPLE_VALUES` per column, so a million-row file costs the same as a small one.
"""

from __future__ import annotations

import dataclasses
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import phonenumbers
import polars as pl

from leadkit.nicknames import NICKNAMES
from leadkit.normalizers.boolean import normalize_bool
from leadkit.normalizers.company import company_key
from leadkit.normalizers.country import normalize_country
from leadkit.normalizers.dates import DATE_AMBIGUOUS, normalize_date
from leadkit.normalizers.email import normalize_email
from leadkit.normalizers.phone import normalize_phone
from leadkit.normalizers.text import fold
from leadkit.normalizers.website import normalize_website

__all__ = [
    "KINDS",
    "SAMPLE_ROWS",
    "SAMPLE_VALUES",
    "ColumnProfile",
    "Inspection",
    "inspect_table",
    "kinds_of",
    "profile_frame",
]

SAMPLE_ROWS = 10_000
"""Kinds are decided on the first this-many rows of a file."""
SAMPLE_VALUES = 200
"""At most this many distinct values per column are tested for their kind."""
SHOWN_SAMPLES = 5
EXACT_ROWS = 200_000
"""Up to this many rows, distinct counts are exact; beyond, estimated."""

# Every kind a value can have. A value may have several (`Jordan` is a country and a
# given name); a column's `kind` is the first of these, in this order, that enough of its
# values have (`_KIND_SHARE`).
KINDS: tuple[str, ...] = (
    "email",
    "coordinate",
    "wallet",
    "platform_url",
    "salutation",
    "url",
    "phone",
    "date",
    "boolean",
    "country",
    "postal_code",
    "company",
    "job_title",
    "name",
    "number",
    "text",
)
STRUCTURED = frozenset({"email", "phone", "date", "url"})
"""Kinds no name, company or free text has."""
_KIND_SHARE: dict[str, float] = {
    "email": 0.6,
    "coordinate": 0.8,
    "wallet": 0.8,
    "platform_url": 0.6,
    "salutation": 0.8,
    "url": 0.6,
    "phone": 0.6,
    "date": 0.6,
    "boolean": 0.9,
    "country": 0.8,
    "postal_code": 0.8,
    "company": 0.25,
    "job_title": 0.4,
    "name": 0.3,
    "number": 0.8,
}
# Regions tried for a phone number written without a country code, when the file has no
# country column to tell.
_FALLBACK_REGIONS: tuple[str, ...] = ("US",)

# --- shapes for the kinds no normalizer validates ----------------------------------------
_PHONE_SHAPE = re.compile(
    r"^\s*(?:p:|')?[+(]?[\d\s().\-/\u2010-\u2015]{6,}(?:\s*(?:x|ext\.?|#)\s*\d{1,6})?\s*$", re.I
)
_DIGIT = re.compile(r"\d")
_NUMBER = re.compile(r"^\s*[+-]?(?:\d+|\d{1,3}(?:[,.\s]\d{3})+)(?:[.,]\d+)?\s*$")
# Postal codes: 4 to 6 digits (AT 1010, US 02134, IN 110001), digits in two groups (SE 111 22,
# BR 01310-100, US 02134-1234), or the letter-and-digit forms of the UK, Canada, the
# Netherlands and Ireland.
_POSTAL = re.compile(
    r"^(?:\d{4,6}|\d{2,5}[ -]\d{2,4}"  # digits: DE 01067, SE 111 22, BR 01310-100
    r"|[A-Z]{1,2}\d[A-Z\d]? ?\d[A-Z]{2}"  # UK SW1A 1AA
    r"|[A-Z]\d[A-Z] ?\d[A-Z]\d"  # CA K1A 0B1
    r"|\d{4} ?[A-Z]{2}"  # NL 1012 AB
    r"|[A-Z]\d[\dW] ?[A-Z\d]{4})$"  # IE D02 X285
)
# Decimal coordinates (`-74.0059413`, `40.7127753`): never a phone number or a postal code.
_COORDINATE = re.compile(r"^[+-]?\d{1,3}\.\d{4,}$")
_IPV4 = re.compile(r"^\d{1,3}(?:\.\d{1,3}){3}$")
# Crypto wallet addresses: Ethereum `0x` + 40 hex digits, base58 (Bitcoin, Solana) 26-44.
_WALLET = re.compile(r"^(?:0x[0-9a-fA-F]{40}|[1-9A-HJ-NP-Za-km-z]{26,44})$")
# Web addresses of event, meeting and social platforms, QR and ticket links: a person's
# page there or the platform itself, never the lead's company website.
_PLATFORM_HOSTS = (
    "lu.ma", "luma.com", "eventbrite.", "zoom.us", "zoom.com", "linkedin.com", "facebook.com",
    "fb.com", "instagram.com", "twitter.com", "x.com", "xing.com", "meetup.com", "hopin.com",
    "cvent.com", "gotowebinar.com", "goto.com", "on24.com", "teams.microsoft.com",
    "calendly.com", "qr", "ticket",
)  # fmt: skip
_URL_HOST = re.compile(r"^(?:[a-z]+://)?(?:www\.)?([^/?#\s]+)(.*)$", re.I)
# Meta lead ads write `z:94107` and `p:+1...` so spreadsheets keep them as text.
_PREFIX = re.compile(r"^[pz]:", re.I)
_NAME_TOKEN = re.compile(r"^[^\W\d_](?:[^\W\d_]|['\u2019.\-])*$")
_DATE_HINT = re.compile(r"[-/.:\s]|[^\W\d_]{3}")
_WORDS = re.compile(r"[\W_]+")


def _wordset(block: str) -> frozenset[str]:
    return frozenset(block.split())


# Salutations and honorifics in the languages lead files come in: a column of them is no
# job title and no name.
SALUTATIONS = _wordset(
    """
    mr mr. mrs mrs. ms ms. miss mx mx. dr dr. prof prof. sir madam herr frau fr. hr. m. mme
    mme. mlle mlle. monsieur madame mademoiselle sr sr. sra sra. srta srta. senor senora
    signor signora sig. sig.ra dott. dott.ssa dhr. mevr. dhr mevr sehr geehrter
    """
)


# Words of job titles in the languages lead files come in; two hits in three tell.
_TITLE_WORDS = _wordset(
    """
    ceo cfo cto coo cmo cio ciso cro vp svp evp avp president founder cofounder owner partner
    director manager head lead chief officer engineer developer architect analyst consultant
    specialist coordinator administrator assistant associate executive representative rep
    advisor adviser scientist designer marketing sales account accountant buyer procurement
    purchasing operations product project program programme principal senior junior intern
    student professor teacher researcher recruiter supervisor technician editor
    geschaftsfuhrer leiter leiterin einkauf vertrieb berater beraterin inhaber vorstand
    referent referentin sachbearbeiter ingenieur entwickler
    directeur directrice responsable chef gerant gerante ingenieur commercial commerciale
    charge chargee achats
    director directora gerente jefe jefa responsable ingeniero ingeniera comercial compras
    direttore direttrice responsabile ingegnere commerciale acquisti
    diretor diretora gerente engenheiro comercial
    directeur manager adviseur inkoper saljchef
    """
)
# Common given names in the languages lead files come in, beyond `leadkit.nicknames`.
_MORE_GIVEN_NAMES = _wordset(
    """
    james john robert michael william david richard joseph thomas charles mary patricia jennifer
    linda elizabeth barbara susan jessica sarah karen nancy lisa emily emma olivia sophia mia
    anna laura maria sofia lucia julia hannah lena lea leonie marie sophie katharina claudia
    sabine petra andrea stefanie nicole monika ursula jurgen juergen hans klaus peter michael
    thomas andreas stefan markus christian wolfgang frank uwe lukas jonas felix max paul leon
    tobias florian matthias martin jan tim niklas sven lars erik anders johan karl nils
    jean pierre michel philippe alain nicolas francois louis luc jacques julien antoine hugo
    camille anais chloe manon ines louise margaux celine nathalie isabelle sylvie valerie
    jose antonio manuel francisco juan javier carlos miguel pedro luis alejandro pablo diego
    sergio jorge fernando raul daniel carmen ana isabel pilar rosa elena paula marta cristina
    lucia sara alba noelia beatriz luca marco giuseppe giovanni francesco alessandro andrea
    matteo lorenzo stefano paolo giulia chiara francesca federica alessia elisa valentina
    joao pedro tiago rafael gabriel bruno mariana beatriz raquel joana ana catarina
    daan bram sem thijs jeroen pieter joost sanne femke lotte eva anouk fleur
    priya raj rahul amit arjun ananya aditya wei li ming hiroshi yuki kenji aiko mohammed
    ahmed ali omar fatima aisha yusuf ivan olga dmitri natalia piotr agnieszka anais
    """
)


@cache
def given_names() -> frozenset[str]:
    """Folded given names: a column where many values start with one is a name column."""
    names = set(_MORE_GIVEN_NAMES)
    for canonical, short in NICKNAMES.items():
        names.add(canonical)
        names.update(s for s in short if len(s) > 2)
    return frozenset(names)


def _ok(result: Any) -> bool:
    """A normalizer accepted the value: something left, and no reason code."""
    return result.value is not None and result.code is None


def _is_date(text: str) -> bool:
    # `03/04/2026` is a date even if nobody can say which day: ambiguous is still a date.
    result = normalize_date(text)
    return result.value is not None and result.code in (None, DATE_AMBIGUOUS)


# Cells that say "nothing here": filled, but no evidence of any kind.
PLACEHOLDERS = _wordset("n/a na n.a. - -- --- . ? none null nil unknown tbd tba x xx xxx #n/a 0")


# --- one value -------------------------------------------------------------------------


def kinds_of(
    value: str, regions: Sequence[str] = _FALLBACK_REGIONS, *, country: bool | None = None
) -> set[str]:
    """Every kind `value` has; `regions` are tried for a phone without a country code.

    `country` is whether the value is a country when the caller knows already (None: ask
    `normalize_country`).
    """
    text = value.strip()
    if not text or text.casefold() in PLACEHOLDERS:
        return set()
    if "@" in text:
        return {"email"} if _ok(normalize_email(text)) else {"text"}
    if _COORDINATE.match(text):
        return {"coordinate", "number"}
    if _IPV4.match(text):
        return {"text"}  # an IP address (Mailchimp's OPTIN_IP): no phone number
    if _WALLET.match(text) and (text.startswith("0x") or _DIGIT.search(text)):
        return {"wallet"}
    if text.casefold() in SALUTATIONS:
        return {"salutation"}
    has_digit = bool(_DIGIT.search(text))
    kinds = _date_or_phone(text, regions) if has_digit else set()
    kinds |= _web_or_flag(text)
    if country is None:
        country = not has_digit and _ok(normalize_country(text))
    if country:
        kinds.add("country")
    kinds |= _codes(text, kinds)
    if not has_digit and kinds.isdisjoint(("url", "platform_url")):
        kinds |= _word_kinds(text)
    return kinds or {"text"}


def _date_or_phone(text: str, regions: Sequence[str]) -> set[str]:
    """A value with digits: a date, else a phone number for one of `regions` (`28.03.2026`
    would pass for a phone number in some region: a date is a date)."""
    if _DATE_HINT.search(text) and _is_date(text):
        return {"date"}
    if not _PHONE_SHAPE.match(text) or len(_DIGIT.findall(text)) < 7:
        return set()
    if any(_ok(normalize_phone(text, region)) for region in (None, *regions)):
        return {"phone"}
    if len(_DIGIT.findall(text)) >= 9 and _NATIONAL.match(text) and valid_regions(text):
        return {"phone"}  # a national format: `03-5555-0100` (JP), `030 1234567` (DE)
    return set()


# Regions a phone number in national format (no country code) is tried for when the file's
# own countries do not make it one: the countries most lead files come from.
NATIONAL_REGIONS: tuple[str, ...] = (
    "US", "GB", "DE", "FR", "ES", "IT", "NL", "BE", "CH", "AT", "SE", "PL", "IE", "JP", "CN",
    "KR", "IN", "AU", "CA", "BR", "MX", "SG",
)  # fmt: skip
# A number written the national way: a leading 0 (trunk prefix) or digit groups with
# separators, no `+`. Bare digit runs are left to the file's own regions (they are often ids).
_NATIONAL = re.compile(r"^\s*(?:p:|')?\(?\d[\d)]*[\s\-./][\d\s\-./()]+$")


@cache
def national_regions(text: str) -> tuple[str, ...]:
    """The regions of `NATIONAL_REGIONS` where `text` is a valid number written the way that
    region writes its numbers: the same digit groups as phonenumbers' national format
    (`03-5555-0100` is Japanese, `030 1234567` German, `01 42 68 53 00` French)."""
    body = _PREFIX.sub("", text.strip().lstrip("'")).strip()
    groups = _groups(body)
    out = []
    for region in NATIONAL_REGIONS:
        try:
            number = phonenumbers.parse(body, region)
        except phonenumbers.NumberParseException:
            continue
        if (
            phonenumbers.is_valid_number(number)
            and phonenumbers.region_code_for_number(number) == region
            and _groups(phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.NATIONAL))
            == groups
        ):
            out.append(region)
    return tuple(out)


@cache
def valid_regions(text: str) -> tuple[str, ...]:
    """The regions of `NATIONAL_REGIONS` for which `text` is a valid number."""
    return tuple(r for r in NATIONAL_REGIONS if _ok(normalize_phone(text, r)))


def _groups(text: str) -> list[int]:
    return [len(g) for g in _DIGIT_GROUP.findall(text)]


_DIGIT_GROUP = re.compile(r"\d+")


def phone_region(text: str) -> tuple[str, ...]:
    """The region(s) a phone value points to: its country code's (`+81 ...`), else the
    regions whose national format it is written in (`national_regions`)."""
    body = _PREFIX.sub("", text.strip().lstrip("'")).strip()
    if body.startswith(("+", "00")):
        try:
            parsed = phonenumbers.parse("+" + body.lstrip("+").removeprefix("00"), None)
        except phonenumbers.NumberParseException:
            return ()
        region = phonenumbers.region_code_for_number(parsed)
        return (region,) if region and region != "ZZ" else ()
    return national_regions(body)


def _platform(url: str) -> bool:
    """A web address on an event, meeting or social platform, or a QR/ticket link."""
    found = _URL_HOST.match(url.strip())
    if found is None:
        return False
    host, rest = found.group(1).casefold(), found.group(2).casefold()
    return any(p in host for p in _PLATFORM_HOSTS) or "/qr" in rest or "ticket" in rest


def _web_or_flag(text: str) -> set[str]:
    """A web address (one word with a dot), a yes/no value (a short one), or both."""
    kinds = set()
    if " " not in text and "." in text and _ok(normalize_website(text)):
        kinds.add("platform_url" if _platform(text) else "url")
    if len(text) <= 12 and _ok(normalize_bool(text)):
        kinds.add("boolean")
    return kinds


def _codes(text: str, kinds: set[str]) -> set[str]:
    """A postal code (unless the value is a phone number or a date already), a number."""
    out = set()
    if _POSTAL.match(_PREFIX.sub("", text).upper()) and kinds.isdisjoint(("phone", "date")):
        out.add("postal_code")
    if _NUMBER.match(text):
        out.add("number")
    return out


def _word_kinds(text: str) -> set[str]:
    """A value of words: a name (starts with a given name), a company (has a legal form), a
    job title (has a title word)."""
    words = _WORDS.sub(" ", fold(text)).split()
    tokens = text.split()
    kinds = set()
    if (
        words
        and len(tokens) <= 4
        and all(_NAME_TOKEN.match(t) for t in tokens)
        and words[0] in given_names()
    ):
        kinds.add("name")
    # A legal form (GmbH, Inc., S.A.) is what `company_key` folds away.
    if (
        len(words) >= 2
        and len(words[0]) >= 2
        and len((company_key(text) or "").split()) < len(words)
    ):
        kinds.add("company")
    if any(w in _TITLE_WORDS for w in words):
        kinds.add("job_title")
    return kinds


# --- one column ------------------------------------------------------------------------


@dataclass(frozen=True)
class ColumnProfile:
    """What one column holds. Shares in `kinds` are of the `tested` distinct sample values."""

    name: str
    position: int
    filled: int
    fill_rate: float
    distinct: int
    samples: list[str]
    kind: str | None
    kind_share: float
    kinds: dict[str, float]
    tested: int
    multi_word: float = 0.0
    """Share of tested values with two words or more (full names, not first names)."""
    structured: float = 0.0
    """Share of tested values that are emails, phone numbers, dates or web addresses."""
    distinct_exact: bool = True
    """False for files over `EXACT_ROWS` rows: `distinct` is then an estimate (within ~2%)."""
    regions: dict[str, float] = dataclasses.field(default_factory=dict)
    """For a column of phone numbers or countries: the share of its tested values pointing to
    each country (ISO2): a phone's country code or national format, a country's code."""

    def share(self, kind: str) -> float:
        return self.kinds.get(kind, 0.0)

    def as_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


def _column_kind(kinds: dict[str, float], distinct: int) -> tuple[str | None, float]:
    for kind in KINDS[:-1]:
        share = kinds.get(kind, 0.0)
        if share >= _KIND_SHARE[kind] and share > 0:
            if kind == "boolean" and distinct > 4:
                continue
            return kind, share
    if not kinds:
        return None, 0.0
    return "text", kinds.get("text", 0.0)


def profile_frame(
    frame: pl.DataFrame,
    *,
    sample_rows: int = SAMPLE_ROWS,
    sample_values: int = SAMPLE_VALUES,
) -> list[ColumnProfile]:
    """A profile of each data column of `frame` (columns starting with `_` are skipped)."""
    names = [c for c in frame.columns if not c.startswith("_")]
    if not names:
        return []
    rows = frame.height
    # Exact counts of trimmed values up to EXACT_ROWS; beyond, nulls are counted as read and
    # distinct values estimated (HyperLogLog): a tenth of the time on a million rows.
    exact = rows <= EXACT_ROWS
    if exact:
        stats = frame.select(
            *[_filled(c).alias(f"f{i}") for i, c in enumerate(names)],
            *[_non_empty(c).n_unique().alias(f"d{i}") for i, c in enumerate(names)],
        ).row(0)
    else:
        stats = frame.select(
            *[pl.col(c).is_not_null().sum().alias(f"f{i}") for i, c in enumerate(names)],
            *[pl.col(c).approx_n_unique().alias(f"d{i}") for i, c in enumerate(names)],
        ).row(0)
    head = frame.head(sample_rows)
    samples = {
        c: [
            v
            for v in head.get_column(c).str.strip_chars().unique(maintain_order=True).to_list()
            if v
        ][:sample_values]
        for c in names
    }
    countries = {c: _countries(values) for c, values in samples.items()}
    # Countries in the file tell which regions its phone numbers are written for.
    regions = _regions(head, countries)
    out: list[ColumnProfile] = []
    for i, name in enumerate(names):
        filled = int(stats[i])
        # Both count the null of empty cells as one value.
        distinct = int(stats[len(names) + i]) - (1 if filled < rows else 0)
        values = samples[name]
        counts: Counter[str] = Counter()
        multi = n = structured = 0
        codes = countries[name]
        for v in values:
            found = kinds_of(v, regions, country=v in codes)
            if found:  # not a placeholder such as N/A
                n += 1
                counts.update(found)
                multi += len(v.split()) >= 2
                structured += not found.isdisjoint(STRUCTURED)
        kinds = {k: round(counts[k] / n, 4) for k in KINDS if counts[k]} if n else {}
        kind, share = _column_kind(kinds, distinct)
        pointed = _pointed_regions(values, kind, codes, regions) if n else {}
        top = sorted(pointed.items(), key=lambda kv: -kv[1])[:5]
        out.append(
            ColumnProfile(
                name=name,
                position=i + 1,
                filled=filled,
                fill_rate=round(filled / rows, 4) if rows else 0.0,
                distinct=min(max(distinct, 0), filled),
                distinct_exact=exact,
                samples=values[:SHOWN_SAMPLES],
                kind=kind,
                kind_share=share,
                kinds=kinds,
                tested=n,
                multi_word=round(multi / n, 4) if n else 0.0,
                structured=round(structured / n, 4) if n else 0.0,
                regions={r: round(w / n, 4) for r, w in top},
            )
        )
    return out


def _pointed_regions(
    values: Sequence[str], kind: str | None, codes: dict[str, str], regions: Sequence[str]
) -> dict[str, float]:
    """Weights per country of a phone or country column's values (a value pointing to n
    countries gives each 1/n)."""
    out: dict[str, float] = {}
    if kind == "country":
        for v in values:
            if v in codes:
                out[codes[v]] = out.get(codes[v], 0.0) + 1
    elif kind == "phone":
        for v in values:
            if "phone" in kinds_of(v, regions):
                found = phone_region(v)
                for r in found:
                    out[r] = out.get(r, 0.0) + 1 / len(found)
    return out


def _non_empty(name: str) -> pl.Expr:
    col = pl.col(name).str.strip_chars()
    return pl.when(col == "").then(None).otherwise(col)


def _filled(name: str) -> pl.Expr:
    return _non_empty(name).is_not_null().sum()


def _countries(values: Sequence[str]) -> dict[str, str]:
    """The values that are countries, with their ISO2 code.

    `normalize_country` tries a fuzzy match for a value it does not know (`Untied
    States`), which takes milliseconds; so a column stops being asked once it is plainly
    no country column (two misses, and more than a fifth of the values asked).
    """
    codes: dict[str, str] = {}
    asked = misses = 0
    for v in values:
        text = v.strip()
        if not text or text.casefold() in PLACEHOLDERS or _DIGIT.search(text) or "@" in text:
            continue
        result = normalize_country(text)
        asked += 1
        if _ok(result) and result.value:
            codes[v] = result.value
        else:
            misses += 1
            if misses >= 2 and misses > 0.2 * asked:
                break
    return codes


def _regions(
    head: pl.DataFrame, countries: dict[str, dict[str, str]], top: int = 12
) -> tuple[str, ...]:
    """The most common countries of the file's country column, as regions for phone parsing."""
    for name, codes in countries.items():
        if len(codes) < 2:
            continue
        column = head.get_column(name).str.strip_chars()
        values = [v for v in column.unique().to_list() if v and v.casefold() not in PLACEHOLDERS]
        if len(codes) < 0.8 * min(len(values), SAMPLE_VALUES):
            continue
        found: Counter[str] = Counter()
        for value, n in column.value_counts(sort=True).iter_rows():
            if value in codes:
                found[codes[value]] += n
        regions = [code for code, _ in found.most_common(top)]
        return tuple(dict.fromkeys([*regions, *_FALLBACK_REGIONS]))
    return _FALLBACK_REGIONS


# --- one file --------------------------------------------------------------------------


@dataclass(frozen=True)
class Inspection:
    """What `leadkit inspect` shows: what the reader detected, and a profile of each column.

    `as_dict()` is what `inspect --json` prints.
    """

    path: str
    info: dict[str, Any]
    rows: int
    sampled_rows: int
    columns: list[ColumnProfile]
    profile: dict[str, Any] | None = None
    """The built-in profile (known partner format) the file's headers match, if any."""
    near_profiles: list[dict[str, Any]] = field(default_factory=list)
    """Else the profiles the file is near (most of their fixed headers), with `differs`."""

    @property
    def headers(self) -> list[str]:
        return [c.name for c in self.columns]

    def column(self, name: str) -> ColumnProfile:
        return next(c for c in self.columns if c.name == name)

    def as_dict(self) -> dict[str, Any]:
        return {
            "path": self.path,
            "info": self.info,
            "rows": self.rows,
            "sampled_rows": self.sampled_rows,
            "profile": self.profile,
            "near_profiles": self.near_profiles,
            "columns": [c.as_dict() for c in self.columns],
        }


def inspect_table(table: Any, *, sample_rows: int = SAMPLE_ROWS) -> Inspection:
    """Profile a table read by `leadkit.read.read_table`."""
    frame: pl.DataFrame = table.frame
    info = info_dict(table.info)
    return Inspection(
        path=str(info.get("path", "")),
        info=info,
        rows=frame.height,
        sampled_rows=min(frame.height, sample_rows),
        columns=profile_frame(frame, sample_rows=sample_rows),
    )


def info_dict(info: Any) -> dict[str, Any]:
    """The reader's `Table.info` as a plain JSON-ready dict."""
    if dataclasses.is_dataclass(info) and not isinstance(info, type):
        raw = dataclasses.asdict(info)
    elif hasattr(info, "model_dump"):
        raw = info.model_dump()
    elif isinstance(info, dict):
        raw = dict(info)
    else:
        raw = {k: v for k, v in vars(info).items() if not k.startswith("_")}
    return {k: _plain(v) for k, v in raw.items()}


def _plain(value: Any) -> Any:
    if isinstance(value, Path):
        return str(value)
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value
