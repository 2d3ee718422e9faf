"""Extraction: seed metadata, verbatim sentence offsets, languages, boilerplate, decoding, HTML, hostile input."""
from __future__ import annotations

import random
import re
from datetime import date
from pathlib import Path

import pytest

from bot.errors import BadDocument
from bot.ingestion.decoding import decode_bytes, detect_language
from bot.ingestion.extract import Extracted, extract_html, extract_text, outlet_for_url, strip_inline_html
from bot.ingestion.sentences import split_sentences

REPO = Path(__file__).resolve().parents[3]
SEEDS = REPO / "seeds"
DATA = REPO / "tests" / "data" / "extract"
ELECTION = [(date(2024, 11, 5), ["presidential election"])]


def seed_path(prefix: str) -> Path:
    return next(SEEDS.glob(f"{prefix}_*.txt"))


def extract_seed(prefix: str, events=ELECTION) -> Extracted:
    path = seed_path(prefix)
    return extract_text(decode_bytes(path.read_bytes(), origin=str(path)), origin=str(path), context_events=events)


def squash(text: str) -> str:
    return " ".join(text.split())


def spoken(doc: Extracted, language: str) -> list[str]:
    return [s.text for s in doc.sentences if s.language == language]


# --------------------------------------------------------------------------- seeds


def test_seed_001_moscow_times_relaying_kommersant():
    doc = extract_seed("001")
    assert doc.url == "https://www.themoscowtimes.com/2025/03/19/putin-pressures-trump-to-recognize-annexed-ukrainian-territories-kommersant-a88410"
    assert doc.outlet == "The Moscow Times"
    assert doc.cited_agency == "Kommersant"
    assert doc.published == date(2025, 3, 19)
    assert doc.title == "Putin Pressures Trump to Recognize Annexed Ukrainian Territories"
    assert doc.language == "en"


def test_seed_002_dateline_year_comes_from_the_profile_event():
    doc = extract_seed("002")
    assert doc.outlet == "V7N"
    assert doc.published == date(2024, 11, 23)
    assert doc.url is None
    assert doc.language == "en"
    assert doc.sentences[0].text.startswith("Moscow, Nov 23 (V7N) — Russian President")  # a dateline paragraph is body, not title
    assert doc.title.startswith("Russian President Vladimir Putin has expressed interest")


def test_seed_002_without_an_anchor_the_date_is_unknown():
    assert extract_seed("002", events=[]).published is None
    # the keyword alone, or the month-day alone, is not enough
    assert extract_seed("002", events=[(date(2024, 11, 6), ["presidential election"])]).published is None
    assert extract_seed("002", events=[(date(2024, 11, 5), ["royal wedding"])]).published is None


def test_seed_002_year_follows_whichever_event_the_profile_gives():
    doc = extract_seed("002", events=[(date(2020, 11, 5), ["presidential election"])])
    assert doc.published == date(2020, 11, 23)


def test_seed_000_zerohedge_with_a_simplified_chinese_summary():
    doc = extract_seed("000")
    assert doc.url == "https://www.zerohedge.com/geopolitical/putin-pressures-trump-recognize-annexed-eastern-territories-captured"
    assert doc.outlet == "ZeroHedge"
    assert doc.published is None  # "Tuesday", "March 23", "March of 2024": no knowable date
    assert doc.language == "en"
    chinese = spoken(doc, "zh-Hans")
    assert chinese and all(re.search(r"[\u4e00-\u9fff]", s) for s in chinese)
    assert chinese[0].startswith("据报道,普京总统正寻求美国承认")
    assert all(s.paragraph == 0 for s in doc.sentences if s.language == "zh-Hans")
    english = spoken(doc, "en")
    assert any(s.startswith("The readouts from the Tuesday Putin-Trump phone call") for s in english)
    assert not any(re.search(r"[\u4e00-\u9fff]", s) for s in english)


