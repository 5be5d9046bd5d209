"""`leadkit rules ...` (check and print the schema of rules files) and `leadkit suppress hash`.

Exit codes of `rules check`: 0 every file is clean; 1 a problem was found; 2 a file could
not be read.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from leadkit.cli import Command, DebugOpt, Group, app, fail

rules_app = typer.Typer(
    help="Check the sales-handoff rules file (suppress, routing, update, qualify) and print its schema.",
    no_args_is_help=True,
    rich_markup_mode=None,
    cls=Group,
    epilog="""
        leadkit rules check rules.yaml -m mappings/zoom_webinar.yaml
        leadkit rules schema > rules.schema.json
        """,
)
app.add_typer(rules_app, name="rules")
suppress_app = typer.Typer(
    help="Work with suppression (never-contact) lists.",
    no_args_is_help=True,
    rich_markup_mode=None,
    cls=Group,
    epilog="""
        leadkit suppress hash erasure-requests.csv -o erasures.csv
        """,
)
app.add_typer(suppress_app, name="suppress")


@rules_app.command(
    "check",
    cls=Command,
    epilog="""
        leadkit rules check rules.yaml
        leadkit rules check rules.yaml -m mappings/zoom_webinar.yaml
        leadkit rules check rules.yaml --sample zoom.csv -m mappings/zoom_webinar.yaml -e crm.csv -a accounts.csv
        """,
)
def check(
    rules: Annotated[list[Path], typer.Argument(metavar="RULES", help="Rules files.")],
    mapping: Annotated[
        Path | None,
        typer.Option(
            "--mapping", "-m", help="Check the update policy against this mapping's fields."
        ),
    ] = None,
    sample: Annotated[
        Path | None,
        typer.Option(
            "--sample",
            metavar="INPUT",
            help="Dry run: apply the rules to this partner file (with -m) and show how its "
            "rows would split by outcome, suppression, status and route. Writes nothing.",
        ),
    ] = None,
    existing: Annotated[
        list[Path] | None,
        typer.Option(
            "--existing", "-e", metavar="CRM_EXPORT", help="With --sample: the CRM export(s)."
        ),
    ] = None,
    accounts: Annotated[
        list[Path] | None,
        typer.Option(
            "--accounts", "-a", metavar="ACCOUNTS", help="With --sample: the account export(s)."
        ),
    ] = None,
    quiet: Annotated[
        bool, typer.Option("--quiet", "-q", help="Only the problems, no summary.")
    ] = False,
    debug: DebugOpt = False,
) -> None:
    """Lint rules files: every problem, as `file:line:col: code: message`; exit 1 if any.
    With --sample, also a dry run of each rules file on a partner file."""
    from leadkit.errors import InputError
    from leadkit.handoff.check import check_rules_file, dry_run
    from leadkit.handoff.rules import load_rules
    from leadkit.mapping import load_mapping

    try:
        if sample is not None and mapping is None:
            raise InputError("--sample needs the file's mapping: -m MAPPING")
        loaded = load_mapping(mapping) if mapping else None
        results = [check_rules_file(p, mapping=loaded) for p in rules]
        runs = []
        if sample is not None and loaded is not None:
            for path, r in zip(rules, results, strict=True):
                if not r.fatal and not any(x.code in _BLOCKING for x in r.problems):
                    found = dry_run(
                        load_rules(path),
                        sample,
                        loaded,
                        existing=existing or [],
                        accounts=accounts or [],
                    )
                    runs.append((path, found))
    except Exception as err:  # noqa: BLE001 - the one place errors become exit codes
        fail(err, debug)
    for path, found in runs:
        _show_dry_run(path, sample, found)
    problems = [p for r in results for p in r.problems]
    for p in problems:
        typer.echo(str(p))
    if not quiet:
        if problems:
            typer.echo(
                f"{len(problems)} problem(s); {len(results)} rules file(s) checked", err=True
            )
        else:
            typer.echo(f"{len(results)} rules file(s) OK", err=True)
    if any(r.fatal for r in results):
        raise typer.Exit(2)
    raise typer.Exit(1 if problems else 0)


# Problems that keep a rules file from running at all: no dry run for it.
_BLOCKING = frozenset(
    {
        "unreadable",
        "yaml-syntax",
        "not-rules",
        "schema",
        "unknown-setting",
        "missing-file",
        "bad-list",
    }
)


def _show_dry_run(rules: Path, sample: Path | None, found: Any) -> None:
    """The dry run's split, on stdout: counts per outcome, then per reason, status, route."""
    typer.echo(f"{sample} with {rules}: {found.rows:,} rows")
    width = max((len(k) for k in found.counts), default=0)
    for name, n in found.counts.items():
        if n or name in ("import", "suppressed"):
            typer.echo(f"  {name:<{width}}  {n:>8,}")
    for label, table in (
        ("suppressed", found.suppressed),
        ("status", found.statuses),
        ("route", found.routes),
        ("account", found.accounts),
        ("owner", found.owners),
    ):
        if table:
            shown = list(table.items())[:10]
            more = f", {len(table) - len(shown)} more" if len(table) > len(shown) else ""
            typer.echo(f"  by {label}: " + ", ".join(f"{k} {v:,}" for k, v in shown) + more)


@rules_app.command(
    "schema",
    cls=Command,
    epilog="""
        leadkit rules schema > rules.schema.json
        """,
)
def schema() -> None:
    """Print the JSON Schema of rules files (for editors and CI)."""
    import json

    from leadkit.handoff.rules import rules_schema

    typer.echo(json.dumps(rules_schema(), indent=2, ensure_ascii=False))


@suppress_app.command(
    "hash",
    cls=Command,
    epilog="""
        leadkit suppress hash erasure-requests.csv -o erasures.csv
        """,
)
def hash_(
    file: Annotated[
        Path, typer.Argument(metavar="FILE", help="A CSV/XLSX list with an email column.")
    ],
    out: Annotated[
        Path | None,
        typer.Option("--out", "-o", help="Write the email_sha256 list here (default: stdout)."),
    ] = None,
    debug: DebugOpt = False,
) -> None:
    """Turn a clear-text email list into an email_sha256 list, so an erasure list never has
    to be kept in clear text. Each address is trimmed, lowercased and cleaned as leads are,
    then hashed with SHA-256 (hex)."""
    from leadkit.handoff.suppress import hash_list
    from leadkit.write import write_csv

    try:
        hashed = hash_list(file)
        if out is None:
            typer.echo(hashed.write_csv(), nl=False)
        else:
            write_csv(hashed, out)
    except Exception as err:  # noqa: BLE001 - the one place errors become exit codes
        fail(err, debug)
    if out is not None:
        typer.echo(f"{hashed.height} addresses hashed into {out}", err=True)
