"""A member list sent to the bot as a file by a secretary or committee officer: checked (nothing written),
then imported once the officer confirms. The words of the result are handlers/import_report.py's."""
from __future__ import annotations

import hashlib
import logging
import secrets
from datetime import timedelta

from telegram import InlineKeyboardButton, InlineKeyboardMarkup
from telegram.error import BadRequest, NetworkError

from models import audit, clock, filelimits, importer
from models import units as units_model
from models.importer import ImportReport
from models.permissions import Action, may, scope_paths, units_for
from models.units import Unit

from ..import_report import MAX_ERRORS_SHOWN, describe_report, describe_row_error, describe_unreadable
from ..turn import Turn, member_handler
from . import buttons as btn

log = logging.getLogger(__name__)


PENDING = "pending_import"
PENDING_TTL = timedelta(minutes=30)


async def _scope(turn: Turn) -> Unit | None | bool:
    """The unit an officer may import into (None: an administrator, anywhere, whatever roles they also
    hold, as everywhere else; False: nobody). An officer of several units imports into the topmost first."""
    if scope_paths(turn.actor, Action.list_members) is None:
        return None
    units = await units_for(turn.session, turn.actor, Action.list_members)
    return units[0] if units else False


def _errors_text(turn: Turn, report: ImportReport, parsed: importer.ParsedFile) -> str:
    # A CSV is one sheet named after the file: the row number alone says where.
    sheets = parsed.format == "xlsx"
    lines = [turn.t("import.failed", count=len(report.errors))]
    lines += ["• " + describe_row_error(turn.lang, e, show_sheet=sheets) for e in report.errors[:MAX_ERRORS_SHOWN]]
    if len(report.errors) > MAX_ERRORS_SHOWN:
        lines.append(turn.t("import.more_errors", count=len(report.errors) - MAX_ERRORS_SHOWN))
    return "\n".join(lines)


async def _download(turn: Turn, file_id: str) -> bytes:
    return bytes(await (await turn.context.bot.get_file(file_id)).download_as_bytearray())


@member_handler
async def member_file(turn: Turn):
    """An officer sends a CSV/XLSX: check it (nothing written), then ask to confirm."""
    scope = await _scope(turn)
    if scope is False:
        turn.reply(turn.t("import.not_allowed"))
        return
    document = turn.update.effective_message.document
    if document.file_size and document.file_size > filelimits.MAX_FILE_BYTES:
        turn.reply(describe_unreadable(turn.lang, filelimits.FileTooLarge("too_large", filelimits.MAX_FILE_BYTES // filelimits.MB)))
        return
    data = await _download(turn, document.file_id)
    scope_id = scope.id if scope else None
    try:  # opened and checked in a worker thread: everyone else is answered meanwhile
        parsed = await importer.load_member_file(data, document.file_name or "members")
        if parsed.members is None:
            turn.reply(turn.t("import.unreadable.missing_name_column"))
            return
        report = await importer.import_members(turn.session, parsed, within=scope or None, dry_run=True)
    except importer.UnreadableFile as exc:  # not a list, or over a limit (the rows are counted as they are read)
        turn.reply(describe_unreadable(turn.lang, exc))
        return
    finally:
        await turn.discard()
    if report.errors:
        turn.reply(_errors_text(turn, report, parsed))
        return
    token = secrets.token_hex(4)
    # The file itself stays with Telegram: its id (and a digest, to know it is the file checked) is
    # what the conversation keeps until the officer confirms.
    turn.context.user_data[PENDING] = {
        "token": token, "file_id": document.file_id, "sha256": hashlib.sha256(data).hexdigest(),
        "name": document.file_name or "members", "unit_id": scope_id, "at": clock.now(),
    }
    markup = InlineKeyboardMarkup([[
        InlineKeyboardButton(turn.t("import.button.confirm"), callback_data=btn.CONFIRM.data(token, "y")),
        InlineKeyboardButton(turn.t("import.button.cancel"), callback_data=btn.CONFIRM.data(token, "n")),
    ]])
    turn.reply(describe_report(turn.lang, report, dry_run=True) + "\n" + turn.t("import.confirm"), markup)


@member_handler
async def confirm_import(turn: Turn):
    token, choice = btn.CONFIRM.parse(turn.update.callback_query.data) or ("", "")
    pending = turn.context.user_data.get(PENDING)
    if not pending or pending["token"] != token or clock.now() - pending["at"] > PENDING_TTL:
        turn.answer(turn.t("import.expired"), alert=True)
        turn.edit(turn.t("import.expired"))
        return
    turn.context.user_data.pop(PENDING, None)
    if choice != "y":
        turn.edit(turn.t("cancel.done"))
        return
    unit = await units_model.get_unit(turn.session, pending["unit_id"] or None)
    allowed = turn.actor.is_admin if unit is None else may(turn.actor, Action.list_members, unit.path)
    if not allowed:  # the role was taken away since the file was checked
        turn.edit(turn.t("import.not_allowed"))
        return
    try:
        data = await _download(turn, pending["file_id"])
    except (BadRequest, NetworkError) as exc:
        log.warning("the member list could not be fetched again: %s", type(exc).__name__)
        data = None
    if data is None or hashlib.sha256(data).hexdigest() != pending["sha256"]:
        turn.edit(turn.t("import.expired"))
        return
    try:
        parsed = await importer.load_member_file(data, pending["name"])
        report = await importer.import_members(turn.session, parsed, within=unit)
    except importer.UnreadableFile as exc:  # the limits were lowered since the check
        await turn.discard()
        turn.edit(describe_unreadable(turn.lang, exc))
        return
    if report.errors:  # the database changed in between
        await turn.discard()
        turn.edit(_errors_text(turn, report, parsed))
        return
    await audit.record(turn.session, "members_imported", actor_telegram_id=turn.user_id,
                       actor_member_id=turn.actor.member_id,
                       detail={"created": report.created, "updated": report.updated})
    turn.edit(describe_report(turn.lang, report))
