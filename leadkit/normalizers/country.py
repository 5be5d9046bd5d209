"""Countries to ISO 3166-1 alpha-2, states and provinces to their ISO 3166-2 code.

The data is pycountry's: codes, English short, official and common names, and the
names translated into ~160 languages (its gettext catalogues), which is where local
names come from (Deutschland, Österreich, Schweiz, España, 日本, 대한민국...). On top
sit the aliases people actually type (`_COUNTRY_ALIASES`: UK, U.S.A., America, Holland,
England...). Lookups compare a key: casefolded, accents folded, periods dropped, other
punctuation as spaces, ``&`` as "and".

CLDR's territory names (through babel) in the languages of `CLDR_LANGUAGES` add the
everyday and formal forms the catalogues lack (``Hong Kong SAR China``, ``Congo -
Kinshasa``, ``Tchéquie``, ``アメリカ合衆国``). A comma-inverted name is put back in order
(``Netherlands, The``, ``Korea, Republic of``, ``Congo, Dem. Rep.``, ``Man, Isle of``), a
territory written ``X, China`` (``Hong Kong SAR, China``) is X, and the abbreviations of
formal names are expanded (``Czech Rep.``). The key drops every combining mark (Unicode
category Mn), so Arabic is matched with or without its shadda and vowel marks.

Precedence, so that a translation can never steal an English name or a code: codes,
English names and aliases first; then CLDR's names, then pycountry's translations (both
loaded on the first value English misses and kept in leadkit's cache folder), where a
spelling that means two different countries in two languages is dropped. A value that still matches nothing gets one more chance when it has at
least 5 letters: a unique closest name within one edit (two from 14 letters; swapping
two letters counts as one), so ``Untied States`` is US and ``Germnay`` DE, but
``Xambia`` (Zambia? Gambia?) and ``South America`` stay unknown.

``NA`` written in capitals is Namibia, like every other upper-case ISO code; ``na``,
``n/a``, ``N.A.``, ``none``, ``unknown`` are placeholders, not countries.

States: for the countries in `STATE_COUNTRIES` (US, CA, AU, DE, IN, BR, MX) the state
is matched against the subdivision codes and names (with a country prefix or without:
``US-CA``, ``CA``), English names of German Länder, French names of Canadian
provinces, old Indian names and codes, and the postal and newspaper abbreviations
(``Calif.``, ``Mass.``, ``Penn.``, ``Ont.``, ``PQ``, ``Qld``...). The code is returned
without the country prefix, as CRMs' state picklists want it. Elsewhere the value is
only trimmed: a UK county or a Japanese prefecture is kept as written.
"""

from __future__ import annotations

import gettext
import os
import re
import unicodedata
from collections.abc import Callable, Iterable
from functools import cache, lru_cache
from importlib.metadata import version
from typing import Any, Protocol

import polars as pl
import pycountry
from rapidfuzz import process
from rapidfuzz.distance import OSA

from leadkit.cache import cached_json
from leadkit.normalizers._base import Normalized, settle_nulls, settle_rest
from leadkit.normalizers.text import clean_text, clean_text_expr

COUNTRY_UNKNOWN = "country_unknown"
STATE_UNKNOWN = "state_unknown"

# Countries whose states are matched to codes; elsewhere the state is kept as written.
STATE_COUNTRIES = frozenset({"US", "CA", "AU", "DE", "IN", "BR", "MX"})

ISO2_CODES: frozenset[str] = frozenset(c.alpha_2 for c in pycountry.countries)

