"""Golden tests of the built-in profiles: each mapping in `mappings/` normalizes its example.

Every profile has a real-shaped example, `examples/profiles/<profile>.<ext>`, and its outputs
are checked in under `tests/golden/profiles/<profile>/`: the five CSVs (with `--trace`'s `_row`) and the parts of
the report that do not change from run to run. No CRM export is matched against: the
profiles are about reading and mapping each export (matching has its own tests). The rows each example is expected to reject
are listed below with the reason, so an unexpected reject fails with a readable message
before the goldens are compared.

Regenerate the goldens after a deliberate change, then review the diff by eye:

    LEADKIT_UPDATE_GOLDEN=1 .venv/bin/pytest tests/test_profiles.py
"""

from __future__ import annotations

import csv
import fnmatch
import json
import os
from pathlib import Path
from typing import Any

import pytest

from leadkit.check import check_file
from leadkit.mapping import load_mapping
from leadkit.pipeline import Options, normalize

ROOT = Path(__file__).parent.parent
MAPPINGS = ROOT / "mappings"
EXAMPLES = ROOT / "examples"
GOLDEN = Path(__file__).parent / "golden" / "profiles"
UPDATE = os.environ.get("LEADKIT_UPDATE_GOLDEN") == "1"

# Profiles written before examples/profiles/ existed keep their example where it was; their
# golden test is tests/test_examples.py (the README's quickstart examples).
OLDER_EXAMPLES = {
    "zoom_webinar": EXAMPLES / "zoom_webinar_attendees.csv",
    "badge_scan": EXAMPLES / "badge_scan.xlsx",
    "eu_partner": EXAMPLES / "eu_partner_leads.csv",
}

# The rows (`_row`) each example is meant to reject, and why. Anything else rejected fails.
EXPECTED_REJECTS: dict[str, dict[int, str]] = {
    "zoom_webinar_registration": {
        # 5: lena.fischer@@adatum.de has a valid phone: Salesforce does not need email, so
        # the email is blanked and the lead kept (issue 14)
        7: "company:required_missing",  # no Organization: Salesforce needs Company
        14: "email:no_contact",  # no email and no phone: nobody can follow up
    },
    "meta_lead_ads": {
        7: "email:email_no_tld",  # olivia.brown@relecloud
    },
    "linkedin_lead_gen": {
        # 12: wei.zhang@lucernepublishing has a valid phone: blanked, kept (Salesforce)
        14: "company:required_missing",  # no Company Name: Salesforce needs Company
    },
    "eventbrite_attendees": {
        5: "email:email_invalid",  # marcus.johnson@cityp&l.com
        8: "email:required_missing",  # a student with no email: HubSpot needs Email
    },
    "on24_registrants": {
        10: "email:email_no_tld",  # fatima.alsayed@humongousinsurance
    },
    "hubspot_contacts": {
        5: "last_name:required_missing",  # events@ mailbox: no person
        10: "company:required_missing",  # no Company Name: Salesforce needs Company
    },
    "salesforce_report": {
        4: "email:email_no_tld",  # lena.fischer@adatum
        8: "email:required_missing",  # no email: HubSpot needs Email
    },
    "salesforce_dataloader": {
        2: "email:required_missing",  # phone only: the generic target needs Email
        9: "email:email_invalid",  # raj.patel@proseware..com
    },
}

# Profiles whose checked-in goldens hold the right output, which the pipeline does not
# produce yet. They fail (strictly: a fix makes them pass, and the entry must go) and their
# goldens are never overwritten by LEADKIT_UPDATE_GOLDEN.
KNOWN_BUGS: dict[str, str] = {}

OUTCOMES = ("import", "updates", "review", "duplicates", "rejects")
# The report's parts that are the same on every run (no timings, paths or versions).
REPORT_KEYS = ("rows", "counts", "issues", "reject_reasons", "flags", "warnings")
INPUT_KEYS = ("format", "encoding", "delimiter", "sheet", "header_row", "footer", "sha256")


