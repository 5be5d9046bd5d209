"""The handoff stage: what a run does with a rules file, account exports or a campaign.

The orchestrator calls it at two points:

1. `suppress` after validation: every valid row on a never-contact list gets
   `_suppressed` (its reason). Matching then skips those rows for the CRM, and
   `spread` gives a suppressed row's repeats the same reason (SPEC: "a suppressed row, and
   every repeat of it").
2. `enrich` after matching, on the rows that reach sales (import, updates, review) and
   their repeats: the account (`_account_*`), the owner (`_owner`, `_route`), the job
   level and function, the status (`_status`, `_qualify`, `_score`), the campaign status
   and note, and the SLA (`_captured_at`, `_due_at`). Repeats carry their kept row's
   owner.

`views` then gives the writer the columns to add to each output, and `facts` the
report's `handoff` block. Everything here works on whole columns; only the rotation walks
the rows that reach it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import polars as pl

from leadkit.existing import CURRENT, OPTED_OUT, STATUS
from leadkit.existing import ID as CRM_ID
from leadkit.handoff.accounts import Accounts, match_accounts
from leadkit.handoff.campaign import (
    CAMPAIGN_NOTE,
    campaign_members,
    campaign_spec,
    campaign_status,
    engagement_note,
    member_files,
    notes,
    status_slug,
)
from leadkit.handoff.owners import Owners
from leadkit.handoff.qualify import job_columns, never_backwards, qualify
from leadkit.handoff.route import OWNER, ROUTE, Router
from leadkit.handoff.rules import ERASURE, LoadedRules
from leadkit.handoff.sla import capture_hours, captured_at, due_at
from leadkit.handoff.suppress import SUPPRESSED, SuppressionList, load_lists, suppressed
from leadkit.mapping import CANONICAL_FIELDS, CampaignSpec, LoadedMapping
from leadkit.remap import CUSTOM_PREFIX
from leadkit.targets import Target
from leadkit.validate import ERRORS

# The outcome of a suppressed row, and the name of its output file (X.suppressed.csv).
SUPPRESSED_OUTCOME = "suppressed"
# Rows that reach sales, and so get an account, an owner and a status.
SALES_OUTCOMES = ("import", "updates", "review")
ACCOUNT_OUT = ("_account_id", "_account_name", "_account_match", "_account_contacts")


@dataclass(frozen=True)
class Handoff:
    """The handoff of one run, made ready once: lists read, accounts loaded, router built."""

    rules: LoadedRules | None
    lists: tuple[SuppressionList, ...]
    accounts: Accounts | None
    router: Router | None
    campaign: CampaignSpec | None
    owners: Owners | None = None  # who is who: owners written in the target's form
    target: str = "generic"

    @classmethod
    def prepare(
        cls,
        mapping: LoadedMapping,
        *,
        rules: LoadedRules | None = None,
        accounts: Sequence[Path] = (),
        crm: pl.DataFrame | None = None,
    ) -> Handoff | None:
        """The stage for a mapping, rules file and account exports; None when there is
        nothing to do (no rules, no accounts, no campaign), so outputs stay as they were."""
        campaign = campaign_spec(mapping.spec)
        if rules is None and not accounts and campaign is None:
            return None
        return cls(
            rules=rules,
            lists=tuple(load_lists(rules)) if rules else (),
            accounts=Accounts.read(accounts).with_contacts(crm) if accounts else None,
            router=Router(rules) if rules and rules.spec.routing else None,
            campaign=campaign,
            owners=Owners.read(rules.resolve(rules.spec.owners))
            if rules and rules.spec.owners
            else None,
            target=mapping.spec.target,
        )

    def for_mapping(self, mapping: LoadedMapping) -> Handoff:
        """The same lists, accounts and router for another mapping: its own campaign and its
        own target (owners are written in the form that target takes)."""
        return replace(self, campaign=campaign_spec(mapping.spec), target=mapping.spec.target)

    @property
    def suppresses(self) -> bool:
        return bool(self.lists)

    # --- 1. after validation -------------------------------------------------------------

    def suppress(self, leads: pl.DataFrame) -> pl.DataFrame:
        """`_suppressed` on the valid rows a list holds (a reject stays a reject)."""
        if not self.suppresses:
            return leads
        reason = suppressed(leads, self.lists)
        valid = leads[ERRORS].is_null()
        return leads.with_columns(
            pl.select(pl.when(valid).then(reason)).to_series().alias(SUPPRESSED)
        )

    @staticmethod
    def spread(leads: pl.DataFrame) -> pl.DataFrame:
        """A suppressed row's repeats (`_duplicate_of` names the kept row's `_row`) are
        suppressed with its reason (SPEC: "a suppressed row, and every repeat of it"); a
        repeat on a list itself keeps its own reason when it is an erasure (what may be
        written at all) or when its kept row is not suppressed."""
        if SUPPRESSED not in leads.columns:
            return leads
        kept = leads.select(
            pl.col("_row").alias("_duplicate_of"), pl.col(SUPPRESSED).alias("_kept_reason")
        ).filter(pl.col("_kept_reason").is_not_null())
        own = pl.col(SUPPRESSED)
        return (
            leads.join(kept, on="_duplicate_of", how="left", maintain_order="left")
            .with_columns(
                pl.when(pl.col(ERRORS).is_not_null())
                .then(None)
                .when(own == ERASURE)
                .then(own)
                .otherwise(pl.coalesce("_kept_reason", own))
                .alias(SUPPRESSED)
            )
            .drop("_kept_reason")
        )

    # --- 2. after matching ---------------------------------------------------------------

    def enrich(
        self, leads: pl.DataFrame, input_sha256: str, now: datetime | None = None
    ) -> pl.DataFrame:
        """Accounts, owners, statuses, campaign and SLA columns for the rows that reach
        sales, and the kept row's owner for their repeats."""
        now = now or datetime.now(UTC)
        sales = leads["_outcome"].is_in(SALES_OUTCOMES)
        if self.accounts is not None:
            leads = leads.hstack(_only(match_accounts(leads, self.accounts), sales))
        if "_match_owner" in leads.columns:
            leads = leads.with_columns(
                pl.when(pl.col("_outcome").is_in(["updates", "review"]))
                .then(pl.col("_match_owner"))
                .alias("_existing_owner")
            )
        if self.router is not None:
            routed = self.router.route(leads.filter(sales), input_sha256)
            if self.owners is not None:
                routed = routed.with_columns(self.owners.in_form(routed[OWNER], self.target))
            leads = _put_back(leads, sales, routed).pipe(_repeats_take_kept, [OWNER, ROUTE])
        if "job_title" in leads.columns:
            leads = leads.hstack(_only(job_columns(leads), sales))
        if self.campaign is not None:
            leads = leads.with_columns(
                campaign_status(leads, self.campaign), notes(leads, self.campaign)
            )
        spec = self.rules.spec if self.rules else None
        if spec is not None and spec.qualify:
            leads = leads.hstack(_only(qualify(leads, spec), sales))
        if "created_at" in leads.columns:  # the lead-velocity figure: capture to import
            zone = spec.sla.timezone if spec is not None and spec.sla is not None else "UTC"
            hours = capture_hours(leads["created_at"], now, zone)
            leads = leads.with_columns(
                pl.when(sales & (hours >= 0)).then(hours).alias("_capture_hours")
            )
        if spec is not None and spec.sla is not None and "_status" in leads.columns:
            captured = captured_at(leads, now)
            due = due_at(captured, leads["_status"], spec.sla)
            leads = leads.hstack(_only(pl.DataFrame([captured, due]), sales))
        return leads

    def opted_out(self, leads: pl.DataFrame, crm: pl.DataFrame | None) -> pl.DataFrame:
        """`crm_opted_out: true` in the rules: a row matched to a CRM record that opted out
        (and its repeats) is suppressed with that entry's reason, not updated."""
        entry = (
            next((e for e in self.rules.spec.suppress if e.crm_opted_out), None)
            if self.rules
            else None
        )
        if (
            entry is None
            or crm is None
            or OPTED_OUT not in crm.columns
            or "_match_id" not in leads.columns
        ):
            return leads
        out_ids = crm.filter(pl.col(OPTED_OUT).fill_null(False))[CRM_ID].implode()
        hit = pl.col("_outcome").is_in(["updates", "review"]) & pl.col("_match_id").is_in(out_ids)
        if SUPPRESSED not in leads.columns:
            leads = leads.with_columns(pl.lit(None, dtype=pl.String).alias(SUPPRESSED))
        leads = leads.with_columns(
            pl.when(hit).then(pl.lit(entry.reason)).otherwise(pl.col(SUPPRESSED)).alias(SUPPRESSED)
        )
        leads = self.spread(leads)
        return leads.with_columns(
            pl.when(pl.col(SUPPRESSED).is_not_null() & (pl.col("_outcome") != "rejects"))
            .then(pl.lit(SUPPRESSED_OUTCOME))
            .otherwise(pl.col("_outcome"))
            .alias("_outcome")
        )

    def safe_updates(
        self, leads: pl.DataFrame, crm: pl.DataFrame | None, day: date
    ) -> pl.DataFrame:
        """The update policy against the matched CRM record's current values: on update rows
        a `never` field is blank, a `fill_empty` field is written only where the CRM's is
        empty; an opted-out record is never opted back in; the status never moves
        backwards; the engagement note is appended to the record's description, dated.
        `_changed` lists the fields an update will change."""
        if self.rules is None or crm is None or "_match_id" not in leads.columns:
            return leads
        spec = self.rules.spec
        current = _current(leads, crm)
        updates = pl.col("_outcome") == "updates"
        written = [c for c in leads.columns if _writable(c)]
        leads = _with_note(leads, current, day)
        exprs, changed = [], []
        for c in written:
            now = current.get(c)
            policy = spec.update.policy(c.removeprefix(CUSTOM_PREFIX))
            if c == "notes" and policy != "never":
                policy = "overwrite"  # already the CRM's text with the new note appended
            value = _policy_value(pl.col(c), now, policy)
            if c == "opt_in" and OPTED_OUT in current:
                value = pl.when(current[OPTED_OUT].fill_null(False)).then(None).otherwise(value)
            exprs.append(pl.when(updates).then(value).otherwise(pl.col(c)).alias(c))
            differs = (
                pl.lit(True)
                if now is None
                else pl.lit(now).is_null()
                | (value.str.to_lowercase() != pl.lit(now).str.to_lowercase())
            )
            changed.append(
                pl.when(updates & value.is_not_null() & differs).then(
                    pl.lit(c.removeprefix(CUSTOM_PREFIX))
                )
            )
        if "_status" in leads.columns and STATUS in current:
            exprs.append(
                pl.when(updates)
                .then(never_backwards(leads["_status"], current[STATUS], spec.statuses))
                .otherwise(pl.col("_status"))
                .alias("_status")
            )
        leads = leads.with_columns(exprs) if exprs else leads
        return leads.with_columns(
            pl.when(updates)
            .then(pl.concat_str(changed, separator="; ", ignore_nulls=True))
            .alias("_changed")
            if changed
            else pl.lit(None, dtype=pl.String).alias("_changed")
        )

    # --- the report ----------------------------------------------------------------------

    @staticmethod
    def facts(leads: pl.DataFrame) -> dict[str, Any]:
        """The report's `handoff` block: counts only, never a row's values."""
        doc: dict[str, Any] = {}
        if SUPPRESSED in leads.columns:
            doc["suppressed"] = _tally(
                leads.filter(pl.col("_outcome") == SUPPRESSED_OUTCOME)[SUPPRESSED]
            )
        sales = leads.filter(pl.col("_outcome").is_in(SALES_OUTCOMES))
        if "_account_match" in sales.columns:
            doc["accounts"] = _tally(
                sales["_account_match"].str.replace(r"^company 0\.\d+$", "company fuzzy")
            )
        if OWNER in sales.columns:
            doc["owners"] = _tally(sales[OWNER].fill_null("(none)"))
            doc["routes"] = _tally(sales[ROUTE].str.replace(r" .*$", "").fill_null("(none)"))
        if "_status" in sales.columns:
            doc["statuses"] = _tally(sales["_status"].fill_null("(none)"))
        if "_capture_hours" in sales.columns:
            hours = sales["_capture_hours"].drop_nulls()
            if hours.len():
                median = hours.quantile(0.5, interpolation="midpoint")
                doc["capture_hours"] = {
                    "median": round(median, 1) if median is not None else None,
                    "rows": hours.len(),
                }
        return doc


