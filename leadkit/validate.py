"""Stage 4: SPEC's default rules, the target's and mapping's required fields and limits.

Each field's reason code decides an action: the catalogue's `reject` codes always reject
the row (an email that is present but invalid); `issue` codes (an impossible phone, an
unknown country, a value longer than the CRM field allows) follow the mapping's per-field
policy (`keep` by default, as SPEC says, `blank`, or `reject`); `flag` codes are only
counted.
The row's rejecting reasons are written to `_errors` as `field:code` items joined by `; `.

The email policy (issue 14) is the mapping's: by default a present-but-invalid email rejects
the row, as SPEC "Default validation" says (and the benchmark's truth expects). With
`invalid: {email: blank}`, where the target does not require email (Salesforce) and the row
has a valid phone, the email is blanked and the lead kept; its code stays in the report and
the issues file. With no valid phone it still rejects: nobody could follow up.
Beyond SPEC:
- An ad platform's test lead (`test_lead`) rejects the row.
- A value outside the target field's picklist gets `picklist_value` (an `issue`: kept
  by default, counted).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import polars as pl

from leadkit.codes import CODES
from leadkit.mapping import CANONICAL_FIELDS, Mapping, Policy
from leadkit.targets import Target

ERRORS = "_errors"


@dataclass(frozen=True)
class Rules:
    required: tuple[str, ...] = ()
    contact_required: bool = True
    max_length: dict[str, int] = field(default_factory=dict)
    policies: dict[str, Policy] = field(default_factory=dict)
    unmapped: dict[str, Policy] = field(default_factory=dict)
    picklists: dict[str, tuple[str, ...]] = field(default_factory=dict)

    @classmethod
    def of(cls, mapping: Mapping, target: Target) -> Rules:
        required = [*target.required, *(f for f in mapping.required if f not in target.required)]
        if not mapping.contact_required:
            # a target's email requirement is a contact requirement: waived with it (a field
            # the mapping itself requires stays required)
            contact = ("email", "phone", "mobile_phone")
            required = [f for f in required if f not in contact or f in mapping.required]
        return cls(
            required=tuple(required),
            contact_required=mapping.contact_required,
            max_length={f: s.max_length for f, s in target.fields.items() if s.max_length},
            policies={str(f): p for f, p in mapping.invalid.items()},
            unmapped={f: vm.unmapped for f, vm in mapping.values.items()},
            picklists={f: tuple(s.picklist) for f, s in target.fields.items() if s.picklist},
        )

    def action(self, field: str, code: str) -> Policy:
        """What a code on a field does to the row: keep, blank the value, or reject."""
        if code == "value_unmapped":
            return "reject" if self.unmapped.get(field) == "reject" else "keep"
        severity = CODES[code].severity if code in CODES else "issue"
        if severity == "reject":
            return "reject"
        if severity == "flag":
            return "keep"
        return self.policies.get(field, "keep")


def validate(std: pl.DataFrame, rules: Rules) -> pl.DataFrame:
    """`std` with policies applied and `_errors` set on every row that must be rejected."""
    fields = [f for f in CANONICAL_FIELDS if f in std.columns]
    std = _flag_picklist_values(_flag_too_long(std, rules), rules)

    blank: list[pl.Expr] = []
    reasons: list[pl.Expr] = [_test_lead(std)]
    for f in fields:
        code_col = f"{f}__code"
        if code_col not in std.columns:
            continue
        codes = std[code_col].drop_nulls().unique().to_list()
        actions = {c: rules.action(f, c) for c in codes}
        if f == "email" and _email_optional(rules):
            # An invalid email on a lead somebody can phone: blanked, the lead kept.
            soft = [c for c, a in actions.items() if a == "reject"]
            if soft:
                bad = pl.col(code_col).is_in(soft) & _phoneable(std)
                blank.append(pl.when(bad).then(None).otherwise(pl.col(f)).alias(f))
                reasons.append(
                    pl.when(pl.col(code_col).is_in(soft) & ~_phoneable(std)).then(
                        pl.lit(f"{f}:") + pl.col(code_col)
                    )
                )
                actions = {c: a for c, a in actions.items() if c not in soft}
        to_blank = [c for c, a in actions.items() if a == "blank"]
        to_reject = [c for c, a in actions.items() if a == "reject"]
        if to_blank:
            blank.append(
                pl.when(pl.col(code_col).is_in(to_blank)).then(None).otherwise(pl.col(f)).alias(f)
            )
        if to_reject:
            reasons.append(
                pl.when(pl.col(code_col).is_in(to_reject)).then(pl.lit(f"{f}:") + pl.col(code_col))
            )
    if blank:
        std = std.with_columns(blank)

    for f in rules.required:
        present = pl.col(f).is_not_null() if f in std.columns else pl.lit(False)
        reasons.append(pl.when(~present).then(pl.lit(f"{f}:required_missing")))
    if "email" not in rules.required and rules.contact_required:
        # An email that is present but invalid already rejects the row and says why.
        no_email = pl.col("email").is_null() if "email" in std.columns else pl.lit(True)
        reasons.append(pl.when(no_email & ~_has_contact(std)).then(pl.lit("email:no_contact")))

    if not reasons:
        return std.with_columns(pl.lit(None, dtype=pl.String).alias(ERRORS))
    joined = pl.concat_str(reasons, separator="; ", ignore_nulls=True)
    return std.with_columns(pl.when(joined == "").then(None).otherwise(joined).alias(ERRORS))


def _email_optional(rules: Rules) -> bool:
    """The target does not require email and the mapping asks to blank a bad one."""
    return "email" not in rules.required and rules.policies.get("email") == "blank"


def _phoneable(std: pl.DataFrame) -> pl.Expr:
    return _usable(std, "phone") | _usable(std, "mobile_phone")


# Ad platforms' test leads. Meta fills every field of a form's test lead with
# `<test lead: dummy data for FIELD>` (the name may be split or re-cased by then, so the
# marker is looked for anywhere in a value), and gives it a test address.
TEST_LEAD_MARKER = r"(?i)test lead: dummy data"
TEST_LEAD_EMAILS = ("test@meta.com", "test@fb.com", "test@facebook.com")


def _test_lead(std: pl.DataFrame) -> pl.Expr:
    """`field:test_lead` on an ad platform's test lead (the first field that shows it)."""
    hits: list[pl.Expr] = []
    if "email" in std.columns:
        hits.append(
            pl.when(pl.col("email").is_in(TEST_LEAD_EMAILS)).then(pl.lit("email:test_lead"))
        )
    texts = [
        c
        for c in std.columns
        if (c in CANONICAL_FIELDS or c.startswith("custom:")) and std.schema[c] == pl.String
    ]
    for c in texts:
        name = c.removeprefix("custom:")
        hits.append(
            pl.when(pl.col(c).str.contains(TEST_LEAD_MARKER)).then(pl.lit(f"{name}:test_lead"))
        )
    return pl.coalesce(hits) if hits else pl.lit(None, dtype=pl.String)


