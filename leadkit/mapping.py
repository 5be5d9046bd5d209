"""The mapping spec: how one partner's file becomes canonical lead fields.

The models below are the single source of truth: loading, validation, the JSON Schema
(`leadkit mapping schema`) and the README's reference all come from them. Loading
reports every problem at once, each located (`mapping.yaml:12: columns.emial: unknown
field 'emial' - did you mean 'email'?`).
"""

from __future__ import annotations

import difflib
import hashlib
import re
import string
from collections.abc import Iterator
from collections.abc import Mapping as Mapping_
from pathlib import Path
from typing import Annotated, Any, Literal, get_args, get_origin

import yaml
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)

from leadkit.errors import MappingError
from leadkit.read.limits import ReadLimits

CanonicalField = Literal[
    "email",
    "first_name",
    "last_name",
    "full_name",
    "company",
    "job_title",
    "phone",
    "mobile_phone",
    "street",
    "city",
    "state",
    "postal_code",
    "country",
    "website",
    "industry",
    "lead_source",
    "campaign",
    "opt_in",
    "notes",
    "created_at",
]
# The same names as a tuple, in the same order (one list, not two).
CANONICAL_FIELDS: tuple[str, ...] = get_args(CanonicalField)
Policy = Literal["keep", "blank", "reject"]
Sources = str | list[str]


