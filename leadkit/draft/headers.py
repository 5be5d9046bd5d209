"""One header against the vocabulary: which fields it may name, and how well.

A header is folded and compared with every synonym: equal (`E-Mail`, `Vorname`, `Código
postal`), close (rapidfuzz: `Emial Adress`, `Address Email`) or containing one (`Primary
Contact Email`, `Firmentelefon`; the synonym at the end of the header weighs more: `Company
Phone` is a phone, `Phone Company` is not much of anything).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, replace

from rapidfuzz import fuzz, process

from leadkit.draft.vocabulary import (
    LANGUAGES,
    OPT_OUT,
    OTHER,
    Synonym,
    header_words,
    secondary_words,
    vocabulary,
    whole_only,
)

__all__ = ["HEADER_MIN", "MARGIN", "HeaderMatch", "guess_field", "match_header"]

HEADER_MIN = 0.7
"""A header match below this is not evidence on its own."""
MARGIN = 0.05
"""Two fields this close for one column make it ambiguous: it is left out."""

# Scores of the three ways a header names a synonym.
_CLOSE_WEIGHT = 0.95
"""A close match (a typo, another word order) scores this times rapidfuzz's similarity."""
_CLOSE_MIN_LENGTH = 5
"""Shorter folded headers and synonyms are too short to be compared for typos."""
_TYPO_CUTOFF = 85
_ORDER_CUTOFF = 90
_SECONDARY_PENALTY = 0.02


@dataclass(frozen=True)
class HeaderMatch:
    """How well a header names a field: `how` is exact, close or contains."""

    field: str
    score: float
    how: str
    synonym: str
    lang: str

    def evidence(self, header: str) -> str:
        what = {OTHER: "a known non-lead column", OPT_OUT: "an opt-out"}.get(self.field, self.field)
        if self.how == "exact":
            return f"header '{header}' = {what} ({LANGUAGES.get(self.lang, self.lang)})"
        if self.how == "close":
            return f"header '{header}' ~ '{self.synonym}' ({what})"
        return f"header '{header}' contains '{self.synonym}' ({what})"


class _Best:
    """The best match per field found so far (the first of equal scores stays)."""

    def __init__(self) -> None:
        self.by_field: dict[str, HeaderMatch] = {}

    def offer(self, syn: Synonym, score: float, how: str) -> None:
        current = self.by_field.get(syn.field)
        if current is None or score > current.score:
            self.by_field[syn.field] = HeaderMatch(
                syn.field, round(score, 4), how, syn.text, syn.lang
            )


def match_header(header: str) -> list[HeaderMatch]:
    """Every field `header` may name, best first (one entry per field, pseudo-fields included)."""
    words = header_words(header)
    if not words:
        return []
    compact = "".join(words)
    best = _Best()
    exact = vocabulary().exact.get(compact)
    if exact is not None:
        best.offer(exact, 1.0, "exact")
    for syn, score in _close(words, compact):
        best.offer(syn, score, "close")
    found = best.by_field
    if exact is None:
        for syn, score in _contained(words, compact):
            best.offer(syn, score, "contains")
        found = _second_choice(best.by_field, words)
    return sorted(found.values(), key=lambda m: (-m.score, m.field))


def _close(words: list[str], compact: str) -> Iterator[tuple[Synonym, float]]:
    """Synonyms the header is close to: typos and spacing (`Emial Adress`, `E Mail-Addresse`)
    on the compact form, and word order (`Address Email`, `Name First`) on the words."""
    if len(compact) < _CLOSE_MIN_LENGTH:
        return
    vocab = vocabulary()
    for _, score, i in process.extract(
        compact, vocab.compacts, scorer=fuzz.ratio, score_cutoff=_TYPO_CUTOFF, limit=None
    ):
        if len(vocab.compacts[i]) >= _CLOSE_MIN_LENGTH:
            yield vocab.synonyms[i], _CLOSE_WEIGHT * score / 100
    if len(words) > 1:
        for _, score, i in process.extract(
            " ".join(words),
            vocab.spaced,
            scorer=fuzz.token_sort_ratio,
            score_cutoff=_ORDER_CUTOFF,
            limit=None,
        ):
            if len(vocab.synonyms[i].words) > 1:
                yield vocab.synonyms[i], _CLOSE_WEIGHT * score / 100


def _second_choice(found: dict[str, HeaderMatch], words: list[str]) -> dict[str, HeaderMatch]:
    """`Home Zip` beside `Work Zip`: a lead file's people are reached at work."""
    if secondary_words().isdisjoint(words):
        return found
    return {f: replace(m, score=round(m.score - _SECONDARY_PENALTY, 4)) for f, m in found.items()}


def _contained(words: list[str], compact: str) -> list[tuple[Synonym, float]]:
    """Synonyms inside a longer header, scored by how much of it they cover and whether they
    end it. One inside another found synonym counts for nothing: in `Business Email
    Address`, `address` is part of `email address`, not a street."""
    found = list(_spans(words, compact))
    out = []
    for syn, a, b in found:
        if any(a2 <= a and b <= b2 and b2 - a2 > b - a for _, a2, b2 in found):
            continue
        coverage = (b - a) / len(compact)
        out.append((syn, 0.75 + 0.12 * coverage + (0.08 if b == len(compact) else 0.0)))
    return out


def _spans(words: list[str], compact: str) -> Iterator[tuple[Synonym, int, int]]:
    """Each synonym found in the header, with where it starts and ends in `compact`."""
    starts = [sum(len(w) for w in words[:i]) for i in range(len(words) + 1)]
    whole = whole_only()
    for syn in vocabulary().synonyms:
        if len(syn.compact) < 3 or syn.compact not in compact or syn.compact in whole:
            continue
        span = _span(syn, words, compact, starts)
        if span is not None:
            yield syn, *span


def _span(
    syn: Synonym, words: list[str], compact: str, starts: list[int]
) -> tuple[int, int] | None:
    """Where `syn` sits in the header: as whole words, as the head of a compound, or inside."""
    n = len(syn.words)
    at = next((i for i in range(len(words) - n + 1) if tuple(words[i : i + n]) == syn.words), -1)
    if at >= 0:
        return starts[at], starts[at + n]
    if len(syn.compact) >= 5 and compact.endswith(syn.compact):
        # German compounds put the head last: `Firmentelefon`, `Kontaktemail`.
        return len(compact) - len(syn.compact), len(compact)
    if len(syn.compact) >= 6:
        i = compact.index(syn.compact)
        return i, i + len(syn.compact)
    return None


def guess_field(header: str) -> str | None:
    """The canonical field a header alone names, or None (unknown, not a lead field, or a tie)."""
    matches = [m for m in match_header(header) if m.score >= HEADER_MIN]
    if not matches or matches[0].field.startswith("_"):
        return None
    if len(matches) > 1 and matches[0].score - matches[1].score < MARGIN:
        return None
    return matches[0].field
