"""Buttons of the Party badges (Huy hiệu Đảng): the committee's list, a member's award and its confirmation."""
from models.callback_data import Codec, Id

LIST = Codec("hhl", Id())  # the list of the next award day, from the panel (a new message); the page
PAGE = Codec("hhp", Id())  # another page of it, in place
ASK = Codec("hha", Id(), Id())  # member id, milestone: "record this award?"
YES = Codec("hhy", Id(), Id())  # member id, milestone: recorded
