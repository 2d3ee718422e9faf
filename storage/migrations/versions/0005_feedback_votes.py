"""answers kept for feedback, and the 👍/👎 votes on them

Revision ID: ux17_0005
Revises: s18_0004
Create Date: 2026-12-02
"""
import sqlalchemy as sa
import sqlmodel
from alembic import op


revision = 'ux17_0005'
down_revision = 's18_0004'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'answeredquestion',
        sa.Column('id', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column('chat', sqlmodel.sql.sqltypes.AutoString(length=128), nullable=False),
        sa.Column('question', sa.Text(), nullable=False),
        sa.Column('answer', sa.Text(), nullable=False),
        sa.Column('citations', sa.JSON(), nullable=False),
        sa.Column('language', sqlmodel.sql.sqltypes.AutoString(length=8), nullable=False),
        sa.Column('abstained', sa.Boolean(), nullable=False),
        sa.Column('created_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_index(op.f('ix_answeredquestion_created_at'), 'answeredquestion', ['created_at'], unique=False)
    op.create_table(
        'vote',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('answer_id', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column('voter', sqlmodel.sql.sqltypes.AutoString(length=160), nullable=False),
        sa.Column('value', sa.Integer(), nullable=False),
        sa.Column('created_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column('updated_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(['answer_id'], ['answeredquestion.id']),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('answer_id', 'voter'),
    )
    op.create_index(op.f('ix_vote_answer_id'), 'vote', ['answer_id'], unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_vote_answer_id'), table_name='vote')
    op.drop_table('vote')
    op.drop_index(op.f('ix_answeredquestion_created_at'), table_name='answeredquestion')
    op.drop_table('answeredquestion')
