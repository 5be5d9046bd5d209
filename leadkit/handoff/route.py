"""Routing: one owner per lead, by the ladder the rules file lists (SPEC "Sales handoff").

The first step that yields an owner decides, and `_route` says which:

- `existing_owner`: the matched CRM record's owner keeps the lead (the no-pounce rule);
- `account_owner`: the owner of the account the lead belongs to (optionally only for the
  account types named, e.g. customers);
- `territories`: a CSV of `country`, `state` (blank: any), `postal_prefix` (optional) and
  `owner`; the most specific row that holds wins (`territory US/CA`);
- `round_robin`: an even rotation over a pool (weights and per-run caps optional); its
  position persists in a small state file under a lock, and the same input run again gets
  the same owners without advancing it;
- `default`: the queue for every other lead.

Colleagues at one account that the ladder sends to a territory or the rotation get one
owner (a buying group is worked by one rep). Steps work on whole columns; only the
rotation walks the rows that reach it, in file order.
"""

from __future__ import annotations

import fcntl
import json
import os
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import polars as pl

from leadkit.errors import InputError
from leadkit.handoff.rules import LoadedRules, RoundRobinStep, RouteStep
from leadkit.read import header_key, read_table

OWNER = "_owner"
ROUTE = "_route"
# What the ladder reads from the leads, when present.
EXISTING_OWNER = "_existing_owner"
ACCOUNT_ID = "_account_id"
ACCOUNT_OWNER = "_account_owner"
ACCOUNT_TYPE = "_account_type"


@dataclass(frozen=True)
class Territories:
    """Territory rows, most specific first: (country, state, postal prefix, owner)."""

    rows: pl.DataFrame  # country, state, postal_prefix (String, nullable), owner, _rank

    @classmethod
    def read(cls, path: Path) -> Territories:
        table = read_table(path, expected_headers=["country", "owner"])
        named = {header_key(c): c for c in table.frame.columns if not c.startswith("_")}
        missing = [c for c in ("country", "owner") if c not in named]
        if missing:
            raise InputError(
                f"{path.name}: a territory file needs the column(s) {', '.join(missing)}"
            )

        def col(name: str) -> pl.Expr:
            if name not in named:
                return pl.lit(None, dtype=pl.String).alias(name)
            text = pl.col(named[name]).str.strip_chars()
            return pl.when(text != "").then(text).alias(name)

        rows = table.frame.select(
            col("country").str.to_uppercase(),
            col("state").str.to_uppercase(),
            col("postal_prefix").str.to_uppercase().str.replace_all(" ", ""),
            col("owner"),
        ).filter(pl.col("country").is_not_null() & pl.col("owner").is_not_null())
        # Specificity: a postal prefix (the longer the better) beats a state beats the country.
        rank = pl.col("postal_prefix").str.len_chars().fill_null(0) * 10 + pl.col(
            "state"
        ).is_not_null().cast(pl.Int64)
        return cls(rows.with_columns(rank.alias("_rank")).sort("_rank", descending=True))

    def owners(self, leads: pl.DataFrame) -> pl.DataFrame:
        """`owner` and `territory` (e.g. `US/CA`) for each row of `leads`, null when none holds.

        Country and country/state rows are joins; the few postal-prefix rows are tested one
        by one, most specific last so it wins."""
        cols = leads.columns

        def text(name: str) -> pl.Expr:
            return (
                pl.col(name).str.to_uppercase() if name in cols else pl.lit(None, dtype=pl.String)
            )

        keys = leads.select(
            text("country").alias("country"),
            text("state").alias("state"),
            text("postal_code").str.replace_all(" ", "").alias("postal"),
        )
        plain = self.rows.filter(pl.col("postal_prefix").is_null())
        by_state = plain.filter(pl.col("state").is_not_null()).select(
            "country", "state", pl.col("owner").alias("_so")
        )
        by_country = plain.filter(pl.col("state").is_null()).select(
            "country", pl.col("owner").alias("_co")
        )
        found = keys.join(by_state, on=["country", "state"], how="left", maintain_order="left")
        found = found.join(by_country, on="country", how="left", maintain_order="left")
        owner: pl.Expr = pl.coalesce("_so", "_co")
        where: pl.Expr = (
            pl.when(pl.col("_so").is_not_null())
            .then(pl.col("country") + pl.lit("/") + pl.col("state"))
            .when(pl.col("_co").is_not_null())
            .then(pl.col("country"))
        )
        prefixed = self.rows.filter(pl.col("postal_prefix").is_not_null())
        for country, state, prefix, who, _ in reversed(prefixed.rows()):
            holds = (pl.col("country") == country) & pl.col("postal").str.starts_with(prefix)
            if state is not None:
                holds = holds & (pl.col("state") == state)
            label = "/".join(p for p in (country, state, prefix) if p)
            owner = pl.when(holds).then(pl.lit(who)).otherwise(owner)
            where = pl.when(holds).then(pl.lit(label)).otherwise(where)
        return found.select(owner.alias("owner"), where.alias("territory"))


