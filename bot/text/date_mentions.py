"""Dates in English and Chinese text, read into fields that compare across languages.

2025年3月19日, "March 19, 2025" and "19 March" are one date; a stated weekday ("on Tuesday", 周二) is kept,
so that a claim's weekday can be checked against the evidence (``date_supported``).
"""
from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from functools import lru_cache

from bot.text.numerals import _LATIN_WORD, _ZH_DIGITS, _matches_at, _value

@dataclass(frozen=True)
class DateMention:
    """A calendar date as far as a text states it: any of year, month, day and weekday (0 = Monday)."""

    year: int | None = None
    month: int | None = None
    day: int | None = None
    weekday: int | None = None
    start: int = 0
    end: int = 0

    def fields(self) -> dict[str, int]:
        return {k: v for k, v in (("year", self.year), ("month", self.month), ("day", self.day),
                                  ("weekday", self.weekday)) if v is not None}


_MONTHS = {name.lower(): i for i, name in enumerate(calendar.month_name) if name}
_MONTHS |= {name.lower(): i for i, name in enumerate(calendar.month_abbr) if name} | {"sept": 9}
_MONTH = r"(?P<{g}>" + "|".join(sorted(_MONTHS, key=len, reverse=True)) + r")\.?"
_WEEKDAYS = {name.lower(): i for i, name in enumerate(calendar.day_name)}
_WEEKDAY = r"(?P<wd>" + "|".join(_WEEKDAYS) + r")"
_DATE_EN = re.compile(
    rf"\b(?:{_WEEKDAY},?\s+)?(?:"
    rf"{_MONTH.format(g='m1')}\s+(?P<d1>\d{{1,2}})(?:st|nd|rd|th)?\b(?:,?\s+(?P<y1>(?:19|20)\d\d)\b)?"
    rf"|(?P<d2>\d{{1,2}})(?:st|nd|rd|th)?\s+(?:of\s+)?{_MONTH.format(g='m2')}(?:,?\s+(?P<y2>(?:19|20)\d\d)\b)?"
    rf"|{_MONTH.format(g='m3')}\s+(?:of\s+)?(?P<y3>(?:19|20)\d\d)\b"
    rf")|\b(?P<wd2>" + "|".join(_WEEKDAYS) + r")\b|\b(?P<iy>(?:19|20)\d\d)-(?P<im>\d\d)-(?P<id>\d\d)\b"
    r"|(?<![\d,.$€£])\b(?P<y4>(?:19|20)\d\d)(?![\d%]|[.,]\d|\s*(?:%|percent|per cent|thousand|million|billion|km|square"
    r"|troops|soldiers|people|prisoners|bodies|votes|times|drones|missiles|countries|households|civilians)\b)",
    re.I)
_ZH_DIGIT_OR = rf"(?:\d+|[{''.join(_ZH_DIGITS)}十]+)"
_DATE_ZH = re.compile(
    r"(?:周|週|星期|礼拜|禮拜)(?P<wd>[一二三四五六日天])"
    rf"|(?=[\d{''.join(_ZH_DIGITS)}十])(?:(?P<y>\d{{4}}|[{''.join(_ZH_DIGITS)}]{{4}})\s*年)?\s*(?:(?P<m>{_ZH_DIGIT_OR})\s*月"
    rf"(?![份]))?\s*(?:(?P<d>{_ZH_DIGIT_OR})\s*[日号號])?")
# Cheap tests that a text may hold a date at all, so most sentences skip the long patterns.
_ZH_DATE_HINT = re.compile(r"[年月日号號]|周|週|星期|礼拜|禮拜")
_EN_DATE_WORDS = frozenset([*_MONTHS, *_WEEKDAYS])
_YEAR_OR_ISO = re.compile(r"(?<!\d)(?:19|20)\d\d(?!\d)")
_ZH_WEEKDAYS = {"一": 0, "二": 1, "三": 2, "四": 3, "五": 4, "六": 5, "日": 6, "天": 6}


def dates_in(text: str) -> list[DateMention]:
    """Dates stated in ``text``: "March 19, 2025", "19 March", "Tuesday", "2025-03-19", "in 2025", 2025年3月19日, 19日, 周二."""
    found: list[DateMention] = []
    zh = _ZH_DATE_HINT.search(text) is not None
    en = not _EN_DATE_WORDS.isdisjoint(_LATIN_WORD.findall(text.lower())) or _YEAR_OR_ISO.search(text) is not None
    for match in _DATE_ZH.finditer(text) if zh else ():
        if not match.group(0).strip():
            continue
        if match.group("wd"):
            found.append(DateMention(weekday=_ZH_WEEKDAYS[match.group("wd")], start=match.start(), end=match.end()))
            continue
        year, month, day = (_date_part(match.group(k)) for k in ("y", "m", "d"))
        if year is None and month is None and day is None:
            continue
        if (month is not None and not 1 <= month <= 12) or (day is not None and not 1 <= day <= 31):
            continue
        if month is not None and day is None and year is None and text[match.end():match.end() + 1] in ("以", "之", "内", "內"):
            continue  # 三个月内 is a duration, read as a figure
        found.append(DateMention(year, month, day, None, *_stripped_span(match)))
    for match in _matches_at(_DATE_EN, text, _EN_DATE_WORDS, digits=True) if en else ():
        if any(s < match.end() and match.start() < e for s, e in ((d.start, d.end) for d in found)):
            continue  # the year of 2025年3月19日 is part of the Chinese date
        g = match.groupdict()
        if g["iy"]:
            found.append(DateMention(int(g["iy"]), int(g["im"]), int(g["id"]), None, *match.span()))
            continue
        month = g["m1"] or g["m2"] or g["m3"]
        if month and month.lower() == "may" and not month[0].isupper():
            continue  # "may" is also a verb: only "May" capitalized is the month
        weekday = g["wd"] or g["wd2"]
        year = g["y1"] or g["y2"] or g["y3"] or g["y4"]
        day = g["d1"] or g["d2"]
        found.append(DateMention(int(year) if year else None, _MONTHS[month.lower()] if month else None,
                                 int(day) if day else None, _WEEKDAYS[weekday.lower()] if weekday else None,
                                 *match.span()))
    return sorted(found, key=lambda d: d.start)


def _date_part(text: str | None) -> int | None:
    if not text:
        return None
    value = _value(text)
    return int(value) if value is not None else None


def _stripped_span(match: re.Match) -> tuple[int, int]:
    start, end = match.span()
    while start < end and match.string[start].isspace():
        start += 1
    return start, end


def date_supported(claim: DateMention, evidence: list[DateMention]) -> bool:
    """The evidence states the claimed date: one of its dates shares a field with the claim and contradicts none."""
    wanted = claim.fields()
    for date in evidence:
        have = date.fields()
        shared = set(wanted) & set(have)
        if shared and all(wanted[k] == have[k] for k in shared) and set(wanted) <= set(have) | _derivable(have):
            return True
    return False


def _derivable(fields: dict[str, int]) -> set[str]:
    """A full date also states its weekday."""
    return {"weekday"} if {"year", "month", "day"} <= set(fields) else set()


@lru_cache(maxsize=1 << 12)


def with_weekday(date: DateMention) -> DateMention:
    """The date with its weekday filled in when the year, month and day fix it."""
    if date.weekday is None and date.year and date.month and date.day:
        try:
            weekday = calendar.weekday(date.year, date.month, date.day)
        except ValueError:
            return date
        return DateMention(date.year, date.month, date.day, weekday, date.start, date.end)
    return date
