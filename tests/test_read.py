"""The reader: tables of input file -> exact frame and detection, every error one clear line.

Every fixture file is built here, programmatically, into tmp_path: a case is one row of a
table (what the file holds, what the reader is told, what must come out).
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import io
import random
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal
from unittest import mock

import polars as pl
import pytest
import xlsxwriter
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import leadkit.read.delimited
from leadkit.errors import InputError
from leadkit.read import InputHints, Table, header_key, read_table

Row = tuple[Any, ...]
# csv.QUOTE_MINIMAL, QUOTE_ALL, QUOTE_NONNUMERIC, QUOTE_NONE: what csv.writer takes.
Quoting = Literal[0, 1, 2, 3]
Builder = Callable[[Path], None]


# --------------------------------------------------------------------------------------
# Fixture builders
# --------------------------------------------------------------------------------------


def text(content: str, encoding: str = "utf-8", bom: bytes = b"") -> bytes:
    return bom + content.encode(encoding)


def delimited(
    rows: Sequence[Sequence[str]],
    delimiter: str,
    terminator: str = "\r\n",
    quoting: Quoting = csv.QUOTE_MINIMAL,
) -> str:
    out = io.StringIO()
    csv.writer(out, delimiter=delimiter, lineterminator=terminator, quoting=quoting).writerows(rows)
    return out.getvalue()


@dataclass
class Sheet:
    name: str
    # (row, col, value[, format]) cells; values of type datetime/time get a date format.
    cells: list[tuple[int, int, Any]] = field(default_factory=list)
    rows: dict[int, list[Any]] = field(default_factory=dict)  # 0-based row -> values from col A
    hidden: bool = False
    formatted_blanks: range = range(0)  # rows with a formatted but empty cell in column A


def workbook(*sheets: Sheet) -> Builder:
    def build(path: Path) -> None:
        wb = xlsxwriter.Workbook(str(path))
        date = wb.add_format({"num_format": "yyyy-mm-dd"})
        stamp = wb.add_format({"num_format": "yyyy-mm-dd hh:mm:ss"})
        clock = wb.add_format({"num_format": "hh:mm:ss"})
        for spec in sheets:
            ws = wb.add_worksheet(spec.name)
            if not spec.hidden and any(s.hidden for s in sheets):
                ws.activate()  # the active sheet cannot be hidden
            cells = list(spec.cells)
            for r, values in spec.rows.items():
                cells.extend((r, c, v) for c, v in enumerate(values))
            for r, c, value in cells:
                if value is None:
                    continue
                if isinstance(value, dt.datetime):
                    has_time = value.time() != dt.time(0)
                    ws.write_datetime(r, c, value, stamp if has_time else date)
                elif isinstance(value, dt.time):
                    ws.write_datetime(r, c, value, clock)
                elif isinstance(value, bool):
                    ws.write_boolean(r, c, value)
                elif isinstance(value, (int, float)):
                    ws.write_number(r, c, value)
                else:
                    ws.write_string(r, c, value)
            for r in spec.formatted_blanks:
                ws.write_blank(r, 0, None, date)
            if spec.hidden:
                ws.hide()
        wb.close()

    return build


@dataclass
class Case:
    id: str
    file: str
    content: bytes | Builder
    columns: list[str]
    rows: list[Row]  # values..., _row, _extra
    expected: Sequence[str | Sequence[str]] = ()
    hints: InputHints | None = None
    info: dict[str, Any] = field(default_factory=dict)


def write(tmp_path: Path, file: str, content: bytes | Builder) -> Path:
    path = tmp_path / file
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        content(path)
    return path


def read_case(tmp_path: Path, case: Case) -> Table:
    path = write(tmp_path, case.file, case.content)
    return read_table(path, expected_headers=case.expected, hints=case.hints)


# --------------------------------------------------------------------------------------
# Cases: delimited text
# --------------------------------------------------------------------------------------

PEOPLE = "Email,First Name,City\nzoe@x.com,Zoë,Zürich\njose@y.es,José,€uro City\n"
PEOPLE_COLUMNS = ["Email", "First Name", "City"]
PEOPLE_ROWS: list[Row] = [
    ("zoe@x.com", "Zoë", "Zürich", 1, None),
    ("jose@y.es", "José", "€uro City", 2, None),
]
TSV_PEOPLE = PEOPLE.replace(",", "\t")

# Values holding the other delimiters, written by csv.writer (quoted only where needed).
MIXED = [
    ["Email", "Company", "Notes"],
    ["a@x.com", "Acme, Inc.", "call; then mail"],
    ["b@y.com", "B|C Ltd", "tab\there"],
    ["c@z.com", "Plain", "x"],
]
MIXED_ROWS: list[Row] = [(*r, i, None) for i, r in enumerate(MIXED[1:], start=1)]

ZOOM = """\
Attendee Report:,
Report Generated:,"3/15/2024 10:00 AM"
Topic,Webinar ID,Actual Start Time,Actual Duration (minutes),Unique Viewers,Total Users,Max Concurrent Views
Q1 Product Webinar,987 6543 2109,"Mar 14, 2024 09:00 AM",62,153,170,140
Host Details,
Attended,User Name (Original Name),Email,Join Time,Leave Time,Time in Session (minutes),Is Guest,Country/Region Name
Yes,Jane Host,jane@acme.com,"Mar 14, 2024 08:50 AM","Mar 14, 2024 10:02 AM",72,No,United States
Panelist Details,
Attended,User Name (Original Name),Email,Join Time,Leave Time,Time in Session (minutes),Is Guest,Country/Region Name
Yes,Bob Panel,bob@acme.com,"Mar 14, 2024 08:55 AM","Mar 14, 2024 10:01 AM",66,No,Canada
Attendee Details,
Attended,First Name,Last Name,Email,Registration Time,Approval Status,Join Time,Leave Time,Time in Session (minutes),Is Guest,Country/Region Name
Yes,John,Doe,john@x.com,"Mar 1, 2024 10:00 AM",approved,"Mar 14, 2024 09:01 AM","Mar 14, 2024 10:00 AM",59,Yes,United States
No,Ann,Lee,ann@y.com,"Mar 2, 2024 11:00 AM",approved,--,--,--,Yes,Germany
Other Attended,
User Name (Original Name),Email,Join Time,Leave Time,Time in Session (minutes),Country/Region Name
Zed,zed@z.com,"Mar 14, 2024 09:01 AM","Mar 14, 2024 10:00 AM",59,France
"""
ZOOM_COLUMNS = [
    "Attended", "First Name", "Last Name", "Email", "Registration Time", "Approval Status",
    "Join Time", "Leave Time", "Time in Session (minutes)", "Is Guest", "Country/Region Name",
]  # fmt: skip
ZOOM_ROWS: list[Row] = [
    ("Yes", "John", "Doe", "john@x.com", "Mar 1, 2024 10:00 AM", "approved",
     "Mar 14, 2024 09:01 AM", "Mar 14, 2024 10:00 AM", "59", "Yes", "United States", 1, None),
    ("No", "Ann", "Lee", "ann@y.com", "Mar 2, 2024 11:00 AM", "approved",
     "--", "--", "--", "Yes", "Germany", 2, None),
]  # fmt: skip

SALESFORCE = (
    '"First Name","Last Name","Email","Company"\r\n'
    '"John","Doe","j@x.com","Acme"\r\n'
    '"Ann","Lee","a@y.com","Total Wine & More"\r\n'
    "\r\n"
    '"Grand Totals (2 records)"\r\n'
    "\r\n"
    '"Leads Report"\r\n'
    '"Copyright (c) 2000-2026 salesforce.com, inc. All rights reserved."\r\n'
    '"Confidential Information - Do Not Distribute"\r\n'
    '"Generated By:  Jane Smith  3/15/2024 9:07 AM"\r\n'
    '"Acme, Inc."\r\n'
)
SF_ROWS: list[Row] = [
    ("John", "Doe", "j@x.com", "Acme", 1, None),
    ("Ann", "Lee", "a@y.com", "Total Wine & More", 2, None),
]
# The same footer written without quotes: the copyright line's comma splits it in two cells.
SALESFORCE_UNQUOTED = (
    "First Name,Last Name,Email,Company\n"
    "John,Doe,j@x.com,Acme\n"
    "Ann,Lee,a@y.com,Total Wine & More\n"
    "\n"
    "Leads Report\n"
    "Copyright (c) 2000-2026 salesforce.com, inc. All rights reserved.\n"
    "Confidential Information - Do Not Distribute\n"
    "Generated By:  Jane Smith  3/15/2024 9:07 AM\n"
    "Acme, Inc.\n"
)

LONG_EXTRA = [f"x{i}" for i in range(40)]

TEXT_CASES: list[Case] = [
    # --- encodings ---
    Case("utf-8", "p.csv", text(PEOPLE), PEOPLE_COLUMNS, PEOPLE_ROWS,
         info={"encoding": "utf-8", "delimiter": ","}),
    Case("utf-8-sig", "p.csv", text(PEOPLE, bom=codecs.BOM_UTF8), PEOPLE_COLUMNS, PEOPLE_ROWS,
         expected=["Email"], info={"encoding": "utf-8-sig", "header_row": 1}),
    Case("utf-16-le bom tsv", "p.tsv", text(TSV_PEOPLE, "utf-16-le", codecs.BOM_UTF16_LE),
         PEOPLE_COLUMNS, PEOPLE_ROWS, info={"encoding": "utf-16-le", "delimiter": "\t"}),
    Case("utf-16-be bom tsv", "p.tsv", text(TSV_PEOPLE, "utf-16-be", codecs.BOM_UTF16_BE),
         PEOPLE_COLUMNS, PEOPLE_ROWS, info={"encoding": "utf-16-be", "delimiter": "\t"}),
    Case("utf-16-le no bom", "p.txt", text(TSV_PEOPLE, "utf-16-le"), PEOPLE_COLUMNS, PEOPLE_ROWS,
         info={"encoding": "utf-16-le"}),
    Case("cp1252", "p.csv", text(PEOPLE, "cp1252"), PEOPLE_COLUMNS, PEOPLE_ROWS,
         info={"encoding": "cp1252"}),
    Case("cp1252 semicolon", "p.csv", text(PEOPLE.replace(",", ";"), "cp1252"), PEOPLE_COLUMNS,
         PEOPLE_ROWS, info={"encoding": "cp1252", "delimiter": ";"}),
    Case("cp1252 undefined byte as latin-1", "p.csv", b"Email,Name\nx@y.com,A\x81B \x80\n",
         ["Email", "Name"], [("x@y.com", "A\x81B \u20ac", 1, None)], info={"encoding": "cp1252"}),
    Case("utf-8 with a stray cp1252 byte", "p.csv",
         "Email,Name\nz@x.com,Zoë\n".encode() + "j@y.es,José\n".encode("cp1252"),
         ["Email", "Name"], [("z@x.com", "Zoë", 1, None), ("j@y.es", "José", 2, None)],
         info={"encoding": "utf-8+cp1252"}),
    # --- delimiters (values hold the other delimiters) ---
    *[
        Case(f"delimiter {name}", "m.csv", text(delimited(MIXED, d)), MIXED[0], MIXED_ROWS,
             info={"delimiter": d})
        for name, d in (("comma", ","), ("semicolon", ";"), ("tab", "\t"), ("pipe", "|"))
    ],
    *[
        Case(f"delimiter {name} with expected headers", "m.txt", text(delimited(MIXED, d)),
             MIXED[0], MIXED_ROWS, expected=["Email", "Company"], info={"delimiter": d})
        for name, d in (("comma", ","), ("semicolon", ";"), ("tab", "\t"), ("pipe", "|"))
    ],
    # --- quoting ---
    Case("quoted newlines are one record", "q.csv",
         text('Email,Notes,City\r\na@x.com,"line 1\r\nline 2",Paris\r\n'
              'b@y.com,"say ""hi""",Rome\r\nc@z.com,"x\n\ny",Oslo\r\n'),
         ["Email", "Notes", "City"],
         [("a@x.com", "line 1\r\nline 2", "Paris", 1, None), ('b@y.com', 'say "hi"', "Rome", 2, None),
          ("c@z.com", "x\n\ny", "Oslo", 3, None)]),
    Case("quoted newline in the header", "q.csv", text('Email,"Full\nName"\na@x.com,A\n'),
         ["Email", "Full\nName"], [("a@x.com", "A", 1, None)], info={"header_row": 1}),
    Case("quoted empty is null", "q.csv", text('Email,Name\n"a@x.com",""\n'), ["Email", "Name"],
         [("a@x.com", None, 1, None)]),
    Case("stray quotes read as Python's csv module reads them", "q.csv",
         text('Email,Name\na@x.com,"A" B\nb@y.com,12" TV\n'), ["Email", "Name"],
         [("a@x.com", "A B", 1, None), ("b@y.com", '12" TV', 2, None)]),
    # --- preambles, sections, footers ---
    Case("title rows before the header", "t.csv",
         text("Leads export\nGenerated 2024-03-15\n\nEmail,Name\na@x.com,A\n"), ["Email", "Name"],
         [("a@x.com", "A", 1, None)], expected=["Email"], info={"header_row": 4}),
    Case("title rows, header guessed", "t.csv",
         text("Leads export\nGenerated 2024-03-15\n\nEmail,Name\na@x.com,A\n"), ["Email", "Name"],
         [("a@x.com", "A", 1, None)], info={"header_row": 4}),
    Case("header with the most expected names wins", "t.csv",
         text("Email,Report\nx,y\nEmail,First Name,Phone\na@x.com,A,1\n"),
         ["Email", "First Name", "Phone"], [("a@x.com", "A", "1", 1, None)],
         expected=["Email", "First Name", "Phone"], info={"header_row": 3}),
    Case("zoom attendee report", "zoom.csv", text(ZOOM), ZOOM_COLUMNS, ZOOM_ROWS,
         expected=["Email", "First Name", "Last Name"],
         info={"header_row": 12, "footer": "Other Attended", "data_rows": 2, "blank_rows": 0}),
    Case("zoom attendee report, header guessed", "zoom.csv", text(ZOOM), ZOOM_COLUMNS, ZOOM_ROWS,
         info={"header_row": 12, "footer": "Other Attended"}),
    Case("salesforce report footer", "sf.csv", text(SALESFORCE), ["First Name", "Last Name", "Email", "Company"],
         SF_ROWS, expected=["Email"],
         info={"footer": "Grand Totals (2 records)", "data_rows": 2, "blank_rows": 0}),
    Case("salesforce footer unquoted", "sf.csv", text(SALESFORCE_UNQUOTED),
         ["First Name", "Last Name", "Email", "Company"], SF_ROWS, expected=["Email"],
         info={"footer": "Copyright (c) 2000-2026 salesforce.com, inc. All rights reserved.",
               "blank_rows": 0}),
    Case("total trailer", "t.csv", text("Email,Score\na@x.com,3\nb@y.com,4\nTotal:,7\n"),
         ["Email", "Score"], [("a@x.com", "3", 1, None), ("b@y.com", "4", 2, None)],
         info={"footer": "Total:, 7"}),
    Case("one-cell rows at the end are data, not a footer", "t.csv",
         text("Email,Name,Company\na@x.com,A,Acme\n\nb@y.com,,\n,,Total Wine & More\n"),
         ["Email", "Name", "Company"],
         [("a@x.com", "A", "Acme", 1, None), ("b@y.com", None, None, 3, None),
          (None, None, "Total Wine & More", 4, None)],
         info={"footer": None, "blank_rows": 1}),
    Case("a one-cell row before a text row is data, not a section", "t.csv",
         text("First,Last,Company\nJane,,\nJohn,Doe,Acme\n"), ["First", "Last", "Company"],
         [("Jane", None, None, 1, None), ("John", "Doe", "Acme", 2, None)], info={"footer": None}),
    # --- ragged rows ---
    Case("ragged rows", "r.csv",
         text("Email,Name,City\na@x.com,A\nb@y.com,B,Paris,extra1,,extra2\nc@z.com,C,Rome,\n"),
         ["Email", "Name", "City"],
         [("a@x.com", "A", None, 1, None), ("b@y.com", "B", "Paris", 2, "extra1|extra2"),
          ("c@z.com", "C", "Rome", 3, None)],
         info={"extra_cell_rows": 1}),
    Case("rows far wider than the header", "r.csv",
         text("Email,Name\na@x.com,A," + ",".join(LONG_EXTRA) + "\nb@y.com,B\n"), ["Email", "Name"],
         [("a@x.com", "A", 1, "|".join(LONG_EXTRA)), ("b@y.com", "B", 2, None)],
         info={"extra_cell_rows": 1}),
    Case("header with a trailing delimiter", "r.csv", text("Email,Name,\na@x.com,A,\nb@y.com,B,note\n"),
         ["Email", "Name"], [("a@x.com", "A", 1, None), ("b@y.com", "B", 2, "note")],
         info={"extra_cell_rows": 1}),
    # --- blank records ---
    Case("whitespace-only rows keep their numbers", "b.csv",
         text("Email,Name\na@x.com,A\n\n   \n,\n \t ,  \nb@y.com,B\nc@z.com,   \n\n\n"),
         ["Email", "Name"],
         [("a@x.com", "A", 1, None), ("b@y.com", "B", 6, None), ("c@z.com", "   ", 7, None)],
         info={"blank_rows": 4, "data_rows": 3}),
    Case("blank rows right after the header", "b.csv", text("Email,Name\r\n\r\n,\r\na@x.com,A\r\n"),
         ["Email", "Name"], [("a@x.com", "A", 3, None)], info={"blank_rows": 2}),
    Case("header only", "h.csv", text("Email,Name\n"), ["Email", "Name"], [],
         info={"data_rows": 0, "blank_rows": 0}),
    Case("header and blank lines only", "h.csv", text("Email,Name\n\n\n"), ["Email", "Name"], [],
         info={"data_rows": 0, "blank_rows": 0}),
    # --- header names ---
    Case("duplicate, empty and reserved header names", "d.csv",
         text("Email,Name,Email,,Name,_row,Email_2\n1@x,a,2@x,b,c,d,e\n"),
         ["Email", "Name", "Email_3", "column_4", "Name_2", "_row_2", "Email_2"],
         [("1@x", "a", "2@x", "b", "c", "d", "e", 1, None)]),
    Case("header names trimmed, invisible characters removed", "d.csv",
         text("  Email ,\u200bFirst Name\u00a0, City\nx@y.com,A,B\n", bom=codecs.BOM_UTF8),
         ["Email", "First Name", "City"], [("x@y.com", "A", "B", 1, None)]),
    Case("header matching tolerant of case, spaces, NBSP, BOM, zero-width", "d.csv",
         text("Report\n E-Mail\u00a0 Address ,FIRST  NAME,\u200bPhone\nx@y.com,A,1\n"),
         ["E-Mail\u00a0 Address", "FIRST  NAME", "Phone"], [("x@y.com", "A", "1", 1, None)],
         expected=["e-mail address", "First Name", "\ufeffphone"], info={"header_row": 2}),
    Case("alternate expected headers", "d.csv", text("Title\nOrganization,Email\nAcme,a@x.com\n"),
         ["Organization", "Email"], [("Acme", "a@x.com", 1, None)],
         expected=["Email", ["Company", "Organization"]], info={"header_row": 2}),
    Case("single column, values with semicolons", "c.csv", text("Name\nA;B\nC;D\n"), ["Name"],
         [("A;B", 1, None), ("C;D", 2, None)], expected=["Name"], info={"delimiter": ","}),
    Case("single column, values with commas", "c.csv", text("Name\nDoe, John\nRoe, Jane\n"), ["Name"],
         [("Doe, John", 1, None), ("Roe, Jane", 2, None)], expected=["Name"]),
    Case("header only, no final line end", "h.csv", text("Email,Name"), ["Email", "Name"], [],
         info={"data_rows": 0, "header_row": 1}),
    Case("trailing delimiter on data rows only", "r.csv", text("Email,Name\na@x.com,A,\nb@y.com,,\n"),
         ["Email", "Name"], [("a@x.com", "A", 1, None), ("b@y.com", None, 2, None)],
         info={"extra_cell_rows": 0}),
    # --- line ends, Excel's sep= line ---
    Case("classic Mac line ends", "m.csv", text("Email,Name\ra@x.com,A\rb@y.com,B\r"),
         ["Email", "Name"], [("a@x.com", "A", 1, None), ("b@y.com", "B", 2, None)]),
    Case("Excel sep= line", "s.csv", text("sep=;\nEmail;Name\na@x.com;A, Jr.\n"), ["Email", "Name"],
         [("a@x.com", "A, Jr.", 1, None)], info={"delimiter": ";", "header_row": 2}),
    # --- hints override detection ---
    Case("no hint: comma", "h.csv", text("a,b;c\n1,2;3\n"), ["a", "b;c"], [("1", "2;3", 1, None)]),
    Case("delimiter hint", "h.csv", text("a,b;c\n1,2;3\n"), ["a,b", "c"], [("1,2", "3", 1, None)],
         hints=InputHints(delimiter=";"), info={"delimiter": ";"}),
    Case("delimiter hint by name", "h.txt", text("a\tb,c\n1\t2,3\n"), ["a", "b,c"],
         [("1", "2,3", 1, None)], hints=InputHints(delimiter="tab")),
    Case("no hint: cp1250 read as cp1252", "h.csv", text("Miasto\nŁódź\n", "cp1250"), ["Miasto"],
         [("£ódŸ", 1, None)], info={"encoding": "cp1252"}),
    Case("encoding hint", "h.csv", text("Miasto\nŁódź\n", "cp1250"), ["Miasto"],
         [("Łódź", 1, None)], hints=InputHints(encoding="cp1250"), info={"encoding": "cp1250"}),
    Case("header row hint past the first 200 lines", "h.csv",
         text("".join(f"note {i}\n" for i in range(300)) + "Email,Name\na@x.com,A\n"),
         ["Email", "Name"], [("a@x.com", "A", 1, None)], hints=InputHints(header_row=301),
         info={"header_row": 301}),
    Case("header row hint", "h.csv", text("Email,Name\nx,y\nE-mail,Full Name\na@x.com,A\n"),
         ["E-mail", "Full Name"], [("a@x.com", "A", 1, None)], expected=["Email", "Name"],
         hints=InputHints(header_row=3), info={"header_row": 3}),
]  # fmt: skip


