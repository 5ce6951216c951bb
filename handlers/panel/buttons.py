"""Buttons of the officer's panel."""
from models.callback_data import Codec

OPEN = Codec("pn")  # open (or refresh) the panel, in place
