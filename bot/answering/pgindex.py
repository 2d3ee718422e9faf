"""The passage index kept in PostgreSQL (pgvector) and shared by every process, behind PassageIndex's interface.

The answer engine scores candidates with the same code in both modes; only where candidates come from
differs. Here nothing grows with the corpus in the process: passages, documents and their terms are read
from the database for the hits of a question (and kept in a bounded cache), BM25 over term groups runs in
SQL, dense candidates come from an HNSW index, and the corpus's cosine statistics come from a fixed-size
sample. The ledger stays in memory, as in the in-process index (it is one row per stance, not per sentence).
"""
from __future__ import annotations

import logging
import math
from collections import Counter, OrderedDict
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from sqlalchemy.engine import Engine

from bot.answering.index import (
    BM25_B,
    BM25_K1,
    ENTITY_BOOST,
    ENTITY_PREFIX,
    MASK_GROUPS,
    RRF_K,
    DocumentMeta,
    Hit,
    IndexedPassage,
    PassageIndex,
    TermGroup,
    is_fragment,
)
from bot.embedding.blas import single_threaded_blas
from bot.embedding.embedder import DIMENSIONS, from_blob
from bot.text import normalize as textnorm
from bot.text.profile import Mention
from storage import search as store

log = logging.getLogger(__name__)

INDEX_BATCH = 1000  # passages indexed per transaction
CACHE_PASSAGES = 6000  # passages (with their vectors) kept between questions: bounded, whatever the corpus size
CACHE_DOCUMENTS = 3000
SAMPLE_SIZE = 4096  # vectors whose cosines estimate the corpus's mean and spread for z-scores (exact below this)
INDEX_FORMAT = "1"  # bump when what is stored per passage changes
_ABSENT = -1  # no passage at that position of the document


def open_index(engine: Engine, profile, embedder=None, snapshot_dir: Path | None = None) -> PassageIndex:
    """The index the answer engine should use: the shared one on PostgreSQL with pgvector, else the in-process one.

    PostgreSQL without pgvector is not an error: Parley says so once and indexes in the process, as on SQLite.
    """
    if store.is_postgres(engine):
        ready, reason = store.schema_ready(engine)
        if ready:
            log.info("answer index: shared, in PostgreSQL (pgvector HNSW and SQL BM25)")
            return SharedPassageIndex(engine, profile, embedder)
        log.warning("pgvector is not available on this PostgreSQL database (%s); every process keeps its own answer "
                    "index in memory. See docs/operators.md, 'pgvector'.", reason)
    return PassageIndex(engine, profile, embedder, snapshot_dir=snapshot_dir)


class _Bounded(OrderedDict):
    """A least-recently-used cache of at most ``size`` entries."""

    def __init__(self, size: int):
        super().__init__()
        self.size = size

    def put(self, key, value):
        self[key] = value
        self.move_to_end(key)
        while len(self) > self.size:
            self.popitem(last=False)
        return value

    def hit(self, key):
        value = self.get(key)
        if value is not None:
            self.move_to_end(key)
        return value


@dataclass(frozen=True)
class _Stored:
    """A passage read from the database: the engine's view of it, its index terms and its vector."""

    passage: IndexedPassage
    terms: frozenset[str]
    vector: np.ndarray | None


class _Passages:
    """``index.passages`` for the shared index: its length and truth read from the database, iteration streamed."""

    def __init__(self, index: "SharedPassageIndex"):
        self.index = index

    def __len__(self) -> int:
        return self.index._counts[2]

    def __bool__(self) -> bool:
        return self.index._counts[2] > 0

    def __iter__(self):
        return self.index._stream(0)

    def __getitem__(self, item):
        if isinstance(item, slice) and item.step is None and item.stop is None:
            return self.index._stream(item.start or 0)  # streamed: the corpus is never held at once
        raise TypeError("the shared index reads passages by id (by_id), not by position")


class _ById:
    """``index.by_id``: a passage by id, read on demand and cached."""

    def __init__(self, index: "SharedPassageIndex"):
        self.index = index

    def get(self, pid, default=None):
        stored = self.index._stored(pid) if pid is not None else None
        return stored.passage if stored is not None else default

    def __getitem__(self, pid):
        passage = self.get(pid)
        if passage is None:
            raise KeyError(pid)
        return passage

    def __contains__(self, pid) -> bool:
        return self.get(pid) is not None