# --------------------------------------------------------------------------------------
# Cases: workbooks
# --------------------------------------------------------------------------------------

NUMBERS = Sheet("Leads", rows={
    0: ["Email", "Phone", "Zip", "Score", "Visits", "Registered", "Scanned At", "Slot", "Opt-in", "Big"],
    1: ["a@x.com", 4155550123, "02134", 12.5, 7.0, dt.datetime(2024, 3, 15),
        dt.datetime(2024, 3, 15, 9, 7, 11), dt.time(9, 7), True, 14155550199],
    2: ["b@y.com", "(415) 555-0124", "00501", 0.1, 3, None, None, None, False, 1e15],
})  # fmt: skip
NUMBERS_ROWS: list[Row] = [
    ("a@x.com", "4155550123", "02134", "12.5", "7", "2024-03-15", "2024-03-15 09:07:11",
     "09:07:00", "true", "14155550199", 1, None),
    ("b@y.com", "(415) 555-0124", "00501", "0.1", "3", None, None, None, "false",
     "1000000000000000", 2, None),
]  # fmt: skip

BADGE = Sheet("Scans", cells=[
    (0, 1, "ACME Expo 2024 — Badge Scans"),
    (1, 1, "Exported 2024-03-16"),
], rows={
    4: [None, "Email", "Company", "Phone"],
    5: [None, "a@x.com", "Acme", 4155550123],
    6: [None, "   ", None, None],
    7: [None, "b@y.com", "Beta", None, None, "extra!"],
    8: [None, None, None, None],
    9: [None, "c@z.com", "Gamma", "+1 415 555 0100"],
})  # fmt: skip
BADGE_ROWS: list[Row] = [
    ("a@x.com", "Acme", "4155550123", 1, None),
    ("b@y.com", "Beta", None, 3, "extra!"),
    ("c@z.com", "Gamma", "+1 415 555 0100", 5, None),
]
SUMMARY = Sheet("Summary", rows={0: ["Event summary"], 1: ["Leads", 3], 2: ["Date", "2024-03-15"]})
OTHER = Sheet("Other", rows={0: ["Name", "Note"], 1: ["x", "y"]})
OTHER_TOO = Sheet("Other 2", rows={0: ["Name", "Note"], 1: ["z", "w"]})
SF_SHEET = Sheet("Report", rows={
    0: ["First Name", "Last Name", "Email"],
    1: ["John", "Doe", "j@x.com"],
    3: ["Grand Totals (1 records)"],
    5: ["Leads Report"],
    6: ["Copyright (c) 2000-2026 salesforce.com, inc. All rights reserved."],
    7: ["Confidential Information - Do Not Distribute"],
})  # fmt: skip

