"""Person names: proper-case names typed in capitals or lower case, split full names.

Casing rules (SPEC "Canonical values"): a name typed ALL CAPS or all lower case is
proper-cased; a name in mixed case is kept as the person typed it (``DeShawn``,
``McKenzie``, ``van Dijk``, even ``Mcdonald``), because mixed case is a choice we
cannot second-guess. Only Latin-script names are re-cased: CJK has no case, and for
Cyrillic or Greek we would rather leave the value alone than guess.

Proper-casing is deliberately conservative:

- ``Mc`` + a capital for any ``MC...`` name (``MCDONALD`` -> ``McDonald``);
- ``Mac`` + a capital only for the Scottish/Irish surnames in `_MAC_NAMES`, because
  ``MACK``, ``MACY``, ``MACHADO``, ``MACIAS`` are names of their own;
- a capital after a one-letter prefix and an apostrophe (``O'Brien``, ``D'Angelo``),
  but not after a longer one (``Ma'ayan``);
- a capital after hyphens, periods and slashes (``Jean-Pierre``, ``J.R.``);
- particles lower case when a non-particle word follows (``van der Berg``,
  ``de la Cruz``, ``dos Santos``), capitalised when they stand alone (``Van``).
  Italian ``Di``/``Della``/``Lo`` stay capitalised, as Italians write them.

`split_full_name` puts a single word in ``first_name``: in a lead form's one "Name"
box a lone word is a given name far more often than a surname ("Sarah"), and a
greeting built from it should read "Hi Sarah". After an honorific (``Mr Smith``) or in
CJK script (family name first, no space), a lone word is a family name instead.
"""

from __future__ import annotations

import re
import unicodedata

import polars as pl

from leadkit.normalizers._base import Normalized, settle_nulls
from leadkit.normalizers.text import _CONTROL_RE, _SPACE_RE, clean_text

NAME_INVALID = "name_invalid"

# Surnames written Mac + capital. Only these: plenty of names merely start with "mac".
_MAC_NAMES = frozenset(
    (
        "macadam",
        "macalister",
        "macallister",
        "macarthur",
        "macaskill",
        "macaulay",
        "macauley",
        "macbain",
        "macbean",
        "macbeth",
        "maccallum",
        "maccarthy",
        "maccormack",
        "maccormick",
        "macdermott",
        "macdiarmid",
        "macdonald",
        "macdonell",
        "macdougall",
        "macdowell",
        "macduff",
        "macewan",
        "macewen",
        "macfadyen",
        "macfarlane",
        "macgillivray",
        "macgowan",
        "macgregor",
        "macinnes",
        "macintosh",
        "macintyre",
        "macisaac",
        "maciver",
        "mackay",
        "mackenzie",
        "mackinlay",
        "mackinnon",
        "mackintosh",
        "maclachlan",
        "maclaren",
        "maclean",
        "maclehose",
        "macleish",
        "maclellan",
        "maclennan",
        "macleod",
        "macmahon",
        "macmanus",
        "macmillan",
        "macnab",
        "macnamara",
        "macnaughton",
        "macneil",
        "macneill",
        "macpherson",
        "macquarrie",
        "macqueen",
        "macrae",
        "macritchie",
        "macsween",
        "mactaggart",
        "mactavish",
        "macvicar",
    )
)

# Lower case when a non-particle word follows (van Gogh, da Silva, von Trapp).
_PARTICLES = frozenset(
    (
        "van",
        "von",
        "vom",
        "de",
        "del",
        "den",
        "der",
        "du",
        "da",
        "das",
        "dos",
        "ter",
        "ten",
        "zu",
        "zum",
        "zur",
    )
)
# Lower case after a lower-cased particle only (de la Cruz, van den Berg, de los Santos);
# alone they are names or capitalised particles (Le, La).
_FOLLOWERS = frozenset(("der", "den", "de", "la", "las", "le", "les", "los", "het"))

