"""Subscriptions to reminders and announcements, broadcasts (announcements and milestone
reminders), the outbox row's broadcast, and the shared send rate of each bot token.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op


revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None

BIG_ID = sa.BigInteger().with_variant(sa.Integer(), 'sqlite')


def upgrade() -> None:
    op.create_table('rate_buckets',
    sa.Column('channel', sa.String(length=16), nullable=False),
    sa.Column('next_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('channel', name=op.f('pk_rate_buckets'))
    )
    op.create_table('broadcasts',
    sa.Column('id', BIG_ID, autoincrement=True, nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('text_vi', sa.Text(), nullable=True),
    sa.Column('text_en', sa.Text(), nullable=True),
    sa.Column('audience', sa.JSON(), nullable=False),
    sa.Column('area_province', sa.Integer(), nullable=True),
    sa.Column('area_ward', sa.Integer(), nullable=True),
    sa.Column('author_user_id', BIG_ID, nullable=True),
    sa.Column('created_by', BIG_ID, nullable=True),
    sa.Column('milestone_id', sa.String(length=64), nullable=True),
    sa.Column('offset_days', sa.Integer(), nullable=True),
    sa.Column('send_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
    sa.Column('started_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('finished_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('recipients', sa.Integer(), nullable=False),
    sa.Column('skipped', sa.Integer(), nullable=False),
    sa.Column('report', sa.JSON(), nullable=True),
    sa.ForeignKeyConstraint(['author_user_id'], ['users.id'], name=op.f('fk_broadcasts_author_user_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['created_by'], ['staff_members.id'], name=op.f('fk_broadcasts_created_by_staff_members'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_broadcasts')),
    sa.UniqueConstraint('milestone_id', 'offset_days', name=op.f('uq_broadcasts_milestone_id_offset_days'))
    )
    with op.batch_alter_table('broadcasts', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_broadcasts_area_province'), ['area_province'], unique=False)
        batch_op.create_index(batch_op.f('ix_broadcasts_send_at'), ['send_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_broadcasts_status'), ['status'], unique=False)

    op.create_table('subscriptions',
    sa.Column('id', BIG_ID, autoincrement=True, nullable=False),
    sa.Column('user_id', BIG_ID, nullable=False),
    sa.Column('province_code', sa.Integer(), nullable=True),
    sa.Column('ward_code', sa.Integer(), nullable=True),
    sa.Column('consent_text_version', sa.String(length=16), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
    sa.Column('ended_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('ended_by', sa.String(length=16), nullable=True),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_subscriptions_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_subscriptions'))
    )
    with op.batch_alter_table('subscriptions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_subscriptions_province_code'), ['province_code'], unique=False)
        batch_op.create_index(batch_op.f('ix_subscriptions_ward_code'), ['ward_code'], unique=False)
        batch_op.create_index('uq_subscriptions_live_user', ['user_id'], unique=True, sqlite_where=sa.text('ended_at IS NULL'), postgresql_where=sa.text('ended_at IS NULL'))

    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.add_column(sa.Column('broadcast_id', BIG_ID, nullable=True))
        batch_op.create_index(batch_op.f('ix_outbox_broadcast_id'), ['broadcast_id'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_outbox_broadcast_id_broadcasts'), 'broadcasts', ['broadcast_id'], ['id'], ondelete='SET NULL')



def downgrade() -> None:
    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_outbox_broadcast_id_broadcasts'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_outbox_broadcast_id'))
        batch_op.drop_column('broadcast_id')

    with op.batch_alter_table('subscriptions', schema=None) as batch_op:
        batch_op.drop_index('uq_subscriptions_live_user', sqlite_where=sa.text('ended_at IS NULL'), postgresql_where=sa.text('ended_at IS NULL'))
        batch_op.drop_index(batch_op.f('ix_subscriptions_ward_code'))
        batch_op.drop_index(batch_op.f('ix_subscriptions_province_code'))

    op.drop_table('subscriptions')
    with op.batch_alter_table('broadcasts', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_broadcasts_status'))
        batch_op.drop_index(batch_op.f('ix_broadcasts_send_at'))
        batch_op.drop_index(batch_op.f('ix_broadcasts_area_province'))

    op.drop_table('broadcasts')
    op.drop_table('rate_buckets')
