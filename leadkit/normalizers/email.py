"""Email addresses: clean, validate (email-validator, no DNS), flag.

`normalize_email` is the rule for one value; `standardize_email` applies it to a column.

Cleaning, in order (applied until nothing changes, so the result does not depend on how
the wrappers are nested): control and zero-width characters removed, a full-width ``＠``
read as ``@`` when the value has no ``@`` at all (the separator as East Asian input
methods type it), lowercased; then trimmed (every Unicode space), ``mailto:`` removed (any case, with a ``?subject=...`` query),
one pair of surrounding quotes or angle brackets removed, ``Name <addr>`` reduced to
``addr``, spaces next to ``@`` or ``.`` dropped and trailing dots after the domain removed
(``jo@acme.com.`` is the fully qualified form, or the end of a sentence). A space anywhere
else (``jo smith@acme.com``) is not guessed away: the address is invalid.

Validation is email-validator's `validate_email` with ``check_deliverability=False``:
no network, quoted local parts, IP-literal domains and display names are not accepted,
special-use domains (``.test``, ``.local``, ``.invalid``...) are invalid.

No Unicode compatibility normalization (NFKC) of leadkit's own: it would change what the
library keeps or rejects (``me@⒈x.com`` would become ``me@1.x.com``, ``ĳ`` ``ij``, and
``＠@fullwidth.at``, which the library accepts, would be rejected). The library applies
its own (IDNA/UTS 46 on the domain: ``jo@ａｃｍｅ.com`` is ``jo@acme.com``).

**The clean form is email-validator's ``normalized`` form, lowercased.** For an
internationalized domain this is the Unicode form (``user@bücher.de``), also when the
input was Punycode (``user@xn--bcher-kva.de`` gives ``user@bücher.de``), so both spellings
of one mailbox compare equal. Unicode rather than ASCII because an address with a
non-ASCII local part (``josé@acme.fr``) has no ASCII form at all, so Unicode is the only
form every valid address has. A target that needs ASCII can convert the domain with IDNA.

Codes: ``email_no_tld`` when the only fault is a domain without a dot (``jo@acme``),
``email_invalid`` for anything else; the value returned with a code is the cleaned text,
so a "keep" policy keeps something readable.

Speed: email-validator costs ~40-90 µs per call. `standardize_email` trims, lowercases and
drops ``mailto:`` in Polars, then accepts plainly valid ASCII addresses with one strict
regular expression (`FAST_EMAIL_RE`); of the rest, values whose fault is structural (no
``@``, two ``@``, dots misplaced, a one-label domain) get their code from a few more
expressions (`_fast_invalid`); only what is left goes to email-validator, once per distinct
value (on both cores when there are many). Flags are computed per distinct domain, mostly
as Polars expressions; the role flag is one anchored expression over the addresses. Tests
hold the column function to `normalize_email` and `email_flags` value by value on a large
generated sample, hand-made edge cases and Hypothesis-generated lists.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from typing import Any, NamedTuple

import polars as pl
from disposable_email_domains import blocklist as _DISPOSABLE

from leadkit.normalizers._base import Normalized, apply_all
from leadkit.normalizers.text import split_once

__all__ = [
    "FAST_EMAIL_RE",
    "FREE_DOMAINS",
    "ROLE_LOCAL_PARTS",
    "EmailFlags",
    "email_flags",
    "normalize_email",
    "standardize_email",
]

# --- cleaning ------------------------------------------------------------------------

# Control characters (C0, DEL, C1) and invisible format characters: zero-width space,
# non-joiner, joiner, word joiner, BOM, soft hyphen, left-to-right/right-to-left marks.
_INVISIBLE = re.compile("[\x00-\x1f\x7f-\x9f\u200b-\u200f\u2060\ufeff\u00ad\u202a-\u202e]")
# Every space Polars' strip_chars() strips (Unicode White_Space) and a few more.
_STRIP = "\t\n\v\f\r \x1c\x1d\x1e\x1f\x85\xa0\u1680\u2028\u2029\u202f\u205f\u3000" + "".join(
    chr(c) for c in range(0x2000, 0x200B)
)
_SPACE_NEAR_SEP = re.compile(f"[{re.escape(_STRIP)}]*([@.])[{re.escape(_STRIP)}]*")
_MAILTO = re.compile(r"^mailto:", re.IGNORECASE)
_DISPLAY_NAME = re.compile(r"^[^<>]*<([^<>]*)>$")
_PAIRS = (('"', '"'), ("'", "'"), ("<", ">"), ("\u201c", "\u201d"), ("\u2018", "\u2019"))


def _clean_step(s: str) -> str:
    s = s.strip(_STRIP)
    if _MAILTO.match(s):
        s = s[7:].strip(_STRIP)
    at = s.rfind("@")
    q = s.find("?", at + 1) if at >= 0 else -1
    if q >= 0:  # the query of a mailto: link (jo@acme.com?subject=Hi); never valid in a domain
        s = s[:q].strip(_STRIP)
    m = _DISPLAY_NAME.match(s)
    if m and "@" in m.group(1):
        s = m.group(1)
    for left, right in _PAIRS:
        if len(s) >= 2 and s[0] == left and s[-1] == right:
            s = s[1:-1]
            break
    if "@" in s:
        s = _SPACE_NEAR_SEP.sub(r"\1", s)
        s = s.rstrip(".")
    return s.strip(_STRIP)


def _clean(raw: str) -> str:
    s = _INVISIBLE.sub("", raw)
    if "@" not in s and s.count("\uff20") == 1:
        s = s.replace("\uff20", "@")
    s = s.lower()
    for _ in range(8):  # a handful of nested wrappers at most; bounded for safety
        nxt = _clean_step(s)
        if nxt == s:
            break
        s = nxt
    return s


# --- validation -----------------------------------------------------------------------


def _validate(address: str) -> str | None:
    """email-validator's normalized form of `address`, or None when it is invalid."""
    # Imported here: compiling its patterns costs ~30 ms at start-up, and on most files
    # the fast path leaves it nothing to do.
    from email_validator import validate_email

    try:
        return validate_email(address, check_deliverability=False).normalized.lower()
    except Exception:  # noqa: BLE001 - EmailNotValidError, and anything unexpected: never raise
        return None


