"""The passage index: incremental BM25 and dense vectors over stored passages, the position ledger, and fused search."""
from __future__ import annotations

import logging
import math
import re
import threading
from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import date
from functools import cached_property
from pathlib import Path

import numpy as np
from sqlalchemy import func
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from bot.answering.snapshots import SNAPSHOT_MIN_PASSAGES, IndexSnapshots
from bot.embedding.blas import single_threaded_blas
from bot.embedding.embedder import DIMENSIONS, from_blob
from bot.text import normalize as textnorm
from bot.text.glossary import Glossary
from storage.models import Document, Passage, Position

log = logging.getLogger(__name__)

BM25_K1 = 1.2
BM25_B = 0.5  # passages are single sentences: length matters less than in whole documents
RRF_K = 30  # reciprocal rank fusion constant; small because only the top few dozen ranks matter
ENTITY_PREFIX = "@"  # pseudo-token for a profile entity, shared by every alias in every script
GLOSS_PREFIX = "~"  # pseudo-token for an English gloss of a Chinese word
GLOSS_WEIGHT = 0.6  # a match through a dictionary translation counts less than a direct one
DERIVED_WEIGHT = 0.8  # "proposal" meeting "proposed", "authorization" meeting "authorize": related, not the same word
_DERIVATION = re.compile(r"(?:ational|ation|ition|ment|ance|ence|ity|ness|al|ion|ive)$")
ENTITY_BOOST = 0.35  # per matched question entity, relative to a perfect fused score
LOAD_CHUNK = 2000
GROUP_CACHE_SIZE = 4096  # term groups whose matching rows are kept between questions
RECENT_COSINES = 4  # question vectors whose cosines with every passage are kept
MASK_GROUPS = 63  # terms of one query recorded in a hit's ``matched`` (a bit each in a 64-bit mask)

# What ``sync`` compares with its last look, in one round trip of index-only lookups: the newest passage, how many
# there are, how many still wait for a vector, and the ledger's size and newest row.
_CHANGE_PROBES = (
    select(func.max(Passage.id)).scalar_subquery(),
    select(func.count()).select_from(Passage).scalar_subquery(),
    select(func.count()).select_from(Passage).where(Passage.embedding.is_(None)).scalar_subquery(),
    select(func.count()).select_from(Position).scalar_subquery(),
    select(func.max(Position.id)).scalar_subquery(),
)


@dataclass(frozen=True)
class DocumentMeta:
    """What a citation needs to know about a document."""

    id: str
    origin: str
    url: str | None
    title: str
    outlet: str | None
    cited_agency: str | None
    published: date | None
    language: str


@dataclass(frozen=True)
class IndexedPassage:
    """One passage as the index holds it: text, offsets, language and the profile entities it mentions."""

    id: int
    row: int
    document_id: str
    seq: int
    paragraph: int
    start: int
    end: int
    text: str
    language: str
    entities: frozenset[str]  # profile keys mentioned: parties, actors, issues, places
    parties: frozenset[str]  # parties mentioned directly or through their actors
    issues: frozenset[str]  # issues mentioned directly or through their places
    mentions: tuple = ()  # the profile's Mentions in the text, found once when indexed
    fragment: bool = False  # a heading or scrap, not evidence on its own (see is_fragment)


@dataclass(frozen=True)
class LedgerEntry:
    """A position of the ledger, as read from the Position table."""

    id: int
    document_id: str
    passage_id: int | None
    party: str
    issue: str
    stance: str
    quote: str
    speaker: str | None
    attribution: str
    relayed_from: str | None
    places: tuple[str, ...]
    published: date | None


@dataclass(frozen=True)
class TermGroup:
    """Alternative tokens that count as one query term (an entity's aliases, a word and its translations).

    ``alternatives`` maps each token to the weight of a match on it; a passage scores the best one.
    """

    alternatives: tuple[tuple[str, float], ...]
    entity: str | None = None
    surface: str = ""

    @cached_property
    def tokens(self) -> frozenset[str]:
        return frozenset(token for token, _ in self.alternatives)


