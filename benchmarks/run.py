"""leadkit's benchmark: whole-process runs of `leadkit normalize` on generated data.

Generates data with ../shared/bench/make_leads.py (cached under benchmarks/data/), runs
`leadkit normalize` as a separate process for each size (median of --repeat runs), and
records wall time, CPU time and peak memory (from wait4 on the child, so each run is
measured alone), plus the per-stage timings leadkit writes into its report. The pandas
reference script (reference_pandas.py) runs on the same data for the speed ratio.

    python benchmarks/run.py                     # the standard set (takes a while)
    python benchmarks/run.py --case 100k --case 1Mx1M --repeat 3
    python benchmarks/run.py --quick             # 10k rows only, a smoke test

Writes benchmarks/results/results.json, results.md and time_vs_rows.png.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).parent
ROOT = HERE.parent
MAKE = ROOT.parent / "shared" / "bench" / "make_leads.py"
SCORE = ROOT.parent / "shared" / "bench" / "score.py"
DATA = HERE / "data"
OUT = HERE / "out"
RESULTS = HERE / "results"

# name: (partner rows, CRM records)
CASES: dict[str, tuple[int, int]] = {
    "10k": (10_000, 0),
    "100k": (100_000, 0),
    "1M": (1_000_000, 0),
    "100kx10k": (100_000, 10_000),
    "100kx100k": (100_000, 100_000),
    "100kx1M": (100_000, 1_000_000),
    "1Mx1M": (1_000_000, 1_000_000),
    "50kx200k": (50_000, 200_000),  # the shared benchmark's usual size: the quality baseline
}
BUDGET = {  # wall seconds, peak GiB, from the performance issue
    "100k": (2.0, 1.0),
    "1M": (12.0, 3.0),
    "100kx1M": (10.0, 3.0),
    "1Mx1M": (25.0, 6.0),
}


def compile_bytecode() -> None:
    """leadkit's modules compiled, as an installed leadkit has them (pip compiles on install;
    an editable install on first use, unless PYTHONDONTWRITEBYTECODE is set): otherwise
    every measured run would pay ~0.15 s to compile leadkit's source."""
    subprocess.run([sys.executable, "-m", "compileall", "-q", str(ROOT / "leadkit")], check=True)


def generate(rows: int, existing: int) -> Path:
    out = DATA / f"{rows}_{existing}"
    if not (out / "truth.csv").exists():
        subprocess.run(
            [
                sys.executable,
                str(MAKE),
                "--rows",
                str(rows),
                "--existing",
                str(existing),
                "--seed",
                "1",
                "--out",
                str(out),
                "--quiet",
            ],
            check=True,
        )
    return out


def measure(cmd: list[str]) -> dict[str, float]:
    """Wall, CPU and peak RSS of one whole process (and the workers it started)."""
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    err = proc.stderr.read().decode() if proc.stderr else ""
    if os.waitstatus_to_exitcode(status) not in (0, 1):
        raise SystemExit(f"{' '.join(cmd)} failed:\n{err}")
    return {
        "wall_s": round(wall, 3),
        "cpu_s": round(usage.ru_utime + usage.ru_stime, 3),
        "peak_mib": round(usage.ru_maxrss / 1024, 1),
    }


def run_case(name: str, repeat: int, reference: bool, score: bool) -> dict:
    rows, existing = CASES[name]
    data = generate(rows, existing)
    out = OUT / name
    cmd = [
        str(Path(sys.executable).parent / "leadkit"),
        "normalize",
        str(data / "partner.csv"),
        "-m",
        str(data / "mapping.yaml"),
        "-o",
        str(out),
        "--trace",
        "-q",
    ]
    if existing:
        cmd += ["-e", str(data / "crm_export.csv")]
    runs, stages = [], []
    for _ in range(repeat):
        runs.append(measure(cmd))
        stages.append(json.loads((out / "partner.report.json").read_text())["timings"])
    median = {k: statistics.median(r[k] for r in runs) for k in runs[0]}
    stage_median = {
        k: round(statistics.median(s.get(k, 0.0) for s in stages), 3) for k in stages[0]
    }
    result = {
        "case": name,
        "rows": rows,
        "crm": existing,
        "runs": runs,
        **median,
        "stages": stage_median,
        "per_row_us": round(median["wall_s"] / rows * 1e6, 2),
    }
    if name in BUDGET:
        wall, gib = BUDGET[name]
        result["budget"] = {
            "wall_s": wall,
            "peak_mib": gib * 1024,
            "met": median["wall_s"] <= wall and median["peak_mib"] <= gib * 1024,
        }
    if score:
        proc = subprocess.run(
            [
                sys.executable,
                str(SCORE),
                "--truth",
                str(data / "truth.csv"),
                "--out",
                str(out),
                "--json",
            ],
            capture_output=True,
            text=True,
            check=True,
        )
        s = json.loads(proc.stdout)
        result["score"] = {
            "routing_accuracy": s["routing_accuracy"],
            "matching_precision": s["matching"]["precision"],
            "matching_recall": s["matching"]["recall"],
            "duplicates_precision": s["duplicates"]["precision"],
            "duplicates_recall": s["duplicates"]["recall"],
            "rejects_precision": s["rejects"]["precision"],
            "rejects_recall": s["rejects"]["recall"],
        }
    if reference:
        ref_cmd = [sys.executable, str(HERE / "reference_pandas.py"), str(data / "partner.csv")]
        ref_cmd += ([str(data / "crm_export.csv")] if existing else []) + [
            str(OUT / f"{name}-reference")
        ]
        ref = measure(ref_cmd)
        result["reference"] = ref
        result["speedup"] = round(ref["wall_s"] / median["wall_s"], 1)
    return result


