"""Lint mapping files: every problem at once, each located, each with a stable code.

`leadkit mapping check` is a thin adapter over this module; CI and pre-commit run it on
every mapping of a mappings repository. A mapping can be valid YAML and a valid spec and
still be wrong for its target: a value map that writes a value the CRM's picklist lacks,
a constant longer than the CRM field, a required CRM field nothing fills, a header read
twice. With a sample file, every header the mapping reads is looked up in it and the
pipeline runs on it into a temporary folder, so the counts it would produce are known.

Each problem is a `Problem` (file, line, col, code, message), shown as
`file:line:col: code: message`. Codes are stable kebab-case names from `CHECK_CODES`;
new ones are added, none is renamed.
"""

from __future__ import annotations

import difflib
import hashlib
import json
import re
import tempfile
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ValidationError

from leadkit.errors import LeadkitError, MappingError
from leadkit.mapping import (
    LoadedMapping,
    Mapping,
    YamlTooDeep,
    located_errors,
    yaml_data,
    yaml_nodes,
    yaml_text,
)
from leadkit.read import InputHints, header_key, read_table
from leadkit.targets import BUILTIN, Target, custom_clashes, load_target


@dataclass(frozen=True, slots=True)
class CheckCode:
    code: str
    title: str
    description: str
    fatal: bool = False  # the check could not run (exit 2), rather than found a problem
    # A warning: the mapping runs as its author meant (a setting that does nothing, a field
    # read then dropped). Every other problem is an error: `normalize` refuses the mapping.
    warning: bool = False


def _c(
    code: str, title: str, description: str, fatal: bool = False, warning: bool = False
) -> CheckCode:
    return CheckCode(code, title, description, fatal, warning)


_ALL: tuple[CheckCode, ...] = (
    _c(
        "unreadable",
        "File cannot be read",
        "The mapping or sample file is missing, a directory, or unreadable.",
        fatal=True,
    ),
    _c("yaml-syntax", "Malformed YAML", "The file is not valid YAML."),
    _c(
        "not-a-mapping",
        "Not a mapping",
        "The file is empty or not a YAML dictionary with 'columns:'.",
    ),
    _c(
        "duplicate-key",
        "Duplicate key",
        "The same key twice in one YAML dictionary (YAML keeps only the last one), or two "
        "value-map entries that differ only in case (maps are matched case-insensitively).",
    ),
    _c("unknown-setting", "Unknown setting", "A key the mapping spec does not have."),
    _c(
        "unknown-field",
        "Unknown canonical field",
        "A field name that is not one of leadkit's canonical fields.",
    ),
    _c("schema", "Invalid setting", "A value of the wrong type or out of range."),
    _c(
        "unknown-target",
        "Unknown target",
        "The target is neither a built-in target nor a target YAML file.",
    ),
    _c(
        "invalid-target",
        "Invalid target file",
        "The custom target file the mapping names has problems.",
    ),
    _c(
        "duplicate-field",
        "Field both mapped and constant",
        "A field is read from a column and also given a constant.",
    ),
    _c(
        "duplicate-source",
        "Header read twice",
        "Two fields (or custom columns) read the same source header.",
        warning=True,
    ),
    _c(
        "duplicate-column",
        "Output column written twice",
        "A custom column has the name of one of the target's own columns.",
    ),
    _c(
        "picklist-value",
        "Not a picklist value",
        "A value map output or a constant that is not one of the target field's picklist values.",
    ),
    _c("too-long-constant", "Constant too long", "A constant longer than the target field allows."),
    _c(
        "too-long-value",
        "Value-map output too long",
        "A value map output longer than the target field allows.",
    ),
    _c(
        "required-unmapped",
        "Required field not mapped",
        "A field the target or the mapping requires is neither mapped nor a constant.",
    ),
    _c(
        "unwritten-field",
        "Field the target does not write",
        "A mapped field or constant the target has no column for: it is read, then dropped.",
        warning=True,
    ),
    _c(
        "unused-setting",
        "Setting for an unmapped field",
        "A value map or invalid-value policy for a field the mapping does not fill.",
        warning=True,
    ),
    _c(
        "unknown-country",
        "Unknown default country",
        "default_country is not an ISO 3166-1 alpha-2 code.",
    ),
    _c(
        "header-missing",
        "Header not in the sample",
        "None of the headers a field reads is in the sample file.",
    ),
    _c("sample-failed", "Dry run failed", "The pipeline stopped on the sample file."),
    _c(
        "not-rules",
        "Not a rules file",
        "The rules file is empty or not a YAML dictionary of suppress, routing, update, ...",
    ),
    _c(
        "missing-file",
        "Named file missing",
        "A list, territory or owners file the rules name does not exist (paths are relative "
        "to the rules file).",
    ),
    _c(
        "bad-list",
        "Unusable file",
        "A suppression list, territory or owners file cannot be read or lacks the columns it "
        "needs.",
    ),
    _c(
        "unknown-owner",
        "Owner not in the owners file",
        "An owner the rules name (round robin, default, a territory) is not in the owners "
        "file by id, email or name.",
    ),
    _c(
        "unknown-update-field",
        "Update policy for an unknown field",
        "A field under update is neither a canonical field nor a custom column of the mapping.",
    ),
    _c(
        "never-overwritten-constant",
        "Constant for a field updates never write",
        "The mapping gives a constant to a field the update policy never writes: imports get "
        "it, updates do not.",
        warning=True,
    ),
    _c(
        "reject-limit",
        "Dry run crosses the reject limit",
        "More sample rows are rejected than the mapping's limits.max_reject_rate allows.",
    ),
)
CHECK_CODES: dict[str, CheckCode] = {c.code: c for c in _ALL}


