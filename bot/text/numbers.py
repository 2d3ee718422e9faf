"""Numbers and dates in English and Chinese text, read into values that compare across languages.

60万, 600,000, 600 000 and "six hundred thousand" are one value; 三分之一 and "a third" one fraction;
百分之二十, 20% and "20 percent" one percentage; 2025年3月19日 and "March 19, 2025" one date.
Matching code (the answer writer's faithfulness guard, figure comparisons) reads both sides with
the same functions here, so what is normalized on one side is normalized on the other.
"""
from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from functools import lru_cache

# -- Chinese numerals ---------------------------------------------------------------------------

_ZH_DIGITS = {"零": 0, "〇": 0, "○": 0, "一": 1, "壹": 1, "二": 2, "贰": 2, "貳": 2, "两": 2, "兩": 2, "三": 3, "叁": 3,
              "參": 3, "四": 4, "肆": 4, "五": 5, "伍": 5, "六": 6, "陆": 6, "陸": 6, "七": 7, "柒": 7, "八": 8, "捌": 8,
              "九": 9, "玖": 9}
_ZH_SMALL = {"十": 10, "拾": 10, "百": 100, "佰": 100, "千": 1000, "仟": 1000}
_ZH_BIG = {"万": 10_000, "萬": 10_000, "亿": 100_000_000, "億": 100_000_000}
_ZH_NUMERAL_CHARS = "".join(_ZH_DIGITS) + "".join(_ZH_SMALL) + "".join(_ZH_BIG)
_ZH_NUMERAL = f"[{_ZH_NUMERAL_CHARS}]+(?:点[{''.join(_ZH_DIGITS)}]+)?"


def parse_chinese_numeral(text: str) -> float | None:
    """The value of a Chinese numeral: 一百二十 -> 120, 两千 -> 2000, 三万五千 -> 35000, 一亿二千万 -> 120000000,
    二〇二五 -> 2025 (digit by digit), 三点五 -> 3.5. None when ``text`` is not one numeral."""
    text = text.strip()
    if not text:
        return None
    whole, _, decimals = text.partition("点")
    if decimals and not all(ch in _ZH_DIGITS for ch in decimals):
        return None
    value = _chinese_integer(whole)
    if value is None:
        return None
    if decimals:
        value += float("0." + "".join(str(_ZH_DIGITS[ch]) for ch in decimals))
    return value


def _chinese_integer(text: str) -> float | None:
    if not text or any(ch not in _ZH_DIGITS and ch not in _ZH_SMALL and ch not in _ZH_BIG for ch in text):
        return None
    if all(ch in _ZH_DIGITS for ch in text):
        return float("".join(str(_ZH_DIGITS[ch]) for ch in text))  # 二〇二五: read digit by digit
    total = section = 0.0
    digit: float | None = None
    for ch in text:
        if ch in _ZH_DIGITS:
            digit = _ZH_DIGITS[ch]
        elif ch in _ZH_SMALL:
            section += (1 if digit is None else digit) * _ZH_SMALL[ch]
            digit = None
        elif _ZH_BIG[ch] == 100_000_000:
            total = (total + section + (digit or 0)) * _ZH_BIG[ch]
            section, digit = 0.0, None
        else:
            total += ((section + (digit or 0)) or 1) * _ZH_BIG[ch]
            section, digit = 0.0, None
    return total + section + (digit or 0)


# -- English number words -----------------------------------------------------------------------

_EN_UNITS = {w: i for i, w in enumerate("zero one two three four five six seven eight nine ten eleven twelve thirteen "
                                         "fourteen fifteen sixteen seventeen eighteen nineteen".split())}