BOOK_CASES: list[Case] = [
    Case("xlsx number, text and date cells", "n.xlsx", workbook(NUMBERS),
         ["Email", "Phone", "Zip", "Score", "Visits", "Registered", "Scanned At", "Slot", "Opt-in", "Big"],
         NUMBERS_ROWS, expected=["Email"], info={"format": "xlsx", "sheet": "Leads", "header_row": 1,
                                                "encoding": None, "delimiter": None}),
    Case("xlsx title rows, blank rows, extra cells", "b.xlsx", workbook(BADGE),
         ["Email", "Company", "Phone"], BADGE_ROWS, expected=["Email", "Phone"],
         info={"header_row": 5, "blank_rows": 2, "extra_cell_rows": 1, "data_rows": 3}),
    Case("xlsx title rows, header guessed", "b.xlsx", workbook(BADGE),
         ["Email", "Company", "Phone"], BADGE_ROWS, info={"header_row": 5}),
    Case("xlsx mapped headers on the second sheet", "s.xlsx", workbook(SUMMARY, BADGE),
         ["Email", "Company", "Phone"], BADGE_ROWS, expected=["Email", "Company"],
         info={"sheet": "Scans", "header_row": 5}),
    Case("xlsx without expected headers: the lead list, not the summary", "s.xlsx",
         workbook(SUMMARY, BADGE), ["Email", "Company", "Phone"], BADGE_ROWS, info={"sheet": "Scans"}),
    Case("xlsx hidden sheet loses a tie", "s.xlsx",
         workbook(Sheet("Old", rows=OTHER.rows, hidden=True), OTHER), ["Name", "Note"],
         [("x", "y", 1, None)], expected=["Name"], info={"sheet": "Other"}),
    Case("xlsx sheet hint by name", "s.xlsx", workbook(BADGE, OTHER), ["Name", "Note"],
         [("x", "y", 1, None)], hints=InputHints(sheet="other"), info={"sheet": "Other"}),
    Case("xlsx sheet hint by index", "s.xlsx", workbook(OTHER, OTHER_TOO), ["Name", "Note"],
         [("z", "w", 1, None)], expected=["Name"], hints=InputHints(sheet=1), info={"sheet": "Other 2"}),
    Case("xlsx header row hint", "s.xlsx", workbook(BADGE), ["Email", "Company", "Phone"], BADGE_ROWS,
         hints=InputHints(header_row=5), info={"header_row": 5}),
    Case("xlsx salesforce footer", "sf.xlsx", workbook(SF_SHEET), ["First Name", "Last Name", "Email"],
         [("John", "Doe", "j@x.com", 1, None)], expected=["Email"],
         info={"footer": "Grand Totals (1 records)", "blank_rows": 0}),
    Case("xlsx footer above many formatted empty rows", "sf.xlsx",
         workbook(Sheet("Report", rows=SF_SHEET.rows, formatted_blanks=range(10, 400))),
         ["First Name", "Last Name", "Email"], [("John", "Doe", "j@x.com", 1, None)],
         expected=["Email"], info={"footer": "Grand Totals (1 records)", "blank_rows": 0}),
    Case("xlsx duplicate header names", "d.xlsx",
         workbook(Sheet("S", rows={0: ["Email", "Email", None, "Name"], 1: ["a", "b", "c", "d"]})),
         ["Email", "Email_2", "column_3", "Name"], [("a", "b", "c", "d", 1, None)], expected=["Email"]),
    Case("workbook saved as .csv is read as a workbook", "book.csv", workbook(OTHER), ["Name", "Note"],
         [("x", "y", 1, None)], info={"format": "xlsx"}),
    Case("tab-separated text saved as .xls is read as text", "p.xls",
         text(TSV_PEOPLE, "utf-16-le", codecs.BOM_UTF16_LE), PEOPLE_COLUMNS, PEOPLE_ROWS,
         info={"format": "csv", "encoding": "utf-16-le", "delimiter": "\t"}),
    Case("csv text saved as .xlsx is read as text", "p.xlsx", text(PEOPLE), PEOPLE_COLUMNS, PEOPLE_ROWS,
         info={"format": "csv"}),
]  # fmt: skip


