"""What committees and secretaries see of study items in /report: per cell of theirs, how many members studied,
took the quiz, and their average best score."""
from __future__ import annotations

__all__ = ["CellProgress", "StudyProgress", "study_progress"]

from dataclasses import dataclass, field
from datetime import date, timedelta

from sqlalchemy import and_, case, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from ..dates import local_today
from ..members import Member
from ..permissions import Action, Actor, scope_paths, within_clause
from ..units import Unit
from .excuses import excused_clause
from .items import question_count
from .tables import EssayState, StudyEssay, StudyItem, StudyMember

RECENT_DAYS = 30  # an item stays in /report this long after its deadline
ITEMS_SHOWN = 5


@dataclass(frozen=True)
class CellProgress:
    cell: str
    members: int
    studied: int
    taken: int  # finished the quiz at least once
    average: float | None  # the average best score of those who took it (right answers)
    essays: int = 0  # whose latest essay is handed in (waiting or received)
    received: int = 0  # whose latest essay was marked received
    # Excused from the essay and handed none in (excuses.py): of the item's age or older at its deadline, or exempt
    # (miễn sinh hoạt) when their cell does not count exempt members (Unit.exempt_counted).
    excused: int = 0

    @property
    def essay_base(self) -> int:
        return self.members - self.excused


@dataclass
class StudyProgress:
    item: StudyItem
    questions: int
    cells: list[CellProgress] = field(default_factory=list)

    def total(self, name: str) -> int:
        return sum(getattr(c, name) for c in self.cells)


async def study_progress(session: AsyncSession, actor: Actor, today: date | None = None) -> list[StudyProgress]:
    """The study items (deadline not long past) given to members of the officer's units, newest first, each with
    its cells — only the officer's own cells, even for an item a committee above gave."""
    paths = scope_paths(actor, Action.view_reports)
    if paths == []:
        return []
    since = (today or local_today()) - timedelta(days=RECENT_DAYS)
    in_scope = [within_clause(paths)] if paths is not None else []
    ids = list((await session.scalars(
        select(StudyItem.id).where(StudyItem.deadline >= since, StudyItem.id.in_(
            select(StudyMember.study_id).join(Member, Member.id == StudyMember.member_id)
            .join(Unit, Unit.id == Member.cell_id).where(*in_scope)))
        .order_by(StudyItem.created_at.desc(), StudyItem.id.desc()).limit(ITEMS_SHOWN))).all())
    found = []
    for study_id in ids:
        item = await session.scalar(select(StudyItem).where(StudyItem.id == study_id)
                                    .options(selectinload(StudyItem.notice), selectinload(StudyItem.unit)))
        assert item is not None
        latest = (select(func.max(StudyEssay.id).label("id")).where(StudyEssay.study_id == study_id)
                  .group_by(StudyEssay.member_id).subquery())
        essay = (select(StudyEssay.member_id, StudyEssay.state).join(latest, latest.c.id == StudyEssay.id)
                 .subquery())
        handed_in = case((essay.c.state.in_([EssayState.submitted, EssayState.received]), 1))
        received = case((essay.c.state == EssayState.received, 1))
        excused = case((and_(excused_clause(item.deadline, item.essay_excused_age),
                             or_(essay.c.state.is_(None), essay.c.state == EssayState.revise)), 1))
        rows = await session.execute(
            select(Unit.name, func.count(StudyMember.member_id), func.count(StudyMember.studied_at),
                   func.count(StudyMember.best_score), func.avg(StudyMember.best_score), func.count(handed_in),
                   func.count(received), func.count(excused))
            .select_from(StudyMember).join(Member, Member.id == StudyMember.member_id)
            .join(Unit, Unit.id == Member.cell_id)
            .outerjoin(essay, essay.c.member_id == StudyMember.member_id)
            .where(StudyMember.study_id == study_id, *in_scope)
            .group_by(Unit.id, Unit.name, Unit.path).order_by(Unit.path))
        cells = [CellProgress(name, members, studied, taken, float(avg) if avg is not None else None, essays, got,
                              excused if item.essay_required else 0)
                 for name, members, studied, taken, avg, essays, got, excused in rows.all()]
        found.append(StudyProgress(item, await question_count(session, study_id), cells))
    return found
