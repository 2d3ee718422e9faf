"""Document extraction: bytes, text and HTML to a titled, dated, attributed, sentence-split document.

Design notes
- Kept lines keep their characters exactly: answers quote sentences verbatim, so the only
  edits are normalising line endings, dropping whole lines (boilerplate, the title, the
  "Original url:" and date lines) and collapsing runs of blank lines. ``Sentence.text`` is
  always ``Extracted.text[start:end]`` and never spans a paragraph.
- The title is not part of ``text`` and not a sentence; it lives in ``Extracted.title``.
  When the first line reads like a paragraph rather than a headline (e.g. a dateline
  paragraph), it stays in the body and the title is its shortened first sentence.
- Patterns that vary by site (boilerplate lines, URL labels, outlet domains, footer
  signatures, agency names) are data in ``bot/data/*.yaml``.
- ``published`` is never invented: it comes from page metadata, a date line in the header,
  a dated dateline, or a date in the URL. A year-less date ("Nov 23") is resolved only
  against anchors: profile events (``context_events``) whose keyword and month-day are both
  mentioned in one paragraph and, failing those, explicit full dates in the document; the
  date then takes the year that puts it on/after the latest anchor, within a year.
- Work is bounded for hostile input: regexes are linear or run on bounded slices, giant
  sentences are cut, and oversized input is refused with ``BadDocument``.
"""
from __future__ import annotations

import functools
import logging
import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from urllib.parse import urlsplit

import yaml

from bot.errors import BadDocument

log = logging.getLogger(__name__)

DATA_DIR = Path(__file__).resolve().parent / "data"
MAX_INPUT_CHARS = 10_000_000
MAX_SENTENCE_CHARS = 1000
# Sentences stored (and embedded) per document; the rest of a longer text is kept but not split.
# Real articles have a few dozen, long reports a few hundred: this bounds the work a hostile page
# can cause (each sentence is embedded, read by the ledger and scored for the summary).
MAX_SENTENCES = 2_000
MAX_SPLIT_CHARS = 200_000  # and the characters split into them: 1 MB of 1,000-character lines is still too much to embed
# Letters among the non-space characters below which a "text" is not prose ("&&&&...", tables of symbols).
MIN_LETTER_SHARE = 0.15
# HTML longer than this is read in trafilatura's fast mode (no second, fallback extraction to compare).
FAST_HTML_CHARS = 1_000_000
TITLE_MAX_CHARS = 200
HEADER_LINES = 6  # date lines are looked for among the first non-empty lines only

LANG_EN, LANG_HANS, LANG_HANT = "en", "zh-Hans", "zh-Hant"


@dataclass(frozen=True)
class Sentence:
    """One sentence of ``Extracted.text``: ``text == Extracted.text[start:end]``."""

    start: int
    end: int
    text: str
    language: str
    paragraph: int


@dataclass(frozen=True)
class Extracted:
    """A document ready to store: metadata plus the cleaned body and its sentences."""

    title: str
    url: str | None
    outlet: str | None
    cited_agency: str | None
    published: date | None
    language: str
    text: str
    sentences: list[Sentence]


# --------------------------------------------------------------------------- rules (data)


@dataclass(frozen=True)
class _Rules:
    """The compiled contents of ``bot/data/outlets.yaml`` and ``boilerplate.yaml``."""

    max_line_chars: int
    url_label: re.Pattern
    boilerplate: re.Pattern  # every boilerplate line pattern, as one alternation
    signatures: tuple[tuple[re.Pattern, str | None], ...]
    domains: dict[str, str]
    agency_alias: dict[str, str]  # spelling (casefolded) -> canonical name
    agency_pattern: re.Pattern  # any known spelling, as a whole word
    not_agencies: frozenset[str]


@functools.cache
def _rules() -> _Rules:
    outlets = yaml.safe_load((DATA_DIR / "outlets.yaml").read_text("utf-8"))
    boiler = yaml.safe_load((DATA_DIR / "boilerplate.yaml").read_text("utf-8"))
    labels = "|".join(re.escape(label) for label in boiler["url_labels"])
    alias = {spelling.casefold(): name for name, spellings in outlets["agencies"].items() for spelling in spellings}
    spellings = sorted({s for ss in outlets["agencies"].values() for s in ss}, key=len, reverse=True)
    return _Rules(
        max_line_chars=int(boiler["max_line_chars"]),
        url_label=re.compile(rf"^\s*(?:{labels})\s*[:：]?\s*(?P<url>https?://\S+)?\s*$", re.I),
        boilerplate=re.compile("|".join(f"(?:{p})" for p in boiler["lines"]), re.I),
        signatures=tuple((re.compile(s["pattern"], re.I), s.get("outlet")) for s in outlets["signatures"]),
        domains={d.lower(): name for d, name in outlets["domains"].items()},
        agency_alias=alias,
        agency_pattern=re.compile("|".join(map(_whole_word, spellings))),
        not_agencies=frozenset(w.casefold() for w in outlets["not_agencies"]),
    )


