"""Score `leadkit mapping init` drafts against the real-export corpus in tests/real/.

Each folder `tests/real/<name>/` holds one export (any file name) and `expected.yaml`, the
mapping a careful marketing-ops person would write for it. For each file, the draft is made
the way `leadkit mapping init FILE --target T` makes it (`leadkit.draft.draft_mapping`, with
T the expected mapping's target and no reader hints: what a new user gets), and its
`columns:` are compared field by field with expected.yaml's:

- a field is *correct* when the draft maps it and the draft's first source header equals the
  expected first source header (headers compared as the reader compares them: case and
  spacing ignored, `leadkit.read.header_key`). Alternates after the first (list fallbacks) do
  not count either way: the first column is the one whose value wins whenever it is filled.
- precision = correct fields / fields the draft maps;
- recall = correct fields / fields expected.yaml maps.

Totals are micro-averaged (summed over the corpus). Run it as
`python -m tests.real.score_drafts` or `python tests/real/score_drafts.py` from the
repository root; `--json` prints the figures as JSON.
"""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from leadkit.draft import draft_mapping
from leadkit.read import header_key

CORPUS = Path(__file__).resolve().parent
BUILTIN_TARGETS = ("salesforce", "hubspot", "marketo", "generic")


@dataclass(frozen=True)
class Case:
    """One corpus entry: the export and its expected mapping."""

    name: str
    data: Path
    expected: Path


@dataclass
class Score:
    """How one draft compares with its expected mapping."""

    name: str
    drafted: int
    expected: int
    correct: int
    profile: str | None = None
    wrong: list[str] = field(default_factory=list)  # drafted, but not the expected first column
    missing: list[str] = field(default_factory=list)  # expected, not drafted

    @property
    def precision(self) -> float:
        return self.correct / self.drafted if self.drafted else 1.0

    @property
    def recall(self) -> float:
        return self.correct / self.expected if self.expected else 1.0

    def as_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "profile": self.profile,
            "drafted": self.drafted,
            "expected": self.expected,
            "correct": self.correct,
            "precision": round(self.precision, 4),
            "recall": round(self.recall, 4),
            "wrong": self.wrong,
            "missing": self.missing,
        }


@dataclass
class Totals:
    drafted: int
    expected: int
    correct: int

    @property
    def precision(self) -> float:
        return self.correct / self.drafted if self.drafted else 1.0

    @property
    def recall(self) -> float:
        return self.correct / self.expected if self.expected else 1.0


def cases(root: Path = CORPUS) -> list[Case]:
    """Every folder of `root` holding an expected.yaml and exactly one other file."""
    out = []
    for folder in sorted(p for p in root.iterdir() if p.is_dir()):
        expected = folder / "expected.yaml"
        if not expected.is_file():
            continue
        data = [p for p in folder.iterdir() if p.is_file() and p.name != "expected.yaml"]
        if len(data) != 1:
            raise ValueError(
                f"{folder}: expected one export beside expected.yaml, found {len(data)}"
            )
        out.append(Case(folder.name, data[0], expected))
    return out


def _sources(value: Any) -> list[str]:
    return [value] if isinstance(value, str) else [str(v) for v in value]


def columns_of(mapping: dict[str, Any]) -> dict[str, list[str]]:
    """A mapping's `columns:` as field -> its source headers (first one first)."""
    return {f: _sources(v) for f, v in (mapping.get("columns") or {}).items()}


def compare(name: str, drafted: dict[str, list[str]], expected: dict[str, list[str]]) -> Score:
    score = Score(name, drafted=len(drafted), expected=len(expected), correct=0)
    for fld, heads in drafted.items():
        want = expected.get(fld)
        if want is not None and header_key(heads[0]) == header_key(want[0]):
            score.correct += 1
        else:
            score.wrong.append(
                f"{fld}: drafted '{heads[0]}', expected " + (f"'{want[0]}'" if want else "nothing")
            )
    score.missing = [
        f"{fld}: '{heads[0]}'" for fld, heads in expected.items() if fld not in drafted
    ]
    return score


def score_case(case: Case) -> Score:
    expected = yaml.safe_load(case.expected.read_text(encoding="utf-8"))
    target = expected.get("target", "generic")
    draft = draft_mapping(case.data, target=target if target in BUILTIN_TARGETS else None)
    score = compare(case.name, columns_of(draft.mapping_dict()), columns_of(expected))
    score.profile = draft.profile.name if draft.profile else None
    return score


def score_all(root: Path = CORPUS) -> tuple[list[Score], Totals]:
    scores = [score_case(c) for c in cases(root)]
    totals = Totals(
        drafted=sum(s.drafted for s in scores),
        expected=sum(s.expected for s in scores),
        correct=sum(s.correct for s in scores),
    )
    return scores, totals


def render(scores: list[Score], totals: Totals) -> str:
    width = max(len(s.name) for s in scores) if scores else 4
    lines = [f"{'file':<{width}}  drafted  expected  correct  precision  recall"]
    lines.extend(
        f"{s.name:<{width}}  {s.drafted:>7}  {s.expected:>8}  {s.correct:>7}  "
        f"{s.precision:>9.3f}  {s.recall:>6.3f}" + (f"  (profile {s.profile})" if s.profile else "")
        for s in scores
    )
    lines.append(
        f"{'TOTAL':<{width}}  {totals.drafted:>7}  {totals.expected:>8}  {totals.correct:>7}  "
        f"{totals.precision:>9.3f}  {totals.recall:>6.3f}"
    )
    for s in scores:
        if s.wrong or s.missing:
            lines.append(f"\n{s.name}:")
            lines.extend(f"  wrong   {w}" for w in s.wrong)
            lines.extend(f"  missing {m}" for m in s.missing)
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    scores, totals = score_all()
    if "--json" in args:
        print(
            json.dumps(
                {
                    "files": [s.as_dict() for s in scores],
                    "total": {
                        "drafted": totals.drafted,
                        "expected": totals.expected,
                        "correct": totals.correct,
                        "precision": round(totals.precision, 4),
                        "recall": round(totals.recall, 4),
                    },
                },
                indent=2,
                ensure_ascii=False,
            )
        )
    else:
        sys.stdout.write(render(scores, totals))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
