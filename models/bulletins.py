"""Audio bulletins (bản tin âm thanh) and the voice notes Telegram already holds.

A bulletin is a title and a text a cell's officers (or a committee, for its whole subtree) send
as a voice note; at send time (now, or the time the sender scheduled — e.g. the 1st of the month
at 08:00) every member under its unit, the sender excepted, gets one delivery through the outbox.
The audio itself is audio/'s business; what lives here is the table that maps an audio cache key
to the file_id Telegram gave the first upload, so every later send, even after a restart, goes by
file_id. No Telegram here.
"""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, tzinfo

from sqlalchemy import BigInteger, Float, ForeignKey, Integer, String, func, literal, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column, relationship, selectinload
from sqlalchemy.orm.attributes import set_committed_value

from . import audit, clock, deliveries
from .base import Base
from .members import Member, member_ids_under
from .notices import SCHEDULE_MAX, SCHEDULE_MIN, NoticeError, parse_send_at
from .permissions import Action, Actor, may, may_send_to
from .scheduling import Dispatched, claim
from .scheduling import release_due as release_rows
from .sql import rowcount, upsert
from .text import CleanLine, CleanText, clean_line, clean_text, required
from .units import Unit

BULLETIN_DELIVERY = "bulletin"  # ref_id: Bulletin.id
TITLE_MAX = 200
TEXT_MAX = 30_000  # about half an hour of speech: a monthly bulletin, in parts of five minutes
RELEASE_BATCH = 20
MONTHLY_DAY, MONTHLY_HOUR = 1, 8  # the ward's regular slot: the 1st of the month at 08:00


class AudioFile(Base):
    """A voice note uploaded once: the audio cache key → Telegram's file_id (and what it is)."""

    __tablename__ = "audio_files"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)  # audio.cache_key: text, language, engine, voice
    file_id: Mapped[str] = mapped_column(String(255))
    file_unique_id: Mapped[str | None] = mapped_column(String(64))
    duration: Mapped[float] = mapped_column(Float, default=0.0)  # seconds
    engine: Mapped[str] = mapped_column(String(20))
    mime: Mapped[str] = mapped_column(String(40))
    size: Mapped[int | None] = mapped_column(Integer)  # bytes
    created_at: Mapped[datetime] = mapped_column(default=clock.now)


class Bulletin(Base):
    __tablename__ = "bulletins"

    id: Mapped[int] = mapped_column(primary_key=True)
    # The unit it is issued by and sent to: a cell, or a committee's whole subtree.
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id", ondelete="RESTRICT"), index=True)
    sender_member_id: Mapped[int | None] = mapped_column(ForeignKey("members.id", ondelete="SET NULL"), index=True)
    title: Mapped[str] = mapped_column(CleanLine(TITLE_MAX))
    text: Mapped[str] = mapped_column(CleanText)
    lang: Mapped[str] = mapped_column(String(5))  # the language the text is written (and spoken) in
    # The notice, document or resolution it was read from, if any (a copy: the notice may change).
    source_notice_id: Mapped[int | None] = mapped_column(BigInteger)
    created_at: Mapped[datetime] = mapped_column(default=clock.now)
    send_at: Mapped[datetime] = mapped_column(default=clock.now, index=True)
    dispatched_at: Mapped[datetime | None] = mapped_column(index=True)
    cancelled_at: Mapped[datetime | None] = mapped_column()
    recipients: Mapped[int] = mapped_column(Integer, default=0)  # members addressed when it was sent

    unit: Mapped[Unit] = relationship(lazy="raise")


class BulletinError(ValueError):
    """A bulletin that cannot be made; `reason` names why (a catalog key suffix)."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


# --- the audio files Telegram holds -------------------------------------------------------------------
async def audio_files(session: AsyncSession, keys: Iterable[str]) -> dict[str, AudioFile]:
    keys = list(dict.fromkeys(keys))
    if not keys:
        return {}
    rows = await session.scalars(select(AudioFile).where(AudioFile.key.in_(keys)))
    return {row.key: row for row in rows.all()}


async def remember_audio(session: AsyncSession, key: str, file_id: str, *, duration: float, engine: str, mime: str,
                         size: int | None = None, file_unique_id: str | None = None) -> None:
    """Keep Telegram's file_id for this audio; a second upload of the same audio (a race) keeps the first."""
    values = {"key": key, "file_id": file_id, "file_unique_id": file_unique_id, "duration": float(duration or 0),
              "engine": engine, "mime": mime, "size": size, "created_at": clock.now()}
    await session.execute(upsert(session, AudioFile.__table__).values(values).on_conflict_do_nothing(index_elements=["key"]))


