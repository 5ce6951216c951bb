"""Party members and the parts of their profile."""
from __future__ import annotations

import enum
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from functools import cache
from typing import TYPE_CHECKING, Any, Protocol

from sqlalchemy import (
    Boolean,
    Date,
    Enum,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    bindparam,
    case,
    cast,
    func,
    literal_column,
    null,
    or_,
    select,
    union_all,
)
from sqlalchemy.engine import Row
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.ext.hybrid import hybrid_property
from sqlalchemy.orm import Mapped, QueryableAttribute, joinedload, mapped_column, relationship, selectinload, validates
from sqlalchemy.sql.elements import BindParameter, Cast, ColumnElement, Label
from sqlalchemy.sql.selectable import CompoundSelect, Select

from . import clock
from .base import Base
from .callback_data import as_id
from .collation import KEY_LENGTH, name_key
from .roles import Role, RoleKind
from .text import CleanLine, CleanText, clean_line, fold
from .units import Unit, path_ids

# A folded name can be longer than the name ("ß" is "ss", a Hangul syllable three letters): the key is cut there.
SEARCH_LENGTH = 400


def search_key(full_name: str | None) -> str:
    """members.search_name: the name as a search compares it."""
    return fold(full_name)[:SEARCH_LENGTH]


class Gender(str, enum.Enum):
    male = "male"
    female = "female"


class DisciplineForm(str, enum.Enum):
    reprimand = "reprimand"  # khiển trách
    warning = "warning"  # cảnh cáo
    removal = "removal"  # cách chức
    expulsion = "expulsion"  # khai trừ


class _InsertContext(Protocol):
    """What a column default gets (SQLAlchemy's DefaultExecutionContext, whose method has no annotations)."""

    def get_current_parameters(self, isolate_multiinsert_groups: bool = True) -> dict[str, Any]: ...


def _sort_name_default(context: _InsertContext) -> str:
    """Filled on every INSERT, the importer's bulk ones included."""
    return name_key(clean_line(context.get_current_parameters().get("full_name")))


def _search_name_default(context: _InsertContext) -> str:
    """Filled on every INSERT, the importer's bulk ones included."""
    return search_key(context.get_current_parameters().get("full_name"))