class _Documents:
    """``index.documents``: document metadata by id, read on demand and cached; ``values`` streams them all."""

    def __init__(self, index: "SharedPassageIndex"):
        self.index = index

    def get(self, document_id, default=None):
        found = self.index._document(document_id)
        return found[0] if found is not None else default

    def __getitem__(self, document_id):
        found = self.index._document(document_id)
        if found is None:
            raise KeyError(document_id)
        return found[0]

    def __contains__(self, document_id) -> bool:
        return self.index._document(document_id) is not None

    def __len__(self) -> int:
        with self.index.engine.connect() as conn:
            return store.count_documents(conn)

    def values(self):
        with self.index.engine.connect() as conn:
            for row in store.stream_documents(conn):
                yield _meta(row)


class _DocumentTerms:
    """``index.title_terms`` / ``index.document_terms``: a document's indexed terms, read on demand."""

    def __init__(self, index: "SharedPassageIndex", which: int):
        self.index, self.which = index, which

    def get(self, document_id, default=None):
        found = self.index._document(document_id)
        return found[self.which] if found is not None else default


class _GroupRows:
    """``index.group_rows(group)``: which passages contain a term group, read per passage from its stored terms;
    its length is the group's document frequency."""

    __slots__ = ("index", "alternatives", "count")

    def __init__(self, index: "SharedPassageIndex", group: TermGroup, count: int):
        self.index = index
        self.alternatives = sorted(group.alternatives, key=lambda item: -item[1])
        self.count = count

    def get(self, row: int, default: float = 0.0) -> float:
        stored = self.index._stored(row)
        if stored is not None:
            for token, weight in self.alternatives:
                if weight > 0 and token in stored.terms:
                    return weight
        return default

    def __len__(self) -> int:
        return self.count


@dataclass(frozen=True)
class SharedCosineZ:
    """Cosines with a question as z-scores, against the mean and spread of a sample of the corpus's vectors."""

    index: "SharedPassageIndex"
    vector: np.ndarray
    mean: float
    spread: float

    def __getitem__(self, row: int) -> float:
        stored = self.index._stored(row)
        if stored is None or stored.vector is None:
            return -10.0
        return (float(stored.vector @ self.vector) - self.mean) / self.spread


