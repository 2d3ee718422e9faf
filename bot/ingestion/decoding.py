"""Bytes to text (byte order marks, legacy Chinese and Western encodings, refusing binaries), and the text's language."""
from __future__ import annotations

import functools
import re
from collections.abc import Iterable
from dataclasses import dataclass

from bot.errors import BadDocument

LANG_EN, LANG_HANS, LANG_HANT = "en", "zh-Hans", "zh-Hant"


# --------------------------------------------------------------------------- decoding

_BINARY_MAGIC = (b"%PDF", b"\x89PNG", b"GIF8", b"\xff\xd8\xff", b"PK\x03\x04", b"\x1f\x8b", b"BZh", b"7z\xbc\xaf", b"\x7fELF", b"MZ")
_CONTROL_BYTES = bytes(b for b in range(32) if b not in b"\t\n\r\f\x0b\x1b") + b"\x7f"
_CONTROL_CHARS = re.compile(r"[\x00-\x08\x0e-\x1a\x1c-\x1f\x7f-\x9f\ufffd]")
_NONCHARACTERS = re.compile("[\ufdd0-\ufdef\ufffe\uffff]")  # for a program's internal use, never text
LEGACY_ENCODINGS = ("gb18030", "big5", "cp1252")  # Simplified Chinese, Traditional Chinese, Western


def decode_bytes(data: bytes, *, origin: str | None = None) -> str:
    """Decode a document's bytes to text, refusing binary, empty and undecodable data.

    UTF-8 (with or without BOM), BOM-marked UTF-16/32 and UTF-16 without a BOM (told by
    where its NUL bytes fall) are tried first, then charset-normalizer's best guess among
    ``LEGACY_ENCODINGS``: the legacy encodings of the languages Parley reads. Bytes that only make sense in another legacy encoding (e.g.
    Cyrillic cp1251) are refused as undecodable. Raises ``BadDocument``.
    """
    name = origin or "document"
    if not data.strip():
        raise BadDocument(f"{name}: empty", origin=origin)
    text = _decode_with_bom(data)
    if text is None or "\x00" in text:
        text = _decode_utf16_unmarked(data) or text
    if text is None:
        _refuse_binary(data, origin)
        text = _decode_guessing(data, origin)
    text = strip_noncharacters(text)
    if not text.strip():
        raise BadDocument(f"{name}: empty", origin=origin)
    # NUL never occurs in text (and PostgreSQL cannot store it); many controls mean binary
    if "\x00" in text or _control_ratio(text) > 0.05:
        raise BadDocument(f"{name}: looks binary (control characters)", origin=origin)
    return text


def _decode_with_bom(data: bytes) -> str | None:
    boms = ((b"\xef\xbb\xbf", "utf-8-sig"), (b"\xff\xfe\x00\x00", "utf-32"), (b"\x00\x00\xfe\xff", "utf-32"),
            (b"\xff\xfe", "utf-16"), (b"\xfe\xff", "utf-16"))
    for bom, codec in boms:
        if data.startswith(bom):
            try:
                return data.decode(codec)
            except UnicodeDecodeError:
                return None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return None


def strip_noncharacters(text: str) -> str:
    """``text`` without Unicode noncharacters: Parley's own citation mark is one, and a document must not forge it."""
    return _NONCHARACTERS.sub("", text)