def normalize_email(raw: str) -> Normalized:
    """One email address: the clean lowercase address, or the cleaned text with a code."""
    try:
        s = _clean(raw)
    except Exception:  # noqa: BLE001 - cleaning is plain string work, but never raise
        return Normalized(raw, "email_invalid")
    if not s:
        return Normalized(None, None)
    clean = _validate(s)
    if clean is not None:
        # The library's normalized form can differ from the input (IDNA, NFC); make sure
        # the clean value is a fixed point, so normalizing it again changes nothing.
        if clean != s:
            again = _validate(_clean(clean))
            if again is None:
                return Normalized(s, "email_invalid")
            clean = again
        return Normalized(clean, None)
    local, at, domain = s.rpartition("@")
    # Invalid only because the domain has no TLD? Then say so precisely.
    one_label = bool(at and local and "@" not in local and domain and "." not in domain)
    if one_label and _validate(f"{local}@{domain}.com") is not None:
        return Normalized(s, "email_no_tld")
    return Normalized(s, "email_invalid")


# --- the fast path ---------------------------------------------------------------------

# Special-use TLDs: email-validator rejects them.
_SPECIAL_USE_TLDS = ("arpa", "invalid", "local", "localhost", "onion", "test")


_Trie = dict[str, "_Trie"]


def _letters_but(words: Iterable[str], min_len: int = 2) -> str:
    """A regular expression for the runs of `min_len` or more letters a-z that are none of
    `words` (Rust's regex engine has no look-ahead to say "not"). Spelled out on a trie of
    the words: at each point, stop there (unless a word ends there), or go on with a letter
    no word goes on with, or with one that some word does. For ["ab"]:
    ``(?:[a-z--[a]][a-z]{1,}|a(?:[a-z--[b]][a-z]*|b(?:[a-z][a-z]*)))``.
    """
    trie: _Trie = {}
    for word in words:
        node = trie
        for c in word:
            node = node.setdefault(c, {})
        node[""] = {}  # a word ends here

    def pattern(node: _Trie, depth: int) -> str:
        nexts = "".join(sorted(c for c in node if c))
        tail = "[a-z]*" if depth + 1 >= min_len else f"[a-z]{{{min_len - depth - 1},}}"
        alternatives = [""] if depth >= min_len and "" not in node else []
        alternatives.append((f"[a-z--[{nexts}]]" if nexts else "[a-z]") + tail)
        alternatives += [c + pattern(node[c], depth + 1) for c in nexts]
        return "(?:" + "|".join(alternatives) + ")"

    return pattern(trie, 0)


# A plainly valid ASCII address (after trim + lowercase + mailto removal): a dot-atom
# local part of common characters, then hostname labels of [a-z0-9] with single inner
# hyphens (so no leading/trailing hyphen and no "--", which rules out Punycode "xn--" and
# other reserved labels email-validator checks separately), and an alphabetic TLD that is
# not special-use (written into the expression: a second search for them costs more than
# this whole one). email-validator accepts every such address unchanged, given the length
# checks in `_fast_ok` (total <= 254, no label over 63, the TLD included).
_LOCAL_CHARS = r"[a-z0-9_%+'=!#$&*/?^`{|}~-]"
FAST_EMAIL_RE = (
    rf"^{_LOCAL_CHARS}+(?:\.{_LOCAL_CHARS}+)*"
    r"@(?:[a-z0-9]+(?:-[a-z0-9]+)*\.)+" + _letters_but(_SPECIAL_USE_TLDS) + "$"
)
_LONG_LABEL_RE = r"[a-z0-9-]{64}"


