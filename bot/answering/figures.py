"""Figures and dates in sentences: numbers with units and qualifiers, date expressions, rendered for the reader."""
from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from functools import lru_cache

from bot.text import i18n
from bot.text import normalize as textnorm

_NUMBER_WORDS = {word: value for value, word in enumerate(
    "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen sixteen seventeen "
    "eighteen nineteen twenty".split())} | {"thirty": 30, "forty": 40, "fifty": 50, "hundred": 100}
_FIGURE_EN = re.compile(
    r"(?P<q>more than|over|about|around|roughly|approximately|nearly|almost|some|up to|at least|less than|fewer than)?\s*"
    r"(?P<n>\d{1,3}(?:,\d{3})+|\d+(?:\.\d+)?|\b(?:" + "|".join(_NUMBER_WORDS) + r")\b)\s*(?P<m>thousand|million|billion)?\s*"
    r"(?P<u>%|percent\b|per cent\b|square kilomet(?:re|er)s\b|sq\.? km\b|km2\b|kilomet(?:re|er)s\b|km\b|-?days?\b|-?hours?\b|"
    r"troops\b|soldiers\b|people\b|years?\b)?", re.I)
_FIGURE_ZH = re.compile(r"(?P<q>超过|逾|约|大约|近|将近|不到|至少)?(?P<n>\d+(?:[.,]\d+)*)\s*(?P<m>万|亿)?"
                        r"(?P<u>%|平方公里|公里|天|小时|人|名|年)?")
_UNITS = {
    "%": "percent", "percent": "percent", "per cent": "percent", "square kilometres": "square_km", "square kilometers": "square_km",
    "sq km": "square_km", "sq. km": "square_km", "km2": "square_km", "平方公里": "square_km", "kilometres": "km",
    "kilometers": "km", "km": "km", "公里": "km", "day": "day", "days": "day", "天": "day", "hour": "hour", "hours": "hour",
    "小时": "hour", "people": "people", "人": "people", "troops": "troops", "soldiers": "troops", "名": "troops",
    "year": "year", "years": "year", "年": "year",
}
_QUALIFIERS = {"more than": "more", "over": "more", "超过": "more", "逾": "more", "at least": "more", "至少": "more",
               "less than": "less", "fewer than": "less", "不到": "less", "up to": "less"}
_MONTHS = "|".join(calendar.month_name[1:])
_DATE_EN = re.compile(rf"\b(?:(?:Mon|Tues|Wednes|Thurs|Fri|Satur|Sun)day,?\s+)?(?:(?:{_MONTHS})\s+\d{{1,2}}(?:,\s*\d{{4}})?|"
                      rf"\d{{1,2}}\s+(?:{_MONTHS})(?:\s+\d{{4}})?|(?:{_MONTHS})\s+(?:of\s+)?\d{{4}})\b|"
                      rf"\b(?:Mon|Tues|Wednes|Thurs|Fri|Satur|Sun)day\b")
_DATE_ZH = re.compile(r"\d{4}年(?:\d{1,2}月(?:\d{1,2}日)?)?|\d{1,2}月\d{1,2}日|(?:周|星期)[一二三四五六日天]")
_YEAR_EN = re.compile(r"\b(?:in|since|until|by|from) ((?:19|20)\d\d)\b")


@dataclass(frozen=True)
class Figure:
    """A number with its unit, as a source states it."""

    value: float
    unit: str | None
    qualifier: str | None
    text: str


@lru_cache(maxsize=1 << 14)  # asked of many candidates by several steps of one answer
def extract_figures(text: str) -> tuple[Figure, ...]:
    """Numbers with units ("more than 110,000 square kilometres", "18%", "10万平方公里") stated in ``text``."""
    figures = []
    pattern = _FIGURE_ZH if textnorm.is_cjk(text) else _FIGURE_EN
    for match in pattern.finditer(text):
        number = match.group("n").replace(",", "").lower()
        try:
            value = float(_NUMBER_WORDS.get(number, number))
        except ValueError:
            continue
        multiplier = {"thousand": 1e3, "million": 1e6, "billion": 1e9, "万": 1e4, "亿": 1e8}.get((match.group("m") or "").lower(), 1)
        value *= multiplier
        unit_text = (match.group("u") or "").lower().lstrip("-")
        unit = _UNITS.get(unit_text)
        if unit is None and unit_text.endswith("s"):
            unit = _UNITS.get(unit_text[:-1])
        if unit == "year" or (unit is None and (value < 1000 or 1900 <= value <= 2100)):
            continue  # years and bare small numbers (list items, dates) are not figures
        if not match.group("n")[0].isdigit() and unit is None:
            continue  # "one source", "two officials": a number word needs a unit to be a figure
        qualifier = _QUALIFIERS.get((match.group("q") or "").lower(), "about" if match.group("q") else None)
        figures.append(Figure(value, unit, qualifier, match.group(0).strip()))
    return tuple(figures)


@lru_cache(maxsize=1024)
def asked_units(question: str) -> frozenset[str]:
    """The units a "how much/how many" question names ("how many hours", "what percentage", "多少平方公里")."""
    folded = textnorm.fold(question)
    units = {unit for word, unit in _UNITS.items() if re.search(rf"(?<![a-z]){re.escape(word)}(?![a-z])", folded)}
    if re.search(r"\bpercent|\bper cent|百分|比例", folded):
        units.add("percent")
    return frozenset(units - {"year"})


def render_figure(figure: Figure, language: str) -> str:
    """A figure in the reader's language: "more than 110,000 square kilometres", "超过11万平方公里"."""
    value = figure.value
    if language.startswith("zh") and value >= 10000 and value % 1000 == 0:
        number = f"{value / 10000:g}" + ("萬" if language == "zh-Hant" else "万")
    else:
        number = f"{value:,.0f}" if value == int(value) else f"{value:,g}"
    unit = i18n.t(f"unit.{figure.unit}", language) if figure.unit else ""
    qualifier = i18n.t(f"qualifier.{figure.qualifier}", language) if figure.qualifier else ""
    return f"{qualifier}{number}{unit}"


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
