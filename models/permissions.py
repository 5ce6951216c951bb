"""The one place that decides every "may X do Y to Z".

A role is held on a unit and covers that unit and everything below it (DESIGN.md).
Nothing here trusts what a button or a callback said: callers pass database facts.
"""
from __future__ import annotations

import enum
from dataclasses import dataclass, field

from sqlalchemy import bindparam, select
from sqlalchemy.orm import aliased
from sqlalchemy.ext.asyncio import AsyncSession

from .accounts import Account
from .members import Member
from .roles import Role, RoleKind
from .units import Unit


class Action(str, enum.Enum):
    view_profile = "view_profile"
    list_members = "list_members"
    invite_member = "invite_member"
    manage_cell = "manage_cell"  # meetings, notices, votes, attendance of a cell
    send_to_subtree = "send_to_subtree"  # documents to every cell below
    view_reports = "view_reports"
    grant_roles = "grant_roles"


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
}


@dataclass(frozen=True)
class HeldRole:
    kind: RoleKind
    unit_id: int
    unit_path: str
    unit_name: str


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

    def officer_units(self, action: Action = Action.list_members) -> list[HeldRole]:
        """The topmost units on which this actor may do `action` (nested ones dropped)."""
        held = [r for r in self.roles if r.kind in ALLOWED[action]]
        held.sort(key=lambda r: len(r.unit_path))
        top: list[HeldRole] = []
        for r in held:
            if not any(r.unit_path.startswith(t.unit_path) for t in top):
                top.append(r)
        return top


ACTOR_COLUMNS = 8  # the columns of actor_query() that make the Actor; extra ones follow


def actor_query(*extra_columns, joins: tuple = ()):
    """The caller's account, cell and roles (a row per role), with `extra_columns` from outer `joins`."""
    cell, role_unit = aliased(Unit), aliased(Unit)
    stmt = (
        select(Account.member_id, Account.language, Member.cell_id, cell.path,
               Role.kind, role_unit.id, role_unit.path, role_unit.name, *extra_columns)
        .select_from(Account)
        .outerjoin(Member, Member.id == Account.member_id)
        .outerjoin(cell, cell.id == Member.cell_id)
        .outerjoin(Role, Role.member_id == Member.id)
        .outerjoin(role_unit, role_unit.id == Role.unit_id)
    )
    for target, on in joins:
        stmt = stmt.outerjoin(target, on)
    return stmt.where(Account.telegram_user_id == bindparam("telegram_user_id")).order_by(role_unit.path)


# Built once: it runs on every update, and building a statement costs more than running it.
_ACTOR_QUERY = actor_query()


def actor_from_rows(rows, telegram_user_id: int, admin_ids: frozenset[int] = frozenset()) -> Actor:
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


async def member_actor(session: AsyncSession, member_id: int, admin_ids: frozenset[int] = frozenset()) -> Actor:
    """A member as an Actor, whether or not they are on Telegram now (an invite's creator, checked later)."""
    telegram_user_id = await session.scalar(select(Account.telegram_user_id).where(Account.member_id == member_id))
    if telegram_user_id is not None:
        return await load_actor(session, telegram_user_id, admin_ids)
    rows = (await session.execute(
        select(Role.kind, Unit.id, Unit.path, Unit.name).join(Unit, Unit.id == Role.unit_id)
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
