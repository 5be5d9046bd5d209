"""`leadkit inspect`: what the reader detected in a file, and a profile of each column."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from leadkit.cli import Command, DebugOpt, app, fail

if TYPE_CHECKING:
    from leadkit.profile import Inspection
    from leadkit.read import InputHints

SheetOpt = Annotated[str | None, typer.Option("--sheet", help="XLSX sheet name or 0-based index.")]
HeaderRowOpt = Annotated[
    int | None, typer.Option("--header-row", min=1, help="1-based row of the header.")
]
DelimiterOpt = Annotated[
    str | None, typer.Option("--delimiter", help="Field delimiter: , ; | or tab.")
]
EncodingOpt = Annotated[
    str | None, typer.Option("--encoding", help="For example utf-8, cp1252, utf-16.")
]
ProfilesOpt = Annotated[
    Path | None,
    typer.Option(
        "--profiles", help="A folder of known mappings to recognize (default: the built-in ones)."
    ),
]


def input_hints(
    sheet: str | None, header_row: int | None, delimiter: str | None, encoding: str | None
) -> InputHints | None:
    """The reader's hints from the command line; None when none is given."""
    from leadkit.read import InputHints

    if sheet is None and header_row is None and delimiter is None and encoding is None:
        return None
    if delimiter is not None and delimiter.lower() in ("tab", "\\t"):
        delimiter = "\t"
    return InputHints(
        sheet=int(sheet) if sheet is not None and sheet.isdigit() else sheet,
        header_row=header_row,
        delimiter=delimiter,
        encoding=encoding,
    )


@app.command(
    cls=Command,
    epilog="""
        leadkit inspect leads.csv
        leadkit inspect badge_scan.xlsx --sheet Leads --json
        """,
)
def inspect(
    input: Annotated[
        Path, typer.Argument(metavar="INPUT", help="A partner file (CSV, TSV, TXT, XLSX, XLS).")
    ],
    as_json: Annotated[
        bool, typer.Option("--json", help="Print the result as one JSON object.")
    ] = False,
    sheet: SheetOpt = None,
    header_row: HeaderRowOpt = None,
    delimiter: DelimiterOpt = None,
    encoding: EncodingOpt = None,
    profiles: ProfilesOpt = None,
    debug: DebugOpt = False,
) -> None:
    """Show what the reader detects in a file and what each column holds."""
    from leadkit.draft import inspect_file

    try:
        result = inspect_file(
            input, hints=input_hints(sheet, header_row, delimiter, encoding), profiles_dir=profiles
        )
    except Exception as err:  # noqa: BLE001 - the one place errors become exit codes
        fail(err, debug)
    if as_json:
        typer.echo(json.dumps(result.as_dict(), indent=2, ensure_ascii=False))
        return
    _render(result)


def _render(result: Inspection) -> None:
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

    console = Console(highlight=False)
    detected = _detected(result)
    width = max(len(k) for k, _ in detected)
    for key, value in detected:
        console.print(Text.assemble((key.ljust(width), "bold"), "  ", value))

    heads = ("#", "column", "filled", "distinct", "looks like", "samples")
    rows_out = []
    for col in result.columns:
        kind = col.kind or "empty"
        if col.kind not in (None, "text"):
            kind = f"{col.kind} {col.kind_share:.0%}"
        samples = ", ".join(_short(s) for s in col.samples)
        rows_out.append(
            [
                str(col.position),
                _short(col.name, 32),
                f"{col.fill_rate:.0%}",
                f"{col.distinct:,}" if col.distinct_exact else f"~{col.distinct:,}",
                kind,
                samples,
            ]
        )
    widths = [max([len(h), *(len(r[i]) for r in rows_out)]) for i, h in enumerate(heads[:-1])]
    # Every column but the samples keeps its width; the samples are cut to what is left.
    room = max(console.width - sum(widths) - 2 * len(widths), 10)
    table = Table(
        show_header=True, header_style="bold", box=None, pad_edge=False, padding=(0, 2, 0, 0)
    )
    for head, width in zip(heads, [*widths, room], strict=True):
        right = head in ("#", "filled", "distinct")
        table.add_column(head, justify="right" if right else "left", no_wrap=True, width=width)
    for r in rows_out:
        r[-1] = _short(r[-1], room)
        table.add_row(*r)
    console.print()
    console.print(table)


def _short(value: str, limit: int = 30) -> str:
    value = " ".join(value.split())
    return value if len(value) <= limit else value[: limit - 1] + "…"


def _detected(result: Inspection) -> list[tuple[str, str]]:
    """What the reader detected, as (label, value) lines."""
    info = result.info
    detected = [("file", result.path), ("format", str(info.get("format", "")).upper())]
    if info.get("encoding"):
        detected.append(("encoding", str(info["encoding"])))
    if info.get("delimiter"):
        detected.append(
            ("delimiter", "tab" if info["delimiter"] == "\t" else repr(info["delimiter"]))
        )
    if info.get("sheet"):
        detected.append(("sheet", repr(info["sheet"])))
    detected.append(("header row", str(info.get("header_row"))))
    detected.append(("footer", repr(info["footer"]) if info.get("footer") else "none"))
    rows = f"{result.rows:,} data rows"
    if info.get("blank_rows"):
        rows += f", {info['blank_rows']:,} blank"
    if info.get("extra_cell_rows"):
        rows += f", {info['extra_cell_rows']:,} with cells beyond the header (kept in _extra)"
    detected.append(("rows", rows))
    if result.sampled_rows < result.rows:
        detected.append(("kinds from", f"the first {result.sampled_rows:,} rows"))
    if result.profile:
        p = result.profile
        detected.append(
            ("profile", f"{p['name']} ({p['path']}): all {p['total']} of its headers are here")
        )
    detected.extend(
        (
            "near profile",
            f"{near['name']} ({near['path']}): {near['matched']} of its {near['total']} "
            f"headers; the file {near['differs']}",
        )
        for near in result.near_profiles
    )
    return detected
