"""Matching: one test per rung of the rule ladder, the colleague and giant-block guards,
ties, determinism, within-file duplicates, and the blocking machinery against brute force.
Frames are built here directly, in the shape `standardize` gives them (company keys from the
real company normalizer)."""

from __future__ import annotations

import random
import re
import time
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl
import pytest

from leadkit.existing import load_existing
from leadkit.match import MatchSettings, find_duplicates, match_existing
from leadkit.nicknames import same_name
from leadkit.normalizers.company import company_key

SETTINGS = MatchSettings()
FREE = {"gmail.com", "yahoo.com", "outlook.com", "hotmail.com"}
FIELDS = (
    "email",
    "first_name",
    "last_name",
    "company",
    "phone",
    "mobile_phone",
    "country",
    "city",
    "postal_code",
)


def _frame(rows: list[dict[str, Any]]) -> pl.DataFrame:
    data: dict[str, list[Any]] = {f: [r.get(f) for r in rows] for f in FIELDS}
    data["email_domain"] = [e.split("@")[1] if e else None for e in data["email"]]
    data["email_free"] = [d in FREE if d else None for d in data["email_domain"]]
    data["company_key"] = [company_key(c) if c else None for c in data["company"]]
    schema = {k: pl.Boolean if k == "email_free" else pl.String for k in data}
    return pl.DataFrame(data, schema=schema)


def leads(*rows: dict[str, Any]) -> pl.DataFrame:
    """Leads in file order: `_idx` 0, 1, 2..."""
    return _frame(list(rows)).with_row_index("_idx")


def crm(*rows: dict[str, Any]) -> pl.DataFrame:
    """CRM records: each row names its `id` (and may name its `owner`)."""
    return _frame(list(rows)).with_columns(
        pl.Series("_crm_id", [r["id"] for r in rows], dtype=pl.String),
        pl.Series("_owner", [r.get("owner") for r in rows], dtype=pl.String),
    )


def person(**kw: Any) -> dict[str, Any]:
    base = {
        "first_name": "Robert",
        "last_name": "Fischer",
        "email": "robert.fischer@acme.com",
        "company": "Acme Inc.",
        "phone": "+14155550123",
        "country": "US",
        "city": "San Francisco",
    }
    base.update(kw)
    return base


def one(result: pl.DataFrame) -> dict[str, Any]:
    assert result.height == 1, result
    return result.row(0, named=True)


# -- the ladder ---------------------------------------------------------------------------


def test_email_exact_is_an_update() -> None:
    got = one(
        match_existing(
            leads(person(first_name="Bob", phone=None, company="Other Co")),
            crm(person(id="C1", owner="005A", phone="+16505550999")),
            SETTINGS,
        )
    )
    assert got == {
        "_idx": 0,
        "_match_id": "C1",
        "_match_score": 1.0,
        "_match_reason": "email exact",
        "_match_outcome": "update",
        "_match_owner": "005A",
    }


def test_email_exact_with_another_person_behind_it_is_review() -> None:
    # a shared inbox: first and last names both differ
    got = one(
        match_existing(
            leads(person(first_name="Alice", last_name="Nguyen", email="info@acme.com")),
            crm(person(id="C1", email="info@acme.com")),
            SETTINGS,
        )
    )
    assert got["_match_outcome"] == "review"
    assert got["_match_reason"].startswith("email exact + name differs")


def test_phone_and_similar_name_is_an_update() -> None:
    # another address, a typo in the last name, an extension on the CRM phone
    got = one(
        match_existing(
            leads(person(last_name="Fisher", email="rfischer@gmail.com", company=None)),
            crm(person(id="C1", phone="+14155550123 x204")),
            SETTINGS,
        )
    )
    assert got["_match_outcome"] == "update"
    assert got["_match_id"] == "C1"
    assert re.fullmatch(r"phone exact \+ name 0\.\d\d( \+ .*)?", got["_match_reason"])
    assert SETTINGS.auto <= got["_match_score"] < 1.0


def test_phone_and_name_reason_reads_like_the_issue() -> None:
    got = one(
        match_existing(
            leads(person(last_name="Fisher", email="rf@gmail.com", company="Acme Intl")),
            crm(person(id="C1", email=None)),
            SETTINGS,
        )
    )
    assert re.fullmatch(r"phone exact \+ name 0\.\d\d \+ company 0\.\d\d", got["_match_reason"])


def test_name_and_company_key_is_an_update() -> None:
    # no email or phone in common; "Acme, Inc." and "ACME CORPORATION" share the key "acme"
    got = one(
        match_existing(
            leads(person(company="ACME CORPORATION", email="robert.fischer@gmail.com", phone=None)),
            crm(person(id="C1", company="Acme, Inc.", email=None)),
            SETTINGS,
        )
    )
    assert got["_match_outcome"] == "update"
    assert got["_match_reason"] == "name 1.00 + company exact"


def test_name_and_corporate_domain_is_an_update() -> None:
    # the same address at another spelling of the company's domain, company not given
    got = one(
        match_existing(
            leads(person(email="robert.fischer@acme.co.uk", company=None, phone=None)),
            crm(person(id="C1", company=None, phone=None)),
            SETTINGS,
        )
    )
    assert got["_match_outcome"] == "update"
    assert got["_match_reason"] == "name 1.00 + email domain 0.95"