# Where a last name starts inside a full name (Marine Le Pen, Anna La Rosa).
_LAST_NAME_STARTS = _PARTICLES | frozenset(("la", "las", "le", "les", "los"))
# Dropped from the front of a full name. Keys are casefolded without the final period.
_HONORIFICS = frozenset(
    (
        "mr",
        "mrs",
        "ms",
        "miss",
        "mx",
        "mister",
        "dr",
        "prof",
        "professor",
        "herr",
        "frau",
        "hr",
        "mme",
        "mlle",
        "mmes",
        "sir",
        "dame",
        "rev",
        "revd",
        "sr",
        "sra",
        "srta",
        "dott",
        "dottssa",
        "ing",
        "dr-ing",
        "dipl-ing",
        "mag",
    )
)
# After a doctor's title, the faculty of the degree (Dr. med., Dr. rer. nat., Dr. h.c.):
# dropped with it. Keys as for `_HONORIFICS`.
_DEGREE_FACULTIES = frozenset(
    (
        "med",
        "dent",
        "vet",
        "rer",
        "nat",
        "rernat",
        "pol",
        "rerpol",
        "phil",
        "jur",
        "iur",
        "oec",
        "soc",
        "theol",
        "sc",
        "techn",
        "habil",
        "hc",
        "mult",
        "ing",
    )
)
# Honorifics that are no name on their own: a first-name cell holding only one is empty.
# ("Herr", "Sir", "Dame" are surnames too; any honorific written with its period counts.)
_SALUTATIONS_ALONE = frozenset(("mr", "mrs", "ms", "mx", "dr", "prof", "mme", "mlle", "messrs"))
# Dropped from the end of a full name (casefolded, periods removed).
_SUFFIXES = frozenset(
    (
        "jr",
        "jnr",
        "sr",
        "snr",
        "ii",
        "iii",
        "iv",
        "phd",
        "md",
        "mba",
        "esq",
        "cpa",
        "dds",
        "dmd",
        "jd",
        "llm",
        "mph",
        "rn",
        "cfa",
        "pmp",
        "msc",
        "bsc",
    )
)

_APOSTROPHES = "'\u2019\u02bc"
_WORD_BREAKS = frozenset("-\u2010\u2011\u2013./")
_ONE_LETTER_APOSTROPHE = re.compile(rf"^([^\W\d_])([{_APOSTROPHES}])(.+)$")
_PARENTHESIZED = re.compile(r"\([^()]*\)|\"[^\"]*\"|\u201c[^\u201d]*\u201d")
# Scripts that put the family name first and do not use case.
_CJK_RANGES = (
    (0x1100, 0x11FF),
    (0x3040, 0x30FF),
    (0x3130, 0x318F),
    (0x3400, 0x4DBF),
    (0x4E00, 0x9FFF),
    (0xAC00, 0xD7AF),
    (0xF900, 0xFAFF),
    (0x20000, 0x2FA1F),
)


# --- casing -------------------------------------------------------------------------
def _up(c: str) -> str:
    """Upper case of one character when that is one character and maps back."""
    u = c.upper()
    return u if len(u) == 1 and u.lower() == c else c


def _lo(c: str) -> str:
    low = c.lower()
    return low if len(low) == 1 and low.upper() == c else c


def _is_latin(text: str) -> bool:
    if text.isascii():
        return True
    return all(unicodedata.name(c, "").startswith("LATIN") for c in text if c.isalpha())


def _case_shape(text: str) -> str:
    """'upper', 'lower', 'mixed' or 'none' (no cased letters)."""
    has_upper = any(c.isupper() for c in text)
    has_lower = any(c.islower() for c in text)
    if has_upper and has_lower:
        return "mixed"
    if has_upper:
        return "upper"
    return "lower" if has_lower else "none"


def _title_piece(piece: str) -> str:
    """Capital first letter, lower case after it, a new capital after hyphens and periods."""
    out: list[str] = []
    start = True
    for c in piece:
        if c in _WORD_BREAKS or c.isspace():
            out.append(c)
            start = True
        elif c.isalpha():
            out.append(_up(c) if start else _lo(c))
            start = False
        else:  # digits, apostrophes, combining marks continue the word
            out.append(c)
    return "".join(out)


def _case_word(word: str) -> str:
    """Proper-case one space-free word (which may hold hyphens, apostrophes, periods)."""
    parts = re.split(r"([-\u2010\u2011\u2013/])", word)
    return "".join(_case_part(p) if i % 2 == 0 else p for i, p in enumerate(parts))


def _case_part(part: str) -> str:
    low = "".join(_lo(c) for c in part)
    letters = low.rstrip(".")
    if letters.startswith("mc") and len(letters) >= 4 and letters[2:].isalpha():
        return "Mc" + _title_piece(low[2:])
    if letters in _MAC_NAMES:
        return "Mac" + _title_piece(low[3:])
    m = _ONE_LETTER_APOSTROPHE.match(low)
    if m:
        return _up(m.group(1)) + m.group(2) + _case_part(m.group(3))
    return _title_piece(low)


