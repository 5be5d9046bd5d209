"""Properties of a run with a rules file, over generated partner files (Hypothesis).

A file is drawn from a small pool of people (so repeats happen, with the email's case and
spaces changed), some of them in the CRM export (with an owner), some on the opt-out list,
some on the hashed erasure list, some at a competitor, some at a known account. The run
has the whole ladder, ending with `default`. Whatever the file:

- every row lands in exactly one of the six files (import, updates, review, duplicates,
  rejects, suppressed), so a suppressed row is in no other file;
- every kept row (import, updates, review) has exactly one owner and a route; a repeat
  (duplicates) carries its kept row's owner;
- an erased person's email and names appear in no byte of any file written (outputs,
  report, issues file).
"""

from __future__ import annotations

import csv
import hashlib
import string
from dataclasses import dataclass
from pathlib import Path
from tempfile import TemporaryDirectory

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from leadkit.handoff.rules import load_rules
from leadkit.mapping import load_mapping
from leadkit.pipeline import Options, normalize

SIX = ("import", "updates", "review", "duplicates", "rejects", "suppressed")
KEPT = ("import", "updates", "review")
COUNTRIES = [("US", "CA"), ("US", "NY"), ("DE", ""), ("GB", ""), ("JP", ""), ("BR", "")]
ACCOUNTS = [  # domain, company, owner, type
    ("acme.com", "Acme Inc", "acct-owner-1", "Customer"),
    ("globex.de", "Globex GmbH", "acct-owner-2", "Prospect"),
    ("initech.co.uk", "Initech Ltd", "acct-owner-3", "Customer"),
]
DOMAINS = [a[0] for a in ACCOUNTS] + ["gmail.com", "rival.io", "sub.rival.io", "umbrella.fr"]
POOL = 16
# Every person's names are unique, fixed-length tokens: a name found in an output is theirs.
CODES = [a + b for a in string.ascii_uppercase[:8] for b in string.ascii_lowercase[:2]]


@dataclass(frozen=True)
class Person:
    first: str
    last: str
    email: str
    company: str
    country: str
    state: str


def _person(i: int, domain: int, place: int) -> Person:
    dom = DOMAINS[domain]
    company = next((a[1] for a in ACCOUNTS if a[0] == dom), f"Company{CODES[i]}x")
    country, state = COUNTRIES[place]
    return Person(
        f"Fq{CODES[i]}zz", f"Lq{CODES[i]}ww", f"p{i}q{CODES[i]}@{dom}", company, country, state
    )


people = st.builds(
    lambda doms, places: [
        _person(i, d, p) for i, (d, p) in enumerate(zip(doms, places, strict=True))
    ],
    st.lists(st.integers(0, len(DOMAINS) - 1), min_size=POOL, max_size=POOL),
    st.lists(st.integers(0, len(COUNTRIES) - 1), min_size=POOL, max_size=POOL),
)
roles = st.lists(  # per person: in CRM (with owner or not), opted out, erased
    st.tuples(st.sampled_from(["none", "crm", "crm-owned"]), st.booleans(), st.booleans()),
    min_size=POOL,
    max_size=POOL,
)
rows = st.lists(
    st.tuples(
        st.integers(0, POOL - 1),
        st.sampled_from(["", "upper", "spaces", "bad"]),  # how the email is written
    ),
    min_size=1,
    max_size=40,
)


def _email(p: Person, how: str) -> str:
    if how == "upper":
        return p.email.upper()
    if how == "spaces":
        return f"  {p.email} "
    if how == "bad":
        return p.email.replace("@", "@@")  # a reject, whoever it is
    return p.email