def _current(leads: pl.DataFrame, crm: pl.DataFrame) -> dict[str, pl.Series]:
    """The matched CRM record's current value of each field, aligned with `leads`' rows:
    standardized for the fields matching compares, as the export has it for the rest."""
    names = {c: c for c in crm.columns if c in CANONICAL_FIELDS}
    names |= {c.removeprefix(CURRENT): c for c in crm.columns if c.startswith(CURRENT)}
    names |= {c: c for c in (OPTED_OUT, STATUS) if c in crm.columns}
    table = crm.select(
        pl.col(CRM_ID).alias("_match_id"), *[pl.col(v).alias(k) for k, v in names.items()]
    )
    table = table.unique("_match_id", keep="first")
    aligned = leads.select("_match_id").join(
        table, on="_match_id", how="left", maintain_order="left"
    )
    return {k: aligned[k] for k in names}


def _writable(column: str) -> bool:
    """Columns the updates file writes from the lead: canonical fields and custom columns."""
    return (column in CANONICAL_FIELDS and column != "full_name") or column.startswith(
        CUSTOM_PREFIX
    )


def _policy_value(value: pl.Expr, now: pl.Series | None, policy: str) -> pl.Expr:
    if policy == "never":
        return pl.lit(None, dtype=pl.String)
    if policy == "fill_empty" and now is not None:
        return pl.when(pl.lit(now).is_null()).then(value)
    return value


