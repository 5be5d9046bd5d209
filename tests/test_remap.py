"""The mapping applied: tolerant header matching, first non-empty of a list, constants."""

from __future__ import annotations

from pathlib import Path

import pytest

from leadkit.errors import InputError
from leadkit.mapping import parse_mapping
from leadkit.read import Table, read_table
from leadkit.remap import remap


def table(tmp_path: Path, text: str) -> Table:
    path = tmp_path / "in.csv"
    path.write_text(text, encoding="utf-8")
    return read_table(path)


def test_first_non_empty_source_wins(tmp_path: Path) -> None:
    t = table(tmp_path, "Company,Organization,Email\nAcme,Other,a@b.c\n   ,Beta,b@c.d\n,,c@d.e\n")
    m = parse_mapping("columns:\n  company: [Company, Organization]\n")
    assert remap(t, m)["company"].to_list() == ["Acme", "Beta", None]


def test_headers_match_whatever_their_case_spaces_and_bom(tmp_path: Path) -> None:
    t = table(tmp_path, "\ufeff E-MAIL ADDRESS ,phone #\na@b.com,1\n")
    m = parse_mapping("columns:\n  email: E-mail Address\n  phone: 'Phone #'\n")
    assert remap(t, m).row(0) == (1, "a@b.com", "1")


def test_constants_and_custom_columns(tmp_path: Path) -> None:
    t = table(tmp_path, "Email,Minutes\na@b.com,60\n")
    m = parse_mapping(
        "columns:\n  email: Email\nconstants:\n  lead_source: Webinar\n"
        "custom:\n  Minutes__c: {column: Minutes}\n  Partner__c: {value: ACME}\n"
    )
    assert remap(t, m).row(0, named=True) == {
        "_row": 1,
        "email": "a@b.com",
        "lead_source": "Webinar",
        "custom:Minutes__c": "60",
        "custom:Partner__c": "ACME",
    }


def test_every_missing_header_is_named_with_the_files_headers(tmp_path: Path) -> None:
    t = table(tmp_path, "Email,Name\na@b.com,x\n")
    m = parse_mapping("columns:\n  email: Email\n  phone: 'Phone #'\n  company: [Company, Org]\n")
    with pytest.raises(InputError) as e:
        remap(t, m)
    msg = str(e.value)
    assert "'Phone #' (columns.phone)" in msg
    assert "'Company' or 'Org' (columns.company)" in msg
    assert "The file has: 'Email', 'Name'" in msg


PLACEHOLDER_CELLS = [
    "--",
    "-",
    "---",
    "N/A",
    "n/a",
    " n.a. ",
    "None",
    "null",
    "NULL",
    "nil",
    "Unknown",
    "TBD",
    "tba",
    "?",
    "???",
    ".",
    "-/-",
    "(blank)",
    "(none)",
    "#N/A",
    "#VALUE!",
    "not applicable",
    "Not Available",
    "undefined",
]
NOT_PLACEHOLDERS = ["0", "x", "n", "Nan Zhang", "None Corp", "Unknown Pleasures Ltd", "-5", "A-"]
# `NA` is Namibia's ISO code and `Na`/`Nan` are names (a Korean surname, a Chinese given name):
# a bare `na` is never blanked; `n/a` and `n.a.` are.
NOT_PLACEHOLDERS += ["NA", "Na", "na", "Nan"]


@pytest.mark.parametrize("cell", PLACEHOLDER_CELLS)
def test_placeholders_are_blank_in_every_mapped_field(tmp_path: Path, cell: str) -> None:
    t = table(tmp_path, f'Company,Org,Phone,Minutes\n"{cell}",Beta,"{cell}","{cell}"\n')
    m = parse_mapping(
        "columns:\n  company: [Company, Org]\n  phone: Phone\n"
        "custom:\n  Minutes__c: {column: Minutes}\n"
    )
    # a placeholder in the first source lets the next one through
    assert remap(t, m).row(0) == (1, "Beta", None, None)


@pytest.mark.parametrize("cell", NOT_PLACEHOLDERS)
def test_values_that_only_look_like_placeholders_are_kept(tmp_path: Path, cell: str) -> None:
    t = table(tmp_path, f'Company,Phone\n"{cell}","{cell}"\n')
    m = parse_mapping("columns:\n  company: Company\n  phone: Phone\n")
    assert remap(t, m).row(0) == (1, cell, cell)


def test_upper_case_na_in_a_country_column_is_namibia(tmp_path: Path) -> None:
    t = table(tmp_path, "Country\nNA\nn/a\n")
    m = parse_mapping("columns:\n  country: Country\n")
    assert remap(t, m)["country"].to_list() == ["NA", None]