# Names people write that pycountry does not carry (or carries only in a translation
# that a collision could drop). Keys are written naturally; they are keyed on load.
_COUNTRY_ALIASES: dict[str, str] = {
    # United States
    "US": "US",
    "U.S.": "US",
    "USA": "US",
    "U.S.A.": "US",
    "America": "US",
    "United States": "US",
    "United States of America": "US",
    "the States": "US",
    "EE.UU.": "US",
    "EEUU": "US",
    "Estados Unidos": "US",
    "Etats-Unis": "US",
    "Vereinigte Staaten": "US",
    "Amerika": "US",
    "Stati Uniti": "US",
    # United Kingdom
    "UK": "GB",
    "U.K.": "GB",
    "Great Britain": "GB",
    "Britain": "GB",
    "England": "GB",
    "Scotland": "GB",
    "Wales": "GB",
    "Northern Ireland": "GB",
    "Cymru": "GB",
    "Grossbritannien": "GB",
    "Großbritannien": "GB",
    "Royaume-Uni": "GB",
    "Reino Unido": "GB",
    "Regno Unito": "GB",
    "Inghilterra": "GB",
    "Angleterre": "GB",
    "United Kingdom of Great Britain and Northern Ireland": "GB",
    # Europe
    "Holland": "NL",
    "The Netherlands": "NL",
    "Nederland": "NL",
    "Deutschland": "DE",
    "BRD": "DE",
    "Federal Republic of Germany": "DE",
    "Osterreich": "AT",
    "Oesterreich": "AT",
    "Schweiz": "CH",
    "Suisse": "CH",
    "Svizzera": "CH",
    "Svizra": "CH",
    "Helvetia": "CH",
    "Confoederatio Helvetica": "CH",
    "Czech Republic": "CZ",
    "Czechia": "CZ",
    "Turkey": "TR",
    "Türkiye": "TR",
    "Turkiye": "TR",
    "Russia": "RU",
    "Rossiya": "RU",
    "Россия": "RU",
    "Republic of Ireland": "IE",
    "Eire": "IE",
    "Macedonia": "MK",
    "FYROM": "MK",
    "Moldova": "MD",
    "Vatican": "VA",
    "Vatican City": "VA",
    "Holy See": "VA",
    "Belarus": "BY",
    "Byelorussia": "BY",
    "Republique francaise": "FR",
    "España": "ES",
    "Italia": "IT",
    "Polska": "PL",
    "Sverige": "SE",
    "Norge": "NO",
    "Danmark": "DK",
    "Suomi": "FI",
    "Belgique": "BE",
    "België": "BE",
    "Česko": "CZ",
    "Magyarország": "HU",
    "Ελλάδα": "GR",
    "Éire": "IE",
    # Asia and Oceania
    "South Korea": "KR",
    "Korea": "KR",
    "Republic of Korea": "KR",
    "ROK": "KR",
    "Korea South": "KR",
    "대한민국": "KR",
    "한국": "KR",
    "North Korea": "KP",
    "DPRK": "KP",
    "Korea North": "KP",
    "Nippon": "JP",
    "Nihon": "JP",
    "日本国": "JP",
    "Bharat": "IN",
    "Hindustan": "IN",
    "भारत": "IN",
    "日本": "JP",
    "中国": "CN",
    "PRC": "CN",
    "Mainland China": "CN",
    "People's Republic of China": "CN",
    "中华人民共和国": "CN",
    "Zhongguo": "CN",
    "Taiwan": "TW",
    "Republic of China": "TW",
    "ROC": "TW",
    "Hong Kong SAR": "HK",
    "Macau": "MO",
    "Macau SAR": "MO",
    "Vietnam": "VN",
    "Viet Nam": "VN",
    "Laos": "LA",
    "Burma": "MM",
    "East Timor": "TL",
    "Brunei": "BN",
    "Iran": "IR",
    "Persia": "IR",
    "Syria": "SY",
    "Palestine": "PS",
    "UAE": "AE",
    "U.A.E.": "AE",
    "Emirates": "AE",
    "KSA": "SA",
    "Saudi": "SA",
    "Commonwealth of Australia": "AU",
    "Aotearoa": "NZ",
    "Micronesia": "FM",
    # Africa and the Americas
    "Ivory Coast": "CI",
    "Cote d'Ivoire": "CI",
    "Cape Verde": "CV",
    "Swaziland": "SZ",
    "DRC": "CD",
    "DR Congo": "CD",
    "D.R. Congo": "CD",
    "Democratic Republic of the Congo": "CD",
    "Democratic Republic of Congo": "CD",
    "Congo-Kinshasa": "CD",
    "Zaire": "CD",
    "Republic of the Congo": "CG",
    "Republic of Congo": "CG",
    "Congo-Brazzaville": "CG",
    "Tanzania": "TZ",
    "Bolivia": "BO",
    "Venezuela": "VE",
    "Brasil": "BR",
    "Mexico": "MX",
    "México": "MX",
    "Trinidad": "TT",
    "St Lucia": "LC",
    "St Kitts": "KN",
    "St Kitts and Nevis": "KN",
    "St Vincent": "VC",
    "Falklands": "FK",
    "Falkland Islands": "FK",
    "US Virgin Islands": "VI",
    "British Virgin Islands": "VG",
}
# Placeholders that must not be read as a country (`na` would otherwise be Namibia).
_PLACEHOLDERS = frozenset(
    {
        "na",
        "n a",
        "none",
        "null",
        "nil",
        "unknown",
        "other",
        "not applicable",
        "not available",
        "tbd",
        "xx",
        "zz",
        "test",
    }
)
# Common English names where pycountry's short name is a formal one ("Korea, Republic of").
_COMMON_NAMES: dict[str, str] = {
    "BO": "Bolivia",
    "BN": "Brunei",
    "CD": "DR Congo",
    "FM": "Micronesia",
    "IR": "Iran",
    "KP": "North Korea",
    "KR": "South Korea",
    "LA": "Laos",
    "MD": "Moldova",
    "PS": "Palestine",
    "RU": "Russia",
    "SY": "Syria",
    "TW": "Taiwan",
    "TZ": "Tanzania",
    "VA": "Vatican City",
    "VE": "Venezuela",
    "VG": "British Virgin Islands",
    "VI": "U.S. Virgin Islands",
    "VN": "Vietnam",
}

