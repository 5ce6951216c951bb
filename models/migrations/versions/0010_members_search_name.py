"""members.search_name: the name folded (no case, no diacritics, đ as d), so a search by name finds
"Đặng Thị Thu Hà" from "ĐẶNG THỊ" or "dang thi" on SQLite as on PostgreSQL

Revision ID: 0010
Revises: 0001
Create Date: 2026-12-02 10:00:00
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from models.members import SEARCH_LENGTH, search_key

revision = '0010'
down_revision = '0001'
branch_labels = None
depends_on = None

BATCH = 1000


def upgrade() -> None:
    with op.batch_alter_table('members') as batch:
        batch.add_column(sa.Column('search_name', sa.String(length=SEARCH_LENGTH), server_default='', nullable=False))
    members = sa.table('members', sa.column('id', sa.Integer), sa.column('full_name', sa.String),
                       sa.column('search_name', sa.String))
    bind = op.get_bind()
    last = 0
    while True:  # the members already there get their key, a batch at a time
        rows = bind.execute(sa.select(members.c.id, members.c.full_name).where(members.c.id > last)
                            .order_by(members.c.id).limit(BATCH)).all()
        if not rows:
            break
        bind.execute(sa.update(members).where(members.c.id == sa.bindparam('member_id'))
                     .values(search_name=sa.bindparam('key')),
                     [{'member_id': i, 'key': search_key(name)} for i, name in rows])
        last = rows[-1][0]


def downgrade() -> None:
    with op.batch_alter_table('members') as batch:
        batch.drop_column('search_name')
