"""The schema: migrations apply and match the models, on SQLite and PostgreSQL alike."""
from __future__ import annotations

from datetime import date

import pytest
from alembic import command
from alembic.script import ScriptDirectory
from sqlalchemy import inspect
from sqlmodel import Session, func, select

from bot.errors import StorageError
from storage.db import alembic_config, current_revision, make_engine, open_database, upgrade
from storage.models import Delivery, Document, Passage, Subscription


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request, tmp_path):
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'schema.db'}"
    return request.getfixturevalue("postgres_url")


def test_upgrade_creates_every_table_and_matches_models(database_url):
    engine = open_database(database_url)
    tables = set(inspect(engine).get_table_names())
    assert {"document", "passage", "position", "story", "subscription", "delivery", "source", "lease", "evidence"} <= tables
    assert current_revision(engine) == ScriptDirectory.from_config(alembic_config(engine)).get_current_head()
    command.check(alembic_config(engine))  # raises when the models drifted from the migrations
    engine.dispose()


def test_upgrading_an_existing_database_adds_the_unembedded_index(database_url):
    engine = make_engine(database_url)
    command.upgrade(alembic_config(engine), "0001")
    with Session(engine) as session:
        session.add(Document(id="d1", content_hash="h1", origin="x.txt", title="Talks", text="One. Two.", language="en"))
        session.add(Passage(document_id="d1", seq=0, start=0, end=4, text="One.", embedding=b"\0" * 8))
        session.add(Passage(document_id="d1", seq=1, start=5, end=9, text="Two."))
        session.commit()
    upgrade(engine)
    assert current_revision(engine) == ScriptDirectory.from_config(alembic_config(engine)).get_current_head()
    assert "ix_passage_unembedded" in {index["name"] for index in inspect(engine).get_indexes("passage")}
    with Session(engine) as session:
        assert session.exec(select(func.count()).select_from(Passage).where(Passage.embedding.is_(None))).one() == 1
    engine.dispose()


def test_downgrade_to_base_and_back(database_url):
    engine = open_database(database_url)
    command.downgrade(alembic_config(engine), "base")
    assert "document" not in inspect(engine).get_table_names()
    upgrade(engine)
    assert "document" in inspect(engine).get_table_names()
    engine.dispose()


def test_documents_and_outbox_round_trip(database_url):
    engine = open_database(database_url)
    with Session(engine) as session:
        session.add(Document(id="d1", content_hash="h1", origin="x.txt", title="Talks", text="Body.", published=date(2025, 3, 11), language="zh-Hant"))
        session.add(Passage(document_id="d1", seq=0, start=0, end=5, text="Body.", language="zh-Hant"))
        sub = Subscription(chat="telegram:-100", parties=["russia"])
        session.add(sub)
        session.commit()
        session.add(Delivery(subscription_id=sub.id, chat=sub.chat, item_kind="document", item_id="d1"))
        session.commit()
    with Session(engine) as session:
        doc = session.get(Document, "d1")
        assert (doc.published, doc.language) == (date(2025, 3, 11), "zh-Hant")
        delivery = session.exec(select(Delivery)).one()
        assert delivery.status == "pending" and delivery.next_attempt_at.tzinfo is not None
        assert session.exec(select(Subscription)).one().parties == ["russia"]
    engine.dispose()


def test_sqlite_runs_in_wal_mode(tmp_path):
    engine = open_database(f"sqlite:///{tmp_path / 'wal.db'}")
    with engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
    engine.dispose()


def test_unreachable_database_is_a_clear_storage_error():
    engine = make_engine("postgresql+psycopg://nobody@127.0.0.1:1/none?connect_timeout=2")
    with pytest.raises(StorageError, match="cannot reach the database"):
        upgrade(engine)
