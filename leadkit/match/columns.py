"""The names of matching's working columns, each defined once, with what it holds.

A record's features (`features`): its own compared columns, and the columns worked out once
per distinct value, kept in tables. Blocking keys are mixed from parts named like the
columns they hash. A compared pair (`compare` writes it, `rules` reads it) holds the two
records' ids and each field's agreement; where it holds both records' values, `side_a(name)`
is the left record's and `side_b(name)` the right one's.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

# --------------------------------------------------------------------------------------
# A record's own compared columns (`_Records.own`); the first four are block-key parts too
# --------------------------------------------------------------------------------------

EMAIL: Final = "email"  # the email address
PHONE: Final = "phone"  # the phone number, its extension cut off
MOBILE: Final = "mobile_phone"  # the mobile number, its extension cut off
COUNTRY: Final = "country"  # the country code
CITY: Final = "city"  # the city as written
STREET: Final = "street"  # the street line as written
POSTAL: Final = "postal_code"  # the postal code
WEBSITE: Final = "website"  # the website as written
OWN: Final = (EMAIL, PHONE, MOBILE, COUNTRY, CITY, STREET, POSTAL, WEBSITE)
# (custom columns named in `matching.compare` follow, under their own `custom:` names)

# --------------------------------------------------------------------------------------
# Columns worked out once per distinct value (`_per_value`), in tables named by the field
# --------------------------------------------------------------------------------------

VALUE: Final = "v"  # a table's distinct value, while its columns are worked out
REPAIRED: Final = "repaired"  # the value with UTF-8 read as Windows-1252 undone
KEY_PREFIX: Final = "key:"  # before a column's name: its 64-bit hash, a block-key part


@dataclass(frozen=True)
class NameColumns:
    """The columns of a first or a last name: its table's and a compared pair's."""

    table: str
    """The table of distinct names."""
    words: str
    """The name folded (lowercase, no accents), its words one space apart."""
    folded: str
    """The folded name without spaces (and a block-key part)."""
    initial: str
    """Its first letter (a block-key part)."""
    level: str
    """In a pair: how the two names agree (exact, nickname, typo, part, initial, differ)."""
    similarity: str
    """In a pair: how alike the two names are, 0..1."""
    phonetic: str
    """The name's NYSIIS code (jellyfish): Allen and Alan share one (a block-key part)."""


FIRST: Final = NameColumns(
    "first_names",
    "first_name_words",
    "first_name",
    "first_initial",
    "first_name_level",
    "first_name_similarity",
    "first_name_nysiis",
)
LAST: Final = NameColumns(
    "last_names",
    "last_name_words",
    "last_name",
    "last_initial",
    "last_name_level",
    "last_name_similarity",
    "last_name_nysiis",
)

COMPANIES: Final = "companies"  # the table of distinct companies
COMPANY: Final = "company"  # the company key (the company lowercased where it has none)
COMPANY_KEY: Final = "company_key"  # the company key without spaces (a block-key part)
COMPANY_PREFIX: Final = "company_prefix"  # its first four letters (a block-key part)

DOMAINS: Final = "domains"  # the table of distinct email domains
CORPORATE_DOMAIN: Final = "corporate_domain"  # the email domain, unless a free-mail one
DOMAIN_ORGANIZATION: Final = "domain_organization"  # its organization's name: acme in acme.co.uk

CITY_FOLDED: Final = "city_folded"  # the city folded like names, while cities are compared

# --------------------------------------------------------------------------------------
# Block-key parts that are no column: a record with several is keyed once per value
# --------------------------------------------------------------------------------------

ANY_PHONE: Final = "any_phone"  # either phone of a record
NAME_GROUP: Final = "first_name_group"  # the first name, and each nickname group it is in
NAME_ROW: Final = "name_row"  # a first name's row in its table (joining the groups)
EMAIL_LOCAL: Final = "email_local"  # the email's local part (before the @)
EMAIL_DOMAIN: Final = "email_domain"  # the email's whole domain, free-mail ones too
STREET_KEY: Final = "street_key"  # the street folded (lowercase, letters and digits)
CITY_KEY: Final = "city_key"  # the city lowercased

