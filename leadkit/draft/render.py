"""Writing the draft as YAML, with a comment on every line saying how sure it is and why.

A recognized profile is written as that profile's own file, with a head saying so; a draft
is written field by field, then the columns left out and the headers left unmapped.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml

from leadkit.draft.evidence import KIND_WORDS
from leadkit.read import InputHints, header_key

if TYPE_CHECKING:
    from leadkit.draft.model import Draft

__all__ = ["hints_dict", "render_draft", "render_profile", "yaml_scalar"]


def hints_dict(hints: InputHints | None) -> dict[str, Any]:
    if hints is None:
        return {}
    raw = {
        "sheet": hints.sheet,
        "header_row": hints.header_row,
        "delimiter": hints.delimiter,
        "encoding": hints.encoding,
    }
    return {k: v for k, v in raw.items() if v is not None}


# --- writing YAML with comments ----------------------------------------------------------------


_PLAIN = re.compile(r"^[^\W\d_][\w .()/&'+-]*$")


def yaml_scalar(text: str) -> str:
    """`text` as a YAML scalar: plain when that reads back the same, else double-quoted."""
    if _PLAIN.match(text) and not text.endswith(" "):
        try:
            if yaml.safe_load(text) == text:
                return text
        except yaml.YAMLError:
            pass
    quoted: str = yaml.safe_dump(text, default_style='"', allow_unicode=True, width=1 << 30)
    return quoted.rstrip("\n")


def _value(headers: list[str]) -> str:
    if len(headers) == 1:
        return yaml_scalar(headers[0])
    return "[" + ", ".join(yaml_scalar(h) for h in headers) + "]"


def _comment(text: str) -> str:
    return "# " + " ".join(text.split())


def _read_summary(info: dict[str, Any], rows: int) -> str:
    parts = [str(info.get("format", "")).upper()]
    if info.get("encoding"):
        parts.append(str(info["encoding"]))
    if info.get("delimiter"):
        parts.append(f"delimiter {info['delimiter']!r}")
    if info.get("sheet"):
        parts.append(f"sheet {info['sheet']!r}")
    where = f"header on row {info.get('header_row')}, {rows} data rows"
    footer = f", footer {info['footer']!r}" if info.get("footer") else ""
    return f"Read as {', '.join(p for p in parts if p)}; {where}{footer}."


def render_draft(d: Draft, saved_as: str) -> str:
    """A drafted mapping: what it is and how to check it, the mapped fields each with its
    confidence and evidence, then what was left out and why."""
    lines = [
        *_draft_head(d, saved_as),
        f"target: {yaml_scalar(d.target)}",
        *_input_lines(d),
        *_country_lines(d),
        "columns:",
        *_column_lines(d),
        *_left_out_lines(d),
        *_default_lines(d),
        *_required_lines(d),
        *_unmapped_lines(d),
    ]
    return "\n".join(lines) + "\n"


def _draft_head(d: Draft, saved_as: str) -> list[str]:
    return [
        f"# Draft mapping for {Path(d.path).name}, written by `leadkit mapping init`.",
        _comment(_read_summary(d.inspection.info, d.inspection.rows)),
        "# Each line says how sure the draft is and why. Check them, then:",
        f"#   leadkit mapping check {saved_as} --sample {d.path}",
        *(
            _comment(
                f"Close to the profile '{near.name}' ({near.path}): {near.matched} of its "
                f"{near.total} fixed headers; the file {near.differences()}."
            )
            for near in d.near_profiles
        ),
    ]


def _input_lines(d: Draft) -> list[str]:
    hints = hints_dict(d.hints)
    if not hints:
        return []
    return [
        "input:",
        *(f"  {k}: {yaml_scalar(str(v)) if isinstance(v, str) else v}" for k, v in hints.items()),
    ]


def _column_lines(d: Draft) -> list[str]:
    """`field: header` lines, their comments aligned; the best column's evidence for each."""
    by_header = {c.header: c for c in d.columns}
    entries = []
    for fld, headers in d.mapped.items():
        best = max((by_header[h] for h in headers), key=lambda c: c.confidence)
        entries.append((f"  {fld}: {_value(headers)}", f"{best.confidence:.2f}: {best.evidence}"))
    if not entries:
        return ["  {}  # nothing could be mapped: fill in `field: header` lines"]
    width = max(len(e[0]) for e in entries)
    return [f"{text.ljust(width)}  {_comment(why)}" for text, why in entries]


