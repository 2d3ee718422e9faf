"""Figures and dates in English and Chinese text, read into values that compare across languages.

60万, 600,000, 600 000 and "0.6 million" are one value; 三分之一 and "a third" one fraction;
百分之二十, 20% and "20 percent" one percentage; 两个半小时 and "2.5 hours" one duration;
2025年3月19日 and "March 19, 2025" one date. Each figure keeps what the text attaches to it: an
approximation (约, 近, 逾, "about", "more than"), a unit (小时, "days", 欧元, "$") or a counted noun
or classifier (6000具, "1,200 prisoners"). Matching code (the answer engine's figure matching, the
LLM writer's faithfulness guard, arrival summaries) reads both sides with the functions here, so what
is normalized on one side is normalized on the other; ``render_number`` writes a figure back in the
reader's language (600,000 in English, 60万 in Chinese).
"""
from __future__ import annotations

import re
from dataclasses import dataclass, replace
from functools import lru_cache

from bot.text.date_mentions import DateMention, dates_in, with_weekday
from bot.text.numerals import (_EN_FRACTION, _EN_SCALES, _EN_TENS, _EN_UNITS, _EN_WORDS, _FRACTION_WORDS, _LATIN_WORD,
                               _ZH_BIG, _ZH_DIGITS, _ZH_NUMERAL, _ZH_NUMERAL_CHARS, _ZH_SMALL, _matches_at, _value,
                               parse_chinese_numeral, parse_english_number)

# -- units, classifiers and approximations (the closed class of words a figure carries) -------------

# unit key -> (dimension, size in the dimension's base unit: hours, the currency itself, km, km2, 1)
UNITS: dict[str, tuple[str, float]] = {
    "minute": ("duration", 1 / 60), "hour": ("duration", 1.0), "day": ("duration", 24.0), "week": ("duration", 168.0),
    "month": ("duration", 730.0), "year": ("duration", 8760.0),
    "usd": ("money:usd", 1.0), "eur": ("money:eur", 1.0), "gbp": ("money:gbp", 1.0), "rub": ("money:rub", 1.0),
    "uah": ("money:uah", 1.0), "cny": ("money:cny", 1.0),
    "km": ("distance", 1.0), "square_km": ("area", 1.0),
    "people": ("count", 1.0), "troops": ("count", 1.0), "prisoners": ("count", 1.0), "bodies": ("count", 1.0),
    "times": ("count", 1.0), "votes": ("count", 1.0), "countries": ("count", 1.0), "drones": ("count", 1.0),
    "missiles": ("count", 1.0), "households": ("count", 1.0),
}
# Surface forms after a number (lowercase English; Chinese as written, both scripts).
_EN_UNIT_WORDS = {
    "minute": "minute", "minutes": "minute", "min": "minute", "mins": "minute", "hour": "hour", "hours": "hour",
    "hrs": "hour", "day": "day", "days": "day", "week": "week", "weeks": "week", "month": "month", "months": "month",
    "year": "year", "years": "year", "km": "km", "kilometres": "km", "kilometers": "km", "kilometre": "km",
    "kilometer": "km", "square kilometres": "square_km", "square kilometers": "square_km", "sq km": "square_km",
    "km2": "square_km", "km²": "square_km", "dollars": "usd", "dollar": "usd", "euros": "eur", "euro": "eur",
    "pounds": "gbp", "roubles": "rub", "rubles": "rub", "hryvnias": "uah", "hryvnia": "uah", "yuan": "cny",
    "people": "people", "persons": "people", "civilians": "people", "residents": "people",
    "troops": "troops", "soldiers": "troops", "servicemen": "troops", "service members": "troops",
    "prisoners": "prisoners", "pows": "prisoners", "prisoners of war": "prisoners", "captives": "prisoners",
    "bodies": "bodies", "remains": "bodies", "times": "times", "votes": "votes", "lawmakers": "votes",
    "countries": "countries", "nations": "countries", "drones": "drones", "missiles": "missiles",
    "households": "households", "homes": "households",
}
_ZH_UNIT_WORDS = {
    "分钟": "minute", "分鐘": "minute", "个小时": "hour", "個小時": "hour", "小时": "hour", "小時": "hour",
    "个钟头": "hour", "個鐘頭": "hour", "钟头": "hour", "鐘頭": "hour", "天": "day", "个星期": "week",
    "個星期": "week", "星期": "week", "周": "week", "週": "week", "个月": "month", "個月": "month", "年": "year",
    "平方公里": "square_km", "平方千米": "square_km", "公里": "km", "千米": "km", "美元": "usd", "欧元": "eur",
    "歐元": "eur", "英镑": "gbp", "英鎊": "gbp", "卢布": "rub", "盧布": "rub", "格里夫纳": "uah", "格里夫納": "uah",
    "人民币": "cny", "人民幣": "cny", "元": "cny",
    "兵力": "troops", "士兵": "troops", "名战俘": "prisoners", "名戰俘": "prisoners", "名士兵": "troops", "名军人": "troops", "名軍人": "troops",
    "人": "people", "名": "people", "位": "people", "具": "bodies", "次": "times", "票": "votes",
    "个国家": "countries", "個國家": "countries", "国": "countries", "國": "countries", "架无人机": "drones",
    "架無人機": "drones", "枚导弹": "missiles", "枚導彈": "missiles", "户": "households", "戶": "households",
}
# Classifiers: a Chinese numeral counts (三天, 5名) only before one of these or a unit above.
_ZH_CLASSIFIERS = "个個名位人天年月日周週小时時次项項条條点點架艘枚辆輛座处處国國轮輪场場倍岁歲万萬亿億千百公平里米吨噸门門批支道份具票户戶家起"
_EN_CURRENCY_SIGNS = {"$": "usd", "us$": "usd", "€": "eur", "£": "gbp", "₽": "rub", "¥": "cny"}
_DURATION_UNITS = ("minute", "hour", "day", "week", "month", "year")