@dataclass(frozen=True, slots=True)
class Problem:
    """One located problem: `file:line:col: code: message`."""

    file: str
    line: int
    col: int
    code: str
    message: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line}:{self.col}: {self.code}: {self.message}"

    @property
    def fatal(self) -> bool:
        return CHECK_CODES[self.code].fatal

    @property
    def error(self) -> bool:
        """Not a warning: a mapping with an error is refused by `normalize`."""
        return not CHECK_CODES[self.code].warning


@dataclass
class DryRun:
    """What the pipeline would produce from the sample file."""

    sample: str
    rows: int
    counts: dict[str, int]
    reject_reasons: dict[str, int]

    def summary(self) -> str:
        counts = ", ".join(f"{n} {name}" for name, n in self.counts.items())
        text = f"{self.sample}: {self.rows} rows: {counts}"
        if self.reject_reasons:
            text += (
                " (rejects: " + ", ".join(f"{r} {n}" for r, n in self.reject_reasons.items()) + ")"
            )
        return text


@dataclass
class CheckResult:
    """The problems found in one mapping file, and the dry run when a sample was given."""

    path: str
    problems: list[Problem] = field(default_factory=list)
    dry_run: DryRun | None = None

    @property
    def ok(self) -> bool:
        return not self.problems

    @property
    def fatal(self) -> bool:
        return any(p.fatal for p in self.problems)

    @property
    def errors(self) -> list[Problem]:
        """The problems that are errors (not warnings), in the order found."""
        return [p for p in self.problems if p.error]


# --- entry points ------------------------------------------------------------------------


def mapping_files(paths: Iterable[str | Path]) -> list[Path]:
    """The files to check: each file as given, each directory's *.yaml and *.yml files."""
    files: list[Path] = []
    for p in map(Path, paths):
        if p.is_dir():
            files += sorted(
                f for f in p.iterdir() if f.suffix.lower() in (".yaml", ".yml") and f.is_file()
            )
        else:
            files.append(p)
    return files


def check_paths(
    paths: Iterable[str | Path], *, sample: str | Path | None = None
) -> list[CheckResult]:
    """Check every file given (directories: their YAML files), each with the sample if any."""
    return [check_file(p, sample=sample) for p in mapping_files(paths)]


def check_file(path: str | Path, *, sample: str | Path | None = None) -> CheckResult:
    """Every problem of one mapping file (or custom target file), located."""
    path = Path(path)
    source = str(path)
    raw = read_checked(path)
    if isinstance(raw, Problem):
        return CheckResult(source, [raw])
    try:
        text = yaml_text(raw, source)
    except MappingError as e:
        file, line, col, message = _parse_located(e.problems[0], source)
        return CheckResult(source, [Problem(file, line, col, "unreadable", message)])
    try:
        return _check(text, source, base_dir=path.parent, path=path, raw=raw, sample=sample)
    except RecursionError:  # a structure pydantic cannot walk: the YAML parser took it
        return CheckResult(source, [Problem(source, 1, 1, "yaml-syntax", f"{YamlTooDeep()}")])