# State aliases per country, on top of pycountry's codes and names.
_STATE_ALIASES: dict[str, dict[str, str]] = {
    "US": {
        # GPO / AP style abbreviations
        "Ala": "AL",
        "Alas": "AK",
        "Ariz": "AZ",
        "Ark": "AR",
        "Cal": "CA",
        "Calif": "CA",
        "Colo": "CO",
        "Conn": "CT",
        "Del": "DE",
        "Fla": "FL",
        "Flor": "FL",
        "Ga": "GA",
        "Ida": "ID",
        "Ill": "IL",
        "Ind": "IN",
        "Kan": "KS",
        "Kans": "KS",
        "Ken": "KY",
        "Ky": "KY",
        "La": "LA",
        "Md": "MD",
        "Me": "ME",
        "Mass": "MA",
        "Mich": "MI",
        "Minn": "MN",
        "Miss": "MS",
        "Mo": "MO",
        "Mont": "MT",
        "Neb": "NE",
        "Nebr": "NE",
        "Nev": "NV",
        "N.H.": "NH",
        "N.J.": "NJ",
        "N.M.": "NM",
        "N.Mex": "NM",
        "N.Y.": "NY",
        "N.C.": "NC",
        "N.D.": "ND",
        "N.Dak": "ND",
        "Okla": "OK",
        "Ore": "OR",
        "Oreg": "OR",
        "Pa": "PA",
        "Penn": "PA",
        "Penna": "PA",
        "R.I.": "RI",
        "S.C.": "SC",
        "S.D.": "SD",
        "S.Dak": "SD",
        "Tenn": "TN",
        "Tex": "TX",
        "Vt": "VT",
        "Va": "VA",
        "Wash": "WA",
        "W.Va": "WV",
        "W.Virg": "WV",
        "Wis": "WI",
        "Wisc": "WI",
        "Wyo": "WY",
        "Haw": "HI",
        "D.C.": "DC",
        "Washington DC": "DC",
        "Washington D.C.": "DC",
        "Wash DC": "DC",
        "US Virgin Islands": "VI",
        "U.S. Virgin Islands": "VI",
        "Virgin Islands": "VI",
        "Puerto Rico": "PR",
    },
    "CA": {
        "Alta": "AB",
        "B.C.": "BC",
        "Colombie-Britannique": "BC",
        "Man": "MB",
        "N.B.": "NB",
        "Nouveau-Brunswick": "NB",
        "Newfoundland": "NL",
        "Labrador": "NL",
        "Nfld": "NL",
        "NF": "NL",
        "Terre-Neuve-et-Labrador": "NL",
        "Terre-Neuve": "NL",
        "N.S.": "NS",
        "Nouvelle-Écosse": "NS",
        "NWT": "NT",
        "N.W.T.": "NT",
        "Territoires du Nord-Ouest": "NT",
        "Nvt": "NU",
        "Ont": "ON",
        "P.E.I.": "PE",
        "PEI": "PE",
        "Île-du-Prince-Édouard": "PE",
        "Que": "QC",
        "Qué": "QC",
        "Québec": "QC",
        "PQ": "QC",
        "P.Q.": "QC",
        "Sask": "SK",
        "Yukon Territory": "YT",
        "Y.T.": "YT",
        "Yuk": "YT",
    },
    "AU": {
        "N.S.W.": "NSW",
        "Vic": "VIC",
        "Vict": "VIC",
        "Qld": "QLD",
        "Queensland": "QLD",
        "Tas": "TAS",
        "Tassie": "TAS",
        "W.A.": "WA",
        "S.A.": "SA",
        "N.T.": "NT",
        "A.C.T.": "ACT",
        "Canberra": "ACT",
    },
    "DE": {
        "Baden-Wurttemberg": "BW",
        "Bavaria": "BY",
        "Hesse": "HE",
        "Lower Saxony": "NI",
        "North Rhine-Westphalia": "NW",
        "NRW": "NW",
        "Rhineland-Palatinate": "RP",
        "Saxony": "SN",
        "Saxony-Anhalt": "ST",
        "Thuringia": "TH",
        "Mecklenburg-Western Pomerania": "MV",
        "Mecklenburg-West Pomerania": "MV",
        "Mecklenburg-Vorpommern": "MV",
    },
    "IN": {
        "TG": "TS",
        "Orissa": "OD",
        "OR": "OD",
        "Pondicherry": "PY",
        "Uttaranchal": "UK",
        "UT": "UK",
        "CT": "CG",
        "NCT": "DL",
        "NCT of Delhi": "DL",
        "New Delhi": "DL",
        "Delhi NCR": "DL",
        "National Capital Territory of Delhi": "DL",
        "J&K": "JK",
        "Jammu & Kashmir": "JK",
        "Andaman & Nicobar": "AN",
        "Andaman and Nicobar": "AN",
        "Daman and Diu": "DH",
        "Dadra and Nagar Haveli": "DH",
        "DD": "DH",
        "DN": "DH",
        "Tamilnadu": "TN",
        "Pondy": "PY",
    },
    "BR": {"Federal District": "DF", "Brasilia": "DF", "Brasília": "DF"},
    "MX": {
        "CDMX": "CMX",
        "Mexico City": "CMX",
        "Ciudad de Mexico": "CMX",
        "DF": "CMX",
        "Distrito Federal": "CMX",
        "Estado de Mexico": "MEX",
        "State of Mexico": "MEX",
        "Edomex": "MEX",
        "Nuevo Leon": "NLE",
        "NL": "NLE",
        "Jalisco": "JAL",
    },
}

