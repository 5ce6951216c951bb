"""Early and posthumous Party badges (tặng sớm, truy tặng), the date of death they need, the periods out of
the party a committee records by kind, and the next award day's declaration list. No Telegram here.

An early award (serious illness) is proposed for the next award day when the member reaches the milestone
within the rules' months after it (12; 24 for a badge of 70 years and more — ⚠ data, models/rules/
badges_2025.toml). A posthumous award needs a date of death recorded and the milestone reached by it (party
age, gaps deducted; ⚠ the rules may allow the early window after it). Each proposal is kept once per member
and milestone (BadgeProposal), audited; the declaration list (`declaration`) joins them to the members due.
"""
from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import date, datetime
from functools import cache

from sqlalchemy import Date, Enum, ForeignKey, UniqueConstraint, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from . import audit, clock, rulesfile
from .base import Base
from .dates import local_today
from .members import Award, Member, PartyGap
from .party_age import (
    RULES_FILE,
    BadgeError,
    Due,
    Facts,
    _facts,
    add_award,
    add_months,
    may_award,
    next_award_day,
    next_badge,
    party_months,
    reach_date,
    record_gap,
    rules,
)
from .permissions import Actor
from .units import Unit

__all__ = [
    "BadgeCard", "BadgeProposal", "DeclarationLine", "EarlyRules", "GapKind", "ProposalKind", "badge_card",
    "declaration", "early_milestone", "early_months", "gap_notes", "posthumous_milestone", "record_proposed_award", "early_rules", "propose_early", "propose_posthumous", "record_gap_of_kind", "set_deceased",
]


class ProposalKind(enum.StrEnum):
    early = "early"  # tặng sớm (bệnh nặng)
    posthumous = "posthumous"  # truy tặng


class GapKind(enum.StrEnum):
    """Why a member was out of the party: kept in the gap's note (PartyGap.note), named in the catalog."""

    expulsion = "expulsion"
    lost_contact = "lost_contact"
    transfer = "transfer"


