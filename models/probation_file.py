"""A probationary member's file as the secretary keeps it (issue 17): the admission ceremony's date, the full
member assigned to help them, the new-members' political course, and the items of the conversion file ticked
off as they come in (the list is the rules file's: models/rules/probation_2025.toml, [file] items).

Only an officer who manages the member's cell records any of it (models.permissions.may_manage_cell); each
change is audited. The member and their helper see the helper on their profiles. No Telegram here.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from functools import cache

from sqlalchemy import Date, ForeignKey, String, delete, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from . import audit, clock, probation, rulesfile
from .base import Base
from .dates import local_today
from .members import Member
from .permissions import Actor, may_manage_cell
from .units import Unit

__all__ = ["Card", "FileError", "ProbationFile", "ProbationFileItem", "card", "helped_by", "helper_candidates",
           "items", "set_ceremony", "set_course", "set_helper", "set_item"]


class ProbationFile(Base):
    __tablename__ = "probation_files"

    member_id: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"), primary_key=True)
    helper_member_id: Mapped[int | None] = mapped_column(ForeignKey("members.id", ondelete="SET NULL"), index=True)
    course_done_on: Mapped[date | None] = mapped_column(Date)
    updated_at: Mapped[datetime] = mapped_column(default=clock.now)


class ProbationFileItem(Base):
    """One item of the conversion file, in."""

    __tablename__ = "probation_file_items"

    member_id: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"), primary_key=True)
    item: Mapped[str] = mapped_column(String(40), primary_key=True)
    done_on: Mapped[date] = mapped_column(Date)
    by_member_id: Mapped[int | None] = mapped_column(ForeignKey("members.id", ondelete="SET NULL"))


@cache
def items() -> tuple[str, ...]:
    """The conversion file's items, in the rules file's order (read once, as every rules file is)."""
    return tuple(str(i) for i in rulesfile.read(probation.RULES_FILE)["file"]["items"])


class FileError(Exception):
    """Refused; `reason` names the catalog message (probation.refused.<reason>)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class Card:
    member_id: int
    full_name: str
    cell_id: int
    cell_name: str
    deadlines: probation.Deadlines
    ceremony_on: date | None
    helper_id: int | None
    helper_name: str | None
    course_done_on: date | None
    done: dict[str, date]  # item → the day it came in


async def _subject(session: AsyncSession, actor: Actor, member_id: int) -> tuple[Member, Unit]:
    """A probationary member of a cell the actor manages; else FileError not_allowed / not_probationary."""
    found = (await session.execute(select(Member, Unit).join(Unit, Unit.id == Member.cell_id)
                                   .where(Member.id == member_id))).first()
    if found is None or not may_manage_cell(actor, found[1]):
        raise FileError("not_allowed")
    member, cell = found
    if member.joined_on is None or member.official_on is not None or member.joined_on > local_today():
        raise FileError("not_probationary")
    return member, cell


async def card(session: AsyncSession, actor: Actor, member_id: int, today: date | None = None) -> Card:
    """What the secretary's probation card shows of one member (refused as _subject says)."""
    member, cell = await _subject(session, actor, member_id)
    today = today or local_today()
    assert member.joined_on is not None  # _subject checked
    file = await session.get(ProbationFile, member_id)
    helper = await session.get(Member, file.helper_member_id) if file and file.helper_member_id else None
    done = dict((await session.execute(select(ProbationFileItem.item, ProbationFileItem.done_on)
                                       .where(ProbationFileItem.member_id == member_id))).all())
    return Card(member.id, member.full_name, cell.id, cell.name,
                probation.deadlines(member.joined_on, today, member.ceremony_on), member.ceremony_on,
                helper.id if helper else None, helper.full_name if helper else None,
                file.course_done_on if file else None, {i: done[i] for i in items() if i in done})