def _left_out_lines(d: Draft) -> list[str]:
    return [
        "  "
        + _comment(
            f"{'ambiguous' if c.status == 'ambiguous' else 'left out'}: "
            f"'{c.header}' {c.note}; {c.evidence}"
        )
        for c in d.columns
        if c.status in ("ambiguous", "duplicate")
    ]


def _country_lines(d: Draft) -> list[str]:
    if d.default_country is None:
        return []
    code, why = d.default_country
    return [f"default_country: {code}  " + _comment(f"for phones without a country code: {why}")]


def _default_lines(d: Draft) -> list[str]:
    if not d.defaults:
        return []
    lines = [
        _comment(
            f"The target {d.target} requires {', '.join(d.defaults)}, and no column of the file "
            "holds it: every lead gets this placeholder (the convention Marketo and Pardot "
            "use), so that none is rejected for it. Map a column instead if one exists."
        ),
        "defaults:",
    ]
    lines += [f"  {f}: {yaml_scalar(v)}" for f, v in d.defaults.items()]
    return lines


def _required_lines(d: Draft) -> list[str]:
    if not d.required_missing:
        return []
    return [
        _comment(
            f"The target {d.target} requires {', '.join(d.required_missing)}: "
            "no column was found for it; map one or add it under `constants:`."
        )
    ]


def _unmapped_lines(d: Draft) -> list[str]:
    unmapped = [c for c in d.columns if c.status == "unmapped"]
    if not unmapped:
        return []
    lines = ["# Unmapped headers:"]
    for c in unmapped:
        why = c.note or "no field found"
        kind = d.inspection.column(c.header).kind
        if not c.note and kind in KIND_WORDS:
            looks = "person names" if kind == "name" else KIND_WORDS[kind]
            why += f"; its values look like {looks}"
        lines.append("#   " + " ".join(f"'{c.header}': {why}".split()))
    return lines


_SCHEMA_LINE = re.compile(r"^# yaml-language-server: \$schema=(\S+)[^\n]*\n", re.M)


def render_profile(d: Draft, written_to: Path | None) -> str:
    assert d.profile is not None
    assert d.profile_match is not None
    m = d.profile_match
    text = d.profile.path.read_text(encoding="utf-8")
    # The editor modeline stays first, its schema path made right from where the copy goes.
    modeline = ""
    found = _SCHEMA_LINE.match(text)
    if found:
        text = text[found.end() :]
        schema = found.group(1)
        if written_to is not None and "://" not in schema:
            target = (d.profile.path.parent / schema).resolve()
            folder = written_to.resolve().parent
            shared = Path(os.path.commonpath([target, folder]))
            schema = (
                str(target) if shared == Path(shared.anchor) else os.path.relpath(target, folder)
            )
        modeline = f"# yaml-language-server: $schema={schema}\n"
    if d.target_given:
        text, n = re.subn(r"(?m)^target:.*$", f"target: {yaml_scalar(d.target)}", text, count=1)
        if n == 0:
            text = f"target: {yaml_scalar(d.target)}\n" + text
    used = {k for alts in d.profile.keys for k in alts}
    extra = [h for h in d.inspection.headers if header_key(h) not in used]
    head = [
        f"# {Path(d.path).name} is a known format: the profile '{m.name}' ({m.path}).",
        _comment(
            f"The file has all {m.total} headers it reads. {_read_summary(d.inspection.info, d.inspection.rows)}"
        ),
        "# This is that profile's mapping: use it as is, or edit this copy:",
        f"#   leadkit normalize {d.path} -m {m.path}",
    ]
    tail = []
    if extra:
        tail = [
            "",
            _comment("In the file, not read by this profile: " + ", ".join(repr(h) for h in extra)),
        ]
    body = (
        "\n".join(head) + "\n" + text.rstrip("\n") + "\n" + "\n".join(tail) + ("\n" if tail else "")
    )
    return modeline + body