# Approximations before a figure, longest first; the value is the canonical qualifier.
_EN_QUALIFIERS = {"about": "about", "around": "about", "roughly": "about", "approximately": "about", "some": "about",
                  "an estimated": "about", "nearly": "nearly", "almost": "nearly", "close to": "nearly",
                  "more than": "more", "over": "more", "upwards of": "more", "in excess of": "more",
                  "at least": "at_least", "no fewer than": "at_least", "up to": "up_to", "as many as": "up_to",
                  "less than": "less", "fewer than": "less", "under": "less", "just under": "nearly"}
_ZH_QUALIFIERS = {"大约": "about", "大約": "about", "大概": "about", "约": "about", "約": "about", "将近": "nearly",
                  "將近": "nearly", "接近": "nearly", "近": "nearly", "逾": "more", "超过": "more", "超過": "more",
                  "多达": "up_to", "多達": "up_to", "最多": "up_to", "至少": "at_least", "不少于": "at_least",
                  "不少於": "at_least", "不到": "less", "不足": "less", "少于": "less", "少於": "less", "上": "multiple"}
_EN_QUALIFIER = re.compile(r"(?:^|(?<=\W))(" + "|".join(sorted(map(re.escape, _EN_QUALIFIERS), key=len, reverse=True))
                           + r")\s+(?:(?:a|an|the)\s+)?$", re.I)
_ZH_QUALIFIER = re.compile("(" + "|".join(sorted(_ZH_QUALIFIERS, key=len, reverse=True)) + ")$")
# Vague multiples: 数十 (tens), 几百, 上千, "dozens of", "hundreds of", "thousands of".
_ZH_VAGUE = re.compile(r"(?P<q>数|數|几|幾|上)(?P<n>十|百|千|万|萬|亿|億)(?=[\u4e00-\u9fff])")
_EN_VAGUE = re.compile(r"\b(?P<n>dozens|scores|hundreds|thousands|tens of thousands|hundreds of thousands|millions)\s+of\b",
                       re.I)
_EN_VAGUE_VALUES = {"dozens": 12, "scores": 20, "hundreds": 100, "thousands": 1000, "tens of thousands": 10_000,
                    "hundreds of thousands": 100_000, "millions": 1_000_000}