@dataclass
class Hit:
    """One passage found by a search, with the evidence for its rank."""

    passage: IndexedPassage
    score: float
    lexical: float = 0.0
    dense: float | None = None
    matched: frozenset[int] = frozenset()  # indices of the TermGroups the passage contains


class RowWeights:
    """Per passage row, the weight of the best alternative of a term group it contains (0 when none): a dense array
    with the read-only mapping interface callers use (``get``, ``len``, truth)."""

    __slots__ = ("weights", "count")

    def __init__(self, weights: np.ndarray):
        self.weights = weights
        self.count = int(np.count_nonzero(weights))

    def get(self, row: int, default: float = 0.0) -> float:
        value = float(self.weights[row]) if 0 <= row < len(self.weights) else 0.0
        return value if value else default

    def __len__(self) -> int:
        return self.count


class _Bm25:
    """An incremental Okapi BM25 over token counts: rows can be appended at any time.

    Postings grow as Python lists; a search reads them as numpy arrays, built once per token and
    rebuilt only when the token gained rows, so scoring a common word costs a few vector operations.
    """

    def __init__(self):
        self.postings: dict[str, list[tuple[int, int]]] = defaultdict(list)
        self.lengths: list[int] = []
        self.total_length = 0
        self._arrays: dict[str, tuple[int, np.ndarray, np.ndarray]] = {}
        self._length_array = np.zeros(0, dtype=np.float64)

    def __getstate__(self) -> dict:
        state = dict(self.__dict__)
        state["_arrays"] = {}  # rebuilt on demand: snapshots need not carry a second copy of the postings
        return state

    def add(self, row: int, tokens: Counter) -> None:
        for token, count in tokens.items():
            self.postings[token].append((row, count))
        length = sum(count for token, count in tokens.items() if token[:1] not in (ENTITY_PREFIX, GLOSS_PREFIX))
        self.lengths.append(length)
        self.total_length += length

    def idf(self, token: str) -> float:
        n, df = len(self.lengths), len(self.postings.get(token, ()))
        return math.log(1 + (n - df + 0.5) / (df + 0.5)) if df else 0.0

    def max_idf(self) -> float:
        """The idf of a token no passage has yet: what an unmatched query word is worth."""
        n = len(self.lengths)
        return math.log(1 + (n + 0.5) / 0.5)

    def _posting_arrays(self, token: str) -> tuple[np.ndarray, np.ndarray] | None:
        postings = self.postings.get(token)
        if not postings:
            return None
        cached = self._arrays.get(token)
        if cached is None or cached[0] != len(postings):
            pairs = np.array(postings, dtype=np.int64).reshape(-1, 2)
            cached = self._arrays[token] = (len(postings), pairs[:, 0], pairs[:, 1].astype(np.float64))
        return cached[1], cached[2]

    def best_alternatives(self, alternatives: tuple[tuple[str, float], ...]) -> tuple[np.ndarray, np.ndarray]:
        """Per row, the weight of the best alternative the row contains and that alternative's term frequency
        (the first listed among equal weights); zeros where the row has none."""
        n = len(self.lengths)
        weights = np.zeros(n, dtype=np.float64)
        frequencies = np.zeros(n, dtype=np.float64)
        for token, weight in sorted(alternatives, key=lambda item: -item[1]):  # stable: first listed wins a tie
            arrays = self._posting_arrays(token)
            if arrays is None or weight <= 0:
                continue
            rows, tf = arrays
            unset = weights[rows] == 0
            weights[rows[unset]] = weight
            frequencies[rows[unset]] = tf[unset]
        return weights, frequencies

    def group_scores(self, alternatives: tuple[tuple[str, float], ...]) -> tuple[np.ndarray, np.ndarray]:
        """The rows containing a group of synonyms taken as one term (as Lucene's SynonymQuery does), and each one's
        BM25 score for it.

        The group's document frequency is that of the union of its alternatives, so a rare alias or a
        noisy translation does not outweigh the common word; each row scores its best-weighted alternative.
        """
        weights, tf = self.best_alternatives(alternatives)
        rows = np.flatnonzero(weights)
        if not len(rows):
            return rows, np.zeros(0, dtype=np.float64)
        n = len(self.lengths)
        if len(self._length_array) != n:
            self._length_array = np.asarray(self.lengths, dtype=np.float64)
        idf = math.log(1 + (n - len(rows) + 0.5) / (len(rows) + 0.5))
        average = max(self.total_length / max(n, 1), 1.0)
        tf = tf[rows]
        norm = BM25_K1 * (1 - BM25_B + BM25_B * self._length_array[rows] / average)
        return rows, weights[rows] * idf * tf * (BM25_K1 + 1) / (tf + norm)


