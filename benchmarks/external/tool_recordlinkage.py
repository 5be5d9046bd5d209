"""recordlinkage on one case, as one process, per its documentation: an index (blocking on
a few keys, plus a sorted neighbourhood on the surname), `Compare` with string (Jaro-Winkler)
and exact features, and the unsupervised `ECMClassifier`. Writes each candidate pair with
the classifier's match probability (its `predict` is probability >= 0.5):

    duplicates: row_a,row_b,score        crm: row,crm_id,score
"""

from __future__ import annotations

import argparse
import sys
import warnings
from pathlib import Path

import pandas as pd
import recordlinkage
from recordlinkage.index import Block, SortedNeighbourhood

sys.path.insert(0, str(Path(__file__).parent))
from datasets import crm_columns, schema_columns

STRING_THRESHOLD = 0.85


def plan(schema: str) -> tuple[list[object], list[tuple[str, str]]]:
    """(index parts, features as (column, how)): how is 'string' or 'exact'."""
    if schema == "fake":
        index = [
            Block("email"),
            Block(["first_name", "dob"]),
            Block(["surname", "dob"]),
            SortedNeighbourhood("surname", window=5, block_on="first_name"),
        ]
        features = [
            ("first_name", "string"),
            ("surname", "string"),
            ("dob", "exact"),
            ("city", "exact"),
            ("email", "string"),
        ]
    else:
        index = [
            Block("soc_sec_id"),
            Block(["given_name", "date_of_birth"]),
            Block(["surname", "date_of_birth"]),
            Block(["postcode", "street_number"]),
            SortedNeighbourhood("surname", window=5, block_on="given_name"),
        ]
        features = [
            ("given_name", "string"),
            ("surname", "string"),
            ("date_of_birth", "exact"),
            ("soc_sec_id", "exact"),
            ("street_number", "exact"),
            ("address_1", "string"),
            ("postcode", "exact"),
            ("suburb", "string"),
            ("state", "exact"),
        ]
    return index, features


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--schema", required=True, choices=["fake", "febrl"])
    ap.add_argument("--task", required=True, choices=["duplicates", "crm"])
    ap.add_argument("--partner", required=True)
    ap.add_argument("--crm")
    ap.add_argument("--out", required=True)
    args = ap.parse_args()
    warnings.simplefilter("ignore")
    cols = schema_columns(args.schema)
    partner = pd.read_csv(args.partner, dtype=str, keep_default_na=False, na_values=[""])[cols]
    partner.index = pd.RangeIndex(1, len(partner) + 1, name="row")
    index_parts, features = plan(args.schema)
    indexer = recordlinkage.Index()
    for part in index_parts:
        indexer.add(part)
    compare = recordlinkage.Compare()
    for col, how in features:
        if how == "string":
            compare.string(col, col, method="jarowinkler", threshold=STRING_THRESHOLD, label=col)
        else:
            compare.exact(col, col, label=col)
    if args.task == "duplicates":
        pairs = indexer.index(partner)
        vectors = compare.compute(pairs, partner)
    else:
        crm_raw = pd.read_csv(args.crm, dtype=str, keep_default_na=False, na_values=[""])
        crm = crm_raw.rename(columns=crm_columns(args.schema))[cols]
        crm.index = pd.Index(crm_raw["id"], name="crm_id")
        pairs = indexer.index(partner, crm)
        vectors = compare.compute(pairs, partner, crm)
    ecm = recordlinkage.ECMClassifier(binarize=None)
    ecm.fit(vectors)
    prob = ecm.prob(vectors)
    first, second = prob.index.get_level_values(0), prob.index.get_level_values(1)
    if args.task == "duplicates":
        out = pd.DataFrame({"row_a": first, "row_b": second, "score": prob.to_numpy()})
    else:
        out = pd.DataFrame({"row": first, "crm_id": second, "score": prob.to_numpy()})
    out[out["score"] >= 0.01].to_csv(args.out, index=False)


if __name__ == "__main__":
    main()
