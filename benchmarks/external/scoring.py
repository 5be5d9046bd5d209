"""Scoring for the external benchmark: the same definitions for every tool.

Duplicates (one file): every tool's output becomes a partition of the rows. leadkit's
`(row, _duplicate_of)` links, Splink's pairs at or above a threshold and recordlinkage's
matched pairs are all closed transitively (connected components), so a tool that links
a-b and b-c has said a, b and c are one person. The score is *pairwise*: every unordered pair
of rows in one predicted cluster is a predicted pair, every pair of rows in one true cluster
a true pair.

    precision = |predicted ∩ true| / |predicted|,  recall = |predicted ∩ true| / |true|

Rows a tool drops (leadkit's rejects) are singletons: their true pairs count as misses.

CRM match (partner file against a CRM export): each partner row gets at most one CRM id from
a tool (leadkit: the id in `updates`, `_match_id` in `review`, and a duplicate row inherits the
id of the row it repeats; Splink and recordlinkage: the best-scoring CRM record at or above the
threshold). The pairs (partner row, CRM id) are scored against the true pairs the same way.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import TypeVar

K = TypeVar("K", bound=Hashable)


@dataclass(frozen=True)
class Score:
    tp: int
    predicted: int
    true: int

    @property
    def precision(self) -> float:
        return self.tp / self.predicted if self.predicted else 0.0

    @property
    def recall(self) -> float:
        return self.tp / self.true if self.true else 0.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0

    def as_dict(self) -> dict[str, float | int]:
        return {
            "tp": self.tp,
            "predicted": self.predicted,
            "true": self.true,
            "precision": round(self.precision, 4),
            "recall": round(self.recall, 4),
            "f1": round(self.f1, 4),
        }


def components(links: Iterable[tuple[K, K]]) -> dict[K, K]:
    """Connected components of the links: each linked item -> its component's smallest item.
    Items that appear in no link are not in the result (they are singletons)."""
    parent: dict[K, K] = {}

    def find(x: K) -> K:
        parent.setdefault(x, x)
        root = x
        while parent[root] != root:
            root = parent[root]
        while parent[x] != root:  # path compression
            parent[x], x = root, parent[x]
        return root

    for a, b in links:
        ra, rb = find(a), find(b)
        if ra != rb:
            if rb < ra:  # type: ignore[operator]
                ra, rb = rb, ra
            parent[rb] = ra
    return {x: find(x) for x in parent}


def _pairs_in_groups(groups: Iterable[Sequence[K]]) -> int:
    return sum(len(g) * (len(g) - 1) // 2 for g in groups)


def score_partition(predicted: Mapping[K, Hashable], truth: Mapping[K, Hashable]) -> Score:
    """Pairwise precision/recall of a predicted clustering against the true one.

    `predicted` maps each item to its predicted cluster label (items absent are singletons);
    `truth` maps every item to its true cluster. Counted without listing pairs: the pairs
    shared by both are the pairs within each (predicted cluster, true cluster) cell."""
    by_pred: dict[Hashable, list[K]] = defaultdict(list)
    for item, label in predicted.items():
        by_pred[label].append(item)
    by_true: dict[Hashable, list[K]] = defaultdict(list)
    for item, label in truth.items():
        by_true[label].append(item)
    cells: dict[tuple[Hashable, Hashable], int] = defaultdict(int)
    for item, label in predicted.items():
        cells[(label, truth[item])] += 1
    tp = sum(n * (n - 1) // 2 for n in cells.values())
    return Score(
        tp=tp, predicted=_pairs_in_groups(by_pred.values()), true=_pairs_in_groups(by_true.values())
    )


def score_links(links: Iterable[tuple[K, K]], truth: Mapping[K, Hashable]) -> Score:
    """Duplicates: close the links transitively, then score the partition pairwise."""
    return score_partition(components(links), truth)


def score_assignments(predicted: Mapping[K, Hashable], truth: Mapping[K, Hashable]) -> Score:
    """CRM match: one CRM id per partner row (absent = no match) against the true id
    (absent = the row has no record in the CRM)."""
    tp = sum(1 for row, crm in predicted.items() if truth.get(row) == crm)
    return Score(tp=tp, predicted=len(predicted), true=len(truth))


def best_assignment(
    scored: Iterable[tuple[K, Hashable, float]], threshold: float
) -> dict[K, Hashable]:
    """Each row's best-scoring CRM id among the pairs at or above the threshold
    (ties: the first seen)."""
    best: dict[K, tuple[float, Hashable]] = {}
    for row, crm, s in scored:
        if s >= threshold and (row not in best or s > best[row][0]):
            best[row] = (s, crm)
    return {row: crm for row, (_, crm) in best.items()}


def resolve_duplicates(
    direct: Mapping[K, Hashable], duplicate_of: Mapping[K, K]
) -> dict[K, Hashable]:
    """leadkit's CRM match: a row in `duplicates` gets the CRM id of the row it repeats
    (following chains of repeats), where that row matched one."""
    out = dict(direct)
    for row in duplicate_of:
        seen = {row}
        kept = duplicate_of[row]
        while kept in duplicate_of and kept not in seen:
            seen.add(kept)
            kept = duplicate_of[kept]
        if kept in direct:
            out[row] = direct[kept]
    return out


THRESHOLDS = (
    0.01,
    0.05,
    0.1,
    0.2,
    0.3,
    0.4,
    0.5,
    0.6,
    0.7,
    0.8,
    0.85,
    0.9,
    0.95,
    0.98,
    0.99,
    0.995,
    0.999,
)


def sweep_links(
    scored: Sequence[tuple[K, K, float]],
    truth: Mapping[K, Hashable],
    thresholds: Sequence[float] = THRESHOLDS,
) -> tuple[float, Score]:
    """Duplicates: the threshold with the best F1 (an oracle: it reads the truth)."""
    results = [
        (t, score_links(((a, b) for a, b, s in scored if s >= t), truth)) for t in thresholds
    ]
    return max(results, key=lambda ts: (ts[1].f1, -ts[0]))


def sweep_assignments(
    scored: Sequence[tuple[K, Hashable, float]],
    truth: Mapping[K, Hashable],
    thresholds: Sequence[float] = THRESHOLDS,
) -> tuple[float, Score]:
    """CRM match: the threshold with the best F1 (an oracle: it reads the truth)."""
    results = [(t, score_assignments(best_assignment(scored, t), truth)) for t in thresholds]
    return max(results, key=lambda ts: (ts[1].f1, -ts[0]))