# --------------------------------------------------------------------------------------
# A pair of records (`blocking` makes them, `compare` writes, `rules` reads)
# --------------------------------------------------------------------------------------

LEFT: Final = "left"  # the left record's id (within the file: the earlier row)
RIGHT: Final = "right"  # the right record's id
LEFT_ROW: Final = "left_row"  # the left record's row in its features
RIGHT_ROW: Final = "right_row"  # the right record's row in its features

SAME_EMAIL: Final = "same_email"  # one email address
PHONE_IN_COMMON: Final = "phone_in_common"  # a phone or mobile number both have
OTHER_PHONES: Final = "other_phones"  # both have phones, and none in common
NAMES_SWAPPED: Final = "names_swapped"  # first and last names the other way round on one side
SAME_COMPANY_KEY: Final = "same_company_key"  # one company key
COMPANY_RATIO: Final = "company_ratio"  # how alike the companies are, 0..1 (null: one missing)
COMPANY_SIMILARITY: Final = "company_similarity"  # 1.0 for one company key, else the ratio
SAME_DOMAIN: Final = "same_corporate_domain"  # one corporate email domain
SAME_DOMAIN_ORGANIZATION: Final = "same_domain_organization"  # one organization in the domains
SAME_EMAIL_WORDS: Final = "same_email_words"  # the email local parts hold the same words
SAME_CITY: Final = "same_city"  # one city (all words of one inside the other)
SAME_COUNTRY: Final = "same_country"  # one country
BOTH_DOMAINS: Final = "both_corporate_domains"  # both records have a corporate email domain
BOTH_COMPANIES: Final = "both_companies"  # both records name a company (the ladder decides)
# the records share a company key, its prefix or the organization in the email domain
ORGANIZATION_KEY_SHARED: Final = "organization_key_shared"

# Working columns of a name comparison, one row per distinct pair of names
JARO_WINKLER: Final = "jaro_winkler"  # the Jaro-Winkler similarity of the folded names
EDITS: Final = "edits"  # keystrokes from one folded name to the other (OSA distance)
NAME_PART: Final = "name_part"  # one name's words all inside the other's
NICKNAME: Final = "nickname"  # the two first names share a nickname group

# Per compared pair: the other fields' agreement, as `weights` reads it
SAME_STREET: Final = "same_street"  # street level inputs: token-set similarity 0..1
STREET_SIMILARITY: Final = "street_similarity"
POSTAL_EDITS: Final = "postal_edits"  # keystrokes from one postal code to the other
SAME_WEBSITE: Final = "same_website"  # one website host (no scheme, no www)
CITY_SIMILARITY: Final = "city_similarity"  # token-set similarity of the folded cities
EMAIL_EDITS: Final = "email_edits"  # keystrokes from one email to the other (OSA)

# What scoring gives a pair
LEVEL_PREFIX: Final = "level:"  # before a compared field's name: its agreement level
WEIGHT: Final = "weight"  # the match weight in bits: the sum of the fields' weights
SCORE: Final = "score"  # 0..1, three decimals: the posterior probability of one person
REASON: Final = "reason"  # the explanation people read


def side_a(name: str) -> str:
    """In a pair: the left record's value of `name`."""
    return f"{name}_a"


def side_b(name: str) -> str:
    """In a pair: the right record's value of `name`."""
    return f"{name}_b"


def date_days_column(name: str) -> str:
    """In a pair: the days between two dates of a custom `date` column (null when either
    is no ISO date)."""
    return f"days:{name}"


def custom_column(name: str) -> str:
    """In a pair: how a custom column (`custom:` name) compares: 1/0 (`exact`), a
    similarity (`fuzzy`), or keystrokes between the digits (`date`)."""
    return f"compared:{name}"
