"""Job titles: a level (executive ... student) and a function (marketing ... other).

``Director, Marketing``, ``Marketing - Director``, ``Sr. Dir. Mktg``, ``Directrice Marketing``,
``Leiter Marketing`` and ``マーケティング部長`` are all a director in marketing. No well-kept
Python package does this across languages, so the words live in a reviewed data file,
``leadkit/data/job_titles.yaml``, which also documents how a title is read and which word
wins when several name a level or a function. This module is only the reader:

1. fold the title (case, accents, width, punctuation) and cut it into segments at commas,
   slashes and dashes;
2. spell out abbreviations, split unknown German/Dutch compounds into known words;
3. match phrases longest first (CJK text by substring: it has no spaces);
4. pick the level and the function by the precedence the data file states.

A title that says too little (``Consultant``, ``Team``) leaves the level or function None.
`classify_title` is the per-value function; `classify_titles` runs it once per distinct
title of a column.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any, Literal, get_args

import polars as pl
import yaml
from pydantic import BaseModel, ConfigDict, Field

from leadkit.normalizers._base import apply_all

Level = Literal["executive", "vp", "director", "manager", "individual", "student"]
Function = Literal[
    "marketing",
    "sales",
    "it",
    "engineering",
    "finance",
    "hr",
    "operations",
    "legal",
    "executive",
    "education",
    "other",
]
# The same values as tuples, in the same order (one list each, not two).
LEVELS: tuple[Level, ...] = get_args(Level)
FUNCTIONS: tuple[Function, ...] = get_args(Function)
# Seniority among the levels that rules 3 and 4 compare (student is rule 1).
_SENIORITY: dict[str, int] = {level: len(LEVELS) - i for i, level in enumerate(LEVELS)}

# Level ranks: which rule of the data file a phrase's level belongs to.
_WEAK, _REGULAR, _SUBORDINATE, _STUDENT = 1, 2, 3, 4
_WEAK_FUNCTION = 0  # a group's `weak` phrases: below every priority


# --- the data file ------------------------------------------------------------------------
class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class _Levels(_Strict):
    student: list[str]
    subordinate: list[str]
    yield_to_next_level: list[str]
    regular: dict[Level, list[str]]
    weak: dict[Level, list[str]] = Field(default_factory=dict)


class _FunctionGroup(_Strict):
    priority: int = Field(ge=1)
    terms: list[str]
    weak: list[str] = Field(default_factory=list)


class _Spec(_Strict):
    abbreviations: dict[str, str]
    stopwords: list[str]
    compound_parts: list[str]
    neutral: list[str]
    levels: _Levels
    functions: dict[Function, _FunctionGroup]


@dataclass(frozen=True, slots=True)
class _Term:
    level: str | None = None
    level_rank: int = 0
    function: str | None = None
    priority: int = -1
    yields: bool = False


@dataclass(frozen=True, slots=True)
class _Vocabulary:
    phrases: dict[tuple[str, ...], _Term]  # folded words -> what the phrase says
    longest: int  # the most words in a phrase
    cjk: dict[str, _Term]  # CJK phrases, matched as substrings
    cjk_longest: int
    abbreviations: dict[str, tuple[str, ...]]
    stopwords: frozenset[str]
    known: frozenset[str]  # words a compound may be split into


# --- folding --------------------------------------------------------------------------------
_CJK = "\u3040-\u30fa\u30fc-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
_CJK_RUN = re.compile(f"[{_CJK}]+")
_TOKEN = re.compile(f"[{_CJK}]+|[^\\W_{_CJK}]+|\\|")
_DOTTED = re.compile(r"\b(?:\w\.){2,}")  # V.P., C.E.O.
# Segment breaks: a phrase never spans one. A hyphen between two word characters joins
# (Co-Founder); a dash with a space beside it ("Marketing - Director") breaks.
_BREAK = re.compile(r"[,;/|()\[\]{}:\\·・、，。]|\s[-\u2010-\u2015]+|[-\u2010-\u2015]+\s")
_COMBINING = re.compile("[\u0300-\u036f]")
_UMLAUTS = str.maketrans({"ä": "ae", "ö": "oe", "ü": "ue", "Ä": "Ae", "Ö": "Oe", "Ü": "Ue"})
_LINKS = ("s", "n", "en", "e")  # German/Dutch linking elements between compound parts
_SHORT_PARTS = frozenset({"it", "hr", "pr", "rh", "ti", "ict"})


def _fold(text: str) -> str:
    """Case, width and accents folded, segments marked with " | ", other punctuation spaces."""
    text = unicodedata.normalize("NFKC", text).casefold()
    text = _DOTTED.sub(lambda m: m.group(0).replace(".", ""), text)
    text = _BREAK.sub(" | ", text.replace("&", " and ").replace("+", " and "))
    text = _COMBINING.sub("", unicodedata.normalize("NFKD", text))
    return unicodedata.normalize("NFC", text)


def _words(text: str) -> list[str]:
    """The folded words of a data-file phrase (no segments there)."""
    return [t for t in _TOKEN.findall(_fold(text)) if t != "|"]


def _is_cjk(word: str) -> bool:
    return bool(_CJK_RUN.fullmatch(word))


# --- loading --------------------------------------------------------------------------------
def _spellings(phrase: str) -> list[str]:
    """The phrase and, when it has a German umlaut, its ae/oe/ue spelling."""
    alt = phrase.translate(_UMLAUTS)
    return [phrase] if alt == phrase else [phrase, alt]


Table = dict[tuple[str, ...], tuple[str, int]]


def _add(table: Table, phrase: str, value: tuple[str, int]) -> None:
    """Each spelling of `phrase` under `value`; a phrase given two values is refused."""
    for spelling in _spellings(phrase):
        key = tuple(_words(spelling))
        if not key:
            raise ValueError(f"job_titles.yaml: {phrase!r} holds no word")
        old = table.get(key)
        if old is not None and old != value:
            raise ValueError(f"job_titles.yaml: {phrase!r} is listed as {old[0]} and as {value[0]}")
        table[key] = value


def _level_table(lv: Any) -> Table:
    levels: Table = {}
    for phrase in lv.student:
        _add(levels, phrase, ("student", _STUDENT))
    for phrase in lv.subordinate:
        _add(levels, phrase, ("individual", _SUBORDINATE))
    for rank, groups in ((_REGULAR, lv.regular), (_WEAK, lv.weak)):
        for level_name, level_phrases in groups.items():
            for phrase in level_phrases:
                _add(levels, phrase, (level_name, rank))
    return levels


def _function_table(spec: _Spec) -> Table:
    functions: Table = {}
    for function_name, group in spec.functions.items():
        for phrase in group.terms:
            _add(functions, phrase, (function_name, group.priority))
        for phrase in group.weak:
            _add(functions, phrase, (function_name, _WEAK_FUNCTION))
    return functions


def _build(spec: _Spec) -> _Vocabulary:
    lv = spec.levels
    levels = _level_table(lv)
    functions = _function_table(spec)
    yielding = {tuple(_words(s)) for p in lv.yield_to_next_level for s in _spellings(p)}
    if missing := yielding - levels.keys():
        raise ValueError(
            f"job_titles.yaml: yield_to_next_level names no level phrase: {sorted(missing)}"
        )

    terms: dict[tuple[str, ...], _Term] = {}
    for key in levels.keys() | functions.keys() | {tuple(_words(p)) for p in spec.neutral}:
        level, rank = levels.get(key, (None, 0))
        function, priority = functions.get(key, (None, -1))
        terms[key] = _Term(level, rank, function, priority, key in yielding)
    phrases = {k: t for k, t in terms.items() if not any(_is_cjk(w) for w in k)}
    cjk = {"".join(k): t for k, t in terms.items() if any(_is_cjk(w) for w in k)}
    stopwords = frozenset(w for s in spec.stopwords for w in _words(s))
    known = frozenset(w for k in phrases for w in k if w not in stopwords) | frozenset(
        w for p in spec.compound_parts for w in _words(p)
    )
    return _Vocabulary(
        phrases=phrases,
        longest=max(len(k) for k in phrases),
        cjk=cjk,
        cjk_longest=max(len(k) for k in cjk),
        abbreviations={_fold(a).strip(): tuple(_words(w)) for a, w in spec.abbreviations.items()},
        stopwords=stopwords,
        known=known,
    )


@cache
def _vocabulary() -> _Vocabulary:
    text = resources.files("leadkit").joinpath("data", "job_titles.yaml").read_text("utf-8")
    return _build(_Spec.model_validate(yaml.safe_load(text)))


# --- reading a title -------------------------------------------------------------------------
_STOP = "stop"  # a stopword: ends a yielding word's reach
_SEGMENT = "segment"  # a segment break: the same, and phrases never span it
_Item = _Term | str


def _split_compound(word: str, known: frozenset[str]) -> list[str] | None:
    """`word` as two or more known words, with linking letters between them dropped."""
    if word in known and (len(word) >= 3 or word in _SHORT_PARTS):
        return [word]
    for i in range(len(word) - 2, 1, -1):
        head, rest = word[:i], word[i:]
        candidates = [head] + [head[: -len(link)] for link in _LINKS if head.endswith(link)]
        for part in candidates:
            if part in known and (len(part) >= 3 or part in _SHORT_PARTS):
                tail = _split_compound(rest, known)
                if tail is not None:
                    return [part, *tail]
    return None


def _tokens(title: str, vocab: _Vocabulary) -> list[str]:
    """Folded words (abbreviations spelled out, compounds split), CJK runs and "|" breaks."""
    out: list[str] = []
    for token in _TOKEN.findall(_fold(title)):
        if token in vocab.abbreviations:
            out.extend(vocab.abbreviations[token])
        elif (
            len(token) >= 6
            and (token,) not in vocab.phrases
            and token not in vocab.known
            and not _is_cjk(token)
            and (parts := _split_compound(token, vocab.known)) is not None
        ):
            out.extend(parts)
        else:
            out.append(token)
    return out


def _cjk_items(run: str, vocab: _Vocabulary) -> list[_Item]:
    items: list[_Item] = []
    i = 0
    while i < len(run):
        for n in range(min(vocab.cjk_longest, len(run) - i), 0, -1):
            term = vocab.cjk.get(run[i : i + n])
            if term is not None:
                items.append(term)
                i += n
                break
        else:
            i += 1
    return items


def _items(title: str, vocab: _Vocabulary) -> list[_Item]:
    """The title as matched phrases, stopwords and segment breaks, in reading order."""
    tokens = _tokens(title, vocab)
    items: list[_Item] = []
    i = 0
    while i < len(tokens):
        token = tokens[i]
        if token == "|":
            items.append(_SEGMENT)
            i += 1
            continue
        if _is_cjk(token):
            items.extend(_cjk_items(token, vocab))
            i += 1
            continue
        for n in range(min(vocab.longest, len(tokens) - i), 0, -1):
            term = vocab.phrases.get(tuple(tokens[i : i + n]))
            if term is not None:
                items.append(term)
                i += n
                break
        else:
            if token in vocab.stopwords:
                items.append(_STOP)
            i += 1
    return items


def _gives_way(items: list[_Item], at: int) -> bool:
    """Whether a level phrase follows item `at` before a stopword or a segment break."""
    for item in items[at + 1 :]:
        if isinstance(item, str):
            return False
        if item.level is not None:
            return True
    return False


def _level(items: list[_Item]) -> str | None:
    best: tuple[int, int] = (0, 0)  # (rank, seniority)
    level: str | None = None
    for at, item in enumerate(items):
        if isinstance(item, str) or item.level is None:
            continue
        if item.yields and _gives_way(items, at):
            continue
        score = (item.level_rank, _SENIORITY[item.level])
        if score > best:
            best, level = score, item.level
    return level


def _function(items: list[_Item]) -> str | None:
    best = -1
    function: str | None = None
    for item in items:
        if isinstance(item, _Term) and item.function is not None and item.priority > best:
            best, function = item.priority, item.function
    return function


def classify_title(title: str | None) -> tuple[str | None, str | None]:
    """(level, function) of one job title; None where the title does not say.

    >>> classify_title("Sr. Director, Demand Generation")
    ('director', 'marketing')
    >>> classify_title("Assistant to the CEO")
    ('individual', 'executive')
    """
    if title is None or not title.strip():
        return None, None
    items = _items(title, _vocabulary())
    return _level(items), _function(items)


def classify_titles(titles: pl.Series) -> pl.DataFrame:
    """`job_level` and `job_function` for a column of titles, one row per row, in order.

    Titles that differ only in case and surrounding spaces are read once; `classify_title`
    runs once per distinct one. Nulls and blanks give nulls.
    """
    key = titles.cast(pl.String).str.strip_chars().str.to_lowercase().rename("_key")
    distinct = key.filter(key.is_not_null() & (key != "")).unique()
    results = apply_all(classify_title, distinct.to_list())
    lookup = pl.DataFrame(
        {
            "_key": distinct,
            "job_level": [r[0] for r in results],
            "job_function": [r[1] for r in results],
        },
        schema={"_key": pl.String, "job_level": pl.String, "job_function": pl.String},
    )
    return (
        key.to_frame()
        .join(lookup, on="_key", how="left", maintain_order="left")
        .select("job_level", "job_function")
    )
