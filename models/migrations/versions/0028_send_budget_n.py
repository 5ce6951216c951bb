"""send_budget.n: how many of the sends asked for at once were granted (PostgreSQL only)

One TAKE may now grant several sends (bot/budget.py asks for the replies queued behind the first);
`granted` stays, true when n > 0, for an instance still running the statement as it was.

Revision ID: 0028_send_budget_n
Revises: 0027_send_budget
Create Date: 2026-12-06 03:00:00
"""
from __future__ import annotations

from alembic import op

from models.send_budget import ADD_N, TABLE

revision = '0028_send_budget_n'
down_revision = '0027_send_budget'
branch_labels = None
depends_on = None


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(ADD_N)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(f"ALTER TABLE IF EXISTS {TABLE} DROP COLUMN IF EXISTS n")
