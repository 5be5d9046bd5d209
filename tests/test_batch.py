"""`leadkit run`: every dropped file processed exactly once, nothing lost, whatever happens.

Two groups. The first drives `run_inbox` with a fake processor (fast, deterministic): routing,
settling, locks, the ledger, failures, and a run killed at every step. The second runs the
real thing, `leadkit run` as processes on files from make_leads.py: two runs at once, SIGKILL
at random moments and in the middle of writing, re-drops, exit codes, `--json`, `report`.
"""

from __future__ import annotations

import csv
import json
import os
import random
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from leadkit import batch
from leadkit.batch import FileLock, run_inbox, sha256_file
from leadkit.errors import InputError
from leadkit.ledger import Ledger, LedgerEntry, read_ledger, scorecard

ROOT = Path(__file__).parent.parent
LEADKIT = Path(sys.executable).parent / "leadkit"
OUTPUT_FILES = {
    "import.csv",
    "updates.csv",
    "review.csv",
    "duplicates.csv",
    "rejects.csv",
    "report.json",
}


# --- helpers --------------------------------------------------------------------------------


def simple_mapping(
    folder: Path, name: str, match: str | list[str] | None, target: str = "generic"
) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name}.yaml"
    glob = "" if match is None else f"match: {json.dumps(match)}\n"
    path.write_text(f"target: {target}\nname: {name}\n{glob}columns:\n  email: Email\n")
    return path


def drop(inbox: Path, name: str, rows: int = 3, seed: int = 0) -> Path:
    inbox.mkdir(parents=True, exist_ok=True)
    path = inbox / name
    lines = ["Email"] + [f"p{seed}-{i}@example.com" for i in range(rows)]
    path.write_text("\n".join(lines) + "\n")
    return path


class Fake:
    """Writes what `normalize` writes (empty-ish files and a report) and remembers its calls."""

    def __init__(self, fail: set[str] = frozenset(), error: Exception | None = None) -> None:  # type: ignore[assignment]
        self.calls: list[str] = []
        self.fail = fail
        self.error = error or InputError("unreadable: no header row")

    def __call__(self, path: Path, mapping: Any, out: Path) -> dict[str, Any]:
        self.calls.append(path.name)
        if path.name in self.fail:
            raise self.error
        return fake_outputs(path, out, mapping.name)


def fake_outputs(path: Path, out: Path, mapping: str) -> dict[str, Any]:
    rows = len(path.read_text().splitlines()) - 1
    for kind in ("import", "updates", "review", "duplicates", "rejects"):
        (out / f"{path.stem}.{kind}.csv").write_text("Email\n")
    report = {
        "rows": rows,
        "counts": {
            "import": rows - 1,
            "updates": 0,
            "review": 0,
            "duplicates": 0,
            "rejects": 1,
            "blank": 0,
        },
        "reject_reasons": {"email:email_invalid": 1},
        "limits": {"exceeded": False},
        "mapping": {"name": mapping, "target": "generic"},
        "input": {"sha256": sha256_file(path)},
    }
    (out / f"{path.stem}.report.json").write_text(json.dumps(report))
    return report


def layout(tmp: Path) -> tuple[Path, Path, Path]:
    inbox, maps, out = tmp / "inbox", tmp / "mappings", tmp / "out"
    inbox.mkdir()
    simple_mapping(maps, "partner", "partner*.csv")
    return inbox, maps, out


def files_in(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.is_file()) if folder.is_dir() else []


def ledger_lines(out: Path, status: str = "processed") -> list[dict[str, Any]]:
    if not (out / "ledger.jsonl").exists():
        return []
    return [e for e in read_ledger(out)[0] if e["status"] == status]


def assert_exactly_once(
    out: Path, inbox: Path, shas: set[str], archive: Path | None = None
) -> None:
    """Each content processed once: one ledger line, one complete output folder, archived;
    nothing left in the inbox, no staging leftovers, no locks."""
    processed = ledger_lines(out)
    assert sorted(e["sha256"] for e in processed) == sorted(shas), "one ledger line per file"
    for e in processed:
        folders = [
            p for p in out.iterdir() if p.is_dir() and p.name.endswith("-" + e["sha256"][:12])
        ]
        assert [f.name for f in folders] == [e["outputs"]], "one output folder per file"
        names = files_in(folders[0])
        assert {n.split(".", 1)[1] for n in names} == OUTPUT_FILES, names
        assert not any(n.startswith(".") for n in names), "no temporary file"
    assert files_in(inbox) == []
    archived = [sha256_file(p) for p in (archive or out / "archive").iterdir()]
    assert sorted(archived) == sorted(shas), "every original archived, once"
    assert list((out / ".leadkit" / "staging").iterdir()) == []
    assert list((out / ".leadkit" / "locks").iterdir()) == []


def dead_pid() -> int:
    p = subprocess.Popen([sys.executable, "-c", "pass"])
    p.wait()
    return p.pid


# --- the run, with a fake processor -----------------------------------------------------------