# "united kingdom of great britain and northern ireland" is 52; a few translations are longer.
_LONGEST_NAME = 80
_JOINERS = re.compile(r"[.'\u2019`\u00b4]")
_NON_WORD = re.compile(r"[\W_]+")
_GERMAN = str.maketrans({"ä": "ae", "ö": "oe", "ü": "ue", "ß": "ss"})


def _key(text: str, *, german: bool = False) -> str:
    """Casefolded, accents folded, periods dropped, punctuation as single spaces."""
    t = unicodedata.normalize("NFKC", text).casefold()
    if german:
        t = t.translate(_GERMAN)
    t = t.replace("&", " and ")
    if not t.isascii():
        # Every combining mark (category Mn) goes, not only the Latin accents: an Arabic
        # name is written with or without its shadda and vowel marks (السّعوديّة, السعودية).
        decomposed = unicodedata.normalize("NFKD", t)
        t = unicodedata.normalize(
            "NFC", "".join(ch for ch in decomposed if unicodedata.category(ch) != "Mn")
        )
    t = _JOINERS.sub("", t)
    return _NON_WORD.sub(" ", t).strip()


def _variants(key: str) -> Iterable[str]:
    yield key
    words = key.split(" ")
    if len(words) > 1 and all(len(w) == 1 for w in words):  # "u s a"
        yield "".join(words)
    if words[0] == "the" and len(words) > 1:
        yield " ".join(words[1:])
    if "st" in words:
        yield " ".join("saint" if w == "st" else w for w in words)
    if any(w in _ABBREVIATIONS for w in words):  # "Czech Rep.", "Congo, Dem. Rep."
        yield " ".join(_ABBREVIATIONS.get(w, w) for w in words)


