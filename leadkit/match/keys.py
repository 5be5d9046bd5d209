"""The 64-bit key kernel: blocking keys and distinct values are hashes, grouped by sorting
them (NumPy).
"""

from __future__ import annotations

from typing import Final

import numpy as np

_SEED: Final = 0x1EAD
_MIX: Final = np.uint64(0x9E3779B97F4A7C15)


def _combine(parts: list[np.ndarray], out: np.ndarray | None = None) -> np.ndarray:
    """One 64-bit key from the hashes of a block's key parts (an order-sensitive mix),
    written to `out` when given."""
    key = np.empty_like(parts[0]) if out is None else out
    key[:] = parts[0]
    if len(parts) > 1:
        shifted = np.empty_like(key)  # (one scratch array for every step)
        for part in parts[1:]:
            key ^= np.right_shift(key, np.uint64(29), out=shifted)
            key *= _MIX
            key ^= part
    return key


def _bucket_mask(n: int) -> np.uint64:
    """Low hash bits that give `n` keys about four buckets each: a key whose bucket holds
    none of the other side's keys is not among them."""
    bits = min(max(int(n).bit_length() + 2, 10), 23)
    return np.uint64((1 << bits) - 1)


def _buckets(keys: np.ndarray, mask: np.uint64) -> np.ndarray:
    return (keys & mask).astype(np.intp)


def _seen(keys: list[np.ndarray], mask: np.uint64) -> np.ndarray:
    """Per bucket: does one of `keys` fall in it."""
    seen = np.zeros(int(mask) + 1, dtype=bool)
    for k in keys:
        seen[_buckets(k, mask)] = True
    return seen


def _offsets(counts: np.ndarray) -> np.ndarray:
    """0, 1, .. count-1 for every count, one after the other."""
    ends = np.cumsum(counts)
    total = int(ends[-1]) if len(ends) else 0
    offsets: np.ndarray = np.arange(total) - np.repeat(ends - counts, counts)
    return offsets


def _ranges(starts: np.ndarray, lengths: np.ndarray) -> np.ndarray:
    """start, start+1, .. start+length-1 for every run, one after the other."""
    ranges: np.ndarray = np.repeat(starts, lengths) + _offsets(lengths)
    return ranges


def _sort(keys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The order that sorts `keys` (UInt64), and per two neighbours in that order whether
    they hold the same key.

    The keys are sorted with each one's position in their low bits, several times faster
    than an argsort, and neighbours are told apart by their high bits. Neighbours alike in
    the high bits are then read in full (most keys are held by one record: those are not
    read again), and keys that differ only in the low bits (rare) are sorted in full.
    """
    n = len(keys)
    low = np.uint64((1 << (n - 1).bit_length()) - 1) if n else np.uint64(0)
    scratch = np.arange(n, dtype=np.uint64)  # (positions first, then one step's scratch)
    packed = keys & ~low
    packed |= scratch
    packed.sort()
    same = np.bitwise_xor(packed[1:], packed[:-1], out=scratch[1:]) <= low
    order = np.bitwise_and(packed, low, out=packed).view(np.int64)
    if np.count_nonzero(same) * 4 > n:  # most keys repeat: read them all in order, at once
        ordered = np.take(keys, order, out=scratch, mode="clip")
        differ = np.flatnonzero(same & (ordered[1:] != ordered[:-1]))
    else:
        alike = np.flatnonzero(same)
        differ = alike[keys[order[alike]] != keys[order[alike + 1]]]
    if len(differ):
        # keys alike in all but the low bits: sort each run of equal high bits in full
        run_starts = np.concatenate(([0], np.flatnonzero(~same) + 1))
        run_ends = np.append(run_starts[1:], n)
        for run in np.unique(np.searchsorted(run_starts, differ, side="right") - 1).tolist():
            start, end = int(run_starts[run]), int(run_ends[run])
            segment = order[start:end]
            segment = segment[np.argsort(keys[segment], kind="stable")]
            order[start:end] = segment
            same[start : end - 1] = keys[segment[1:]] == keys[segment[:-1]]
    return order, same


def _runs(keys: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The order that sorts `keys` (UInt64), and the start and length of each run of equal
    keys in that order."""
    order, same = _sort(keys)
    starts = np.concatenate(([0], np.flatnonzero(~same) + 1)) if len(keys) else order
    return order, starts, np.diff(starts, append=len(keys))


def _repeats(keys: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """As `_runs`, only the runs of two or more keys: the ones that can make a pair (most
    keys are held by one record, and need no more work once sorted)."""
    order, same = _sort(keys)
    alike = np.flatnonzero(same)  # the first of two equal neighbours
    first = np.flatnonzero(np.diff(alike, prepend=-2) != 1)  # where each run starts in `alike`
    return order, alike[first], np.diff(first, append=len(alike)) + 1


def _distinct(keys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """For each key, the number of its distinct value; and one position of each value."""
    order, same = _sort(keys)
    number = np.zeros(len(keys), dtype=np.intp)
    np.cumsum(~same, out=number[1:])
    inverse = np.empty(len(keys), dtype=np.intp)
    inverse[order] = number
    starts = np.concatenate(([0], np.flatnonzero(~same) + 1)) if len(keys) else order
    return inverse, order[starts]


def _unique(keys: np.ndarray) -> np.ndarray:
    """The distinct keys, sorted."""
    ordered = np.sort(keys)
    return ordered[np.concatenate(([True], ordered[1:] != ordered[:-1]))] if len(keys) else keys


def _pair_numbers(ia: np.ndarray, ib: np.ndarray, nb: int) -> tuple[np.ndarray, np.ndarray]:
    """The distinct pairs of (`ia`, `ib`), rows of two tables (the second of `nb` rows):
    for each pair the number of its distinct pair, and one position of each."""
    key = ia.astype(np.uint64) * np.uint64(nb) + ib.astype(np.uint64)
    key *= _MIX  # (one-to-one, and spreads the bits: `_sort` tells keys apart by high bits)
    return _distinct(key)
