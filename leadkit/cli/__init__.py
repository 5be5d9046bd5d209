"""The command line: parse, call the library, render, exit. No logic of its own.

One module per command group registers its commands on `app`; this module holds the app,
the one error handler and the entry point.

Exit codes: 0 done; 1 done but a configured limit was crossed; 2 the user must fix
something (told in one line on stderr, never a traceback; --debug shows it); 3 an internal
error, a bug in leadkit (one line too, naming the error; --debug shows the traceback).

Every command is declared with `cls=Command` and an `epilog` of example invocations, one
per line: its help then reads `leadkit normalize [OPTIONS] INPUT...` and ends with them.
"""

from __future__ import annotations

import sys
from inspect import cleandoc
from pathlib import Path
from typing import Annotated, Any, NoReturn

import typer
from typer.core import TyperArgument, TyperCommand, TyperGroup

from leadkit import __version__
from leadkit.errors import LeadkitError


def _argument_name(param: TyperArgument, *, usage: bool) -> str:
    """`INPUT...` for a list, `NAME` for one value; `[NAME]` on the usage line if optional."""
    name = param.metavar or (param.name or "").upper()
    if param.nargs != 1:
        name += "..."
    return f"[{name}]" if usage and not param.required else name


class _Help:
    """The help layout every leadkit command shares (mixed into Typer's classes)."""

    epilog: str | None

    def format_epilog(self, ctx: Any, formatter: Any) -> None:
        """The examples, one invocation a line, never rewrapped."""
        if not self.epilog:
            return
        with formatter.section("Examples"):
            for line in cleandoc(self.epilog).splitlines():
                formatter.write(f"{'':>{formatter.current_indent}}{line}\n")


class Command(_Help, TyperCommand):
    """A command whose arguments read as their metavar: `INPUT...`, not `{inputs}...
    <list[Path]>`."""

    def collect_usage_pieces(self, ctx: Any) -> list[str]:
        pieces = [self.options_metavar] if self.options_metavar else []
        pieces += [
            _argument_name(p, usage=True)
            for p in self.get_params(ctx)
            if isinstance(p, TyperArgument)
        ]
        return pieces

    def format_options(self, ctx: Any, formatter: Any) -> None:
        args: list[tuple[str, str]] = []
        opts: list[tuple[str, str]] = []
        for param in self.get_params(ctx):
            record = param.get_help_record(ctx)
            if record is None:
                continue
            if isinstance(param, TyperArgument):
                args.append((_argument_name(param, usage=False), record[1]))
            else:
                opts.append(record)
        for title, rows in (("Arguments", args), ("Options", opts)):
            if rows:
                with formatter.section(title):
                    formatter.write_dl(rows)


class Group(_Help, TyperGroup):
    """A command group (the root app, `leadkit mapping`) with examples at the end."""


app = typer.Typer(
    name="leadkit",
    cls=Group,
    epilog="""
        leadkit normalize leads.csv -m mappings/partner.yaml -e crm_export.csv -o out/
        leadkit mapping init leads.csv -t salesforce -o mappings/partner.yaml
        """,
    help="Turn any partner lead file into clean, deduplicated, CRM-ready imports.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
    rich_markup_mode=None,
)

DebugOpt = Annotated[bool, typer.Option("--debug", help="Show the full traceback of a failure.")]
# The inputs `normalize` and `run` share, read once per run for every file.
ExistingOpt = Annotated[
    list[Path] | None,
    typer.Option(
        "--existing",
        "-e",
        metavar="CRM_EXPORT",
        help="An existing CRM export to match against (repeatable; read once per run).",
    ),
]
AccountsOpt = Annotated[
    list[Path] | None,
    typer.Option(
        "--accounts",
        "-a",
        metavar="ACCOUNTS",
        help="A CRM account (company) export: leads are matched to accounts (repeatable; "
        "read once per run).",
    ),
]
RulesOpt = Annotated[
    Path | None,
    typer.Option(
        "--rules",
        metavar="RULES",
        help="The sales-handoff rules file (suppression, routing, update policy, qualify).",
    ),
]


def fail(err: BaseException, debug: bool) -> NoReturn:
    if debug:
        raise err
    if isinstance(err, LeadkitError):
        typer.echo(f"leadkit: {err}", err=True)
        raise typer.Exit(err.exit_code)
    typer.echo(f"leadkit: internal error: {type(err).__name__}: {err} (run with --debug)", err=True)
    raise typer.Exit(3)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"leadkit {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Show the version.")
    ] = False,
) -> None:
    """Turn any partner lead file into clean, deduplicated, CRM-ready imports."""


def main() -> None:
    try:
        app()
    except KeyboardInterrupt:
        sys.stderr.write("leadkit: interrupted\n")
        sys.exit(130)
    except SystemExit as done:
        if _end_at_once and (done.code is None or isinstance(done.code, int)):
            _end_now_if_safe(done.code or 0)
        raise


# Set by a command whose work is all on disk and on screen when it returns (see `end_at_once`).
_end_at_once = False


def end_at_once() -> None:
    """Lets the process end as soon as the command returns, without the interpreter's
    teardown (freeing a run's frames one object at a time: a tenth of a second at 100k
    rows, for nothing). Only for the console entry point (`main`); a caller of `app`
    (tests, CliRunner) is unaffected. A run that started a worker process ends normally:
    its queues' semaphores are released only by the normal shutdown."""
    global _end_at_once
    _end_at_once = True


def _end_now_if_safe(code: int) -> None:
    import os
    from contextlib import suppress

    from leadkit.normalizers._base import workers_started

    if workers_started():
        return
    for stream in (sys.stdout, sys.stderr):
        with suppress(OSError, ValueError):  # a closed pipe: nothing more can be said
            stream.flush()
    os._exit(code)


# Command groups register themselves on `app` when imported.
from leadkit.cli import batch as _batch  # noqa: E402,F401
from leadkit.cli import handoff as _handoff  # noqa: E402,F401
from leadkit.cli import inspect as _inspect  # noqa: E402,F401
from leadkit.cli import mapping as _mapping  # noqa: E402,F401
from leadkit.cli import mapping_check as _mapping_check  # noqa: E402,F401
from leadkit.cli import normalize as _normalize  # noqa: E402,F401