def _fast_ok(key: pl.Expr) -> pl.Expr:
    return (
        key.str.contains(FAST_EMAIL_RE)
        & (key.str.len_bytes() <= 254)
        & ~key.str.contains(_LONG_LABEL_RE)
    )


def _lowered(trimmed: pl.Expr) -> pl.Expr:
    """A trimmed value lowercased and stripped of one leading ``mailto:``: `_precleaned`
    of an ASCII value but for spaces after ``mailto:``."""
    return trimmed.str.to_lowercase().str.strip_prefix("mailto:")


def _precleaned(col: pl.Expr) -> pl.Expr:
    """Trimmed; ASCII values also lowercased and stripped of one leading ``mailto:``.

    `normalize_email(key)` equals `normalize_email(raw)`: these are first steps of its
    own cleaning. Non-ASCII values are only trimmed (Python lowercases them itself, by
    Python's rules), so they never reach the fast path.
    """
    key = col.str.strip_chars()
    return pl.when(_is_ascii(key)).then(_lowered(key).str.strip_chars()).otherwise(key)


def _is_ascii(col: pl.Expr) -> pl.Expr:
    return col.str.len_bytes() == col.str.len_chars()  # cheaper than a regular expression


# --- flags ------------------------------------------------------------------------------

# Shared mailboxes rather than people (RFC 2142 plus the usual business ones). Matched on
# the whole local part, or the part before a "+tag".
ROLE_LOCAL_PARTS: frozenset[str] = frozenset(
    (
        "abuse",
        "accounting",
        "accounts",
        "admin",
        "administrator",
        "all",
        "billing",
        "careers",
        "contact",
        "contactus",
        "customercare",
        "customerservice",
        "donotreply",
        "do-not-reply",
        "enquiries",
        "enquiry",
        "everyone",
        "feedback",
        "finance",
        "hello",
        "help",
        "helpdesk",
        "hostmaster",
        "hr",
        "info",
        "inquiries",
        "inquiry",
        "it",
        "jobs",
        "legal",
        "marketing",
        "media",
        "news",
        "newsletter",
        "noc",
        "noreply",
        "no-reply",
        "office",
        "orders",
        "postmaster",
        "press",
        "privacy",
        "reception",
        "recruiting",
        "sales",
        "security",
        "service",
        "support",
        "team",
        "webmaster",
        "www",
    )
)

# Consumer mailbox providers (a documented, deliberately short list: the big global
# providers and the large national ones of the countries leads usually come from).
FREE_DOMAINS: frozenset[str] = frozenset(
    (
        "gmail.com",
        "googlemail.com",
        "yahoo.com",
        "yahoo.co.uk",
        "yahoo.fr",
        "yahoo.de",
        "yahoo.es",
        "yahoo.it",
        "yahoo.ca",
        "yahoo.com.au",
        "yahoo.co.in",
        "yahoo.in",
        "yahoo.co.jp",
        "yahoo.com.br",
        "yahoo.com.mx",
        "yahoo.com.ar",
        "yahoo.ie",
        "yahoo.co.nz",
        "yahoo.com.sg",
        "yahoo.com.hk",
        "yahoo.com.tw",
        "ymail.com",
        "rocketmail.com",
        "hotmail.com",
        "hotmail.co.uk",
        "hotmail.fr",
        "hotmail.de",
        "hotmail.es",
        "hotmail.it",
        "hotmail.ca",
        "hotmail.com.au",
        "hotmail.com.br",
        "hotmail.be",
        "hotmail.nl",
        "hotmail.co.jp",
        "outlook.com",
        "outlook.fr",
        "outlook.de",
        "outlook.es",
        "outlook.it",
        "outlook.jp",
        "outlook.com.au",
        "outlook.com.br",
        "outlook.in",
        "outlook.co.uk",
        "live.com",
        "live.co.uk",
        "live.fr",
        "live.de",
        "live.ca",
        "live.com.au",
        "live.nl",
        "live.it",
        "live.in",
        "msn.com",
        "aol.com",
        "aol.co.uk",
        "aol.de",
        "aol.fr",
        "icloud.com",
        "me.com",
        "mac.com",
        "protonmail.com",
        "protonmail.ch",
        "proton.me",
        "pm.me",
        "tutanota.com",
        "tuta.io",
        "fastmail.com",
        "hushmail.com",
        "zoho.com",
        "zohomail.com",
        "mail.com",
        "email.com",
        "usa.com",
        "gmx.com",
        "gmx.de",
        "gmx.net",
        "gmx.at",
        "gmx.ch",
        "gmx.fr",
        "gmx.co.uk",
        "web.de",
        "t-online.de",
        "freenet.de",
        "posteo.de",
        "mail.de",
        "arcor.de",
        "orange.fr",
        "wanadoo.fr",
        "free.fr",
        "laposte.net",
        "sfr.fr",
        "neuf.fr",
        "libero.it",
        "virgilio.it",
        "btinternet.com",
        "sky.com",
        "virginmedia.com",
        "talktalk.net",
        "ntlworld.com",
        "comcast.net",
        "verizon.net",
        "att.net",
        "sbcglobal.net",
        "bellsouth.net",
        "cox.net",
        "charter.net",
        "earthlink.net",
        "shaw.ca",
        "rogers.com",
        "sympatico.ca",
        "telus.net",
        "bigpond.com",
        "bigpond.net.au",
        "optusnet.com.au",
        "qq.com",
        "163.com",
        "126.com",
        "sina.com",
        "sohu.com",
        "yeah.net",
        "foxmail.com",
        "aliyun.com",
        "naver.com",
        "daum.net",
        "hanmail.net",
        "yandex.ru",
        "yandex.com",
        "ya.ru",
        "mail.ru",
        "bk.ru",
        "inbox.ru",
        "list.ru",
        "rambler.ru",
        "rediffmail.com",
        "seznam.cz",
        "wp.pl",
        "o2.pl",
        "onet.pl",
        "interia.pl",
        "uol.com.br",
        "bol.com.br",
        "terra.com.br",
        "ig.com.br",
        "docomo.ne.jp",
        "ezweb.ne.jp",
        "softbank.ne.jp",
        "i.softbank.jp",
        "nifty.com",
        "ocn.ne.jp",
        "biglobe.ne.jp",
    )
)

