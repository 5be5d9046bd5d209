"""Yes/no values (opt-in and other checkboxes) to ``true`` / ``false``.

Reads the words forms, spreadsheets and CRMs export (Yes/No, Y/N, 1/0, TRUE/FALSE,
checked, opted in, subscribed, agree, on/off, a tick mark) in English and the languages
lead files most often come in, in any case and spacing. Anything else is unknown: the
value is None (written empty) with ``opt_in_unknown``, because guessing consent is
worse than leaving it blank.
"""

from __future__ import annotations

import re
import unicodedata

import polars as pl

from leadkit.normalizers._base import Normalized, map_unique
from leadkit.normalizers.text import clean_text

OPT_IN_UNKNOWN = "opt_in_unknown"

# Comma-separated because some entries are phrases; compared after `_key`.
_TRUE = """
    true, t, yes, y, 1, 1.0, -1, x, on, checked, check, ticked, selected, ok, okay, agree,
    agreed, accept, accepted, opted in, opt in, optin, subscribe, subscribed, consent,
    consented, allow, allowed, granted, enabled, active, confirmed,
    ja, oui, si, sí, sì, sim, tak, da, да, evet, igen, kyllä, joo, ano, áno, jah, taip, jā,
    はい, 是, 是的, 对, 예, 네, ✓, ✔, ☑, ☒, ✅
"""
_FALSE = """
    false, f, no, n, 0, 0.0, off, unchecked, not checked, unticked, unselected, disagree,
    declined, decline, rejected, reject, refused, opted out, opt out, optout, unsubscribe,
    unsubscribed, not subscribed, no consent, denied, disabled, inactive,
    nein, non, não, nao, nee, nej, nei, nie, нет, hayır, hayir, nem, ei, ne,
    いいえ, 否, 不, 不是, 아니요, 아니오, ☐, ✗, ✘, ❌
"""


def _words(block: str) -> frozenset[str]:
    return frozenset(_key(w) for w in block.split(",") if w.strip())


def _key(text: str) -> str:
    t = unicodedata.normalize("NFKC", text).casefold()
    return re.sub(r"[\s_]+", " ", t.replace("-", " ")).strip(" .!")


_TRUE_WORDS = _words(_TRUE)
_FALSE_WORDS = _words(_FALSE)
if _TRUE_WORDS & _FALSE_WORDS:  # pragma: no cover - a guard on the tables above
    raise AssertionError(f"both true and false: {_TRUE_WORDS & _FALSE_WORDS}")


def normalize_bool(raw: str) -> Normalized:
    """``true``, ``false``, or None with ``opt_in_unknown``; blank is None without a code."""
    text = clean_text(raw)
    if text is None:
        return Normalized(None)
    key = _key(text)
    if key in _TRUE_WORDS:
        return Normalized("true")
    if key in _FALSE_WORDS:
        return Normalized("false")
    return Normalized(None, OPT_IN_UNKNOWN)


def standardize_bool(col: pl.Series, name: str = "opt_in") -> pl.DataFrame:
    """`name`, f"{name}__code"; an opt-in column has a handful of distinct values."""
    out = map_unique(col.cast(pl.String), normalize_bool)
    return out.rename({"value": name, "code": f"{name}__code"})