# -- numbers ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Number:
    """A figure stated in a text.

    ``value`` is the number as stated, in its ``unit`` (2.5 for 两个半小时, 600000 for 60万人, 20 for 20%,
    1/3 for 三分之一); ``kind`` is "count" (a quantity), "percent" or "fraction". ``unit`` is a key of
    ``UNITS`` ("hour", "eur", "troops", "bodies") when the text attaches one, ``noun`` the words that do
    it as written ("具", "名战俘", "hours", "prisoners"), ``qualifier`` the approximation ("about",
    "nearly", "more", "at_least", "up_to", "less", "multiple"). ``start``/``end``/``text`` cover the
    whole phrase, qualifier and unit included.
    """

    value: float
    kind: str
    start: int
    end: int
    text: str
    unit: str | None = None
    noun: str | None = None
    qualifier: str | None = None

    @property
    def dimension(self) -> str:
        """"duration", "money:eur", "area", "distance", "percent" (percentages and fractions) or "count"."""
        if self.kind in ("percent", "fraction"):
            return "percent"
        return UNITS[self.unit][0] if self.unit in UNITS else "count"

    @property
    def base(self) -> float:
        """The value in its dimension's base unit: hours for durations, a share of 1 for percentages and fractions."""
        if self.kind == "percent":
            return self.value / 100
        return self.value * (UNITS[self.unit][1] if self.unit in UNITS else 1.0)

    @property
    def salient(self) -> bool:
        """A figure worth reporting: not a lone "1" or "2" without a unit (一名官员, "two sources")."""
        if self.kind != "count" or self.unit in UNITS and UNITS[self.unit][0] != "count" or self.qualifier:
            return True
        return self.value >= 10 or self.unit is not None and self.value >= 3


# Digit groups split by spaces ("600 000", "600 000") are one number; the space must not end a sentence.
_SPACED_GROUPS = re.compile(r"(?<![\d.,])(\d{1,3})((?:[ \u00a0\u2009\u202f]\d{3})+)(?![\d,.]\d)")
_ARABIC = re.compile(r"(?<![A-Za-z0-9_.])(?P<n>\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?)"
                     r"(?:(?P<ord>st|nd|rd|th)\b)?"
                     r"(?:\s*(?P<pct>%|％|percent\b|per\s+cent\b|pct\b)"
                     r"|\s*(?P<scale>thousand|million|billion|trillion|mn\b|bn\b)"
                     r"|(?P<zhscale>百万|百萬|千万|千萬|千|万|萬|亿|億)"
                     r"|(?P<frac>/\d+))?", re.I)
_ZH_PERCENT = re.compile(rf"百分之(?P<n>{_ZH_NUMERAL}|\d+(?:\.\d+)?)")
_ZH_FRACTION = re.compile(rf"(?P<d>{_ZH_NUMERAL}|\d+)分之(?P<n>{_ZH_NUMERAL}|\d+)")
_ZH_HALF = re.compile(r"(?<![一二两兩三四五六七八九十个個])一半|(?<![一二两兩三四五六七八九十个個])半(?=个小时|個小時|小时|小時|天|年|个月|個月)")
_ZH_TENTHS = re.compile(r"(?P<n>[一二两兩三四五六七八九十]|[1-9])成(?![功为為立员員年熟本果绩績就不])")
_ZH_RUN = re.compile(_ZH_NUMERAL)
_EN_ARTICLE_DURATION = re.compile(r"\b(?P<n>an?|one)\s+(?P<half>(?:and\s+a\s+)?half\s+)?(?P<u>hour|day|week|month|year)\b"
                                  r"(?P<more>\s+and\s+a\s+half)?|\bhalf\s+an?\s+(?P<hu>hour|day|year)\b", re.I)
_ZH_NOT_NUMBERS = re.compile(r"(?<![零〇一二两兩三四五六七八九十百])千万(?![人元美])|万一|一一|十分|一点(?!\d)|三心二意|一旦"
                             r"|统一|統一|一些|一起|一直|一致|一切|一样|一樣|一般|一定|一再|一度|一方面|一系列|进一步|進一步"
                             r"|一同|一道|一边|一邊|一向|一贯|一貫|之一|唯一|第[一二三四五六七八九十百]+|一线|一線|一带|一帶")


# Cheap tests that a text may hold a figure written in words: a Chinese numeral, or an English number, fraction or
# duration word. Most sentences fail one of them and skip its long patterns.
_ZH_HINT = re.compile(f"[{_ZH_NUMERAL_CHARS}半]")
_NUMBER_WORDS = frozenset([*_EN_UNITS, *_EN_TENS, *_EN_SCALES])
_FRACTION_HINTS = frozenset([*_FRACTION_WORDS, "in"])
_VAGUE_HINTS = frozenset(("dozens", "scores", "hundreds", "thousands", "millions"))
_DURATION_HINTS = frozenset(("hour", "day", "week", "month", "year"))


