"""Buttons shared by every feature: the language picker and a pager's page counter."""
from models.callback_data import Choice, Codec

from ..i18n import LANGUAGES

LANG = Codec("lang", Choice(*LANGUAGES))
NOOP = Codec("noop")  # the "2/5" counter of a pager: pressing it does nothing
