"""A member asks to correct their own record; an officer approves (applied once, audited) or rejects.

Who may decide is a database fact, checked at the moment of the decision: the member's own
secretary or deputy (or a committee above) for personal data; only a committee above the cell
for the party data committees keep (card number, date admitted, date made full member).
Nobody decides on their own request.
"""
from __future__ import annotations

import enum
import json
import re
from dataclasses import dataclass
from datetime import date, datetime
from typing import TypedDict

from sqlalchemy import Enum, ForeignKey, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from . import audit, clock
from .accounts import account_of_member
from .base import Base
from .claims import claim
from .dates import BadDate, format_date, local_today, parse_date
from .members import Member, WorkHistory
from .permissions import Action, Actor, may, scope_paths, within_clause
from .phones import BadPhone, parse_phone
from .roles import RoleKind
from .sql import rowcount
from .text import CleanLineText, CleanText, clean_line, clean_text
from .units import Unit


class CorrectionField(str, enum.Enum):
    phone = "phone"
    address = "address"
    work_history = "work_history"  # add one entry
    position = "position"
    full_name = "full_name"
    birth_date = "birth_date"
    card_number = "card_number"
    joined_on = "joined_on"
    official_on = "official_on"


FIELDS = tuple(CorrectionField)
# Party data only a committee above the cell may change (a cell secretary's approval is refused).
COMMITTEE_FIELDS = frozenset({CorrectionField.card_number, CorrectionField.joined_on, CorrectionField.official_on})
DATE_FIELDS = frozenset({CorrectionField.birth_date, CorrectionField.joined_on, CorrectionField.official_on})
# Fields holding one value: a newer request replaces a pending older one.
SINGLE_VALUED = frozenset(FIELDS) - {CorrectionField.work_history}
MAX_LENGTH = {
    CorrectionField.address: 300,
    CorrectionField.position: 200,
    CorrectionField.full_name: 200,
    CorrectionField.card_number: 40,
    CorrectionField.work_history: 1000,
}
MAX_REASON = 1000


class CorrectionStatus(str, enum.Enum):
    pending = "pending"
    approved = "approved"
    rejected = "rejected"
    withdrawn = "withdrawn"  # replaced by a newer request for the same field


