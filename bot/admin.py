"""What the administrator does from a shell: import, invite, grant. Output in the default language."""
from __future__ import annotations

import asyncio
from datetime import timedelta
from pathlib import Path

import click
from sqlalchemy import select

from handlers.i18n import fmt_date, t
from models import accounts, audit, roles
from models.callback_data import as_id
from models.dates import VIETNAM
from models.db import make_sessionmaker
from models.members import Member, find_members
from models.roles import RoleKind
from models.text import clean_line, fold
from models.units import Unit

from .database import prepare_database
from .settings import Settings

# The bot's handlers, the importer and rich are imported by the command that uses them: an invite
# or a grant loads none of them (handbook invite was 2.4 s of CPU when this module imported every handler),
# nor python-telegram-bot (bot_username asks Telegram with the standard library).


async def _find_member(session, query: str) -> Member | None:
    """MEMBER on the command line: a card number, an id, or a name that matches one member."""
    found = await find_members(session, query, limit=5)
    wanted, name = clean_line(query), fold(query)  # "DANG THI THU HA" is Đặng Thị Thu Hà's whole name
    exact = [m for m in found if m.card_number == wanted or str(m.id) == wanted or fold(m.full_name) == name]
    candidates = exact or found
    if len(candidates) == 1:
        return candidates[0]
    return None


async def _find_unit(session, query: str) -> Unit | None:
    """UNIT on the command line: an id, or a name — as stored, else folded ("chi bo to dan pho 1")."""
    query = clean_line(query)
    if (unit_id := as_id(query)) is not None:
        return await session.get(Unit, unit_id)
    units = (await session.scalars(select(Unit).where(Unit.name == query))).all()
    if not units:  # units are few: compared here rather than keeping a folded column for a shell command
        name = fold(query)
        units = [u for u in (await session.scalars(select(Unit))).all() if fold(u.name) == name]
    return units[0] if len(units) == 1 else None


async def import_file(settings: Settings, file: Path, extra: tuple[Path, ...], unit_name: str | None,
                      root_name: str | None, dry_run: bool) -> int:
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

    from handlers.import_report import describe_report, describe_row_error, describe_unreadable
    from models import importer

    lang = settings.default_language
    try:  # the same limits as a file sent to the bot (models/filelimits.py)
        parsed = await importer.load_member_file(file, file.name)
        extras = [await importer.load_member_file(p, p.name) for p in extra]
    except importer.UnreadableFile as exc:
        click.echo(describe_unreadable(lang, exc), err=True)
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
                try:
                    report = await importer.import_members(
                        session, parsed, within=within, root=root, extra_files=extras,
                        progress=lambda done, total: progress.update(task, completed=done, total=total),
                        dry_run=dry_run,
                    )
                except importer.UnreadableFile as exc:  # too many rows: counted as they are read
                    await session.rollback()
                    click.echo(describe_unreadable(lang, exc), err=True)
                    return 2
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
            click.echo(describe_report(lang, report, dry_run=dry_run, html_mode=False))
            return 0
    finally:
        await engine.dispose()


async def invite_member(settings: Settings, query: str, *, revoke: bool = False, relink: bool = False) -> int:
    """An invite code for a member. For a member already on Telegram (a lost phone) only with `relink`:
    the administrator may move any record, but says so explicitly, as an officer confirms in the bot."""
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
            linked = await accounts.account_of_member(session, member.id)
            since = fmt_date(linked.linked_at.astimezone(VIETNAM).date()) if linked and linked.linked_at else "—"
            if linked is not None and not relink:
                click.echo(t(lang, "cli.relink_needed", name=member.full_name, since=since), err=True)
                return 1
            ttl = timedelta(days=settings.invite_ttl_days)
            code = await accounts.create_invite(session, member.id, relink=linked is not None, ttl=ttl)
            if linked is not None:
                await audit.record(session, "relink_invite_created", subject_member_id=member.id)
            await session.commit()
        username = await bot_username(settings)
        click.echo(t(lang, "cli.invite_created", name=member.full_name, code=code, days=settings.invite_ttl_days))
        if linked is not None:
            click.echo(t(lang, "cli.relink_created", since=since))
        if username:
            click.echo(f"https://t.me/{username}?start={code}")
        else:
            click.echo(t(lang, "cli.invite_no_username", code=code), err=True)
        return 0
    finally:
        await engine.dispose()


GET_ME_TIMEOUT_S = 5


async def bot_username(settings: Settings) -> str | None:
    """The bot's username for the link: HANDBOOK_BOT_USERNAME, else Telegram's answer to getMe when the
    token is set (one plain request: importing python-telegram-bot for it cost this command more CPU
    than all the rest it does). None: neither, or Telegram could not be asked."""
    if settings.bot_username:
        return settings.bot_username
    if not settings.bot_token:
        return None
    url = f"{settings.telegram_api_url}/bot{settings.bot_token.get_secret_value()}/getMe"  # never shown

    def get_me() -> str | None:
        import json
        import urllib.request

        with urllib.request.urlopen(url, timeout=GET_ME_TIMEOUT_S) as resp:
            body = json.load(resp)
        result = body.get("result") if isinstance(body, dict) and body.get("ok") else None
        username = result.get("username") if isinstance(result, dict) else None
        return username if isinstance(username, str) and username else None

    try:
        return await asyncio.to_thread(get_me)
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
