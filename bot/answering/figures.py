"""Figures and dates in sentences, read in any script and rendered for the reader.

A figure is a ``bot.text.numbers.Number`` seen by the answer engine: 60萬人, 6000具, 两个半小时, 三分之一,
百分之二十, 约一小时, "up to 25,000 troops". ``asked_units`` reads what a question asks for (a duration,
a share, money, a count of people...) in any language, ``fit`` says whether a sentence states such a figure,
``render_figure`` writes one in the reader's language ("约60万人" for an English source's "about 600,000
people"), and ``same_figures`` tells two sentences stating the same figures apart from two that differ.
"""
from __future__ import annotations

import calendar
import re
from dataclasses import dataclass, field
from functools import lru_cache

from bot.text import normalize as textnorm
from bot.text.numbers import UNITS, Number, numbers_in, render_number, same_number

_MONTHS = "|".join(calendar.month_name[1:])
_DATE_EN = re.compile(rf"\b(?:(?:Mon|Tues|Wednes|Thurs|Fri|Satur|Sun)day,?\s+)?(?:(?:{_MONTHS})\s+\d{{1,2}}(?:,\s*\d{{4}})?|"
                      rf"\d{{1,2}}\s+(?:{_MONTHS})(?:\s+\d{{4}})?|(?:{_MONTHS})\s+(?:of\s+)?\d{{4}})\b|"
                      rf"\b(?:Mon|Tues|Wednes|Thurs|Fri|Satur|Sun)day\b")
_DATE_ZH = re.compile(r"\d{4}年(?:\d{1,2}月(?:\d{1,2}日)?)?|\d{1,2}月\d{1,2}日|(?:周|星期)[一二三四五六日天]")
_YEAR_EN = re.compile(r"\b(?:in|since|until|by|from) ((?:19|20)\d\d)\b")
_DURATIONS = frozenset(("minute", "hour", "day", "week", "month", "year"))
_MONEY = frozenset(k for k, (dimension, _) in UNITS.items() if dimension.startswith("money"))
# Counts of people, under whatever noun or classifier (名, 人, 具, troops, prisoners, lawmakers' votes): a question about
# one is answered by a figure stated with another ("how many bodies" <- "the bodies of 6,057 soldiers").
_PERSONS = frozenset(("people", "troops", "prisoners", "bodies", "votes", "households"))
# What a question asks for, by cue (matched on folded text: lowercase, Simplified).
_ASKED = (
    (re.compile(r"\bhow long\b|\bhow many (?:minutes|hours|days|weeks|months|years)\b|\bfor how long\b|\bduration\b"
                r"|多长时间|多久|多长|几个小时|几小时|几天|多少天|多少小时|几个月|多少年"), _DURATIONS),
    (re.compile(r"\bwhat (?:share|percentage|percent|proportion|portion|fraction|part)\b|\bhow (?:big|large) a share\b"
                r"|\bper ?cent\b|比例|百分之几|百分之多少|百分比|几成|多大比例|多少比例|份额"), frozenset(("percent",))),
    (re.compile(r"\bhow much (?:money|aid|funding|cash)\b|\bhow much\b.{0,40}\b(?:money|aid|funds?|funding|assets|loan|"
                r"profits?|revenues?|tranche|euros?|dollars?|worth)\b|多少钱|多少资金|多少美元|多少欧元|多少援助|"
                r"多少.{0,12}(?:资产|收益|资金|援助|贷款|欧元|美元)|(?:资产|收益|资金|援助|贷款).{0,8}多少"), _MONEY),
    (re.compile(r"\bhow many (?:square kilomet|sq\.? km)|\bhow much (?:territory|land)\b|面积|多少平方"),
     frozenset(("square_km",))),
    (re.compile(r"\bhow far\b|多远|多少公里"), frozenset(("km",))),
)
_EN_HOW_MANY = re.compile(r"\bhow many (?:more |new |other )?(?P<noun>[a-z]+(?: of war)?)")
_ZH_HOW_MANY = re.compile(r"(?:多少|几)(?P<noun>[\u4e00-\u9fff]{1,4})")


@dataclass(frozen=True)
class Figure:
    """A number with its unit, as a source states it (``number`` keeps everything ``bot.text.numbers`` read)."""

    value: float
    unit: str | None
    qualifier: str | None
    text: str
    number: Number | None = field(default=None, compare=False)