def numbers_in(text: str) -> list[Number]:
    """Every figure stated in ``text`` outside its dates and ordinals ("34th", 第三), left to right.

    Years ("in 2025", 2025年) are dates, not values; so are the numbers inside a date.
    """
    return list(_numbers(text))


@lru_cache(maxsize=1 << 13)  # one sentence is read by several steps of a summary and of an answer
def _numbers(text: str) -> tuple[Number, ...]:
    original = text
    text = text if not any(ch.isdigit() for ch in text) else _SPACED_GROUPS.sub(lambda m: m.group(1) + re.sub(r"\D", "", m.group(2))
                              + " " * (len(m.group(2)) - len(re.sub(r"\D", "", m.group(2)))), text)
    has_zh = _ZH_HINT.search(text) is not None
    words = set(_LATIN_WORD.findall(text.lower()))
    has_words = not words.isdisjoint(_NUMBER_WORDS)
    has_fraction = not words.isdisjoint(_FRACTION_WORDS)
    if not has_zh and not has_words and not has_fraction and not any(ch.isdigit() for ch in text) \
            and words.isdisjoint(_VAGUE_HINTS) and words.isdisjoint(_DURATION_HINTS):
        return ()
    taken = [(d.start, d.end) for d in dates_in(text)]
    found: list[Number] = []

    def add(value: float | None, kind: str, start: int, end: int, **extra) -> None:
        if value is None or any(s < end and start < e for s, e in taken):
            return
        taken.append((start, end))
        found.append(Number(value, kind, start, end, text[start:end], **extra))

    for match in _ZH_PERCENT.finditer(text) if has_zh else ():
        add(_value(match.group("n")), "percent", *match.span())
    for match in _ZH_FRACTION.finditer(text) if has_zh else ():
        numerator, denominator = _value(match.group("n")), _value(match.group("d"))
        add(numerator / denominator if numerator is not None and denominator else None, "fraction", *match.span())
    for match in _ZH_HALF.finditer(text) if has_zh else ():
        if match.group(0) == "一半":
            add(0.5, "fraction", *match.span())
        else:
            add(0.5, "count", *match.span())  # 半小时: the unit is read below
    for match in _ZH_TENTHS.finditer(text) if has_zh else ():
        tenths = _value(match.group("n"))
        add(tenths * 10 if tenths is not None else None, "percent", *match.span())
    for match in _ZH_VAGUE.finditer(text) if has_zh else ():
        add(_ZH_SMALL.get(match.group("n")) or _ZH_BIG.get(match.group("n")), "count", *match.span(), qualifier="multiple")
    for match in _EN_VAGUE.finditer(text) if not words.isdisjoint(_VAGUE_HINTS) else ():
        add(float(_EN_VAGUE_VALUES[match.group("n").lower()]), "count", *match.span(), qualifier="multiple")
    for match in _ARABIC.finditer(text):
        value, kind = _arabic(match)
        add(value, kind, *match.span())
    for match in _EN_ARTICLE_DURATION.finditer(text) if not words.isdisjoint(_DURATION_HINTS) else ():
        if match.group("hu"):
            add(0.5, "count", *match.span(), unit=match.group("hu").lower(), noun=match.group("hu"))
        elif match.group("half") or match.group("more") or match.group("n").lower() == "one" or _EN_QUALIFIER.search(
                text[max(0, match.start() - 20):match.start()]) or re.search(r"\b(?:for|lasted|last|lasting|within)\s+$",
                                                                                text[max(0, match.start() - 12):match.start()], re.I):
            # "about an hour", "for a day", "an hour and a half"; not "twice a day" nor "a year ago"
            add(1.5 if match.group("half") or match.group("more") else 1.0, "count", *match.span(),
                unit=match.group("u").lower(), noun=match.group("u"))
    for match in _EN_FRACTION.finditer(text) if has_fraction or has_words and "in" in words else ():
        if match.group("half"):
            add(0.5, "fraction", *match.span())
        elif match.group("n2"):
            numerator, denominator = parse_english_number(match.group("n2")), parse_english_number(match.group("d2"))
            if numerator is not None and denominator:
                add(numerator / denominator, "fraction", *match.span())
        else:
            numerator = parse_english_number(match.group("n"))
            add(numerator / _FRACTION_WORDS[match.group("d").lower()] if numerator else None, "fraction", *match.span())
    for match in _matches_at(_EN_WORDS, text, _NUMBER_WORDS, article=True) if has_words else ():
        value, kind = _english(match, text)
        add(value, kind, *match.span())
    blocked = [m.span() for m in _ZH_NOT_NUMBERS.finditer(text)] if has_zh else []
    for match in _ZH_RUN.finditer(text) if has_zh else ():
        if not any(s < match.end() and match.start() < e for s, e in blocked):
            value, kind = _chinese(match, text)
            add(value, kind, *match.span())
    found.sort(key=lambda n: n.start)
    attached = [_attach(number, text, found) for number in found]
    return tuple(replace(n, text=original[n.start:n.end]) for n in attached) if original != text else tuple(attached)


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
        return value * {"百万": 1e6, "百萬": 1e6, "千万": 1e7, "千萬": 1e7, "千": 1e3}.get(zhscale, _ZH_BIG.get(zhscale, 1)), "count"
    return value, "count"


