"""Transfers of party activity (chuyển sinh hoạt đảng), recorded by a cell's officers. No Telegram here.

A transfer is official or temporary, out of the member's cell or into it, decided on a date, with the
unit at its other end: a cell of the handbook (by id) or a unit outside it (by name). An official transfer
out to a cell of the handbook is completed once the member arrives: their cell changes and the cell they
left stays in their history (MemberCell). A temporary transfer runs until its end date; the member stays in
their own cell and is listed apart in the host cell (`temporary_in`).

Deadlines and limits are data (models/rules/transfers_2025.toml, ⚠ figures): the official move within 60
working days of the decision, the letter presented within 30 days, a temporary transfer of 3–12 months for
work or 3 months–2 years for study. Working days are Vietnam's (models/workdays.py: Monday to Friday less the
public holidays, Tết included).
"""
from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import cache
from pathlib import Path

from sqlalchemy import Date, Enum, ForeignKey, and_, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from . import audit, clock, rulesfile
from .base import Base
from .dates import local_today
from .members import Member
from .party_age import add_months
from .permissions import CELL_KINDS, Action, Actor, may_manage_cell, scope_paths, within_clause
from .text import CleanLine, clean_line
from .units import Unit
from .workdays import add_working_days

__all__ = [
    "Arrival", "Deadlines", "Direction", "Due", "History", "MemberCell", "Purpose", "Rules", "Step", "Transfer",
    "TransferError", "TransferKind", "TransferLine", "TransferState", "add_working_days", "arrivals", "cancel_transfer",
    "check_decision_date", "check_end", "complete_transfer", "deadlines", "destination_cells", "due", "history",
    "may_record_anywhere", "next_deadline", "open_count", "open_line", "open_transfer_of", "open_transfers",
    "past_cells", "receive_transfer", "record_transfer", "rules", "temporary_in", "to_tell_of_arrival",
    "transfer_subject",
]

RULES_FILE = Path(__file__).resolve().parent / "rules" / "transfers_2025.toml"
NAME_MAX = 200


class TransferKind(str, enum.Enum):
    official = "official"  # chính thức
    temporary = "temporary"  # tạm thời


class Direction(str, enum.Enum):
    outgoing = "outgoing"  # out of the member's cell
    incoming = "incoming"  # into it, from the unit named


class Purpose(str, enum.Enum):
    """Why a temporary transfer: its length's limits differ."""

    work = "work"
    study = "study"


class TransferState(str, enum.Enum):
    open = "open"
    done = "done"
    cancelled = "cancelled"


class Transfer(Base):
    __tablename__ = "transfers"

    id: Mapped[int] = mapped_column(primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"), index=True)
    kind: Mapped[TransferKind] = mapped_column(Enum(TransferKind, native_enum=False, length=20))
    direction: Mapped[Direction] = mapped_column(Enum(Direction, native_enum=False, length=10))
    purpose: Mapped[Purpose | None] = mapped_column(Enum(Purpose, native_enum=False, length=10))
    decided_on: Mapped[date] = mapped_column(Date)
    until_on: Mapped[date | None] = mapped_column(Date)  # a temporary transfer's end
    # The other end: where the member goes (out) or comes from (in); a cell of the handbook, or a name.
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("units.id", ondelete="RESTRICT"), index=True)
    unit_name: Mapped[str | None] = mapped_column(CleanLine(NAME_MAX))
    state: Mapped[TransferState] = mapped_column(Enum(TransferState, native_enum=False, length=20),
                                                 default=TransferState.open)
    recorded_by_member_id: Mapped[int | None] = mapped_column(ForeignKey("members.id", ondelete="SET NULL"))
    recorded_at: Mapped[datetime] = mapped_column(default=clock.now)
    closed_on: Mapped[date | None] = mapped_column(Date)  # done or cancelled on


