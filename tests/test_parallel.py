"""The second core: same results as one core, a failed worker never loses values, and a pool
belongs to its owner (a failure, or `workers=1`, stays with it)."""

from __future__ import annotations

import subprocess
import sys
import textwrap

from leadkit.normalizers import _base
from leadkit.normalizers._base import Normalized, Pool, apply_all, current_pool, use_pool


def _double(v: str) -> Normalized:
    return Normalized(v * 2)


def test_two_cores_give_the_same_answer() -> None:
    values = [str(i) for i in range(_base.PARALLEL_MIN + 10)]
    with Pool(workers=2) as pool:
        assert pool.map(_double, values) == [_double(v) for v in values]
        assert (pool.started, pool.broken) == (True, False)
    assert not pool.started  # closed with its owner


def test_a_pool_of_one_worker_stays_in_this_process() -> None:
    values = [str(i) for i in range(_base.PARALLEL_MIN + 10)]
    with Pool(workers=1) as pool:
        assert pool.map(_double, values) == [_double(v) for v in values]
        assert not pool.started


def test_use_pool_is_what_apply_all_uses_inside_the_block_only() -> None:
    before = current_pool()
    with Pool(workers=1) as pool, use_pool(pool):
        assert current_pool() is pool
        assert apply_all(_double, ["a", "b"]) == [Normalized("aa"), Normalized("bb")]
    assert current_pool() is before


def test_a_worker_that_cannot_start_falls_back_to_one_core_for_its_pool_only() -> None:
    # Run from standard input: a spawned worker cannot re-import such a __main__.
    code = textwrap.dedent(
        """
        from leadkit.normalizers import _base
        def f(v):
            return v + "!"
        values = [str(i) for i in range(_base.PARALLEL_MIN + 5)]
        first, second = _base.Pool(workers=2), _base.Pool(workers=2)
        out = first.map(f, values)
        assert out == [v + "!" for v in values]
        print(first.broken, second.broken)
        first.close()
        """
    )
    proc = subprocess.run(
        [sys.executable, "-"], input=code, capture_output=True, text=True, timeout=120
    )
    assert proc.stdout.strip() == "True False", proc.stderr[-2000:]