def _whole_word(spelling: str) -> str:
    """A regex for a spelling; Latin ones must stand as whole words, Chinese has no word gaps."""
    escaped = re.escape(spelling)
    return rf"(?<![\w-]){escaped}(?![\w-])" if spelling.isascii() else escaped


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
    text = _NONCHARACTERS.sub("", text)  # Parley's own citation mark among them: a document must not forge one
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


# --------------------------------------------------------------------------- sentences

_CJK_TERMINALS = "。！？；"
_CLOSERS = "”’」』）)\"'》]"
_BOUNDARY = re.compile(rf"(?:[。！？；]+|[!?]+|\.{{3}}|…+|\.)[{re.escape(_CLOSERS)}]*")
_CJK_OPEN, _CJK_CLOSE = "“「『", "”」』"
_ABBREVIATIONS = frozenset(
    "mr mrs ms dr prof gen lt col maj sgt capt cmdr adm sen rep gov pres st jr sr rev fr "
    "vs etc cf al inc ltd co corp dept univ vol fig approx "
    "jan feb mar apr jun jul aug sep sept oct nov dec".split()
)
_TOKEN_BEFORE = re.compile(r"[\w.]{1,20}$")
_START_OK = re.compile(r"[\s]*(?:[A-Z0-9\"'“‘(\[«\u00c0-\u00de\u0400-\u042f]|[\u3400-\u9fff]|$)")
_QUOTE_SPAN = 300  # an unclosed CJK quote stops shielding its terminals after this many chars


def split_sentences(text: str) -> list[tuple[int, int]]:
    """Split text into sentence spans ``(start, end)``, never across paragraphs.

    Handles English (. ! ? ...) and Chinese (。！？；) terminators, closing quotes after a
    terminator, abbreviations (U.S., Nov., Mr.), initials, numbered list markers ("1. ..."),
    and lines that are headings or list items (each line is its own paragraph unless the
    block looks hard-wrapped). Sentences longer than ``MAX_SENTENCE_CHARS`` are cut.
    """
    return [span for _, span in _sentences_by_paragraph(text)]


def _sentences_by_paragraph(text: str) -> Iterator[tuple[int, tuple[int, int]]]:
    for index, (start, end) in enumerate(_paragraph_spans(text)):
        for span in _split_paragraph(text, start, end):
            yield index, span


def _paragraph_spans(text: str) -> list[tuple[int, int]]:
    """Paragraphs: blank-line separated blocks; in a block that isn't hard-wrapped, each line."""
    spans: list[tuple[int, int]] = []
    for block in _blocks(text):
        lines = _line_spans(text, *block)
        if _is_wrapped([text[s:e] for s, e in lines]):
            spans.append((lines[0][0], lines[-1][1]))
        else:
            spans.extend(lines)
    return spans


def _blocks(text: str) -> Iterator[tuple[int, int]]:
    start = None
    pos = 0
    for line in text.split("\n"):
        end = pos + len(line)
        if line.strip():
            start = pos if start is None else start
            last_end = end
        elif start is not None:
            yield start, last_end
            start = None
        pos = end + 1
    if start is not None:
        yield start, last_end


def _line_spans(text: str, start: int, end: int) -> list[tuple[int, int]]:
    spans, pos = [], start
    for line in text[start:end].split("\n"):
        stripped = line.strip()
        if stripped:
            lead = len(line) - len(line.lstrip())
            spans.append((pos + lead, pos + lead + len(stripped)))
        pos += len(line) + 1
    return spans


def _display_width(line: str) -> int:
    return len(line) + len(_HAN.findall(line[:400]))


def _is_wrapped(lines: Sequence[str]) -> bool:
    """A block is hard-wrapped when its lines are short and most run on without punctuation."""
    if len(lines) < 2 or any(_display_width(line) > 100 for line in lines):
        return False
    runs_on = sum(1 for line in lines[:-1] if _display_width(line) >= 30 and line.rstrip()[-1] not in ".!?:。！？；：”\"")
    return runs_on >= 0.6 * (len(lines) - 1)


