"""Queries shared by the core: profile sync, corpus counts, document look-ups and the Sources buttons' evidence."""
from __future__ import annotations

from datetime import timedelta

from sqlalchemy import delete, func
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from storage.models import Document, Evidence, Issue, Party, utcnow


def sync_profile(engine: Engine, profile) -> None:
    """Mirror the profile's parties and issues into their tables (filters and positions refer to them).

    Rows are upserted (insert, or update on a key conflict), so processes syncing at the same time
    never collide on a key, whether or not they hold the start-up lock.
    """
    with Session(engine) as session:
        for table, entities in ((Party, profile.parties), (Issue, profile.issues)):
            wanted = dict(entities)
            if wanted:
                session.execute(delete(table).where(col(table.key).not_in(list(wanted))))
            else:
                session.execute(delete(table))
            for key, entity in wanted.items():
                values = {"key": key, "names": dict(entity.names), "aliases": list(entity.aliases)}
                session.execute(_upsert(engine, table, values))
        session.commit()


def _upsert(engine: Engine, table, values: dict):
    """INSERT ... ON CONFLICT (key) DO UPDATE, in the engine's dialect."""
    insert = postgresql.insert if engine.dialect.name == "postgresql" else sqlite.insert
    statement = insert(table).values(**values)
    changed = {name: statement.excluded[name] for name in values if name != "key"}
    return statement.on_conflict_do_update(index_elements=["key"], set_=changed)


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


def save_evidence(engine: Engine, key: str, reply: dict, *, keep_days: int = 180) -> None:
    """Keep what a "Show sources" button expands to under ``key`` (the same key twice keeps the first), and forget
    buttons older than ``keep_days``."""
    with Session(engine) as session:
        if session.get(Evidence, key) is None:
            session.add(Evidence(key=key, reply=reply))
        session.execute(delete(Evidence).where(col(Evidence.created_at) < utcnow() - timedelta(days=keep_days)))
        try:
            session.commit()
        except IntegrityError:  # another process kept the same evidence a moment ago
            session.rollback()


def load_evidence(engine: Engine, key: str) -> dict | None:
    """What the button ``key`` expands to, or None when it was never kept or has been forgotten."""
    with Session(engine) as session:
        row = session.get(Evidence, key)
        return dict(row.reply) if row is not None else None
