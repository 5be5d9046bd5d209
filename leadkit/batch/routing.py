"""Which mapping a file goes to: the one mapping whose `match:` glob(s) fit its name.

A file no mapping fits, or that several fit, or whose only fitting mapping does not load,
"needs a mapping": it stays in the inbox and is listed in `needs-mapping.txt` with what to do.
"""

from __future__ import annotations

import contextlib
import fnmatch
import re
import shlex
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from leadkit.batch.files import Candidate, now, printable, write_text
from leadkit.batch.results import FileResult, MappingProblem
from leadkit.errors import MappingError
from leadkit.mapping import LoadedMapping, load_mapping

NEEDS_MAPPING = "needs-mapping.txt"


@dataclass
class Router:
    """The mappings of the mappings folder, and the globs of those that do not load (their
    files wait for the fix instead of being called unmatched)."""

    mappings_dir: Path
    mappings: list[LoadedMapping] = field(default_factory=list)
    broken: list[tuple[MappingProblem, list[str]]] = field(default_factory=list)

    @classmethod
    def load(cls, mappings_dir: Path) -> Router:
        router = cls(mappings_dir)
        files = sorted(
            p
            for p in mappings_dir.iterdir()
            if p.suffix.lower() in (".yaml", ".yml") and p.is_file() and not p.name.startswith(".")
        )
        for path in files:
            try:
                router.mappings.append(load_mapping(path))
            except MappingError as e:
                router.broken.append((_problem(path, e), _raw_globs(path)))
        return router

    @property
    def problems(self) -> list[MappingProblem]:
        return [problem for problem, _ in self.broken]

    def route(self, cand: Candidate) -> LoadedMapping | FileResult:
        """The file's mapping, or its `needs-mapping` result."""
        name = cand.name
        fits = [m for m in self.mappings if _fits(name, _globs(m.spec.match))]
        if len(fits) == 1:
            return fits[0]
        if fits:
            return _ambiguous(name, fits)
        broken = [p for p, globs in self.broken if _fits(name, globs)]
        if broken:
            return FileResult(
                name,
                "needs-mapping",
                "mapping-error",
                f"its mapping {broken[0].path.name} does not load: fix it, the file waits",
            )
        return self._unmatched(cand)

    def _unmatched(self, cand: Candidate) -> FileResult:
        target = self.mappings_dir / f"{_slug(cand.path.stem)}.yaml"
        cmd = f"leadkit mapping init {shlex.quote(str(cand.path))} -o {shlex.quote(str(target))}"
        return FileResult(
            cand.name,
            "needs-mapping",
            "unmatched",
            "no mapping's match: glob fits this name; draft one (and give it a match: glob)",
            command=cmd,
        )


def _problem(path: Path, e: MappingError) -> MappingProblem:
    first = str(e).splitlines()[0] if str(e) else "invalid mapping"
    more = len(e.problems) - 1
    return MappingProblem(path, f"{first} (and {more} more problem(s))" if more > 0 else first)


def _ambiguous(name: str, fits: list[LoadedMapping]) -> FileResult:
    names = ", ".join(f"{m.name} ({m.path.name if m.path else '?'})" for m in fits)
    return FileResult(
        name,
        "needs-mapping",
        "ambiguous",
        f"{len(fits)} mappings match this name: {names}; narrow their match: globs",
    )


# --- the list of files that need a mapping ------------------------------------------------


def listed_before(out_dir: Path) -> set[str]:
    """The files the previous run listed as needing a mapping."""
    try:
        text = (out_dir / NEEDS_MAPPING).read_text("utf-8")
    except (FileNotFoundError, UnicodeDecodeError):
        return set()
    return {line.split("\t", 1)[0] for line in text.splitlines() if line and line[0] != "#"}


def was_listed(name: str, before: set[str]) -> bool:
    """Whether the previous run listed this file (the list holds names escaped)."""
    return printable(name) in before


def write_needs_mapping(
    out_dir: Path, inbox: Path, todo: Sequence[FileResult], mode: int | None = None
) -> None:
    """List the files that need a mapping, with what to do; no list when there are none.
    One line per file: control characters in a name are escaped."""
    path = out_dir / NEEDS_MAPPING
    if not todo:
        with contextlib.suppress(FileNotFoundError):
            path.unlink()
        return
    lines = [
        f"# Files in {inbox} that leadkit run cannot route to one mapping (updated {now()}).",
        "# file<TAB>reason<TAB>what to do",
    ]
    lines.extend(
        "\t".join(printable(x) for x in (f.file, f.reason or "", f.command or f.message))
        for f in todo
    )
    write_text(path, "\n".join(lines) + "\n", mode)


# --- globs --------------------------------------------------------------------------------


def _globs(match: str | list[str] | None) -> list[str]:
    if match is None:
        return []
    return [match] if isinstance(match, str) else [g for g in match if isinstance(g, str)]


def _fits(name: str, globs: Sequence[str]) -> bool:
    low = name.lower()
    return any(fnmatch.fnmatchcase(low, g.lower()) for g in globs)


def _raw_globs(path: Path) -> list[str]:
    """The `match:` of a mapping that does not validate, so its files wait for the fix."""
    try:
        data = yaml.safe_load(path.read_text("utf-8", errors="replace"))
    except (OSError, yaml.YAMLError):
        return []
    return _globs(data.get("match")) if isinstance(data, dict) else []


def _slug(stem: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", stem.lower()).strip("-") or "mapping"
