"""A member's self-review: read and changed only by the member (their own entry) or, for a member without
Telegram, by an officer of their cell by proxy (marked). Changes are refused after the deadline, once sent
(locked), for an exempt member and with points outside a group's range; a text over the rules' length is
refused whole. No Telegram here."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql import ColumnElement

from .. import audit, clock
from ..accounts import Account
from ..dates import local_today
from ..members import Member
from ..permissions import CELL_KINDS, Action, Actor, may, scope_paths, within_clause
from ..text import clean_text
from ..units import Unit
from .errors import ReviewError
from .rules import Form, Group, Level, Rules, rules
from .schema import TEXT_FIELDS, ReviewEntry, ReviewRound, RoundState

VOICE_MAX_SECONDS = 300  # a voice answer longer than 5 minutes is refused (said: record a shorter one)
FILE_ID_MAX = 200  # Telegram's file ids are about 70 characters


@dataclass
class Sheet:
    """An entry as its screen shows it: whose, the round, whether the caller acts by proxy."""

    entry: ReviewEntry
    round: ReviewRound
    full_name: str
    cell_name: str
    proxy: bool  # the caller is not the member: an officer filling it in for them

    @property
    def rules(self) -> Rules:
        return rules(self.round.rules_id)

    @property
    def groups(self) -> tuple[Group, ...]:
        return self.rules.groups(Form(self.entry.form))

    @property
    def total(self) -> int:
        points = self.entry.points or {}
        return sum(int(points.get(g.id, 0)) for g in self.groups)

    @property
    def level(self) -> Level:
        return self.rules.level(self.total, self.entry.conditions or ())


async def _has_telegram(session: AsyncSession, member_id: int) -> bool:
    return await session.scalar(select(Account.telegram_user_id).where(Account.member_id == member_id)) is not None


async def _found(session: AsyncSession, entry_id: int) -> Any:
    """(entry, round, the member's name, the cell's name and path), or None."""
    return (await session.execute(
        select(ReviewEntry, ReviewRound, Member.full_name, Unit.name, Unit.path)
        .join(ReviewRound, ReviewRound.id == ReviewEntry.round_id).join(Member, Member.id == ReviewEntry.member_id)
        .join(Unit, Unit.id == ReviewEntry.cell_id).where(ReviewEntry.id == entry_id)
        .execution_options(populate_existing=True))).first()  # settle() may have updated the row by a statement


async def sheet(session: AsyncSession, actor: Actor, entry_id: int) -> Sheet:
    """The entry with this id (from a button: not trusted) as `actor` may see it: their own, or by proxy a
    member without Telegram of a cell they are an officer of. Raises ReviewError("not_allowed")."""
    found = await _found(session, entry_id)
    if found is None:
        raise ReviewError("not_allowed")
    entry, rnd, name, cell_name, cell_path = found
    if actor.member_id is not None and entry.member_id == actor.member_id:
        return Sheet(entry, rnd, name, cell_name, proxy=False)
    if not may(actor, Action.review_proxy, cell_path):
        raise ReviewError("not_allowed")
    if await _has_telegram(session, entry.member_id):
        raise ReviewError("has_telegram")
    return Sheet(entry, rnd, name, cell_name, proxy=True)


def check_open(s: Sheet, today: date | None = None) -> None:
    """May the entry still be changed or sent? Raises ReviewError exempt, closed, submitted, deadline."""
    if s.entry.exempt:
        raise ReviewError("exempt")
    if s.round.state is not RoundState.open:
        raise ReviewError("closed")
    if s.entry.submitted:
        raise ReviewError("submitted")
    if (today or local_today()) > s.round.self_deadline:
        raise ReviewError("deadline")


async def editable(session: AsyncSession, actor: Actor, entry_id: int, today: date | None = None) -> Sheet:
    s = await sheet(session, actor, entry_id)
    check_open(s, today)
    return s


def _touch(entry: ReviewEntry) -> None:
    entry.updated_at = clock.now()


async def set_points(session: AsyncSession, actor: Actor, entry_id: int, group: int, value: int,
                     today: date | None = None) -> Sheet:
    """One group's points: from 0 to the group's most. Raises ReviewError points_range (and editable's)."""
    s = await editable(session, actor, entry_id, today)
    if not 0 <= group < len(s.groups) or not 0 <= value <= s.groups[group].max:
        raise ReviewError("points_range")
    s.entry.points = {**(s.entry.points or {}), s.groups[group].id: value}  # a new dict: JSON columns see a change
    _touch(s.entry)
    await session.flush()
    return s


async def set_condition(session: AsyncSession, actor: Actor, entry_id: int, condition: int, holds: bool,
                        today: date | None = None) -> Sheet:
    """One of the extra conditions of "xuất sắc" (by its place in the rules), stated or not."""
    s = await editable(session, actor, entry_id, today)
    names = s.rules.excellent_conditions
    if not 0 <= condition < len(names):
        raise ReviewError("not_allowed")
    held = [c for c in (s.entry.conditions or []) if c != names[condition]]
    s.entry.conditions = [*held, names[condition]] if holds else held
    _touch(s.entry)
    await session.flush()
    return s


def _keep_voice(entry: ReviewEntry, field: str, kept: dict[str, Any] | None) -> None:
    voices = {k: v for k, v in (entry.voices or {}).items() if k != field}
    if kept is not None:
        voices[field] = kept
    entry.voices = voices or None  # a new dict: JSON columns see a change


async def set_text(session: AsyncSession, actor: Actor, entry_id: int, field: str, text: str | None,
                   today: date | None = None) -> Sheet:
    """Strengths, shortcomings or remedies (None or blank: no more to say); replaces a voice answer to it.
    Raises ReviewError text_long."""
    if field not in TEXT_FIELDS:
        raise ReviewError("not_allowed")
    s = await editable(session, actor, entry_id, today)
    cleaned = clean_text(text)
    if len(cleaned) > s.rules.text_max:
        raise ReviewError("text_long")
    setattr(s.entry, field, cleaned or None)
    _keep_voice(s.entry, field, None)
    _touch(s.entry)
    await session.flush()
    return s


async def set_voice(session: AsyncSession, actor: Actor, entry_id: int, field: str, file_id: str, duration: int,
                    today: date | None = None) -> Sheet:
    """A voice message kept as the answer to strengths, shortcomings or remedies (Telegram's file_id and its
    seconds: the audio stays on Telegram, re-sent by file_id); replaces a typed text. Raises ReviewError
    voice_long (over VOICE_MAX_SECONDS), not_allowed (and editable's)."""
    if field not in TEXT_FIELDS or not file_id or len(file_id) > FILE_ID_MAX or duration < 0:
        raise ReviewError("not_allowed")
    s = await editable(session, actor, entry_id, today)
    if duration > VOICE_MAX_SECONDS:
        raise ReviewError("voice_long")
    setattr(s.entry, field, None)
    _keep_voice(s.entry, field, {"file_id": file_id, "duration": int(duration)})
    _touch(s.entry)
    await session.flush()
    return s


async def voice_answer(session: AsyncSession, actor: Actor, entry_id: int, field: str) -> tuple[Sheet, tuple[str, int]]:
    """A voice answer to hear again: by whoever may open the entry (the member, the proxy) or read it sent (the
    cell's officers, the committees above). Raises ReviewError not_allowed, no_voice."""
    from .appraisal import member_sheet

    if field not in TEXT_FIELDS:
        raise ReviewError("not_allowed")
    try:
        s = await sheet(session, actor, entry_id)
    except ReviewError:
        s = await member_sheet(session, actor, entry_id)
    kept = s.entry.voice(field)
    if kept is None:
        raise ReviewError("no_voice")
    return s, kept


async def set_form(session: AsyncSession, actor: Actor, entry_id: int, form: Form, today: date | None = None) -> Sheet:
    """The cell's officer changes a member's form (before it is sent): the new form's points start from its
    defaults. Raises ReviewError not_allowed (and check_open's)."""
    found = await _found(session, entry_id)
    if found is None or not may(actor, Action.review_proxy, found[4]):
        raise ReviewError("not_allowed")
    entry, rnd, name, cell_name, _path = found
    s = Sheet(entry, rnd, name, cell_name, proxy=entry.member_id != actor.member_id)
    check_open(s, today)
    if entry.form != form:
        entry.form, entry.conditions = form, []
        entry.points = {g.id: g.default for g in s.rules.groups(form)}
        _touch(entry)
        await audit.record(session, "review_form_changed", actor_telegram_id=actor.telegram_user_id,
                           actor_member_id=actor.member_id, subject_member_id=entry.member_id,
                           detail={"entry": entry.id, "form": form.value})
    await session.flush()
    return s


async def submit(session: AsyncSession, actor: Actor, entry_id: int, today: date | None = None) -> Sheet:
    """Send the self-review: its level recorded, locked from now on; by proxy marked so. Raises ReviewError
    submitted (a second time), deadline, exempt, closed, not_allowed, has_telegram."""
    s = await editable(session, actor, entry_id, today)
    e = s.entry
    e.self_level = s.level
    e.submitted_at = clock.now()
    e.submitted_by_member_id = actor.member_id
    e.by_proxy = s.proxy
    _touch(e)
    await audit.record(session, "review_submitted", actor_telegram_id=actor.telegram_user_id,
                       actor_member_id=actor.member_id, subject_member_id=e.member_id,
                       detail={"entry": e.id, "total": s.total, "level": s.level.value, "proxy": s.proxy})
    await session.flush()
    return s


# --- the secretary's view -------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class CellLine:
    entry_id: int
    member_id: int
    full_name: str
    submitted: bool
    by_proxy: bool
    exempt_reason: str | None
    on_telegram: bool
    form: Form


@dataclass(frozen=True)
class CellReview:
    round: ReviewRound
    cell_id: int
    cell_name: str
    lines: list[CellLine]

    @property
    def waiting(self) -> int:
        return sum(1 for x in self.lines if not x.submitted and not x.exempt_reason)


async def cell_reviews(session: AsyncSession, actor: Actor) -> list[CellReview]:
    """The open rounds' entries of the cells `actor` is an officer of, a cell each, in tree order."""
    paths = scope_paths(actor, Action.review_proxy)
    if paths == []:
        return []
    stmt = (select(ReviewEntry, ReviewRound, Unit.id, Unit.name, Member.full_name, Account.telegram_user_id)
            .join(ReviewRound, ReviewRound.id == ReviewEntry.round_id).join(Unit, Unit.id == ReviewEntry.cell_id)
            .join(Member, Member.id == ReviewEntry.member_id)
            .outerjoin(Account, Account.member_id == ReviewEntry.member_id)
            .where(ReviewRound.state == RoundState.open, Unit.kind.in_(CELL_KINDS))
            .order_by(ReviewRound.id, Unit.path, Member.sort_name, Member.id))
    if paths is not None:
        stmt = stmt.where(within_clause(paths))
    found: dict[tuple[int, int], CellReview] = {}
    for entry, rnd, cell_id, cell_name, name, telegram in (await session.execute(stmt)).all():
        review = found.setdefault((rnd.id, cell_id), CellReview(rnd, cell_id, cell_name, []))
        review.lines.append(CellLine(entry.id, entry.member_id, name, entry.submitted, entry.by_proxy,
                                     entry.exempt_reason, telegram is not None, Form(entry.form)))
    return list(found.values())


async def open_entries_count(session: AsyncSession, paths: list[str] | None, *where: ColumnElement[bool]) -> int:
    """Entries of the open rounds in the cells under `paths` (scope_paths' answer) that meet `where`: a panel's count."""
    if paths == []:
        return 0
    stmt = (select(func.count()).select_from(ReviewEntry).join(ReviewRound, ReviewRound.id == ReviewEntry.round_id)
            .join(Unit, Unit.id == ReviewEntry.cell_id).where(ReviewRound.state == RoundState.open, *where))
    if paths is not None:
        stmt = stmt.where(within_clause(paths))
    return int(await session.scalar(stmt) or 0)


async def waiting_count(session: AsyncSession, actor: Actor) -> int:
    """Self-reviews not sent yet in the open rounds, over the cells `actor` is an officer of (the panel's count)."""
    return await open_entries_count(session, scope_paths(actor, Action.review_proxy),
                                    ReviewEntry.submitted_at.is_(None), ReviewEntry.exempt_reason.is_(None))


async def entry_of(session: AsyncSession, entry_id: int) -> tuple[ReviewEntry, ReviewRound] | None:
    """An entry and its round, for a delivery's renderer (the member it was queued to)."""
    found = (await session.execute(select(ReviewEntry, ReviewRound).join(ReviewRound, ReviewRound.id == ReviewEntry.round_id)
                                   .where(ReviewEntry.id == entry_id))).first()
    return None if found is None else (found[0], found[1])
