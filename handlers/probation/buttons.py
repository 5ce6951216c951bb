"""Buttons of probation (Đảng viên dự bị): the officer's list of who is due soon, and a member's file."""
from models.callback_data import Choice, Codec, Id, Token

LIST = Codec("dbl", Id())  # the list, from the panel or the to-do (a new message); the page
PAGE = Codec("dbp", Id())  # another page of it, in place
CARD = Codec("dbc", Id())  # a member of the list: their file, in place (the member)
CEREMONY = Codec("dbe", Id())  # 📅 Ngày lễ kết nạp: the calendar (the member)
CEREMONY_DAY = Codec("dbd", Id(), Token(r"[0-9]{8}"))  # a day of it (the member, yyyymmdd)
CEREMONY_MONTH = Codec("dbm", Id(), Token(r"[0-9]{6}"))  # another month of it (the member, yyyymm)
HELPERS = Codec("dbh", Id())  # 🤝 Người giúp đỡ: the full members of the cell (the member)
HELPER = Codec("dbk", Id(), Id())  # one of them chosen (the member, the helper; 0: none)
COURSE = Codec("dbo", Id(), Choice("on", "off"))  # 📚 the new-members' course done, or not (the member)
ITEM = Codec("dbi", Id(), Id(), Choice("on", "off"))  # an item of the conversion file in, or not (member, item)
# The conversion to full membership (conversion.py)
CONVERT = Codec("dbv", Id())  # 🗳 Biểu quyết chuyển chính thức: asks to confirm (the member)
CONVERT_OK = Codec("dbw", Id())  # confirmed: the cell's vote opens (the member)
WAITING = Codec("dbq", Id())  # the committee's list of passed votes waiting for its decision (a new message; the page)
WAITING_PAGE = Codec("dbr", Id())  # another page of it, in place
DECIDE = Codec("dbx", Id())  # 🎓 Quyết định công nhận: the day asked (the conversion)
DECIDE_MONTH = Codec("dbz", Id(), Token(r"[0-9]{6}"))  # 📅 another day: the calendar's month (conversion, yyyymm)
DECIDE_OK = Codec("dby", Id(), Token(r"[0-9]{8}"))  # the decision, "Ngày chính thức" (the conversion, yyyymmdd)