def _split_paragraph(text: str, start: int, end: int) -> Iterator[tuple[int, int]]:
    seg_start = start
    for match in _BOUNDARY.finditer(text, start, end):
        if _is_boundary(text, match, seg_start, end):
            yield from _trimmed_pieces(text, seg_start, match.end())
            seg_start = match.end()
    yield from _trimmed_pieces(text, seg_start, end)


def _is_boundary(text: str, match: re.Match, seg_start: int, end: int) -> bool:
    mark = match.group()[0]
    if mark in _CJK_TERMINALS:
        return not _inside_cjk_quote(text, seg_start, match.end())
    after = text[match.end():min(end, match.end() + 3)]
    if after and not after[0].isspace() and not _HAN.match(after[0]):
        return False
    if not _START_OK.match(text, match.end(), min(end, match.end() + 40)):
        return False
    if match.group().startswith("."):
        return not _is_abbreviation(text, match.start(), seg_start)
    return True


def _inside_cjk_quote(text: str, seg_start: int, pos: int) -> bool:
    segment = text[seg_start:pos]
    depth, opened_at = 0, 0
    for offset, char in enumerate(segment):
        if char in _CJK_OPEN:
            depth, opened_at = depth + 1, offset if depth == 0 else opened_at
        elif char in _CJK_CLOSE and depth:
            depth -= 1
    return depth > 0 and len(segment) - opened_at < _QUOTE_SPAN


def _is_abbreviation(text: str, dot: int, seg_start: int) -> bool:
    """True when the period at ``dot`` ends an abbreviation, an initial or a list marker."""
    if text.startswith("...", dot):
        return False
    token_match = _TOKEN_BEFORE.search(text, max(seg_start, dot - 20), dot)
    if not token_match:
        return False
    token = token_match.group()
    bare = token.replace(".", "").lower()
    if bare in _ABBREVIATIONS or re.fullmatch(r"[A-Z]", token) or re.fullmatch(r"(?:[A-Za-z]\.)+[A-Za-z]", token):
        return True
    # "1. Recognition of ..." at the start of a paragraph is a list marker, not a sentence
    return token.isdigit() and not text[seg_start:token_match.start()].strip()


def _trimmed_pieces(text: str, start: int, end: int) -> Iterator[tuple[int, int]]:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    while end - start > MAX_SENTENCE_CHARS:
        cut = _cut_point(text, start, start + MAX_SENTENCE_CHARS)
        yield start, cut
        start = cut
        while start < end and text[start].isspace():
            start += 1
    if end > start:
        yield start, end


def _cut_point(text: str, start: int, limit: int) -> int:
    window = text[start:limit]
    for separators in ("，,;；", " \t\n"):
        cut = max(window.rfind(sep) for sep in separators)
        if cut > len(window) // 2:
            return start + cut + 1
    return limit


# --------------------------------------------------------------------------- dates

_MONTHS = {
    "jan": 1, "feb": 2, "mar": 3, "apr": 4, "may": 5, "jun": 6,
    "jul": 7, "aug": 8, "sep": 9, "oct": 10, "nov": 11, "dec": 12,
}
_MONTH_NAME = (r"(?:Jan(?:uary)?|Feb(?:ruary)?|Mar(?:ch)?|Apr(?:il)?|May|June?|July?|Aug(?:ust)?"
               r"|Sep(?:t(?:ember)?)?|Oct(?:ober)?|Nov(?:ember)?|Dec(?:ember)?)")
