"""Buttons of a members import: confirm or cancel the file just checked."""
from models.callback_data import Choice, Codec, Token

CONFIRM = Codec("imp", Token(r"[0-9a-f]{8}"), Choice("y", "n"))  # token of the pending import
