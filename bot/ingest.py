"""Ingestion: read files, folders and URLs, extract and store documents, then announce them.

The pipeline runs in two transactions so nothing is lost on a crash:
1. the document, its passages and its ledger positions are stored: it is answerable now;
2. after its passages are embedded, its story and summary are decided and the outbox
   rows for subscribers are written, atomically. A document stored by step 1 but not
   step 2 is finished by ``announce_pending`` on the next run.
"""
from __future__ import annotations

import hashlib
import logging
import re
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Callable, Iterable, Iterator

from bot.errors import BadDocument, IngestError
from bot.extract import Extracted, decode_bytes, extract_html, extract_text
from storage.db import session_scope
from storage.models import Document, Passage, Position, utcnow
from storage.repo import document_by_hash, unannounced_documents

log = logging.getLogger(__name__)

_HTML_SUFFIXES = {".html", ".htm", ".xhtml"}
_URL = re.compile(r"^https?://", re.I)


@dataclass
class IngestResult:
    """What happened to one input; ``to_json`` is the ``ingest --json`` contract."""

    origin: str
    status: str  # new | duplicate | unchanged | error
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
        if self.status == "error":
            return {"origin": self.origin, "status": "error", "error": self.error}
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


def expand_inputs(inputs: Iterable[str]) -> Iterator[str]:
    """URLs as given; folders as their files, recursively and in name order; hidden files skipped."""
    for item in inputs:
        path = Path(item)
        if not _URL.match(item) and path.is_dir():
            for child in sorted(path.rglob("*")):
                if child.is_file() and not any(part.startswith(".") for part in child.relative_to(path).parts):
                    yield str(child)
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
        """Ingest files, folders and URLs in order; one result per document, errors included."""
        for origin in expand_inputs(inputs):
            try:
                result = self.ingest_url(origin) if _URL.match(origin) else self.ingest_file(Path(origin))
            except IngestError as exc:
                result = IngestResult(origin=origin, status="error", error=str(exc))
                log.warning("not ingested: %s: %s", origin, exc)
            if on_item:
                on_item(result)
            yield result

    def ingest_file(self, path: Path) -> IngestResult:
        """One local file (plain text or HTML)."""
        origin = str(path)
        if not path.is_file():
            raise IngestError(f"{origin}: no such file or folder", origin)
        size = path.stat().st_size
        if size > self.settings.max_document_bytes:
            raise BadDocument(f"{origin}: file is {size:,} bytes, over the {self.settings.max_document_bytes:,}-byte limit", origin)
        content_type = "text/html" if path.suffix.lower() in _HTML_SUFFIXES else None
        return self.ingest_bytes(path.read_bytes(), origin=origin, content_type=content_type)

    def ingest_url(self, url: str) -> IngestResult:
        """One web page, fetched safely (no private addresses unless allowed)."""
        from bot.fetch import fetch

        fetched = fetch(
            url, timeout=self.settings.fetch_timeout, max_bytes=self.settings.max_document_bytes,
            allow_private=self.settings.allow_private_urls, user_agent=self.settings.user_agent,
        )
        return self.ingest_bytes(fetched.body, origin=url, url=fetched.final_url, content_type=fetched.content_type)

    def ingest_bytes(self, data: bytes, *, origin: str, url: str | None = None,
                     content_type: str | None = None, source_id: int | None = None) -> IngestResult:
        """Extract, store and announce one document given as bytes."""
        if len(data) > self.settings.max_document_bytes:
            raise BadDocument(f"{origin}: {len(data):,} bytes, over the {self.settings.max_document_bytes:,}-byte limit", origin)
        text = decode_bytes(data, origin=origin)
        events = self.services.profile.events
        if _looks_like_html(text, content_type):
            extracted = extract_html(text, url=url, origin=origin, context_events=events)
        else:
            extracted = extract_text(text, url=url, origin=origin, context_events=events)
        if not extracted.sentences:
            raise BadDocument(f"{origin}: no readable text found", origin)
        return self.store(extracted, origin=origin, source_id=source_id)

    # -- the two transactions -----------------------------------------------------------

    def store(self, extracted: Extracted, *, origin: str, source_id: int | None = None) -> IngestResult:
        """Store a new document (or report it unchanged), then announce it."""
        digest = content_hash(extracted)
        with session_scope(self.services.engine) as session:
            existing = document_by_hash(session, digest)
            if existing is not None:
                return IngestResult.of(existing, "unchanged")
            document = self._store_document(session, extracted, digest, origin, source_id)
            document_id = document.id
        return self.announce(document_id)

    def _store_document(self, session, extracted: Extracted, digest: str, origin: str, source_id: int | None) -> Document:
        from bot.ledger import extract_positions

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

    def announce(self, document_id: str) -> IngestResult:
        """Embed a stored document, decide its story and summary, and queue deliveries, in one transaction."""
        from sqlmodel import select

        from bot.delivery import enqueue_for_document
        from bot.embed import to_blob
        from bot.stories import on_arrival

        with session_scope(self.services.engine) as session:
            document = session.get(Document, document_id)
            if document.announced_at is not None:
                return IngestResult.of(document, "duplicate" if document.duplicate_of else "new")
            passages = list(session.exec(select(Passage).where(Passage.document_id == document_id).order_by(Passage.seq)).all())
            vectors = self.services.embedder.passages([p.text for p in passages])
            for passage, vector in zip(passages, vectors):
                passage.embedding = to_blob(vector)
                session.add(passage)
            findings = list(session.exec(select(Position).where(Position.document_id == document_id)).all())
            arrival = on_arrival(session, self.services, document, passages, vectors, findings)
            arrival.notify = arrival.notify and self.notify
            document.story_id = arrival.story_id
            document.duplicate_of = arrival.duplicate_of
            document.summary = arrival.summary
            document.announced_at = utcnow()
            session.add(document)
            session.flush()
            queued = enqueue_for_document(session, self.services, document, arrival)
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


def _looks_like_html(text: str, content_type: str | None) -> bool:
    if content_type and "html" in content_type.lower():
        return True
    head = text[:1024].lstrip().lower()
    return head.startswith(("<!doctype html", "<html")) or ("<body" in head and "</" in text)
