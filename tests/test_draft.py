"""`mapping init`: header synonyms, value evidence, the written YAML, and known profiles.

The header table below is the contract for what a header alone says: each bug adds a row.
The file tests build real-shaped partner files the draft has never seen (other wording,
other languages, other column orders) and check the fields a CRM import lives on.
"""

from __future__ import annotations

import csv
import re
from pathlib import Path

import pytest
import yaml
from hypothesis import given
from hypothesis import strategies as st
from typer.testing import CliRunner

from leadkit.cli import app
from leadkit.draft import (
    HEADER_SYNONYMS,
    LANGUAGES,
    Draft,
    builtin_profiles_dir,
    draft_mapping,
    guess_field,
    header_synonyms,
    inspect_file,
    load_profiles,
    match_header,
    yaml_scalar,
)
from leadkit.draft.vocabulary import fold_header
from leadkit.mapping import CANONICAL_FIELDS, LoadedMapping, load_mapping
from leadkit.read import header_key

ROOT = Path(__file__).parent.parent
EXAMPLES = ROOT / "examples"
runner = CliRunner()

# --- the header table ------------------------------------------------------------------------

HEADERS: list[tuple[str, str | None]] = [
    # English, as partners and CRMs write it
    ("E-mail Address", "email"),
    ("Work Email", "email"),
    ("work_email", "email"),
    ("E-Mail", "email"),
    ("emailAddress", "email"),
    ("Business Email Address", "email"),
    ("Primary Contact Email", "email"),
    ("Your email (required)", "email"),
    ("Emial Adress", "email"),  # typos
    ("FirstName", "first_name"),
    ("First", "first_name"),
    ("Given Name", "first_name"),
    ("LAST_NAME", "last_name"),
    ("Surname", "last_name"),
    ("Full Name", "full_name"),
    ("Contact Name", "full_name"),
    ("Name", "full_name"),
    ("Company / Account", "company"),
    ("Organization Name", "company"),
    ("Employer", "company"),
    ("Job Title", "job_title"),
    ("Title", "job_title"),
    ("Phone #", "phone"),
    ("Tel.", "phone"),
    ("Phone Number", "phone"),
    ("Company Phone", "phone"),
    ("Home Phone", "phone"),
    ("Mobile Phone", "mobile_phone"),
    ("Mobile Phone Number", "mobile_phone"),
    ("Cell", "mobile_phone"),
    ("Street Address", "street"),
    ("Mailing Address", "street"),
    ("City", "city"),
    ("State/Province", "state"),
    ("Zip/Postal Code", "postal_code"),
    ("Work Zip", "postal_code"),
    ("Country/Region Name", "country"),
    ("Billing Country", "country"),
    ("Website URL", "website"),
    ("Company Industry", "industry"),
    ("Lead Source", "lead_source"),
    ("Campaign Name", "campaign"),
    ("Email Opt-In", "opt_in"),
    ("GDPR Consent", "opt_in"),
    ("Notes", "notes"),
    ("Registration Time", "created_at"),
    ("Created Date", "created_at"),
    # German
    ("Vorname", "first_name"),
    ("Nachname", "last_name"),
    ("Firma", "company"),
    ("Firmenname", "company"),
    ("E-Mail-Adresse", "email"),
    ("Geschäftliche E-Mail", "email"),
    ("Kontakt E-Mail", "email"),
    ("Telefonnummer", "phone"),
    ("Firmentelefon", "phone"),
    ("Handynummer", "mobile_phone"),
    ("Straße", "street"),
    ("PLZ", "postal_code"),
    ("Ort", "city"),
    ("Bundesland", "state"),
    ("Land", "country"),
    ("Branche", "industry"),
    ("Einwilligung", "opt_in"),
    ("Datum", "created_at"),
    # French
    ("Prénom", "first_name"),
    ("Nom", "last_name"),
    ("Nom complet", "full_name"),
    ("Société", "company"),
    ("Nom de l'entreprise", "company"),
    ("Courriel", "email"),
    ("Adresse e-mail", "email"),
    ("Adresse électronique", "email"),
    ("Téléphone", "phone"),
    ("Numéro de téléphone", "phone"),
    ("Téléphone portable", "mobile_phone"),
    ("Code postal", "postal_code"),
    ("Ville", "city"),
    ("Pays", "country"),
    ("Fonction", "job_title"),
    ("Consentement", "opt_in"),
    # Spanish
    ("Nombre", "first_name"),
    ("Apellido(s)", "last_name"),
    ("Apellidos", "last_name"),
    ("Nombre completo", "full_name"),
    ("Empresa", "company"),
    ("Nombre de la empresa", "company"),
    ("Correo electrónico", "email"),
    ("Correo electrónico corporativo", "email"),
    ("Teléfono", "phone"),
    ("Teléfono de la empresa", "phone"),
    ("Número de móvil", "mobile_phone"),
    ("País", "country"),
    ("Código postal", "postal_code"),
    ("Ciudad", "city"),
    ("Provincia", "state"),
    ("Cargo", "job_title"),
    ("Fecha de registro", "created_at"),
    # Italian
    ("Nome", "first_name"),
    ("Cognome", "last_name"),
    ("Azienda", "company"),
    ("Ragione sociale", "company"),
    ("Indirizzo email", "email"),
    ("Telefono", "phone"),
    ("Cellulare", "mobile_phone"),
    ("CAP", "postal_code"),
    ("Città", "city"),
    ("Nazione", "country"),
    # Portuguese
    ("Sobrenome", "last_name"),
    ("Endereço de e-mail", "email"),
    ("Telefone", "phone"),
    ("Nome completo", "full_name"),
    # Dutch
    ("Voornaam", "first_name"),
    ("Achternaam", "last_name"),
    ("Bedrijfsnaam", "company"),
    ("E-mailadres", "email"),
    ("Telefoonnummer", "phone"),
    ("Postcode", "postal_code"),
    ("Woonplaats", "city"),
    # Not lead fields, or nothing said: never guessed
    ("Email Opt Out", None),  # the inverse of opt_in
    ("Unsubscribed", None),
    ("Company Size", None),
    ("Lead Owner", None),
    ("Lead ID", None),
    ("Date of Birth", None),
    ("Last Login", None),
    ("Webinar Name", None),
    ("Form Name", None),
    ("LinkedIn Profile URL", None),
    ("Fax", None),
    ("col1", None),
    ("", None),
]


