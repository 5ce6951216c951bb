"""Buttons of /members, invitations and relinking."""
from models.callback_data import Choice, Codec, Id

MEMBERS_PAGE = Codec("ml", Id(), Id())  # unit, page
PROFILE = Codec("mp", Id())
INVITE = Codec("iv", Id())
RELINK_YES = Codec("rly", Id())
RELINK_NO = Codec("rln", Id())
LIST = Codec("mll")  # 👥 Đảng viên on the officer's panel: /members
INVITE_ALL = Codec("iva")  # 📨 Mời đảng viên on the officer's panel
INVITE_CELL = Codec("ivc", Id())  # a cell's invitations: who, and how
INVITE_SEND = Codec("ivs", Id(), Id())  # cell, page: one message per member, to forward
INVITE_QR = Codec("ivq", Id())  # cell: the printable sheet of QR codes
SUSPEND = Codec("msu", Id(), Choice("on", "off"))  # ⛔ Đình chỉ sinh hoạt / ↩ Thôi đình chỉ on a member's card: asked
SUSPEND_OK = Codec("msy", Id(), Choice("on", "off"))  # ✅ confirmed: recorded (audited)
