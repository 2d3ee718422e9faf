"""Figures in every script: Chinese and Arabic numerals, fractions, percentages, durations, approximations."""
from __future__ import annotations

import pytest

from bot.text.date_mentions import dates_in
from bot.text.numerals import parse_chinese_numeral, parse_english_number
from bot.text.numbers import numbers_in, render_number, same_number


def one(text: str):
    found = numbers_in(text)
    assert len(found) == 1, (text, found)
    return found[0]


@pytest.mark.parametrize("numeral, value", [
    ("一", 1), ("十", 10), ("十二", 12), ("二十", 20), ("一百二十", 120), ("两千", 2000), ("兩萬", 20000),
    ("三万五千", 35000), ("两万五", 25000), ("三千五", 3500), ("一亿二千万", 120_000_000), ("二〇二五", 2025),
    ("三点五", 3.5), ("六十萬", 600_000), ("十万", 100_000), ("一百零五", 105),
])
def test_chinese_numerals_are_read(numeral, value):
    assert parse_chinese_numeral(numeral) == value


def test_english_number_words_are_read():
    assert parse_english_number("twenty-four") == 24
    assert parse_english_number("three hundred") == 300
    assert parse_english_number("a million") == 1_000_000
    assert parse_english_number("nonsense") is None


@pytest.mark.parametrize("text, value, unit, qualifier", [
    ("俄羅斯在烏克蘭境內部署了約60萬人的兵力", 600_000, "people", "about"),
    ("向烏克蘭移交了6000具烏軍陣亡士兵的遺體", 6000, "bodies", None),
    ("双方同意再交换逾1200名战俘", 1200, "prisoners", "more"),
    ("俄军发射了近百架无人机", 100, "drones", "nearly"),
    ("约十万户居民断电", 100_000, "households", "about"),
    ("部队规模约1.5万人", 15_000, "people", "about"),
    ("兵力增加了约十萬人", 100_000, "people", "about"),
    ("议会以338票赞成批准协议", 338, "votes", None),
    ("金額約21億歐元", 2_100_000_000, "eur", "about"),
    ("30多个国家", 30, "countries", "more"),
    ("1200余人", 1200, "people", "more"),
])
def test_chinese_figures_keep_value_unit_and_approximation(text, value, unit, qualifier):
    number = one(text)
    assert (number.value, number.kind, number.unit, number.qualifier) == (value, "count", unit, qualifier)


@pytest.mark.parametrize("text, hours, qualifier", [
    ("会谈持续了两个半小时", 2.5, None),
    ("會談持續了兩個半小時", 2.5, None),
    ("会谈持续约一小时", 1.0, "about"),
    ("一个半小时", 1.5, None),
    ("半小时后", 0.5, None),
    ("会谈持续约12小时", 12.0, "about"),
    ("实行24至48小时的短暂停火", 24.0, None),
    ("将战时状态延长90天", 90 * 24.0, None),
    ("the meeting lasted two and a half hours", 2.5, None),
    ("talks lasting about an hour", 1.0, "about"),
    ("the talks lasted about 40 minutes", 40 / 60, "about"),
    ("a 30-day ceasefire", 30 * 24.0, None),
    ("2.5 hours", 2.5, None),
    ("half an hour", 0.5, None),
])
def test_durations_are_read_in_hours(text, hours, qualifier):
    number = numbers_in(text)[0]
    assert number.dimension == "duration"
    assert number.base == pytest.approx(hours)
    assert number.qualifier == qualifier


def test_a_range_shares_its_unit():
    low, high = numbers_in("short truces of 24 to 48 hours")
    assert (low.value, low.unit, high.value, high.unit) == (24, "hour", 48, "hour")
    low, high = numbers_in("24至48小时")
    assert (low.unit, high.unit) == ("hour", "hour")


@pytest.mark.parametrize("text, share", [
    ("约三分之一的受访者", 1 / 3), ("about a third of respondents", 1 / 3), ("one third", 1 / 3),
    ("two-thirds of the territory", 2 / 3), ("one in five Ukrainians", 0.2), ("一半", 0.5),
    ("half of the royalties", 0.5), ("1/3", 1 / 3),
])
def test_fractions_are_shares(text, share):
    number = numbers_in(text)[0]
    assert number.kind == "fraction" and number.base == pytest.approx(share)


@pytest.mark.parametrize("text", ["百分之二十", "20%", "20 percent", "20 per cent", "两成"])
def test_percentages_are_shares(text):
    number = one(text)
    assert number.kind == "percent" and number.base == pytest.approx(0.2)