_DATE_PATTERNS = (
    re.compile(rf"\b(?P<month>{_MONTH_NAME})\.?\s+(?P<day>\d{{1,2}})(?:st|nd|rd|th)?\b(?:,?\s+(?P<year>\d{{4}})\b)?"),
    re.compile(rf"\b(?P<day>\d{{1,2}})(?:st|nd|rd|th)?\s+(?:of\s+)?(?P<month>{_MONTH_NAME})\b\.?(?:,?\s+(?P<year>\d{{4}})\b)?"),
    re.compile(r"(?:(?P<year>\d{4})\s*年\s*)?(?<!\d)(?P<month>\d{1,2})\s*月\s*(?P<day>\d{1,2})\s*[日号號]"),
    re.compile(r"(?<![\d/-])(?P<year>\d{4})-(?P<month>\d{1,2})-(?P<day>\d{1,2})(?![\d-])"),
    re.compile(r"(?<![\d/])(?P<year>\d{4})/(?P<month>\d{1,2})/(?P<day>\d{1,2})(?![\d/])"),
)
_URL_DATE = (
    re.compile(r"/(?P<year>(?:19|20)\d{2})/(?P<month>\d{1,2})/(?P<day>\d{1,2})(?:/|$)"),
    re.compile(r"(?<!\d)(?P<year>(?:19|20)\d{2})-(?P<month>\d{2})-(?P<day>\d{2})(?!\d)"),
    re.compile(r"/(?P<year>(?:19|20)\d{2})(?P<month>\d{2})(?P<day>\d{2})/"),
)
_DATE_LINE_REST = re.compile(  # what may surround the date on a date-only line
    r"(?:\b(?:published|updated|posted|last updated|date|on|at|发布时间|發佈時間|發布時間|发布于|發布於|更新|日期|时间|時間"
    r"|monday|tuesday|wednesday|thursday|friday|saturday|sunday|mon|tue|wed|thu|fri|sat|sun"
    r"|星期[一二三四五六日天]|周[一二三四五六日]|週[一二三四五六日]"
    r"|\d{1,2}:\d{2}(?::\d{2})?|[ap]m|utc|gmt|[a-z]{1,3}[sd]t|msk|kyiv|moscow|beijing)\b"
    r"|[ap]\.m\.|[\s,|·:：()（）/–—-])*",
    re.I,
)


@dataclass(frozen=True)
class _DateMention:
    """A date written in the text; ``year`` is None when the text gave only month and day."""

    start: int
    month: int
    day: int
    year: int | None

    def as_date(self, year: int | None = None) -> date | None:
        return _valid_date(year or self.year, self.month, self.day)


def _valid_date(year: int | None, month: int, day: int) -> date | None:
    if year is None or not 1900 <= year <= 2100:
        return None
    try:
        return date(year, month, day)
    except ValueError:
        return None


def _month_number(value: str) -> int:
    return int(value) if value.isdigit() else _MONTHS[value[:3].lower()]


def _date_mentions(text: str) -> list[_DateMention]:
    """Every explicit date in the text (English, Chinese, ISO), with or without a year."""
    found: dict[int, _DateMention] = {}
    for pattern in _DATE_PATTERNS:
        for match in pattern.finditer(text):
            year = int(match["year"]) if match["year"] else None
            mention = _DateMention(match.start(), _month_number(match["month"]), int(match["day"]), year)
            if 1 <= mention.month <= 12 and 1 <= mention.day <= 31 and match.start() not in found:
                found[match.start()] = mention
    return [found[pos] for pos in sorted(found)]


def _date_in_url(url: str | None) -> date | None:
    if not url:
        return None
    path = urlsplit(url).path
    for pattern in _URL_DATE:
        match = pattern.search(path)
        if match and (found := _valid_date(int(match["year"]), int(match["month"]), int(match["day"]))):
            return found
    return None


def _date_line(line: str) -> _DateMention | None:
    """The date of a line that holds nothing but a date (and labels, weekday, time)."""
    if len(line) > 80:
        return None
    mentions = _date_mentions(line)
    if len(mentions) != 1:
        return None
    match_end = _mention_end(line, mentions[0])
    rest = line[:mentions[0].start] + " " + line[match_end:]
    return mentions[0] if _DATE_LINE_REST.fullmatch(rest) else None


def _mention_end(line: str, mention: _DateMention) -> int:
    for pattern in _DATE_PATTERNS:
        match = pattern.match(line, mention.start)
        if match:
            return match.end()
    return mention.start


def _anchors(paragraphs: Sequence[str], events: Iterable[tuple[date, Sequence[str]]]) -> list[date]:
    """Dates the publication cannot precede: profile events mentioned by keyword and month-day."""
    found = []
    for event_date, keywords in events:
        for paragraph in paragraphs:
            folded = paragraph.casefold()
            if not any(k.casefold() in folded for k in keywords if k):
                continue
            if any((m.month, m.day) == (event_date.month, event_date.day) and m.year in (None, event_date.year)
                   for m in _date_mentions(paragraph)):
                found.append(event_date)
                break
    return found


def _resolve_year(month: int, day: int, anchors: Sequence[date]) -> date | None:
    """The first (month, day) on or after the latest anchor, or None without anchors."""
    if not anchors:
        return None
    anchor = max(anchors)
    for year in (anchor.year, anchor.year + 1):
        candidate = _valid_date(year, month, day)
        if candidate and 0 <= (candidate - anchor).days < 366:
            return candidate
    return None


# --------------------------------------------------------------------------- attribution