def read_checked(path: Path) -> bytes | Problem:
    """A checked file's bytes, or the `unreadable` problem saying why there are none."""
    source = str(path)
    try:
        return path.read_bytes()
    except FileNotFoundError:
        return Problem(source, 1, 1, "unreadable", "no such file")
    except IsADirectoryError:
        return Problem(source, 1, 1, "unreadable", "is a directory")
    except OSError as e:
        return Problem(source, 1, 1, "unreadable", f"cannot read ({e.strerror})")


def check_text(
    text: str, source: str = "<mapping>", *, base_dir: Path | None = None
) -> list[Problem]:
    """Every problem of a mapping given as text (no sample)."""
    return _check(text, source, base_dir=base_dir).problems


# --- the checks --------------------------------------------------------------------------


def _check(
    text: str,
    source: str,
    *,
    base_dir: Path | None,
    path: Path | None = None,
    raw: bytes | None = None,
    sample: str | Path | None = None,
) -> CheckResult:
    result = CheckResult(source)
    out = result.problems
    try:
        root = yaml_nodes(text)
        data = yaml_data(text)
    except yaml.MarkedYAMLError as e:
        mark = e.problem_mark
        line, col = (mark.line + 1, mark.column + 1) if mark else (1, 1)
        out.append(Problem(source, line, col, "yaml-syntax", f"malformed YAML: {e.problem or e}"))
        return result
    except yaml.YAMLError as e:
        out.append(Problem(source, 1, 1, "yaml-syntax", f"malformed YAML: {e}"))
        return result
    if root is None or not isinstance(data, dict):
        got = "an empty file" if data is None else type(data).__name__
        out.append(
            Problem(
                source,
                1,
                1,
                "not-a-mapping",
                f"a mapping is a YAML dictionary with 'columns:' (got {got})",
            )
        )
        return result
    at = Locator(source, root)
    out += duplicate_keys(root, source)

    if "columns" not in data and "fields" in data and "id_column" in data:
        out += _schema(data, at, Target)  # a custom target file kept beside the mappings
        return _sorted(result)

    both = sorted(set(_dict(data.get("columns"))) & set(_dict(data.get("constants"))))
    for f in both:
        out.append(
            at.key(
                ("constants", f),
                "duplicate-field",
                f"constants.{f}: '{f}' is mapped under columns and also given a constant; keep one",
            )
        )
        del data["constants"][f]
    columns_missing = not isinstance(data.get("columns"), dict)
    out += _schema(data, at, Mapping)
    spec = _partial(data)
    if spec is None:
        return _sorted(result)

    target = _target(spec, at, base_dir, out)
    out += _sources(spec, at)
    out += _unused(spec, at)
    out += _default_country(spec, at)
    if target is not None:
        out += _values(spec, target, at)
        out += _constants(spec, target, at)
        out += _custom_columns(spec, target, at)
        out += _unwritten(spec, target, at)
        if not columns_missing:
            out += _required(spec, target, at)

    if sample is not None:
        loaded = LoadedMapping(
            spec=spec,
            name=spec.name or (path.stem if path else source),
            path=path,
            sha256=_sha256(raw if raw is not None else text.encode()),
        )
        result.dry_run = _sample(
            loaded, Path(sample), at, out, dry_run=target is not None and not out
        )
    return _sorted(result)


def _sorted(result: CheckResult) -> CheckResult:
    result.problems.sort(key=lambda p: (p.file != result.path, p.file, p.line, p.col))
    return result


def _schema(data: dict[str, Any], at: Locator, model: type[BaseModel]) -> list[Problem]:
    """The spec's own located errors (`leadkit.mapping.located_errors`), coded."""
    try:
        model.model_validate(data)
    except ValidationError as e:
        return [
            coded_problem(at.source, line) for line in located_errors(e, at.root, at.source, model)
        ]
    return []


def coded_problem(source: str, located: str) -> Problem:
    file, line, col, message = _parse_located(located, source)
    if "unknown field" in message:
        code = "unknown-field"
    elif "unknown setting" in message:
        code = "unknown-setting"
    else:
        code = "schema"
    return Problem(file, line, col, code, message)


