"""Placeholder emails and phones screened out of the keys and out of the compared pairs."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Final

import numpy as np
import polars as pl

from leadkit.match.columns import EMAIL, MOBILE, PHONE
from leadkit.match.features import _Column, _Records
from leadkit.match.keys import _bucket_mask, _buckets, _ranges, _repeats, _seen
from leadkit.match.placeholders import _placeholder_emails, _placeholder_phones
from leadkit.match.threads import _parallel

# What `_screen_keys` found of a record's email or phone (`_Records.screened`).
_UNTESTED: Final = 0
_REAL: Final = 1
_PLACEHOLDER: Final = 2


def _screened(feats: pl.DataFrame, known: dict[str, np.ndarray]) -> pl.DataFrame:
    """`feats` with placeholder emails and phones as nulls (what comparison reads).

    `known` holds, per column, what `_screen_keys` found of each row: only the rows it did
    not test are tested here (regular expressions per value).
    """
    screens = (
        (EMAIL, _placeholder_emails),
        (PHONE, _placeholder_phones),
        (MOBILE, _placeholder_phones),
    )
    columns = []
    for name, test in screens:
        values = feats[name]
        state = known.get(name)
        if state is None:
            placeholder = test(values).fill_null(False).to_numpy()
        else:
            placeholder = state == _PLACEHOLDER
            untested = np.flatnonzero((state == _UNTESTED) & values.is_not_null().to_numpy())
            if len(untested):
                placeholder[untested] = test(values.gather(untested)).fill_null(False).to_numpy()
        columns.append(pl.when(pl.Series(placeholder)).then(None).otherwise(values).alias(name))
    return feats.with_columns(columns)


def _screen_keys(records: _Records, other: _Records | None) -> _Records:
    """The leads' email and phone key parts that can make a pair: placeholders dropped, and
    the keys no other record has.

    A key can only make a pair when another record has it: within the file (`other` None)
    a key held once never does, against the CRM (`other`) a key the export lacks never does
    (ruled out by hash buckets, so a few stay). Those are dropped, which spares blocking
    the work; the rest are screened for placeholders, which costs regular expressions per
    value. The pairs are the ones screening every record would give.
    """

    def screen(
        names: tuple[str, ...], test: Callable[[pl.Series], pl.Series]
    ) -> tuple[dict[str, _Column], dict[str, np.ndarray]]:
        present = [_present(records.keys[n]) for n in names]
        mine = [
            values if valid is None else values[at]
            for (values, valid), at in zip((records.keys[n] for n in names), present, strict=True)
        ]
        if other is None:
            order, starts, lengths = _repeats(mine[0] if len(mine) == 1 else np.concatenate(mine))
            shared = np.zeros(len(order), dtype=bool)
            shared[order[_ranges(starts, lengths)]] = True
            split = np.split(shared, np.cumsum([len(m) for m in mine])[:-1])
        else:
            theirs = [other.keys[n][0][_present(other.keys[n])] for n in names]
            mask = _bucket_mask(max(sum(len(k) for k in mine), sum(len(k) for k in theirs)))
            seen = _seen(theirs, mask)
            split = [seen[_buckets(m, mask)] for m in mine]
        keys: dict[str, _Column] = {}
        states: dict[str, np.ndarray] = {}
        for name, at, chosen in zip(names, present, split, strict=True):
            at = at[chosen]
            placeholder = test(records.own[name].gather(at)).fill_null(False).to_numpy()
            valid = np.zeros(records.height, dtype=bool)
            valid[at[~placeholder]] = True
            keys[name] = (records.keys[name][0], valid)
            # (kept for comparison, which screens the records it reads: these need not be)
            states[name] = np.full(records.height, _UNTESTED, dtype=np.int8)
            states[name][at] = np.where(placeholder, _PLACEHOLDER, _REAL)
        return keys, states

    (emails, email_states), (phones, phone_states) = _parallel(
        [
            partial(screen, (EMAIL,), _placeholder_emails),
            partial(screen, (PHONE, MOBILE), _placeholder_phones),
        ]
    )
    keys = records.keys | emails | phones
    states = email_states | phone_states
    return _Records(records.rid, records.own, keys, records.index, records.values, states)


def _present(column: _Column) -> np.ndarray:
    """The rows where a key part is present."""
    values, valid = column
    return np.arange(len(values)) if valid is None else np.flatnonzero(valid)


# --------------------------------------------------------------------------------------
# Blocking