_DATELINE = re.compile(
    r"^(?P<place>[A-Z][\w.'’ ]{1,40}(?:,\s*[\w.'’ ]{1,40}?)?)\s*"
    r"(?:\((?P<agency>[A-Za-z][\w.&/ -]{0,30}?)\)\s*)?[—–-]{1,2}\s"
)
_ZH_DATELINE = re.compile(
    r"^[【\[]?(?P<agency>[\u4e00-\u9fff]{2,6}?(?:社|网|網|报|報|台))(?:记者|記者)?[\u4e00-\u9fff ]{0,12}?"
    r"(?:(?P<year>\d{4})年)?(?P<month>\d{1,2})月(?P<day>\d{1,2})日(?:电|電|讯|訊)"
)
_TITLE_SUFFIX = re.compile(r"^(?P<title>.*\S)\s+[–—-]{1,2}\s+(?P<name>[^–—]{2,40})$")
_GENERIC_NAME = re.compile(r"(?:[A-Z][\w.&'’-]*|of|the|and|de)(?: (?:[A-Z][\w.&'’-]*|of|the|and|de)){0,3}")
_SOURCE_LINE = re.compile(r"^\s*(?:Source|Sources|来源|來源|消息来源|消息來源)\s*[:：]\s*(?P<name>[^,，;；(（\n]{2,60})", re.I | re.M)


def _agency_name(raw: str, *, generic: bool) -> str | None:
    """Canonical name for a source named in a relay; unknown names only when ``generic``."""
    name = raw.strip().strip("\"'“”‘’.")
    rules = _rules()
    if name.casefold() in rules.agency_alias:
        return rules.agency_alias[name.casefold()]
    if not generic or name.casefold() in rules.not_agencies or any(c.isdigit() for c in name):
        return None
    return name if _GENERIC_NAME.fullmatch(name) and name[0].isupper() else None


def _dateline_agency(raw: str) -> str | None:
    """The agency in a dateline's parentheses: "(Reuters)", "(V7N)"; digits are fine here."""
    known = _agency_name(raw, generic=False)
    if known:
        return known
    name = raw.strip()
    if name.casefold() in _rules().not_agencies or not re.fullmatch(r"[A-Z][\w.&/-]*(?: [A-Z][\w.&/-]*){0,3}", name):
        return None
    return name


def _split_title_suffix(title: str) -> tuple[str, str | None]:
    """"Headline – Reuters" -> ("Headline", "Reuters"); other titles are returned unchanged."""
    match = _TITLE_SUFFIX.match(title)
    if not match:
        return title, None
    name = _agency_name(match["name"], generic=True)
    return (match["title"], name) if name else (title, None)


def _relayed_agency(text: str) -> str | None:
    """The first known agency the body relays: "according to X", "X reported", "据X报道"..."""
    rules = _rules()
    for match in rules.agency_pattern.finditer(text):
        if _is_relay_context(text, match.start(), match.end()):
            return rules.agency_alias[match.group().casefold()]
    return None


_RELAY_BEFORE = re.compile(r"(?:[Aa]ccording to(?: the)?|[Cc]iting(?: the)?|[Rr]eported by(?: the)?|据|據|援引|引述)\s*(?:[^\s，。]{0,10}《)?\s*$")
_RELAY_AFTER = re.compile(
    r"^(?:'s)?\s*(?:[\w-]+ ){0,3}?(?:reported|reports|writes|wrote|says|said|cited|quoted|newspaper|news agency)\b"
    r"|^[^，。]{0,12}(?:报道|報道|报导|報導|称|稱|说|說)"
)


def _is_relay_context(text: str, start: int, end: int) -> bool:
    return bool(_RELAY_BEFORE.search(text[max(0, start - 25):start]) or _RELAY_AFTER.match(text[end:end + 40]))


def _domain_outlet(url: str | None) -> str | None:
    """The outlet a URL belongs to per outlets.yaml, else None."""
    host = _host(url)
    if not host:
        return None
    domains = _rules().domains
    parts = host.split(".")
    for i in range(len(parts) - 1):
        if ".".join(parts[i:]) in domains:
            return domains[".".join(parts[i:])]
    return None


def _host(url: str | None) -> str | None:
    if not url:
        return None
    try:
        host = urlsplit(url).hostname
    except ValueError:
        return None
    return host.lower().removeprefix("www.") if host else None


def registrable_domain(url: str | None) -> str | None:
    """The registrable domain of a URL ("https://news.example.org/x" -> "example.org")."""
    host = _host(url)
    if not host:
        return None
    from tld import get_fld

    return get_fld(host, fix_protocol=True, fail_silently=True) or host


