"""Optional outputs: the issues file, flag columns, and the email deliverability check."""

from __future__ import annotations

from pathlib import Path

import dns.resolver
import polars as pl
import pytest

from leadkit.mapping import LoadedMapping, parse_mapping
from leadkit.normalizers.email import check_deliverability, domain_accepts_mail
from leadkit.pipeline import Options, normalize

CSV = (
    "Email,First,Last,Company,Phone,Country\n"
    "ann@acme.com,Ann,Lee,Acme,+1 415 555 0100,US\n"
    "info@gmial.com,Bob,Kim,Beta,call me,US\n"
    "bad@@x.com,Cy,Fox,Gamma,,Atlantis\n"
)
BASE = "columns:\n  email: Email\n  first_name: First\n  last_name: Last\n  company: Company\n  phone: Phone\n  country: Country\n"


def mapping(extra: str = "") -> LoadedMapping:
    return LoadedMapping(
        spec=parse_mapping("target: salesforce\n" + BASE + extra),
        name="t",
        path=None,
        sha256="0" * 64,
    )


@pytest.fixture
def leads(tmp_path: Path) -> Path:
    path = tmp_path / "leads.csv"
    path.write_text(CSV)
    return path


def test_issues_file_has_one_record_per_problem(leads: Path, tmp_path: Path) -> None:
    (result,) = normalize([leads], mapping(), tmp_path / "out", options=Options(issues=True))
    issues = pl.read_csv(result.outputs["issues"], infer_schema=False)
    got = set(issues.select("_row", "field", "code", "value").iter_rows())
    assert got == {
        ("2", "phone", "phone_not_a_number", "call me"),  # (N/A is a placeholder: blank)
        ("2", "email", "email_role", "info@gmial.com"),
        ("2", "email", "email_disposable", "info@gmial.com"),
        ("2", "email", "email_typo", "info@gmial.com"),
        ("3", "email", "email_invalid", "bad@@x.com"),
        ("3", "country", "country_unknown", "Atlantis"),
    }
    typo = issues.filter(pl.col("code") == "email_typo")["detail"][0]
    assert typo == "info@gmail.com"


def test_no_issues_file_unless_asked(leads: Path, tmp_path: Path) -> None:
    (result,) = normalize([leads], mapping(), tmp_path / "out")
    assert "issues" not in result.outputs
    assert not list((tmp_path / "out").glob("*.issues.csv"))


def test_flag_columns_on_request(leads: Path, tmp_path: Path) -> None:
    (result,) = normalize([leads], mapping("flag_columns: true\n"), tmp_path / "out")
    imported = pl.read_csv(result.outputs["import"], infer_schema=False)
    assert imported.columns[-5:] == [
        "_email_role",
        "_email_free",
        "_email_disposable",
        "_email_suggestion",
        "_phone_type",
    ]
    assert (
        imported.filter(pl.col("Email") == "ann@acme.com")["_phone_type"][0]
        == "fixed_line_or_mobile"
    )
    plain = pl.read_csv(
        normalize([leads], mapping(), tmp_path / "o2")[0].outputs["import"], infer_schema=False
    )
    assert not [c for c in plain.columns if c.startswith("_email")]


def test_deliverability_marks_dead_domains(
    leads: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    asked: list[str] = []

    def fake(domain: str) -> bool | None:
        asked.append(domain)
        return domain != "acme.com"

    monkeypatch.setattr(
        "leadkit.standardize.check_deliverability", lambda ds: check_deliverability(ds, fake)
    )
    (result,) = normalize(
        [leads], mapping(), tmp_path / "out", options=Options(check_deliverability=True)
    )
    assert result.report["issues"]["email"]["email_undeliverable"] == 1
    assert sorted(asked) == ["acme.com", "gmial.com"]  # each valid domain once; invalid ones never


def test_deliverability_is_off_by_default(
    leads: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def boom(ds: list[str]) -> set[str]:
        raise AssertionError("DNS must not be used unless asked")

    monkeypatch.setattr("leadkit.standardize.check_deliverability", boom)
    normalize([leads], mapping(), tmp_path / "out")


class _Resolver:
    def __init__(self, error: type[Exception]) -> None:
        self.error = error

    def resolve(self, *args: object, **kwargs: object) -> object:
        raise self.error()


@pytest.mark.parametrize(
    ("error", "expected"),
    [(dns.resolver.NXDOMAIN, False), (dns.resolver.NoNameservers, None), (RuntimeError, None)],
)
def test_domain_accepts_mail_never_guesses_undeliverable(
    error: type[Exception], expected: bool | None
) -> None:
    assert domain_accepts_mail("example.invalid", resolver=_Resolver(error)) is expected


def test_check_deliverability_looks_each_domain_up_once() -> None:
    seen: list[str] = []

    def accepts(domain: str) -> bool:
        seen.append(domain)
        return domain == "a.com"

    dead = check_deliverability(["a.com", "b.com", "a.com"], accepts)
    assert sorted(seen) == ["a.com", "b.com"]
    assert dead == {"b.com"}
