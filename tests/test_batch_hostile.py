"""Issue 13, batch side: one hostile file never stops the inbox.

A file whose processing aborts the process (fastexcel's 512 GiB allocation on a workbook with
cells at A1 and XFD1048576), is killed (the OOM killer: SIGKILL), runs out of an address-space
limit, or has a name too long for the file system fails alone: to `failed/` with a one-line
`.error.txt`, its lock freed, and the run goes on. Plus the smaller findings: `--out` inside
the inbox, stale temp files, permissions, clock skew, control characters in names, and the
CLI's one-line errors.
"""

from __future__ import annotations

import json
import os
import random
import resource
import signal
import stat
import subprocess
import time
from pathlib import Path
from typing import Any

import pytest
from test_batch import (
    LEADKIT,
    OUTPUT_FILES,
    Fake,
    drop,
    fake_outputs,
    files_in,
    layout,
    leadkit_run,
    ledger_lines,
    simple_mapping,
)

from leadkit import batch
from leadkit.batch import run_inbox, sha256_file
from leadkit.errors import InputError

# Every file runs in real worker processes (spawned, killed, replaced): the `subprocess`
# step of .ci/run, not the everyday run.
pytestmark = pytest.mark.subprocess

NAME_MAX = os.pathconf("/tmp", "PC_NAME_MAX")


def huge_workbook(path: Path) -> Path:
    """The issue's workbook: one cell at A1, one at XFD1048576 (the reader allocates 512 GiB)."""
    import xlsxwriter

    wb = xlsxwriter.Workbook(str(path))
    ws = wb.add_worksheet()
    ws.write(0, 0, "Email")
    ws.write(1048575, 16383, "x")
    wb.close()
    return path


class Hostile:
    """A processor (picklable: it runs in the run's worker processes) that dies on files whose
    name holds "boom", the way a native library or the OOM killer would end a process."""

    def __init__(self, how: str) -> None:
        self.how = how

    def __call__(self, path: Path, mapping: Any, out: Path) -> dict[str, Any]:
        if "boom" in path.name:
            (out / f"{path.stem}.import.csv").write_text("half")  # a half-written output
            if self.how == "sigkill":  # the OOM killer
                os.kill(os.getpid(), signal.SIGKILL)
            if self.how == "abort":  # a Rust panic=abort, a failed native allocation
                os.abort()
            if self.how == "rlimit":  # a worker whose address space is limited
                resource.setrlimit(resource.RLIMIT_AS, (1 << 30, 1 << 30))
                blob = bytearray(2 << 30)
                return {"never": len(blob)}
            if self.how == "exit":
                os._exit(0)  # a library calling exit(): the file is not done
        return fake_outputs(path, out, mapping.name)


def assert_failed_alone(out: Path, inbox: Path, result: batch.BatchResult, name: str) -> None:
    status = {f.file: f.status for f in result.files}
    assert status.pop(name) == "failed"
    assert set(status.values()) == {"processed"}, status
    assert result.exit_code == 1
    assert files_in(inbox) == []
    assert files_in(out / "failed") == [name, f"{name}.error.txt"]
    text = (out / "failed" / f"{name}.error.txt").read_text()
    assert text.count("\n") == 1
    assert list((out / ".leadkit" / "locks").iterdir()) == []
    assert list((out / ".leadkit" / "staging").iterdir()) == []
    (line,) = ledger_lines(out, "failed")
    assert line["file"] == name


@pytest.mark.parametrize(
    ("how", "workers", "words"),
    [
        ("sigkill", 1, "SIGKILL"),
        ("sigkill", 2, "SIGKILL"),
        ("abort", 2, "SIGABRT"),
        ("rlimit", 1, "MemoryError"),
        ("exit", 2, "exit code 0"),
    ],
)
def test_a_worker_that_dies_fails_its_file_alone_and_the_run_goes_on(
    tmp_path: Path, how: str, workers: int, words: str
) -> None:
    inbox, maps, out = layout(tmp_path)
    drop(inbox, "partner-boom.csv", seed=9)
    os.utime(inbox / "partner-boom.csv", (time.time() - 100, time.time() - 100))  # first
    shas = {sha256_file(drop(inbox, f"partner-{i}.csv", seed=i)) for i in range(3)}
    result = run_inbox(
        inbox, maps, out, settle_seconds=0, processor=Hostile(how), isolate=True, workers=workers
    )
    assert_failed_alone(out, inbox, result, "partner-boom.csv")
    (boom,) = result.by_status("failed")
    assert boom.reason == "crashed"
    assert words in (out / "failed" / "partner-boom.csv.error.txt").read_text()
    assert [e["sha256"] for e in ledger_lines(out)] != []
    assert sorted(e["sha256"] for e in ledger_lines(out)) == sorted(shas)