@lru_cache(maxsize=1 << 14)  # asked of many candidates by several steps of one answer
def extract_figures(text: str) -> tuple[Figure, ...]:
    """Figures stated in ``text``, in any script: "more than 110,000 square kilometres", "18%", "约60万人",
    "6000具", "两个半小时", "三分之一". Years, dates, ordinals and bare small numbers (list items, "two
    sources") are not figures."""
    figures = []
    for number in numbers_in(text):
        unit = "percent" if number.kind in ("percent", "fraction") else number.unit
        if not number.salient or number.qualifier == "multiple":
            continue  # "two sources"; "dozens of times" is no figure to answer "how many" with
        if unit is None and number.value < 1000 and not number.qualifier:
            continue
        if unit is None and number.value == int(number.value) and 1900 <= number.value <= 2100:
            continue
        figures.append(Figure(number.value, unit, number.qualifier, number.text, number))
    return tuple(figures)


@lru_cache(maxsize=1024)
def asked_units(question: str) -> frozenset[str]:
    """The units a "how much/how many/how long" question asks for, in any language: every duration unit for
    "how long"/多长时间, "percent" for a share/比例, the currencies for money, the person counts for "how many
    troops"/多少名战俘. Empty when the question names no kind of figure."""
    folded = textnorm.fold(question)
    units: set[str] = set()
    for cue, kinds in _ASKED:
        if cue.search(folded):
            units |= kinds
    for match in _EN_HOW_MANY.finditer(folded):
        units |= _count_units(_unit_of_noun(match.group("noun")))
    for match in _ZH_HOW_MANY.finditer(folded):
        units |= _count_units(_unit_of_noun(match.group("noun")))
    return frozenset(units)


def _unit_of_noun(noun: str) -> str | None:
    found = numbers_in("2 " + noun) if noun.isascii() else numbers_in("2" + noun)
    return found[0].unit if found else None


def _count_units(unit: str | None) -> set[str]:
    if unit is None:
        return set()
    if unit in _PERSONS:
        return set(_PERSONS)
    return {unit} | (set(_DURATIONS) if unit in _DURATIONS else set())


def fit(question: str, text: str) -> float:
    """How well ``text`` holds the figure ``question`` asks for: 1.0 for a figure of the asked kind (a duration for
    "how long", a share for "what share"...), 0.25 for another figure, 0.0 for none."""
    figures = extract_figures(text)
    if not figures:
        return 0.0
    units = asked_units(question)
    if not units or any(f.unit in units for f in figures):
        return 1.0
    return 0.25


def matching(question: str, text: str) -> tuple[Figure, ...]:
    """The figures of ``text`` of the kind ``question`` asks for (all of them when it names no kind)."""
    units = asked_units(question)
    figures = extract_figures(text)
    return tuple(f for f in figures if not units or f.unit in units)


def render_figure(figure: Figure, language: str) -> str:
    """A figure in the reader's language: "more than 110,000 square kilometres", "超过11万平方公里", "约60萬人" ->
    "about 600,000 people", "两个半小时" -> "2.5 hours"."""
    if figure.number is not None:
        return render_number(figure.number, language)
    return render_number(Number(figure.value, "percent" if figure.unit == "percent" else "count", 0, 0, figure.text,
                                unit=None if figure.unit == "percent" else figure.unit, qualifier=figure.qualifier),
                         language)


def same_figures(a: str, b: str) -> bool:
    """Whether two sentences (any languages) state the same figures: each figure of one is a figure of the other."""
    first, second = extract_figures(a), extract_figures(b)
    return all(any(_same(x, y) for y in second) for x in first) and all(any(_same(y, x) for x in first) for y in second)


def states(text: str, figure: Figure) -> bool:
    """Whether ``text`` states ``figure`` (in any script or unit: 60萬 for 600,000, 两个半小时 for 2.5 hours)."""
    return any(_same(figure, other) for other in extract_figures(text))


def _same(a: Figure, b: Figure) -> bool:
    if a.number is not None and b.number is not None:
        return same_number(a.number, b.number)
    return a.value == b.value


def extract_dates(text: str, language: str) -> list[str]:
    """Date expressions in ``text``, rewritten for the reader ("March 23" <-> "3月23日") where that is mechanical."""
    found = [m.group(0) for m in _DATE_EN.finditer(text)] + [m.group(0) for m in _DATE_ZH.finditer(text)]
    found += [m.group(1) for m in _YEAR_EN.finditer(text) if not any(m.group(1) in f for f in found)]
    return [_localize_date(d, language) for d in dict.fromkeys(found)]


def _localize_date(text: str, language: str) -> str:
    months = {name.lower(): i for i, name in enumerate(calendar.month_name) if name}
    if language.startswith("zh"):
        match = re.search(rf"({_MONTHS})\s+(\d{{1,2}})", text)
        if match:
            return f"{months[match.group(1).lower()]}月{int(match.group(2))}日"
        return text
    match = re.fullmatch(r"(?:(\d{4})年)?(\d{1,2})月(\d{1,2})日", text)
    if match:
        return f"{calendar.month_name[int(match.group(2))]} {int(match.group(3))}" + (f", {match.group(1)}" if match.group(1) else "")
    return text