def _with_note(leads: pl.DataFrame, current: dict[str, pl.Series], day: date) -> pl.DataFrame:
    """Notes are appended, never overwritten: an update's note (the partner's notes and the
    campaign's engagement note) goes after the CRM's description with a date; a new lead
    gets the campaign's note, dated, after the partner's own notes."""
    campaign = leads[CAMPAIGN_NOTE] if CAMPAIGN_NOTE in leads.columns else None
    own = leads["notes"] if "notes" in leads.columns else None
    if campaign is None and own is None:
        return leads
    parts = [s for s in (own, campaign) if s is not None]
    note = pl.select(pl.concat_str(parts, separator="\n", ignore_nulls=True)).to_series()
    note = pl.select(pl.when(note != "").then(note)).to_series()
    updated = engagement_note(note, current.get("notes"), day)
    if campaign is not None:
        dated = engagement_note(campaign, None, day)
        new = pl.select(
            pl.concat_str(
                [own, dated] if own is not None else [dated], separator="\n", ignore_nulls=True
            )
        ).to_series()
        new = pl.select(pl.when(new != "").then(new)).to_series()
        return leads.with_columns(
            pl.when(pl.col("_outcome") == "updates").then(updated).otherwise(new).alias("notes")
        )
    return leads.with_columns(
        pl.when(pl.col("_outcome") == "updates")
        .then(updated)
        .otherwise(pl.col("notes"))
        .alias("notes")
    )