_EN_TENS = {w: 10 * (i + 2) for i, w in enumerate("twenty thirty forty fifty sixty seventy eighty ninety".split())}
_EN_SCALES = {"hundred": 100, "thousand": 1_000, "million": 1_000_000, "billion": 1_000_000_000, "trillion": 1_000_000_000_000}
_EN_WORD = "|".join(sorted([*_EN_UNITS, *_EN_TENS, *_EN_SCALES], key=len, reverse=True))
_EN_WORDS = re.compile(rf"\b(?:a\s+)?(?:{_EN_WORD})(?:(?:[\s-]+|\s+and\s+)(?:{_EN_WORD}))*\b", re.I)
_FRACTION_WORDS = {"half": 2, "halves": 2, "third": 3, "thirds": 3, "quarter": 4, "quarters": 4, "fourth": 4, "fourths": 4,
                   "fifth": 5, "fifths": 5, "tenth": 10, "tenths": 10}
_EN_FRACTION = re.compile(rf"\b(?P<n>a|an|one|two|three|four|nine)[\s-]+(?P<d>{'|'.join(_FRACTION_WORDS)})\b|\b(?P<half>half)\b", re.I)


def parse_english_number(text: str) -> float | None:
    """The value of English number words: "twenty-four" -> 24, "three hundred" -> 300, "a million" -> 1000000."""
    words = [w for w in re.split(r"[\s-]+", text.lower().strip()) if w and w != "and"]
    if not words:
        return None
    if words[0] in ("a", "an"):
        words[0] = "one"
    total = current = 0.0
    for word in words:
        if word in _EN_UNITS:
            current += _EN_UNITS[word]
        elif word in _EN_TENS:
            current += _EN_TENS[word]
        elif word == "hundred":
            current = (current or 1) * 100
        elif word in _EN_SCALES:
            total += (current or 1) * _EN_SCALES[word]
            current = 0.0
        else:
            return None
    return total + current


# -- numbers ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Number:
    """A value stated in a text. ``kind`` is "count" (a plain quantity), "percent" (20 for 20%) or "fraction" (1/3)."""

    value: float
    kind: str
    start: int
    end: int
    text: str


# Digit groups split by spaces ("600 000", "600 000") are one number; the space must not end a sentence.
_SPACED_GROUPS = re.compile(r"(?<![\d.,])(\d{1,3})((?:[ \u00a0\u2009\u202f]\d{3})+)(?![\d,.]\d)")
_ARABIC = re.compile(r"(?<![A-Za-z0-9_.])(?P<n>\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?)"
                     r"(?:(?P<ord>st|nd|rd|th)\b)?"
                     r"(?:\s*(?P<pct>%|％|percent\b|per\s+cent\b|pct\b)"
                     r"|\s*(?P<scale>thousand|million|billion|trillion|mn\b|bn\b)"
                     r"|(?P<zhscale>百万|千万|千|万|萬|亿|億)"
                     r"|(?P<frac>/\d+))?", re.I)
_ZH_PERCENT = re.compile(rf"百分之(?P<n>{_ZH_NUMERAL}|\d+(?:\.\d+)?)")
_ZH_FRACTION = re.compile(rf"(?P<d>{_ZH_NUMERAL}|\d+)分之(?P<n>{_ZH_NUMERAL}|\d+)")
_ZH_TENTHS = re.compile(rf"(?P<n>[一二两三四五六七八九十]|[1-9])成(?![功为為立员員年熟本果绩績就不])")
_ZH_RUN = re.compile(_ZH_NUMERAL)
# A single numeral character is a number only before a measure word: 三天 yes, 一些/一起/统一 no.
_ZH_MEASURE = re.compile(r"[个個名位人天年月日周週小时時次项項条條点點架艘枚辆輛座处處国國方轮輪场場倍岁歲万萬亿億千百公平里米吨噸门門批支道份]")
_ZH_NOT_NUMBERS = re.compile(r"(?<![零〇一二两兩三四五六七八九十百])千万(?![人元美])|万一|一一|十分|一点(?!\d)|三心二意|一旦|统一|一些|一起|一直|一致|一切|一样|一般|一定|一再|一度|一方面")


