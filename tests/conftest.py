from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from hypothesis import settings

# Timing deadlines fail on a loaded CI machine without saying anything about correctness.
settings.register_profile("leadkit", deadline=None)
settings.load_profile("leadkit")

ROOT = Path(__file__).parent.parent
BENCH = ROOT.parent / "shared" / "bench"


@pytest.fixture(scope="session")
def bench_data(tmp_path_factory: pytest.TempPathFactory) -> Callable[..., Path]:
    """make_leads.py data sets, generated once per session and size."""
    made: dict[tuple[int, int, str], Path] = {}

    def make(rows: int, existing: int, target: str = "salesforce", seed: int = 1) -> Path:
        key = (rows, existing, target)
        if key not in made:
            out = tmp_path_factory.mktemp(f"bench_{rows}_{existing}_{target}")
            subprocess.run(
                [
                    sys.executable,
                    str(BENCH / "make_leads.py"),
                    "--rows",
                    str(rows),
                    "--existing",
                    str(existing),
                    "--target",
                    target,
                    "--seed",
                    str(seed),
                    "--out",
                    str(out),
                    "--quiet",
                ],
                check=True,
            )
            made[key] = out
        return made[key]

    if not (BENCH / "make_leads.py").exists():
        pytest.skip("../shared/bench is not beside the checkout")
    return make


@pytest.fixture(autouse=True)
def _private_cache(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Tests never read or write the user's ~/.cache."""
    monkeypatch.setenv("LEADKIT_CACHE_DIR", str(tmp_path_factory.getbasetemp() / "cache"))
