"""Ingestion: read files, folders and URLs, extract and store documents, then announce them.

The pipeline runs in two transactions so nothing is lost on a crash:
1. the document, its passages and its ledger positions are stored: it is answerable now;
2. after its passages are embedded, its story and summary are decided and the outbox
   rows for subscribers are written, atomically. A document stored by step 1 but not
   step 2 is finished by ``announce_pending`` on the next run.

Many documents at once (``ingest_paths``, ``ingest_items``) are parsed a batch at a time and
their passages embedded in one call, which the embedder runs much faster than one document's
handful. Each document then goes through both transactions before the next one is stored, as
a single document does: a story decision never sees a later document's rows (the ledger's
"earlier positions" would include them), and a crash leaves at most one document unannounced.
"""
from __future__ import annotations

import hashlib
import logging
import re
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Callable, Iterable, Iterator, Sequence

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col

from bot.errors import BadDocument, IngestError
from bot.ingestion.decoding import decode_bytes
from bot.ingestion.extract import Extracted, extract_html, extract_text
from storage.db import session_scope
from storage.models import Document, Passage, Position, utcnow
from storage.repo import document_by_hash, unannounced_documents

log = logging.getLogger(__name__)

_HTML_SUFFIXES = {".html", ".htm", ".xhtml"}
_URL = re.compile(r"^https?://", re.I)
# Passages embedded in one call: ~40 news documents. Enough for the embedder's padded, length-sorted
# batches to run full; a batch is held in memory only, so a crash loses no stored work.
BATCH_PASSAGES = 256
BATCH_DOCUMENTS = 64  # inputs held back at most (errors and empty files have no passages to count)


@dataclass(frozen=True)
class Item:
    """A document already read: its bytes and where they came from (what ``ingest_bytes`` takes)."""

    data: bytes
    origin: str
    url: str | None = None
    content_type: str | None = None
    source_id: int | None = None


@dataclass
class IngestResult:
    """What happened to one input; ``to_json`` is the ``ingest --json`` contract."""

    origin: str
    status: str  # new | duplicate | unchanged | error | skipped (a file in a folder that is not a document)
    document_id: str | None = None
    url: str | None = None
    title: str = ""
    outlet: str | None = None
    published: date | None = None
    language: str | None = None
    story_id: str | None = None
    duplicate_of: str | None = None
    summary: dict = field(default_factory=dict)
    error: str | None = None

    @classmethod
    def of(cls, document: Document, status: str) -> "IngestResult":
        return cls(
            origin=document.origin, status=status, document_id=document.id, url=document.url,
            title=document.title, outlet=document.outlet, published=document.published,
            language=document.language, story_id=document.story_id,
            duplicate_of=document.duplicate_of, summary=dict(document.summary or {}),
        )

    def to_json(self) -> dict:
        if self.status in ("error", "skipped"):
            return {"origin": self.origin, "status": self.status, "error": self.error}
        summary = self.summary or {}
        return {
            "document_id": self.document_id, "origin": self.origin, "url": self.url,
            "title": self.title, "outlet": self.outlet,
            "published": self.published.isoformat() if self.published else None,
            "language": self.language, "status": self.status, "story_id": self.story_id,
            "duplicate_of": self.duplicate_of,
            "summary": {
                "headline": summary.get("headline", ""),
                "bullets": list(summary.get("bullets", [])),
                "new_points": list(summary.get("new_points", [])),
            },
        }


def content_hash(extracted: Extracted) -> str:
    """A hash of the body with whitespace folded, so re-saved copies count as the same content."""
    squashed = " ".join(extracted.text.split())
    return hashlib.sha256(squashed.encode("utf-8")).hexdigest()


# What a folder may hold as documents: text, Markdown and web pages (and files without a suffix). A data file
# (.jsonl, .csv), an image or an archive in a folder is passed over, and the result says so.
DOCUMENT_SUFFIXES = frozenset({"", ".txt", ".text", ".md", ".markdown", ".html", ".htm", ".xhtml"})


@dataclass(frozen=True)
class Skipped:
    """A file in a folder that is not a document, and why it is passed over."""

    path: str
    reason: str


