"""Accounts and routing: lead-to-account matching, territories, the rotation, the ladder."""

from __future__ import annotations

import re
from pathlib import Path

import polars as pl
import pytest

from leadkit.handoff.accounts import (
    Accounts,
    match_accounts,
    registered_domain,
    registered_domains,
)
from leadkit.handoff.owners import Owners
from leadkit.handoff.route import Rotation, Router, Territories
from leadkit.handoff.rules import RoundRobinStep, load_rules
from leadkit.standardize import Settings, standardize


def _psl_hosts() -> list[str]:
    """The hosts of the Public Suffix List's own test cases, as publicsuffixlist ships them."""
    import publicsuffixlist

    text = (Path(publicsuffixlist.__file__).parent / "test_psl.txt").read_text(encoding="utf-8")
    hosts = re.findall(r"checkPublicSuffix\('([^'.][^']*)', ", text)
    return [*hosts, "emea.acme.com", "x.y.acme.co.uk", "foo.blogspot.com", "a.b.c.kawasaki.jp"]


@pytest.mark.parametrize("host", _psl_hosts())
def test_registered_domain_equals_the_library(host: str) -> None:
    """The set-lookup fast path gives what publicsuffixlist's own lookup gives."""
    from publicsuffixlist import PublicSuffixList

    assert registered_domain(host) == PublicSuffixList().privatesuffix(host.lower())


@pytest.mark.parametrize(
    ("host", "expected"),
    [
        ("emea.acme.com", "acme.com"),
        ("acme.co.uk", "acme.co.uk"),
        ("sales.emea.acme.co.uk", "acme.co.uk"),
        ("co.uk", None),
        ("acme.example", "acme.example"),  # an unknown TLD is public
    ],
)
def test_registered_domain(host: str, expected: str | None) -> None:
    assert registered_domain(host) == expected


def _leads(**columns: list[str] | list[str | None]) -> pl.DataFrame:
    frame = pl.DataFrame(columns, schema=dict.fromkeys(columns, pl.String))
    return standardize(frame.with_row_index("_row", offset=1), Settings())


ACCOUNTS = """\
Id,Name,Website,BillingCountry,OwnerId,Type
A1,Acme Inc,www.acme.com,US,rep-acme,Customer
A2,Acme GmbH,acme.com,DE,rep-acme-de,Prospect
B1,Blue Ridge Technologies Ltd,,GB,rep-blue,Prospect
C1,Frontier Field Group Pvt. Ltd.,,IN,rep-front,Prospect
"""


@pytest.fixture
def accounts(tmp_path: Path) -> Accounts:
    (tmp_path / "accounts.csv").write_text(ACCOUNTS)
    return Accounts.read([tmp_path / "accounts.csv"]).with_contacts(None)


@pytest.mark.parametrize(
    ("lead", "account", "how"),
    [
        ({"email": "ann@acme.com", "country": "US"}, "A1", "domain"),
        ({"email": "ann@acme.com", "country": "Germany"}, "A2", "domain"),  # country decides
        ({"email": "ann@emea.acme.com", "country": "DE"}, "A2", "domain"),  # subdomain rolls up
        (
            {"email": "ann@gmail.com", "website": "https://acme.com/x", "country": "US"},
            "A1",
            "domain",
        ),
        (
            {"email": "ann@gmail.com", "company": "ACME, Inc.", "country": "US"},
            "A1",
            "company exact",
        ),
        (
            {"email": "b@blue.io", "company": "Blue Ridge Technolgies", "country": "GB"},
            "B1",
            "company 0.98",
        ),
        (
            {"email": "b@x.io", "company": "Blue Ridge Technologies", "country": "GB"},
            "B1",
            "company exact",
        ),
        ({"email": "b@x.io", "company": "Blue Bridge Systems", "country": "GB"}, None, None),
        # a name alone across countries: the country breaks ties, it does not veto
        (
            {"email": "b@x.io", "company": "Frontier Field Group PLC", "country": "GB"},
            "C1",
            "company exact",
        ),
        (
            {"email": "b@x.io", "company": "Frontier Field Group", "country": None},
            "C1",
            "company exact",
        ),
        ({"email": "b@gmail.com", "company": "Other Co", "country": "US"}, None, None),
    ],
)
def test_lead_to_account(
    accounts: Accounts, lead: dict[str, str | None], account: str | None, how: str | None
) -> None:
    found = match_accounts(_leads(**{k: [v] for k, v in lead.items()}), accounts)
    assert found.row(0, named=True)["_account_id"] == account
    assert found.row(0, named=True)["_account_match"] == how