# Typo targets: the providers people mistype most. A suggestion is made only for a domain
# that is not itself a known free-mail domain, when the domain is one slip away from a
# target: a letter dropped (yaho.com), two neighbours swapped (gmial.com), a letter typed
# twice or a neighbouring key typed too (yahooo.com, gmaikl.com), or a letter replaced by
# a neighbouring key (gnail.com); or when a known provider has a mistyped ending
# (gmail.con, aol.cm). Targets under 8 characters (aol.com, web.de) are matched by their
# ending only: one slip from them is too often a real company's domain. Slips that are
# not keyboard slips (iqcloud.com vs icloud.com) are taken for real names.
_TYPO_TARGETS: tuple[str, ...] = (
    "gmail.com",
    "yahoo.com",
    "hotmail.com",
    "outlook.com",
    "icloud.com",
    "googlemail.com",
    "hotmail.co.uk",
    "yahoo.co.uk",
    "yahoo.co.in",
    "yahoo.co.jp",
    "yahoo.com.br",
    "hotmail.fr",
    "yahoo.fr",
    "comcast.net",
    "verizon.net",
    "sbcglobal.net",
    "bellsouth.net",
    "protonmail.com",
    "btinternet.com",
    "rediffmail.com",
    "t-online.de",
    "wanadoo.fr",
    "orange.fr",
    "yandex.ru",
    "libero.it",
    "bigpond.com",
    "rogers.com",
)
# Mistyped ".com"/".net" endings of a known provider name: gmail.con, yahoo.cmo, aol.cm.
_TLD_TYPOS = {
    "con": "com",
    "cmo": "com",
    "ocm": "com",
    "cm": "com",
    "co": "com",
    "om": "com",
    "comm": "com",
    "coom": "com",
    "vom": "com",
    "xom": "com",
    "cpm": "com",
    "clm": "com",
    "ne": "net",
    "nte": "net",
    "nett": "net",
    "bet": "net",
}


def _key_positions() -> dict[str, tuple[int, float]]:
    rows = ("1234567890-", "qwertyuiop", "asdfghjkl", "zxcvbnm")
    offsets = (0.0, 0.5, 0.75, 1.25)  # the stagger of a QWERTY keyboard
    return {c: (r, i + offsets[r]) for r, keys in enumerate(rows) for i, c in enumerate(keys)}


_KEYS = _key_positions()


def _near_keys(a: str, b: str) -> bool:
    pa, pb = _KEYS.get(a), _KEYS.get(b)
    return (
        pa is not None
        and pb is not None
        and a != b
        and abs(pa[0] - pb[0]) <= 1
        and abs(pa[1] - pb[1]) <= 1
    )