@pytest.mark.parametrize("case", TEXT_CASES + BOOK_CASES, ids=lambda c: c.id)
def test_read(tmp_path: Path, case: Case) -> None:
    table = read_case(tmp_path, case)
    frame = table.frame
    assert frame.columns == [*case.columns, "_row", "_extra"]
    assert frame.schema == pl.Schema(
        [*((c, pl.String) for c in case.columns), ("_row", pl.Int64), ("_extra", pl.String)]
    )
    assert frame.rows() == case.rows
    info = table.info
    got = {key: getattr(info, key) for key in case.info}
    assert got == case.info
    # Invariants of every read.
    assert info.data_rows == frame.height
    assert info.extra_cell_rows == frame["_extra"].is_not_null().sum()
    assert info.path == str(tmp_path / case.file)
    assert len(info.sha256) == 64


def test_info_sha256_is_the_file_digest(tmp_path: Path) -> None:
    import hashlib

    path = write(tmp_path, "p.csv", text(PEOPLE))
    assert read_table(path).info.sha256 == hashlib.sha256(path.read_bytes()).hexdigest()


# --------------------------------------------------------------------------------------
# header_key
# --------------------------------------------------------------------------------------

HEADER_KEYS = [
    ("Email", "email"),
    ("  E-Mail\u00a0 Address ", "e-mail address"),
    ("\ufeffEmail", "email"),
    ("\u200bPhone\u200d", "phone"),
    ("ＥＭＡＩＬ", "email"),  # full-width (NFKC)
    ("Straße", "strasse"),  # casefold
    ("First\tName", "first name"),
    ("FIRST  NAME", "first name"),
    ("", ""),
]