def _english(match: re.Match, text: str) -> tuple[float | None, str]:
    words = match.group(0)
    value = parse_english_number(words)
    lowered = words.lower().strip()
    after = text[match.end():match.end() + 24].lower()
    if value is None or lowered in ("a", "an", "zero"):
        return None, "count"
    if lowered == "one" and not re.match(r"[\s-]*(?:minute|hour|day|week|month|year)s?\b", after):
        return None, "count"  # "one of them", "the one who": not a figure; "one hour" is
    if re.fullmatch(r"an?\s+\w+", lowered) and value < 100:
        return None, "count"
    if re.match(r"\s*(?:%|percent\b|per\s+cent\b)", after):
        return value, "percent"
    return value, "count"


def _chinese(match: re.Match, text: str) -> tuple[float | None, str]:
    run = match.group(0)
    before = text[max(0, match.start() - 1):match.start()]
    after = text[match.end():match.end() + 3]
    if before in ("第", "周", "週", "期") or run in ("零", "〇", "○"):
        return None, "count"  # ordinals and weekdays (第三, 周三, 星期三)
    extra = _ZH_AFTER.match(text, match.end())
    duration = _zh_unit_at(text, extra.end() if extra else match.end())
    if extra and extra.group("half") and duration is None:
        duration = _zh_unit_at(text, extra.end() - 2)
    lone = len(run) == 1 and run in _ZH_DIGITS
    if lone and not (after[:1] and after[0] in _ZH_CLASSIFIERS or after.startswith(("个半", "個半"))):
        return None, "count"  # 一些, 统一, 三方: a lone numeral is a number only before a classifier
    if run in ("一", "壹") and not (duration and UNITS[duration][0] == "duration"):
        return None, "count"  # 一个, 一名: "a", not a figure; 一小时 is one
    if len(run) == 1 and all(ch in _ZH_SMALL or ch in _ZH_BIG for ch in run) and not (after[:1] and after[0] in _ZH_CLASSIFIERS + "多余餘几幾") \
            and not _ZH_QUALIFIER.search(text[max(0, match.start() - 2):match.start()]):
        return None, "count"  # 百 or 万 alone; 近百 and 上千 are figures (千万, "by all means", is blocked above)
    if after[:1] == "年" and all(ch in _ZH_DIGITS for ch in run) and len(run) == 4:
        return None, "count"  # 二〇二五年 is a year
    value = parse_chinese_numeral(run)
    if after[:1] in ("%", "％"):
        return value, "percent"
    return value, "count"


def _zh_unit_at(text: str, position: int) -> str | None:
    """The unit key of the Chinese unit word or classifier starting at ``position``, if one does."""
    for length in (4, 3, 2, 1):
        word = text[position:position + length]
        if len(word) == length and word in _ZH_UNIT_WORDS:
            return _ZH_UNIT_WORDS[word]
    return None


_RANGE = re.compile(r"\s*(?:to|-|–|—|~|至|到|或|or)\s*$", re.I)
_EN_UNIT_AFTER = re.compile(r"[\s-]*(?:(?:more|additional|new|other)\s+)?(?P<w>" + "|".join(sorted(map(re.escape, _EN_UNIT_WORDS), key=len, reverse=True))
                            + r")\b", re.I)
