"""bulletins and audio files: audio bulletins to a unit, and audio cache key → Telegram file_id

Revision ID: 0006
Revises: 0001
Create Date: 2026-11-28 19:47:49.106174
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import models.base

revision = '0006'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('audio_files',
    sa.Column('key', sa.String(length=64), nullable=False),
    sa.Column('file_id', sa.String(length=255), nullable=False),
    sa.Column('file_unique_id', sa.String(length=64), nullable=True),
    sa.Column('duration', sa.Float(), nullable=False),
    sa.Column('engine', sa.String(length=20), nullable=False),
    sa.Column('mime', sa.String(length=40), nullable=False),
    sa.Column('size', sa.Integer(), nullable=True),
    sa.Column('created_at', models.base.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('key', name=op.f('pk_audio_files'))
    )
    op.create_table('bulletins',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('unit_id', sa.Integer(), nullable=False),
    sa.Column('sender_member_id', sa.Integer(), nullable=True),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('lang', sa.String(length=5), nullable=False),
    sa.Column('source_notice_id', sa.BigInteger(), nullable=True),
    sa.Column('created_at', models.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('send_at', models.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('dispatched_at', models.base.UTCDateTime(timezone=True), nullable=True),
    sa.Column('cancelled_at', models.base.UTCDateTime(timezone=True), nullable=True),
    sa.Column('recipients', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['sender_member_id'], ['members.id'], name=op.f('fk_bulletins_sender_member_id_members'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['unit_id'], ['units.id'], name=op.f('fk_bulletins_unit_id_units'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_bulletins'))
    )
    with op.batch_alter_table('bulletins', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_bulletins_dispatched_at'), ['dispatched_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_bulletins_send_at'), ['send_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_bulletins_sender_member_id'), ['sender_member_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_bulletins_unit_id'), ['unit_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('bulletins', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_bulletins_unit_id'))
        batch_op.drop_index(batch_op.f('ix_bulletins_sender_member_id'))
        batch_op.drop_index(batch_op.f('ix_bulletins_send_at'))
        batch_op.drop_index(batch_op.f('ix_bulletins_dispatched_at'))

    op.drop_table('bulletins')
    op.drop_table('audio_files')
