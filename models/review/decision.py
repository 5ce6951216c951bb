"""The committee's decision (issue 16): a committee officer over the cells (the one who opened the round, or
any committee above them — never a cell's own officers) sees each cell's proposals with the votes and the
self-scores, approves a cell's proposals at once or changes one member's level with a reason (audited with
the old and the new), then closes the round: refused while proposals wait for approval, and while members
have no proposal unless the officer confirms leaving them unrated (listed). Closing happens once; each member
with a level is then told it privately through the outbox (kind "review_result", ref_id the entry), and the
levels are final. No Telegram here."""
from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from .. import audit, clock, deliveries
from ..members import Member
from ..permissions import Action, Actor, committee_paths
from ..sql import rowcount
from ..units import Unit
from .appraisal import Appraisal, clean_reason, lines_of, round_cell, settle
from .entries import Sheet, _found, open_entries_count
from .errors import ReviewError
from .rules import Level
from .schema import ReviewEntry, ReviewRound, RoundState

RESULT_DELIVERY = "review_result"  # ref_id: ReviewEntry.id — the member's level, once the round is closed


def covers(actor: Actor, path: str) -> bool:
    """Is the unit at `path` under a committee (above the cells) on which `actor` decides levels?"""
    paths = committee_paths(actor, Action.decide_review)
    return paths is None or any(path.startswith(p) for p in paths)


def may_decide(actor: Actor) -> bool:
    """Does the actor decide levels anywhere (a committee above the cells, an administrator)?"""
    return committee_paths(actor, Action.decide_review) != []


def _overlaps(actor: Actor, path: str) -> bool:
    """A round over `path` has cells the actor decides on: its unit is under theirs, or theirs under it."""
    paths = committee_paths(actor, Action.decide_review)
    return paths is None or any(path.startswith(p) or p.startswith(path) for p in paths)


async def decision_rounds(session: AsyncSession, actor: Actor) -> list[tuple[ReviewRound, str]]:
    """The open rounds with cells the actor decides on, and each round's unit's name."""
    if committee_paths(actor, Action.decide_review) == []:
        return []
    rows = (await session.execute(
        select(ReviewRound, Unit.name, Unit.path).join(Unit, Unit.id == ReviewRound.unit_id)
        .where(ReviewRound.state == RoundState.open).order_by(ReviewRound.year.desc(), Unit.path))).all()
    return [(rnd, name) for rnd, name, path in rows if _overlaps(actor, path)]


async def proposals_waiting(session: AsyncSession, actor: Actor) -> int:
    """The cells' proposals not decided yet in the open rounds over the actor's cells (the panel's count)."""
    return await open_entries_count(session, committee_paths(actor, Action.decide_review),
                                    ReviewEntry.proposed_level.is_not(None), ReviewEntry.decided_level.is_(None))


@dataclass(frozen=True)
class CellSummary:
    cell_id: int
    cell_name: str
    reviewed: int
    proposed: int
    decided: int


@dataclass
class RoundView:
    round: ReviewRound
    unit_name: str
    may_close: bool  # a committee over the round's whole unit (not only some of its cells)
    cells: list[CellSummary] = field(default_factory=list)


async def _round(session: AsyncSession, actor: Actor, round_id: int) -> tuple[ReviewRound, Unit]:
    found = (await session.execute(select(ReviewRound, Unit).join(Unit, Unit.id == ReviewRound.unit_id)
                                   .where(ReviewRound.id == round_id))).first()
    if found is None or not _overlaps(actor, found[1].path):
        raise ReviewError("not_allowed")
    return found[0], found[1]


async def round_view(session: AsyncSession, actor: Actor, round_id: int) -> RoundView:
    """The round's cells the actor decides on: members reviewed, proposals, levels decided."""
    rnd, unit = await _round(session, actor, round_id)
    await settle(session, round_id=rnd.id, limit=1000)
    e = ReviewEntry
    rows = (await session.execute(
        select(Unit.id, Unit.name, Unit.path, func.count(), func.count(e.proposed_level), func.count(e.decided_level))
        .select_from(e).join(Unit, Unit.id == e.cell_id)
        .where(e.round_id == rnd.id, e.exempt_reason.is_(None)).group_by(Unit.id, Unit.name, Unit.path)
        .order_by(Unit.path))).all()
    return RoundView(rnd, unit.name, covers(actor, unit.path), [CellSummary(cid, name, int(n), int(p), int(d))
                                      for cid, name, path, n, p, d in rows if covers(actor, path)])


async def cell_proposals(session: AsyncSession, actor: Actor, round_id: int, cell_id: int) -> Appraisal:
    """A cell's proposals as the committee reads them (the same lines as the cell's page)."""
    found = await round_cell(session, round_id, cell_id)
    if found is None or not covers(actor, found[1].path):
        raise ReviewError("not_allowed")
    rnd, cell = found
    await settle(session, round_id=rnd.id, cell_id=cell.id)
    return Appraisal(rnd, cell.id, cell.name, await lines_of(session, rnd, cell.id))


