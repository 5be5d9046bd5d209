"""The entry points: read a file whose mapping is not known yet, inspect it, draft its mapping.

A file whose headers match a known profile gets that profile's mapping
(`leadkit.draft.profiles`); any other gets a draft from its headers and values
(`leadkit.draft.model`).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import replace
from pathlib import Path

from leadkit.draft.model import Draft, draft_from_inspection
from leadkit.draft.profiles import (
    KnownProfile,
    ProfileMatch,
    builtin_profiles_dir,
    display_path,
    load_profiles,
    match_profiles,
    near_profiles,
    profile_hints,
)
from leadkit.draft.vocabulary import header_vocabulary
from leadkit.errors import InputError
from leadkit.profile import SAMPLE_ROWS, Inspection, inspect_table
from leadkit.read import InputHints, Table, read_table
from leadkit.targets import load_target

__all__ = ["draft_mapping", "inspect_file", "read_input"]


def read_input(
    path: str | Path, *, hints: InputHints | None = None, profiles: Sequence[KnownProfile] = ()
) -> Table:
    """Read a file whose mapping is not known yet: the header is the row holding the most
    known header names (the vocabulary and every profile's headers), else the reader's guess."""
    expected: list[str | Sequence[str]] = [*header_vocabulary()]
    for p in profiles:
        expected.extend(p.entries)
    try:
        return read_table(path, expected_headers=expected, hints=hints)
    except InputError:
        # No row holds a known header: the reader's own guess (`col1, col2, ...` files).
        return read_table(path, hints=hints)


def inspect_file(
    path: str | Path,
    *,
    hints: InputHints | None = None,
    profiles_dir: Path | None = None,
    sample_rows: int = SAMPLE_ROWS,
) -> Inspection:
    """What `leadkit inspect` shows: the reader's detection, a profile of each column, and the
    known profile the file's headers match, if any."""
    profiles = load_profiles(profiles_dir if profiles_dir is not None else builtin_profiles_dir())
    table = read_input(path, hints=hints, profiles=profiles)
    inspection = inspect_table(table, sample_rows=sample_rows)
    matches = match_profiles(inspection.headers, profiles, Path(path).name)
    if matches and matches[0].complete:
        inspection = replace(inspection, profile=matches[0].as_dict())
    else:
        near = [{**m.as_dict(), "differs": m.differences()} for m in near_profiles(matches)]
        inspection = replace(inspection, near_profiles=near)
    return inspection


def draft_mapping(
    path: str | Path,
    *,
    target: str | None = None,
    hints: InputHints | None = None,
    profiles_dir: Path | None = None,
    sample_rows: int = SAMPLE_ROWS,
) -> Draft:
    """A draft mapping for `path`: a known profile's mapping when the file's headers match one,
    else a mapping drafted from its headers and values.

    `target` defaults to generic (for a recognized profile: the profile's own target).
    Raises InputError for an unreadable file, MappingError for an unknown target.
    """
    target_obj = load_target(target or "generic")
    profiles = load_profiles(profiles_dir if profiles_dir is not None else builtin_profiles_dir())
    name = Path(path).name
    if hints is None:
        hints = cjk_encoding_hint(path)
    table = read_input(path, hints=hints, profiles=profiles)
    inspection = inspect_table(table, sample_rows=sample_rows)
    matches = match_profiles(inspection.headers, profiles, name)
    if hints is None and not (matches and matches[0].complete):
        # A profile may need its own input hints (a sheet, a header row) to be seen.
        seen = _seen_with_profile_hints(path, profiles, sample_rows)
        if seen is not None:
            inspection, matches = seen
    if matches and matches[0].complete:
        best = matches[0]
        known = next(p for p in profiles if display_path(p.path) == best.path)
        spec_target = target if target is not None else known.spec.target
        draft = draft_from_inspection(inspection, target=spec_target)
        return replace(
            draft, profile=known, profile_match=best, hints=hints, target_given=target is not None
        )
    draft = draft_from_inspection(
        inspection, target=target or "generic", required=target_obj.required
    )
    return replace(
        draft, near_profiles=near_profiles(matches), hints=hints, target_given=target is not None
    )


_CJK = re.compile(r"[\u3040-\u30ff\u4e00-\u9fff\uac00-\ud7af]")


def cjk_encoding_hint(path: str | Path, sample: int = 1 << 16) -> InputHints | None:
    """`encoding: cp932` for a Shift_JIS (cp932) file the reader would take for cp1252: its
    bytes are not UTF-8, decode as cp932 without error, and mostly into Japanese text.

    The reader itself does not tell cp932 from cp1252 yet (see the patch for
    `leadkit/read/encoding.py`); the draft writes the hint into the mapping's `input:` so
    every later run reads the file the same way."""
    try:
        with open(path, "rb") as fh:
            head = fh.read(sample)
    except OSError:
        return None
    if not head or head.startswith((b"\xef\xbb\xbf", b"\xff\xfe", b"\xfe\xff")):
        return None
    try:
        head.decode("utf-8")
        return None
    except UnicodeDecodeError:
        pass
    text = head.decode("cp932", errors="replace")
    wide = sum(1 for c in text if ord(c) > 0x7F)
    if wide and "\ufffd" not in text[:-2] and len(_CJK.findall(text)) >= 0.6 * wide:
        return InputHints(encoding="cp932")
    return None


def _seen_with_profile_hints(
    path: str | Path, profiles: Sequence[KnownProfile], sample_rows: int
) -> tuple[Inspection, list[ProfileMatch]] | None:
    """The file read with the first profile's own input hints under which it is that
    profile, and that profile's match; None when there is none."""
    for p in profiles:
        hinted = profile_hints(p)
        if hinted is None:
            continue
        try:
            retry = read_table(path, expected_headers=p.entries, hints=hinted)
        except InputError:
            continue
        again = match_profiles(list(_headers(retry)), [p], Path(path).name)
        if again[0].complete:
            return inspect_table(retry, sample_rows=sample_rows), again
    return None


def _headers(table: Table) -> Iterable[str]:
    return (c for c in table.frame.columns if not c.startswith("_"))
