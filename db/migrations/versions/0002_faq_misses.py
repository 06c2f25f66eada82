"""Questions the bot could not answer (faq_misses), for staff.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-24
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('faq_misses',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('text', sa.String(length=1000), nullable=False),
    sa.Column('normalized', sa.String(length=1000), nullable=False),
    sa.Column('channel', sa.String(length=16), nullable=False),
    sa.Column('best_topic', sa.String(length=64), nullable=True),
    sa.Column('score', sa.Double(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_faq_misses'))
    )
    with op.batch_alter_table('faq_misses', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_faq_misses_normalized'), ['normalized'], unique=False)

def downgrade() -> None:
    with op.batch_alter_table('faq_misses', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_faq_misses_normalized'))

    op.drop_table('faq_misses')
