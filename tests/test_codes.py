"""Every reason code a normalizer or the validator can give is in the catalogue.

Two checks: the code-shaped strings in the modules that produce codes (a new code written
there fails until it is catalogued, or named below as not a code), and the codes actually
given for a table of awkward values (so a code built at run time is caught too).
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import polars as pl
import pytest

from leadkit.codes import CODES
from leadkit.mapping import CANONICAL_FIELDS, LoadedMapping, parse_mapping
from leadkit.pipeline import Job
from leadkit.standardize import standardize
from leadkit.validate import ERRORS, validate

LEADKIT = Path(__file__).parent.parent / "leadkit"
# The modules that give rows their reason codes (`<field>__code`, `_errors`, `issues.csv`).
PRODUCERS = sorted(
    [
        *(LEADKIT / "normalizers").glob("*.py"),
        *(LEADKIT / name for name in ("standardize.py", "validate.py", "remap.py", "pipeline.py")),
    ]
)
# snake_case, optionally after `field:` as in `_errors` (`email:no_contact`)
_CODE_SHAPED = re.compile(r"^(?:[a-z_]+:)?([a-z]+(?:_[a-z0-9]+)+)$")
# Code-shaped strings in those modules that are not reason codes: column and field names,
# phonenumbers' number types, function names, dictionary keys.
NOT_CODES = frozenset(
    {
        *CANONICAL_FIELDS,
        "a_digits",
        "c_digits",
        "common_name",
        "company_key",
        "diagonal_relaxed",
        "email_domain",
        "email_flags",
        "email_suggestion",
        "fixed_line",
        "fixed_line_or_mobile",
        "job_function",
        "job_level",
        "mobile_phone_type",
        "normalize_email",
        "normalize_phone",
        "nsn_unsure",
        "official_name",
        "parent_code",
        "personal_number",
        "phone_type",
        "phone_types",
        "premium_rate",
        "sched_getaffinity",
        "shared_cost",
        "standardize_email",
        "standardize_phone",
        "toll_free",
        "vertical_relaxed",
    }
)


def _code_shaped(path: Path) -> set[str]:
    """The code-shaped string constants of a module, f-string parts included."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            text = node.value.lstrip(":")
            if m := _CODE_SHAPED.match(text):
                found.add(m.group(1))
    return found


@pytest.mark.parametrize("path", PRODUCERS, ids=lambda p: p.relative_to(LEADKIT).as_posix())
def test_every_code_shaped_string_is_catalogued(path: Path) -> None:
    assert sorted(_code_shaped(path) - NOT_CODES - set(CODES)) == []


def test_the_scan_sees_the_codes_it_guards() -> None:
    seen = set().union(*(_code_shaped(p) for p in PRODUCERS))
    # the catalogue's codes given by the producers; the rest come from the reader
    # (`extra_cells`, and `runaway_quote`/`bare_cr` for rows it split apart) and the writer
    # (`formula_neutralized`)
    assert set(CODES) - seen == {"extra_cells", "runaway_quote", "bare_cr", "formula_neutralized"}


AWKWARD = {
    "Email": ["a@b.co", "bad@@x", "x@gmial.com", "info@acme.com", "a@b", "", "a@mailinator.com"],
    "First": ["Ann", "1234", "", "=cmd", "X Æ A-12", "  ", "O'Brien"],
    "Last": ["Lee", "", "!!!", "Smith", "x" * 300, "Doe", "Ng"],
    "Company": ["Acme Inc", "", "n/a", "???", "Acme", "GmbH", "Initech"],
    "Phone": ["+1 415 555 0132", "12", "abc", "+99 123", "+4915123456700123456", "", "555"],
    "Country": ["US", "Atlantis", "", "DE", "zz", "Deutschland", "United States"],
    "State": ["CA", "Nowhere", "", "BY", "ZZ", "", "NY"],
    "Zip": ["94105", "ABCDE", "", "8033", "1", "", "10001"],
    "Created": ["2024-01-31", "31/31/2024", "01/02/2024", "", "yesterday", "2024-13-01", "0"],
    "Opt": ["yes", "maybe", "", "0", "nein", "ja", "?"],
    "Web": ["acme.com", "not a site", "", "http://", "https://x.y/z", "www.", "::"],
}
MAPPING = LoadedMapping(
    spec=parse_mapping(
        "target: salesforce\ncolumns:\n  email: Email\n  first_name: First\n  last_name: Last\n"
        "  company: Company\n  phone: Phone\n  country: Country\n  state: State\n"
        "  postal_code: Zip\n  created_at: Created\n  opt_in: Opt\n  website: Web\n"
    ),
    name="t",
    path=None,
    sha256="0" * 64,
)


def test_codes_given_to_awkward_values_are_catalogued() -> None:
    job = Job(MAPPING)
    raw = pl.DataFrame(
        {f: AWKWARD[str(source)] for f, source in job.spec.columns.items()}
    ).with_row_index("_row", 1)
    leads = validate(standardize(raw, job.settings), job.rules)
    given = {
        code
        for column in leads.columns
        if column.endswith("__code")
        for code in leads[column].drop_nulls().to_list()
    }
    given |= {
        item.split(":", 1)[1]
        for errors in leads[ERRORS].drop_nulls().to_list()
        for item in errors.split("; ")
    }
    assert len(given) >= 10, given  # the table does reach the normalizers
    assert sorted(given - set(CODES)) == []
