"""The match stage's entry points: repeats within the file, matches against a CRM export."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

import numpy as np
import polars as pl

from leadkit.mapping import MatchingSpec
from leadkit.match.blocking import _candidates
from leadkit.match.columns import (
    EMAIL,
    FIRST,
    LAST,
    LEFT,
    LEFT_ROW,
    NAMES_SWAPPED,
    REASON,
    RIGHT,
    RIGHT_ROW,
    SCORE,
)
from leadkit.match.compare import _compare
from leadkit.match.evidence import _levels, comparisons
from leadkit.match.evidence import weighable as evidence_weighable
from leadkit.match.features import _features, _Records
from leadkit.match.keys import _combine
from leadkit.match.reasons import _explained, _weighed
from leadkit.match.rules import (
    _ladder_scored,
    _steps,
    _weighable,
    decided,
    names_differ,
    review_cap,
)
from leadkit.match.weights import RANDOM_PAIRS, Model, _scored, estimate
from leadkit.remap import CUSTOM_PREFIX


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
    compare: tuple[tuple[str, str], ...] = ()
    """Custom columns compared as evidence (`custom:` name, `exact`/`fuzzy`/`date`)."""

    @classmethod
    def of(cls, spec: MatchingSpec) -> MatchSettings:
        """The settings of a mapping's `matching:` section."""
        compare = tuple((CUSTOM_PREFIX + name, kind) for name, kind in spec.compare.items())
        return cls(auto=spec.auto, review=spec.review, compare=compare)

    def __post_init__(self) -> None:
        if not 0.0 <= self.review <= self.auto <= 1.0:
            raise ValueError(
                "matching thresholds need 0 <= review <= auto <= 1 "
                f"(got review={self.review}, auto={self.auto})"
            )
        if self.tie_margin < 0 or self.max_block_pairs < 1:
            raise ValueError("matching needs tie_margin >= 0 and max_block_pairs >= 1")


_NAMES_AGREE: Final = "names_agree"
_EMPTY: Final = {LEFT: pl.UInt32, RIGHT: pl.UInt32, SCORE: pl.Float64, REASON: pl.String}


