"""Arrival summaries that say what is new: key figures in any script kept, boilerplate never a bullet, a known story's
second report listing only what it adds, a headline saying who did what. Through the real ingest pipeline."""
from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from bot.ingestion.pipeline import Ingestor
from bot.ingestion.summary import clean_title, headline, is_boilerplate, is_content, numbers, restates, strip_dateline
from bot.text.numbers import numbers_in
from tests.conftest import build_services, make_settings

DOCS = Path(__file__).resolve().parents[2] / "data" / "summaries"


@pytest.fixture(scope="module")
def arrived(seeded_template, tmp_path_factory):
    """Three documents arriving after the seeds: an English report, a Chinese report of the same event adding one
    fact, and a Traditional Chinese report of another event whose figures sit away from its lead."""
    path = tmp_path_factory.mktemp("summaries") / "summaries.db"
    shutil.copyfile(seeded_template, path)
    services = build_services(make_settings(f"sqlite:///{path}"), seed=False)
    results = {r.origin.rsplit("/", 1)[-1][:2]: r for r in Ingestor(services).ingest_paths([str(DOCS)])}
    yield results
    services.engine.dispose()


def summary_text(result) -> str:
    summary = result.to_json()["summary"]
    return " ".join([summary["headline"], *summary["bullets"], *summary["new_points"]])


def test_a_chinese_report_keeps_its_key_figures(arrived):
    s3 = arrived["s3"]
    assert s3.status == "new"
    bullets = s3.summary["bullets"]
    values = {n.value for bullet in bullets for n in numbers_in(bullet)}
    assert {390, 1200} <= values, bullets  # 三百九十名, 约一千二百具: read as figures and kept, though far from the lead
    assert not any("責任編輯" in b for b in bullets)


def test_footer_lines_never_become_bullets(arrived):
    s1 = arrived["s1"]
    everything = " ".join(s1.summary["bullets"] + [item["text"] for item in s1.summary["items"]])
    assert "Related" not in everything and "©" not in everything and "All rights reserved" not in everything
    assert all(not b.startswith("GENEVA") for b in s1.summary["bullets"])  # the dateline is not part of a bullet
    assert any("3 million tonnes" in b for b in s1.summary["bullets"])  # the footer's sentence is dropped, not its paragraph


def test_a_known_storys_second_report_lists_only_what_it_adds(arrived):
    s1, s2 = arrived["s1"], arrived["s2"]
    assert s2.status == "duplicate" and s2.duplicate_of == s1.document_id  # a Chinese report of the English one
    new_points = s2.summary["new_points"]
    assert any("一百二十名" in point for point in new_points), new_points  # the inspection centre: the new fact
    known = numbers(" ".join(s1.summary["bullets"]) + " " + "about nine hours within ten days")
    for point in new_points:  # nothing it restates: the nine hours, the ten days
        assert not (numbers(point) and numbers(point) <= known), point


def test_headline_says_who_did_what(arrived):
    assert arrived["s1"].summary["headline"] == "Russia and Ukraine agree to reopen grain corridor after Geneva talks"
    first = "MOSCOW, Nov 23 (Example) — Russian President Vladimir Putin has expressed interest in talks with Donald Trump."
    # No title: the summary's top sentence without its dateline, not the document's first line as it stands
    assert headline("", first, best=first) == "Russian President Vladimir Putin has expressed interest in talks with Donald Trump."
    assert headline("By Jane Doe", first) == strip_dateline(first)  # a byline is no headline
    said = "Russian Foreign Minister Sergei Lavrov said on Thursday that Moscow would not accept European troops."
    assert headline("", said, best=said) == "Russian Foreign Minister Sergei Lavrov: Moscow would not accept European troops"
    relayed = "According to reports from Russian media, Putin is open to talks mediated by Trump."
    assert headline("", relayed, best=relayed).startswith("Putin is open to talks")  # no one in particular: the claim


@pytest.mark.parametrize("line", [
    "© 2025 Example Wire. All rights reserved.", "Related: Black Sea shipping insurance costs rise.",
    "Read more: Kremlin says talks useful", "By Jane Doe and John Smith", "(Reporting by Jane Doe; Editing by Ed Smith)",
    "Home | World | Europe | Ukraine", "相关阅读：俄乌谈判进入第三轮", "責任編輯：陳怡君", "Follow us on Telegram for updates.",
    "Photo: Reuters", "This article was first published by Example News.", "原文链接：https://example.cn/a",
])
def test_boilerplate_is_recognised(line):
    assert is_boilerplate(line) and not is_content(line)


@pytest.mark.parametrize("sentence", [
    "By the end of the day, no date had been set for a second round.", "By contrast, Ukraine said it would not agree.",
    "Russia and Ukraine agreed to reopen the corridor, UN officials said.", "俄方表示，相关谈判将在下周继续。",
])
def test_news_sentences_are_not_boilerplate(sentence):
    assert not is_boilerplate(sentence)


@pytest.mark.parametrize("sentence, rest", [
    ("RIYADH, March 25 (Reuters) - Russia and Ukraine agreed to stop.", "Russia and Ukraine agreed to stop."),
    ("PARIS — France and Britain will lead a force.", "France and Britain will lead a force."),
    ("新华社利雅得3月25日电（记者 王磊 张晓）俄美两国代表团24日在利雅得举行会谈。", "俄美两国代表团24日在利雅得举行会谈。"),
    ("中央社莫斯科2025年4月15日電 俄羅斯副外長今天表示，俄方可以考慮。", "俄羅斯副外長今天表示，俄方可以考慮。"),
    ("【綜合報導】烏克蘭總統澤倫斯基2日表示，俄軍正在集結。", "烏克蘭總統澤倫斯基2日表示，俄軍正在集結。"),
    ("Lavrov — speaking in Moscow — said Russia would not agree.", "Lavrov — speaking in Moscow — said Russia would not agree."),
    ("NATO — the alliance Kyiv wants to join — said nothing.", "NATO — the alliance Kyiv wants to join — said nothing."),
])
def test_datelines_and_bylines_are_cut_from_the_shown_text(sentence, rest):
    assert strip_dateline(sentence) == rest and sentence.endswith(rest)


def test_titles_lose_their_glued_byline_or_outlet():
    assert clean_title("Kremlin denies report | The Moscow Times") == "Kremlin denies report"
    assert clean_title("Putin says talks useful By Guy Faulconbridge") == "Putin says talks useful"
    assert clean_title("Kremlin denies report Updated 12:05 GMT") == "Kremlin denies report"


def test_a_restatement_in_another_script_adds_nothing():
    known = {("figure", "1200"), ("key_figure", "1200"), ("entity", "medinsky")}
    assert restates("双方同意再交换逾1200名战俘。", set(), known, None)
    assert not restates("双方同意再交换逾1500名战俘。", set(), known, None)
    assert not restates("Medinsky said the talks would go on.", set(), known, None)  # no figure or position: undecided
