"""Notices, documents, resolutions and reports a committee sends to the members below it.

A notice is issued by a unit (the sender's cell or committee) to an audience of units; at send
time (now, or at the time the sender scheduled) the audience is resolved from the unit tree into
recipients — every member of every cell under those units, the sender excepted — and one delivery
per recipient with a Telegram account goes into the outbox. Recipients confirm "read", and for a
resolution marked for study, "studied". No Telegram here.

tables.py: the tables; sending.py: making and sending; receipts.py: read and studied, the sender's
status, reminders; lists.py: what members and officers list. Every public name is here too.
"""
from __future__ import annotations

from .lists import (
    Listed,
    Page,
    audience_cells,
    audience_size,
    documents,
    inbox,
    is_recipient,
    sent_from,
    unreachable_member,
)
from .receipts import (
    CellRate,
    Confirmed,
    NoticeStatus,
    Reminded,
    Unread,
    addressee,
    mark_read,
    mark_studied,
    notice_of_reminder,
    rates_by_cell,
    remind_unread,
    status,
    unread,
)
from .sending import (
    Attachment,
    Dispatched,
    create_notice,
    dispatch,
    get_notice,
    issuing_unit_id,
    parse_send_at,
    release_due,
    set_status_message,
)
from .tables import (
    BODY_MAX,
    DOCUMENT_KINDS,
    FILE_KINDS,
    NOTICE_DELIVERY,
    QUERY_MAX,
    RELEASE_BATCH,
    REMIND_INTERVAL,
    REMINDER_DELIVERY,
    SCHEDULE_MAX,
    SCHEDULE_MIN,
    TITLE_MAX,
    Notice,
    NoticeAudience,
    NoticeError,
    NoticeKind,
    NoticeRecipient,
    NoticeReminder,
    covers,
)

__all__ = [
    "Attachment",
    "BODY_MAX",
    "CellRate",
    "Confirmed",
    "DOCUMENT_KINDS",
    "Dispatched",
    "FILE_KINDS",
    "Listed",
    "NOTICE_DELIVERY",
    "Notice",
    "NoticeAudience",
    "NoticeError",
    "NoticeKind",
    "NoticeRecipient",
    "NoticeReminder",
    "NoticeStatus",
    "Page",
    "QUERY_MAX",
    "RELEASE_BATCH",
    "REMINDER_DELIVERY",
    "REMIND_INTERVAL",
    "Reminded",
    "SCHEDULE_MAX",
    "SCHEDULE_MIN",
    "TITLE_MAX",
    "Unread",
    "addressee",
    "audience_cells",
    "audience_size",
    "covers",
    "create_notice",
    "dispatch",
    "documents",
    "get_notice",
    "inbox",
    "is_recipient",
    "issuing_unit_id",
    "mark_read",
    "mark_studied",
    "notice_of_reminder",
    "parse_send_at",
    "rates_by_cell",
    "release_due",
    "remind_unread",
    "sent_from",
    "set_status_message",
    "status",
    "unreachable_member",
    "unread",
]