def test_seed_003_traditional_chinese_undated_without_url():
    doc = extract_seed("003")
    assert doc.language == "zh-Hant"
    assert doc.published is None
    assert doc.url is None
    assert doc.title == "特朗普透露他已經與普京談論了烏克蘭的戰爭"
    assert {s.language for s in doc.sentences} == {"zh-Hant"}  # "Fyodor Lukyanov說。" too


def test_seed_004_ukrainska_pravda_relaying_reuters():
    doc = extract_seed("004")
    assert doc.outlet == "Ukrainska Pravda"
    assert doc.cited_agency == "Reuters"
    assert doc.published is None
    assert doc.title == "Putin is ready to discuss freezing war and ceasefire with Trump, but won't give up territories"


@pytest.mark.parametrize("prefix", ["000", "001", "002", "003", "004"])
def test_sentences_are_verbatim_and_stay_inside_paragraphs(prefix):
    path = seed_path(prefix)
    original = squash(strip_inline_html(path.read_text("utf-8")))  # verbatim against the text without inline tags
    doc = extract_seed(prefix)
    assert doc.sentences
    for sentence in doc.sentences:
        assert doc.text[sentence.start:sentence.end] == sentence.text
        assert sentence.text == sentence.text.strip() and sentence.text
        assert squash(sentence.text) in original
        assert "\n\n" not in sentence.text
    assert [s.start for s in doc.sentences] == sorted(s.start for s in doc.sentences)
    assert [s.paragraph for s in doc.sentences] == sorted(s.paragraph for s in doc.sentences)


def test_title_is_not_a_body_sentence():
    doc = extract_seed("001")
    assert "Putin Pressures Trump" not in doc.text
    assert doc.sentences[0].text.startswith("President Vladimir Putin is pushing U.S. President Donald Trump")


# --------------------------------------------------------------------------- boilerplate


@pytest.mark.parametrize("prefix, dropped", [
    ("000", ["联系我们 contact @ memedata.com", "Image source: NY Times", "原始链接"]),
    ("001", ["**kremlin.ru**", "Related article:", "Original url:", "March 19, 2025", "themoscowtimes.com/2025"]),
    ("002", ["END/RH/AJ", "Comment:"]),
    ("004", ["Support UP or become our patron!"]),
])
def test_boilerplate_lines_are_removed(prefix, dropped):
    doc = extract_seed(prefix)
    for line in dropped:
        assert line in seed_path(prefix).read_text("utf-8")
        assert line not in doc.text


def test_source_line_names_the_agency_and_stays_in_the_text():
    raw = "Title here\n\nSource: Reuters, citing officials\n\nTalks resumed on Monday.\n"
    doc = extract_text(raw)
    assert doc.cited_agency == "Reuters"
    assert "Source: Reuters, citing officials" in doc.text


# --------------------------------------------------------------------------- dates and attribution


def test_chinese_date_line_and_chinese_url_label():
    doc = extract_text((DATA / "zh_dated.txt").read_text("utf-8"))
    assert doc.published == date(2025, 3, 13)
    assert doc.url == "https://example.org/world/putin-ceasefire-nuances"
    assert doc.outlet == "example.org"
    assert doc.language == "zh-Hans"
    assert "2025年3月13日" not in doc.text and "原文链接" not in doc.text


def test_date_in_the_url_counts_as_evidence():
    raw = "Kyiv agrees to truce plan\n\nUkraine endorsed the plan.\n\nOriginal url: https://example.net/europe/2025-03-12/kyiv-truce-plan\n"
    doc = extract_text(raw)
    assert doc.published == date(2025, 3, 12)
    assert doc.outlet == "example.net"
    slashed = extract_text("Headline\n\nBody text.", url="https://news.example.com/2024/11/23/story")
    assert slashed.published == date(2024, 11, 23)


def test_explicit_full_date_in_the_body_anchors_a_yearless_dateline():
    raw = ("KYIV, Mar 12 (XYZ) — Officials met again. Talks on March 11, 2025 ended late.\n"
           "More talks are planned.\n")
    doc = extract_text(raw)
    assert doc.published == date(2025, 3, 12)
    assert doc.outlet == "XYZ"