# Abbreviations of the words in formal names (the World Bank's "Korea, Rep.", "Micronesia,
# Fed. Sts.").
_ABBREVIATIONS = {
    "rep": "republic",
    "dem": "democratic",
    "fed": "federated",
    "sts": "states",
    "isl": "islands",
    "is": "islands",
}
# "Hong Kong SAR, China", "Macao SAR, China", "Taiwan, China": the UN and World Bank write
# a territory of China with China after a comma; the part before the comma is the country.
_TERRITORY_OF = frozenset({"china"})


def _lookup_keys(text: str) -> Iterable[str]:
    """The keys to look `text` up by, best first: its own, then for a comma-inverted name
    ("Netherlands, The", "Korea, Republic of", "Congo, Dem. Rep.", "Man, Isle of") the name
    put back in order, with "of" and "of the" between when the tail is a title."""
    yield _key(text)
    head, comma, tail = text.partition(",")
    head, tail = head.strip(), tail.strip()
    if not comma or not head or not tail or "," in tail:
        return
    yield _key(f"{tail} {head}")
    yield _key(f"{tail} of {head}")
    yield _key(f"{tail} of the {head}")
    if _key(tail) in _TERRITORY_OF:
        yield _key(head)


def _spellings(name: str) -> Iterable[str]:
    """A name, its "A, B" inverted as "B A", and "A (B)" as A and B."""
    yield name
    if ", " in name:
        head, _, tail = name.partition(", ")
        yield f"{tail} {head}"
    m = re.match(r"^(.*?)\s*[(（](.*?)[)）]\s*$", name)
    if m:  # 大韓民国 (韓国); but not "Man" out of "Man (Isle of)"
        for part in m.groups():
            if not part.isascii() or len(part) >= 4:
                yield part


def _translations() -> Iterable[gettext.NullTranslations]:
    for lang in sorted(os.listdir(pycountry.LOCALES_DIR)):
        try:
            yield gettext.translation("iso3166-1", pycountry.LOCALES_DIR, languages=[lang])
        except OSError:
            continue


def _english_names() -> list[tuple[str, str]]:
    names: list[tuple[str, str]] = []
    for c in pycountry.countries:
        for attr in ("name", "official_name", "common_name"):
            value = getattr(c, attr, None)
            if value:
                names.append((value, c.alpha_2))
    return names


