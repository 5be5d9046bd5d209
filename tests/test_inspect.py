"""`leadkit inspect`: what the reader detected, and what each column holds.

Value kinds come from the normalizers; the table below pins what a single value is taken
for, the file tests what a column is taken for.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import polars as pl
import pytest
from typer.testing import CliRunner

from leadkit.cli import app
from leadkit.draft import inspect_file
from leadkit.profile import SAMPLE_ROWS, kinds_of, profile_frame
from leadkit.read import read_table

ROOT = Path(__file__).parent.parent
EXAMPLES = ROOT / "examples"
runner = CliRunner()


def run(*args: str | Path, width: int = 100) -> tuple[int, str, str]:
    result = runner.invoke(
        app, [str(a) for a in args], terminal_width=width, env={"COLUMNS": str(width)}
    )
    return result.exit_code, result.stdout, result.stderr


# --- one value ---------------------------------------------------------------------------------

KINDS = [
    ("priya.raman@northwind.com", {"email"}),
    ("MAILTO:John.OBrien@Contoso.co.uk", {"email"}),
    ("lena.fischer@@adatum.de", {"text"}),
    ("+1 (415) 555-0132", {"phone"}),
    ("+1 650 555 0199 x204", {"phone"}),
    ("p:+4915123456789", {"phone"}),  # Meta lead ads
    ("(212) 555-0188", {"phone"}),  # US without a country code: the fallback region
    ("2026-11-02", {"date"}),
    ("Nov 02, 2026 14:12:55", {"date"}),
    ("28.03.2026", {"date"}),  # not a German phone number
    ("02.04.2026", {"date"}),  # ambiguous day/month is still a date
    ("https://www.acme.com/", {"url"}),
    ("acme.com", {"url"}),
    ("yes", {"boolean"}),
    ("Deutschland", {"country"}),
    ("United States", {"country"}),
    ("02134", {"postal_code", "number"}),
    ("SW1A 1AA", {"postal_code"}),
    ("111 22", {"postal_code"}),
    ("z:94107", {"postal_code"}),
    ("Priya", {"name"}),
    ("Jean Dupont", {"name"}),
    ("Beispiel GmbH", {"company"}),
    ("Northwind Logistics Inc.", {"company"}),
    ("VP Revenue Operations", {"job_title"}),
    ("Directrice commerciale", {"job_title"}),
    ("60", {"number"}),
    ("1,234.50", {"number"}),
    ("Wants a demo", {"text"}),
    ("N/A", set()),  # a placeholder: no evidence at all
    ("", set()),
]


@pytest.mark.parametrize(("value", "kinds"), KINDS, ids=[v or "<empty>" for v, _ in KINDS])
def test_kinds_of_a_value(value: str, kinds: set[str]) -> None:
    assert kinds_of(value) == kinds


def test_phone_without_country_code_uses_the_file_country_column() -> None:
    frame = pl.DataFrame(
        {
            "Telefon": ["030 12345678", "0151 23456789", "089 1234567", "0221 9876543"],
            "Land": ["Deutschland", "Deutschland", "Germany", "DE"],
        }
    )
    telefon = profile_frame(frame)[0]
    assert (telefon.kind, telefon.kind_share) == ("phone", 1.0)
    # Without the country column the national format tells: these are German numbers.
    alone = profile_frame(frame.select("Telefon"))[0]
    assert alone.kind == "phone"
    assert max(alone.regions, key=alone.regions.__getitem__) == "DE"


@pytest.mark.parametrize(
    ("value", "regions"),
    [
        ("03-5555-0100", ("JP", "AU")),  # Tokyo, written the Japanese way
        ("030 1234567", ("DE",)),
        ("01 42 68 53 00", ("FR",)),
        ("+81 3-5555-0100", ("JP",)),
        ("'+1 650-723-4000", ("US",)),  # Apollo's apostrophe-prefixed numbers
        ("12345678", ()),
    ],
)
def test_phone_region_of_a_value(value: str, regions: tuple[str, ...]) -> None:
    from leadkit.profile import phone_region

    assert phone_region(value) == regions


@pytest.mark.parametrize(
    ("value", "kinds"),
    [
        ("-74.0059413", {"coordinate", "number"}),
        ("0x52908400098527886E0F7030069857D2E4169EE7", {"wallet"}),
        ("Mrs.", {"salutation"}),
        ("Herr", {"salutation"}),
        ("https://luma.com/check-in/evt-1?pk=g-abc", {"platform_url"}),
        ("https://www.linkedin.com/in/jdoe", {"platform_url"}),
        ("'+1 650-723-4000", {"phone"}),
        ("03-5555-0100", {"phone"}),
        ("192.168.10.1", {"text"}),
    ],
)
def test_kinds_that_veto_a_header(value: str, kinds: set[str]) -> None:
    assert kinds_of(value) == kinds


# --- one column --------------------------------------------------------------------------------


def test_column_profile_counts() -> None:
    frame = pl.DataFrame(
        {
            "Email": ["a@acme.com", "b@acme.com", None, "a@acme.com", "  ", "c@acme.com"],
            "_row": [1, 2, 3, 4, 5, 6],
        }
    )
    (col,) = profile_frame(frame)
    assert col.name == "Email"
    assert col.position == 1
    assert col.filled == 4  # null and whitespace-only are empty
    assert col.fill_rate == round(4 / 6, 4)
    assert col.distinct == 3
    assert col.samples == ["a@acme.com", "b@acme.com", "c@acme.com"]
    assert (col.kind, col.kind_share, col.tested) == ("email", 1.0, 3)


def test_kinds_are_decided_on_the_first_rows_only() -> None:
    n = 50
    frame = pl.DataFrame({"c": [f"user{i}@acme.com" for i in range(10)] + ["junk"] * (n - 10)})
    assert profile_frame(frame, sample_rows=10)[0].kind == "email"
    assert profile_frame(frame, sample_rows=n)[0].kind_share < 1.0
    assert profile_frame(frame)[0].filled == n  # counts are over every row


def test_empty_column() -> None:
    (col,) = profile_frame(pl.DataFrame({"Notes": [None, None]}, schema={"Notes": pl.String}))
    assert (col.filled, col.fill_rate, col.distinct, col.kind, col.samples) == (0, 0.0, 0, None, [])


# --- one file ----------------------------------------------------------------------------------


def test_inspect_reports_what_the_reader_detected() -> None:
    result = inspect_file(EXAMPLES / "eu_partner_leads.csv")
    table = read_table(EXAMPLES / "eu_partner_leads.csv")
    assert result.info["encoding"] == table.info.encoding == "cp1252"
    assert result.info["delimiter"] == ";"
    assert result.info["header_row"] == 1
    assert result.rows == table.info.data_rows
    assert result.headers == [c for c in table.frame.columns if not c.startswith("_")]
    kinds = {c.name: c.kind for c in result.columns}
    assert kinds == {
        "Vorname": "name",
        "Nachname": "text",
        "E-Mail": "email",
        "Firma": "company",
        "Position": "job_title",
        "Telefon": "phone",
        "Land": "country",
        "Bundesland": "text",
        "PLZ": "postal_code",
        "Ort": "text",
        "Einwilligung": "boolean",
        "Datum": "date",
    }
    assert result.profile is not None
    assert result.profile["name"] == "eu-partner"


def test_inspect_finds_the_table_in_a_report_and_a_workbook() -> None:
    zoom = inspect_file(EXAMPLES / "zoom_webinar_attendees.csv")
    assert zoom.info["header_row"] == 12
    assert "First Name" in zoom.headers
    badge = inspect_file(EXAMPLES / "badge_scan.xlsx")
    assert (badge.info["format"], badge.info["sheet"], badge.info["header_row"]) == (
        "xlsx",
        "Leads",
        4,
    )
    crm = inspect_file(EXAMPLES / "crm_export.csv")
    assert crm.info["footer"]
    assert crm.info["footer"].startswith("Grand Totals")


def test_inspect_without_known_headers(tmp_path: Path) -> None:
    path = tmp_path / "f.csv"
    path.write_text("col1,col2\nann@acme.com,+1 415 555 0132\nbob@acme.com,+1 650 555 0199\n")
    result = inspect_file(path, profiles_dir=tmp_path)
    assert [(c.name, c.kind) for c in result.columns] == [("col1", "email"), ("col2", "phone")]
    assert result.profile is None


# --- the command -------------------------------------------------------------------------------


def test_cli_inspect_shows_detection_and_columns() -> None:
    code, out, err = run("inspect", EXAMPLES / "eu_partner_leads.csv")
    assert code == 0, err
    assert err == ""
    lines = out.splitlines()
    assert any(ln.startswith("encoding") and "cp1252" in ln for ln in lines)
    assert any(ln.startswith("delimiter") and "';'" in ln for ln in lines)
    assert any(ln.startswith("header row") and ln.endswith("1") for ln in lines)
    assert any(ln.startswith("rows") and "8 data rows" in ln for ln in lines)
    assert any(ln.startswith("profile") and "eu-partner" in ln for ln in lines)
    email = next(ln for ln in lines if " E-Mail " in ln)
    assert "100%" in email
    assert "email 88%" in email
    assert "juergen.mueller@" in email
    assert all(len(ln) <= 100 for ln in lines)


def test_cli_inspect_json_is_the_library_result() -> None:
    code, out, _ = run("inspect", EXAMPLES / "zoom_webinar_attendees.csv", "--json")
    assert code == 0
    assert json.loads(out) == json.loads(
        json.dumps(inspect_file(EXAMPLES / "zoom_webinar_attendees.csv").as_dict())
    )
    data = json.loads(out)
    assert data["info"]["header_row"] == 12
    assert {c["name"]: c["kind"] for c in data["columns"]}["Email"] == "email"


def test_cli_inspect_hints(tmp_path: Path) -> None:
    path = tmp_path / "f.txt"
    path.write_text("a|b\nExported leads\nEmail|Phone\nann@acme.com|+1 415 555 0132\n")
    code, out, err = run("inspect", path, "--header-row", "3", "--delimiter", "|", "--json")
    assert code == 0, err
    data = json.loads(out)
    assert data["info"]["header_row"] == 3
    assert [c["name"] for c in data["columns"]] == ["Email", "Phone"]


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["inspect", "nope.csv"], "nope.csv"),
        (["inspect", str(EXAMPLES)], "examples"),
        (["inspect", str(EXAMPLES / "crm_export.csv"), "--header-row", "99"], "header row 99"),
    ],
)
def test_cli_inspect_errors_are_one_line_exit_2(args: list[str], needle: str) -> None:
    code, out, err = run(*args)
    assert code == 2
    assert out == ""
    assert err.count("\n") == 1
    assert needle in err
    assert "Traceback" not in err


@pytest.mark.slow
def test_inspect_a_million_rows_is_fast(tmp_path: Path) -> None:
    n = 1_000_000
    idx = pl.int_range(n, eager=True)
    pl.DataFrame(
        {
            "First Name": pl.Series(["Anna", "Bob", "Carlos", "Dana"]).gather(idx % 4),
            "Email": "user" + idx.cast(pl.String) + "@example.com",
            "Phone": "+1 415 555 " + (idx % 10_000).cast(pl.String).str.zfill(4),
            "Country": pl.Series(["United States", "Germany", "France"]).gather(idx % 3),
        }
    ).write_csv(tmp_path / "big.csv")
    start = time.perf_counter()
    result = inspect_file(tmp_path / "big.csv")
    assert time.perf_counter() - start < 10
    assert result.rows == n
    assert result.sampled_rows == SAMPLE_ROWS
    assert [c.kind for c in result.columns] == ["name", "email", "phone", "country"]
    email = result.column("Email")
    assert not email.distinct_exact
    assert abs(email.distinct - n) < n * 0.05
