"""members.sort_name: names in Vietnamese order (given name first, the alphabet's own letters, tones last)

Revision ID: 0007
Revises: 0001
Create Date: 2026-11-28 23:45:00
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from models.collation import KEY_LENGTH, name_key

revision = '0007'
down_revision = '0001'
branch_labels = None
depends_on = None

BATCH = 1000


def upgrade() -> None:
    with op.batch_alter_table('members') as batch:
        batch.add_column(sa.Column('sort_name', sa.String(length=KEY_LENGTH), server_default='', nullable=False))
    members = sa.table('members', sa.column('id', sa.Integer), sa.column('full_name', sa.String),
                       sa.column('sort_name', sa.String))
    bind = op.get_bind()
    last = 0
    while True:  # the members already there get their key, a batch at a time
        rows = bind.execute(sa.select(members.c.id, members.c.full_name).where(members.c.id > last)
                            .order_by(members.c.id).limit(BATCH)).all()
        if not rows:
            break
        bind.execute(sa.update(members).where(members.c.id == sa.bindparam('member_id'))
                     .values(sort_name=sa.bindparam('key')),
                     [{'member_id': i, 'key': name_key(name)} for i, name in rows])
        last = rows[-1][0]
    op.create_index('ix_members_cell_id_sort_name', 'members', ['cell_id', 'sort_name'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_members_cell_id_sort_name', table_name='members')
    with op.batch_alter_table('members') as batch:
        batch.drop_column('sort_name')