def numbers_in(text: str) -> list[Number]:
    """Every value stated in ``text`` outside its dates and ordinals ("34th", 第三), left to right.

    Years ("in 2025", 2025年) are dates, not values; so are the numbers inside a date.
    """
    text = _SPACED_GROUPS.sub(lambda m: m.group(1) + re.sub(r"\D", "", m.group(2)) + " " * (len(m.group(2)) - len(re.sub(r"\D", "", m.group(2)))), text)
    taken = [(d.start, d.end) for d in dates_in(text)]
    found: list[Number] = []

    def add(value: float | None, kind: str, match: re.Match, group: int | str = 0) -> None:
        start, end = match.span(group)
        if value is None or any(s < end and start < e for s, e in taken):
            return
        taken.append((start, end))
        found.append(Number(value, kind, start, end, text[start:end]))

    for match in _ZH_PERCENT.finditer(text):
        add(_value(match.group("n")), "percent", match)
    for match in _ZH_FRACTION.finditer(text):
        numerator, denominator = _value(match.group("n")), _value(match.group("d"))
        add(numerator / denominator if numerator is not None and denominator else None, "fraction", match)
    for match in _ZH_TENTHS.finditer(text):
        tenths = _value(match.group("n"))
        add(tenths * 10 if tenths is not None else None, "percent", match)
    for match in _ARABIC.finditer(text):
        add(*_arabic(match), match)
    for match in _EN_FRACTION.finditer(text):
        if match.group("half"):
            add(0.5, "fraction", match)
        else:
            numerator = parse_english_number(match.group("n"))
            add(numerator / _FRACTION_WORDS[match.group("d").lower()] if numerator else None, "fraction", match)
    for match in _EN_WORDS.finditer(text):
        add(*_english(match, text), match)
    blocked = [m.span() for m in _ZH_NOT_NUMBERS.finditer(text)]
    for match in _ZH_RUN.finditer(text):
        if not any(s < match.end() and match.start() < e for s, e in blocked):
            add(*_chinese(match, text), match)
    return sorted(found, key=lambda n: n.start)


def _value(text: str) -> float | None:
    try:
        return float(text.replace(",", ""))
    except ValueError:
        return parse_chinese_numeral(text)


def _arabic(match: re.Match) -> tuple[float | None, str]:
    if match.group("ord"):
        return None, "count"  # "34th": an ordinal names, it does not count
    value = float(match.group("n").replace(",", ""))
    if match.group("pct"):
        return value, "percent"
    if match.group("frac"):
        denominator = float(match.group("frac")[1:])
        return (value / denominator if denominator else None), "fraction"
    scale = (match.group("scale") or "").lower()
    if scale:
        return value * {"mn": 1e6, "bn": 1e9}.get(scale, _EN_SCALES.get(scale, 1)), "count"
    zhscale = match.group("zhscale")
    if zhscale:
        return value * {"百万": 1e6, "千万": 1e7, "千": 1e3}.get(zhscale, _ZH_BIG.get(zhscale, 1)), "count"
    return value, "count"


def _english(match: re.Match, text: str) -> tuple[float | None, str]:
    words = match.group(0)
    value = parse_english_number(words)
    lowered = words.lower().strip()
    if value is None or lowered in ("one", "a", "an", "zero") or re.fullmatch(r"an?\s+\w+", lowered) and value < 100:
        return None, "count"  # "one of them", "the one who": not a figure
    after = text[match.end():match.end() + 12].lower()
    if re.match(r"\s*(?:%|percent\b|per\s+cent\b)", after):
        return value, "percent"
    return value, "count"


