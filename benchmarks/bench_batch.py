#!/usr/bin/env python3
"""Benchmark `leadkit run`: 20 files of 5,000 rows dropped at once, a 100,000-record CRM export.

Budget (issue 7): all 20 CRM-ready within 15 s, at most 2 GiB peak memory, measured as a
whole `leadkit run` process (wall time from start to exit; peak RSS of the child process from
`resource.getrusage(RUSAGE_CHILDREN)`). Median of --repeat runs, each on a fresh copy of the
inbox and an empty output folder.

The files are one make_leads.py set of 100,000 rows cut into 20 slices, so every file is
matched against the same CRM export the generator made for it. Each repeat is measured cold
(a fresh output folder: the run standardizes the CRM export) and warm (the output folder holds
the standardized export a previous run cached, as under cron). Peak memory is given both as
`ru_maxrss` (the largest single process) and as the sum over the run and its workers
(sampled from /proc every 50 ms); the budget is checked against the larger.

    .venv/bin/python benchmarks/bench_batch.py                 # 20 x 5,000 rows, 100k CRM, 3 runs
    .venv/bin/python benchmarks/bench_batch.py --files 4 --rows 1000 --existing 10000 --repeat 1

Prints a table and writes the figures to benchmarks/results/bench_batch.json (--out).
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import platform
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
MAKE_LEADS = ROOT.parent / "shared" / "bench" / "make_leads.py"
LEADKIT = Path(sys.executable).parent / "leadkit"
BUDGET_SECONDS = 15.0
BUDGET_RSS = 2 * 1024**3


def main() -> int:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--files", type=int, default=20)
    ap.add_argument("--rows", type=int, default=5000, help="rows per file")
    ap.add_argument("--existing", type=int, default=100_000, help="CRM export records")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--workers", type=int, default=2, help="leadkit run --workers")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--work", type=Path, help="working folder (default: a temporary one, removed)")
    ap.add_argument(
        "--out", type=Path, default=ROOT / "benchmarks" / "results" / "bench_batch.json"
    )
    args = ap.parse_args()
    # leadkit's modules compiled, as an installed leadkit has them (see run.py)
    subprocess.run([sys.executable, "-m", "compileall", "-q", str(ROOT / "leadkit")], check=True)

    load_before = os.getloadavg()[0]
    work = args.work or Path(tempfile.mkdtemp(prefix="leadkit-bench-batch-"))
    try:
        data = generate(work / "data", args.files, args.rows, args.existing, args.seed)
        runs = [
            one_run(work / f"run{i}", data, args.files, args.workers) for i in range(args.repeat)
        ]
        caches = sorted((work / "run0" / "out" / ".leadkit" / "crm").glob("*.parquet"))
        warm = [
            one_run(
                work / f"warm{i}", data, args.files, args.workers, caches[0] if caches else None
            )
            for i in range(args.repeat)
        ]
    finally:
        if args.work is None:
            shutil.rmtree(work, ignore_errors=True)

    wall = statistics.median(r["wall_seconds"] for r in runs)
    warm_wall = statistics.median(r["wall_seconds"] for r in warm)
    rss = max(max(r["peak_rss_bytes"], r["peak_tree_rss_bytes"]) for r in runs + warm)
    figures = {
        "benchmark": "leadkit run: files dropped at once, CRM export",
        "date": datetime.now().astimezone().isoformat(timespec="seconds"),
        "machine": machine(),
        "files": args.files,
        "rows_per_file": args.rows,
        "crm_records": args.existing,
        "repeat": args.repeat,
        "command": f"leadkit run INBOX --mappings MAPS -e crm_export.csv --out OUT --settle 0 --json -q "
        f"--workers {args.workers}",
        "median_wall_seconds": round(wall, 2),
        "median_wall_seconds_warm_crm_cache": round(warm_wall, 2),
        "max_peak_rss_mib": round(rss / 1024**2, 1),
        "rows_per_second": round(args.files * args.rows / wall),
        # other work on the machine skews wall times: 1-minute load averages around the runs
        "load_average": {"before": round(load_before, 2), "after": round(os.getloadavg()[0], 2)},
        "budget": {"wall_seconds": BUDGET_SECONDS, "peak_rss_mib": BUDGET_RSS // 1024**2},
        "within_budget": wall <= BUDGET_SECONDS and rss <= BUDGET_RSS,
        "runs": runs + warm,
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(figures, indent=2) + "\n")
    show(figures)
    print(f"figures written to {args.out}")
    return 0 if figures["within_budget"] else 1


def generate(folder: Path, files: int, rows: int, existing: int, seed: int) -> Path:
    """One make_leads.py set of files x rows, cut into `files` partner files."""
    if (folder / "inbox").is_dir() and len(list((folder / "inbox").iterdir())) == files:
        return folder
    folder.mkdir(parents=True, exist_ok=True)
    t = time.perf_counter()
    subprocess.run(
        [
            sys.executable,
            str(MAKE_LEADS),
            "--rows",
            str(files * rows),
            "--existing",
            str(existing),
            "--seed",
            str(seed),
            "--out",
            str(folder),
            "--quiet",
        ],
        check=True,
    )
    inbox = folder / "inbox"
    inbox.mkdir(exist_ok=True)
    with (folder / "partner.csv").open(newline="", encoding="utf-8") as fh:
        reader = csv.reader(fh)
        header = next(reader)
        for i in range(files):
            with (inbox / f"partner-{i + 1:02d}.csv").open(
                "w", newline="", encoding="utf-8"
            ) as out:
                w = csv.writer(out, lineterminator="\r\n")
                w.writerow(header)
                for _ in range(rows):
                    w.writerow(next(reader))
    maps = folder / "mappings"
    maps.mkdir(exist_ok=True)
    (maps / "partner.yaml").write_text(
        'name: partner\nmatch: "partner-*.csv"\n' + (folder / "mapping.yaml").read_text()
    )
    print(
        f"generated {files} x {rows:,} rows and a {existing:,}-record CRM export "
        f"in {time.perf_counter() - t:.1f}s",
        file=sys.stderr,
    )
    return folder


def one_run(
    folder: Path, data: Path, files: int, workers: int, cache: Path | None = None
) -> dict[str, Any]:
    """One `leadkit run` on a fresh copy of the inbox; with `cache`, the output folder starts
    with the standardized CRM export a previous run left (the steady state under cron)."""
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    inbox, out = folder / "inbox", folder / "out"
    shutil.copytree(data / "inbox", inbox)
    if cache is not None:
        (out / ".leadkit" / "crm").mkdir(parents=True, exist_ok=True)
        shutil.copy2(cache, out / ".leadkit" / "crm" / cache.name)
    cmd = [
        str(LEADKIT),
        "run",
        str(inbox),
        "--mappings",
        str(data / "mappings"),
        "-e",
        str(data / "crm_export.csv"),
        "--out",
        str(out),
        "--settle",
        "0",
        "--json",
        "-q",
        "--workers",
        str(workers),
    ]
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    tree_peak = 0
    while proc.poll() is None:  # the run and its worker processes together
        tree_peak = max(tree_peak, tree_rss(proc.pid))
        time.sleep(0.05)
    stdout, stderr = proc.communicate()
    wall = time.perf_counter() - t
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if proc.returncode not in (0, 1):
        raise SystemExit(f"leadkit run failed ({proc.returncode}): {stderr.strip()}")
    lines = [json.loads(line) for line in stdout.splitlines() if line.strip()]
    done = [d for d in lines if d.get("kind") == "file" and d["status"] == "processed"]
    if len(done) != files:
        raise SystemExit(f"only {len(done)} of {files} files processed: {stderr.strip()}")
    ledger = [json.loads(line) for line in (out / "ledger.jsonl").read_text().splitlines()]
    to_ready = [
        (datetime.fromisoformat(e["ready"]) - datetime.fromisoformat(e["started"])).total_seconds()
        for e in ledger
    ]
    return {
        "wall_seconds": round(wall, 2),
        "cpu_seconds": round(
            (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime), 2
        ),
        # ru_maxrss: the largest single process among the children so far (KiB on Linux)
        "peak_rss_bytes": after.ru_maxrss * 1024,
        # the run and its workers together, sampled every 50 ms
        "peak_tree_rss_bytes": tree_peak,
        "workers": workers,
        "crm_cache": "warm" if cache is not None else "cold",
        "files_processed": len(done),
        "rows": sum(int(e["rows"]) for e in ledger),
        "per_file_seconds": {
            "median": round(statistics.median(to_ready), 3),
            "max": round(max(to_ready), 3),
        },
        "last_ready_after_start_seconds": round(
            (
                max(datetime.fromisoformat(e["ready"]) for e in ledger)
                - min(datetime.fromisoformat(e["started"]) for e in ledger)
            ).total_seconds(),
            2,
        ),
        "exit_code": proc.returncode,
    }


def tree_rss(root: int) -> int:
    """Resident memory of `root` and all its descendants, in bytes (Linux /proc)."""
    parent: dict[int, int] = {}
    rss: dict[int, int] = {}
    for d in Path("/proc").iterdir():
        if not d.name.isdigit():
            continue
        try:
            fields = (d / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        parent[int(d.name)] = int(fields[1])
        rss[int(d.name)] = int(fields[21]) * resource.getpagesize()
    total, todo = 0, [root]
    while todo:
        pid = todo.pop()
        total += rss.get(pid, 0)
        todo += [c for c, p in parent.items() if p == pid]
    return total


def machine() -> dict[str, object]:
    mem = None
    try:
        with open("/proc/meminfo") as fh:
            mem = round(int(fh.readline().split()[1]) / 1024**2, 1)
    except OSError:
        pass
    return {
        "platform": platform.platform(),
        "python": platform.python_version(),
        "cpus": os.cpu_count(),
        "cpu": platform.processor() or platform.machine(),
        "memory_gib": mem,
    }


def show(f: dict[str, Any]) -> None:
    print(
        f"leadkit run: {f['files']} files x {f['rows_per_file']:,} rows, "
        f"{f['crm_records']:,}-record CRM export, {f['repeat']} run(s)"
    )
    print(
        f"{'run':>4} {'CRM':>5} {'wall s':>7} {'cpu s':>6} {'RSS MiB':>8} {'all procs MiB':>14} "
        f"{'file median s':>14} {'file max s':>11}"
    )
    for i, r in enumerate(f["runs"], 1):
        per = r["per_file_seconds"]
        print(
            f"{i:>4} {r['crm_cache']:>5} {r['wall_seconds']:>7.2f} {r['cpu_seconds']:>6.2f} "
            f"{r['peak_rss_bytes'] / 1024**2:>8.0f} {r['peak_tree_rss_bytes'] / 1024**2:>14.0f} "
            f"{per['median']:>14.3f} {per['max']:>11.3f}"
        )
    verdict = "within" if f["within_budget"] else "OVER"
    print(
        f"median wall {f['median_wall_seconds']} s cold, {f['median_wall_seconds_warm_crm_cache']} s "
        f"with the CRM cache (budget {BUDGET_SECONDS:g} s); peak RSS {f['max_peak_rss_mib']} MiB "
        f"(budget {BUDGET_RSS // 1024**2} MiB): {verdict} budget"
    )


if __name__ == "__main__":
    raise SystemExit(main())