def test_each_file_processed_once_outputs_ledger_archive(tmp_path: Path) -> None:
    inbox, maps, out = layout(tmp_path)
    shas = {sha256_file(drop(inbox, f"partner-{i}.csv", seed=i)) for i in range(3)}
    fake = Fake()
    events: list[batch.Event] = []
    result = run_inbox(inbox, maps, out, settle_seconds=0, processor=fake, log=events.append)
    assert [f.status for f in result.files] == ["processed"] * 3
    assert result.exit_code == 0
    assert_exactly_once(out, inbox, shas)
    entry = ledger_lines(out)[0]
    assert entry["mapping"] == "partner"
    assert entry["counts"]["rejects"] == 1
    assert entry["arrived"] <= entry["started"] <= entry["ready"]
    assert len(entry["mapping_sha256"]) == 64
    assert entry["outputs"].startswith("partner-")
    # the events carry each result, and the JSON line is the result's own dict
    done = [e.file for e in events if e.kind == "file"]
    assert done == result.files
    assert done[0] is not None
    assert json.loads(json.dumps(done[0].to_dict()))["outputs"] == str(out / entry["outputs"])
    # nothing new: a second run does nothing
    again = run_inbox(inbox, maps, out, settle_seconds=0, processor=fake)
    assert again.files == []
    assert again.exit_code == 0
    assert len(fake.calls) == 3


def test_redropped_file_does_nothing_even_renamed(tmp_path: Path) -> None:
    inbox, maps, out = layout(tmp_path)
    src = drop(inbox, "partner-a.csv")
    original = src.read_bytes()
    fake = Fake()
    run_inbox(inbox, maps, out, settle_seconds=0, processor=fake)
    (inbox / "partner-a.csv").write_bytes(original)  # the same file again
    (inbox / "partner-copy.csv").write_bytes(original)  # a copy under another name
    result = run_inbox(inbox, maps, out, settle_seconds=0, processor=fake)
    assert {(f.file, f.status, f.reason) for f in result.files} == {
        ("partner-a.csv", "skipped", "already-processed"),
        ("partner-copy.csv", "skipped", "already-processed"),
    }
    assert fake.calls == ["partner-a.csv"]
    assert len(ledger_lines(out)) == 1
    assert files_in(inbox) == []
    assert len(files_in(out / "archive")) == 3  # the re-drops are archived under free names
    assert len([p for p in out.iterdir() if p.is_dir() and p.name.startswith("partner")]) == 1
    assert result.exit_code == 0


def test_a_failing_file_goes_to_failed_and_the_run_goes_on(tmp_path: Path) -> None:
    inbox, maps, out = layout(tmp_path)
    for name in ("partner-1.csv", "partner-bad.csv", "partner-3.csv"):
        drop(inbox, name, seed=hash(name) % 1000)
    fake = Fake(fail={"partner-bad.csv"})
    result = run_inbox(inbox, maps, out, settle_seconds=0, processor=fake)
    status = {f.file: (f.status, f.reason) for f in result.files}
    assert status == {
        "partner-1.csv": ("processed", None),
        "partner-bad.csv": ("failed", "unreadable"),
        "partner-3.csv": ("processed", None),
    }
    assert result.exit_code == 1
    assert files_in(out / "failed") == ["partner-bad.csv", "partner-bad.csv.error.txt"]
    assert (
        out / "failed" / "partner-bad.csv.error.txt"
    ).read_text() == "unreadable: no header row\n"
    (failed,) = ledger_lines(out, "failed")
    assert failed["error"] == "unreadable"
    assert failed["file"] == "partner-bad.csv"
    # a failure is not "processed": the same content dropped again (once fixed) is processed
    shutil.copy(out / "failed" / "partner-bad.csv", inbox / "partner-bad.csv")
    again = run_inbox(inbox, maps, out, settle_seconds=0, processor=Fake())
    assert [(f.file, f.status) for f in again.files] == [("partner-bad.csv", "processed")]


def test_an_unexpected_error_fails_the_file_without_row_values_in_the_message(
    tmp_path: Path,
) -> None:
    inbox, maps, out = layout(tmp_path)
    drop(inbox, "partner-x.csv")
    fake = Fake(fail={"partner-x.csv"}, error=ValueError("could not parse 'jane@example.com'"))
    (res,) = run_inbox(inbox, maps, out, settle_seconds=0, processor=fake).files
    assert (res.status, res.reason) == ("failed", "internal-error")
    assert "jane" not in res.message
    assert "jane" not in batch.describe(res)
    assert "jane@example.com" in (out / "failed" / "partner-x.csv.error.txt").read_text()


def test_a_file_still_being_written_waits(tmp_path: Path) -> None:
    inbox, maps, out = layout(tmp_path)
    drop(inbox, "partner-new.csv")
    fake = Fake()
    (res,) = run_inbox(inbox, maps, out, settle_seconds=30, processor=fake).files
    assert (res.status, res.reason) == ("waiting", "settling")
    assert fake.calls == []
    assert files_in(inbox) == ["partner-new.csv"]
    time.sleep(0.3)
    (res,) = run_inbox(inbox, maps, out, settle_seconds=0.2, processor=fake).files
    assert res.status == "processed"


