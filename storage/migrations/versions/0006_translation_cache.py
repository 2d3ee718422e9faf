"""a cache of machine translations of quoted sentences

With a language model configured, quotes in another language than the reader's get a translation
beside them. Each sentence is translated once per language and kept here, so a quote shown to many
readers, or again tomorrow, costs no second model call.

Revision ID: llm_0006
Revises: ux17_0005
Create Date: 2026-11-22
"""
import sqlalchemy as sa
import sqlmodel
from alembic import op


revision = 'llm_0006'
down_revision = 'ux17_0005'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'translation',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('source_hash', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column('language', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column('text', sa.Text(), nullable=False),
        sa.Column('model', sqlmodel.sql.sqltypes.AutoString(length=256), nullable=False),
        sa.Column('created_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('source_hash', 'language', name='uq_translation_source_language'),
    )


def downgrade() -> None:
    op.drop_table('translation')
