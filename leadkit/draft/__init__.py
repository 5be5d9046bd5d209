"""`mapping init`: a draft mapping from a file's headers and values, with evidence per column.

Three kinds of evidence, combined per column:

1. **The header.** `HEADER_SYNONYMS` names each canonical field in English, German,
   French, Spanish, Italian, Portuguese and Dutch. A header is folded (accents, case,
   punctuation, camelCase and snake_case, `#` read as "number") and compared with every
   synonym: equal (`E-Mail`, `Vorname`, `Código postal`), close (rapidfuzz: `Emial
   Adress`, `Address Email`) or containing one (`Primary Contact Email`, `Firmentelefon`;
   the synonym at the end of the header weighs more: `Company Phone` is a phone, `Phone
   Company` is not much of anything). Known non-lead columns (`Lead Owner`, `Company Size`,
   `Join Time`) and opt-outs (`Unsubscribed`, which is the inverse of `opt_in`) are
   recognized so that they are not fuzzy-matched to a field.
2. **The values** (`leadkit.profile`): a header's field is confirmed or contradicted by the
   share of sampled values the field's normalizer accepts (`100% of 50 sampled values are
   emails`), and a column with no telling header is still the email, phone, country or
   website when nearly all of its values are ones (`col3` full of addresses is the email).
3. **The other columns.** A field goes to the column with the strongest evidence; a close
   second becomes an alternate (a list: the first non-empty value wins). `Nom` alone with
   values like `Jean Dupont` is a full name; `Name` beside `Vorname` is the last name.

Nothing is guessed: a column whose evidence is weak (below `MAP_MIN`) or split between two
fields (within `MARGIN`) is left out with a comment saying why, and every header left
unmapped is listed.

**Known profiles.** When the file's headers hold every source header of a mapping in the
profiles folder (the built-in `mappings/`, or `--profiles DIR`), the file is that partner
format: the draft is that profile's mapping, and says so.
"""

from __future__ import annotations

import fnmatch
import os
import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from dataclasses import field as _field
from pathlib import Path
from typing import Any

import yaml
from rapidfuzz import fuzz, process

from leadkit.errors import InputError, LeadkitError
from leadkit.mapping import CANONICAL_FIELDS, Mapping, load_mapping
from leadkit.profile import SAMPLE_ROWS, ColumnProfile, Inspection, inspect_table
from leadkit.read import InputHints, Table, header_key, read_table
from leadkit.targets import load_target

__all__ = [
    "HEADER_SYNONYMS",
    "MAP_MIN",
    "MARGIN",
    "ColumnDraft",
    "Draft",
    "HeaderMatch",
    "KnownProfile",
    "ProfileMatch",
    "builtin_profiles_dir",
    "draft_from_inspection",
    "draft_mapping",
    "guess_field",
    "inspect_file",
    "load_profiles",
    "match_header",
    "match_profiles",
    "read_input",
]

MAP_MIN = 0.6
"""A column is mapped only when its confidence is at least this."""
HEADER_MIN = 0.7
"""A header match below this is not evidence on its own."""
MARGIN = 0.05
"""Two fields this close for one column make it ambiguous: it is left out."""
TIE = 0.03
"""Two columns this close for one field are both used, as alternates."""

# Pseudo-fields: headers that are recognized so that they are *not* mapped.
OTHER = "_other"  # a known column that is no canonical lead field
OPT_OUT = "_opt_out"  # the inverse of opt_in: mapping it as opt_in would flip consent