def test_an_old_modification_time_does_not_hide_a_fresh_copy(tmp_path: Path) -> None:
    """A copy that keeps the source's old mtime still counts as just changed (ctime)."""
    inbox, maps, out = layout(tmp_path)
    path = drop(inbox, "partner-kept-mtime.csv")
    os.utime(path, (time.time() - 86400, time.time() - 86400))
    (res,) = run_inbox(inbox, maps, out, settle_seconds=30, processor=Fake()).files
    assert (res.status, res.reason) == ("waiting", "settling")


def test_hidden_temporary_and_office_lock_files_are_ignored(tmp_path: Path) -> None:
    inbox, maps, out = layout(tmp_path)
    for name in (
        ".partner-1.csv",
        "~$partner.xlsx",
        "partner-2.csv.part",
        "partner-3.csv.crdownload",
    ):
        (inbox / name).write_text("x")
    (inbox / "sub").mkdir()
    assert run_inbox(inbox, maps, out, settle_seconds=0, processor=Fake()).files == []


def test_unmatched_and_ambiguous_files_need_a_mapping(tmp_path: Path) -> None:
    inbox, maps, out = layout(tmp_path)
    simple_mapping(maps, "webinar", ["*webinar*", "*zoom*"])
    simple_mapping(maps, "nomatch", None)  # no match: glob, never routed to
    drop(inbox, "Trade Show Scans.CSV")
    drop(inbox, "partner-webinar.csv", seed=1)
    drop(inbox, "ZOOM-export.csv", seed=2)
    result = run_inbox(inbox, maps, out, settle_seconds=0, processor=Fake())
    by = {f.file: f for f in result.files}
    assert (by["Trade Show Scans.CSV"].status, by["Trade Show Scans.CSV"].reason) == (
        "needs-mapping",
        "unmatched",
    )
    assert by["Trade Show Scans.CSV"].command == (
        f"leadkit mapping init '{inbox / 'Trade Show Scans.CSV'}' -o {maps / 'trade-show-scans.yaml'}"
    )
    assert (by["partner-webinar.csv"].status, by["partner-webinar.csv"].reason) == (
        "needs-mapping",
        "ambiguous",
    )
    assert "partner" in by["partner-webinar.csv"].message
    assert "webinar" in by["partner-webinar.csv"].message
    assert by["ZOOM-export.csv"].status == "processed"  # globs match whatever the case
    assert result.exit_code == 1
    listed = (out / "needs-mapping.txt").read_text()
    assert "Trade Show Scans.CSV\tunmatched\tleadkit mapping init" in listed
    assert "partner-webinar.csv\tambiguous" in listed
    assert files_in(inbox) == ["Trade Show Scans.CSV", "partner-webinar.csv"]
    assert all(f.new for f in result.by_status("needs-mapping"))
    # the next run lists them again, no longer new (--quiet stays silent about them)
    again = run_inbox(inbox, maps, out, settle_seconds=0, processor=Fake())
    assert [f.new for f in again.by_status("needs-mapping")] == [False, False]
    # once every file has a home, the list is gone
    for name in files_in(inbox):
        (inbox / name).unlink()
    run_inbox(inbox, maps, out, settle_seconds=0, processor=Fake())
    assert not (out / "needs-mapping.txt").exists()


def test_a_mapping_that_does_not_load_is_reported_once_and_its_files_wait(tmp_path: Path) -> None:
    inbox, maps, out = layout(tmp_path)
    (maps / "broken.yaml").write_text(
        'target: generic\nmatch: "broken-*.csv"\ncolumns:\n  emial: Email\n'
    )
    (maps / "garbage.yml").write_text("columns: [unclosed\n")
    drop(inbox, "broken-1.csv")
    drop(inbox, "broken-2.csv", seed=1)
    drop(inbox, "partner-1.csv", seed=2)
    events: list[batch.Event] = []
    result = run_inbox(inbox, maps, out, settle_seconds=0, processor=Fake(), log=events.append)
    assert sorted(p.path.name for p in result.mapping_problems) == ["broken.yaml", "garbage.yml"]
    assert len([e for e in events if e.kind == "mapping"]) == 2
    assert "emial" in next(
        p.message for p in result.mapping_problems if p.path.name == "broken.yaml"
    )
    status = {f.file: (f.status, f.reason) for f in result.files}
    assert status == {
        "broken-1.csv": ("needs-mapping", "mapping-error"),
        "broken-2.csv": ("needs-mapping", "mapping-error"),
        "partner-1.csv": ("processed", None),
    }
    assert files_in(inbox) == ["broken-1.csv", "broken-2.csv"]
    assert result.exit_code == 1


def test_run_cannot_start_without_inbox_or_mappings(tmp_path: Path) -> None:
    inbox, maps, out = layout(tmp_path)
    with pytest.raises(InputError, match="inbox not found"):
        run_inbox(tmp_path / "nope", maps, out, processor=Fake())
    with pytest.raises(InputError, match="mappings folder not found"):
        run_inbox(inbox, tmp_path / "nope", out, processor=Fake())
    with pytest.raises(InputError, match="CRM export not found"):
        run_inbox(inbox, maps, out, existing=[tmp_path / "crm.csv"], processor=Fake())