_LOCATED = re.compile(r"^(?P<file>.*?):(?P<line>\d+)(?::(?P<col>\d+))?: (?P<msg>.*)$", re.S)


def _parse_located(text: str, source: str) -> tuple[str, int, int, str]:
    """`file:line:col: message` (line and col optional) into its parts."""
    if text.startswith(source + ":"):
        rest = text[len(source) + 1 :]
        m = re.match(r"^(\d+)(?::(\d+))?: (.*)$", rest, re.S)
        if m:
            return source, int(m.group(1)), int(m.group(2) or 1), m.group(3)
        return source, 1, 1, rest.lstrip()
    m = _LOCATED.match(text)
    if m:
        return m["file"], int(m["line"]), int(m["col"] or 1), m["msg"]
    return source, 1, 1, text


def _partial(data: dict[str, Any]) -> Mapping | None:
    """The spec with its invalid parts left out, so the other checks still run.

    Each error's value is removed (an unknown field, a bad setting) and the rest is
    validated again; a problem that cannot be left out (the whole document) gives None.
    """
    data = json.loads(json.dumps(data, default=str))
    for _ in range(8):
        try:
            return Mapping.model_validate(data)
        except ValidationError as e:
            if not all(_prune(data, list(err["loc"]), err["type"]) for err in e.errors()):
                return None
            _drop_marked(data)
    return None


_DROP = object()


def _prune(data: Any, loc: list[Any], kind: str) -> bool:
    if kind == "missing" and loc == ["columns"]:
        data["columns"] = {}
        return True
    container: Any = None
    key: Any = None
    node = data
    for part in loc:
        in_dict = isinstance(node, dict) and part in node
        in_list = isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node)
        if not (in_dict or in_list):
            break
        container, key, node = node, part, node[part]
    if container is None:
        return False
    if isinstance(container, list):
        container[key] = _DROP
    else:
        container.pop(key, None)
    return True


def _drop_marked(node: Any) -> None:
    if isinstance(node, dict):
        for v in node.values():
            _drop_marked(v)
    elif isinstance(node, list):
        node[:] = [v for v in node if v is not _DROP]
        for v in node:
            _drop_marked(v)


def _target(spec: Mapping, at: Locator, base_dir: Path | None, out: list[Problem]) -> Target | None:
    name = spec.target
    if name in BUILTIN:
        return load_target(name)
    path = Path(name)
    if not path.is_absolute() and base_dir is not None:
        path = base_dir / path
    if path.suffix.lower() in (".yaml", ".yml") and path.is_file():
        try:
            return load_target(str(path))
        except MappingError as e:
            for line in e.problems:
                file, ln, col, message = _parse_located(line, str(path))
                out.append(Problem(file, ln, col, "invalid-target", message))
            out.append(
                at.value(
                    ("target",), "invalid-target", f"target: the target file {name} has problems"
                )
            )
            return None
    if path.suffix.lower() in (".yaml", ".yml"):
        message = f"target: target file '{name}' not found"
    else:
        message = (
            f"target: unknown target '{name}'{_did_you_mean(name, list(BUILTIN))} "
            f"(use one of {', '.join(BUILTIN)} or a target YAML file)"
        )
    out.append(at.value(("target",), "unknown-target", message))
    return None


def _sources(spec: Mapping, at: Locator) -> Iterator[Problem]:
    """Two fields, or two alternates of one field, reading the same header."""
    seen: dict[str, tuple[str, int]] = {}
    reads: list[tuple[tuple[Any, ...], str, str]] = []
    for f, heads in spec.columns.items():
        reads += _reads(("columns", f), f"columns.{f}", heads)
    for name, custom in spec.custom.items():
        if custom.column is not None:
            reads += _reads(("custom", name, "column"), f"custom.{name}", custom.column)
    for where, dotted, header in reads:
        k = header_key(header)
        problem = at.value(where, "duplicate-source", "")
        if k in seen:
            first, line = seen[k]
            yield Problem(
                problem.file,
                problem.line,
                problem.col,
                "duplicate-source",
                f"{dotted}: header '{header}' is already read by {first} (line {line})",
            )
        else:
            seen[k] = (dotted, problem.line)


def _reads(
    where: tuple[Any, ...], dotted: str, heads: str | list[str]
) -> list[tuple[tuple[Any, ...], str, str]]:
    if isinstance(heads, str):
        return [(where, dotted, heads)]
    return [((*where, i), dotted, h) for i, h in enumerate(heads)]


