"""Device check: TAC table (imported) and the checks users made.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-24
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('tac_models',
    sa.Column('tac', sa.String(length=8), nullable=False),
    sa.Column('brand', sa.String(length=64), nullable=False),
    sa.Column('model', sa.String(length=128), nullable=False),
    sa.Column('catalogue_key', sa.String(length=200), nullable=False),
    sa.Column('source', sa.String(length=16), nullable=False),
    sa.Column('imported_at', sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
    sa.PrimaryKeyConstraint('tac', name=op.f('pk_tac_models'))
    )
    op.create_table('device_checks',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('user_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('query', sa.String(length=200), nullable=False),
    sa.Column('tac', sa.String(length=8), nullable=True),
    sa.Column('brand', sa.String(length=64), nullable=True),
    sa.Column('model', sa.String(length=128), nullable=True),
    sa.Column('verdict', sa.String(length=16), nullable=False),
    sa.Column('confidence', sa.String(length=8), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_device_checks_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_device_checks'))
    )
    with op.batch_alter_table('device_checks', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_device_checks_user_id'), ['user_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_device_checks_verdict'), ['verdict'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('device_checks', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_device_checks_verdict'))
        batch_op.drop_index(batch_op.f('ix_device_checks_user_id'))

    op.drop_table('device_checks')
    op.drop_table('tac_models')