def _tally(values: pl.Series) -> dict[str, int]:
    counted = values.drop_nulls().value_counts(sort=True, name="n")
    return {str(k): int(n) for k, n in counted.iter_rows()}


def _only(frame: pl.DataFrame, rows: pl.Series) -> pl.DataFrame:
    """`frame`'s values on `rows`, null elsewhere."""
    return frame.select(pl.when(rows).then(pl.col(c)).alias(c) for c in frame.columns)


def _put_back(leads: pl.DataFrame, rows: pl.Series, part: pl.DataFrame) -> pl.DataFrame:
    """Columns computed for the `rows` subset, put back in place (null elsewhere)."""
    index = leads.select(pl.arg_where(rows.alias("r"))).to_series()
    full = [
        pl.Series(c, [None] * leads.height, dtype=part[c].dtype).scatter(index, part[c])
        for c in part.columns
    ]
    return leads.hstack(full)


def _repeats_take_kept(leads: pl.DataFrame, columns: Sequence[str]) -> pl.DataFrame:
    """A repeat (`_duplicate_of` = the kept row's `_row`) gets its kept row's values."""
    kept = leads.select(
        pl.col("_row").alias("_duplicate_of"), *[pl.col(c).alias(f"_k:{c}") for c in columns]
    )
    out = leads.join(kept, on="_duplicate_of", how="left", maintain_order="left")
    repeat = pl.col("_outcome") == "duplicates"
    return out.with_columns(
        pl.when(repeat).then(pl.col(f"_k:{c}")).otherwise(pl.col(c)).alias(c) for c in columns
    ).drop([f"_k:{c}" for c in columns])


