"""🌱 Đảng viên dự bị (issue 17): the deadlines of probation — the admission ceremony, month 12, the conversion
meeting — on /profile (views.profile_line), in the secretary's weekly to-do and on the officer's panel: who is
due within the rules' window (30 days), reminded at 30, 7 and 1 days. The dates are models/probation.py's, in
Vietnam's working days (models/workdays.py). A member of the list opens their file (card.py): the ceremony's
date, the helper, the course and the conversion file's items, kept with taps (models/probation_file.py). From
month 12 the card opens the cell's conversion vote, and once it passed a committee above the cell records
"Ngày chính thức" (conversion.py, models/conversion.py); the committee's panel counts the votes waiting for it."""
from __future__ import annotations

from telegram.ext import Application, CallbackQueryHandler

from models import conversion as conversion_model
from models import probation

from ..feature import Feature, PanelItem
from . import buttons as btn


def register(app: Application) -> None:
    from . import card, conversion
    from .views import list_button, page_button

    for handler, codec in ((list_button, btn.LIST), (page_button, btn.PAGE), (card.card_button, btn.CARD),
                           (card.ceremony_button, btn.CEREMONY), (card.ceremony_day, btn.CEREMONY_DAY),
                           (card.ceremony_month, btn.CEREMONY_MONTH), (card.helpers_button, btn.HELPERS),
                           (card.helper_button, btn.HELPER), (card.course_button, btn.COURSE),
                           (card.item_button, btn.ITEM), (conversion.convert_button, btn.CONVERT),
                           (conversion.convert_ok, btn.CONVERT_OK), (conversion.waiting_button, btn.WAITING),
                           (conversion.waiting_page, btn.WAITING_PAGE), (conversion.decide_button, btn.DECIDE),
                           (conversion.decide_month, btn.DECIDE_MONTH), (conversion.decide_ok, btn.DECIDE_OK)):
        app.add_handler(CallbackQueryHandler(handler, pattern=codec.pattern))


def _renderers(services):
    from .conversion import render_told

    return {conversion_model.DECIDED_DELIVERY: render_told}


FEATURE = Feature("probation", register=register, renderers=_renderers,
                  panel=(PanelItem("panel.probation", 65, lambda: btn.LIST.data(0), count=probation.due_count),
                         PanelItem("panel.conversion", 66, lambda: btn.WAITING.data(0),
                                   count=conversion_model.waiting_count, panels=frozenset({"party"}))))