def test_no_date_is_invented_from_a_body_date():
    doc = extract_text("Headline\n\nThe treaty was signed on March 11, 2014 in Minsk.\n")
    assert doc.published is None


def test_dateline_agency_on_a_known_site_is_the_cited_agency():
    raw = "Envoys meet\n\nWASHINGTON (Reuters) — Envoys met on Monday.\n"
    doc = extract_text(raw, url="https://www.usnews.com/news/world/articles/envoys-meet")
    assert doc.outlet == "U.S. News & World Report"
    assert doc.cited_agency == "Reuters"


def test_according_to_a_known_agency_in_chinese():
    doc = extract_text("标题\n\n据路透社报道,双方同意继续谈判。\n")
    assert doc.cited_agency == "Reuters"


def test_title_suffix_that_is_not_a_source_is_kept():
    doc = extract_text("Ceasefire talks resume – Live Updates\n\nThe talks resumed.\n")
    assert doc.title == "Ceasefire talks resume – Live Updates"
    assert doc.cited_agency is None


def test_outlet_for_url_uses_the_data_file_then_the_domain():
    assert outlet_for_url("https://news.bbc.co.uk/world/x") == "BBC"
    assert outlet_for_url("https://www.kyivindependent.com/a") == "The Kyiv Independent"
    assert outlet_for_url("https://blog.example.org/post") == "example.org"
    assert outlet_for_url(None) is None


# --------------------------------------------------------------------------- language


@pytest.mark.parametrize("text, expected", [
    ("Russia and Ukraine agreed to a ceasefire.", "en"),
    ("俄罗斯和乌克兰同意停火。", "zh-Hans"),
    ("俄羅斯和烏克蘭同意停火。", "zh-Hant"),
    ("普京说，特朗普“聪明，务实”。", "zh-Hans"),
    ("普京說，特朗普「聰明，務實」。", "zh-Hant"),
    ("Zelenskyy對美聯社說:我們不能讓某人為我們決定。", "zh-Hant"),
    ("Xi Jinping (习近平) met the delegation in Beijing on Monday.", "en"),
    ("", "en"),
    ("12345 !!!", "en"),
    ("Путин заявил, что переговоры возможны.", "en"),  # other scripts: best guess among the three
])
def test_detect_language(text, expected):
    assert detect_language(text) == expected


# --------------------------------------------------------------------------- sentences


def spans_text(text: str) -> list[str]:
    return [text[s:e] for s, e in split_sentences(text)]


def test_split_keeps_abbreviations_together():
    text = "On Nov. 23, Mr. Smith met U.S. officials. Donald J. Trump was not there. It ended at 5 p.m. on time."
    assert spans_text(text) == [
        "On Nov. 23, Mr. Smith met U.S. officials.",
        "Donald J. Trump was not there.",
        "It ended at 5 p.m. on time.",
    ]


def test_split_handles_quotes_and_question_marks():
    text = 'He said: "It was great." Then he left. "Is it over?" she asked. Yes!'
    assert spans_text(text) == ['He said: "It was great."', "Then he left.", '"Is it over?" she asked.', "Yes!"]


def test_split_list_items_headings_and_decimals():
    text = "Key Conditions:\n1. Recognition of gains: about 18.5% of land. More follows.\n2. NATO exclusion\n- a dash item"
    assert spans_text(text) == [
        "Key Conditions:", "1. Recognition of gains: about 18.5% of land.", "More follows.", "2. NATO exclusion", "- a dash item",
    ]


def test_split_chinese_terminators_and_closing_quotes():
    text = "特朗普补充说:“人们每天都在垂死。我想结束这场战争。”他说。会谈何时举行？尚不清楚；双方未回应!"
    assert spans_text(text) == ["特朗普补充说:“人们每天都在垂死。我想结束这场战争。”", "他说。", "会谈何时举行？", "尚不清楚；", "双方未回应!"]


