"""Buttons of profile corrections: the member's request, the secretary's list and decision."""
from models.callback_data import Codec, Id

START = Codec("crs", Id())  # ✏️ Đề nghị sửa thông tin under /profile (always 0)
FIELD = Codec("crf", Id())  # the field to correct: its place in views.FIELDS
LIST = Codec("crl", Id())  # ✏️ Đề nghị sửa hồ sơ on the panel, then the list's pages: the page
OPEN = Codec("cro", Id())  # a request in that list: the correction
APPROVE = Codec("cra", Id())  # ✅ Duyệt on a request: the correction
REJECT = Codec("crj", Id())  # ❌ Từ chối on a request: the correction