def test_the_aborting_workbook_fails_alone_with_the_real_pipeline(tmp_path: Path) -> None:
    """The issue's 5 KB workbook: today the run dies with exit 134 (one worker) or stops with
    exit 2 (two), the file stays in the inbox and every later run dies on it again."""
    inbox, maps, out = tmp_path / "inbox", tmp_path / "mappings", tmp_path / "out"
    simple_mapping(maps, "partner", ["partner-*.csv", "partner-*.xlsx"])
    inbox.mkdir()
    huge = huge_workbook(inbox / "partner-0.xlsx")
    os.utime(huge, (time.time() - 100, time.time() - 100))  # the oldest: first in line
    for i in (1, 2):
        drop(inbox, f"partner-{i}.csv", seed=i)
    args = [str(inbox), "-m", str(maps), "-o", str(out), "--settle", "0", "-q", "--json"]
    r = subprocess.run(
        [str(LEADKIT), "run", *args, "--workers", "2"], capture_output=True, text=True, timeout=300
    )
    assert r.returncode == 1, r.stderr
    lines = [json.loads(x) for x in r.stdout.splitlines()]
    status = {d["file"]: d["status"] for d in lines if d["kind"] == "file"}
    assert status == {
        "partner-0.xlsx": "failed",
        "partner-1.csv": "processed",
        "partner-2.csv": "processed",
    }
    assert r.stderr.count("\n") == 1, r.stderr  # one FAILED line, no Rust backtrace
    assert "partner-0.xlsx" in r.stderr
    assert files_in(inbox) == []
    assert files_in(out / "failed") == ["partner-0.xlsx", "partner-0.xlsx.error.txt"]
    assert (out / "failed" / "partner-0.xlsx.error.txt").read_text().count("\n") == 1
    assert list((out / ".leadkit" / "locks").iterdir()) == []
    # one worker: the same
    huge_workbook(inbox / "partner-9.xlsx")
    os.utime(inbox / "partner-9.xlsx", (time.time() - 100, time.time() - 100))
    drop(inbox, "partner-3.csv", seed=3)
    r = subprocess.run(
        [str(LEADKIT), "run", *args, "--workers", "1"], capture_output=True, text=True, timeout=300
    )
    assert r.returncode == 1, r.stderr
    status = {
        d["file"]: d["status"]
        for d in map(json.loads, r.stdout.splitlines())
        if d["kind"] == "file"
    }
    assert status == {"partner-9.xlsx": "failed", "partner-3.csv": "processed"}


# --- long names ------------------------------------------------------------------------------

CJK = "\u6f22" * 76  # 228 bytes in UTF-8


def test_a_long_legal_name_is_processed_with_shortened_output_names(tmp_path: Path) -> None:
    inbox, maps, out = layout(tmp_path)
    name = f"partner-{CJK}.csv"
    assert len(name.encode()) == 240
    drop(inbox, name)
    result = run_inbox(inbox, maps, out, settle_seconds=0, workers=1)
    (res,) = result.files
    assert res.status == "processed", res.message
    assert res.outputs is not None
    for p in [res.outputs, *res.outputs.iterdir(), *(out / "archive").iterdir()]:
        assert len(p.name.encode()) <= NAME_MAX, p.name
    assert {n.name.split(".", 1)[1] for n in res.outputs.iterdir()} == OUTPUT_FILES
    # the same name again with other content: the archive's time-stamped name fits too
    drop(inbox, name, seed=5)
    (res,) = run_inbox(inbox, maps, out, settle_seconds=0, workers=1).files
    assert res.status == "processed", res.message
    archived = sorted(p.name for p in (out / "archive").iterdir())
    assert len(archived) == 2
    assert all(len(n.encode()) <= NAME_MAX for n in archived)


