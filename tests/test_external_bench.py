"""The external benchmark's scoring (benchmarks/external/scoring.py) on toy truths."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import pytest


def _load() -> ModuleType:
    path = Path(__file__).parent.parent / "benchmarks" / "external" / "scoring.py"
    spec = importlib.util.spec_from_file_location("external_scoring", path)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


scoring = _load()

# Rows 1-3 are person A, 4-5 person B, 6 person C: true pairs 1-2, 1-3, 2-3, 4-5 (4 pairs).
TRUTH = {1: "A", 2: "A", 3: "A", 4: "B", 5: "B", 6: "C"}


@pytest.mark.parametrize(
    ("links", "tp", "predicted"),
    [
        ([], 0, 0),
        ([(2, 1)], 1, 1),
        # leadkit's star (both repeats name the kept row) closes to the whole cluster.
        ([(2, 1), (3, 1)], 3, 3),
        # a chain: 2 repeats 1, 3 repeats 2: still one cluster of three.
        ([(2, 1), (3, 2)], 3, 3),
        ([(2, 1), (3, 1), (5, 4)], 4, 4),
        # one wrong link merges A and B: 10 predicted pairs, 4 of them true.
        ([(2, 1), (3, 1), (5, 4), (4, 3)], 4, 10),
        ([(6, 5)], 0, 1),
        # the same link twice, in both directions, is one pair.
        ([(1, 2), (2, 1)], 1, 1),
    ],
)
def test_score_links_pairwise_over_clusters(
    links: list[tuple[int, int]], tp: int, predicted: int
) -> None:
    s = scoring.score_links(links, TRUTH)
    assert (s.tp, s.predicted, s.true) == (tp, predicted, 4)


def test_precision_recall_f1() -> None:
    s = scoring.score_links([(2, 1), (3, 1), (5, 4), (4, 3)], TRUTH)
    assert (s.precision, s.recall) == (0.4, 1.0)
    assert s.f1 == pytest.approx(2 * 0.4 / 1.4)
    empty = scoring.score_links([], TRUTH)
    assert (empty.precision, empty.recall, empty.f1) == (0.0, 0.0, 0.0)


def test_components_label_is_smallest_member() -> None:
    assert scoring.components([(5, 3), (3, 9), (2, 1)]) == {5: 3, 3: 3, 9: 3, 2: 1, 1: 1}


CRM_TRUTH = {1: "c1", 2: "c1", 3: "c2", 4: "c3"}


@pytest.mark.parametrize(
    ("predicted", "tp", "n"),
    [
        ({}, 0, 0),
        ({1: "c1", 3: "c2"}, 2, 2),
        ({1: "c1", 3: "c9"}, 1, 2),
        ({1: "c1", 2: "c1", 3: "c2", 4: "c3"}, 4, 4),
        ({5: "c1"}, 0, 1),  # a row with no CRM record matched to one
    ],
)
def test_score_assignments(predicted: dict[int, str], tp: int, n: int) -> None:
    s = scoring.score_assignments(predicted, CRM_TRUTH)
    assert (s.tp, s.predicted, s.true) == (tp, n, 4)


def test_best_assignment_takes_the_best_at_or_above_threshold() -> None:
    scored = [(1, "c1", 0.95), (1, "c2", 0.97), (2, "c1", 0.5), (3, "c2", 0.9)]
    assert scoring.best_assignment(scored, 0.9) == {1: "c2", 3: "c2"}
    assert scoring.best_assignment(scored, 0.4) == {1: "c2", 2: "c1", 3: "c2"}


def test_resolve_duplicates_follows_chains_to_a_matched_row() -> None:
    direct = {1: "c1", 7: "c7"}
    dup_of = {2: 1, 3: 2, 5: 4}  # 3 -> 2 -> 1 (matched); 5 -> 4 (not matched)
    assert scoring.resolve_duplicates(direct, dup_of) == {1: "c1", 7: "c7", 2: "c1", 3: "c1"}


def test_sweeps_pick_the_threshold_with_the_best_f1() -> None:
    links = [(2, 1, 0.99), (3, 1, 0.8), (5, 4, 0.6), (6, 5, 0.3)]
    t, s = scoring.sweep_links(links, TRUTH, thresholds=(0.2, 0.5, 0.9))
    assert (t, s.tp, s.predicted) == (0.5, 4, 4)
    scored = [(1, "c1", 0.99), (2, "c1", 0.7), (3, "c9", 0.4)]
    t, s = scoring.sweep_assignments(scored, CRM_TRUTH, thresholds=(0.3, 0.6, 0.95))
    assert (t, s.tp, s.predicted) == (0.6, 2, 2)