def test_a_crm_export_problem_stops_the_run_and_leaves_the_file(tmp_path: Path) -> None:
    inbox, maps, out = layout(tmp_path)
    drop(inbox, "partner-1.csv")

    def crm_broken(path: Path, mapping: Any, out_dir: Path) -> dict[str, Any]:
        raise batch.RunStopped("CRM export: no id column")

    with pytest.raises(batch.RunStopped):
        run_inbox(inbox, maps, out, settle_seconds=0, processor=crm_broken)
    assert files_in(inbox) == ["partner-1.csv"]
    assert list((out / ".leadkit" / "locks").iterdir()) == []
    assert list((out / ".leadkit" / "staging").iterdir()) == []


# --- locks ----------------------------------------------------------------------------------


def write_lock(path: Path, host: str, pid: int, age: float = 0) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"host": host, "pid": pid, "time": "x", "token": "t0"}))
    if age:
        os.utime(path, (time.time() - age, time.time() - age))


@pytest.mark.parametrize(
    ("host", "pid", "age", "taken"),
    [
        pytest.param(socket.gethostname(), None, 0, True, id="owner-process-gone"),
        pytest.param("other-host", 4242, 700, True, id="other-host-untouched-too-long"),
        pytest.param("other-host", 4242, 10, False, id="other-host-fresh"),
        pytest.param(socket.gethostname(), os.getppid(), 10, False, id="live-owner-here"),
    ],
)
def test_stale_locks_are_taken_over_live_ones_respected(
    tmp_path: Path, host: str, pid: int | None, age: float, taken: bool
) -> None:
    inbox, maps, out = layout(tmp_path)
    sha = sha256_file(drop(inbox, "partner-1.csv"))
    lock = out / ".leadkit" / "locks" / f"{sha}.lock"
    write_lock(lock, host, pid or dead_pid(), age)
    events: list[batch.Event] = []
    (res,) = run_inbox(
        inbox,
        maps,
        out,
        settle_seconds=0,
        lock_stale_seconds=600,
        processor=Fake(),
        log=events.append,
    ).files
    if taken:
        assert res.status == "processed"
        assert any("took over a stale lock" in e.message for e in events if e.kind == "note")
        assert not lock.exists()
    else:
        assert (res.status, res.reason) == ("waiting", "locked")
        assert json.loads(lock.read_text())["token"] == "t0"
        assert files_in(inbox) == ["partner-1.csv"]


def test_filelock_is_exclusive_refreshed_and_released(tmp_path: Path) -> None:
    path = tmp_path / "x.lock"
    a, b = FileLock(path, stale_seconds=0.4), FileLock(path, stale_seconds=0.4)
    assert a.acquire()
    assert a.held()
    assert not b.acquire()
    os.utime(path, (0, 0))
    time.sleep(0.3)  # the heartbeat touches it: not stale although it was made to look old
    assert time.time() - path.stat().st_mtime < 0.4
    assert not b.acquire()
    a.release()
    assert not path.exists()
    assert b.acquire()
    b.release()


def test_a_lock_taken_over_is_not_removed_by_its_old_owner(tmp_path: Path) -> None:
    path = tmp_path / "x.lock"
    old = FileLock(path, stale_seconds=600, heartbeat=False)
    assert old.acquire()
    os.utime(path, (time.time() - 700, time.time() - 700))
    data = json.loads(path.read_text())
    path.write_text(json.dumps(data | {"host": "other-host"}))  # looks like a dead remote owner
    os.utime(path, (time.time() - 700, time.time() - 700))
    new = FileLock(path, stale_seconds=600)
    assert new.acquire()
    assert not old.held()
    old.release()
    assert new.held()
    new.release()


# --- the ledger -----------------------------------------------------------------------------


def test_ledger_ignores_a_line_cut_short_and_appends_after_it(tmp_path: Path) -> None:
    path = tmp_path / "ledger.jsonl"
    ledger = Ledger(path)
    ledger.append(LedgerEntry("processed", "a", "a.csv"))
    with path.open("ab") as fh:
        fh.write(b'{"ledger": 1, "status": "processed", "sha256": "b", "fi')  # killed mid-write
    ledger.refresh()
    assert ledger.processed("a")
    assert not ledger.processed("b")
    ledger.append(LedgerEntry("processed", "c", "c.csv"))
    ledger.refresh()
    assert ledger.processed("c")
    assert not ledger.processed("b")
    assert len(ledger) == 2
    entries, bad = read_ledger(path)
    assert [e["sha256"] for e in entries] == ["a", "c"]
    assert bad == 1


