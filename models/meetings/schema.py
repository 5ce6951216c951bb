"""The tables of cell meetings, their states and limits, and the error every rule raises. No queries here."""
from __future__ import annotations

__all__ = [
    "AGENDA_MAX", "CHANGE_DELIVERY", "CONTENT_MAX", "CYCLE", "DECISION_MAX", "DECISIONS_MAX", "DEFAULT_REMINDERS",
    "DOCUMENTS_MAX", "MEETING_DELIVERY", "NAME_MAX", "PLACE_MAX", "REASON_MAX", "RELEASE_BATCH", "REMINDER_DELIVERY",
    "ROLL_CALL_OPENS", "SCHEDULE_MAX", "SCHEDULE_MIN", "TITLE_MAX", "Answer", "Attendance", "ChangeKind", "Meeting",
    "MeetingChange", "MeetingDecision", "MeetingDocument", "MeetingError", "MeetingKind", "MeetingReminder",
    "MeetingRsvp", "MeetingState", "Presence", "ReminderState", "TEMPLATE_PARTS_MAX", "TEMPLATE_PART_MAX", "AgendaTemplate",
]

import enum
from datetime import datetime, timedelta

from sqlalchemy import BigInteger, Boolean, Enum, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .. import clock
from ..base import Base
from ..text import CleanLine, CleanLineText, CleanText
from ..units import Unit

# Delivery kinds (models/deliveries.py): what the dispatcher renders for each.
MEETING_DELIVERY = "meeting"  # ref_id: Meeting.id — the notice with the answer buttons
REMINDER_DELIVERY = "meeting_reminder"  # ref_id: MeetingReminder.id
CHANGE_DELIVERY = "meeting_change"  # ref_id: MeetingChange.id — moved or cancelled

TITLE_MAX = 200
PLACE_MAX = 200
AGENDA_MAX = 2000  # the notice (title, time, place, agenda) must fit one Telegram message
CONTENT_MAX = 4000
DECISION_MAX = 500
DECISIONS_MAX = 30
REASON_MAX = 300
NAME_MAX = 200
DOCUMENTS_MAX = 5
TEMPLATE_PARTS_MAX = 15  # parts of an agenda template, one a line
TEMPLATE_PART_MAX = 200
SCHEDULE_MIN = timedelta(minutes=1)
SCHEDULE_MAX = timedelta(days=366)
# The roll-call opens this long before the start (members arrive early; the secretary prepares).
ROLL_CALL_OPENS = timedelta(hours=1)
DEFAULT_REMINDERS = ("3d", "1d", "2h")
RELEASE_BATCH = 200


class MeetingKind(str, enum.Enum):
    regular = "regular"  # sinh hoạt thường kỳ
    thematic = "thematic"  # sinh hoạt chuyên đề
    committee = "committee"  # họp cấp ủy (chi ủy)
    review = "review"  # họp kiểm điểm cuối năm: the cell's appraisal of its members (models/review, issue 16)


class MeetingState(str, enum.Enum):
    scheduled = "scheduled"
    cancelled = "cancelled"
    closed = "closed"  # held, content and decisions recorded


class Answer(str, enum.Enum):
    attend = "attend"  # ✅ Tôi sẽ tham dự
    absent = "absent"  # 🙏 Vắng, có lý do


class Presence(str, enum.Enum):
    present = "present"  # có mặt
    excused = "excused"  # vắng có lý do
    unexcused = "unexcused"  # vắng không lý do
    exempt = "exempt"  # miễn sinh hoạt


# What a tap on a member's roll-call button does next (unmarked → present first).
CYCLE = {None: Presence.present, Presence.present: Presence.excused, Presence.excused: Presence.unexcused,
         Presence.unexcused: Presence.exempt, Presence.exempt: Presence.present}


class ReminderState(str, enum.Enum):
    pending = "pending"
    sent = "sent"  # its deliveries are queued
    dropped = "dropped"  # fell due when the meeting had begun, or a later reminder superseded it
    cancelled = "cancelled"  # the meeting was moved or cancelled


class ChangeKind(str, enum.Enum):
    moved = "moved"
    cancelled = "cancelled"


