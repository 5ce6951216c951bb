"""📚 Duyệt thư viện (under 🔎 Hỏi đáp's question and /documents' list): the documents a member may see by kind,
year or issuing unit — buttons, then a paged list whose items open as /documents' do. The shelves and their
scope are models.library.browse."""
from __future__ import annotations

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from models import notices
from models.library import browse
from models.library.browse import KINDS

from ..keyboards import list_markup
from ..notices import buttons as notice_btn
from ..notices.views import item_button
from ..steps import paged, parse_or_refuse, show_page
from ..turn import Turn, esc, member_handler
from . import buttons as btn

FACETS = ("k", "y", "u")  # by kind, by year, by issuing unit


def browse_row(turn: Turn) -> list[InlineKeyboardButton]:
    """The 📚 Duyệt thư viện button."""
    return [InlineKeyboardButton(turn.t("library.browse.button"), callback_data=btn.BROWSE.data("home"))]


def _back(turn: Turn, to: str) -> list[InlineKeyboardButton]:
    return [InlineKeyboardButton(turn.t("library.browse.back"), callback_data=btn.BROWSE.data(to))]


@member_handler
async def browse_pressed(turn: Turn):
    fields = await parse_or_refuse(turn, btn.BROWSE, "library_browse")
    if fields is not None:
        await show_shelves(turn, fields[0])


async def show_shelves(turn: Turn, by: str) -> None:
    """The way in ("home": by kind, year or unit) or one facet's choices, each with its count."""
    found = await browse.shelves(turn.session, turn.actor.member_id, turn.services.timezone)
    if not found.total:
        show_page(turn, turn.t("library.browse.empty"), None, edit=True)
        return
    if by == "home":
        rows = [[InlineKeyboardButton(turn.t(f"library.browse.by_{facet}"), callback_data=btn.BROWSE.data(facet))]
                for facet in FACETS]
        show_page(turn, turn.t("library.browse.head", total=found.total), InlineKeyboardMarkup(rows), edit=True)
        return
    if by == "k":
        choices = [(f"{turn.t(f'library.kind.{kind}')} ({n})", btn.SHELF.data("k", KINDS.index(kind), 0))
                   for kind, n in found.kinds]
    elif by == "y":
        choices = [(f"{year} ({n})", btn.SHELF.data("y", year, 0)) for year, n in found.years]
    else:
        choices = [(f"{name} ({n})", btn.SHELF.data("u", unit_id, 0)) for unit_id, name, n in found.units]
    per_row = 1 if by == "u" else 2  # units' names are long
    buttons = [InlineKeyboardButton(label, callback_data=data) for label, data in choices]
    rows = [buttons[i:i + per_row] for i in range(0, len(buttons), per_row)]
    show_page(turn, turn.t(f"library.browse.pick_{by}"), InlineKeyboardMarkup([*rows, _back(turn, "home")]),
              edit=True)


async def show_shelf(turn: Turn, by: str, value: int, page: int, *, edit: bool) -> None:
    """A page of one kind's, year's or unit's documents, newest first; each opens as in /documents."""
    found = await browse.shelf(turn.session, turn.actor.member_id, turn.services.timezone, by, value, page)
    if not found.total:  # nothing there (forged, or gone from the member's scope since)
        show_page(turn, turn.t("library.browse.shelf_empty"), InlineKeyboardMarkup([_back(turn, by)]), edit=edit)
        return
    name = (turn.t(f"library.kind.{KINDS[value]}") if by == "k" else str(value) if by == "y"
            else found.unit_name or "")
    rows = [[item_button(turn, notices.Listed(n), notice_btn.OPEN.data(n.id), unread_mark=False)]
            for n in found.notices]
    markup = list_markup(rows, btn.SHELF, found.page, found.total, browse.PAGE, turn.lang, by, value,
                         below=[_back(turn, by)])
    show_page(turn, turn.t(f"library.browse.shelf_{by}", name=esc(name), total=found.total), markup, edit=edit)


shelf_page = paged(btn.SHELF, show_shelf, "library_shelf")
