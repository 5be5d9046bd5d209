from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import polars as pl
import pytest
from hypothesis import given
from hypothesis import strategies as st

from leadkit.normalizers._base import Normalized
from leadkit.normalizers.name import normalize_name, split_full_name, standardize_names

# Text that exercises the casing rules: case pairs with odd mappings (ß, İ, ı, ǅ, ŉ),
# apostrophes, particles, Mc/Mac, CJK, spaces of every kind.
NAMEISH = st.lists(
    st.sampled_from(
        [
            *list("aAbBcCdDeEmMnNoOrRvV'’ʼ-.,/ \xa0\u3000ßẞİıǅǆŉﬁΣσς李田ÉéÑñ0123()\"́"),
            "van ",
            "de ",
            "la ",
            "mc",
            "MAC",
            "Mr. ",
            "Jr.",
            "III",
            "PhD",
            ", ",
        ]
    ),
    max_size=12,
).map("".join)
ANY_TEXT = st.one_of(st.text(), NAMEISH)

NAMES = [
    # raw, value, code
    ("MCDONALD", "McDonald", None),
    ("mcdonald", "McDonald", None),
    ("o'brien", "O'Brien", None),
    ("O'BRIEN", "O'Brien", None),
    ("o’neill", "O’Neill", None),  # typographic apostrophe kept
    ("JEAN-PIERRE", "Jean-Pierre", None),
    ("MACDONALD", "MacDonald", None),
    ("macleod", "MacLeod", None),
    ("MACK", "Mack", None),  # not "MacK": only known Mac surnames
    ("MACY", "Macy", None),
    ("MACHADO", "Machado", None),
    ("MACIAS", "Macias", None),
    ("d'angelo", "D'Angelo", None),
    ("VAN DER BERG", "van der Berg", None),
    ("de la cruz", "de la Cruz", None),
    ("VON DER LEYEN", "von der Leyen", None),
    ("DOS SANTOS", "dos Santos", None),
    ("VAN", "Van", None),  # a particle alone is a name
    ("LE PEN", "Le Pen", None),  # "le" is lower only after another particle
    ("DI MARIA", "Di Maria", None),  # Italians capitalise Di
    ("DeShawn", "DeShawn", None),  # mixed case kept as typed
    ("McKenzie", "McKenzie", None),
    ("van Dijk", "van Dijk", None),
    ("Mcdonald", "Mcdonald", None),  # mixed case: a choice we do not second-guess
    ("MA'AYAN", "Ma'ayan", None),  # capital after a one-letter prefix only
    ("ST. JOHN", "St. John", None),
    ("J.R.", "J.R.", None),
    ("ANNE-MARIE O'NEIL", "Anne-Marie O'Neil", None),
    ("  john   smith ", "John Smith", None),
    ("ŁUKASZ", "Łukasz", None),
    ("zoë", "Zoë", None),
    ("MÜLLER", "Müller", None),
    ("José", "José", None),
    ("Jose\u0301", "José", None),  # combining accent composed (NFC)
    ("李伟", "李伟", None),  # no case: untouched
    ("田中", "田中", None),
    ("ИВАНОВ", "ИВАНОВ", None),  # non-Latin scripts are not re-cased
    ("ß", "ß", None),  # no single-letter capital: left alone
    # salutations go, in a first- or last-name column as in a full-name split
    ("Dr. Sarah", "Sarah", None),
    ("Dr Sarah", "Sarah", None),
    ("MR JOHN", "John", None),
    ("Mrs. Jane", "Jane", None),
    ("ms jane", "Jane", None),
    ("Prof. Dr. Klaus", "Klaus", None),
    ("Dr. med. Hans", "Hans", None),
    ("Dr. rer. nat. Anna", "Anna", None),
    ("Prof. Dr. med. dent. Eva", "Eva", None),
    ("Dr.-Ing. Jörg", "Jörg", None),
    ("Herr Hans", "Hans", None),
    ("Frau Müller", "Müller", None),
    ("M. Dupont", "Dupont", None),
    ("Mme Curie", "Curie", None),
    ("Sr. García", "García", None),
    ("Sra. López", "López", None),
    ("Dr.", None, None),  # a salutation alone is no name
    ("Mr", None, None),
    ("MRS.", None, None),
    ("Prof.", None, None),
    ("Herr", "Herr", None),  # but a word that is also a surname stays (Trude Herr)
    ("M.", "M.", None),  # an initial
    ("Sr", "Sr", None),
    ("Drew", "Drew", None),
    ("1234", "1234", "name_invalid"),
    ("--", "--", "name_invalid"),
    ("  ", None, None),
    ("", None, None),
]


