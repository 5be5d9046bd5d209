"""Company names: a display form (cleaned, legal suffix kept) and a matching key.

The display form changes as little as possible: whitespace is cleaned, and case and
legal suffix are kept (``IBM``, ``SAP SE`` and ``ACME GmbH`` are how companies write
themselves). Matching compares `company_key`, which folds away what varies between
two spellings of one company: case, accents, punctuation, ``&``/``and``, a leading
"The" and legal-form suffixes in many languages (``Inc``, ``GmbH & Co. KG``,
``Pvt. Ltd.``, ``S.A. de C.V.``, ``Sp. z o.o.``, ``株式会社``...).

Hand-written rather than `cleanco`: cleanco 2.3 removes one suffix only
(``Acme Inc Ltd`` -> ``Acme Inc``), reduces ``Co`` or ``Inc`` to an empty string,
mangles ``Foo (Pty) Ltd`` and ``Hotel Co-op``, and costs ~65 µs a name against ~10 µs
here. The legal forms below are drawn from its term list and from the ISO 20275 (ELF)
abbreviations most common in lead files.
"""

from __future__ import annotations

import re
import unicodedata

import polars as pl

from leadkit.normalizers._base import Normalized, apply_all
from leadkit.normalizers.text import clean_text, clean_text_expr

COMPANY_INVALID = "company_invalid"

# Legal forms, written as the key spells them: casefolded, accents folded, periods
# removed, "&" as "and". Stripped from the end, repeatedly (`Foo Co Ltd`, `Foo GmbH & Co
# KG`), and never down to nothing (a company called "Co" keeps its name).
_SUFFIX_PHRASES: tuple[str, ...] = (
    # English-speaking countries
    "inc",
    "incorporated",
    "corp",
    "corporation",
    "co",
    "company",
    "cos",
    "llc",
    "lc",
    "pllc",
    "ltd",
    "limited",
    "plc",
    "llp",
    "lllp",
    "lp",
    "pty",
    "pty ltd",
    "pte",
    "pte ltd",
    "pvt",
    "pvt ltd",
    "private limited",
    "private ltd",
    "pvt limited",
    "p ltd",
    "opc",
    "cic",
    # German-speaking countries
    "gmbh",
    "mbh",
    "ag",
    "kg",
    "kgaa",
    "ohg",
    "gbr",
    "ug",
    "ev",
    "ek",
    "eg",
    "se",
    "haftungsbeschrankt",
    # French, Belgian, Swiss, Luxembourg
    "sa",
    "sas",
    "sasu",
    "sarl",
    "eurl",
    "sca",
    "snc",
    "scs",
    "sci",
    "sprl",
    "srl",
    "scrl",
    "bvba",
    "cvba",
    "cie",
    "et cie",
    # Italian, Spanish, Portuguese, Latin American
    "spa",
    "srls",
    "sapa",
    "sas",
    "snc",
    "sl",
    "slu",
    "sau",
    "sa de cv",
    "sab de cv",
    "s de rl",
    "s de rl de cv",
    "sapi de cv",
    "ltda",
    "lda",
    "eireli",
    "cia",
    "y cia",
    "sc",
    "sociedad anonima",
    "unipessoal lda",
    # Dutch, Nordic
    "bv",
    "nv",
    "vof",
    "cv",
    "oy",
    "oyj",
    "ab",
    "publ",
    "as",
    "asa",
    "aps",
    "ks",
    "hf",
    "ehf",
    # Central and Eastern Europe
    "sp z oo",
    "spzoo",
    "sp k",
    "sp j",
    "sa",
    "sro",
    "spol sro",
    "spol s r o",
    "s r o",
    "doo",
    "ood",
    "eood",
    "zrt",
    "nyrt",
    "kft",
    "bt",
    "ou",
    "uab",
    "sia",
    # Asia-Pacific
    "kk",
    "yk",
    "gk",
    "株式会社",
    "有限会社",
    "合同会社",
    "sdn bhd",
    "bhd",
    "tbk",
    "co ltd",
    "jsc",
    "ojsc",
    "pjsc",
    "ooo",
    "ооо",
    "оао",
    "зао",
    "пао",
)
_SUFFIXES: frozenset[tuple[str, ...]] = frozenset(tuple(p.split()) for p in _SUFFIX_PHRASES)
# Last word -> the lengths (in words) of the legal forms ending with it, longest first.
_SUFFIX_LENGTHS: dict[str, tuple[int, ...]] = {
    last: tuple(sorted({len(s) for s in _SUFFIXES if s[-1] == last}, reverse=True))
    for last in {s[-1] for s in _SUFFIXES}
}
# Legal forms written in front of the name (株式会社トヨタ, ООО Ромашка).
_PREFIXES = frozenset({"株式会社", "有限会社", "合同会社", "ooo", "ооо", "оао", "зао", "пао"})
_CONNECTORS = frozenset({"and", "et", "und", "y", "e"})
_ARTICLES = frozenset({"the"})

