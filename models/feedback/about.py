"""What an item can be about: "general", or one of the meetings, notices and votes the member can see.
The features that own those records register themselves as sources (no import cycle)."""
from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from .. import clock
from ..dates import VIETNAM, format_date
from .tables import GENERAL

if TYPE_CHECKING:
    from ..meetings import Meeting  # a type only: the features are imported where they are used

# --- what an item can be about ---------------------------------------------------------------


@dataclass(frozen=True)
class AboutSource:
    """A feature whose records members may write about (meetings, notices, votes).

    `latest(session, member_id, cell_id, limit)` lists (id, title) of the newest ones that
    member can see; `title(session, id)` is a record's title (None: no such record);
    `visible(session, id, member_id, cell_id)` says whether that member could see it.
    """

    kind: str
    latest: Callable[[AsyncSession, int, int, int], Awaitable[list[tuple[int, str]]]]
    title: Callable[[AsyncSession, int], Awaitable[str | None]]
    visible: Callable[[AsyncSession, int, int, int], Awaitable[bool]]


ABOUT_SOURCES: dict[str, AboutSource] = {}
ABOUT_KINDS = ("meeting", "notice", "vote")


def register_about_source(source: AboutSource) -> None:
    """Called by the meetings, notices and votes features once they exist."""
    if source.kind not in ABOUT_KINDS:
        raise ValueError(f"unknown about kind {source.kind!r}")
    ABOUT_SOURCES[source.kind] = source


@dataclass(frozen=True)
class About:
    kind: str = GENERAL
    id: int | None = None
    title: str | None = None


async def about_choices(session: AsyncSession, member_id: int, cell_id: int, per_kind: int = 2) -> list[About]:
    """"General" first, then the latest meetings, notices and votes the member can see, where those exist."""
    choices = [About()]
    for kind in ABOUT_KINDS:
        source = ABOUT_SOURCES.get(kind)
        if source is None:
            continue
        for ref_id, title in await source.latest(session, member_id, cell_id, per_kind):
            choices.append(About(kind, ref_id, title))
    return choices


async def about_title(session: AsyncSession, kind: str, ref_id: int | None) -> str | None:
    source = ABOUT_SOURCES.get(kind)
    if source is None or ref_id is None:
        return None
    return await source.title(session, ref_id)


async def about_visible(session: AsyncSession, kind: str, ref_id: int | None, member_id: int, cell_id: int) -> bool:
    source = ABOUT_SOURCES.get(kind)
    if source is None or ref_id is None:
        return False
    return await source.visible(session, ref_id, member_id, cell_id)


# The features that exist today; each imports its own module only when asked (no import cycle).
MEETING_WINDOW = (timedelta(days=62), timedelta(days=31))  # recently held, or coming soon


async def _meetings_latest(session: AsyncSession, member_id: int, cell_id: int, limit: int) -> list[tuple[int, str]]:
    from ..meetings import Meeting, MeetingState

    now = clock.now()
    rows = await session.scalars(
        select(Meeting)
        .where(Meeting.cell_id == cell_id, Meeting.state != MeetingState.cancelled,
               Meeting.starts_at >= now - MEETING_WINDOW[0], Meeting.starts_at <= now + MEETING_WINDOW[1])
        .order_by(Meeting.starts_at.desc(), Meeting.id.desc())
        .limit(limit)
    )
    return [(m.id, _meeting_title(m)) for m in rows.all()]


def _meeting_title(meeting: Meeting) -> str:
    return f"{meeting.title} ({format_date(meeting.starts_at.astimezone(VIETNAM))})"


async def _meetings_title(session: AsyncSession, ref_id: int) -> str | None:
    from ..meetings import Meeting

    meeting = await session.get(Meeting, ref_id)
    return _meeting_title(meeting) if meeting else None


async def _meetings_visible(session: AsyncSession, ref_id: int, member_id: int, cell_id: int) -> bool:
    from ..meetings import Meeting, MeetingState

    meeting = await session.get(Meeting, ref_id)
    return meeting is not None and meeting.cell_id == cell_id and meeting.state is not MeetingState.cancelled


register_about_source(AboutSource("meeting", _meetings_latest, _meetings_title, _meetings_visible))

