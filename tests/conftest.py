"""Shared fixtures: settings on a temp database, services with and without the seed corpus, a real Bot, PostgreSQL."""
from __future__ import annotations

import shutil
import uuid
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from bot.config import REPO_ROOT, Settings
from bot.services import build_services  # the one builder; tests import it from here too

pytest_plugins = ["tests.pgvector"]  # pgvector_server / pgvector_url: PostgreSQL 16 with pgvector, one per session

PG_ADMIN_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
SEEDS = REPO_ROOT / "seeds"


def make_settings(database_url: str, **overrides) -> Settings:
    """Settings that ignore the developer's environment and .env file."""
    values = dict(database_url=database_url, seeds_dir=SEEDS, telegram_token=None, discord_token=None, admin_ids="")
    values.update(overrides)
    return Settings(_env_file=None, **values)


@pytest.fixture
def settings(tmp_path) -> Settings:
    return make_settings(f"sqlite:///{tmp_path / 'parley.db'}")


@pytest.fixture
def services(settings):
    """Services on an empty, migrated temp SQLite database (no seeds)."""
    built = build_services(settings, seed=False)
    yield built
    built.engine.dispose()


@pytest.fixture(scope="session")
def seeded_template(tmp_path_factory) -> Path:
    """A SQLite file with the seed corpus ingested and embedded, built once per test session."""
    path = tmp_path_factory.mktemp("seeded") / "template.db"
    built = build_services(make_settings(f"sqlite:///{path}"), seed=True)
    with built.engine.connect() as conn:
        conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    built.engine.dispose()
    return path


@pytest.fixture
def seeded_services(seeded_template, tmp_path):
    """Services on a private copy of the seeded database: tests may change it freely."""
    path = tmp_path / "seeded.db"
    shutil.copyfile(seeded_template, path)
    built = build_services(make_settings(f"sqlite:///{path}"), seed=False)
    yield built
    built.engine.dispose()


@pytest.fixture
def bot(seeded_services):
    """A real Bot with the real commands over the seeded corpus."""
    from bot.chat.commands import COMMANDS
    from bot.chat.dispatch import Bot

    return Bot(seeded_services.settings, seeded_services, COMMANDS)


def _postgres_available() -> str | None:
    try:
        engine = create_engine(PG_ADMIN_URL, connect_args={"connect_timeout": 3})
        with engine.connect() as conn:
            conn.execute(text("select 1"))
        engine.dispose()
        return None
    except Exception as exc:  # any failure means: no server to test against
        return str(exc).splitlines()[0]


@pytest.fixture
def postgres_url():
    """A fresh, uniquely named PostgreSQL database on 127.0.0.1:5432, dropped afterwards."""
    reason = _postgres_available()
    if reason:
        pytest.skip(f"no PostgreSQL server answers on 127.0.0.1:5432 ({reason})")
    name = f"parley_test_{uuid.uuid4().hex[:10]}"
    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    yield f"postgresql+psycopg://postgres@127.0.0.1:5432/{name}"
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()