@pytest.mark.parametrize(("header", "field"), HEADERS, ids=[h or "<empty>" for h, _ in HEADERS])
def test_header_names_field(header: str, field: str | None) -> None:
    assert guess_field(header) == field


def test_header_table_is_big_and_multilingual() -> None:
    mapped = [h for h, f in HEADERS if f is not None]
    assert len(mapped) >= 60
    # Every language of the table has an exact synonym behind at least one of its headers.
    langs = {
        match_header(h)[0].lang
        for h in mapped
        if match_header(h) and match_header(h)[0].how == "exact"
    }
    assert {"en", "de", "fr", "es", "it", "pt", "nl"} <= langs


def test_every_synonym_names_its_own_field_and_only_that() -> None:
    seen: dict[str, str] = {}
    for fld, langs in HEADER_SYNONYMS.items():
        assert fld in CANONICAL_FIELDS or fld.startswith("_")
        assert set(langs) <= set(LANGUAGES)
        for names in langs.values():
            for syn in names:
                top = match_header(syn)[0]
                assert (top.field, top.score, top.how) == (fld, 1.0, "exact"), syn
                assert seen.setdefault(syn.casefold(), fld) == fld, f"{syn} listed twice"


@pytest.mark.parametrize(
    ("header", "folded"),
    [
        ("FirstName", "first name"),
        ("first_name", "first name"),
        ("LAST_NAME", "last name"),
        ("Phone #", "phone number"),
        ("Straße", "strasse"),
        ("Código postal", "codigo postal"),
        ("Company / Account", "company account"),
        ("R&D Contact", "r and d contact"),
        ("Ｅｍａｉｌ", "email"),  # full-width letters
        ("  E-Mail-Adresse ", "e mail adresse"),
    ],
)
def test_headers_and_synonyms_fold_alike(header: str, folded: str) -> None:
    assert fold_header(header) == folded


def test_the_vocabulary_data_files_load_once() -> None:
    assert header_synonyms() is header_synonyms()
    assert header_synonyms()["email"]["de"][0] == "E-Mail-Adresse"
    assert LANGUAGES["de"] == "German"


def test_every_canonical_field_but_constants_has_synonyms() -> None:
    assert set(CANONICAL_FIELDS) <= set(HEADER_SYNONYMS)


# --- real-shaped files it has not seen ----------------------------------------------------------


