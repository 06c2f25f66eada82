"""Staff members (a person with a role and a scope, reached through chat accounts), one-time
invitations, the staff member behind each status change, and a folded name for searches.

`users.is_staff` (a yes/no flag set only by `bot chat --staff`) becomes `users.staff_id`: each
flagged account becomes an admin without a province, so nobody loses access. The folded name
(`head_name_key`) of existing registrations is filled in.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-07
"""

from __future__ import annotations

import unicodedata

import sqlalchemy as sa
from alembic import op


revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None

BIG_ID = sa.BigInteger().with_variant(sa.Integer(), 'sqlite')


def _fold(text: str) -> str:
    """The name lower-cased, without tone marks, single-spaced (as bot.core.text.fold)."""
    decomposed = unicodedata.normalize('NFD', text.replace('đ', 'd').replace('Đ', 'D'))
    bare = ''.join(ch for ch in decomposed if unicodedata.category(ch) != 'Mn')
    return ' '.join(unicodedata.normalize('NFC', bare).lower().split())


def upgrade() -> None:
    op.create_table('staff_members',
    sa.Column('id', BIG_ID, autoincrement=True, nullable=False),
    sa.Column('name', sa.String(length=120), nullable=True),
    sa.Column('role', sa.String(length=16), nullable=False),
    sa.Column('province_code', sa.Integer(), nullable=True),
    sa.Column('ward_code', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
    sa.Column('removed_at', sa.DateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_staff_members'))
    )
    op.create_table('staff_invites',
    sa.Column('id', BIG_ID, autoincrement=True, nullable=False),
    sa.Column('code_hash', sa.String(length=64), nullable=False),
    sa.Column('member_id', BIG_ID, nullable=True),
    sa.Column('role', sa.String(length=16), nullable=False),
    sa.Column('province_code', sa.Integer(), nullable=True),
    sa.Column('ward_code', sa.Integer(), nullable=True),
    sa.Column('created_by', sa.String(length=64), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('used_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('used_by', BIG_ID, nullable=True),
    sa.ForeignKeyConstraint(['member_id'], ['staff_members.id'], name=op.f('fk_staff_invites_member_id_staff_members'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['used_by'], ['staff_members.id'], name=op.f('fk_staff_invites_used_by_staff_members'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_staff_invites')),
    sa.UniqueConstraint('code_hash', name=op.f('uq_staff_invites_code_hash'))
    )
    with op.batch_alter_table('registration_events', schema=None) as batch_op:
        batch_op.add_column(sa.Column('actor_staff_id', BIG_ID, nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_registration_events_actor_staff_id_staff_members'), 'staff_members', ['actor_staff_id'], ['id'], ondelete='SET NULL')

    with op.batch_alter_table('registrations', schema=None) as batch_op:
        batch_op.add_column(sa.Column('head_name_key', sa.String(length=120), server_default='', nullable=False))

    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('staff_id', BIG_ID, nullable=True))
        batch_op.create_index(batch_op.f('ix_users_staff_id'), ['staff_id'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_users_staff_id_staff_members'), 'staff_members', ['staff_id'], ['id'], ondelete='SET NULL')

    bind = op.get_bind()
    flagged = bind.execute(sa.text('SELECT id FROM users WHERE is_staff')).scalars().all()
    for user_id in flagged:
        staff_id = bind.execute(
            sa.text("INSERT INTO staff_members (role) VALUES ('admin') RETURNING id")
        ).scalar_one()
        bind.execute(
            sa.text('UPDATE users SET staff_id = :staff WHERE id = :user'),
            {'staff': staff_id, 'user': user_id},
        )
    names = bind.execute(sa.text('SELECT id, head_name FROM registrations')).all()
    for registration_id, name in names:
        bind.execute(
            sa.text('UPDATE registrations SET head_name_key = :key WHERE id = :id'),
            {'key': _fold(name), 'id': registration_id},
        )

    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_column('is_staff')


def downgrade() -> None:
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('is_staff', sa.Boolean(), server_default=sa.false(), nullable=False))
    op.execute(sa.text('UPDATE users SET is_staff = (staff_id IS NOT NULL)'))
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_users_staff_id_staff_members'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_users_staff_id'))
        batch_op.drop_column('staff_id')

    with op.batch_alter_table('registrations', schema=None) as batch_op:
        batch_op.drop_column('head_name_key')

    with op.batch_alter_table('registration_events', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_registration_events_actor_staff_id_staff_members'), type_='foreignkey')
        batch_op.drop_column('actor_staff_id')

    op.drop_table('staff_invites')
    op.drop_table('staff_members')
