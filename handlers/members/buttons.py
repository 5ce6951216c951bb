"""Buttons of /members, invitations and relinking."""
from models.callback_data import Codec, Id

MEMBERS_PAGE = Codec("ml", Id(), Id())  # unit, page
PROFILE = Codec("mp", Id())
INVITE = Codec("iv", Id())
RELINK_YES = Codec("rly", Id())
RELINK_NO = Codec("rln", Id())
LIST = Codec("mll")  # 👥 Đảng viên on the officer's panel: /members