def example_of(profile: str) -> Path:
    if profile in OLDER_EXAMPLES:
        return OLDER_EXAMPLES[profile]
    found = sorted((EXAMPLES / "profiles").glob(f"{profile}.*"))
    assert found, f"profile {profile} has no example: add examples/profiles/{profile}.<ext>"
    return found[0]


ALL_PROFILES = sorted(p.stem for p in MAPPINGS.glob("*.yaml"))
PROFILES = [p for p in ALL_PROFILES if p not in OLDER_EXAMPLES]


def test_every_profile_has_an_example_and_expected_rejects() -> None:
    for profile in ALL_PROFILES:
        assert example_of(profile).is_file()
    assert set(EXPECTED_REJECTS) == set(PROFILES), (
        "list the rows each profile's example should reject"
    )


@pytest.mark.parametrize(
    "profile",
    [
        pytest.param(p, marks=pytest.mark.xfail(reason=KNOWN_BUGS[p], strict=True))
        if p in KNOWN_BUGS
        else p
        for p in PROFILES
    ],
)
def test_profile_golden(profile: str, tmp_path: Path) -> None:
    mapping = load_mapping(MAPPINGS / f"{profile}.yaml")
    example = example_of(profile)
    [result] = normalize([example], mapping, tmp_path, options=Options(trace=True))

    rejects = {int(row["_row"]): row["_errors"] for row in _read_csv(result.outputs["rejects"])}
    assert rejects == EXPECTED_REJECTS[profile], "unexpected rejects (or an expected one missing)"

    counts = result.report["counts"]
    assert sum(counts.values()) == result.report["rows"], "every row lands in exactly one output"

    golden = GOLDEN / profile
    produced = {
        f"{example.stem}.{o}.csv": result.outputs[o].read_text(encoding="utf-8") for o in OUTCOMES
    }
    produced["report.json"] = (
        json.dumps(_stable_report(result.report), indent=2, ensure_ascii=False) + "\n"
    )
    if UPDATE and profile not in KNOWN_BUGS:
        golden.mkdir(parents=True, exist_ok=True)
        for stale in golden.iterdir():
            stale.unlink()
        for name, text in produced.items():
            (golden / name).write_text(text, encoding="utf-8")
    for name, text in produced.items():
        path = golden / name
        assert path.is_file(), f"no golden {path}: run with LEADKIT_UPDATE_GOLDEN=1 and review it"
        assert text == path.read_text(encoding="utf-8"), (
            f"{profile}: {name} differs from {path.relative_to(ROOT)}; if the change is intended, "
            "regenerate with LEADKIT_UPDATE_GOLDEN=1 and review the diff"
        )


@pytest.mark.parametrize("profile", ALL_PROFILES)
def test_profile_passes_mapping_check_on_its_example(profile: str) -> None:
    """`leadkit mapping check --sample`: every header the profile reads is in its example,
    and the dry run gives the counts the golden report holds."""
    result = check_file(MAPPINGS / f"{profile}.yaml", sample=example_of(profile))
    assert [str(p) for p in result.problems] == []
    assert result.dry_run is not None
    assert sum(result.dry_run.counts.values()) == result.dry_run.rows
    if profile in PROFILES:
        golden = json.loads((GOLDEN / profile / "report.json").read_text(encoding="utf-8"))
        assert result.dry_run.counts == golden["counts"]


@pytest.mark.parametrize(
    ("filename", "profile"),
    [
        ("webinar_attendee_report_2026-11-18.csv", "zoom_webinar"),
        ("81234567890_registration_report.csv", "zoom_webinar_registration"),
        ("Meta_Leads_RevOps_Guide_2026-11-20.csv", "meta_lead_ads"),
        ("facebook_leads_november.csv", "meta_lead_ads"),
        ("LinkedIn_Leads_RevOps_Guide.csv", "linkedin_lead_gen"),
        ("Eventbrite_Attendee_Summary.csv", "eventbrite_attendees"),
        ("ON24_Registrants_4123456.csv", "on24_registrants"),
        ("ACME_Expo_badge_scans.xlsx", "badge_scan"),
        ("hubspot-crm-exports-all-contacts-2026-11-20.csv", "hubspot_contacts"),
        ("report1731234567890.csv", "salesforce_report"),
        ("extract.csv", "salesforce_dataloader"),
        ("eu_partner_leads.csv", "eu_partner"),
    ],
)
def test_profile_match_globs_route_each_export_to_one_profile(filename: str, profile: str) -> None:
    """`leadkit run` routes a file by the profiles' `match:` globs (case-insensitive); a name
    two profiles match would wait as ambiguous."""
    fits = []
    for p in ALL_PROFILES:
        match = load_mapping(MAPPINGS / f"{p}.yaml").spec.match or []
        globs = [match] if isinstance(match, str) else match
        if any(fnmatch.fnmatchcase(filename.lower(), g.lower()) for g in globs):
            fits.append(p)
    assert fits == [profile]


