"""Dates in documents: date lines, dates in URLs, and year-less dates resolved against anchors."""
from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from urllib.parse import urlsplit

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
