"""What the administrator does from a shell: import, invite, grant. Output in the default language."""
from __future__ import annotations

from pathlib import Path

import click
from sqlalchemy import select

from handlers.i18n import t
from models import accounts, audit, roles
from models.members import Member, find_members
from models.roles import RoleKind
from models.units import Unit

from models.db import make_sessionmaker

from .database import prepare_database
from .settings import Settings

# The bot's handlers, the importer and rich are imported by the command that uses them: an invite
# or a grant loads none of them (handbook invite was 2.4 s of CPU when this module imported every handler).


async def _find_member(session, query: str) -> Member | None:
    """MEMBER on the command line: a card number, an id, or a name that matches one member."""
    found = await find_members(session, query, limit=5)
    exact = [m for m in found if m.card_number == query.strip() or str(m.id) == query.strip() or m.full_name == query.strip()]
    candidates = exact or found
    if len(candidates) == 1:
        return candidates[0]
    return None


async def _find_unit(session, query: str) -> Unit | None:
    query = query.strip()
    if query.isdigit():
        return await session.get(Unit, int(query))
    units = (await session.scalars(select(Unit).where(Unit.name == query))).all()
    return units[0] if len(units) == 1 else None


async def import_file(settings: Settings, file: Path, extra: tuple[Path, ...], unit_name: str | None,
                      root_name: str | None, dry_run: bool) -> int:
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

    from handlers.imports import describe_report, describe_row_error
    from models import importer

    lang = settings.default_language
    try:
        parsed = importer.read_member_file(file, file.name)
        extras = [importer.read_member_file(p, p.name) for p in extra]
    except importer.UnreadableFile as exc:
        click.echo(t(lang, f"import.unreadable.{exc.code}"), err=True)
        return 2
    if parsed.members is None:
        click.echo(t(lang, "import.unreadable.missing_name_column"), err=True)
        return 2
    engine = await prepare_database(settings)
    try:
        async with make_sessionmaker(engine)() as session:
            within = await _find_unit(session, unit_name) if unit_name else None
            root = await _find_unit(session, root_name) if root_name else None
            if (unit_name and within is None) or (root_name and root is None):
                click.echo(t(lang, "cli.unit_not_found"), err=True)
                return 2
            with Progress(TextColumn("{task.description}"), BarColumn(), TextColumn("{task.completed}/{task.total}"),
                          TimeElapsedColumn(), transient=True) as progress:
                task = progress.add_task(t(lang, "cli.importing"), total=parsed.members.row_estimate or None)
                report = await importer.import_members(
                    session, parsed, within=within, root=root, extra_files=extras,
                    progress=lambda done, total: progress.update(task, completed=done, total=total),
                    dry_run=dry_run,
                )
            if report.errors:
                await session.rollback()
                click.echo(t(lang, "import.failed", count=len(report.errors)), err=True)
                for err in report.errors:
                    click.echo("  " + describe_row_error(lang, err, html_mode=False, show_sheet=parsed.format == "xlsx" or err.sheet != parsed.members.name), err=True)
                return 1
            if dry_run:
                await session.rollback()
            else:
                await session.commit()
            click.echo(describe_report(lang, report, dry_run=dry_run))
            return 0
    finally:
        await engine.dispose()


async def invite_member(settings: Settings, query: str, *, revoke: bool = False) -> int:
    lang = settings.default_language
    engine = await prepare_database(settings)
    try:
        async with make_sessionmaker(engine)() as session:
            member = await _find_member(session, query)
            if member is None:
                click.echo(t(lang, "cli.member_not_found"), err=True)
                return 2
            if revoke:
                count = await accounts.revoke_invites(session, member.id)
                await session.commit()
                click.echo(t(lang, "cli.invites_revoked", name=member.full_name, count=count))
                return 0
            code = await accounts.create_invite(session, member.id)
            await session.commit()
        username = await _bot_username(settings)
        click.echo(t(lang, "cli.invite_created", name=member.full_name, code=code, days=accounts.INVITE_TTL.days))
        click.echo(f"https://t.me/{username or '<bot username>'}?start={code}")
        return 0
    finally:
        await engine.dispose()


async def _bot_username(settings: Settings) -> str | None:
    if not settings.bot_token:
        return None
    from telegram import Bot

    try:
        async with Bot(settings.bot_token.get_secret_value(), base_url=f"{settings.telegram_api_url}/bot") as bot:
            return bot.username
    except Exception:  # offline or a wrong token: the code itself still works
        return None


async def grant_role(settings: Settings, member_query: str, role: str, unit_query: str, revoke: bool) -> int:
    lang = settings.default_language
    engine = await prepare_database(settings)
    try:
        async with make_sessionmaker(engine)() as session:
            member = await _find_member(session, member_query)
            unit = await _find_unit(session, unit_query)
            if member is None:
                click.echo(t(lang, "cli.member_not_found"), err=True)
                return 2
            if unit is None:
                click.echo(t(lang, "cli.unit_not_found"), err=True)
                return 2
            kind = RoleKind(role)
            changed = await (roles.revoke if revoke else roles.grant)(session, member.id, unit.id, kind)
            if changed:
                await audit.record(session, "role_revoked" if revoke else "role_granted", subject_member_id=member.id,
                                   detail={"role": role, "unit_id": unit.id})
            await session.commit()
            key = ("cli.role_revoked" if revoke else "cli.role_granted") if changed else "cli.role_unchanged"
            click.echo(t(lang, key, name=member.full_name, role=t(lang, f"role.{role}"), unit=unit.name))
            return 0
    finally:
        await engine.dispose()
