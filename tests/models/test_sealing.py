"""Anonymous feedback against those who hold the database (and even the bot's token) but not HANDBOOK_SEAL_KEY."""
from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from models import clock, feedback
from models.feedback import FeedbackRate, FeedbackRefused, FeedbackReply, FeedbackThread, Refusal
from models.sealing import FeedbackKeys, legacy_key, seal_chat, unseal_chat

from .test_feedback import KEY, send, ward  # noqa: F401 (ward: the fixture)

TOKEN = "123456789:AAbbCCddEEffGGhhIIjjKKllMMnnOOppQQ"
KEYS = FeedbackKeys.from_secret("the-real-seal-key-" + "x" * 20, legacy_token=TOKEN)


async def rate_keys(session) -> set[str]:
    return set((await session.scalars(select(FeedbackRate.key))).all())


async def test_the_database_and_the_token_without_the_seal_key_cannot_find_the_sender(session, ward):
    item = await send(session, ward, anonymous=True, key=KEYS)
    sealed = (await session.get(FeedbackThread, item.id)).sealed_chat
    # The right key opens it (so what follows can fail)...
    assert KEYS.unseal(sealed) == ward.tg["member"]
    # ...the token and the database do not: neither the key older versions derived from the token,
    # nor the token with a guessed seal key.
    assert unseal_chat(legacy_key(TOKEN), sealed) is None
    wrong = FeedbackKeys.from_secret("a-guessed-seal-key-" + "y" * 20, legacy_token=TOKEN)
    assert wrong.unseal(sealed) is None
    await feedback.add_reply(session, await ward.actor(session, "secretary"), item.id, "Cảm ơn đồng chí")
    await session.commit()
    [pending] = await feedback.claim_undelivered(session, wrong)
    assert pending.chat_id is None
    # The rate rows: trying every member for the minute matches a row under the right key only.
    now = clock.now().replace(second=0, microsecond=0)
    stored = await rate_keys(session)
    assert {KEYS.rate_row(m, now) for m in ward.ids.values()} & stored
    assert not {wrong.rate_row(m, now) for m in ward.ids.values()} & stored
    assert not {FeedbackKeys(legacy_key(TOKEN), legacy_key(TOKEN)).rate_row(m, now) for m in ward.ids.values()} & stored


def test_each_day_has_its_own_rate_key():
    day = datetime(2026, 5, 12, 23, 59, tzinfo=UTC)
    assert KEYS.rate_key(day.date()) != KEYS.rate_key((day + timedelta(days=1)).date())
    assert KEYS.rate_row(7, day) != KEYS.rate_row(7, day + timedelta(days=1))
    assert KEYS.rate_row(7, day) == FeedbackKeys.from_secret("the-real-seal-key-" + "x" * 20).rate_row(7, day)


async def test_yesterdays_rate_rows_are_gone_even_when_nobody_writes_again(session, ward):
    await send(session, ward, anonymous=True, key=KEYS)
    await send(session, ward, who="other", key=KEYS)
    assert len(await rate_keys(session)) == 2
    clock.advance(timedelta(days=1))
    assert await feedback.purge_rates(session) == 2  # what the sweep does every minute
    await session.commit()
    assert await rate_keys(session) == set()


async def test_the_same_member_is_still_limited_within_the_day_and_across_midnight(session, ward):
    clock.freeze(datetime(2026, 5, 12, 23, 40, tzinfo=UTC))
    for i in range(10):
        await send(session, ward, body=f"Ý kiến số {i}", anonymous=True, key=KEYS)
        clock.advance(timedelta(minutes=3))
    assert clock.now().date() != datetime(2026, 5, 12).date()  # the day key changed meanwhile
    with pytest.raises(FeedbackRefused) as refused:
        await send(session, ward, body="Lần thứ mười một", anonymous=True, key=KEYS)
    assert refused.value.reason is Refusal.rate_limited
    await session.rollback()
    await send(session, ward, who="other", body="Người khác vẫn gửi được", key=KEYS)


async def test_a_way_back_sealed_by_an_older_version_is_read_then_sealed_again_under_the_new_key(session, ward):
    item = await send(session, ward, anonymous=True, key=KEYS)
    thread = await session.get(FeedbackThread, item.id)
    thread.sealed_chat = seal_chat(legacy_key(TOKEN), ward.tg["member"])  # as the token-derived key sealed it
    await session.commit()
    assert KEYS.unseal(thread.sealed_chat) == ward.tg["member"]  # the transition: still read
    assert await feedback.reseal_legacy(session, KEYS) == 1
    await session.commit()
    sealed = (await session.get(FeedbackThread, item.id)).sealed_chat
    assert unseal_chat(legacy_key(TOKEN), sealed) is None  # the token no longer opens it
    assert unseal_chat(KEYS.seal_key, sealed) == ward.tg["member"]
    assert await feedback.reseal_legacy(session, KEYS) == 0
    await feedback.add_reply(session, await ward.actor(session, "secretary"), item.id, "Trả lời")
    await session.commit()
    [pending] = await feedback.claim_undelivered(session, KEYS)
    assert pending.chat_id == ward.tg["member"]
    assert (await session.get(FeedbackReply, pending.reply_id)) is not None