def test_name_and_company_with_another_address_is_review() -> None:
    # one thing speaks against the pair: two addresses at one company
    got = one(
        match_existing(
            leads(person(email="rfischer@acme.com", phone=None)),
            crm(person(id="C1", phone=None)),
            SETTINGS,
        )
    )
    assert got["_match_outcome"] == "review"
    assert got["_match_reason"] == "name 1.00 + company exact + other email"


def test_name_and_company_with_two_things_against_is_no_match() -> None:
    # another phone and another city too: a namesake at a big company
    assert match_existing(
        leads(person(email="rfischer@acme.com", phone="+12125550111", city="New York")),
        crm(person(id="C1")),
        SETTINGS,
    ).is_empty()


@pytest.mark.parametrize(
    ("lead_first", "crm_first"),
    [
        ("Bob", "Robert"),
        ("Bill", "William"),
        ("Liz", "Elizabeth"),
        ("Dick", "Richard"),
        ("Peggy", "Margaret"),
        ("Jim", "James"),
        ("Kate", "Katherine"),
    ],
)
def test_nickname_matches(lead_first: str, crm_first: str) -> None:
    got = one(
        match_existing(
            leads(person(first_name=lead_first, email=f"{lead_first.lower()}@gmail.com")),
            crm(person(id="C1", first_name=crm_first, email=None)),
            SETTINGS,
        )
    )
    assert got["_match_outcome"] == "update"
    assert "(nickname)" in got["_match_reason"]


def test_nickname_table_is_not_transitive() -> None:
    assert same_name("pat", "patricia")
    assert same_name("pat", "patrick")
    assert not same_name("patrick", "patricia")


def test_name_typo_and_company_suffix_variant_matches() -> None:
    # "Siddiqoi" for "Siddiqui", "TERRAPATH" for "Terrapath LLC"; no email, no phone in common
    got = one(
        match_existing(
            leads(
                person(
                    first_name="XIN",
                    last_name="SIDDIQOI",
                    company="TERRAPATH",
                    email="xin.siddiqui@terrapath.org",
                    phone=None,
                )
            ),
            crm(
                person(
                    id="C1",
                    first_name="Xin",
                    last_name="Siddiqui",
                    company="Terrapath LLC",
                    email="xin_siddiqui@terrapath.com",
                    phone=None,
                )
            ),
            SETTINGS,
        )
    )
    assert got["_match_outcome"] == "update"
    assert got["_match_reason"].startswith("name 0.9")
    assert "company exact" in got["_match_reason"]


def test_accents_case_and_mojibake_do_not_hide_a_match() -> None:
    got = one(
        match_existing(
            leads(person(first_name="JosÃ©", last_name="MÜLLER", email="jm@gmail.com")),
            crm(person(id="C1", first_name="José", last_name="Muller", email=None)),
            SETTINGS,
        )
    )
    assert got["_match_reason"].startswith("phone exact + name 1.00")


# -- colleagues and giant blocks ------------------------------------------------------------


def test_colleague_is_not_a_match() -> None:
    # same surname and company, another first name and another email
    lead = person(first_name="Hamish", email="hamish.fischer@acme.com", phone="+14155550777")
    assert match_existing(leads(lead), crm(person(id="C1")), SETTINGS).is_empty()


def test_colleague_on_the_switchboard_is_not_a_match() -> None:
    lead = person(first_name="Hamish", email="hamish.fischer@acme.com")  # the same phone
    assert match_existing(leads(lead), crm(person(id="C1")), SETTINGS).is_empty()
    assert find_duplicates(leads(person(), lead), SETTINGS).is_empty()


@pytest.mark.parametrize(("lead_first", "crm_first"), [("Neha", "Sneha"), ("Brigitte", "Birgit")])
def test_colleague_with_a_similar_name_is_not_a_match(lead_first: str, crm_first: str) -> None:
    # a one-letter difference in the first letter is a different name, not a typo
    lead = person(first_name=lead_first, email=f"{lead_first.lower()}.fischer@acme.com")
    record = crm(person(id="C1", first_name=crm_first, email=None))
    assert match_existing(leads(lead), record, SETTINGS).is_empty()


def test_close_first_name_with_another_address_goes_to_review() -> None:
    # Jan or Jana? A typo or a colleague: a person decides
    lead = person(first_name="Jana", email="jana.fischer@acme.com")
    got = one(
        match_existing(
            leads(lead),
            crm(person(id="C1", first_name="Jan", email="jan.fischer@acme.com")),
            SETTINGS,
        )
    )
    assert got["_match_outcome"] == "review"


def _names(n: int) -> list[str]:
    """n distinct made-up first names."""
    syllables = [
        "ka",
        "lo",
        "mi",
        "ra",
        "te",
        "su",
        "no",
        "vi",
        "da",
        "ne",
        "po",
        "ri",
        "ba",
        "fe",
        "gu",
        "ho",
        "ja",
        "ze",
    ]
    names = sorted({a + b + c for a in syllables for b in syllables for c in syllables})
    return [n.capitalize() for n in random.Random(4).sample(names, n)]


