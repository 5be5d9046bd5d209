"""Websites to their bare host name: ``https://WWW.Acme.com/about?x=1`` is ``acme.com``.

Scheme, credentials, port, path, query and fragment are dropped, the host is lower
case (Unicode hosts stay Unicode: ``müller.de``, not ``xn--mller-kva.de``), a trailing
dot and leading ``www.`` labels go. A value that does not hold a host name (no dot, a
label with spaces or symbols, a top-level domain that is not letters, an IP address)
is kept as written with ``website_invalid``.
"""

from __future__ import annotations

import re
import unicodedata

import polars as pl

from leadkit.normalizers._base import Normalized, settle_nulls
from leadkit.normalizers.text import clean_text

WEBSITE_INVALID = "website_invalid"

# "scheme://", "//", or a bare "http:"/"mailto:" (but not "acme.com:8080").
_SCHEME = re.compile(r"^(?:[a-z][a-z0-9+.-]*://|//|(?:https?|mailto):)")
_LABEL = re.compile(r"^[^\W_](?:(?:[^\W_]|-){0,61}[^\W_])?$")
_TLD = re.compile(r"^(?:[^\W\d_]{2,63}|xn--[a-z0-9-]{1,59})$")
_WWW = re.compile(r"^www[0-9]?$")


def _host(text: str) -> str | None:
    s = unicodedata.normalize("NFKC", unicodedata.normalize("NFKC", text).casefold())
    s = s.strip("<>\"' ")
    s = _SCHEME.sub("", s)
    s = re.split(r"[/?#\\]", s, maxsplit=1)[0]
    s = s.rpartition("@")[2]  # credentials: user:pass@host
    s = s.split(":", 1)[0]  # port
    s = s.rstrip(".")
    labels = s.split(".")
    while len(labels) > 2 and _WWW.match(labels[0]):
        labels = labels[1:]
    if len(labels) < 2 or len(s) > 253:
        return None
    if not all(_LABEL.match(label) for label in labels) or not _TLD.match(labels[-1]):
        return None
    return ".".join(labels)


def normalize_website(raw: str) -> Normalized:
    """The lowercase host without ``www.``; kept with ``website_invalid`` when none is found."""
    text = clean_text(raw)
    if text is None:
        return Normalized(None)
    host = _host(text)
    if host is None:
        return Normalized(text, WEBSITE_INVALID)
    return Normalized(host)


def company_domain(email_domain: str | None, free: bool) -> str | None:
    """The website to use when the row has none: its email domain, unless free-mail."""
    if email_domain is None or free:
        return None
    result = normalize_website(email_domain)
    return result.value if result.code is None else None


# The common forms, settled by Polars: `[http[s]://]host[.][/path...]` in printable ASCII
# whose host is valid labels and a top-level domain of letters. On such a value `_host`
# lower-cases, drops the scheme and everything from the first `/`, `?` or `#`, one
# trailing dot, and the leading `www` labels as long as two labels are left. Anything
# else (a port, credentials, a backslash, Unicode, `www.com`) goes to `normalize_website`.
_FAST_HOST = r"^(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$"


def _fast_hosts(frame: pl.LazyFrame) -> pl.LazyFrame:
    """Adds `website`: the host `normalize_website` gives for `_raw`, or null where it must
    be asked."""
    raw, host = pl.col("_raw"), pl.col("_host")
    cut = raw.str.to_lowercase().str.replace(r"^https?://", "").str.replace(r"[/?#].*", "")
    sure = (
        raw.str.contains(r"^[ -~]*$")
        & (host.str.len_bytes() <= 253)
        & host.str.contains(_FAST_HOST)
    )
    return (
        frame.with_columns(cut.str.strip_suffix(".").alias("_host"))
        .with_columns(pl.when(sure).then(host.str.replace(r"^(?:www[0-9]?\.)+", "")).alias("_host"))
        .with_columns(pl.when(host.str.contains(".", literal=True)).then(host).alias("website"))
        .drop("_host")
    )


def standardize_website(col: pl.Series) -> pl.DataFrame:
    """`website`, `website__code`, once per distinct value: `_fast_hosts`, then
    `normalize_website` for what it leaves (on both cores when there are many)."""
    raw = col.cast(pl.String).rename("_raw").to_frame()
    lookup = _fast_hosts(raw.drop_nulls().unique().lazy()).collect()
    lookup = settle_nulls(lookup, "_raw", normalize_website, "website", "website__code")
    return raw.join(lookup, on="_raw", how="left", maintain_order="left").select(
        "website", "website__code"
    )
