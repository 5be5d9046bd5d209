"""CRM targets: what columns a CRM import file has and how values are written there.

Each built-in target is a YAML declaration beside this file, read by the same model as a
user's custom target file, so a custom target can do anything a built-in one does.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from leadkit.errors import MappingError
from leadkit.mapping import (
    CanonicalField,
    Mapping,
    YamlTooDeep,
    located_errors,
    yaml_data,
    yaml_nodes,
    yaml_text,
)

_HERE = Path(__file__).parent


class TargetField(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    column: str = Field(description="Column header in the CRM's import file.")
    max_length: int | None = Field(None, ge=1, description="The CRM field's length limit.")
    picklist: list[str] | None = Field(
        None,
        description="The CRM's picklist values, when the field is one (checked by `mapping check`).",
    )


class Target(BaseModel):
    """A CRM import format."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str
    description: str = ""
    id_column: str = Field(description="Column that holds an existing record's id in updates.")
    owner_column: str | None = Field(None, description="Column for the record's owner.")
    status_column: str | None = Field(
        None, description="Column for the lead status the rules file's `qualify` sets."
    )
    score_column: str | None = Field(
        None, description="Column for the score the rules file's `qualify` adds up."
    )
    required: list[CanonicalField] = Field(default_factory=list)
    opt_in_inverse: bool = Field(
        False, description="The opt-in column says 'opted out' (Salesforce HasOptedOutOfEmail)."
    )
    country_form: Literal["code", "name"] = "code"
    state_form: Literal["code", "name"] = "code"
    fields: dict[CanonicalField, TargetField] = Field(
        description="Canonical field to the CRM column, in the order columns are written."
    )

    @model_validator(mode="after")
    def _columns_unique(self) -> Target:
        """Two fields written to one column would make an import file with two same-named
        columns (and crash the writer)."""
        seen: dict[str, str] = {}
        named: list[tuple[str, str]] = [(f, tf.column) for f, tf in self.fields.items()]
        named += [("id_column", self.id_column)]
        named += [("owner_column", self.owner_column)] if self.owner_column else []
        for f, column in named:
            key = column.strip().casefold()
            if key in seen:
                raise ValueError(
                    f"'{f}' and '{seen[key]}' are both written to column {column!r}; "
                    "give each its own column"
                )
            seen[key] = f
        return self

    def column(self, field: str) -> str | None:
        spec = self.fields.get(field)  # type: ignore[call-overload]
        return spec.column if spec else None


BUILTIN: tuple[str, ...] = ("salesforce", "hubspot", "marketo", "generic")


def load_target(name_or_path: str, relative_to: Path | None = None) -> Target:
    """A built-in target by name, or a custom target from a YAML file."""
    if name_or_path in BUILTIN:
        return _read(_HERE / f"{name_or_path}.yaml")
    path = Path(name_or_path)
    if not path.is_absolute() and relative_to is not None:
        path = relative_to / path
    if path.suffix.lower() in (".yaml", ".yml") and path.is_file():
        return _read(path)
    raise MappingError(
        [f"unknown target '{name_or_path}': use one of {', '.join(BUILTIN)} or a target YAML file"]
    )


def builtin_targets() -> list[Target]:
    return [load_target(name) for name in BUILTIN]


def _read(path: Path) -> Target:
    try:
        text = yaml_text(path.read_bytes(), str(path))
    except OSError as e:
        raise MappingError([f"{path}: cannot read target ({e.strerror})"]) from None
    try:
        data = yaml_data(text)
    except yaml.YAMLError as e:
        raise MappingError([f"{path}: malformed YAML: {e}"]) from None
    try:
        return Target.model_validate(data)
    except ValidationError as e:
        raise MappingError(list(located_errors(e, yaml_nodes(text), str(path), Target))) from None
    except RecursionError:
        raise MappingError([f"{path}: malformed YAML: {YamlTooDeep()}"]) from None


def custom_clashes(spec: Mapping, target: Target) -> list[tuple[str, str]]:
    """(custom column, what it clashes with) for each custom column named like one of the
    target's own columns: the import file would have two columns of one name."""
    own: dict[str, str] = {tf.column.strip().casefold(): f for f, tf in target.fields.items()}
    own[target.id_column.strip().casefold()] = "the id column"
    return [
        (name, own[name.strip().casefold()])
        for name in spec.custom
        if name.strip().casefold() in own
    ]


def check_custom_columns(spec: Mapping, target: Target) -> None:
    """MappingError when a custom column is named like one of the target's columns."""
    problems = [
        f"custom.{name}: {name!r} is target {target.name}'s own column for "
        + (f if f == "the id column" else f"'{f}' (map it under columns or constants)")
        for name, f in custom_clashes(spec, target)
    ]
    if problems:
        raise MappingError(problems)
