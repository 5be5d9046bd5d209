"""The rules file: the sales-handoff rules marketing and sales agreed, shared by every mapping.

SPEC "Sales handoff". One reviewed YAML file holds what is company-wide rather than per
partner: who must never be contacted (`suppress`), who owns a lead (`routing`, `owners`),
what an update may change in the CRM (`update`), the agreed lead definition (`statuses`,
`qualify`) and the follow-up promise (`sla`). The models below are the single source of
truth: loading, `leadkit rules check` and `leadkit rules schema` come from them, and errors
are located and collected like a mapping's (`rules.yaml:7:5: routing.2.territoris:
unknown setting 'territoris' - did you mean 'territories'?`).

Paths inside a rules file are relative to the rules file.
"""

from __future__ import annotations

import difflib
import hashlib
import re
import zoneinfo
from pathlib import Path
from typing import Any, Literal

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
from leadkit.mapping import CANONICAL_FIELDS, located_errors, yaml_data, yaml_nodes

UpdatePolicy = Literal["overwrite", "fill_empty", "never"]

# The kinds of entry a suppression list may hold: the list's header names its column.
LIST_COLUMNS: tuple[str, ...] = ("email", "email_sha256", "domain", "phone", "company")
# The reason whose rows leave only `_row` and `_suppressed` behind (SPEC: erasure means erased).
ERASURE = "erasure"
# Fields the rules may test in `qualify.when` beyond canonical fields and custom columns.
DERIVED_FIELDS: tuple[str, ...] = (
    "job_level",
    "job_function",
    "email_free",
    "email_role",
    "email_disposable",
    "phone_type",
    "campaign_status",
)
# Who may not be overwritten unless the rules say so: first-touch attribution and consent.
DEFAULT_NEVER: tuple[str, ...] = ("lead_source", "opt_in")


class RulesError(MappingError):
    """A rules file is missing, malformed or invalid; `problems` lists every located problem."""


