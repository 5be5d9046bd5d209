"""Reading CRM exports: each layout, the id column, the owner, and the cache."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest

from leadkit.errors import InputError
from leadkit.existing import ID, OWNER, load_existing

ROOT = Path(__file__).parent.parent

LAYOUTS = {
    "salesforce data loader": (
        "Id,FirstName,LastName,Email,Company,Phone,Country,OwnerId\n"
        "00Q1,Ann,Lee,ANN@X.COM,X Inc,+1 415 555 0100,USA,005A\n",
        "00Q1",
        "005A",
    ),
    "salesforce report with footer": (
        (ROOT / "examples" / "crm_export.csv").read_text(),
        "00Q5e00000AbCdEEAZ",
        "Jordan Miles",
    ),
    "hubspot export": (
        "Record ID,First Name,Last Name,Email,Company Name,Phone Number,Country/Region,Contact owner\n"
        "501,Ann,Lee,ann@x.com,X Inc,4155550100,United States,Kim\n",
        "501",
        "Kim",
    ),
    "marketo export": (
        "Id,First Name,Last Name,Email Address,Company Name,Phone Number,Country\n"
        "77,Ann,Lee,ann@x.com,X Inc,4155550100,US\n",
        "77",
        None,
    ),
    "generic": (
        "id,first_name,last_name,email,company,phone,country,owner\n"
        "u-1,Ann,Lee,ann@x.com,X Inc,+14155550100,US,kim\n",
        "u-1",
        "kim",
    ),
}


@pytest.mark.parametrize("layout", sorted(LAYOUTS))
def test_each_export_layout(layout: str, tmp_path: Path) -> None:
    text, first_id, owner = LAYOUTS[layout]
    path = tmp_path / "crm.csv"
    path.write_text(text)
    crm = load_existing([path])
    assert crm[ID][0] == first_id
    assert (crm[OWNER][0] if OWNER in crm.columns else None) == owner
    assert crm["email"][0] is None or crm["email"][0] == crm["email"][0].lower()
    assert "company_key" in crm.columns


def test_id_column_named_by_the_user(tmp_path: Path) -> None:
    path = tmp_path / "crm.csv"
    path.write_text("Key,Email,Last Name\nK9,a@b.com,Lee\n")
    with pytest.raises(InputError, match="--existing-id"):
        load_existing([path])
    assert load_existing([path], id_column="Key")[ID].to_list() == ["K9"]


def test_cache_is_reused_and_invalidated_by_content(tmp_path: Path) -> None:
    path, cache = tmp_path / "crm.csv", tmp_path / "cache"
    path.write_text("Id,Email,LastName\n1,a@b.com,Lee\n")
    first = load_existing([path], cache=cache)
    stored = list((cache / "crm").glob("*.parquet"))
    assert len(stored) == 1
    assert load_existing([path], cache=cache).equals(first)
    path.write_text("Id,Email,LastName\n1,a@b.com,Lee\n2,c@d.com,Kim\n")
    assert load_existing([path], cache=cache).height == 2
    assert len(list((cache / "crm").glob("*.parquet"))) == 2


def test_damaged_cache_entry_is_rebuilt(tmp_path: Path) -> None:
    path, cache = tmp_path / "crm.csv", tmp_path / "cache"
    path.write_text("Id,Email,LastName\n1,a@b.com,Lee\n")
    load_existing([path], cache=cache)
    (entry,) = (cache / "crm").glob("*.parquet")
    entry.write_bytes(b"not parquet")
    assert load_existing([path], cache=cache)[ID].to_list() == ["1"]
    assert isinstance(pl.read_parquet(entry), pl.DataFrame)