def write_csv(path: Path, header: list[str], rows: list[list[str]], delimiter: str = ",") -> Path:
    with path.open("w", encoding="utf-8", newline="") as f:
        w = csv.writer(f, delimiter=delimiter)
        w.writerow(header)
        w.writerows(rows)
    return path


PEOPLE = [
    # first, last, email, company, phone, country
    (
        "Priya",
        "Raman",
        "priya.raman@northwind.com",
        "Northwind Logistics Inc.",
        "+1 415 555 0132",
        "United States",
    ),
    (
        "Jürgen",
        "Müller",
        "juergen.mueller@beispiel.de",
        "Beispiel GmbH",
        "+49 30 12345678",
        "Deutschland",
    ),
    ("Anaïs", "Lefèvre", "anais.lefevre@exemple.fr", "Exemple SAS", "+33 1 42 68 53 00", "France"),
    ("María", "García", "maria.garcia@ejemplo.es", "Ejemplo S.L.", "+34 912 345 678", "España"),
    ("Luca", "Rossi", "luca.rossi@esempio.it", "Esempio S.r.l.", "+39 02 1234 5678", "Italia"),
    (
        "Kenji",
        "Watanabe",
        "kenji.watanabe@fabrikam.co.jp",
        "Fabrikam K.K.",
        "+81 3-1234-5678",
        "Japan",
    ),
    (
        "Emma",
        "Wilson",
        "emma.wilson@trey.com.au",
        "Trey Research Pty Ltd",
        "+61 2 9876 5432",
        "Australia",
    ),
    ("Sven", "Andersson", "sven.andersson@exempel.se", "Exempel AB", "+46 8 123 456 78", "Sverige"),
]

# (file name, headers in file order, which person attribute each header holds, expected fields)
UNSEEN = [
    (
        "spanish.csv",
        ["Correo electrónico", "Nombre", "Apellidos", "Empresa", "Teléfono", "País", "Cargo"],
        ["email", "first", "last", "company", "phone", "country", "title"],
    ),
    (
        "french.csv",
        ["Société", "Pays", "Prénom", "Nom", "Adresse e-mail", "Téléphone"],
        ["company", "country", "first", "last", "email", "phone"],
    ),
    (
        "german_reordered.csv",
        ["Firmenname", "E-Mail-Adresse", "Nachname", "Vorname", "Land", "Telefonnummer"],
        ["company", "email", "last", "first", "country", "phone"],
    ),
    (
        "italian.csv",
        ["Nome", "Cognome", "Indirizzo email", "Azienda", "Telefono", "Paese"],
        ["first", "last", "email", "company", "phone", "country"],
    ),
    (
        "english_full_name.csv",
        [
            "Contact Name",
            "Business Email Address",
            "Company / Account",
            "Phone #",
            "Country/Region",
        ],
        ["full", "email", "company", "phone", "country"],
    ),
    (
        "dutch.csv",
        ["Voornaam", "Achternaam", "Bedrijfsnaam", "E-mailadres", "Telefoonnummer", "Land"],
        ["first", "last", "company", "email", "phone", "country"],
    ),
    (
        "portuguese.csv",
        ["Nome completo", "Endereço de e-mail", "Empresa", "Telefone", "País"],
        ["full", "email", "company", "phone", "country"],
    ),
    (
        "crm_style.csv",
        [
            "Lead ID",
            "FirstName",
            "LastName",
            "Account Name",
            "EmailAddress",
            "Business Phone",
            "Country Code",
            "Lead Owner",
        ],
        ["id", "first", "last", "company", "email", "phone", "iso2", "owner"],
    ),
    (
        "webform.csv",
        [
            "Submitted At",
            "Your email (required)",
            "Full Name",
            "Organisation",
            "Tel.",
            "Country of Residence",
            "Message",
        ],
        ["date", "email", "full", "company", "phone", "country", "note"],
    ),
]
_FIELD_OF = {
    "email": "email",
    "first": "first_name",
    "last": "last_name",
    "full": "full_name",
    "company": "company",
    "phone": "phone",
    "country": "country",
    "iso2": "country",
}