def _flag_picklist_values(std: pl.DataFrame, rules: Rules) -> pl.DataFrame:
    """`picklist_value` on a value outside the target field's picklist (when the field
    has no other code)."""
    exprs = []
    for f, picklist in rules.picklists.items():
        if f not in std.columns:
            continue
        code_col = f"{f}__code"
        current = pl.col(code_col) if code_col in std.columns else pl.lit(None, dtype=pl.String)
        outside = pl.col(f).is_not_null() & ~pl.col(f).is_in(list(picklist)) & current.is_null()
        exprs.append(
            pl.when(outside).then(pl.lit("picklist_value")).otherwise(current).alias(code_col)
        )
    return std.with_columns(exprs) if exprs else std


def _flag_too_long(std: pl.DataFrame, rules: Rules) -> pl.DataFrame:
    exprs = []
    for f, limit in rules.max_length.items():
        if f not in std.columns:
            continue
        code_col = f"{f}__code"
        current = pl.col(code_col) if code_col in std.columns else pl.lit(None, dtype=pl.String)
        exprs.append(
            pl.when(pl.col(f).str.len_chars() > limit)
            .then(pl.lit("too_long"))
            .otherwise(current)
            .alias(code_col)
        )
    return std.with_columns(exprs) if exprs else std


def _usable(std: pl.DataFrame, f: str) -> pl.Expr:
    if f not in std.columns:
        return pl.lit(False)
    ok = pl.col(f).is_not_null()
    if f"{f}__code" in std.columns:
        ok = ok & pl.col(f"{f}__code").is_null()
    return ok


def _has_contact(std: pl.DataFrame) -> pl.Expr:
    """A valid email, or a valid phone or mobile phone: somebody can follow up."""
    return _usable(std, "email") | _usable(std, "phone") | _usable(std, "mobile_phone")