async def approve_cell(session: AsyncSession, actor: Actor, round_id: int, cell_id: int) -> int:
    """Every proposal of the cell not decided yet becomes the decision (levels changed stay as changed).
    Returns how many. Raises ReviewError not_allowed, closed, none_proposed."""
    found = await round_cell(session, round_id, cell_id)
    if found is None or not covers(actor, found[1].path):
        raise ReviewError("not_allowed")
    if found[0].state is not RoundState.open:
        raise ReviewError("closed")
    e = ReviewEntry
    approved = await session.execute(
        update(e).where(e.round_id == round_id, e.cell_id == cell_id, e.exempt_reason.is_(None),
                        e.proposed_level.is_not(None), e.decided_level.is_(None))
        .values(decided_level=e.proposed_level, updated_at=clock.now()).execution_options(synchronize_session=False))
    count = rowcount(approved)
    if not count:
        raise ReviewError("none_proposed")
    await audit.record(session, "review_cell_approved", actor_telegram_id=actor.telegram_user_id,
                       actor_member_id=actor.member_id, detail={"round": round_id, "cell": cell_id, "count": count})
    return count


async def entry_for_decision(session: AsyncSession, actor: Actor, entry_id: int) -> Sheet:
    """An entry (its id from a button: not trusted) whose level the actor may decide. Raises ReviewError
    not_allowed (a cell's officer, a member outside the officer's subtree), closed, exempt."""
    found = await _found(session, entry_id)
    if found is None or not covers(actor, found[4]):
        raise ReviewError("not_allowed")
    entry, rnd, name, cell_name, _path = found
    if rnd.state is not RoundState.open:
        raise ReviewError("closed")
    if entry.exempt:
        raise ReviewError("exempt")
    return Sheet(entry, rnd, name, cell_name, proxy=entry.by_proxy)


async def change_level(session: AsyncSession, actor: Actor, entry_id: int, level: Level,
                       reason: str | None) -> tuple[ReviewEntry, Level | None]:
    """The committee's level for one member, other than the cell's proposal (or without one), with its reason;
    audited with the old and the new. Returns the entry and the level before. Raises ReviewError
    reason_empty, reason_long (and entry_for_decision's)."""
    entry = (await entry_for_decision(session, actor, entry_id)).entry
    why = clean_reason(reason)
    old = entry.decided_level or entry.proposed_level
    entry.decided_level, entry.decision_reason, entry.updated_at = level, why, clock.now()
    await audit.record(session, "review_level_changed", actor_telegram_id=actor.telegram_user_id,
                       actor_member_id=actor.member_id, subject_member_id=entry.member_id,
                       detail={"entry": entry.id, "old": old.value if old else None, "new": level.value,
                               "proposed": entry.proposed_level.value if entry.proposed_level else None,
                               "reason": why})
    await session.flush()
    return entry, old


@dataclass(frozen=True)
class Pending:
    """What stands in the way of closing: cells whose proposals wait for approval; members without a level."""

    undecided: list[str]  # cells' names
    unrated: list[tuple[str, str]]  # (member, cell) with no proposal and no decision


async def pending(session: AsyncSession, actor: Actor, round_id: int) -> Pending:
    await _round(session, actor, round_id)
    await settle(session, round_id=round_id, limit=1000)
    rows = (await session.execute(
        select(Member.full_name, Unit.name, ReviewEntry.proposed_level).join(Member, Member.id == ReviewEntry.member_id)
        .join(Unit, Unit.id == ReviewEntry.cell_id)
        .where(ReviewEntry.round_id == round_id, ReviewEntry.exempt_reason.is_(None),
               ReviewEntry.decided_level.is_(None)).order_by(Unit.path, Member.sort_name, Member.id))).all()
    undecided = list(dict.fromkeys(cell for _name, cell, proposed in rows if proposed is not None))
    return Pending(undecided, [(name, cell) for name, cell, proposed in rows if proposed is None])


@dataclass(frozen=True)
class Closed:
    told: int
    decided: int
    unrated: int


async def close_round(session: AsyncSession, actor: Actor, round_id: int, *, leave_unrated: bool = False) -> Closed:
    """Make the levels final and tell each member theirs, once. Only a committee officer over the round's
    unit. Raises ReviewError not_allowed, closed (a second time), undecided, unrated (unless confirmed)."""
    rnd, unit = await _round(session, actor, round_id)
    if not covers(actor, unit.path):
        raise ReviewError("not_allowed")
    if rnd.state is not RoundState.open:
        raise ReviewError("closed")
    waiting = await pending(session, actor, round_id)
    if waiting.undecided:
        raise ReviewError("undecided")
    if waiting.unrated and not leave_unrated:
        raise ReviewError("unrated")
    now = clock.now()
    won = await session.execute(
        update(ReviewRound).where(ReviewRound.id == round_id, ReviewRound.state == RoundState.open)
        .values(state=RoundState.closed, closed_at=now, closed_by_member_id=actor.member_id)
        .execution_options(synchronize_session=False))
    if rowcount(won) != 1:
        raise ReviewError("closed")
    decided = (await session.execute(
        select(ReviewEntry.id, ReviewEntry.member_id)
        .where(ReviewEntry.round_id == round_id, ReviewEntry.decided_level.is_not(None))
        .order_by(ReviewEntry.id))).all()
    told = 0
    for entry_id, member_id in decided:
        told += await deliveries.queue_to_members(session, RESULT_DELIVERY, entry_id, [member_id], not_before=now)
    await audit.record(session, "review_closed", actor_telegram_id=actor.telegram_user_id,
                       actor_member_id=actor.member_id,
                       detail={"round": round_id, "decided": len(decided), "unrated": len(waiting.unrated),
                               "told": told})
    await session.refresh(rnd)
    return Closed(told, len(decided), len(waiting.unrated))
