"""the evidence behind "Show sources" buttons, so they keep working after a restart

A button's callback data holds only a short key; what it expands to (the reply's citations with
their verbatim quotes) was kept in the process's memory and lost on every restart.

Revision ID: h19_0006
Revises: llm_0006
Create Date: 2026-12-02
"""
from alembic import op
import sqlalchemy as sa
import sqlmodel


revision = 'h19_0006'
down_revision = 'llm_0006'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('evidence',
    sa.Column('key', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.Column('reply', sa.JSON(), nullable=False),
    sa.Column('created_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.PrimaryKeyConstraint('key')
    )
    op.create_index(op.f('ix_evidence_created_at'), 'evidence', ['created_at'], unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_evidence_created_at'), table_name='evidence')
    op.drop_table('evidence')
