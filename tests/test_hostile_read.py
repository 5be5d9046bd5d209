"""Issue 13, the reader's side: resource limits, crashes on hostile names and mappings, no
personal data in messages, no silent loss."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import polars as pl
import pytest
from typer.testing import CliRunner

from leadkit.cli import app
from leadkit.errors import InputError, LeadkitError, MappingError
from leadkit.mapping import load_mapping, parse_mapping
from leadkit.read import InputHints, ReadLimits, read_table
from leadkit.targets import load_target

runner = CliRunner()

# --- hostile workbooks: what no spreadsheet program writes, built from their XML ----------------

_CT = (
    '<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/'
    'package/2006/content-types"><Default Extension="rels" ContentType="application/'
    'vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType='
    '"application/xml"/><Override PartName="/xl/workbook.xml" ContentType="application/'
    'vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>{sheets}</Types>'
)
_CT_SHEET = (
    '<Override PartName="/xl/worksheets/sheet{n}.xml" ContentType="application/'
    'vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
)
_RELS = (
    '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats'
    '.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.'
    'openxmlformats.org/officeDocument/2006/relationships/officeDocument" '
    'Target="xl/workbook.xml"/></Relationships>'
)
_WB = (
    '<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="http://schemas.openxmlformats.org/'
    'spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/'
    'relationships"><sheets>{sheets}</sheets></workbook>'
)
_WB_RELS = (
    '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats'
    '.org/package/2006/relationships">{rels}</Relationships>'
)
_WB_REL = (
    '<Relationship Id="rId{n}" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
    'relationships/worksheet" Target="worksheets/sheet{n}.xml"/>'
)


def sheet_xml(cells: list[tuple[str, str]], dimension: str | None = None) -> bytes:
    """A sheet's XML with inline-string cells at the given references (`A1`, `XFD1048576`)."""
    rows: dict[int, list[str]] = {}
    for ref, value in cells:
        row = int("".join(ch for ch in ref if ch.isdigit()))
        rows.setdefault(row, []).append(f'<c r="{ref}" t="inlineStr"><is><t>{value}</t></is></c>')
    body = "".join(f'<row r="{r}">{"".join(c)}</row>' for r, c in sorted(rows.items()))
    dim = f'<dimension ref="{dimension}"/>' if dimension else ""
    return (
        '<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="http://schemas.openxmlformats'
        f'.org/spreadsheetml/2006/main">{dim}<sheetData>{body}</sheetData></worksheet>'
    ).encode()


def workbook(*sheets: bytes, names: list[str] | None = None) -> bytes:
    """An XLSX holding the given sheet XMLs, deflated."""
    names = names or [f"Sheet{i + 1}" for i in range(len(sheets))]
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        n = range(1, len(sheets) + 1)
        z.writestr(
            "[Content_Types].xml", _CT.format(sheets="".join(_CT_SHEET.format(n=i) for i in n))
        )
        z.writestr("_rels/.rels", _RELS)
        z.writestr(
            "xl/workbook.xml",
            _WB.format(
                sheets="".join(
                    f'<sheet name="{names[i - 1]}" sheetId="{i}" r:id="rId{i}"/>' for i in n
                )
            ),
        )
        z.writestr(
            "xl/_rels/workbook.xml.rels",
            _WB_RELS.format(rels="".join(_WB_REL.format(n=i) for i in n)),
        )
        for i, xml in zip(n, sheets, strict=True):
            z.writestr(f"xl/worksheets/sheet{i}.xml", xml)
    return buf.getvalue()


def cli(*args: str | Path) -> tuple[int, str]:
    result = runner.invoke(app, [str(a) for a in args], terminal_width=100)
    return result.exit_code, result.stdout + result.stderr


def write(tmp_path: Path, name: str, content: bytes | str) -> Path:
    path = tmp_path / name
    path.write_bytes(content.encode() if isinstance(content, str) else content)
    return path


# --- resource limits ------------------------------------------------------------------------

LEADS = [("A1", "Email"), ("B1", "Name"), ("A2", "a@x.com"), ("B2", "Ann")]


