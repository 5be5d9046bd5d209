"""Campaign members and the engagement trail (SPEC "Sales handoff").

A mapping's `campaign:` block (`leadkit.mapping.CampaignSpec`) names the campaign a file's
leads join, their member status and a `notes` template. From the standardized frame
(canonical fields, `custom:<name>` columns):

- `campaign_status(leads, spec)`: the member status per row (`_campaign_status`);
- `notes(leads, spec)`: the engagement note per row (`_campaign_note`);
- `campaign_members(rows, target_name, spec, crm_id_column)`: `X.campaign_members.csv` in the
  target's campaign-member import form (`MEMBER_COLUMNS`);
- `split_by_status(members, target_name)`: one frame per member status, for targets whose
  import takes one status per file (Marketo, HubSpot lists; Salesforce's Data Import Wizard
  for new leads when `split_by_status: true`);
- `engagement_note(note, crm_description, day)`: the dated note for the lead's description
  field, appended to what the CRM already holds for updates.

Notes templates: `{field}` placeholders over canonical fields and custom columns; `{{` and
`}}` are literal braces. The template is read as clauses separated by `;` or line breaks,
and a clause whose placeholder is empty is left out with its separator
(`Attended {minutes} min; asked: {question}` gives `Attended 62 min` for a silent
attendee). A value with no letter or digit (`--`, `-`) counts as empty: it is how
exports write "nothing". Values go in as they are, line breaks of multi-line answers
included.
"""

from __future__ import annotations

import re
import string
from datetime import date

import polars as pl

from leadkit.mapping import CampaignSpec, CampaignStatusMap, Mapping
from leadkit.remap import CUSTOM_PREFIX

CAMPAIGN_STATUS = "_campaign_status"
CAMPAIGN_NOTE = "_campaign_note"

# The campaign-member import columns of each target: campaign id, CRM id, email, member
# status, note. Salesforce: the CampaignMember object as Data Loader and the Data Import
# Wizard take it. HubSpot: a contacts import per status, each creating a static list
# ("Create a list from this import", named after the campaign and status). Marketo: a list
# import per program status (the import's program and status are chosen in the dialog).
MEMBER_COLUMNS: dict[str, tuple[str, str | None, str, str, str]] = {
    "salesforce": ("CampaignId", "LeadId", "Email", "Status", "Description"),
    "hubspot": ("Campaign", "Record ID", "Email", "Campaign Status", "Notes"),
    "marketo": ("Program", None, "Email Address", "Program Status", "Notes"),
    "generic": ("campaign_id", "id", "email", "status", "notes"),
}
# Targets whose import takes one status per file: their members always come split too.
ONE_STATUS_PER_FILE: frozenset[str] = frozenset({"hubspot", "marketo"})

_CLAUSE_BREAK = re.compile(r"(;|\r\n|\n)")


def campaign_status(leads: pl.DataFrame, spec: CampaignSpec) -> pl.Series:
    """`_campaign_status` (String), one per row: the constant, or the column's value
    through the map (case and surrounding spaces ignored; unmapped values kept as written,
    or `default`; empty values null, or `default`)."""
    status = spec.status
    if not isinstance(status, CampaignStatusMap):
        return pl.repeat(status, leads.height, dtype=pl.String, eager=True).alias(CAMPAIGN_STATUS)
    raw = _column(leads, status.column)
    lookup = {k.strip().lower(): v for k, v in status.map.items()}
    text = raw.cast(pl.String).str.strip_chars()
    text = pl.when(text != "").then(text)
    hit = text.str.to_lowercase().replace_strict(lookup, default=None, return_dtype=pl.String)
    kept = text if status.default is None else pl.lit(status.default, dtype=pl.String)
    empty = pl.lit(status.default, dtype=pl.String)
    out = pl.when(text.is_null()).then(empty).otherwise(pl.coalesce(hit, kept))
    return leads.with_columns(out.alias(CAMPAIGN_STATUS))[CAMPAIGN_STATUS]


def notes(leads: pl.DataFrame, spec: CampaignSpec) -> pl.Series:
    """`_campaign_note` (String, null when the template is absent or every clause empty),
    one per row, from the template (see the module notes)."""
    if spec.notes is None:
        return pl.repeat(None, leads.height, dtype=pl.String, eager=True).alias(CAMPAIGN_NOTE)
    pieces: list[pl.Expr] = []
    separator = ""
    for part in _CLAUSE_BREAK.split(spec.notes):
        if _CLAUSE_BREAK.fullmatch(part):
            separator = part
            continue
        clause = _clause(leads, part)
        if clause is not None:
            pieces.append(pl.lit(separator) + clause)
    if not pieces:
        return pl.repeat(None, leads.height, dtype=pl.String, eager=True).alias(CAMPAIGN_NOTE)
    joined = pl.concat_str(pieces, separator="", ignore_nulls=True)
    # The first clause kept loses the separator it had after a left-out one.
    joined = joined.str.strip_chars_start(";\r\n").str.strip_chars(" ")
    return leads.with_columns(pl.when(joined != "").then(joined).alias(CAMPAIGN_NOTE))[
        CAMPAIGN_NOTE
    ]


