"""🎖 Huy hiệu Đảng (issue 17): a committee above the cells sees who is due a Party membership badge at the
next award day and records each award (confirmed); /profile shows a member's party age and next badge
(views.standing_lines). A member's badge screen (card.py; from the list and the member's card): party age to the date
of death, the periods out of the party (gaps.py: by kind, on calendars), early (serious illness) and posthumous
proposals, the date of death; the award day's declaration list as a Word file (declaration_docx.py). The dates and
figures are models/party_age.py's and models/badge_awards.py's, from their rules file."""
from __future__ import annotations

from telegram.ext import Application

from models import party_age

from ..feature import Feature, PanelItem
from ..steps import add_buttons
from . import buttons as btn


def register(app: Application) -> None:
    from . import card, gaps, views

    add_buttons(app, [
        (views.list_button, btn.LIST.pattern), (views.page_button, btn.PAGE.pattern),
        (views.ask_button, btn.ASK.pattern), (views.yes_button, btn.YES.pattern),
        (views.docx_button, btn.DOCX.pattern),
        (card.card_button, btn.CARD.pattern), (card.card_new_button, btn.CARD_NEW.pattern),
        (card.early_button, btn.EARLY.pattern), (card.posthumous_button, btn.POSTHUMOUS.pattern),
        (card.given_button, btn.GIVEN.pattern), (card.death_button, btn.DEATH.pattern), (card.death_month, btn.DEATH_MONTH.pattern),
        (card.death_day, btn.DEATH_DAY.pattern),
        (gaps.gap_button, btn.GAP.pattern), (gaps.kind_button, btn.GAP_KIND.pattern),
        (gaps.from_month, btn.GAP_FROM_MONTH.pattern), (gaps.from_day, btn.GAP_FROM.pattern),
        (gaps.until_month, btn.GAP_UNTIL_MONTH.pattern), (gaps.until_day, btn.GAP_UNTIL.pattern),
    ])


FEATURE = Feature("badges", register=register,
                  panel=(PanelItem("panel.badges", 55, lambda: btn.LIST.data(0), count=party_age.due_count,
                                     panels=frozenset({"party"})),))
