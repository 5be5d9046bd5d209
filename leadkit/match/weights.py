"""Fellegi-Sunter weights: m and u estimated on the data at hand, a score per pair.

- u (a level's chance among two different people) is counted on random pairs of the
  records (almost all are two people), pulled toward the prior of `evidence` by
  `U_PRIOR_PAIRS` pseudo-pairs;
- m (among one person) and the share of candidate pairs that are one person are estimated
  by EM on the weighed pairs with u held fixed, as Splink does, pulled toward the prior by
  `M_PRIOR_PAIRS` pseudo-pairs (so a small file keeps the priors);
- each estimate is held within `MAX_SHIFT_BITS` of its prior (a factor of 2**bits either
  way): EM on a few thousand pairs of one shape (colleagues at one company) must not teach
  that a different first name hardly matters;
- EM runs on the distinct patterns of levels (a few hundred, however many pairs), NumPy.

A pair's weight is the sum of its fields' log2(m/u); its score the posterior probability
of one person, the prior being the share of one-person pairs among all pairs of records.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final

import numpy as np
import polars as pl

from leadkit.match.columns import SCORE, WEIGHT
from leadkit.match.evidence import SCORE_DECIMALS, Comparison

M_PRIOR_PAIRS: Final = 200.0  # pseudo-pairs of one person behind the prior m
U_PRIOR_PAIRS: Final = 200.0  # pseudo-pairs of two people behind the prior u
EM_ITERATIONS: Final = 25  # at most; EM stops when no m moves by more than EM_TOLERANCE
EM_TOLERANCE: Final = 1e-4
RANDOM_PAIRS: Final = 20_000  # random pairs that estimate u
MAX_SHIFT_BITS: Final = 2.0  # how far m may move from its prior, in bits
MAX_U_SHIFT_BITS: Final = 2.0  # how far u may move from its prior (names' frequencies vary)
# The share of one-person pairs among the candidates: where EM starts, and its bounds.
START_SHARE: Final = 0.3
SHARE_BOUNDS: Final = (1e-4, 0.99)
# The prior share of one-person pairs among all pairs of records: at most this (a file of
# a few rows would otherwise believe any two are one person).
MAX_PRIOR_SHARE: Final = 1e-2


@dataclass(frozen=True)
class Model:
    """The estimated m and u per field (arrays over its levels) and the prior log-odds of
    one person for any pair of records."""

    comparisons: tuple[Comparison, ...]
    m: tuple[np.ndarray, ...]
    u: tuple[np.ndarray, ...]
    prior_bits: float
    iterations: int = 0
    share: float = START_SHARE
    """The share of one-person pairs among the pairs EM ran on."""

    def weights(self) -> list[np.ndarray]:
        """Per field, each level's match weight in bits: log2(m/u)."""
        return [np.log2(m / u) for m, u in zip(self.m, self.u, strict=True)]