@pytest.mark.parametrize(("raw", "value", "code"), NAMES)
def test_normalize_name(raw: str, value: str | None, code: str | None) -> None:
    assert normalize_name(raw) == Normalized(value, code)


SPLITS = [
    ("Ludwig van Beethoven", ("Ludwig", "van Beethoven")),
    ("Vincent van Gogh", ("Vincent", "van Gogh")),
    ("Maria de la Cruz", ("Maria", "de la Cruz")),
    ("Juan Carlos de la Cruz", ("Juan Carlos", "de la Cruz")),
    ("MARINE LE PEN", ("Marine", "Le Pen")),
    ("John Smith", ("John", "Smith")),
    ("JOHN SMITH", ("John", "Smith")),
    ("john SMITH", ("John", "Smith")),  # each part cased on its own
    ("Mary Ann Smith", ("Mary Ann", "Smith")),
    ("Mr John Smith", ("John", "Smith")),
    ("Mrs. Jane Doe", ("Jane", "Doe")),
    ("Ms Jane Doe", ("Jane", "Doe")),
    ("Dr. Jane Doe, PhD", ("Jane", "Doe")),
    ("Prof. Dr. Klaus Schmidt", ("Klaus", "Schmidt")),
    ("Herr Hans Müller", ("Hans", "Müller")),
    ("Dr. med. Hans Meier", ("Hans", "Meier")),
    ("Prof. Dr. rer. nat. Anna Schmidt", ("Anna", "Schmidt")),
    ("Dr. h.c. Eva Weber", ("Eva", "Weber")),
    ("Frau Anna Schmidt", ("Anna", "Schmidt")),
    ("M. Jean Dupont", ("Jean", "Dupont")),
    ("Mme Marie Curie", ("Marie", "Curie")),
    ("John Smith Jr.", ("John", "Smith")),
    ("John Smith, Jr.", ("John", "Smith")),
    ("JOHN PAUL SMITH III", ("John Paul", "Smith")),
    ("Jane Doe MBA", ("Jane", "Doe")),
    ("Gregory House MD", ("Gregory", "House")),
    ("Smith, John", ("John", "Smith")),
    ("smith, john", ("John", "Smith")),
    ("Smith, John Jr.", ("John", "Smith")),
    ("van Beethoven, Ludwig", ("Ludwig", "van Beethoven")),
    ("Robert (Bob) Smith", ("Robert", "Smith")),
    ('Robert "Bob" Smith', ("Robert", "Smith")),
    ("Sarah", ("Sarah", None)),  # a lone word is a first name
    ("SARAH", ("Sarah", None)),
    ("Mr Smith", (None, "Smith")),  # ... but a surname after an honorific
    ("Van Morrison", ("Van", "Morrison")),  # a particle first is a first name
    ("田中 太郎", ("太郎", "田中")),  # family name first
    ("李伟", (None, "李伟")),  # unsplittable CJK full name: last name
    ("  ", (None, None)),
    ("", (None, None)),
]


@pytest.mark.parametrize(("raw", "expected"), SPLITS)
def test_split_full_name(raw: str, expected: tuple[str | None, str | None]) -> None:
    assert split_full_name(raw) == expected


@given(ANY_TEXT)
def test_normalize_name_never_raises_and_is_idempotent(raw: str) -> None:
    first = normalize_name(raw)
    if first.value is not None:
        assert normalize_name(first.value) == first


@given(ANY_TEXT)
def test_split_full_name_never_raises_and_parts_are_normalized(raw: str) -> None:
    for part in split_full_name(raw):
        if part is not None:
            assert normalize_name(part).value == part


def test_standardize_names_uses_full_name_only_where_first_and_last_are_empty() -> None:
    first = pl.Series(["ANNA", None, " ", None, "Bob", None])
    last = pl.Series(["SMITH", "Jones", None, None, None, None])
    full = pl.Series(["Zed Zed", "Zed Zed", "Dr. Ada LOVELACE", "VAN DER BERG, JAN", None, None])
    out = standardize_names(first, last, full)
    assert out.columns == ["first_name", "first_name__code", "last_name", "last_name__code"]
    assert out.rows() == [
        ("Anna", None, "Smith", None),
        (None, None, "Jones", None),
        ("Ada", None, "Lovelace", None),
        ("Jan", None, "van der Berg", None),
        ("Bob", None, None, None),
        (None, None, None, None),
    ]