class PassageIndex:
    """Every stored passage in memory: BM25 postings, a vector matrix and the ledger, synced from the database.

    ``sync`` is cheap when nothing changed (two aggregate queries), so callers run it before every search:
    a document is searchable lexically as soon as its passages are committed, and densely once embedded.
    """

    def __init__(self, engine: Engine, profile, embedder=None, glossary: "Glossary | None" = None,
                 snapshot_dir: Path | None = None):
        self.engine = engine
        self.profile = profile
        self.embedder = embedder
        self.glossary = glossary or Glossary()
        self._lock = threading.RLock()
        self._snapshots = IndexSnapshots(snapshot_dir, engine, profile) if snapshot_dir else None
        self._reset()

    def _reset(self) -> None:
        self.passages: list[IndexedPassage] = []
        self.by_id: dict[int, IndexedPassage] = {}
        self.documents: dict[str, DocumentMeta] = {}
        self.document_terms: dict[str, set[str]] = defaultdict(set)  # title words and every entity a document names
        self.title_terms: dict[str, set[str]] = {}  # the headline's words, entities and glosses
        self.ledger: list[LedgerEntry] = []
        self._texts: dict[str, str] = {}
        self._bm25 = _Bm25()
        self._vectors = np.zeros((0, DIMENSIONS), dtype=np.float32)
        self._has_vector = np.zeros(0, dtype=bool)
        self._last_passage_id = 0
        self._embedded_count = 0
        self._ledger_state: tuple[int, int] = (0, 0)
        self._group_rows: dict[TermGroup, RowWeights] = {}
        self._recent_cosines: list[tuple[np.ndarray, np.ndarray]] = []
        self._entity_alternatives: dict[str, tuple[tuple[str, float], ...]] = {}

    # -- syncing with the database ------------------------------------------------------------

    def sync(self) -> bool:
        """Pick up passages, vectors and ledger rows stored since the last call; True when anything changed."""
        with self._lock, Session(self.engine) as session:
            max_id, count, unembedded, *ledger_state = session.exec(select(*_CHANGE_PROBES)).one()
            max_id, count = max_id or 0, count or 0
            embedded = count - (unembedded or 0)
            changed = False
            if not self.passages and self._snapshots is not None and max_id >= SNAPSHOT_MIN_PASSAGES:
                changed = self._snapshots.restore(self, session)
            if max_id < self._last_passage_id or count < len(self.passages):
                log.info("passages were removed from the database; rebuilding the index")
                self._reset()
            if max_id > self._last_passage_id:
                self._load_passages(session)
                changed = True
            if embedded != self._embedded_count:
                self._load_vectors(session)
                self._embedded_count = embedded
                changed = True
            changed |= self._sync_ledger(session, tuple(v or 0 for v in ledger_state))
            if changed:
                self._group_rows.clear()
                self._recent_cosines = []
                if self._snapshots is not None:
                    self._snapshots.save_if_due(self, session)
            return changed

    def _load_passages(self, session: Session) -> None:
        rows = session.exec(
            select(Passage.id, Passage.document_id, Passage.seq, Passage.paragraph, Passage.start, Passage.end,
                   Passage.text, Passage.language)
            .where(Passage.id > self._last_passage_id).order_by(Passage.document_id, Passage.seq)
        ).all()
        self._load_documents(session, {row[1] for row in rows})
        for row in rows:
            self._add_passage(*row)
        self._last_passage_id = max((row[0] for row in rows), default=self._last_passage_id)
        self._grow_vectors(len(self.passages))
        log.info("indexed %d new passages (%d in all)", len(rows), len(self.passages))

    def _load_documents(self, session: Session, ids: set[str]) -> None:
        missing = sorted(ids - set(self.documents))
        for start in range(0, len(missing), LOAD_CHUNK):
            chunk = missing[start:start + LOAD_CHUNK]
            rows = session.exec(
                select(Document.id, Document.origin, Document.url, Document.title, Document.outlet,
                       Document.cited_agency, Document.published, Document.language).where(Document.id.in_(chunk))
            ).all()
            for row in rows:
                self.documents[row[0]] = DocumentMeta(row[0], row[1], row[2], row[3] or "", *row[4:])
                self.title_terms[row[0]] = set(self._terms(row[3] or ""))
                self.document_terms[row[0]].update(self.title_terms[row[0]])

    def _add_passage(self, pid, document_id, seq, paragraph, start, end, text, language) -> None:
        mentions = self.profile.find(text)
        entities = frozenset(m.key for m in mentions)
        parties = frozenset(p for p in (self.profile.party_of(k) for k in entities) if p)
        issues = frozenset(i for i in (self.profile.issue_of(k) for k in entities) if i)
        words = textnorm.tokenize(text)
        passage = IndexedPassage(pid, len(self.passages), document_id, seq, paragraph, start, end, text,
                                 language or "en", entities, parties, issues, tuple(mentions), is_fragment(text, words))
        tokens = Counter(self._terms(text, mentions, words))
        self._bm25.add(passage.row, tokens)
        self.document_terms[document_id].update(ENTITY_PREFIX + key for key in entities)
        self.passages.append(passage)
        self.by_id[pid] = passage

    def _terms(self, text: str, mentions=None, words: list[str] | None = None) -> list[str]:
        """Index terms of a text: its words, its profile entities, and the English glosses of its Chinese words
        (so an English question reaches a Chinese passage)."""
        words = textnorm.tokenize(text) if words is None else words
        mentions = self.profile.find(text) if mentions is None else mentions
        terms = words + [ENTITY_PREFIX + key for key in dict.fromkeys(m.key for m in mentions)]
        return terms + [GLOSS_PREFIX + gloss for word in dict.fromkeys(words) for gloss in self.glossary.english(word)]

    def _grow_vectors(self, size: int) -> None:
        if size <= len(self._has_vector):
            return
        capacity = max(size, 2 * len(self._has_vector), 64)
        vectors = np.zeros((capacity, DIMENSIONS), dtype=np.float32)
        vectors[: len(self._vectors)] = self._vectors
        has_vector = np.zeros(capacity, dtype=bool)
        has_vector[: len(self._has_vector)] = self._has_vector
        self._vectors, self._has_vector = vectors, has_vector

    def _load_vectors(self, session: Session) -> None:
        missing = [p.id for p in self.passages if not self._has_vector[p.row]]
        filled = 0
        for start in range(0, len(missing), LOAD_CHUNK):
            chunk = missing[start:start + LOAD_CHUNK]
            rows = session.exec(
                select(Passage.id, Passage.embedding).where(Passage.id.in_(chunk), Passage.embedding.is_not(None))
            ).all()
            for pid, blob in rows:
                vector = from_blob(blob)
                if vector.shape == (DIMENSIONS,):
                    row = self.by_id[pid].row
                    self._vectors[row] = vector
                    self._has_vector[row] = True
                    filled += 1
        if filled:
            log.info("loaded %d passage vectors", filled)

    def _sync_ledger(self, session: Session, state: tuple[int, int]) -> bool:
        if state == self._ledger_state:
            return False
        rows = session.exec(  # columns, not ORM objects: a large ledger loads several times faster
            select(Position.id, Position.document_id, Position.passage_id, Position.party, Position.issue, Position.stance,
                   Position.quote, Position.speaker, Position.attribution, Position.relayed_from, Position.places,
                   Position.published).order_by(Position.id)
        ).all()
        self.ledger = [
            LedgerEntry(pid, document_id, passage_id, party, issue, stance, quote, speaker, attribution or "on_record",
                        relayed_from, tuple(places or ()), published)
            for pid, document_id, passage_id, party, issue, stance, quote, speaker, attribution, relayed_from, places,
            published in rows
        ]
        self._load_documents(session, {p.document_id for p in self.ledger})
        self._ledger_state = state
        return True

    # -- searching -----------------------------------------------------------------------------

    def query_groups(self, text: str) -> list[TermGroup]:
        """The question as BM25 term groups: one per entity mention (all its aliases, any script), one per other word."""
        groups: list[TermGroup] = []
        seen_entities: set[str] = set()
        covered: set[str] = set()
        for mention in self.profile.find(text):
            covered.update(textnorm.tokenize(mention.surface))
            if mention.key in seen_entities:
                continue
            seen_entities.add(mention.key)
            groups.append(self.entity_group(mention.key, mention.surface))
        for token in dict.fromkeys(textnorm.tokenize(text)):
            if token not in covered:
                groups.append(self.word_group(token))
        return groups

    def entity_group(self, key: str, surface: str = "") -> TermGroup:
        """A profile entity as one term: its pseudo-token plus its one-word aliases in every script."""
        alternatives = self._entity_alternatives.get(key)
        if alternatives is None:
            found = {ENTITY_PREFIX + key: 1.0}
            for alias in self.profile.expand(key):
                tokens = textnorm.tokenize(alias)
                if len(tokens) == 1:  # multi-word aliases are already covered by the entity token
                    found.setdefault(tokens[0], 1.0)
            alternatives = self._entity_alternatives[key] = tuple(found.items())
        return TermGroup(alternatives, entity=key, surface=surface or key)

    def word_group(self, token: str) -> TermGroup:
        """One plain query word with its dictionary translations (weighted lower than a direct match).

        An English word also matches the glosses indexed for Chinese passages; a Chinese word
        also matches the English words of its own glosses.
        """
        alternatives = {token: 1.0}
        if textnorm.is_cjk(token):
            for gloss in self.glossary.english(token):
                alternatives.setdefault(gloss, GLOSS_WEIGHT)
            return TermGroup(tuple(alternatives.items()), surface=token)
        root = _DERIVATION.sub("", token) if len(token) > 6 else token
        for form, weight in ((token, 1.0), (root, DERIVED_WEIGHT)):
            if len(form) >= 4:
                alternatives.setdefault(form, weight)
                alternatives.setdefault(GLOSS_PREFIX + form, GLOSS_WEIGHT * weight)
        return TermGroup(tuple(alternatives.items()), surface=token)

    def idf(self, group: TermGroup) -> float:
        """What matching ``group`` is worth: the idf of all its alternatives taken together; 0 when no passage has any."""
        rows = self.group_rows(group)
        if not rows:
            return 0.0
        n = len(self.passages)
        return math.log(1 + (n - len(rows) + 0.5) / (len(rows) + 0.5))

    def unseen_idf(self) -> float:
        """The idf a term no passage contains would have: the most a term can weigh."""
        return self._bm25.max_idf()

    def entity_idf(self, key: str) -> float:
        """How rare mentions of a profile entity are across passages (0 when none mentions it)."""
        return self._bm25.idf(ENTITY_PREFIX + key)

    def group_rows(self, group: TermGroup) -> RowWeights:
        """Rows containing any alternative of ``group``, each with the best weight it contains (cached until the
        next sync that changes the index, since an answer asks for the same groups many times)."""
        rows = self._group_rows.get(group)
        if rows is None:
            rows = RowWeights(self._bm25.best_alternatives(group.alternatives)[0])
            if len(self._group_rows) >= GROUP_CACHE_SIZE:
                self._group_rows.clear()
            self._group_rows[group] = rows
        return rows

    def search(self, text: str, *, groups: list[TermGroup] | None = None, boost_entities: set[str] | frozenset[str] = frozenset(),
               limit: int = 40, vector: np.ndarray | None = None) -> list[Hit]:
        """Rank passages for ``text``: BM25 and dense rankings fused by RRF, boosted by shared profile entities."""
        with self._lock:
            if not self.passages:
                return []
            groups = self.query_groups(text) if groups is None else groups
            lexical, matched = self._lexical(groups)
            dense = self._dense(text, vector)
            fused: dict[int, float] = defaultdict(float)
            rankings = (_top_rows(lexical, np.flatnonzero(lexical), limit * 3), self._dense_order(dense, limit * 3))
            for ranking in rankings:
                for rank, row in enumerate(ranking[: limit * 3]):
                    fused[row] += 1.0 / (RRF_K + rank + 1)
            # The best of each ranking stays in even when the other ranking ignores it (cross-language hits).
            keep = {row for ranking in rankings for row in ranking[: limit // 2]}
            best = 2.0 / (RRF_K + 1)
            hits = []
            for row, score in fused.items():
                passage = self.passages[row]
                shared = len(boost_entities & (passage.entities | passage.parties | passage.issues))
                hits.append(Hit(passage, score / best + ENTITY_BOOST * shared, float(lexical[row]),
                                None if dense is None or not self._has_vector[row] else float(dense[row]),
                                frozenset(i for i in range(len(groups)) if matched[row] >> i & 1)))
            hits.sort(key=lambda hit: hit.score, reverse=True)
            return hits[:limit] + [hit for hit in hits[limit:] if hit.passage.row in keep]

    def _lexical(self, groups: list[TermGroup]) -> tuple[np.ndarray, np.ndarray]:
        """Per row, the summed BM25 score of the groups, and a bit mask of the groups it contains."""
        scores = np.zeros(len(self.passages), dtype=np.float64)
        matched = np.zeros(len(self.passages), dtype=np.int64)
        for index, group in enumerate(groups):
            rows, values = self._bm25.group_scores(group.alternatives)
            scores[rows] += values
            if index < MASK_GROUPS:  # a question of more terms than this is rare; its last ones only add to the score
                matched[rows] |= 1 << index
        return scores, matched

    def _dense(self, text: str, vector: np.ndarray | None) -> np.ndarray | None:
        if not self._has_vector.any():
            return None
        if vector is None:
            if self.embedder is None:
                return None
            vector = self.embedder.query(text)
        return self._cosines(vector)

    def _cosines(self, vector: np.ndarray) -> np.ndarray:
        """Every passage's cosine with ``vector`` (read-only). The last few are remembered: an answer asks for the
        same question's scores more than once, and one product over every vector is a search's biggest cost."""
        for known, scores in self._recent_cosines:
            if known is vector:
                return scores
        with single_threaded_blas():  # threaded BLAS on a busy machine turns a 1 ms product into 10
            scores = self._vectors[: len(self.passages)] @ vector
        scores.setflags(write=False)
        self._recent_cosines = [(vector, scores), *self._recent_cosines[: RECENT_COSINES - 1]]
        return scores

    def _dense_order(self, dense: np.ndarray | None, depth: int) -> list[int]:
        """Rows of the ``depth`` best cosines, best first."""
        if dense is None:
            return []
        return _top_rows(dense, np.flatnonzero(self._has_vector[: len(self.passages)]), depth)

    def cosine_z(self, vector: np.ndarray) -> "CosineZ | None":
        """How far each passage's cosine with ``vector`` stands above the corpus's, in standard deviations, read per
        row on demand; None while fewer than 10 passages have vectors."""
        with self._lock:
            if not self.passages:
                return None
            has_vector = self._has_vector[: len(self.passages)]
            count = int(np.count_nonzero(has_vector))
            if count < 10:
                return None
            cosines = self._cosines(vector)
            valid = cosines if count == len(cosines) else cosines[has_vector]
            return CosineZ(cosines, has_vector.copy(), float(valid.mean(dtype=np.float64)),
                           float(valid.std(dtype=np.float64)) or 1.0)

    def cosine(self, a: IndexedPassage, b: IndexedPassage) -> float | None:
        """Cosine similarity of two passages' vectors, or None when either has none yet."""
        if not (self._has_vector[a.row] and self._has_vector[b.row]):
            return None
        return float(self._vectors[a.row] @ self._vectors[b.row])

    def neighbour(self, passage: IndexedPassage, offset: int) -> IndexedPassage | None:
        """The passage ``offset`` sentences away in the same document, if any."""
        row = passage.row + offset
        if 0 <= row < len(self.passages):
            other = self.passages[row]
            if other.document_id == passage.document_id and other.seq == passage.seq + offset:
                return other
        return None

    def document_text(self, document_id: str) -> str:
        """A document's stored text (read once, then cached), for quotes that span adjacent passages."""
        text = self._texts.get(document_id)
        if text is None:
            with Session(self.engine) as session:
                text = session.exec(select(Document.text).where(Document.id == document_id)).first() or ""
            self._texts[document_id] = text
        return text

    def quote(self, passages: list[IndexedPassage]) -> str:
        """The verbatim text from the first passage's start to the last one's end (one document, in order)."""
        first, last = passages[0], passages[-1]
        if len(passages) == 1 or any(p.document_id != first.document_id for p in passages):
            return first.text
        text = self.document_text(first.document_id)[first.start:last.end]
        # Offsets that do not reproduce the passages mean the stored text changed: fall back to one sentence.
        return text if text.startswith(first.text[:20]) and text.endswith(last.text[-20:]) else first.text

    def document_passages(self, document_id: str) -> list[IndexedPassage]:
        """All passages of a document, in order."""
        return sorted((p for p in self.passages if p.document_id == document_id), key=lambda p: p.seq)


@dataclass(frozen=True)
class CosineZ:
    """Passages' cosines with a question as z-scores against the corpus (unrelated text scores ~0.7 too); a passage
    without a vector yet reads as far below."""

    cosines: np.ndarray
    has_vector: np.ndarray
    mean: float
    spread: float

    def __getitem__(self, row: int) -> float:
        return (float(self.cosines[row]) - self.mean) / self.spread if self.has_vector[row] else -10.0


def _top_rows(scores: np.ndarray, rows: np.ndarray, depth: int) -> list[int]:
    """The ``depth`` rows (of ``rows``, ascending) with the highest scores, best first, equal scores in row order
    (as a full stable sort would give them). A partial sort: only the top of a ranking is ever used."""
    values = scores[rows]
    if len(rows) > depth:
        cut = values[np.argpartition(-values, depth - 1)[depth - 1]]  # the depth-th best score
        above = np.flatnonzero(values > cut)
        tied = np.flatnonzero(values == cut)[: depth - len(above)]
        keep = np.sort(np.concatenate([above, tied]))
        rows, values = rows[keep], values[keep]
    return rows[np.argsort(-values, kind="stable")].tolist()


def is_fragment(text: str, words: list[str] | None = None) -> bool:
    """Headings and scraps ("Background:", "Comment:") and questions are not evidence on their own."""
    words = textnorm.tokenize(text) if words is None else words
    stripped = text.rstrip()
    return len(words) < 4 or (stripped.endswith((":", ":")) and len(words) < 10) or stripped.endswith(("?", "?"))

