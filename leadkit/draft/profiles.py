"""Known profiles: a file in a partner format seen before gets that format's mapping.

When the file's headers hold every fixed source header of a mapping in the profiles folder
(the built-in `mappings/`, or `--profiles DIR`), the file is that partner format, whatever
else it holds. A profile's `optional:` headers (custom or registration questions, which
differ from one event or form to the next) may be missing: they are not counted. A file
holding most of a profile's fixed headers (`NEAR_SHARE`) is *near* it: the draft and
`inspect` name the profile and what differs.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from leadkit.errors import InputError, LeadkitError
from leadkit.mapping import Mapping, load_mapping
from leadkit.read import InputHints, header_key

__all__ = [
    "MIN_PROFILE_HEADERS",
    "NEAR_SHARE",
    "KnownProfile",
    "ProfileMatch",
    "builtin_profiles_dir",
    "display_path",
    "load_profiles",
    "match_profiles",
    "near_profiles",
    "profile_hints",
    "shipped_profiles_dir",
]

MIN_PROFILE_HEADERS = 3
"""A profile reading fewer headers than this is too generic to recognize a file by."""

NEAR_SHARE = 0.7
"""A file holding at least this share of a profile's fixed headers (not all) is near it."""


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

    @property
    def optional(self) -> list[bool]:
        """Per entry: every one of its headers is in the mapping's `optional:` list."""
        return [self.spec.is_optional(list(alts)) for alts in self.entries]


@dataclass(frozen=True)
class ProfileMatch:
    """How a file's headers compare with one profile's fixed headers (its optional ones
    apart): complete when all are present."""

    name: str
    path: str
    matched: int  # fixed entries present
    total: int  # fixed entries
    missing: list[str]  # fixed entries absent
    shared: float  # share of the file's headers the profile reads
    filename_matches: bool
    optional_missing: list[str] = field(default_factory=list)  # optional entries absent
    extra: list[str] = field(default_factory=list)  # the file's headers the profile does not read

    @property
    def complete(self) -> bool:
        return self.matched == self.total and self.total >= MIN_PROFILE_HEADERS

    @property
    def near(self) -> bool:
        """Not complete, but holding at least `NEAR_SHARE` of the profile's fixed headers."""
        return (
            not self.complete
            and self.total >= MIN_PROFILE_HEADERS
            and self.matched / self.total >= NEAR_SHARE
        )

    def differences(self) -> str:
        """What differs from the profile, in one phrase: the fixed headers the file lacks,
        then the number of its headers the profile does not read."""
        parts = []
        if self.missing:
            parts.append("lacks " + ", ".join(repr(m) for m in self.missing))
        if self.extra:
            parts.append(f"has {len(self.extra)} other header(s)")
        return "; ".join(parts) or "the same headers"

    def as_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "path": self.path,
            "matched": self.matched,
            "total": self.total,
            "missing": self.missing,
            "optional_missing": self.optional_missing,
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
        keys, optional = p.keys, p.optional
        fixed = [
            (e, bool(k & have)) for e, k, o in zip(p.entries, keys, optional, strict=True) if not o
        ]
        loose = [
            (e, bool(k & have)) for e, k, o in zip(p.entries, keys, optional, strict=True) if o
        ]
        read = set().union(*keys) & have if keys else set()
        globs = [p.spec.match] if isinstance(p.spec.match, str) else list(p.spec.match or [])
        out.append(
            ProfileMatch(
                name=p.name,
                path=display_path(p.path),
                matched=sum(ok for _, ok in fixed),
                total=len(fixed),
                missing=[" / ".join(e) for e, ok in fixed if not ok],
                shared=round(len(read) / len(have), 4) if have else 0.0,
                filename_matches=bool(filename)
                and any(fnmatch.fnmatch(filename.lower(), g.lower()) for g in globs),
                optional_missing=[" / ".join(e) for e, ok in loose if not ok],
                extra=[h for h in headers if header_key(h) not in read],
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


def near_profiles(matches: Sequence[ProfileMatch], most: int = 2) -> list[ProfileMatch]:
    """Up to `most` profiles the file is near (`ProfileMatch.near`), best first: named by the
    draft and `inspect` in case the file is one of them with columns dropped or renamed."""
    return [m for m in matches if m.near][:most]


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