def test_standardize_names_codes_and_missing_columns() -> None:
    out = standardize_names(pl.Series(["123", "McKenzie"]), None, None)
    assert out.rows() == [("123", "name_invalid", None, None), ("McKenzie", None, None, None)]
    only_full = standardize_names(None, None, pl.Series(["Ludwig van Beethoven", None]))
    assert only_full.rows() == [("Ludwig", None, "van Beethoven", None), (None, None, None, None)]
    assert standardize_names(None, None, None).height == 0


@given(
    st.lists(st.one_of(st.none(), ANY_TEXT, st.sampled_from([r for r, _, _ in NAMES])), max_size=20)
)
def test_standardize_names_matches_the_per_value_function(values: list[str | None]) -> None:
    out = standardize_names(pl.Series(values, dtype=pl.String), None, None)
    assert out.height == len(values)
    expected = [normalize_name(v) if v is not None else Normalized(None) for v in values]
    assert out.select("first_name", "first_name__code").rows() == [tuple(e) for e in expected]


# Near misses of the Polars path (printable ASCII: mixed case kept, one word in one case
# capitalised unless Mc/Mac): particles, apostrophes, hyphens, several words, spaces of
# every kind, letters that lower- or upper-case into ASCII, no letters at all.
NAME_EDGES = [
    "Dr. Sarah",
    "Dr Sarah",
    "DR SARAH",
    "Mr",
    "Mr.",
    "M. Dupont",
    "M.",
    "M.. Dupont",
    "M., Dupont",
    "Herr",
    "Drew",
    "Mrs Jane Doe",
    "John",
    "JOHN",
    "john",
    " john ",
    "jOHN",
    "J",
    "j",
    "MC",
    "mc",
    "MCDONALD",
    "mcdonald",
    "MACK",
    "mack",
    "MACDONALD",
    "macdonald",
    "Mac",
    "MAC",
    "VAN",
    "van",
    "van der berg",
    "VAN DER BERG",
    "o'brien",
    "O'BRIEN",
    "jean-pierre",
    "JEAN PIERRE",
    "j.r.",
    "J.R.",
    "DE",
    "de la cruz",
    "McKenzie",
    "Mary  Ann",
    "  ",
    "\u00a0john",
    "john\u200b",
    "joh\tn",
    "123",
    "-",
    "'",
    "ıvan",
    "ſam",
    "\u212aim",
    "ÉMILE",
    "émile",
    "Émile",
    "李",
    "ǅ",
    "ß",
    "ẞ",
]


def test_standardize_names_matches_the_per_value_function_on_generated_leads(
    bench_data: Callable[..., Path],
) -> None:
    partner = pl.read_csv(bench_data(20000, 0) / "partner.csv", infer_schema=False)
    first = [*partner["First Name"].to_list(), *NAME_EDGES, *(v.upper() for v in NAME_EDGES)]
    last = [*partner["Last Name"].to_list(), *NAME_EDGES, *(v.lower() for v in NAME_EDGES)]
    out = standardize_names(
        pl.Series(first, dtype=pl.String), pl.Series(last, dtype=pl.String), None
    )
    expected = [
        (
            *(normalize_name(f) if f is not None else Normalized(None)),
            *(normalize_name(la) if la is not None else Normalized(None)),
        )
        for f, la in zip(first, last, strict=True)
    ]
    assert out.rows() == expected


def test_full_names_are_split_only_where_first_and_last_are_blank() -> None:
    blank = ["", " ", "\u00a0", "\u200b", "\x01", "\t \n", "\u3000", "\x85", "\ufeff", "\x1c", None]
    first = [*blank, "Ann", " x "]
    full = ["Ada Lovelace"] * len(first)
    out = standardize_names(
        pl.Series(first, dtype=pl.String), pl.Series(first, dtype=pl.String), pl.Series(full)
    )
    assert out.select("first_name", "last_name").rows() == [
        *[("Ada", "Lovelace")] * len(blank),
        ("Ann", "Ann"),
        ("X", "X"),
    ]