class _Spec(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


# --- suppress ----------------------------------------------------------------------------


class SuppressList(_Spec):
    """A never-contact list: a CSV/XLSX file whose header names an email, email_sha256,
    domain, phone or company column; or the CRM export's own opt-out state."""

    file: str | None = Field(None, description="A CSV or XLSX list, relative to the rules file.")
    crm_opted_out: bool | None = Field(
        None,
        description="Rows matching a CRM record that has opted out go to suppressed "
        "(HasOptedOutOfEmail, Unsubscribed from all email, Unsubscribed).",
    )
    reason: str = Field(
        "optout",
        pattern=r"^[A-Za-z0-9_.-]+$",
        description="One word written in _suppressed: optout, erasure, competitor, ...",
    )

    @model_validator(mode="after")
    def _one_source(self) -> SuppressList:
        if (self.file is None) == (self.crm_opted_out is None):
            raise ValueError("give exactly one of 'file' or 'crm_opted_out'")
        return self


# --- routing -----------------------------------------------------------------------------


class AccountOwnerStep(_Spec):
    types: list[str] | None = Field(
        None, description="Only accounts of these types (e.g. Customer); all when absent."
    )


class RoundRobinStep(_Spec):
    pool: list[str] = Field(min_length=1, description="The owners taking turns.")
    weights: dict[str, int] = Field(
        default_factory=dict, description="Owner: relative share (default 1 each)."
    )
    caps: dict[str, int] = Field(
        default_factory=dict, description="Owner: at most this many leads per run."
    )
    state: str | None = Field(
        None,
        description="The rotation state file, relative to the rules file "
        "(default: beside the rules file, <rules>.rotation.json).",
    )

    @model_validator(mode="after")
    def _known_owners(self) -> RoundRobinStep:
        unknown = sorted((set(self.weights) | set(self.caps)) - set(self.pool))
        if unknown:
            raise ValueError(f"weights/caps name owner(s) not in the pool: {', '.join(unknown)}")
        if any(w < 0 for w in self.weights.values()) or any(c < 0 for c in self.caps.values()):
            raise ValueError("weights and caps are whole numbers of at least 0")
        return self


_STEP_NAMES = ("existing_owner", "account_owner", "territories", "round_robin", "default")


class RouteStep(_Spec):
    """One step of the routing ladder: the first step that yields an owner decides."""

    existing_owner: bool | None = Field(
        None, description="The matched CRM record's owner keeps the lead (no pounce)."
    )
    account_owner: AccountOwnerStep | None = Field(
        None, description="The owner of the account the lead belongs to."
    )
    territories: str | None = Field(
        None,
        description="A CSV of country, state (blank: any), postal_prefix (optional), owner; "
        "the most specific row wins.",
    )
    round_robin: RoundRobinStep | None = Field(None, description="An even rotation.")
    default: str | None = Field(None, description="The owner or queue of every other lead.")

    @model_validator(mode="before")
    @classmethod
    def _short_forms(cls, data: Any) -> Any:
        """`- existing_owner`, `- account_owner`, `- round_robin: [a, b]` are short forms."""
        if isinstance(data, str):
            if data not in ("existing_owner", "account_owner"):
                close = difflib.get_close_matches(data, _STEP_NAMES, n=1, cutoff=0.6)
                hint = f" - did you mean '{close[0]}'?" if close else ""
                raise ValueError(f"unknown routing step '{data}'{hint}")
            return {data: True if data == "existing_owner" else {}}
        if isinstance(data, dict):
            data = dict(data)
            if data.get("account_owner") in (True, None) and "account_owner" in data:
                data["account_owner"] = {}
            if isinstance(data.get("round_robin"), list):
                data["round_robin"] = {"pool": data["round_robin"]}
        return data

    @model_validator(mode="after")
    def _one_step(self) -> RouteStep:
        given = [n for n in _STEP_NAMES if getattr(self, n) not in (None, False)]
        if len(given) != 1:
            raise ValueError(
                f"a routing step is one of {', '.join(_STEP_NAMES)}"
                + (f" (got {', '.join(given)})" if given else "")
            )
        return self

    @property
    def kind(self) -> str:
        return next(n for n in _STEP_NAMES if getattr(self, n) not in (None, False))


# --- update ------------------------------------------------------------------------------


class UpdateSpec(_Spec):
    """What an update may change in the CRM record it matches."""

    default: UpdatePolicy = Field("fill_empty", description="The policy of unlisted fields.")
    overwrite: list[str] = Field(default_factory=list, description="Fields always written.")
    fill_empty: list[str] = Field(
        default_factory=list, description="Fields written only where the CRM's value is empty."
    )
    never: list[str] = Field(
        default_factory=lambda: list(DEFAULT_NEVER), description="Fields never written."
    )

    @model_validator(mode="after")
    def _each_field_once(self) -> UpdateSpec:
        seen: dict[str, str] = {}
        for policy in ("overwrite", "fill_empty", "never"):
            for f in getattr(self, policy):
                if f in seen:
                    raise ValueError(f"field '{f}' is under both '{seen[f]}' and '{policy}'")
                seen[f] = policy
        return self

    def policy(self, field: str) -> UpdatePolicy:
        """The policy of one field (canonical name or custom column)."""
        policies: tuple[UpdatePolicy, ...] = ("overwrite", "fill_empty", "never")
        for policy in policies:
            if field in getattr(self, policy):
                return policy
        return self.default


# --- qualify -----------------------------------------------------------------------------


class Range(_Spec):
    min: float | None = None
    max: float | None = None

    @model_validator(mode="after")
    def _bounded(self) -> Range:
        if self.min is None and self.max is None:
            raise ValueError("give 'min', 'max' or both")
        if self.min is not None and self.max is not None and self.min > self.max:
            raise ValueError("'min' is above 'max'")
        return self


class Pattern(_Spec):
    matches: str = Field(description="A regular expression searched in the value (any case).")

    @field_validator("matches")
    @classmethod
    def _compiles(cls, v: str) -> str:
        try:
            re.compile(v)
        except re.error as e:
            raise ValueError(f"not a regular expression: {e}") from None
        return v


Scalar = bool | int | float | str
Condition = Range | Pattern | list[Scalar] | Scalar


class QualifyRule(_Spec):
    """The first rule whose every condition holds sets the status; a rule may add a score."""

    status: str | None = Field(None, description="The status this rule sets.")
    when: dict[str, Condition] = Field(
        default_factory=dict,
        description="Field: value (any of a list, {min, max}, {matches: regex}); all must hold. "
        "No `when`: every row.",
    )
    score: int | None = Field(
        None, description="Added to the lead's score when the conditions hold."
    )
    name: str | None = Field(None, description="Named in _qualify (default: the status).")

    @model_validator(mode="after")
    def _does_something(self) -> QualifyRule:
        if self.status is None and self.score is None:
            raise ValueError("a rule sets a 'status', adds a 'score', or both")
        return self


# --- sla ---------------------------------------------------------------------------------

Day = Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
_WORKDAYS: tuple[Day, ...] = ("mon", "tue", "wed", "thu", "fri")


class BusinessHours(_Spec):
    start: str = Field("09:00", pattern=r"^([01]\d|2[0-3]):[0-5]\d$")
    end: str = Field("17:00", pattern=r"^([01]\d|2[0-3]):[0-5]\d$|^24:00$")
    days: list[Day] = Field(default_factory=lambda: list(_WORKDAYS))

    @model_validator(mode="after")
    def _ordered(self) -> BusinessHours:
        if self.start >= self.end:
            raise ValueError("'start' must be before 'end'")
        return self


class SlaSpec(_Spec):
    hours: dict[str, float] = Field(
        description="Status: hours from capture until sales must act (_due_at)."
    )
    business_hours: BusinessHours | None = Field(
        None, description="Count only these hours; every hour counts when absent."
    )
    timezone: str = Field("UTC", description="An IANA time zone, e.g. Europe/Berlin.")

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, v: str) -> str:
        try:
            zoneinfo.ZoneInfo(v)
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown time zone '{v}'") from None
        return v


# --- the file ----------------------------------------------------------------------------