class Rotation:
    """A round robin whose position persists between runs in a JSON state file.

    The state remembers, per input (by content hash), where its turn started and how many
    leads it took, so running the same file again gives the same owners and leaves the
    position where it was. Weights repeat an owner in the cycle; caps stop giving an owner
    leads once it has that many in this run.
    """

    def __init__(self, step: RoundRobinStep, state: Path) -> None:
        self.step = step
        self.state = state
        self.cycle = [o for o in step.pool for _ in range(step.weights.get(o, 1))]

    def assign(self, units: int, input_sha256: str) -> list[str | None]:
        """An owner for each of `units` turns, in order (None once every owner is capped)."""
        if not self.cycle or units == 0:
            return [None] * units
        with _locked(self.state) as data:
            seen = data.setdefault("inputs", {})
            start = seen.get(input_sha256, {}).get("start", data.get("position", 0))
            owners, used = self._turns(units, start)
            if input_sha256 not in seen:
                seen[input_sha256] = {"start": start, "turns": used}
                data["position"] = (start + used) % len(self.cycle)
        return owners

    def _turns(self, units: int, start: int) -> tuple[list[str | None], int]:
        caps = self.step.caps
        given: dict[str, int] = {}
        owners: list[str | None] = []
        turn = start
        used = 0
        for _ in range(units):
            for _ in range(len(self.cycle)):
                who = self.cycle[turn % len(self.cycle)]
                turn += 1
                used += 1
                if who not in caps or given.get(who, 0) < caps[who]:
                    given[who] = given.get(who, 0) + 1
                    owners.append(who)
                    break
            else:
                owners.append(None)
        return owners, used


@contextmanager
def _locked(path: Path) -> Iterator[dict[str, Any]]:
    """The state file's data, read and written under an exclusive lock."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path.with_name(path.name + ".lock"), "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            data: dict[str, Any] = json.loads(path.read_text()) if path.exists() else {}
        except (OSError, ValueError):
            data = {}
        yield data
        tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
        tmp.write_text(json.dumps(data, indent=1, sort_keys=True))
        os.replace(tmp, path)


class Router:
    """The routing ladder of a rules file, made ready to run."""

    def __init__(self, rules: LoadedRules) -> None:
        self.steps: Sequence[RouteStep] = rules.spec.routing
        self.territories = {
            i: Territories.read(rules.resolve(s.territories))
            for i, s in enumerate(self.steps)
            if s.territories
        }
        self.rotation = next(
            (Rotation(s.round_robin, rules.rotation_state) for s in self.steps if s.round_robin),
            None,
        )

    def route(self, leads: pl.DataFrame, input_sha256: str) -> pl.DataFrame:
        """`_owner` and `_route` for each row of `leads` (the rows that need an owner)."""
        owner = pl.Series(OWNER, [None] * leads.height, dtype=pl.String)
        route = pl.Series(ROUTE, [None] * leads.height, dtype=pl.String)
        for i, step in enumerate(self.steps):
            open_ = owner.is_null()
            if not open_.any():
                break
            who, why = self._step(i, step, leads, open_, input_sha256)
            take = open_ & who.is_not_null()
            owner = pl.select(pl.when(take).then(who).otherwise(owner)).to_series().rename(OWNER)
            route = pl.select(pl.when(take).then(why).otherwise(route)).to_series().rename(ROUTE)
        return pl.DataFrame([owner, route])

    def _step(
        self, i: int, step: RouteStep, leads: pl.DataFrame, open_: pl.Series, sha: str
    ) -> tuple[pl.Series, pl.Series]:
        n = leads.height
        none = pl.Series([None] * n, dtype=pl.String)
        kind = step.kind
        if kind == "existing_owner":
            who = leads[EXISTING_OWNER] if EXISTING_OWNER in leads.columns else none
            return who, pl.Series(["existing_owner"] * n, dtype=pl.String)
        if kind == "account_owner":
            who = leads[ACCOUNT_OWNER] if ACCOUNT_OWNER in leads.columns else none
            types = step.account_owner.types if step.account_owner else None
            if types and ACCOUNT_TYPE in leads.columns:
                allowed = leads[ACCOUNT_TYPE].str.to_lowercase().is_in([t.lower() for t in types])
                who = pl.select(pl.when(allowed).then(who)).to_series()
            return who, pl.Series(["account_owner"] * n, dtype=pl.String)
        if kind == "territories":
            found = self.territories[i].owners(leads)
            why = pl.select(pl.lit("territory ") + found["territory"]).to_series()
            return found["owner"], why
        if kind == "round_robin":
            return self._rotate(leads, open_, sha), pl.Series(["round_robin"] * n, dtype=pl.String)
        return pl.Series([step.default] * n, dtype=pl.String), pl.Series(
            ["default"] * n, dtype=pl.String
        )

    def _rotate(self, leads: pl.DataFrame, open_: pl.Series, sha: str) -> pl.Series:
        """Owners from the rotation for the open rows, one turn per account (colleagues
        share a rep) or per row without an account, in file order."""
        assert self.rotation is not None
        unit = (
            leads[ACCOUNT_ID]
            if ACCOUNT_ID in leads.columns
            else pl.Series([None] * leads.height, dtype=pl.String)
        )
        frame = pl.DataFrame({"_i": range(leads.height), "_unit": unit, "_open": open_})
        frame = frame.with_columns(
            pl.coalesce(
                pl.lit("a:") + pl.col("_unit"), pl.lit("r:") + pl.col("_i").cast(pl.String)
            ).alias("_unit")
        )
        units = frame.filter("_open").unique("_unit", keep="first", maintain_order=True)["_unit"]
        owners = self.rotation.assign(units.len(), sha)
        turn = pl.DataFrame({"_unit": units, "_who": pl.Series(owners, dtype=pl.String)})
        return frame.join(turn, on="_unit", how="left", maintain_order="left")["_who"]
