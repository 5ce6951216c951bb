"""Buttons of the month's bulletin board ("📰 Bảng tin tháng")."""
from models.callback_data import Codec, Id, Token

PANEL = Codec("mbn")  # 📰 Bảng tin tháng on the officer's panel
CELL = Codec("mbc", Id())  # a committee picks the cell
MONTH = Codec("mbm", Id(), Token(r"[0-9]{6}"))  # cell, yyyymm: this month or the last