def _cell(person: tuple[str, ...], what: str, i: int) -> str:
    first, last, email, company, phone, country = person
    iso2 = {
        "United States": "US",
        "Deutschland": "DE",
        "France": "FR",
        "España": "ES",
        "Italia": "IT",
        "Japan": "JP",
        "Australia": "AU",
        "Sverige": "SE",
    }[country]
    return {
        "email": email,
        "first": first,
        "last": last,
        "full": f"{first} {last}",
        "company": company,
        "phone": phone,
        "country": country,
        "iso2": iso2,
        "title": ["Marketing Manager", "Director of Sales", "CEO", "Head of IT"][i % 4],
        "id": f"00Q5e00000Ab{i:04d}",
        "owner": ["Jordan Miles", "Avery Brooks"][i % 2],
        "date": f"2026-11-{i + 1:02d} 09:30",
        "note": ["Wants a demo", "", "Call back"][i % 3],
    }[what]


def _unseen_file(tmp: Path, name: str, header: list[str], kinds: list[str]) -> Path:
    rows = [[_cell(p, k, i) for k in kinds] for i, p in enumerate(PEOPLE)]
    return write_csv(tmp / name, header, rows)


@pytest.mark.parametrize(("name", "header", "kinds"), UNSEEN, ids=[u[0] for u in UNSEEN])
def test_unseen_files_map_the_core_fields(
    tmp_path: Path, name: str, header: list[str], kinds: list[str]
) -> None:
    path = _unseen_file(tmp_path, name, header, kinds)
    draft = draft_mapping(path, profiles_dir=tmp_path)  # no known profiles: a real draft
    mapped = draft.mapped
    expected = {_FIELD_OF[k]: [h] for h, k in zip(header, kinds, strict=True) if k in _FIELD_OF}
    assert {f: mapped.get(f) for f in expected} == expected
    # Nothing else took a core field.
    assert set(mapped) & set(_FIELD_OF.values()) == set(expected)
    _loads_back(draft, tmp_path)


def test_headers_that_say_nothing_still_get_email_phone_country_from_values(tmp_path: Path) -> None:
    kinds = ["full", "email", "company", "phone", "country", "date"]
    path = _unseen_file(tmp_path, "export.csv", [f"col{i + 1}" for i in range(len(kinds))], kinds)
    draft = draft_mapping(path, profiles_dir=tmp_path)
    mapped = draft.mapped
    assert mapped["email"] == ["col2"]
    assert mapped["phone"] == ["col4"]
    assert mapped["country"] == ["col5"]
    text = draft.to_yaml()
    assert re.search(r"email: col2 +# 0\.\d\d: 100% of 8 sampled values are emails", text)
    _loads_back(draft, tmp_path)


def test_values_outweigh_a_misleading_header(tmp_path: Path) -> None:
    # A column called "Contact" full of addresses is the email, whatever its header says.
    kinds = ["full", "email", "company"]
    path = _unseen_file(tmp_path, "leads.csv", ["Attendee", "Contact", "Org"], kinds)
    draft = draft_mapping(path, profiles_dir=tmp_path)
    assert draft.mapped["email"] == ["Contact"]
    column = next(c for c in draft.columns if c.header == "Contact")
    assert "emails" in column.evidence


def test_header_contradicted_by_values_is_left_out(tmp_path: Path) -> None:
    rows = [[p[0], f"note {i}"] for i, p in enumerate(PEOPLE)]
    path = write_csv(tmp_path / "f.csv", ["First Name", "Phone"], rows)
    draft = draft_mapping(path, profiles_dir=tmp_path)
    assert "phone" not in draft.mapped
    assert "'Phone': weak evidence: phone" in draft.to_yaml()


def test_ambiguous_column_is_left_out_with_a_comment(tmp_path: Path) -> None:
    # Half phone numbers, half addresses, under a header naming both: never guessed.
    rows = [[p[2] if i % 2 else p[4], p[3]] for i, p in enumerate(PEOPLE)]
    path = write_csv(tmp_path / "f.csv", ["Telefon/E-Mail", "Firma"], rows)
    draft = draft_mapping(path, profiles_dir=tmp_path)
    column = next(c for c in draft.columns if c.header == "Telefon/E-Mail")
    assert column.status == "ambiguous"
    assert "email" not in draft.mapped
    assert "phone" not in draft.mapped
    text = draft.to_yaml()
    assert re.search(
        r"^  # ambiguous: 'Telefon/E-Mail' could be (email|phone) \(0\.\d\d\) or (email|phone)",
        text,
        re.M,
    )
    _loads_back(draft, tmp_path)


