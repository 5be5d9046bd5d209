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
    "inc", "incorporated", "corp", "corporation", "co", "company", "cos", "llc", "lc", "pllc",
    "ltd", "limited", "plc", "llp", "lllp", "lp", "pty", "pty ltd", "pte", "pte ltd", "pvt",
    "pvt ltd", "private limited", "private ltd", "pvt limited", "p ltd", "opc", "cic",
    # German-speaking countries
    "gmbh", "mbh", "ag", "kg", "kgaa", "ohg", "gbr", "ug", "ev", "ek", "eg", "se",
    "haftungsbeschrankt",
    # French, Belgian, Swiss, Luxembourg
    "sa", "sas", "sasu", "sarl", "eurl", "sca", "snc", "scs", "sci", "sprl", "srl", "scrl",
    "bvba", "cvba", "cie", "et cie",
    # Italian, Spanish, Portuguese, Latin American
    "spa", "srls", "sapa", "sas", "snc", "sl", "slu", "sau", "sa de cv", "sab de cv",
    "s de rl", "s de rl de cv", "sapi de cv", "ltda", "lda", "eireli", "cia", "y cia",
    "sc", "sociedad anonima", "unipessoal lda",
    # Dutch, Nordic
    "bv", "nv", "vof", "cv", "oy", "oyj", "ab", "publ", "as", "asa", "aps", "ks", "hf",
    "ehf",
    # Central and Eastern Europe
    "sp z oo", "spzoo", "sp k", "sp j", "sa", "sro", "spol sro", "spol s r o", "s r o", "doo",
    "ood", "eood", "zrt", "nyrt", "kft", "bt", "ou", "uab", "sia",
    # Asia-Pacific
    "kk", "yk", "gk", "株式会社", "有限会社", "合同会社", "sdn bhd", "bhd", "tbk", "co ltd",
    "jsc", "ojsc", "pjsc", "ooo", "ооо", "оао", "зао", "пао",
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
    text = _JAPANESE_FORMS.sub(lambda m: " " + _JAPANESE_FULL.get(m.group(1), m.group(1)) + " ", text)
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
# letters but ß, without a slash (which may join initials, `A/S`: look-around). There
# `_fold` is: lower case (casefold and NFKC change nothing more), `&` as " and ", accents
# off (the letters left outside ASCII are æ ð ø þ), joiners dropped, other characters
# as single spaces; and `_strip_forms` is replayed one step per round. Legal forms,
# articles and connectors are ASCII words here: the others never meet these names.
_LATIN = "\u00c0-\u00d6\u00d8-\u00de\u00e0-\u00f6\u00f8-\u00ff"
_FAST_NAME = f"^[ -.0-~{_LATIN}]*$"
_FRONT = "^(?:" + "|".join(sorted(w for w in _ARTICLES | _PREFIXES if w.isascii())) + ") "
_BACK = " (?:" + "|".join(sorted(_ARTICLES | _CONNECTORS)) + ")$"
# The leftmost match of " (form|form...)$" is the longest form that leaves a word
# before it: the one `_strip_forms` takes.
_ASCII_FORMS = sorted(" ".join(s) for s in _SUFFIXES if all(t.isascii() for t in s))
_SUFFIX = " (?:" + "|".join(_ASCII_FORMS) + ")$"


def _fold_expr(name: pl.Expr, *, accents: bool) -> pl.Expr:
    """`_fold` for `_FAST_NAME` names; `accents=False` when they are all ASCII."""
    name = name.str.to_lowercase().str.replace_all("&", " and ", literal=True)
    if accents:
        name = name.str.normalize("NFKD").str.replace_all("[\u0300-\u036f]", "")
    # runs of other characters as one space; a lone space already is one (and is left
    # alone: replacing every space costs twice as much)
    other = "a-z0-9\u00e6\u00f0\u00f8\u00fe"
    return (
        name.str.replace_all("[.'`]", "")
        .str.replace_all(f"[^{other}]{{2,}}|[^{other} ]", " ")
        .str.strip_chars(" ")
    )


