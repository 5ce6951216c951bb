"""Members write back: ideas, questions and opinions to their cell, and the cell's replies.

Anonymity is structural, not a flag that hides a column: an anonymous item has no member on
it at all. The reply finds its way back through a thread row holding the member's chat id
sealed with a key that is in neither the database nor the bot's token (HANDBOOK_SEAL_KEY, see
models/sealing.py), and that row is deleted as soon as the reply is delivered or the item closed.
The hourly limit is counted in a table keyed by an HMAC of (member, minute) under a key of the
day derived from the same secret, and its rows are deleted once out of the hour, so the count
never says which member wrote which item either.

tables.py: the tables and their words; about.py: what an item can be about; sending.py: a member
sends; handling.py: reading, answering, closing; sweeps.py: what is still to be told or sent;
digests.py: the digest before a meeting.
"""
from __future__ import annotations

from ..sealing import seal_chat, unseal_chat
from .about import (
    ABOUT_KINDS,
    ABOUT_SOURCES,
    MEETING_WINDOW,
    About,
    AboutSource,
    about_choices,
    about_title,
    about_visible,
    register_about_source,
)
from .digests import (
    STOP_PHRASES,
    STOP_WORDS,
    Digest,
    DigestGroup,
    about_refs,
    digest,
    local_month,
    month_bounds,
    recurring_terms,
)
from .handling import (
    CellCounts,
    ItemView,
    NotAllowed,
    ReplyRefusal,
    ReplyRefused,
    add_reply,
    close_item,
    count_status,
    counts_by_cell,
    item_and_cell,
    list_items,
    may_handle,
    open_item,
    own_items,
    replies_of,
    waiting_for,
)
from .sending import Draft, FeedbackRefused, Refusal, check_draft, purge_rates, recent_count, submit
from .sweeps import (
    REPLY_RETRY_FOR,
    PendingReply,
    Recipient,
    cell_officers,
    claim_undelivered,
    claim_unnotified,
    finish_delivery,
    reseal_legacy,
)
from .tables import (
    GENERAL,
    MAX_TEXT,
    MAX_VOICE_SECONDS,
    RATE_LIMIT,
    RATE_WINDOW,
    STATUSES,
    FeedbackItem,
    FeedbackKind,
    FeedbackRate,
    FeedbackReply,
    FeedbackStatus,
    FeedbackThread,
)

__all__ = [
    "seal_chat", "unseal_chat",
    "ABOUT_KINDS", "ABOUT_SOURCES", "MEETING_WINDOW", "About", "AboutSource", "about_choices", "about_title",
    "about_visible", "register_about_source",
    "STOP_PHRASES", "STOP_WORDS", "Digest", "DigestGroup", "about_refs", "digest", "local_month", "month_bounds",
    "recurring_terms",
    "CellCounts", "ItemView", "NotAllowed", "ReplyRefusal", "ReplyRefused", "add_reply", "close_item", "count_status", "waiting_for",
    "counts_by_cell", "item_and_cell", "list_items", "may_handle", "open_item", "own_items", "replies_of",
    "Draft", "FeedbackRefused", "Refusal", "check_draft", "purge_rates", "recent_count", "submit",
    "REPLY_RETRY_FOR", "PendingReply", "Recipient", "cell_officers", "claim_undelivered", "claim_unnotified",
    "finish_delivery", "reseal_legacy",
    "GENERAL", "MAX_TEXT", "MAX_VOICE_SECONDS", "RATE_LIMIT", "RATE_WINDOW", "STATUSES", "FeedbackItem", "FeedbackKind",
    "FeedbackRate", "FeedbackReply", "FeedbackStatus", "FeedbackThread",
]
