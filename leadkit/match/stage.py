"""The match stage's entry points: repeats within the file, matches against a CRM export."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import polars as pl

from leadkit.match.blocking import _candidates
from leadkit.match.columns import LEFT, REASON, RIGHT, SCORE
from leadkit.match.compare import _compare
from leadkit.match.features import _features, _Records
from leadkit.match.reasons import _explained
from leadkit.match.rules import _score, review_cap


@dataclass(frozen=True)
class MatchSettings:
    """Thresholds and guards of matching (the mapping's `matching:` section)."""

    auto: float = 0.90
    """A score at or above this is decided automatically: an update, a duplicate."""
    review: float = 0.75
    """A CRM match scoring at least this, but below `auto`, goes to the review queue."""
    tie_margin: float = 0.02
    """Two CRM records scoring this close to each other are a tie: the lead goes to review."""
    max_block_pairs: int = 1_000
    """A block that would make more pairs than this is split by a longer key, or dropped."""

    def __post_init__(self) -> None:
        if not 0.0 <= self.review <= self.auto <= 1.0:
            raise ValueError(
                "matching thresholds need 0 <= review <= auto <= 1 "
                f"(got review={self.review}, auto={self.auto})"
            )
        if self.tie_margin < 0 or self.max_block_pairs < 1:
            raise ValueError("matching needs tie_margin >= 0 and max_block_pairs >= 1")


def _scored_pairs(
    left: _Records, right: _Records | None, settings: MatchSettings, floor: float
) -> pl.DataFrame:
    """Candidate pairs scoring at least `floor`: `LEFT`, `RIGHT`, `SCORE`, `REASON`.

    `left` and `right` are `_features`; `right=None` pairs the records of `left`.
    """
    left, pairs = _candidates(left, right, settings.max_block_pairs)
    if pairs.is_empty():
        return pl.DataFrame(
            schema={LEFT: pl.UInt32, RIGHT: pl.UInt32, SCORE: pl.Float64, REASON: pl.String}
        )
    compared = _compare(pairs, left, right)
    return _explained(_score(compared, review_cap(settings.auto), floor))


# --------------------------------------------------------------------------------------
# The two entry points
# --------------------------------------------------------------------------------------


def find_duplicates(leads: pl.DataFrame, settings: MatchSettings) -> pl.DataFrame:
    """Rows that repeat an earlier row: `_idx`, `_duplicate_of`, `_match_reason`.

    A pair scoring at least `settings.auto` is one person. A row repeating earlier rows
    points at the kept original (the first occurrence, never itself a duplicate) of its
    best-scoring earlier match; ties go to the earliest row.
    """
    schema = {"_idx": pl.UInt32, "_duplicate_of": pl.UInt32, "_match_reason": pl.String}
    if leads.height < 2:
        return pl.DataFrame(schema=schema)
    feats = _features(leads, pl.col("_idx"))
    pairs = _scored_pairs(feats, None, settings, settings.auto)
    # each later row's best earlier match: the highest score, then the earliest row
    best = pairs.sort([RIGHT, SCORE, LEFT], descending=[False, True, False]).unique(
        RIGHT, keep="first", maintain_order=True
    )
    later = best[RIGHT].to_numpy()
    earlier = best[LEFT].to_numpy()
    # a row repeating a repeat points at the kept original: follow the chain (the earlier
    # row of a pair has the smaller `_idx`, so every chain ends at a row that repeats none)
    size = int(later.max()) + 1 if len(later) else 0
    kept = np.arange(size, dtype=np.int64)
    kept[later] = earlier
    while True:
        step = kept[kept]
        if np.array_equal(step, kept):
            break
        kept = step
    return pl.DataFrame(
        {"_idx": later, "_duplicate_of": kept[later], "_match_reason": best[REASON]},
        schema=schema,
    )


def match_existing(leads: pl.DataFrame, crm: pl.DataFrame, settings: MatchSettings) -> pl.DataFrame:
    """Each lead's best CRM record scoring at least `settings.review`.

    Columns `_idx`, `_match_id`, `_match_score`, `_match_reason`, `_match_outcome` ("update"
    at or above `settings.auto`, else "review") and `_match_owner`. When another record
    scores within `settings.tie_margin` of the best, the lead goes to review and the reason
    names the other record. Records are ranked by score, then id: the export's row order
    never matters.
    """
    schema = {
        "_idx": pl.UInt32,
        "_match_id": pl.String,
        "_match_score": pl.Float64,
        "_match_reason": pl.String,
        "_match_outcome": pl.String,
        "_match_owner": pl.String,
    }
    if leads.is_empty() or crm.is_empty():
        return pl.DataFrame(schema=schema)
    row = pl.int_range(pl.len(), dtype=pl.UInt32)
    owner = pl.col("_owner") if "_owner" in crm.columns else pl.lit(None)
    records = crm.select(
        row.alias(RIGHT), pl.col("_crm_id").cast(pl.String), owner.cast(pl.String).alias("_owner")
    )
    left = _features(leads, pl.col("_idx"))
    right = _features(crm, row, read_often=False)
    scored = _scored_pairs(left, right, settings, settings.review)
    if scored.is_empty():
        return pl.DataFrame(schema=schema)
    ranked = (
        scored.join(records, on=RIGHT)
        .drop_nulls("_crm_id")
        .sort(
            [LEFT, SCORE, "_crm_id", REASON, "_owner"],
            descending=[False, True, False, False, False],
            nulls_last=True,
        )
        # a record id listed twice in the export is one record: its best row speaks for it
        .unique([LEFT, "_crm_id"], keep="first", maintain_order=True)
        .group_by(LEFT, maintain_order=True)
        .agg(
            pl.col("_crm_id").first().alias("_match_id"),
            pl.col(SCORE).first().alias("_match_score"),
            pl.col(REASON).first().alias("best_reason"),
            pl.col("_owner").first().alias("_match_owner"),
            pl.col("_crm_id").get(1, null_on_oob=True).alias("second_id"),
            pl.col(SCORE).get(1, null_on_oob=True).alias("second_score"),
            pl.col(REASON).get(1, null_on_oob=True).alias("second_reason"),
        )
    )
    tie = (pl.col("second_score") >= pl.col("_match_score") - settings.tie_margin - 1e-9).fill_null(
        False
    )
    return ranked.select(
        pl.col(LEFT).alias("_idx"),
        "_match_id",
        pl.col("_match_score").cast(pl.Float64),
        pl.when(tie)
        .then(
            pl.format(
                "{}; tie with {} ({}: {})",
                "best_reason",
                "second_id",
                pl.col("second_score").round(3),
                "second_reason",
            )
        )
        .otherwise(pl.col("best_reason"))
        .alias("_match_reason"),
        pl.when(tie | (pl.col("_match_score") < settings.auto))
        .then(pl.lit("review"))
        .otherwise(pl.lit("update"))
        .alias("_match_outcome"),
        "_match_owner",
    ).sort("_idx")
