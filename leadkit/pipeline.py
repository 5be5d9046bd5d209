"""The orchestrator: the one place that knows the order of the stages.

`read -> remap -> standardize -> validate -> match -> write`. Every non-blank data row
ends in exactly one outcome: rejects (failed validation), duplicates (repeats an earlier
row of the same input), updates or review (matches an existing CRM record), or import.
Each file's report (leadkit.report) is built once from the stages' results, the CRM
export's included, and written once: what `report.json` holds is what `--json` prints.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import date
from pathlib import Path
from typing import Any

import polars as pl

from leadkit.codes import CODES
from leadkit.errors import InputError
from leadkit.existing import load_existing
from leadkit.frames import col
from leadkit.handoff.rules import ERASURE, LoadedRules
from leadkit.handoff.stage import (
    SUPPRESSED_OUTCOME,
    Handoff,
    campaign_frames,
    output_columns,
    suppressed_frame,
)
from leadkit.handoff.suppress import SUPPRESSED
from leadkit.mapping import CANONICAL_FIELDS, LoadedMapping
from leadkit.match import MatchSettings, find_duplicates, match_existing, merge_repeats
from leadkit.read import InputHints, Table, read_table, with_read_problems
from leadkit.remap import remap
from leadkit.report import EMAIL_FLAGS, ExistingFacts, Report, build_report
from leadkit.standardize import Settings, standardize
from leadkit.targets import Target, check_custom_columns, load_target
from leadkit.validate import ERRORS, Rules, validate
from leadkit.write import atomic_file, output_path, report_path, to_target, write_csv

Progress = Callable[[str], None]
_FLAG_COLUMNS = (*EMAIL_FLAGS, "email_suggestion", "phone_type", "mobile_phone_type")


@dataclass(frozen=True)
class Options:
    trace: bool = False
    bom: bool = False
    existing_id: str | None = None
    cache: Path | None = None  # where standardized CRM exports are kept between runs
    issues: bool = False  # also write X.issues.csv: one record per problem found
    check_deliverability: bool = False  # look up each email domain's MX record (DNS)
    today: date | None = None  # the date engagement notes are stamped with (default: today)


@dataclass(frozen=True)
class Crm:
    """The standardized CRM export(s), loaded once for a run: the records matched
    against, the files they came from and the seconds the load took (both in the report)."""

    records: pl.DataFrame
    files: tuple[Path, ...]
    seconds: float

    @classmethod
    def load(
        cls,
        files: Sequence[Path],
        *,
        id_column: str | None = None,
        cache: Path | None = None,
        default_country: str | None = None,
        compare: Sequence[str] = (),
    ) -> Crm:
        """Read (or take from the cache) and standardize the export(s), timed; national
        phones read in `default_country`, the custom columns of `compare` kept."""
        started = time.perf_counter()
        records = load_existing(
            files,
            id_column=id_column,
            cache=cache,
            default_country=default_country,
            compare=list(compare),
        )
        return cls(records, tuple(Path(p) for p in files), time.perf_counter() - started)

    def facts(self) -> ExistingFacts:
        return ExistingFacts(
            files=tuple(str(p) for p in self.files),
            records=self.records.height,
            seconds=self.seconds,
        )


@dataclass
class RunResult:
    """One input's run: `document` is its typed report, `report` the same as the JSON
    dict `X.report.json` holds (a fresh copy on each access)."""

    input: Path
    document: Report
    outputs: dict[str, Path] = field(default_factory=dict)

    @property
    def report(self) -> dict[str, Any]:
        return self.document.to_dict()

    @property
    def limit_exceeded(self) -> bool:
        return self.document.limits.exceeded


class Job:
    """A mapping made ready to run: its target resolved, its settings derived."""

    def __init__(self, mapping: LoadedMapping, options: Options = Options()) -> None:
        self.mapping = mapping
        self.spec = mapping.spec
        where = mapping.path.parent if mapping.path else None
        self.target: Target = load_target(self.spec.target, relative_to=where)
        check_custom_columns(self.spec, self.target)  # before the work: one line, exit 2
        self.settings = replace(
            Settings.from_mapping(self.spec), check_deliverability=options.check_deliverability
        )
        self.rules = Rules.of(self.spec, self.target)
        self.match = MatchSettings.of(self.spec.matching)
        i = self.spec.input
        self.hints = InputHints(
            sheet=i.sheet,
            header_row=i.header_row,
            delimiter=i.delimiter,
            encoding=i.encoding,
            limits=self.spec.limits.read_limits(),
        )


def normalize(
    inputs: Iterable[str | Path],
    mapping: LoadedMapping,
    out_dir: Path,
    *,
    existing: Sequence[Path] = (),
    accounts: Sequence[Path] = (),
    rules: LoadedRules | None = None,
    options: Options = Options(),
    progress: Progress | None = None,
) -> list[RunResult]:
    """Run the main job on each input; the CRM export, the account exports and the rules
    file's lists are read once for all of them. `inputs` may be any iterable (a
    `Path.glob(...)` generator): it is read once, here."""
    paths = [Path(p) for p in inputs]
    job = Job(mapping, options)
    stems = [p.stem for p in paths]
    clash = sorted({s for s in stems if stems.count(s) > 1})
    if clash:
        raise InputError(f"two inputs would write the same outputs: {', '.join(clash)}.*")
    crm = (
        Crm.load(
            existing,
            id_column=options.existing_id,
            cache=options.cache,
            default_country=job.spec.default_country,
            compare=list(job.spec.matching.compare),
        )
        if existing
        else None
    )
    handoff = Handoff.prepare(
        mapping, rules=rules, accounts=accounts, crm=crm.records if crm else None
    )
    return [
        normalize_file(
            path, job, out_dir, crm=crm, handoff=handoff, options=options, progress=progress
        )
        for path in paths
    ]


def normalize_file(
    path: Path,
    job: Job,
    out_dir: Path,
    *,
    crm: Crm | pl.DataFrame | None = None,
    handoff: Handoff | None = None,
    options: Options = Options(),
    progress: Progress | None = None,
) -> RunResult:
    """Normalize one file into `out_dir`, matching against `crm` when given, and write
    its outputs and its report. A bare frame as `crm` is matched against but, not being
    timed or named, leaves the report without its `existing` block."""
    if isinstance(crm, Crm):
        records: pl.DataFrame | None = crm.records
        existing = crm.facts()
    else:
        records, existing = crm, None
    timings: dict[str, float] = {}
    clock = [time.perf_counter()]

    def stage(name: str) -> None:
        now = time.perf_counter()
        timings[name] = round(now - clock[0], 3)
        clock[0] = now
        if progress:
            progress(name)

    table = read_table(path, expected_headers=job.spec.source_headers(), hints=job.hints)
    stage("read")
    raw = remap(table, job.spec)
    stage("remap")
    leads = standardize(raw, job.settings)
    stage("standardize")
    # rows the reader split from a merged record are rejected with `row:<code>`
    leads = with_read_problems(validate(leads, job.rules), table.frame, ERRORS)
    leads = leads.with_row_index("_idx")
    stage("validate")
    if handoff is not None:
        leads = handoff.suppress(leads)
    leads, _ = _route(leads, records, job)
    leads = merge_repeats(leads, merge=job.spec.duplicates.merge, summed=job.spec.duplicates.sum)
    stage("match")
    if handoff is not None:
        day = options.today or date.today()
        leads = handoff.opted_out(leads, records)
        leads = handoff.enrich(leads, table.info.sha256)
        leads = handoff.safe_updates(leads, records, day)
        stage("handoff")
    outputs = _write(table, leads, job, out_dir, path.stem, options, handoff)
    if options.issues:
        outputs["issues"] = out_dir / f"{path.stem}.issues.csv"
        kept = _not_erased(leads)
        write_csv(
            issue_records(raw.filter(kept), leads.filter(kept)), outputs["issues"], bom=options.bom
        )
    stage("write")
    timings["total"] = round(sum(timings.values()), 3)
    report = build_report(
        table.info,
        leads,
        job.mapping,
        job.target,
        outputs=outputs,
        timings=timings,
        existing=existing,
        handoff=Handoff.facts(leads) if handoff is not None else None,
    )
    outputs["report"] = report_path(out_dir, path.stem)
    with atomic_file(outputs["report"], "w") as fh:
        fh.write(report.to_json())
    return RunResult(input=path, document=report, outputs=outputs)


def _not_erased(leads: pl.DataFrame) -> pl.Series:
    """Rows whose values may be written anywhere: all but an erased person's."""
    if SUPPRESSED not in leads.columns:
        return pl.Series([True] * leads.height)
    return (leads[SUPPRESSED] != ERASURE).fill_null(True)


