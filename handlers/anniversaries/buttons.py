"""Buttons of anniversaries: the cell's greetings on or off (the officer's panel), and the member's own choice
under a greeting."""
from models.callback_data import Choice, Codec, Id

CELLS = Codec("anc")  # 🎂 Lời chúc mừng on the cell panel: the officer's cells, greetings on or off
GREETS = Codec("ang", Id(), Choice("on", "off"))  # a cell's greetings on or off
MINE = Codec("anm", Choice("off", "on"))  # under a greeting: "Không nhận lời chúc nữa", and back