def _write(path: Path, header: list[str], data: list[list[str]]) -> None:
    with open(path, "w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(header)
        w.writerows(data)


def _setup(
    folder: Path, pool: list[Person], role: list[tuple[str, bool, bool]]
) -> tuple[Path, Path, Path, Path]:
    crm = folder / "crm.csv"
    _write(
        crm,
        ["Id", "FirstName", "LastName", "Email", "Company", "Country", "OwnerId"],
        [
            [f"00Q{i:05d}", p.first, p.last, p.email, p.company, p.country]
            + ([f"crm-owner-{i % 3}"] if r[0] == "crm-owned" else [""])
            for i, (p, r) in enumerate(zip(pool, role, strict=True))
            if r[0] != "none"
        ]
        + [["00Q99999", "Keep", "Some", "keep.some@acme.com", "Acme Inc", "US", "crm-owner-9"]],
    )
    accounts = folder / "accounts.csv"
    _write(
        accounts,
        ["Id", "Name", "Website", "BillingCountry", "OwnerId", "Type"],
        [
            [f"001A{i}", name, dom, "US", owner, kind]
            for i, (dom, name, owner, kind) in enumerate(ACCOUNTS)
        ],
    )
    optouts = [p.email for p, r in zip(pool, role, strict=True) if r[1]] or [
        "nobody@nowhere.example"
    ]
    _write(folder / "optouts.csv", ["email"], [[e] for e in optouts])
    erased = [
        hashlib.sha256(p.email.lower().encode()).hexdigest()
        for p, r in zip(pool, role, strict=True)
        if r[2]
    ] or ["0" * 64]
    _write(folder / "erasures.csv", ["email_sha256"], [[h] for h in erased])
    _write(folder / "competitors.csv", ["domain"], [["rival.io"]])
    _write(
        folder / "territories.csv",
        ["country", "state", "owner"],
        [["US", "CA", "west"], ["DE", "", "dach"]],
    )
    rules = folder / "rules.yaml"
    rules.write_text(
        "suppress:\n"
        "  - {file: optouts.csv, reason: optout}\n"
        "  - {file: erasures.csv, reason: erasure}\n"
        "  - {file: competitors.csv, reason: competitor}\n"
        "routing:\n"
        "  - existing_owner\n"
        "  - account_owner: {types: [Customer]}\n"
        "  - territories: territories.csv\n"
        "  - round_robin: {pool: [rr-1, rr-2], caps: {rr-1: 2}, state: rotation.json}\n"
        "  - default: queue\n"
    )
    mapping = folder / "m.yaml"
    mapping.write_text(
        "target: generic\ncolumns:\n  first_name: First\n  last_name: Last\n  email: Email\n"
        "  company: Company\n  country: Country\n  state: State\n"
    )
    return crm, accounts, rules, mapping


def _read(path: Path) -> list[dict[str, str]]:
    with open(path, newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


_QUIET = [HealthCheck.too_slow, HealthCheck.data_too_large]


@settings(max_examples=8, deadline=None, suppress_health_check=_QUIET)
@given(pool=people, role=roles, picks=rows)
def test_handoff_properties(
    pool: list[Person], role: list[tuple[str, bool, bool]], picks: list[tuple[int, str]]
) -> None:
    """A few examples on every run (each is a whole run of the pipeline)."""
    _holds(pool, role, picks)


@pytest.mark.slow
@settings(max_examples=150, deadline=None, suppress_health_check=_QUIET)
@given(pool=people, role=roles, picks=rows)
def test_handoff_properties_at_length(
    pool: list[Person], role: list[tuple[str, bool, bool]], picks: list[tuple[int, str]]
) -> None:
    _holds(pool, role, picks)


def _holds(
    pool: list[Person], role: list[tuple[str, bool, bool]], picks: list[tuple[int, str]]
) -> None:
    with TemporaryDirectory() as tmp:
        folder = Path(tmp)
        crm, accounts, rules, mapping = _setup(folder, pool, role)
        src = folder / "leads.csv"
        _write(
            src,
            ["First", "Last", "Email", "Company", "Country", "State"],
            [
                [p.first, p.last, _email(p, how), p.company, p.country, p.state]
                for p, how in ((pool[i], how) for i, how in picks)
            ],
        )
        out = folder / "out"
        (result,) = normalize(
            [src],
            load_mapping(mapping),
            out,
            existing=[crm],
            accounts=[accounts],
            rules=load_rules(rules),
            options=Options(trace=True, issues=True),
        )
        files = {k: _read(out / f"leads.{k}.csv") for k in SIX}

        # every row in exactly one of the six files
        placed = sorted(int(r["_row"]) for k in SIX for r in files[k])
        assert placed == list(range(1, len(picks) + 1))

        # one owner per kept row; repeats take their kept row's owner
        owner_of = {}
        for k in KEPT:
            for r in files[k]:
                assert r["owner"], (k, r["_row"])
                assert r["_route"].split(" ")[0] in {
                    "existing_owner",
                    "account_owner",
                    "territory",
                    "round_robin",
                    "default",
                }
                owner_of[r["_row"]] = r["owner"]
        for r in files["duplicates"]:
            if r["_duplicate_of"] in owner_of:
                assert r["owner"] == owner_of[r["_duplicate_of"]], r["_row"]

        # suppressed rows: the list's people, and only them (rejects stay rejects)
        for r in files["suppressed"]:
            _, how = picks[int(r["_row"]) - 1]
            assert how != "bad"
            assert r["_suppressed"] in {"optout", "erasure", "competitor"}

        # an erased person is in no byte written (unless a row of theirs was a reject: an
        # address that is not one cannot be recognized, and a reject stays a reject)
        unreadable = {i for i, how in picks if how == "bad"}
        erased = [
            p
            for i, (p, r) in enumerate(zip(pool, role, strict=True))
            if r[2] and i not in unreadable
        ]
        for path in out.iterdir():
            data = path.read_bytes().lower()
            for p in erased:
                for needle in (p.email, p.email.split("@")[0], p.first, p.last):
                    assert needle.lower().encode() not in data, (path.name, needle)
        assert set(result.outputs) >= {"issues", "report", "suppressed"}