def _is_slip(typed: str, target: str) -> bool:
    """True when `typed` is `target` with one keyboard slip (see `_TYPO_TARGETS`)."""
    n, m = len(typed), len(target)
    i = 0
    while i < min(n, m) and typed[i] == target[i]:
        i += 1
    if n == m:  # a substitution or a swap of neighbours
        if typed[i + 1 :] == target[i + 1 :]:
            return _near_keys(typed[i], target[i])
        return (
            i + 1 < n
            and typed[i] == target[i + 1]
            and typed[i + 1] == target[i]
            and typed[i + 2 :] == target[i + 2 :]
        )
    if n == m - 1:  # a letter dropped
        return typed[i:] == target[i + 1 :]
    if n == m + 1 and typed[i + 1 :] == target[i:]:  # a letter added: doubled or a neighbour
        extra = typed[i]
        around = [c for c in (typed[i - 1] if i else "", typed[i + 1] if i + 1 < n else "") if c]
        return any(extra == c or _near_keys(extra, c) for c in around)
    return False


def _suggest_domain(domain: str) -> str | None:
    if domain in FREE_DOMAINS or domain in _TYPO_TARGETS:
        return None
    stem, _, tld = domain.rpartition(".")
    fixed = _TLD_TYPOS.get(tld)
    if stem and fixed and f"{stem}.{fixed}" in FREE_DOMAINS:
        return f"{stem}.{fixed}"
    for target in _TYPO_TARGETS:  # in order of popularity: the first slip wins
        if abs(len(target) - len(domain)) <= 1 and _is_slip(domain, target):
            return target
    return None


def _deletions(word: str) -> set[str]:
    return {word[:i] + word[i + 1 :] for i in range(len(word))}


# Every string within one edit of a target shares a member of this set with it (the
# "symmetric delete" idea of SymSpell): the vectorized pre-filter for `_suggest_domain`.
_NEAR_TARGET_KEYS: frozenset[str] = frozenset(k for t in _TYPO_TARGETS for k in _deletions(t) | {t})
_MAX_TARGET_LEN = max(len(t) for t in _TYPO_TARGETS)
_MIN_TARGET_LEN = min(len(t) for t in _TYPO_TARGETS)
# The domains `_suggest_domain` corrects by their ending alone: a known provider's name
# and a mistyped ending of its own (gmail.con, aol.cm).
_TLD_TYPO_DOMAINS: frozenset[str] = frozenset(
    f"{stem}.{typo}"
    for stem, _, tld in (free.rpartition(".") for free in FREE_DOMAINS)
    for typo, fixed in _TLD_TYPOS.items()
    if fixed == tld
)


# A slip (`_is_slip`) leaves a target's first two characters or its last ones in place:
# a slip among the first two leaves all but the first three (a swap of the second and
# third), and every target is `_MIN_TARGET_LEN` long or longer.
_TARGET_HEADS = sorted({t[:2] for t in _TYPO_TARGETS})
_TARGET_TAIL_LEN = _MIN_TARGET_LEN - 3
_TARGET_TAILS = sorted({t[-_TARGET_TAIL_LEN:] for t in _TYPO_TARGETS})


def _maybe_typo(domains: pl.Series) -> pl.Series:
    """False for domains `_suggest_domain` surely returns None for; True for the rest."""
    keys = pl.Series(sorted(_NEAR_TARGET_KEYS), dtype=pl.String).implode()
    d = pl.col("d")
    frame = pl.DataFrame({"d": domains}, schema={"d": pl.String})
    n = d.str.len_chars()
    frame = frame.with_columns(
        ((n >= _MIN_TARGET_LEN - 1) & (n <= _MAX_TARGET_LEN + 1)).alias("near"),
        d.is_in(pl.Series(sorted(_TLD_TYPO_DOMAINS), dtype=pl.String).implode()).alias("tld"),
    )
    # One edit from a target: the domain or one of its deletions is a target or one of
    # a target's deletions. Computed only for domains of a length that can be near and
    # with a target's head or tail: few.
    candidates = frame.filter("near").filter(
        d.str.head(2).is_in(pl.Series(_TARGET_HEADS, dtype=pl.String).implode())
        | d.str.tail(_TARGET_TAIL_LEN).is_in(pl.Series(_TARGET_TAILS, dtype=pl.String).implode())
    )
    hit = d.is_in(keys)
    for i in range(_MAX_TARGET_LEN + 1):
        hit = hit | (d.str.slice(0, i) + d.str.slice(i + 1)).is_in(keys)
    hits = candidates.filter(hit)["d"].implode()
    return frame.select(pl.col("tld") | d.is_in(hits))["tld"]


def _is_disposable(domain: str) -> bool:
    """The domain or a parent of it (mx.mailinator.com) is on the disposable blocklist."""
    if not domain.isascii():
        try:
            domain = domain.encode("idna").decode("ascii")
        except Exception:  # noqa: BLE001 - not encodable: not on an ASCII blocklist
            return False
    labels = domain.split(".")
    return any(".".join(labels[i:]) in _DISPOSABLE for i in range(len(labels) - 1))