async def forget_audio(session: AsyncSession, key: str) -> None:
    """Telegram no longer knows the file_id: the next send uploads again."""
    await session.execute(AudioFile.__table__.delete().where(AudioFile.key == key))


# --- making and sending -------------------------------------------------------------------------------
async def create_bulletin(
    session: AsyncSession,
    actor: Actor,
    *,
    unit_id: int,
    title: str,
    text: str,
    lang: str,
    send_at: datetime | None = None,
    source_notice_id: int | None = None,
) -> Bulletin:
    """Make a bulletin; sent at once (its deliveries queued in this transaction) unless `send_at`
    is later. Raises BulletinError. The caller commits."""
    title = required(clean_line(title), TITLE_MAX, BulletinError, "title")
    text = required(clean_text(text), TEXT_MAX, BulletinError, "text")
    unit = await session.get(Unit, unit_id)
    if unit is None or not may_send_to(actor, unit):
        raise BulletinError("not_allowed")
    now = clock.now()
    if send_at is not None and not (now + SCHEDULE_MIN <= send_at <= now + SCHEDULE_MAX):
        raise BulletinError("when_past" if send_at < now else "when_too_far")
    bulletin = Bulletin(unit_id=unit.id, sender_member_id=actor.member_id, title=title, text=text, lang=lang,
                        source_notice_id=source_notice_id, created_at=now, send_at=send_at or now)
    session.add(bulletin)
    await session.flush()
    await audit.record(
        session, "bulletin_created", actor_telegram_id=actor.telegram_user_id, actor_member_id=actor.member_id,
        detail={"bulletin_id": bulletin.id, "unit": unit.id, "scheduled": send_at is not None,
                "characters": len(text)},
    )
    if send_at is None:
        sent = await dispatch(session, bulletin.id, now)
        set_committed_value(bulletin, "dispatched_at", now)
        set_committed_value(bulletin, "recipients", sent.recipients if sent else 0)
    return bulletin


async def dispatch(session: AsyncSession, bulletin_id: int, now: datetime | None = None) -> Dispatched | None:
    """Resolve the audience now and queue the deliveries; None when it was already sent or cancelled.

    Idempotent across processes: only the transaction that sets dispatched_at goes on.
    """
    now = now or clock.now()
    if not await claim(session, Bulletin, bulletin_id, now, Bulletin.cancelled_at.is_(None), synchronize=False):
        return None
    sender, path = (
        await session.execute(
            select(Bulletin.sender_member_id, Unit.path).join(Unit, Unit.id == Bulletin.unit_id)
            .where(Bulletin.id == bulletin_id)
        )
    ).one()
    member_ids = await member_ids_under(session, [path], but=sender)
    await session.execute(
        update(Bulletin).where(Bulletin.id == bulletin_id).values(recipients=len(member_ids))
        .execution_options(synchronize_session=False)
    )
    queued = await deliveries.queue_to_members(session, BULLETIN_DELIVERY, bulletin_id, member_ids, not_before=now)
    return Dispatched(bulletin_id, len(member_ids), queued)


async def release_due(session: AsyncSession, now: datetime | None = None) -> list[Dispatched]:
    """Send the scheduled bulletins whose time has come (the scheduler's tick; idempotent)."""
    return await release_rows(session, Bulletin, dispatch, now or clock.now(), Bulletin.cancelled_at.is_(None),
                              batch=RELEASE_BATCH)


async def cancel(session: AsyncSession, actor: Actor, bulletin_id: int) -> bool:
    """Withdraw a scheduled bulletin before it goes out; False when it is gone, sent, or not the actor's."""
    bulletin = await get_bulletin(session, bulletin_id)
    if bulletin is None or bulletin.dispatched_at is not None or bulletin.cancelled_at is not None:
        return False
    if bulletin.sender_member_id != actor.member_id and not may(actor, Action.manage_cell, bulletin.unit.path):
        return False
    done = await session.execute(
        update(Bulletin)
        .where(Bulletin.id == bulletin_id, Bulletin.dispatched_at.is_(None), Bulletin.cancelled_at.is_(None))
        .values(cancelled_at=clock.now())
        .execution_options(synchronize_session=False)
    )
    if rowcount(done) != 1:
        return False
    await audit.record(session, "bulletin_cancelled", actor_telegram_id=actor.telegram_user_id,
                       actor_member_id=actor.member_id, detail={"bulletin_id": bulletin_id})
    return True


# --- when ---------------------------------------------------------------------------------------------------
def parse_when(text: str, tz: tzinfo, now: datetime | None = None) -> datetime:
    """"01/12/2026 08:00" in the handbook's time zone → aware UTC; raises BulletinError
    ("when_format", "when_impossible", "when_past", "when_too_far")."""
    try:
        return parse_send_at(text, tz, now)
    except NoticeError as exc:
        raise BulletinError(exc.reason) from None