# --- the outputs -------------------------------------------------------------------------

# Columns the handoff adds after the target's own, in this order, when the run has them.
INFO_COLUMNS = (
    ROUTE,
    *ACCOUNT_OUT,
    "_job_level",
    "_job_function",
    "_qualify",
    "_captured_at",
    "_due_at",
)


def output_columns(leads: pl.DataFrame, target: Target) -> list[pl.Expr]:
    """The owner, status and score in the target's own columns, then the handoff's
    explanation columns, for the rows of import, updates, review and duplicates."""
    cols = leads.columns
    named = [
        (OWNER, target.owner_column or "owner"),
        ("_status", target.status_column or "lead_status"),
        ("_score", target.score_column),
    ]
    exprs = [pl.col(src).cast(pl.String).alias(dst) for src, dst in named if dst and src in cols]
    exprs += [pl.col(c).cast(pl.String) for c in INFO_COLUMNS if c in cols]
    return exprs


def suppressed_frame(wide: pl.DataFrame, columns: Sequence[str]) -> pl.DataFrame:
    """`X.suppressed.csv`: `_row`, the target's columns and `_suppressed`. An erased
    person's row keeps `_row` and `_suppressed` only: none of their data is written."""
    rows = wide.filter(pl.col("_outcome") == SUPPRESSED_OUTCOME)
    erased = pl.col(SUPPRESSED) == ERASURE
    return rows.select(
        "_row",
        *[pl.when(~erased).then(pl.col(c)).alias(c) for c in columns],
        SUPPRESSED,
    )


def campaign_frames(
    leads: pl.DataFrame, handoff: Handoff, target: Target
) -> dict[str, pl.DataFrame]:
    """`campaign_members` and one `campaign_members.<status>` per status file the target's
    import needs; empty when the mapping names no campaign."""
    if handoff.campaign is None:
        return {}
    rows = leads.filter(pl.col("_outcome").is_in(["import", "updates"]))
    crm_id = "_match_id" if "_match_id" in rows.columns else None
    if crm_id is not None:
        rows = rows.with_columns(
            pl.when(pl.col("_outcome") == "updates").then(pl.col(crm_id)).alias(crm_id)
        )
    members = campaign_members(rows, target.name, handoff.campaign, crm_id)
    frames = {"campaign_members": members}
    for status, part in member_files(members, target.name, handoff.campaign).items():
        frames[f"campaign_members.{status_slug(status)}"] = part
    return frames