class MemberCell(Base):
    """A cell a member was in before a transfer moved them (the profile's past cells)."""

    __tablename__ = "member_cells"

    id: Mapped[int] = mapped_column(primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"), index=True)
    cell_id: Mapped[int] = mapped_column(ForeignKey("units.id", ondelete="RESTRICT"))
    from_on: Mapped[date | None] = mapped_column(Date)  # since (None: before the handbook knew)
    until_on: Mapped[date] = mapped_column(Date)
    transfer_id: Mapped[int | None] = mapped_column(ForeignKey("transfers.id", ondelete="SET NULL"))


# --- the rules ---------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Rules(rulesfile.Heading):
    working_days: int  # ⚠ the official move, after the decision
    letter_days: int  # ⚠ the letter presented
    months: dict[Purpose, tuple[int, int]]  # ⚠ a temporary transfer's length, at least and at most
    future_days: int
    remind_days: int  # the to-do lists a transfer whose next deadline is this close (or past)


def load_rules(path: Path) -> Rules:
    data = rulesfile.read(path)
    temporary = data["temporary"]
    return Rules(
        **rulesfile.heading(data),
        working_days=int(data["official"]["working_days"]),
        letter_days=int(data["official"]["letter_days"]),
        months={p: (int(temporary[p.value][0]), int(temporary[p.value][1])) for p in Purpose},
        future_days=int(data["dates"]["future_days"]),
        remind_days=int(data["reminders"]["days_ahead"]),
    )


@cache
def rules() -> Rules:
    return load_rules(RULES_FILE)


@dataclass(frozen=True)
class Deadlines:
    move_by: date | None  # official: the member moves by then
    letter_by: date | None  # official: the letter presented by then
    until: date | None  # temporary: its end


def deadlines(t: Transfer) -> Deadlines:
    if t.kind is TransferKind.official:
        r = rules()
        return Deadlines(add_working_days(t.decided_on, r.working_days), t.decided_on + timedelta(days=r.letter_days),
                         None)
    return Deadlines(None, None, t.until_on)


class TransferError(Exception):
    """A transfer that cannot be recorded or changed; `reason` names the catalog message
    (transfer.refused.<reason>)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


# --- recording ---------------------------------------------------------------------------------------------
async def _member_and_cell(session: AsyncSession, member_id: int) -> tuple[Member, Unit] | None:
    found = (await session.execute(select(Member, Unit).join(Unit, Unit.id == Member.cell_id)
                                   .where(Member.id == member_id))).first()
    return None if found is None else (found[0], found[1])


async def transfer_subject(session: AsyncSession, actor: Actor, member_id: int) -> tuple[Member, Unit]:
    """The member (and their cell) whose transfer `actor` may record: a member of a cell they manage.
    Raises TransferError("not_allowed") otherwise (a button's id is not trusted)."""
    found = await _member_and_cell(session, member_id)
    if found is None or not may_manage_cell(actor, found[1]):
        raise TransferError("not_allowed")
    return found


def check_decision_date(joined_on: date | None, decided_on: date, today: date | None = None) -> None:
    """A decision's date: at most the rules' days ahead of today, not before the member joined. Raises
    TransferError date_future or date_before_joined."""
    today = today or local_today()
    if decided_on > today + timedelta(days=rules().future_days):
        raise TransferError("date_future")
    if joined_on is not None and decided_on < joined_on:
        raise TransferError("date_before_joined")


def check_end(kind: TransferKind, purpose: Purpose | None, decided_on: date, until_on: date | None) -> None:
    """An official transfer has no end nor purpose; a temporary one has both, its length within the rules'
    months for its purpose. Raises TransferError official_has_no_end, temporary_needs_end, length_work,
    length_study."""
    if kind is TransferKind.official:
        if until_on is not None or purpose is not None:
            raise TransferError("official_has_no_end")
        return
    if purpose is None or until_on is None:
        raise TransferError("temporary_needs_end")
    least, most = rules().months[purpose]
    if not add_months(decided_on, least) <= until_on <= add_months(decided_on, most):
        raise TransferError(f"length_{purpose.value}")


async def record_transfer(session: AsyncSession, actor: Actor, member_id: int, *, kind: TransferKind,
                          direction: Direction, decided_on: date, unit_id: int | None = None,
                          unit_name: str | None = None, purpose: Purpose | None = None,
                          until_on: date | None = None, today: date | None = None) -> Transfer:
    """Record a transfer of a member of a cell `actor` manages; audited. The other end is a cell of the
    handbook (`unit_id`) or a unit outside it (`unit_name`), not both. Raises TransferError: not_allowed,
    no_destination (neither or both, an empty or long name), not_a_cell, same_cell, already_open, date_future
    (beyond the rules' days ahead), date_before_joined, official_has_no_end, temporary_needs_end,
    length_work / length_study (a temporary transfer outside the rules' months)."""
    today = today or local_today()
    member, cell = await transfer_subject(session, actor, member_id)
    name = clean_line(unit_name) if unit_name is not None else None
    if (unit_id is None) == (not name) or (name is not None and len(name) > NAME_MAX):
        raise TransferError("no_destination")
    if unit_id is not None:
        other = await session.get(Unit, unit_id)
        if other is None or other.kind not in CELL_KINDS:
            raise TransferError("not_a_cell")
        if other.id == cell.id:
            raise TransferError("same_cell")
    check_decision_date(member.joined_on, decided_on, today)
    check_end(kind, purpose, decided_on, until_on)
    if await session.scalar(select(Transfer.id).where(Transfer.member_id == member.id,
                                                     Transfer.state == TransferState.open).limit(1)):
        raise TransferError("already_open")
    transfer = Transfer(member_id=member.id, kind=kind, direction=direction, purpose=purpose, decided_on=decided_on,
                        until_on=until_on, unit_id=unit_id, unit_name=name or None, state=TransferState.open,
                        recorded_by_member_id=actor.member_id)
    session.add(transfer)
    await session.flush()
    await audit.record(session, "transfer_recorded", actor_telegram_id=actor.telegram_user_id,
                       actor_member_id=actor.member_id, subject_member_id=member.id,
                       detail={"transfer_id": transfer.id, "kind": kind.value, "direction": direction.value,
                               "decided_on": decided_on.isoformat(), "unit_id": unit_id, "unit_name": name,
                               "until_on": until_on.isoformat() if until_on else None, "rules": rules().version})
    return transfer


async def _open_transfer(session: AsyncSession, actor: Actor, transfer_id: int) -> tuple[Transfer, Member, Unit]:
    """An open transfer the actor may close: the member's cell is theirs, or the cell it goes to."""
    transfer = await session.get(Transfer, transfer_id)
    if transfer is None:
        raise TransferError("not_allowed")
    member, cell = await _member_and_cell(session, transfer.member_id) or (None, None)
    other = await session.get(Unit, transfer.unit_id) if transfer.unit_id is not None else None
    if member is None or cell is None or (not may_manage_cell(actor, cell)
                                          and not (other is not None and may_manage_cell(actor, other))):
        raise TransferError("not_allowed")
    if transfer.state is not TransferState.open:
        raise TransferError("not_open")
    return transfer, member, cell


async def _move(session: AsyncSession, transfer: Transfer, to_cell_id: int, member: Member, cell: Unit,
                on: date) -> None:
    """The member moved to the transfer's cell on `on`, the cell they leave kept in their past cells."""
    since = await session.scalar(select(func.max(MemberCell.until_on)).where(MemberCell.member_id == member.id))
    session.add(MemberCell(member_id=member.id, cell_id=cell.id, from_on=since, until_on=on, transfer_id=transfer.id))
    member.cell_id = to_cell_id


async def complete_transfer(session: AsyncSession, actor: Actor, transfer_id: int,
                            on: date | None = None) -> Transfer:
    """The transfer done, on `on` (today by default); audited. An official transfer out to a cell of the
    handbook moves the member there, the cell they leave kept in their past cells. Raises TransferError:
    not_allowed, not_open, outside_handbook (an official transfer out of the handbook: its record leaves the
    handbook another way), date_before_decision."""
    on = on or local_today()
    transfer, member, cell = await _open_transfer(session, actor, transfer_id)
    if on < transfer.decided_on:
        raise TransferError("date_before_decision")
    moves = transfer.kind is TransferKind.official and transfer.direction is Direction.outgoing
    if moves and transfer.unit_id is None:
        raise TransferError("outside_handbook")
    if moves and transfer.unit_id is not None:
        await _move(session, transfer, transfer.unit_id, member, cell, on)
    await _done(session, actor, "transfer_completed", transfer, on, cell.id, transfer.unit_id if moves else None)
    return transfer


async def _done(session: AsyncSession, actor: Actor, action: str, transfer: Transfer, on: date, from_cell_id: int,
                to_cell_id: int | None) -> None:
    """The transfer marked done on `on`, audited as `action` (the cells at both ends when the member moved)."""
    transfer.state, transfer.closed_on = TransferState.done, on
    await session.flush()
    await audit.record(session, action, actor_telegram_id=actor.telegram_user_id, actor_member_id=actor.member_id,
                       subject_member_id=transfer.member_id,
                       detail={"transfer_id": transfer.id, "on": on.isoformat(), "from_cell_id": from_cell_id,
                               "to_cell_id": to_cell_id})


def _is_move(t: Transfer) -> bool:
    """An official transfer out to a cell of the handbook: the member arrives there with their record."""
    return t.kind is TransferKind.official and t.direction is Direction.outgoing and t.unit_id is not None


@dataclass(frozen=True)
class Arrival:
    """A member received into a cell of the handbook: the transfer done, the cells at both ends."""

    transfer: Transfer
    member: Member
    from_cell: Unit
    to_cell: Unit


async def receive_transfer(session: AsyncSession, actor: Actor, transfer_id: int,
                           on: date | None = None) -> Arrival:
    """✅ Tiếp nhận: an officer of the cell an official transfer goes to receives the member, on `on` (today by
    default): the member's cell changes, the cell they leave kept in their past cells, their profile and
    Telegram account untouched; audited. Raises TransferError: not_allowed (no such transfer, not a move to a
    cell of the handbook, a cell the actor does not manage), received (done already), cancelled,
    date_before_decision."""
    on = on or local_today()
    # Two officers pressing at once: the second waits here for the first's commit, then finds it done.
    transfer = await session.scalar(select(Transfer).where(Transfer.id == transfer_id).with_for_update())
    found = await _member_and_cell(session, transfer.member_id) if transfer is not None else None
    to_cell = await session.get(Unit, transfer.unit_id) if transfer is not None and _is_move(transfer) else None
    if transfer is None or found is None or to_cell is None or not may_manage_cell(actor, to_cell):
        raise TransferError("not_allowed")
    if transfer.state is not TransferState.open:
        raise TransferError("received" if transfer.state is TransferState.done else "cancelled")
    if on < transfer.decided_on:
        raise TransferError("date_before_decision")
    member, from_cell = found
    await _move(session, transfer, to_cell.id, member, from_cell, on)
    await _done(session, actor, "transfer_received", transfer, on, from_cell.id, to_cell.id)
    return Arrival(transfer, member, from_cell, to_cell)


async def to_tell_of_arrival(session: AsyncSession, arrival: Arrival, actor: Actor) -> list[tuple[int, str | None]]:
    """Who hears that a member was received, but the officer who received them and the member (told apart):
    the officers of both cells (models.feedback.sweeps.cell_officers: the secretary and deputies, else the
    committee above), as (telegram user id, language), each once."""
    from .accounts import Account
    from .feedback.sweeps import cell_officers

    own = set((await session.scalars(select(Account.telegram_user_id)
                                     .where(Account.member_id == actor.member_id))).all())
    told: dict[int, str | None] = {}
    for cell in (arrival.from_cell, arrival.to_cell):
        for r in await cell_officers(session, cell.id, exclude_member_id=arrival.member.id):
            if r.telegram_user_id not in own | {actor.telegram_user_id}:
                told.setdefault(r.telegram_user_id, r.language)
    return list(told.items())


async def cancel_transfer(session: AsyncSession, actor: Actor, transfer_id: int) -> Transfer:
    """An open transfer called off (recorded by mistake, the decision withdrawn); audited."""
    transfer, member, _cell = await _open_transfer(session, actor, transfer_id)
    transfer.state, transfer.closed_on = TransferState.cancelled, local_today()
    await session.flush()
    await audit.record(session, "transfer_cancelled", actor_telegram_id=actor.telegram_user_id,
                       actor_member_id=actor.member_id, subject_member_id=member.id,
                       detail={"transfer_id": transfer.id})
    return transfer


# --- lists ---------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class TransferLine:
    transfer: Transfer
    full_name: str
    cell_name: str
    other: str  # the other end's name
    due: Deadlines
    arrival: bool = False  # an official move into a cell the actor manages: theirs to receive (✅ Tiếp nhận)


async def open_transfers(session: AsyncSession, actor: Actor, limit: int = 200) -> list[TransferLine]:
    """The open transfers of the members of the cells `actor` manages, and those coming to those cells;
    by decision date."""
    paths = scope_paths(actor, Action.manage_cell)
    if paths == []:
        return []
    other = Unit.__table__.alias("other")
    stmt = (select(Transfer, Member.full_name, Unit.name, other.c.name, other.c.path)
            .join(Member, Member.id == Transfer.member_id).join(Unit, Unit.id == Member.cell_id)
            .outerjoin(other, other.c.id == Transfer.unit_id)
            .where(Transfer.state == TransferState.open)
            .order_by(Transfer.decided_on, Transfer.id).limit(limit))
    if paths is not None:
        theirs = or_(*(other.c.path.startswith(p, autoescape=True) for p in paths))
        stmt = stmt.where(or_(within_clause(paths), theirs))
    rows = (await session.execute(stmt)).all()
    return [TransferLine(t, name, cell, other_name or t.unit_name or "", deadlines(t),
                         _is_move(t) and other_path is not None and _within(other_path, paths))
            for t, name, cell, other_name, other_path in rows]


def _within(path: str, paths: list[str] | None) -> bool:
    return paths is None or any(path.startswith(p) for p in paths)


async def arrivals(session: AsyncSession, actor: Actor) -> list[TransferLine]:
    """The members coming to the cells `actor` manages by an official transfer not received yet; by decision
    date."""
    return [line for line in await open_transfers(session, actor) if line.arrival]


class Step(str, enum.Enum):
    """What the next deadline of an open transfer is about (the catalog's transfer.next.<value>)."""

    letter = "letter"  # official: the letter presented to the new cell
    move = "move"  # official: the move itself
    end = "end"  # temporary: its end, the member back in their cell


@dataclass(frozen=True)
class Due:
    line: TransferLine
    step: Step
    day: date
    days_left: int  # negative: past


def next_deadline(due: Deadlines, today: date) -> tuple[Step, date] | None:
    """The first deadline not yet past (the last one when all are), or None (a transfer without any)."""
    steps = [(Step.letter, due.letter_by), (Step.move, due.move_by), (Step.end, due.until)]
    dated = sorted(((s, d) for s, d in steps if d is not None), key=lambda x: x[1])
    if not dated:
        return None
    return next(((s, d) for s, d in dated if d >= today), dated[-1])


async def due(session: AsyncSession, actor: Actor, today: date | None = None,
              within_days: int | None = None) -> list[Due]:
    """The open transfers `actor` sees (open_transfers) whose next deadline is within `within_days` (the rules'
    reminder window by default) or past; soonest first."""
    today = today or local_today()
    within = rules().remind_days if within_days is None else within_days
    found = []
    for line in await open_transfers(session, actor):
        step_day = next_deadline(line.due, today)
        if step_day is not None and (step_day[1] - today).days <= within:
            found.append(Due(line, step_day[0], step_day[1], (step_day[1] - today).days))
    return sorted(found, key=lambda d: (d.day, d.line.full_name))


def may_record_anywhere(actor: Actor) -> bool:
    """Does `actor` manage any cell (an officer of a cell or above, an administrator)?"""
    return scope_paths(actor, Action.manage_cell) != []


async def open_count(session: AsyncSession, actor: Actor) -> int:
    """What waits on the officer's panel: the open transfers they see (open_transfers)."""
    return len(await open_transfers(session, actor)) if may_record_anywhere(actor) else 0


async def open_line(session: AsyncSession, actor: Actor, transfer_id: int) -> TransferLine:
    """An open transfer the actor may complete or cancel, as a list shows it (a button's id is not trusted).
    Raises TransferError not_allowed or not_open."""
    t, member, cell = await _open_transfer(session, actor, transfer_id)
    other = await session.get(Unit, t.unit_id) if t.unit_id is not None else None
    arrival = _is_move(t) and other is not None and may_manage_cell(actor, other)
    return TransferLine(t, member.full_name, cell.name, other.name if other else t.unit_name or "", deadlines(t),
                        arrival)


async def temporary_in(session: AsyncSession, cell_id: int, today: date | None = None) -> list[Member]:
    """The members active in this cell for a while (an open temporary transfer: out of their cell into this
    one, or recorded here as coming in), listed apart from its own members; by name."""
    today = today or local_today()
    here = or_(and_(Transfer.direction == Direction.outgoing, Transfer.unit_id == cell_id),
               and_(Transfer.direction == Direction.incoming, Member.cell_id == cell_id))
    stmt = (select(Member).join(Transfer, Transfer.member_id == Member.id)
            .where(Transfer.kind == TransferKind.temporary, Transfer.state == TransferState.open,
                   Transfer.decided_on <= today, here)
            .order_by(Member.sort_name, Member.id))
    return list((await session.scalars(stmt)).unique().all())


async def destination_cells(session: AsyncSession, actor: Actor, but: int, offset: int = 0,
                            limit: int = 8) -> tuple[list[Unit], int]:
    """The cells of the handbook a member of cell `but` may be transferred to, as the actor's committee sees
    them: the cells under the committee above each cell the actor manages (all cells for an administrator),
    `but` left out; one page, by tree order, and the total."""
    paths = scope_paths(actor, Action.manage_cell)
    if paths == []:
        return [], 0
    stmt = select(Unit).where(Unit.kind.in_(CELL_KINDS), Unit.id != but)
    if paths is not None:
        above = {p.rstrip("/").rsplit("/", 1)[0] + "/" if p.count("/") > 2 else p for p in paths}
        stmt = stmt.where(within_clause(sorted(above)))
    total = await session.scalar(select(func.count()).select_from(stmt.subquery()))
    units = (await session.scalars(stmt.order_by(Unit.path, Unit.id).offset(offset).limit(limit))).all()
    return list(units), int(total or 0)


async def past_cells(session: AsyncSession, member_id: int) -> list[tuple[str, date | None, date]]:
    """The cells a member left by a transfer: (name, since, until), oldest first."""
    rows = (await session.execute(
        select(Unit.name, MemberCell.from_on, MemberCell.until_on).join(Unit, Unit.id == MemberCell.cell_id)
        .where(MemberCell.member_id == member_id).order_by(MemberCell.until_on, MemberCell.id))).all()
    return [(name, since, until) for name, since, until in rows]


async def open_transfer_of(session: AsyncSession, member_id: int) -> Transfer | None:
    """The member's open transfer, if any."""
    return await session.scalar(select(Transfer).where(Transfer.member_id == member_id,
                                                      Transfer.state == TransferState.open).limit(1))


@dataclass(frozen=True)
class History:
    """What a profile shows of a member's transfers: the cells left, and the transfer under way."""

    past: list[tuple[str, date | None, date]]
    open: Transfer | None
    other: str  # the open transfer's other end, by name ("" without one)


async def history(session: AsyncSession, member_id: int) -> History:
    t = await open_transfer_of(session, member_id)
    other = ""
    if t is not None:
        other = (await session.scalar(select(Unit.name).where(Unit.id == t.unit_id)) if t.unit_id is not None
                 else None) or t.unit_name or ""
    return History(await past_cells(session, member_id), t, other)