@cache
def _english_table() -> dict[str, str]:
    """Key -> ISO2 from codes, English names and aliases: cheap, and consulted first."""
    table: dict[str, str] = {}
    for c in pycountry.countries:
        table[c.alpha_2.lower()] = c.alpha_2
        table[c.alpha_3.lower()] = c.alpha_2
    for name, code in _english_names():
        for spelling in _spellings(name):
            for key in (_key(spelling), _key(spelling, german=True)):
                table.setdefault(key, code)
    for alias, code in _COUNTRY_ALIASES.items():
        table[_key(alias)] = code
        table.setdefault(_key(alias, german=True), code)
    for key in _PLACEHOLDERS:
        table.pop(key, None)
    return table


@cache
def _local_table() -> dict[str, str]:
    """Key -> ISO2 from the ~160 translations, loaded only when English misses.

    Parsing every translation catalogue takes a second or more, so the table is built
    once per pycountry version and leadkit code, and kept in leadkit's cache folder.
    """
    inputs = (version("pycountry"),)
    table: dict[str, str] = cached_json("country-local-names", _build_local_table, inputs=inputs)
    return table


def _build_local_table() -> dict[str, str]:
    """Key -> ISO2 from the ~160 translations.

    A key the English table has is never taken, and a key two languages give to two
    different countries is dropped.
    """
    english = _english_table()
    local: dict[str, str] = {}
    clashes: set[str] = set()
    names = _english_names()
    for translation in _translations():
        for name, code in names:
            translated = translation.gettext(name)
            if translated == name:
                continue
            for spelling in _spellings(translated):
                for key in (_key(spelling), _key(spelling, german=True)):
                    if not key or key in english or (len(key) < 3 and key.isascii()):
                        continue
                    if local.setdefault(key, code) != code:
                        clashes.add(key)
    return {k: v for k, v in local.items() if k not in clashes and k not in _PLACEHOLDERS}


# CLDR's country names in the languages leads are most often written in, through babel.
CLDR_LANGUAGES = (
    "en", "de", "fr", "es", "pt", "it", "nl", "ja", "zh", "zh_Hant", "ko", "ar", "ru", "pl",
    "sv", "da", "nb", "fi", "tr", "cs", "hu", "el", "he", "hi", "id", "vi", "th", "uk", "ro",
)  # fmt: skip


@cache
def _cldr_table() -> dict[str, str]:
    """Key -> ISO2 from CLDR's territory names (formal and everyday names in the major
    languages: "Hong Kong SAR China", "Congo - Kinshasa", "Tchéquie", "アメリカ合衆国"),
    consulted after English and before pycountry's translations. Built once per babel
    version and kept in leadkit's cache folder, like the translations' table."""
    name = f"country-cldr-names-{version('babel')}-{_CLDR_TABLE_VERSION}.json"
    table: dict[str, str] = cached_json(name, _build_cldr_table)
    return table


# Bump when _build_cldr_table changes what it produces.
_CLDR_TABLE_VERSION = 1


def _build_cldr_table() -> dict[str, str]:
    """A key the English table has is never taken; a key two languages give to two
    different countries is dropped."""
    from babel import Locale  # only when English misses: loading CLDR data costs time

    english = _english_table()
    cldr: dict[str, str] = {}
    clashes: set[str] = set()
    for lang in CLDR_LANGUAGES:
        for code, name in Locale.parse(lang).territories.items():
            if code not in ISO2_CODES:  # regions (001, 150), EU, UN, XK, ZZ
                continue
            for spelling in _spellings(name):
                for key in (_key(spelling), _key(spelling, german=True)):
                    if not key or key in english or (len(key) < 3 and key.isascii()):
                        continue
                    if cldr.setdefault(key, code) != code:
                        clashes.add(key)
    return {k: v for k, v in cldr.items() if k not in clashes and k not in _PLACEHOLDERS}


@cache
def _fuzzy_choices() -> tuple[list[str], list[str]]:
    table = {**_local_table(), **_cldr_table(), **_english_table()}
    keys = [k for k in table if sum(ch.isalpha() for ch in k) >= 5]
    return keys, [table[k] for k in keys]