class Rules(_Spec):
    """The handoff rules: never contact, one owner, safe updates, the lead definition."""

    suppress: list[SuppressList] = Field(
        default_factory=list, description="Never-contact lists: their rows go to X.suppressed.csv."
    )
    routing: list[RouteStep] = Field(
        default_factory=list, description="The routing ladder; the first step with an owner wins."
    )
    owners: str | None = Field(
        None,
        description="A CSV of owners (id, email, name) that resolves owners named in another "
        "form, relative to the rules file.",
    )
    update: UpdateSpec = UpdateSpec()
    statuses: list[str] = Field(
        default_factory=list,
        description="The lead statuses in funnel order: an update never moves one backwards.",
    )
    qualify: list[QualifyRule] = Field(
        default_factory=list, description="The agreed lead definition, first rule that holds wins."
    )
    sla: SlaSpec | None = None

    @field_validator("routing")
    @classmethod
    def _default_last(cls, steps: list[RouteStep]) -> list[RouteStep]:
        kinds = [s.kind for s in steps]
        if "default" in kinds[:-1]:
            raise ValueError("'default' must be the last step (nothing after it runs)")
        return steps

    @field_validator("qualify")
    @classmethod
    def _rule_statuses_listed(
        cls, rules: list[QualifyRule], info: ValidationInfo
    ) -> list[QualifyRule]:
        statuses = info.data.get("statuses") or []
        unknown = [r.status for r in rules if statuses and r.status and r.status not in statuses]
        if unknown:
            raise ValueError(f"status(es) not listed in 'statuses': {', '.join(unknown)}")
        return rules

    @field_validator("sla")
    @classmethod
    def _sla_statuses_listed(cls, sla: SlaSpec | None, info: ValidationInfo) -> SlaSpec | None:
        statuses = info.data.get("statuses") or []
        unknown = [s for s in (sla.hours if sla else {}) if statuses and s not in statuses]
        if unknown:
            raise ValueError(f"hours name status(es) not in 'statuses': {', '.join(unknown)}")
        return sla

    def step(self, kind: str) -> RouteStep | None:
        return next((s for s in self.routing if s.kind == kind), None)

    def files(self) -> list[str]:
        """Every path the rules name, as written (relative to the rules file)."""
        paths = [s.file for s in self.suppress if s.file]
        paths += [s.territories for s in self.routing if s.territories]
        if self.owners:
            paths.append(self.owners)
        return paths


class LoadedRules(BaseModel):
    """A rules file with where it came from: paths resolve against `base`."""

    model_config = ConfigDict(frozen=True)

    spec: Rules
    path: Path | None
    sha256: str

    @property
    def base(self) -> Path:
        return self.path.parent if self.path else Path.cwd()

    def resolve(self, relative: str) -> Path:
        p = Path(relative).expanduser()
        return p if p.is_absolute() else self.base / p

    @property
    def rotation_state(self) -> Path:
        step = self.spec.step("round_robin")
        if step and step.round_robin and step.round_robin.state:
            return self.resolve(step.round_robin.state)
        stem = self.path.name if self.path else "rules"
        return self.base / f".{stem}.rotation.json"


def load_rules(path: str | Path) -> LoadedRules:
    """Read and validate a rules file; RulesError lists every problem with its line."""
    path = Path(path)
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise RulesError([f"{path}: rules file not found"]) from None
    except IsADirectoryError:
        raise RulesError([f"{path}: is a directory, not a rules file"]) from None
    except OSError as e:
        raise RulesError([f"{path}: cannot read rules file ({e.strerror})"]) from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise RulesError([f"{path}: the rules file is not UTF-8 text"]) from None
    spec = parse_rules(text, source=str(path))
    return LoadedRules(spec=spec, path=path, sha256=hashlib.sha256(raw).hexdigest())


def parse_rules(text: str, source: str = "<rules>") -> Rules:
    try:
        data = yaml_data(text)
    except Exception as e:  # noqa: BLE001 - any YAML failure is the user's file
        mark = getattr(e, "problem_mark", None)
        where = f"{source}:{mark.line + 1}:{mark.column + 1}" if mark else source
        raise RulesError([f"{where}: malformed YAML: {getattr(e, 'problem', None) or e}"]) from None
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise RulesError(
            [f"{source}:1: a rules file is a YAML dictionary (got {type(data).__name__})"]
        )
    try:
        return Rules.model_validate(data)
    except ValidationError as e:
        raise RulesError(list(located_errors(e, yaml_nodes(text), source, Rules))) from None


def rules_schema() -> dict[str, Any]:
    """The JSON Schema of rules files, from the models."""
    schema = Rules.model_json_schema()
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = "leadkit rules file"
    return schema


def unknown_update_fields(spec: Rules, custom: frozenset[str] = frozenset()) -> list[str]:
    """Fields named in `update` that are neither canonical fields nor the given custom columns."""
    named = [*spec.update.overwrite, *spec.update.fill_empty, *spec.update.never]
    return [f for f in named if f not in CANONICAL_FIELDS and f not in custom]
