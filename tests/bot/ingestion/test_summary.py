"""Bullet selection: real extraction, real embeddings, real ledger findings, no database."""
from __future__ import annotations

from pathlib import Path

import pytest

from bot.ingestion.decoding import decode_bytes
from bot.ingestion.extract import extract_text
from bot.ingestion.ledger import extract_positions
from bot.text.profile import Profile
from bot.ingestion.summary import MAX_BULLET_CHARS, bullet_count, calendar_days, headline, numbers, select_items, shorten
from storage.models import Passage, Position
from tests.conftest import SEEDS

STORIES = Path(__file__).resolve().parents[2] / "data" / "stories"


@pytest.fixture(scope="module")
def profile() -> Profile:
    return Profile.load()


@pytest.fixture(scope="module")
def embedder():
    from bot.embedding.embedder import Embedder

    return Embedder()


def prepared(path: Path, profile: Profile, embedder):
    """A document as on_arrival sees it: passages with ids, their vectors, the ledger's Position rows, the title's vector."""
    extracted = extract_text(decode_bytes(path.read_bytes()), origin=str(path))
    passages = [Passage(id=100 + i, document_id="d", seq=i, paragraph=s.paragraph, start=s.start, end=s.end,
                        text=s.text, language=s.language) for i, s in enumerate(extracted.sentences)]
    vectors = embedder.passages([p.text for p in passages])
    findings = [Position(document_id="d", passage_id=passages[f.sentence_index].id, party=f.party, issue=f.issue,
                         stance=f.stance, quote=f.quote)
                for f in extract_positions([p.text for p in passages], profile, cited_agency=extracted.cited_agency)]
    return extracted, passages, vectors, findings, embedder.passages([extracted.title])[0]


def test_long_report_gets_five_verbatim_bullets_beyond_the_lead(profile, embedder):
    extracted, passages, vectors, findings, title = prepared(next(SEEDS.glob("004_*.txt")), profile, embedder)
    items = select_items(passages, vectors, findings, profile, title_vector=title)
    assert len(items) == 5
    for item in items:
        assert item.quote in extracted.text
        assert item.text.rstrip("…") in item.quote
    assert [item.seq for item in items] == sorted(item.seq for item in items)  # document order
    assert max(item.seq for item in items) > 3  # not just the lead paragraph
    covered = {(f.party, f.issue) for f in findings if f.passage_id in {item.passage_id for item in items}}
    assert len(covered) >= 2  # several distinct positions, not one repeated
    assert any(numbers(item.text) for item in items)  # the figures of the deal


def test_bullets_prefer_negotiation_content_to_colour(profile, embedder):
    _, passages, vectors, findings, title = prepared(next(SEEDS.glob("000_*.txt")), profile, embedder)
    chosen = " ".join(item.quote for item in select_items(passages, vectors, findings, profile, title_vector=title))
    # The Kommersant terms are the news; Musk's year-old prediction and the Fox interview colour are not.
    assert "recognition" in chosen or "承认" in chosen
    assert "Tesla and SpaceX" not in chosen


def test_short_chinese_report_keeps_its_sentences_verbatim(profile, embedder):
    extracted, passages, vectors, findings, title = prepared(STORIES / "a3_black_sea_deal_zh_hant.txt", profile, embedder)
    items = select_items(passages, vectors, findings, profile, title_vector=title)
    assert [item.quote for item in items] == [p.text for p in passages]  # three sentences: all of them
    assert headline(extracted.title, passages[0].text) == "黑海航行協議達成 克里姆林宮:須先解除對農業銀行制裁"


def test_bullet_count_stays_between_three_and_five():
    assert [bullet_count(n) for n in (1, 2, 3, 4, 6, 8, 10, 40)] == [1, 2, 3, 3, 3, 4, 5, 5]


def test_long_sentence_is_cut_at_a_clause_and_stays_verbatim():
    sentence = ("Ukraine said on Tuesday it was ready to accept a US proposal for an immediate 30-day ceasefire with Russia, "
                "after more than eight hours of talks between American and Ukrainian delegations in the Saudi Red Sea city, "
                "and the two sides said the truce could be extended by mutual agreement and would take effect once Russia "
                "accepted it, while Washington said it would lift its pause on intelligence sharing.")
    short = shorten(sentence)
    assert len(short) <= MAX_BULLET_CHARS + 1 and short.endswith("…")
    assert sentence.startswith(short[:-1])
    assert shorten("A short sentence.") == "A short sentence."


def test_numbers_skip_years_and_days_of_the_month():
    assert numbers("On March 12, 2025, Russia held 110,000 square kilometres, about 18% of Ukraine.") == {"110000", "18%"}
    assert numbers("普京2025年3月13日表示,30天停火需要讨论。") == {"30"}
    assert numbers("talks on 23 March ended") == set()


def test_calendar_days_are_read_in_english_and_chinese():
    assert calendar_days("a third round in Istanbul on June 20") == {(6, 20)}
    assert calendar_days("talks on 20 June, and again on Sept. 9") == {(6, 20), (9, 9)}
    assert calendar_days("并提议6月20日在伊斯坦堡举行") == calendar_days("並提議6月20號舉行") == {(6, 20)}
    assert calendar_days("in May 2025 the Mayor said 5 people") == set()


@pytest.mark.hostile
def test_long_documents_pick_the_same_bullets_without_the_whole_similarity_matrix(profile, monkeypatch):
    import numpy as np

    import bot.ingestion.summary as summary_module

    rng = np.random.default_rng(19)
    texts = [f"Envoys from {rng.choice(['Russia', 'Ukraine', 'Turkey'])} met in round {n} of the talks on day {n % 28}."
             for n in range(400)]
    passages = [Passage(id=n, document_id="d", seq=n, paragraph=n, start=0, end=len(t), text=t) for n, t in enumerate(texts)]
    vectors = rng.normal(size=(len(texts), 32)).astype(np.float32)
    dense = select_items(passages, vectors, [], profile)
    monkeypatch.setattr(summary_module, "DENSE_SENTENCES", 10)  # as for a document of thousands of sentences
    columns = select_items(passages, vectors, [], profile)
    assert [item.seq for item in columns] == [item.seq for item in dense] and len(dense) == 5
    within = summary_module._WithinDocument(vectors)
    assert within._matrix is None
    within.column(3)
    assert len(within._columns) == 1  # one column per chosen sentence, never n x n
