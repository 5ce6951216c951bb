"""A member whose death the committee recorded (members.deceased_on, badges' 📅 Ngày từ trần) is no longer
invited, counted in a vote's base, greeted, listed as a probationary member due, or asked for a self-review."""
from __future__ import annotations

from datetime import date

from sqlalchemy import select

from models import anniversaries, probation, review, votes
from models.meetings.scheduling import cell_member_ids
from models.members import Member
from models.permissions import member_actor
from models.roles import RoleKind, grant
from models.votes import Elector

from .two_wards import two_wards

TODAY = date(2026, 12, 4)


async def test_a_member_who_died_is_left_out_of_the_cells_work(session):
    _city, ward, _other, cell1, _cell2, _far = await two_wards(session)
    people = {
        "sec": Member(full_name="Nguyễn Thị Hồng Nhung", cell_id=cell1.id, joined_on=date(2001, 1, 1),
                      official_on=date(2002, 1, 1)),
        "alive": Member(full_name="Lê Văn Bảy", cell_id=cell1.id, joined_on=date(1986, 11, 20),
                        official_on=date(1987, 11, 20), birth_date=date(1946, 12, 4)),
        "dead": Member(full_name="Trần Văn Sáu", cell_id=cell1.id, joined_on=date(1970, 1, 1),
                       official_on=date(1971, 1, 1), birth_date=date(1940, 12, 4), deceased_on=date(2026, 10, 1)),
        "dead_young": Member(full_name="Phan Minh Khôi", cell_id=cell1.id, joined_on=date(2025, 12, 1),
                             deceased_on=date(2026, 11, 1)),
        "officer": Member(full_name="Huỳnh Thị Mai", cell_id=cell1.id, joined_on=date(2000, 1, 1),
                          official_on=date(2001, 1, 1)),
    }
    session.add_all(people.values())
    await session.flush()
    await grant(session, people["sec"].id, cell1.id, RoleKind.secretary)
    await grant(session, people["officer"].id, ward.id, RoleKind.committee)
    sec = await member_actor(session, people["sec"].id)
    alive, dead, dead_young = people["alive"].id, people["dead"].id, people["dead_young"].id

    invited = await cell_member_ids(session, cell1.id)
    assert alive in invited and dead not in invited and dead_young not in invited
    vote = await votes.open_vote(session, sec, cell_id=cell1.id, question="Thông qua nghị quyết?")
    electors = set((await session.scalars(select(Elector.member_id).where(Elector.vote_id == vote.id))).all())
    assert alive in electors and dead not in electors
    birthdays = {o.full_name for o in await anniversaries.on_day(session, TODAY, [cell1.id])}
    assert "Lê Văn Bảy" in birthdays and "Trần Văn Sáu" not in birthdays
    assert [d.member_id for d in await probation.due(session, sec, TODAY, within_days=400)] == []
    opened = await review.open_round(session, await member_actor(session, people["officer"].id), ward.id, 2026,
                                     date(2026, 12, 20), date(2026, 12, 27))
    reviewed = set((await session.scalars(select(review.ReviewEntry.member_id)
                                          .where(review.ReviewEntry.round_id == opened.round.id))).all())
    assert alive in reviewed and dead not in reviewed and dead_young not in reviewed


async def test_a_member_who_died_is_listed_last_and_counted_in_no_total(session):
    from models.accounts import Account
    from models.invitations import unlinked_count
    from models.members import deceased_under, member_ids_under, members_under
    from models.notices.lists import audience_size
    from models.paper import members_without_telegram

    _city, ward, _other, cell1, _cell2, _far = await two_wards(session)
    sec = Member(full_name="Nguyễn Thị Hồng Nhung", cell_id=cell1.id, joined_on=date(2001, 1, 1))
    alive = Member(full_name="Lê Văn Bảy", cell_id=cell1.id, joined_on=date(1986, 11, 20))
    dead = Member(full_name="Bùi Văn An", cell_id=cell1.id, joined_on=date(1970, 1, 1), deceased_on=date(2026, 10, 1))
    session.add_all([sec, alive, dead])
    await session.flush()
    session.add(Account(telegram_user_id=9901, member_id=sec.id, language="vi"))
    await grant(session, sec.id, cell1.id, RoleKind.secretary)
    await session.flush()

    # "Bùi" sorts before the living by name, but the dead come last; the total is the page's, the dead apart.
    listed, total = await members_under(session, ward.path, 0, 10)
    assert [m.full_name for m in listed] == ["Lê Văn Bảy", "Nguyễn Thị Hồng Nhung", "Bùi Văn An"]
    assert (total, await deceased_under(session, ward.path), await deceased_under(session, cell1.path)) == (3, 1, 1)
    # Nobody sends them a notice or counts them in its audience, nor invites them.
    assert dead.id not in await member_ids_under(session, [ward.path])
    assert await audience_size(session, [ward.id]) == (2, 1)
    assert [m.full_name for m in await members_without_telegram(session, cell1.id)] == ["Lê Văn Bảy"]
    assert await unlinked_count(session, await member_actor(session, sec.id)) == 1