def expand_inputs(inputs: Iterable[str | Skipped]) -> Iterator[str | Skipped]:
    """URLs and named files as given; folders as their files, recursively and in name order.

    Hidden files are left out silently; files whose suffix is not a document's come out as ``Skipped``.
    """
    for item in inputs:
        if isinstance(item, Skipped):
            yield item
            continue
        path = Path(item)
        if not _URL.match(item) and path.is_dir():
            for child in sorted(path.rglob("*")):
                if child.is_file() and not any(part.startswith(".") for part in child.relative_to(path).parts):
                    suffix = child.suffix.lower()
                    yield str(child) if suffix in DOCUMENT_SUFFIXES else Skipped(str(child), f"not a document ({suffix} file)")
        else:
            yield item


class Ingestor:
    """Runs the ingestion pipeline over ``services`` (settings, engine, profile, embedder).

    ``notify=False`` stores and summarizes documents without queueing pushes: used for a
    source's first poll, whose backlog subscribers should not receive all at once.
    """

    def __init__(self, services, *, notify: bool = True):
        self.services = services
        self.settings = services.settings
        self.notify = notify

    # -- inputs ---------------------------------------------------------------------------

    def ingest_paths(self, inputs: Iterable[str], on_item: Callable[[IngestResult], None] | None = None) -> Iterator[IngestResult]:
        """Ingest files, folders and URLs in order; one result per document, errors included (see ``ingest_items``)."""
        return self._ingest_batches(expand_inputs(inputs), on_item)

    def ingest_items(self, items: Iterable[Item], on_item: Callable[[IngestResult], None] | None = None) -> Iterator[IngestResult]:
        """Ingest documents already read, in order; one result per item, a bad item's being an error result.

        Up to ``BATCH_PASSAGES`` passages of consecutive items are embedded in one call; then each
        document is stored and announced in input order, and its result yielded (``on_item`` first).
        """
        return self._ingest_batches(items, on_item)

    def ingest_file(self, path: Path) -> IngestResult:
        """One local file (plain text or HTML)."""
        return self.ingest_item(self.read_file(path))

    def ingest_bytes(self, data: bytes, *, origin: str, url: str | None = None,
                     content_type: str | None = None, source_id: int | None = None) -> IngestResult:
        """Extract, store and announce one document given as bytes."""
        return self.ingest_item(Item(data, origin, url, content_type, source_id))

    def ingest_item(self, item: Item) -> IngestResult:
        """Extract, store and announce one document; raises ``IngestError`` when it is unusable."""
        return self.store(self.extract(item), origin=item.origin, source_id=item.source_id)

    def read(self, origin: str) -> Item:
        """A URL's or a local file's bytes."""
        return self.read_url(origin) if _URL.match(origin) else self.read_file(Path(origin))

    def read_file(self, path: Path) -> Item:
        """A local file's bytes, refused when missing or over the size limit."""
        origin = str(path)
        if not path.is_file():
            raise IngestError(f"{origin}: no such file or folder", origin)
        size = path.stat().st_size
        if size > self.settings.max_document_bytes:
            raise BadDocument(f"{origin}: file is {size:,} bytes, over the {self.settings.max_document_bytes:,}-byte limit", origin)
        content_type = "text/html" if path.suffix.lower() in _HTML_SUFFIXES else None
        return Item(path.read_bytes(), origin, content_type=content_type)

    def read_url(self, url: str) -> Item:
        """A web page's bytes, fetched safely (no private addresses unless allowed)."""
        from bot.ingestion.fetch import fetch

        fetched = fetch(
            url, timeout=self.settings.fetch_timeout, max_bytes=self.settings.max_document_bytes,
            allow_private=self.settings.allow_private_urls, user_agent=self.settings.user_agent,
        )
        return Item(fetched.body, origin=url, url=fetched.final_url, content_type=fetched.content_type)

    def extract(self, item: Item) -> Extracted:
        """The item's text, metadata and sentences; raises ``BadDocument`` when it has none or is too big."""
        data, origin = item.data, item.origin
        if len(data) > self.settings.max_document_bytes:
            raise BadDocument(f"{origin}: {len(data):,} bytes, over the {self.settings.max_document_bytes:,}-byte limit", origin)
        text = decode_bytes(data, origin=origin)
        events = self.services.profile.events
        if _looks_like_html(text, item.content_type):
            extracted = extract_html(text, url=item.url, origin=origin, context_events=events)
        else:
            extracted = extract_text(text, url=item.url, origin=origin, context_events=events)
        if not extracted.sentences:
            raise BadDocument(f"{origin}: no readable text found", origin)
        return extracted

    # -- batches ----------------------------------------------------------------------------

    def _ingest_batches(self, inputs: Iterable[Item | str], on_item) -> Iterator[IngestResult]:
        """Read and extract inputs (items, or paths and URLs) until a batch is full, then finish it."""
        batch: list[tuple[str, int | None, Extracted] | IngestResult] = []
        passages = 0
        for entry in inputs:
            if isinstance(entry, Skipped):
                log.warning("skipped %s: %s", entry.path, entry.reason)
                batch.append(IngestResult(origin=entry.path, status="skipped", error=entry.reason))
                continue
            origin = entry.origin if isinstance(entry, Item) else entry
            try:
                item = entry if isinstance(entry, Item) else self.read(entry)
                extracted = self.extract(item)
            except IngestError as exc:
                batch.append(_not_ingested(origin, exc))
            else:
                batch.append((origin, item.source_id, extracted))
                passages += len(extracted.sentences)
            if passages >= BATCH_PASSAGES or len(batch) >= BATCH_DOCUMENTS:
                yield from self._finish_batch(batch, on_item)
                batch, passages = [], 0
        yield from self._finish_batch(batch, on_item)

    def _finish_batch(self, batch: list, on_item) -> Iterator[IngestResult]:
        """Embed the batch's new passages in one call, then store and announce each document in order."""
        extracted = [entry[2] for entry in batch if not isinstance(entry, IngestResult)]
        vectors = iter(self._embed_new(extracted))
        for entry in batch:
            if isinstance(entry, IngestResult):
                result = entry
            else:
                origin, source_id, document = entry
                passage_vectors, title_vector = next(vectors)
                try:
                    result = self.store(document, origin=origin, source_id=source_id, vectors=passage_vectors,
                                        title_vector=title_vector)
                except IngestError as exc:
                    result = _not_ingested(origin, exc)
            if on_item:
                on_item(result)
            yield result

    def _embed_new(self, documents: Sequence[Extracted]) -> list[tuple]:
        """Per document, its passages' vectors and its headline's (for its summary), or Nones when its content is
        stored already or earlier in the batch."""
        from sqlmodel import Session, select

        if not documents:
            return []
        digests = [content_hash(extracted) for extracted in documents]
        with Session(self.services.engine) as session:
            known = set(session.exec(select(Document.content_hash).where(col(Document.content_hash).in_(set(digests)))).all())
        fresh = []
        for digest, extracted in zip(digests, documents):
            fresh.append(digest not in known)
            known.add(digest)
        texts = [text for extracted, new in zip(documents, fresh) if new for text in _embedded_texts(extracted)]
        vectors = self.services.embedder.passages(texts) if texts else []
        per_document, start = [], 0
        for extracted, new in zip(documents, fresh):
            if not new:
                per_document.append((None, None))
                continue
            count = len(extracted.sentences)
            title = vectors[start + count] if extracted.title.strip() else None
            per_document.append((vectors[start:start + count], title))
            start += count + (title is not None)
        return per_document

    # -- the two transactions -----------------------------------------------------------

    def store(self, extracted: Extracted, *, origin: str, source_id: int | None = None, vectors=None,
              title_vector=None) -> IngestResult:
        """Store a new document (or report it unchanged), then announce it (``vectors``, ``title_vector``: its passages'
        and headline's embeddings, when already computed)."""
        digest = content_hash(extracted)
        try:
            with session_scope(self.services.engine) as session:
                existing = document_by_hash(session, digest)
                if existing is not None:
                    return IngestResult.of(existing, "unchanged")
                document = self._store_document(session, extracted, digest, origin, source_id)
                document_id = document.id
        except IntegrityError:  # another process stored the same content a moment ago: insert-or-ignore
            with Session(self.services.engine) as session:
                existing = document_by_hash(session, digest)
            if existing is None:
                raise
            return IngestResult.of(existing, "unchanged")
        return self.announce(document_id, vectors, title_vector)

    def _store_document(self, session, extracted: Extracted, digest: str, origin: str, source_id: int | None) -> Document:
        from bot.ingestion.ledger import extract_positions

        document = Document(
            id=digest[:16], content_hash=digest, origin=origin, url=extracted.url, title=extracted.title,
            outlet=extracted.outlet, cited_agency=extracted.cited_agency, published=extracted.published,
            language=extracted.language, text=extracted.text, source_id=source_id,
        )
        session.add(document)
        passages = [
            Passage(document_id=document.id, seq=i, paragraph=s.paragraph, start=s.start, end=s.end,
                    text=s.text, language=s.language)
            for i, s in enumerate(extracted.sentences)
        ]
        session.add_all(passages)
        session.flush()
        findings = extract_positions([p.text for p in passages], self.services.profile, cited_agency=extracted.cited_agency)
        for finding in findings:
            passage = passages[finding.sentence_index]
            session.add(Position(
                document_id=document.id, passage_id=passage.id, party=finding.party, issue=finding.issue,
                stance=finding.stance, quote=finding.quote, speaker=finding.speaker,
                attribution=finding.attribution, relayed_from=finding.relayed_from,
                places=list(finding.places), published=document.published,
            ))
        log.info("stored %s (%s, %d sentences, %d positions) from %s", document.id, document.outlet, len(passages), len(findings), origin)
        return document

    def announce(self, document_id: str, vectors=None, title_vector=None) -> IngestResult:
        """Embed a stored document, decide its story and summary, and queue deliveries, in one transaction.

        ``vectors`` are its passages' embeddings in order and ``title_vector`` its headline's, when the caller
        computed them already."""
        from sqlmodel import select

        from bot.delivery.changes import enqueue_changes
        from bot.delivery.outbox import enqueue_for_document
        from bot.embedding.embedder import to_blob
        from bot.ingestion.stories import on_arrival

        with session_scope(self.services.engine) as session:
            document = session.get(Document, document_id)
            if document.announced_at is not None:
                return IngestResult.of(document, "duplicate" if document.duplicate_of else "new")
            passages = list(session.exec(select(Passage).where(Passage.document_id == document_id).order_by(Passage.seq)).all())
            if vectors is None:
                vectors = self.services.embedder.passages([p.text for p in passages])
            elif len(vectors) != len(passages):  # not what was embedded for it: embed its stored passages afresh
                log.warning("%s: %d vectors given for %d passages; embedding them again", document_id, len(vectors), len(passages))
                vectors = self.services.embedder.passages([p.text for p in passages])
            for passage, vector in zip(passages, vectors):
                passage.embedding = to_blob(vector)
                session.add(passage)
            findings = list(session.exec(select(Position).where(Position.document_id == document_id)).all())
            arrival = on_arrival(session, self.services, document, passages, vectors, findings, title_vector=title_vector)
            arrival.notify = arrival.notify and self.notify
            document.story_id = arrival.story_id
            document.duplicate_of = arrival.duplicate_of
            document.summary = arrival.summary
            document.announced_at = utcnow()
            session.add(document)
            session.flush()
            queued = enqueue_for_document(session, self.services, document, arrival)
            if arrival.notify:  # "/subscribe changes": only documents that move a party's stance
                queued += enqueue_changes(session, document)
            log.info("announced %s as %s in story %s; %d deliveries queued", document_id, arrival.status, arrival.story_id, queued)
            return IngestResult.of(document, arrival.status)

    def announce_pending(self) -> int:
        """Finish documents a crash left stored but unannounced; returns how many."""
        with session_scope(self.services.engine) as session:
            pending = [d.id for d in unannounced_documents(session)]
        for document_id in pending:
            self.announce(document_id)
        return len(pending)