def _is_role(local: str) -> bool:
    return local.split("+", 1)[0] in ROLE_LOCAL_PARTS


class EmailFlags(NamedTuple):
    role: bool
    free: bool
    disposable: bool
    suggestion: str | None


def email_flags(email: str) -> EmailFlags:
    """Flags of a clean address (a value `normalize_email` returned without a code).

    `suggestion` is the whole address with the likely intended domain
    (``jo@gmial.com`` -> ``jo@gmail.com``): a hint for a person, never applied.
    """
    local, _, domain = email.rpartition("@")
    fixed = _suggest_domain(domain)
    return EmailFlags(
        role=_is_role(local),
        free=domain in FREE_DOMAINS,
        disposable=_is_disposable(domain),
        suggestion=f"{local}@{fixed}" if fixed else None,
    )


# --- the column ------------------------------------------------------------------------

# Exact invalid verdicts without the library, for ASCII keys that cleaning leaves alone
# (no space, quote, bracket, colon, "?" or control character; not ending with a dot) and whose
# fault is structural. Each is what email-validator says (see test_email.py):
# no "@", two "@", nothing before or after it, dots misplaced or a comma: email_invalid;
# a valid local part and a one-label domain: email_no_tld.
_STABLE_RE = r"^[a-z0-9_%+=!#$&*/^{|}~.,@-]*[a-z0-9@]$"
_DOT_ATOM_RE = r"^[a-z0-9_%+=!#$&*/?^{|}~-]+(?:\.[a-z0-9_%+=!#$&*/?^{|}~-]+)*$"
_LABEL_RE = r"^[a-z0-9]+(?:-[a-z0-9]+)*$"


def _fast_invalid(key: pl.Expr) -> pl.Expr:
    """An invalid code that needs no library, or null (ask the library)."""
    n_at = key.str.count_matches("@", literal=True)
    local, domain = split_once(key, "@")
    no_tld = (
        domain.str.contains(_LABEL_RE)
        & (domain.str.len_bytes() <= 63)
        & (key.str.len_bytes() <= 250)
        & ~key.str.contains(_LONG_LABEL_RE)
    )
    return (
        pl.when(~key.str.contains(_STABLE_RE))
        .then(None)
        .when((n_at != 1) | (local == "") | (domain == ""))
        .then(pl.lit("email_invalid"))
        .when(~local.str.contains(_DOT_ATOM_RE))
        .then(pl.lit("email_invalid"))
        .when(domain.str.contains(r"^\.|\.\.|,"))
        .then(pl.lit("email_invalid"))
        .when(no_tld)
        .then(pl.lit("email_no_tld"))
        .otherwise(None)
    )


# Plain ASCII keys that may hold spaces or trailing dots (no quote, bracket, colon, "?",
# tab or control character): `_clean_step` then only drops spaces next to "@" or "." and
# trailing dots, which `_clean_plain` replays.
_PLAINISH_RE = r"^[a-z0-9_%+=!#$&*/^{|}~.,@ -]*$"


def _clean_plain(key: pl.Expr) -> pl.Expr:
    """`_clean_step` for a key matching `_PLAINISH_RE`."""
    # `_SPACE_NEAR_SEP`, written to match only where there is a space: every "@" and "."
    # matching, to be replaced by itself, costs more than the rest of `_settle`.
    tidy = (
        key.str.replace_all(r" +([@.]) *|([@.]) +", "${1}${2}")
        .str.strip_chars_end(".")
        .str.strip_chars(" ")
    )
    return pl.when(key.str.contains("@", literal=True)).then(tidy).otherwise(key)


def _settle(rest: pl.DataFrame) -> pl.DataFrame:
    """Distinct keys that are not plainly valid -> `value`, `verdict` ("ok", a code, or null
    when only the library can tell)."""
    key = pl.col("key")
    rest = rest.with_columns(
        pl.when(key.str.contains(_PLAINISH_RE)).then(_clean_plain(key)).alias("value")
    )
    value = pl.col("value")
    # `_clean` repeats its step until nothing changes: accept only a fixed point.
    stable = value.is_not_null() & (value != "") & (_clean_plain(value) == value)
    return rest.with_columns(
        pl.when(~stable)
        .then(None)
        .when(_fast_ok(value))
        .then(pl.lit("ok"))
        .when(value.str.contains(" ", literal=True))
        .then(pl.lit("email_invalid"))
        .otherwise(_fast_invalid(value))
        .alias("verdict")
    )


