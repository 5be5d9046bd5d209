"""The header vocabulary: what partners call each canonical field, in several languages.

The words are data, not code: `leadkit/data/header_synonyms.yaml` (field -> language ->
synonyms) and `leadkit/data/header_words.yaml` (the languages' names, and the words that
say nothing, count only whole, or make a column a second choice). Both are read once per
process. A language is added by editing those two files.

Headers and synonyms are compared folded (`fold_header`): accents, case, punctuation,
camelCase and snake_case, `#` read as "number".
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from importlib.resources import files
from typing import Any

import yaml

from leadkit.normalizers.text import fold

__all__ = [
    "HEADER_SYNONYMS",
    "LANGUAGES",
    "OPT_OUT",
    "OTHER",
    "Synonym",
    "Vocabulary",
    "fold_header",
    "header_synonyms",
    "header_vocabulary",
    "header_words",
    "languages",
    "vocabulary",
]

# Pseudo-fields: headers that are recognized so that they are *not* mapped.
OTHER = "_other"  # a known column that is no canonical lead field
OPT_OUT = "_opt_out"  # the inverse of opt_in: mapping it as opt_in would flip consent

_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
SYNONYMS_FILE = "header_synonyms.yaml"
WORDS_FILE = "header_words.yaml"


def _load(name: str) -> dict[str, Any]:
    text = files("leadkit").joinpath("data", name).read_text(encoding="utf-8")
    data = yaml.load(text, Loader=_LOADER)  # a safe loader (libyaml's when installed)
    if not isinstance(data, dict):
        raise ValueError(f"leadkit/data/{name}: expected a mapping at the top")
    return data


@cache
def header_synonyms() -> Mapping[str, Mapping[str, tuple[str, ...]]]:
    """Field -> language code -> synonyms, in the order of `header_synonyms.yaml`."""
    known = languages()
    out: dict[str, dict[str, tuple[str, ...]]] = {}
    for fld, langs in _load(SYNONYMS_FILE).items():
        unknown = set(langs) - set(known)
        if unknown:
            raise ValueError(f"leadkit/data/{SYNONYMS_FILE}: {fld}: unknown language {unknown}")
        out[str(fld)] = {
            str(lang): tuple(s.strip() for s in names if s.strip()) for lang, names in langs.items()
        }
    return out


@cache
def languages() -> Mapping[str, str]:
    """Language code -> its name in the draft's comments (`en` -> `English`)."""
    return {str(k): str(v) for k, v in _load(WORDS_FILE)["languages"].items()}


@cache
def _word_lists() -> Mapping[str, frozenset[str]]:
    data = _load(WORDS_FILE)
    return {
        key: frozenset(str(w) for w in data[key]) for key in ("noise", "whole_only", "secondary")
    }


def noise_words() -> frozenset[str]:
    """Words that say nothing about the field: "Your email (required)" is "email"."""
    return _word_lists()["noise"]


def whole_only() -> frozenset[str]:
    """Synonyms matched only whole (`Last Login` is no last name, `Site Visits` no website)."""
    return _word_lists()["whole_only"]


def secondary_words() -> frozenset[str]:
    """Words that make a column the second choice for its field (`Home Zip`)."""
    return _word_lists()["secondary"]


HEADER_SYNONYMS = header_synonyms()
LANGUAGES = languages()

_CAMEL = re.compile(r"(?<=[a-z])(?=[A-Z])")
_NON_WORD = re.compile(r"[\W_]+")


def fold_header(text: str) -> str:
    """A header or synonym as the matcher compares them: `FirstName`, `first_name` and
    `First Name` are `first name`; `Phone #` is `phone number`; `Straße` is `strasse`."""
    text = _CAMEL.sub(" ", text)  # camelCase: FirstName, HasOptedOutOfEmail
    text = text.replace("#", " number ").replace("&", " and ")
    return " ".join(_NON_WORD.sub(" ", fold(text)).split())


def header_words(header: str) -> list[str]:
    """The folded words of a header, noise words dropped unless nothing else is left."""
    words = fold_header(header).split()
    noise = noise_words()
    kept = [w for w in words if w not in noise]
    return kept or words


@dataclass(frozen=True)
class Synonym:
    """One synonym of one field: as written, and folded (its words, and them run together)."""

    field: str
    lang: str
    text: str
    words: tuple[str, ...]
    compact: str


@dataclass(frozen=True)
class Vocabulary:
    """Every synonym, indexed for the matcher: by compact form (the first listed wins), and
    as lists of compact and spaced forms for rapidfuzz (positions are `synonyms` indexes)."""

    synonyms: tuple[Synonym, ...]
    exact: Mapping[str, Synonym]
    compacts: tuple[str, ...]
    spaced: tuple[str, ...]


@cache
def vocabulary() -> Vocabulary:
    """The synonyms of `header_synonyms()` folded and indexed (built once)."""
    synonyms = tuple(_synonyms(header_synonyms()))
    exact: dict[str, Synonym] = {}
    for syn in synonyms:
        exact.setdefault(syn.compact, syn)
    return Vocabulary(
        synonyms=synonyms,
        exact=exact,
        compacts=tuple(s.compact for s in synonyms),
        spaced=tuple(" ".join(s.words) for s in synonyms),
    )


def _synonyms(table: Mapping[str, Mapping[str, tuple[str, ...]]]) -> list[Synonym]:
    out = []
    for fld, langs in table.items():
        for lang, names in langs.items():
            for text in names:
                words = tuple(fold_header(text).split())
                out.append(Synonym(fld, lang, text, words, "".join(words)))
    return out


def header_vocabulary() -> list[list[str]]:
    """The synonyms of every canonical field, one list per field: the reader's expected headers."""
    return [
        [name for names in langs.values() for name in names]
        for fld, langs in header_synonyms().items()
        if not fld.startswith("_")
    ]