def _stable_report(report: dict[str, Any]) -> dict[str, Any]:
    out = {k: report[k] for k in REPORT_KEYS}
    out["input"] = {k: report["input"][k] for k in INPUT_KEYS}
    out["mapping"] = {"name": report["mapping"]["name"], "target": report["mapping"]["target"]}
    return out


def _read_csv(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


# --- the profiles shipped inside the package ---------------------------------------------------

SHIPPED = ROOT / "leadkit" / "profiles"


def test_shipped_profiles_are_the_mappings_folder() -> None:
    """`leadkit/profiles/` (package data: what an installed leadkit recognizes) holds exactly
    the files of `mappings/` (what people read and copy). After editing a profile:
    `cp mappings/*.yaml mappings/mapping.schema.json leadkit/profiles/`."""
    shipped = {p.name: p.read_bytes() for p in SHIPPED.iterdir() if p.is_file()}
    repo = {
        p.name: p.read_bytes()
        for p in MAPPINGS.iterdir()
        if p.suffix in (".yaml", ".yml") or p.name == "mapping.schema.json"
    }
    assert sorted(shipped) == sorted(repo)
    stale = [name for name in repo if shipped[name] != repo[name]]
    assert stale == [], f"leadkit/profiles/ differs from mappings/ for {stale}"


@pytest.mark.slow
def test_an_installed_wheel_recognizes_a_profile_example(tmp_path: Path) -> None:
    """`pip wheel .`, installed in a fresh venv, outside the checkout: `mapping init` on a
    profile's example names the profile (read from the package, not from `mappings/`)."""
    import subprocess
    import sys
    import sysconfig
    import venv

    wheels = tmp_path / "wheels"
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", str(ROOT), "--no-deps", "-q", "-w", str(wheels)],
        check=True,
    )
    [wheel] = wheels.glob("leadkit-*.whl")
    env = tmp_path / "venv"
    venv.EnvBuilder(with_pip=False).create(env)
    python = env / "bin" / "python"
    # The dependencies come from the test's own environment (no download); leadkit itself
    # only from the wheel: a path added by a .pth file has its own .pth files (the editable
    # install's finder) ignored.
    site = subprocess.run(
        [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        capture_output=True, text=True, check=True,
    ).stdout.strip()  # fmt: skip
    Path(site, "deps.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    subprocess.run(
        [sys.executable, "-m", "pip", "--python", str(python), "install", "-q", "--no-deps",
         "--force-reinstall", str(wheel)],
        check=True,
    )  # fmt: skip
    work = tmp_path / "work"
    work.mkdir()
    example = work / "Eventbrite_Attendee_Summary.csv"
    example.write_bytes((EXAMPLES / "profiles" / "eventbrite_attendees.csv").read_bytes())
    done = subprocess.run(
        [str(python), "-m", "leadkit", "mapping", "init", example.name],
        cwd=work,
        capture_output=True,
        text=True,
        check=False,
        env={"PATH": os.environ.get("PATH", ""), "HOME": str(tmp_path)},
    )
    assert done.returncode == 0, done.stderr
    assert "is a known format: the profile 'eventbrite-attendees'" in done.stdout
    where = subprocess.run(
        [str(python), "-c", "import leadkit; print(leadkit.__file__)"],
        cwd=work, capture_output=True, text=True, check=True,
    )  # fmt: skip
    assert str(ROOT) not in where.stdout  # the installed copy, not the checkout
