"""`handbook export FILE.xlsx`: the member list and profiles for an administrator (models/export.py)."""
from __future__ import annotations

import os
from pathlib import Path

import click
from sqlalchemy import select

from models.db import make_sessionmaker
from models.export import export_members
from models.units import Unit

from .database import prepare_database
from .settings import Settings


async def export_file(settings: Settings, file: Path, unit_name: str | None = None) -> int:
    if file.suffix.lower() != ".xlsx":
        raise click.ClickException("the export is an Excel workbook: give a file name ending in .xlsx")
    if file.exists():
        raise click.ClickException(f"{file} exists already; choose a new file name.")
    engine = await prepare_database(settings)
    partial = file.with_name(f".{file.name}.partial")
    try:
        async with make_sessionmaker(engine)() as session:
            within = None
            if unit_name:
                within = await _unit(session, unit_name)
                if within is None:
                    raise click.ClickException(f"no single unit is called {unit_name!r}; give its id instead")
            # Personal data: readable by its owner only, from the first byte.
            os.close(os.open(partial, os.O_CREAT | os.O_WRONLY | os.O_TRUNC, 0o600))
            report = await export_members(session, partial, within=within,
                                          progress=lambda n: click.echo(f"  {n} members…", err=True))
        partial.chmod(0o600)
        partial.replace(file)
    finally:
        partial.unlink(missing_ok=True)
        await engine.dispose()
    click.echo(f"Exported {report.members} members to {file} "
               f"({report.work_history} work history, {report.awards} awards, {report.discipline} discipline rows).")
    if report.left_out:
        click.echo(f"{report.left_out} profile rows of members without a party card number were left out: "
                   "a sub-sheet row names its member by card number.", err=True)
    return 0


async def _unit(session, query: str) -> Unit | None:
    query = query.strip()
    if query.isdigit():
        return await session.get(Unit, int(query))
    units = (await session.scalars(select(Unit).where(Unit.name == query))).all()
    return units[0] if len(units) == 1 else None
