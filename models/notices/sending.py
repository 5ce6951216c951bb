"""Making a notice and sending it: now, or at the time its sender chose (the clock's tick releases it)."""
from __future__ import annotations

__all__ = [
    "Attachment", "Dispatched", "create_notice", "dispatch", "get_notice", "issuing_unit_id", "parse_send_at",
    "release_due", "set_status_message",
]

from dataclasses import dataclass
from datetime import datetime, tzinfo

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from .. import audit, clock, deliveries
from ..dates import BadDate, parse_moment
from ..members import member_ids_under
from ..permissions import ALLOWED, Action, Actor, may_send_to
from ..scheduling import Dispatched, claim
from ..scheduling import release_due as release_rows
from ..text import clean_line, clean_text, fold, required
from ..units import Unit
from .tables import (
    BODY_MAX,
    FILE_KINDS,
    NOTICE_DELIVERY,
    RELEASE_BATCH,
    SCHEDULE_MAX,
    SCHEDULE_MIN,
    TITLE_MAX,
    Notice,
    NoticeAudience,
    NoticeError,
    NoticeKind,
    NoticeRecipient,
)


# --- small rules ---------------------------------------------------------------------------------
def parse_send_at(text: str, tz: tzinfo, now: datetime | None = None) -> datetime:
    """"25/12/2026 19:30" (or "19h30 25/12/2026") in the handbook's time zone → aware UTC.

    Raises NoticeError: "when_format", "when_impossible" (31/02, 25:00), "when_past", "when_too_far".
    """
    now = now or clock.now()
    try:
        at = parse_moment(text, tz)
    except BadDate as exc:
        raise NoticeError("when_impossible" if exc.reason == "no_such_day" else "when_format") from None
    if at < now + SCHEDULE_MIN:
        raise NoticeError("when_past")
    if at > now + SCHEDULE_MAX:
        raise NoticeError("when_too_far")
    return at


def issuing_unit_id(actor: Actor, units: list[Unit]) -> int:
    """The deepest unit the sender holds an officer role on that covers the whole audience
    (an administrator without one: the units' lowest common ancestor)."""
    covering = [
        r for r in actor.roles
        if r.kind in ALLOWED[Action.manage_cell] and all(u.path.startswith(r.unit_path) for u in units)
    ]
    if covering:
        return max(covering, key=lambda r: len(r.unit_path)).unit_id
    split = [u.path.strip("/").split("/") for u in units]
    common = []
    for parts in zip(*split, strict=False):
        if len(set(parts)) != 1:
            break
        common.append(parts[0])
    return int(common[-1]) if common else units[0].id


def _outermost(units: list[Unit]) -> list[Unit]:
    """Drop a chosen unit that lies under another chosen one (a member is addressed once)."""
    ordered = sorted({u.id: u for u in units}.values(), key=lambda u: len(u.path))
    kept: list[Unit] = []
    for u in ordered:
        if not any(u.path.startswith(k.path) for k in kept):
            kept.append(u)
    return kept


# --- making and sending -----------------------------------------------------------------------------
@dataclass
class Attachment:
    file_id: str
    kind: str  # "document" or "photo"
    name: str | None = None


async def create_notice(
    session: AsyncSession,
    actor: Actor,
    *,
    kind: NoticeKind,
    title: str,
    body: str,
    audience_unit_ids: list[int],
    attachment: Attachment | None = None,
    study: bool = False,
    send_at: datetime | None = None,
) -> Notice:
    """Make a notice; sent at once (its deliveries queued in this transaction) unless `send_at`
    is later. Raises NoticeError. The caller commits."""
    title, body = required(clean_line(title), TITLE_MAX, NoticeError, "title"), clean_text(body)
    if len(body) > BODY_MAX:
        raise NoticeError("body_long")
    if attachment is not None and attachment.kind not in FILE_KINDS:
        raise NoticeError("file_kind")
    ids = sorted(set(audience_unit_ids))
    units = list((await session.scalars(select(Unit).where(Unit.id.in_(ids)))).all()) if ids else []
    if not units or len(units) != len(ids):
        raise NoticeError("no_audience")
    if not all(may_send_to(actor, u) for u in units):
        raise NoticeError("not_allowed")
    now = clock.now()
    if send_at is not None and send_at < now + SCHEDULE_MIN:
        raise NoticeError("when_past")
    units = _outermost(units)
    notice = Notice(
        kind=kind,
        unit_id=issuing_unit_id(actor, units),
        sender_member_id=actor.member_id,
        title=title,
        body=body,
        search_text=fold(f"{title}\n{body}"),
        file_id=attachment.file_id if attachment else None,
        file_kind=attachment.kind if attachment else None,
        file_name=attachment.name if attachment else None,
        study_required=bool(study) and kind is NoticeKind.resolution,
        created_at=now,
        send_at=send_at or now,
    )
    session.add(notice)
    await session.flush()
    session.add_all(NoticeAudience(notice_id=notice.id, unit_id=u.id) for u in units)
    await session.flush()
    await audit.record(
        session, "notice_created", actor_telegram_id=actor.telegram_user_id, actor_member_id=actor.member_id,
        detail={"notice_id": notice.id, "kind": kind.value, "units": [u.id for u in units],
                "scheduled": send_at is not None},
    )
    if send_at is None:
        await dispatch(session, notice.id)
    return notice


async def dispatch(session: AsyncSession, notice_id: int, now: datetime | None = None) -> Dispatched | None:
    """Resolve the audience now and queue the deliveries; None when it was already sent.

    Idempotent across processes: only the transaction that sets dispatched_at goes on.
    """
    now = now or clock.now()
    if not await claim(session, Notice, notice_id, now):
        return None
    sender = await session.scalar(select(Notice.sender_member_id).where(Notice.id == notice_id))
    paths = (
        await session.scalars(
            select(Unit.path).join(NoticeAudience, NoticeAudience.unit_id == Unit.id)
            .where(NoticeAudience.notice_id == notice_id)
        )
    ).all()
    if not paths:
        return Dispatched(notice_id, 0, 0)
    member_ids = await member_ids_under(session, paths, but=sender)
    table = NoticeRecipient.__table__
    for start in range(0, len(member_ids), 1000):
        await session.execute(
            table.insert(), [{"notice_id": notice_id, "member_id": m} for m in member_ids[start:start + 1000]]
        )
    queued = await deliveries.queue_to_members(session, NOTICE_DELIVERY, notice_id, member_ids, not_before=now)
    return Dispatched(notice_id, len(member_ids), queued)


async def release_due(session: AsyncSession, now: datetime | None = None) -> list[Dispatched]:
    """Send the scheduled notices whose time has come (the scheduler's tick; idempotent)."""
    return await release_rows(session, Notice, dispatch, now or clock.now(), batch=RELEASE_BATCH)


async def get_notice(session: AsyncSession, notice_id: int) -> Notice | None:
    return await session.scalar(select(Notice).where(Notice.id == notice_id).options(selectinload(Notice.unit)))


async def set_status_message(session: AsyncSession, notice_id: int, chat_id: int, message_id: int | None) -> None:
    await session.execute(
        update(Notice).where(Notice.id == notice_id)
        .values(status_chat_id=chat_id, status_message_id=message_id)
        .execution_options(synchronize_session=False)
    )

