"""Target picklists: which values a CRM field takes, and a proposed value map onto them.

`validate` codes a value outside a target field's picklist `picklist_value`. To fix that
a mapping gets a value map (`values: {lead_source: {map: {...}}}`); `propose_value_map`
drafts one from the values a file holds, for `mapping init` and `mapping check --sample`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

from rapidfuzz import fuzz, process

from leadkit.targets import Target

# Below this WRatio (0-100) a fuzzy match is no proposal: "Google Ads" is "Google AdWords"
# (90), "LinkedIn" is nothing in Salesforce's LeadSource list.
FUZZY_CUTOFF = 85.0

_NOT_ALNUM = re.compile(r"[\W_]+")


def picklist_of(target: Target, field: str) -> tuple[str, ...] | None:
    """The target field's picklist values, or None when the field has no picklist."""
    spec = target.fields.get(field)  # type: ignore[call-overload]
    return tuple(spec.picklist) if spec is not None and spec.picklist else None


def _fold(value: str) -> str:
    """Case, spaces and punctuation ignored: "trade-show", "Trade Show" and "TRADESHOW"."""
    return _NOT_ALNUM.sub("", value.casefold())


def propose_value_map(
    picklist: Sequence[str], observed: Iterable[str | None], *, cutoff: float = FUZZY_CUTOFF
) -> dict[str, str | None]:
    """Each distinct observed value that is not a picklist value -> the picklist value it
    most likely means, or None when there is no clear one.

    First the value folded (case, spaces, punctuation) equal to one picklist value's fold;
    else the best rapidfuzz WRatio at `cutoff` or above, when no other value scores as
    high ("Seminar" is as close to "Seminar - Internal" as to "Seminar - Partner": None).
    Runs once per distinct value.
    """
    exact = set(picklist)
    folded: dict[str, str] = {}
    for value in picklist:
        folded.setdefault(_fold(value), value)
    keys = list(folded)
    proposal: dict[str, str | None] = {}
    for raw in observed:
        if raw is None or raw in proposal:
            continue
        value = raw.strip()
        if not value or value in exact:
            continue
        key = _fold(value)
        if key in folded:
            proposal[raw] = folded[key]
            continue
        hits = (
            process.extract(key, keys, scorer=fuzz.WRatio, score_cutoff=cutoff, limit=2)
            if key
            else []
        )
        if hits and (len(hits) == 1 or hits[0][1] > hits[1][1]):
            proposal[raw] = folded[hits[0][0]]
        else:
            proposal[raw] = None
    return proposal
