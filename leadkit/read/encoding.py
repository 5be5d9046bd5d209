"""Text files to UTF-8: BOMs, UTF-16 with or without BOM, cp1252 and UTF-8 with stray cp1252
bytes; binary files refused with one line.

The file's own bytes are kept when they are UTF-8 (only a sample is checked: a body that turns
out not to be UTF-8 raises `NotUtf8` and is decoded again with `redecode`); other encodings are
decoded in Python and handed on as UTF-8.
"""

from __future__ import annotations

import codecs
import re
from dataclasses import dataclass

from leadkit.errors import InputError

# Encoding, delimiter and header are detected on a sample of SAMPLE_BYTES, grown up to
# MAX_SAMPLE_BYTES when its lines are too few to hold the header.
SAMPLE_BYTES = 1 << 20
MAX_SAMPLE_BYTES = 64 << 20
# A text file holds at most one NUL byte in this many bytes (else it is binary).
MAX_NUL_SHARE = 1000


def _latin1_bytes(err: UnicodeError) -> tuple[str, int]:
    """Bytes cp1252 leaves undefined (0x81, 0x8D, 0x8F, 0x90, 0x9D) decode as latin-1."""
    assert isinstance(err, UnicodeDecodeError)
    return chr(err.object[err.start]), err.start + 1


def _cp1252_bytes(err: UnicodeError) -> tuple[str, int]:
    """A byte that is not valid UTF-8 inside UTF-8 text decodes as cp1252 (then latin-1)."""
    assert isinstance(err, UnicodeDecodeError)
    byte = err.object[err.start : err.start + 1]
    return byte.decode("cp1252", errors="leadkit-latin1"), err.start + 1


codecs.register_error("leadkit-latin1", _latin1_bytes)
codecs.register_error("leadkit-cp1252", _cp1252_bytes)

# One valid multi-byte UTF-8 sequence: evidence that a file that is not valid UTF-8 as a whole
# is still mostly UTF-8 (with stray cp1252 bytes), rather than cp1252 text.
_UTF8_MULTIBYTE = re.compile(
    rb"[\xc2-\xdf][\x80-\xbf]|[\xe0-\xef][\x80-\xbf]{2}|[\xf0-\xf4][\x80-\xbf]{3}"
)

_MAGIC = (
    (b"\x89PNG", "a PNG image"),
    (b"GIF8", "a GIF image"),
    (b"\xff\xd8\xff", "a JPEG image"),
    (b"%PDF", "a PDF document"),
    (b"\x1f\x8b", "a gzip archive"),
    (b"PK\x03\x04", "a ZIP archive"),
    (b"\xd0\xcf\x11\xe0", "an OLE2 (legacy Office) file"),
)


class NotUtf8(Exception):
    """The body of a file taken for UTF-8 is not valid UTF-8."""


def _utf16_without_bom(head: bytes) -> str | None:
    """UTF-16 text without BOM: NUL bytes at every other position (ASCII-range characters)."""
    if len(head) < 4:
        return None
    even, odd = head[0::2], head[1::2]
    nul_even, nul_odd = even.count(0) / len(even), odd.count(0) / len(odd)
    if nul_odd > 0.3 and nul_even < 0.05:
        return "utf-16-le"
    if nul_even > 0.3 and nul_odd < 0.05:
        return "utf-16-be"
    return None


def _codec_name(name: str, encoding: str) -> str:
    try:
        return codecs.lookup(encoding).name
    except LookupError:
        raise InputError(
            f"{name}: unknown encoding '{encoding}' in the mapping's input hints"
        ) from None


def _decode_or_fail(name: str, data: bytes, codec: str) -> str:
    try:
        return data.decode(codec)
    except UnicodeDecodeError as exc:
        raise InputError(
            f"{name}: cannot be decoded as {codec} (byte 0x{data[exc.start]:02x} at offset {exc.start})"
        ) from None


_CJK = re.compile(r"[\u3040-\u30ff\u4e00-\u9fff]")


def _cp932(data: bytes) -> str | None:
    """Shift_JIS (cp932) text: decodes without error, and mostly into Japanese characters."""
    try:
        text = data.decode("cp932")
    except UnicodeDecodeError:
        return None
    wide = sum(1 for c in text[:65536] if ord(c) > 0x7F)
    return text if wide and len(_CJK.findall(text[:65536])) >= 0.6 * wide else None


