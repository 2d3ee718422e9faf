"""an index for the latest earlier report of a party on an issue

Deciding whether a new document changes a stance reads the party's latest earlier report on the issue;
with this index that is one short range scan instead of every position of the party.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-21
"""
from alembic import op


revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index('ix_position_party_issue_published', 'position', ['party', 'issue', 'published'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_position_party_issue_published', table_name='position')