# --- the header vocabulary -----------------------------------------------------------------
# field -> language -> synonyms separated by "|". Written as partners write them; folded
# for matching. A synonym belongs to one field only (a test checks it).
HEADER_SYNONYMS: dict[str, dict[str, str]] = {
    "email": {
        "en": "Email | E-mail | Mail | Email Address | E-mail Address | Email Addr | Work Email"
        " | Business Email | Company Email | Corporate Email | Professional Email | Office Email"
        " | Primary Email | Email ID | Contact Email | Attendee Email | Registrant Email"
        " | User Email | Lead Email | Email 1",
        "de": "E-Mail-Adresse | Emailadresse | Mailadresse | Geschäftliche E-Mail"
        " | E-Mail geschäftlich | Mail-Adresse",
        "fr": "Courriel | Adresse courriel | Adresse e-mail | Adresse email | Adresse mail | Mél"
        " | Adresse électronique | Adresse de courriel"
        " | E-mail professionnel | Courriel professionnel",
        "es": "Correo | Correo electrónico | Correo electronico | Email corporativo"
        " | Dirección de correo | Dirección de correo electrónico | Correo empresarial"
        " | Correo de trabajo",
        "it": "Posta elettronica | Indirizzo email | Indirizzo e-mail | E-mail aziendale",
        "pt": "Endereço de email | Endereço de e-mail | E-mail comercial | E-mail corporativo",
        "nl": "E-mailadres | Emailadres | Mailadres | Zakelijk e-mailadres",
    },
    "first_name": {
        "en": "First Name | First | FName | Given Name | Forename | Firstname | Name (First)",
        "de": "Vorname | Rufname",
        "fr": "Prénom | Prenom",
        "es": "Nombre | Nombres | Primer nombre | Nombre de pila",
        "it": "Nome | Nome di battesimo",
        "pt": "Primeiro nome | Nome próprio",
        "nl": "Voornaam | Roepnaam",
    },
    "last_name": {
        "en": "Last Name | Last | LName | Surname | Family Name | Lastname | Name (Last)",
        "de": "Nachname | Familienname | Zuname",
        "fr": "Nom | Nom de famille",
        "es": "Apellido | Apellidos | Apellido(s) | Primer apellido",
        "it": "Cognome",
        "pt": "Sobrenome | Apelido | Último nome",
        "nl": "Achternaam | Familienaam",
    },
    "full_name": {
        "en": "Name | Full Name | Fullname | Contact Name | Contact | Attendee Name"
        " | Registrant Name | Lead Name | Person | Contact Person | Participant Name",
        "de": "Vollständiger Name | Ansprechpartner | Kontaktperson | Name des Kontakts",
        "fr": "Nom complet | Nom et prénom | Prénom et nom | Nom du contact | Nom prénom",
        "es": "Nombre completo | Nombre y apellidos | Nombre del contacto | Persona de contacto",
        "it": "Nome completo | Nome e cognome | Referente",
        "pt": "Nome do contato | Nome do contacto",
        "nl": "Volledige naam | Naam | Contactpersoon",
    },
    "company": {
        "en": "Company | Company Name | Organization | Organisation | Organization Name"
        " | Organisation Name | Account | Account Name | Company / Account | Employer"
        " | Business Name | Firm | Institution | Company or Organization | Org",
        "de": "Firma | Firmenname | Unternehmen | Unternehmensname | Arbeitgeber",
        "fr": "Société | Societe | Entreprise | Nom de l'entreprise | Nom de la société"
        " | Raison sociale | Organisme",
        "es": "Empresa | Nombre de la empresa | Compañía | Compania | Organización | Razón social",
        "it": "Azienda | Società | Societa | Ragione sociale | Nome azienda | Organizzazione"
        " | Ditta",
        "pt": "Companhia | Organização | Nome da empresa",
        "nl": "Bedrijf | Bedrijfsnaam | Organisatie",
    },
    "job_title": {
        "en": "Job Title | Title | Position | Role | Job Role | Designation | Jobtitle"
        " | Job Position | Professional Title",
        "de": "Berufsbezeichnung | Funktion | Jobtitel | Stellenbezeichnung",
        "fr": "Poste | Fonction | Titre | Intitulé du poste | Titre du poste",
        "es": "Cargo | Puesto | Título del puesto | Posición",
        "it": "Ruolo | Qualifica | Posizione | Mansione",
        "pt": "Função | Cargo atual",
        "nl": "Functie | Functietitel",
    },
    "phone": {
        "en": "Phone | Phone Number | Phone # | Phone No | Telephone | Tel | Work Phone"
        " | Business Phone | Office Phone | Company Phone | Direct Phone | Direct Dial"
        " | Landline | Contact Number | Contact Phone | Main Phone | Primary Phone"
        " | Telephone Number",
        "de": "Telefon | Telefonnummer | Rufnummer | Telefon geschäftlich | Festnetz"
        " | Firmentelefon",
        "fr": "Téléphone | Numéro de téléphone | Tél | Téléphone fixe"
        " | Téléphone professionnel | Téléphone de l'entreprise",
        "es": "Teléfono | Telefono | Número de teléfono | Teléfono fijo"
        " | Teléfono de la empresa | Teléfono de contacto",
        "it": "Numero di telefono | Telefono fisso | Telefono aziendale",
        "pt": "Telefone | Número de telefone | Telefone comercial",
        "nl": "Telefoon | Telefoonnummer",
    },
    "mobile_phone": {
        "en": "Mobile | Mobile Phone | Mobile Number | Cell | Cell Phone | Cellphone"
        " | Cell Number | Mobile # | Mobile Phone Number | Cell Phone Number",
        "de": "Handy | Handynummer | Mobil | Mobiltelefon | Mobilnummer | Mobilfunknummer",
        "fr": "Portable | Téléphone portable | Numéro de portable | Mobile professionnel",
        "es": "Móvil | Movil | Celular | Teléfono móvil | Teléfono celular",
        "it": "Cellulare | Telefono cellulare",
        "pt": "Telemóvel | Telefone celular",
        "nl": "Mobiel | Mobiel nummer | Mobiele telefoon | GSM",
    },
    "street": {
        "en": "Street | Address | Street Address | Address 1 | Address Line 1 | Mailing Street"
        " | Street 1 | Address Line",
        "de": "Straße | Strasse | Adresse | Anschrift | Straße und Hausnummer",
        "fr": "Rue | Adresse postale | Adresse ligne 1",
        "es": "Dirección | Direccion | Calle | Domicilio | Dirección postal",
        "it": "Indirizzo | Via",
        "pt": "Endereço | Morada | Rua",
        "nl": "Adres | Straat | Straatnaam",
    },
    "city": {
        "en": "City | Town | Locality | City/Town | Mailing City",
        "de": "Ort | Stadt | Wohnort",
        "fr": "Ville | Localité",
        "es": "Ciudad | Localidad | Población | Municipio",
        "it": "Città | Citta | Comune | Località",
        "pt": "Cidade | Localidade | Município",
        "nl": "Plaats | Stad | Woonplaats | Gemeente",
    },
    "state": {
        "en": "State | Province | Region | State/Province | State / Province | State/Region"
        " | State Code | County | Mailing State",
        "de": "Bundesland | Kanton",
        "fr": "Région | Département",
        "es": "Estado | Provincia | Comunidad autónoma",
        "it": "Regione",
        "pt": "Distrito | Estado/Província",
        "nl": "Provincie",
    },
    "postal_code": {
        "en": "Postal Code | Zip | Zip Code | Zipcode | Postcode | Post Code | Zip/Postal Code"
        " | Postal | Mailing Zip",
        "de": "PLZ | Postleitzahl",
        "fr": "Code postal | CP | NPA",
        "es": "Código postal | Codigo postal | C.P.",
        "it": "CAP | C.A.P. | Codice postale",
        "pt": "CEP | Código de endereçamento postal",
        "nl": "Postnummer",
    },
    "country": {
        "en": "Country | Country/Region | Country/Region Name | Country Name | Country Code"
        " | Nation | Country of Residence | Mailing Country",
        "de": "Land | Staat/Land",
        "fr": "Pays | Pays/Région",
        "es": "País | Pais",
        "it": "Paese | Nazione",
        "pt": "País de residência",
    },
    "website": {
        "en": "Website | Web Site | URL | Web | Homepage | Home Page | Company Website"
        " | Domain | Company Domain | Website URL",
        "de": "Webseite | Internetseite | Internetadresse",
        "fr": "Site web | Site internet | Site",
        "es": "Sitio web | Página web | Pagina web",
        "it": "Sito web | Sito",
        "pt": "Site da empresa",
        "nl": "Webpagina",
    },
    "industry": {
        "en": "Industry | Sector | Vertical | Industry Sector",
        "de": "Branche",
        "fr": "Secteur | Secteur d'activité | Industrie",
        "es": "Industria | Sector de actividad",
        "it": "Settore",
        "pt": "Setor | Ramo de atividade",
    },
    "lead_source": {
        "en": "Lead Source | Source | Leadsource | Lead Origin | Origin | Channel",
        "de": "Quelle | Herkunft | Lead-Quelle",
        "fr": "Source du lead | Origine",
        "es": "Fuente | Origen | Origen del lead",
        "it": "Fonte | Origine del contatto",
        "pt": "Origem",
        "nl": "Bron",
    },
    "campaign": {
        "en": "Campaign | Campaign Name | UTM Campaign",
        "de": "Kampagne",
        "fr": "Campagne",
        "es": "Campaña",
        "it": "Campagna",
        "pt": "Campanha",
    },
    "opt_in": {
        "en": "Opt In | Opt-in | Email Opt In | Consent | Marketing Consent | GDPR Consent"
        " | Email Consent | Subscribed | Newsletter | Accepts Marketing | Marketing Opt In"
        " | Permission | Marketing Permission",
        "de": "Einwilligung | Zustimmung | Newsletter-Einwilligung | DSGVO-Einwilligung"
        " | Werbeeinwilligung",
        "fr": "Consentement | Consentement marketing | Accepte les communications",
        "es": "Consentimiento | Acepta comunicaciones | Consentimiento de marketing",
        "it": "Consenso | Consenso privacy | Consenso marketing",
        "pt": "Consentimento | Aceita comunicações",
        "nl": "Toestemming | Nieuwsbrief",
    },
    "notes": {
        "en": "Notes | Note | Comments | Comment | Remarks | Message | Additional Information",
        "de": "Notizen | Bemerkungen | Kommentar | Anmerkungen",
        "fr": "Commentaires | Remarques",
        "es": "Notas | Comentarios | Observaciones",
        "it": "Commenti | Osservazioni",
        "pt": "Observações | Comentários",
        "nl": "Opmerkingen | Notities",
    },
    "created_at": {
        "en": "Created | Created At | Created Date | Create Date | Date Created | Creation Date"
        " | Registration Time | Registration Date | Registered | Date | Timestamp | Submitted"
        " | Submitted At | Submission Date | Scan Time | Scan Date | Signup Date | Lead Date"
        " | Date Added",
        "de": "Datum | Erstellt am | Anmeldedatum | Registrierungsdatum | Erfassungsdatum",
        "fr": "Date de création | Date d'inscription",
        "es": "Fecha | Fecha de registro | Fecha de creación | Fecha de alta",
        "it": "Data di registrazione | Data di creazione",
        "pt": "Data de registro | Data de criação | Data de cadastro",
        "nl": "Aanmaakdatum | Inschrijfdatum",
    },
    OPT_OUT: {
        "en": "Opt Out | Opt-out | Email Opt Out | Opted Out | Unsubscribed | Unsubscribe"
        " | Do Not Email | Do Not Contact | Has Opted Out Of Email | Do Not Call"
        " | Unsubscribed from all email",
        "de": "Abgemeldet | Widerspruch",
        "fr": "Désinscrit | Désabonné",
        "es": "Baja | Dado de baja",
    },
    OTHER: {
        "en": "Id | Record Id | Lead Id | Contact Id | Owner | Lead Owner | Contact Owner"
        " | Record Owner | Lead Status | Status | Approval Status | Rating | Lead Score | Score"
        " | Company Size | Employees | Number of Employees | Annual Revenue | Revenue"
        " | Department | Salutation | Gender | Age | Date of Birth | Birthday | User Name"
        " | Username | User Name (Original Name) | Join Time | Leave Time | Time in Session"
        " | Time in Session (minutes) | Attended | Is Guest | Duration | Ticket Type"
        " | Order Number | Order Id | Attendee Number | Badge Id | Badge Number | Questions"
        " | Interests | Last Modified | Last Modified Date | Last Activity | Number | Type"
        " | Form | Form Name | Form Id | Ad Name | Ad Id | Ad Set Name | Adset Name | Adset Id"
        " | Campaign Id | Platform | Is Organic | LinkedIn | LinkedIn Profile | LinkedIn Profile URL"
        " | LinkedIn URL | Profile URL | Twitter | Facebook | Xing | Fax | Fax Number",
        "de": "Anrede | Abteilung | Geburtsdatum | Geschlecht | Mitarbeiter | Umsatz | Titel",
        "fr": "Civilité | Service | Date de naissance",
        "es": "Tratamiento | Departamento | Fecha de nacimiento",
        "it": "Reparto | Data di nascita",
        "pt": "Data de nascimento",
    },
}

