"""the shared search index on PostgreSQL with pgvector (issue 18)

On PostgreSQL, when the pgvector extension is installed on the server, create it in the database and add
the search tables beside the passages: their index terms and postings, and their vectors in a pgvector
column with an HNSW index (storage/search.py). Without pgvector, and on SQLite, this does nothing: Parley
then keeps its answer index in each process, and creates these tables itself once the extension appears.

Revision ID: s18_0004
Revises: 0003
Create Date: 2026-12-02
"""
import logging

from alembic import op


revision = 's18_0004'
down_revision = '0003'
branch_labels = None
depends_on = None

log = logging.getLogger("alembic.runtime.migration")


def upgrade() -> None:
    conn = op.get_bind()
    if conn.dialect.name != "postgresql":
        return
    from storage.search import ensure_schema

    available, reason = ensure_schema(conn)
    if not available:
        log.warning("no shared search index: %s", reason)


def downgrade() -> None:
    conn = op.get_bind()
    if conn.dialect.name != "postgresql":
        return
    from storage.search import TABLES

    for table in TABLES:
        op.execute(f"DROP TABLE IF EXISTS {table}")