def test_ledger_lines_keep_their_keys_in_the_documented_order(tmp_path: Path) -> None:
    processed = LedgerEntry(
        "processed",
        "ab",
        "w.csv",
        mapping="zoom",
        mapping_file="zoom.yaml",
        mapping_sha256="cd",
        arrived="A",
        started="S",
        size=3,
        target="salesforce",
        ready="R",
        rows=2,
        counts={"import": 2},
        outputs="w-ab",
        host="h",
        pid=7,
        leadkit_version="0.1.0",
    )
    failed = LedgerEntry(
        "failed",
        None,
        "x.csv",
        mapping="zoom",
        mapping_sha256="cd",
        arrived="A",
        started="S",
        failed="F",
        error="unreadable",
        message="cannot read the file (Permission denied)",
        moved_to="failed/x.csv",
        host="h",
        pid=7,
        leadkit_version="0.1.0",
    )
    path = tmp_path / "ledger.jsonl"
    ledger = Ledger(path)
    ledger.append(processed)
    ledger.append(failed)
    assert path.read_text("utf-8").splitlines() == [
        '{"ledger":1,"status":"processed","sha256":"ab","file":"w.csv","size":3,'
        '"mapping":"zoom","mapping_file":"zoom.yaml","mapping_sha256":"cd",'
        '"target":"salesforce","arrived":"A","started":"S","ready":"R","rows":2,'
        '"counts":{"import":2},"reject_reasons":{},"limit_exceeded":false,"outputs":"w-ab",'
        '"host":"h","pid":7,"leadkit_version":"0.1.0"}',
        '{"ledger":1,"status":"failed","sha256":null,"file":"x.csv","mapping":"zoom",'
        '"mapping_file":null,"mapping_sha256":"cd","arrived":"A","started":"S","failed":"F",'
        '"error":"unreadable","message":"cannot read the file (Permission denied)",'
        '"moved_to":"failed/x.csv","host":"h","pid":7,"leadkit_version":"0.1.0"}',
    ]
    ledger.refresh()
    assert ledger.processed("ab") == processed  # read back as written


def test_scorecard_per_mapping() -> None:
    def entry(
        mapping: str, rows: int, counts: dict[str, int], wait: int, reasons: dict[str, int]
    ) -> dict[str, Any]:
        return {
            "ledger": 1,
            "status": "processed",
            "mapping": mapping,
            "rows": rows,
            "counts": counts,
            "reject_reasons": reasons,
            "arrived": "2026-03-02T09:00:00+00:00",
            "started": f"2026-03-02T09:00:{wait - 1:02d}+00:00",
            "ready": f"2026-03-02T09:00:{wait:02d}+00:00",
        }

    entries = [
        entry(
            "zoom",
            100,
            {"import": 70, "updates": 10, "review": 5, "duplicates": 5, "rejects": 10},
            30,
            {"email:email_invalid": 6, "last_name:required_missing": 4},
        ),
        entry(
            "zoom",
            100,
            {"import": 80, "updates": 10, "review": 0, "duplicates": 0, "rejects": 10},
            50,
            {"email:email_invalid": 10},
        ),
        entry("zoom", 200, {"import": 200}, 40, {}),
        entry("badge", 10, {"import": 5, "rejects": 5}, 20, {"email:email_invalid": 5}),
        {"ledger": 1, "status": "failed", "mapping": "badge", "error": "unreadable"},
    ]
    card = scorecard(entries)
    zoom, badge = card["partners"][1], card["partners"][0]
    assert (zoom["mapping"], zoom["files"], zoom["rows"]) == ("zoom", 3, 400)
    assert zoom["rates"] == {
        "accept": 0.925,
        "import": 0.875,
        "update": 0.05,
        "review": 0.0125,
        "duplicate": 0.0125,
        "reject": 0.05,
    }
    assert zoom["top_reject_reasons"] == {
        "email:email_invalid": 16,
        "last_name:required_missing": 4,
    }
    assert zoom["median_seconds_to_ready"] == 40.0
    assert zoom["median_seconds_processing"] == 1.0
    assert (badge["files"], badge["failed_files"], badge["rates"]["reject"]) == (1, 1, 0.5)
    assert card["total"]["files"] == 4
    assert card["total"]["rows"] == 410


# --- killed and overlapping runs, with the fake processor, as processes ---------------------------

CHILD = r"""
import json, os, sys, time
from pathlib import Path
sys.path.insert(0, os.environ["TESTS_DIR"])
import leadkit.batch.run as b
from test_batch import fake_outputs

args = json.loads(sys.argv[1])
kill_at = args.get("kill_at")

def checkpoint(step):
    if step == kill_at:
        os.kill(os.getpid(), 9)

b._checkpoint = checkpoint

def process(path, mapping, out):
    if kill_at == "writing":
        (out / f"{path.stem}.import.csv").write_text("half")
        os.kill(os.getpid(), 9)
    time.sleep(args.get("delay", 0))
    return fake_outputs(path, out, mapping.name)

result = b.run_inbox(args["inbox"], args["maps"], args["out"], settle_seconds=0, processor=process)
print(json.dumps([f.to_dict() for f in result.files]))
"""


