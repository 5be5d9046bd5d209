"""leadkit: turn any partner lead file into clean, deduplicated, CRM-ready imports.

The library API (the CLI is a thin layer over it)::

    from leadkit import load_mapping, normalize
    results = normalize([Path("zoom.csv")], load_mapping("mappings/zoom_webinar.yaml"), Path("out"))
    results[0].report["counts"]
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

if TYPE_CHECKING:
    from leadkit.mapping import load_mapping
    from leadkit.pipeline import Options, RunResult, normalize

__all__ = ["Options", "RunResult", "__version__", "load_mapping", "normalize"]


def __getattr__(name: str) -> Any:
    # Imported on first use so `leadkit --help` does not pay for Polars.
    if name == "load_mapping":
        from leadkit.mapping import load_mapping

        return load_mapping
    if name in ("normalize", "Options", "RunResult"):
        from leadkit import pipeline

        return getattr(pipeline, name)
    raise AttributeError(f"module 'leadkit' has no attribute {name!r}")
