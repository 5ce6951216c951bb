"""The private names of our libraries that handlers/state.py (and handlers/turn.py, minutes_docx.py) lean on.

Only `python-telegram-bot>=22,<23` pins them. Each test checks one internal with the shape and the
behaviour the state layer uses, so an upgrade that moves one fails here, naming it, instead of
conversations silently starting over after a restart.
"""
from __future__ import annotations

import asyncio
from datetime import UTC, datetime

import pytest
from telegram import Update
from telegram.ext import Application, CallbackContext, ConversationHandler, Job, MessageHandler, filters

CHAT, USER = 4242, 4242
ASK, CONFIRM = 1, "confirm"


def moved(name: str, used_for: str) -> str:
    return (f"{name} moved or changed shape in this library version; handlers/state.py uses it to {used_for}. "
            "Adapt the state layer (or pin the previous version) before upgrading.")


def _update(update_id: int, text: str) -> dict:
    return {
        "update_id": update_id,
        "message": {
            "message_id": update_id,
            "date": int(datetime(2026, 1, 5, tzinfo=UTC).timestamp()),
            "chat": {"id": CHAT, "type": "private", "first_name": "Lan"},
            "from": {"id": USER, "is_bot": False, "first_name": "Lan"},
            "text": text,
        },
    }


async def _start(update, context):
    return ASK


async def _answer(update, context):
    return CONFIRM


def _conversation(timeout: float | None = None) -> ConversationHandler:
    return ConversationHandler(
        entry_points=[MessageHandler(filters.Regex("^begin$"), _start)],
        states={ASK: [MessageHandler(filters.TEXT, _answer)], CONFIRM: [MessageHandler(filters.TEXT, _answer)]},
        fallbacks=[],
        conversation_timeout=timeout,
        name="contract",
    )


@pytest.fixture
def app() -> Application:
    return Application.builder().token("123456:CONTRACT").build()  # nothing is sent: no network


async def _handle(app: Application, handler: ConversationHandler, update_id: int, text: str) -> bool:
    """Feed one message through the handler as the Application would; False if it did not take it."""
    update = Update.de_json(_update(update_id, text), app.bot)
    check = handler.check_update(update)
    if check is None or check is False:
        return False
    await handler.handle_update(update, app, check, CallbackContext.from_update(update, app))
    return True


async def test_conversations_is_a_mapping_of_chat_user_to_state(app):
    handler = _conversation()
    assert hasattr(handler, "_conversations"), moved("ConversationHandler._conversations", "read and set each step")
    conversations = handler._conversations
    for method in ("get", "pop", "__getitem__", "__setitem__", "__contains__", "__delitem__"):
        assert hasattr(conversations, method), moved(f"ConversationHandler._conversations.{method}", "read and set steps")
    assert await _handle(app, handler, 1, "begin")
    # The key is (chat id, user id) for a per-chat, per-user conversation: state.py builds it so.
    assert dict(handler._conversations) == {(CHAT, USER): ASK}, moved(
        "ConversationHandler._conversations (key (chat id, user id) → state)", "know which step a person is at")


async def test_a_step_written_into_conversations_is_the_step_ptb_continues_from(app):
    """Restoring: a state set from the database is where the next message goes; popping it ends the conversation."""
    handler = _conversation()
    assert not await _handle(app, handler, 1, "an answer"), "a stranger's text must not be taken"
    handler._conversations[(CHAT, USER)] = ASK  # what SharedState._apply does after a restart
    assert await _handle(app, handler, 2, "an answer"), moved(
        "ConversationHandler._conversations", "restore a step (PTB no longer reads the state from it)")
    assert handler._conversations.get((CHAT, USER)) == CONFIRM, moved(
        "ConversationHandler._conversations", "read the step after a handler moved it")
    handler._conversations.pop((CHAT, USER), None)
    assert not await _handle(app, handler, 3, "an answer"), moved(
        "ConversationHandler._conversations", "end a conversation by removing its key")


async def test_timeout_jobs_holds_the_timeout_job_of_each_key(app):
    handler = _conversation(timeout=600)
    assert isinstance(getattr(handler, "timeout_jobs", None), dict), moved(
        "ConversationHandler.timeout_jobs", "drop the timeout of an older step")
    assert handler.conversation_timeout == 600, moved("ConversationHandler.conversation_timeout", "skip idle steps")
    await app.job_queue.start()
    try:
        assert await _handle(app, handler, 1, "begin")
        job = handler.timeout_jobs.get((CHAT, USER))
        assert isinstance(job, Job) and callable(getattr(job, "schedule_removal", None)), moved(
            "ConversationHandler.timeout_jobs[(chat id, user id)] (a Job)", "cancel a stale timeout")
        # What state.py does: take the job out and remove it; the restored step then stays.
        handler.timeout_jobs.pop((CHAT, USER)).schedule_removal()
        assert await _handle(app, handler, 2, "an answer")
        assert handler._conversations.get((CHAT, USER)) == CONFIRM
        assert isinstance(handler.timeout_jobs.get((CHAT, USER)), Job), moved(
            "ConversationHandler.timeout_jobs", "find the job PTB set for the new step")
    finally:
        await app.job_queue.stop(wait=False)


async def test_lock_waiters_is_falsy_exactly_when_nobody_waits():
    """state._release forgets a person's lock when `not lock.locked() and not lock._waiters`."""
    lock = asyncio.Lock()
    assert hasattr(lock, "_waiters"), moved("asyncio.Lock._waiters", "forget a lock nobody waits for")
    assert not lock._waiters
    await lock.acquire()
    assert not lock._waiters
    waiter = asyncio.create_task(lock.acquire())
    await asyncio.sleep(0)
    assert lock._waiters, moved("asyncio.Lock._waiters", "see that an update is queued behind the lock")
    lock.release()
    await waiter
    assert lock.locked() and not lock._waiters, moved("asyncio.Lock._waiters", "see the queue is empty again")
    lock.release()
    assert not lock.locked() and not lock._waiters


def test_sessionmaker_kw_bind_is_the_engine():
    """handlers/state.py and turn.py reach the engine of Services.sessionmaker through `.kw["bind"]`."""
    from models.db import make_engine, make_sessionmaker

    engine = make_engine("sqlite+aiosqlite://")
    try:
        assert make_sessionmaker(engine).kw.get("bind") is engine, moved(
            "sqlalchemy async_sessionmaker.kw['bind']", "open its single-read connections on the same engine")
    finally:
        engine.sync_engine.dispose()


def test_docx_run_element_has_rpr_fonts():
    """handlers/meetings/minutes_docx.py sets every script's font through `run._element` (python-docx's oxml)."""
    from docx import Document

    run = Document().add_paragraph().add_run("Biên bản")
    element = getattr(run, "_element", None)
    assert element is not None and hasattr(element, "get_or_add_rPr"), moved(
        "python-docx Run._element.get_or_add_rPr", "set Times New Roman for every script of the minutes")
    assert hasattr(element.get_or_add_rPr(), "get_or_add_rFonts"), moved(
        "python-docx CT_RPr.get_or_add_rFonts", "set Times New Roman for every script of the minutes")