@pytest.mark.parametrize(
    ("cells", "limits", "message"),
    [
        # the 1.7 KB workbook that made the XLSX reader ask for 512 GiB and abort the process
        ([("A1", "Email"), ("XFD1048576", "x")], ReadLimits(), "16384 columns"),
        ([("A1", "Email"), ("Z3000000", "x")], ReadLimits(), "3000000 rows x 26 columns"),
        (LEADS, ReadLimits(max_sheet_cells=3), "over the limit of 3 cells"),
        (LEADS, ReadLimits(max_columns=1), "across 2 columns"),
        (LEADS, ReadLimits(max_part_bytes=100), "over the limit of 100 bytes"),
    ],
)
def test_workbook_over_a_limit_is_refused_before_it_is_read(
    tmp_path: Path, cells: list[tuple[str, str]], limits: ReadLimits, message: str
) -> None:
    path = write(tmp_path, "w.xlsx", workbook(sheet_xml(cells)))
    with pytest.raises(InputError) as err:
        read_table(path, hints=InputHints(limits=limits))
    assert message in str(err.value)
    assert "\n" not in str(err.value)


def test_declared_dimension_alone_is_not_refused(tmp_path: Path) -> None:
    """A dimension that declares the whole sheet allocates nothing: the leads are read."""
    path = write(tmp_path, "w.xlsx", workbook(sheet_xml(LEADS, dimension="A1:XFD1048576")))
    assert read_table(path).frame["Email"].to_list() == ["a@x.com"]


def test_zip_bomb_ratio(tmp_path: Path) -> None:
    big = b"<!--" + b" " * (20 << 20) + b"-->"
    xml = sheet_xml(LEADS).replace(b"<sheetData>", big + b"<sheetData>")
    path = write(tmp_path, "bomb.xlsx", workbook(xml))
    with pytest.raises(InputError, match=r"expands \d+ times .* a zip bomb"):
        read_table(path)
    # the same workbook under a mapping that allows it
    assert (
        read_table(path, hints=InputHints(limits=ReadLimits(max_zip_ratio=10**6))).frame.height == 1
    )


@pytest.mark.parametrize(
    ("content", "limits", "message"),
    [
        ("Email,Notes\na@x.com," + "x" * 2000 + "\n", ReadLimits(max_cell_bytes=1000),
         "line 2: a cell longer than 1000 bytes"),
        # a runaway quoted cell running over delimiters and lines
        ('Email,Notes\na@x.com,"' + "x, y\n" * 400 + "\n", ReadLimits(max_cell_bytes=1000),
         "holds a cell longer than 1000 bytes"),
        ("A,B,C,D\n1,2,3,4\n", ReadLimits(max_columns=3), "the header has 4 columns"),
    ],
)  # fmt: skip
def test_text_over_a_limit_is_refused(
    tmp_path: Path, content: str, limits: ReadLimits, message: str
) -> None:
    path = write(tmp_path, "t.csv", content)
    with pytest.raises(InputError, match=message):
        read_table(path, hints=InputHints(limits=limits))


def test_mapping_limits_override_the_defaults() -> None:
    spec = parse_mapping("columns: {email: Email}\nlimits: {max_columns: 7, max_cell_bytes: 9}\n")
    assert spec.limits.read_limits() == ReadLimits(max_columns=7, max_cell_bytes=9)
    assert parse_mapping("columns: {email: Email}\n").limits.read_limits() == ReadLimits()


# --- crashes: exit 2 and one line -------------------------------------------------------------


def test_headers_named_like_patterns_are_taken_literally(tmp_path: Path) -> None:
    src = write(tmp_path, "s.csv", "Email,*,^E.*$,Company\na@x.com,star,regex,Acme\n")
    mapping = write(
        tmp_path,
        "m.yaml",
        'target: generic\ncolumns:\n  email: Email\n  company: "*"\n'
        'custom:\n  regex:\n    column: "^E.*$"\n',
    )
    from leadkit.remap import remap

    table = read_table(src)
    out = remap(table, load_mapping(mapping).spec)
    assert out.select("email", "company", "custom:regex").row(0) == ("a@x.com", "star", "regex")


