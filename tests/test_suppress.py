"""Suppression lists: canonical forms, subdomains, precedence, and recall on the bench."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import polars as pl
import pytest

from leadkit.errors import InputError
from leadkit.handoff.rules import load_rules
from leadkit.handoff.suppress import canonical, email_sha256, load_lists, read_list, suppressed
from leadkit.mapping import load_mapping
from leadkit.pipeline import Job
from leadkit.read import read_table
from leadkit.remap import remap
from leadkit.standardize import Settings, standardize
from leadkit.validate import ERRORS, validate

BENCH = Path(__file__).resolve().parents[2] / "shared" / "bench"


@pytest.mark.parametrize(
    ("kind", "raw", "expected"),
    [
        ("email", "  Ann@Example.COM ", "ann@example.com"),
        ("email", "MAILTO:ann@example.com", "ann@example.com"),
        ("email", "not an email", None),
        ("email_sha256", email_sha256("ann@example.com").upper(), email_sha256("ann@example.com")),
        ("email_sha256", "abc123", None),  # not a digest: never matches anything
        ("domain", "https://www.Acme.com/about", "acme.com"),
        ("domain", "acme.co.uk", "acme.co.uk"),
        ("phone", "+1 (415) 555-0123", "+14155550123"),
        ("phone", "+1 415 555 0123 ext. 12", "+14155550123"),
        ("company", "ACME, Inc.", "acme"),
        ("company", "The Acme Corporation", "acme"),
    ],
)
def test_list_values_in_canonical_form(kind: str, raw: str, expected: str | None) -> None:
    values = canonical(kind, pl.Series([raw], dtype=pl.String)).to_list()
    assert values == ([expected] if expected else [])


def test_email_sha256_is_of_the_trimmed_lowercased_address() -> None:
    import hashlib

    assert email_sha256("  Ann@Example.com ") == hashlib.sha256(b"ann@example.com").hexdigest()


def _leads(**columns: list[str]) -> pl.DataFrame:
    frame = pl.DataFrame(columns, schema=dict.fromkeys(columns, pl.String))
    return standardize(frame.with_row_index("_row", offset=1), Settings())


def _list(tmp_path: Path, name: str, text: str, reason: str) -> list[object]:
    path = tmp_path / name
    path.write_text(text)
    return read_list(path, reason)  # type: ignore[return-value]


@pytest.mark.parametrize(
    ("list_text", "lead", "hit"),
    [
        ("email\nANN@x.com\n", {"email": "ann@X.com"}, True),
        ("email\nann@x.com\n", {"email": "bob@x.com"}, False),
        (f"email_sha256\n{email_sha256('ann@x.com')}\n", {"email": " Ann@X.com"}, True),
        ("domain\nacme.com\n", {"email": "a@acme.com"}, True),
        ("domain\nacme.com\n", {"email": "a@emea.acme.com"}, True),  # subdomains too
        ("domain\nacme.com\n", {"email": "a@notacme.com"}, False),  # a suffix is not a parent
        ("domain\nacme.com\n", {"email": "a@gmail.com", "website": "www.acme.com"}, True),
        ("domain\nemea.acme.com\n", {"email": "a@acme.com"}, False),  # never upwards
        ("phone\n+44 20 7946 0123\n", {"phone": "+442079460123 ext 4"}, True),
        (
            "phone\n+442079460123\n",
            {"phone": "+1 415 555 0100", "mobile_phone": "+44 20 7946 0123"},
            True,
        ),
        ("company\nAcme Inc\n", {"company": "ACME Incorporated"}, True),
        ("company\nAcme Inc\n", {"company": "Acme Labs"}, False),
    ],
)
def test_a_row_on_a_list(tmp_path: Path, list_text: str, lead: dict[str, str], hit: bool) -> None:
    lists = _list(tmp_path, "l.csv", list_text, "optout")
    leads = _leads(**{k: [v] for k, v in lead.items()})
    assert suppressed(leads, lists).to_list() == (["optout"] if hit else [None])  # type: ignore[arg-type]


def test_erasure_wins_then_file_order(tmp_path: Path) -> None:
    (tmp_path / "o.csv").write_text("email\nann@x.com\nbob@x.com\n")
    (tmp_path / "c.csv").write_text("domain\nx.com\n")
    (tmp_path / "e.csv").write_text(f"email_sha256\n{email_sha256('ann@x.com')}\n")
    (tmp_path / "rules.yaml").write_text(
        "suppress:\n"
        "  - {file: o.csv, reason: optout}\n"
        "  - {file: c.csv, reason: competitor}\n"
        "  - {file: e.csv, reason: erasure}\n"
    )
    lists = load_lists(load_rules(tmp_path / "rules.yaml"))
    leads = _leads(email=["ann@x.com", "bob@x.com", "cy@x.com", "dee@y.com"])
    assert suppressed(leads, lists).to_list() == ["erasure", "optout", "competitor", None]


def test_a_list_may_be_a_workbook_with_a_title_row(tmp_path: Path) -> None:
    xlsxwriter = pytest.importorskip("xlsxwriter")
    path = tmp_path / "optouts.xlsx"
    book = xlsxwriter.Workbook(path)
    sheet = book.add_worksheet()
    sheet.write_row(0, 0, ["Opt-outs exported 2026-12-01"])
    sheet.write_row(2, 0, ["Email", "Date"])
    sheet.write_row(3, 0, ["Ann@X.com", "2026-11-30"])
    book.close()
    [entry] = read_list(path, "optout")
    assert entry.kind == "email"
    assert entry.values.to_list() == ["ann@x.com"]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("name,reason\nAnn,asked\n", "no header row with .email. / .email_sha256."),
        ("", "l.csv"),
    ],
)
def test_a_list_without_a_known_column_is_one_clear_line(
    tmp_path: Path, text: str, message: str
) -> None:
    (tmp_path / "l.csv").write_text(text)
    with pytest.raises(InputError, match=message):
        read_list(tmp_path / "l.csv", "optout")


def test_missing_list_file_is_one_clear_line(tmp_path: Path) -> None:
    with pytest.raises(InputError, match=r"missing\.csv"):
        read_list(tmp_path / "missing.csv", "optout")


@pytest.fixture(scope="module")
def handoff(tmp_path_factory: pytest.TempPathFactory) -> Path:
    if not (BENCH / "make_leads.py").exists():
        pytest.skip("../shared/bench is not beside the checkout")
    out = tmp_path_factory.mktemp("handoff")
    subprocess.run(
        [
            *(sys.executable, str(BENCH / "make_leads.py"), "--rows", "4000"),
            *("--existing", "3000", "--seed", "3", "--out", str(out), "--handoff", "--quiet"),
        ],
        check=True,
    )
    return out


def test_bench_lists_find_every_listed_row(handoff: Path) -> None:
    """Every kept row the truth suppresses is found, with its reason, and no other row;
    repeats of a suppressed row are the pipeline's (they carry their kept row's reason)."""
    lists = load_lists(load_rules(handoff / "rules.yaml"))
    job = Job(load_mapping(handoff / "mapping.yaml"))
    table = read_table(handoff / "partner.csv", expected_headers=job.spec.source_headers())
    leads = validate(standardize(remap(table, job.spec), job.settings), job.rules)
    truth = pl.read_csv(handoff / "truth.csv", infer_schema=False)
    found = leads.select("_row", ERRORS).with_columns(suppressed(leads, lists))
    both = found.with_columns(truth["suppressed"], truth["expected"]).filter(
        pl.col("expected").is_in(["import", "update"])
    )
    assert both["suppressed"].null_count() < both.height  # the set has suppressed rows
    assert both["_suppressed"].to_list() == both["suppressed"].to_list()
