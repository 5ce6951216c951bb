"""The audit log: who did what to whom, and when. It never holds profile data itself."""
from __future__ import annotations

import json
from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, String, Text, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from . import clock
from .base import Base


class AuditEntry(Base):
    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(default=clock.now, index=True)
    actor_telegram_id: Mapped[int | None] = mapped_column(BigInteger)
    actor_member_id: Mapped[int | None] = mapped_column(ForeignKey("members.id", ondelete="SET NULL"))
    action: Mapped[str] = mapped_column(String(60), index=True)
    subject_member_id: Mapped[int | None] = mapped_column(ForeignKey("members.id", ondelete="SET NULL"), index=True)
    detail: Mapped[str | None] = mapped_column(Text)


async def record(
    session: AsyncSession,
    action: str,
    *,
    actor_telegram_id: int | None = None,
    actor_member_id: int | None = None,
    subject_member_id: int | None = None,
    detail: dict[str, object] | None = None,
) -> AuditEntry:
    entry = AuditEntry(
        action=action,
        actor_telegram_id=actor_telegram_id,
        actor_member_id=actor_member_id,
        subject_member_id=subject_member_id,
        detail=json.dumps(detail, ensure_ascii=False, sort_keys=True) if detail else None,
    )
    session.add(entry)
    await session.flush()
    return entry


async def entries(session: AsyncSession, action: str | None = None) -> list[AuditEntry]:
    stmt = select(AuditEntry).order_by(AuditEntry.id)
    if action:
        stmt = stmt.where(AuditEntry.action == action)
    return list((await session.scalars(stmt)).all())