def _strip_forms_column(folded: pl.Series) -> pl.Series:
    """`_strip_forms` over `_fold_expr` names, one step of its loop per round: a slice of
    each name. What a step removes is ASCII (a word in front, or words at the end), so
    its length in bytes is its length in characters."""
    keys = folded.clone()
    key = pl.col("k")
    length = key.str.len_bytes()
    front = key.str.contains(_FRONT)
    start = pl.when(front).then(key.str.find(" ", literal=True) + 1).otherwise(0)
    cut = (
        pl.when(front)
        .then(0)
        .when(key.str.contains(_BACK))
        .then(length - key.str.find(r" [^ ]+$"))
        .otherwise(length - key.str.find(_SUFFIX).fill_null(length))
    )
    step = key.str.slice(start, key.str.len_chars() - cut - start)
    has_space = key.str.contains(" ", literal=True)
    todo = pl.DataFrame({"i": pl.int_range(keys.len(), eager=True), "k": keys}).filter(has_space)
    while todo.height:
        todo = todo.lazy().with_columns(step.alias("new")).filter(pl.col("new") != key).collect()
        keys.scatter(todo["i"], todo["new"])
        todo = todo.select("i", k="new").filter(has_space)
    return keys


def _company_keys(names: pl.Series) -> pl.Series:
    """`company_key` of each cleaned name (nulls stay null).

    `_FAST_NAME` names go through Polars (`_fold_expr`, `_strip_forms_column`), the rest
    through `company_key` (on both cores when there are many).
    """
    keys = pl.repeat(None, names.len(), dtype=pl.String, eager=True).rename("company_key")
    plain = names.str.contains(r"^[ -.0-~]*$").fill_null(False)
    accented = names.str.contains(_FAST_NAME).fill_null(False) & ~plain
    folded = pl.concat(
        [
            names.filter(mask).to_frame("n").select(_fold_expr(pl.col("n"), accents=accents))
            for mask, accents in ((plain, False), (accented, True))
        ]
    ).to_series()
    where = pl.concat([plain.arg_true(), accented.arg_true()])
    keys.scatter(where, _strip_forms_column(folded).replace("", None))
    slow = ~plain & ~accented & names.is_not_null()
    found = apply_all(company_key, names.filter(slow).to_list())
    keys.scatter(slow.arg_true(), pl.Series(found, dtype=pl.String))
    return keys


def _clean_names(raw: pl.Series) -> pl.Series:
    """`clean_text` of each value. In printable ASCII the only whitespace is the space and
    there are no control characters, so squeezing and trimming spaces is all it does there;
    `clean_text_expr` (slower: Unicode classes) runs on the other values only."""
    cleaned = raw.str.replace_all("  +", " ").str.strip_chars(" ")
    other = ~raw.str.contains(r"^[ -~]*$") & raw.is_not_null()
    if other.any():
        frame = raw.filter(other).to_frame("v").lazy()
        rest = frame.select(clean_text_expr(pl.col("v"))).collect().to_series()
        cleaned.scatter(other.arg_true(), rest)
    return cleaned.replace("", None)


def _codes(names: pl.Series) -> pl.Series:
    """`normalize_company`'s code for each cleaned name: by Polars in printable ASCII, by
    `_has_alnum` elsewhere (Polars' Unicode tables are newer than Python's)."""
    plain = names.str.contains(r"^[ -~]*$").fill_null(False)
    codes = (
        names.to_frame("n")
        .select(
            pl.when(plain & ~pl.col("n").str.contains("[A-Za-z0-9]"))
            .then(pl.lit(COMPANY_INVALID))
            .alias("company__code")
        )
        .to_series()
    )
    other = ~plain & names.is_not_null()
    found = [None if _has_alnum(n) else COMPANY_INVALID for n in names.filter(other).to_list()]
    return codes.scatter(other.arg_true(), pl.Series(found, dtype=pl.String))


def standardize_company(col: pl.Series) -> pl.DataFrame:
    """`company`, `company__code`, `company_key`.

    Everything is worked out once per distinct raw value and joined back: the display
    form by `_clean_names`, the code by `_codes`, the key by `_company_keys`.
    """
    raw = col.cast(pl.String).rename("_raw").to_frame()
    lookup = raw.drop_nulls().unique()
    lookup = lookup.with_columns(_clean_names(lookup["_raw"]).alias("company"))
    lookup = lookup.with_columns(_codes(lookup["company"]), _company_keys(lookup["company"]))
    return raw.join(lookup, on="_raw", how="left", maintain_order="left").select(
        "company", "company__code", "company_key"
    )