def child(inbox: Path, maps: Path, out: Path, **kw: Any) -> subprocess.Popen[str]:
    arg = json.dumps({"inbox": str(inbox), "maps": str(maps), "out": str(out), **kw})
    env = {**os.environ, "TESTS_DIR": str(Path(__file__).parent)}
    return subprocess.Popen(
        [sys.executable, "-c", CHILD, arg],
        env=env,
        text=True,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )


@pytest.mark.subprocess
@pytest.mark.parametrize(
    "step", ["locked", "writing", "staged", "published", "recorded", "archived"]
)
def test_a_run_killed_at_any_step_is_completed_by_the_next(tmp_path: Path, step: str) -> None:
    inbox, maps, out = layout(tmp_path)
    shas = {sha256_file(drop(inbox, f"partner-{i}.csv", seed=i)) for i in range(2)}
    killed = child(inbox, maps, out, kill_at=step)
    killed.communicate(timeout=60)
    assert killed.returncode == -signal.SIGKILL
    assert len(files_in(inbox)) >= 1, "the file being worked on is still in the inbox (or recorded)"
    rerun = child(inbox, maps, out)
    stdout, stderr = rerun.communicate(timeout=60)
    assert rerun.returncode == 0, stderr
    statuses = sorted(f["status"] for f in json.loads(stdout))
    # killed before its ledger line: done again; after it: only archived; after the move: done
    expected = {"recorded": ["processed", "skipped"], "archived": ["processed"]}.get(
        step, ["processed", "processed"]
    )
    assert statuses == expected
    assert_exactly_once(out, inbox, shas)


@pytest.mark.subprocess
def test_overlapping_runs_process_each_file_once(tmp_path: Path) -> None:
    inbox, maps, out = layout(tmp_path)
    shas = {sha256_file(drop(inbox, f"partner-{i}.csv", seed=i)) for i in range(8)}
    runs = [child(inbox, maps, out, delay=0.05) for _ in range(3)]
    done = []
    for r in runs:
        stdout, stderr = r.communicate(timeout=60)
        assert r.returncode == 0, stderr
        done += [f for f in json.loads(stdout) if f["status"] == "processed"]
    assert sorted(f["sha256"] for f in done) == sorted(shas)
    assert_exactly_once(out, inbox, shas)


# --- the real thing: `leadkit run` processes on generated partner files ------------------------


def pipeline_ready() -> None:
    try:
        import leadkit.pipeline  # noqa: F401
    except ImportError as e:  # pragma: no cover - only while the pipeline is being built
        pytest.skip(f"the pipeline does not import yet: {e}")


@pytest.fixture
def real(bench_data: Callable[..., Path], tmp_path: Path) -> dict[str, Any]:
    """An inbox of 6 partner files (slices of a make_leads.py file), its mapping with a
    `match:` glob, and the CRM export."""
    pipeline_ready()
    data = bench_data(200, 100)
    inbox, maps, out = tmp_path / "inbox", tmp_path / "mappings", tmp_path / "out"
    inbox.mkdir()
    maps.mkdir()
    (maps / "partner.yaml").write_text(
        'name: partner\nmatch: "partner-*.csv"\n' + (data / "mapping.yaml").read_text()
    )
    with (data / "partner.csv").open(newline="", encoding="utf-8") as fh:
        header, *rows = list(csv.reader(fh))
    for i in range(6):
        with (inbox / f"partner-{i}.csv").open("w", newline="", encoding="utf-8") as fh:
            w = csv.writer(fh, lineterminator="\r\n")
            w.writerow(header)
            w.writerows(rows[i * 30 : (i + 1) * 30])
    shas = {sha256_file(p) for p in inbox.iterdir()}
    crm = shutil.copy(data / "crm_export.csv", tmp_path / "crm_export.csv")
    args = [
        str(inbox),
        "--mappings",
        str(maps),
        "-e",
        str(crm),
        "--out",
        str(out),
        "--settle",
        "0",
        "--json",
        "-q",
    ]
    return {
        "inbox": inbox,
        "maps": maps,
        "out": out,
        "shas": shas,
        "args": args,
        "data": data,
        "crm": Path(crm),
    }


def leadkit_run(args: list[str], **kw: Any) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [str(LEADKIT), "run", *args],
        text=True,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        **kw,
    )


def json_lines(stdout: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in stdout.splitlines() if line.strip()]


@pytest.mark.subprocess
def test_two_leadkit_runs_at_once_process_each_file_exactly_once(real: dict[str, Any]) -> None:
    runs = [leadkit_run(real["args"]) for _ in range(2)]
    processed = []
    for r in runs:
        stdout, stderr = r.communicate(timeout=120)
        assert r.returncode == 0, stderr
        processed += [d for d in json_lines(stdout) if d.get("status") == "processed"]
    assert sorted(d["sha256"] for d in processed) == sorted(real["shas"])
    assert_exactly_once(real["out"], real["inbox"], real["shas"])
    # every output folder holds what `normalize` writes, with the counts the ledger recorded
    for e in ledger_lines(real["out"]):
        stem = e["file"].removesuffix(".csv")
        report = json.loads((real["out"] / e["outputs"] / f"{stem}.report.json").read_text())
        assert report["counts"] == e["counts"]
        assert report["input"]["sha256"] == e["sha256"]


