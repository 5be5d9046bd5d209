from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import polars as pl
import pytest
from hypothesis import given
from hypothesis import strategies as st

from leadkit.normalizers._base import Normalized
from leadkit.normalizers.website import company_domain, normalize_website, standardize_website

URLISH = st.lists(
    st.sampled_from(
        [*list("aAcmM.-_/:@?#0123 \xa0ßİü"), "www.", "http://", "https://", ".com", ":8080"]
    ),
    max_size=12,
).map("".join)

WEBSITES = [
    ("https://WWW.Acme.com/about?x=1", "acme.com", None),
    ("acme.com", "acme.com", None),
    ("ACME.COM", "acme.com", None),
    ("www.acme.com", "acme.com", None),
    ("https://www.uniix.co.uk/", "uniix.co.uk", None),
    ("http://user:secret@www.acme.co.uk:8080/x#top", "acme.co.uk", None),
    ("acme.com:8080", "acme.com", None),
    ("acme.com.", "acme.com", None),
    ("//acme.com/path", "acme.com", None),
    ("http:acme.com", "acme.com", None),
    ("<https://acme.com>", "acme.com", None),
    ("www2.acme.com", "acme.com", None),
    ("www.www.acme.com", "acme.com", None),
    ("shop.acme.com", "shop.acme.com", None),  # other subdomains are kept
    ("www.com", "www.com", None),  # a www that is the name itself
    ("mailto:info@acme.com", "acme.com", None),
    ("müller.de", "müller.de", None),
    ("xn--mller-kva.de", "xn--mller-kva.de", None),
    ("localhost", "localhost", "website_invalid"),
    ("acme", "acme", "website_invalid"),
    ("192.168.0.1", "192.168.0.1", "website_invalid"),
    ("acme .com", "acme .com", "website_invalid"),
    ("acme_corp.com", "acme_corp.com", "website_invalid"),
    ("-acme.com", "-acme.com", "website_invalid"),
    ("acme.c0m", "acme.c0m", "website_invalid"),
    ("N/A", "N/A", "website_invalid"),
    ("http://", "http://", "website_invalid"),
    ("  ", None, None),
]


@pytest.mark.parametrize(("raw", "value", "code"), WEBSITES)
def test_normalize_website(raw: str, value: str | None, code: str | None) -> None:
    assert normalize_website(raw) == Normalized(value, code)


@given(st.one_of(st.text(), URLISH))
def test_never_raises_and_is_idempotent(raw: str) -> None:
    first = normalize_website(raw)
    if first.value is not None:
        assert normalize_website(first.value) == first


@pytest.mark.parametrize(
    ("domain", "free", "expected"),
    [
        ("acme.com", False, "acme.com"),
        ("Mail.Acme.COM", False, "mail.acme.com"),
        ("gmail.com", True, None),
        (None, False, None),
        ("company", False, None),  # no TLD: not a website
    ],
)
def test_company_domain(domain: str | None, free: bool, expected: str | None) -> None:
    assert company_domain(domain, free) == expected


def test_standardize_website() -> None:
    out = standardize_website(pl.Series(["https://www.acme.com/", None, "nope", "acme.com"]))
    assert out.columns == ["website", "website__code"]
    assert out.rows() == [
        ("acme.com", None),
        (None, None),
        ("nope", "website_invalid"),
        ("acme.com", None),
    ]


# --- the column function's fast path against the per-value function ---------------------
# Near misses of the Polars path (`[http[s]://]host[.][/...]` in printable ASCII): other
# schemes, credentials, ports, backslashes, labels too long or with a bad hyphen or an
# underscore, numeric and punycode top-level domains, `www` that would leave one label,
# a host over 253 characters, spaces and quotes around, Unicode that lower-cases to ASCII.
WEBSITE_EDGES = [
    "acme.com",
    "ACME.COM",
    "https://acme.com",
    "HTTPS://WWW.ACME.COM/X",
    "http://acme.com/",
    "acme.com.",
    "acme.com..",
    "acme.com./x",
    "acme..com",
    ".acme.com",
    "www.com",
    "www.www.com",
    "www.www2.acme.com",
    "www1.acme.com",
    "www22.acme.com",
    "wwww.acme.com",
    "www.acme.co.uk",
    "www2.www.com",
    "ftp://acme.com",
    "//acme.com",
    "http:acme.com",
    "mailto:a@acme.com",
    "user@acme.com",
    "u:p@acme.com/x",
    "acme.com:8080",
    "acme.com:8080/x",
    "acme.com\\x",
    "acme.com/x\\y",
    "acme.com?q=http://x.org",
    "acme.com#top",
    "acme.com/about us",
    "acme.com/é",
    "acme.com/'",
    "'acme.com'",
    "<acme.com>",
    '"acme.com"',
    " acme.com ",
    "acme.com ",
    "ac me.com",
    "acme.c0m",
    "acme.c",
    "acme.123",
    "acme.xn--p1ai",
    "xn--mller-kva.de",
    "müller.de",
    "MÜLLER.DE",
    "acme.K",
    "\u212aacme.com",
    "ac\u017fme.com",
    "-acme.com",
    "acme-.com",
    "a-b.com",
    "a_b.com",
    "1.2.3.4",
    "[::1]",
    "a.b.c.d.e.f.com",
    ("a" * 63) + ".com",
    ("a" * 64) + ".com",
    ".".join(["a" * 60] * 4) + ".com",
    ".".join(["a" * 50] * 5),
    "com",
    "",
    "   ",
    "https://",
    "https:///acme.com",
    "acme.com\t/x",
    "acme.com/\x01",
    "acme\u00a0.com",
]


def _assert_column_matches_per_value(values: list[str | None]) -> None:
    out = standardize_website(pl.Series(values, dtype=pl.String))
    expected = [normalize_website(v) if v is not None else Normalized(None) for v in values]
    assert out.rows() == [tuple(e) for e in expected]


def test_standardize_website_matches_the_per_value_function_on_generated_leads(
    bench_data: Callable[..., Path],
) -> None:
    partner = pl.read_csv(bench_data(20000, 0) / "partner.csv", infer_schema=False)
    values = [*partner["Website"].to_list(), *WEBSITE_EDGES, *(v.upper() for v in WEBSITE_EDGES)]
    _assert_column_matches_per_value(values)


@given(
    st.lists(st.one_of(st.none(), st.text(), URLISH, st.sampled_from(WEBSITE_EDGES)), max_size=30)
)
def test_standardize_website_matches_the_per_value_function(values: list[str | None]) -> None:
    _assert_column_matches_per_value(values)