def test_giant_switchboard_block_is_fast_and_matches_nobody() -> None:
    # 5,000 colleagues: one switchboard number, one common surname, one company
    firsts = _names(5000)
    rows = [
        {
            "first_name": f,
            "last_name": "Smith",
            "email": f"{f.lower()}.smith@bigco.com",
            "company": "BigCo Inc",
            "phone": "+12125550100",
            "country": "US",
            "city": "New York",
        }
        for f in firsts
    ]
    frame = leads(*rows)
    started = time.perf_counter()
    dups = find_duplicates(frame, SETTINGS)
    records = crm(*({**r, "id": f"C{i:05d}"} for i, r in enumerate(rows[:2000])))
    others = frame.slice(2000)
    matched = match_existing(others, records, SETTINGS)
    elapsed = time.perf_counter() - started
    # no row repeats another; a first name one keystroke from a colleague's (Feneze and
    # Fenoze) at one switchboard, with mailboxes of their own, is for a person to decide
    assert not (dups["_duplicate_outcome"] == "duplicate").any()
    assert dups["_match_reason"].str.ends_with("+ other email").all()
    assert not (matched["_match_outcome"] == "update").any()
    assert matched["_match_reason"].str.contains("+ other email", literal=True).all()
    assert elapsed < 10, f"giant blocks took {elapsed:.1f}s"


def test_placeholder_phones_and_emails_make_no_match() -> None:
    a = person(
        first_name="Ann", last_name="Lee", email="test@test.com", phone="+10000000000", company=None
    )
    b = person(
        first_name="Ann",
        last_name="Lee",
        email="test@test.com",
        phone="+10000000000",
        company=None,
        city="Boston",
    )
    # the placeholders count for nothing: at most the name and the domain make a possible
    # repeat (another city), never a duplicate
    got = find_duplicates(leads(a, b), SETTINGS)
    assert got["_duplicate_outcome"].to_list() in ([], ["review"])
    assert not got["_match_reason"].str.contains("email exact|phone exact").any()


# -- ties, determinism, outputs -------------------------------------------------------------


def test_tie_between_two_records_goes_to_review_with_both_named() -> None:
    # the CRM holds the same person twice
    got = one(match_existing(leads(person()), crm(person(id="C2"), person(id="C1")), SETTINGS))
    assert got["_match_outcome"] == "review"
    assert got["_match_id"] == "C1"  # equal scores: the smaller id first
    assert "tie with C2" in got["_match_reason"]
    assert got["_match_reason"].startswith("email exact; tie with C2 (1.0: email exact")


def test_best_record_wins_when_clearly_better() -> None:
    got = one(
        match_existing(
            leads(person(email="robert.fischer@gmail.com")),
            crm(
                person(id="C1", email="robert.fischer@gmail.com", phone=None),  # email exact
                person(id="C2", first_name="Rob", email=None, city="Oakland"),  # phone + nickname
            ),
            SETTINGS,
        )
    )
    assert got["_match_id"] == "C1"
    assert got["_match_outcome"] == "review"  # 1.0 against 0.99: a near-tie
    got = one(
        match_existing(
            leads(person(email="robert.fischer@gmail.com")),
            crm(
                person(id="C1", email="robert.fischer@gmail.com", phone=None),
                person(
                    id="C2",
                    first_name="Rob",
                    last_name="Fisher",
                    email="rob.f@acme.com",
                    phone=None,
                    city="Oakland",
                ),  # name 0.95 + company, other email: review
            ),
            SETTINGS,
        )
    )
    assert (got["_match_id"], got["_match_outcome"]) == ("C1", "update")


