"""Conversation state in the database: what a draft holds comes back as it was; versions decide races."""
from __future__ import annotations

import enum
from datetime import UTC, date, datetime, time, timedelta

import pytest

from models import clock
from models import conversations as store
from models.conversations import ConversationState, NotStorable
from models.notices import NoticeKind
from models.votes import PassRule


def test_a_draft_comes_back_with_its_types():
    draft = {
        "kind": NoticeKind.resolution, "rule": PassRule.cast,
        "at": datetime(2026, 12, 5, 12, 30, tzinfo=UTC), "day": date(2026, 2, 28), "time": time(19, 30),
        "wait": timedelta(hours=2), "cells": [1, 2, 3], "pair": (4, "x"), "seen": {5, 6},
        "by_id": {7: "bảy", 8: None}, "$odd": {"$dt": "not a date"}, "text": "Nghị quyết <b>số 5</b> & \"trích\"",
        "nested": {"options": [{"label": "Đồng ý", "n": 0}], "flag": True, "ratio": 0.5},
    }
    back = store.decode(store.encode(draft))
    assert back == draft
    assert type(back["kind"]) is NoticeKind and back["at"].tzinfo is not None and isinstance(back["pair"], tuple)


def test_what_cannot_be_kept_is_refused_not_pickled():
    class Foreign(enum.Enum):
        x = 1

    with pytest.raises(NotStorable):
        store.encode({"obj": object()})
    with pytest.raises(NotStorable):
        store.encode({"fn": len})
    # An enum named in the data is looked up only in the handbook's own modules.
    with pytest.raises(ValueError):
        store.decode('{"e": {"$enum": "os:system", "v": "ls"}}')
    with pytest.raises(ValueError):
        store.decode('{"e": {"$enum": "models.clock:now", "v": 1}}')


async def test_save_load_versions_and_age(session):
    uid = 4242
    assert await store.load(session, uid) == ({}, 0, None)
    assert await store.save(session, uid, {"steps": {"notice": {"key": [uid, uid], "state": 2, "at": clock.now()}}}, 0)
    await session.commit()
    data, version, _ = await store.load(session, uid)
    assert version == 1 and data["steps"]["notice"]["state"] == 2

    # Two updates read version 1; the first write wins, the second is told it lost.
    assert await store.save(session, uid, {"user": {"draft": {"title": "A"}}}, 1)
    assert not await store.save(session, uid, {"user": {"draft": {"title": "B"}}}, 1)
    await session.commit()
    data, version, _ = await store.load(session, uid)
    assert (data, version) == ({"user": {"draft": {"title": "A"}}}, 2)
    # Creating a row that another update created meanwhile is refused too.
    assert not await store.save(session, uid, {"user": {"x": 1}}, 0)

    # A day untouched: not restored, and pruned.
    clock.advance(store.MAX_AGE + timedelta(minutes=1))
    assert (await store.load(session, uid))[0] == {}
    assert await store.prune(session) == 1
    await session.commit()
    assert await session.get(ConversationState, uid) is None


async def test_an_empty_state_deletes_the_row(session):
    uid = 77
    assert await store.save(session, uid, {"user": {"flow": "feedback"}}, 0)
    await session.commit()
    assert await store.save(session, uid, {}, 1)
    await session.commit()
    assert await session.get(ConversationState, uid) is None
    assert await store.save(session, uid, {}, 0)  # nothing there, nothing to delete: fine


async def test_a_state_this_version_cannot_read_starts_afresh(session):
    session.add(ConversationState(telegram_user_id=9, data='{"e": {"$enum": "models.notices:Gone", "v": 1}}',
                                  version=3, updated_at=clock.now()))
    await session.commit()
    assert await store.load(session, 9) == ({}, 3, (await session.get(ConversationState, 9)).updated_at)


