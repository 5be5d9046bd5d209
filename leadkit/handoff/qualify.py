"""Qualification: the agreed lead definition applied to every row (SPEC "Sales handoff").

The rules file's `qualify` is an ordered list of rules. Each rule's `when` maps fields to
the values that satisfy them; all must hold (no `when`: every row). The outcome per row:

- `_status`: the status of the FIRST rule with a `status` whose conditions hold (null when
  none does; end the list with a rule without `when` so that every row gets one);
- `_score`: the sum of `score` over EVERY rule whose conditions hold, whether or not it set
  the status (a score-only rule `{score: 10, when: {...}}` is the usual form). 0 when no
  scoring rule holds; null throughout when no rule has a score (nothing to write);
- `_qualify`: why, for the rep and for the people who signed the rules: the status rule's
  name (or status) and the conditions that held with the row's values, then each scoring
  rule that held: `Sales Ready: job_level=director, country=US; Big account +10:
  employees=500`.

Fields, in the order they are looked up: the derived `job_level`, `job_function` (from
`job_title`, see `job_columns`), `email_free`, `email_role`, `email_disposable` (the
standardized frame's flags), `phone_type` (of `phone`, else of `mobile_phone`) and
`campaign_status` (`_campaign_status`, see `leadkit.handoff.campaign`); then canonical
fields (their standardized values: `country` is an ISO code); then custom columns
(`custom:<name>` in the pipeline's frames, `<name>` in written ones). A field the frame
lacks is empty on every row, and an empty value satisfies no condition.

Conditions, one Polars expression each:

| written | holds when |
|---|---|
| `true` / `false` | the value reads as that boolean (`Yes`, `1`, `x`, `ja`, ... as opt-in does) |
| a number | the value parses as that number |
| text | equal, ignoring case and surrounding spaces |
| a list | any of its items holds |
| `{min: N, max: M}` | the value parses as a number within the bounds (both inclusive) |
| `{matches: REGEX}` | the regular expression is found in the value, ignoring case |

Patterns run on Polars' regex engine (Rust `regex`): no look-around or back-references; a
pattern it refuses is a `RulesError` naming the rule.
"""

from __future__ import annotations

from collections.abc import Sequence

import polars as pl

from leadkit.handoff.rules import (
    Condition,
    Pattern,
    QualifyRule,
    Range,
    Rules,
    RulesError,
    Scalar,
)
from leadkit.normalizers.boolean import standardize_bool
from leadkit.normalizers.job_title import classify_titles
from leadkit.normalizers.phone import phone_types
from leadkit.remap import CUSTOM_PREFIX

STATUS = "_status"
QUALIFY = "_qualify"
SCORE = "_score"
JOB_LEVEL = "_job_level"
JOB_FUNCTION = "_job_function"
CAMPAIGN_STATUS = "_campaign_status"

_FLAGS = ("email_free", "email_role", "email_disposable")


def job_columns(leads: pl.DataFrame) -> pl.DataFrame:
    """`_job_level` and `_job_function` (String, null when the title says too little or is
    missing), one row per row of `leads`, from its `job_title` column. The classifier runs
    once per distinct title."""
    if "job_title" not in leads.columns:
        return pl.DataFrame(
            {JOB_LEVEL: [None] * leads.height, JOB_FUNCTION: [None] * leads.height},
            schema={JOB_LEVEL: pl.String, JOB_FUNCTION: pl.String},
        )
    classified = classify_titles(leads["job_title"])
    return classified.rename({"job_level": JOB_LEVEL, "job_function": JOB_FUNCTION})


def rule_fields(rules: Rules) -> list[str]:
    """Every field the `qualify` rules read, in first-use order."""
    seen: dict[str, None] = {}
    for rule in rules.qualify:
        seen.update(dict.fromkeys(rule.when))
    return list(seen)


