"""Known profiles: a file in a partner format seen before gets that format's mapping.

When the file's headers hold every source header of a mapping in the profiles folder (the
built-in `mappings/`, or `--profiles DIR`), the file is that partner format.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from leadkit.errors import InputError, LeadkitError
from leadkit.mapping import Mapping, load_mapping
from leadkit.read import InputHints, header_key

__all__ = [
    "MIN_PROFILE_HEADERS",
    "KnownProfile",
    "ProfileMatch",
    "builtin_profiles_dir",
    "display_path",
    "load_profiles",
    "match_profiles",
    "profile_hints",
    "shipped_profiles_dir",
]

MIN_PROFILE_HEADERS = 3
"""A profile reading fewer headers than this is too generic to recognize a file by."""


@dataclass(frozen=True)
class KnownProfile:
    """A mapping in the profiles folder, and the source headers that fingerprint it."""

    name: str
    path: Path
    spec: Mapping
    entries: list[tuple[str, ...]]  # one per source header entry: its alternates

    @property
    def keys(self) -> list[frozenset[str]]:
        return [frozenset(header_key(h) for h in alts) for alts in self.entries]


@dataclass(frozen=True)
class ProfileMatch:
    """How a file's headers compare with one profile's: complete when all are present."""

    name: str
    path: str
    matched: int
    total: int
    missing: list[str]
    shared: float  # share of the file's headers the profile reads
    filename_matches: bool

    @property
    def complete(self) -> bool:
        return self.matched == self.total and self.total >= MIN_PROFILE_HEADERS

    def as_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "path": self.path,
            "matched": self.matched,
            "total": self.total,
            "missing": self.missing,
            "complete": self.complete,
        }


def builtin_profiles_dir() -> Path | None:
    """The built-in profiles: the repository's `mappings/` in a checkout (the folder people
    read and copy), else the copy shipped inside the package (`leadkit/profiles/`, package
    data: what an installed leadkit reads). A test keeps the two identical."""
    package = Path(__file__).resolve().parent.parent
    checkout = package.parent
    if (checkout / "pyproject.toml").is_file() and (checkout / "mappings").is_dir():
        return checkout / "mappings"
    shipped = package / "profiles"
    return shipped if shipped.is_dir() else None


def shipped_profiles_dir() -> Path:
    """The profiles inside the package (`leadkit/profiles/`), installed or not."""
    return Path(__file__).resolve().parent.parent / "profiles"


def load_profiles(directory: Path | None) -> list[KnownProfile]:
    """Every mapping file in `directory` that loads (others are skipped: `mapping check` reports them)."""
    if directory is None:
        return []
    if not directory.is_dir():
        raise InputError(f"{directory}: profiles folder not found")
    out = []
    for path in sorted([*directory.glob("*.yaml"), *directory.glob("*.yml")]):
        try:
            loaded = load_mapping(path)
        except LeadkitError:
            continue
        entries = [
            (src,) if isinstance(src, str) else tuple(src) for src in loaded.spec.source_headers()
        ]
        out.append(KnownProfile(loaded.name, path, loaded.spec, entries))
    return out


def match_profiles(
    headers: Sequence[str], profiles: Sequence[KnownProfile], filename: str = ""
) -> list[ProfileMatch]:
    """Every profile compared with the file's headers, best first: complete ones, then the
    ones reading the most headers (the most specific), then the closest fit to the file."""
    have = {header_key(h) for h in headers}
    out = []
    for p in profiles:
        present = [bool(alts & have) for alts in p.keys]
        read = set().union(*p.keys) & have if p.keys else set()
        globs = [p.spec.match] if isinstance(p.spec.match, str) else list(p.spec.match or [])
        out.append(
            ProfileMatch(
                name=p.name,
                path=display_path(p.path),
                matched=sum(present),
                total=len(present),
                missing=[" / ".join(e) for e, ok in zip(p.entries, present, strict=True) if not ok],
                shared=round(len(read) / len(have), 4) if have else 0.0,
                filename_matches=bool(filename)
                and any(fnmatch.fnmatch(filename.lower(), g.lower()) for g in globs),
            )
        )
    return sorted(
        out,
        key=lambda m: (
            not m.complete,
            -(m.matched / m.total if m.total else 0),
            -m.total,
            -m.shared,
            not m.filename_matches,
            m.name,
        ),
    )


def display_path(path: Path) -> str:
    """`path` relative to the working directory when it is below it, as people type it."""
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)


def profile_hints(p: KnownProfile) -> InputHints | None:
    """The input hints a profile's mapping gives (a sheet, a header row), or None."""
    i = p.spec.input
    if i.sheet is None and i.header_row is None and i.delimiter is None and i.encoding is None:
        return None
    return InputHints(
        sheet=i.sheet, header_row=i.header_row, delimiter=i.delimiter, encoding=i.encoding
    )