def outlet_for_url(url: str | None) -> str | None:
    """The outlet named in outlets.yaml for a URL's domain, else its registrable domain."""
    return _domain_outlet(url) or registrable_domain(url)


# --------------------------------------------------------------------------- line cleaning


@dataclass
class _Lines:
    """The document's lines with a keep flag each, plus what was learnt from dropped lines."""

    lines: list[str]
    keep: list[bool]
    stated_url: str | None = None
    signature_outlet: str | None = None
    date_line: _DateMention | None = None

    def kept(self) -> Iterator[int]:
        return (i for i, line in enumerate(self.lines) if self.keep[i] and line.strip())


def _normalise_lines(raw: str) -> list[str]:
    return [line.rstrip() for line in raw.replace("\r\n", "\n").replace("\r", "\n").split("\n")]


def _take_url_lines(doc: _Lines) -> None:
    rules = _rules()
    for i in list(doc.kept()):
        line = doc.lines[i]
        if len(line) > rules.max_line_chars + 2000 or not (match := rules.url_label.match(line)):
            continue
        doc.keep[i] = False
        url = match["url"] or _url_on_next_line(doc, i)
        if url and doc.stated_url is None:
            doc.stated_url = url.rstrip(".,;)>]")


def _url_on_next_line(doc: _Lines, index: int) -> str | None:
    for j in range(index + 1, min(len(doc.lines), index + 4)):
        candidate = doc.lines[j].strip()
        if not candidate:
            continue
        if re.fullmatch(r"<?https?://\S+>?", candidate):
            doc.keep[j] = False
            return candidate.strip("<>")
        return None
    return None


def _take_signatures(doc: _Lines) -> None:
    rules = _rules()
    for i in doc.kept():
        line = doc.lines[i].strip()
        if len(line) > rules.max_line_chars:
            continue
        for pattern, outlet in rules.signatures:
            match = pattern.fullmatch(line)
            if match:
                doc.keep[i] = False
                named = outlet or (match.groupdict().get("name") or "").strip() or None
                doc.signature_outlet = named or doc.signature_outlet
                break


def _drop_boilerplate(doc: _Lines) -> None:
    rules = _rules()
    for i in doc.kept():
        line = doc.lines[i].strip()
        if len(line) <= rules.max_line_chars and rules.boilerplate.fullmatch(line):
            log.debug("dropping boilerplate line %r", line[:80])
            doc.keep[i] = False


def _take_date_lines(doc: _Lines, skip: int | None) -> None:
    """Drop date-only lines among the first non-empty lines; remember the first date."""
    for count, i in enumerate(doc.kept()):
        if count >= HEADER_LINES:
            break
        if i == skip:
            continue
        mention = _date_line(doc.lines[i].strip())
        if mention:
            doc.keep[i] = False
            doc.date_line = doc.date_line or mention


def _looks_like_title(line: str) -> bool:
    line = line.strip()
    if len(line) > TITLE_MAX_CHARS or line[-1] in ".。":
        return False
    return len(list(_split_paragraph(line, 0, len(line)))) <= 1


def _assemble(doc: _Lines) -> str:
    """Kept lines joined by newlines; runs of blank lines become one blank line."""
    out: list[str] = []
    for i, line in enumerate(doc.lines):
        if not doc.keep[i]:
            continue
        if line.strip() or (out and out[-1].strip()):
            out.append(line)
    while out and not out[-1].strip():
        out.pop()
    return "\n".join(out)


# --------------------------------------------------------------------------- pipeline


@dataclass(frozen=True)
class _Hints:
    """Metadata known before reading the text (page metadata, the URL it came from)."""

    title: str | None = None
    url: str | None = None
    published: date | None = None
    sitename: str | None = None


def extract_text(raw: str, *, url: str | None = None, origin: str | None = None,
                 context_events: Sequence[tuple[date, Sequence[str]]] = ()) -> Extracted:
    """Extract a plain-text article: title (first line), metadata, cleaned body and sentences.

    ``url`` is where the text came from, if anywhere; a URL stated in the text ("Original
    url:", "原始链接:") takes precedence. ``context_events`` are (date, keywords) pairs from the
    profile, used only to give a year-less dateline its year. Raises ``BadDocument``.
    """
    return _extract(_NONCHARACTERS.sub("", raw), _Hints(url=url), origin, context_events)


