"""Stage 5: repeats within the file, and matches against an existing CRM export.

A pair of records is judged in three steps.

1. **Blocking** (`blocking`, on the `keys` kernel): records are compared only when they
   share a key, never all pairs. The keys: the email; a phone number; the organization name
   in a corporate email domain, or the company key, each with the last name and first
   initial, or with the first name and the last initial; the full name with the company
   key's first letters. First
   names block with their nickname groups (Bob with Robert); a typo is never looked for in
   a first letter, so initials narrow blocks without losing matches. Keys are 64-bit hashes,
   grouped by sorting them (NumPy). A block that would make more than
   `MatchSettings.max_block_pairs` pairs (a switchboard number, a common surname, a big
   company) is split by a longer key (with the country, the full first name), and dropped
   when even the longest key leaves it giant, so the cost stays near linear in the number of
   records.
2. **Comparison** (`compare`, of the `features` of each record): each field's agreement,
   over arrays of pairs (RapidFuzz `process.cpdist` on the distinct value pairs, Polars
   expressions for the rest). Names
   are folded (lowercase, accents and punctuation removed, UTF-8 read as Windows-1252
   repaired) and tolerate nicknames (`leadkit.nicknames`), one-keystroke typos that keep the
   first letter, initials, name parts ("dos Santos"/"Santos") and swapped first/last names.
3. **The rule ladder** (`rules`, its numbers on top; the reason's words in `reasons`): a
   score between 0 and 1 and a reason per pair. The same email, a phone and the name, or
   the name and the organization make a match; what speaks against it caps it at review.

The columns a record and a pair are given are named once, in `columns`. After routing,
`merge_repeats` folds each kept row's repeats into it when the mapping asks (`merge`).

The cost per record stays flat from a thousand records to millions: string work runs once
per distinct value (`features._per_value`: a million records hold a few thousand names), a record's
strings are gathered only when it is in a candidate pair, fields are compared once per
distinct pair of values (told apart by the rows of the two values in the per-value
tables), the same email or phone is found on the 64-bit keys and confirmed on the strings,
and what cannot change a score is skipped (keys no other record has, pairs no rung of the
ladder can accept, reasons the email already gives). Independent steps run on two threads.

`MatchSettings.auto` and `.review` turn scores into outcomes. The same scoring serves
`find_duplicates` (pairs within the file) and `match_existing` (leads x CRM records). Results
never depend on the CRM export's row order: every choice between records is made by score,
then by record id.
"""

from leadkit.match.features import DERIVED_FIELDS, MATCH_FIELDS
from leadkit.match.merge import merge_repeats
from leadkit.match.stage import MatchSettings, find_duplicates, match_existing

__all__ = [
    "DERIVED_FIELDS",
    "MATCH_FIELDS",
    "MatchSettings",
    "find_duplicates",
    "match_existing",
    "merge_repeats",
]
