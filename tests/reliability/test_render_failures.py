"""A picture that cannot be drawn never holds its text back: the vote's result reaches every member
as text, the failure is counted, and the opener's status says how many went without the chart."""
from __future__ import annotations

import asyncio

from sqlalchemy import select

from handlers import render
from handlers.votes import render as vote_render
from models import votes
from models.deliveries import TEXT_ONLY, Delivery, DeliveryState

from .conftest import SECRETARY_CHAT, add_chats, bot_messages, make_crowd
from .test_faults import dispatcher, until_settled

QUESTION = r"Giá 5$ hay 10$? $\frac{1}{$"


def scraped_metrics() -> str:
    from telegram.ext import ApplicationBuilder

    from bot.metrics import Metrics
    from handlers.turn import SERVICES, Services

    app = ApplicationBuilder().token("123456:" + "A" * 35).updater(None).build()
    app.bot_data[SERVICES] = Services(sessionmaker=None)
    return Metrics(app).render().decode()


async def test_a_chart_that_fails_to_draw_sends_the_result_as_text(sessionmaker, emulator_url, monkeypatch, caplog):
    emulator, url = emulator_url
    crowd = await make_crowd(sessionmaker, 6)
    add_chats(emulator, crowd)

    def broken_chart(**kwargs) -> bytes:
        raise ValueError(f"cannot draw {kwargs['question']}")  # what people wrote: never logged

    monkeypatch.setattr(vote_render, "chart_png", broken_chart)
    async with sessionmaker() as session:
        vote = await votes.open_vote(session, await crowd.actor(session), cell_id=crowd.cell_id, question=QUESTION,
                                     options=["5$", "10$"])
        await session.commit()
        vote_id = vote.id
    d = dispatcher(sessionmaker, url, emulator.token)
    stop = asyncio.Event()
    task = asyncio.create_task(d.run(stop))
    await until_settled(sessionmaker)
    async with sessionmaker() as session:
        await votes.close_vote(session, vote_id)
        await session.commit()
    failures = render.RENDER_FAILURES["vote_result"]
    d.wake()
    await until_settled(sessionmaker)
    stop.set()
    await task

    assert render.RENDER_FAILURES["vote_result"] > failures
    assert "making the vote_result picture or audio failed (ValueError)" in caplog.text and "Giá" not in caplog.text
    assert f'handbook_render_failures_total{{renderer="vote_result"}} {render.RENDER_FAILURES["vote_result"]}.0' \
        in scraped_metrics()
    for chat in [SECRETARY_CHAT, *crowd.chats]:
        results = [m for m in bot_messages(emulator, chat) if "Kết quả biểu quyết" in (m.text or m.caption or "")]
        assert len(results) == 1, f"chat {chat}: {[m.text for m in bot_messages(emulator, chat)]}"
        assert results[0].media_kind is None and "Giá 5$ hay 10$?" in results[0].text
    async with sessionmaker() as session:
        rows = (await session.scalars(select(Delivery).where(Delivery.kind == votes.RESULT_DELIVERY))).all()
        assert len(rows) == 7
        assert all(r.state is DeliveryState.sent and r.last_error.startswith(TEXT_ONLY) for r in rows)
        text, _ = await vote_render.status_view(session, await votes.get_vote(session, vote_id), "vi", None)
    assert "7 tin kết quả đã gửi không kèm ảnh biểu đồ (lỗi vẽ)" in text


async def test_a_chart_drawn_goes_with_its_text_and_the_status_says_nothing_more(sessionmaker, emulator_url):
    emulator, url = emulator_url
    crowd = await make_crowd(sessionmaker, 3)
    add_chats(emulator, crowd)
    async with sessionmaker() as session:
        vote = await votes.open_vote(session, await crowd.actor(session), cell_id=crowd.cell_id, question=QUESTION,
                                     options=["5$", "10$"])
        await votes.close_vote(session, vote.id)
        await session.commit()
        vote_id = vote.id
    d = dispatcher(sessionmaker, url, emulator.token)
    stop = asyncio.Event()
    task = asyncio.create_task(d.run(stop))
    await until_settled(sessionmaker)
    stop.set()
    await task
    for chat in [SECRETARY_CHAT, *crowd.chats]:
        photos = [m for m in bot_messages(emulator, chat) if m.media_kind == "photo"]
        assert len(photos) == 1 and "Giá 5$ hay 10$?" in photos[0].caption
    async with sessionmaker() as session:
        rows = (await session.scalars(select(Delivery).where(Delivery.kind == votes.RESULT_DELIVERY))).all()
        assert len(rows) == 4 and all(r.state is DeliveryState.sent and r.last_error is None for r in rows)
        text, _ = await vote_render.status_view(session, await votes.get_vote(session, vote_id), "vi", None)
    assert "không kèm ảnh" not in text


async def test_a_bulletin_whose_audio_breaks_goes_as_text_marked_and_counted(session, tmp_path, monkeypatch, caplog):
    """Not only a missing espeak-ng: any failure while speaking leaves the bulletin's text to send."""
    from audio import Speech
    from handlers.bulletins import render as bulletin_views
    from handlers.render import TextOnly
    from models import bulletins
    from models.demo import load_demo
    from models.permissions import Actor

    demo = await load_demo(session)
    await session.commit()
    bulletin = await bulletins.create_bulletin(session, Actor(telegram_user_id=1, is_admin=True), unit_id=demo.ward,
                                               title="Bản tin tháng 12", text="Giá 5$ hay 10$? Kính mời dự họp.",
                                               lang="vi")
    await session.commit()
    bulletin_id = bulletin.id

    async def broken_plan(*args, **kwargs):
        raise RuntimeError(f"cannot speak {args[2]}")  # what people wrote: never logged

    monkeypatch.setattr(bulletin_views, "missing_packages", lambda speech: None)
    monkeypatch.setattr(bulletin_views, "plan_voice", broken_plan)
    failures = render.RENDER_FAILURES[bulletins.BULLETIN_DELIVERY]
    calls = await bulletin_views.render_bulletin(session, Speech(tmp_path / "audio", "espeak"), bulletin_id, "vi",
                                                 None)
    assert isinstance(calls, TextOnly) and calls.missing == "audio"
    assert [m for m, *_ in calls] == ["sendMessage"]
    assert "Bản tin tháng 12" in calls[0][1]["text"] and "Giá 5$ hay 10$? Kính mời dự họp." in calls[0][1]["text"]
    assert render.RENDER_FAILURES[bulletins.BULLETIN_DELIVERY] == failures + 1
    assert "(RuntimeError)" in caplog.text and "Giá" not in caplog.text