def extract_html(html: str, *, url: str | None = None, origin: str | None = None,
                 context_events: Sequence[tuple[date, Sequence[str]]] = ()) -> Extracted:
    """Extract an HTML page: trafilatura finds the main text and metadata, then as extract_text."""
    _check_size(html, origin)
    hints, body = _trafilatura(_NONCHARACTERS.sub("", html), url, origin)
    return _extract(body, hints, origin, context_events)


def _check_readable(text: str, origin: str | None) -> None:
    """Refuse a "text" that is hardly letters at all (a page of ``&amp;``): it says nothing and costs much."""
    sample = "".join(text[:200_000].split())
    letters = sum(1 for char in sample if char.isalpha())
    if sample and letters < MIN_LETTER_SHARE * len(sample):
        raise BadDocument(f"{origin or 'document'}: no readable text ({letters / len(sample):.0%} letters)", origin=origin)


def _check_size(raw: str, origin: str | None) -> None:
    if len(raw) > MAX_INPUT_CHARS:
        raise BadDocument(f"{origin or 'document'}: too large ({len(raw)} characters)", origin=origin)


def _trafilatura(html: str, url: str | None, origin: str | None) -> tuple[_Hints, str]:
    import trafilatura

    try:
        found = trafilatura.bare_extraction(
            html, url=url, with_metadata=True, include_comments=False, include_tables=True,
            fast=len(html) > FAST_HTML_CHARS,  # the fallback extractors' second pass costs most on huge pages
            date_extraction_params={"extensive_search": False, "original_date": True},
        )
    except (RecursionError, ValueError, TypeError, MemoryError) as exc:
        raise BadDocument(f"{origin or url or 'document'}: unreadable HTML ({type(exc).__name__})", origin=origin) from exc
    if found is None or not (found.text or "").strip():
        raise BadDocument(f"{origin or url or 'document'}: no main text found in the HTML", origin=origin)
    page_url = found.url if found.url and found.url.startswith(("http://", "https://")) else url
    published = _iso_date(found.date)
    return _Hints(title=(found.title or "").strip() or None, url=page_url, published=published,
                  sitename=(found.sitename or "").strip() or None), _one_paragraph_per_line(found.text)


def _one_paragraph_per_line(text: str) -> str:
    """trafilatura puts one paragraph per line; blank lines keep them from looking hard-wrapped."""
    return "\n\n".join(line for line in text.split("\n") if line.strip())


def _iso_date(value: str | None) -> date | None:
    try:
        return date.fromisoformat(value[:10]) if value else None
    except ValueError:
        return None


def _extract(raw: str, hints: _Hints, origin: str | None, events: Sequence[tuple[date, Sequence[str]]]) -> Extracted:
    _check_size(raw, origin)
    doc = _Lines(_normalise_lines(raw), [])
    doc.keep = [True] * len(doc.lines)
    _take_url_lines(doc)
    _take_signatures(doc)
    _drop_boilerplate(doc)
    title, title_index = _choose_title(doc, hints.title)
    _take_date_lines(doc, skip=title_index)
    if title_index is not None:
        doc.keep[title_index] = False
    text = _assemble(doc)
    if not text.strip():
        text = title  # a one-line document: its only line is both title and body
    if not text.strip():
        raise BadDocument(f"{origin or 'document'}: no text", origin=origin)
    _check_readable(text, origin)
    return _describe(doc, text, title, hints, events)


def _choose_title(doc: _Lines, given: str | None) -> tuple[str, int | None]:
    """The title and the index of its line: the first non-date line, or the given title."""
    for count, i in enumerate(doc.kept()):
        line = doc.lines[i].strip()
        if count < HEADER_LINES and _date_line(line):
            continue
        if given:
            return given, (i if line == given.strip() else None)
        if _looks_like_title(line):
            return line, i
        return _title_from_paragraph(line), None
    return (given or ""), None


