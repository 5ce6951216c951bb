"""Buttons of the weekly to-do: open it (the officer's panel), turn the Monday message on or off, its hour.

The lines of the to-do carry the buttons of the features they point at (meetings, notices, votes, feedback,
corrections, members): those features' own handlers answer them."""
from models.callback_data import Choice, Codec

HOURS = (5, 6, 7, 8, 9, 10)  # offered for the Monday message

OPEN = Codec("td")  # 🗓 Việc cần làm on the officer's panel: this week's to-do now, and its settings
WEEKLY = Codec("tdw", Choice("on", "off"))
HOUR = Codec("tdh", Choice(*(str(h) for h in HOURS)))
