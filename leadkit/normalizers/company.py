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
_LONGEST_SUFFIX = max(len(s) for s in _SUFFIXES)
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
        for n in range(min(_LONGEST_SUFFIX, len(tokens) - 1), 0, -1):
            if tuple(tokens[-n:]) in _SUFFIXES:
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


def standardize_company(col: pl.Series) -> pl.DataFrame:
    """`company`, `company__code`, `company_key`.

    The display form is a Polars expression over the column (`normalize_company`'s rules);
    the key, which needs Python, runs once per distinct cleaned name, on both cores when
    there are many.
    """
    shown = col.cast(pl.String).to_frame("_raw").select(clean_text_expr(pl.col("_raw")).alias("company"))
    uniq = shown["company"].drop_nulls().unique()
    keys = pl.DataFrame(
        {"company": uniq, "company_key": apply_all(company_key, uniq.to_list())},
        schema={"company": pl.String, "company_key": pl.String},
    )
    return shown.join(keys, on="company", how="left", maintain_order="left").select(
        "company",
        pl.when(pl.col("company").is_not_null() & ~pl.col("company").str.contains(r"[\p{L}\p{N}]"))
        .then(pl.lit(COMPANY_INVALID))
        .alias("company__code"),
        "company_key",
    )