def _decode_utf16_unmarked(data: bytes) -> str | None:
    """UTF-16 without a byte-order mark, told by where its NUL bytes fall; None when it is not that.

    Every space, line break, digit and Latin letter of UTF-16 text has a NUL byte on the same side
    of its two bytes (the second in little-endian, the first in big-endian), and any real text has
    some of those; binary data has NULs on both sides, or none.
    """
    sample = data[:65536]
    if len(data) % 2 or len(sample) < 4:
        return None
    even, odd = sample[0::2].count(0), sample[1::2].count(0)
    units = len(sample) // 2
    if max(even, odd) < max(2, units // 20) or min(even, odd) > max(even, odd) // 50:
        return None
    try:
        text = data.decode("utf-16-be" if even > odd else "utf-16-le")
    except UnicodeDecodeError:
        return None
    return None if "\x00" in text or _control_ratio(text) > 0.05 else text


def _refuse_binary(data: bytes, origin: str | None) -> None:
    head = data[:8192]
    if b"\x00" in head or head.startswith(_BINARY_MAGIC):
        raise BadDocument(f"{origin or 'document'}: binary content", origin=origin)
    controls = sum(head.count(bytes([b])) for b in _CONTROL_BYTES)
    if controls > len(head) * 0.05:
        raise BadDocument(f"{origin or 'document'}: binary content", origin=origin)


def _decode_guessing(data: bytes, origin: str | None) -> str:
    from charset_normalizer import from_bytes

    best = from_bytes(data[:200_000], cp_isolation=list(LEGACY_ENCODINGS)).best()
    if best is None or best.encoding is None or best.chaos > 0.25:
        raise BadDocument(f"{origin or 'document'}: undecodable text", origin=origin)
    try:
        return data.decode(best.encoding)
    except (UnicodeDecodeError, LookupError) as exc:
        raise BadDocument(f"{origin or 'document'}: undecodable text ({best.encoding})", origin=origin) from exc


def _control_ratio(text: str) -> float:
    sample = text[:20_000]
    return len(_CONTROL_CHARS.findall(sample)) / max(1, len(sample))


# --------------------------------------------------------------------------- language

_HAN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0002ffff]")
_LATIN = re.compile(r"[A-Za-z\u00c0-\u024f]")
_OTHER_LETTER = re.compile(r"[^\W\d_A-Za-z\u00c0-\u024f\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0002ffff]")
HAN_WEIGHT = 3  # one Han character carries about as much as three Latin letters


@functools.cache
def _opencc(config: str):
    import opencc

    return opencc.OpenCC(config)


def _han_variants(chars: Iterable[str]) -> dict[str, str]:
    """Map each Han character to "t" (only traditional), "s" (only simplified) or "" (shared)."""
    unique = sorted(set(chars))
    if not unique:
        return {}
    joined = "\n".join(unique)  # newlines stop phrase conversions from joining characters
    to_simplified = _opencc("t2s").convert(joined).split("\n")
    to_traditional = _opencc("s2t").convert(joined).split("\n")
    if len(to_simplified) != len(unique) or len(to_traditional) != len(unique):
        return {}
    variants = {}
    for char, simp, trad in zip(unique, to_simplified, to_traditional):
        is_trad, is_simp = simp != char, trad != char
        variants[char] = "t" if is_trad and not is_simp else "s" if is_simp and not is_trad else ""
    return variants


@dataclass(frozen=True)
class _Script:
    """Letter counts of a piece of text, enough to tell its language."""

    han: int
    latin: int
    other: int
    traditional: int
    simplified: int

    def zh_variant(self, fallback: str, *, clear: bool = False) -> str:
        """Hans or Hant by majority; with ``clear``, only a 2:1 majority of at least 2 overrides."""
        low = 2 if clear else 1
        if self.traditional >= low and self.traditional > self.simplified * (2 if clear else 1):
            return LANG_HANT
        if self.simplified >= low and self.simplified > self.traditional * (2 if clear else 1):
            return LANG_HANS
        return fallback

    def language(self, fallback: str) -> str:
        if self.han == 0 and self.latin == 0 and self.other == 0:
            return fallback
        if self.han * HAN_WEIGHT >= self.latin + self.other:
            return self.zh_variant(fallback if fallback != LANG_EN else LANG_HANS)
        return LANG_EN


def _script(text: str, variants: dict[str, str]) -> _Script:
    han = _HAN.findall(text)
    marks = [variants.get(c, "") for c in han]
    return _Script(len(han), len(_LATIN.findall(text)), len(_OTHER_LETTER.findall(text)), marks.count("t"), marks.count("s"))


def detect_language(text: str) -> str:
    """Tell "en", "zh-Hans" or "zh-Hant" for a piece of text.

    Chinese wins when Han characters outweigh other letters (one Han character counts as
    three letters); Simplified vs Traditional is decided by which OpenCC conversion (t2s or
    s2t) changes more characters, Simplified on a tie. Other scripts (Cyrillic, Arabic,
    kana...) are not told apart: the best guess among the three is "en" unless Han
    characters dominate, since downstream "en" means "space-separated words".
    """
    sample = text[:200_000]
    return _script(sample, _han_variants(_HAN.findall(sample))).language(LANG_EN)