LANGUAGES = {
    "en": "English",
    "de": "German",
    "fr": "French",
    "es": "Spanish",
    "it": "Italian",
    "pt": "Portuguese",
    "nl": "Dutch",
}


def _wordset(block: str) -> frozenset[str]:
    return frozenset(block.split())


# Words that say nothing about the field: "Your email (required)" is "email".
_NOISE = _wordset(
    """
    your votre vos ihre ihr deine dein tu su seu sua tuo tua uw je please bitte
    optional required opcional obligatorio facultatif obligatoire erforderlich pflichtfeld
    obbligatorio facoltativo
    """
)
# Synonyms that are matched only whole: as part of a longer header they mean nothing
# (`Last Login` is no last name, `Site Visits` no website).
_WHOLE_ONLY = _wordset(
    """
    first last name mail title web site via cap cp npa land data date source contact
    person role type number status score region origin channel service bron fuente
    fonte origine ort stad rue cell mobil handy form
    """
)

# Words that make a column the second choice for its field.
_SECONDARY = _wordset(
    "home personal private privat privee perso personnel secondary alternate alternative other"
    " second 2 casa particular"
)
# Each field's value kind (`leadkit.profile.KINDS`) that confirms or contradicts a header.
FIELD_KIND: dict[str, str] = {
    "email": "email",
    "phone": "phone",
    "mobile_phone": "phone",
    "country": "country",
    "website": "url",
    "created_at": "date",
    "opt_in": "boolean",
    "postal_code": "postal_code",
}
# Fields a column's values alone can establish, without any help from its header.
VALUE_FIELDS: dict[str, str] = {
    "email": "email",
    "phone": "phone",
    "country": "country",
    "url": "website",
}
_KIND_WORDS: dict[str, str] = {
    "email": "emails",
    "phone": "phone numbers",
    "country": "countries",
    "url": "web addresses",
    "date": "dates",
    "boolean": "yes/no values",
    "postal_code": "postal codes",
    "name": "known given names",
    "company": "company names with a legal form",
    "job_title": "job titles",
    "number": "numbers",
}
# Kinds whose values cannot be a name, a company or free text when nearly all are.
_FOREIGN_KINDS = ("email", "phone", "date", "url", "number")
_NAME_FIELDS = ("first_name", "last_name", "full_name")
# Fields a column of numbers cannot be (a campaign, a state or a note can be a number).
_NOT_NUMBERS = frozenset({*_NAME_FIELDS, "company", "job_title", "city", "street"})


