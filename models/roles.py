"""Roles held on units; a role covers the unit and everything below it."""
from __future__ import annotations

import enum

from sqlalchemy import BigInteger, Enum, ForeignKey, UniqueConstraint, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base


class RoleKind(str, enum.Enum):
    secretary = "secretary"  # bí thư
    deputy = "deputy"  # phó bí thư
    committee = "committee"  # cấp ủy, ban tổ chức
    admin = "admin"


class Role(Base):
    __tablename__ = "roles"
    __table_args__ = (UniqueConstraint("member_id", "unit_id", "kind", name="uq_roles_member_unit_kind"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"), index=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id", ondelete="CASCADE"), index=True)
    kind: Mapped[RoleKind] = mapped_column(Enum(RoleKind, native_enum=False, length=20))
    granted_by_telegram_id: Mapped[int | None] = mapped_column(BigInteger)


async def grant(session: AsyncSession, member_id: int, unit_id: int, kind: RoleKind) -> bool:
    """Give a role; False when the member already held it."""
    exists = await session.scalar(
        select(Role.id).where(Role.member_id == member_id, Role.unit_id == unit_id, Role.kind == kind)
    )
    if exists:
        return False
    session.add(Role(member_id=member_id, unit_id=unit_id, kind=kind))
    await session.flush()
    return True


async def revoke(session: AsyncSession, member_id: int, unit_id: int, kind: RoleKind) -> bool:
    role = await session.scalar(
        select(Role).where(Role.member_id == member_id, Role.unit_id == unit_id, Role.kind == kind)
    )
    if role is None:
        return False
    await session.delete(role)
    await session.flush()
    return True
