"""Alembic environment: runs migrations on the engine Parley hands over (or PARLEY_DATABASE_URL)."""
from __future__ import annotations

from alembic import context
from sqlmodel import SQLModel

import storage.models  # noqa: F401  (registers the tables on SQLModel.metadata)

target_metadata = SQLModel.metadata


def include_object(obj, name, type_, reflected, compare_to) -> bool:
    """The shared search index's tables (storage/search.py, PostgreSQL with pgvector only) are not ORM models."""
    return not (type_ == "table" and reflected and compare_to is None and name.startswith("search_"))


def run_migrations() -> None:
    engine = context.config.attributes.get("engine")
    if engine is None:
        from bot.config import Settings
        from storage.db import make_engine

        engine = make_engine(Settings().database_url)
    with engine.connect() as connection:
        context.configure(
            connection=connection,
            target_metadata=target_metadata,
            render_as_batch=connection.dialect.name == "sqlite",
            compare_type=True,
            include_object=include_object,
        )
        with context.begin_transaction():
            context.run_migrations()
        connection.commit()


run_migrations()