_EN_NOUN_AFTER = re.compile(r"\s+(?:more\s+|new\s+|additional\s+|other\s+)?(?P<w>[A-Za-z][a-z]+)")
_EN_NOT_NOUNS = frozenset("""a an the and or of to in on at by for from with as is are was were be been that which who
than more new other per each its their his her our this these those times""".split()) - {"times"}
_ZH_AFTER = re.compile(r"(?P<half>个半|個半)|(?P<more>多|余|餘|几|幾)(?=[\u4e00-\u9fff])")
_ZH_AFTER_ABOUT = re.compile(r"(?:[^\s，。,;；]{0,6}?)左右")


def _unit_after(text: str, position: int) -> tuple[str | None, str, int] | None:
    """(unit key or None, the words as written, their end) of a unit, classifier or counted noun at ``position``."""
    key = _zh_unit_at(text, position)
    if key is not None:
        word = next(text[position:position + n] for n in (4, 3, 2, 1) if text[position:position + n] in _ZH_UNIT_WORDS)
        return key, word, position + len(word)
    en = _EN_UNIT_AFTER.match(text, position)
    if en:
        return _EN_UNIT_WORDS[re.sub(r"\s+", " ", en.group("w").lower())], en.group("w"), en.end()
    return None


def _attach(number: Number, text: str, found: list[Number]) -> Number:
    """The number with what the text attaches to it: the qualifier before it, the unit or noun after it."""
    start, end, value = number.start, number.end, number.value
    unit, noun, qualifier = number.unit, number.noun, number.qualifier
    if number.kind == "count" and unit is None:
        half = re.match(r"\s+and\s+a\s+half\b", text[end:end + 16], re.I)
        if half:  # "two and a half hours"
            value, end = value + 0.5, end + half.end()
        extra = _ZH_AFTER.match(text, end)  # 两个半小时, 十多名, 1200余人
        if extra and extra.group("half"):
            value, end = value + 0.5, extra.end()
        elif extra and extra.group("more"):
            qualifier, end = qualifier or "more", extra.end()
        after = _unit_after(text, end) or (_unit_after(text, end - 1) if extra and extra.group("half") else None)
        if after is not None:
            unit, noun, end = after[0], after[1], max(end, after[2])
        else:
            plain = _EN_NOUN_AFTER.match(text, end)
            if plain and plain.group("w").lower() not in _EN_NOT_NOUNS:
                noun = plain.group("w")  # "1,200 more prisoners" (known), "30 countries", "12 envoys"
            following = next((n for n in found if n.start >= number.end), None)
            if following is not None and following.kind == "count" and _RANGE.match(text[number.end:following.start]):
                later = _unit_after(text, following.end)  # 24至48小时, "24 to 48 hours": both are hours
                if later is not None:
                    unit, noun = later[0], later[1]
        if re.match(r"\s*(?:or more|-plus|\+)", text[end:end + 10]):
            qualifier = qualifier or "more"
        if _ZH_AFTER_ABOUT.match(text, end):
            qualifier = qualifier or "about"
    sign = re.search(r"(US\$|\$|€|£|₽|¥)\s*$", text[max(0, start - 3):start])  # $350 billion, €2.1 billion
    if sign and number.kind == "count":
        unit, start = _EN_CURRENCY_SIGNS[sign.group(1).lower()], start - len(sign.group(0))
    if qualifier is None:
        before = text[max(0, start - 24):start]
        zh = _ZH_QUALIFIER.search(before)
        en = _EN_QUALIFIER.search(before)
        if zh and (zh.group(1) != "上" or all(ch in _ZH_SMALL or ch in _ZH_BIG for ch in number.text)):
            qualifier, start = _ZH_QUALIFIERS[zh.group(1)], start - len(zh.group(1))  # 上 is "over" only in 上百, 上千
        elif en:
            qualifier, start = _EN_QUALIFIERS[re.sub(r"\s+", " ", en.group(1).lower())], start - len(before) + en.start(1)
    return replace(number, value=value, start=start, end=end, text=text[start:end], unit=unit, noun=noun,
                   qualifier=qualifier)


