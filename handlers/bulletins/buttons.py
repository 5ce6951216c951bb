"""Buttons of /bulletin (the conversation) and /bulletins (the list)."""
from models.callback_data import Choice, Codec, Id

UNIT = Codec("bu", Id())
SOURCE = Codec("bn", Id())
PREVIEW = Codec("bv", Choice("go"))
CONFIRM = Codec("bc", Choice("now", "when", "no"))
WHEN = Codec("bw", Choice("slot", "at"))
CONVERSATION = (UNIT, SOURCE, PREVIEW, CONFIRM, WHEN)
LIST_PAGE = Codec("bl", Id())
PLAY = Codec("bp", Id())
SCHEDULED = Codec("bq", Id())
WITHDRAW = Codec("bx", Id())
PANEL = Codec("bnew")  # 🔊 Bản tin on the officer's panel: starts the conversation