async def _file(session: AsyncSession, member_id: int) -> ProbationFile:
    row = await session.get(ProbationFile, member_id)
    if row is None:
        row = ProbationFile(member_id=member_id)
        session.add(row)
    row.updated_at = clock.now()
    return row


async def _audit(session: AsyncSession, actor: Actor, action: str, member_id: int, **detail: object) -> None:
    await audit.record(session, action, actor_telegram_id=actor.telegram_user_id, actor_member_id=actor.member_id,
                       subject_member_id=member_id, detail=detail or None)


async def set_ceremony(session: AsyncSession, actor: Actor, member_id: int, day: date | None,
                       today: date | None = None) -> None:
    """The admission ceremony held on `day` (None: not recorded after all); not before the decision, not in the
    future. Month 12 then counts from it (the rules' month12_from)."""
    member, _cell = await _subject(session, actor, member_id)
    today = today or local_today()
    if day is not None and (member.joined_on is None or day < member.joined_on):
        raise FileError("ceremony_before_decision")
    if day is not None and day > today:
        raise FileError("future")
    member.ceremony_on = day
    await _audit(session, actor, "probation_ceremony", member_id, day=day.isoformat() if day else None)
    await session.flush()


async def helper_candidates(session: AsyncSession, actor: Actor, member_id: int) -> list[tuple[int, str]]:
    """The full members of the member's cell who may help them (not the member), by name."""
    member, _cell = await _subject(session, actor, member_id)
    rows = await session.execute(select(Member.id, Member.full_name)
                                 .where(Member.cell_id == member.cell_id, Member.official_on.is_not(None),
                                        Member.id != member_id)
                                 .order_by(Member.sort_name, Member.id))
    return [(i, name) for i, name in rows.all()]


async def set_helper(session: AsyncSession, actor: Actor, member_id: int, helper_id: int | None) -> None:
    """A full member of the same cell assigned to help (None: the assignment withdrawn)."""
    await _subject(session, actor, member_id)
    if helper_id is not None and helper_id not in {i for i, _ in await helper_candidates(session, actor, member_id)}:
        raise FileError("helper")
    row = await _file(session, member_id)
    row.helper_member_id = helper_id
    await _audit(session, actor, "probation_helper", member_id, helper_member_id=helper_id)
    await session.flush()


async def set_course(session: AsyncSession, actor: Actor, member_id: int, done: bool,
                     today: date | None = None) -> None:
    """The new-members' political course done (today), or not after all."""
    await _subject(session, actor, member_id)
    row = await _file(session, member_id)
    row.course_done_on = (today or local_today()) if done else None
    await _audit(session, actor, "probation_course", member_id, done=done)
    await session.flush()


async def set_item(session: AsyncSession, actor: Actor, member_id: int, item: str, done: bool,
                   today: date | None = None) -> None:
    """An item of the conversion file in (today), or taken off the list again."""
    if item not in items():
        raise FileError("item")
    await _subject(session, actor, member_id)
    await session.execute(delete(ProbationFileItem).where(ProbationFileItem.member_id == member_id,
                                                          ProbationFileItem.item == item))
    if done:
        session.add(ProbationFileItem(member_id=member_id, item=item, done_on=today or local_today(),
                                      by_member_id=actor.member_id))
    await _audit(session, actor, "probation_file_item", member_id, item=item, done=done)
    await session.flush()


async def helped_by(session: AsyncSession, member_id: int) -> tuple[str | None, list[str]]:
    """For a profile: who helps this member (while probationary), and the probationary members they help."""
    helper = await session.scalar(select(Member.full_name)
                                  .join(ProbationFile, ProbationFile.helper_member_id == Member.id)
                                  .where(ProbationFile.member_id == member_id))
    helped = (await session.scalars(
        select(Member.full_name).join(ProbationFile, ProbationFile.member_id == Member.id)
        .where(ProbationFile.helper_member_id == member_id, Member.official_on.is_(None))
        .order_by(Member.sort_name))).all()
    return helper, list(helped)