def test_unmapped_headers_are_listed(tmp_path: Path) -> None:
    kinds = ["email", "first", "last", "id", "owner"]
    path = _unseen_file(
        tmp_path, "f.csv", ["Email", "First", "Last", "Lead ID", "Sales Rep"], kinds
    )
    text = draft_mapping(path, profiles_dir=tmp_path).to_yaml()
    unmapped = text.split("# Unmapped headers:\n", 1)[1]
    assert "#   'Lead ID': a known column that is no lead field" in unmapped
    assert "#   'Sales Rep': no field found" in unmapped


def test_every_mapped_line_carries_confidence_and_evidence(tmp_path: Path) -> None:
    path = _unseen_file(tmp_path, "f.csv", *UNSEEN[0][1:])
    text = draft_mapping(path, profiles_dir=tmp_path).to_yaml()
    lines = text.split("columns:\n", 1)[1].splitlines()
    entries = [ln for ln in lines if re.match(r"^  [a-z_]+: ", ln)]
    assert len(entries) == 7
    for line in entries:
        assert re.search(r"  # (0\.\d\d|1\.00): header '[^']+' (=|~|contains)", line), line
    email = next(ln for ln in entries if ln.startswith("  email:"))
    assert re.search(
        r"# 0\.9\d: header 'Correo electrónico' = email \(Spanish\); 100% of 8 sampled values are emails",
        email,
    )


def test_two_columns_for_one_field_keep_the_better_and_suggest_the_other(tmp_path: Path) -> None:
    rows = [[p[2], p[2].replace("@", ".home@"), p[1]] for p in PEOPLE]
    path = write_csv(tmp_path / "f.csv", ["Work Email", "Personal Email", "Last Name"], rows)
    draft = draft_mapping(path, profiles_dir=tmp_path)
    assert draft.mapped["email"] == ["Work Email"]
    assert (
        "# left out: 'Personal Email' also looks like email, mapped to 'Work Email'"
        in draft.to_yaml()
    )


def test_alternates_of_equal_strength_are_kept_as_a_list(tmp_path: Path) -> None:
    rows = [[p[4] if i % 2 else "", "" if i % 2 else p[4], p[1]] for i, p in enumerate(PEOPLE)]
    path = write_csv(tmp_path / "f.csv", ["Work Phone", "Business Phone", "Last Name"], rows)
    draft = draft_mapping(path, profiles_dir=tmp_path)
    assert sorted(draft.mapped["phone"]) == ["Business Phone", "Work Phone"]
    assert re.search(
        r"^  phone: \[(Work|Business) Phone, (Work|Business) Phone\]", draft.to_yaml(), re.M
    )
    _loads_back(draft, tmp_path)


@pytest.mark.parametrize(
    ("header", "values", "others", "field"),
    [
        # French "Nom" alone, holding whole names: the full name.
        ("Nom", ["Jean Dupont", "Marie Curie", "Anaïs Lefèvre", "Paul Martin"], {}, "full_name"),
        # Spanish "Nombre" alone, holding whole names.
        ("Nombre", ["María García", "José Pérez", "Ana López", "Luis Díaz"], {}, "full_name"),
        # German "Name" beside "Vorname" is the family name.
        (
            "Name",
            ["Müller", "Schmidt", "Weber", "Fischer"],
            {"Vorname": ["Jürgen", "Anna", "Lukas", "Lena"]},
            "last_name",
        ),
        # British "Name" beside "Surname" is the given name.
        (
            "Name",
            ["John", "Emma", "Oliver", "Amelia"],
            {"Surname": ["Smith", "Jones", "Brown", "Taylor"]},
            "first_name",
        ),
    ],
)
def test_name_columns_are_read_together(
    tmp_path: Path, header: str, values: list[str], others: dict[str, list[str]], field: str
) -> None:
    headers = [header, *others, "Email"]
    rows = [
        [v, *(o[i] for o in others.values()), f"p{i}@example.com"] for i, v in enumerate(values)
    ]
    draft = draft_mapping(write_csv(tmp_path / "f.csv", headers, rows), profiles_dir=tmp_path)
    assert draft.mapped[field] == [header]


def test_full_name_is_the_fallback_beside_first_and_last(tmp_path: Path) -> None:
    kinds = ["full", "first", "last", "email"]
    path = _unseen_file(tmp_path, "f.csv", ["Name", "First Name", "Last Name", "Email"], kinds)
    draft = draft_mapping(path, profiles_dir=tmp_path)
    assert draft.mapped["full_name"] == ["Name"]
    assert draft.mapped["first_name"] == ["First Name"]
    assert "the fallback where first_name and last_name are empty" in draft.to_yaml()


