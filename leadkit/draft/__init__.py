"""`mapping init`: a draft mapping from a file's headers and values, with evidence per column.

Three kinds of evidence, combined per column:

1. **The header.** `HEADER_SYNONYMS` (`leadkit/data/header_synonyms.yaml`) names each
   canonical field in English, German, French, Spanish, Italian, Portuguese and Dutch. A header is folded (accents, case,
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

The package, one idea a module: `vocabulary` (the header words, from `leadkit/data/`),
`headers` (one header against them), `evidence` (one column, header and values), `assign`
(the columns together), `model` (the `Draft`), `render` (its YAML), `profiles` (known
partner formats) and `build` (the entry points, re-exported here).
"""

from leadkit.draft.assign import MAP_MIN, TIE, ColumnDraft
from leadkit.draft.build import draft_mapping, inspect_file, read_input
from leadkit.draft.evidence import FIELD_KIND, VALUE_FIELDS, Candidate
from leadkit.draft.headers import HEADER_MIN, MARGIN, HeaderMatch, guess_field, match_header
from leadkit.draft.model import Draft, draft_from_inspection
from leadkit.draft.profiles import (
    MIN_PROFILE_HEADERS,
    KnownProfile,
    ProfileMatch,
    builtin_profiles_dir,
    display_path,
    load_profiles,
    match_profiles,
)
from leadkit.draft.render import yaml_scalar
from leadkit.draft.vocabulary import (
    HEADER_SYNONYMS,
    LANGUAGES,
    OPT_OUT,
    OTHER,
    header_synonyms,
    header_vocabulary,
)

__all__ = [
    "FIELD_KIND",
    "HEADER_MIN",
    "HEADER_SYNONYMS",
    "LANGUAGES",
    "MAP_MIN",
    "MARGIN",
    "MIN_PROFILE_HEADERS",
    "OPT_OUT",
    "OTHER",
    "TIE",
    "VALUE_FIELDS",
    "Candidate",
    "ColumnDraft",
    "Draft",
    "HeaderMatch",
    "KnownProfile",
    "ProfileMatch",
    "builtin_profiles_dir",
    "display_path",
    "draft_from_inspection",
    "draft_mapping",
    "guess_field",
    "header_synonyms",
    "header_vocabulary",
    "inspect_file",
    "load_profiles",
    "match_header",
    "match_profiles",
    "read_input",
    "yaml_scalar",
]