def campaign_members(
    rows: pl.DataFrame, target_name: str, spec: CampaignSpec, crm_id_column: str | None = None
) -> pl.DataFrame:
    """`X.campaign_members.csv`: one row per row of `rows` (the leads of `import` and
    `updates`, standardized), in the target's columns (`MEMBER_COLUMNS`; a target file of
    another name gets the generic form): the campaign id, the CRM id from `crm_id_column`
    (blank for new leads; Marketo's list import has none), the email, the member status
    (`_campaign_status` when the rows carry it, else computed) and the note (likewise
    `_campaign_note`)."""
    campaign_id, id_col, email_col, status_col, note_col = MEMBER_COLUMNS.get(
        target_name, MEMBER_COLUMNS["generic"]
    )
    status = (
        rows[CAMPAIGN_STATUS] if CAMPAIGN_STATUS in rows.columns else campaign_status(rows, spec)
    )
    note = rows[CAMPAIGN_NOTE] if CAMPAIGN_NOTE in rows.columns else notes(rows, spec)
    crm_id = (
        rows[crm_id_column].cast(pl.String)
        if crm_id_column and crm_id_column in rows.columns
        else pl.repeat(None, rows.height, dtype=pl.String, eager=True)
    )
    email = (
        rows["email"].cast(pl.String)
        if "email" in rows.columns
        else pl.repeat(None, rows.height, dtype=pl.String, eager=True)
    )
    columns = [pl.repeat(spec.id, rows.height, dtype=pl.String, eager=True).alias(campaign_id)]
    if id_col is not None:
        columns.append(crm_id.alias(id_col))
    columns += [email.alias(email_col), status.alias(status_col), note.alias(note_col)]
    return pl.DataFrame(columns)


def split_by_status(members: pl.DataFrame, target_name: str) -> dict[str | None, pl.DataFrame]:
    """One frame per member status (None: rows without one), in order of first appearance,
    each with the same columns as `members`."""
    status_col = MEMBER_COLUMNS.get(target_name, MEMBER_COLUMNS["generic"])[3]
    parts = members.partition_by(status_col, maintain_order=True, as_dict=True)
    return {key[0]: frame for key, frame in parts.items()}


def member_files(
    members: pl.DataFrame, target_name: str, spec: CampaignSpec
) -> dict[str | None, pl.DataFrame]:
    """The per-status files to write beside `X.campaign_members.csv`: every status for
    Marketo and HubSpot (their imports take one status per file), and for any target when
    `split_by_status` is set; none otherwise."""
    if target_name in ONE_STATUS_PER_FILE or spec.split_by_status:
        return split_by_status(members, target_name)
    return {}


def status_slug(status: str | None) -> str:
    """A file-name-safe form of a status: `No Show` -> `no_show` (None -> `no_status`)."""
    if status is None:
        return "no_status"
    slug = re.sub(r"[^0-9a-z]+", "_", status.lower()).strip("_")
    return slug or "status"


def engagement_note(note: pl.Series, crm_description: pl.Series | None, day: date) -> pl.Series:
    """The description to write: `2026-12-08: <note>` for new leads; for updates the CRM's
    current description (`crm_description`, null for new leads) with that line appended
    after a line break, so the rep's history is kept, not replaced. A row whose CRM
    description already holds the dated line (the same file run again) is left as the CRM
    has it; a row without a note keeps the CRM's description (null: nothing to change)."""
    frame = pl.DataFrame(
        {
            "note": note.cast(pl.String),
            "crm": crm_description.cast(pl.String)
            if crm_description is not None
            else pl.repeat(None, note.len(), dtype=pl.String, eager=True),
        },
        schema={"note": pl.String, "crm": pl.String},
    )
    stamped = pl.lit(f"{day.isoformat()}: ") + pl.col("note")
    crm = pl.when(pl.col("crm").str.strip_chars() != "").then(pl.col("crm").str.strip_chars_end())
    out = (
        pl.when(pl.col("note").is_null())
        .then(crm)
        .when(crm.is_null())
        .then(stamped)
        .when(crm.str.contains(stamped, literal=True))
        .then(crm)
        .otherwise(crm + pl.lit("\n") + stamped)
    )
    return frame.select(out.alias(note.name)).to_series()


# --- helpers -----------------------------------------------------------------------------


def _column(leads: pl.DataFrame, name: str) -> pl.Expr:
    """A canonical field or custom column of the frame, by its name in the mapping."""
    for col in (name, CUSTOM_PREFIX + name):
        if col in leads.columns:
            return pl.col(col)
    return pl.lit(None, dtype=pl.String)


def campaign_spec(mapping: Mapping) -> CampaignSpec | None:
    """The mapping's campaign with a status column given as a source header rewritten to
    the field or custom column that reads it (what the frames hold)."""
    spec = mapping.campaign
    if spec is None or not isinstance(spec.status, CampaignStatusMap):
        return spec
    found = mapping.campaign_column(spec.status.column)
    if found is None or found[1] == spec.status.column:
        return spec
    status = spec.status.model_copy(update={"column": found[1]})
    return spec.model_copy(update={"status": status})


def _clause(leads: pl.DataFrame, template: str) -> pl.Expr | None:
    """One clause: null on rows where any of its placeholders is empty."""
    parts: list[pl.Expr] = []
    values: list[pl.Expr] = []
    for literal, name, _, _ in string.Formatter().parse(template):
        if literal:
            parts.append(pl.lit(literal))
        if name is not None:
            value = _column(leads, name).cast(pl.String).str.strip_chars()
            # `--`, `-`, `.`: how exports write "nothing" (Zoom's minutes of a no-show)
            value = pl.when(value.str.contains(r"[\p{L}\p{N}]")).then(value)
            parts.append(value)
            values.append(value)
    if not values and not template.strip():
        return None
    return pl.concat_str(parts)  # null when any value is null