def _fold(text: str) -> str:
    text = re.sub(r"(?<=[a-z])(?=[A-Z])", " ", text)  # camelCase: FirstName, HasOptedOutOfEmail
    text = text.replace("#", " number ").replace("ß", "ss").replace("&", " and ")
    text = unicodedata.normalize("NFKD", text.casefold())
    text = "".join(c for c in text if not unicodedata.combining(c))
    return " ".join(re.sub(r"[\W_]+", " ", text).split())


def _words(header: str) -> list[str]:
    words = _fold(header).split()
    kept = [w for w in words if w not in _NOISE]
    return kept or words


@dataclass(frozen=True)
class _Synonym:
    field: str
    lang: str
    text: str
    words: tuple[str, ...]
    compact: str


def _vocabulary() -> list[_Synonym]:
    out = []
    for fld, langs in HEADER_SYNONYMS.items():
        for lang, block in langs.items():
            for raw in block.split("|"):
                text = raw.strip()
                if text:
                    words = tuple(_fold(text).split())
                    out.append(_Synonym(fld, lang, text, words, "".join(words)))
    return out


_VOCAB = _vocabulary()
_EXACT: dict[str, _Synonym] = {}
for _s in _VOCAB:
    _EXACT.setdefault(_s.compact, _s)
_COMPACTS = [s.compact for s in _VOCAB]
_SPACED = [" ".join(s.words) for s in _VOCAB]


def header_vocabulary() -> list[list[str]]:
    """The synonyms of every canonical field, one list per field: the reader's expected headers."""
    return [
        [s.strip() for block in langs.values() for s in block.split("|")]
        for fld, langs in HEADER_SYNONYMS.items()
        if not fld.startswith("_")
    ]


# --- one header --------------------------------------------------------------------------


@dataclass(frozen=True)
class HeaderMatch:
    """How well a header names a field: `how` is exact, close or contains."""

    field: str
    score: float
    how: str
    synonym: str
    lang: str

    def evidence(self, header: str) -> str:
        what = {OTHER: "a known non-lead column", OPT_OUT: "an opt-out"}.get(self.field, self.field)
        if self.how == "exact":
            return f"header '{header}' = {what} ({LANGUAGES.get(self.lang, self.lang)})"
        if self.how == "close":
            return f"header '{header}' ~ '{self.synonym}' ({what})"
        return f"header '{header}' contains '{self.synonym}' ({what})"


def match_header(header: str) -> list[HeaderMatch]:
    """Every field `header` may name, best first (one entry per field, pseudo-fields included)."""
    words = _words(header)
    if not words:
        return []
    compact = "".join(words)
    spaced = " ".join(words)
    best: dict[str, HeaderMatch] = {}

    def offer(syn: _Synonym, score: float, how: str) -> None:
        current = best.get(syn.field)
        if current is None or score > current.score:
            best[syn.field] = HeaderMatch(syn.field, round(score, 4), how, syn.text, syn.lang)

    exact = _EXACT.get(compact)
    if exact is not None:
        offer(exact, 1.0, "exact")
    if len(compact) >= 5:
        # Typos and spacing (`Emial Adress`, `E Mail-Addresse`) on the compact form...
        for _, score, i in process.extract(
            compact, _COMPACTS, scorer=fuzz.ratio, score_cutoff=85, limit=None
        ):
            if len(_COMPACTS[i]) >= 5:
                offer(_VOCAB[i], 0.95 * score / 100, "close")
        # ... and word order (`Address Email`, `Name First`) on the words.
        if len(words) > 1:
            for _, score, i in process.extract(
                spaced, _SPACED, scorer=fuzz.token_sort_ratio, score_cutoff=90, limit=None
            ):
                if len(_VOCAB[i].words) > 1:
                    offer(_VOCAB[i], 0.95 * score / 100, "close")
    if exact is None:
        for syn, score in _contained(words, compact):
            offer(syn, score, "contains")
        if not _SECONDARY.isdisjoint(words):
            # `Home Zip` beside `Work Zip`: a lead file's people are reached at work.
            best = {f: replace(m, score=round(m.score - 0.02, 4)) for f, m in best.items()}
    return sorted(best.values(), key=lambda m: (-m.score, m.field))


def _contained(words: list[str], compact: str) -> list[tuple[_Synonym, float]]:
    """Synonyms inside a longer header, scored by how much of it they cover and whether they
    end it. One inside another found synonym counts for nothing: in `Business Email
    Address`, `address` is part of `email address`, not a street."""
    starts = [sum(len(w) for w in words[:i]) for i in range(len(words) + 1)]
    found: list[tuple[_Synonym, int, int]] = []
    for syn in _VOCAB:
        if len(syn.compact) < 3 or syn.compact not in compact or syn.compact in _WHOLE_ONLY:
            continue
        n = len(syn.words)
        at = next(
            (i for i in range(len(words) - n + 1) if tuple(words[i : i + n]) == syn.words), -1
        )
        if at >= 0:
            found.append((syn, starts[at], starts[at + n]))
        elif len(syn.compact) >= 5 and compact.endswith(syn.compact):
            # German compounds put the head last: `Firmentelefon`, `Kontaktemail`.
            found.append((syn, len(compact) - len(syn.compact), len(compact)))
        elif len(syn.compact) >= 6 and syn.compact in compact:
            i = compact.index(syn.compact)
            found.append((syn, i, i + len(syn.compact)))
    out = []
    for syn, a, b in found:
        if any(a2 <= a and b <= b2 and b2 - a2 > b - a for _, a2, b2 in found):
            continue
        coverage = (b - a) / len(compact)
        out.append((syn, 0.75 + 0.12 * coverage + (0.08 if b == len(compact) else 0.0)))
    return out


def guess_field(header: str) -> str | None:
    """The canonical field a header alone names, or None (unknown, not a lead field, or a tie)."""
    matches = [m for m in match_header(header) if m.score >= HEADER_MIN]
    if not matches or matches[0].field.startswith("_"):
        return None
    if len(matches) > 1 and matches[0].score - matches[1].score < MARGIN:
        return None
    return matches[0].field


# --- one column: header and values together ------------------------------------------------


@dataclass(frozen=True)
class Candidate:
    field: str
    confidence: float
    evidence: str
    from_header: bool