def _unused(spec: Mapping, at: Locator) -> Iterator[Problem]:
    # A value map applies to the field's source text, which a name split from full_name has
    # none of; an invalid-value policy applies to the clean value, which it has.
    read = set(spec.columns) | set(spec.constants)
    for section, filled in (("values", read), ("invalid", _filled(spec))):
        for f in getattr(spec, section):
            if f not in filled:
                what = "a value map" if section == "values" else "an invalid-value policy"
                yield at.key(
                    (section, f),
                    "unused-setting",
                    f"{section}.{f}: {what} for '{f}', which the mapping does not fill",
                )


def _filled(spec: Mapping) -> set[str]:
    filled: set[str] = set(spec.columns) | set(spec.constants) | set(spec.defaults)
    if "full_name" in spec.columns:
        filled |= {"first_name", "last_name"}
    return filled


def _default_country(spec: Mapping, at: Locator) -> Iterator[Problem]:
    code = spec.default_country
    if code is None:
        return
    import pycountry

    if pycountry.countries.get(alpha_2=code) is None:
        yield at.value(
            ("default_country",),
            "unknown-country",
            f"default_country: '{code}' is not an ISO 3166-1 alpha-2 country code",
        )


def _values(spec: Mapping, target: Target, at: Locator) -> Iterator[Problem]:
    for f, vm in spec.values.items():
        tf = target.fields.get(f)
        firsts: dict[str, str] = {}
        for src, value in vm.map.items():
            where = ("values", f, "map", src)
            k = src.strip().casefold()
            if k in firsts:
                yield at.key(
                    where,
                    "duplicate-key",
                    f"values.{f}.map: '{src}' and '{firsts[k]}' are the same key "
                    "(value maps are matched case-insensitively)",
                )
            firsts.setdefault(k, src)
            if tf is None:
                continue
            clean = " ".join(value.split())
            if clean and tf.picklist is not None and clean not in tf.picklist:
                yield at.value(
                    where,
                    "picklist-value",
                    f"values.{f}.map.{src}: {_not_in_picklist(clean, target, f)}",
                )
            if tf.max_length and len(clean) > tf.max_length:
                yield at.value(
                    where,
                    "too-long-value",
                    f"values.{f}.map.{src}: '{clean}' is {len(clean)} characters; "
                    f"{target.name} {tf.column} allows {tf.max_length}",
                )


def _constants(spec: Mapping, target: Target, at: Locator) -> Iterator[Problem]:
    for f, value in spec.constants.items():
        tf = target.fields.get(f)
        if tf is None:
            continue
        clean = " ".join(value.split())
        if clean and tf.picklist is not None and clean not in tf.picklist:
            yield at.value(
                ("constants", f),
                "picklist-value",
                f"constants.{f}: {_not_in_picklist(clean, target, f)}",
            )
        if tf.max_length and len(clean) > tf.max_length:
            yield at.value(
                ("constants", f),
                "too-long-constant",
                f"constants.{f}: '{clean}' is {len(clean)} characters; "
                f"{target.name} {tf.column} allows {tf.max_length}",
            )


def _not_in_picklist(value: str, target: Target, f: str) -> str:
    tf = target.fields[f]  # type: ignore[index]
    picklist = tf.picklist or []
    same_case = [p for p in picklist if p.casefold() == value.casefold()]
    hint = f" - did you mean '{same_case[0]}'?" if same_case else _did_you_mean(value, picklist)
    return f"'{value}' is not a value of {target.name}'s {tf.column} picklist{hint}"


def _unwritten(spec: Mapping, target: Target, at: Locator) -> Iterator[Problem]:
    for section in ("columns", "constants", "defaults"):
        for f in getattr(spec, section):
            if f != "full_name" and f not in target.fields:
                yield at.key(
                    (section, f),
                    "unwritten-field",
                    f"{section}.{f}: target {target.name} has no column for '{f}', so it is "
                    "read but never written; keep it as a custom column instead",
                )


def _custom_columns(spec: Mapping, target: Target, at: Locator) -> Iterator[Problem]:
    for name, f in custom_clashes(spec, target):
        what = f if f == "the id column" else f"'{f}' (map it under columns or constants)"
        yield at.key(
            ("custom", name),
            "duplicate-column",
            f"custom.{name}: '{name}' is {target.name}'s own column for {what}",
        )