def _proper_case(text: str) -> str:
    words = text.split(" ")
    folded = [w.casefold() for w in words]
    # later_name[i]: a word after position i is a name rather than a particle.
    later_name = [False] * len(words)
    for i in range(len(words) - 2, -1, -1):
        after = folded[i + 1]
        later_name[i] = later_name[i + 1] or (after not in _PARTICLES and after not in _FOLLOWERS)
    out: list[str] = []
    prev_particle = False
    for i, word in enumerate(words):
        is_particle = later_name[i] and (
            folded[i] in _PARTICLES or (prev_particle and folded[i] in _FOLLOWERS)
        )
        out.append("".join(_lo(c) for c in word) if is_particle else _case_word(word))
        prev_particle = is_particle
    return " ".join(out)


def normalize_name(raw: str) -> Normalized:
    """One first or last name: cleaned, salutations dropped as `split_full_name` drops
    them (``Dr. med. Hans`` is Hans), and proper-cased when typed in one case. A
    salutation alone (``Dr.``, ``Mr``) is no name: None; a word that is also a surname
    (``Herr``) stays."""
    text = clean_text(raw)
    if text is None:
        return Normalized(None)
    tokens = text.split(" ")
    if _is_honorific(tokens[0]):
        if len(tokens) == 1:
            key = _token_key(text)
            if key in _SALUTATIONS_ALONE or (text.endswith(".") and key in _HONORIFICS):
                return Normalized(None)
        else:
            text = " ".join(_drop_honorifics(tokens)[0])
    text = unicodedata.normalize("NFC", text)
    if not any(c.isalpha() for c in text):
        return Normalized(text, NAME_INVALID)
    if _case_shape(text) in ("upper", "lower") and _is_latin(text):
        text = unicodedata.normalize("NFC", _proper_case(text))
    return Normalized(text)


# --- splitting ----------------------------------------------------------------------
def _token_key(token: str) -> str:
    return token.replace(".", "").replace(",", "").casefold()


def _is_cjk(token: str) -> bool:
    return all(
        any(lo <= ord(c) <= hi for lo, hi in _CJK_RANGES) for c in token if c.isalpha()
    ) and any(c.isalpha() for c in token)


def _is_honorific(token: str) -> bool:
    # "M." is Monsieur; a bare "M" is more likely an initial.
    key = _token_key(token)
    return key in _HONORIFICS or (key == "m" and token.endswith("."))


def _drop_honorifics(tokens: list[str]) -> tuple[list[str], bool]:
    """`tokens` without the honorifics in front (and a German degree's faculty after one:
    ``Dr. med.``, ``Dr. rer. nat.``, ``Dr. h.c.``); the last token always stays."""
    start = 0
    while start < len(tokens) - 1:
        head = tokens[start]
        if not (_is_honorific(head) or (start > 0 and _token_key(head) in _DEGREE_FACULTIES)):
            break
        start += 1
    return tokens[start:], start > 0


def _drop_suffixes(tokens: list[str]) -> list[str]:
    end = len(tokens)
    while end > 1 and _token_key(tokens[end - 1]) in _SUFFIXES:
        end -= 1
    return tokens[:end]


def _cased(value: str | None) -> str | None:
    return normalize_name(value).value if value else None


def split_full_name(raw: str) -> tuple[str | None, str | None]:
    """(first, last) from a full name, each cased like `normalize_name`.

    Honorifics are dropped from the front and suffixes (Jr., III, PhD...) from the end;
    ``Last, First`` is understood; particles start the last name (``Ludwig``,
    ``van Beethoven``); nicknames in parentheses or quotes are dropped; names in CJK
    script are family name first. A lone word is a first name, except after an
    honorific or in CJK script (see the module docstring).
    """
    text = clean_text(raw)
    if text is None:
        return None, None
    stripped = clean_text(_PARENTHESIZED.sub(" ", text))
    if stripped is not None:
        text = stripped

    parts = [p.strip() for p in text.split(",") if p.strip()]
    while len(parts) > 1 and all(_token_key(t) in _SUFFIXES for t in parts[-1].split()):
        parts.pop()
    if len(parts) == 2:  # "Last, First"
        given, _ = _drop_honorifics(_drop_suffixes(parts[1].split()))
        family = _drop_suffixes(parts[0].split())
        return _cased(" ".join(given)), _cased(" ".join(family))

    tokens, had_honorific = _drop_honorifics(" ".join(parts).split())
    tokens = _drop_suffixes(tokens)
    if not tokens:
        return None, None
    if len(tokens) == 1:
        if had_honorific or _is_cjk(tokens[0]):
            return None, _cased(tokens[0])
        return _cased(tokens[0]), None
    if all(_is_cjk(t) for t in tokens):
        return _cased(" ".join(tokens[1:])), _cased(tokens[0])
    cut = len(tokens) - 1
    for i in range(1, len(tokens) - 1):
        if tokens[i].casefold() in _LAST_NAME_STARTS:
            cut = i
            break
    return _cased(" ".join(tokens[:cut])), _cased(" ".join(tokens[cut:]))