def test_split_ellipsis_inside_a_sentence():
    assert spans_text("Russia... will not lay claim to Odesa. Next.") == ["Russia... will not lay claim to Odesa.", "Next."]


def test_hard_wrapped_paragraph_is_one_paragraph():
    text = ("The delegations met in Geneva on Monday and agreed to\n"
            "continue the talks next week, officials said after the\n"
            "meeting ended. A statement followed.\n\nNew paragraph here.")
    doc = extract_text("Title\n\n" + text)
    assert [s.paragraph for s in doc.sentences] == [0, 0, 1]
    assert squash(doc.sentences[0].text) == ("The delegations met in Geneva on Monday and agreed to continue the talks "
                                             "next week, officials said after the meeting ended.")


# --------------------------------------------------------------------------- decoding


def test_decode_utf8_with_and_without_bom():
    assert decode_bytes("Привет 你好".encode()) == "Привет 你好"
    assert decode_bytes(b"\xef\xbb\xbfHello") == "Hello"
    assert decode_bytes("Hello 你好".encode("utf-16")) == "Hello 你好"


@pytest.mark.hostile
@pytest.mark.parametrize("codec", ["utf-16-le", "utf-16-be"])
def test_utf16_without_a_byte_order_mark_is_decoded_not_refused_as_binary(codec):
    english = "Ceasefire talks resume\n\nNegotiators met in Geneva on Tuesday, officials said.\n"
    chinese = "停火谈判恢复\n\n双方代表周二在日内瓦会面,官员说。\n"
    for text in (english, chinese, english + chinese):
        assert decode_bytes(text.encode(codec)) == text
    document = extract_text(decode_bytes((english * 3).encode(codec)))
    assert document.title == "Ceasefire talks resume" and "Geneva" in document.sentences[0].text


def test_decode_western_legacy_encoding():
    text = "Zelensky’s café – “quoted” text. " * 5
    assert decode_bytes(text.encode("cp1252")) == text


def test_decode_legacy_chinese_encodings():
    simplified = "特朗普说他想结束战争。俄罗斯和乌克兰的代表将在日内瓦会面。" * 5
    traditional = "特朗普說他想結束戰爭。俄羅斯和烏克蘭的代表將在日內瓦會面。" * 5
    assert decode_bytes(simplified.encode("gb18030")) == simplified
    assert decode_bytes(traditional.encode("big5")) == traditional


@pytest.mark.parametrize("data, message", [
    (b"", "empty"),
    (b"  \n\t \r\n", "empty"),
    (b"\x89PNG\r\n\x1a\n" + bytes(64), "binary"),
    (b"%PDF-1.7\n" + bytes(range(256)), "binary"),
    (b"text\x00with\x00nuls\x00" * 10, "binary"),
    ("A long and otherwise fine UTF-8 text. ".encode() * 100 + b"\x00", "binary"),
    (random.Random(7).randbytes(4000).translate(bytes(128 + b % 128 for b in range(256))), "undecodable"),
    (b"Talks \x81\x8d\x8f\x90\x9d resumed \xc3\x28 \xa0\xa1 " * 20, "undecodable"),
    ("Путин заявил, что переговоры возможны. ".encode("cp1251") * 10, "undecodable"),  # not a language Parley reads
])
def test_decode_refuses_bad_data(data, message):
    with pytest.raises(BadDocument, match=message) as caught:
        decode_bytes(data, origin="upload.bin")
    assert caught.value.origin == "upload.bin"


# --------------------------------------------------------------------------- HTML