def machine() -> dict:
    cpu = next(
        (
            ln.split(":", 1)[1].strip()
            for ln in Path("/proc/cpuinfo").read_text().splitlines()
            if ln.startswith("model name")
        ),
        platform.processor(),
    )
    mem = next(
        (
            ln.split()[1]
            for ln in Path("/proc/meminfo").read_text().splitlines()
            if ln.startswith("MemTotal")
        ),
        "0",
    )
    import polars

    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "memory_gib": round(int(mem) / 2**20, 1),
        "python": platform.python_version(),
        "polars": polars.__version__,
        "os": platform.platform(),
        "date": time.strftime("%Y-%m-%d"),
    }


def table(results: list[dict]) -> str:
    lines = [
        "| case | rows | CRM | wall s | CPU s | peak MiB | µs/row | budget | reference s | speed-up |",
        "|---|---:|---:|---:|---:|---:|---:|---|---:|---:|",
    ]
    for r in results:
        b = r.get("budget")
        budget = (
            (
                ("met" if b["met"] else "MISSED")
                + f" (≤{b['wall_s']}s, ≤{b['peak_mib'] / 1024:g} GiB)"
            )
            if b
            else ""
        )
        ref = r.get("reference", {}).get("wall_s", "")
        lines.append(
            f"| {r['case']} | {r['rows']:,} | {r['crm']:,} | {r['wall_s']} | {r['cpu_s']} | "
            f"{r['peak_mib']} | {r['per_row_us']} | {budget} | {ref} | {r.get('speedup', '')} |"
        )
    per_row = {r["case"]: r["per_row_us"] for r in results}
    if "100k" in per_row and "1M" in per_row:
        lines += [
            "",
            f"Per-row cost at 1M against 100k: {per_row['1M'] / per_row['100k']:.2f} (budget ≤ 1.3)",
        ]
    lines += [
        "",
        "Per stage (median seconds, from the report's timings):",
        "",
        "| case | " + " | ".join(results[0]["stages"]) + " |",
        "|---|" + "---:|" * len(results[0]["stages"]),
    ]
    for r in results:
        lines.append(
            f"| {r['case']} | "
            + " | ".join(str(r["stages"].get(k, "")) for k in results[0]["stages"])
            + " |"
        )
    scored = [r for r in results if "score" in r]
    if scored:
        keys = list(scored[0]["score"])
        lines += [
            "",
            "Quality (score.py against the generator's truth; matching is blank without a CRM export):",
            "",
            "| case | " + " | ".join(k.replace("_", " ") for k in keys) + " |",
            "|---|" + "---:|" * len(keys),
        ]
        for r in scored:
            lines.append(
                f"| {r['case']} | "
                + " | ".join("" if r["score"][k] is None else str(r["score"][k]) for k in keys)
                + " |"
            )
    return "\n".join(lines) + "\n"


def plot(results: list[dict], path: Path) -> None:
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return
    fig, ax = plt.subplots(figsize=(6, 4))
    for crm in sorted({r["crm"] for r in results}):
        pts = sorted((r["rows"], r["wall_s"]) for r in results if r["crm"] == crm)
        ax.plot([p[0] for p in pts], [p[1] for p in pts], marker="o", label=f"CRM {crm:,}")
    ax.set(
        xscale="log",
        yscale="log",
        xlabel="partner rows",
        ylabel="wall seconds",
        title="leadkit normalize: time against rows",
    )
    ax.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=100)


def main() -> None:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument(
        "--case", action="append", choices=sorted(CASES), help="cases to run (default: all)"
    )
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument(
        "--reference",
        action="append",
        choices=sorted(CASES),
        help="cases the pandas reference script also runs (default: 100k and 1M)",
    )
    ap.add_argument("--no-reference", action="store_true", help="skip the pandas reference script")
    ap.add_argument("--score", action="store_true", help="score each run with score.py")
    ap.add_argument("--quick", action="store_true", help="10k rows once: a smoke test")
    ap.add_argument("--results", type=Path, default=RESULTS)
    args = ap.parse_args()
    cases = ["10k"] if args.quick else (args.case or list(CASES))
    repeat = 1 if args.quick else args.repeat
    compile_bytecode()
    results = []
    for name in cases:
        ref_cases = args.reference or ["100k", "1M"]
        results.append(
            run_case(
                name,
                repeat,
                reference=not args.no_reference and name in ref_cases,
                score=args.score,
            )
        )
        print(json.dumps(results[-1]), file=sys.stderr)
    leadkit = str(Path(sys.executable).parent / "leadkit")
    help_s = statistics.median(measure([leadkit, "--help"])["wall_s"] for _ in range(5))
    args.results.mkdir(parents=True, exist_ok=True)
    doc = {"machine": machine(), "help_s": help_s, "results": results}
    (args.results / "results.json").write_text(json.dumps(doc, indent=2) + "\n")
    (args.results / "results.md").write_text(
        "# leadkit benchmark\n\nMachine: "
        + ", ".join(f"{k} {v}" for k, v in doc["machine"].items())
        + "\n\n"
        f"`leadkit --help`: {help_s} s (median of 5; budget 0.4 s)\n\n" + table(results)
    )
    plot(results, args.results / "time_vs_rows.png")
    print(table(results))


if __name__ == "__main__":
    main()