def _likely(col: ColumnProfile, kind: str) -> float:
    """The share of values of `kind`, pulled toward even odds when few values were tested:
    one odd value out of one is weak evidence against a header, fifty out of fifty strong."""
    return (col.share(kind) * col.tested + 0.5) / (col.tested + 1)


def _share_words(col: ColumnProfile, kind: str) -> str:
    return f"{round(col.share(kind) * 100)}% of {col.tested} sampled values are {_KIND_WORDS[kind]}"


def _candidates(col: ColumnProfile) -> list[Candidate]:
    header = match_header(col.name)
    out: dict[str, Candidate] = {}

    def offer(c: Candidate) -> None:
        if c.field not in out or c.confidence > out[c.field].confidence:
            out[c.field] = c

    foreign = next((k for k in _FOREIGN_KINDS if col.tested >= 3 and col.share(k) >= 0.8), None)
    for m in header:
        if m.score < HEADER_MIN - 0.15:
            continue
        said = m.evidence(col.name)
        if m.field.startswith("_"):
            offer(Candidate(m.field, m.score, said, True))
            continue
        kind = FIELD_KIND.get(m.field)
        if col.tested == 0:
            offer(Candidate(m.field, m.score * 0.9, f"{said}; the column is empty", True))
        elif kind is not None:
            p = _likely(col, kind)
            offer(
                Candidate(
                    m.field, m.score * (0.5 + 0.5 * p), f"{said}; {_share_words(col, kind)}", True
                )
            )
        elif foreign is not None and (foreign != "number" or m.field in _NOT_NUMBERS):
            offer(
                Candidate(m.field, m.score * 0.5, f"{said}; but {_share_words(col, foreign)}", True)
            )
        elif col.tested >= 3 and col.structured >= 0.6:
            but = f"but {round(col.structured * 100)}% of {col.tested} sampled values are emails, phones, dates or web addresses"
            offer(Candidate(m.field, m.score * 0.5, f"{said}; {but}", True))
        else:
            support, why = _weak_support(col, m.field)
            offer(Candidate(m.field, m.score * (0.9 + 0.1 * support), f"{said}{why}", True))
    # From the values alone.
    for kind, fld in VALUE_FIELDS.items():
        p = col.share(kind)
        if col.tested >= 3 and p >= 0.8 and (kind != "country" or col.kind == "country"):
            named = next((m for m in header if m.field == fld), None)
            hint = named.score if named is not None else 0.0
            why = _share_words(col, kind) + (f"; {named.evidence(col.name)}" if named else "")
            offer(Candidate(fld, 0.55 + 0.35 * _likely(col, kind) + 0.05 * hint, why, False))
    if (
        col.tested >= 3
        and col.kind == "company"
        and foreign is None
        and col.share("company") >= 0.6
    ):
        offer(
            Candidate(
                "company", 0.35 + 0.4 * col.share("company"), _share_words(col, "company"), False
            )
        )
    if col.tested >= 3 and col.kind == "name" and foreign is None:
        p = col.share("name")
        if p >= 0.6:
            fld = (
                "full_name"
                if col.multi_word >= 0.7
                else "first_name"
                if col.multi_word <= 0.2
                else ""
            )
            if fld:
                why = _share_words(col, "name").replace(
                    "are known given names", "start with a known given name"
                )
                if fld == "full_name":
                    why += f", {round(col.multi_word * 100)}% have two words or more"
                offer(Candidate(fld, 0.35 + 0.4 * p, why, False))
    return sorted(out.values(), key=lambda c: (-c.confidence, c.field))


def _weak_support(col: ColumnProfile, fld: str) -> tuple[float, str]:
    """How much the values back a field no normalizer validates (names, company, title)."""
    kind = {
        "first_name": "name",
        "full_name": "name",
        "company": "company",
        "job_title": "job_title",
    }.get(fld)
    if kind is None or col.tested < 3:
        return 0.5, ""
    p = col.share(kind)
    if p < 0.2:
        return 0.5, ""
    return min(1.0, 0.5 + p), f"; {_share_words(col, kind)}"


# --- the draft -----------------------------------------------------------------------------


@dataclass(frozen=True)
class ColumnDraft:
    """What became of one column.

    `status`: mapped; alternate (mapped too, after a better column for the same field:
    the first non-empty value wins); duplicate (looks like a field another column has,
    left out); ambiguous (could be two fields, left out); unmapped (no field, or too
    little evidence: `note` says which).
    """

    header: str
    status: str
    field: str | None
    confidence: float
    evidence: str
    note: str = ""
    candidates: list[Candidate] = _field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "header": self.header,
            "status": self.status,
            "field": self.field,
            "confidence": round(self.confidence, 2),
            "evidence": self.evidence,
            "note": self.note,
        }


@dataclass(frozen=True)
class KnownProfile:
    """A mapping in the profiles folder, and the source headers that fingerprint it."""

    name: str
    path: Path
    spec: Mapping
    entries: list[tuple[str, ...]]  # one per source header entry: its alternates

    @property
    def keys(self) -> list[frozenset[str]]:
        return [frozenset(header_key(h) for h in alts) for alts in self.entries]


@dataclass(frozen=True)
class ProfileMatch:
    """How a file's headers compare with one profile's: complete when all are present."""

    name: str
    path: str
    matched: int
    total: int
    missing: list[str]
    shared: float  # share of the file's headers the profile reads
    filename_matches: bool

    @property
    def complete(self) -> bool:
        return self.matched == self.total and self.total >= MIN_PROFILE_HEADERS

    def as_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "path": self.path,
            "matched": self.matched,
            "total": self.total,
            "missing": self.missing,
            "complete": self.complete,
        }


MIN_PROFILE_HEADERS = 3
"""A profile reading fewer headers than this is too generic to recognize a file by."""


