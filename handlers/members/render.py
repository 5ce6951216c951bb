"""The outbox renderer of the notice to an account a member's record just left (a re-link)."""
from __future__ import annotations

from datetime import tzinfo

from sqlalchemy.ext.asyncio import AsyncSession

from models import relinking

from ..i18n import t
from ..keyboards import link_keyboard
from ..turn import esc


async def render_account_moved(session: AsyncSession, move_id: int, lang: str, tz: tzinfo | None) -> list[tuple]:
    """To the account a member's record just left (the outbox renders it in that account's language)."""
    notice = await relinking.move_notice(session, move_id)
    if notice is None:
        return []
    contacts = ", ".join(esc(n) for n in notice.contacts) or t(lang, "relink.no_contact")
    new_account = esc(notice.new_account_name) if notice.new_account_name else "—"
    key = "relink.moved_notice" if notice.inviter_name else "relink.moved_notice_admin"
    text = t(lang, key, member=esc(notice.member_name), new_account=new_account,
             inviter=esc(notice.inviter_name or ""), contacts=contacts)
    # The member's menu goes with the record: what this account is left with is a newcomer's keyboard.
    return [("sendMessage", {"text": text, "parse_mode": "HTML", "reply_markup": link_keyboard(lang).to_dict()})]