@pytest.mark.parametrize(("raw", "key"), HEADER_KEYS)
def test_header_key(raw: str, key: str) -> None:
    assert header_key(raw) == key


# --------------------------------------------------------------------------------------
# Errors: one line, naming the file, always InputError
# --------------------------------------------------------------------------------------


def _long_preamble() -> bytes:
    return text("".join(f"note {i}\n" for i in range(250)) + "E-mail,Phone\na@x.com,1\n")


def _zip_not_a_workbook() -> bytes:
    import zipfile

    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as z:
        z.writestr("hello.txt", "hi")
    return out.getvalue()


ErrorCase = tuple[str, str, "bytes | Builder | None", dict[str, Any], str]
ERROR_CASES: list[ErrorCase] = [
    ("missing file", "nope.csv", None, {}, "nope.csv: file not found"),
    ("empty file", "empty.csv", b"", {}, "empty.csv: empty file (0 bytes)"),
    ("blank lines only", "blank.csv", b"\r\n\n  \n", {}, "blank.csv: empty file (no rows)"),
    ("delimiters only", "blank.csv", b",,,\n;;\n", {}, "blank.csv: empty file (no rows)"),
    ("NUL bytes", "bin.csv", b"Email,Name\x00\x01\x02\x03\x00\n", {}, "bin.csv: binary file (NUL bytes)"),
    ("PNG", "logo.csv", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", {}, "logo.csv: binary file (a PNG image)"),
    ("corrupt xlsx", "bad.xlsx", b"PK\x03\x04garbage" * 10, {}, "bad.xlsx: not a readable XLSX workbook"),
    ("zip that is not a workbook", "z.xlsx", _zip_not_a_workbook(), {}, "z.xlsx: not a readable XLSX workbook"),
    ("garbage saved as xlsx", "g.xlsx", bytes(range(256)) * 4, {}, "g.xlsx: not a readable XLSX workbook"),
    ("corrupt xls", "bad.xls", b"\xd0\xcf\x11\xe0" + b"\x00" * 600, {}, "bad.xls: not a readable XLS workbook"),
    ("web page saved as xls", "report.xls", b"<html><body><table><tr><td>Email</td></tr></table>", {},
     "report.xls: a web page saved as .xls, not a workbook"),
    ("unsupported extension", "leads.pdf", b"%PDF-1.4", {},
     "leads.pdf: unsupported file type '.pdf' (supported: .csv, .tsv, .tab, .txt, .xlsx, .xlsm, .xls)"),
    ("no extension", "leads", b"Email\n", {}, "leads: unsupported file type (no extension)"),
    ("no header row", "h.csv", b"Name,City\nA,B\n", {"expected_headers": ["E-mail", "Phone"]},
     "h.csv: no header row with 'E-mail', 'Phone' in the first 200 rows"),
    ("no header row: alternates named", "h.csv", b"Name,City\nA,B\n",
     {"expected_headers": ["E-mail", ["Phone", "Mobile"]]},
     "h.csv: no header row with 'E-mail', 'Phone' / 'Mobile' in the first 200 rows"),
    ("header below the first 200 rows", "h.csv", _long_preamble(), {"expected_headers": ["E-mail"]},
     "h.csv: no header row with 'E-mail' in the first 200 rows"),
    ("no header row in any sheet", "h.xlsx", workbook(SUMMARY, OTHER), {"expected_headers": ["E-mail"]},
     "h.xlsx: no header row with 'E-mail' in the first 200 rows of any sheet ('Summary', 'Other')"),
    ("empty workbook", "e.xlsx", workbook(Sheet("Empty")), {}, "e.xlsx: empty workbook"),
    ("header row hint beyond the file", "h.csv", b"Email\na\n", {"hints": InputHints(header_row=9)},
     "h.csv: header row 9 is beyond the end of the file"),
    ("header row hint below 1", "h.csv", b"Email\na\n", {"hints": InputHints(header_row=0)},
     "h.csv: header row hint must be 1 or more"),
    ("unknown sheet", "s.xlsx", workbook(OTHER), {"hints": InputHints(sheet="Leads")},
     "s.xlsx: no sheet 'Leads' (the workbook has 'Other')"),
    ("sheet index out of range", "s.xlsx", workbook(OTHER), {"hints": InputHints(sheet=3)},
     "s.xlsx: no sheet 3 (the workbook has 'Other')"),
    ("unknown encoding hint", "e.csv", b"Email\na\n", {"hints": InputHints(encoding="klingon")},
     "e.csv: unknown encoding 'klingon'"),
    ("text not in the hinted encoding", "e.csv", "Email\nJosé\n".encode("cp1252"),
     {"hints": InputHints(encoding="utf-8")}, "e.csv: not valid utf-8 text"),
    ("bad delimiter hint", "e.csv", b"Email\na\n", {"hints": InputHints(delimiter=";;")},
     "e.csv: delimiter hint must be one character"),
    ("unclosed quote runs past the field limit", "q.csv",
     text('Email,Notes\na@x.com,"never closed\n' + "more text\n" * 20000), {},
     "q.csv: line 2: a quoted cell runs on for more than 128 KB (a closing quote is missing?)"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("file", "content", "kwargs", "message"),
    [pytest.param(*c[1:], id=c[0]) for c in ERROR_CASES],
)
def test_errors(
    tmp_path: Path, file: str, content: bytes | Builder | None, kwargs: dict[str, Any], message: str
) -> None:
    path = tmp_path / file
    if content is not None:
        write(tmp_path, file, content)
    with pytest.raises(InputError) as raised:  # any other exception type fails the test
        read_table(path, **kwargs)
    text_ = str(raised.value)
    assert text_.startswith(message)
    assert text_.startswith(f"{file}: ")
    assert "\n" not in text_


def test_directory_is_an_error(tmp_path: Path) -> None:
    folder = tmp_path / "inbox.csv"
    folder.mkdir()
    with pytest.raises(InputError, match=r"^inbox\.csv: is a directory, not a file$"):
        read_table(folder)


# --------------------------------------------------------------------------------------
# The fast path at scale: Polars' chunked parse agrees with Python's csv module
# --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "odd_line",
    [
        pytest.param(None, id="polars path"),
        pytest.param(
            'odd@x.com,12" TV,"say "hi"",x\r\n',
            id="stray quotes: odd lines repaired by the csv module",
        ),
        pytest.param(
            "wide@x.com" + ",w" * 60 + "\r\n",
            id="very wide row: read again with more spare columns",
        ),
    ],
)
def test_large_file_matches_python_csv(tmp_path: Path, odd_line: str | None) -> None:
    """50k records with quoted newlines, blank and whitespace rows, ragged rows and quotes:
    big enough for Polars to split the body into chunks read in parallel. With a stray quote
    in the middle Polars refuses the body and the csv module repairs the odd lines; with a very
    wide row Polars reads again with more spare columns: the same records as the csv module."""
    rng = random.Random(7)
    header = ["Email", "Name", "Notes", "City"]
    rows: list[list[str]] = [header]
    for i in range(50_000):
        kind = rng.random()
        if kind < 0.02:
            rows.append([])  # empty line
        elif kind < 0.03:
            rows.append(["  ", "", " ", ""])
        elif kind < 0.05:
            rows.append([f"p{i}@x.com", "N", 'a\nb, "c"', "City", "extra"])
        elif kind < 0.07:
            rows.append([f"p{i}@x.com"])
        else:
            rows.append(
                [f"p{i}@x.com", f"Name {i}", rng.choice(["", "x", 'q "u" o', "l1\r\nl2"]), "Köln"]
            )
    rows.append(["last@x.com", "L", "", "X"])
    content = delimited(rows[:25_000], ",") + (odd_line or "") + delimited(rows[25_000:], ",")
    path = write(tmp_path, "big.csv", content.encode())
    table = read_table(path, expected_headers=["Email"])

    expected: list[Row] = []
    blank = 0
    for n, cells in enumerate(csv.reader(io.StringIO(content, newline="")), start=0):
        if n == 0:
            continue
        if not any(c.strip() for c in cells):
            blank += 1
            continue
        values = [(cells[i] if i < len(cells) else "") or None for i in range(4)]
        extra = "|".join(c for c in cells[4:] if c.strip()) or None
        expected.append((*values, n, extra))
    assert table.frame.rows() == expected
    assert table.info.blank_rows == blank
    assert table.info.data_rows == len(expected)


# --------------------------------------------------------------------------------------
# Property: anything csv.writer writes reads back the same
# --------------------------------------------------------------------------------------

# No letters that could spell a footer or section word; '#' only in header names, so no data
# cell can look like a header.
CELL = st.text(alphabet=st.sampled_from(list("ab éß€李 0123456789,;|\t\"'\r\n.-_@")), max_size=12)


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    width=st.integers(min_value=2, max_value=5),
    body=st.lists(st.lists(CELL, min_size=5, max_size=5), max_size=25),
    delimiter=st.sampled_from([",", ";", "\t", "|"]),
    encoding=st.sampled_from(["utf-8", "utf-8-sig", "utf-16"]),
    path=st.sampled_from(["polars", "repair", "python"]),
    # csv.writer leaves a CR unquoted when the line terminator is LF: with LF, quote all.
    style=st.sampled_from(
        [("\r\n", csv.QUOTE_MINIMAL), ("\n", csv.QUOTE_ALL), ("\r\n", csv.QUOTE_ALL)]
    ),
)
def test_round_trip(
    tmp_path: Path,
    width: int,
    body: list[list[str]],
    delimiter: str,
    encoding: str,
    path: str,
    style: tuple[str, Quoting],
) -> None:
    header = [f"Col#{i}" for i in range(width)]
    rows = [r[:width] for r in body]
    file = tmp_path / "rt.csv"
    file.write_bytes(delimited([header, *rows], delimiter, *style).encode(encoding))

    table = _read_by(path, file, header)

    kept = [(i, r) for i, r in enumerate(rows, start=1) if any(c.strip() for c in r)]
    last = kept[-1][0] if kept else 0
    expected = [(*[c or None for c in r], i, None) for i, r in kept]
    assert table.frame.columns == [*header, "_row", "_extra"]
    assert table.frame.rows() == expected
    assert table.info.delimiter == delimiter
    assert table.info.blank_rows == last - len(kept)
    assert table.info.footer is None


