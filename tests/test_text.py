"""Text helpers shared by the normalizers and the matcher."""

from __future__ import annotations

import polars as pl
import pytest

from leadkit.normalizers.text import split_once


@pytest.mark.parametrize(
    ("value", "before", "after"),
    [
        ("anna@acme.com", "anna", "acme.com"),
        # Polars 2.2's str.find counts characters, older ones bytes: cut in the right unit
        ("josé@acme.fr", "josé", "acme.fr"),
        ("héllö.wörld@bücher.de", "héllö.wörld", "bücher.de"),
        ("日本@例え.jp", "日本", "例え.jp"),
        ("a@b@c", "a", "b@c"),
        ("@acme.com", "", "acme.com"),
        ("anna@", "anna", ""),
        ("no separator", None, None),
        (None, None, None),
    ],
)
def test_split_once(value: str | None, before: str | None, after: str | None) -> None:
    frame = pl.DataFrame({"v": [value]}, schema={"v": pl.String})
    head, tail = split_once(pl.col("v"), "@")
    assert frame.select(head.alias("h"), tail.alias("t")).row(0) == (before, after)