_JAPANESE_FORMS = re.compile(r"(株式会社|有限会社|合同会社|\(株\)|\(有\)|\(同\))")
_JAPANESE_FULL = {"(株)": "株式会社", "(有)": "有限会社", "(同)": "合同会社"}
_SLASHED_INITIALS = re.compile(r"(?<!\w)(\w)/(\w)(?!\w)")  # A/S, S/A, C/O
_JOINERS = re.compile(r"[.'\u2019`\u00b4]")
_NON_WORD = re.compile(r"[\W_]+")
_COMBINING = re.compile(r"[\u0300-\u036f]")


def _has_alnum(text: str) -> bool:
    return any(unicodedata.category(c)[0] in "LN" for c in text)


def normalize_company(raw: str) -> Normalized:
    """The display form: whitespace cleaned, case and legal suffix kept."""
    text = clean_text(raw)
    if text is None:
        return Normalized(None)
    if not _has_alnum(text):
        return Normalized(text, COMPANY_INVALID)
    return Normalized(text)


def _fold(text: str) -> str:
    if not text.isascii():
        return _fold_unicode(text)
    # `_fold_unicode` for ASCII, where NFKC, casefold and the accent steps are lower case
    text = _SLASHED_INITIALS.sub(r"\1\2", text.lower().replace("&", " and "))
    return _NON_WORD.sub(" ", _JOINERS.sub("", text)).strip()


def _fold_unicode(text: str) -> str:
    text = unicodedata.normalize("NFKC", text).casefold()
    text = _JAPANESE_FORMS.sub(
        lambda m: " " + _JAPANESE_FULL.get(m.group(1), m.group(1)) + " ", text
    )
    text = text.replace("&", " and ")
    text = _COMBINING.sub("", unicodedata.normalize("NFKD", text))
    text = unicodedata.normalize("NFC", text)
    text = _SLASHED_INITIALS.sub(r"\1\2", text)
    text = _JOINERS.sub("", text)
    return _NON_WORD.sub(" ", text).strip()


def _strip_forms(tokens: list[str]) -> list[str]:
    changed = True
    while changed and len(tokens) > 1:
        changed = False
        if tokens[0] in _ARTICLES or tokens[0] in _PREFIXES:
            tokens = tokens[1:]
            changed = True
            continue
        if tokens[-1] in _ARTICLES or tokens[-1] in _CONNECTORS:  # "Acme, The", "Smith &"
            tokens = tokens[:-1]
            changed = True
            continue
        # the longest legal form that ends the name and leaves a word before it
        for n in _SUFFIX_LENGTHS.get(tokens[-1], ()):
            if n < len(tokens) and tuple(tokens[-n:]) in _SUFFIXES:
                tokens = tokens[:-n]
                changed = True
                break
    return tokens


def company_key(raw: str) -> str | None:
    """The matching key: `Acme, Inc.`, `ACME INCORPORATED` and `The Acme Corp` are `acme`.

    None when the name holds no letters or digits.
    """
    text = clean_text(raw)
    if text is None:
        return None
    tokens = _strip_forms(_fold(text).split())
    return " ".join(tokens) or None