@pytest.mark.subprocess
def test_sigkill_at_random_moments_then_a_clean_rerun(real: dict[str, Any]) -> None:
    rng = random.Random(6)
    for _ in range(3):
        r = leadkit_run(real["args"])
        time.sleep(rng.uniform(0.3, 2.5))
        r.send_signal(signal.SIGKILL)
        r.communicate(timeout=60)
    r = leadkit_run(real["args"])
    _, stderr = r.communicate(timeout=120)
    assert r.returncode == 0, stderr
    assert_exactly_once(real["out"], real["inbox"], real["shas"])


KILL_WHILE_WRITING = r"""
import os
from contextlib import contextmanager
import leadkit.write as w

original, opened = w.atomic_file, []

@contextmanager
def killing(path, mode):
    with original(path, mode) as fh:
        opened.append(path)
        if len(opened) == 3:  # the third output file, half written: kill the run, then this
            fh.write(b"half" if "b" in mode else "half")
            fh.flush()
            os.kill(os.getppid(), 9)
            os.kill(os.getpid(), 9)
        yield fh

w.atomic_file = killing
"""


@pytest.mark.subprocess
def test_sigkill_in_the_middle_of_writing_leaves_no_half_output(
    real: dict[str, Any], tmp_path: Path
) -> None:
    """The run killed while its worker process writes the outputs (the patch is loaded as
    `sitecustomize` by every process of the run, the spawned worker included)."""
    out, inbox = real["out"], real["inbox"]
    site = tmp_path / "site"
    site.mkdir()
    (site / "sitecustomize.py").write_text(KILL_WHILE_WRITING)
    r = subprocess.run(
        [str(LEADKIT), "run", *real["args"], "--workers", "1"],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "PYTHONPATH": str(site)},
    )
    assert r.returncode == -signal.SIGKILL
    assert len(files_in(inbox)) == 6, "nothing left the inbox"
    assert not (out / "ledger.jsonl").exists() or ledger_lines(out) == []
    assert [p for p in out.iterdir() if p.is_dir() and p.name.startswith("partner")] == []
    r2 = leadkit_run(real["args"])
    _, stderr = r2.communicate(timeout=120)
    assert r2.returncode == 0, stderr
    assert_exactly_once(out, inbox, real["shas"])