def _fuzzy_country(key: str) -> str | None:
    letters = sum(ch.isalpha() for ch in key)
    if letters < 5:
        return None
    max_edits = 2 if letters >= 14 else 1
    keys, codes = _fuzzy_choices()
    if len(key) > _LONGEST_NAME + max_edits:  # no name is that long: skip the scan
        return None
    hits = process.extract(key, keys, scorer=OSA.distance, score_cutoff=max_edits, limit=None)
    if not hits:
        return None
    best = min(h[1] for h in hits)
    found = {codes[h[2]] for h in hits if h[1] == best}
    return found.pop() if len(found) == 1 else None


def normalize_country(raw: str) -> Normalized:
    """ISO 3166-1 alpha-2 from a code, a name in English or a local language, or an alias."""
    text = clean_text(raw)
    if text is None:
        return Normalized(None)
    if text in ISO2_CODES:
        return Normalized(text)
    key = _key(text)
    if not key or key in _PLACEHOLDERS:
        return Normalized(text, COUNTRY_UNKNOWN)
    keys = list(dict.fromkeys(_lookup_keys(text)))
    # translations only when English misses: CLDR's first, then pycountry's catalogues
    for table in (_english_table, _cldr_table, _local_table):
        for candidate in keys:
            for variant in _variants(candidate):
                code = table().get(variant)
                if code is not None:
                    return Normalized(code)
    code = _fuzzy_country(key)
    if code is not None:
        return Normalized(code)
    return Normalized(text, COUNTRY_UNKNOWN)


@lru_cache(maxsize=4096)
def country_code(country: str | None) -> str | None:
    """The ISO2 code of a country in any form `normalize_country` reads; None when unknown.

    Cached: state and postal normalizers call it once per distinct (value, country) pair.
    """
    if country is None:
        return None
    result = normalize_country(country)
    return result.value if result.code is None else None


def country_name(iso2: str) -> str | None:
    """The common English name of an ISO2 code ("United States", "South Korea")."""
    code = iso2.strip().upper()
    if code in _COMMON_NAMES:
        return _COMMON_NAMES[code]
    found = pycountry.countries.get(alpha_2=code) if len(code) == 2 else None
    if found is None:
        return None
    return getattr(found, "common_name", None) or found.name


# --- states -------------------------------------------------------------------------
def _state_table(country: str) -> dict[str, str]:
    """Key -> subdivision code of one of `STATE_COUNTRIES`."""
    return _state_tables()[country]


@cache
def _state_tables() -> dict[str, dict[str, str]]:
    """Every state table. Loading pycountry's subdivisions costs ~0.1 s, more than a
    100k-row file's states take to read, so the tables are kept in leadkit's cache folder,
    per pycountry version and leadkit code (the spellings and aliases are leadkit's)."""
    inputs = (version("pycountry"),)
    tables: dict[str, dict[str, str]] = cached_json(
        "state-names", _build_state_tables, inputs=inputs
    )
    return tables


def _build_state_tables() -> dict[str, dict[str, str]]:
    english = gettext.translation(
        "iso3166-2", pycountry.LOCALES_DIR, languages=["en"], fallback=True
    )
    tables: dict[str, dict[str, str]] = {}
    for country in sorted(STATE_COUNTRIES):
        table = tables[country] = {}
        for sub in _find_subdivisions(country_code=country) or []:
            if getattr(sub, "parent_code", None):
                continue
            code = sub.code.split("-", 1)[1]
            table[_key(code)] = code
            table[_key(sub.code)] = code
            for name in (sub.name, english.gettext(sub.name)):
                for spelling in _spellings(name):
                    table.setdefault(_key(spelling), code)
                    table.setdefault(_key(spelling, german=True), code)
        for alias, code in _STATE_ALIASES.get(country, {}).items():
            table[_key(alias)] = code
            table.setdefault(_key(alias, german=True), code)
        for key, code in list(table.items()):  # "N. Y." and "NY", "New York" and "NewYork"
            table.setdefault(key.replace(" ", ""), code)
    return tables


