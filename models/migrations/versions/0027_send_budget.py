"""send_budget: the bot's sends of the last second, shared by its instances (PostgreSQL only)

Revision ID: 0027_send_budget
Revises: 0001
Create Date: 2026-12-05 22:00:00
"""
from __future__ import annotations

from alembic import op

from models.send_budget import CREATE, TABLE

revision = '0027_send_budget'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":  # SQLite: one instance, its own pace, no table
        op.execute(CREATE)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(f"DROP TABLE IF EXISTS {TABLE}")
