"""The same job written the way a power user writes it today: the baseline leadkit is measured against.

pandas reads the partner file; a per-row `apply` calls email-validator and phonenumbers; a
dict of the CRM's emails gives updates; a seen-set gives duplicates; a few rules give
rejects. It does less than leadkit (no fuzzy matching, no per-field codes) and is still
far slower, which is the point of the comparison.

    python benchmarks/reference_pandas.py PARTNER.csv [CRM.csv] OUT_DIR
"""

from __future__ import annotations

import sys
from pathlib import Path

import pandas as pd
import phonenumbers
from email_validator import EmailNotValidError, validate_email

COUNTRIES = {
    "us": "US",
    "usa": "US",
    "united states": "US",
    "united states of america": "US",
    "u.s.": "US",
    "america": "US",
    "uk": "GB",
    "united kingdom": "GB",
    "great britain": "GB",
    "england": "GB",
    "gb": "GB",
    "de": "DE",
    "germany": "DE",
    "deutschland": "DE",
    "fr": "FR",
    "france": "FR",
    "in": "IN",
    "india": "IN",
    "au": "AU",
    "australia": "AU",
    "br": "BR",
    "brazil": "BR",
    "brasil": "BR",
    "jp": "JP",
    "japan": "JP",
    "ca": "CA",
    "canada": "CA",
}


def clean_email(value: object) -> str | None:
    if not isinstance(value, str) or not value.strip():
        return None
    text = value.strip()
    if text.lower().startswith("mailto:"):
        text = text[7:]
    try:
        return validate_email(text, check_deliverability=False).normalized.lower()
    except EmailNotValidError:
        return None


def clean_phone(row: pd.Series) -> str | None:
    value = row["Phone"]
    if not isinstance(value, str) or not value.strip():
        return None
    region = COUNTRIES.get(str(row["Country"]).strip().lower())
    try:
        number = phonenumbers.parse(value, region)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_valid_number(number):
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def main(argv: list[str]) -> None:
    partner = Path(argv[0])
    crm = Path(argv[1]) if len(argv) == 3 else None
    out = Path(argv[-1])
    out.mkdir(parents=True, exist_ok=True)
    df = pd.read_csv(partner, dtype=str, keep_default_na=False)
    df["email_clean"] = df["E-mail"].apply(clean_email)
    df["phone_clean"] = df.apply(clean_phone, axis=1)
    df["country_clean"] = df["Country"].apply(lambda c: COUNTRIES.get(str(c).strip().lower(), c))
    known: dict[str, str] = {}
    if crm is not None:
        existing = pd.read_csv(crm, dtype=str, keep_default_na=False)
        for _, r in existing.iterrows():
            e = str(r.get("Email", "")).strip().lower()
            if e:
                known[e] = r.iloc[0]
    seen: set[str] = set()
    outcome = []
    for _, r in df.iterrows():
        email = r["email_clean"]
        if email is None or (not r["Last Name"].strip() and not r["Company"].strip()):
            outcome.append("rejects")
        elif email in seen:
            outcome.append("duplicates")
        else:
            seen.add(email)
            outcome.append("updates" if email in known else "import")
    df["outcome"] = outcome
    for name, group in df.groupby("outcome"):
        group.to_csv(out / f"{partner.stem}.{name}.csv", index=False)


if __name__ == "__main__":
    main(sys.argv[1:])
