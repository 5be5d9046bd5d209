"""`leadkit mapping ...`: the sub-app for writing and checking mapping files.

`mapping_app` is registered on the root app as `leadkit mapping`. This module holds
`mapping init` (a draft mapping from a file, `leadkit.draft`); other modules add their
commands to the same sub-app by importing it:

    from leadkit.cli.mapping import mapping_app

    @mapping_app.command()
    def check(...): ...

and are registered in `leadkit/cli/__init__.py` like every command module.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from leadkit.cli import Command, DebugOpt, Group, app, fail
from leadkit.cli.inspect import (
    DelimiterOpt,
    EncodingOpt,
    HeaderRowOpt,
    ProfilesOpt,
    SheetOpt,
    input_hints,
)

mapping_app = typer.Typer(
    help="Write and check mapping files: draft one from a file, lint them for CI, print the schema.",
    no_args_is_help=True,
    rich_markup_mode=None,
    cls=Group,
    epilog="""
        leadkit mapping init leads.csv -t salesforce -o mappings/partner.yaml
        leadkit mapping check mappings/
        """,
)
app.add_typer(mapping_app, name="mapping")


@mapping_app.command(
    cls=Command,
    epilog="""
        leadkit mapping init leads.csv
        leadkit mapping init leads.csv -t hubspot -o mappings/partner.yaml
        """,
)
def init(
    input: Annotated[
        Path, typer.Argument(metavar="INPUT", help="A partner file (CSV, TSV, TXT, XLSX, XLS).")
    ],
    target: Annotated[
        str | None,
        typer.Option(
            "--target",
            "-t",
            help="salesforce, hubspot, marketo, generic (the default) or a target YAML file.",
        ),
    ] = None,
    out: Annotated[
        Path | None,
        typer.Option("--out", "-o", help="Write the mapping to this file instead of stdout."),
    ] = None,
    force: Annotated[
        bool, typer.Option("--force", help="Overwrite the --out file if it exists.")
    ] = False,
    sheet: SheetOpt = None,
    header_row: HeaderRowOpt = None,
    delimiter: DelimiterOpt = None,
    encoding: EncodingOpt = None,
    profiles: ProfilesOpt = None,
    debug: DebugOpt = False,
) -> None:
    """Draft a mapping from a file's headers and values, with a confidence per column.

    A file in a known format (a built-in profile) gets that profile's mapping.
    """
    from leadkit.draft import draft_mapping
    from leadkit.errors import InputError

    try:
        if out is not None and out.exists() and not force:
            raise InputError(f"{out}: already exists (use --force to overwrite it)")
        draft = draft_mapping(
            input,
            target=target,
            hints=input_hints(sheet, header_row, delimiter, encoding),
            profiles_dir=profiles,
        )
        text = draft.to_yaml(out)
        if out is not None:
            _write(out, text)
    except Exception as err:  # noqa: BLE001 - the one place errors become exit codes
        fail(err, debug)
    if out is None:
        typer.echo(text, nl=False)
        return
    mapped = len(draft.mapping_dict().get("columns", {}))
    what = f"the profile '{draft.profile.name}'" if draft.profile else f"{mapped} field(s) mapped"
    typer.echo(
        f"leadkit: wrote {out} ({what}); check it with: leadkit mapping check {out} --sample {input}",
        err=True,
    )


def _write(path: Path, text: str) -> None:
    """Through a temporary name and a rename, like every output."""
    import os
    import tempfile

    from leadkit.errors import InputError

    folder = path.parent if str(path.parent) else Path(".")
    if not folder.is_dir():
        raise InputError(f"{path}: folder {folder} does not exist")
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=folder)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as f:
            f.write(text)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
