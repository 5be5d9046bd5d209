"""Folding repeats into the kept row: fill empty fields, add up counters."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest

from leadkit.errors import MappingError
from leadkit.mapping import LoadedMapping, parse_mapping
from leadkit.match import merge_repeats
from leadkit.pipeline import Options, normalize


def leads() -> pl.DataFrame:
    return pl.DataFrame(
        {
            "_row": [1, 2, 3, 4],
            "_outcome": ["import", "duplicates", "duplicates", "updates"],
            "_duplicate_of": [None, 1, 1, None],
            "phone": [None, "+14155550100", "+14155550199", None],
            "job_title": ["CTO", None, "Chief Technology Officer", None],
            "custom:Minutes": ["60", "15", "7.5", "30"],
        },
        schema_overrides={"_duplicate_of": pl.Int64},
    )


def test_merge_fills_empty_fields_from_the_first_repeat_and_sums() -> None:
    out = merge_repeats(leads(), merge=True, summed=["Minutes"])
    kept = out.filter(pl.col("_row") == 1).row(0, named=True)
    assert (kept["phone"], kept["job_title"], kept["custom:Minutes"]) == (
        "+14155550100",
        "CTO",
        "82.5",
    )
    # the repeats and the rows without repeats are unchanged
    assert out.filter(pl.col("_row") != 1).equals(leads().filter(pl.col("_row") != 1))


def test_sum_alone_keeps_the_first_occurrence_otherwise() -> None:
    out = merge_repeats(leads(), merge=False, summed=["Minutes"])
    kept = out.filter(pl.col("_row") == 1).row(0, named=True)
    assert (kept["phone"], kept["custom:Minutes"]) == (None, "82.5")


def test_whole_numbers_stay_whole() -> None:
    frame = leads().with_columns(pl.Series("custom:Minutes", ["60", "15", "5", "30"]))
    assert merge_repeats(frame, merge=False, summed=["Minutes"])["custom:Minutes"][0] == "80"


def test_sum_must_name_a_known_column() -> None:
    with pytest.raises(MappingError, match=r"duplicates\.sum names 'Minutes'"):
        parse_mapping("columns:\n  email: E\nduplicates:\n  sum: [Minutes]\n")


def test_nothing_asked_returns_the_leads_themselves() -> None:
    frame = leads()
    assert merge_repeats(frame, merge=False, summed=[]) is frame


def test_the_match_stage_folds_repeats_in_a_whole_run(tmp_path: Path) -> None:
    source = tmp_path / "leads.csv"
    source.write_text(
        "Email,First,Last,Company,Title,Minutes\n"
        "ann@acme.com,Ann,Lee,Acme,,60\n"
        "ann@acme.com,Ann,Lee,Acme,CTO,15\n"
        "bob@acme.com,Bob,Roe,Acme,,30\n"
    )
    spec = parse_mapping(
        "target: salesforce\ncolumns:\n  email: Email\n  first_name: First\n"
        "  last_name: Last\n  company: Company\n  job_title: Title\ncustom:\n  Minutes: {column: Minutes}\n"
        "duplicates:\n  merge: true\n  sum: [Minutes]\n"
    )
    mapping = LoadedMapping(spec=spec, name="t", path=None, sha256="0" * 64)
    normalize([source], mapping, tmp_path / "out", options=Options(trace=True))
    kept = pl.read_csv(tmp_path / "out" / "leads.import.csv", infer_schema=False)
    assert kept.select("_row", "Title", "Minutes").rows() == [("1", "CTO", "75"), ("3", None, "30")]
    repeats = pl.read_csv(tmp_path / "out" / "leads.duplicates.csv", infer_schema=False)
    assert repeats.select("_row", "Title", "Minutes").rows() == [("2", "CTO", "15")]