def qualify(leads: pl.DataFrame, rules: Rules) -> pl.DataFrame:
    """`_status` (String), `_qualify` (String) and `_score` (Int64): one row per row of
    `leads`, in order (`leads.hstack(qualify(leads, rules))`).

    `leads` is the standardized frame (or any frame with the fields the rules read, see the
    module notes). `_job_level`/`_job_function` and `_campaign_status` are used when the
    frame has them; the job columns are computed here when a rule needs them and they are
    absent."""
    frame = _with_derived(leads, rule_fields(rules))
    holds: list[pl.Expr] = []
    explain: list[pl.Expr] = []
    for rule in rules.qualify:
        conds = [_condition(f"_v:{field}", cond) for field, cond in rule.when.items()]
        holds.append(pl.all_horizontal(conds) if conds else pl.lit(True))
        explain.append(_explanation(rule))
    _check_patterns(rules)

    # The first rule that holds wins: built from the last, each rule's `otherwise` being
    # the rules after it.
    status_rules = [(i, r) for i, r in enumerate(rules.qualify) if r.status is not None]
    status: pl.Expr = pl.lit(None, dtype=pl.String)
    first: pl.Expr = pl.lit(None, dtype=pl.String)
    for i, r in reversed(status_rules):
        status = pl.when(holds[i]).then(pl.lit(r.status)).otherwise(status)
        first = pl.when(holds[i]).then(explain[i]).otherwise(first)

    scored = [(i, r) for i, r in enumerate(rules.qualify) if r.score is not None]
    if scored:
        score = pl.sum_horizontal(
            pl.when(holds[i]).then(pl.lit(r.score, dtype=pl.Int64)).otherwise(0) for i, r in scored
        ).cast(pl.Int64)
    else:
        score = pl.lit(None, dtype=pl.Int64)
    # Scoring rules that held, beside the status rule (which already explains itself).
    extra = [
        pl.when(holds[i] & ~_is_first(i, holds, status_rules)).then(explain[i]) for i, _ in scored
    ]
    why = pl.concat_str([first, *extra], separator="; ", ignore_nulls=True)
    why = pl.when(why == "").then(None).otherwise(why)
    # with_columns, not select: a column of literals still gets one value per row.
    out = frame.with_columns(status.alias(STATUS), why.alias(QUALIFY), score.alias(SCORE))
    return out.select(STATUS, QUALIFY, SCORE)


def never_backwards(
    new_status: pl.Series, crm_status: pl.Series, statuses: Sequence[str]
) -> pl.Series:
    """The status to write for each row: `new_status` unless that would move the CRM
    record's current status (`crm_status`, null for new leads) backwards in the funnel
    order `statuses` (the rules file's list; compared ignoring case).

    - no CRM status (a new lead): the new status;
    - no new status: the CRM status (nothing to change);
    - both in the funnel: the later of the two;
    - a CRM status outside the funnel (or no funnel at all): the CRM status, since leadkit
      cannot tell whether the new one is forwards.
    """
    rank = {s.strip().lower(): n for n, s in enumerate(statuses)}
    frame = pl.DataFrame(
        {"new": new_status.cast(pl.String), "crm": crm_status.cast(pl.String)},
        schema={"new": pl.String, "crm": pl.String},
    )
    crm = pl.when(pl.col("crm").str.strip_chars() != "").then(pl.col("crm"))

    def position(c: pl.Expr) -> pl.Expr:
        key = c.str.strip_chars().str.to_lowercase()
        return key.replace_strict(rank, default=None, return_dtype=pl.Int64)

    new_pos, crm_pos = position(pl.col("new")), position(crm)
    out = (
        pl.when(crm.is_null())
        .then(pl.col("new"))
        .when(pl.col("new").is_null())
        .then(crm)
        .when(crm_pos.is_not_null() & new_pos.is_not_null() & (new_pos >= crm_pos))
        .then(pl.col("new"))
        .otherwise(crm)
    )
    return frame.select(out.alias(new_status.name)).to_series()


# --- fields ------------------------------------------------------------------------------


def _with_derived(leads: pl.DataFrame, fields: list[str]) -> pl.DataFrame:
    """The leads with one `_v:<field>` column per field the rules read."""
    cols = set(leads.columns)
    frame = leads
    if {"job_level", "job_function"} & set(fields) and not {JOB_LEVEL, JOB_FUNCTION} <= cols:
        frame = frame.drop(JOB_LEVEL, JOB_FUNCTION, strict=False).hstack(job_columns(leads))
    exprs = [_field(field, frame).alias(f"_v:{field}") for field in fields]
    return frame.with_columns(exprs)


def _field(field: str, frame: pl.DataFrame) -> pl.Expr:
    cols = set(frame.columns)
    if field in ("job_level", "job_function"):
        return pl.col(f"_{field}")
    if field in _FLAGS:
        for name in (field, f"_{field}"):
            if name in cols:
                return pl.col(name)
    if field == "phone_type":
        return _phone_type(frame)
    if field == "campaign_status" and CAMPAIGN_STATUS in cols:
        return pl.col(CAMPAIGN_STATUS)
    for name in (field, CUSTOM_PREFIX + field):
        if name in cols:
            return pl.col(name)
    return pl.lit(None, dtype=pl.String)