def test_free_mail_never_names_an_account(tmp_path: Path) -> None:
    (tmp_path / "a.csv").write_text("id,name,domain\nG,Google,gmail.com\n")
    accounts = Accounts.read([tmp_path / "a.csv"]).with_contacts(None)
    found = match_accounts(_leads(email=["ann@gmail.com"]), accounts)
    assert found["_account_id"].to_list() == [None]


def test_account_export_layouts(tmp_path: Path) -> None:
    (tmp_path / "hubspot.csv").write_text(
        "Record ID,Company name,Company Domain Name,Country/Region,Company owner,Type\n"
        "9,Acme,acme.com,United States,owner@x.com,Customer\n"
    )
    (tmp_path / "generic.csv").write_text("id,name,domain,country,owner,type\n7,Zed,zed.io,FR,o,\n")
    frame = Accounts.read([tmp_path / "hubspot.csv", tmp_path / "generic.csv"]).frame
    assert frame.select("_account_id", "domain", "country", "_account_owner").rows() == [
        ("9", "acme.com", "US", "owner@x.com"),
        ("7", "zed.io", "FR", "o"),
    ]


def test_contacts_break_a_tie(tmp_path: Path) -> None:
    (tmp_path / "a.csv").write_text("id,name,domain\nX1,Acme,acme.com\nX2,Acme Corp,acme.com\n")
    crm = _leads(email=["a@acme.com", "b@acme.com"], company=["Acme Corp", "Acme Corp"])
    accounts = Accounts.read([tmp_path / "a.csv"])
    # The CRM's contacts are counted by the same rules: both land on X1 (file order) ...
    counted = accounts.with_contacts(crm).frame
    assert dict(counted.select("_account_id", "contacts").rows()) == {"X1": 2, "X2": 0}


TERRITORIES = """\
country,state,postal_prefix,owner
US,,,rep-us
US,CA,,rep-ca
US,CA,94,rep-bay
DE,,,rep-de
"""


@pytest.mark.parametrize(
    ("lead", "owner", "territory"),
    [
        ({"country": "US", "state": "CA", "postal_code": "94105"}, "rep-bay", "US/CA/94"),
        ({"country": "US", "state": "California", "postal_code": "90210"}, "rep-ca", "US/CA"),
        ({"country": "USA", "state": "NY"}, "rep-us", "US"),
        ({"country": "Deutschland"}, "rep-de", "DE"),
        ({"country": "FR"}, None, None),
    ],
)
def test_territories_most_specific_wins(
    tmp_path: Path, lead: dict[str, str], owner: str | None, territory: str | None
) -> None:
    (tmp_path / "t.csv").write_text(TERRITORIES)
    found = Territories.read(tmp_path / "t.csv").owners(_leads(**{k: [v] for k, v in lead.items()}))
    assert found.row(0) == (owner, territory)


def test_rotation_is_even_and_idempotent(tmp_path: Path) -> None:
    state = tmp_path / "rr.json"
    rotation = Rotation(RoundRobinStep(pool=["a", "b", "c"]), state)
    first = rotation.assign(4, "file-1")
    assert first == ["a", "b", "c", "a"]
    assert rotation.assign(4, "file-1") == first  # the same input again: same owners
    assert rotation.assign(2, "file-2") == ["b", "c"]  # the rotation went on from where it was
    assert Rotation(RoundRobinStep(pool=["a", "b", "c"]), state).assign(1, "file-3") == ["a"]