@dataclass(frozen=True)
class Draft:
    """A draft mapping for one file; `to_yaml()` is what `mapping init` writes."""

    path: str
    target: str
    inspection: Inspection
    columns: list[ColumnDraft]
    profile: KnownProfile | None = None
    profile_match: ProfileMatch | None = None
    near_profiles: list[ProfileMatch] = _field(default_factory=list)
    required_missing: list[str] = _field(default_factory=list)
    hints: InputHints | None = None
    target_given: bool = False

    @property
    def mapped(self) -> dict[str, list[str]]:
        """Canonical field -> its source headers (alternates after the first), in field order."""
        found: dict[str, list[ColumnDraft]] = {}
        for c in self.columns:
            if c.status in ("mapped", "alternate") and c.field:
                found.setdefault(c.field, []).append(c)
        for cols in found.values():
            cols.sort(key=lambda c: (c.status != "mapped", -c.confidence))
        return {f: [c.header for c in found[f]] for f in CANONICAL_FIELDS if f in found}

    def mapping_dict(self) -> dict[str, Any]:
        """The draft as plain data (what the YAML holds, comments aside)."""
        if self.profile is not None:
            data: dict[str, Any] = yaml.safe_load(self.profile.path.read_text(encoding="utf-8"))
            if self.target_given:
                data["target"] = self.target
            return data
        data = {"target": self.target}
        hints = _hints_dict(self.hints)
        if hints:
            data["input"] = hints
        data["columns"] = {f: h[0] if len(h) == 1 else h for f, h in self.mapped.items()}
        return data

    def as_dict(self) -> dict[str, Any]:
        return {
            "path": self.path,
            "target": self.target,
            "profile": self.profile_match.as_dict() if self.profile_match else None,
            "near_profiles": [p.as_dict() for p in self.near_profiles],
            "mapping": self.mapping_dict(),
            "columns": [c.as_dict() for c in self.columns],
            "required_missing": self.required_missing,
            "info": self.inspection.info,
        }

    def to_yaml(self, written_to: str | Path | None = None) -> str:
        """The mapping file's text; `written_to` (where it will be saved) is named in its
        comments for the next step."""
        if self.profile is not None:
            return _render_profile(self, Path(written_to) if written_to else None)
        return _render_draft(self, str(written_to) if written_to else "THIS_FILE")


def draft_from_inspection(
    inspection: Inspection, *, target: str = "generic", required: Sequence[str] = ()
) -> Draft:
    """The draft mapping for a profiled table (no profile recognition: see `draft_mapping`)."""
    columns = _assign([(c, _candidates(c)) for c in inspection.columns])
    columns = _names_pass(columns, {c.name: c for c in inspection.columns})
    draft = Draft(path=inspection.path, target=target, inspection=inspection, columns=columns)
    mapped = draft.mapped
    have = set(mapped)
    if "full_name" in have:
        have |= {"first_name", "last_name"}
    missing = [f for f in required if f not in have]
    return replace(draft, required_missing=missing)


def _assign(cols: list[tuple[ColumnProfile, list[Candidate]]]) -> list[ColumnDraft]:
    """Each field to the column with the strongest evidence; weak or split columns left out."""
    result: dict[str, ColumnDraft] = {}
    pairs: list[tuple[float, int, str, Candidate]] = []
    for i, (col, cands) in enumerate(cols):
        real = [c for c in cands if not c.field.startswith("_")]
        top = cands[0] if cands else None
        if top is None or top.confidence < MAP_MIN:
            hint = (
                f"weak evidence: {real[0].field} ({real[0].confidence:.2f}, {real[0].evidence})"
                if real
                else ""
            )
            result[col.name] = ColumnDraft(col.name, "unmapped", None, 0.0, "", hint, cands)
            continue
        if top.field.startswith("_"):
            note = (
                "looks like an opt-out, the inverse of opt_in: map it with a value map"
                if top.field == OPT_OUT
                else "a known column that is no lead field"
            )
            result[col.name] = ColumnDraft(
                col.name, "unmapped", None, top.confidence, top.evidence, note, cands
            )
            continue
        if (
            len(real) > 1
            and real[1].confidence >= MAP_MIN
            and top.confidence - real[1].confidence < MARGIN
        ):
            note = f"could be {real[0].field} ({real[0].confidence:.2f}) or {real[1].field} ({real[1].confidence:.2f})"
            result[col.name] = ColumnDraft(
                col.name, "ambiguous", None, top.confidence, top.evidence, note, cands
            )
            continue
        for c in real:
            if c.confidence >= MAP_MIN and c.confidence >= top.confidence - 0.25:
                pairs.append((c.confidence, i, c.field, c))
    pairs.sort(key=lambda p: (-p[0], p[1]))
    owner: dict[str, tuple[str, float]] = {}
    for conf, i, fld, cand in pairs:
        col = cols[i][0]
        if col.name in result:
            continue
        if fld not in owner:
            owner[fld] = (col.name, conf)
            result[col.name] = ColumnDraft(
                col.name, "mapped", fld, conf, cand.evidence, "", cols[i][1]
            )
            continue
        first, first_conf = owner[fld]
        is_top = cols[i][1][0].field == fld
        if is_top and first_conf - conf < TIE:
            note = f"as good as '{first}' for {fld}: both kept, the first non-empty value wins"
            result[col.name] = ColumnDraft(
                col.name, "alternate", fld, conf, cand.evidence, note, cols[i][1]
            )
    for col, cands in cols:
        if col.name in result:
            continue
        top = cands[0]
        first = owner.get(top.field, ("?", 0.0))[0]
        note = (
            f"also looks like {top.field}, mapped to '{first}'; add it as an alternate if it is one"
        )
        result[col.name] = ColumnDraft(
            col.name, "duplicate", top.field, top.confidence, top.evidence, note, cands
        )
    return [result[col.name] for col, _ in cols]


def _names_pass(
    columns: list[ColumnDraft], profiles: dict[str, ColumnProfile]
) -> list[ColumnDraft]:
    """First, last and full name decided together: what one name column means depends on the others."""
    by_field = {c.field: c for c in columns if c.status == "mapped" and c.field in _NAME_FIELDS}
    changes: dict[str, ColumnDraft] = {}

    def words(c: ColumnDraft) -> float:
        return profiles[c.header].multi_word

    def enough(c: ColumnDraft) -> bool:
        return profiles[c.header].tested >= 3

    first, last, full = (by_field.get(f) for f in _NAME_FIELDS)
    if full is None:
        alone = first if last is None else last if first is None else None
        if alone is not None and enough(alone) and words(alone) >= 0.5:
            share = round(words(alone) * 100)
            changes[alone.header] = replace(
                alone,
                field="full_name",
                evidence=f"{alone.evidence}; but {share}% of values are two words or more, "
                "and no other name column: a full name",
            )
    elif first is not None and last is not None:
        changes[full.header] = replace(
            full,
            status="unmapped",
            field=None,
            note="a full name, not needed: first_name and last_name are mapped",
        )
    elif enough(full) and words(full) < 0.3 and (first is None) != (last is None):
        other = "last_name" if first is not None else "first_name"
        changes[full.header] = replace(
            full,
            field=other,
            evidence=f"{full.evidence}; but its values are single words, beside a "
            f"{'first' if first is not None else 'last'} name column: the {other.replace('_', ' ')}",
        )
    return [changes.get(c.header, c) for c in columns]


