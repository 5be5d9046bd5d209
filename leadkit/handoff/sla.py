"""The follow-up promise: when sales must act on a lead (SPEC "Sales handoff", `sla:`).

- `captured_at(leads, run_time)`: `_captured_at`, when the lead was captured: the file's
  `created_at` (registration or form time) where the mapping maps it, else the run time;
- `due_at(captured_at, status, sla)`: `_due_at`, the capture time plus the status's hours:
  counted only within business hours when the rules give them (wall-clock hours in the
  SLA's time zone, so a DST change moves nothing), else as elapsed time;
- `capture_hours(captured_at, run_time)`: capture-to-import hours, the lead-velocity figure.

Times are ISO 8601 text as the standardized `created_at` holds it (`2026-03-27`,
`2026-03-27T16:00:00`, `2026-03-27T16:00:00+01:00`); a time without an offset is read in
the SLA's time zone, a date alone as its midnight. The calendar walk runs once per distinct
(capture time, hours) pair, never per row.
"""

from __future__ import annotations

import zoneinfo
from datetime import UTC, date, datetime, time, timedelta, tzinfo

import polars as pl

from leadkit.handoff.rules import SlaSpec

CAPTURED_AT = "_captured_at"
DUE_AT = "_due_at"

_DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


def captured_at(leads: pl.DataFrame, run_time: datetime) -> pl.Series:
    """`_captured_at` (String, ISO 8601): `created_at` where the row has one, else
    `run_time` (give it with a time zone; a naive one is taken as UTC)."""
    now = run_time if run_time.tzinfo else run_time.replace(tzinfo=UTC)
    stamp = pl.lit(now.isoformat(timespec="seconds"), dtype=pl.String)
    if "created_at" not in leads.columns:
        return pl.repeat(now.isoformat(timespec="seconds"), leads.height, eager=True).alias(
            CAPTURED_AT
        )
    created = leads["created_at"].cast(pl.String)
    if "created_at__code" in leads.columns:  # an unreadable date is no capture time
        created = leads.select(
            pl.when(pl.col("created_at__code").is_null()).then(pl.col("created_at"))
        ).to_series()
    return leads.select(
        pl.coalesce(pl.lit(created).str.strip_chars().replace("", None), stamp).alias(CAPTURED_AT)
    ).to_series()


def due_at(captured: pl.Series, status: pl.Series, sla: SlaSpec) -> pl.Series:
    """`_due_at` (Datetime in the SLA's time zone): null where the status has no hours in
    `sla.hours` (or is null) or the capture time does not read as ISO 8601."""
    tz = zoneinfo.ZoneInfo(sla.timezone)
    hours = status.cast(pl.String).replace_strict(
        {k: float(v) for k, v in sla.hours.items()}, default=None, return_dtype=pl.Float64
    )
    frame = pl.DataFrame(
        {"c": captured.cast(pl.String), "h": hours}, schema={"c": pl.String, "h": pl.Float64}
    )
    pairs = frame.filter(pl.col("c").is_not_null() & pl.col("h").is_not_null()).unique()
    due = [_due(c, h, sla, tz) for c, h in pairs.iter_rows()]
    dtype = pl.Datetime("us", sla.timezone)
    lookup = pairs.with_columns(
        pl.Series("_d", [d.astimezone(UTC).replace(tzinfo=None) if d else None for d in due])
        .cast(pl.Datetime("us"))
        .dt.replace_time_zone("UTC")
        .dt.convert_time_zone(sla.timezone)
    )
    out = frame.join(lookup, on=["c", "h"], how="left", maintain_order="left", nulls_equal=False)
    return out["_d"].cast(dtype).rename(DUE_AT)


def capture_hours(captured: pl.Series, run_time: datetime, timezone: str = "UTC") -> pl.Series:
    """Hours from capture to `run_time` (Float64, null when unreadable); a capture time
    without an offset is read in `timezone`."""
    tz = zoneinfo.ZoneInfo(timezone)
    now = run_time if run_time.tzinfo else run_time.replace(tzinfo=UTC)
    distinct = captured.cast(pl.String).drop_nulls().unique()
    hours = []
    for c in distinct.to_list():
        t = _parse(c, tz)
        hours.append(None if t is None else (now - t).total_seconds() / 3600)
    lookup = pl.DataFrame({"c": distinct, "_h": hours}, schema={"c": pl.String, "_h": pl.Float64})
    frame = captured.cast(pl.String).rename("c").to_frame()
    return frame.join(lookup, on="c", how="left", maintain_order="left")["_h"].rename(
        "_capture_hours"
    )


# --- the calendar walk -------------------------------------------------------------------


def _parse(text: str, tz: tzinfo) -> datetime | None:
    try:
        t = datetime.fromisoformat(text.strip())
    except ValueError:
        return None
    return t if t.tzinfo else t.replace(tzinfo=tz)


def _due(captured: str, hours: float, sla: SlaSpec, tz: tzinfo) -> datetime | None:
    start = _parse(captured, tz)
    if start is None:
        return None
    work = sla.business_hours
    days = {_DAYS.index(d) for d in work.days} if work else set()
    if work is None or not days:
        return (start.astimezone(UTC) + timedelta(hours=hours)).astimezone(tz)
    open_at = time.fromisoformat(work.start)
    left = timedelta(hours=hours)
    cursor = start.astimezone(tz)
    day: date = cursor.date()
    while True:
        if day.weekday() in days:
            opens = datetime.combine(day, open_at, tzinfo=tz)
            closes = (
                datetime.combine(day + timedelta(days=1), time(0), tzinfo=tz)
                if work.end == "24:00"
                else datetime.combine(day, time.fromisoformat(work.end), tzinfo=tz)
            )
            # Differences in UTC: a window's length is real time, even on a DST day.
            begin = max(cursor.astimezone(UTC), opens.astimezone(UTC))
            end = closes.astimezone(UTC)
            if begin < end:
                if left <= end - begin:
                    return (begin + left).astimezone(tz)
                left -= end - begin
        day += timedelta(days=1)
