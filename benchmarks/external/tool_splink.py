"""Splink (DuckDB backend) on one case, as one process: the documented recipe.

Comparisons from Splink's comparison library, blocking rules for predictions, the prior
from deterministic rules, `estimate_u_using_random_sampling`, EM on two blocking rules,
`predict`, and (duplicates) clustering at p >= 0.9. Writes every scored pair with
p >= 0.01 so the runner can score p >= 0.9 and sweep thresholds:

    duplicates: row_a,row_b,score        crm: row,crm_id,score

    python tool_splink.py --schema fake --task duplicates --partner P.csv --out pairs.csv
    python tool_splink.py --schema febrl --task crm --partner P.csv --crm C.csv --out links.csv
"""

from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path
from typing import Any

import pandas as pd
import splink.comparison_library as cl
from splink import DuckDBAPI, Linker, SettingsCreator, block_on

sys.path.insert(0, str(Path(__file__).parent))
from datasets import crm_columns, schema_columns


def settings(schema: str, link_type: str) -> tuple[SettingsCreator, list[Any], list[Any]]:
    """(settings, deterministic rules for the prior, EM blocking rules) for a schema."""
    if schema == "fake":
        comparisons = [
            cl.NameComparison("first_name"),
            cl.NameComparison("surname"),
            cl.DateOfBirthComparison("dob", input_is_string=True),
            cl.ExactMatch("city").configure(term_frequency_adjustments=True),
            cl.EmailComparison("email"),
        ]
        blocking = [
            block_on("first_name", "city"),
            block_on("surname"),
            block_on("first_name", "dob"),
            block_on("email"),
        ]
        deterministic = [block_on("first_name", "surname", "dob"), block_on("email")]
        em = [block_on("first_name", "surname"), block_on("dob")]
    else:
        comparisons = [
            cl.NameComparison("given_name"),
            cl.NameComparison("surname"),
            cl.DateOfBirthComparison(
                "date_of_birth", input_is_string=True, datetime_format="%Y%m%d"
            ),
            cl.DamerauLevenshteinAtThresholds("soc_sec_id", [1, 2]),
            cl.ExactMatch("street_number").configure(term_frequency_adjustments=True),
            cl.JaroWinklerAtThresholds("address_1", [0.9, 0.7]),
            cl.DamerauLevenshteinAtThresholds("postcode", [1, 2]),
            cl.JaroWinklerAtThresholds("suburb", [0.9, 0.7]),
        ]
        blocking = [
            block_on("given_name", "surname"),
            block_on("surname", "date_of_birth"),
            block_on("given_name", "date_of_birth"),
            block_on("soc_sec_id"),
            block_on("postcode", "street_number"),
        ]
        deterministic = [block_on("soc_sec_id"), block_on("given_name", "surname", "date_of_birth")]
        em = [block_on("date_of_birth"), block_on("postcode")]
    s = SettingsCreator(
        link_type=link_type,
        comparisons=comparisons,
        blocking_rules_to_generate_predictions=blocking,
    )
    return s, deterministic, em


def read(path: str, columns: list[str], rename: dict[str, str] | None = None) -> pd.DataFrame:
    df = pd.read_csv(path, dtype=str, keep_default_na=False, na_values=[""])
    if rename:
        df = df.rename(columns=rename)
    return df[columns]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--schema", required=True, choices=["fake", "febrl"])
    ap.add_argument("--task", required=True, choices=["duplicates", "crm"])
    ap.add_argument("--partner", required=True)
    ap.add_argument("--crm")
    ap.add_argument("--out", required=True)
    args = ap.parse_args()
    logging.disable(logging.WARNING)
    cols = schema_columns(args.schema)
    partner = read(args.partner, cols)
    partner.insert(0, "unique_id", [str(i) for i in range(1, len(partner) + 1)])
    db = DuckDBAPI()
    if args.task == "duplicates":
        tables = [db.register(partner)]
        link_type = "dedupe_only"
    else:
        crm_raw = pd.read_csv(args.crm, dtype=str, keep_default_na=False, na_values=[""])
        crm = crm_raw.rename(columns=crm_columns(args.schema))[cols]
        crm.insert(0, "unique_id", crm_raw["id"])
        tables = [
            db.register(crm, dataset_display_name="crm"),
            db.register(partner, dataset_display_name="partner"),
        ]
        link_type = "link_only"
    s, deterministic, em = settings(args.schema, link_type)
    linker = Linker(tables if len(tables) > 1 else tables[0], s, log_level=None)
    linker.training.estimate_probability_two_random_records_match(deterministic, recall=0.7)
    linker.training.estimate_u_using_random_sampling(max_pairs=1e6, seed=1)
    for rule in em:
        linker.training.estimate_parameters_using_expectation_maximisation(rule)
    pred = linker.inference.predict(threshold_match_probability=0.01)
    df = pred.as_pandas_dataframe()
    if args.task == "duplicates":
        linker.clustering.cluster_pairwise_predictions_at_threshold(
            pred, threshold_match_probability=0.9
        ).as_pandas_dataframe()
        out = pd.DataFrame(
            {
                "row_a": df["unique_id_l"],
                "row_b": df["unique_id_r"],
                "score": df["match_probability"],
            }
        )
    else:
        left_is_crm = df["source_dataset_l"] == "crm"
        out = pd.DataFrame(
            {
                "row": df["unique_id_r"].where(left_is_crm, df["unique_id_l"]),
                "crm_id": df["unique_id_l"].where(left_is_crm, df["unique_id_r"]),
                "score": df["match_probability"],
            }
        )
    out.to_csv(args.out, index=False)


if __name__ == "__main__":
    main()