def _required(spec: Mapping, target: Target, at: Locator) -> Iterator[Problem]:
    filled = _filled(spec)
    # `contact_required: false` waives a target's email requirement, as validation does
    waived = () if spec.contact_required else ("email", "phone", "mobile_phone")
    for f in target.required:
        if f not in filled and f not in waived:
            alt = " (or columns.full_name)" if f in ("first_name", "last_name") else ""
            yield at.key(
                ("columns",),
                "required-unmapped",
                f"columns: target {target.name} requires '{f}' "
                f"({target.column(f)}); map columns.{f}{alt} or give constants.{f}",
            )
    for i, f in enumerate(spec.required):
        if f not in filled:
            yield at.value(
                ("required", i),
                "required-unmapped",
                f"required: '{f}' is required but neither mapped nor a constant",
            )


def _sample(
    loaded: LoadedMapping, sample: Path, at: Locator, out: list[Problem], *, dry_run: bool
) -> DryRun | None:
    """Every header the mapping reads present in the sample, then (when the mapping has no
    other problem) the pipeline on it, into a temporary folder."""
    spec = loaded.spec
    where = str(sample)
    if not sample.is_file():
        out.append(
            Problem(
                where, 1, 1, "unreadable", "no such file" if not sample.exists() else "not a file"
            )
        )
        return None
    i = spec.input
    hints = InputHints(
        sheet=i.sheet,
        header_row=i.header_row,
        delimiter=i.delimiter,
        encoding=i.encoding,
        limits=spec.limits.read_limits(),  # what normalize would refuse
    )
    try:
        table = read_table(sample, expected_headers=spec.source_headers(), hints=hints)
    except LeadkitError as e:
        message = str(e).removeprefix(where + ": ").removeprefix(sample.name + ": ")
        out.append(Problem(where, 1, 1, "unreadable", message))
        return None
    have = [c for c in table.frame.columns if not c.startswith("_")]
    keys = {header_key(c) for c in have}
    reads: list[tuple[tuple[Any, ...], str, list[str]]] = [
        (("columns", f), f"columns.{f}", [h] if isinstance(h, str) else h)
        for f, h in spec.columns.items()
    ]
    reads += [
        (
            ("custom", n, "column"),
            f"custom.{n}",
            [c.column] if isinstance(c.column, str) else c.column,
        )
        for n, c in spec.custom.items()
        if c.column is not None
    ]
    missing = False
    for path, dotted, heads in reads:
        if not any(header_key(h) in keys for h in heads) and not spec.is_optional(heads):
            missing = True
            wanted = " or ".join(f"'{h}'" for h in heads)
            hint = _header_hint(heads, have)
            out.append(
                at.value(
                    path,
                    "header-missing",
                    f"{dotted}: no header {wanted} in {sample.name} "
                    f"(header row {table.info.header_row}){hint}",
                )
            )
    if missing or not dry_run:
        return None
    # the whole pipeline is imported only when a dry run needs it
    from leadkit.pipeline import Job, Options, normalize_file

    with tempfile.TemporaryDirectory(prefix="leadkit-check-") as tmp:
        try:
            result = normalize_file(sample, Job(loaded), Path(tmp), options=Options(trace=True))
        except LeadkitError as e:
            out.append(Problem(where, 1, 1, "sample-failed", str(e)))
            return None
    report = result.report
    dry = DryRun(
        sample=where,
        rows=report["rows"],
        counts=dict(report["counts"]),
        reject_reasons=dict(report["reject_reasons"]),
    )
    limits = report["limits"]
    # The mapping's own limit only: the default one (DEFAULT_MAX_REJECT_RATE) guards a run
    # (normalize exits 1), and the dry run's counts above already show the rejects.
    if limits["exceeded"] and spec.limits.max_reject_rate is not None:
        out.append(
            at.value(
                ("limits", "max_reject_rate"),
                "reject-limit",
                f"limits.max_reject_rate: {limits['reject_rate']:.0%} of {sample.name}'s rows "
                f"are rejected, above {limits['max_reject_rate']:.0%}",
            )
        )
    return dry