def test_a_long_name_that_fails_twice_fits_in_failed(tmp_path: Path) -> None:
    inbox, maps, out = layout(tmp_path)
    name = f"partner-{CJK}{'x' * 10}.csv"  # 250 bytes: name.error.txt passes 255
    for seed in (1, 2):
        drop(inbox, name, seed=seed)
        (res,) = run_inbox(inbox, maps, out, settle_seconds=0, processor=Fake(fail={name})).files
        assert (res.status, res.reason) == ("failed", "unreadable"), res.message
    names = files_in(out / "failed")
    assert len(names) == 4
    assert all(len(n.encode()) <= NAME_MAX for n in names)
    assert sum(n.endswith(".error.txt") for n in names) == 2


def test_shortened_names_are_stable_and_distinct() -> None:
    from leadkit.batch.files import fit_name

    long_a, long_b = "a" * 300 + "1", "a" * 300 + "2"
    assert fit_name("short.csv") == "short.csv"
    fa, fb = fit_name(long_a + ".csv"), fit_name(long_b + ".csv")
    assert fa != fb
    assert fa == fit_name(long_a + ".csv")
    assert fa.endswith(".csv")
    assert len(fa.encode()) <= 255 - 40
    cjk = fit_name(CJK * 2 + ".csv")  # cut on a character, never inside one
    cjk.encode("utf-8")
    assert len(cjk.encode()) <= 255 - 40


# --- folders ---------------------------------------------------------------------------------


@pytest.mark.parametrize("where", ["out", "out-inside", "archive-inside"])
def test_out_or_archive_inside_the_inbox_is_refused(tmp_path: Path, where: str) -> None:
    inbox, maps, out = layout(tmp_path)
    drop(inbox, "partner-1.csv")
    kw: dict[str, Any] = {"settle_seconds": 0, "processor": Fake()}
    if where == "out":
        out = inbox
    elif where == "out-inside":
        out = inbox / "out"
    else:
        kw["archive"] = inbox / "done"
    with pytest.raises(InputError, match="inside the inbox"):
        run_inbox(inbox, maps, out, **kw)
    assert files_in(inbox) == ["partner-1.csv"]


def test_stale_temp_files_of_dead_runs_are_removed_at_the_start(tmp_path: Path) -> None:
    inbox, maps, out = layout(tmp_path)
    run_inbox(inbox, maps, out, settle_seconds=0, processor=Fake())
    (out / "archive").mkdir()
    (out / "failed").mkdir()
    stale = [
        out / "archive" / ".partner-1.csv.0a1b2c3d.tmp",  # a cross-drive move, disk full
        out / "failed" / ".partner-2.csv.error.txt.k2_x9zq1.tmp",  # atomic_file's mkstemp name
        out / ".needs-mapping.txt.abcdefgh.tmp",
    ]
    kept = [
        out / "archive" / "notes.tmp",  # not a leadkit name
        out / "archive" / ".hidden.tmp",
        out / "archive" / ".other.csv.12345678.tmp.bak",
    ]
    for p in stale + kept:
        p.write_text("Email\njane@example.com\n")
    time.sleep(1.2)
    fresh = out / "archive" / ".partner-3.csv.deadbeef.tmp"  # a live run's copy: too young
    fresh.write_text("Email\n")
    events: list[batch.Event] = []
    run_inbox(
        inbox,
        maps,
        out,
        settle_seconds=0,
        processor=Fake(),
        lock_stale_seconds=1,
        log=events.append,
    )
    assert [p for p in stale if p.exists()] == []
    assert [p for p in [*kept, fresh] if not p.exists()] == []
    assert sum("temporary file" in e.message for e in events) == 3


# --- permissions -----------------------------------------------------------------------------


def modes(out: Path) -> dict[str, int]:
    return {
        str(p.relative_to(out)): stat.S_IMODE(p.stat().st_mode)
        for p in [
            out / "ledger.jsonl",
            *out.glob("partner-*/*"),
            *out.glob("partner-*"),
            *(out / "failed").iterdir(),
            out / "needs-mapping.txt",
        ]
    }