class Member(Base):
    __tablename__ = "members"
    __table_args__ = (Index("ix_members_cell_id_sort_name", "cell_id", "sort_name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    full_name: Mapped[str] = mapped_column(CleanLine(200))
    # Vietnamese order of names (models/collation.py), kept with the name: lists sort and page on it.
    sort_name: Mapped[str] = mapped_column(String(KEY_LENGTH), default=_sort_name_default, server_default="")
    # The name folded (models/text.py fold: no case, no diacritics, đ as d): what a search by name compares,
    # alike on both backends (SQLite's lower() folds ASCII only, so "ĐẶNG" would never find "Đặng").
    # No index: a search looks for the words anywhere in the name (LIKE '%…%'), which no B-tree serves.
    search_name: Mapped[str] = mapped_column(String(SEARCH_LENGTH), default=_search_name_default, server_default="")
    birth_date: Mapped[date | None] = mapped_column(Date)
    gender: Mapped[Gender | None] = mapped_column(Enum(Gender, native_enum=False, length=10))
    # E.164 ("+84905111222"); one format so "0905 111 222" matches too.
    phone: Mapped[str | None] = mapped_column(String(20), index=True)
    card_number: Mapped[str | None] = mapped_column(CleanLine(40), unique=True)
    joined_on: Mapped[date | None] = mapped_column(Date)
    # Empty means probationary (dự bị): no ballot on resolutions (Charter art. 3).
    official_on: Mapped[date | None] = mapped_column(Date)
    # The admission ceremony (lễ kết nạp), when recorded: probation's month 12 counts from it (models/probation.py).
    ceremony_on: Mapped[date | None] = mapped_column(Date)
    # The date of death, when the committee recorded it (models/badge_awards.py): a badge may then be given
    # posthumously; the badge lists leave the member out.
    deceased_on: Mapped[date | None] = mapped_column(Date)
    cell_id: Mapped[int] = mapped_column(ForeignKey("units.id", ondelete="RESTRICT"), index=True)
    position: Mapped[str | None] = mapped_column(CleanLine(200))
    address: Mapped[str | None] = mapped_column(CleanLine(300))
    exempt: Mapped[bool] = mapped_column(Boolean, default=False)
    # Suspended from party activities (đình chỉ sinh hoạt đảng) since this day, as the cell's secretary or a
    # committee recorded it (models/suspension.py, audited); None: not suspended. The year-end review leaves a
    # suspended member out (models/rules/review_*.toml, exempt.suspended).
    suspended_on: Mapped[date | None] = mapped_column(Date)
    created_at: Mapped[datetime | None] = mapped_column(default=clock.now)

    cell: Mapped[Unit] = relationship(lazy="raise")
    work_history: Mapped[list[WorkHistory]] = relationship(
        back_populates="member", cascade="all, delete-orphan", order_by="WorkHistory.position_no", lazy="raise"
    )
    awards: Mapped[list[Award]] = relationship(
        back_populates="member", cascade="all, delete-orphan", order_by="Award.position_no", lazy="raise"
    )
    disciplines: Mapped[list[Discipline]] = relationship(
        back_populates="member", cascade="all, delete-orphan", order_by="Discipline.position_no", lazy="raise"
    )

    @validates("full_name")
    def _keep_sort_name(self, _key: str, value: str) -> str:
        value = clean_line(value)
        self.sort_name = name_key(value)
        self.search_name = search_key(value)
        return value

    @property
    def is_full_member(self) -> bool:
        return self.official_on is not None

    @hybrid_property
    def living(self) -> bool:
        """No death recorded: on a row, a bool; in a query, the condition every list of the living uses."""
        return self.deceased_on is None

    @living.inplace.expression
    @classmethod
    def _living_expression(cls) -> ColumnElement[bool]:
        return cls.deceased_on.is_(None)


class _ProfilePart:
    """A row of one of a member's lists (work history, awards, discipline): its member and its place.
    The columns come first in each table, as before the mixin (sort_order)."""

    id: Mapped[int] = mapped_column(primary_key=True, sort_order=-1)
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"), index=True, sort_order=-1)
    position_no: Mapped[int] = mapped_column(Integer, default=0, sort_order=-1)


class WorkHistory(_ProfilePart, Base):
    """Quá trình công tác: one period of a member's working life."""

    __tablename__ = "work_history"

    period_from: Mapped[str | None] = mapped_column(CleanLine(20))
    period_to: Mapped[str | None] = mapped_column(CleanLine(20))
    description: Mapped[str] = mapped_column(CleanText)

    member: Mapped[Member] = relationship(back_populates="work_history", lazy="raise")


class Award(_ProfilePart, Base):
    """Khen thưởng, including the party-membership badges."""

    __tablename__ = "awards"

    awarded_on: Mapped[date | None] = mapped_column(Date)
    title: Mapped[str] = mapped_column(CleanText)
    decision: Mapped[str | None] = mapped_column(CleanLine(200))

    member: Mapped[Member] = relationship(back_populates="awards", lazy="raise")


class Discipline(_ProfilePart, Base):
    """Kỷ luật."""

    __tablename__ = "disciplines"

    decided_on: Mapped[date | None] = mapped_column(Date)
    form: Mapped[DisciplineForm] = mapped_column(Enum(DisciplineForm, native_enum=False, length=20))
    reason: Mapped[str | None] = mapped_column(CleanText)

    member: Mapped[Member] = relationship(back_populates="disciplines", lazy="raise")


class PartyGap(Base):
    """A period out of the party (expulsion later reversed, lost contact, a gap in a transfer): it does not
    count towards party age (models/party_age.py). `until_on` empty: not back yet."""

    __tablename__ = "party_gaps"

    id: Mapped[int] = mapped_column(primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"), index=True)
    from_on: Mapped[date] = mapped_column(Date)
    until_on: Mapped[date | None] = mapped_column(Date)
    note: Mapped[str | None] = mapped_column(CleanLine(200))


async def get_profile(session: AsyncSession, member_id: int) -> Member | None:
    """A member with every part of the profile loaded (the caller has checked permission)."""
    stmt = (
        select(Member)
        .where(Member.id == member_id)
        .options(
            joinedload(Member.cell),
            selectinload(Member.work_history),
            selectinload(Member.awards),
            selectinload(Member.disciplines),
        )
    )
    return (await session.execute(stmt)).scalar_one_or_none()


async def find_members(session: AsyncSession, query: str, within_path: str | None = None, limit: int = 10) -> list[Member]:
    """Members whose card number equals `query` or whose name contains it (case and diacritics
    ignored: "dang thi", "ĐẶNG THỊ" and "Đặng thị" find "Đặng Thị Thu Hà"), optionally under a unit."""
    q = clean_line(query)
    stmt = select(Member).join(Unit, Unit.id == Member.cell_id)
    if within_path is not None:
        stmt = stmt.where(Unit.path.startswith(within_path, autoescape=True))
    cond = [Member.card_number == q]
    if (member_id := as_id(q)) is not None:
        cond.append(Member.id == member_id)
    if folded := fold(q):
        cond.append(Member.search_name.contains(folded, autoescape=True))
    stmt = stmt.where(or_(*cond)).order_by(Member.sort_name, Member.id).limit(limit)
    return list((await session.scalars(stmt)).all())


async def member_ids_under(session: AsyncSession, paths: Sequence[str], *, but: int | None = None) -> list[int]:
    """The ids of the living members of every cell under any of these unit paths, in id order, `but` that one
    left out (a broadcast's audience: its sender heard it before confirming)."""
    if not paths:
        return []
    stmt = (
        select(Member.id).join(Unit, Unit.id == Member.cell_id)
        .where(or_(*(Unit.path.startswith(p, autoescape=True) for p in paths)), Member.living)
        .order_by(Member.id)
    )
    if but is not None:
        stmt = stmt.where(Member.id != but)
    return list((await session.scalars(stmt)).all())


async def members_under(session: AsyncSession, unit_path: str, offset: int = 0, limit: int = 10) -> tuple[list[Member], int]:
    """One page of the members of every cell under a unit, by cell then name, those who died (deceased_on) after
    everyone living; and the total, the dead included (deceased_under counts them)."""
    base = select(Member).join(Unit, Unit.id == Member.cell_id).where(Unit.path.startswith(unit_path, autoescape=True))
    total = (await session.execute(select(func.count()).select_from(base.subquery()))).scalar_one()
    dead_last = case((Member.living, 0), else_=1)
    rows = await session.scalars(
        base.options(selectinload(Member.cell)).order_by(dead_last, Unit.path, Member.sort_name, Member.id)
        .offset(offset).limit(limit)
    )
    return list(rows.all()), total


async def deceased_under(session: AsyncSession, unit_path: str) -> int:
    """The members under a unit whose death is recorded: listed apart, never counted among its members."""
    return await session.scalar(
        select(func.count(Member.id)).join(Unit, Unit.id == Member.cell_id)
        .where(Unit.path.startswith(unit_path, autoescape=True), Member.deceased_on.is_not(None))) or 0


# -- the profile as shown: a read model in two queries ------------------------------------------
# Showing a profile is the commonest thing a member does, so it costs two round trips: the member
# with their cell, then one UNION ALL for everything around them (the units above the cell, the
# roles held, work history, awards, discipline, and what the profile says from other tables: periods
# out of the party, cells left, an open transfer, the probation helper and those helped, the review
# levels). Editing goes through get_profile's ORM objects.


@dataclass(frozen=True)
class WorkPeriod:
    period_from: str | None
    period_to: str | None
    description: str


@dataclass(frozen=True)
class AwardEntry:
    awarded_on: date | None
    title: str
    decision: str | None


@dataclass(frozen=True)
class DisciplineEntry:
    decided_on: date | None
    form: DisciplineForm
    reason: str | None


@dataclass(frozen=True)
class ProfileView:
    member: Member  # its cell loaded
    units: tuple[str, ...]  # names from the top unit down to the member's cell
    roles: tuple[tuple[RoleKind, str], ...]  # (kind, unit name), top units first
    work_history: tuple[WorkPeriod, ...]
    awards: tuple[AwardEntry, ...]
    disciplines: tuple[DisciplineEntry, ...]
    gaps: tuple[tuple[date, date | None], ...] = ()  # periods out of the party (from, until), any order
    past_cells: tuple[tuple[str, date | None, date], ...] = ()  # cells left by a transfer (name, since, until)
    open_transfer: bool = False  # a transfer under way (its details: models/transfers.py history)
    helper: str | None = None  # who helps this member through probation (its file's helper)
    helped: tuple[str, ...] = ()  # the probationary members this one helps, by name
    levels: tuple[tuple[int, Level], ...] = ()  # decided review levels of closed rounds, newest first


def _text(column: ColumnElement[Any] | QueryableAttribute[Any]) -> Cast[str]:
    return cast(column, Text)


_NO_TEXT = cast(null(), Text)
if TYPE_CHECKING:  # SQLAlchemy 2.1's variadic generics (2.0 takes one tuple type): for the checker only
    from .review.rules import Level

    # A profile part: kind letter, position, two dates, then three texts whose meaning depends on the kind.
    _PartRow = Row[str, int, date | None, date | None, str | None, str | None, str | None]
    _PartsQuery = CompoundSelect[str, int, date | None, date | None, str | None, str | None, str | None]
_NO_DATE = cast(null(), Date)


def _kind(letter: str) -> Label[str]:
    return literal_column(f"'{letter}'", String).label("kind")


@cache
def _profile_queries() -> tuple[Select[Member], _PartsQuery]:
    """Built once, when first needed (profiles are shown all day; building a statement costs more than running
    it), not at import: a command-line tool that shows no profile does not pay for it."""
    from .probation_file import ProbationFile
    from .review.schema import ReviewEntry, ReviewRound, RoundState
    from .transfers import MemberCell, Transfer, TransferState

    member_id: BindParameter[int] = bindparam("member_id")
    unit_ids: BindParameter[list[int]] = bindparam("unit_ids", expanding=True)
    member = select(Member).where(Member.id == member_id).options(joinedload(Member.cell))
    helper = Member.__table__.alias("helper")
    helped = Member.__table__.alias("helped")
    # The first SELECT gives the column types (date columns first, so SQLite's text becomes a date).
    # `pos` orders the rows of a kind: their place in the list, a unit's depth, or the order SQL gives.
    parts: _PartsQuery = union_all(
        select(_kind("a"), Award.position_no.label("pos"), Award.awarded_on.label("day"), _NO_DATE.label("day2"),
               _text(Award.title).label("a"), _text(Award.decision).label("b"), _NO_TEXT.label("c"))
        .where(Award.member_id == member_id),
        select(_kind("w"), WorkHistory.position_no, _NO_DATE, _NO_DATE, _text(WorkHistory.period_from),
               _text(WorkHistory.period_to), _text(WorkHistory.description))
        .where(WorkHistory.member_id == member_id),
        select(_kind("d"), Discipline.position_no, Discipline.decided_on, _NO_DATE, _text(Discipline.form),
               _text(Discipline.reason), _NO_TEXT)
        .where(Discipline.member_id == member_id),
        select(_kind("u"), func.length(Unit.path), _NO_DATE, _NO_DATE, _text(Unit.name), _NO_TEXT, _NO_TEXT)
        .where(Unit.id.in_(unit_ids)),
        select(_kind("r"), func.length(Unit.path), _NO_DATE, _NO_DATE, _text(Role.kind), _text(Unit.name), _NO_TEXT)
        .join(Unit, Unit.id == Role.unit_id).where(Role.member_id == member_id),
        select(_kind("g"), PartyGap.id, PartyGap.from_on, PartyGap.until_on, _NO_TEXT, _NO_TEXT, _NO_TEXT)
        .where(PartyGap.member_id == member_id),
        # models/transfers.py past_cells: oldest first
        select(_kind("c"), func.row_number().over(order_by=(MemberCell.until_on, MemberCell.id)),
               MemberCell.from_on, MemberCell.until_on, _text(Unit.name), _NO_TEXT, _NO_TEXT)
        .join(Unit, Unit.id == MemberCell.cell_id).where(MemberCell.member_id == member_id),
        select(_kind("t"), Transfer.id, _NO_DATE, _NO_DATE, _NO_TEXT, _NO_TEXT, _NO_TEXT)
        .where(Transfer.member_id == member_id, Transfer.state == TransferState.open),
        # models/probation_file.py helped_by: the helper; the probationary members helped, by name
        select(_kind("h"), literal_column("0", Integer), _NO_DATE, _NO_DATE, _text(helper.c.full_name), _NO_TEXT,
               _NO_TEXT)
        .select_from(ProbationFile).join(helper, helper.c.id == ProbationFile.helper_member_id)
        .where(ProbationFile.member_id == member_id),
        select(_kind("p"), func.row_number().over(order_by=helped.c.sort_name), _NO_DATE, _NO_DATE,
               _text(helped.c.full_name), _NO_TEXT, _NO_TEXT)
        .select_from(ProbationFile).join(helped, helped.c.id == ProbationFile.member_id)
        .where(ProbationFile.helper_member_id == member_id, helped.c.official_on.is_(None)),
        # models/review/record.py level_history: newest year first, a later round of a year first
        select(_kind("l"), func.row_number().over(order_by=(ReviewRound.year.desc(), ReviewRound.closed_at.desc(),
                                                            ReviewRound.id.desc())),
               _NO_DATE, _NO_DATE, _text(ReviewEntry.decided_level), _text(ReviewRound.year), _NO_TEXT)
        .join(ReviewRound, ReviewRound.id == ReviewEntry.round_id)
        .where(ReviewEntry.member_id == member_id, ReviewEntry.decided_level.is_not(None),
               ReviewRound.state == RoundState.closed),
    )
    return member, parts


async def load_profile(session: AsyncSession, member_id: int) -> ProfileView | None:
    """Everything a profile shows (the caller has checked permission), or None."""
    member_query, parts_query = _profile_queries()
    member = (await session.execute(member_query, {"member_id": member_id})).scalar_one_or_none()
    if member is None:
        return None
    unit_ids = path_ids(member.cell.path) or [member.cell_id]
    rows = (await session.execute(parts_query, {"member_id": member_id, "unit_ids": unit_ids})).all()
    return _profile_view(member, rows)


def _profile_view(member: Member, rows: Sequence[_PartRow]) -> ProfileView:
    from .review.record import HISTORY_YEARS
    from .review.rules import Level

    by_kind: dict[str, list[_PartRow]] = {k: [] for k in "awdurgcthpl"}
    for row in rows:
        by_kind[row.kind].append(row)
    for items in by_kind.values():
        items.sort(key=lambda r: r.pos)  # position in the list; for units and roles, depth in the tree
    levels: dict[int, Level] = {}
    for r in by_kind["l"]:
        levels.setdefault(int(r.b or 0), Level(r.a))  # one per year: the later round's
    helper = by_kind["h"]
    return ProfileView(
        member=member,
        units=tuple(r.a for r in by_kind["u"]),
        roles=tuple((RoleKind(r.a), r.b) for r in by_kind["r"]),
        work_history=tuple(WorkPeriod(r.a, r.b, r.c or "") for r in by_kind["w"]),
        awards=tuple(AwardEntry(r.day, r.a or "", r.b) for r in by_kind["a"]),
        disciplines=tuple(DisciplineEntry(r.day, DisciplineForm(r.a), r.b) for r in by_kind["d"]),
        gaps=tuple((r.day, r.day2) for r in by_kind["g"] if r.day is not None),
        past_cells=tuple((r.a or "", r.day, r.day2) for r in by_kind["c"] if r.day2 is not None),
        open_transfer=bool(by_kind["t"]),
        helper=helper[0].a if helper else None,
        helped=tuple(r.a or "" for r in by_kind["p"]),
        levels=tuple(levels.items())[:HISTORY_YEARS],
    )


async def get_member(session: AsyncSession, member_id: int | None) -> Member | None:
    """The member with this id (None when there is none, or no id)."""
    return await session.get(Member, member_id) if member_id is not None else None