async def test_the_caller_and_the_state_in_one_query(session):
    from models.accounts import ensure_account
    from models.members import Member
    from models.roles import RoleKind, grant
    from models.units import UnitKind, add_unit

    cell = await add_unit(session, "Chi bộ 1", UnitKind.cell)
    secretary = Member(full_name="Nguyễn Thị Hồng Nhung", cell_id=cell.id)
    session.add(secretary)
    await session.flush()
    await grant(session, secretary.id, cell.id, RoleKind.secretary)
    account = await ensure_account(session, 501, "vi")
    account.member_id = secretary.id
    await ensure_account(session, 502, "en")
    await session.commit()

    (state, version, _), actor = await store.load_with_actor(session, 501)
    assert (state, version) == ({}, 0) and actor.member_id == secretary.id
    assert [(r.kind, r.unit_id) for r in actor.roles] == [(RoleKind.secretary, cell.id)]

    step = {"steps": {"notice": {"key": [501, 501], "state": 3, "at": clock.now()}}}
    assert await store.save(session, 501, step, 0)
    await session.commit()
    (state, version, _), actor = await store.load_with_actor(session, 501, frozenset({501}))
    assert state == step and version == 1 and actor.is_admin and len(actor.roles) == 1  # one row per role, not more

    (state, _, _), stranger = await store.load_with_actor(session, 502)
    assert state == {} and stranger.language == "en" and not stranger.linked
    (state, version, when), nobody = await store.load_with_actor(session, 503)
    assert (state, version, when, nobody.language) == ({}, 0, None, None)
    # A state written before the person's account exists is still found.
    assert await store.save(session, 503, {"user": {"flow": "feedback"}}, 0)
    await session.commit()
    (state, version, _), nobody = await store.load_with_actor(session, 503)
    assert (state, version, nobody.language) == ({"user": {"flow": "feedback"}}, 1, None)

    # Many callers at once (the updates of a burst): each exactly as read alone — roles, state, strangers.
    await grant(session, secretary.id, cell.id, RoleKind.deputy)
    await session.commit()
    admins, callers = frozenset({502}), [503, 501, 502, 504, 501]
    together = await store.load_many_with_actor(session, callers, admins)
    assert sorted(together) == [501, 502, 503, 504]
    for uid in callers:
        (state, version, when), actor = together[uid]
        (state1, version1, when1), actor1 = await store.load_with_actor(session, uid, admins)
        assert (state, version, when) == (state1, version1, when1)
        assert vars(actor) == vars(actor1), uid
    assert len(together[501][1].roles) == 2 and together[502][1].is_admin and together[501][0][0] == step


async def test_a_state_that_must_not_outlive_its_deadline_is_deleted_when_it_passes(session):
    """A secret ballot's "Ý kiến khác" waiting for its text links the member to a choice: the state
    carries a deadline, is not restored after it, and the next tick deletes the row itself."""
    clock.freeze(datetime(2026, 5, 12, 3, 0, tzinfo=UTC))
    secret_uid, other_uid = 5151, 5252
    pending = {"vote_pending_text": {"vote": 7, "position": 2}, store.FORGET_AT: clock.now() + timedelta(minutes=10)}
    assert await store.save(session, secret_uid, {"user": pending}, 0)
    assert await store.save(session, other_uid, {"user": {"draft": {"title": "A"}}}, 0)
    await session.commit()
    clock.advance(timedelta(minutes=9))
    assert await store.forget_expired(session) == 0
    assert (await store.load(session, secret_uid))[0]["user"]["vote_pending_text"] == {"vote": 7, "position": 2}
    # Still typing: an update rewrites the state, the deadline stays where the tap put it.
    data, version, _ = await store.load(session, secret_uid)
    assert await store.save(session, secret_uid, data, version)
    await session.commit()
    clock.advance(timedelta(minutes=2))
    assert (await store.load(session, secret_uid))[0] == {}  # past the deadline: not restored
    assert await store.forget_expired(session) == 1
    await session.commit()
    assert await session.get(ConversationState, secret_uid) is None
    # a state without a deadline is not touched
    assert (await store.load(session, other_uid))[0] == {"user": {"draft": {"title": "A"}}}