# --- columns ------------------------------------------------------------------------
# `company_key` as Polars expressions, for names in printable ASCII and the Latin-1
# letters but ß. There `_fold` is: lower case (casefold and NFKC change nothing more),
# accents off (the letters left outside ASCII are æ ð ø þ), initials around a slash
# joined, `&` as " and ", joiners dropped, other characters as single spaces; and
# `_strip_forms` is replayed one step per round. Legal forms, articles and connectors are
# ASCII words here: the others never meet these names.
_LATIN = "\u00c0-\u00d6\u00d8-\u00de\u00e0-\u00f6\u00f8-\u00ff"
_FAST_NAME = f"^[ -~{_LATIN}]*$"
_PRINTABLE = r"^[ -~]*$"
_FRONT_WORDS = sorted(w for w in _ARTICLES | _PREFIXES if w.isascii())
# The leftmost match of " (form|form...)$" is the longest form that leaves a word
# before it: the one `_strip_forms` takes. No legal form ends with an article or a
# connector (a test checks), so with them among the alternatives the leftmost match is
# the last word alone when it is one: `_strip_forms` drops it first. One search finds
# what a step removes at the end.
_ASCII_FORMS = sorted(" ".join(s) for s in _SUFFIXES if all(t.isascii() for t in s))
_END = " (?:" + "|".join(_ASCII_FORMS + sorted(_ARTICLES | _CONNECTORS)) + ")$"
# Printable ASCII but letters, digits and the space, as `_fold` treats them: "&" spelled
# out, joiners dropped, the rest word separators. Spaces are squeezed afterwards; the
# usual punctuation with its spaces comes first, already squeezed, which leaves far fewer
# runs of spaces to squeeze.
_PUNCTUATION = [c for c in map(chr, range(0x21, 0x7F)) if not c.isalnum()]
_FOLDED = {
    " & ": " and ",
    ", ": " ",
    ". ": " ",
    " - ": " ",
    "&": " and ",
    ".": "",
    "'": "",
    "`": "",
}
_FOLD_FROM = [" & ", ", ", ". ", " - ", *_PUNCTUATION]
_FOLD_TO = [_FOLDED.get(c, " ") for c in _FOLD_FROM]


def _fold_expr(name: pl.Expr, *, accents: bool, slashes: bool) -> pl.Expr:
    """`_fold` for `_FAST_NAME` names; `accents=False` when they are all ASCII,
    `slashes=False` when none holds a "/"."""
    name = name.str.to_lowercase()
    if accents:
        name = name.str.normalize("NFKD").str.replace_all("[\u0300-\u036f]", "")
    if slashes:
        # `_SLASHED_INITIALS`: a word boundary next to a word character is the look-around
        name = name.str.replace_all(r"\b(\w)/(\w)\b", "${1}${2}")
    # All punctuation in one pass (one Aho-Corasick automaton: cheaper than regular
    # expressions; leftmost=True: the first pattern listed wins), then runs of spaces as
    # one.
    return (
        name.str.replace_many(_FOLD_FROM, _FOLD_TO, leftmost=True)
        .str.replace_all("  +", " ")
        .str.strip_chars(" ")
    )


def _strip_forms_frame(todo: pl.DataFrame) -> pl.DataFrame:
    """`_strip_forms` over the `_fold_expr` names in column `k`, one step of its loop per
    round, until no name changes: a step drops the front word, or what `_END` finds at
    the end. A front word is ASCII, so the first space's offset is the same whether
    `str.find` counts bytes or characters. Rows come back in no particular order."""
    key = pl.col("k")
    front = pl.any_horizontal(*(key.str.starts_with(w + " ") for w in _FRONT_WORDS))
    end = key.str.contains(_END)
    drop_front = key.str.slice(key.str.find(" ", literal=True) + 1)
    drop_end = key.str.replace(_END, "")
    done = [todo.clear()]
    while todo.height:
        todo = todo.with_columns(front.alias("front"), end.alias("end"))
        changes = pl.col("front") | pl.col("end")
        done.append(todo.filter(~changes).select("i", "k"))
        # front words are rare: each kind of step on its own rows only
        todo = pl.concat(
            [
                todo.filter("front").select("i", drop_front.alias("k")),
                todo.filter(~pl.col("front") & pl.col("end")).select("i", drop_end.alias("k")),
            ]
        )
    return pl.concat(done)


def _company_keys(names: pl.Series, printable: pl.Series) -> pl.Series:
    """`company_key` of each cleaned name (nulls stay null); `printable`: the name is in
    printable ASCII.

    `_FAST_NAME` names go through Polars (`_fold_expr`, `_strip_forms_frame`), the rest
    through `company_key` (on both cores when there are many). Each group keeps its row
    numbers, and one sort puts the keys back in order (scattering strings into a column
    costs more).
    """
    others = (~printable & names.is_not_null()).arg_true()
    latin = names.gather(others).str.contains(_FAST_NAME)
    ascii_rows = printable.arg_true()
    slashed = names.gather(ascii_rows).str.contains("/", literal=True)
    groups = [  # rows, accents, slashes; a "/" (rare) costs a regular expression
        (ascii_rows.filter(~slashed), False, False),
        (ascii_rows.filter(slashed), False, True),
        (others.filter(latin), True, True),
    ]
    folded = pl.concat(
        [
            pl.DataFrame({"i": rows, "n": names.gather(rows)}).select(
                "i", _fold_expr(pl.col("n"), accents=a, slashes=sl).alias("k")
            )
            for rows, a, sl in groups
        ]
    )
    slow = others.filter(~latin)
    found = apply_all(company_key, names.gather(slow).to_list())
    empty = names.is_null().arg_true()
    parts = [
        _strip_forms_frame(folded).with_columns(pl.col("k").replace("", None)),
        pl.DataFrame({"i": slow, "k": pl.Series(found, dtype=pl.String)}),
        pl.DataFrame({"i": empty, "k": pl.repeat(None, empty.len(), dtype=pl.String, eager=True)}),
    ]
    return pl.concat(parts).sort("i")["k"].rename("company_key")