def test_extract_html_uses_page_metadata():
    html = (DATA / "article.html").read_text("utf-8")
    doc = extract_html(html, url="https://news.example-herald.com/world/envoys?utm_source=x")
    assert doc.title == "Envoys agree to resume prisoner exchanges"
    assert doc.url == "https://news.example-herald.com/world/envoys-agree-prisoner-exchanges"
    assert doc.outlet == "Example Herald"
    assert doc.cited_agency == "Reuters"
    assert doc.published == date(2025, 4, 2)
    assert "Home" not in doc.text and "Related article" not in doc.text and "All rights reserved" not in doc.text
    texts = [s.text for s in doc.sentences]
    assert "The statement said the first exchange would involve 150 detainees from each side." in texts
    assert "The U.S. delegation, led by Mr. Smith, said it welcomed the agreement and urged both sides to keep the channel open." in texts
    assert all(doc.text[s.start:s.end] == s.text for s in doc.sentences)


def test_extract_html_without_text_is_a_bad_document():
    with pytest.raises(BadDocument):
        extract_html("<html><head><title>x</title></head><body></body></html>")


# --------------------------------------------------------------------------- hostile input


def test_deeply_nested_html_does_not_crash():
    html = "<html><body>" + "<div>" * 20_000 + "<p>Deep text. It is here.</p>" + "</div>" * 20_000 + "</body></html>"
    try:
        doc = extract_html(html)
    except BadDocument:
        return
    assert all(doc.text[s.start:s.end] == s.text for s in doc.sentences)


def test_giant_line_is_cut_into_bounded_sentences():
    doc = extract_text("Title\n" + "word " * 60_000)
    assert doc.sentences and max(len(s.text) for s in doc.sentences) <= 1000
    assert all(doc.text[s.start:s.end] == s.text for s in doc.sentences)
    unspaced = extract_text("标题\n" + "中" * 50_000)
    assert max(len(s.text) for s in unspaced.sentences) <= 1000


def test_control_characters_do_not_crash_and_are_kept():
    doc = extract_text("Title\x01\n\x1b[31mred\x07 text. More\x0b text.\u2028Next one.")
    assert doc.sentences
    assert "\x1b[31mred\x07 text." in doc.text


def test_empty_text_is_a_bad_document():
    with pytest.raises(BadDocument):
        extract_text(" \n\n\t")


def test_inline_html_in_plain_text_is_stripped_and_sentences_are_verbatim_slices_of_the_cleaned_text():
    raw = (SEEDS / "001_2944d1bea4c3ea3b.txt").read_text(encoding="utf-8")
    assert "<u>reported</u>" in raw
    extracted = extract_text(raw)
    assert "<u>" not in extracted.text and "</u>" not in extracted.text
    assert "the Kommersant business newspaper reported late Tuesday" in extracted.text
    for sentence in extracted.sentences:
        assert sentence.text == extracted.text[sentence.start:sentence.end] and "<u>" not in sentence.text
    # Only HTML element names count: comparisons and made-up brackets in prose are text.
    assert strip_inline_html("Withdraw <b>15 km</b> & keep A < B, <verify> &amp;") == "Withdraw 15 km & keep A < B, <verify> &"
    assert strip_inline_html("A < B &amp; <30 km>") == "A < B &amp; <30 km>"  # no tags: nothing is decoded


def test_a_short_chinese_page_keeps_headline_byline_and_related_links_out_of_its_first_sentences():
    doc = extract_html((DATA / "zh_short_page.html").read_text("utf-8"), url="https://www.news.cn/world/2025-03/19/c_1.htm")
    assert doc.title == "普京称愿与特朗普讨论停火"
    assert doc.sentences[0].text == "俄罗斯总统普京19日表示，愿意与美国总统特朗普讨论在乌克兰停火的问题。"
    for glued in ("新华社记者", "来源：新华网", "相关：", "俄乌谈判最新进展"):
        assert glued not in doc.text
    assert len(doc.sentences) == 3


def test_a_related_line_in_plain_text_is_dropped():
    doc = extract_text("普京称愿讨论停火\n\n俄罗斯总统普京19日表示愿意讨论停火。\n\n相关：俄乌谈判最新进展\n\n乌方表示怀疑。\n")
    assert "相关" not in doc.text and len(doc.sentences) == 2