# --- known profiles --------------------------------------------------------------------------


def builtin_profiles_dir() -> Path | None:
    """The built-in profiles: `mappings/` beside the package (a checkout) or inside it."""
    here = Path(__file__).resolve().parent
    for candidate in (here / "mappings", here.parent / "mappings"):
        if candidate.is_dir():
            return candidate
    return None


def load_profiles(directory: Path | None) -> list[KnownProfile]:
    """Every mapping file in `directory` that loads (others are skipped: `mapping check` reports them)."""
    if directory is None:
        return []
    if not directory.is_dir():
        raise InputError(f"{directory}: profiles folder not found")
    out = []
    for path in sorted([*directory.glob("*.yaml"), *directory.glob("*.yml")]):
        try:
            loaded = load_mapping(path)
        except LeadkitError:
            continue
        entries = [
            (src,) if isinstance(src, str) else tuple(src) for src in loaded.spec.source_headers()
        ]
        out.append(KnownProfile(loaded.name, path, loaded.spec, entries))
    return out


def match_profiles(
    headers: Sequence[str], profiles: Sequence[KnownProfile], filename: str = ""
) -> list[ProfileMatch]:
    """Every profile compared with the file's headers, best first: complete ones, then the
    ones reading the most headers (the most specific), then the closest fit to the file."""
    have = {header_key(h) for h in headers}
    out = []
    for p in profiles:
        present = [bool(alts & have) for alts in p.keys]
        read = set().union(*p.keys) & have if p.keys else set()
        globs = [p.spec.match] if isinstance(p.spec.match, str) else list(p.spec.match or [])
        out.append(
            ProfileMatch(
                name=p.name,
                path=display_path(p.path),
                matched=sum(present),
                total=len(present),
                missing=[" / ".join(e) for e, ok in zip(p.entries, present, strict=True) if not ok],
                shared=round(len(read) / len(have), 4) if have else 0.0,
                filename_matches=bool(filename)
                and any(fnmatch.fnmatch(filename.lower(), g.lower()) for g in globs),
            )
        )
    return sorted(
        out,
        key=lambda m: (
            not m.complete,
            -(m.matched / m.total if m.total else 0),
            -m.total,
            -m.shared,
            not m.filename_matches,
            m.name,
        ),
    )


# --- reading -------------------------------------------------------------------------------


def read_input(
    path: str | Path, *, hints: InputHints | None = None, profiles: Sequence[KnownProfile] = ()
) -> Table:
    """Read a file whose mapping is not known yet: the header is the row holding the most
    known header names (the vocabulary and every profile's headers), else the reader's guess."""
    expected: list[str | Sequence[str]] = [*header_vocabulary()]
    for p in profiles:
        expected.extend(p.entries)
    try:
        return read_table(path, expected_headers=expected, hints=hints)
    except InputError:
        # No row holds a known header: the reader's own guess (`col1, col2, ...` files).
        return read_table(path, hints=hints)


def inspect_file(
    path: str | Path,
    *,
    hints: InputHints | None = None,
    profiles_dir: Path | None = None,
    sample_rows: int = SAMPLE_ROWS,
) -> Inspection:
    """What `leadkit inspect` shows: the reader's detection, a profile of each column, and the
    known profile the file's headers match, if any."""
    profiles = load_profiles(profiles_dir if profiles_dir is not None else builtin_profiles_dir())
    table = read_input(path, hints=hints, profiles=profiles)
    inspection = inspect_table(table, sample_rows=sample_rows)
    matches = match_profiles(inspection.headers, profiles, Path(path).name)
    if matches and matches[0].complete:
        inspection = replace(inspection, profile=matches[0].as_dict())
    return inspection


def draft_mapping(
    path: str | Path,
    *,
    target: str | None = None,
    hints: InputHints | None = None,
    profiles_dir: Path | None = None,
    sample_rows: int = SAMPLE_ROWS,
) -> Draft:
    """A draft mapping for `path`: a known profile's mapping when the file's headers match one,
    else a mapping drafted from its headers and values.

    `target` defaults to generic (for a recognized profile: the profile's own target).
    Raises InputError for an unreadable file, MappingError for an unknown target.
    """
    target_obj = load_target(target or "generic")
    profiles = load_profiles(profiles_dir if profiles_dir is not None else builtin_profiles_dir())
    name = Path(path).name
    table = read_input(path, hints=hints, profiles=profiles)
    inspection = inspect_table(table, sample_rows=sample_rows)
    matches = match_profiles(inspection.headers, profiles, name)
    if not (matches and matches[0].complete):
        # A profile may need its own input hints (a sheet, a header row) to be seen.
        for p in profiles:
            hinted = _profile_hints(p)
            if hints is not None or hinted is None:
                continue
            try:
                retry = read_table(path, expected_headers=p.entries, hints=hinted)
            except InputError:
                continue
            again = match_profiles(list(_headers(retry)), [p], name)
            if again[0].complete:
                table, matches = retry, again
                inspection = inspect_table(table, sample_rows=sample_rows)
                break
    if matches and matches[0].complete:
        best = matches[0]
        known = next(p for p in profiles if display_path(p.path) == best.path)
        spec_target = target if target is not None else known.spec.target
        draft = draft_from_inspection(inspection, target=spec_target)
        return replace(
            draft, profile=known, profile_match=best, hints=hints, target_given=target is not None
        )
    draft = draft_from_inspection(
        inspection, target=target or "generic", required=target_obj.required
    )
    near = [
        m
        for m in matches
        if m.total >= MIN_PROFILE_HEADERS and len(m.missing) <= 2 and m.matched / m.total >= 0.6
    ][:2]
    return replace(draft, near_profiles=near, hints=hints, target_given=target is not None)


def display_path(path: Path) -> str:
    """`path` relative to the working directory when it is below it, as people type it."""
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)


def _headers(table: Table) -> Iterable[str]:
    return (c for c in table.frame.columns if not c.startswith("_"))


def _profile_hints(p: KnownProfile) -> InputHints | None:
    i = p.spec.input
    if i.sheet is None and i.header_row is None and i.delimiter is None and i.encoding is None:
        return None
    return InputHints(
        sheet=i.sheet, header_row=i.header_row, delimiter=i.delimiter, encoding=i.encoding
    )


