"""Lint a rules file, like `mapping check`: every problem at once, located and coded.

`leadkit rules check` is a thin adapter over this module. Beyond the schema (located
errors with did-you-mean), every file the rules name is opened the way a run would open
it: a suppression list must have a known column, a territory file `country` and `owner`,
an owners file `id`. With a mapping, the update policy's fields are checked against the
mapping's canonical fields and custom columns, and a constant the policy never writes is
pointed out (imports get it, updates never do).

`dry_run` is `rules check --sample`: the rules applied to a sample file, in a temporary
folder, to see how its rows would split (outcomes, suppressed by reason, statuses, route
steps, owners) before a real run. The round-robin rotation runs on a copy of its state,
so a dry run never moves it.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from tempfile import TemporaryDirectory
from typing import Any

import yaml
from pydantic import ValidationError

from leadkit.check import (
    CheckResult,
    Locator,
    Problem,
    coded_problem,
    duplicate_keys,
    read_checked,
)
from leadkit.errors import LeadkitError
from leadkit.handoff.owners import Owners
from leadkit.handoff.route import Territories
from leadkit.handoff.rules import LoadedRules, Rules, unknown_update_fields
from leadkit.handoff.suppress import read_list
from leadkit.mapping import LoadedMapping, located_errors, yaml_data, yaml_nodes
from leadkit.read import header_key, read_table

# The columns a territory file and an owners file must have (more are allowed).
TERRITORY_COLUMNS = ("country", "owner")
OWNER_COLUMNS = ("id",)


def check_rules_file(path: str | Path, *, mapping: LoadedMapping | None = None) -> CheckResult:
    """Every problem of one rules file, located; the files it names are opened."""
    path = Path(path)
    source = str(path)
    raw = read_checked(path)
    if isinstance(raw, Problem):
        return CheckResult(source, [raw])
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        return CheckResult(source, [Problem(source, 1, 1, "unreadable", "not UTF-8 text")])
    result = CheckResult(source)
    result.problems += _check_text(text, source, path, mapping)
    result.problems.sort(key=lambda p: (p.line, p.col))
    return result


def _check_text(text: str, source: str, path: Path, mapping: LoadedMapping | None) -> list[Problem]:
    try:
        root, data = yaml_nodes(text), yaml_data(text)
    except yaml.MarkedYAMLError as e:
        mark = e.problem_mark
        line, col = (mark.line + 1, mark.column + 1) if mark else (1, 1)
        return [Problem(source, line, col, "yaml-syntax", f"malformed YAML: {e.problem or e}")]
    except yaml.YAMLError as e:
        return [Problem(source, 1, 1, "yaml-syntax", f"malformed YAML: {e}")]
    if root is None or not isinstance(data, dict):
        got = "an empty file" if data is None else type(data).__name__
        message = f"a rules file is a YAML dictionary (got {got})"
        return [Problem(source, 1, 1, "not-rules", message)]
    problems = list(duplicate_keys(root, source))
    try:
        spec = Rules.model_validate(data)
    except ValidationError as e:
        located = located_errors(e, root, source, Rules)
        return problems + [coded_problem(source, line) for line in located]
    at = Locator(source, root)
    rules = LoadedRules(spec=spec, path=path, sha256="")
    problems += _named_files(rules, at)
    if mapping is not None:
        problems += _against_mapping(rules, mapping, at)
    return problems


def _named_files(rules: LoadedRules, at: Locator) -> Iterator[Problem]:
    for i, entry in enumerate(rules.spec.suppress):
        if entry.file is not None:
            yield from _opens(
                rules, entry.file, ("suppress", i, "file"), at, _suppress_list(entry.reason)
            )
    for i, step in enumerate(rules.spec.routing):
        if step.territories is not None:
            where = ("routing", i, "territories")
            yield from _opens(rules, step.territories, where, at, _with_columns(TERRITORY_COLUMNS))
    if rules.spec.owners is not None:
        yield from _opens(rules, rules.spec.owners, ("owners",), at, _with_columns(OWNER_COLUMNS))
        yield from _owners_resolve(rules, at)


def _owners_resolve(rules: LoadedRules, at: Locator) -> Iterator[Problem]:
    """With an owners file, every owner the rules name (the rotation's pool, the default, a
    territory's owner) must be in it: an owner that cannot be resolved is found here, not
    written as a blank or a wrong id."""
    assert rules.spec.owners is not None
    try:
        owners = Owners.read(rules.resolve(rules.spec.owners))
    except LeadkitError:
        return  # reported as bad-list or missing-file above
    for i, step in enumerate(rules.spec.routing):
        named: list[tuple[tuple[Any, ...], str]] = []
        if step.round_robin is not None:
            named += [(("routing", i, "round_robin"), o) for o in step.round_robin.pool]
        if step.default is not None:
            named.append((("routing", i, "default"), step.default))
        if step.territories is not None:
            named += [
                (("routing", i, "territories"), o)
                for o in _territory_owners(rules, step.territories)
            ]
        for where, owner in named:
            if not owners.resolves(owner):
                yield at.value(
                    where,
                    "unknown-owner",
                    f"owner '{owner}' is not in {rules.spec.owners} (by id, email or name)",
                )


def _territory_owners(rules: LoadedRules, name: str) -> list[str]:
    try:
        return sorted(set(Territories.read(rules.resolve(name)).rows["owner"].to_list()))
    except LeadkitError:
        return []


def _opens(
    rules: LoadedRules,
    name: str,
    where: tuple[Any, ...],
    at: Locator,
    read: Any,
) -> Iterator[Problem]:
    file = rules.resolve(name)
    if not file.is_file():
        yield at.value(where, "missing-file", f"{name}: no such file (looked for {file})")
        return
    try:
        read(file)
    except LeadkitError as e:
        yield at.value(where, "bad-list", str(e))


def _suppress_list(reason: str) -> Any:
    return lambda file: read_list(file, reason)


def _with_columns(needed: tuple[str, ...]) -> Any:
    def read(file: Path) -> None:
        table = read_table(file, expected_headers=list(needed))
        have = {header_key(c) for c in table.frame.columns}
        missing = [c for c in needed if c not in have]
        if missing:
            raise LeadkitError(f"{file.name}: no column {', '.join(missing)}")

    return read


def _against_mapping(rules: LoadedRules, mapping: LoadedMapping, at: Locator) -> Iterator[Problem]:
    spec = rules.spec
    custom = frozenset(mapping.spec.custom)
    for name in unknown_update_fields(spec, custom):
        policy = next(
            p for p in ("overwrite", "fill_empty", "never") if name in getattr(spec.update, p)
        )
        index = getattr(spec.update, policy).index(name)
        yield at.value(
            ("update", policy, index),
            "unknown-update-field",
            f"update.{policy}: '{name}' is neither a canonical field nor a custom column of "
            f"{mapping.name}",
        )
    for name in mapping.spec.constants:
        if spec.update.policy(name) == "never":
            yield at.value(
                ("update",),
                "never-overwritten-constant",
                f"{mapping.name} sets {name} to '{mapping.spec.constants[name]}' for every row; "
                f"the update policy never writes {name}, so only new leads get it",
            )


@dataclass(frozen=True)
class DryRun:
    """How a sample file's rows would split under a rules file (counts only)."""

    rows: int
    counts: dict[str, int]  # import, updates, review, duplicates, rejects, suppressed, blank
    suppressed: dict[str, int] = field(default_factory=dict)  # by reason
    statuses: dict[str, int] = field(default_factory=dict)  # rows that reach sales
    routes: dict[str, int] = field(default_factory=dict)  # by route step
    owners: dict[str, int] = field(default_factory=dict)
    accounts: dict[str, int] = field(default_factory=dict)  # by how the account was found


def dry_run(
    rules: LoadedRules,
    sample: Path,
    mapping: LoadedMapping,
    *,
    existing: Sequence[Path] = (),
    accounts: Sequence[Path] = (),
) -> DryRun:
    """Normalize `sample` with `mapping` and the rules into a temporary folder (removed
    after) and tell how its rows split. The rotation state is copied, never written."""
    from leadkit.pipeline import Options, normalize

    with TemporaryDirectory(prefix="leadkit-dry-run-") as tmp:
        folder = Path(tmp)
        (result,) = normalize(
            [sample],
            mapping,
            folder / "out",
            existing=existing,
            accounts=accounts,
            rules=_rotation_copy(rules, folder),
            options=Options(),
        )
    doc = result.document
    handoff = dict(doc.handoff or {})
    return DryRun(
        rows=doc.rows,
        counts=dict(doc.counts),
        suppressed=dict(handoff.get("suppressed") or {}),
        statuses=dict(handoff.get("statuses") or {}),
        routes=dict(handoff.get("routes") or {}),
        owners=dict(handoff.get("owners") or {}),
        accounts=dict(handoff.get("accounts") or {}),
    )


def _rotation_copy(rules: LoadedRules, folder: Path) -> LoadedRules:
    """The rules with the round robin's state file moved to `folder` (a copy of the real
    one, so the dry run shows who is next without advancing anyone)."""
    step = rules.spec.step("round_robin")
    if step is None or step.round_robin is None:
        return rules
    state = folder / "rotation.json"
    if rules.rotation_state.is_file():
        shutil.copyfile(rules.rotation_state, state)
    steps = [
        s.model_copy(update={"round_robin": s.round_robin.model_copy(update={"state": str(state)})})
        if s.round_robin is not None
        else s
        for s in rules.spec.routing
    ]
    return rules.model_copy(update={"spec": rules.spec.model_copy(update={"routing": steps})})
