"""The tables of notices, documents, resolutions and reports, and what every part of the feature shares."""
from __future__ import annotations

__all__ = [
    "BODY_MAX", "DOCUMENT_KINDS", "FILE_KINDS", "NOTICE_DELIVERY", "QUERY_MAX", "RELEASE_BATCH", "REMIND_INTERVAL",
    "REMINDER_DELIVERY", "SCHEDULE_MAX", "SCHEDULE_MIN", "TITLE_MAX", "Notice", "NoticeAudience", "NoticeError",
    "NoticeKind", "NoticeRecipient", "NoticeReminder", "covers",
]

import enum
from datetime import datetime, timedelta

from sqlalchemy import BigInteger, Boolean, Enum, ForeignKey, Index, String, Text, literal
from sqlalchemy.orm import Mapped, mapped_column, relationship
from sqlalchemy.sql import ColumnElement

from .. import clock
from ..base import Base
from ..text import CleanLine, CleanText
from ..units import Unit

NOTICE_DELIVERY = "notice"  # ref_id: Notice.id
REMINDER_DELIVERY = "notice_reminder"  # ref_id: NoticeReminder.id
TITLE_MAX = 200
BODY_MAX = 4096  # what one Telegram message from the sender can hold
QUERY_MAX = 100
REMIND_INTERVAL = timedelta(minutes=10)
SCHEDULE_MAX = timedelta(days=366)
SCHEDULE_MIN = timedelta(minutes=1)
RELEASE_BATCH = 20


class NoticeKind(str, enum.Enum):
    notice = "notice"  # thông báo
    document = "document"  # văn bản
    resolution = "resolution"  # nghị quyết
    report = "report"  # báo cáo


DOCUMENT_KINDS = (NoticeKind.document, NoticeKind.resolution)
FILE_KINDS = ("document", "photo")


class Notice(Base):
    __tablename__ = "notices"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[NoticeKind] = mapped_column(Enum(NoticeKind, native_enum=False, length=20))
    # The issuing unit: the sender's cell or committee; its documents are its members' documents.
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id", ondelete="RESTRICT"), index=True)
    sender_member_id: Mapped[int | None] = mapped_column(ForeignKey("members.id", ondelete="SET NULL"), index=True)
    title: Mapped[str] = mapped_column(CleanLine(TITLE_MAX))
    body: Mapped[str] = mapped_column(CleanText)
    # Title and text folded (lower case, no diacritics): "nghi quyet" finds "Nghị quyết" on every backend.
    search_text: Mapped[str] = mapped_column(Text)
    file_id: Mapped[str | None] = mapped_column(String(255))  # re-sent by file_id, never re-uploaded
    file_kind: Mapped[str | None] = mapped_column(String(20))  # "document" or "photo"
    file_name: Mapped[str | None] = mapped_column(CleanLine(255))
    study_required: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(default=clock.now)
    send_at: Mapped[datetime] = mapped_column(default=clock.now)
    dispatched_at: Mapped[datetime | None] = mapped_column(index=True)
    # The sender's live status message, edited as deliveries and reads come in.
    status_chat_id: Mapped[int | None] = mapped_column(BigInteger)
    status_message_id: Mapped[int | None] = mapped_column(BigInteger)

    unit: Mapped[Unit] = relationship(lazy="raise")

    @property
    def is_document(self) -> bool:
        return self.kind in DOCUMENT_KINDS


class NoticeAudience(Base):
    """A unit the notice was sent to: every cell under it."""

    __tablename__ = "notice_audience"

    notice_id: Mapped[int] = mapped_column(ForeignKey("notices.id", ondelete="CASCADE"), primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id", ondelete="CASCADE"), primary_key=True, index=True)


class NoticeRecipient(Base):
    """A member the notice was addressed to when it was sent, and what they did with it."""

    __tablename__ = "notice_recipients"
    __table_args__ = (Index("ix_notice_recipients_member", "member_id", "notice_id"),)

    notice_id: Mapped[int] = mapped_column(ForeignKey("notices.id", ondelete="CASCADE"), primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"), primary_key=True)
    read_at: Mapped[datetime | None] = mapped_column()
    studied_at: Mapped[datetime | None] = mapped_column()


class NoticeReminder(Base):
    """One press of "remind those who have not read": its deliveries point here."""

    __tablename__ = "notice_reminders"

    id: Mapped[int] = mapped_column(primary_key=True)
    notice_id: Mapped[int] = mapped_column(ForeignKey("notices.id", ondelete="CASCADE"), index=True)
    by_member_id: Mapped[int | None] = mapped_column(ForeignKey("members.id", ondelete="SET NULL"))
    at: Mapped[datetime] = mapped_column(default=clock.now)


class NoticeError(ValueError):
    """A notice that cannot be made; `reason` names why (a catalog key suffix)."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


def covers(cell_path: str) -> ColumnElement[bool]:
    """SQL: an audience unit whose subtree holds the cell at `cell_path`."""
    return literal(cell_path).startswith(Unit.path)