class SharedPassageIndex(PassageIndex):
    """PassageIndex over the shared tables of ``storage.search``; a passage's ``row`` is its id."""

    def __init__(self, engine: Engine, profile, embedder=None, glossary=None):
        super().__init__(engine, profile, embedder, glossary, snapshot_dir=None)
        self.fingerprint = f"{INDEX_FORMAT}:{profile.fingerprint}"
        store.widen_hnsw_search(engine)

    def _reset(self) -> None:
        super()._reset()
        self.passages = _Passages(self)  # type: ignore[assignment]
        self.by_id = _ById(self)  # type: ignore[assignment]
        self.documents = _Documents(self)  # type: ignore[assignment]
        self.title_terms = _DocumentTerms(self, 1)  # type: ignore[assignment]
        self.document_terms = _DocumentTerms(self, 2)  # type: ignore[assignment]
        self._cache: _Bounded = _Bounded(CACHE_PASSAGES)
        self._pinned: dict[int, _Stored] = {}  # the ledger's passages: the ledger is in memory too
        self._by_position: _Bounded = _Bounded(CACHE_PASSAGES)
        self._document_cache: _Bounded = _Bounded(CACHE_DOCUMENTS)
        self._frequencies: dict[tuple, int] = {}
        self._counts = (0, 0, 0, 0, 0, 0)
        self._total_length = 0
        self._sample = np.zeros((0, DIMENSIONS), dtype=np.float32)
        self._sampled_at = -1

    # -- syncing ------------------------------------------------------------------------------------

    def sync(self) -> bool:
        """Index what other processes stored since the last look (any process may do it; one at a time) and
        note the new counts; True when anything changed."""
        with self._lock:
            with self.engine.connect() as conn:
                counts = store.probe(conn)
            stored, unembedded, indexed, unvectored, *ledger_state = counts
            if indexed != stored or (stored - unembedded) != (indexed - unvectored):
                self._catch_up()
                with self.engine.connect() as conn:
                    counts = store.probe(conn)
            changed = counts != self._counts
            if changed:
                if counts[2] < self._counts[2]:
                    self._cache.clear()
                    self._by_position.clear()
                    self._document_cache.clear()
                self._counts = counts
                self._frequencies.clear()
                with self.engine.connect() as conn:
                    self._total_length = int(store.read_state(conn).get("length", 0))
                from sqlmodel import Session
                with Session(self.engine) as session:
                    if self._sync_ledger(session, tuple(counts[4:])):
                        self._pin_ledger_passages()
            return changed

    def _catch_up(self) -> None:
        """Index stored passages the shared index lacks, and copy vectors that arrived since."""
        while True:
            with self.engine.begin() as conn:
                store.lock_indexing(conn)
                state = store.read_state(conn)
                if state.get("fingerprint") not in (None, self.fingerprint):
                    log.warning("the shared answer index was made by other code or another profile; re-indexing")
                    store.clear(conn)
                store.write_state(conn, fingerprint=self.fingerprint)
                rows = store.unindexed_passages(conn, INDEX_BATCH)
                if rows:
                    self._index_rows(conn, rows)
                vectors = store.unvectored_passages(conn, INDEX_BATCH)
                store.set_vectors(conn, [(pid, from_blob(blob)) for pid, blob in vectors])
            if not rows and not vectors:
                return
            log.info("indexed %d passages and %d vectors in the shared answer index", len(rows), len(vectors))

    def _index_rows(self, conn, rows) -> None:
        records: list = []
        documents: dict = {}
        for pid, document_id, seq, text, blob in rows:
            mentions = self.profile.find(text)
            words = textnorm.tokenize(text)
            terms = Counter(self._terms(text, mentions, words))
            vector = from_blob(blob) if blob is not None else None
            records.append(dict(
                passage_id=pid, document_id=document_id, seq=seq, fragment=is_fragment(text, words), terms=terms,
                length=sum(c for t, c in terms.items() if t[:1] not in (ENTITY_PREFIX, "~")),
                mentions=[[m.key, m.kind, m.start, m.end, m.surface] for m in mentions],
                vector=vector if vector is not None and vector.shape == (DIMENSIONS,) else None))
            documents.setdefault(document_id, set()).update(ENTITY_PREFIX + m.key for m in mentions)
        store.add_passages(conn, records)
        for document_id, entities in documents.items():
            title = conn.exec_driver_sql("SELECT title FROM document WHERE id = %(d)s", {"d": document_id}).scalar() or ""
            title_terms = set(self._terms(title))
            store.add_document_terms(conn, document_id, title_terms, title_terms | entities)
            self._document_cache.pop(document_id, None)

    def _pin_ledger_passages(self) -> None:
        wanted = {e.passage_id for e in self.ledger if e.passage_id is not None}
        self._pinned = {pid: s for pid, s in self._pinned.items() if pid in wanted}
        missing = sorted(wanted - set(self._pinned))
        with self.engine.connect() as conn:
            for start in range(0, len(missing), 2000):
                for row in store.passages_by_id(conn, missing[start:start + 2000]):
                    self._pinned[row[0]] = self._from_row(row)

    def _load_documents(self, session, ids) -> None:
        """Documents are read on demand here."""

    # -- reading passages and documents ---------------------------------------------------------------

    def _from_row(self, row) -> _Stored:
        pid, document_id, seq, paragraph, start, end, text, language, terms, mentions, fragment, blob = row
        found = tuple(Mention(*m) for m in mentions)
        entities = frozenset(m.key for m in found)
        parties = frozenset(p for p in (self.profile.party_of(k) for k in entities) if p)
        issues = frozenset(i for i in (self.profile.issue_of(k) for k in entities) if i)
        passage = IndexedPassage(pid, pid, document_id, seq, paragraph, start, end, text, language or "en",
                                 entities, parties, issues, found, fragment)
        vector = from_blob(blob) if blob is not None else None
        return _Stored(passage, frozenset(terms), vector if vector is not None and vector.shape == (DIMENSIONS,) else None)

    def _remember(self, stored: _Stored) -> _Stored:
        p = stored.passage
        self._by_position.put((p.document_id, p.seq), p.id)
        return self._cache.put(p.id, stored)

    def _stored(self, pid: int) -> _Stored | None:
        stored = self._pinned.get(pid) or self._cache.hit(pid)
        if stored is None:
            with self.engine.connect() as conn:
                rows = store.passages_by_id(conn, [pid])
            if rows:
                stored = self._remember(self._from_row(rows[0]))
        return stored

    def _fetch(self, ids, reach: int = 0) -> None:
        """Read the passages ``ids`` (and ``reach`` sentences around each) that are not cached, in one query."""
        missing = [pid for pid in ids if pid not in self._cache and pid not in self._pinned]
        if not missing and not reach:
            return
        with self.engine.connect() as conn:
            rows = store.passages_near(conn, missing if not reach else list(ids), reach) if reach else \
                store.passages_by_id(conn, missing)
            documents = sorted({row[1] for row in rows} - set(self._document_cache))
            for row in rows:
                if row[0] not in self._cache:
                    self._remember(self._from_row(row))
            if reach:  # sentences before a document's first or after its last: remember that there are none
                found = {(row[1], row[2]) for row in rows}
                for row in rows:
                    for offset in range(-reach, reach + 1):
                        key = (row[1], row[2] + offset)
                        if key not in found and key[1] >= 0 and self._by_position.get(key) is None:
                            self._by_position.put(key, _ABSENT)
            self._fetch_documents(conn, documents)

    def _fetch_documents(self, conn, ids) -> None:
        for row in store.documents_by_id(conn, ids):
            self._document_cache.put(row[0], (_meta(row), set(row[8]), set(row[9])))

    def _document(self, document_id):
        found = self._document_cache.hit(document_id)
        if found is None and document_id is not None:
            with self.engine.connect() as conn:
                self._fetch_documents(conn, [document_id])
            found = self._document_cache.get(document_id)
        return found

    def _stream(self, offset: int):
        with self.engine.connect() as conn:
            for row in store.stream_passages(conn, offset):
                yield self._from_row(row).passage

    # -- what the answer engine asks -------------------------------------------------------------------

    def search(self, text: str, *, groups: list[TermGroup] | None = None, boost_entities=frozenset(),
               limit: int = 40, vector: np.ndarray | None = None) -> list[Hit]:
        """Rank passages for ``text`` as PassageIndex.search does: BM25 (in SQL) and dense (HNSW) rankings fused by
        RRF, boosted by shared profile entities."""
        with self._lock:
            if not self.passages:
                return []
            groups = self.query_groups(text) if groups is None else groups
            depth = limit * 3
            with self.engine.begin() as conn:
                lexical, frequencies = store.lexical_ranking(
                    conn, [g.alternatives for g in groups], passages=len(self.passages), total_length=self._total_length,
                    k1=BM25_K1, b=BM25_B, depth=depth, mask_groups=MASK_GROUPS)
                for group, frequency in zip(groups, frequencies):
                    self._frequencies[group.alternatives] = frequency
                if vector is None and self.embedder is not None and self._counts[2] > self._counts[3]:
                    vector = self.embedder.query(text)
                dense_ids = [pid for pid, _ in store.dense_ranking(conn, vector, depth)] if vector is not None else []
            self._fetch([pid for pid, _, _ in lexical] + dense_ids, reach=1)
            dense_order = self._dense_order_of(dense_ids, vector)
            lexical_order = [pid for pid, _, _ in lexical]
            scores = {pid: (score, mask) for pid, score, mask in lexical}
            fused: dict[int, float] = {}
            for ranking in (lexical_order, dense_order):
                for rank, pid in enumerate(ranking[:depth]):
                    fused[pid] = fused.get(pid, 0.0) + 1.0 / (RRF_K + rank + 1)
            keep = {pid for ranking in (lexical_order, dense_order) for pid in ranking[: limit // 2]}
            best = 2.0 / (RRF_K + 1)
            hits = []
            for pid, score in fused.items():
                stored = self._stored(pid)
                if stored is None:
                    continue
                passage = stored.passage
                shared = len(boost_entities & (passage.entities | passage.parties | passage.issues))
                lexical_score, mask = scores.get(pid, (0.0, 0))
                cosine = None if vector is None or stored.vector is None else float(stored.vector @ vector)
                hits.append(Hit(passage, score / best + ENTITY_BOOST * shared, lexical_score, cosine,
                                frozenset(i for i in range(len(groups)) if mask >> i & 1)))
            hits.sort(key=lambda hit: hit.score, reverse=True)  # stable: equal scores keep the rankings' order
            return hits[:limit] + [hit for hit in hits[limit:] if hit.passage.id in keep]

    def _dense_order_of(self, ids: list[int], vector) -> list[int]:
        """The HNSW hits ordered by their cosines computed here, as the in-process index computes them, equal cosines in
        document order (the database's float order of near-equal distances is not the process's)."""
        if vector is None:
            return []
        keyed = []
        for pid in ids:
            stored = self._stored(pid)
            if stored is not None and stored.vector is not None:
                p = stored.passage
                keyed.append((-float(stored.vector @ vector), p.document_id, p.seq, pid))
        return [item[-1] for item in sorted(keyed)]

    def _frequency(self, alternatives: tuple) -> int:
        known = self._frequencies.get(alternatives)
        if known is None:
            with self.engine.connect() as conn:
                known = store.document_frequencies(conn, [[t for t, w in alternatives if w > 0]])[0]
            self._frequencies[alternatives] = known
        return known

    def group_rows(self, group: TermGroup) -> _GroupRows:  # type: ignore[override]
        return _GroupRows(self, group, self._frequency(group.alternatives))

    def idf(self, group: TermGroup) -> float:
        df = self._frequency(group.alternatives)
        n = len(self.passages)
        return math.log(1 + (n - df + 0.5) / (df + 0.5)) if df else 0.0

    def entity_idf(self, key: str) -> float:
        df = self._frequency(((ENTITY_PREFIX + key, 1.0),))
        n = len(self.passages)
        return math.log(1 + (n - df + 0.5) / (df + 0.5)) if df else 0.0

    def unseen_idf(self) -> float:
        n = len(self.passages)
        return math.log(1 + (n + 0.5) / 0.5)

    def cosine_z(self, vector: np.ndarray) -> SharedCosineZ | None:  # type: ignore[override]
        """z-scores against the corpus's cosines with ``vector``, estimated from a fixed-size sample of vectors (every
        vector while the corpus has fewer than SAMPLE_SIZE)."""
        with self._lock:
            embedded = self._counts[2] - self._counts[3]
            if embedded < 10:
                return None
            if self._sampled_at != embedded and (embedded <= SAMPLE_SIZE or abs(embedded - self._sampled_at) > embedded // 5):
                with self.engine.connect() as conn:
                    self._sample = store.vector_sample(conn, SAMPLE_SIZE)
                self._sampled_at = embedded
            with single_threaded_blas():
                cosines = self._sample @ vector
            return SharedCosineZ(self, vector, float(cosines.mean(dtype=np.float64)),
                                 float(cosines.std(dtype=np.float64)) or 1.0)

    def cosine(self, a: IndexedPassage, b: IndexedPassage) -> float | None:
        sa, sb = self._stored(a.id), self._stored(b.id)
        if sa is None or sb is None or sa.vector is None or sb.vector is None:
            return None
        return float(sa.vector @ sb.vector)

    def neighbour(self, passage: IndexedPassage, offset: int) -> IndexedPassage | None:
        key = (passage.document_id, passage.seq + offset)
        pid = self._by_position.hit(key)
        if pid == _ABSENT:
            return None
        if pid is not None:
            stored = self._stored(pid)
            return stored.passage if stored is not None else None
        with self.engine.connect() as conn:
            row = store.passage_at(conn, *key)
        if row is None:
            self._by_position.put(key, _ABSENT)
            return None
        return self._remember(self._from_row(row)).passage

    def document_passages(self, document_id: str) -> list[IndexedPassage]:
        with self.engine.connect() as conn:
            return [self._remember(self._from_row(row)).passage for row in store.document_passages(conn, document_id)]


def _meta(row) -> DocumentMeta:
    return DocumentMeta(row[0], row[1], row[2], row[3] or "", row[4], row[5], row[6], row[7])

