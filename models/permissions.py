"""The one place that decides every "may X do Y to Z".

A role is held on a unit and covers that unit and everything below it (DESIGN.md).
Nothing here trusts what a button or a callback said: callers pass database facts.
"""
from __future__ import annotations

import enum
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar

from sqlalchemy import bindparam, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import QueryableAttribute, aliased
from sqlalchemy.sql import ColumnElement, Select

from .accounts import Account
from .base import Base
from .members import Member
from .roles import Role, RoleKind
from .units import Unit, UnitKind

CELL_KINDS = (UnitKind.cell, UnitKind.group)  # Unit.is_cell, as SQL


class Action(str, enum.Enum):
    view_profile = "view_profile"
    list_members = "list_members"
    invite_member = "invite_member"
    manage_cell = "manage_cell"  # meetings, notices, votes, attendance of a cell
    send_to_subtree = "send_to_subtree"  # documents to every cell below
    view_reports = "view_reports"
    grant_roles = "grant_roles"
    award_badges = "award_badges"  # Huy hiệu Đảng: a committee above the cells (committee_paths)
    open_review = "open_review"  # the year-end review round: a committee above the cells (committee_paths)
    review_proxy = "review_proxy"  # a self-review filled in for a member without Telegram: the cell's officers
    decide_conversion = "decide_conversion"  # a probationary member made full: a committee above the cells
    appraise_review = "appraise_review"  # the cell's appraisal: members' sheets, comments, the votes on levels
    decide_review = "decide_review"  # the committee's decision on the levels: a committee above the cells


OFFICER_ROLES = frozenset({RoleKind.secretary, RoleKind.deputy, RoleKind.committee, RoleKind.admin})
# Which roles allow which actions on a unit they cover.
ALLOWED: dict[Action, frozenset[RoleKind]] = {
    Action.view_profile: OFFICER_ROLES,
    Action.list_members: OFFICER_ROLES,
    Action.invite_member: OFFICER_ROLES,
    Action.manage_cell: OFFICER_ROLES,
    Action.send_to_subtree: frozenset({RoleKind.committee, RoleKind.admin}),
    Action.view_reports: OFFICER_ROLES,
    Action.grant_roles: frozenset({RoleKind.admin}),
    Action.award_badges: OFFICER_ROLES,
    Action.open_review: frozenset({RoleKind.committee, RoleKind.admin}),
    Action.review_proxy: OFFICER_ROLES,
    Action.decide_conversion: OFFICER_ROLES,  # checked with committee_paths: a role on a cell gives none
    Action.appraise_review: OFFICER_ROLES,
    Action.decide_review: frozenset({RoleKind.committee, RoleKind.admin}),
}


T = TypeVar("T")


def topmost(items: list[T], path_of: Callable[[T], str]) -> list[T]:
    """The items whose unit no other item's unit covers (a role nested in another is dropped), topmost first."""
    top: list[T] = []
    for item in sorted(items, key=lambda i: len(path_of(i))):
        if not any(path_of(item).startswith(path_of(t)) for t in top):
            top.append(item)
    return top


@dataclass(frozen=True)
class HeldRole:
    kind: RoleKind
    unit_id: int
    unit_path: str
    unit_name: str
    unit_kind: UnitKind | None = None


@dataclass
class Actor:
    """Who is asking, as the database (and HANDBOOK_ADMIN_IDS) says."""

    telegram_user_id: int | None
    member_id: int | None = None
    cell_id: int | None = None
    cell_path: str | None = None
    language: str | None = None
    is_admin: bool = False
    roles: list[HeldRole] = field(default_factory=list)

    @property
    def linked(self) -> bool:
        return self.member_id is not None

    @property
    def is_officer(self) -> bool:
        return self.is_admin or any(r.kind in OFFICER_ROLES for r in self.roles)

    @property
    def panel(self) -> str | None:
        """Which officer's panel this person gets: "cell" (a cell's secretary, deputy or committee member),
        "party" (a role on a ward, commune, city or grassroots committee, or an administrator), None (a member)."""
        if self.is_admin or any(r.kind in OFFICER_ROLES and r.unit_kind not in (None, *CELL_KINDS)
                                for r in self.roles):
            return "party"
        return "cell" if self.is_officer else None

    def officer_units(self, action: Action = Action.list_members) -> list[HeldRole]:
        """The topmost units on which this actor may do `action` (nested ones dropped)."""
        return topmost([r for r in self.roles if r.kind in ALLOWED[action]], lambda r: r.unit_path)


ACTOR_COLUMNS = 9  # the columns of actor_query() that make the Actor; extra ones follow


