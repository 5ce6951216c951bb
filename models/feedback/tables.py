"""Feedback's tables and the words they are made of: an item, its replies, the sealed way back of an
anonymous one, and the unnamed hourly counts."""
from __future__ import annotations

import enum
from datetime import datetime, timedelta

from sqlalchemy import Boolean, CheckConstraint, Enum, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from .. import clock
from ..base import Base
from ..text import CleanText

MAX_TEXT = 4000
MAX_VOICE_SECONDS = 5 * 60
RATE_LIMIT = 10
RATE_WINDOW = timedelta(hours=1)
GENERAL = "general"


class FeedbackStatus(str, enum.Enum):
    new = "new"  # mới
    seen = "seen"  # đã xem
    answered = "answered"  # đã trả lời
    closed = "closed"  # đã đóng


STATUSES = tuple(FeedbackStatus)


class FeedbackKind(str, enum.Enum):
    text = "text"
    voice = "voice"
    photo = "photo"


class FeedbackItem(Base):
    __tablename__ = "feedback_items"
    __table_args__ = (
        # An anonymous item carries no member, whatever the code that wrote it intended.
        CheckConstraint("NOT anonymous OR member_id IS NULL", name="anonymous_has_no_member"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    cell_id: Mapped[int] = mapped_column(ForeignKey("units.id", ondelete="RESTRICT"), index=True)
    member_id: Mapped[int | None] = mapped_column(ForeignKey("members.id", ondelete="SET NULL"), index=True)
    anonymous: Mapped[bool] = mapped_column(Boolean, default=False)
    kind: Mapped[FeedbackKind] = mapped_column(Enum(FeedbackKind, native_enum=False, length=10))
    body: Mapped[str | None] = mapped_column(CleanText)  # the text, or a photo's caption
    file_id: Mapped[str | None] = mapped_column(String(250))  # Telegram's id of the voice or photo
    duration: Mapped[int | None] = mapped_column(Integer)  # seconds of a voice message
    # What it is about, generically: ("general", None), ("meeting", 12), ("notice", 3), ("vote", 7).
    about_kind: Mapped[str] = mapped_column(String(20), default=GENERAL)
    about_id: Mapped[int | None] = mapped_column(Integer)
    status: Mapped[FeedbackStatus] = mapped_column(
        Enum(FeedbackStatus, native_enum=False, length=10), default=FeedbackStatus.new, index=True
    )
    created_at: Mapped[datetime] = mapped_column(default=clock.now, index=True)
    notified_at: Mapped[datetime | None] = mapped_column(index=True)  # the secretaries were told
    seen_at: Mapped[datetime | None] = mapped_column()
    closed_at: Mapped[datetime | None] = mapped_column()
    closed_by_member_id: Mapped[int | None] = mapped_column(ForeignKey("members.id", ondelete="SET NULL"))


class FeedbackReply(Base):
    __tablename__ = "feedback_replies"

    id: Mapped[int] = mapped_column(primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("feedback_items.id", ondelete="CASCADE"), index=True)
    body: Mapped[str] = mapped_column(CleanText)
    replied_by_member_id: Mapped[int | None] = mapped_column(ForeignKey("members.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=clock.now)
    # Claimed for delivery (or delivered); NULL: still to be sent. The sweep is the only sender.
    delivered_at: Mapped[datetime | None] = mapped_column(index=True)
    undeliverable: Mapped[bool] = mapped_column(Boolean, default=False)


class FeedbackThread(Base):
    """The way back to the author of an anonymous item; deleted once the reply is delivered."""

    __tablename__ = "feedback_threads"

    item_id: Mapped[int] = mapped_column(
        ForeignKey("feedback_items.id", ondelete="CASCADE"), primary_key=True, autoincrement=False
    )
    sealed_chat: Mapped[str] = mapped_column(String(80))
    created_at: Mapped[datetime] = mapped_column(default=clock.now)


class FeedbackRate(Base):
    """How many items one (unnamed) member sent in one minute: HMAC(key, member, minute) → count."""

    __tablename__ = "feedback_rate"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    minute: Mapped[datetime] = mapped_column(index=True)
    count: Mapped[int] = mapped_column(Integer, default=0)