def _random_pairs(left: _Records, right: _Records | None) -> pl.DataFrame:
    """Pairs of records taken at random (almost all two people), whatever the records'
    order: each side's records ranked by a hash of their email and names."""

    def ranked(records: _Records, salt: int) -> np.ndarray:
        parts = [records.keys[k][0] for k in (EMAIL, LAST.folded, FIRST.folded)]
        mixed = _combine([np.full(records.height, salt, dtype=np.uint64), *parts])
        return np.argsort(mixed, kind="stable")

    other = left if right is None else right
    if left.height == 0 or other.height == 0:
        return pl.DataFrame(schema={LEFT: pl.UInt32, RIGHT: pl.UInt32, LEFT_ROW: pl.UInt32})
    n = min(RANDOM_PAIRS, left.height * other.height)
    a = ranked(left, 1)[np.arange(n) % left.height]
    b = ranked(other, 2)[(np.arange(n) * 7919 + n // 3) % other.height]
    if right is None:
        apart = a != b
        a, b = a[apart], b[apart]
    return pl.DataFrame(
        {LEFT: left.rid[a], RIGHT: other.rid[b], LEFT_ROW: a, RIGHT_ROW: b},
        schema={LEFT: pl.UInt32, RIGHT: pl.UInt32, LEFT_ROW: pl.UInt32, RIGHT_ROW: pl.UInt32},
    )


def _scored_pairs(
    left: _Records, right: _Records | None, settings: MatchSettings, floor: float
) -> tuple[pl.DataFrame, _Records, Model]:
    """Candidate pairs scoring at least `floor`: `LEFT`, `RIGHT`, `SCORE`, `REASON`; the
    left records as screened, and the model that weighed the pairs the ladder leaves.

    `left` and `right` are `_features`; `right=None` pairs the records of `left`.
    """
    compare = dict(settings.compare)
    left, pairs = _candidates(left, right, settings.max_block_pairs, compare)
    n = left.height
    all_pairs = n * (n - 1) / 2 if right is None else n * (right.height if right else 0)
    if pairs.is_empty():
        return pl.DataFrame(schema=_EMPTY), left, _priors(compare, all_pairs)
    steps = _steps(_compare(pairs, left, right, compare))
    weighed = _weighed_pairs(steps, compare)
    if weighed.is_empty():
        model = _priors(compare, all_pairs)
    else:
        randoms = _compare(_random_pairs(left, right), left, right, compare, prune=False)
        levels = randoms.select(_levels(compare))
        # the pairs the ladder accepts are one person too: the prior counts them
        ladder = _ladder_scored(steps.filter(decided()), review_cap(settings.auto), settings.auto)
        model = estimate(weighed, levels, comparisons(compare), all_pairs, known_ones=ladder.height)
    return _judged(steps, weighed, model, settings, floor), left, model


def _weighed_pairs(steps: pl.DataFrame, compare: dict[str, str]) -> pl.DataFrame:
    """The pairs the ladder leaves whose names agree and some other field backs (with each
    field's level): the pairs the evidence weighs."""
    weighable = steps.filter(~decided() & _weighable()).with_columns(_levels(compare))
    return weighable.filter(evidence_weighable(compare))


def _priors(compare: dict[str, str], all_pairs: float) -> Model:
    """The model of the measured priors alone (no pair to estimate on)."""
    empty = pl.DataFrame(schema={c.column: pl.Int8 for c in comparisons(compare)})
    return estimate(empty, empty, comparisons(compare), all_pairs)


def _judged(
    steps: pl.DataFrame,
    weighed: pl.DataFrame,
    model: Model,
    settings: MatchSettings,
    floor: float,
) -> pl.DataFrame:
    """The pairs the ladder decides (`steps`, `rules.decided`) scored by the ladder, and
    `weighed` (the others the names allow, with their levels) by `model`: those scoring at
    least `floor`, `LEFT`, `RIGHT`, `SCORE`, `REASON`."""
    laddered = _ladder_scored(steps.filter(decided()), review_cap(settings.auto), floor)
    scored = _scored(weighed, model).filter((pl.col(SCORE) >= floor) & (pl.col(SCORE) > 0))
    return pl.concat([_explained(laddered), _weighed(scored, model)]).cast(_EMPTY)  # type: ignore[arg-type]


def _direct(
    pairs: pl.DataFrame, left: _Records, model: Model, settings: MatchSettings
) -> pl.DataFrame:
    """`pairs` (`LEFT`, `RIGHT`, `LEFT_ROW`, `RIGHT_ROW` of `left`'s records) scored as
    `_scored_pairs` scores them, with `model`: `LEFT`, `RIGHT`, `SCORE` (0 where neither
    route accepts the pair), `REASON` and `_NAMES_AGREE` (no name differs, unless swapped;
    a name missing on a side says nothing)."""
    schema = {**_EMPTY, _NAMES_AGREE: pl.Boolean}
    if pairs.is_empty():
        return pl.DataFrame(schema=schema)
    compare = dict(settings.compare)
    steps = _steps(_compare(pairs, left, None, compare, prune=False))
    judged = _judged(steps, _weighed_pairs(steps, compare), model, settings, 0.0)
    differ = names_differ(FIRST) | names_differ(LAST)
    agree = pl.col(NAMES_SWAPPED).fill_null(False) | ~differ
    return (
        steps.select(LEFT, RIGHT, agree.alias(_NAMES_AGREE))
        .join(judged, on=[LEFT, RIGHT], how="left")
        .select(LEFT, RIGHT, pl.col(SCORE).fill_null(0.0), REASON, _NAMES_AGREE)
    )


# --------------------------------------------------------------------------------------
# The two entry points
# --------------------------------------------------------------------------------------


def _components(a: np.ndarray, b: np.ndarray, size: int) -> np.ndarray:
    """Per record position below `size`, the smallest position linked to it through the
    links (`a`, `b`): the connected components, by label propagation."""
    label = np.arange(size)
    while True:
        low = np.minimum(label[a], label[b])
        before = label.copy()
        np.minimum.at(label, a, low)
        np.minimum.at(label, b, low)
        label = label[label]  # (jump along the chain: halves the rounds)
        if np.array_equal(label, before):
            return label


def find_duplicates(leads: pl.DataFrame, settings: MatchSettings) -> pl.DataFrame:
    """Rows that repeat another row: `_idx`, `_duplicate_of` (the kept row's `_idx`),
    `_duplicate_score`, `_match_reason` and `_duplicate_outcome` ("duplicate" or "review").

    Pairs scoring at least `settings.auto` link rows into clusters (transitively); the
    cluster's earliest row is kept. The guard against chains: a member is a duplicate only
    when its own pair with the kept row scores at least `auto` too, or when no name of
    theirs differs (a chain of strong links between records of one name, a name missing
    on a side saying nothing); otherwise one link
    through a third record would join two people, and the member goes to review. A row
    whose best earlier match scores between `review` and `auto` goes to review as a
    possible repeat of it.
    """
    schema = {
        "_idx": pl.UInt32,
        "_duplicate_of": pl.UInt32,
        "_duplicate_score": pl.Float64,
        "_match_reason": pl.String,
        "_duplicate_outcome": pl.String,
    }
    if leads.height < 2:
        return pl.DataFrame(schema=schema)
    feats = _features(leads, pl.col("_idx"), compare=dict(settings.compare))
    pairs, feats, model = _scored_pairs(feats, None, settings, settings.review)
    if pairs.is_empty():
        return pl.DataFrame(schema=schema)
    order = np.argsort(feats.rid, kind="stable")  # the records by id: the earliest first
    rid = feats.rid[order]
    pos_a = np.searchsorted(rid, pairs[LEFT].to_numpy())
    pos_b = np.searchsorted(rid, pairs[RIGHT].to_numpy())
    strong = pairs[SCORE].to_numpy() >= settings.auto
    root = _components(pos_a[strong], pos_b[strong], len(rid))
    members = np.flatnonzero(root != np.arange(len(rid)))
    # each member's own pair with its kept row, scored (blocking may not have made it),
    # and whether their names agree
    direct = pl.DataFrame(
        {
            LEFT: rid[root[members]],
            RIGHT: rid[members],
            LEFT_ROW: order[root[members]],
            RIGHT_ROW: order[members],
        },
        schema={LEFT: pl.UInt32, RIGHT: pl.UInt32, LEFT_ROW: pl.UInt32, RIGHT_ROW: pl.UInt32},
    )
    to_root = _direct(direct, feats, model, settings)
    # each member's strongest link in its cluster (what put it there)
    linked = pl.concat(
        [
            pairs.filter(pl.Series(strong)).select(pl.col(RIGHT).alias("_idx"), SCORE, REASON),
            pairs.filter(pl.Series(strong)).select(pl.col(LEFT).alias("_idx"), SCORE, REASON),
        ]
    ).sort(["_idx", SCORE], descending=[False, True])
    best = linked.unique("_idx", keep="first", maintain_order=True).rename(
        {SCORE: "_link_score", REASON: "_link_reason"}
    )
    # a member is a repeat of the kept row when their own pair says so, or when a chain of
    # strong links joins two records of one name; else (a chain through a third record
    # joining other names) a person decides
    sure = (pl.col(SCORE) >= settings.auto) | pl.col(_NAMES_AGREE)
    own = pl.col(SCORE) >= settings.auto
    clustered = to_root.join(best, left_on=RIGHT, right_on="_idx", how="left").select(
        pl.col(RIGHT).alias("_idx"),
        pl.col(LEFT).alias("_duplicate_of"),
        pl.when(own).then(pl.col(SCORE)).otherwise(pl.col("_link_score")).alias("_duplicate_score"),
        pl.when(own)
        .then(pl.col(REASON))
        .otherwise(pl.lit("linked: ") + pl.col("_link_reason"))
        .alias("_match_reason"),
        pl.when(sure)
        .then(pl.lit("duplicate"))
        .otherwise(pl.lit("review"))
        .alias("_duplicate_outcome"),
    )
    # rows in no cluster whose best earlier match is only likely: review
    in_cluster = np.zeros(len(rid), dtype=bool)
    in_cluster[root[members]] = True
    in_cluster[members] = True
    loose = pairs.filter(pl.Series(~in_cluster[pos_b]) & (pl.col(SCORE) < settings.auto)).sort(
        [RIGHT, SCORE, LEFT], descending=[False, True, False]
    )
    possible = loose.unique(RIGHT, keep="first", maintain_order=True).select(
        pl.col(RIGHT).alias("_idx"),
        pl.col(LEFT).alias("_duplicate_of"),
        pl.col(SCORE).alias("_duplicate_score"),
        pl.col(REASON).alias("_match_reason"),
        pl.lit("review").alias("_duplicate_outcome"),
    )
    return pl.concat([clustered, possible]).cast(schema).sort("_idx")  # type: ignore[arg-type]


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
    compare = dict(settings.compare)
    left = _features(leads, pl.col("_idx"), compare=compare)
    right = _features(crm, row, read_often=False, compare=compare)
    scored, _, _ = _scored_pairs(left, right, settings, settings.review)
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