def _route(
    leads: pl.DataFrame, crm: pl.DataFrame | None, job: Job
) -> tuple[pl.DataFrame, pl.DataFrame | None]:
    """Give every row its `_outcome`; duplicates and matches carry their explanation."""
    valid = leads.filter(pl.col(ERRORS).is_null())
    dups = find_duplicates(valid, job.match)
    kept_of = dups.join(
        leads.select(pl.col("_idx").alias("_duplicate_of"), pl.col("_row").alias("_kept_row")),
        on="_duplicate_of",
        how="left",
    ).select(
        "_idx",
        pl.col("_kept_row").alias("_duplicate_of"),
        "_duplicate_score",
        pl.col("_match_reason").alias("_dup_reason"),
        "_duplicate_outcome",
    )
    leads = Handoff.spread(leads.join(kept_of, on="_idx", how="left", maintain_order="left"))
    suppressed = SUPPRESSED in leads.columns
    matched = None
    if crm is not None and crm.height:
        repeats = dups.filter(pl.col("_duplicate_outcome") == "duplicate")
        kept = valid.join(repeats.select("_idx"), on="_idx", how="anti")
        if suppressed:  # never contacted: not matched either
            kept = kept.join(
                leads.filter(pl.col(SUPPRESSED).is_not_null()).select("_idx"), on="_idx", how="anti"
            )
        matched = match_existing(kept, crm, job.match)
        leads = leads.join(matched, on="_idx", how="left", maintain_order="left")
    # The first that holds decides: a reject stays a reject, a suppressed row is never
    # contacted (not even as a repeat), then repeats, then CRM matches; the rest is new.
    ladder: list[tuple[pl.Expr, str]] = [(pl.col(ERRORS).is_not_null(), "rejects")]
    if suppressed:
        ladder.append((pl.col(SUPPRESSED).is_not_null(), SUPPRESSED_OUTCOME))
    ladder.append((pl.col("_duplicate_outcome") == "duplicate", "duplicates"))
    if matched is not None:
        ladder.append((pl.col("_match_outcome") == "update", "updates"))
        ladder.append((pl.col("_match_outcome") == "review", "review"))
    # an uncertain repeat of another row (no CRM update for it): a person decides
    ladder.append((pl.col("_duplicate_outcome") == "review", "review"))
    outcome: pl.Expr = pl.lit("import")
    for holds, name in reversed(ladder):
        outcome = pl.when(holds).then(pl.lit(name)).otherwise(outcome)
    leads = leads.with_columns(outcome.alias("_outcome"))
    return leads, matched