def _read_by(path: str, file: Path, header: list[str]) -> Table:
    """Read `file` the way `path` says: Polars as usual; as when Polars refuses the body
    (the odd lines repaired by the csv module, then Polars); the csv module alone."""
    if path == "polars":
        return read_table(file, expected_headers=header)
    real = leadkit.read.delimited._polars_body
    calls = 0

    def refuse_first(*args: Any) -> pl.DataFrame | None:
        nonlocal calls
        calls += 1
        return None if calls == 1 or path == "python" else real(*args)

    with mock.patch("leadkit.read.delimited._polars_body", side_effect=refuse_first):
        table = read_table(file, expected_headers=header)
    assert calls == 2  # the first read refused, the repaired body read (or refused too)
    return table


# --------------------------------------------------------------------------------------
# Speed (slow: generates the 1M-row benchmark file)
# --------------------------------------------------------------------------------------


@pytest.mark.slow
def test_million_rows_fast(bench_data: Callable[..., Path]) -> None:
    path = bench_data(1_000_000, 0) / "partner.csv"
    read_table(path, expected_headers=["E-mail"])  # warm the page cache
    best = min(_timed(lambda: read_table(path, expected_headers=["E-mail"])) for _ in range(3))
    table = read_table(path, expected_headers=["E-mail"])
    assert table.info.data_rows == 1_000_000
    assert table.frame["_row"].to_list()[-1] == 1_000_000
    assert best < 1.5, f"1M rows read in {best:.2f}s"


def _timed(fn: Callable[[], object]) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start
