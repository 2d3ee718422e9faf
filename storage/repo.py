"""Queries shared by the core: profile sync, corpus counts and document look-ups."""
from __future__ import annotations

from sqlalchemy import func
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from storage.models import Document, Issue, Party


def sync_profile(engine: Engine, profile) -> None:
    """Mirror the profile's parties and issues into their tables (filters and positions refer to them)."""
    for attempt in range(3):
        try:
            return _sync_profile(engine, profile)
        except IntegrityError:  # another process starting at the same moment inserted the same rows first
            if attempt == 2:
                raise


def _sync_profile(engine: Engine, profile) -> None:
    with Session(engine) as session:
        for table, entities in ((Party, profile.parties), (Issue, profile.issues)):
            wanted = {key: entity for key, entity in entities.items()}
            for row in session.exec(select(table)).all():
                if row.key not in wanted:
                    session.delete(row)
            for key, entity in wanted.items():
                row = session.get(table, key) or table(key=key)
                row.names = dict(entity.names)
                row.aliases = list(entity.aliases)
                session.add(row)
        session.commit()


def count_documents(engine: Engine) -> int:
    """How many documents are stored."""
    with Session(engine) as session:
        return session.exec(select(func.count()).select_from(Document)).one()


def document_by_hash(session: Session, content_hash: str) -> Document | None:
    """The document with this content hash, if it was ingested before."""
    return session.exec(select(Document).where(Document.content_hash == content_hash)).first()


def unannounced_documents(session: Session) -> list[Document]:
    """Documents stored but not yet clustered and announced (a crash came in between)."""
    return list(session.exec(select(Document).where(Document.announced_at.is_(None)).order_by(Document.ingested_at)).all())
