"""`leadkit run` (batch mode for cron) and `leadkit report` (the partner scorecard of a ledger).

Cron-friendly: one line per file on stderr (no colour, no spinner when stderr is not a
terminal), `--quiet` keeps only what a person must act on (so cron mails only then),
`--json` prints one JSON line per file on stdout (the library's own result dicts), `--log`
appends every line with a timestamp to a file. Lines name files, counts and codes, never a
row's values.

Exit codes of `run`: 0 done; 1 done, but a file failed, needs a mapping, crossed a mapping's
limit, or a mapping did not load; 2 the run could not happen (inbox or mappings folder
missing, CRM export unreadable, output folder not writable).
"""

from __future__ import annotations

import json
import os
import sys
from contextlib import ExitStack
from datetime import datetime
from pathlib import Path
from typing import IO, TYPE_CHECKING, Annotated, Any

import typer

from leadkit.cli import AccountsOpt, Command, DebugOpt, ExistingOpt, RulesOpt, app, fail

if TYPE_CHECKING:
    from leadkit.handoff.rules import LoadedRules


@app.command(
    cls=Command,
    epilog="""
        leadkit run inbox/ -m mappings/ -o processed/
        leadkit run inbox/ -m mappings/ -o processed/ -e crm_export.csv --quiet --log run.log
        leadkit run inbox/ -m mappings/ -o processed/ -e leads.csv -a accounts.csv --rules rules.yaml
        """,
)
def run(
    inbox: Annotated[
        Path, typer.Argument(metavar="INBOX", help="The folder partner files are dropped in.")
    ],
    mappings: Annotated[
        Path,
        typer.Option(
            "--mappings",
            "-m",
            help="Folder of mapping files; each one's match: glob routes files to it.",
        ),
    ],
    out: Annotated[
        Path,
        typer.Option("--out", "-o", help="Output folder: a folder per file, the ledger, failed/."),
    ],
    existing: ExistingOpt = None,
    accounts: AccountsOpt = None,
    rules: RulesOpt = None,
    archive: Annotated[
        Path | None,
        typer.Option("--archive", help="Where processed originals go (default OUT/archive)."),
    ] = None,
    existing_id: Annotated[
        str | None,
        typer.Option("--existing-id", help="The CRM export's id column, if not detected."),
    ] = None,
    settle: Annotated[
        float,
        typer.Option(
            "--settle", help="Seconds a file must stay unchanged before it is processed.", min=0
        ),
    ] = 30.0,
    lock_stale: Annotated[
        float,
        typer.Option(
            "--lock-stale", help="Seconds after which a lock nobody refreshes is taken over.", min=1
        ),
    ] = 600.0,
    workers: Annotated[
        int,
        typer.Option(
            "--workers",
            "-w",
            min=1,
            help="Files processed at a time, in worker processes (memory grows with them).",
        ),
    ] = min(2, os.cpu_count() or 1),
    trace: Annotated[
        bool, typer.Option("--trace", help="Add `_row` (input row number) to every output.")
    ] = False,
    bom: Annotated[
        bool, typer.Option("--bom", help="Write a UTF-8 BOM so Excel opens the CSVs right.")
    ] = False,
    as_json: Annotated[
        bool, typer.Option("--json", help="One JSON line per file (and per run) on stdout.")
    ] = False,
    quiet: Annotated[
        bool,
        typer.Option(
            "--quiet", "-q", help="Only what needs a person (failures, files without a mapping)."
        ),
    ] = False,
    log_file: Annotated[
        Path | None, typer.Option("--log", help="Append every line, timestamped, to this file.")
    ] = None,
    mode: Annotated[
        str | None,
        typer.Option(
            "--mode",
            help="Octal permissions of the files the run creates (e.g. 660); default: the "
            "umask's, never wider than the inbox file's own.",
        ),
    ] = None,
    debug: DebugOpt = False,
) -> None:
    """Process every new file in INBOX: route, normalize, archive; never twice, never lost."""
    from leadkit.batch import Event, run_inbox
    from leadkit.errors import InputError
    from leadkit.pipeline import Options

    with ExitStack() as stack:
        try:
            file_mode = _mode(mode)
            handoff_rules = _rules(rules)
            log = (
                stack.enter_context(
                    open(log_file, "a", encoding="utf-8", errors="backslashreplace", buffering=1)
                )
                if log_file
                else None
            )
        except OSError as e:
            fail(InputError(f"--log {log_file}: cannot open it ({e.strerror})"), debug)
        except InputError as e:
            fail(e, debug)
        view = _RunView(quiet=quiet, as_json=as_json, log=log)
        stack.enter_context(view)

        def on_event(event: Event) -> None:
            view.event(event)

        try:
            result = run_inbox(
                inbox,
                mappings,
                out,
                existing=existing or [],
                accounts=accounts or [],
                rules=handoff_rules,
                archive=archive,
                settle_seconds=settle,
                lock_stale_seconds=lock_stale,
                options=Options(trace=trace, bom=bom, existing_id=existing_id),
                workers=workers,
                mode=file_mode,
                log=on_event,
            )
        except Exception as err:  # noqa: BLE001 - the one place errors become exit codes
            view.logged("error", f"leadkit run: {err}".splitlines()[0])
            view.close()
            fail(err, debug)
        view.finish(result)
    raise typer.Exit(result.exit_code)