def actor_query(*extra_columns: QueryableAttribute[Any],
                joins: tuple[tuple[type[Base], ColumnElement[bool]], ...] = (),
                many: bool = False) -> Select[*tuple[Any, ...]]:
    """The caller's account, cell and roles (a row per role), with `extra_columns` from outer `joins`. `many`: the
    callers whose Telegram ids are given as `telegram_user_ids` (a list), their rows told apart by an extra column."""
    cell, role_unit = aliased(Unit), aliased(Unit)
    stmt = (
        select(Account.member_id, Account.language, Member.cell_id, cell.path,
               Role.kind, role_unit.id, role_unit.path, role_unit.name, role_unit.kind, *extra_columns)
        .select_from(Account)
        .outerjoin(Member, Member.id == Account.member_id)
        .outerjoin(cell, cell.id == Member.cell_id)
        .outerjoin(Role, Role.member_id == Member.id)
        .outerjoin(role_unit, role_unit.id == Role.unit_id)
    )
    for target, on in joins:
        stmt = stmt.outerjoin(target, on)
    if many:
        return (stmt.where(Account.telegram_user_id.in_(bindparam("telegram_user_ids", expanding=True)))
                .order_by(role_unit.path))
    return stmt.where(Account.telegram_user_id == bindparam("telegram_user_id")).order_by(role_unit.path)


# Built once: it runs on every update, and building a statement costs more than running it.
_ACTOR_QUERY = actor_query()


def actor_from_rows(rows: Sequence[Sequence[Any]], telegram_user_id: int, admin_ids: frozenset[int] = frozenset()) -> Actor:
    """The Actor from the rows of actor_query() (none: a stranger without an account)."""
    actor = Actor(telegram_user_id=telegram_user_id, is_admin=telegram_user_id in admin_ids)
    if not rows:
        return actor
    actor.member_id, actor.language, actor.cell_id, actor.cell_path = tuple(rows[0])[:4]
    actor.roles = [HeldRole(*row[4:ACTOR_COLUMNS]) for row in rows if row[4] is not None]
    actor.is_admin = actor.is_admin or any(r.kind == RoleKind.admin for r in actor.roles)
    return actor


async def load_actor(session: AsyncSession, telegram_user_id: int, admin_ids: frozenset[int] = frozenset()) -> Actor:
    """The caller, their cell and every role they hold, in one query."""
    rows = (await session.execute(_ACTOR_QUERY, {"telegram_user_id": telegram_user_id})).all()
    return actor_from_rows(rows, telegram_user_id, admin_ids)


def may(actor: Actor, action: Action, unit_path: str, *, subject_member_id: int | None = None) -> bool:
    """May `actor` do `action` on the unit at `unit_path` (for a member: the path of their cell)?"""
    if actor.is_admin:
        return True
    if action is Action.view_profile and subject_member_id is not None and subject_member_id == actor.member_id:
        return True
    allowed = ALLOWED[action]
    return any(r.kind in allowed and unit_path.startswith(r.unit_path) for r in actor.roles)


async def may_view_member(session: AsyncSession, actor: Actor, member_id: int) -> bool:
    """View another member's profile: their own, or an officer whose unit covers the member's cell."""
    if member_id == actor.member_id:
        return True
    path = await session.scalar(select(Unit.path).join(Member, Member.cell_id == Unit.id).where(Member.id == member_id))
    if path is None:
        return False
    return may(actor, Action.view_profile, path, subject_member_id=member_id)


# --- which units: the one answer every handler, model and the CLI asks ---------------------------------------------
def scope_paths(actor: Actor, action: Action) -> list[str] | None:
    """The paths of the topmost units on which `actor` may do `action`, for a query's subtree filter.

    None means everywhere (an administrator: HANDBOOK_ADMIN_IDS or an admin role, which may() lets act
    on every unit); an empty list means nowhere.
    """
    if actor.is_admin:
        return None
    return [r.unit_path for r in actor.officer_units(action)]


def committee_paths(actor: Actor, action: Action) -> list[str] | None:
    """scope_paths for what only a committee above the cells does (badges): a role held on a cell gives none.
    None means everywhere (an administrator); an empty list, nowhere."""
    if actor.is_admin:
        return None
    return [r.unit_path for r in actor.officer_units(action) if r.unit_kind is not None and r.unit_kind not in CELL_KINDS]


def within_clause(paths: list[str]) -> ColumnElement[bool]:
    """SQL condition: a unit under one of `paths` (from scope_paths; not None, not empty)."""
    return or_(*(Unit.path.startswith(p, autoescape=True) for p in paths))


async def _roots(session: AsyncSession) -> list[Unit]:
    return list((await session.scalars(select(Unit).where(Unit.parent_id.is_(None)).order_by(Unit.id))).all())


