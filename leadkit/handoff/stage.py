"""The handoff stage: what a run does with a rules file, account exports or a campaign.

The orchestrator calls it at two points:

1. `suppress` after validation: every valid row on a never-contact list gets
   `_suppressed` (its reason). Matching then skips those rows for the CRM, and
   `spread` gives a suppressed row's repeats (and the row its repeats were found on) the
   same reason, so one person is suppressed wherever they appear in the file.
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
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import polars as pl

from leadkit.handoff.accounts import Accounts, match_accounts
from leadkit.handoff.campaign import (
    campaign_members,
    campaign_spec,
    campaign_status,
    member_files,
    notes,
    status_slug,
)
from leadkit.handoff.qualify import job_columns, qualify
from leadkit.handoff.route import OWNER, ROUTE, Router
from leadkit.handoff.rules import ERASURE, LoadedRules
from leadkit.handoff.sla import captured_at, due_at
from leadkit.handoff.suppress import SUPPRESSED, SuppressionList, load_lists, suppressed
from leadkit.mapping import CampaignSpec, LoadedMapping
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
        )

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
        """One person, one answer: a kept row and its repeats (`_duplicate_of` names the
        kept row's `_row`) all take the cluster's reason, erasure first."""
        if SUPPRESSED not in leads.columns:
            return leads
        cluster = pl.coalesce("_duplicate_of", "_row")
        ranked = leads.select(
            cluster.alias("_cluster"),
            pl.col(SUPPRESSED),
            (pl.col(SUPPRESSED) != ERASURE).alias("_later"),
        ).filter(pl.col(SUPPRESSED).is_not_null())
        first = (
            ranked.sort("_later")
            .unique("_cluster", keep="first")
            .select("_cluster", pl.col(SUPPRESSED).alias("_cluster_reason"))
        )
        return (
            leads.with_columns(cluster.alias("_cluster"))
            .join(first, on="_cluster", how="left", maintain_order="left")
            .with_columns(
                pl.when(pl.col(ERRORS).is_null())
                .then(pl.coalesce("_cluster_reason", SUPPRESSED))
                .alias(SUPPRESSED)
            )
            .drop("_cluster", "_cluster_reason")
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
        if spec is not None and spec.sla is not None and "_status" in leads.columns:
            captured = captured_at(leads, now)
            due = due_at(captured, leads["_status"], spec.sla)
            leads = leads.hstack(_only(pl.DataFrame([captured, due]), sales))
        return leads

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
        return doc


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