def test_target_and_its_required_fields(tmp_path: Path) -> None:
    kinds = ["email", "first", "last", "phone"]
    path = _unseen_file(tmp_path, "f.csv", ["Email", "First", "Last", "Phone"], kinds)
    draft = draft_mapping(path, target="salesforce", profiles_dir=tmp_path)
    text = draft.to_yaml()
    assert "\ntarget: salesforce\n" in text
    # Company has no column: a placeholder default, so no lead is rejected for it.
    assert draft.required_missing == []
    assert draft.defaults == {"company": "[not provided]"}
    assert '\ndefaults:\n  company: "[not provided]"\n' in text
    assert "# The target salesforce requires company, and no column" in text
    assert draft_mapping(path, profiles_dir=tmp_path).target == "generic"


def test_input_hints_are_written_into_the_draft(tmp_path: Path) -> None:
    from leadkit.read import InputHints

    kinds = ["email", "first", "last"]
    path = tmp_path / "f.txt"
    path.write_text(
        "Partner export\n\n"
        + "|".join(["Email", "First", "Last"])
        + "\n"
        + "\n".join("|".join(_cell(p, k, i) for k in kinds) for i, p in enumerate(PEOPLE))
        + "\n",
        encoding="utf-8",
    )
    draft = draft_mapping(
        path, hints=InputHints(header_row=3, delimiter="|"), profiles_dir=tmp_path
    )
    loaded = _loads_back(draft, tmp_path)
    assert loaded.spec.input.header_row == 3
    assert loaded.spec.input.delimiter == "|"
    assert draft.mapped["email"] == ["Email"]


def _loads_back(draft: Draft, tmp: Path) -> LoadedMapping:
    """The written YAML loads with leadkit's own loader, and holds what the draft says."""
    out = tmp / "draft.yaml"
    out.write_text(draft.to_yaml(), encoding="utf-8")
    loaded = load_mapping(out)
    data = draft.mapping_dict()
    assert loaded.spec.target == data["target"]
    assert dict(loaded.spec.columns) == data["columns"]
    return loaded


# --- YAML scalars ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("header", "written"),
    [
        ("E-mail Address", "E-mail Address"),
        ("Country/Region Name", "Country/Region Name"),
        ("Apellido(s)", "Apellido(s)"),
        ("Nom de l'entreprise", "Nom de l'entreprise"),
        ("Phone #", '"Phone #"'),
        ("Yes", '"Yes"'),  # YAML 1.1 would read a plain Yes as true
        ("No", '"No"'),
        ("null", '"null"'),
        ("2024", '"2024"'),
        ("Email: work", '"Email: work"'),
        ("[Email]", '"[Email]"'),
    ],
)
def test_yaml_scalar(header: str, written: str) -> None:
    assert yaml_scalar(header) == written
    assert yaml.safe_load(f"k: {written}") == {"k": header}


@given(st.text(max_size=40))
def test_any_header_round_trips_through_yaml(header: str) -> None:
    assert yaml.safe_load("k: " + yaml_scalar(header)) == {"k": header}
    assert yaml.safe_load("k: [" + yaml_scalar(header) + ", x]") == {"k": [header, "x"]}


# --- known profiles ----------------------------------------------------------------------------

BUNDLED = {
    "zoom_webinar": EXAMPLES / "zoom_webinar_attendees.csv",
    "badge_scan": EXAMPLES / "badge_scan.xlsx",
    "eu_partner": EXAMPLES / "eu_partner_leads.csv",
}


def profile_examples() -> list[tuple[Path, Path]]:
    """Every built-in profile with an example: `examples/profiles/NAME.*` or a bundled one."""
    found = []
    for mapping in sorted((ROOT / "mappings").glob("*.yaml")):
        examples = sorted((EXAMPLES / "profiles").glob(f"{mapping.stem}.*"))
        example = examples[0] if examples else BUNDLED.get(mapping.stem)
        if example is not None and example.exists():
            found.append((mapping, example))
    return found


PROFILE_EXAMPLES = profile_examples()


def test_every_bundled_example_has_its_profile() -> None:
    assert {m.stem for m, _ in PROFILE_EXAMPLES} >= set(BUNDLED)


