"""Buttons of profile corrections: the member's request, the secretary's list and decision."""
from models.callback_data import Codec, Id

START = Codec("crs", Id())
FIELD = Codec("crf", Id())
LIST = Codec("crl", Id())
OPEN = Codec("cro", Id())
APPROVE = Codec("cra", Id())
REJECT = Codec("crj", Id())