def _clean_names(raw: pl.Series) -> tuple[pl.Series, pl.Series]:
    """`clean_text` of each value, and whether that is in printable ASCII (false when
    null).

    In printable ASCII the only whitespace is the space and there are no control
    characters: there `clean_text` squeezes runs of spaces and trims, and most values
    have no run to squeeze. So one search finds the few values that need more than a
    trim; `clean_text_expr` (slower: Unicode classes) runs on those not in printable
    ASCII."""
    fussy = raw.str.contains(r"[^ -~]|  ").fill_null(False)
    cleaned = raw.str.strip_chars(" ")
    printable = ~fussy
    rows = fussy.arg_true()
    if rows.len():
        frame = (
            raw.gather(rows)
            .to_frame("v")
            .with_columns(pl.col("v").str.contains(_PRINTABLE).alias("p"))
        )
        v = pl.col("v")
        frame = frame.select(
            "p",
            pl.when("p")
            .then(v.str.replace_all("  +", " ").str.strip_chars(" "))
            .otherwise(clean_text_expr(v))
            .alias("v"),
        )
        cleaned.scatter(rows, frame["v"])
        # cleaning can leave printable ASCII behind (from a tab, a non-breaking space)
        printable.scatter(rows, frame["v"].str.contains(_PRINTABLE).fill_null(False))
    names = cleaned.replace("", None)
    return names, printable & names.is_not_null()


def _codes(names: pl.Series, printable: pl.Series) -> pl.Series:
    """`normalize_company`'s code for each cleaned name. An ASCII letter or digit is one
    in every Unicode version; a printable ASCII name without one has none at all, and
    `_has_alnum` decides for the few other names (Polars' Unicode tables are newer than
    Python's)."""
    no_alnum = ~names.str.contains("[A-Za-z0-9]").fill_null(True)
    codes = (
        (printable & no_alnum)
        .to_frame("invalid")
        .select(pl.when("invalid").then(pl.lit(COMPANY_INVALID)).alias("company__code"))
        .to_series()
    )
    other = (no_alnum & ~printable).arg_true()
    found = [None if _has_alnum(n) else COMPANY_INVALID for n in names.gather(other).to_list()]
    return codes.scatter(other, pl.Series(found, dtype=pl.String))


def _standardize_distinct(raw: pl.Series) -> pl.DataFrame:
    names, printable = _clean_names(raw)
    return pl.DataFrame(
        [names.rename("company"), _codes(names, printable), _company_keys(names, printable)]
    )


def _hashes(col: pl.Series) -> pl.Series:
    return col.hash()


def standardize_company(col: pl.Series) -> pl.DataFrame:
    """`company`, `company__code`, `company_key`.

    Everything is worked out once per distinct raw value and joined back: the display
    form by `_clean_names`, the code by `_codes`, the key by `_company_keys`.
    """
    raw = col.cast(pl.String).rename("_raw")
    # Distinct values told apart by a 64-bit hash: cheaper to find and to join on than
    # the strings. Each row is then checked against the value its hash stood for; should
    # two values ever share a hash, the strings themselves are joined instead.
    hashes = _hashes(raw).rename("_hash")
    first = hashes.arg_unique()
    distinct = raw.gather(first)
    lookup = _standardize_distinct(distinct).with_columns(
        hashes.gather(first), distinct.rename("_rep")
    )
    out = hashes.to_frame().join(lookup, on="_hash", how="left", maintain_order="left")
    if out["_rep"].eq_missing(raw).all():
        return out.select("company", "company__code", "company_key")
    distinct = raw.drop_nulls().unique()
    lookup = _standardize_distinct(distinct).with_columns(distinct)
    return (
        raw.to_frame()
        .join(lookup, on="_raw", how="left", maintain_order="left")
        .select("company", "company__code", "company_key")
    )