@pytest.mark.parametrize(
    ("mapping", "example"), PROFILE_EXAMPLES, ids=[m.stem for m, _ in PROFILE_EXAMPLES]
)
def test_init_on_a_profile_example_picks_that_profile(
    mapping: Path, example: Path, tmp_path: Path
) -> None:
    draft = draft_mapping(example)
    assert draft.profile is not None
    assert draft.profile.path == mapping.resolve()
    text = draft.to_yaml()
    assert f"is a known format: the profile '{draft.profile.name}'" in text
    # What is written is the profile's mapping.
    out = tmp_path / "m.yaml"
    out.write_text(text, encoding="utf-8")
    assert load_mapping(out).spec == load_mapping(mapping).spec


@pytest.mark.parametrize(
    ("mapping", "example"), PROFILE_EXAMPLES, ids=[m.stem for m, _ in PROFILE_EXAMPLES]
)
def test_without_profiles_the_draft_finds_the_profile_core_fields(
    mapping: Path, example: Path, tmp_path: Path
) -> None:
    """Each profile's example as a file never seen: the draft maps the core fields the
    profile maps, to one of the columns the profile reads for them."""
    spec = load_mapping(mapping).spec
    draft = draft_mapping(example, profiles_dir=tmp_path)
    for fld in ("email", "first_name", "last_name", "full_name", "company", "phone", "country"):
        want = spec.columns.get(fld)
        if want is None:
            continue
        wanted = {header_key(h) for h in ([want] if isinstance(want, str) else want)}
        got = draft.mapped.get(fld, [])
        assert got, (fld, want, got)
        assert {header_key(h) for h in got} <= wanted, (fld, want, got)
    _loads_back(draft, tmp_path)


def test_the_copy_of_a_profile_keeps_its_editor_schema_working(tmp_path: Path) -> None:
    with_modeline = [
        (m, e) for m, e in PROFILE_EXAMPLES if m.read_text().startswith("# yaml-language-server:")
    ]
    if not with_modeline:
        pytest.skip("no profile names a schema")
    mapping, example = with_modeline[0]
    out = tmp_path / "partner.yaml"
    first = draft_mapping(example).to_yaml(out).splitlines()[0]
    assert first.startswith("# yaml-language-server: $schema=")
    schema = first.split("=", 1)[1]
    original = mapping.read_text().splitlines()[0].split("=", 1)[1].strip()
    assert (out.parent / schema).resolve() == (mapping.parent / original).resolve()


def test_target_option_overrides_the_profile_target(tmp_path: Path) -> None:
    draft = draft_mapping(BUNDLED["zoom_webinar"], target="hubspot")
    out = tmp_path / "m.yaml"
    out.write_text(draft.to_yaml(), encoding="utf-8")
    assert load_mapping(out).spec.target == "hubspot"
    assert draft_mapping(BUNDLED["zoom_webinar"]).mapping_dict()["target"] == "salesforce"


def test_profiles_folder_option(tmp_path: Path) -> None:
    (tmp_path / "my_partner.yaml").write_text(
        "target: hubspot\ncolumns:\n  email: Work Email\n  company: Org\n  country: Nation\n"
        "  job_title: Role\n"
    )
    (tmp_path / "broken.yaml").write_text("columns: [oops\n")  # skipped, not fatal
    path = _unseen_file(
        tmp_path,
        "f.csv",
        ["Work Email", "Org", "Nation", "Role", "Extra"],
        ["email", "company", "country", "title", "first"],
    )
    draft = draft_mapping(path, profiles_dir=tmp_path)
    assert draft.profile is not None
    assert draft.profile.name == "my_partner"
    assert "In the file, not read by this profile: 'Extra'" in draft.to_yaml()
    # A profile the file lacks one header of (3 of 4: near) is only mentioned.
    path = _unseen_file(
        tmp_path,
        "g.csv",
        ["Work Email", "Org", "Role", "Land"],
        ["email", "company", "title", "country"],
    )
    draft = draft_mapping(path, profiles_dir=tmp_path)
    assert draft.profile is None
    text = " ".join(draft.to_yaml().replace("\n# ", " ").split())
    assert "Close to the profile 'my_partner' (" in text
    assert "3 of its 4 fixed headers; the file lacks 'Nation'; has 1 other header(s)." in text


PARTIAL = (
    "target: hubspot\ncolumns:\n  email: Work Email\n  company: Org\n  country: Nation\n"
    "  job_title: Role\n  notes: Question 1\noptional: [Question 1]\n"
)


