"""A cell's habits the /meeting steps offer first: its usual day of the month, an officer's usual cell."""
from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from models import meetings
from models.meetings import Meeting, MeetingKind, MeetingState
from models.permissions import managed_cells

from .test_meetings import HUE, T0, actor, at_local, frozen_clock, schedule, w  # noqa: F401 (fixtures)


def held(w, day: date, *, kind=MeetingKind.regular, state=MeetingState.closed, hour: int = 19, cell=None) -> Meeting:
    return Meeting(cell_id=(cell or w.cell).id, kind=kind, title="Sinh hoạt", place="Nhà văn hóa",
                   starts_at=at_local(day, hour), state=state, created_at=T0)


async def test_the_usual_day_is_the_most_common_of_the_last_six_regular_meetings(session, w):
    assert await meetings.usual_days(session, w.cell.id, HUE) == []  # no meeting yet
    session.add_all([held(w, date(2025, 12, 28)), held(w, date(2026, 1, 28)),  # older than the last six
                     held(w, date(2026, 3, 5)), held(w, date(2026, 4, 5)), held(w, date(2026, 5, 6)),
                     held(w, date(2026, 6, 5)), held(w, date(2026, 7, 6)), held(w, date(2026, 8, 10)),
                     held(w, date(2026, 9, 12), kind=MeetingKind.thematic),  # not a regular one
                     held(w, date(2026, 10, 12), state=MeetingState.cancelled),  # not held
                     held(w, date(2026, 8, 5), cell=w.other)])  # another cell's
    await session.commit()
    assert await meetings.usual_days(session, w.cell.id, HUE) == [5]
    assert await meetings.usual_days(session, w.cell.id, HUE, last=2) == []  # 6 and 10: no habit


async def test_the_usual_day_is_the_cells_own_day_and_ties_give_both(session, w):
    # 1 March 06:00 in Huế is still 28 February in UTC: the day is the cell's local one.
    session.add(held(w, date(2026, 3, 1), hour=6))
    await session.commit()
    assert await meetings.usual_days(session, w.cell.id, HUE) == [1]  # one meeting: its day
    session.add_all([held(w, date(2026, 4, 1)), held(w, date(2026, 5, 15)), held(w, date(2026, 6, 15))])
    await session.commit()
    assert await meetings.usual_days(session, w.cell.id, HUE) == [1, 15]
    assert await meetings.usual_days(session, w.cell.id, UTC) == [15]  # 28/02, 01/04, 15/05, 15/06


async def test_an_officers_usual_cell_comes_first(session, w):
    officer = await actor(session, w.officer)
    cells = await managed_cells(session, officer)
    assert [c.id for c in cells] == [w.cell.id, w.other.id]  # in the tree's order
    ordered = await meetings.usual_first(session, officer, cells)
    assert [c.id for c in ordered] == [w.other.id, w.cell.id]  # her own membership's cell
    await schedule(session, w, by=w.officer, starts_at=T0 + timedelta(days=3))
    ordered = await meetings.usual_first(session, officer, cells)
    assert [c.id for c in ordered] == [w.cell.id, w.other.id]  # the one she scheduled for last
    other = datetime(2026, 12, 3, 12, tzinfo=UTC)
    await schedule(session, w, by=w.officer, cell_id=w.other.id, starts_at=other)
    assert [c.id for c in await meetings.usual_first(session, officer, cells)] == [w.other.id, w.cell.id]
