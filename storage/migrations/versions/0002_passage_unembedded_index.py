"""a partial index on passages still waiting for a vector

Every answer checks whether passages were embedded since the last one; counting them through
this index takes microseconds, where counting non-null embeddings scanned every vector.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-21
"""
from alembic import op
import sqlalchemy as sa


revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index('ix_passage_unembedded', 'passage', ['id'], unique=False,
                    sqlite_where=sa.text('embedding IS NULL'), postgresql_where=sa.text('embedding IS NULL'))


def downgrade() -> None:
    op.drop_index('ix_passage_unembedded', table_name='passage',
                  sqlite_where=sa.text('embedding IS NULL'), postgresql_where=sa.text('embedding IS NULL'))
