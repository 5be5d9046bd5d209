"""Target picklists and the value map proposed onto them."""

from __future__ import annotations

import pytest

from leadkit.picklists import picklist_of, propose_value_map
from leadkit.targets import load_target

LEAD_SOURCE = picklist_of(load_target("salesforce"), "lead_source") or ()


def test_targets_declare_their_picklists() -> None:
    sf = load_target("salesforce")
    assert "Trade Show" in (picklist_of(sf, "lead_source") or ())
    assert "Technology" in (picklist_of(sf, "industry") or ())
    assert picklist_of(sf, "city") is None


@pytest.mark.parametrize(
    ("observed", "proposed"),
    [
        ("web", "Web"),  # case
        ("webinar ", "Webinar"),  # spaces
        ("Trade-Show", "Trade Show"),  # punctuation
        ("TRADESHOW", "Trade Show"),
        ("Word of Mouth", "Word of mouth"),
        ("Partner referal", "Partner Referral"),  # a typo: fuzzy
        ("Seminar", None),  # as close to "Seminar - Internal" as to "Seminar - Partner"
        ("LinkedIn", None),  # nothing like it
    ],
)
def test_propose_value_map(observed: str, proposed: str | None) -> None:
    assert propose_value_map(LEAD_SOURCE, [observed]) == {observed: proposed}


def test_picklist_values_blanks_and_repeats_are_left_out() -> None:
    assert propose_value_map(LEAD_SOURCE, ["Web", None, "", "  ", "web", "web"]) == {"web": "Web"}