@pytest.mark.parametrize(
    ("mode", "inbox_mode", "file_mode"),
    [(0o660, 0o644, 0o660), (None, 0o640, 0o640), (None, 0o666, 0o644)],
)
def test_outputs_ledger_and_failures_take_the_mode(
    tmp_path: Path, mode: int | None, inbox_mode: int, file_mode: int
) -> None:
    old = os.umask(0o022)
    try:
        inbox, maps, out = layout(tmp_path)
        for seed, name in enumerate(("partner-1.csv", "partner-bad.csv", "nobody.csv")):
            os.chmod(drop(inbox, name, seed=seed), inbox_mode)
        os.chmod(inbox, inbox_mode | 0o111)  # the inbox folder: the run's own files' limit
        result = run_inbox(
            inbox, maps, out, settle_seconds=0, processor=Fake(fail={"partner-bad.csv"}), mode=mode
        )
    finally:
        os.umask(old)
    assert {f.status for f in result.files} == {"processed", "failed", "needs-mapping"}
    found = modes(out)
    dir_mode = file_mode | ((file_mode & 0o444) >> 2)
    expected = {k: dir_mode if (out / k).is_dir() else file_mode for k in found}
    expected["failed/partner-bad.csv"] = inbox_mode  # the original keeps its own
    assert found == expected


def test_the_crm_cache_takes_the_mode(tmp_path: Path) -> None:
    inbox, maps, out = layout(tmp_path)
    crm = tmp_path / "crm.csv"
    crm.write_text("Id,Email\n00Q1,ann@example.com\n")
    drop(inbox, "partner-1.csv")
    result = run_inbox(inbox, maps, out, existing=[crm], settle_seconds=0, mode=0o600, workers=1)
    assert [f.status for f in result.files] == ["processed"], result.files[0].message
    found = {p.name: stat.S_IMODE(p.stat().st_mode) for p in (out / ".leadkit" / "crm").iterdir()}
    assert found
    assert set(found.values()) == {0o600}
    assert stat.S_IMODE((out / ".leadkit").stat().st_mode) == 0o700


# --- clock skew, control characters -----------------------------------------------------------


def test_a_file_from_the_future_is_reported_not_left_waiting_silently(tmp_path: Path) -> None:
    inbox, maps, out = layout(tmp_path)
    path = drop(inbox, "partner-1.csv")
    os.utime(path, (time.time() + 3600, time.time() + 3600))
    (res,) = run_inbox(inbox, maps, out, settle_seconds=0, processor=Fake()).files
    assert (res.status, res.reason) == ("waiting", "clock-skew")
    assert res.attention
    assert "ahead" in res.message


def test_control_characters_in_names_never_reach_a_line(tmp_path: Path) -> None:
    inbox, maps, out = layout(tmp_path)
    evil = "partner-1\n2026-03-02T09:00:00+01:00 done: 0 processed\x1b[2J\x1b]0;x\x07.csv"
    drop(inbox, evil)
    drop(inbox, "nobody\r\nforged\tline.csv")
    log = tmp_path / "run.log"
    args = [str(inbox), "-m", str(maps), "-o", str(out), "--settle", "0", "--log", str(log)]
    r = subprocess.run([str(LEADKIT), "run", *args], capture_output=True, text=True, timeout=120)
    assert r.returncode == 1, r.stderr
    text = log.read_text()
    for where in (text, r.stderr, (out / "needs-mapping.txt").read_text()):
        assert not any(c in where for c in "\x1b\x07\r"), where
    assert text.count("\n") == 3, text  # processed, needs-mapping, done
    assert r.stderr.count("\n") == 3, r.stderr
    assert (out / "needs-mapping.txt").read_text().count("\n") == 3  # 2 comment lines, 1 file
    assert "partner-1\\n2026" in text
    (entry,) = ledger_lines(out)
    assert entry["file"] == evil  # the ledger keeps the true name (JSON escapes it)


# --- the CLI's one-line errors -----------------------------------------------------------------


def test_cli_bad_arguments_are_one_line_and_exit_2(tmp_path: Path) -> None:
    inbox, maps, out = layout(tmp_path)
    drop(inbox, "partner-1.csv")
    a_file = tmp_path / "a-file"
    a_file.write_text("x")
    base = [str(LEADKIT), "run", str(inbox), "-m", str(maps), "--settle", "0"]
    cases = {
        "log": [*base, "-o", str(out), "--log", str(tmp_path / "missing" / "run.log")],
        "out-file": [*base, "-o", str(a_file)],
        "out-inbox": [*base, "-o", str(inbox)],
        "archive-inbox": [*base, "-o", str(out), "--archive", str(inbox / "done")],
    }
    for what, cmd in cases.items():
        r = subprocess.run(cmd, capture_output=True, text=True, timeout=60)
        assert (r.returncode, r.stderr.count("\n")) == (2, 1), (what, r.stderr)
        assert "Traceback" not in r.stderr
    assert files_in(inbox) == ["partner-1.csv"]


