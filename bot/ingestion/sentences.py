"""Sentence splitting that keeps offsets: paragraphs, wrapped lines, CJK and Latin terminals, abbreviations."""
from __future__ import annotations

import re
from collections.abc import Iterator, Sequence

from bot.ingestion.decoding import _HAN

MAX_SENTENCE_CHARS = 1000


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
