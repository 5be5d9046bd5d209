"""The cache folder: one key scheme (leadkit's code + the data's versions) for every table."""

from __future__ import annotations

from functools import partial
from pathlib import Path

import pytest

from leadkit.cache import cache_key, cached_json


@pytest.fixture
def folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("LEADKIT_CACHE_DIR", str(tmp_path))
    return tmp_path


def test_the_key_changes_with_the_inputs_only() -> None:
    assert cache_key("1.0") == cache_key("1.0")
    assert len({cache_key(), cache_key("1.0"), cache_key("1.1"), cache_key("1.0", "x")}) == 4


def test_a_table_is_built_once_per_key_and_older_keys_are_pruned(folder: Path) -> None:
    built: list[str] = []

    def build(v: str) -> dict[str, str]:
        built.append(v)
        return {"version": v}

    for v in ("1", "1", "2", "3", "3", "1"):
        assert cached_json("table", partial(build, v), inputs=(v,)) == {"version": v}
    assert built == ["1", "2", "3", "1"]  # "1" was pruned when "3" came
    names = {p.name for p in folder.iterdir()}
    assert names == {f"table-{cache_key('3')}.json", f"table-{cache_key('1')}.json"}


def test_a_damaged_file_is_rebuilt(folder: Path) -> None:
    (folder / f"table-{cache_key('1')}.json").write_text('{"cut sho', encoding="utf-8")
    assert cached_json("table", lambda: {"ok": True}, inputs=("1",)) == {"ok": True}
