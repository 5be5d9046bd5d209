"""Run-stopping problems. Bad data in a row is never one of these: it is a reason code.

Every LeadkitError carries one clear line for the user; the CLI prints it on stderr
and exits with `exit_code` (2: the user must fix something).
"""

from __future__ import annotations


class LeadkitError(Exception):
    """A problem that stops the run: the message is one line, shown as is."""

    exit_code = 2


class InputError(LeadkitError):
    """An input file is missing, unreadable, empty, or lacks the mapped headers."""


class MappingError(LeadkitError):
    """A mapping or target file is malformed; `problems` lists every located problem."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        head = problems[0] if problems else "invalid mapping"
        more = f" (and {len(problems) - 1} more problem(s))" if len(problems) > 1 else ""
        super().__init__(head + more)

    def __str__(self) -> str:
        return "\n".join(self.problems)