@pytest.mark.parametrize(
    ("mapping", "message"),
    [
        (b"target: generic\ncolumns:\n  email: Em\xe9il\n", "m.yaml:3: not UTF-8 text (byte 0xE9)"),
        (b"columns: {email: Email}\nnotes: " + b"[" * 5000 + b"]" * 5000 + b"\n", "nested too deeply"),
        (b"columns: {email: Email}\ncustom:\n  Email:\n    column: Company\n",
         "duplicate-column: custom.Email: 'Email' is generic's own column for 'email'"),
    ],
)  # fmt: skip
def test_bad_mappings_exit_2_with_one_line(tmp_path: Path, mapping: bytes, message: str) -> None:
    src = write(tmp_path, "s.csv", "Email,Company\na@x.com,Acme\n")
    m = write(tmp_path, "m.yaml", mapping)
    code, err = cli("normalize", src, "-m", m, "-o", tmp_path / "out")
    assert code == 2, err
    assert message in err
    assert len(err.strip().splitlines()) == 1
    code, out = cli("mapping", "check", m)
    assert code != 0
    assert "internal error" not in out


def test_target_with_two_fields_on_one_column_is_refused(tmp_path: Path) -> None:
    target = write(
        tmp_path,
        "t.yaml",
        "name: t\nid_column: Id\nfields:\n  email: {column: Email}\n  company: {column: email}\n",
    )
    with pytest.raises(MappingError, match="'company' and 'email' are both written to column"):
        load_target(str(target))
    m = write(tmp_path, "m.yaml", "target: t.yaml\ncolumns: {email: Email}\n")
    code, out = cli("mapping", "check", m)
    assert code != 0
    assert "both written to column" in out


# --- no personal data in any reader message ----------------------------------------------------

CANARY = ["canary.person@example.com", "Zyxcanary", "+1 555 0199 777"]
CANARY_ROW = ",".join(CANARY)


def _canary_cases(tmp: Path) -> list[tuple[Path, InputHints, list[str]]]:
    """Files holding the canary row that every reader error path refuses."""
    rows = CANARY_ROW + "\n" + CANARY_ROW + "\n"
    cases: list[tuple[Path, InputHints, list[str]]] = [
        (write(tmp, "nohead.csv", rows), InputHints(header_row=1), ["Email", "Company"]),
        (write(tmp, "nohead2.csv", rows), InputHints(), ["Email", "Company"]),
        (write(tmp, "beyond.csv", rows), InputHints(header_row=9), ["Email"]),
        (
            write(tmp, "limit.csv", "Email,Notes\n" + rows),
            InputHints(limits=ReadLimits(max_cell_bytes=5)),
            [],
        ),
        (
            write(tmp, "cols.csv", CANARY_ROW + "\n"),
            InputHints(limits=ReadLimits(max_columns=2)),
            [],
        ),
        (write(tmp, "enc.csv", rows), InputHints(encoding="nope"), []),
        (write(tmp, "delim.csv", rows), InputHints(delimiter="ab"), []),
        (write(tmp, "runaway.csv", 'Email,Notes\n"' + rows * 20000), InputHints(), []),
        (
            write(tmp, "nohead.xlsx", workbook(sheet_xml([("A1", CANARY[0]), ("B1", CANARY[1])]))),
            InputHints(header_row=1),
            ["Email"],
        ),
        (
            write(tmp, "nohead2.xlsx", workbook(sheet_xml([("A1", CANARY[0]), ("B1", CANARY[1])]))),
            InputHints(),
            ["Email"],
        ),
        (
            write(tmp, "sheet.xlsx", workbook(sheet_xml([("A1", CANARY[0])]))),
            InputHints(sheet="nope"),
            [],
        ),
        (
            write(
                tmp, "spread.xlsx", workbook(sheet_xml([("A1", CANARY[0]), ("XFD9", CANARY[1])]))
            ),
            InputHints(),
            [],
        ),
    ]
    return cases


def test_reader_errors_never_quote_a_row(tmp_path: Path) -> None:
    seen = 0
    for path, hints, expected in _canary_cases(tmp_path):
        with pytest.raises(LeadkitError) as err:
            read_table(path, expected_headers=expected, hints=hints)
        message = str(err.value)
        assert "\n" not in message, path.name
        for canary in CANARY:
            assert canary.casefold() not in message.casefold(), (path.name, message)
        seen += 1
    assert seen == 12


def test_header_row_hint_on_a_file_without_header_names_no_value(tmp_path: Path) -> None:
    src = write(tmp_path, "s.csv", CANARY_ROW + "\n")
    m = write(tmp_path, "m.yaml", "input: {header_row: 1}\ncolumns: {email: Email}\n")
    code, err = cli("normalize", src, "-m", m, "-o", tmp_path / "out")
    assert code == 2
    assert (
        "header row 1 (input.header_row) looks like data and holds none of the mapped headers 'Email'"
        in err
    )
    assert not any(c in err for c in CANARY)


