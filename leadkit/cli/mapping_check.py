"""`leadkit mapping check` (lint mapping files for CI) and `leadkit mapping schema`.

Exit codes of `check`: 0 every file is clean; 1 a problem was found; 2 a file (a mapping
or the sample) could not be read.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from leadkit.cli import Command, DebugOpt, fail
from leadkit.cli.mapping import mapping_app


@mapping_app.command(
    "check",
    cls=Command,
    epilog="""
        leadkit mapping check mappings/
        leadkit mapping check mappings/partner.yaml --sample leads.csv --github
        """,
)
def check(
    mappings: Annotated[
        list[Path],
        typer.Argument(
            metavar="MAPPING", help="Mapping files, or folders of them (their *.yaml and *.yml)."
        ),
    ],
    sample: Annotated[
        Path | None,
        typer.Option(
            "--sample",
            "-s",
            metavar="INPUT",
            help="A partner file: check the headers are in it and dry-run it.",
        ),
    ] = None,
    github: Annotated[
        bool, typer.Option("--github", help="Write problems as GitHub Actions annotations.")
    ] = False,
    quiet: Annotated[
        bool, typer.Option("--quiet", "-q", help="Only the problems, no summary.")
    ] = False,
    debug: DebugOpt = False,
) -> None:
    """Lint mapping files: every problem, as `file:line:col: code: message`; exit 1 if any."""
    from leadkit.check import check_paths

    try:
        results = check_paths(mappings, sample=sample)
    except Exception as err:  # noqa: BLE001 - the one place errors become exit codes
        fail(err, debug)
    problems = [p for r in results for p in r.problems]
    for p in problems:
        typer.echo(_annotation(p.file, p.line, p.col, p.code, p.message) if github else str(p))
    for r in results:
        if r.dry_run is not None and not quiet:
            line = f"{r.path}: dry run: {r.dry_run.summary()}"
            typer.echo(
                f"::notice file={_prop(r.path)}::{_data(line)}" if github else line, err=not github
            )
    if not quiet:
        bad = len({p.file for p in problems})
        if problems:
            typer.echo(
                f"{len(problems)} problem(s) in {bad} file(s); {len(results)} mapping file(s) checked",
                err=True,
            )
        else:
            typer.echo(f"{len(results)} mapping file(s) OK", err=True)
    if any(r.fatal for r in results):
        raise typer.Exit(2)
    raise typer.Exit(1 if problems else 0)


@mapping_app.command(
    "schema",
    cls=Command,
    epilog="""
        leadkit mapping schema > mapping.schema.json
        """,
)
def schema() -> None:
    """Print the JSON Schema of mapping files (for editors and CI)."""
    from leadkit.check import mapping_schema_text

    typer.echo(mapping_schema_text(), nl=False)


def _annotation(file: str, line: int, col: int, code: str, message: str) -> str:
    """A GitHub Actions workflow command that puts the problem on the file's line."""
    return (
        f"::error file={_prop(file)},line={line},col={col},title={_prop('leadkit ' + code)}"
        f"::{_data(message)}"
    )


def _data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _prop(text: str) -> str:
    return _data(text).replace(":", "%3A").replace(",", "%2C")
