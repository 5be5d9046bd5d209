"""Stage 6: the CRM files and the report, written atomically.

Every file goes to a temporary name in the output folder and is renamed into place, so an
interrupted run leaves no half-written file under a final name. Every cell is neutralized
if a spreadsheet would run it as a formula.
"""

from __future__ import annotations

import csv
import io
import json
import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any

import polars as pl

from leadkit.errors import MappingError
from leadkit.frames import col
from leadkit.normalizers.country import country_name, state_name
from leadkit.normalizers.text import formula_like_expr, neutralize, neutralize_expr
from leadkit.remap import CUSTOM_PREFIX
from leadkit.targets import Target

# The five row outputs, in SPEC's order; X.<outcome>.csv each.
OUTPUTS: tuple[str, ...] = ("import", "updates", "review", "duplicates", "rejects")


def output_path(out_dir: Path, stem: str, outcome: str) -> Path:
    return out_dir / f"{stem}.{outcome}.csv"


def report_path(out_dir: Path, stem: str) -> Path:
    return out_dir / f"{stem}.report.json"


def to_target(leads: pl.DataFrame, target: Target) -> pl.DataFrame:
    """The leads' values in the target's column names and forms, in the target's order.

    Only fields the mapping fills (plus the target's required ones) become columns, so an
    import never blanks a CRM field the partner file knew nothing about.
    """
    check_custom_columns_written(leads, target)
    leads = _in_target_forms(leads, target)
    exprs: list[pl.Expr] = []
    for f, spec in target.fields.items():
        if f in leads.columns:
            exprs.append(pl.col(f).alias(spec.column))
        elif f in target.required:
            exprs.append(pl.lit(None, dtype=pl.String).alias(spec.column))
    exprs += [
        col(c).alias(c.removeprefix(CUSTOM_PREFIX))
        for c in leads.columns
        if c.startswith(CUSTOM_PREFIX)
    ]
    return leads.select(exprs)


def check_custom_columns_written(leads: pl.DataFrame, target: Target) -> None:
    """A custom column named like a target column would be a second column of that name:
    a MappingError (the pipeline checks this before the work; this is the writer's guard)."""
    own = {spec.column.strip().casefold(): f for f, spec in target.fields.items()}
    for c in leads.columns:
        name = c.removeprefix(CUSTOM_PREFIX)
        if c.startswith(CUSTOM_PREFIX) and name.strip().casefold() in own:
            raise MappingError(
                [
                    f"custom.{name}: {name!r} is target {target.name}'s own column for "
                    f"'{own[name.strip().casefold()]}' (map it under columns or constants)"
                ]
            )


def _in_target_forms(leads: pl.DataFrame, target: Target) -> pl.DataFrame:
    """Opt-in, country and state as the target writes them (inverse flag, names)."""
    cols = leads.columns
    if "opt_in" in cols and target.opt_in_inverse:
        flip = {"true": "false", "false": "true"}
        leads = leads.with_columns(
            pl.col("opt_in").replace_strict(flip, default=None, return_dtype=pl.String)
        )
    if "state" in cols and "country" in cols and target.state_form == "name":
        pairs = leads.select("country", "state").drop_nulls().unique()
        state_names = pairs.with_columns(
            pl.Series("_name", [state_name(c, s) for c, s in pairs.iter_rows()], dtype=pl.String)
        )
        leads = leads.join(state_names, on=["country", "state"], how="left", maintain_order="left")
        leads = leads.with_columns(pl.coalesce("_name", "state").alias("state")).drop("_name")
    if "country" in cols and target.country_form == "name":
        codes = leads["country"].drop_nulls().unique().to_list()
        names = {c: n for c in codes if (n := country_name(c))}
        leads = leads.with_columns(pl.col("country").replace(names))
    return leads


def write_csv(frame: pl.DataFrame, path: Path, *, bom: bool = False) -> None:
    """Write `frame` with every cell and every column name neutralized, atomically.

    Every CSV leadkit writes goes through here: the five row outputs (import, updates,
    review, duplicates, rejects) and the issues file.
    """
    # Rewriting a column costs a copy of it; most columns hold no formula-like cell at
    # all, and finding that out is one cheap scan of all of them at once. Columns are
    # taken by position: a name is the user's (a source header may be `*` or `^.*$`).
    texts = [i for i, t in enumerate(frame.dtypes) if t == pl.String]
    risky = (
        frame.select(formula_like_expr(pl.nth(i)).any().alias(f"r{i}") for i in texts).row(0)
        if texts
        else ()
    )
    hits = [i for i, hit in zip(texts, risky, strict=True) if hit]
    safe = (
        frame.with_columns(neutralize_expr(pl.nth(i)).alias(frame.columns[i]) for i in hits)
        if hits
        else frame
    )
    header = io.StringIO()
    # "\r\n" so that a name holding a CR is quoted too (as Polars quotes cells); written "\n".
    csv.writer(header, lineterminator="\r\n").writerow(neutralize(c) for c in frame.columns)
    with atomic_file(path, "wb") as fh:
        if bom:
            fh.write("\ufeff".encode())
        fh.write(header.getvalue().removesuffix("\r\n").encode("utf-8") + b"\n")
        safe.write_csv(fh, include_header=False, null_value="")


def write_json(data: dict[str, Any], path: Path) -> None:
    with atomic_file(path, "w") as fh:
        json.dump(data, fh, indent=2, ensure_ascii=False, sort_keys=False)
        fh.write("\n")


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


@contextmanager
def atomic_file(path: Path, mode: str) -> Iterator[IO[Any]]:
    """A file that appears under `path` only once it is complete."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        os.chmod(tmp, 0o666 & ~_umask())  # mkstemp makes 0600; colleagues must read outputs
        encoding = None if "b" in mode else "utf-8"
        with os.fdopen(fd, mode, encoding=encoding) as fh:
            yield fh
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