@pytest.mark.parametrize("text, qualifier", [
    ("about 30 countries", "about"), ("nearly 100 drones", "nearly"), ("more than 80 times", "more"),
    ("at least 1,200 more prisoners of war", "at_least"), ("up to 25,000 troops", "up_to"),
    ("fewer than 50 people", "less"), ("约60万人", "about"), ("近百架", "nearly"), ("逾1200名", "more"),
    ("超过80次", "more"), ("至少3名", "at_least"), ("不到50人", "less"), ("上千名", "multiple"), ("数十名", "multiple"),
    ("hundreds of prisoners", "multiple"),
])
def test_approximations_are_attached(text, qualifier):
    assert one(text).qualifier == qualifier


@pytest.mark.parametrize("left, right", [
    ("60万", "600,000"), ("60萬", "600 000"), ("60万人", "0.6 million people"), ("六十万", "600,000 troops"),
    ("6000具", "6,000 bodies"), ("逾1200名", "1,200"), ("十万", "100,000"), ("两万五千人", "25,000 troops"),
    ("21億歐元", "2.1 billion euros"), ("2100亿", "210 billion"), ("三分之一", "one third"), ("百分之二十", "20%"),
    ("百分之二十", "one in five"), ("两个半小时", "2.5 hours"), ("两个半小时", "150 minutes"), ("约一小时", "about an hour"),
    ("30天", "30-day"), ("近百", "nearly 100"), ("338票", "338 lawmakers"), ("一半", "50%"),
])
def test_one_value_in_two_languages_is_the_same_number(left, right):
    a, b = one(left), one(right)
    assert same_number(a, b) and same_number(b, a)


@pytest.mark.parametrize("left, right", [
    ("40分钟", "about an hour"), ("60万", "700,000"), ("6000具", "6,057 bodies"), ("三分之一", "20%"),
    ("30天", "30 hours"), ("21亿欧元", "2.1 billion dollars"),
])
def test_different_values_or_dimensions_are_not_the_same_number(left, right):
    assert not same_number(one(left), one(right))


@pytest.mark.parametrize("text", [
    "一些官员", "统一立场", "三方会谈", "第三轮谈判", "one of the officials", "a third round of talks", "twice a day",
    "a year ago", "in 2025", "2025年3月19日", "3月18日", "5月14日电", "千万不要", "进一步", "唯一的办法", "the 34th congress",
])
def test_words_that_are_not_figures(text):
    assert numbers_in(text) == []


def test_dates_are_not_figures_but_dates():
    assert numbers_in("3月18日起计算的30天") == numbers_in("3月18日起计算的30天")[:1]
    assert [d.fields() for d in dates_in("2025年3月19日")] == [{"year": 2025, "month": 3, "day": 19}]
    assert [d.fields() for d in dates_in("on March 18")] == [{"month": 3, "day": 18}]


def test_spans_cover_the_whole_phrase_in_the_original_text():
    text = "部署了約60萬人的兵力, some 600 000 troops"
    first, second = numbers_in(text)
    assert first.text == "約60萬人" and text[first.start:first.end] == first.text
    assert second.text == "some 600 000 troops"


@pytest.mark.parametrize("text, en, hans, hant", [
    ("約60萬人", "about 600,000 people", "约60万人", "約60萬人"),
    ("about 600,000", "about 600,000", "约60万", "約60萬"),
    ("十万", "100,000", "10万", "10萬"),
    ("6000具", "6,000 bodies", "6000具遗体", "6000具遺體"),
    ("逾1200名战俘", "more than 1,200 prisoners", "超过1200名战俘", "超過1200名戰俘"),
    ("近百架无人机", "nearly 100 drones", "近100架无人机", "近100架無人機"),
    ("两个半小时", "2.5 hours", "2.5小时", "2.5小時"),
    ("约一小时", "about one hour", "约一小时", "約一小時"),
    ("about 40 minutes", "about 40 minutes", "约40分钟", "約40分鐘"),
    ("三分之一", "one third", "三分之一", "三分之一"),
    ("百分之二十", "20%", "20%", "20%"),
    ("约21億歐元", "about €2.1 billion", "约21亿欧元", "約21億歐元"),
    ("$350 billion", "$350 billion", "3500亿美元", "3500億美元"),
    ("up to 25,000 troops", "up to 25,000 troops", "最多2.5万名士兵", "最多2.5萬名士兵"),
    ("30-day", "30 days", "30天", "30天"),
])
def test_figures_are_rendered_in_the_readers_language(text, en, hans, hant):
    number = one(text)
    assert (render_number(number, "en"), render_number(number, "zh-Hans"), render_number(number, "zh-Hant")) == (en, hans, hant)


def test_salience_leaves_out_lone_small_counts():
    assert not one("two sources said").salient
    assert one("约60万人").salient and one("三分之一").salient and one("约一小时").salient
