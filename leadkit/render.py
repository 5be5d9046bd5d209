"""Everything leadkit shows a person, on stderr, with Rich. The core never prints."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rich.console import Console
from rich.table import Table

if TYPE_CHECKING:
    from leadkit.pipeline import RunResult
    from leadkit.report import Report
    from leadkit.targets import Target

err = Console(stderr=True, highlight=False)
out = Console(highlight=False)

_STAGES = ("read", "remap", "standardize", "validate", "match", "write")


@contextmanager
def progress(enabled: bool = True) -> Iterator[Callable[[str], None] | None]:
    """A one-line stage display on a terminal; nothing when output is not a terminal."""
    if not (enabled and err.is_terminal):
        yield None
        return
    with err.status("reading…") as status:

        def done(stage: str) -> None:
            nxt = _STAGES.index(stage) + 1 if stage in _STAGES else len(_STAGES)
            status.update(f"{_STAGES[nxt]}…" if nxt < len(_STAGES) else "done")

        yield done


def summary(results: Sequence[RunResult], out_dir: Path) -> None:
    for r in results:
        rep = r.document
        c = rep.counts
        err.print(
            f"[bold]{r.input.name}[/] → {out_dir}/  ({rep.rows:,} rows in {rep.timings['total']:.2f}s)"
        )
        t = Table(show_header=False, box=None, pad_edge=False)
        t.add_column(justify="right")
        t.add_column()
        for name in ("import", "updates", "review", "duplicates", "rejects", "blank"):
            if c.get(name) or name in ("import", "rejects"):
                t.add_row(f"  {c.get(name, 0):,}", name)
        err.print(t)
        top = list(rep.reject_reasons.items())[:5]
        if top:
            err.print("  top reject reasons: " + ", ".join(f"{k} ({v:,})" for k, v in top))
        for line in kept_issues(rep):
            err.print(f"  [yellow]{line}[/]")
        _handoff_lines(rep.handoff)
        for w in rep.warnings:
            err.print(f"  [yellow]warning:[/] {w}")
        if rep.limits.exceeded:
            err.print(f"  [red]{rep.limit_line()}[/]")


def kept_issues(rep: Report) -> list[str]:
    """One line per field and issue the run kept, with its fix, from the report's `issues`
    (every row's values) less the `field:code` reject reasons (those rows went to the rejects
    file, and the top reject reasons name them)."""
    from leadkit.codes import FIXES

    lines = []
    for f, codes in rep.issues.items():
        for code, n in codes.items():
            fix = FIXES.get(code)
            kept = n - rep.reject_reasons.get(f"{f}:{code}", 0)
            if fix is None or kept <= 0:
                continue
            lines.append(f"{kept:,} {f} values {fix.what}; {fix.fix.format(field=f)}")
    return lines


def _handoff_lines(handoff: Mapping[str, Any] | None, top: int = 8) -> None:
    """The run's handoff, when it had one: suppressed by reason, leads per route step and
    per owner (the first `top`). Counts and names of reasons and owners only."""
    if not handoff:
        return
    for key, label in (("suppressed", "suppressed"), ("routes", "routes"), ("owners", "owners")):
        table = handoff.get(key) or {}
        if not table:
            continue
        shown = list(table.items())[:top]
        more = f", {len(table) - len(shown)} more" if len(table) > len(shown) else ""
        err.print(f"  {label}: " + ", ".join(f"{k} ({v:,})" for k, v in shown) + more)


def targets(items: Sequence[Target], full: bool) -> None:
    if not full:
        t = Table("target", "id column", "required", "description")
        for tg in items:
            t.add_row(tg.name, tg.id_column, ", ".join(tg.required), tg.description)
        out.print(t)
        return
    for tg in items:
        t = Table(
            "field",
            "column",
            "max length",
            title=f"{tg.name}: {tg.description}",
            title_justify="left",
        )
        for f, spec in tg.fields.items():
            t.add_row(f, spec.column, str(spec.max_length or ""))
        out.print(t)
        out.print(
            f"id column: {tg.id_column}; required: {', '.join(tg.required)}; "
            f"opt-in written as {'opted out (inverse)' if tg.opt_in_inverse else 'opted in'}; "
            f"country as {tg.country_form}, state as {tg.state_form}"
        )


def codes() -> None:
    from leadkit.codes import CODES

    t = Table("code", "severity", "title", "description")
    for c in CODES.values():
        t.add_row(c.code, c.severity, c.title, c.description)
    out.print(t)