def ensure_seeded(services, on_item: Callable[[IngestResult], None] | None = None) -> int:
    """Ingest the bundled seed corpus when the database has no documents yet; returns how many were stored."""
    from storage.repo import count_documents

    if count_documents(services.engine):
        return 0
    seeds = Path(services.settings.seeds_dir)
    if not seeds.is_dir():
        log.warning("seed folder %s does not exist; starting with an empty corpus", seeds)
        return 0
    log.info("empty database: ingesting the seed corpus from %s", seeds)
    results = list(Ingestor(services).ingest_paths([str(seeds)], on_item=on_item))
    return sum(r.status == "new" or r.status == "duplicate" for r in results)


def _not_ingested(origin: str, error: IngestError) -> IngestResult:
    reason = str(error)
    for name in (origin, Path(origin).name):  # errors often start with the origin already: say it once
        if name and reason.startswith(f"{name}: "):
            reason = reason[len(name) + 2:]
            break
    log.warning("not ingested: %s: %s", origin, reason)
    return IngestResult(origin=origin, status="error", error=reason)


def _embedded_texts(extracted: Extracted) -> list[str]:
    """What a new document needs embedded: its sentences, then its headline (when it has one)."""
    return [s.text for s in extracted.sentences] + ([extracted.title] if extracted.title.strip() else [])


def _looks_like_html(text: str, content_type: str | None) -> bool:
    if content_type and "html" in content_type.lower():
        return True
    head = text[:1024].lstrip().lower()
    return head.startswith(("<!doctype html", "<html")) or ("<body" in head and "</" in text)