def _write(
    table: Table,
    leads: pl.DataFrame,
    job: Job,
    out_dir: Path,
    stem: str,
    options: Options,
    handoff: Handoff | None = None,
) -> dict[str, Path]:
    target = job.target
    row = ["_row"] if options.trace else []
    flags = [f"_{c}" for c in _FLAG_COLUMNS if c in leads.columns] if job.spec.flag_columns else []
    matched = "_match_id" in leads.columns
    # Every row once in the CRM's columns, with every extra column any output needs; each
    # output is then a filter and a choice of columns of this one narrower frame.
    extras = [pl.col(f[1:]).alias(f) for f in flags]
    if matched:
        extras += [
            pl.col("_match_id").alias("_crm_id"),
            pl.col("_match_id"),
            pl.col("_match_score"),
            pl.col("_match_reason"),
            pl.col("_match_owner").alias("_existing_owner"),
        ]
    extras += [pl.col("_duplicate_of"), pl.col("_duplicate_score"), pl.col("_dup_reason")]
    # the review queue says which kind each row is: a CRM match, or a possible repeat
    crm_review = pl.col("_match_outcome") == "review" if matched else pl.lit(False)
    extras += [
        pl.when(crm_review.fill_null(False))
        .then(pl.lit("crm"))
        .when(pl.col("_duplicate_outcome") == "review")
        .then(pl.lit("repeat"))
        .alias("_review_kind"),
        (
            pl.when(crm_review.fill_null(False))
            .then(pl.col("_match_score"))
            .otherwise(pl.col("_duplicate_score"))
            if matched
            else pl.col("_duplicate_score")
        ).alias("_review_score"),
        (
            pl.when(crm_review.fill_null(False))
            .then(pl.col("_match_reason"))
            .otherwise(pl.col("_dup_reason"))
            if matched
            else pl.col("_dup_reason")
        ).alias("_review_reason"),
    ]
    if "_changed" in leads.columns:
        extras.append(pl.col("_changed"))
    handed = output_columns(leads, target) if handoff is not None else []
    if SUPPRESSED in leads.columns:
        extras.append(pl.col(SUPPRESSED))
    crm = to_target(leads, target)
    wide = pl.concat([leads.select("_row", "_outcome", *extras, *handed), crm], how="horizontal")
    columns = crm.columns
    added = [e.meta.output_name() for e in handed]

    def view(outcome: str, before: Sequence[str] = (), after: Sequence[str] = ()) -> pl.DataFrame:
        """The rows of one outcome in the target's columns, with their extra columns."""
        return wide.filter(pl.col("_outcome") == outcome).select(
            *row, *before, *columns, *added, *flags, *after
        )

    why = ["_match_score", "_match_reason"] if matched else []
    # The owner is told, not written into the CRM's owner field: a report export gives
    # a rep's name where Salesforce's OwnerId wants a user id, and an upsert keeps the
    # record's owner anyway.
    changed = ["_changed"] if "_changed" in leads.columns else []
    updates = view(
        "updates",
        before=["_crm_id"] if matched else [],
        after=[*changed, *why, "_existing_owner"] if matched else [],
    )
    frames = {
        "import": view("import"),
        "updates": updates.rename({"_crm_id": target.id_column}) if matched else updates,
        # the CRM id named as in updates; a repeat's kept row in `_duplicate_of`
        "review": view(
            "review",
            before=["_crm_id"] if matched else [],
            after=["_review_kind", "_review_score", "_review_reason", "_duplicate_of"],
        ).rename(
            {"_review_score": "_match_score", "_review_reason": "_match_reason"}
            | ({"_crm_id": target.id_column} if matched else {})
        ),
        "duplicates": view(
            "duplicates", after=["_duplicate_of", "_duplicate_score", "_dup_reason"]
        ).rename({"_dup_reason": "_match_reason"}),
        "rejects": _rejects_view(table, leads, [pl.col(c) for c in row]),
    }
    if SUPPRESSED in leads.columns:
        frames[SUPPRESSED_OUTCOME] = suppressed_frame(wide, columns)
    if handoff is not None:
        frames.update(campaign_frames(leads, handoff, target))
    paths = {}
    for name, frame in frames.items():
        paths[name] = output_path(out_dir, stem, name)
        write_csv(frame, paths[name], bom=options.bom)
    return paths