def same_number(a: Number, b: Number) -> bool:
    """Two statements of one value: equal values of one dimension (20% and 五分之一, 两个半小时 and "2.5 hours",
    60万 and 600,000); a figure without a unit is compared with one that has a unit by value alone."""
    if a.dimension == "percent" or b.dimension == "percent":
        if a.dimension != b.dimension:
            return False
        return abs(a.base - b.base) <= 0.005
    if a.unit in UNITS and b.unit in UNITS and UNITS[a.unit][0] != "count" and UNITS[b.unit][0] != "count":
        return a.dimension == b.dimension and _close(a.base, b.base)
    return _close(a.value, b.value)


def _close(x: float, y: float) -> bool:
    return abs(x - y) <= 1e-6 * max(1.0, abs(x), abs(y))


# -- rendering ------------------------------------------------------------------------------------

_QUALIFIER_TEXT = {
    "about": {"en": "about ", "zh-Hans": "约", "zh-Hant": "約"},
    "nearly": {"en": "nearly ", "zh-Hans": "近", "zh-Hant": "近"},
    "more": {"en": "more than ", "zh-Hans": "超过", "zh-Hant": "超過"},
    "at_least": {"en": "at least ", "zh-Hans": "至少", "zh-Hant": "至少"},
    "up_to": {"en": "up to ", "zh-Hans": "最多", "zh-Hant": "最多"},
    "less": {"en": "less than ", "zh-Hans": "不到", "zh-Hant": "不到"},
}
_UNIT_TEXT = {  # unit -> (English singular, English plural, Simplified, Traditional)
    "minute": ("minute", "minutes", "分钟", "分鐘"), "hour": ("hour", "hours", "小时", "小時"),
    "day": ("day", "days", "天", "天"), "week": ("week", "weeks", "周", "週"), "month": ("month", "months", "个月", "個月"),
    "year": ("year", "years", "年", "年"), "km": ("km", "km", "公里", "公里"),
    "square_km": ("square kilometre", "square kilometres", "平方公里", "平方公里"),
    "usd": ("dollar", "dollars", "美元", "美元"), "eur": ("euro", "euros", "欧元", "歐元"),
    "gbp": ("pound", "pounds", "英镑", "英鎊"), "rub": ("rouble", "roubles", "卢布", "盧布"),
    "uah": ("hryvnia", "hryvnias", "格里夫纳", "格里夫納"), "cny": ("yuan", "yuan", "元", "元"),
    "people": ("person", "people", "人", "人"), "troops": ("soldier", "troops", "名士兵", "名士兵"),
    "prisoners": ("prisoner", "prisoners", "名战俘", "名戰俘"), "bodies": ("body", "bodies", "具遗体", "具遺體"),
    "times": ("time", "times", "次", "次"), "votes": ("vote", "votes", "票", "票"),
    "countries": ("country", "countries", "个国家", "個國家"), "drones": ("drone", "drones", "架无人机", "架無人機"),
    "missiles": ("missile", "missiles", "枚导弹", "枚導彈"), "households": ("household", "households", "户", "戶"),
}
_EN_SMALL = "zero one two three four five six seven eight nine ten".split()
_EN_FRACTIONS = {(1, 2): "half", (1, 3): "one third", (2, 3): "two thirds", (1, 4): "a quarter", (3, 4): "three quarters",
                 (1, 5): "one fifth", (1, 10): "one tenth"}
_ZH_NUMERALS = "零一二三四五六七八九十"
_VAGUE_TEXT = {10: ("dozens of", "数十", "數十"), 12: ("dozens of", "数十", "數十"), 20: ("scores of", "数十", "數十"),
               100: ("hundreds of", "数百", "數百"), 1000: ("thousands of", "数千", "數千"),
               10_000: ("tens of thousands of", "数万", "數萬"), 100_000: ("hundreds of thousands of", "数十万", "數十萬"),
               1_000_000: ("millions of", "数百万", "數百萬")}