async def _units_in_order(session: AsyncSession, ids: list[int]) -> list[Unit]:
    found = {u.id: u for u in (await session.scalars(select(Unit).where(Unit.id.in_(ids)))).all()} if ids else {}
    return [found[i] for i in ids if i in found]


async def units_for(session: AsyncSession, actor: Actor, action: Action) -> list[Unit]:
    """The topmost units on which `actor` may do `action`: where a choice of unit starts.

    An officer: the units of their roles that allow it, nested ones dropped (a cell inside their
    ward would list its members twice). An administrator: the roots of the tree, whatever roles
    they also hold, since they may act everywhere. Nobody else: none.
    """
    if actor.is_admin:
        return await _roots(session)
    return await _units_in_order(session, [r.unit_id for r in actor.officer_units(action)])


def may_manage_cell(actor: Actor, unit: Unit) -> bool:
    """Meetings, votes, attendance of a cell: its secretary or deputy, a committee above it, an administrator."""
    return unit.is_cell and may(actor, Action.manage_cell, unit.path)


def may_send_to(actor: Actor, unit: Unit) -> bool:
    """Notices and bulletins: a cell's officers send to their cell; a committee to its whole subtree or chosen cells."""
    action = Action.manage_cell if unit.is_cell else Action.send_to_subtree
    return may(actor, action, unit.path)


async def sending_units(session: AsyncSession, actor: Actor) -> list[Unit]:
    """The topmost units `actor` may send notices and bulletins to (an administrator: the roots).

    Each role's unit is checked with may_send_to before nested ones are dropped: a deputy of a ward
    (who may not send to the whole ward) who is also secretary of a cell keeps that cell.
    """
    if actor.is_admin:
        return await _roots(session)
    held = [r for r in actor.roles if r.kind in ALLOWED[Action.manage_cell]]
    units = [u for u in await _units_in_order(session, [r.unit_id for r in held]) if may_send_to(actor, u)]
    return topmost(units, lambda u: u.path)


async def managed_cells(session: AsyncSession, actor: Actor, limit: int = 200) -> list[Unit]:
    """Every cell the actor may manage (schedule meetings, open votes, take the roll), in tree order."""
    paths = scope_paths(actor, Action.manage_cell)
    if paths == []:
        return []
    stmt = select(Unit).where(Unit.kind.in_(CELL_KINDS))
    if paths is not None:
        stmt = stmt.where(within_clause(paths))
    cells = (await session.scalars(stmt.order_by(Unit.path).limit(limit))).all()
    return [u for u in cells if may_manage_cell(actor, u)]


async def may_act_on_unit(session: AsyncSession, actor: Actor, action: Action, unit_id: int) -> Unit | None:
    """The unit with this id (from a button: not trusted) if `actor` may do `action` on it, else None."""
    unit = await session.get(Unit, unit_id)
    if unit is None or not may(actor, action, unit.path):
        return None
    return unit


async def member_actor(session: AsyncSession, member_id: int, admin_ids: frozenset[int] = frozenset()) -> Actor:
    """A member as an Actor, whether or not they are on Telegram now (an invite's creator, checked later)."""
    telegram_user_id = await session.scalar(select(Account.telegram_user_id).where(Account.member_id == member_id))
    if telegram_user_id is not None:
        return await load_actor(session, telegram_user_id, admin_ids)
    rows = (await session.execute(
        select(Role.kind, Unit.id, Unit.path, Unit.name, Unit.kind).join(Unit, Unit.id == Role.unit_id)
        .where(Role.member_id == member_id).order_by(Unit.path))).all()
    roles = [HeldRole(*row) for row in rows]
    return Actor(None, member_id=member_id, roles=roles, is_admin=any(r.kind == RoleKind.admin for r in roles))


async def may_relink(session: AsyncSession, actor: Actor, member_id: int) -> bool:
    """Move a linked member's record to another Telegram account (lost phone, new account)?

    Whoever holds the record acts with the member's roles: so the asker must cover not only the
    member's cell but every unit where the member holds a role. A cell secretary cannot hand a
    ward officer's record (and its view of the whole ward) to a new account; the ward can.
    """
    if actor.is_admin:
        return True
    cell_path = await session.scalar(
        select(Unit.path).join(Member, Member.cell_id == Unit.id).where(Member.id == member_id))
    if cell_path is None:
        return False
    role_paths = (await session.scalars(
        select(Unit.path).join(Role, Role.unit_id == Unit.id).where(Role.member_id == member_id))).all()
    return all(may(actor, Action.invite_member, path) for path in (cell_path, *role_paths))