def _title_from_paragraph(line: str) -> str:
    """A title for a document that starts with a paragraph: its first sentence, shortened."""
    line = line[:5000]
    dateline = _DATELINE.match(line)
    if dateline and (dateline["agency"] or _date_mentions(dateline["place"])):
        line = line[dateline.end():]
    first = next(iter(_split_paragraph(line, 0, len(line))), (0, len(line)))
    sentence = line[first[0]:first[1]]
    if len(sentence) <= TITLE_MAX_CHARS:
        return sentence
    cut = sentence.rfind(" ", 0, TITLE_MAX_CHARS)
    return sentence[:cut if cut > TITLE_MAX_CHARS // 2 else TITLE_MAX_CHARS].rstrip(" ,;:") + "…"


def _describe(doc: _Lines, text: str, title: str, hints: _Hints,
              events: Sequence[tuple[date, Sequence[str]]]) -> Extracted:
    url = doc.stated_url or hints.url
    clean_title, title_agency = _split_title_suffix(title)
    dateline_agency, dateline_date = _dateline(text)
    outlet = _choose_outlet(url, hints.sitename, doc.signature_outlet, dateline_agency)
    source_line = _SOURCE_LINE.search(text[:20_000])
    candidates = (title_agency, _agency_name(source_line["name"], generic=True) if source_line else None,
                  dateline_agency, _relayed_agency(text[:50_000]))
    cited = next((c for c in candidates if c and c != outlet), None)
    paragraphs = _paragraph_spans(text)
    published = _choose_published(doc, url, hints.published, dateline_date, [text[s:e] for s, e in paragraphs], events)
    language, sentences = _sentences(text, paragraphs)
    return Extracted(title=clean_title, url=url, outlet=outlet, cited_agency=cited, published=published,
                     language=language, text=text, sentences=sentences)


def _dateline(text: str) -> tuple[str | None, _DateMention | None]:
    """Agency and date of a dateline opening the body: "Moscow, Nov 23 (V7N) —", "新华社莫斯科3月13日电"."""
    head = text[:300]
    first_line = head.split("\n", 1)[0]
    match = _DATELINE.match(first_line)
    if match:
        agency = _dateline_agency(match["agency"]) if match["agency"] else None
        mentions = _date_mentions(match["place"])
        return agency, (mentions[0] if mentions else None)
    zh = _ZH_DATELINE.match(first_line)
    if zh:
        year = int(zh["year"]) if zh["year"] else None
        return _agency_name(zh["agency"], generic=False) or zh["agency"], _DateMention(0, int(zh["month"]), int(zh["day"]), year)
    return None, None


def _choose_outlet(url: str | None, sitename: str | None, signature: str | None, dateline_agency: str | None) -> str | None:
    """Known domain, then page site name, then footer signature, then the domain, then the dateline."""
    return _domain_outlet(url) or sitename or signature or registrable_domain(url) or dateline_agency


def _choose_published(doc: _Lines, url: str | None, meta: date | None, dateline: _DateMention | None,
                      paragraphs: Sequence[str], events: Sequence[tuple[date, Sequence[str]]]) -> date | None:
    """Publication date from evidence only; see the module docstring for the order."""
    if meta:
        return meta
    for mention in (doc.date_line, dateline):
        if mention and mention.year and (full := mention.as_date()):
            return full
    if from_url := _date_in_url(url):
        return from_url
    yearless = next((m for m in (doc.date_line, dateline) if m and m.year is None), None)
    if yearless is None:
        return None
    anchors = _anchors(paragraphs, events)
    if not anchors:
        anchors = [d for p in paragraphs for m in _date_mentions(p) if m.year and (d := m.as_date())]
    return _resolve_year(yearless.month, yearless.day, anchors)


def _sentences(text: str, paragraphs: Sequence[tuple[int, int]]) -> tuple[str, list[Sentence]]:
    """The document's language and its sentences, each tagged with its own language."""
    variants = _han_variants(_HAN.findall(text[:2_000_000]))
    doc_script = _script(text, variants)
    doc_variant = doc_script.zh_variant(LANG_HANS)
    language = doc_script.language(doc_variant)
    sentences: list[Sentence] = []
    for index, (p_start, p_end) in enumerate(paragraphs):
        p_lang = _passage_language(_script(text[p_start:p_end], variants), doc_variant)
        for start, end in _split_paragraph(text, p_start, p_end):
            if len(sentences) >= MAX_SENTENCES or start >= MAX_SPLIT_CHARS:
                log.warning("stopped at %s sentences (character %s); the rest of the text is kept but not split",
                            len(sentences), start)
                return language, sentences
            s_lang = _sentence_language(_script(text[start:end], variants), p_lang, doc_variant)
            sentences.append(Sentence(start, end, text[start:end], s_lang, index))
    return language, sentences


def _passage_language(script: _Script, doc_variant: str) -> str:
    language = script.language(doc_variant)
    return script.zh_variant(doc_variant, clear=True) if language != LANG_EN else language


def _sentence_language(script: _Script, paragraph: str, doc_variant: str) -> str:
    """A sentence keeps its paragraph's language unless its own letters clearly say otherwise."""
    if paragraph == LANG_EN:
        return _passage_language(script, doc_variant) if script.han else LANG_EN
    if script.han == 0:
        return LANG_EN if script.latin else paragraph
    return script.zh_variant(paragraph, clear=True)