class BadgeProposal(Base):
    __tablename__ = "badge_proposals"
    __table_args__ = (UniqueConstraint("member_id", "milestone", name="uq_badge_proposals_member_milestone"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"))
    milestone: Mapped[int]
    kind: Mapped[ProposalKind] = mapped_column(Enum(ProposalKind, native_enum=False, length=12))
    award_day: Mapped[date] = mapped_column(Date)
    proposed_by_member_id: Mapped[int | None] = mapped_column(ForeignKey("members.id", ondelete="SET NULL"))
    proposed_at: Mapped[datetime | None] = mapped_column(default=clock.now)


@dataclass(frozen=True)
class EarlyRules:
    illness_months: int
    long_months: int
    long_from_milestone: int
    posthumous_early_window: bool


@cache
def early_rules() -> EarlyRules:
    data = rulesfile.read(RULES_FILE)
    early = data["early"]
    return EarlyRules(int(early["illness_months"]), int(early["long_months"]), int(early["long_from_milestone"]),
                      bool(data["posthumous"]["early_window"]))


def early_months(milestone: int) -> int:
    """⚠ How many months before the milestone a badge may be given early (serious illness)."""
    r = early_rules()
    return r.long_months if milestone >= r.long_from_milestone else r.illness_months


# --- one member's badge screen -------------------------------------------------------------------------------
@dataclass(frozen=True)
class BadgeCard:
    member_id: int
    full_name: str
    cell_name: str
    facts: Facts
    deceased_on: date | None
    today: date
    proposals: dict[int, ProposalKind]

    @property
    def months(self) -> int | None:
        return party_months(self.facts, self.deceased_on or self.today)


async def _member(session: AsyncSession, actor: Actor, member_id: int) -> tuple[Member, Unit]:
    found = (await session.execute(select(Member, Unit).join(Unit, Unit.id == Member.cell_id)
                                   .where(Member.id == member_id))).first()
    if found is None or not may_award(actor, found[1]):
        raise BadgeError("not_allowed")
    return found[0], found[1]


async def badge_card(session: AsyncSession, actor: Actor, member_id: int, today: date | None = None) -> BadgeCard:
    """What the committee's badge screen of a member shows. Raises BadgeError("not_allowed")."""
    member, cell = await _member(session, actor, member_id)
    facts = (await _facts(session, [(member.id, member.joined_on)]))[member.id]
    facts.gaps.sort()
    proposals = {p.milestone: p.kind for p in await session.scalars(
        select(BadgeProposal).where(BadgeProposal.member_id == member.id))}
    return BadgeCard(member.id, member.full_name, cell.name, facts, member.deceased_on, today or local_today(),
                     proposals)


async def gap_notes(session: AsyncSession, member_id: int) -> list[tuple[date, date | None, str | None]]:
    """The member's periods out of the party: from, until (None: not back yet), the kind (GapKind's value)."""
    rows = (await session.execute(select(PartyGap.from_on, PartyGap.until_on, PartyGap.note)
                                  .where(PartyGap.member_id == member_id).order_by(PartyGap.from_on))).all()
    return [(start, until, note) for start, until, note in rows]


async def record_gap_of_kind(session: AsyncSession, actor: Actor, member_id: int, kind: GapKind, from_on: date,
                             until_on: date | None, today: date | None = None) -> PartyGap:
    """A period out of the party of `kind` (party_age.record_gap: its refusals and audit)."""
    return await record_gap(session, actor, member_id, from_on, until_on, note=GapKind(kind).value, today=today)


async def set_deceased(session: AsyncSession, actor: Actor, member_id: int, day: date,
                       today: date | None = None) -> None:
    """Record the member's date of death; audited. Raises BadgeError: not_allowed, death_date (in the future,
    before birth or admission)."""
    today = today or local_today()
    member, _cell = await _member(session, actor, member_id)
    if day > today or any(d is not None and day < d for d in (member.birth_date, member.joined_on)):
        raise BadgeError("death_date")
    old, member.deceased_on = member.deceased_on, day
    await session.flush()
    await audit.record(session, "member_deceased", actor_telegram_id=actor.telegram_user_id,
                       actor_member_id=actor.member_id, subject_member_id=member.id,
                       detail={"day": day.isoformat(), "old": old.isoformat() if old else None})


# --- proposals -------------------------------------------------------------------------------------------------
def _not_yet_given(card: BadgeCard, milestone: int) -> None:
    if milestone <= max(card.facts.awarded, default=0):
        raise BadgeError("already")
    if milestone in card.proposals:
        raise BadgeError("proposed")


async def _propose(session: AsyncSession, actor: Actor, card: BadgeCard, milestone: int, kind: ProposalKind,
                   award_day: date) -> BadgeProposal:
    proposal = BadgeProposal(member_id=card.member_id, milestone=milestone, kind=kind, award_day=award_day,
                             proposed_by_member_id=actor.member_id)
    session.add(proposal)
    await session.flush()
    await audit.record(session, f"badge_proposed_{kind.value}", actor_telegram_id=actor.telegram_user_id,
                       actor_member_id=actor.member_id, subject_member_id=card.member_id,
                       detail={"milestone": milestone, "award_day": award_day.isoformat(),
                               "rules": rules().version})
    return proposal


def early_milestone(card: BadgeCard) -> int | None:
    """The badge the member may be proposed early for at the next award day (alive, not due that day anyway, not
    proposed, reached within the rules' months after it), or None."""
    day = next_award_day(card.today)
    badge = next_badge(card.facts, card.today)
    if card.deceased_on is not None or badge is None or badge.award_day == day or badge.milestone in card.proposals:
        return None
    return badge.milestone if badge.eligible_on <= add_months(day, early_months(badge.milestone)) else None


async def propose_early(session: AsyncSession, actor: Actor, member_id: int, milestone: int,
                        today: date | None = None) -> BadgeProposal:
    """Propose the member's next badge early (serious illness) for the next award day. Raises BadgeError:
    not_allowed, bad_milestone, deceased (posthumous instead), already (given), proposed, not_early (due anyway on that day, or
    no next badge), too_early (reached more than the rules' months after the award day)."""
    card = await badge_card(session, actor, member_id, today)
    if milestone not in rules().milestones:
        raise BadgeError("bad_milestone")
    if card.deceased_on is not None:
        raise BadgeError("deceased")
    _not_yet_given(card, milestone)
    badge = next_badge(card.facts, card.today)
    if badge is None or badge.milestone != milestone or badge.award_day == next_award_day(card.today):
        raise BadgeError("not_early")
    if early_milestone(card) != milestone:
        raise BadgeError("too_early")
    day = next_award_day(card.today)
    return await _propose(session, actor, card, milestone, ProposalKind.early, day)


def posthumous_milestone(card: BadgeCard) -> int | None:
    """The highest badge the member reached by their death (⚠ or within the early window after it), not given."""
    if card.deceased_on is None:
        return None
    top = max(card.facts.awarded, default=0)
    found = None
    for milestone in (m for m in rules().milestones if m > top):
        reached = reach_date(Facts(card.facts.joined_on, card.facts.gaps), milestone * 12)
        limit = card.deceased_on
        if early_rules().posthumous_early_window:
            limit = add_months(limit, early_months(milestone))
        if reached is not None and reached <= limit:
            found = milestone
    return found


async def propose_posthumous(session: AsyncSession, actor: Actor, member_id: int, milestone: int,
                             today: date | None = None) -> BadgeProposal:
    """Propose a badge posthumously for the next award day. Raises BadgeError: not_allowed, bad_milestone,
    not_deceased (no date of death recorded), already (given), proposed, not_reached (not reached by the date of death)."""
    card = await badge_card(session, actor, member_id, today)
    if milestone not in rules().milestones:
        raise BadgeError("bad_milestone")
    if card.deceased_on is None:
        raise BadgeError("not_deceased")
    _not_yet_given(card, milestone)
    if milestone != posthumous_milestone(card):
        raise BadgeError("not_reached")
    return await _propose(session, actor, card, milestone, ProposalKind.posthumous, next_award_day(card.today))


async def record_proposed_award(session: AsyncSession, actor: Actor, member_id: int, milestone: int,
                                today: date | None = None) -> Award:
    """The badge proposed early or posthumously, given: recorded in the member's awards, dated its award day
    (audited badge_awarded, with the kind). Raises BadgeError: not_allowed, not_proposed, already (given)."""
    card = await badge_card(session, actor, member_id, today)
    kind = card.proposals.get(milestone)
    if kind is None:
        raise BadgeError("not_proposed")
    if milestone <= max(card.facts.awarded, default=0):
        raise BadgeError("already")
    day = await session.scalar(select(BadgeProposal.award_day).where(BadgeProposal.member_id == member_id,
                                                                     BadgeProposal.milestone == milestone))
    assert day is not None
    return await add_award(session, actor, member_id, milestone, day, {"kind": kind.value})


# --- the declaration list ---------------------------------------------------------------------------------------
@dataclass(frozen=True)
class DeclarationLine:
    full_name: str
    birth_date: date | None
    joined_on: date | None
    official_on: date | None
    party_months: int | None
    milestone: int
    kind: ProposalKind | None  # None: due in the ordinary way


async def declaration(session: AsyncSession, due: list[Due], actor: Actor, award_day: date
                      ) -> list[DeclarationLine]:
    """The list to propose for `award_day`: the members due (party_age.due_at) and the early and posthumous
    proposals for that day within the actor's units, by milestone, then as listed."""
    ids: dict[int, tuple[int, ProposalKind | None]] = {d.member_id: (d.badge.milestone, None) for d in due}
    for member_id, milestone, proposed, cell in (await session.execute(
            select(BadgeProposal.member_id, BadgeProposal.milestone, BadgeProposal.kind, Unit)
            .join(Member, Member.id == BadgeProposal.member_id).join(Unit, Unit.id == Member.cell_id)
            .where(BadgeProposal.award_day == award_day).order_by(Unit.path, Member.sort_name))).all():
        if may_award(actor, cell):
            ids[member_id] = (milestone, proposed)
    members = {m.id: m for m in await session.scalars(select(Member).where(Member.id.in_(list(ids))))}
    facts = await _facts(session, [(m.id, m.joined_on) for m in members.values()])
    lines = []
    for member_id, (milestone, kind) in ids.items():
        m = members[member_id]
        lines.append(DeclarationLine(m.full_name, m.birth_date, m.joined_on, m.official_on,
                                     party_months(facts[member_id], m.deceased_on or award_day), milestone, kind))
    return sorted(lines, key=lambda line: line.milestone)
