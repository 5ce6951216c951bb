"""Who is excused from a study item's essay (bài thu hoạch). Either excuses:

- age: the item excuses members of `essay_excused_age` or older (70, 75 or 80, as the cell decides), their age taken
  at the item's deadline from Member.birth_date — no birth date, no excuse by age. A 29/02 birthday falls on 28/02 in
  a common year (models.party_age.add_months, as anniversaries count it);
- exemption: a member exempt from party activities (miễn sinh hoạt) in a cell that does not count exempt members
  (Unit.exempt_counted), as for attendance and studying.

An excused member is not reminded about the essay and, while they hand none in, is counted excused rather than
missing; an essay handed in anyway is received as usual and counts. No Telegram here.
"""
from __future__ import annotations

__all__ = ["age_on", "born_by", "essay_excused", "excused_by_age", "excused_clause", "excused_members"]

from datetime import date, timedelta

from sqlalchemy import and_, false, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql import ColumnElement

from ..members import Member
from ..party_age import add_months
from ..units import Unit
from .tables import StudyItem, StudyMember


def age_on(birth: date, day: date) -> int:
    """Whole years from `birth` to `day` (a 29/02 birthday comes on 28/02 in a common year)."""
    years = day.year - birth.year
    return years if add_months(birth, 12 * years) <= day else years - 1


def excused_by_age(birth: date | None, deadline: date, age: int | None) -> bool:
    """Whether a member born on `birth` is `age` or older at `deadline` (False without a birth date or an age)."""
    return birth is not None and age is not None and age_on(birth, deadline) >= age


def born_by(deadline: date, age: int) -> date:
    """The last birth date of a member `age` or older at `deadline`: excused_by_age is birth <= born_by."""
    day = add_months(deadline, -12 * age)
    following = day + timedelta(days=1)  # 29/02 of a leap year when the deadline is 28/02 of a common one
    return following if add_months(following, 12 * age) <= deadline else day


def essay_excused(birth: date | None, exempt: bool, exempt_counted: bool, deadline: date, age: int | None) -> bool:
    """Whether a member is excused from an essay due at `deadline` whose item excuses from `age` (None: nobody by
    age): by age, or exempt in a cell that does not count exempt members."""
    return excused_by_age(birth, deadline, age) or (exempt and not exempt_counted)


def excused_clause(deadline: date, age: int | None, *, by_age_only: bool = False) -> ColumnElement[bool]:
    """essay_excused in SQL, over Member and their cell's Unit (the query joins both); `by_age_only`: the age alone."""
    by_age = and_(Member.birth_date.is_not(None), Member.birth_date <= born_by(deadline, age)) if age else false()
    return by_age if by_age_only else or_(by_age, and_(Member.exempt.is_(True), Unit.exempt_counted.is_(False)))


async def excused_members(session: AsyncSession, item: StudyItem, *, by_age_only: bool = False) -> set[int]:
    """The members of the item excused from its essay (none when it asks for none)."""
    if not item.essay_required:
        return set()
    if by_age_only and item.essay_excused_age is None:
        return set()
    return set((await session.scalars(
        select(StudyMember.member_id).join(Member, Member.id == StudyMember.member_id)
        .join(Unit, Unit.id == Member.cell_id)
        .where(StudyMember.study_id == item.id,
               excused_clause(item.deadline, item.essay_excused_age, by_age_only=by_age_only)))).all())
