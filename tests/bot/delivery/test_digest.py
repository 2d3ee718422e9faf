"""What subscribers read: arrival summaries and digests rendered from really ingested documents."""
from __future__ import annotations

import shutil
from datetime import date, timedelta
from pathlib import Path

import pytest
from sqlmodel import Session, select

from bot.delivery.digest import build_digest, render_summary
from bot.ingestion.pipeline import Ingestor
from storage.models import Document, utcnow
from tests.conftest import build_services, make_settings

STORIES = Path(__file__).resolve().parents[2] / "data" / "stories"
ARRIVALS = ["a1_black_sea_deal.txt", "a3_black_sea_deal_zh_hant.txt", "a4_black_sea_recap.txt",
            "b1_un_administration.txt", "p1_peacekeepers_rejected.txt", "p2_peacekeepers_observers.txt"]


@pytest.fixture(scope="module")
def corpus(seeded_template, tmp_path_factory):
    """The seeds plus three stories (one with two retellings) and a position change, ingested once."""
    path = tmp_path_factory.mktemp("digest") / "digest.db"
    shutil.copyfile(seeded_template, path)
    services = build_services(make_settings(f"sqlite:///{path}"), seed=False)
    results = list(Ingestor(services).ingest_paths([str(STORIES / name) for name in ARRIVALS]))
    assert [r.status for r in results] == ["new", "duplicate", "duplicate", "new", "new", "new"]
    yield services
    services.engine.dispose()


def document(services, prefix: str) -> Document:
    with Session(services.engine) as session:
        return next(d for d in session.exec(select(Document)).all() if Path(d.origin).name.startswith(prefix))


def texts_of(services) -> dict[str, str]:
    with Session(services.engine) as session:
        return {d.id: d.text for d in session.exec(select(Document)).all()}


# -- one document -----------------------------------------------------------------------------------


def test_summary_in_traditional_chinese_keeps_english_quotes(corpus):
    a1 = document(corpus, "a1_")
    reply = render_summary(a1, "zh-Hant")
    assert reply.kind == "summary" and reply.language == "zh-Hant"
    assert reply.lead == "新報導:US says Russia and Ukraine agree to safe navigation in the Black Sea"
    items = a1.summary["items"]
    assert 3 <= len(items) <= 5
    for bullet in reply.bullets[:len(items)]:
        assert bullet.text.rstrip("…") in a1.text  # verbatim English
        assert bullet.cites
    citation = reply.citations[0]
    assert (citation.outlet, citation.published, citation.url) == (
        "example.com", date(2025, 3, 25), "https://harbour-news.example.com/2025/03/25/black-sea-navigation-deal")
    assert all(c.quote in a1.text for c in reply.citations)
    assert reply.labels["sources"] == "來源" and "來源：" in reply.text  # full-width punctuation in Chinese


def test_summary_of_a_duplicate_shows_only_what_it_adds(corpus):
    reply = render_summary(document(corpus, "a3_"), "en")
    assert reply.lead.startswith("More on a known story (independent sources so far: 2): 黑海航行協議達成")
    assert len(reply.bullets) == 1 and "Rosselkhozbank" in reply.bullets[0].text
    nothing = render_summary(document(corpus, "a4_"), "zh-Hans")
    assert [b.text for b in nothing.bullets] == ["这篇报道重复了此前报道的内容,没有新信息。"]


def test_position_change_is_written_in_the_readers_language_and_cites_the_quote(corpus):
    p2 = document(corpus, "p2_")
    reply = render_summary(p2, "zh-Hans")
    change = next(b for b in reply.bullets if "立场软化" in b.text)
    assert change.text.startswith("俄罗斯在安全保障与维和部队问题上立场软化:现为“提出条件”,此前为“拒绝”(2025-04-08")
    quote = reply.citations[change.cites[0] - 1].quote
    assert quote in p2.text and "peacekeeping mission" in quote


# -- the digest ---------------------------------------------------------------------------------------


def test_digest_over_several_stories(corpus):
    reply = build_digest(corpus.engine, date(2025, 3, 20), "en")
    assert reply.kind == "digest" and not reply.abstained
    assert reply.lead == "Digest since 2025-03-20. Stories: 4."
    lines = [b.text for b in reply.bullets]
    titles = [line for line in lines if "independent sources:" in line]
    # Newest first; the Black Sea story has three reports from three outlets.
    assert titles == [
        "Kremlin open to unarmed monitors after a peace deal, Peskov says (reports: 1; independent sources: 1)",
        "Lavrov: Russia rejects any European peacekeepers in Ukraine (reports: 1; independent sources: 1)",
        "Putin floats temporary UN administration for Ukraine (reports: 1; independent sources: 1)",
        "US says Russia and Ukraine agree to safe navigation in the Black Sea (reports: 3; independent sources: 3)",
    ]
    assert any(line.startswith("example.tw adds: 克里姆林宮隨後表示") for line in lines)
    assert any(line.startswith("Russia softened its stance on security guarantees and peacekeepers") for line in lines)
    texts = texts_of(corpus)
    assert all(c.quote in texts[c.document_id] for c in reply.citations)
    cited = {n for b in reply.bullets for n in b.cites}
    assert cited == set(range(1, len(reply.citations) + 1))  # every citation is used, numbered in order
    assert reply.as_of == date(2025, 4, 24)


def test_digest_filters_by_party_and_issue_in_either_calling_style(corpus):
    by_keyword = build_digest(corpus.engine, "2025-03-20", "zh-Hant", issues=["security_guarantees"])
    assert by_keyword.lead == "自 2025-03-20 以來的摘要:共 2 個新聞事件。"
    as_delivery_calls = build_digest(corpus.engine, date(2025, 3, 20), "zh-Hant",
                                     {"parties": ["russia"], "issues": ["security_guarantees"], "languages": []})
    assert as_delivery_calls.text == by_keyword.text
    assert build_digest(corpus.engine, date(2025, 3, 20), "en", issues=["prisoners"]).abstained


def test_digest_since_an_arrival_time_and_nothing_new(corpus):
    recent = build_digest(corpus.engine, utcnow() - timedelta(hours=1), "en")
    assert not recent.abstained
    assert "US says Russia and Ukraine agree to safe navigation in the Black Sea" in recent.text
    later = build_digest(corpus.engine, utcnow() + timedelta(minutes=5), "zh-Hans")
    assert later.abstained and not later.bullets
    assert later.lead.startswith("自 ") and later.lead.endswith("以来没有新内容。")