def _header_hint(heads: Sequence[str], have: Sequence[str]) -> str:
    """A did-you-mean among the sample's headers: a close spelling, else one containing it."""
    for h in heads:
        hint = _did_you_mean(h, have)
        if hint:
            return hint
    for h in heads:
        k = header_key(h)
        near = [c for c in have if k in header_key(c) or header_key(c) in k]
        if len(near) == 1:
            return f" - did you mean '{near[0]}'?"
    return ""


def duplicate_keys(node: yaml.Node, source: str, path: str = "") -> Iterator[Problem]:
    """The same key twice in one dictionary: PyYAML silently keeps the last one."""
    if isinstance(node, yaml.MappingNode):
        seen: dict[str, int] = {}
        for k, v in node.value:
            if not isinstance(k, yaml.ScalarNode) or k.tag == "tag:yaml.org,2002:merge":
                continue
            dotted = f"{path}.{k.value}" if path else k.value
            line = k.start_mark.line + 1
            if k.value in seen:
                yield Problem(
                    source,
                    line,
                    k.start_mark.column + 1,
                    "duplicate-key",
                    f"{dotted}: '{k.value}' is given twice (first on line {seen[k.value]}); "
                    "YAML keeps only this one",
                )
            else:
                seen[k.value] = line
            yield from duplicate_keys(v, source, dotted)
    elif isinstance(node, yaml.SequenceNode):
        for i, item in enumerate(node.value):
            yield from duplicate_keys(item, source, f"{path}.{i}")


class Locator:
    """Problems located at a path of the YAML node tree (the last of duplicate keys wins)."""

    def __init__(self, source: str, root: yaml.Node) -> None:
        self.source = source
        self.root = root

    def key(self, path: Sequence[Any], code: str, message: str) -> Problem:
        return self._at(self._find(path, key=True), code, message)

    def value(self, path: Sequence[Any], code: str, message: str) -> Problem:
        return self._at(self._find(path, key=False), code, message)

    def _at(self, node: yaml.Node, code: str, message: str) -> Problem:
        return Problem(
            self.source, node.start_mark.line + 1, node.start_mark.column + 1, code, message
        )

    def _find(self, path: Sequence[Any], *, key: bool) -> yaml.Node:
        node = self.root
        for i, part in enumerate(path):
            if isinstance(node, yaml.MappingNode):
                hits = [
                    (k, v)
                    for k, v in node.value
                    if isinstance(k, yaml.ScalarNode) and k.value == str(part)
                ]
                if not hits:
                    return node
                k, v = hits[-1]
                node = k if key and i == len(path) - 1 else v
            elif (
                isinstance(node, yaml.SequenceNode)
                and isinstance(part, int)
                and part < len(node.value)
            ):
                node = node.value[part]
            else:
                return node
        return node


def _dict(value: Any) -> dict[Any, Any]:
    return value if isinstance(value, dict) else {}


def _did_you_mean(word: str, choices: Sequence[str]) -> str:
    close = difflib.get_close_matches(word, list(choices), n=1, cutoff=0.6)
    if not close:
        lowered = {c.casefold(): c for c in choices}
        close = [
            lowered[m]
            for m in difflib.get_close_matches(word.casefold(), list(lowered), n=1, cutoff=0.6)
        ]
    return f" - did you mean '{close[0]}'?" if close else ""


def _sha256(raw: bytes) -> str:
    return hashlib.sha256(raw).hexdigest()


# --- the JSON Schema ---------------------------------------------------------------------

SCHEMA_DIALECT = "https://json-schema.org/draft/2020-12/schema"


def mapping_schema() -> dict[str, Any]:
    """The JSON Schema of mapping files, generated from the `Mapping` model."""
    schema = Mapping.model_json_schema()
    return {
        "$schema": SCHEMA_DIALECT,
        "title": "leadkit mapping",
        **{k: v for k, v in schema.items() if k != "title"},
    }


def mapping_schema_text() -> str:
    """The schema as `leadkit mapping schema` prints it and `mappings/mapping.schema.json` holds it."""
    return json.dumps(mapping_schema(), indent=2, ensure_ascii=False) + "\n"


__all__ = [
    "CHECK_CODES",
    "CheckCode",
    "CheckResult",
    "DryRun",
    "Problem",
    "check_file",
    "check_paths",
    "check_text",
    "mapping_files",
    "mapping_schema",
    "mapping_schema_text",
]
