"""The `handbook` command."""
from __future__ import annotations

import asyncio
import gc
import os
import sqlite3
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import click


def _settings():
    from .settings import load_settings

    return load_settings()


@contextmanager
def _short_command() -> Iterator[None]:
    """The imports of a command that runs for a moment: loaded without collector passes, then kept out of
    every later pass. SQLAlchemy's and pydantic's classes live until the process ends, yet passes over them
    while they load and at exit were a third of `handbook invite`'s CPU."""
    loaded = len(sys.modules)
    gc.disable()
    try:
        yield
    finally:
        if len(sys.modules) > loaded:  # in-process callers (the tests) import once: nothing more is frozen
            gc.freeze()
        gc.enable()


@click.group()
def main() -> None:
    """Sổ tay đảng viên điện tử — the electronic party member handbook."""


@main.command()
@click.option("--webhook", metavar="URL", help="Serve Telegram's webhook at URL (public HTTPS, e.g. behind nginx) "
              "instead of long polling; needs HANDBOOK_WEBHOOK_SECRET.")
def run(webhook: str | None) -> None:
    """Serve Telegram: long polling, or a webhook with --webhook URL."""
    from .app import build_application
    from .database import prepare_database
    from .logs import setup_logging
    from .serve import run_polling
    from .settings import SettingsError
    from .webhook import make_web_app, run_webhook, start_web

    settings = _settings()
    token = settings.bot_token.get_secret_value() if settings.bot_token else ""
    secret = settings.webhook_secret.get_secret_value() if settings.webhook_secret else ""
    seal_key = settings.seal_key.get_secret_value() if settings.seal_key else ""
    setup_logging(secrets=(token, secret, seal_key))
    if not token:
        raise SettingsError("Setting HANDBOOK_BOT_TOKEN is missing.")
    if webhook:
        if not webhook.startswith(("https://", "http://")):
            raise click.BadParameter("must be the public https:// address Telegram posts to", param_hint="--webhook")
        if not secret:
            raise SettingsError("Setting HANDBOOK_WEBHOOK_SECRET is missing: webhook mode needs a secret token "
                                "(16 to 256 letters, digits, _ or -), the same on every instance.")
    if not seal_key:
        from models.sealing import HOW_TO_MAKE

        raise SettingsError("Setting HANDBOOK_SEAL_KEY is missing: anonymous feedback is sealed with this key of its "
                            "own (kept with the token, never in the database; the same on every instance). "
                            f"Make one with: {HOW_TO_MAKE}")

    async def _run():
        engine = await prepare_database(settings)
        runtime = build_application(settings, engine)
        sessions = runtime.services.sessionmaker
        side = None
        try:
            if webhook:
                await run_webhook(runtime.app, sessions, url=webhook, secret=secret,
                                  listen=settings.webhook_listen, port=settings.webhook_port)
                return
            if settings.metrics_port:
                side, port = await start_web(make_web_app(runtime.app, sessions), settings.metrics_listen,
                                             settings.metrics_port)
                click.echo(f"/healthz and /metrics on http://{settings.metrics_listen}:{port}", err=True)
            await run_polling(runtime.app)
        finally:
            if side is not None:
                await side.cleanup()
            await engine.dispose()

    asyncio.run(_run())


@main.command()
@click.option("--port", type=int, default=None, help="Port of the emulator's Bot API and control API.")
@click.option("--web-port", type=int, default=None, help="Port of the web chat page.")
@click.option("--host", default=None, help="Address to listen on (default 127.0.0.1).")
def sandbox(port: int | None, web_port: int | None, host: str | None) -> None:
    """The bot against the built-in Telegram emulator, with fresh demo data. No token, no internet."""
    from .logs import setup_logging
    from .sandbox_mode import run_sandbox

    settings = _settings()
    setup_logging()
    asyncio.run(
        run_sandbox(
            settings,
            host=host or settings.sandbox_host,
            port=settings.sandbox_api_port if port is None else port,
            web_port=settings.sandbox_web_port if web_port is None else web_port,
        )
    )


@main.group()
def db() -> None:
    """Database schema."""


@db.command("upgrade")
def db_upgrade() -> None:
    """Apply every migration (the only way to upgrade PostgreSQL)."""
    from models import migrate

    settings = _settings()
    migrate.upgrade_sync(settings.database_url)
    click.echo(f"Database at revision {migrate.head_revision()}.")


@main.command("import-members")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--extra", multiple=True, type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="CSV of work history, awards or discipline (repeatable).")
@click.option("--unit", "unit_name", default=None, help="Import only into this unit (by name).")
@click.option("--root", "root_name", default=None, help="Create the committees under this unit (by name).")
@click.option("--dry-run", is_flag=True, help="Check the file, change nothing.")
def import_members(file: Path, extra: tuple[Path, ...], unit_name: str | None, root_name: str | None, dry_run: bool) -> None:
    """Load a member list (CSV or XLSX): Họ và tên, Ngày sinh, Giới tính, … (English headers too)."""
    from .admin import import_file

    settings = _settings()
    code = asyncio.run(import_file(settings, file, extra, unit_name, root_name, dry_run))
    sys.exit(code)


@main.command()
@click.argument("member")
@click.option("--revoke", is_flag=True, help="Withdraw the member's unused invite codes instead.")
@click.option("--relink", is_flag=True,
              help="The member is already on Telegram (lost phone, new account): the code moves the record.")
def invite(member: str, revoke: bool, relink: bool) -> None:
    """A one-time invite code and deep link for MEMBER (card number, id or name)."""
    with _short_command():
        from .admin import invite_member

    sys.exit(asyncio.run(invite_member(_settings(), member, revoke=revoke, relink=relink)))


@main.command()
@click.argument("member")
@click.argument("role", type=click.Choice(["secretary", "deputy", "committee", "admin"]))
@click.argument("unit")
@click.option("--revoke", is_flag=True, help="Take the role away instead.")
def grant(member: str, role: str, unit: str, revoke: bool) -> None:
    """Give MEMBER (card number, id or name) ROLE on UNIT (id or name); it covers everything below."""
    with _short_command():
        from .admin import grant_role

    sys.exit(asyncio.run(grant_role(_settings(), member, role, unit, revoke)))


@main.command("export")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--unit", "unit_name", default=None, help="Only this unit and those below it (name or id).")
def export(file: Path, unit_name: str | None) -> None:
    """The members and their profiles (work history, awards, discipline) to FILE.xlsx; import-members reads it back."""
    from .export import export_file

    sys.exit(asyncio.run(export_file(_settings(), file, unit_name)))


@main.command()
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
def backup(file: Path) -> None:
    """A consistent copy of a live SQLite database (for PostgreSQL use pg_dump, see README)."""
    from models.db import sqlite_path

    settings = _settings()
    source = sqlite_path(settings.database_url)
    if source is None:
        raise click.ClickException("backup copies SQLite databases; for PostgreSQL run pg_dump (see README).")
    if not source.exists():
        raise click.ClickException(f"no database at {source}")
    if file.exists():
        raise click.ClickException(f"{file} exists already; choose a new file name.")
    os.close(os.open(file, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600))
    src = sqlite3.connect(source)
    dst = sqlite3.connect(file)
    try:
        with dst:
            src.backup(dst)
    finally:
        dst.close()
        src.close()
    file.chmod(0o600)
    click.echo(f"Backup written to {file}.")


if __name__ == "__main__":
    main()