def test_frame_is_a_table_of_strings(tmp_path: Path) -> None:
    """(The hostile helpers build workbooks fastexcel reads like any other.)"""
    path = write(tmp_path, "w.xlsx", workbook(sheet_xml(LEADS)))
    frame = read_table(path).frame
    assert frame.schema["Email"] == pl.String
    assert frame.select("Email", "Name").row(0) == ("a@x.com", "Ann")


# --- no silent loss ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("content", "companies", "footer"),
    [
        # a last-row lead whose company is `Total` or `Grand Total Fitness` is a lead
        ("Company,First,Email\nAcme,Ann,a@x.com\nTotal,Bob,b@y.com\n", ["Acme", "Total"], None),
        ("Company,First,Email\nAcme,Ann,a@x.com\nGrand Total Fitness,Bob,b@y.com\n",
         ["Acme", "Grand Total Fitness"], None),
        ("Company,First,Last\nAcme,Ann,Lee\nTotal,Bob,Ray\n", ["Acme", "Total"], None),
        ("Company,First,Phone\nAcme,Ann,1\nTotal,Bob,+1 415 555 0100\n", ["Acme", "Total"], None),
        # a row holding only a company name does not start a section swallowing the next rows
        ("Company,First,Last\nAcme,Ann,Lee\nLab Results,,\nGlobex,Bob,Ray\nInitech,Cy,Do\n",
         ["Acme", "Lab Results", "Globex", "Initech"], None),
        ("Company,First,Last\nAcme,Ann,Lee\nKey Details,,\nGlobex Time,Bob,Ray\n",
         ["Acme", "Key Details", "Globex Time"], None),
        # real footers still end the table
        ("Company,First,Last\nAcme,Ann,Lee\nTotal,,\n", ["Acme"], "Total"),
        ("Company,First,Email\nAcme,Ann,a@x.com\nGrand Totals (1 records),,\n", ["Acme"],
         "Grand Totals (1 records)"),
    ],
)  # fmt: skip
def test_footers_and_sections_only_by_their_shape(
    tmp_path: Path, content: str, companies: list[str], footer: str | None
) -> None:
    table = read_table(write(tmp_path, "t.csv", content), expected_headers=["Company"])
    assert table.frame["Company"].to_list() == companies
    assert table.info.footer == footer


@pytest.mark.parametrize(
    ("content", "dropped"),
    [
        ("Email,Name\na@x.com,A\nGrand Totals (1 records),\n\nConfidential Information,\n",
         (2, 4)),
        ("Email,Name,Company\na@x.com,A,Acme\nPanelist Details,,\nAttended,Email,Join Time\n"
         "Yes,p@x.com,09:00\n", (2, 3, 4)),
        ("Email,Name\na@x.com,A\nb@y.com,B\n", ()),
    ],
)  # fmt: skip
def test_rows_after_the_table_are_counted_as_dropped(
    tmp_path: Path, content: str, dropped: tuple[int, ...]
) -> None:
    table = read_table(write(tmp_path, "t.csv", content), expected_headers=["Email"])
    assert table.info.dropped == dropped
    assert not set(table.frame["_row"].to_list()) & set(dropped)


@pytest.mark.parametrize("where", ["first cell", "middle", "last line"])
def test_a_stray_nul_byte_is_handled_the_same_wherever_it_is(tmp_path: Path, where: str) -> None:
    rows = [f"user{i}@example.com,Name {i}\n" for i in range(600)]
    at = {"first cell": 0, "middle": 300, "last line": 599}[where]
    rows[at] = rows[at].replace("@", "\x00@", 1)
    table = read_table(write(tmp_path, "n.csv", "Email,Name\n" + "".join(rows)))
    assert table.frame.height == 600
    assert table.frame["Email"][at] == f"user{at}@example.com"


def test_many_nul_bytes_are_binary_wherever_they_are(tmp_path: Path) -> None:
    body = "".join(f"user{i}@example.com,Name {i}\n" for i in range(600))
    for data in ("Email,Name\n" + "\x00" * 64 + body, "Email,Name\n" + body + "\x00" * 64):
        with pytest.raises(InputError, match="binary file \\(NUL bytes\\)"):
            read_table(write(tmp_path, "n.csv", data))