@pytest.mark.parametrize(
    ("headers", "recognized", "near"),
    [
        # every header, custom questions or not: recognized
        (["Work Email", "Org", "Nation", "Role", "Question 1"], True, False),
        (["Work Email", "Org", "Nation", "Role"], True, False),  # an optional one missing
        (["Work Email", "Org", "Nation", "Role", "Other question"], True, False),
        (["Work Email", "Org", "Role", "Question 1"], False, True),  # 3 of 4 fixed: near
        (["Work Email", "Org", "Question 1"], False, False),  # 2 of 4: neither
    ],
)
def test_partial_profile(tmp_path: Path, headers: list[str], recognized: bool, near: bool) -> None:
    profiles = tmp_path / "profiles"
    profiles.mkdir()
    (profiles / "partial.yaml").write_text(PARTIAL)
    kinds = {"Work Email": "email", "Org": "company", "Nation": "country", "Role": "title"}
    path = _unseen_file(tmp_path, "f.csv", headers, [kinds.get(h, "note") for h in headers])
    draft = draft_mapping(path, profiles_dir=profiles)
    assert (draft.profile is not None) is recognized
    assert [m.name for m in draft.near_profiles] == (["partial"] if near else [])
    inspection = inspect_file(path, profiles_dir=profiles)
    assert (inspection.profile is not None) is recognized
    assert [m["name"] for m in inspection.near_profiles] == (["partial"] if near else [])
    if recognized:
        assert inspection.profile is not None
        assert inspection.profile["total"] == 4  # the optional header is not counted


def test_builtin_profiles_are_found_and_load() -> None:
    folder = builtin_profiles_dir()
    assert folder == ROOT / "mappings"
    names = {p.path.stem for p in load_profiles(folder)}
    assert set(BUNDLED) <= names


# --- the command -------------------------------------------------------------------------------


def run(*args: str | Path) -> tuple[int, str, str]:
    result = runner.invoke(app, [str(a) for a in args], terminal_width=100)
    return result.exit_code, result.stdout, result.stderr


def test_cli_init_prints_a_loadable_draft(tmp_path: Path) -> None:
    path = _unseen_file(tmp_path, "f.csv", *UNSEEN[1][1:])
    code, out, err = run("mapping", "init", path, "--profiles", tmp_path, "--target", "marketo")
    assert code == 0, err
    (tmp_path / "m.yaml").write_text(out, encoding="utf-8")
    loaded = load_mapping(tmp_path / "m.yaml")
    assert loaded.spec.target == "marketo"
    assert loaded.spec.columns["email"] == "Adresse e-mail"


def test_cli_init_writes_a_file_and_refuses_to_overwrite_it(tmp_path: Path) -> None:
    out = tmp_path / "zoom.yaml"
    code, stdout, err = run("mapping", "init", BUNDLED["zoom_webinar"], "-o", out)
    assert code == 0, err
    assert stdout == ""
    assert "zoom-webinar" in err
    assert load_mapping(out).spec.target == "salesforce"
    before = out.read_text()
    code, _, err = run("mapping", "init", BUNDLED["eu_partner"], "-o", out)
    assert code == 2
    assert err.count("\n") == 1
    assert "already exists" in err
    assert "--force" in err
    assert out.read_text() == before
    code, _, err = run("mapping", "init", BUNDLED["eu_partner"], "-o", out, "--force")
    assert code == 0, err
    assert load_mapping(out).spec.target == "hubspot"
    assert [p.name for p in tmp_path.iterdir()] == ["zoom.yaml"]  # no temporary file left


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["mapping", "init", "nope.csv"], "nope.csv"),
        (
            ["mapping", "init", str(EXAMPLES / "crm_export.csv"), "--target", "nosuch"],
            "unknown target 'nosuch'",
        ),
        (
            ["mapping", "init", str(EXAMPLES / "crm_export.csv"), "--profiles", "no/such/dir"],
            "profiles folder not found",
        ),
        (
            ["mapping", "init", str(EXAMPLES / "crm_export.csv"), "-o", "no/such/dir/m.yaml"],
            "does not exist",
        ),
    ],
)
def test_cli_init_errors_are_one_line_exit_2(args: list[str], needle: str) -> None:
    code, out, err = run(*args)
    assert code == 2
    assert out == ""
    assert err.count("\n") == 1
    assert needle in err
    assert "Traceback" not in err