class _Spec(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class InputSpec(_Spec):
    """Hints for files that auto-detection reads wrong."""

    sheet: str | int | None = Field(None, description="Sheet name or 0-based index (XLSX).")
    header_row: int | None = Field(None, ge=1, description="1-based row of the header.")
    delimiter: Literal[",", ";", "\t", "|"] | None = None
    encoding: str | None = Field(None, description="For example utf-8, utf-16, cp1252.")


class ValueMap(_Spec):
    """A picklist translation: source value (case-insensitive) to CRM value."""

    map: dict[str, str]
    unmapped: Policy = Field(
        "keep",
        description="What to do with a value the map lacks: keep it, blank it, reject the row.",
    )


class CustomColumn(_Spec):
    """A CRM custom field: from a source column, or a constant."""

    column: Sources | None = None
    value: str | None = None

    @model_validator(mode="after")
    def _one_source(self) -> CustomColumn:
        if (self.column is None) == (self.value is None):
            raise ValueError("give exactly one of 'column' or 'value'")
        return self


class DatesSpec(_Spec):
    order: Literal["mdy", "dmy", "ymd"] | None = Field(
        None, description="Day/month order of ambiguous dates; inferred per column when absent."
    )


class MatchingSpec(_Spec):
    auto: float = Field(
        0.9, ge=0, le=1, description="Score at or above which a match is automatic."
    )
    review: float = Field(
        0.75, ge=0, le=1, description="Score at or above which a match is reviewed."
    )
    compare: dict[str, Literal["exact", "fuzzy", "date"]] = Field(
        default_factory=dict,
        description="Custom columns compared as evidence when matching: exact (a partner's "
        "lead id, a LinkedIn URL), fuzzy (a free-text value) or date (a date of birth).",
    )

    @model_validator(mode="after")
    def _ordered(self) -> MatchingSpec:
        if self.review > self.auto:
            raise ValueError("'review' must not be above 'auto'")
        return self


class DuplicatesSpec(_Spec):
    """What happens to a repeat's values: by default the first occurrence is kept as is."""

    merge: bool = Field(
        False,
        description="Fill the kept row's empty fields from its repeats (first non-empty wins).",
    )
    sum: list[str] = Field(
        default_factory=list,
        description="Fields or custom columns added up across the repeats (a Zoom attendee's "
        "minutes over several join sessions).",
    )


# YAML 1.1 reads an unquoted Yes/No (true/false, on/off) as a boolean: a status map's key
# written that way stands for each of its spellings.
_BOOL_SPELLINGS: dict[bool, tuple[str, ...]] = {
    True: ("yes", "true", "on"),
    False: ("no", "false", "off"),
}


class CampaignStatusMap(_Spec):
    """The member status from a column, through a value map (case-insensitive)."""

    column: str = Field(
        description="A canonical field, a custom column, or a source header the mapping reads."
    )
    map: dict[str, str] = Field(description="Value in the file: member status.")
    default: str | None = Field(
        None,
        description="The status of an empty or unmapped value (unmapped values are kept as "
        "written when absent; empty ones stay empty).",
    )

    @field_validator("map", mode="before")
    @classmethod
    def _bool_keys(cls, v: Any) -> Any:
        if not isinstance(v, dict):
            return v
        out: dict[Any, Any] = {}
        for key, status in v.items():
            if isinstance(key, bool):
                out.update(dict.fromkeys(_BOOL_SPELLINGS[key], status))
            else:
                out[key if isinstance(key, str) else str(key)] = status
        return out


class CampaignSpec(_Spec):
    """The campaign (Salesforce campaign, Marketo program, HubSpot event) a file's leads
    join, their member status and the engagement note for the rep."""

    id: str = Field(description="The CRM campaign id, Marketo program or HubSpot event.")
    status: str | CampaignStatusMap = Field(
        description="A constant member status, or {column, map, default}."
    )
    notes: str | None = Field(
        None,
        description="A template: {field} placeholders name canonical fields or custom "
        "columns; a clause (between ';' or line breaks) whose placeholder is empty is left out.",
    )
    split_by_status: bool = Field(
        False, description="Also write one campaign-members file per status."
    )

    @field_validator("id", mode="before")
    @classmethod
    def _id_text(cls, v: Any) -> Any:
        return str(v) if isinstance(v, int) and not isinstance(v, bool) else v

    @field_validator("notes")
    @classmethod
    def _template_parses(cls, v: str | None) -> str | None:
        if v is not None:
            template_fields(v)
        return v


def template_fields(template: str) -> list[str]:
    """The placeholders of a notes template, in order; ValueError when it does not parse."""
    try:
        parsed = list(string.Formatter().parse(template))
    except ValueError as e:
        raise ValueError(f"notes template: {e} (write {{{{ and }}}} for literal braces)") from None
    names: list[str] = []
    for _, name, spec, conversion in parsed:
        if name is None:
            continue
        if not name.strip():
            raise ValueError("notes template: an empty placeholder {} names no field")
        if spec or conversion:
            raise ValueError(f"notes template: write {{{name.split('!')[0]}}} without a format")
        names.append(name)
    return names


def resolve_column(
    name: str,
    columns: Mapping_[Any, Sources],
    constants: Mapping_[Any, str],
    custom: Mapping_[str, CustomColumn],
) -> tuple[Literal["field", "custom"], str] | None:
    """("field", canonical field) or ("custom", custom column) that `name` names; a source
    header resolves to the field or custom column reading it (case and surrounding spaces
    ignored). None when nothing does."""
    if name in columns or name in constants:
        return ("field", name)
    if name in custom:
        return ("custom", name)
    key = name.strip().lower()

    def reads(sources: Sources | None) -> bool:
        heads = [sources] if isinstance(sources, str) else (sources or [])
        return any(h.strip().lower() == key for h in heads)

    for field, sources in columns.items():
        if reads(sources):
            return ("field", field)
    for custom_name, spec in custom.items():
        if reads(spec.column):
            return ("custom", custom_name)
    return None


DEFAULT_MAX_REJECT_RATE = 0.5
"""A run that rejects more than this share of its rows exits 1, unless the mapping's
`limits.max_reject_rate` says otherwise (1 turns the limit off)."""


class LimitsSpec(_Spec):
    max_reject_rate: float | None = Field(
        None,
        ge=0,
        le=1,
        description="Exit 1 when the share of rejected rows is above this "
        f"(unset: {DEFAULT_MAX_REJECT_RATE}; 1: never).",
    )

    @property
    def reject_limit(self) -> float:
        """The share of rejected rows above which a run exits 1: the mapping's or the default."""
        return DEFAULT_MAX_REJECT_RATE if self.max_reject_rate is None else self.max_reject_rate

    # The reader's resource limits (`leadkit.read.limits`): a file over one is refused.
    max_columns: int = Field(
        ReadLimits.max_columns, ge=1, description="Most columns a table may have."
    )
    max_cell_bytes: int = Field(
        ReadLimits.max_cell_bytes, ge=1, description="Largest cell, in bytes (UTF-8)."
    )
    max_sheet_cells: int = Field(
        ReadLimits.max_sheet_cells,
        ge=1,
        description="Most cells (rows x columns, first to last cell) a workbook sheet may span.",
    )
    max_part_bytes: int = Field(
        ReadLimits.max_part_bytes, ge=1, description="Largest uncompressed part of an XLSX."
    )
    max_zip_ratio: int = Field(
        ReadLimits.max_zip_ratio,
        ge=1,
        description="Largest compression ratio of an XLSX part over 16 MiB (a zip bomb).",
    )

    def read_limits(self) -> ReadLimits:
        """The reader's limits as this mapping sets them."""
        return ReadLimits(
            max_columns=self.max_columns,
            max_cell_bytes=self.max_cell_bytes,
            max_sheet_cells=self.max_sheet_cells,
            max_part_bytes=self.max_part_bytes,
            max_zip_ratio=self.max_zip_ratio,
        )


class Mapping(_Spec):
    """One partner file format, mapped to canonical lead fields and a CRM target."""

    target: str = Field(
        "generic", description="salesforce, hubspot, marketo, generic, or a target YAML file."
    )
    name: str | None = Field(None, description="Defaults to the mapping file's name.")
    description: str | None = None
    match: Sources | None = Field(
        None, description="Filename glob(s) routed to this mapping by `run`."
    )
    input: InputSpec = InputSpec()
    columns: dict[CanonicalField, Sources] = Field(
        description="Canonical field: source header, or a list (the first non-empty wins)."
    )
    constants: dict[CanonicalField, str] = Field(default_factory=dict)
    defaults: dict[CanonicalField, str] = Field(
        default_factory=dict,
        description="Per field: the value written where the field is empty (after its columns), "
        "e.g. company: '[not provided]' where the target requires a company the file lacks.",
    )
    optional: list[str] = Field(
        default_factory=list,
        description="Source headers a file of this format may lack (custom or registration "
        "questions): a missing one reads as empty, and a profile recognizes a file by its "
        "other headers.",
    )
    custom: dict[str, CustomColumn] = Field(
        default_factory=dict, description="Extra output columns (a CRM's custom fields)."
    )
    values: dict[CanonicalField, ValueMap] = Field(default_factory=dict)
    default_country: Annotated[str, Field(min_length=2, max_length=2)] | None = Field(
        None, description="ISO2 region for phones when the row has no country."
    )
    required: list[CanonicalField] = Field(
        default_factory=list, description="Fields required on top of the target's own."
    )
    contact_required: bool = Field(
        True,
        description="Reject rows with neither a valid email nor a phone (no_contact); false "
        "keeps them (matched on names, address and the compared custom columns).",
    )
    invalid: dict[CanonicalField, Policy] = Field(
        default_factory=dict, description="Per field: keep, blank or reject an invalid value."
    )
    flag_columns: bool = Field(
        False,
        description="Add _email_role, _email_free, _email_disposable, _email_suggestion and "
        "_phone_type columns to the CRM files.",
    )
    dates: DatesSpec = DatesSpec()
    matching: MatchingSpec = MatchingSpec()
    duplicates: DuplicatesSpec = DuplicatesSpec()
    limits: LimitsSpec = LimitsSpec()
    campaign: CampaignSpec | None = Field(
        None, description="The campaign the leads join: X.campaign_members.csv."
    )

    @field_validator("default_country")
    @classmethod
    def _upper(cls, v: str | None) -> str | None:
        return v.upper() if v else v

    @model_validator(mode="after")
    def _constants_not_columns(self) -> Mapping:
        both = sorted(set(self.columns) & set(self.constants))
        if both:
            raise ValueError(f"field(s) both mapped and constant: {', '.join(both)}")
        return self

    @model_validator(mode="after")
    def _defaults_not_constants(self) -> Mapping:
        both = sorted(set(self.defaults) & set(self.constants))
        if both:
            raise ValueError(f"field(s) both a constant and a default: {', '.join(both)}; keep one")
        return self

    @model_validator(mode="after")
    def _optional_headers_are_read(self) -> Mapping:
        read = {
            h.strip().casefold()
            for src in self.source_headers()
            for h in ([src] if isinstance(src, str) else src)
        }
        unread = [h for h in self.optional if h.strip().casefold() not in read]
        if unread:
            raise ValueError(
                f"optional names {', '.join(repr(h) for h in unread)}, which the mapping "
                "does not read"
            )
        return self

    def is_optional(self, headers: str | list[str]) -> bool:
        """Every one of `headers` (one source entry) is an optional header."""
        wanted = [headers] if isinstance(headers, str) else headers
        optional = {h.strip().casefold() for h in self.optional}
        return bool(optional) and all(h.strip().casefold() in optional for h in wanted)

    @model_validator(mode="after")
    def _summed_columns_exist(self) -> Mapping:
        known = set(self.columns) | set(self.constants) | set(self.defaults) | set(self.custom)
        unknown = [c for c in self.duplicates.sum if c not in known]
        if unknown:
            raise ValueError(
                f"duplicates.sum names {', '.join(repr(c) for c in unknown)}, which the mapping "
                "neither maps nor declares in custom"
            )
        return self

    @model_validator(mode="after")
    def _compared_columns_exist(self) -> Mapping:
        unknown = [c for c in self.matching.compare if c not in self.custom]
        if unknown:
            raise ValueError(
                f"matching.compare names {', '.join(repr(c) for c in unknown)}, which the "
                "mapping does not declare in custom"
            )
        return self

    @field_validator("campaign")
    @classmethod
    def _campaign_fields_exist(
        cls, campaign: CampaignSpec | None, info: ValidationInfo
    ) -> CampaignSpec | None:
        if campaign is None:
            return None
        columns = info.data.get("columns") or {}
        constants = info.data.get("constants") or {}
        custom = info.data.get("custom") or {}
        known = set(columns) | set(constants) | set(custom)
        problems: list[str] = []
        if campaign.notes is not None:
            unknown = [f for f in template_fields(campaign.notes) if f not in known]
            if unknown:
                problems.append(
                    f"notes names {', '.join(repr(f) for f in unknown)}, which the mapping "
                    "neither maps nor declares in custom"
                )
        status = campaign.status
        if isinstance(status, CampaignStatusMap) and (
            resolve_column(status.column, columns, constants, custom) is None
        ):
            problems.append(
                f"status.column {status.column!r} is neither a mapped field, a custom column "
                "nor a source header the mapping reads"
            )
        if problems:
            raise ValueError("; ".join(problems))
        return campaign

    def campaign_column(self, name: str) -> tuple[Literal["field", "custom"], str] | None:
        """What a campaign status column names: ("field", canonical field) or ("custom",
        custom column); see `resolve_column`."""
        return resolve_column(name, self.columns, self.constants, self.custom)

    def source_headers(self) -> list[str | list[str]]:
        """Every source header the mapping reads: an entry per field (a list means alternates)."""
        heads: list[str | list[str]] = list(self.columns.values())
        heads += [c.column for c in self.custom.values() if c.column is not None]
        return heads


class LoadedMapping(BaseModel):
    """A mapping with where it came from: its name, path and content hash."""

    model_config = ConfigDict(frozen=True)

    spec: Mapping
    name: str
    path: Path | None
    sha256: str


# --- loading with located errors -------------------------------------------------------


def load_mapping(path: str | Path) -> LoadedMapping:
    """Read and validate a mapping file; MappingError lists every problem with its line."""
    path = Path(path)
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise MappingError([f"{path}: mapping file not found"]) from None
    except IsADirectoryError:
        raise MappingError([f"{path}: is a directory, not a mapping file"]) from None
    except OSError as e:
        raise MappingError([f"{path}: cannot read mapping ({e.strerror})"]) from None
    spec = parse_mapping(yaml_text(raw, str(path)), source=str(path))
    return LoadedMapping(
        spec=spec,
        name=spec.name or path.stem,
        path=path,
        sha256=hashlib.sha256(raw).hexdigest(),
    )


def parse_mapping(text: str, source: str = "<mapping>") -> Mapping:
    data = _load_yaml(text, source)
    if not isinstance(data, dict):
        raise MappingError(
            [
                f"{source}:1: a mapping is a YAML dictionary with 'columns:' (got {type(data).__name__})"
            ]
        )
    try:
        return Mapping.model_validate(data)
    except ValidationError as e:
        raise MappingError(list(located_errors(e, yaml_nodes(text), source, Mapping))) from None
    except RecursionError:
        raise MappingError([f"{source}: malformed YAML: {YamlTooDeep()}"]) from None


# libyaml's parser where PyYAML was built with it: ten times faster than the pure-Python
# one. A document it refuses is parsed again by the pure-Python one, whose messages say
# what was found ("expected ',' or ']', but got '<stream end>'").
_FAST_LOADER: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class YamlTooDeep(yaml.YAMLError):
    """A YAML document nested deeper than Python's parser can recurse."""

    def __str__(self) -> str:
        return "nested too deeply (a runaway '[' or '{'?)"


def yaml_data(text: str) -> Any:
    """The YAML document's data (safe types only)."""
    try:
        try:
            return yaml.load(text, Loader=_FAST_LOADER)
        except yaml.YAMLError:
            return yaml.load(text, Loader=yaml.SafeLoader)
    except RecursionError:
        raise YamlTooDeep from None


def yaml_nodes(text: str) -> yaml.Node | None:
    """The YAML document's node tree, with the line and column of every node."""
    try:
        try:
            return yaml.compose(text, Loader=_FAST_LOADER)
        except yaml.YAMLError:
            return yaml.compose(text, Loader=yaml.SafeLoader)
    except RecursionError:
        raise YamlTooDeep from None


def yaml_text(raw: bytes, source: str) -> str:
    """A mapping or target file's bytes as text: UTF-8 (a BOM allowed), else a MappingError
    naming where the first other byte is."""
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        line = raw.count(b"\n", 0, e.start) + 1
        raise MappingError(
            [f"{source}:{line}: not UTF-8 text (byte 0x{raw[e.start]:02X}); save it as UTF-8"]
        ) from None


def _load_yaml(text: str, source: str) -> Any:
    try:
        return yaml_data(text)
    except yaml.MarkedYAMLError as e:
        mark = e.problem_mark
        where = f"{source}:{mark.line + 1}:{mark.column + 1}" if mark else source
        raise MappingError([f"{where}: malformed YAML: {e.problem or e}"]) from None
    except yaml.YAMLError as e:
        raise MappingError([f"{source}: malformed YAML: {e}"]) from None


def located_errors(
    error: ValidationError, root: yaml.Node | None, source: str, model: type[BaseModel]
) -> Iterator[str]:
    """One `file:line:col: path: message` line per problem, in file order, with a did-you-mean.

    A value that fails every branch of a union (a header name or a list of them) gives
    one line, not one per branch.
    """
    found: dict[tuple[Any, ...], tuple[int, str]] = {}
    for err in error.errors():
        union = any(isinstance(p, str) and _UNION_TAG.match(p) for p in err["loc"])
        loc = [
            p
            for p in err["loc"]
            if p != "[key]" and not (isinstance(p, str) and _UNION_TAG.match(p))
        ]
        is_key = "[key]" in err["loc"]
        node = _node_at(root, loc, key=is_key or err["type"] == "extra_forbidden")
        line = node.start_mark.line + 1 if node else 0
        where = f"{source}:{line}:{node.start_mark.column + 1}" if node else source
        dotted = ".".join(str(p) for p in loc) or "(top)"
        msg = (
            "expected a header name or a list of header names"
            if union
            else _message(err, loc, model)
        )
        found.setdefault((dotted, is_key), (line, f"{where}: {dotted}: {msg}"))
    for _, text in sorted(found.values(), key=lambda lt: lt[0]):
        yield text


_UNION_TAG = re.compile(r"^(str|int|float|bool|list\[.*\]|dict\[.*\])$")


def _message(err: Any, loc: list[Any], model: type[BaseModel]) -> str:
    kind = err["type"]
    bad = str(loc[-1]) if loc else ""
    if kind == "extra_forbidden":
        return f"unknown setting '{bad}'" + _did_you_mean(bad, _allowed_keys(model, loc[:-1]))
    if kind == "literal_error" and "expected" in err.get("ctx", {}):
        allowed = [a.strip(" '") for a in err["ctx"]["expected"].replace(" or ", ", ").split(", ")]
        value = str(err.get("input"))
        if set(allowed) >= set(CANONICAL_FIELDS):
            return f"unknown field '{value}'" + _did_you_mean(value, allowed)
        return f"unknown value '{value}' (expected {', '.join(allowed)})"
    if kind == "missing":
        return "required setting missing"
    msg: str = err["msg"]
    return msg[0].lower() + msg[1:] if msg else kind


def _did_you_mean(word: str, choices: list[str]) -> str:
    close = difflib.get_close_matches(word, choices, n=1, cutoff=0.6)
    return f" - did you mean '{close[0]}'?" if close else ""


def _allowed_keys(model: type[BaseModel], path: list[Any]) -> list[str]:
    """The settings a model accepts at `path`, through dicts and optional values."""
    current: Any = model
    for part in path:
        current = _model_in(current)
        if isinstance(current, dict):  # a dict's key: the value's type is next
            current = current["value"]
            continue
        field = getattr(current, "model_fields", {}).get(part)
        if field is None:
            return []
        current = field.annotation
    fields = getattr(_model_in(current), "model_fields", None)
    return list(fields) if fields else []


def _model_in(annotation: Any) -> Any:
    """The model an annotation holds: `X | None` -> X; `dict[str, X]` -> {"value": X}."""
    if getattr(annotation, "model_fields", None) is not None:
        return annotation
    origin, args = get_origin(annotation), get_args(annotation)
    if origin is dict and len(args) == 2:
        return {"value": args[1]}
    if origin is list and len(args) == 1:  # a list's index: the item's type is next
        return {"value": args[0]}
    models = [a for a in args if getattr(a, "model_fields", None) is not None]
    return models[0] if len(models) == 1 else annotation


def _node_at(root: yaml.Node | None, path: list[Any], *, key: bool) -> yaml.Node | None:
    """The YAML node at `path` (the key node when `key`), or the deepest one found."""
    node = root
    for i, part in enumerate(path):
        if isinstance(node, yaml.MappingNode):
            for k, v in node.value:
                if k.value == str(part):
                    node = k if (key and i == len(path) - 1) else v
                    break
            else:
                return node
        elif (
            isinstance(node, yaml.SequenceNode) and isinstance(part, int) and part < len(node.value)
        ):
            node = node.value[part]
        else:
            return node
    return node
