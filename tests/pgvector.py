"""A PostgreSQL 16 with pgvector for the test session, from the ``pgserver`` wheel (a test dependency in the lock file).

Loaded as a pytest plugin by tests/conftest.py: one server per session (about a second to start), in a
short temp folder (its socket lives there), stopped at the end; each test that asks gets a fresh database.
"""
from __future__ import annotations

import shutil
import tempfile
import uuid

import pytest


@pytest.fixture(scope="session")
def pgvector_server():
    """The session's PostgreSQL server with the vector extension available."""
    pgserver = pytest.importorskip("pgserver", reason="pgserver (test extra) is not installed: make install")
    folder = tempfile.mkdtemp(prefix="pgv", dir="/tmp")
    server = pgserver.get_server(folder, cleanup_mode="stop")
    yield server
    server.cleanup()
    shutil.rmtree(folder, ignore_errors=True)


def new_database(server) -> str:
    """A fresh, uniquely named database on ``server``: its SQLAlchemy URL."""
    name = f"parley_{uuid.uuid4().hex[:10]}"
    server.psql(f'CREATE DATABASE "{name}";')
    return server.get_uri(name).replace("postgresql://", "postgresql+psycopg://", 1)


@pytest.fixture
def pgvector_url(pgvector_server) -> str:
    """A fresh database on the pgvector server."""
    return new_database(pgvector_server)
