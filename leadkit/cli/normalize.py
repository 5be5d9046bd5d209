"""`leadkit normalize`, `leadkit targets`, `leadkit codes`."""

from __future__ import annotations

from contextlib import nullcontext
from pathlib import Path
from typing import Annotated

import typer

from leadkit.cli import (
    AccountsOpt,
    Command,
    DebugOpt,
    ExistingOpt,
    RulesOpt,
    app,
    end_at_once,
    fail,
)


@app.command(
    cls=Command,
    epilog="""
        leadkit normalize zoom.csv -m mappings/zoom_webinar.yaml -o out/
        leadkit normalize leads.csv more.xlsx -m partner.yaml -e crm_export.csv --json -q
        leadkit normalize leads.csv -m partner.yaml -e leads.csv -a accounts.csv --rules rules.yaml
        """,
)
def normalize(
    inputs: Annotated[
        list[Path],
        typer.Argument(metavar="INPUT", help="Partner files (CSV, TSV, TXT, XLSX, XLS)."),
    ],
    mapping: Annotated[
        Path, typer.Option("--mapping", "-m", metavar="MAPPING", help="The mapping YAML file.")
    ],
    existing: ExistingOpt = None,
    accounts: AccountsOpt = None,
    rules: RulesOpt = None,
    out: Annotated[
        Path, typer.Option("--out", "-o", metavar="FOLDER", help="Output folder.")
    ] = Path("out"),
    existing_id: Annotated[
        str | None,
        typer.Option(
            "--existing-id", metavar="COLUMN", help="The CRM export's id column, if not detected."
        ),
    ] = None,
    trace: Annotated[
        bool, typer.Option("--trace", help="Add `_row` (input row number) to every output.")
    ] = False,
    bom: Annotated[
        bool, typer.Option("--bom", help="Write a UTF-8 BOM so Excel opens the CSVs right.")
    ] = False,
    no_cache: Annotated[
        bool, typer.Option("--no-cache", help="Do not reuse or keep the standardized CRM export.")
    ] = False,
    issues: Annotated[
        bool,
        typer.Option("--issues", help="Also write X.issues.csv: one record per problem found."),
    ] = False,
    check_deliverability: Annotated[
        bool,
        typer.Option(
            "--check-deliverability",
            help="Look up each email domain's MX record (DNS; off by default, private and deterministic).",
        ),
    ] = False,
    as_json: Annotated[
        bool, typer.Option("--json", help="Print the report(s) as JSON on stdout.")
    ] = False,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No summary on stderr.")] = False,
    debug: DebugOpt = False,
) -> None:
    """Read partner files, apply the mapping, write the CRM import files and a report."""
    from leadkit.cache import cache_dir as default_cache_dir
    from leadkit.handoff.rules import load_rules
    from leadkit.mapping import load_mapping
    from leadkit.pipeline import Options
    from leadkit.pipeline import normalize as run

    if not quiet:  # Rich is imported only when something is shown
        from leadkit import render
    try:
        loaded = load_mapping(mapping)
        refuse_mapping_errors(mapping)
        handoff_rules = load_rules(rules) if rules else None
        with nullcontext() if quiet else render.progress() as on_stage:
            results = run(
                inputs,
                loaded,
                out,
                existing=existing or [],
                accounts=accounts or [],
                rules=handoff_rules,
                options=Options(
                    trace=trace,
                    bom=bom,
                    existing_id=existing_id,
                    cache=None if no_cache else default_cache_dir(),
                    issues=issues,
                    check_deliverability=check_deliverability,
                ),
                progress=on_stage,
            )
    except Exception as err:  # noqa: BLE001 - the one place errors become exit codes
        fail(err, debug)
    if as_json:  # exactly what report.json holds
        from leadkit.report import reports_json

        typer.echo(reports_json([r.document for r in results]), nl=False)
    if not quiet:
        render.summary(results, out)
    else:  # the one line saying why the exit code is 1
        for r in results:
            if r.limit_exceeded:
                typer.echo(f"leadkit: {r.input.name}: {r.document.limit_line()}", err=True)
    end_at_once()  # every output is written (atomically) and every line shown
    raise typer.Exit(1 if any(r.limit_exceeded for r in results) else 0)


def refuse_mapping_errors(path: Path) -> None:
    """Stop (exit 2, one line) on a mapping `mapping check` finds an error in: a required
    field nothing fills, a picklist value the CRM lacks, ... Warnings (a setting that does
    nothing, a field the target does not write) do not stop a run."""
    from leadkit.check import check_file
    from leadkit.errors import LeadkitError

    errors = check_file(path).errors
    if errors:
        more = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
        raise LeadkitError(
            f"{errors[0]}{more}; fix the mapping (`leadkit mapping check {path}` lists every problem)"
        )


@app.command(
    cls=Command,
    epilog="""
        leadkit targets
        leadkit targets hubspot
        """,
)
def targets(
    name: Annotated[
        str | None, typer.Argument(metavar="TARGET", help="A target to show in full.")
    ] = None,
    debug: DebugOpt = False,
) -> None:
    """List the CRM targets, or one target's columns."""
    from leadkit import render
    from leadkit.targets import builtin_targets, load_target

    try:
        render.targets([load_target(name)] if name else builtin_targets(), full=name is not None)
    except Exception as err:  # noqa: BLE001
        fail(err, debug)


@app.command(
    cls=Command,
    epilog="""
        leadkit codes
        leadkit codes | grep email_
        """,
)
def codes() -> None:
    """List the reason codes found in rejects files and reports."""
    from leadkit import render

    render.codes()
