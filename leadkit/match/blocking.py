"""Blocking: the candidate pairs, records sharing a key."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache, partial
from typing import Final

import numpy as np
import polars as pl

from leadkit.match.columns import (
    ANY_PHONE,
    CITY_KEY,
    COMPANY_KEY,
    COMPANY_PREFIX,
    COUNTRY,
    DOMAIN_ORGANIZATION,
    EMAIL,
    EMAIL_DOMAIN,
    EMAIL_LOCAL,
    FIRST,
    LAST,
    LEFT,
    LEFT_ROW,
    MOBILE,
    NAME_GROUP,
    NAME_ROW,
    PHONE,
    POSTAL,
    RIGHT,
    RIGHT_ROW,
    STREET_KEY,
)
from leadkit.match.features import _Column, _hashed, _Records
from leadkit.match.keys import (
    _SEED,
    _bucket_mask,
    _buckets,
    _combine,
    _offsets,
    _ranges,
    _repeats,
    _runs,
    _seen,
    _unique,
)
from leadkit.match.screening import _screen_keys
from leadkit.match.threads import _parallel
from leadkit.nicknames import groups_frame


@dataclass(frozen=True)
class _Block:
    """Records sharing the values of `keys` are compared; `refine` splits giant blocks."""

    keys: tuple[str, ...]
    refine: tuple[_Block, ...] = ()


def _custom_blocks(compare: dict[str, str]) -> tuple[_Block, ...]:
    """Blocks on the custom columns compared: an `exact` one (a partner's lead id, a
    LinkedIn URL) alone, split by the last name's initial; a `date` (of birth) with
    either initial, so that a typo in one name still meets the other."""
    blocks: list[_Block] = []
    for column, kind in compare.items():
        if kind == "exact":
            blocks.append(_Block((column,), (_Block((column, LAST.initial)),)))
        elif kind == "date":
            blocks.append(_Block((column, FIRST.initial), (_Block((column, NAME_GROUP)),)))
            blocks.append(_Block((column, LAST.initial), (_Block((column, LAST.phonetic)),)))
    return tuple(blocks)


# `ANY_PHONE` stands for either phone of a record; `NAME_GROUP` for its first name and each nickname
# group the name is in (bob -> bob, robert), so that Bob and Robert share blocks. A typo is
# never looked for in a first letter, so initials refine blocks without losing matches.
# (The company with its country alone pairs every two colleagues of a small company: ten
# times the pairs for no match the name-refined keys miss, so it is not a block.)
_BLOCKS: Final = (
    _Block((EMAIL,), (_Block((EMAIL, LAST.folded)), _Block((EMAIL, NAME_GROUP)))),
    _Block(
        (ANY_PHONE,),
        (_Block((ANY_PHONE, LAST.folded), (_Block((ANY_PHONE, LAST.folded, NAME_GROUP)),)),),
    ),
    _Block(
        (DOMAIN_ORGANIZATION, LAST.folded, FIRST.initial),
        (_Block((DOMAIN_ORGANIZATION, LAST.folded, NAME_GROUP)),),
    ),
    _Block(
        (DOMAIN_ORGANIZATION, NAME_GROUP, LAST.initial),
        (_Block((DOMAIN_ORGANIZATION, NAME_GROUP, LAST.initial, COUNTRY)),),
    ),
    _Block(
        (COMPANY_KEY, LAST.folded, FIRST.initial), (_Block((COMPANY_KEY, LAST.folded, NAME_GROUP)),)
    ),
    _Block(
        (COMPANY_KEY, NAME_GROUP, LAST.initial),
        (_Block((COMPANY_KEY, NAME_GROUP, LAST.initial, COUNTRY)),),
    ),
    _Block(
        (NAME_GROUP, LAST.folded, COMPANY_PREFIX),
        (_Block((NAME_GROUP, LAST.folded, COMPANY_PREFIX, COUNTRY)),),
    ),
    # The email's domain misspelt (nichols.info / nlchois.info): the local part, with the
    # first initial.
    _Block((EMAIL_LOCAL, FIRST.initial), (_Block((EMAIL_LOCAL, NAME_GROUP)),)),
    # The local part misspelt at one domain (robert255 / roberta25): the domain with the
    # last name as it sounds (NYSIIS), split by the first initial in big free-mail domains.
    _Block(
        (EMAIL_DOMAIN, LAST.phonetic),
        (_Block((EMAIL_DOMAIN, LAST.phonetic, FIRST.initial)),),
    ),
    # Records with no contact or organization in common: the name within one city.
    # (The two names' sounds alone, split by city, found 1% more of Splink's fake people
    # but cost 6 s at 1M x 1M, a quarter of the budget: not a block.)
    # A first name misspelt past its sound: the last name with the first initial.
    # (with the city: a name alone, past its sound, makes blocks too big to be worth it)
    _Block((LAST.folded, FIRST.initial, CITY_KEY)),
    # A last name misspelt past its sound: the first name's sound with the last initial.
    _Block((FIRST.phonetic, LAST.initial, CITY_KEY)),
    # The address: postal code or street with the last name as it sounds.
    _Block((POSTAL, LAST.phonetic), (_Block((POSTAL, LAST.phonetic, FIRST.initial)),)),
    _Block((STREET_KEY, LAST.phonetic), (_Block((STREET_KEY, LAST.phonetic, FIRST.initial)),)),
)
_KEY_PARTS: Final = (
    EMAIL,
    DOMAIN_ORGANIZATION,
    COMPANY_KEY,
    COMPANY_PREFIX,
    LAST.folded,
    FIRST.folded,
    FIRST.initial,
    LAST.initial,
    COUNTRY,
)
_Pairs = tuple[np.ndarray, np.ndarray]


def _within(pos: np.ndarray, keys: np.ndarray, cap: int) -> tuple[np.ndarray, ...]:
    """Records sharing a key, pairwise: positions `a`, `b` (each pair once, in either order)
    from blocks of at most `cap` pairs, and the positions in the bigger blocks."""
    order, starts, lengths = _repeats(keys)
    pairs = lengths * (lengths - 1) // 2
    small = pairs <= cap
    big = ~small
    s, n = starts[small], lengths[small]
    # the members of the small blocks one after the other, and their positions (read once)
    members = pos[order[_ranges(s, n)]]
    after = np.repeat(np.cumsum(n), n) - np.arange(len(members)) - 1  # members following
    first = np.repeat(np.arange(len(members)), after)
    second = first + 1 + _offsets(after)
    return members[first], members[second], pos[order[_ranges(starts[big], lengths[big])]]


def _across(
    lpos: np.ndarray, lkeys: np.ndarray, rpos: np.ndarray, rkeys: np.ndarray, cap: int
) -> tuple[np.ndarray, ...]:
    """Left and right records sharing a key: positions `a` (left), `b` (right) from blocks
    of at most `cap` pairs, and the left and right positions in the bigger blocks."""
    mask = _bucket_mask(max(len(lkeys), len(rkeys)))
    # only keys both sides have can make a pair (the buckets rule most out unsorted)
    some = _seen([lkeys], mask)[_buckets(rkeys, mask)]
    rpos, rkeys = rpos[some], rkeys[some]
    some = _seen([rkeys], mask)[_buckets(lkeys, mask)]
    lpos, lkeys = lpos[some], lkeys[some]
    lorder, lstarts, llens = _runs(lkeys)
    rorder, rstarts, rlens = _runs(rkeys)
    # the keys both sides have: each side's distinct keys together, the ones seen twice
    order, starts, lengths = _runs(np.concatenate([lkeys[lorder[lstarts]], rkeys[rorder[rstarts]]]))
    twice = starts[lengths == 2]
    one, other = order[twice], order[twice + 1]
    li, ri = np.minimum(one, other), np.maximum(one, other) - len(lstarts)
    lstarts, llens, rstarts, rlens = lstarts[li], llens[li], rstarts[ri], rlens[ri]
    lpos, rpos = lpos[lorder], rpos[rorder]
    pairs = llens * rlens
    small = pairs <= cap
    big = ~small
    each = _offsets(pairs[small])
    width = np.repeat(rlens[small], pairs[small])
    first = np.repeat(lstarts[small], pairs[small]) + each // width
    second = np.repeat(rstarts[small], pairs[small]) + each % width
    return (
        lpos[first],
        rpos[second],
        lpos[_ranges(lstarts[big], llens[big])],
        rpos[_ranges(rstarts[big], rlens[big])],
    )


# Records (their indices, None for all, in order) and the list-valued key parts they take
_Segment = tuple[np.ndarray | None, dict[str, _Column]]


class _Keys:
    """One side's block-key parts (`_Records.keys`) as NumPy columns, one row per record,
    with the list-valued parts exploded on demand (`ANY_PHONE`: each phone of a record;
    `NAME_GROUP`: its first name and each other nickname group the name is in).

    A hash collision can only add a candidate pair, which scoring then rejects: it never
    makes a match.
    """

    def __init__(
        self,
        pos: np.ndarray,
        parts: dict[str, _Column],
        first_name: np.ndarray,
        groups: tuple[np.ndarray, np.ndarray, np.ndarray],
    ) -> None:
        self.pos = pos  # each record's row in the features
        self.parts = parts
        self.first_name = first_name  # each record's row in the first-name table
        # per row of that table: how many other groups, where they start in the groups
        self.groups = groups
        self._variants: dict[tuple[bool, bool], list[_Segment]] = {}

    @classmethod
    def of(cls, records: _Records) -> _Keys:
        parts = dict(records.keys)
        # each first name's nickname groups other than the name itself (Bob: Robert)
        names = records.values[FIRST.table].select(
            _hashed(pl.col(FIRST.folded)).alias(FIRST.folded)
        )
        other = (
            names.with_row_index(NAME_ROW)
            .join(_nickname_keys(), on=FIRST.folded)
            .filter(pl.col(NAME_GROUP) != pl.col(FIRST.folded))
            .sort(NAME_ROW)
        )
        counts = np.bincount(other[NAME_ROW].to_numpy(), minlength=names.height)
        groups = (counts, np.cumsum(counts) - counts, other[NAME_GROUP].to_numpy())
        return cls(np.arange(records.height), parts, records.index[FIRST.table], groups)

    def screened(self, records: _Records) -> _Keys:
        """These keys with the email and phone parts of `records` (`_screen_keys`)."""
        parts = {name: records.keys[name] for name in (EMAIL, PHONE, MOBILE)}
        return _Keys(self.pos, self.parts | parts, self.first_name, self.groups)

    def subset(self, positions: np.ndarray) -> _Keys:
        """The records at feature rows `positions`."""
        chosen = np.zeros(int(self.pos.max()) + 1, dtype=bool)
        chosen[positions] = True
        keep = chosen[self.pos]
        parts = {
            name: (values[keep], None if valid is None else valid[keep])
            for name, (values, valid) in self.parts.items()
        }
        return _Keys(self.pos[keep], parts, self.first_name[keep], self.groups)

    def _variant(self, phones: bool, first_names: bool) -> list[_Segment]:
        """The records repeated once per phone and/or first-name group, in segments: the
        records of each (their indices, None for every record once, in order) and the `ANY_PHONE`
        and/or `NAME_GROUP` of each repeat. Every record once is read where it is, not copied: a
        segment of a million rows costs nothing until keyed."""
        if (phones, first_names) in self._variants:
            return self._variants[phones, first_names]
        segments: list[_Segment] = [(None, {})]
        if phones:
            (ph1, valid1), (ph2, valid2) = self.parts[PHONE], self.parts[MOBILE]
            has1 = np.ones(len(ph1), dtype=bool) if valid1 is None else valid1
            has2 = np.ones(len(ph2), dtype=bool) if valid2 is None else valid2
            first, second = np.flatnonzero(has1), np.flatnonzero(has2 & ~(has1 & (ph1 == ph2)))
            at = np.concatenate([first, second])
            segments = [(at, {ANY_PHONE: (np.concatenate([ph1[first], ph2[second]]), None)})]
        if first_names:
            fn, valid = self.parts[FIRST.folded]
            counts, starts, keys = self.groups
            named_segments: list[_Segment] = []
            for rows, extra in segments:
                # the record with its own first name (missing: no key), then once per other
                # nickname group of the name
                own = fn if rows is None else fn[rows]
                own_valid = valid if rows is None or valid is None else valid[rows]
                named_segments.append((rows, extra | {NAME_GROUP: (own, own_valid)}))
                table_rows = self.first_name if rows is None else self.first_name[rows]
                repeats = counts[table_rows]
                if own_valid is not None:
                    repeats[~own_valid] = 0
                named = np.flatnonzero(repeats)  # the ones whose name is in other groups
                repeats, table_rows = repeats[named], table_rows[named]
                again = np.repeat(named, repeats)
                others = keys[np.repeat(starts[table_rows], repeats) + _offsets(repeats)]
                named_segments.append(
                    (
                        again if rows is None else rows[again],
                        {name: (values[again], None) for name, (values, _) in extra.items()}
                        | {NAME_GROUP: (others, None)},
                    )
                )
            segments = named_segments
        self._variants[phones, first_names] = segments
        return segments

    def prepare(self, blocks: Sequence[_Block]) -> None:
        """Build what `keyed` reads for `blocks` (so that threads only read it)."""
        for block in blocks:
            self._variant(ANY_PHONE in block.keys, NAME_GROUP in block.keys)

    def keyed(self, keys: tuple[str, ...]) -> tuple[np.ndarray, np.ndarray]:
        """Feature rows and keys (a mix of the values of `keys`) of the records and their
        repeats (`ANY_PHONE`, `NAME_GROUP`) with none of the values missing."""
        segments = [
            self._parts(rows, extra, keys)
            for rows, extra in self._variant(ANY_PHONE in keys, NAME_GROUP in keys)
        ]
        if len(segments) == 1:
            pos, values, valid = segments[0]
            if valid is None:
                return pos, _combine(values)
            if np.count_nonzero(valid) * 4 < len(valid):
                # few records have every part (an email, a phone): mix only theirs
                at = np.flatnonzero(valid)
                return pos[at], _combine([v[at] for v in values])
            return pos[valid], _combine(values)[valid]
        # the segments mixed into one array (not mixed apart, then copied together)
        sizes = [len(pos) for pos, _, _ in segments]
        key = np.empty(sum(sizes), dtype=np.uint64)
        start = 0
        for (_, values, _), size in zip(segments, sizes, strict=True):
            _combine(values, out=key[start : start + size])
            start += size
        pos = np.concatenate([pos for pos, _, _ in segments])
        if all(valid is None for _, _, valid in segments):
            return pos, key
        valid = np.concatenate(
            [np.ones(len(p), dtype=bool) if v is None else v for p, _, v in segments]
        )
        return pos[valid], key[valid]

    def _parts(
        self, rows: np.ndarray | None, extra: dict[str, _Column], keys: tuple[str, ...]
    ) -> tuple[np.ndarray, list[np.ndarray], np.ndarray | None]:
        """The feature rows of a segment's records, the values of `keys` there, and where
        they all are present (None: everywhere)."""

        def part(name: str) -> _Column:
            if name in extra:
                return extra[name]
            values, valid = self.parts[name]
            if rows is None:
                return values, valid
            return values[rows], None if valid is None else valid[rows]

        parts = [part(k) for k in keys]
        pos = self.pos if rows is None else self.pos[rows]
        masks = [valid for _, valid in parts if valid is not None]
        valid = None
        if masks:
            valid = masks[0] if len(masks) == 1 else np.logical_and.reduce(masks)
        return pos, [values for values, _ in parts], valid


@cache
def _nickname_keys() -> pl.DataFrame:
    """(`FIRST.folded`, `NAME_GROUP`) as hashes: each name of the nickname table with each
    of its groups."""
    return groups_frame().select(
        pl.col("name").hash(_SEED).alias(FIRST.folded),
        pl.col("group").hash(_SEED).alias(NAME_GROUP),
    )


def _block_pairs(left: _Keys, right: _Keys | None, block: _Block, cap: int) -> list[_Pairs]:
    """Candidate pairs (left, right positions) of one block rule; `right=None` pairs `left`
    with itself."""
    lpos, lkeys = left.keyed(block.keys)
    if right is None:
        a, b, lbig = _within(lpos, lkeys, cap)
        rbig = lbig
    else:
        rpos, rkeys = right.keyed(block.keys)
        a, b, lbig, rbig = _across(lpos, lkeys, rpos, rkeys, cap)
    out = [(a, b)]
    if len(lbig) and block.refine:
        # only the records of giant blocks go on to the longer keys
        lsub = left.subset(lbig)
        rsub = None if right is None else right.subset(rbig)
        for finer in block.refine:
            out.extend(_block_pairs(lsub, rsub, finer, cap))
    return out


def _candidates(
    left: _Records, right: _Records | None, cap: int, compare: dict[str, str] | None = None
) -> tuple[_Records, pl.DataFrame]:
    """`left` with its email and phone keys screened (`_screen_keys`), and every pair some
    block makes, once: record ids `LEFT`, `RIGHT`, feature rows `LEFT_ROW`, `RIGHT_ROW`.

    Within the file (`right` None) `LEFT` is the earlier record id of the two. The blocks that
    read no email or phone are made while those are screened (regular expressions): both
    cores stay busy.
    """
    lkeys = _Keys.of(left)
    rkeys = None if right is None else _Keys.of(right)
    blocks = (*_BLOCKS, *_custom_blocks(compare or {}))
    early = [b for b in blocks if EMAIL not in b.keys and ANY_PHONE not in b.keys]
    late = [b for b in blocks if b not in early]
    lkeys.prepare(early)
    if rkeys is not None:
        rkeys.prepare(blocks)

    def codes(lkeys: _Keys, block: _Block) -> np.ndarray:
        """The block's pairs as one number each: left row << 32 | right row (within the
        file, a pair either way round is one pair: the lower row first)."""
        found = _block_pairs(lkeys, rkeys, block, cap)
        a = np.concatenate([p[0] for p in found], dtype=np.uint64, casting="unsafe")
        b = np.concatenate([p[1] for p in found], dtype=np.uint64, casting="unsafe")
        if right is None:
            a, b = np.minimum(a, b), np.maximum(a, b)
            apart = a != b
            a, b = a[apart], b[apart]
        a <<= np.uint64(32)
        a |= b
        return a

    # (the screening runs its two steps on threads of its own, alongside these)
    left, *found = _parallel(
        [partial(_screen_keys, left, right), *(partial(codes, lkeys, b) for b in early)]
    )
    lkeys = lkeys.screened(left)
    lkeys.prepare(late)
    found += _parallel([partial(codes, lkeys, block) for block in late])
    both = _unique(np.concatenate(found))
    lrid = left.rid
    rrid = lrid if right is None else right.rid
    if right is None:
        # the earlier record id first (turned after the duplicates are gone: fewer to look up)
        a, b = both >> np.uint64(32), both & np.uint64(0xFFFFFFFF)
        later = lrid[a] > lrid[b]
        if later.any():
            a, b = np.where(later, b, a), np.where(later, a, b)
            both = np.sort((a << np.uint64(32)) | b)
    lp = (both >> np.uint64(32)).astype(np.uint32)
    rp = (both & np.uint64(0xFFFFFFFF)).astype(np.uint32)
    return left, pl.DataFrame(
        {LEFT: lrid[lp], RIGHT: rrid[rp], LEFT_ROW: lp, RIGHT_ROW: rp},
        schema={LEFT: pl.UInt32, RIGHT: pl.UInt32, LEFT_ROW: pl.UInt32, RIGHT_ROW: pl.UInt32},
    )
