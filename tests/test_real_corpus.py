"""The real-export corpus (tests/real/): every expected mapping checks clean on its file,
every file is read without losing rows, and `mapping init` drafts score at least today's
precision and recall against the expected mappings (a ratchet)."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from leadkit.check import check_file
from leadkit.mapping import load_mapping
from leadkit.pipeline import Job, normalize_file

REAL = Path(__file__).resolve().parent / "real"


def _scorer() -> ModuleType:
    """tests/real/score_drafts.py, imported by path (tests/ is not a package)."""
    name = "tests.real.score_drafts"
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(name, REAL / "score_drafts.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


score_drafts = _scorer()
CASES = score_drafts.cases()
IDS = [c.name for c in CASES]

# Draft quality: 197 correct of 223 drafted fields, of 247 expected, before `mapping init`
# weighed values against headers (issue 14); 221 of 234 after. Raise these as the drafts
# improve (goals: precision >= 0.97, recall >= 0.95); never lower them.
MIN_PRECISION = 0.944
MIN_RECALL = 0.898


def test_corpus_has_at_least_twenty_exports() -> None:
    assert len(CASES) >= 20


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_expected_mapping_checks_clean_on_its_file(case: Any) -> None:
    result = check_file(case.expected, sample=case.data)
    assert [str(p) for p in result.problems] == []
    assert result.dry_run is not None


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_every_row_is_accounted_for(case: Any, tmp_path: Path) -> None:
    job = Job(load_mapping(case.expected))
    report = normalize_file(case.data, job, tmp_path).report
    assert report["rows"] > 0
    assert sum(report["counts"].values()) == report["rows"]
    written = 0
    for name in ("import", "updates", "review", "duplicates", "rejects"):
        out = tmp_path / f"{case.data.stem}.{name}.csv"
        if out.exists():
            import polars as pl

            written += pl.read_csv(out, infer_schema_length=0).height
    assert written == report["rows"] - report["counts"]["blank"]


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_every_draft_passes_its_own_check(case: Any, tmp_path: Path) -> None:
    """`mapping init FILE --target T` then `mapping check --sample FILE`: no problem, and the
    dry run runs (T: the expected mapping's target, as the scorer drafts)."""
    import yaml

    from leadkit.draft import draft_mapping

    target = yaml.safe_load(case.expected.read_text(encoding="utf-8")).get("target", "generic")
    draft = draft_mapping(case.data, target=target)
    path = tmp_path / "draft.yaml"
    path.write_text(draft.to_yaml(path), encoding="utf-8")
    result = check_file(path, sample=case.data)
    assert [str(p) for p in result.problems] == [], draft.to_yaml(path)
    assert result.dry_run is not None


def test_compare_counts_first_columns_only() -> None:
    score = score_drafts.compare(
        "x",
        drafted={"email": ["E-mail"], "phone": ["Mobile", "Phone"], "street": ["Address"]},
        expected={"email": ["e-mail "], "phone": ["Phone", "Mobile"], "city": ["City"]},
    )
    assert (score.drafted, score.expected, score.correct) == (3, 3, 1)
    assert score.wrong == [
        "phone: drafted 'Mobile', expected 'Phone'",
        "street: drafted 'Address', expected nothing",
    ]
    assert score.missing == ["city: 'City'"]


def test_drafts_do_not_fall_below_the_ratchet() -> None:
    scores, totals = score_drafts.score_all()
    assert len(scores) == len(CASES)
    assert totals.precision >= MIN_PRECISION, score_drafts.render(scores, totals)
    assert totals.recall >= MIN_RECALL, score_drafts.render(scores, totals)