def monthly_slot(tz: tzinfo, after: datetime, months_ahead: int = 0) -> datetime:
    """The first 1st-of-the-month 08:00 (local) at least a minute after `after`, then `months_ahead` more."""
    local = (after + SCHEDULE_MIN).astimezone(tz)
    year, month = local.year, local.month
    if datetime(year, month, MONTHLY_DAY, MONTHLY_HOUR, tzinfo=tz) < local:
        month += 1
    month += months_ahead
    year, month = year + (month - 1) // 12, (month - 1) % 12 + 1
    return datetime(year, month, MONTHLY_DAY, MONTHLY_HOUR, tzinfo=tz).astimezone(UTC)


async def next_monthly_slot(session: AsyncSession, unit_id: int, tz: tzinfo, now: datetime | None = None) -> datetime:
    """The unit's next free monthly slot: bulletins can be queued ahead, one per month."""
    now = now or clock.now()
    taken = set(
        (
            await session.scalars(
                select(Bulletin.send_at).where(Bulletin.unit_id == unit_id, Bulletin.dispatched_at.is_(None),
                                               Bulletin.cancelled_at.is_(None), Bulletin.send_at > now)
            )
        ).all()
    )
    for ahead in range(int(SCHEDULE_MAX / timedelta(days=31)) + 1):
        slot = monthly_slot(tz, now, ahead)
        if slot not in taken:
            return slot
    raise BulletinError("when_too_far")


# --- reading -------------------------------------------------------------------------------------------------
async def get_bulletin(session: AsyncSession, bulletin_id: int) -> Bulletin | None:
    return await session.scalar(
        select(Bulletin).where(Bulletin.id == bulletin_id).options(selectinload(Bulletin.unit))
    )


async def _cell_path(session: AsyncSession, member_id: int | None) -> str | None:
    if member_id is None:
        return None
    return await session.scalar(select(Unit.path).join(Member, Member.cell_id == Unit.id).where(Member.id == member_id))


async def may_hear(session: AsyncSession, actor: Actor, bulletin: Bulletin) -> bool:
    """A sent bulletin of a unit above the member's cell; its sender; an officer over its unit."""
    if bulletin.cancelled_at is not None:
        return False
    if bulletin.sender_member_id is not None and bulletin.sender_member_id == actor.member_id:
        return True
    if may(actor, Action.view_reports, bulletin.unit.path):
        return True
    if bulletin.dispatched_at is None:
        return False
    cell_path = await _cell_path(session, actor.member_id)
    return cell_path is not None and cell_path.startswith(bulletin.unit.path)


@dataclass
class Page:
    items: list[Bulletin] = field(default_factory=list)
    total: int = 0


async def heard_by(session: AsyncSession, member_id: int, offset: int = 0, limit: int = 8) -> Page:
    """The sent bulletins of the member's units (their cell and every committee above it), newest first."""
    cell_path = await _cell_path(session, member_id)
    if cell_path is None:
        return Page()
    conds = [Bulletin.dispatched_at.is_not(None), Bulletin.cancelled_at.is_(None),
             literal(cell_path).startswith(Unit.path)]
    total = (await session.execute(
        select(func.count()).select_from(Bulletin).join(Unit, Unit.id == Bulletin.unit_id).where(*conds)
    )).scalar_one()
    rows = await session.scalars(
        select(Bulletin).join(Unit, Unit.id == Bulletin.unit_id).where(*conds)
        .options(selectinload(Bulletin.unit))
        .order_by(Bulletin.dispatched_at.desc(), Bulletin.id.desc()).offset(offset).limit(limit)
    )
    return Page(list(rows.all()), total)


async def scheduled(session: AsyncSession, unit_paths: list[str] | None, limit: int = 12) -> list[Bulletin]:
    """Bulletins waiting for their time, of units under these paths (None: everywhere), soonest first."""
    stmt = (
        select(Bulletin).join(Unit, Unit.id == Bulletin.unit_id)
        .where(Bulletin.dispatched_at.is_(None), Bulletin.cancelled_at.is_(None))
    )
    if unit_paths is not None:
        if not unit_paths:
            return []
        stmt = stmt.where(or_(*[Unit.path.startswith(p, autoescape=True) for p in unit_paths]))
    rows = await session.scalars(
        stmt.options(selectinload(Bulletin.unit)).order_by(Bulletin.send_at, Bulletin.id).limit(limit)
    )
    return list(rows.all())