def _legacy_decode(data: bytes) -> tuple[str, str]:
    """Text that is not valid UTF-8: cp932 (Japanese), cp1252, or UTF-8 with stray cp1252 bytes."""
    japanese = _cp932(data)  # first: Shift_JIS byte pairs can look like UTF-8 sequences
    if japanese is not None:
        return japanese, "cp932"
    if _UTF8_MULTIBYTE.search(data):
        return data.decode("utf-8", errors="leadkit-cp1252"), "utf-8+cp1252"
    return data.decode("cp1252", errors="leadkit-latin1"), "cp1252"


@dataclass
class Utf8Text:
    data: bytes  # UTF-8 bytes
    start: int  # bytes to skip (a UTF-8 BOM)
    encoding: str
    checked: bool  # True when the whole of `data` is known to be valid UTF-8


def to_utf8(name: str, data: bytes, hint: str | None) -> Utf8Text:
    if hint:
        codec = _codec_name(name, hint)
        if codec in ("utf-8", "utf-8-sig"):
            start = 3 if data.startswith(codecs.BOM_UTF8) else 0
            return Utf8Text(data, start, codec, checked=False)
        text = _decode_or_fail(name, data, codec).removeprefix("\ufeff")
        return Utf8Text(text.encode("utf-8"), 0, codec, checked=True)
    if data.startswith(codecs.BOM_UTF8):
        return Utf8Text(data, 3, "utf-8-sig", checked=False)
    for bom, codec in ((codecs.BOM_UTF16_LE, "utf-16-le"), (codecs.BOM_UTF16_BE, "utf-16-be")):
        if data.startswith(bom):
            text = _decode_or_fail(name, data[2:], codec)
            return Utf8Text(text.encode("utf-8"), 0, codec, checked=True)
    head = data[:8192]
    for magic, what in _MAGIC:
        if head.startswith(magic):
            raise InputError(f"{name}: binary file ({what}), not a text table")
    codec16 = _utf16_without_bom(head)
    if codec16:
        text = _decode_or_fail(name, data[: len(data) - len(data) % 2], codec16)
        return Utf8Text(text.encode("utf-8"), 0, codec16, checked=True)
    data = _without_nuls(name, data)
    head = data[:8192]
    controls = sum(
        head.count(bytes([b])) for b in (*range(1, 9), 11, 14, *range(16, 27), *range(28, 32))
    )
    if controls * 10 > len(head):
        raise InputError(f"{name}: binary file (control bytes), not a text table")
    sample = cut_sample(data, SAMPLE_BYTES)
    try:
        decode_sample(sample)
    except UnicodeDecodeError:
        text, codec = _legacy_decode(data)
        return Utf8Text(text.encode("utf-8"), 0, codec, checked=True)
    return Utf8Text(data, 0, "utf-8", checked=len(sample) == len(data))


def _without_nuls(name: str, data: bytes) -> bytes:
    """The same wherever they are: a few stray NUL bytes (padding, a damaged export) are
    dropped, as any control character would be; many make the file binary."""
    nuls = data.count(b"\x00")
    if not nuls:
        return data
    if nuls * MAX_NUL_SHARE > len(data) or b"\x00" * 16 in data:
        raise InputError(f"{name}: binary file (NUL bytes), not a text table")
    return data.replace(b"\x00", b"")


def decode_sample(sample: bytes) -> str:
    """UTF-8 text of a sample; a character cut in two at the sample's end is left out."""
    return codecs.getincrementaldecoder("utf-8")().decode(sample, final=False)


def cut_sample(data: bytes, size: int, start: int = 0) -> bytes:
    """The first `size` bytes from `start`, cut after a line end (never inside a character)."""
    if len(data) - start <= size:
        return data[start:]
    cut = data.rfind(b"\n", start, start + size)
    return data[start : cut + 1] if cut >= 0 else data[start : start + size]


def redecode(text: Utf8Text) -> Utf8Text:
    """The body turned out not to be valid UTF-8: decode the whole file again."""
    raw = text.data[text.start :]
    decoded, codec = _legacy_decode(raw)
    return Utf8Text(decoded.encode("utf-8"), 0, codec, checked=True)