def _chinese(match: re.Match, text: str) -> tuple[float | None, str]:
    run = match.group(0)
    before = text[max(0, match.start() - 1):match.start()]
    after = text[match.end():match.end() + 1]
    if before == "第" or before == "周" or before == "週" or before == "星期"[-1:]:
        return None, "count"  # ordinals and weekdays
    if len(run) == 1 and not _ZH_MEASURE.match(after):
        return None, "count"  # 一些, 统一, 三方 ...: a lone numeral is a number only before a measure word
    if run in ("一", "壹"):
        return None, "count"  # 一个, 一名: "a", not a figure
    if all(ch in _ZH_SMALL or ch in _ZH_BIG for ch in run) and not _ZH_MEASURE.match(after):
        return None, "count"  # 千万 (by all means), 百 alone
    if after in ("年",) and all(ch in _ZH_DIGITS for ch in run) and len(run) == 4:
        return None, "count"  # 二〇二五年 is a year
    value = parse_chinese_numeral(run)
    if after == "%" or after == "％":
        return value, "percent"
    return value, "count"


def same_number(a: Number, b: Number) -> bool:
    """Two statements of one value: equal values of one kind; a percentage equals a fraction it rounds to."""
    if a.kind == b.kind:
        return abs(a.value - b.value) <= 1e-6 * max(1.0, abs(a.value), abs(b.value)) or (
            a.kind == "fraction" and abs(a.value - b.value) < 1e-3)
    kinds = {a.kind, b.kind}
    if kinds == {"percent", "fraction"}:
        percent, fraction = (a, b) if a.kind == "percent" else (b, a)
        return abs(percent.value / 100 - fraction.value) <= 0.005
    return False


# -- dates --------------------------------------------------------------------------------------


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
        return {k: v for k, v in (("year", self.year), ("month", self.month), ("day", self.day), ("weekday", self.weekday))
                if v is not None}


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
    r"|(?<![\d,.])\b(?P<y4>(?:19|20)\d\d)(?![\d%]|[.,]\d|\s*(?:%|percent|per cent|thousand|million|billion|km|square|troops|soldiers|people)\b)",
    re.I)
_ZH_DIGIT_OR = rf"(?:\d+|[{''.join(_ZH_DIGITS)}十]+)"
_DATE_ZH = re.compile(
    r"(?:周|週|星期|礼拜|禮拜)(?P<wd>[一二三四五六日天])"
    rf"|(?=[\d{''.join(_ZH_DIGITS)}十])(?:(?P<y>\d{{4}}|[{''.join(_ZH_DIGITS)}]{{4}})\s*年)?\s*(?:(?P<m>{_ZH_DIGIT_OR})\s*月)?\s*(?:(?P<d>{_ZH_DIGIT_OR})\s*[日号號])?")
_ZH_WEEKDAYS = {"一": 0, "二": 1, "三": 2, "四": 3, "五": 4, "六": 5, "日": 6, "天": 6}


def dates_in(text: str) -> list[DateMention]:
    """Dates stated in ``text``: "March 19, 2025", "19 March", "Tuesday", "2025-03-19", "in 2025", 2025年3月19日, 19日, 周二."""
    found: list[DateMention] = []
    for match in _DATE_ZH.finditer(text):
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
        found.append(DateMention(year, month, day, None, *_stripped_span(match)))
    for match in _DATE_EN.finditer(text):
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
                                 int(day) if day else None, _WEEKDAYS[weekday.lower()] if weekday else None, *match.span()))
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
def facts_in(text: str) -> tuple[tuple[Number, ...], tuple[DateMention, ...]]:
    """The numbers and the dates of ``text`` (cached: evidence quotes are read for every sentence that cites them)."""
    return tuple(numbers_in(text)), tuple(_with_weekday(d) for d in dates_in(text))


def _with_weekday(date: DateMention) -> DateMention:
    if date.weekday is None and date.year and date.month and date.day:
        try:
            weekday = calendar.weekday(date.year, date.month, date.day)
        except ValueError:
            return date
        return DateMention(date.year, date.month, date.day, weekday, date.start, date.end)
    return date