def _normalize_column(col: pl.Series, *, fast: bool = True) -> pl.DataFrame:
    """`email` and `email__code` for every row of `col`.

    Plainly valid addresses are accepted by `_fast_ok`; the other distinct values get an
    exact verdict from `_settle` where one applies, else go to `normalize_email`.
    `fast=False` sends every distinct value to `normalize_email` (for tests).
    """
    raw = pl.col("raw")
    frame = pl.DataFrame({"raw": col}, schema={"raw": pl.String})
    if fast:
        # `_precleaned` costs a second pass over every value to pick its ASCII or its
        # non-ASCII form. Nearly every trimmed value is ASCII and plainly valid: lower
        # them all, accept the plainly valid ASCII ones (such a `_lowered` value has no
        # space left to trim: it is their `_precleaned` value), and work out
        # `_precleaned` for the few others only.
        frame = frame.with_columns(raw.str.strip_chars().alias("trimmed"))
        trimmed = pl.col("trimmed")
        frame = frame.with_columns(_lowered(trimmed).alias("key"))
        ok = _is_ascii(trimmed) & _fast_ok(pl.col("key"))
    else:
        frame = frame.with_columns(_precleaned(raw).alias("key"))
        ok = pl.lit(False)
    frame = frame.with_columns(ok.fill_null(False).alias("ok"))
    todo = (
        frame.with_row_index("_id")
        .filter(~pl.col("ok") & raw.is_not_null())
        .select("_id", _precleaned(raw).alias("key"))
    )
    rest = todo.select("key").unique()
    if fast:
        rest = _settle(rest)
    else:
        rest = rest.with_columns(
            pl.lit(None, dtype=pl.String).alias("value"),
            pl.lit(None, dtype=pl.String).alias("verdict"),
        )
    slow = rest.filter(pl.col("verdict").is_null())["key"].to_list()
    results = apply_all(normalize_email, slow)
    slow_frame = pl.DataFrame(
        {"key": slow, "value": [r.value for r in results], "code": [r.code for r in results]},
        schema={"key": pl.String, "value": pl.String, "code": pl.String},
    )
    lookup = pl.concat(
        [
            rest.filter(pl.col("verdict").is_not_null()).select(
                "key",
                "value",
                pl.when(pl.col("verdict") != "ok").then(pl.col("verdict")).alias("code"),
            ),
            slow_frame,
        ]
    )
    # Only the few rows that were not plainly valid are joined to their results.
    done = todo.join(lookup, on="key", how="left")
    email = frame["key"].clone().rename("email")
    code = pl.repeat(None, frame.height, dtype=pl.String, eager=True).rename("email__code")
    if done.height:
        email = email.scatter(done["_id"], done["value"])
        code = code.scatter(done["_id"], done["code"])
    return pl.DataFrame([email, code])


_SCHEMA = {
    "email": pl.String,
    "email__code": pl.String,
    "email_domain": pl.String,
    "email_role": pl.Boolean,
    "email_free": pl.Boolean,
    "email_disposable": pl.Boolean,
    "email_suggestion": pl.String,
}


def _domain_table(domains: pl.Series) -> pl.DataFrame:
    """Per distinct domain: `email_disposable`, `_suggested` (a domain, or null)."""
    frame = pl.DataFrame({"email_domain": domains}, schema={"email_domain": pl.String})
    d = pl.col("email_domain")
    blocklist = pl.Series(sorted(_DISPOSABLE), dtype=pl.String).implode()
    # `_is_disposable` checks the domain and its parents of two labels or more. Non-ASCII
    # domains (the list is ASCII) are checked in Python.
    listed = d.str.contains(".", literal=True) & d.is_in(blocklist)
    frame = frame.with_columns(
        pl.when(_is_ascii(d)).then(listed).alias("email_disposable"),
        _maybe_typo(domains).alias("_maybe_typo"),
    )
    # Parents (mx.mailinator.com) only for domains with two dots or more: few, and with
    # one label less each round. A regular expression over every domain costs more.
    parent = pl.col("_parent")
    parents = frame.filter(
        ~pl.col("email_disposable") & (d.str.count_matches(".", literal=True) >= 2)
    ).select("email_domain", d.alias("_parent"))
    by_parent = []
    while parents.height:
        parents = parents.with_columns(parent.str.replace(r"^[^.]*\.", "")).filter(
            parent.str.contains(".", literal=True)
        )
        by_parent.append(parents.filter(parent.is_in(blocklist))["email_domain"])
    if by_parent:
        frame = frame.with_columns(
            pl.when(d.is_in(pl.concat(by_parent).implode()))
            .then(True)
            .otherwise(pl.col("email_disposable"))
            .alias("email_disposable")
        )
    # The few domains left to Python: non-ASCII ones and possible typos.
    need = frame.filter(pl.col("email_disposable").is_null() | pl.col("_maybe_typo"))
    names = need["email_domain"].to_list()
    fixes = pl.DataFrame(
        {
            "email_domain": names,
            "_disp": [_is_disposable(n) for n in names],
            "_suggested": [_suggest_domain(n) for n in names],
        },
        schema={"email_domain": pl.String, "_disp": pl.Boolean, "_suggested": pl.String},
    )
    return frame.join(fixes, on="email_domain", how="left").select(
        "email_domain",
        pl.coalesce("email_disposable", "_disp").alias("email_disposable"),
        "_suggested",
    )