def _phone_type(frame: pl.DataFrame) -> pl.Expr:
    """The type of the phone, else of the mobile phone: from the standardized frame's
    `phone_type`/`mobile_phone_type` when it has them, else computed from valid numbers."""
    kinds: list[pl.Expr] = []
    for name in ("phone", "mobile_phone"):
        if f"{name}_type" in frame.columns:
            kinds.append(pl.col(f"{name}_type"))
        elif name in frame.columns:
            code = f"{name}__code"
            valid = frame.select(
                pl.when(pl.col(code).is_null()).then(pl.col(name))
                if code in frame.columns
                else pl.col(name)
            ).to_series()
            kinds.append(pl.lit(phone_types(valid.cast(pl.String))))
    return pl.coalesce(kinds) if kinds else pl.lit(None, dtype=pl.String)


# --- conditions --------------------------------------------------------------------------


def _text(col: str) -> pl.Expr:
    text = pl.col(col).cast(pl.String).str.strip_chars()
    return pl.when(text != "").then(text)


def _number(col: str) -> pl.Expr:
    return _text(col).cast(pl.Float64, strict=False)


def _boolean(col: str) -> pl.Expr:
    """A flag column as Boolean: booleans as they are, words read as opt-in reads them."""
    return pl.col(col).map_batches(_as_bool, return_dtype=pl.Boolean)


def _as_bool(values: pl.Series) -> pl.Series:
    if values.dtype == pl.Boolean:
        return values
    read = standardize_bool(values.cast(pl.String), name="v")["v"]
    return (read == "true").rename(values.name)


def _scalar(col: str, value: Scalar) -> pl.Expr:
    if isinstance(value, bool):
        return _boolean(col) == value
    if isinstance(value, int | float):
        return _number(col) == float(value)
    return _text(col).str.to_lowercase() == value.strip().lower()


def _condition(col: str, cond: Condition) -> pl.Expr:
    if isinstance(cond, Range):
        x = _number(col)
        held = pl.lit(True)
        if cond.min is not None:
            held = held & (x >= cond.min)
        if cond.max is not None:
            held = held & (x <= cond.max)
    elif isinstance(cond, Pattern):
        held = _text(col).str.contains(f"(?i){cond.matches}")
    elif isinstance(cond, list):
        texts = [v.strip().lower() for v in cond if isinstance(v, str)]
        parts = [_scalar(col, v) for v in cond if not isinstance(v, str)]
        if texts:
            parts.append(_text(col).str.to_lowercase().is_in(texts))
        held = pl.any_horizontal(parts) if parts else pl.lit(False)
    else:
        held = _scalar(col, cond)
    return held.fill_null(False)


def _explanation(rule: QualifyRule) -> pl.Expr:
    """`Name +10: field=value, field=value` from the row's values."""
    label = rule.name or rule.status or "score"
    if rule.score is not None:
        label += f" {rule.score:+d}"
    if not rule.when:
        return pl.lit(label)
    shown = [
        pl.lit(f"{field}=") + pl.col(f"_v:{field}").cast(pl.String).fill_null("")
        for field in rule.when
    ]
    return pl.lit(label + ": ") + pl.concat_str(shown, separator=", ")


def _is_first(i: int, holds: list[pl.Expr], status_rules: list[tuple[int, QualifyRule]]) -> pl.Expr:
    """Whether rule i is the status rule that fired on the row."""
    if not any(j == i for j, _ in status_rules):
        return pl.lit(False)
    earlier = [holds[j] for j, _ in status_rules if j < i]
    return holds[i] & ~pl.any_horizontal(earlier) if earlier else holds[i]


def _check_patterns(rules: Rules) -> None:
    """Every `matches` compiles in Polars' engine: one located line per pattern it refuses."""
    problems: list[str] = []
    probe = pl.Series([""], dtype=pl.String)
    for n, rule in enumerate(rules.qualify):
        for field, cond in rule.when.items():
            if isinstance(cond, Pattern):
                try:
                    probe.str.contains(f"(?i){cond.matches}")
                except pl.exceptions.ComputeError as e:
                    first = str(e).strip().splitlines()[-1] if str(e).strip() else "refused"
                    problems.append(
                        f"qualify.{n}.when.{field}: the pattern {cond.matches!r} is not "
                        f"supported ({first.strip()})"
                    )
    if problems:
        raise RulesError(problems)
