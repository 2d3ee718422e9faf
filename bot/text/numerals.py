"""Numerals in English and Chinese: 六十万, 两千五百, "twenty-five", "a third", read into values.

The low layer of bot/text/numbers.py (figures with units and approximations) and bot/text/date_mentions.py.
"""
from __future__ import annotations

import re

# -- Chinese numerals ---------------------------------------------------------------------------

_ZH_DIGITS = {"零": 0, "〇": 0, "○": 0, "一": 1, "壹": 1, "二": 2, "贰": 2, "貳": 2, "两": 2, "兩": 2, "三": 3, "叁": 3,
              "參": 3, "四": 4, "肆": 4, "五": 5, "伍": 5, "六": 6, "陆": 6, "陸": 6, "七": 7, "柒": 7, "八": 8, "捌": 8,
              "九": 9, "玖": 9}
_ZH_SMALL = {"十": 10, "拾": 10, "百": 100, "佰": 100, "千": 1000, "仟": 1000}
_ZH_BIG = {"万": 10_000, "萬": 10_000, "亿": 100_000_000, "億": 100_000_000}
_ZH_NUMERAL_CHARS = "".join(_ZH_DIGITS) + "".join(_ZH_SMALL) + "".join(_ZH_BIG)
_ZH_NUMERAL = f"[{_ZH_NUMERAL_CHARS}]+(?:[点點][{''.join(_ZH_DIGITS)}]+)?"


def parse_chinese_numeral(text: str) -> float | None:
    """The value of a Chinese numeral: 一百二十 -> 120, 两千 -> 2000, 三万五千 -> 35000, 一亿二千万 -> 120000000,
    二〇二五 -> 2025 (digit by digit), 三点五 -> 3.5. None when ``text`` is not one numeral."""
    text = text.strip()
    if not text:
        return None
    whole, _, decimals = text.replace("點", "点").partition("点")
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
    if digit and section and text[-2] in _ZH_SMALL and _ZH_SMALL[text[-2]] >= 100 and text[-2] not in "十拾":
        # 两万五 (25000), 三千五 (3500): a trailing digit after a unit of 100+ counts in the next unit down
        digit *= _ZH_SMALL[text[-2]] / 10
    elif digit and not section and total and text[-2] in _ZH_BIG:
        digit *= _ZH_BIG[text[-2]] / 10  # 两万五 -> 25000, 一亿五 -> 150000000
    return total + section + (digit or 0)


# -- English number words -----------------------------------------------------------------------

_EN_UNITS = {w: i for i, w in enumerate("zero one two three four five six seven eight nine ten eleven twelve thirteen "
                                         "fourteen fifteen sixteen seventeen eighteen nineteen".split())}
_EN_TENS = {w: 10 * (i + 2) for i, w in enumerate("twenty thirty forty fifty sixty seventy eighty ninety".split())}
_EN_SCALES = {"hundred": 100, "thousand": 1_000, "million": 1_000_000, "billion": 1_000_000_000,
              "trillion": 1_000_000_000_000}
_EN_WORD = "|".join(sorted([*_EN_UNITS, *_EN_TENS, *_EN_SCALES], key=len, reverse=True))
_EN_WORDS = re.compile(rf"\b(?:a\s+)?(?:{_EN_WORD})(?:(?:[\s-]+|\s+and\s+)(?:{_EN_WORD}))*\b", re.I)
_FRACTION_WORDS = {"half": 2, "halves": 2, "third": 3, "thirds": 3, "quarter": 4, "quarters": 4, "fourth": 4,
                   "fourths": 4, "fifth": 5, "fifths": 5, "sixth": 6, "sixths": 6, "tenth": 10, "tenths": 10}
# "a third of", "two-thirds", "one in five"; not "a third round" (an ordinal) nor "half an hour" (a duration)
_EN_FRACTION = re.compile(
    rf"\b(?P<n>a|an|one|two|three|four|nine)[\s-]+(?P<d>{'|'.join(_FRACTION_WORDS)})\b(?=\s+of\b|\s*[,.;:)]|\s*$)"
    r"|\b(?P<half>half)\b(?=\s+(?:of|the|their|its|all)\b)"
    r"|\b(?P<n2>one|two|three)\s+in\s+(?P<d2>two|three|four|five|six|seven|eight|nine|ten)\b", re.I)


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


# -- finding them fast ------------------------------------------------------------------------

_LATIN_WORD = re.compile(r"[a-z]+")
_TOKEN = re.compile(r"[A-Za-z]+|\d+")


def _matches_at(pattern: re.Pattern, text: str, words: frozenset, *, digits: bool = False, article: bool = False):
    """``pattern``'s matches starting at a word of ``words`` (or a digit run), left to right and not overlapping:
    what ``finditer`` finds, without trying a long case-insensitive alternation at every position of the text."""
    end = 0
    for token in _TOKEN.finditer(text):
        word = token.group(0)
        if token.start() < end or not (word.lower() in words or digits and word.isdigit()):
            continue
        start = token.start()
        if article and re.search(r"\ban?\s+$", text[max(0, start - 3):start], re.I):
            start = start - len(re.search(r"an?\s+$", text[max(0, start - 3):start], re.I).group(0))
        match = pattern.match(text, start) or (pattern.match(text, token.start()) if start != token.start() else None)
        if match and match.end() > match.start():
            end = match.end()
            yield match


def _value(text: str) -> float | None:
    try:
        return float(text.replace(",", ""))
    except ValueError:
        return parse_chinese_numeral(text)
