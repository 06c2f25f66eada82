"""Phones the catalogue could not judge (device_misses); TAC rows no longer store a link key.

The link from a TAC's model to a catalogue entry is computed when it is looked up, so a
changed catalogue or matching rule needs no re-import.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-03
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('device_misses',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('brand', sa.String(length=64), nullable=True),
    sa.Column('model', sa.String(length=128), nullable=True),
    sa.Column('tac', sa.String(length=8), nullable=True),
    sa.Column('text', sa.String(length=200), nullable=False),
    sa.Column('channel', sa.String(length=16), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_device_misses'))
    )
    with op.batch_alter_table('tac_models', schema=None) as batch_op:
        batch_op.drop_column('catalogue_key')


def downgrade() -> None:
    with op.batch_alter_table('tac_models', schema=None) as batch_op:
        batch_op.add_column(sa.Column('catalogue_key', sa.String(length=200), nullable=False, server_default=''))
    op.drop_table('device_misses')
