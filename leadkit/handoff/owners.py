"""Owners in the form each CRM's import takes (SPEC "Sales handoff", issue 17).

Salesforce's `OwnerId` takes a user or queue id; HubSpot's "Contact owner" and Marketo's
"Lead Owner Email Address" take the owner's email. A rules file, a territory file or an
account export may name an owner in another form (a report export gives "Jordan Miles"),
so an optional owners file (`owners: owners.csv`, columns `id`, `email`, `name`) says who is
who: any of the three resolves to the form the target wants. Without an owners file owners
are written as given.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import polars as pl

from leadkit.errors import InputError
from leadkit.read import header_key, read_table

# The form of an owner each target's owner column takes.
FORM = {"salesforce": "id", "hubspot": "email", "marketo": "email", "generic": "id"}


@dataclass(frozen=True)
class Owners:
    """Every name, email and id of the owners file, folded, to the owner's record."""

    by_key: dict[str, dict[str, str | None]]

    @classmethod
    def read(cls, path: Path) -> Owners:
        table = read_table(path, expected_headers=["id"])
        named = {header_key(c): c for c in table.frame.columns if not c.startswith("_")}
        if "id" not in named:
            raise InputError(f"{path.name}: an owners file needs an id column")
        cols = {k: named.get(k) for k in ("id", "email", "name")}
        by_key: dict[str, dict[str, str | None]] = {}
        for row in table.frame.select(
            [
                (pl.col(c).str.strip_chars() if c else pl.lit(None, dtype=pl.String)).alias(k)
                for k, c in cols.items()
            ]
        ).iter_rows(named=True):
            if not row["id"]:
                continue
            for value in row.values():
                if value:
                    by_key[_fold(value)] = row
        return cls(by_key)

    def resolves(self, owner: str) -> bool:
        return _fold(owner) in self.by_key

    def in_form(self, owners: pl.Series, target: str) -> pl.Series:
        """Each owner in the target's form (`FORM`); one the file does not know is kept."""
        form = FORM.get(target, "id")
        distinct = owners.drop_nulls().unique()
        table = pl.DataFrame(
            {
                "o": distinct,
                "t": [(self.by_key.get(_fold(o)) or {}).get(form) or o for o in distinct.to_list()],
            },
            schema={"o": pl.String, "t": pl.String},
        )
        frame = owners.rename("o").to_frame()
        return frame.join(table, on="o", how="left", maintain_order="left")["t"].rename(owners.name)


def _fold(text: str) -> str:
    return " ".join(text.casefold().split())