def render_number(number: Number, language: str, *, with_unit: bool = True) -> str:
    """The figure written for a reader of ``language``: "about 600,000", "约60万", "2.5 hours", "两个半小时"
    is "2.5小时", "one third", "三分之一", "€2.1 billion" / "21亿欧元". Counted nouns known to ``UNITS`` are
    written too ("6,000 bodies" for 6000具) unless ``with_unit`` is false."""
    zh = language.startswith("zh")
    hant = language == "zh-Hant"
    column = 3 if hant else 2 if zh else 0
    qualifier = _QUALIFIER_TEXT.get(number.qualifier or "", {}).get("zh-Hant" if hant else "zh-Hans" if zh else "en", "")
    if number.qualifier == "multiple" and int(number.value) in _VAGUE_TEXT:
        words = _VAGUE_TEXT[int(number.value)][column - 1 if zh else 0]
        unit = _unit_text(number, 2, column) if with_unit else ""
        return render_chinese(f"{words}{unit}", language) if zh else f"{words} {unit.strip()}".strip()
    if number.kind == "percent":
        return f"{qualifier}{_plain(number.value)}%"
    if number.kind == "fraction":
        return qualifier + _fraction_text(number.value, zh)
    if number.unit in UNITS and UNITS[number.unit][0].startswith("money") and not zh:
        sign = {"usd": "$", "eur": "€", "gbp": "£"}.get(number.unit)
        if sign:
            return f"{qualifier}{sign}{_english_value(number.value)}"
    if number.unit in _DURATION_UNITS and number.value == 0.5 and with_unit:
        half = {"hour": ("half an hour", "半小时", "半小時"), "day": ("half a day", "半天", "半天"),
                "year": ("half a year", "半年", "半年")}.get(number.unit)
        if half:
            return qualifier + half[column - 1 if zh else 0]
    if zh:
        value_text = _chinese_value(number.value)
        if number.unit in _DURATION_UNITS and number.value == int(number.value) and 1 <= number.value <= 10:
            value_text = "两" if number.value == 2 else _ZH_NUMERALS[int(number.value)]  # 约一小时, 两个月
        unit = _unit_text(number, number.value, column) if with_unit else ""
        return render_chinese(f"{qualifier}{value_text}{unit}", language)
    value = number.value
    if number.unit in _DURATION_UNITS and value == int(value) and value <= 10:
        text = _EN_SMALL[int(value)]
    else:
        text = _english_value(value)
    unit = _unit_text(number, value, column) if with_unit else ""
    return f"{qualifier}{text}{unit}"


def _unit_text(number: Number, value: float, column: int) -> str:
    forms = _UNIT_TEXT.get(number.unit or "")
    if forms is None:
        return ""
    if column:
        return forms[column]
    return " " + (forms[0] if value == 1 else forms[1])


def _plain(value: float) -> str:
    return f"{value:.0f}" if value == int(value) else f"{value:g}"


def _english_value(value: float) -> str:
    for scale, word in ((1e12, "trillion"), (1e9, "billion"), (1e6, "million")):
        if value >= scale:
            return f"{value / scale:.3g} {word}" if value / scale < 1000 else f"{value / scale:,.0f} {word}"
    return f"{value:,.0f}" if value == int(value) else f"{value:,.3g}"


def _chinese_value(value: float) -> str:
    for scale, word in ((1e8, "亿"), (1e4, "万")):
        if value >= scale:
            return f"{value / scale:.4g}{word}"
    return _plain(value)


def _fraction_text(value: float, zh: bool) -> str:
    for denominator in (2, 3, 4, 5, 10):
        numerator = round(value * denominator)
        if numerator and abs(numerator / denominator - value) < 1e-3:
            if zh:
                return "一半" if denominator == 2 and numerator == 1 else \
                    f"{_ZH_NUMERALS[denominator]}分之{_ZH_NUMERALS[numerator]}"
            if (numerator, denominator) in _EN_FRACTIONS:
                return _EN_FRACTIONS[(numerator, denominator)]
    return f"{value * 100:.0f}%"


def render_chinese(text: str, language: str) -> str:
    """``text`` with its numerals in the script of ``language`` (万/亿/两 differ: 60万 <-> 60萬)."""
    if language == "zh-Hant":
        return text.replace("万", "萬").replace("亿", "億").replace("两", "兩")
    return text.replace("萬", "万").replace("億", "亿").replace("兩", "两")


def facts_in(text: str) -> tuple[tuple[Number, ...], tuple[DateMention, ...]]:
    """The numbers and the dates of ``text`` (cached: evidence quotes are read for every sentence that cites them)."""
    return tuple(numbers_in(text)), tuple(with_weekday(d) for d in dates_in(text))
