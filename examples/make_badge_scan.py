"""Rebuild badge_scan.xlsx, the trade-show badge-scan example (needs xlsxwriter).

Shaped like a lead-retrieval app's export: logo/title rows above the header, phones stored
as numbers, ZIP codes stored as text (leading zeros), scan times as date cells, and a
second sheet with the event summary.
"""

from datetime import datetime
from pathlib import Path

import xlsxwriter

HEADER = ["Badge ID", "First Name", "Last Name", "Company", "Job Title", "Email",
          "Work Phone", "Address", "City", "State", "Zip", "Country", "Scan Time", "Rating", "Notes"]
ROWS = [
    ["B-10021", "ALICE", "MCDONALD", "Fourth Coffee LLC", "Director of IT", "alice.mcdonald@fourthcoffee.com",
     6175550144, "1 Main St", "Boston", "MA", "02110", "USA", datetime(2026, 10, 14, 10, 32), "Hot", "Wants demo"],
    ["B-10022", "Raj", "Patel", "Proseware, Inc.", "CTO", "raj.patel@proseware.com",
     9085550123, "200 Park Ave", "Newark", "New Jersey", "07102", "United States", datetime(2026, 10, 14, 11, 5), "Warm", ""],
    ["B-10023", "Emma", "Wilson", "Trey Research Pty Ltd", "Procurement Lead", "emma.wilson@treyresearch.com.au",
     "+61 2 9374 4000", "1 Martin Pl", "Sydney", "NSW", "2000", "Australia", datetime(2026, 10, 14, 11, 40), "Cold", ""],
    ["B-10024", "", "", "", "", "", "", "", "", "", "", "", "", "", ""],
    ["B-10025", "Carlos", "Souza", "Wingtip Toys Ltda.", "Gerente de Compras", "carlos.souza@wingtiptoys.com.br",
     "+55 11 3456-7890", "Av. Paulista 1000", "São Paulo", "SP", "01310-100", "Brasil", datetime(2026, 10, 14, 13, 2), "Hot", ""],
    ["B-10026", "Info", "Desk", "", "", "info@margiestravel.com",
     "", "", "", "", "", "USA", datetime(2026, 10, 14, 14, 15), "", "Booth visitor, no card"],
]


def main(path: Path = Path(__file__).with_name("badge_scan.xlsx")) -> None:
    wb = xlsxwriter.Workbook(path)
    ws = wb.add_worksheet("Leads")
    when = wb.add_format({"num_format": "yyyy-mm-dd hh:mm"})
    ws.write(0, 0, "ACME Expo 2026 - Lead Retrieval Export")
    ws.write(1, 0, "Exhibitor: leadkit demo, Booth 412")
    ws.write_row(3, 0, HEADER)
    for i, row in enumerate(ROWS, start=4):
        for j, value in enumerate(row):
            if isinstance(value, datetime):
                ws.write_datetime(i, j, value, when)
            elif isinstance(value, int):
                ws.write_number(i, j, value)
            elif value == "" and j == 0:
                continue
            else:
                ws.write_string(i, j, value)
    summary = wb.add_worksheet("Summary")
    summary.write_row(0, 0, ["Event", "Scans"])
    summary.write_row(1, 0, ["ACME Expo 2026", len(ROWS)])
    wb.close()


if __name__ == "__main__":
    main()