def test_rotation_weights_and_caps(tmp_path: Path) -> None:
    step = RoundRobinStep(pool=["a", "b"], weights={"a": 2}, caps={"b": 1})
    assert Rotation(step, tmp_path / "rr.json").assign(5, "f") == ["a", "a", "b", "a", "a"]
    capped = RoundRobinStep(pool=["a", "b"], caps={"a": 1, "b": 1})
    assert Rotation(capped, tmp_path / "rr2.json").assign(3, "f") == ["a", "b", None]


def test_the_ladder(tmp_path: Path) -> None:
    (tmp_path / "t.csv").write_text(TERRITORIES)
    (tmp_path / "rules.yaml").write_text(
        "routing:\n"
        "  - existing_owner\n"
        "  - account_owner: {types: [Customer]}\n"
        "  - territories: t.csv\n"
        "  - round_robin: [r1, r2]\n"
        "  - default: queue\n"
    )
    router = Router(load_rules(tmp_path / "rules.yaml"))
    leads = _leads(
        country=["US", "US", "FR", "FR", "FR", "FR"], state=["CA", "CA", None, None, None, None]
    )
    leads = leads.with_columns(
        pl.Series("_existing_owner", ["crm-rep", None, None, None, None, None]),
        pl.Series("_account_owner", [None, "acct-rep", "cust-rep", None, None, None]),
        pl.Series("_account_type", [None, "Prospect", "Customer", None, None, None]),
        pl.Series("_account_id", [None, "P1", "C1", "Z9", "Z9", None]),
    )
    routed = router.route(leads, "sha")
    assert routed.rows() == [
        ("crm-rep", "existing_owner"),
        ("rep-ca", "territory US/CA"),  # a prospect's owner does not take it: only customers
        ("cust-rep", "account_owner"),
        ("r1", "round_robin"),
        ("r1", "round_robin"),  # a colleague at the same account: the same rep
        ("r2", "round_robin"),
    ]


def test_registered_domains_column_equals_the_per_value_rule() -> None:
    hosts = [*_psl_hosts(), "A.Example.COM", "x.y.z.w.v.acme.com", "www.ck", "a.b.ck", None]
    column = registered_domains(pl.Series(hosts, dtype=pl.String)).to_list()
    assert column == [registered_domain(h) if h else None for h in hosts]


OWNERS = "id,email,name\n005A,ann@x.com,Ann Lee\n005B,bob@x.com,Bob Roe\n"


@pytest.mark.parametrize(
    ("target", "owners", "expected"),
    [
        (
            "salesforce",
            ["Ann Lee", "bob@x.com", "005A", "Cy Unknown", None],
            ["005A", "005B", "005A", "Cy Unknown", None],
        ),
        ("hubspot", ["Ann Lee", "bob@x.com", "005A"], ["ann@x.com", "bob@x.com", "ann@x.com"]),
        ("marketo", ["  ann LEE "], ["ann@x.com"]),
    ],
)
def test_owners_in_the_targets_form(
    tmp_path: Path, target: str, owners: list[str | None], expected: list[str | None]
) -> None:
    (tmp_path / "owners.csv").write_text(OWNERS)
    table = Owners.read(tmp_path / "owners.csv")
    assert table.in_form(pl.Series(owners, dtype=pl.String), target).to_list() == expected


def test_rules_check_finds_an_owner_the_owners_file_lacks(tmp_path: Path) -> None:
    from leadkit.handoff.check import check_rules_file

    (tmp_path / "owners.csv").write_text(OWNERS)
    (tmp_path / "t.csv").write_text("country,state,owner\nUS,,Ann Lee\nDE,,Dee Dee\n")
    (tmp_path / "rules.yaml").write_text(
        "owners: owners.csv\nrouting:\n  - territories: t.csv\n"
        "  - round_robin: [ann@x.com, 005C]\n  - default: Bob Roe\n"
    )
    problems = [str(p) for p in check_rules_file(tmp_path / "rules.yaml").problems]
    assert [p.split(": ", 1)[1] for p in problems] == [
        "unknown-owner: owner 'Dee Dee' is not in owners.csv (by id, email or name)",
        "unknown-owner: owner '005C' is not in owners.csv (by id, email or name)",
    ]