@pytest.mark.parametrize(
    "field",
    ['"rows": "many"', '"counts": [1, 2]', '"reject_reasons": {"a": "b"}', '"ready": 5'],
)
def test_report_on_a_wrongly_typed_ledger_field_is_one_line_exit_2(
    tmp_path: Path, field: str
) -> None:
    ledger = tmp_path / "ledger.jsonl"
    good = '{"ledger": 1, "status": "processed", "sha256": "a", "file": "x.csv", "mapping": "m", "rows": 3, "counts": {"import": 3}}'
    bad = (
        '{"ledger": 1, "status": "processed", "sha256": "b", "file": "y.csv", "mapping": "m", '
        + field
        + "}"
    )
    ledger.write_text(good + "\n" + bad + "\n")
    r = subprocess.run(
        [str(LEADKIT), "report", str(ledger)], capture_output=True, text=True, timeout=60
    )
    assert (r.returncode, r.stderr.count("\n")) == (2, 1), r.stderr
    assert f"{ledger}:2:" in r.stderr


# --- kill -9 at random moments, many times ------------------------------------------------------


@pytest.mark.slow
def test_sigkill_loop_never_twice_never_lost(tmp_path: Path) -> None:
    """`leadkit run` killed at random moments KILLS times (default 50), files dropped between
    the kills, a hostile workbook among them; after each kill: no content recorded twice, no
    output folder incomplete under its final name, every content in the inbox, the archive or
    failed/. Then a clean run finishes the work."""
    kills = int(os.environ.get("KILLS", "50"))
    rng = random.Random(13)
    inbox, maps, out = tmp_path / "inbox", tmp_path / "mappings", tmp_path / "out"
    simple_mapping(maps, "partner", ["partner-*.csv", "partner-*.xlsx"])
    inbox.mkdir()
    huge_workbook(inbox / "partner-huge.xlsx")
    shas: set[str] = set()
    args = [str(inbox), "-m", str(maps), "-o", str(out), "--settle", "0", "-q", "--workers", "2"]
    stats = {"kills": 0, "exited": 0}
    for k in range(kills):
        for j in range(rng.randint(0, 2)):
            shas.add(sha256_file(drop(inbox, f"partner-{k}-{j}.csv", rows=50, seed=k * 10 + j)))
        r = leadkit_run(args)
        try:
            r.wait(timeout=rng.uniform(0.2, 3.0))
            stats["exited"] += 1
        except subprocess.TimeoutExpired:
            r.send_signal(signal.SIGKILL)
            stats["kills"] += 1
        r.communicate(timeout=60)
        time.sleep(0.6)  # the orphaned workers notice and stop
        check_no_twice_no_loss(out, inbox, shas)
    r = leadkit_run(args)
    r.communicate(timeout=300)
    assert r.returncode in (0, 1)
    assert files_in(inbox) == []
    processed = ledger_lines(out)
    assert sorted(e["sha256"] for e in processed) == sorted(shas)
    assert files_in(out / "failed")[:1] == ["partner-huge.xlsx"]
    print(  # noqa: T201 - the figures for the report (pytest -s)
        f"\nkill loop: {stats['kills']} kills, {stats['exited']} runs ended by themselves, "
        f"{len(shas)} files, each recorded once"
    )
    assert stats["kills"] >= kills // 2


def check_no_twice_no_loss(out: Path, inbox: Path, shas: set[str]) -> None:
    if not out.is_dir():
        assert shas <= {sha256_file(p) for p in inbox.iterdir()}, "a file lost"
        return
    processed = [e["sha256"] for e in ledger_lines(out)]
    assert len(processed) == len(set(processed)), "a content recorded twice"
    for folder in (p for p in out.iterdir() if p.is_dir() and p.name.startswith("partner-")):
        names = {n.name.split(".", 1)[1] for n in folder.iterdir()}
        assert names == OUTPUT_FILES, f"{folder.name}: incomplete under its final name"
    where = {
        sha256_file(p)
        for d in (inbox, out / "archive", out / "failed")
        for p in (d.iterdir() if d.is_dir() else [])
        if p.is_file() and not p.name.endswith(".txt")
    }
    assert shas <= where, "a file lost"
