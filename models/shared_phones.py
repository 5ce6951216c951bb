"""A phone number two members would share after an import: a warning, never a refusal.

Linking by contact (accounts.link_by_phone) only works when the number matches one member, so a
number given to two members quietly blocks it for both (the real owner included). Couples do share
a phone, so the import goes ahead; the secretary is told which rows (or which member already in the
handbook) hold the same number, to send those members an invite code instead. The number itself is
never part of the warning, nor of any log line.
"""
from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Protocol

from sqlalchemy import Row, select
from sqlalchemy.ext.asyncio import AsyncSession

from .members import Member
from .units import Unit

LOOKUP_CHUNK = 900


class _Row(Protocol):  # importer.MemberRow, as checked, placed and matched
    row: int
    phone: str | None
    member_id: int | None


@dataclass(frozen=True)
class SharedPhone:
    """Row `row` of `sheet` has the number of `other_row` of the same sheet, or of a member in the handbook.

    That member is named by card number (`other_card`), else by name, when the importer may see them;
    `elsewhere` when they belong to a unit outside the importer's, and are not named.
    """

    sheet: str
    row: int
    other_row: int | None = None
    other_card: str | None = None
    other_name: str | None = None
    elsewhere: bool = False


async def shared_phones(session: AsyncSession, sheet: str, rows: Iterable[_Row],
                        within_path: str | None) -> list[SharedPhone]:
    """Every row whose number an earlier row or another member already has (rows of the same member aside)."""
    by_phone: dict[str, list[_Row]] = defaultdict(list)
    for row in rows:
        if row.phone:
            by_phone[row.phone].append(row)
    warnings = [SharedPhone(sheet, row.row, other_row=same[0].row)
                for same in by_phone.values() for row in same[1:]]
    # A member the file names takes the file's number (or none): their stored one no longer counts.
    in_file = {r.member_id for same in by_phone.values() for r in same if r.member_id is not None}
    for holder in await _holders(session, sorted(by_phone)):
        if holder.id in in_file:
            continue
        row = by_phone[holder.phone][0]
        if within_path is not None and not holder.path.startswith(within_path):
            warnings.append(SharedPhone(sheet, row.row, elsewhere=True))
        else:
            warnings.append(SharedPhone(sheet, row.row, other_card=holder.card_number,
                                        other_name=None if holder.card_number else holder.full_name))
    warnings.sort(key=lambda w: (w.row, w.other_row or 0))
    return warnings


async def _holders(session: AsyncSession, phones: Sequence[str]) -> list[Row[int, str | None, str | None, str, str]]:
    found: list[Row[int, str | None, str | None, str, str]] = []
    for start in range(0, len(phones), LOOKUP_CHUNK):
        stmt = (
            select(Member.id, Member.phone, Member.card_number, Member.full_name, Unit.path)
            .join(Unit, Unit.id == Member.cell_id)
            .where(Member.phone.in_(phones[start:start + LOOKUP_CHUNK]))
            .order_by(Member.id)
        )
        found.extend(await session.execute(stmt))
    return found