class ProfileCorrection(Base):
    __tablename__ = "profile_corrections"

    id: Mapped[int] = mapped_column(primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"), index=True)
    field: Mapped[CorrectionField] = mapped_column(Enum(CorrectionField, native_enum=False, length=20))
    old_value: Mapped[str | None] = mapped_column(CleanLineText)  # as it was when asked (shown to the officer)
    new_value: Mapped[str] = mapped_column(CleanLineText)  # canonical: E.164, ISO date, JSON for a work entry
    status: Mapped[CorrectionStatus] = mapped_column(
        Enum(CorrectionStatus, native_enum=False, length=10), default=CorrectionStatus.pending, index=True
    )
    created_at: Mapped[datetime] = mapped_column(default=clock.now)
    notified_at: Mapped[datetime | None] = mapped_column(index=True)
    decided_at: Mapped[datetime | None] = mapped_column()
    decided_by_member_id: Mapped[int | None] = mapped_column(ForeignKey("members.id", ondelete="SET NULL"))
    reason: Mapped[str | None] = mapped_column(CleanText)


# --- values --------------------------------------------------------------------------------------


class BadValue(ValueError):
    """The new value cannot be right; `reason` says why in a word the catalog knows."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


_PERIOD = re.compile(r"^\s*(\d{4})\s*(?:[-–—]|đến)\s*(\d{4}|nay|now)\s*[:.,]?\s*(.+)$", re.I | re.S)
_YEAR_ONLY = re.compile(r"^\s*(?:từ\s*)?(\d{4})\s*[:.,]\s*(.+)$", re.I | re.S)


def validate(member: Member, field: CorrectionField, text: str) -> str:
    """The new value in canonical form; raises BadValue (reasons: empty, too_long, phone_*, date_*,
    future, before_birth, before_joined, after_official, not_a_name, same)."""
    value = clean_line(text)
    if not value:
        raise BadValue("empty")
    limit = MAX_LENGTH.get(field)
    if limit and len(value) > limit:
        raise BadValue("too_long")
    if field is CorrectionField.phone:
        try:
            value = parse_phone(value)
        except BadPhone as exc:
            raise BadValue(f"phone_{exc.reason}") from exc
    elif field in DATE_FIELDS:
        try:
            day = parse_date(value)
        except BadDate as exc:
            raise BadValue(f"date_{exc.reason}") from exc
        _check_date(member, field, day)
        value = day.isoformat()
    elif field is CorrectionField.full_name:
        value = clean_line(value)
        if len(value) < 2 or not re.search(r"[^\W\d_]{2,}", value) or re.search(r"\d", value):
            raise BadValue("not_a_name")
    elif field is CorrectionField.work_history:
        value = json.dumps(parse_work_entry(value), ensure_ascii=False, sort_keys=True)
    if field is not CorrectionField.work_history and value == current_value(member, field):
        raise BadValue("same")
    return value


def _check_date(member: Member, field: CorrectionField, day: date) -> None:
    if day > local_today():
        raise BadValue("future")
    if field in (CorrectionField.joined_on, CorrectionField.official_on) and member.birth_date and day <= member.birth_date:
        raise BadValue("before_birth")
    if field is CorrectionField.official_on and member.joined_on and day <= member.joined_on:
        raise BadValue("before_joined")
    if field is CorrectionField.joined_on and member.official_on and day >= member.official_on:
        raise BadValue("after_official")
    if field is CorrectionField.birth_date and member.joined_on and day >= member.joined_on:
        raise BadValue("after_joined")


# A work-history entry as a correction proposes it ("from" is a keyword, hence the functional form).
WorkEntry = TypedDict("WorkEntry", {"from": str | None, "to": str | None, "description": str})


def parse_work_entry(text: str) -> WorkEntry:
    """ "1990 - 1995: Giáo viên Trường Tiểu học Phú Hội" → period and description (the period is optional)."""
    text = clean_line(text)
    if m := _PERIOD.match(text):
        start, end, what = m.group(1), m.group(2), m.group(3)
        if end.lower() in ("nay", "now"):
            end = "nay"
        elif int(end) < int(start):
            raise BadValue("period_backwards")
        entry: WorkEntry = {"from": start, "to": end, "description": what.strip()}
    elif m := _YEAR_ONLY.match(text):
        entry = {"from": m.group(1), "to": None, "description": m.group(2).strip()}
    else:
        entry = {"from": None, "to": None, "description": text}
    if len(entry["description"]) < 2:
        raise BadValue("empty")
    return entry


def current_value(member: Member, field: CorrectionField) -> str | None:
    """The member's value in the same canonical form as a new value (work history: none)."""
    if field is CorrectionField.work_history:
        return None
    value: str | date | None = getattr(member, field.value)
    if isinstance(value, date):
        return value.isoformat()
    return value


def display_value(field: CorrectionField, value: str | None) -> str | None:
    """A canonical value as the member wrote it: 05/12/1950, a work entry as "1990–1995: …"."""
    if value is None:
        return None
    if field in DATE_FIELDS:
        return format_date(date.fromisoformat(value))
    if field is CorrectionField.work_history:
        entry = json.loads(value)
        period = "–".join(p for p in (entry.get("from"), entry.get("to")) if p)
        return f"{period}: {entry['description']}" if period else entry["description"]
    return value


# --- asking --------------------------------------------------------------------------------------


async def request_correction(session: AsyncSession, actor: Actor, field: CorrectionField, text: str) -> ProfileCorrection:
    """The actor asks to correct their own record; raises BadValue. The caller commits."""
    member = await session.get(Member, actor.member_id)
    if member is None:
        raise BadValue("not_a_member")
    value = validate(member, field, text)
    if field is CorrectionField.card_number:
        taken = await session.scalar(select(Member.id).where(Member.card_number == value, Member.id != member.id))
        if taken:
            raise BadValue("card_taken")
    if field in SINGLE_VALUED:
        await session.execute(
            update(ProfileCorrection)
            .where(
                ProfileCorrection.member_id == member.id,
                ProfileCorrection.field == field,
                ProfileCorrection.status == CorrectionStatus.pending,
            )
            .values(status=CorrectionStatus.withdrawn, decided_at=clock.now())
            .execution_options(synchronize_session=False)
        )
    correction = ProfileCorrection(
        member_id=member.id, field=field, old_value=current_value(member, field), new_value=value,
        status=CorrectionStatus.pending,
    )
    session.add(correction)
    await session.flush()
    await audit.record(
        session, "correction_requested", actor_telegram_id=actor.telegram_user_id, actor_member_id=actor.member_id,
        subject_member_id=member.id, detail={"correction": correction.id, "field": field.value},
    )
    return correction


# --- deciding ------------------------------------------------------------------------------------


class Verdict(str, enum.Enum):
    allowed = "allowed"
    not_allowed = "not_allowed"  # not the member's secretary nor a committee above
    committee_only = "committee_only"  # party data: a committee above the cell decides
    own_request = "own_request"  # nobody approves their own correction


def may_decide(actor: Actor, field: CorrectionField, cell_path: str, member_id: int) -> Verdict:
    if actor.member_id is not None and actor.member_id == member_id:
        return Verdict.own_request
    if not may(actor, Action.manage_cell, cell_path):
        return Verdict.not_allowed
    if field in COMMITTEE_FIELDS and not actor.is_admin:
        # A committee role strictly above the cell: a role on the cell itself is the cell's own.
        above = any(
            r.kind is RoleKind.committee and cell_path.startswith(r.unit_path) and r.unit_path != cell_path
            for r in actor.roles
        )
        if not above:
            return Verdict.committee_only
    return Verdict.allowed


class Outcome(str, enum.Enum):
    approved = "approved"
    rejected = "rejected"
    already_decided = "already_decided"
    not_found = "not_found"
    refused = "refused"  # see the verdict
    card_taken = "card_taken"
    invalid_now = "invalid_now"  # the record changed since: the value no longer fits (dates order)


@dataclass
class Decision:
    outcome: Outcome
    verdict: Verdict = Verdict.allowed
    correction: ProfileCorrection | None = None
    member: Member | None = None
    old_value: str | None = None
    telegram_user_id: int | None = None  # where to tell the member


async def load(session: AsyncSession, correction_id: int) -> tuple[ProfileCorrection, Member, Unit] | None:
    row = (
        await session.execute(
            select(ProfileCorrection, Member, Unit)
            .join(Member, Member.id == ProfileCorrection.member_id)
            .join(Unit, Unit.id == Member.cell_id)
            .where(ProfileCorrection.id == correction_id)
        )
    ).first()
    return (row[0], row[1], row[2]) if row else None


async def _decide(session: AsyncSession, actor: Actor, correction_id: int, status: CorrectionStatus,
                  reason: str | None) -> Decision:
    found = await load(session, correction_id)
    if found is None:
        return Decision(Outcome.not_found, Verdict.not_allowed)
    correction, member, cell = found
    verdict = may_decide(actor, correction.field, cell.path, member.id)
    if verdict is not Verdict.allowed:
        return Decision(Outcome.refused, verdict, correction, member)
    if status is CorrectionStatus.approved:
        problem = await _problem_applying(session, correction, member)
        if problem is not None:
            return Decision(problem, verdict, correction, member)
    # The one place a decision is taken: whoever changes the row from pending wins, once.
    now = clock.now()
    result = await session.execute(
        update(ProfileCorrection)
        .where(ProfileCorrection.id == correction.id, ProfileCorrection.status == CorrectionStatus.pending)
        .values(status=status, decided_at=now, decided_by_member_id=actor.member_id, reason=reason)
        .execution_options(synchronize_session=False)
    )
    if rowcount(result) != 1:
        await session.refresh(correction)
        return Decision(Outcome.already_decided, verdict, correction, member)
    await session.refresh(correction)
    account = await account_of_member(session, member.id)
    decision = Decision(Outcome.rejected, verdict, correction, member,
                        telegram_user_id=account.telegram_user_id if account else None)
    if status is CorrectionStatus.rejected:
        await audit.record(
            session, "correction_rejected", actor_telegram_id=actor.telegram_user_id, actor_member_id=actor.member_id,
            subject_member_id=member.id, detail={"correction": correction.id, "field": correction.field.value},
        )
        return decision
    decision.outcome = Outcome.approved
    decision.old_value = await _apply(session, correction, member)
    # The record of the change: the audit detail holds the values (the application log never does).
    await audit.record(
        session, "profile_corrected", actor_telegram_id=actor.telegram_user_id, actor_member_id=actor.member_id,
        subject_member_id=member.id,
        detail={
            "correction": correction.id,
            "field": correction.field.value,
            "old": decision.old_value,
            "new": correction.new_value,
            "requested_by_member_id": correction.member_id,
            "requested_at": correction.created_at.isoformat(),
            "approved_by_member_id": actor.member_id,
            "approved_by_telegram_id": actor.telegram_user_id,
            "approved_at": now.isoformat(),
        },
    )
    return decision


async def _problem_applying(session: AsyncSession, correction: ProfileCorrection, member: Member) -> Outcome | None:
    if correction.status is not CorrectionStatus.pending:
        return Outcome.already_decided
    if correction.field is CorrectionField.card_number:
        taken = await session.scalar(
            select(Member.id).where(Member.card_number == correction.new_value, Member.id != member.id)
        )
        if taken:
            return Outcome.card_taken
    if correction.field in DATE_FIELDS:
        try:
            _check_date(member, correction.field, date.fromisoformat(correction.new_value))
        except BadValue:
            return Outcome.invalid_now
    return None


async def _apply(session: AsyncSession, correction: ProfileCorrection, member: Member) -> str | None:
    """Write the new value on the member; returns the old value (canonical)."""
    field = correction.field
    if field is CorrectionField.work_history:
        entry = json.loads(correction.new_value)
        last = await session.scalar(select(func.max(WorkHistory.position_no)).where(WorkHistory.member_id == member.id))
        session.add(WorkHistory(member_id=member.id, position_no=0 if last is None else last + 1,
                                period_from=entry.get("from"), period_to=entry.get("to"),
                                description=entry["description"]))
        await session.flush()
        return None
    old = current_value(member, field)
    value = date.fromisoformat(correction.new_value) if field in DATE_FIELDS else correction.new_value
    setattr(member, field.value, value)
    await session.flush()
    return old


async def approve(session: AsyncSession, actor: Actor, correction_id: int) -> Decision:
    """Apply a pending correction exactly once (two approvals racing: one applies, one is told it is done)."""
    return await _decide(session, actor, correction_id, CorrectionStatus.approved, None)


async def reject(session: AsyncSession, actor: Actor, correction_id: int, reason: str) -> Decision:
    reason = clean_text(reason)[:MAX_REASON]
    if not reason:
        raise BadValue("empty")
    return await _decide(session, actor, correction_id, CorrectionStatus.rejected, reason)


# --- lists and the secretaries' summary -----------------------------------------------------------


async def pending_for(session: AsyncSession, actor: Actor, offset: int = 0, limit: int = 8
                      ) -> tuple[list[tuple[ProfileCorrection, Member, Unit]], int]:
    """Pending corrections of members under the actor's units (the actor's own included, marked by the caller)."""
    stmt = (
        select(ProfileCorrection, Member, Unit)
        .join(Member, Member.id == ProfileCorrection.member_id)
        .join(Unit, Unit.id == Member.cell_id)
        .where(ProfileCorrection.status == CorrectionStatus.pending)
    )
    paths = scope_paths(actor, Action.manage_cell)
    if paths == []:
        return [], 0
    if paths is not None:
        stmt = stmt.where(within_clause(paths))
    total = (await session.execute(select(func.count()).select_from(stmt.subquery()))).scalar_one()
    rows = await session.execute(stmt.order_by(ProfileCorrection.created_at, ProfileCorrection.id).offset(offset).limit(limit))
    return [(c, m, u) for c, m, u in rows.all()], total


async def own_pending(session: AsyncSession, member_id: int) -> list[ProfileCorrection]:
    return list(
        (
            await session.scalars(
                select(ProfileCorrection)
                .where(ProfileCorrection.member_id == member_id, ProfileCorrection.status == CorrectionStatus.pending)
                .order_by(ProfileCorrection.id)
            )
        ).all()
    )


async def claim_unnotified(session: AsyncSession, limit: int = 500) -> list[tuple[int, int, bool, int]]:
    """(correction id, cell id, committee only, member id) of pending requests no officer was told about, now marked told."""
    claimed = await claim(session, ProfileCorrection.notified_at, ProfileCorrection.status == CorrectionStatus.pending,
                          limit=limit)
    if not claimed:
        return []
    rows = await session.execute(
        select(ProfileCorrection.id, Member.cell_id, ProfileCorrection.field, ProfileCorrection.member_id)
        .join(Member, Member.id == ProfileCorrection.member_id)
        .where(ProfileCorrection.id.in_(claimed))
        .order_by(ProfileCorrection.id)
    )
    return [(cid, cell_id, field in COMMITTEE_FIELDS, member_id) for cid, cell_id, field, member_id in rows.all()]