def _synthetic(n: int, seed: int) -> tuple[pl.DataFrame, pl.DataFrame]:
    rng = random.Random(seed)
    firsts = _names(60)
    lasts = ["Smith", "Garcia", "Müller", "Nguyen", "Kowalski", "O'Brien", "Tanaka", "Rossi"]
    companies = ["Acme Inc", "Globex GmbH", "Initech LLC", "Umbrella Ltd", "Hooli"]
    people: list[dict[str, Any]] = []
    for i in range(n):
        f, last, co = rng.choice(firsts), rng.choice(lasts), rng.choice(companies)
        dom = co.split()[0].lower() + ".com"
        people.append(
            {
                "first_name": f,
                "last_name": last,
                "company": co,
                "email": f"{f.lower()}.{i}@{dom}" if rng.random() < 0.8 else None,
                "phone": f"+1415555{i:04d}" if rng.random() < 0.7 else "+14155559999",
                "country": "US",
                "city": rng.choice(["Boston", "Austin", None]),
            }
        )
    records = [{**p, "id": f"C{i:04d}", "owner": f"O{i % 3}"} for i, p in enumerate(people)]
    lead_rows = []
    for p in rng.sample(people, n // 2):
        q: dict[str, Any] = dict(p)
        if rng.random() < 0.5:
            q["email"] = None
        if rng.random() < 0.3:
            q["last_name"] = q["last_name"][:-1] + "x"
        lead_rows.append(q)
    lead_rows += lead_rows[: n // 10]  # some repeats
    return leads(*lead_rows), crm(*records)


def test_outputs_do_not_depend_on_crm_row_order() -> None:
    frame, records = _synthetic(400, seed=7)
    first = match_existing(frame, records, SETTINGS)
    assert first.height > 50
    for seed in range(3):
        shuffled = records.sample(fraction=1.0, shuffle=True, seed=seed)
        assert match_existing(frame, shuffled, SETTINGS).equals(first)


def test_output_schemas() -> None:
    frame, records = _synthetic(100, seed=3)
    assert match_existing(frame, records, SETTINGS).schema == pl.Schema(
        {
            "_idx": pl.UInt32,
            "_match_id": pl.String,
            "_match_score": pl.Float64,
            "_match_reason": pl.String,
            "_match_outcome": pl.String,
            "_match_owner": pl.String,
        }
    )
    assert find_duplicates(frame, SETTINGS).schema == pl.Schema(
        {
            "_idx": pl.UInt32,
            "_duplicate_of": pl.UInt32,
            "_duplicate_score": pl.Float64,
            "_match_reason": pl.String,
            "_duplicate_outcome": pl.String,
        }
    )
    empty = frame.clear()
    assert match_existing(empty, records, SETTINGS).is_empty()
    assert find_duplicates(empty, SETTINGS).is_empty()


def test_every_score_is_within_thresholds_and_rounded() -> None:
    frame, records = _synthetic(300, seed=11)
    got = match_existing(frame, records, SETTINGS)
    assert got["_match_score"].min() >= SETTINGS.review  # type: ignore[operator]
    assert got["_match_score"].max() <= 1.0  # type: ignore[operator]
    assert (got["_match_score"] == got["_match_score"].round(3)).all()
    update = got.filter(pl.col("_match_outcome") == "update")
    assert (update["_match_score"] >= SETTINGS.auto).all()


# -- within-file duplicates -----------------------------------------------------------------


def test_duplicates_keep_the_first_occurrence() -> None:
    frame = leads(
        person(),  # 0: kept
        person(first_name="Ada", last_name="Byron", email="ada@byron.org", phone=None),  # 1
        person(first_name="BOB", city="SF"),  # 2: repeats 0 (email)
        person(email=None, company="ACME CORP"),  # 3: repeats 0 (phone + name)
        person(first_name="Ada", last_name="Byron", email="ada@byron.org", phone=None),  # 4
    )
    got = find_duplicates(frame, SETTINGS)
    assert got["_idx"].to_list() == [2, 3, 4]
    assert got["_duplicate_of"].to_list() == [0, 0, 1]
    assert got["_match_reason"].to_list()[0] == "email exact"


def test_a_repeat_of_a_repeat_points_at_the_first_occurrence() -> None:
    frame = leads(
        person(),  # 0
        person(email="bob.fischer@gmail.com"),  # 1: repeats 0 by phone + name
        person(email="bob.fischer@gmail.com", phone="+16505550100", company=None),  # 2: repeats 1
    )
    got = find_duplicates(frame, SETTINGS)
    assert got["_duplicate_of"].to_list() == [0, 0]


def test_thresholds_come_from_settings() -> None:
    # name + company with another email scores at most 0.85: review by default,
    # an update once `auto` is lowered below it... but never above the review cap
    frame = leads(person(email="rfischer@acme.com", phone=None))
    record = crm(person(id="C1", phone=None))
    strict = MatchSettings(auto=0.99, review=0.9)
    assert match_existing(frame, record, strict).is_empty()
    assert (
        one(match_existing(frame, record, MatchSettings(auto=0.95, review=0.5)))["_match_outcome"]
        == "review"
    )


def test_settings_are_checked() -> None:
    with pytest.raises(ValueError, match="review <= auto"):
        MatchSettings(auto=0.8, review=0.9)


# -- against every kind of CRM export ---------------------------------------------------------

EXPORTS = {
    "salesforce data loader": "Id,OwnerId,FirstName,LastName,Email,Company,Phone,Country\n"
    "00Q1,005A,Robert,Fischer,Robert.Fischer@ACME.com,Acme Inc.,(415) 555-0123,USA\n"
    "00Q2,005B,Hamish,Fischer,hamish.fischer@acme.com,Acme Inc.,(415) 555-0123,USA\n",
    "salesforce report": "Lead ID,Lead Owner,First Name,Last Name,Email,Company / Account,Phone\n"
    '00Q1,Dana Rep,Robert,Fischer,robert.fischer@acme.com,"Acme, Inc.",+1 415 555 0123\n'
    '00Q2,Sam Rep,Hamish,Fischer,hamish.fischer@acme.com,"Acme, Inc.",+1 415 555 0123\n'
    '\n"Grand Totals (2 records)"\n\n"Confidential Information - Do Not Distribute"\n'
    '"Copyright (c) 2000-2025 salesforce.com, inc. All rights reserved."\n',
    "hubspot": "Record ID,Contact owner,First Name,Last Name,Email,Company Name,Phone Number,"
    "Country/Region\n"
    "1,Kim,Robert,Fischer,robert.fischer@acme.com,ACME CORP,+14155550123,United States\n"
    "2,Kim,Hamish,Fischer,hamish.fischer@acme.com,ACME CORP,+14155550123,United States\n",
    "marketo": "Id,First Name,Last Name,Email Address,Company Name,Phone Number,Country\n"
    "1,Robert,Fischer,robert.fischer@acme.com,Acme,415.555.0123,US\n"
    "2,Hamish,Fischer,hamish.fischer@acme.com,Acme,415.555.0123,US\n",
    "generic": "id,first_name,last_name,email,company,phone,country,owner\n"
    "1,Robert,Fischer,,Acme,+14155550123,US,kim\n"
    "2,Hamish,Fischer,,Acme,+14155550123,US,kim\n",
}


@pytest.mark.parametrize("layout", sorted(EXPORTS))
def test_leads_match_every_kind_of_crm_export(layout: str, tmp_path: Path) -> None:
    path = tmp_path / "export.csv"
    path.write_text(EXPORTS[layout], encoding="utf-8")
    records = load_existing([path])
    # Bob, by phone and nickname; his colleague Hamish shares the switchboard number
    lead = leads(person(first_name="Bob", email="bob@gmail.com", city=None))
    got = one(match_existing(lead, records, SETTINGS))
    first_id = records.sort("_crm_id")["_crm_id"][0]
    assert (got["_match_id"], got["_match_outcome"]) == (first_id, "update")
    assert got["_match_reason"].startswith("phone exact + name 0.98 (nickname)")


def test_sparse_frames_with_missing_and_all_null_columns() -> None:
    # a mapping with email and last name only; an export without names or phones
    frame = pl.DataFrame(
        {
            "email": ["a@x.com", "a@x.com", None],
            "last_name": ["Lee", "Lee", None],
            "company": [None, None, None],
        }
    ).with_row_index("_idx")
    assert find_duplicates(frame, SETTINGS).rows() == [(1, 0, 1.0, "email exact", "duplicate")]
    records = pl.DataFrame({"_crm_id": [7, 8], "email": ["a@x.com", None]})
    got = match_existing(frame.head(1), records, SETTINGS)
    assert got.select("_idx", "_match_id", "_match_outcome").rows() == [(0, "7", "update")]


def test_email_local_parts_with_the_same_words_in_another_order_agree() -> None:
    # "smith.john" and "john_smith" are one address written two ways: nothing against
    for lead_email, crm_email in [
        ("john.smith@acme.com", "smith_john@acme.com"),
        ("anna.de.vries@acme.com", "vries-de-anna@acme.com"),
    ]:
        first, last = ("John", "Smith") if "john" in lead_email else ("Anna", "de Vries")
        got = one(
            match_existing(
                leads(person(first_name=first, last_name=last, email=lead_email, phone=None)),
                crm(person(id="C1", first_name=first, last_name=last, email=crm_email, phone=None)),
                SETTINGS,
            )
        )
        assert got["_match_reason"] == "name 1.00 + company exact", got
        assert got["_match_outcome"] == "update"


def test_duplicates_do_not_depend_on_row_order() -> None:
    frame, _ = _synthetic(600, seed=5)
    first = find_duplicates(frame, SETTINGS)
    assert first.height > 30
    for seed in range(3):
        shuffled = frame.sample(fraction=1.0, shuffle=True, seed=seed)
        assert find_duplicates(shuffled, SETTINGS).equals(first)


# -- the machinery under blocking (private, but easy to get subtly wrong) ---------------------


def test_sorting_keys_groups_equal_keys_even_when_they_differ_only_in_low_bits() -> None:
    from leadkit.match.keys import _runs

    rng = np.random.default_rng(5)
    for n in [0, 1, 2, 7, 60, 300]:
        # few keys, many of them alike in all but the lowest bits (where positions go)
        keys = (rng.integers(0, 4, n).astype(np.uint64) << np.uint64(40)) | rng.integers(
            0, 8, n
        ).astype(np.uint64)
        order, starts, lengths = _runs(keys)
        assert sorted(order.tolist()) == list(range(n))
        runs = [keys[order][s : s + k] for s, k in zip(starts, lengths, strict=True)]
        assert all((run == run[0]).all() for run in runs)
        assert sorted(int(run[0]) for run in runs) == sorted(set(keys.tolist()))


@pytest.mark.parametrize("spread", [4, 1 << 20])
def test_repeated_and_distinct_keys_match_their_runs(spread: int) -> None:
    from leadkit.match.keys import _distinct, _repeats, _runs

    # few keys, many of them alike in all but the low bits (where positions go), held by
    # many records (most keys repeat) or by few (most keys are held once)
    rng = np.random.default_rng(11)
    for n in [0, 1, 2, 7, 60, 300, 5000]:
        keys = (rng.integers(0, spread, n).astype(np.uint64) << np.uint64(40)) | rng.integers(
            0, 8, n
        ).astype(np.uint64)
        members: dict[int, list[int]] = {}
        for i, k in enumerate(keys.tolist()):
            members.setdefault(k, []).append(i)
        order, starts, lengths = _repeats(keys)
        got = sorted(
            sorted(order[s : s + k].tolist()) for s, k in zip(starts, lengths, strict=True)
        )
        assert got == sorted(m for m in members.values() if len(m) > 1)
        assert len(_runs(keys)[1]) == len(members)
        inverse, first = _distinct(keys)
        assert len(first) == len(members)
        assert (keys[first][inverse] == keys).all()


def test_pair_numbers_tell_distinct_pairs_apart() -> None:
    from leadkit.match.keys import _pair_numbers

    rng = np.random.default_rng(2)
    a, b = rng.integers(0, 30, 2000), rng.integers(0, 1000, 2000)
    inverse, first = _pair_numbers(a, b, 1000)
    assert len(first) == len(set(zip(a.tolist(), b.tolist(), strict=True)))
    assert (a[first][inverse] == a).all()
    assert (b[first][inverse] == b).all()


def test_a_hash_collision_never_makes_two_values_the_same() -> None:
    from dataclasses import replace

    from leadkit.match.columns import EMAIL, PHONE
    from leadkit.match.compare import _Both, _swapped
    from leadkit.match.features import _Column, _features

    # every key part of both records collides: only the values can tell them apart
    keys: dict[str, _Column] = {}

    def collided(frame: pl.DataFrame) -> _Both:
        records = _features(frame, pl.col("_idx"))
        keys.update({name: (np.zeros(2, dtype=np.uint64), None) for name in records.keys})
        records = replace(records, keys=keys)
        return _Both(records, records, np.array([0]), np.array([1]), within=True)

    frame = leads(
        person(email="ann@acme.com", first_name="Ann", last_name="Lee"),
        person(email="bob@acme.com", first_name="Lee", last_name="Ann"),
    )
    both = collided(frame)
    assert not both.same(EMAIL, EMAIL)[0]
    assert both.same(PHONE, PHONE)[0]  # the same phone, really
    assert _swapped(both)[0]  # Ann Lee / Lee Ann, really
    other = frame.with_columns(pl.Series("first_name", ["Ann", "Bob"]))  # Ann Lee / Bob Ann
    assert not _swapped(collided(other))[0]


@pytest.mark.parametrize(
    ("phone", "number"),
    [
        ("+14155550123 x204", "+14155550123"),
        ("+14155550123", "+14155550123"),
        ("+1 555 0100 000", "+1"),  # kept as given (a problem code): cut all the same
        (None, None),
        ("", ""),
    ],
)
def test_extensions_are_cut_off(phone: str | None, number: str | None) -> None:
    from leadkit.match.features import _without_extension

    phones = pl.Series([phone, "+4930123456"], dtype=pl.String)
    assert _without_extension(phones).to_list() == [number, "+4930123456"]


def _brute_force(
    pairs_of: dict[int, list[tuple[int, int]]], cap: int, sizes: dict[int, int]
) -> set[Any]:
    return {p for key, ps in pairs_of.items() if 0 < sizes[key] <= cap for p in ps}


@pytest.mark.parametrize("seed", range(5))
def test_block_pairs_are_every_pair_of_small_blocks(seed: int) -> None:
    from leadkit.match.blocking import _across, _within

    rng = np.random.default_rng(seed)
    cap = 6
    lkeys = rng.integers(0, 40, 300).astype(np.uint64) * np.uint64(0x9E3779B97F4A7C15)
    rkeys = rng.integers(20, 60, 200).astype(np.uint64) * np.uint64(0x9E3779B97F4A7C15)
    lpos, rpos = np.arange(300) + 1000, np.arange(200) + 5000

    a, b, giant = _within(lpos, lkeys, cap)
    got = {(min(x, y), max(x, y)) for x, y in zip(a.tolist(), b.tolist(), strict=True)}
    members: dict[int, list[int]] = {}
    for p, k in zip(lpos.tolist(), lkeys.tolist(), strict=True):
        members.setdefault(k, []).append(p)
    sizes = {k: len(m) * (len(m) - 1) // 2 for k, m in members.items()}
    pairs_of = {k: [(x, y) for x in m for y in m if x < y] for k, m in members.items()}
    assert len(got) == len(a)  # each pair once
    assert got == _brute_force(pairs_of, cap, sizes)
    assert sorted(giant.tolist()) == sorted(
        p for k, m in members.items() if sizes[k] > cap for p in m
    )

    a, b, lgiant, rgiant = _across(lpos, lkeys, rpos, rkeys, cap)
    got = set(zip(a.tolist(), b.tolist(), strict=True))
    right: dict[int, list[int]] = {}
    for p, k in zip(rpos.tolist(), rkeys.tolist(), strict=True):
        right.setdefault(k, []).append(p)
    sizes = {k: len(members[k]) * len(right.get(k, [])) for k in members}
    pairs_of = {k: [(x, y) for x in members[k] for y in right.get(k, [])] for k in members}
    assert len(got) == len(a)
    assert got == _brute_force(pairs_of, cap, sizes)
    assert sorted(lgiant.tolist()) == sorted(
        p for k, m in members.items() if sizes[k] > cap for p in m
    )
    assert sorted(rgiant.tolist()) == sorted(
        p for k, m in right.items() if sizes.get(k, 0) > cap for p in m
    )


@pytest.mark.parametrize(
    ("phone", "placeholder"),
    [
        ("+14155550123", False),
        ("+4915112345679", False),
        ("+10000000000", True),  # one digit over and over
        ("+12125551212", False),
        ("+15555555555", True),
        ("+15551515151", True),  # two digits
        ("+4412345678", True),  # counting
        ("+3398765432", True),
        ("+4401234567", True),
        ("+1234567", True),  # too short
        ("+1 (415) 555-0123", False),  # not plain digits: the slow way, same answer
        ("+1 555 555 5555", True),
        ("tel: 000", True),
        ("", True),
        ("99999999999999999999999", True),  # longer than any number type
    ],
)
def test_placeholder_phones(phone: str, placeholder: bool) -> None:
    from leadkit.match.placeholders import _placeholder_phones

    assert _placeholder_phones(pl.Series([phone])).to_list() == [placeholder]


# --------------------------------------------------------------------------------------
# Fellegi-Sunter scoring (issue 15)
# --------------------------------------------------------------------------------------


def test_em_recovers_m_on_a_toy_set() -> None:
    """Candidate pairs drawn from a known mixture: EM (u held at the random pairs') finds
    the m of each level and the share of one-person pairs."""
    from leadkit.match.evidence import Comparison
    from leadkit.match.weights import estimate

    rng = np.random.default_rng(7)
    comps = (
        Comparison("a", ("exact", "differ"), (0.5, 0.5), (0.5, 0.5)),
        Comparison("b", ("exact", "differ"), (0.5, 0.5), (0.5, 0.5)),
        Comparison("c", ("exact", "differ"), (0.5, 0.5), (0.5, 0.5)),
    )
    true_m, true_u = (0.9, 0.8, 0.95), (0.05, 0.1, 0.2)
    n, share = 200_000, 0.3
    match = rng.random(n) < share
    cols = {}
    for c, m, u in zip(comps, true_m, true_u, strict=True):
        agree = np.where(match, rng.random(n) < m, rng.random(n) < u)
        cols[c.column] = np.where(agree, 0, 1).astype(np.int8)
    randoms = {
        c.column: np.where(rng.random(n) < u, 0, 1).astype(np.int8)
        for c, u in zip(comps, true_u, strict=True)
    }
    model = estimate(pl.DataFrame(cols), pl.DataFrame(randoms), comps, all_pairs=n, bounds=None)
    assert model.iterations < 25  # converged before the cap
    assert [float(est[0]) for est in model.m] == pytest.approx(true_m, abs=0.02)
    assert [float(est[0]) for est in model.u] == pytest.approx(true_u, abs=0.01)
    assert model.share == pytest.approx(share, abs=0.02)
    # held near the priors (the default): m and u move at most a factor 4
    held = estimate(pl.DataFrame(cols), pl.DataFrame(randoms), comps, all_pairs=n)
    for est, prior, bits in ((held.m, 0.5, 2.0), (held.u, 0.5, 2.0)):
        for levels in est:
            assert levels.sum() == pytest.approx(1.0)
            assert (levels >= prior / 2**bits * 0.9).all()  # (renormalized: a little slack)
    assert held.u[0][0] > model.u[0][0] + 0.05  # u of 0.05, pulled toward its prior of 0.5


def test_components_link_transitively() -> None:
    from leadkit.match.stage import _components

    a, b = np.array([0, 1, 5, 4]), np.array([1, 2, 6, 6])
    assert _components(a, b, 8).tolist() == [0, 0, 0, 3, 4, 4, 4, 7]


@pytest.mark.parametrize(
    ("a", "b", "levels"),
    [
        # (first, last, email) of two records -> levels of first_name, last_name, email
        (("Ann", "Lee", "ann@x.com"), ("Lee", "Ann", "ann@x.com"), ("exact", "exact", "exact")),
        (("Ann", "Lee", "ann@x.com"), ("Anne", "Lee", "ann@x.co"), ("close", "exact", "close")),
        (("Ann", "Lee", "ann@x.com"), ("A", "Leigh", "bob@y.com"), ("initial", "differ", "differ")),
        (("Ann", None, "ann@x.com"), ("Ann", "Lee", None), ("exact", None, None)),
    ],
)
def test_pair_levels(
    a: tuple[str | None, ...], b: tuple[str | None, ...], levels: tuple[str | None, ...]
) -> None:
    """A table of pairs -> the level of each name and the email."""
    from leadkit.match.compare import _compare
    from leadkit.match.evidence import COMPARISONS, _levels
    from leadkit.match.features import _features

    frame = leads(
        {"first_name": a[0], "last_name": a[1], "email": a[2]},
        {"first_name": b[0], "last_name": b[1], "email": b[2]},
    )
    records = _features(frame, pl.col("_idx"))
    pairs = pl.DataFrame(
        {"left": [0], "right": [1], "left_row": [0], "right_row": [1]},
        schema=dict.fromkeys(("left", "right", "left_row", "right_row"), pl.UInt32),
    )
    got = _compare(pairs, records, None, prune=False).select(_levels({})).row(0, named=True)
    by_field = {c.field: c for c in COMPARISONS}
    names = []
    for field in ("first_name", "last_name", "email"):
        level = got[by_field[field].column]
        names.append(None if level is None else by_field[field].levels[level])
    assert tuple(names) == levels


def test_swapped_names_with_the_same_email_are_one_person() -> None:
    frame = leads(
        {"first_name": "Wei", "last_name": "Zhang", "email": "wz@acme.com"},
        {"first_name": "Zhang", "last_name": "Wei", "email": "wz@acme.com"},
    )
    dups = find_duplicates(frame, MatchSettings())
    assert dups.select("_idx", "_duplicate_of", "_duplicate_outcome").rows() == [
        (1, 0, "duplicate")
    ]
    assert dups["_match_reason"].to_list() == ["email exact"]


# --------------------------------------------------------------------------------------
# The two routes: the ladder decides contact in common, the weights the rest (issue 15)
# --------------------------------------------------------------------------------------

DOB = MatchSettings(compare=(("custom:dob", "date"),))


def _people(*rows: dict[str, Any]) -> pl.DataFrame:
    """Leads with a `custom:dob` column (None where a row has no `dob`)."""
    frame = leads(*({k: v for k, v in r.items() if k != "dob"} for r in rows))
    return frame.with_columns(pl.Series("custom:dob", [r.get("dob") for r in rows]))


@pytest.mark.parametrize(
    ("a", "b", "outcome", "reason"),
    [
        # no contact in common: the names, the city and the birth date weigh
        (
            {"first_name": "Ann", "last_name": "Lee", "city": "Leeds", "dob": "1980-02-03"},
            {"first_name": "Ann", "last_name": "Lee", "city": "Leeds", "dob": "1980-02-03"},
            "duplicate",
            "first_name exact",
        ),
        # a birth date misremembered within the year still speaks for the pair (less)
        (
            {"first_name": "Ann", "last_name": "Lee", "city": "Leeds", "dob": "1980-02-03"},
            {"first_name": "Ann", "last_name": "Lee", "city": "Leeds", "dob": "1980-11-23"},
            None,
            "dob year",
        ),
        # the name and the country alone: namesakes, never weighed
        (
            {"first_name": "Ann", "last_name": "Lee"},
            {"first_name": "Ann", "last_name": "Lee"},
            None,
            None,
        ),
        # another first name with another email: a hard no, whatever else agrees
        (
            {"first_name": "Ann", "last_name": "Lee", "email": "ann@lee.org", "dob": "1980-02-03"},
            {"first_name": "Mia", "last_name": "Lee", "email": "mia@lee.org", "dob": "1980-02-03"},
            None,
            None,
        ),
        # one email, one name missing and the other different: a shared inbox, review
        (
            {"first_name": None, "last_name": "Lee", "email": "info@lee.org"},
            {"first_name": "Mia", "last_name": "Park", "email": "info@lee.org"},
            "review",
            "email exact + name differs 0.",
        ),
    ],
)
def test_pair_outcomes(
    a: dict[str, Any], b: dict[str, Any], outcome: str | None, reason: str | None
) -> None:
    got = find_duplicates(_people(a, b), DOB)
    if outcome is None and reason is None:
        assert got.is_empty()
        return
    if outcome is not None:
        assert got["_duplicate_outcome"].to_list() == [outcome]
    assert reason is not None
    if got.height:
        assert reason in got["_match_reason"][0]
    else:  # below review: look at the pair itself
        from leadkit.match.columns import REASON
        from leadkit.match.features import _features
        from leadkit.match.stage import _scored_pairs

        feats = _features(_people(a, b), pl.col("_idx"), compare=dict(DOB.compare))
        pairs, _, _ = _scored_pairs(feats, None, DOB, 0.0)
        assert reason in pairs[REASON][0]


def test_weighed_reason_lists_levels_and_weights() -> None:
    row = {"first_name": "Ann", "last_name": "Lee", "city": "Leeds", "dob": "1980-02-03"}
    got = find_duplicates(_people(row, row), DOB)
    reason = got["_match_reason"][0]
    # each field both records have, its level and weight in bits, and the sum
    parts = reason.split(" = ")
    assert parts[1].endswith(" bits")
    fields = [p.rsplit(" ", 2) for p in parts[0].split(", ")]
    assert [f[0] for f in fields] == ["first_name", "last_name", "city", "dob"]
    assert all(f[1] == "exact" and float(f[2]) > 0 for f in fields)
    assert sum(float(f[2]) for f in fields) == pytest.approx(float(parts[1].split()[0]), abs=0.3)


def test_chain_guard_keeps_two_people_apart() -> None:
    # 1 repeats 0 (one email, a name missing), 2 repeats 1 (one email, a name missing):
    # 0 and 2 have other first names, so 2 is no duplicate of 0: a person decides
    frame = leads(
        {"first_name": "Ann", "last_name": "Lee", "email": "a@lee.org", "city": "Leeds"},
        {"first_name": None, "last_name": "Lee", "email": "a@lee.org", "phone": "+441134960000"},
        {"first_name": "Mia", "last_name": None, "email": "m@lee.org", "phone": "+441134960000"},
    )
    got = find_duplicates(frame, SETTINGS)
    by_row = {r["_idx"]: r for r in got.iter_rows(named=True)}
    assert by_row[1]["_duplicate_outcome"] == "duplicate"
    assert by_row.get(2, {}).get("_duplicate_outcome") != "duplicate"