def normalize_state(raw: str, country: str | None) -> Normalized:
    """The subdivision code (``CA``, ``ON``, ``NSW``, ``BY``) where the country's are known.

    `country` may be an ISO2 code or anything `normalize_country` reads. For countries
    outside `STATE_COUNTRIES`, or no country, the value is only trimmed; for those inside,
    an unmatched value is kept with ``state_unknown``.
    """
    text = clean_text(raw)
    if text is None:
        return Normalized(None)
    iso = country_code(country)
    if iso not in STATE_COUNTRIES:
        return Normalized(text)
    table = _state_table(iso)
    key = _key(text)
    for candidate in (key, key.replace(" ", "")):
        code = table.get(candidate)
        if code is not None:
            return Normalized(code)
    prefix = iso.lower() + " "
    if key.startswith(prefix) and key[len(prefix) :] in table:  # "US - California"
        return Normalized(table[key[len(prefix) :]])
    return Normalized(text, STATE_UNKNOWN)


class _Subdivision(Protocol):
    code: str
    name: str


# pycountry's subdivision lookup has no annotations; it is called through this typed name:
# one subdivision for `code=`, a list of them for `country_code=`, None when nothing matches.
_find_subdivisions: Callable[..., Any] = pycountry.subdivisions.get


def state_name(country: str, code: str) -> str | None:
    """The name of a subdivision (``state_name("US", "CA")`` is "California")."""
    iso = country_code(country)
    if iso is None:
        return None
    found: _Subdivision | None = _find_subdivisions(code=f"{iso}-{code.strip().upper()}")
    return found.name if found is not None else None


# --- columns ------------------------------------------------------------------------
def standardize_country(col: pl.Series) -> pl.DataFrame:
    """`country`, `country__code`, worked out once per distinct value: an upper-case ISO2
    code (after trimming) is kept by Polars, anything else goes to `normalize_country`."""
    raw = col.cast(pl.String).rename("_raw").to_frame()
    cleaned = clean_text_expr(pl.col("_raw"))
    lookup = (
        raw.drop_nulls()
        .unique()
        .lazy()
        .with_columns(pl.when(cleaned.is_in(sorted(ISO2_CODES))).then(cleaned).alias("country"))
        .collect()
    )
    lookup = settle_nulls(lookup, "_raw", normalize_country, "country", "country__code")
    return raw.join(lookup, on="_raw", how="left", maintain_order="left").select(
        "country", "country__code"
    )


def standardize_state(col: pl.Series, country: pl.Series) -> pl.DataFrame:
    """`state`, `state__code`, read against each row's country (ISO2 or any country form).

    Worked out once per distinct (state, country) pair. Where the country is empty or
    outside `STATE_COUNTRIES` the state is only trimmed, by Polars; the other pairs go to
    `normalize_state`.
    """
    frame = pl.DataFrame(
        {"raw": col.cast(pl.String), "ctx": country.cast(pl.String)},
        schema={"raw": pl.String, "ctx": pl.String},
    )
    pairs = frame.drop_nulls("raw").unique()
    ctxs = pairs["ctx"].unique().to_list()
    matched = [c for c in ctxs if c is not None and country_code(c) in STATE_COUNTRIES]
    trim = ~pl.col("ctx").is_in(matched).fill_null(False)
    settled = (
        pairs.lazy()
        .filter(trim)
        .with_columns(
            clean_text_expr(pl.col("raw")).alias("state"),
            pl.lit(None, pl.String).alias("state__code"),
        )
        .collect()
    )
    lookup = settle_rest(settled, pairs.filter(~trim), normalize_state, "state", "state__code")
    joined = frame.join(
        lookup, on=["raw", "ctx"], how="left", nulls_equal=True, maintain_order="left"
    )
    return joined.select("state", "state__code")
