"""SLA: due times in business hours and a time zone, capture times."""

from __future__ import annotations

from datetime import UTC, datetime

import polars as pl
import pytest

from leadkit.handoff.rules import SlaSpec
from leadkit.handoff.sla import capture_hours, captured_at, due_at

BERLIN = "Europe/Berlin"
OFFICE = {"start": "09:00", "end": "18:00", "days": ["mon", "tue", "wed", "thu", "fri"]}


def _due(captured: str | None, status: str | None, **sla: object) -> str | None:
    spec = SlaSpec.model_validate(sla)
    out = due_at(pl.Series([captured], dtype=pl.String), pl.Series([status], dtype=pl.String), spec)
    assert out.dtype == pl.Datetime("us", spec.timezone)
    value = out.to_list()[0]
    return None if value is None else value.isoformat()


@pytest.mark.parametrize(
    ("captured", "status", "expected"),
    [
        # Friday 16:00 + 4 business hours: 2 on Friday, 2 on Monday
        ("2026-03-20T16:00:00", "Hot", "2026-03-23T11:00:00+01:00"),
        # over the DST change (29 March): office hours are wall-clock hours
        ("2026-03-27T16:00:00", "Hot", "2026-03-30T11:00:00+02:00"),
        # before opening: counted from 09:00
        ("2026-03-24T07:30:00", "Hot", "2026-03-24T13:00:00+01:00"),
        # on a Saturday: counted from Monday 09:00
        ("2026-03-21T12:00:00", "Hot", "2026-03-23T13:00:00+01:00"),
        # after closing: counted from the next morning
        ("2026-03-24T19:00:00", "Hot", "2026-03-25T13:00:00+01:00"),
        # a date alone is its midnight
        ("2026-03-24", "Hot", "2026-03-24T13:00:00+01:00"),
        # an offset is honoured: 15:00 UTC is 16:00 in Berlin
        ("2026-03-20T15:00:00+00:00", "Hot", "2026-03-23T11:00:00+01:00"),
        # 27 business hours: three full days
        ("2026-03-20T09:00:00", "Warm", "2026-03-24T18:00:00+01:00"),
        # no hours for the status, no status, unreadable time: no due time
        ("2026-03-20T09:00:00", "Cold", None),
        ("2026-03-20T09:00:00", None, None),
        ("last Tuesday", "Hot", None),
        (None, "Hot", None),
    ],
)
def test_due_in_business_hours(
    captured: str | None, status: str | None, expected: str | None
) -> None:
    got = _due(
        captured, status, hours={"Hot": 4, "Warm": 27}, business_hours=OFFICE, timezone=BERLIN
    )
    assert got == expected


@pytest.mark.parametrize(
    ("captured", "expected"),
    [
        ("2026-03-20T16:00:00", "2026-03-20T20:00:00+01:00"),
        # elapsed time over the DST change: 22:00 CET + 4 h is 03:00 CEST
        ("2026-03-28T22:00:00", "2026-03-29T03:00:00+02:00"),
        # and back in autumn: 00:30 CEST + 4 h is 03:30 CET
        ("2026-10-25T00:30:00", "2026-10-25T03:30:00+01:00"),
    ],
)
def test_due_without_business_hours(captured: str, expected: str) -> None:
    assert _due(captured, "Hot", hours={"Hot": 4}, timezone=BERLIN) == expected


def test_due_at_keeps_row_order_and_repeats() -> None:
    spec = SlaSpec.model_validate({"hours": {"A": 1, "B": 2}, "timezone": "UTC"})
    captured = pl.Series(
        ["2026-01-01T10:00:00", "2026-01-01T10:00:00", None, "2026-01-01T10:00:00"]
    )
    status = pl.Series(["B", "A", "A", "B"])
    hours = [None if d is None else d.hour for d in due_at(captured, status, spec).to_list()]
    assert hours == [12, 11, None, 12]


def test_captured_at_from_created_at_else_run_time() -> None:
    run = datetime(2026, 4, 1, 12, 0, tzinfo=UTC)
    leads = pl.DataFrame(
        {
            "created_at": ["2026-03-30T12:00:00+00:00", None, "31/31/2026"],
            "created_at__code": [None, None, "date_invalid"],
        }
    )
    got = captured_at(leads, run)
    assert got.name == "_captured_at"
    assert got.to_list() == [
        "2026-03-30T12:00:00+00:00",
        "2026-04-01T12:00:00+00:00",
        "2026-04-01T12:00:00+00:00",
    ]
    no_field = captured_at(pl.DataFrame({"email": ["a", "b"]}), run)
    assert no_field.to_list() == ["2026-04-01T12:00:00+00:00"] * 2
    assert capture_hours(got, run).to_list() == [48.0, 0.0, 0.0]
