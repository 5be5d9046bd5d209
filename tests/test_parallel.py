"""The second core: same results as one core, and a failed worker never loses values."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import pytest

from leadkit.normalizers import _base
from leadkit.normalizers._base import Normalized, apply_all


def _double(v: str) -> Normalized:
    return Normalized(v * 2)


def test_two_cores_give_the_same_answer(monkeypatch: pytest.MonkeyPatch) -> None:
    values = [str(i) for i in range(_base.PARALLEL_MIN + 10)]
    monkeypatch.setenv("LEADKIT_WORKERS", "2")
    assert apply_all(_double, values) == [_double(v) for v in values]


def test_a_worker_that_cannot_start_falls_back_to_one_core() -> None:
    # Run from standard input: a spawned worker cannot re-import such a __main__.
    code = textwrap.dedent(
        """
        import os
        os.environ["LEADKIT_WORKERS"] = "2"
        from leadkit.normalizers import _base
        def f(v):
            return v + "!"
        values = [str(i) for i in range(_base.PARALLEL_MIN + 5)]
        out = _base.apply_all(f, values)
        assert out == [v + "!" for v in values]
        print("ok")
        """
    )
    proc = subprocess.run(
        [sys.executable, "-"], input=code, capture_output=True, text=True, timeout=120
    )
    assert proc.stdout.strip() == "ok", proc.stderr[-2000:]