# A role address (`_is_role`), tested on the whole address: the local part, or its part
# before a "+tag", is a role word. Cheaper than cutting out the local part of every row.
_ROLE_RE = "^(?:" + "|".join(re.escape(r) for r in sorted(ROLE_LOCAL_PARTS)) + ")[+@]"


def _suggestions(out: pl.DataFrame, table: pl.DataFrame) -> pl.Series:
    """`email_suggestion`: the address with its domain's `_suggested` domain. Mistyped
    domains are rare: only their rows are worked on."""
    typos = table.filter(pl.col("_suggested").is_not_null())
    suggestion = pl.repeat(None, out.height, dtype=pl.String, eager=True).rename("email_suggestion")
    d = pl.col("email_domain")
    rows = out.select(pl.arg_where(d.is_in(typos["email_domain"].implode()))).to_series()
    if rows.len():
        local, _ = split_once(pl.col("email"), "@")
        fixed = d.replace_strict(typos["email_domain"], typos["_suggested"], return_dtype=pl.String)
        suggestion.scatter(rows, out[rows].select(local + pl.lit("@") + fixed).to_series())
    return suggestion


_FREE = pl.Series(sorted(FREE_DOMAINS), dtype=pl.String)


def standardize_email(col: pl.Series) -> pl.DataFrame:
    """Normalize and flag a column of emails: one row per row of `col`, in order.

    Columns: ``email`` (the clean address; the cleaned text when invalid; null when
    empty), ``email__code``, and for valid addresses ``email_domain``, ``email_role``,
    ``email_free``, ``email_disposable``, ``email_suggestion`` (all null otherwise; the
    suggestion is null too when there is none).
    """
    out = _normalize_column(col)
    email = pl.col("email")
    valid = email.is_not_null() & pl.col("email__code").is_null()
    _, domain = split_once(email, "@")  # a valid address has exactly one "@"
    out = out.with_columns(
        pl.when(valid).then(domain).alias("email_domain"),
        pl.when(valid).then(email.str.contains(_ROLE_RE)).alias("email_role"),
    )
    # Flags are worked out once per distinct domain (maintain_order: measured faster).
    table = _domain_table(out["email_domain"].drop_nulls().unique(maintain_order=True))
    # Disposable and mistyped domains are few: test membership instead of joining the
    # whole table back to every row.
    d = pl.col("email_domain")
    disposable = table.filter(pl.col("email_disposable"))["email_domain"].implode()
    return (
        out.with_columns(
            pl.when(valid).then(d.is_in(_FREE.implode())).alias("email_free"),
            pl.when(valid).then(d.is_in(disposable)).alias("email_disposable"),
            _suggestions(out, table),
        )
        .select(list(_SCHEMA))
        .cast(_SCHEMA)  # type: ignore[arg-type]
    )


# --- deliverability (optional; needs DNS) ---------------------------------------------


def domain_accepts_mail(domain: str, resolver: Any = None) -> bool | None:
    """Whether `domain` has an MX record (or, failing that, an address): email-validator's
    own deliverability rules. None when DNS could not answer (no network, a timeout), so
    a flaky resolver never rejects anyone."""
    import dns.resolver
    from email_validator import EmailUndeliverableError
    from email_validator.deliverability import validate_email_deliverability

    try:
        ascii_domain = domain.encode("idna").decode("ascii")
        info = validate_email_deliverability(ascii_domain, domain, dns_resolver=resolver)
    except EmailUndeliverableError as e:
        # Only DNS's own answers are a "no": the library also wraps any unexpected error.
        definite = e.__cause__ is None or isinstance(
            e.__cause__, dns.resolver.NXDOMAIN | dns.resolver.NoAnswer
        )
        return False if definite else None
    except Exception:  # noqa: BLE001 - DNS trouble is "unknown", never "undeliverable"
        return None
    return None if info.get("unknown-deliverability") else True


def check_deliverability(
    domains: Sequence[str], lookup: Callable[[str], bool | None] = domain_accepts_mail
) -> set[str]:
    """The domains among `domains` that accept no mail; each looked up once, concurrently."""
    from concurrent.futures import ThreadPoolExecutor

    unique = sorted(set(domains))
    with ThreadPoolExecutor(max_workers=16) as pool:
        answers = list(pool.map(lookup, unique))
    return {d for d, ok in zip(unique, answers, strict=True) if ok is False}