# --- columns ------------------------------------------------------------------------
def _fast_names(raw: pl.Expr) -> pl.Expr:
    """What `normalize_name` gives for a value in printable ASCII, where cleaning is only
    squeezing and trimming spaces: a mixed-case name as it is, a one-word name in one
    case (not Mc/Mac, whose capitals need `_MAC_NAMES`) with a capital first; null for
    the values `normalize_name` must see."""
    cleaned = raw.str.replace_all("  +", " ").str.strip_chars(" ")
    mixed = cleaned.str.contains("[a-z]") & cleaned.str.contains("[A-Z]")
    one_word = cleaned.str.contains("^(?:[A-Z]+|[a-z]+)$") & ~cleaned.str.contains("^(?i)ma?c")
    capitalized = cleaned.str.head(1).str.to_uppercase() + cleaned.str.slice(1).str.to_lowercase()
    # a salutation in front (Dr., Mr, M.): `normalize_name` drops it
    head = cleaned.str.extract(r"^([^ ]+)")
    key = head.str.replace_all(r"[.,]", "").str.to_lowercase()
    honorific = key.is_in(sorted(_HONORIFICS)) | ((key == "m") & head.str.ends_with("."))
    return (
        pl.when(~raw.str.contains(r"^[ -~]*$") | honorific)
        .then(pl.lit(None, pl.String))
        .when(mixed)
        .then(cleaned)
        .when(one_word)
        .then(capitalized)
    )


def _standardize_name_col(col: pl.Series) -> pl.DataFrame:
    """`value`, `code` for one name column, once per distinct value: `_fast_names`, then
    `normalize_name` for the rest."""
    raw = col.cast(pl.String).rename("_raw").to_frame()
    fast = _fast_names(pl.col("_raw")).alias("value")
    lookup = raw.drop_nulls().unique().lazy().with_columns(fast).collect()
    lookup = settle_nulls(lookup, "_raw", normalize_name)
    return raw.join(lookup, on="_raw", how="left", maintain_order="left").select("value", "code")


def _blank(col: pl.Expr) -> pl.Expr:
    """`clean_text_expr(col).is_null()`: nothing but whitespace and control characters."""
    return col.is_null() | col.str.contains(rf"^(?:{_CONTROL_RE}|{_SPACE_RE})*$")


def standardize_names(
    first: pl.Series | None,
    last: pl.Series | None,
    full: pl.Series | None,
) -> pl.DataFrame:
    """`first_name`, `first_name__code`, `last_name`, `last_name__code`.

    `full` is split only on rows where `first` and `last` are both empty. With no input
    column at all the result has no rows.
    """
    schema = {
        "first_name": pl.String,
        "first_name__code": pl.String,
        "last_name": pl.String,
        "last_name__code": pl.String,
    }
    given = [s for s in (first, last, full) if s is not None]
    if not given:
        return pl.DataFrame(schema=schema)
    height = len(given[0])

    def as_str(s: pl.Series | None) -> pl.Series:
        if s is None:
            return pl.repeat(None, height, dtype=pl.String, eager=True)
        return s.cast(pl.String)

    frame = pl.DataFrame({"first": as_str(first), "last": as_str(last), "full": as_str(full)})
    if full is not None:
        use_full = _blank(pl.col("first")) & _blank(pl.col("last")) & pl.col("full").is_not_null()
        wanted = frame.select(pl.when(use_full).then(pl.col("full")).alias("_key"))
        uniq = wanted["_key"].drop_nulls().unique().to_list()
        pairs = [split_full_name(v) for v in uniq]
        lookup = pl.DataFrame(
            {
                "_key": uniq,
                "_first": [p[0] for p in pairs],
                "_last": [p[1] for p in pairs],
            },
            schema={"_key": pl.String, "_first": pl.String, "_last": pl.String},
        )
        split = wanted.join(lookup, on="_key", how="left", maintain_order="left")
        frame = frame.with_columns(
            pl.when(use_full).then(split["_first"]).otherwise(pl.col("first")).alias("first"),
            pl.when(use_full).then(split["_last"]).otherwise(pl.col("last")).alias("last"),
        )
    f = _standardize_name_col(frame["first"])
    la = _standardize_name_col(frame["last"])
    return pl.DataFrame(
        {
            "first_name": f["value"],
            "first_name__code": f["code"],
            "last_name": la["value"],
            "last_name__code": la["code"],
        },
        schema=schema,
    )