def issue_records(raw: pl.DataFrame, leads: pl.DataFrame) -> pl.DataFrame:
    """Every problem as a record: `_row`, `field`, `code`, `value` (as the file had it),
    `detail` (the code's title, or the suggested email)."""
    parts = []
    for f in CANONICAL_FIELDS:
        code_col = f"{f}__code"
        if code_col in leads.columns and f in raw.columns:
            parts.append(
                leads.select("_row", pl.lit(f).alias("field"), pl.col(code_col).alias("code"))
                .with_columns(raw[f].alias("value"))
                .filter(pl.col("code").is_not_null())
            )
    if "email_suggestion" in leads.columns:
        parts.append(
            leads.select(
                "_row",
                pl.lit("email").alias("field"),
                pl.lit("email_typo").alias("code"),
                raw["email"].alias("value"),
                pl.col("email_suggestion").alias("detail"),
            ).filter(pl.col("detail").is_not_null())
        )
    parts.extend(
        leads.select("_row", pl.lit("email").alias("field"), pl.lit(flag).alias("code"))
        .with_columns(raw["email"].alias("value"))
        .filter(leads[flag].fill_null(False))
        for flag in EMAIL_FLAGS
        if flag in leads.columns
    )
    schema = {
        "_row": pl.Int64,
        "field": pl.String,
        "code": pl.String,
        "value": pl.String,
        "detail": pl.String,
    }
    if not parts:
        return pl.DataFrame(schema=schema)
    records = pl.concat(parts, how="diagonal_relaxed").sort("_row", maintain_order=True)
    titles = {c.code: c.title for c in CODES.values()}
    return records.select(
        "_row",
        "field",
        "code",
        "value",
        pl.coalesce(
            "detail" if "detail" in records.columns else pl.lit(None, dtype=pl.String),
            pl.col("code").replace_strict(titles, default=None, return_dtype=pl.String),
        ).alias("detail"),
    )


def _rejects_view(table: Table, leads: pl.DataFrame, row: list[pl.Expr]) -> pl.DataFrame:
    """Rejected rows as the source file had them (and any extra cells), plus `_errors`."""
    rejected = leads.filter(pl.col("_outcome") == "rejects").select("_row", ERRORS)
    source = table.frame.join(rejected, on="_row", how="inner", maintain_order="left")
    columns = [c for c in table.frame.columns if not c.startswith("_")]
    if source["_extra"].is_not_null().any():
        columns.append("_extra")
    # A source header may be `*` or `^...$`: every column is taken by its literal name.
    return source.select(*row, *[col(c) for c in columns], ERRORS)