def _pattern_matrix(levels: pl.DataFrame, columns: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
    """The distinct patterns of levels (-1 where missing) and how many pairs have each."""
    if levels.is_empty():
        return np.zeros((0, len(columns)), dtype=np.int64), np.zeros(0)
    counted = levels.select(columns).group_by(columns).len()
    matrix = counted.select(pl.col(c).cast(pl.Int64).fill_null(-1) for c in columns).to_numpy()
    return matrix.reshape(-1, len(columns)), counted["len"].to_numpy().astype(np.float64)


def _log_likelihood(matrix: np.ndarray, probs: Sequence[np.ndarray]) -> np.ndarray:
    """Per pattern, the sum over its fields of log2 of the level's probability (0 where the
    field is missing)."""
    total = np.zeros(len(matrix))
    for f, p in enumerate(probs):
        level = matrix[:, f]
        present = level >= 0
        total[present] += np.log2(p[level[present]])
    return total


def _counted(
    matrix: np.ndarray,
    weights: np.ndarray,
    n_levels: int,
    field: int,
    prior: np.ndarray,
    pseudo: float,
) -> np.ndarray:
    """A level's share among present values, `weights` per pattern, with `pseudo` pairs of
    `prior` added (never 0)."""
    level = matrix[:, field]
    present = level >= 0
    counts = np.bincount(level[present], weights=weights[present], minlength=n_levels)
    share: np.ndarray = (counts + pseudo * prior) / (counts.sum() + pseudo)
    clipped: np.ndarray = np.clip(share, 1e-9, None)
    return clipped


def _bounded(p: np.ndarray, prior: np.ndarray, bits: float) -> np.ndarray:
    """`p` held within a factor of 2**`bits` of `prior` per level, summing to 1."""
    scale = float(np.exp2(bits))
    held: np.ndarray = p
    for _ in range(8):  # (clipping and renormalizing settle in a few rounds)
        held = np.clip(held, prior / scale, np.minimum(prior * scale, 1.0))
        held = held / held.sum()
    return held


def estimate(
    candidates: pl.DataFrame,
    randoms: pl.DataFrame,
    comparisons: Sequence[Comparison],
    all_pairs: float,
    bounds: tuple[float, float] | None = (MAX_SHIFT_BITS, MAX_U_SHIFT_BITS),
    known_ones: float = 0.0,
) -> Model:
    """m and u of each field from the levels of the candidate pairs and of random pairs
    (`Comparison.column` columns), and the prior for `all_pairs` pairs of records; m and u
    held within `bounds` bits of the priors (None: free, as plain EM). `known_ones`: pairs
    found to be one person by other means (the ladder), counted in the prior."""
    m_bits, u_bits = bounds if bounds is not None else (np.inf, np.inf)
    comparisons = tuple(comparisons)
    columns = [c.column for c in comparisons]
    priors_m = [np.asarray(c.m) for c in comparisons]
    priors_u = [np.asarray(c.u) for c in comparisons]
    rand, rcount = _pattern_matrix(randoms, columns)
    u = tuple(
        _bounded(
            _counted(rand, rcount, len(c.levels), f, priors_u[f], U_PRIOR_PAIRS),
            priors_u[f],
            u_bits,
        )
        for f, c in enumerate(comparisons)
    )
    matrix, count = _pattern_matrix(candidates, columns)
    m = tuple(priors_m)
    share = START_SHARE
    iterations = 0
    if len(matrix):
        log_u = _log_likelihood(matrix, u)
        for iterations in range(1, EM_ITERATIONS + 1):  # noqa: B007 - read after the loop
            odds = np.log2(share / (1 - share)) + _log_likelihood(matrix, m) - log_u
            p = 1.0 / (1.0 + np.exp2(-np.clip(odds, -60, 60)))
            share = float(np.clip((p * count).sum() / count.sum(), *SHARE_BOUNDS))
            new = tuple(
                _bounded(
                    _counted(matrix, p * count, len(c.levels), f, priors_m[f], M_PRIOR_PAIRS),
                    priors_m[f],
                    m_bits,
                )
                for f, c in enumerate(comparisons)
            )
            moved = max(float(np.abs(a - b).max()) for a, b in zip(new, m, strict=True))
            m = new
            if moved < EM_TOLERANCE:
                break
    # the share among candidates, as a share among all pairs of records
    ones = (share * count.sum() if len(matrix) else 0.0) + known_ones
    lam = min(max(ones, 1.0) / max(all_pairs, 1.0), MAX_PRIOR_SHARE)
    return Model(comparisons, m, u, float(np.log2(lam / (1 - lam))), iterations, share)


def _scored(levels: pl.DataFrame, model: Model) -> pl.DataFrame:
    """`levels` with `WEIGHT` (bits) and `SCORE` (the posterior, rounded)."""
    weights = model.weights()
    parts = [
        pl.col(c.column)
        .replace_strict(list(range(len(w))), w.tolist(), default=0.0, return_dtype=pl.Float64)
        .fill_null(0.0)
        for c, w in zip(model.comparisons, weights, strict=True)
    ]
    weight = pl.sum_horizontal(parts) if parts else pl.lit(0.0)
    odds = (pl.col(WEIGHT) + model.prior_bits).clip(-60, 60)
    return levels.with_columns(weight.alias(WEIGHT)).with_columns(
        (1.0 / (1.0 + (pl.lit(2.0).pow(-odds)))).round(SCORE_DECIMALS).alias(SCORE)
    )
