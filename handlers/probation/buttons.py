"""Buttons of probation (Đảng viên dự bị): the officer's list of who is due soon."""
from models.callback_data import Codec, Id

LIST = Codec("dbl", Id())  # the list, from the panel or the to-do (a new message); the page
PAGE = Codec("dbp", Id())  # another page of it, in place