def _rules(path: Path | None) -> LoadedRules | None:
    """The rules file, read once for the whole run; a problem is one line (the first one,
    with how many more `leadkit rules check` would list)."""
    from leadkit.errors import InputError, MappingError
    from leadkit.handoff.rules import load_rules

    if path is None:
        return None
    try:
        return load_rules(path)
    except MappingError as e:
        first = e.problems[0] if e.problems else f"{path}: invalid rules file"
        more = len(e.problems) - 1
        hint = f" (and {more} more: leadkit rules check {path})" if more > 0 else ""
        raise InputError(f"--rules: {first}{hint}") from None


def _mode(text: str | None) -> int | None:
    """`--mode 660` (octal, like chmod) as permission bits."""
    from leadkit.errors import InputError

    if text is None:
        return None
    try:
        value = int(text, 8)
    except ValueError:
        value = -1
    if not 0 <= value <= 0o777:
        raise InputError(f"--mode {text!r}: expected octal permissions like 660 or 640")
    if not value & 0o600 == 0o600:
        raise InputError(f"--mode {text}: the owner must be able to read and write (6xx)")
    return value


_LABEL = {
    "processed": "processed",
    "skipped": "skipped",
    "waiting": "waiting",
    "failed": "FAILED",
    "needs-mapping": "NEEDS MAPPING",
    "mapping": "MAPPING ERROR",
    "note": "note",
    "error": "ERROR",
    "done": "done",
}
_STYLE = {
    "processed": "green",
    "failed": "bold red",
    "needs-mapping": "yellow",
    "mapping": "bold red",
    "error": "bold red",
    "skipped": "dim",
    "waiting": "dim",
}


class _RunView:
    """Shows a run's events: stderr lines, a spinner on a terminal, JSON lines, the log file."""

    def __init__(self, *, quiet: bool, as_json: bool, log: IO[str] | None) -> None:
        from rich.console import Console

        self.console = Console(stderr=True, highlight=False, soft_wrap=True)
        self.quiet = quiet
        self.as_json = as_json
        self.log = log
        self.status = None
        if self.console.is_terminal and not quiet:
            self.status = self.console.status("looking at the inbox…")

    def __enter__(self) -> _RunView:
        if self.status is not None:
            self.status.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        if self.status is not None:
            self.status.stop()
            self.status = None

    def event(self, event: object) -> None:
        from leadkit.batch import Event

        assert isinstance(event, Event)
        if event.kind == "start":
            if self.status is not None:
                self.status.update(event.message + "…")
            return
        if event.kind == "file" and event.file is not None:
            f = event.file
            if self.as_json:
                self._json(f.to_dict())
            important = f.attention and (f.status != "needs-mapping" or f.new)
            self.line(f.status, event.message, attention=important)
        elif event.kind == "mapping" and event.mapping is not None:
            if self.as_json:
                self._json(event.mapping.to_dict())
            self.line("mapping", event.message, attention=True)
        else:
            self.line("note", event.message, attention=False)

    def logged(self, kind: str, message: str) -> None:
        from leadkit.batch.files import printable

        if self.log is not None:
            self.log.write(
                f"{datetime.now().astimezone().isoformat(timespec='seconds')} "
                f"{_LABEL.get(kind, kind)}: {printable(message)}\n"
            )

    def line(self, kind: str, message: str, *, attention: bool) -> None:
        from leadkit.batch.files import printable

        message = printable(message)  # a file name never forges a line or sends a code
        self.logged(kind, message)
        label = _LABEL.get(kind, kind)
        if self.quiet and not attention:
            return
        from rich.markup import escape

        style = _STYLE.get(kind)
        head = f"[{style}]{escape(label)}[/]" if style else escape(label)
        self.console.print(f"{head}: {escape(message)}")

    def finish(self, result: object) -> None:
        from leadkit.batch import BatchResult

        assert isinstance(result, BatchResult)
        self.close()
        if self.as_json:
            self._json(result.to_dict())
        totals = result.totals()
        if not (totals or result.mapping_problems):
            parts = "inbox empty"
        else:
            parts = ", ".join(f"{n} {k}" for k, n in totals.items())
            if result.mapping_problems:
                parts += f", {len(result.mapping_problems)} mapping error(s)"
        self.line("done", f"{parts} ({result.seconds:.1f}s)", attention=False)

    def _json(self, data: dict[str, object]) -> None:
        text = json.dumps(data, ensure_ascii=False) + "\n"
        # an undecodable file name's lone surrogates as JSON escapes (`\udcff`)
        sys.stdout.write(text.encode("utf-8", "backslashreplace").decode("utf-8"))
        sys.stdout.flush()