class Meeting(Base):
    __tablename__ = "meetings"
    __table_args__ = (Index("ix_meetings_cell_starts", "cell_id", "starts_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    cell_id: Mapped[int] = mapped_column(ForeignKey("units.id", ondelete="RESTRICT"))
    kind: Mapped[MeetingKind] = mapped_column(Enum(MeetingKind, native_enum=False, length=20))
    title: Mapped[str] = mapped_column(CleanLine(TITLE_MAX))
    starts_at: Mapped[datetime] = mapped_column(index=True)
    place: Mapped[str] = mapped_column(CleanLine(PLACE_MAX))
    agenda: Mapped[str] = mapped_column(CleanText, default="")
    state: Mapped[MeetingState] = mapped_column(
        Enum(MeetingState, native_enum=False, length=20), default=MeetingState.scheduled
    )
    created_by_member_id: Mapped[int | None] = mapped_column(ForeignKey("members.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=clock.now)
    updated_at: Mapped[datetime] = mapped_column(default=clock.now)
    cancelled_at: Mapped[datetime | None] = mapped_column()
    # After the meeting: what was discussed, who chaired and who kept the minutes.
    content: Mapped[str | None] = mapped_column(CleanText)
    chair_name: Mapped[str | None] = mapped_column(CleanLine(NAME_MAX))
    recorder_name: Mapped[str | None] = mapped_column(CleanLine(NAME_MAX))
    roll_call_at: Mapped[datetime | None] = mapped_column()  # when the roll-call was opened
    # When it began: the roll-call's opening, or the scheduled start if the roll was opened early.
    started_at: Mapped[datetime | None] = mapped_column()
    closed_at: Mapped[datetime | None] = mapped_column()
    ended_at: Mapped[datetime | None] = mapped_column()  # closed at the table: the closing time
    closed_by_member_id: Mapped[int | None] = mapped_column(ForeignKey("members.id", ondelete="SET NULL"))
    # Counts kept with the meeting (recounted on every mark): reports read these, not every row.
    member_count: Mapped[int] = mapped_column(Integer, default=0)
    present_count: Mapped[int] = mapped_column(Integer, default=0)
    excused_count: Mapped[int] = mapped_column(Integer, default=0)
    unexcused_count: Mapped[int] = mapped_column(Integer, default=0)
    exempt_count: Mapped[int] = mapped_column(Integer, default=0)
    # The approved minutes: a snapshot of what was approved, and the Word file sent.
    minutes_json: Mapped[str | None] = mapped_column(Text)
    minutes_approved_at: Mapped[datetime | None] = mapped_column()
    minutes_approved_by_member_id: Mapped[int | None] = mapped_column(ForeignKey("members.id", ondelete="SET NULL"))
    minutes_file_id: Mapped[str | None] = mapped_column(String(255))
    # The narrative sections as prose written by the optional language model, chosen by the secretary
    # (models.minutes.choose_prose): JSON with the digest of the facts it was written from.
    minutes_prose: Mapped[str | None] = mapped_column(Text)
    # The secretary's live status message (answers), edited as members answer.
    status_chat_id: Mapped[int | None] = mapped_column(BigInteger)
    status_message_id: Mapped[int | None] = mapped_column(BigInteger)

    cell: Mapped[Unit] = relationship(lazy="raise")
    documents: Mapped[list[MeetingDocument]] = relationship(
        cascade="all, delete-orphan", order_by="MeetingDocument.position_no", lazy="raise"
    )
    decisions: Mapped[list[MeetingDecision]] = relationship(
        cascade="all, delete-orphan", order_by="MeetingDecision.position_no", lazy="raise"
    )

    @property
    def is_open(self) -> bool:
        return self.state is MeetingState.scheduled


class MeetingDocument(Base):
    """A file sent with the notice (by file_id: uploaded once, re-sent to everyone)."""

    __tablename__ = "meeting_documents"

    id: Mapped[int] = mapped_column(primary_key=True)
    meeting_id: Mapped[int] = mapped_column(ForeignKey("meetings.id", ondelete="CASCADE"), index=True)
    position_no: Mapped[int] = mapped_column(Integer, default=0)
    file_id: Mapped[str] = mapped_column(String(255))
    file_kind: Mapped[str] = mapped_column(String(20))  # "document" or "photo"
    file_name: Mapped[str | None] = mapped_column(CleanLine(255))


class MeetingDecision(Base):
    """One decision (nghị quyết, kết luận) of the meeting, one line each."""

    __tablename__ = "meeting_decisions"

    id: Mapped[int] = mapped_column(primary_key=True)
    meeting_id: Mapped[int] = mapped_column(ForeignKey("meetings.id", ondelete="CASCADE"), index=True)
    position_no: Mapped[int] = mapped_column(Integer, default=0)
    text: Mapped[str] = mapped_column(CleanLineText)


class MeetingRsvp(Base):
    """A member's answer to the notice; `by_proxy` when the secretary recorded it for them, `on_paper`
    when that proxy answer was given on the printed invitation (handlers/printing.py)."""

    __tablename__ = "meeting_rsvps"

    meeting_id: Mapped[int] = mapped_column(ForeignKey("meetings.id", ondelete="CASCADE"), primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"), primary_key=True)
    answer: Mapped[Answer] = mapped_column(Enum(Answer, native_enum=False, length=10))
    reason: Mapped[str | None] = mapped_column(CleanLine(REASON_MAX))
    answered_at: Mapped[datetime] = mapped_column(default=clock.now)
    recorded_by_member_id: Mapped[int | None] = mapped_column(ForeignKey("members.id", ondelete="SET NULL"))
    by_proxy: Mapped[bool] = mapped_column(Boolean, default=False)
    on_paper: Mapped[bool] = mapped_column(Boolean, default=False)


class Attendance(Base):
    """A member on the roll of a meeting; status None until marked."""

    __tablename__ = "attendance"
    __table_args__ = (Index("ix_attendance_member", "member_id", "meeting_id"),)

    meeting_id: Mapped[int] = mapped_column(ForeignKey("meetings.id", ondelete="CASCADE"), primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"), primary_key=True)
    status: Mapped[Presence | None] = mapped_column(Enum(Presence, native_enum=False, length=12))
    reason: Mapped[str | None] = mapped_column(CleanLine(REASON_MAX))
    recorded_at: Mapped[datetime | None] = mapped_column()
    recorded_by_member_id: Mapped[int | None] = mapped_column(ForeignKey("members.id", ondelete="SET NULL"))


class MeetingReminder(Base):
    __tablename__ = "meeting_reminders"
    __table_args__ = (Index("ix_meeting_reminders_due", "state", "due_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    meeting_id: Mapped[int] = mapped_column(ForeignKey("meetings.id", ondelete="CASCADE"), index=True)
    label: Mapped[str] = mapped_column(String(10))  # "3d", "1d", "2h": how long before the start
    due_at: Mapped[datetime] = mapped_column()
    state: Mapped[ReminderState] = mapped_column(
        Enum(ReminderState, native_enum=False, length=12), default=ReminderState.pending
    )
    done_at: Mapped[datetime | None] = mapped_column()


class MeetingChange(Base):
    """A move or a cancellation, told to every member: its deliveries point here."""

    __tablename__ = "meeting_changes"

    id: Mapped[int] = mapped_column(primary_key=True)
    meeting_id: Mapped[int] = mapped_column(ForeignKey("meetings.id", ondelete="CASCADE"), index=True)
    kind: Mapped[ChangeKind] = mapped_column(Enum(ChangeKind, native_enum=False, length=12))
    old_starts_at: Mapped[datetime] = mapped_column()
    new_starts_at: Mapped[datetime | None] = mapped_column()
    old_place: Mapped[str | None] = mapped_column(CleanLine(PLACE_MAX))
    new_place: Mapped[str | None] = mapped_column(CleanLine(PLACE_MAX))
    by_member_id: Mapped[int | None] = mapped_column(ForeignKey("members.id", ondelete="SET NULL"))
    at: Mapped[datetime] = mapped_column(default=clock.now)


class AgendaTemplate(Base):
    """A cell's own agenda template for its regular meetings (none: the parts of models/rules/meetings_hd42.toml)."""

    __tablename__ = "agenda_templates"

    cell_id: Mapped[int] = mapped_column(ForeignKey("units.id", ondelete="CASCADE"), primary_key=True)
    parts: Mapped[str] = mapped_column(CleanText)  # one part a line
    updated_at: Mapped[datetime] = mapped_column(default=clock.now)
    updated_by_member_id: Mapped[int | None] = mapped_column(ForeignKey("members.id", ondelete="SET NULL"))


class MeetingError(ValueError):
    """What cannot be done; `reason` names why (a catalog key suffix)."""

    def __init__(self, reason: str, **details: object) -> None:
        super().__init__(reason)
        self.reason = reason
        self.details = details