def test_two_sheets_holding_the_table_are_refused_not_half_read(tmp_path: Path) -> None:
    first = sheet_xml([("A1", "Email"), ("B1", "Name"), ("A2", "a@x.com"), ("B2", "Ann")])
    second = sheet_xml([("A1", "email"), ("B1", "Name "), ("A2", "b@y.com"), ("B2", "Bob")])
    path = write(tmp_path, "w.xlsx", workbook(first, second, names=["March", "April"]))
    with pytest.raises(InputError, match="sheets 'March', 'April' hold the same table"):
        read_table(path, expected_headers=["Email"])
    with pytest.raises(InputError, match="hold the same table"):
        read_table(path)
    hinted = read_table(path, expected_headers=["Email"], hints=InputHints(sheet="April"))
    assert hinted.frame["email"].to_list() == ["b@y.com"]


def test_a_sheet_with_only_the_header_is_no_twin(tmp_path: Path) -> None:
    first = sheet_xml([("A1", "Email"), ("B1", "Name"), ("A2", "a@x.com"), ("B2", "Ann")])
    template = sheet_xml([("A1", "Email"), ("B1", "Name")])
    path = write(tmp_path, "w.xlsx", workbook(first, template, names=["Leads", "Template"]))
    assert read_table(path, expected_headers=["Email"]).frame["Email"].to_list() == ["a@x.com"]


@pytest.mark.parametrize(
    ("content", "rows", "marks"),
    [
        # one stray quote would fold the next leads into one cell
        ('Email,Name,Company\na@x.com,"Ann,Acme\nb@y.com,Bob,Beta\nc@z.com,Cy,Gamma\n',
         [("a@x.com", "Ann", "Acme"), ("b@y.com", "Bob", "Beta"), ("c@z.com", "Cy", "Gamma")],
         ["runaway_quote"] * 3),
        # a bare CR line end in a file using LF would merge two leads
        ("Email,Name\na@x.com,A\rb@y.com,B\nc@z.com,C\n",
         [("a@x.com", "A"), ("b@y.com", "B"), ("c@z.com", "C")], ["bare_cr", "bare_cr", None]),
        # a quoted multi-line address is one cell, not records
        ('Email,Address,Country\na@x.com,"12 Main\nSpringfield, IL",US\n',
         [("a@x.com", "12 Main\nSpringfield, IL", "US")], None),
    ],
)  # fmt: skip
def test_merged_records_are_kept_apart_and_marked(
    tmp_path: Path, content: str, rows: list[tuple[str, ...]], marks: list[str | None] | None
) -> None:
    frame = read_table(write(tmp_path, "t.csv", content)).frame
    width = len(rows[0])
    assert [r[:width] for r in frame.rows()] == rows
    assert frame["_row"].to_list() == list(range(1, len(rows) + 1))
    if marks is None:
        assert "_read_problem" not in frame.columns
    else:
        assert frame["_read_problem"].to_list() == marks


def test_names_in_messages_are_escaped(tmp_path: Path) -> None:
    """A header name with control characters (from the mapping or the file) never breaks the
    message's line nor reaches the terminal raw."""
    path = write(tmp_path, "t.csv", "Email,Name\na@x.com,A\n")
    with pytest.raises(InputError) as err:
        read_table(path, expected_headers=["E\x1dmail\x1b[31m\u2028"])
    message = str(err.value)
    assert len(message.splitlines()) == 1
    assert "'E\\x1dmail\\x1b[31m\\u2028'" in message


def test_mapping_check_with_a_sample_applies_the_mappings_limits(tmp_path: Path) -> None:
    src = write(tmp_path, "s.csv", "Email,Name,Company\na@x.com,A,Acme\n")
    m = write(tmp_path, "m.yaml", "columns: {email: Email}\nlimits: {max_columns: 2}\n")
    code, out = cli("mapping", "check", m, "--sample", src)
    assert code != 0
    assert "the header has 3 columns, over the limit of 2 (limits.max_columns)" in out


def test_a_quoted_cell_holding_a_cr_is_its_own_not_a_merge(tmp_path: Path) -> None:
    """Found by test_read's round trip: a properly quoted `"\r;@"` in a CRLF file was taken
    for a runaway quote (its lines looked like records) and split."""
    path = tmp_path / "q.csv"
    path.write_bytes(b'A;B;C\r\n;;x\r\n;;"\r;@"\r\n')
    table = read_table(path)
    assert "_read_problem" not in table.frame.columns
    assert table.frame["C"].to_list() == ["x", "\r;@"]