@app.command(
    cls=Command,
    epilog="""
        leadkit report processed/
        leadkit report processed/ledger.jsonl --since 2025-01-01 --json
        """,
)
def report(
    ledger: Annotated[
        Path,
        typer.Argument(
            metavar="LEDGER", help="A ledger.jsonl (or the output folder of `leadkit run`)."
        ),
    ],
    since: Annotated[
        str | None,
        typer.Option("--since", help="Only files ready on or after this date (YYYY-MM-DD)."),
    ] = None,
    as_json: Annotated[
        bool, typer.Option("--json", help="Print the scorecard as JSON on stdout.")
    ] = False,
    debug: DebugOpt = False,
) -> None:
    """The partner scorecard of a batch ledger: per mapping, files, rows, rates, lead velocity."""
    from leadkit.errors import InputError
    from leadkit.ledger import ledger_path, read_ledger, scorecard

    try:
        path = ledger_path(ledger)
        if not path.is_file():
            raise InputError(f"{path}: ledger not found")
        start = None
        if since:
            try:
                start = datetime.fromisoformat(since).astimezone()
            except ValueError:
                raise InputError(f"--since {since!r}: expected a date like 2026-03-01") from None
        entries, bad = read_ledger(path)
        card = scorecard(entries, since=start)
        card["ledger"] = str(path)
        card["unreadable_lines"] = bad
    except Exception as err:  # noqa: BLE001
        fail(err, debug)
    if as_json:
        typer.echo(json.dumps(card, indent=2, ensure_ascii=False))
        return
    _print_scorecard(card)


def _print_scorecard(card: dict[str, object]) -> None:
    from rich import box
    from rich.console import Console
    from rich.table import Table

    console = Console(highlight=False, soft_wrap=True)
    if not console.is_terminal:
        console = Console(highlight=False, soft_wrap=True, width=160)  # a mail or a file: no wrap
    partners = card["partners"]
    assert isinstance(partners, list)
    title = f"{card['ledger']}" + (
        f" since {card['since'][:10]}" if isinstance(card["since"], str) else ""
    )
    if not partners:
        console.print(f"{title}: no files yet")
        return
    t = Table(title=title, title_justify="left", box=box.SIMPLE_HEAD)
    for col in (
        "mapping",
        "files",
        "failed",
        "rows",
        "accept",
        "update",
        "review",
        "duplicate",
        "reject",
        "median to ready",
    ):
        t.add_column(col, justify="left" if col == "mapping" else "right", no_wrap=True)
    total = card["total"]
    assert isinstance(total, dict)
    for p in [*partners, total] if len(partners) > 1 else partners:
        r = p["rates"]
        t.add_row(
            p["mapping"],
            f"{p['files']:,}",
            f"{p['failed_files']:,}",
            f"{p['rows']:,}",
            *(_pct(r[k]) for k in ("accept", "update", "review", "duplicate", "reject")),
            _duration(p["median_seconds_to_ready"]),
        )
    console.print(t)
    for p in partners:
        top = p["top_reject_reasons"]
        if top:
            console.print(
                f"{p['mapping']}: top reject reasons: "
                + ", ".join(f"{k} ({v:,})" for k, v in top.items())
            )
    _print_handoff(console, partners)
    if card.get("unreadable_lines"):
        console.print(f"{card['unreadable_lines']} unreadable ledger line(s) skipped")


def _print_handoff(console: Any, partners: list[dict[str, Any]]) -> None:
    """Per partner, when its files had the handoff: suppressed by reason, leads per route
    step and per owner (the first few), and the median capture-to-import hours."""
    for p in partners:
        handoff = p.get("handoff") or {}
        parts = []
        for key, label, top in (
            ("suppressed", "suppressed", None),
            ("routes", "routes", None),
            ("owners", "owners", TOP_OWNERS),
        ):
            table = handoff.get(key) or {}
            if table:
                shown = list(table.items())[:top] if top else list(table.items())
                more = f", {len(table) - len(shown)} more" if len(table) > len(shown) else ""
                parts.append(f"{label}: " + ", ".join(f"{k} ({v:,})" for k, v in shown) + more)
        hours = p.get("median_capture_hours")
        if hours is not None:
            parts.append(f"capture to import: median {hours:.1f}h")
        for line in parts:
            console.print(f"{p['mapping']}: {line}")


TOP_OWNERS = 8


def _pct(x: float | None) -> str:
    return "–" if x is None else f"{x:.1%}"


def _duration(seconds: float | None) -> str:
    if seconds is None:
        return "–"
    if seconds < 120:
        return f"{seconds:.0f}s"
    if seconds < 7200:
        return f"{seconds / 60:.0f}min"
    return f"{seconds / 3600:.1f}h"
