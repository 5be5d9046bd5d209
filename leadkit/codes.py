"""The catalogue of reason codes: every problem leadkit finds in a row has one.

Codes are stable snake_case identifiers that appear in `_errors` (as `field:code`),
in `report.json` and in `leadkit codes`. Renaming one breaks users' dashboards, so
add codes, never rename them. Each code has a short title and a description a
marketer can read.

Severity says what a code does by default:
- ``reject``: the row goes to the rejects file.
- ``issue``: the value is flagged and counted; the mapping's per-field policy decides
  whether the value is kept, blanked or the row rejected.
- ``flag``: informational (a role address, a free-mail domain); never rejects.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Severity = Literal["reject", "issue", "flag"]


@dataclass(frozen=True, slots=True)
class Code:
    code: str
    title: str
    description: str
    severity: Severity


def _c(code: str, severity: Severity, title: str, description: str) -> Code:
    return Code(code, title, description, severity)


_ALL: tuple[Code, ...] = (
    # --- row-level validation -------------------------------------------------------
    _c(
        "required_missing",
        "reject",
        "Required field missing",
        "A field the target or the mapping requires is empty.",
    ),
    _c(
        "no_contact",
        "reject",
        "No email and no phone",
        "The row has neither a valid email address nor a phone number, so nobody can follow up.",
    ),
    _c(
        "value_unmapped",
        "issue",
        "Value not in the value map",
        "The value is not one of the mapping's value-map entries; the map's `unmapped` policy decides.",
    ),
    _c(
        "too_long",
        "issue",
        "Value too long for the target",
        "The value is longer than the target field allows (for example Salesforce FirstName, 40).",
    ),
    _c(
        "test_lead",
        "reject",
        "Ad platform test lead",
        "A test lead an ad platform sends when a form is tested (Meta's `<test lead: dummy "
        "data for full_name>` values, `test@meta.com`, `test@fb.com`): not a person.",
    ),
    _c(
        "picklist_value",
        "issue",
        "Value not in the target's picklist",
        "The value is not one of the target field's standard picklist values (Salesforce "
        "LeadSource, Industry, Status; HubSpot Lifecycle Stage, Lead Status); add a value map.",
    ),
    _c(
        "extra_cells",
        "flag",
        "More cells than headers",
        "The row has more cells than the header; the extra cells are kept in the rejects view.",
    ),
    # --- email ----------------------------------------------------------------------
    _c(
        "email_invalid",
        "reject",
        "Email address invalid",
        "The email address breaks the syntax rules (two @, no local part, bad characters...).",
    ),
    _c(
        "email_no_tld",
        "reject",
        "Email domain has no TLD",
        "The email's domain has no top-level domain, as in `name@company`.",
    ),
    _c(
        "email_undeliverable",
        "issue",
        "Email domain accepts no mail",
        "The domain has no MX or A record (only checked with --check-deliverability).",
    ),
    _c(
        "email_role",
        "flag",
        "Role address",
        "A shared mailbox such as info@ or sales@ rather than a person.",
    ),
    _c(
        "email_free",
        "flag",
        "Free-mail address",
        "A consumer mailbox (gmail.com, yahoo.com...), not a company address.",
    ),
    _c(
        "email_disposable",
        "flag",
        "Disposable address",
        "A throwaway mailbox domain from the disposable-email-domains list.",
    ),
    _c(
        "email_typo",
        "flag",
        "Likely typo in email domain",
        "The domain looks like a misspelling of a common one (gmial.com); the suggestion is "
        "in `email_suggestion`, never applied.",
    ),
    # --- phone ----------------------------------------------------------------------
    _c(
        "phone_not_a_number",
        "issue",
        "Phone is not a number",
        "The phone cell holds text that is not a phone number (`call me`), or a number a "
        "spreadsheet mangled (`-2237`, `4.15E+09`).",
    ),
    _c(
        "phone_too_short",
        "issue",
        "Phone too short",
        "The number has too few digits for its country.",
    ),
    _c(
        "phone_too_long",
        "issue",
        "Phone too long",
        "The number has too many digits for its country.",
    ),
    _c(
        "phone_invalid",
        "issue",
        "Phone invalid for its region",
        "The digits do not form a valid number in the country they belong to.",
    ),
    _c(
        "phone_no_region",
        "issue",
        "Phone country unknown",
        "A national-format number with no country on the row and no default country in the mapping.",
    ),
    # --- names and company ------------------------------------------------------------
    _c(
        "name_invalid",
        "issue",
        "Name is not a name",
        "The name holds no letters (digits or punctuation only).",
    ),
    _c(
        "company_invalid",
        "issue",
        "Company is not a name",
        "The company holds no letters or digits.",
    ),
    # --- place ----------------------------------------------------------------------
    _c(
        "country_unknown",
        "issue",
        "Unknown country",
        "The country is not a known name, local name, alias or ISO code.",
    ),
    _c(
        "state_unknown",
        "flag",
        "Unknown state or province",
        "The state is not a known subdivision of the row's country; it is kept as given.",
    ),
    _c(
        "postal_code_invalid",
        "issue",
        "Postal code malformed",
        "The postal code does not have the form its country uses.",
    ),
    # --- other values -----------------------------------------------------------------
    _c(
        "date_invalid",
        "issue",
        "Date not understood",
        "The date is in no format leadkit reads (see the mapping's `dates.order`).",
    ),
    _c(
        "date_ambiguous",
        "flag",
        "Date day/month order ambiguous",
        "Both day-first and month-first readings are possible; the mapping's order was used.",
    ),
    _c(
        "opt_in_unknown",
        "issue",
        "Opt-in value not understood",
        "The opt-in cell is neither a yes nor a no in any known wording; written as unknown.",
    ),
    _c(
        "website_invalid",
        "issue",
        "Website not a host name",
        "The website does not contain a host name.",
    ),
    _c(
        "formula_neutralized",
        "flag",
        "Formula-like value neutralized",
        "The value started like a spreadsheet formula and was prefixed with an apostrophe.",
    ),
    # --- the reader: records a parser had merged, split apart again (`row:<code>`) ----------
    _c(
        "runaway_quote",
        "reject",
        "Row split from a runaway quote",
        "A stray quote made the following lines one cell; the reader split them back into "
        "rows. Check the row against the file before importing it.",
    ),
    _c(
        "bare_cr",
        "reject",
        "Row split at a bare CR line end",
        "A line ended with a lone CR in a file using LF made two rows one; the reader split "
        "them. Check the row against the file before importing it.",
    ),
)

CODES: dict[str, Code] = {c.code: c for c in _ALL}


def get(code: str) -> Code:
    """The catalogue entry of `code`; KeyError names the unknown code."""
    return CODES[code]


@dataclass(frozen=True, slots=True)
class Fix:
    """What a kept issue means for a field's values, and what to change: the run summary
    says `77 phone values could not be put in E.164: no country; set default_country`."""

    what: str  # follows "<n> <field> values"
    fix: str  # `{field}` is the field's name


# The kept (not rejected) issues the run summary names, with their fix. Every `issue` code
# has one (a test keeps it so); a `flag` has one only when there is something to change.
FIXES: dict[str, Fix] = {
    "value_unmapped": Fix("are not in the value map", "add them under values.{field}"),
    "too_long": Fix(
        "are longer than the target allows", "shorten them or map a shorter column to {field}"
    ),
    "picklist_value": Fix(
        "are not in the target's picklist",
        "map them under values.{field} (`mapping check --sample` proposes a map)",
    ),
    "email_undeliverable": Fix("have a domain that accepts no mail", "check them before import"),
    "phone_not_a_number": Fix(
        "are not phone numbers", "check the column mapped to {field} (Excel may have mangled it)"
    ),
    "phone_too_short": Fix(
        "are too short to be phone numbers", "check the column mapped to {field}"
    ),
    "phone_too_long": Fix("are too long to be phone numbers", "check the column mapped to {field}"),
    "phone_invalid": Fix(
        "are not valid numbers for their country",
        "check default_country and the column mapped to country",
    ),
    "phone_no_region": Fix(
        "could not be put in E.164: no country", "set default_country or map a country column"
    ),
    "name_invalid": Fix("are not names", "check the column mapped to {field}"),
    "company_invalid": Fix("are not company names", "check the column mapped to {field}"),
    "country_unknown": Fix("are not a known country", "add a value map under values.{field}"),
    "state_unknown": Fix(
        "are not a known state or province", "add a value map under values.{field}"
    ),
    "postal_code_invalid": Fix(
        "do not fit their country's postal-code format", "check the column mapped to {field}"
    ),
    "date_invalid": Fix("could not be read as dates", "check the column mapped to {field}"),
    "date_ambiguous": Fix("could be day-first or month-first", "set dates.order"),
    "opt_in_unknown": Fix("could not be read as yes or no", "add a value map under values.{field}"),
    "website_invalid": Fix("are not host names", "check the column mapped to {field}"),
}