def _hints_dict(hints: InputHints | None) -> dict[str, Any]:
    if hints is None:
        return {}
    raw = {
        "sheet": hints.sheet,
        "header_row": hints.header_row,
        "delimiter": hints.delimiter,
        "encoding": hints.encoding,
    }
    return {k: v for k, v in raw.items() if v is not None}


# --- writing YAML with comments ----------------------------------------------------------------

_PLAIN = re.compile(r"^[^\W\d_][\w .()/&'+-]*$")


def yaml_scalar(text: str) -> str:
    """`text` as a YAML scalar: plain when that reads back the same, else double-quoted."""
    if _PLAIN.match(text) and not text.endswith(" "):
        try:
            if yaml.safe_load(text) == text:
                return text
        except yaml.YAMLError:
            pass
    quoted: str = yaml.safe_dump(text, default_style='"', allow_unicode=True, width=1 << 30)
    return quoted.rstrip("\n")


def _value(headers: list[str]) -> str:
    if len(headers) == 1:
        return yaml_scalar(headers[0])
    return "[" + ", ".join(yaml_scalar(h) for h in headers) + "]"


def _comment(text: str) -> str:
    return "# " + " ".join(text.split())


def _read_summary(info: dict[str, Any], rows: int) -> str:
    parts = [str(info.get("format", "")).upper()]
    if info.get("encoding"):
        parts.append(str(info["encoding"]))
    if info.get("delimiter"):
        parts.append(f"delimiter {info['delimiter']!r}")
    if info.get("sheet"):
        parts.append(f"sheet {info['sheet']!r}")
    where = f"header on row {info.get('header_row')}, {rows} data rows"
    footer = f", footer {info['footer']!r}" if info.get("footer") else ""
    return f"Read as {', '.join(p for p in parts if p)}; {where}{footer}."


def _render_draft(d: Draft, saved_as: str) -> str:
    lines = [
        f"# Draft mapping for {Path(d.path).name}, written by `leadkit mapping init`.",
        _comment(_read_summary(d.inspection.info, d.inspection.rows)),
        "# Each line says how sure the draft is and why. Check them, then:",
        f"#   leadkit mapping check {saved_as} --sample {d.path}",
    ]
    for near in d.near_profiles:
        lines.append(
            _comment(
                f"Close to the profile '{near.name}' ({near.path}), which also reads "
                f"{', '.join(repr(m) for m in near.missing)}; the file lacks it."
            )
        )
    lines.append(f"target: {yaml_scalar(d.target)}")
    hints = _hints_dict(d.hints)
    if hints:
        lines.append("input:")
        lines += [
            f"  {k}: {yaml_scalar(str(v)) if isinstance(v, str) else v}" for k, v in hints.items()
        ]
    lines.append("columns:")
    by_header = {c.header: c for c in d.columns}
    entries = []
    for fld, headers in d.mapped.items():
        best = max((by_header[h] for h in headers), key=lambda c: c.confidence)
        entries.append((f"  {fld}: {_value(headers)}", f"{best.confidence:.2f}: {best.evidence}"))
    if not entries:
        lines.append("  {}  # nothing could be mapped: fill in `field: header` lines")
    width = max((len(e[0]) for e in entries), default=0)
    for text, why in entries:
        lines.append(f"{text.ljust(width)}  {_comment(why)}")
    left_out = [c for c in d.columns if c.status in ("ambiguous", "duplicate")]
    for c in left_out:
        what = "ambiguous" if c.status == "ambiguous" else "left out"
        lines.append("  " + _comment(f"{what}: '{c.header}' {c.note}; {c.evidence}"))
    unmapped = [c for c in d.columns if c.status == "unmapped"]
    if d.required_missing:
        lines.append(
            _comment(
                f"The target {d.target} requires {', '.join(d.required_missing)}: "
                "no column was found for it; map one or add it under `constants:`."
            )
        )
    if unmapped:
        lines.append("# Unmapped headers:")
        for c in unmapped:
            why = c.note or "no field found"
            kind = d.inspection.column(c.header).kind
            if not c.note and kind in _KIND_WORDS:
                looks = "person names" if kind == "name" else _KIND_WORDS[kind]
                why += f"; its values look like {looks}"
            lines.append("#   " + " ".join(f"'{c.header}': {why}".split()))
    return "\n".join(lines) + "\n"


_SCHEMA_LINE = re.compile(r"^# yaml-language-server: \$schema=(\S+)[^\n]*\n", re.M)


def _render_profile(d: Draft, written_to: Path | None) -> str:
    assert d.profile is not None
    assert d.profile_match is not None
    m = d.profile_match
    text = d.profile.path.read_text(encoding="utf-8")
    # The editor modeline stays first, its schema path made right from where the copy goes.
    modeline = ""
    found = _SCHEMA_LINE.match(text)
    if found:
        text = text[found.end() :]
        schema = found.group(1)
        if written_to is not None and "://" not in schema:
            target = (d.profile.path.parent / schema).resolve()
            folder = written_to.resolve().parent
            shared = Path(os.path.commonpath([target, folder]))
            schema = (
                str(target) if shared == Path(shared.anchor) else os.path.relpath(target, folder)
            )
        modeline = f"# yaml-language-server: $schema={schema}\n"
    if d.target_given:
        text, n = re.subn(r"(?m)^target:.*$", f"target: {yaml_scalar(d.target)}", text, count=1)
        if n == 0:
            text = f"target: {yaml_scalar(d.target)}\n" + text
    used = {k for alts in d.profile.keys for k in alts}
    extra = [h for h in d.inspection.headers if header_key(h) not in used]
    head = [
        f"# {Path(d.path).name} is a known format: the profile '{m.name}' ({m.path}).",
        _comment(
            f"The file has all {m.total} headers it reads. {_read_summary(d.inspection.info, d.inspection.rows)}"
        ),
        "# This is that profile's mapping: use it as is, or edit this copy:",
        f"#   leadkit normalize {d.path} -m {m.path}",
    ]
    tail = []
    if extra:
        tail = [
            "",
            _comment("In the file, not read by this profile: " + ", ".join(repr(h) for h in extra)),
        ]
    body = (
        "\n".join(head) + "\n" + text.rstrip("\n") + "\n" + "\n".join(tail) + ("\n" if tail else "")
    )
    return modeline + body
