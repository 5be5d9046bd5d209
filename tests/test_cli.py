"""The command line's contract: exit codes, one clear line on stderr, nothing on stdout."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any, NoReturn

import pytest
from typer.testing import CliRunner

from leadkit.cli import app

ROOT = Path(__file__).parent.parent
ZOOM = ROOT / "examples" / "zoom_webinar_attendees.csv"
ZOOM_MAP = ROOT / "mappings" / "zoom_webinar.yaml"
runner = CliRunner()


def run(*args: str | Path) -> tuple[int, str, str]:
    result = runner.invoke(app, [str(a) for a in args], terminal_width=100)
    return result.exit_code, result.stdout, result.stderr


def test_normalize_writes_five_csvs_and_report(tmp_path: Path) -> None:
    code, out, err = run("normalize", ZOOM, "-m", ZOOM_MAP, "-o", tmp_path)
    assert code == 0, err
    assert out == ""
    names = sorted(p.name for p in tmp_path.iterdir())
    assert names == sorted(
        f"zoom_webinar_attendees.{k}"
        for k in (
            "import.csv",
            "updates.csv",
            "review.csv",
            "duplicates.csv",
            "rejects.csv",
            "report.json",
            # the Zoom mapping names a campaign, split by member status (this report's
            # no-shows are repeats or rejects)
            "campaign_members.csv",
            "campaign_members.attended.csv",
        )
    )
    assert "import" in err
    assert "rejects" in err


def test_json_prints_the_report_that_was_written(tmp_path: Path) -> None:
    code, out, _ = run("normalize", ZOOM, "-m", ZOOM_MAP, "-o", tmp_path, "--json", "-q")
    assert code == 0
    written = json.loads((tmp_path / "zoom_webinar_attendees.report.json").read_text())
    assert json.loads(out) == written


CRM = ROOT / "examples" / "crm_export.csv"


def test_json_is_report_json_byte_for_byte_with_a_crm_export(tmp_path: Path) -> None:
    code, out, err = run(
        "normalize", ZOOM, "-m", ZOOM_MAP, "-e", CRM, "-o", tmp_path, "--json", "-q", "--no-cache"
    )
    assert code == 0, err
    written = (tmp_path / "zoom_webinar_attendees.report.json").read_text(encoding="utf-8")
    assert out == written
    report = json.loads(written)
    assert report["existing"] == {"files": [str(CRM)], "records": 4}
    assert list(report["timings"]) == [
        "read",
        "remap",
        "standardize",
        "validate",
        "match",
        "handoff",  # the mapping names a campaign
        "write",
        "total",
        "existing",
    ]
    assert list(report)[-4:] == ["outputs", "timings", "existing", "handoff"]


def _bad_inputs(tmp: Path) -> dict[str, tuple[list[str | Path], str]]:
    empty = tmp / "empty.csv"
    empty.write_bytes(b"")
    binary = tmp / "image.csv"
    binary.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)))
    corrupt = tmp / "scan.xlsx"
    corrupt.write_bytes(b"PK\x03\x04 this is not really a zip")
    bad_yaml = tmp / "bad.yaml"
    bad_yaml.write_text("columns: [email\n")
    unknown_field = tmp / "unknown.yaml"
    unknown_field.write_text("columns:\n  emial: Email\n")
    lacks = tmp / "lacks.yaml"
    lacks.write_text("columns:\n  email: Email\n  phone: 'Phone #'\n")
    return {
        "missing file": (["normalize", tmp / "nope.csv", "-m", ZOOM_MAP], "nope.csv"),
        "directory": (["normalize", tmp, "-m", ZOOM_MAP], str(tmp.name)),
        "empty file": (["normalize", empty, "-m", ZOOM_MAP], "empty.csv"),
        "binary file": (["normalize", binary, "-m", ZOOM_MAP], "image.csv"),
        "corrupt xlsx": (["normalize", corrupt, "-m", ZOOM_MAP], "scan.xlsx"),
        "malformed yaml": (["normalize", ZOOM, "-m", bad_yaml], "malformed YAML"),
        "unknown field": (["normalize", ZOOM, "-m", unknown_field], "did you mean 'email'"),
        "missing mapping": (["normalize", ZOOM, "-m", tmp / "none.yaml"], "mapping file not found"),
        "header the file lacks": (["normalize", ZOOM, "-m", lacks], "'Phone #'"),
        "unknown target": (["targets", "dynamics"], "unknown target 'dynamics'"),
    }


@pytest.mark.parametrize(
    "case",
    [
        "missing file",
        "directory",
        "empty file",
        "binary file",
        "corrupt xlsx",
        "malformed yaml",
        "unknown field",
        "missing mapping",
        "header the file lacks",
        "unknown target",
    ],
)
def test_user_errors_exit_2_with_one_line(case: str, tmp_path: Path) -> None:
    args, needle = _bad_inputs(tmp_path)[case]
    code, out, err = run(*args, "-o", tmp_path / "out") if args[0] == "normalize" else run(*args)
    assert code == 2, (case, err)
    assert needle in err
    assert err.startswith("leadkit: ")
    assert "Traceback" not in err
    assert len(err.strip().splitlines()) == 1, err
    assert out == ""


def test_reject_rate_limit_exits_1(tmp_path: Path) -> None:
    strict = tmp_path / "strict.yaml"
    strict.write_text(ZOOM_MAP.read_text() + "limits:\n  max_reject_rate: 0.01\n")
    code, _, err = run("normalize", ZOOM, "-m", strict, "-o", tmp_path)
    assert code == 1
    assert "above the limit of 1% (limits.max_reject_rate)" in " ".join(err.split())


@pytest.mark.subprocess
def test_python_dash_m_and_no_traceback_in_a_real_process(tmp_path: Path) -> None:
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "leadkit",
            "normalize",
            str(tmp_path / "nope.csv"),
            "-m",
            str(ZOOM_MAP),
        ],
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr
    assert "nope.csv" in proc.stderr


def test_targets_and_codes_list() -> None:
    code, out, _ = run("targets")
    assert code == 0
    assert "salesforce" in out
    assert "Record ID" in out
    code, out, _ = run("codes")
    assert code == 0
    assert "email_invalid" in out


def test_readme_lists_every_reason_code() -> None:
    from leadkit.codes import CODES

    readme = (ROOT / "README.md").read_text()
    assert [c for c in CODES if f"| `{c}` |" not in readme] == []


def test_help_starts_without_the_heavy_libraries() -> None:
    code = "import sys, leadkit.cli; print(sorted(m for m in ('polars', 'phonenumbers', 'rapidfuzz', 'rich') if m in sys.modules))"
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert proc.stdout.strip() == "[]"


# --- the console entry point ends at once, losing nothing ----------------------------------
ENTRY = (
    "import sys; import leadkit.normalizers._base as b; b.PARALLEL_MIN = int(sys.argv.pop(1)); "
    "from leadkit.cli import main; sys.argv[0] = 'leadkit'; main()"
)


@pytest.mark.subprocess
@pytest.mark.parametrize(
    ("case", "parallel_min", "strict", "extra", "code"),
    [
        ("ends at once, report on stdout intact", 20_000, False, ["--json", "-q"], 0),
        ("summary on stderr intact", 20_000, False, [], 0),
        ("limit crossed keeps exit code 1", 20_000, True, ["--json", "-q"], 1),
        # a run that started the worker process takes the normal shutdown: no leaked semaphores
        ("worker started: normal shutdown", 1, False, ["--json", "-q"], 0),
    ],
)
def test_console_entry_point_exit(
    tmp_path: Path, case: str, parallel_min: int, strict: bool, extra: list[str], code: int
) -> None:
    mapping = ZOOM_MAP
    if strict:
        mapping = tmp_path / "strict.yaml"
        mapping.write_text(ZOOM_MAP.read_text() + "limits:\n  max_reject_rate: 0.01\n")
    out = tmp_path / "out"
    proc = subprocess.run(
        [
            sys.executable,
            "-c",
            ENTRY,
            str(parallel_min),
            "normalize",
            str(ZOOM),
            "-m",
            str(mapping),
            "-o",
            str(out),
            *extra,
        ],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == code, (case, proc.stderr)
    report = json.loads((out / "zoom_webinar_attendees.report.json").read_text())
    if "--json" in extra:
        assert json.loads(proc.stdout) == report, case
        # quiet, but a crossed limit is always said, in one line
        lines = proc.stderr.splitlines()
        assert len(lines) == (1 if code == 1 else 0), (case, proc.stderr)
    else:
        assert "import" in proc.stderr, case
        assert "rejects" in proc.stderr, case
    assert not list(out.glob(".*.tmp")), case


# --- help that teaches: usage in metavars, examples at the end ----------------------------
HELP = {
    "normalize": (
        "Usage: leadkit normalize [OPTIONS] INPUT...",
        "  INPUT...  Partner files (CSV, TSV, TXT, XLSX, XLS).  [required]",
        "Examples:\n"
        "  leadkit normalize zoom.csv -m mappings/zoom_webinar.yaml -o out/\n"
        "  leadkit normalize leads.csv more.xlsx -m partner.yaml -e crm_export.csv --json -q\n"
        "  leadkit normalize leads.csv -m partner.yaml -e leads.csv -a accounts.csv --rules rules.yaml\n",
    ),
    "targets": (
        "Usage: leadkit targets [OPTIONS] [TARGET]",
        "  TARGET  A target to show in full.",
        "Examples:\n  leadkit targets\n  leadkit targets hubspot\n",
    ),
    "codes": (
        "Usage: leadkit codes [OPTIONS]",
        "  --help  Show this message and exit.",
        "Examples:\n  leadkit codes\n  leadkit codes | grep email_\n",
    ),
    "mapping check": (
        "Usage: leadkit mapping check [OPTIONS] MAPPING...",
        "  MAPPING...  Mapping files, or folders of them (their *.yaml and *.yml).  [required]",
        "Examples:\n"
        "  leadkit mapping check mappings/\n"
        "  leadkit mapping check mappings/partner.yaml --sample leads.csv --github\n",
    ),
    "mapping schema": (
        "Usage: leadkit mapping schema [OPTIONS]",
        "  --help  Show this message and exit.",
        "Examples:\n  leadkit mapping schema > mapping.schema.json\n",
    ),
    "": (
        "Usage: leadkit [OPTIONS] COMMAND [ARGS]...",
        "  normalize  Read partner files, apply the mapping, write the CRM import files and a report.",
        "Examples:\n"
        "  leadkit normalize leads.csv -m mappings/partner.yaml -e crm_export.csv -o out/\n"
        "  leadkit mapping init leads.csv -t salesforce -o mappings/partner.yaml\n",
    ),
}


@pytest.mark.parametrize("command", sorted(HELP))
def test_help_reads_in_metavars_and_ends_with_examples(command: str) -> None:
    usage, line, examples = HELP[command]
    code, out, _ = run(*command.split(), "--help")
    assert code == 0
    assert out.splitlines()[0] == usage
    assert line in out.splitlines()
    assert out.endswith("\n\n" + examples)
    assert "{" not in out.splitlines()[0]
    assert "<list[" not in out


_HELP_TO_COME: set[str] = set()


def _commands(group: Any, prefix: str = "") -> list[str]:
    names = []
    for name, command in group.commands.items():
        path = f"{prefix}{name}"
        names.append(path)
        if hasattr(command, "commands"):
            names += _commands(command, f"{path} ")
    return names


def test_every_command_has_examples() -> None:
    from typer.main import get_command

    commands = _commands(get_command(app))
    assert set(HELP) - {""} <= set(commands)
    lacking = [
        c
        for c in commands
        if c not in _HELP_TO_COME and "\nExamples:\n  leadkit " not in run(*c.split(), "--help")[1]
    ]
    assert lacking == []


# --- exit 3: an internal error (a bug in leadkit) -------------------------------------------
def _broken(*args: object, **kwargs: object) -> NoReturn:
    raise KeyError("the bug")


@pytest.mark.parametrize("debug", [False, True], ids=["plain", "debug"])
def test_internal_error_exits_3_with_one_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, debug: bool
) -> None:
    monkeypatch.setattr("leadkit.pipeline.normalize", _broken)
    args = ["normalize", ZOOM, "-m", ZOOM_MAP, "-o", tmp_path, "-q"]
    result = runner.invoke(app, [str(a) for a in [*args, *(["--debug"] if debug else [])]])
    assert result.stdout == ""
    if debug:  # the error itself, for its traceback
        assert isinstance(result.exception, KeyError)
        return
    assert result.exit_code == 3
    assert result.stderr == "leadkit: internal error: KeyError: 'the bug' (run with --debug)\n"


BROKEN = (
    "import sys, leadkit.pipeline as p\n"
    "def broken(*args, **kwargs):\n"
    "    raise KeyError('the bug')\n"
    "p.normalize = broken\n"
    "from leadkit.cli import main; sys.argv[0] = 'leadkit'; main()\n"
)


@pytest.mark.subprocess
@pytest.mark.parametrize(
    ("debug", "code", "traceback"), [(False, 3, False), (True, 1, True)], ids=["plain", "debug"]
)
def test_internal_error_in_a_real_process(
    tmp_path: Path, debug: bool, code: int, traceback: bool
) -> None:
    args = ["normalize", str(ZOOM), "-m", str(ZOOM_MAP), "-o", str(tmp_path), "-q"]
    proc = subprocess.run(
        [sys.executable, "-c", BROKEN, *args, *(["--debug"] if debug else [])],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == code, proc.stderr
    assert proc.stdout == ""
    assert ("Traceback" in proc.stderr) == traceback
    if not debug:
        assert proc.stderr == "leadkit: internal error: KeyError: 'the bug' (run with --debug)\n"


def test_readme_documents_every_exit_code() -> None:
    readme = (ROOT / "README.md").read_text()
    table = readme.split("### Exit codes", 1)[1].split("\n\n", 2)[1]
    assert [line.split("|")[1].strip() for line in table.splitlines()[2:]] == ["0", "1", "2", "3"]