@pytest.mark.subprocess
def test_cli_json_exit_codes_and_report(real: dict[str, Any]) -> None:
    inbox, out, args = real["inbox"], real["out"], real["args"]
    (inbox / "partner-broken.csv").write_bytes(
        b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256))
    )
    (inbox / "mystery.csv").write_text("a,b\n1,2\n")
    r = subprocess.run([str(LEADKIT), "run", *args], capture_output=True, text=True, timeout=120)
    assert r.returncode == 1, r.stderr
    lines = json_lines(r.stdout)
    files = {d["file"]: d for d in lines if d["kind"] == "file"}
    assert files["partner-broken.csv"]["status"] == "failed"
    assert files["mystery.csv"]["status"] == "needs-mapping"
    assert sum(d["status"] == "processed" for d in files.values()) == 6
    assert lines[-1]["kind"] == "run"
    assert lines[-1]["exit_code"] == 1
    assert lines[-1]["totals"] == {"processed": 6, "failed": 1, "needs-mapping": 1}
    # --quiet: only what a person must act on, and no colour codes when not a terminal
    assert "partner-broken.csv" in r.stderr
    assert "mystery.csv" in r.stderr
    assert "partner-0.csv" not in r.stderr
    assert "\x1b[" not in r.stderr
    # the processed lines hold the ledger's numbers
    for e in ledger_lines(out):
        assert files[e["file"]]["counts"] == e["counts"]
        assert files[e["file"]]["outputs"] == str(out / e["outputs"])
    # a second run: the mapping-less file is not news any more (--quiet says nothing), but a
    # person must still act (exit 1); once it is gone, all is well
    r = subprocess.run([str(LEADKIT), "run", *args], capture_output=True, text=True, timeout=120)
    assert (r.returncode, r.stderr) == (1, "")
    assert [d["new"] for d in json_lines(r.stdout) if d.get("status") == "needs-mapping"] == [False]
    (inbox / "mystery.csv").unlink()
    r = subprocess.run([str(LEADKIT), "run", *args], capture_output=True, text=True, timeout=120)
    assert (r.returncode, r.stderr) == (0, "")
    # cannot run: exit 2, one line
    r = subprocess.run(
        [str(LEADKIT), "run", str(inbox / "nope"), *args[1:]],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert r.returncode == 2
    assert r.stderr.count("\n") == 1
    assert "inbox not found" in r.stderr
    # report --json is the library's scorecard of the ledger
    r = subprocess.run(
        [str(LEADKIT), "report", str(out / "ledger.jsonl"), "--json"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert r.returncode == 0, r.stderr
    card = json.loads(r.stdout)
    expected = scorecard(read_ledger(out)[0])
    assert card["partners"] == expected["partners"]
    assert card["total"] == expected["total"]
    (partner,) = card["partners"]
    assert (partner["mapping"], partner["files"], partner["failed_files"], partner["rows"]) == (
        "partner",
        6,
        1,
        180,
    )
    assert sum(partner["counts"].values()) == 180
    r = subprocess.run(
        [str(LEADKIT), "report", str(out)], capture_output=True, text=True, timeout=60
    )
    assert r.returncode == 0
    assert "partner" in r.stdout
    assert "median to ready" in r.stdout


@pytest.mark.subprocess
def test_log_file_has_every_line_and_no_row_values(real: dict[str, Any], tmp_path: Path) -> None:
    log = tmp_path / "run.log"
    args = [a for a in real["args"] if a != "--json"]
    r = subprocess.run(
        [str(LEADKIT), "run", *args, "--log", str(log)], capture_output=True, text=True, timeout=120
    )
    assert r.returncode == 0
    assert r.stderr == ""
    assert r.stdout == ""
    text = log.read_text()
    assert text.count("processed: partner-") == 6
    assert "done: 6 processed" in text
    with (real["data"] / "partner.csv").open(newline="", encoding="utf-8") as fh:
        emails = [row[2].strip().lower() for row in csv.reader(fh)][1:]
    assert not any(e and e in text.lower() for e in emails)


def test_each_report_json_names_the_crm_export_it_was_matched_against(
    real: dict[str, Any],
) -> None:
    result = run_inbox(
        real["inbox"], real["maps"], real["out"], existing=[real["crm"]], settle_seconds=0
    )
    assert [f.status for f in result.files] == ["processed"] * 6
    records = len(real["crm"].read_text(encoding="utf-8").splitlines()) - 1
    for path in real["out"].glob("*/*.report.json"):
        report = json.loads(path.read_text(encoding="utf-8"))
        assert report["existing"] == {"files": [str(real["crm"])], "records": records}
        assert list(report["timings"])[-2:] == ["total", "existing"]
        assert list(report)[-3:] == ["outputs", "timings", "existing"]


def test_the_crm_export_is_read_once_per_run_and_cached_between_runs(real: dict[str, Any]) -> None:
    import polars as pl

    from leadkit.existing import load_existing

    inbox, maps, out, crm = real["inbox"], real["maps"], real["out"], real["crm"]
    later = {p.name: p.read_bytes() for p in sorted(inbox.iterdir())[4:]}
    for name in later:
        (inbox / name).unlink()

    def run(workers: int = 1) -> list[str]:
        events: list[batch.Event] = []
        result = run_inbox(
            inbox, maps, out, existing=[crm], settle_seconds=0, workers=workers, log=events.append
        )
        assert result.exit_code == 0
        assert result.files
        assert all(f.status == "processed" for f in result.files)
        return [e.message for e in events if e.kind == "note" and "CRM export" in e.message]

    (note,) = run()  # 4 files, one read of the export
    assert "CRM export(s) ready" in note
    (cache,) = (out / ".leadkit" / "crm").glob("*.parquet")
    assert pl.read_parquet(cache).equals(
        load_existing([crm])
    )  # the cache holds exactly what is read
    (inbox / "partner-4.csv").write_bytes(later["partner-4.csv"])
    run()
    assert list((out / ".leadkit" / "crm").glob("*.parquet")) == [cache]  # reused, not rebuilt
    with crm.open("a", encoding="utf-8") as fh:  # a new export: read again, a new cache entry
        fh.write("00Q000000000001AAA,Ann,Newrecord,ann@new.example,New Co,,,,,,\n")
    (inbox / "partner-5.csv").write_bytes(later["partner-5.csv"])
    run()
    assert len(list((out / ".leadkit" / "crm").glob("*.parquet"))) == 2
    assert_exactly_once(out, inbox, real["shas"])


@pytest.mark.subprocess
def test_same_content_twice_in_one_drop_is_processed_once_with_workers(
    real: dict[str, Any],
) -> None:
    inbox, maps, out = real["inbox"], real["maps"], real["out"]
    for p in sorted(inbox.iterdir())[3:]:
        p.unlink()
    shutil.copy(inbox / "partner-0.csv", inbox / "partner-0 (copy).csv")
    shas = {sha256_file(p) for p in inbox.iterdir()}
    first = run_inbox(inbox, maps, out, existing=[real["crm"]], settle_seconds=0, workers=2)
    status = {f.file: f.status for f in first.files}
    assert sorted(status.values()).count("processed") == 3
    assert status["partner-0 (copy).csv"] in ("skipped", "waiting")
    second = run_inbox(inbox, maps, out, existing=[real["crm"]], settle_seconds=0, workers=2)
    assert [f.status for f in second.files] in ([], ["skipped"])
    assert len(ledger_lines(out)) == 3
    archived = sorted(sha256_file(p) for p in (out / "archive").iterdir())
    assert sorted(set(archived)) == sorted(shas)
    assert len(archived) == 4
    assert files_in(inbox) == []
