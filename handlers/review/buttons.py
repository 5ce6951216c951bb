"""Buttons of the year-end review: the committee officer opening a round (a conversation), the member's
self-review (every screen named by the entry and the step: the server re-reads both), the secretary's list."""
from models.callback_data import Choice, Codec, Id, Token

# Opening a round (the officer's panel or /review), step by step.
OPEN = Codec("rvo")  # 📝 Kiểm điểm cuối năm on the committee's panel
UNIT = Codec("rvu", Id())  # the committee's unit, when the officer has several
YEAR = Codec("rvy", Id())  # the year reviewed
DAY = Codec("rvd", Token(r"[0-9]{8}"))  # yyyymmdd, a deadline picked on the calendar
MONTH = Codec("rvm", Token(r"[0-9]{6}"))  # yyyymm, the calendar's page
CONFIRM = Codec("rvc", Choice("ok"))  # ✅ Mở đợt kiểm điểm
BACK = Codec("rvb", Id())  # ◀ Quay lại on a step (handlers.steps.Trail)
QUIT = Codec("rvq")  # ✖ Hủy on a step
CONVERSATION = (UNIT, YEAR, DAY, MONTH, CONFIRM, BACK, QUIT)

# The self-review: the entry, then what the button does.
START = Codec("rvs", Id())  # 📝 Tự kiểm điểm under the notice or a reminder: the entry's current screen
STEP = Codec("rvt", Id(), Token(r"[a-z][0-9]?"))  # a screen: i(ntro), g<n> a group, c(onditions), t<n> a text, p(review)
POINTS = Codec("rvp", Id(), Id(), Id())  # − / +: the group and the points it is set to
COND = Codec("rvk", Id(), Id(), Choice("y", "n"))  # an extra condition of "xuất sắc" stated or not
NO_MORE = Codec("rvn", Id(), Id())  # "Không có ý kiến thêm" on a text step: the text's place
SEND = Codec("rvx", Id())  # 📨 Gửi
SELF = (START, STEP, POINTS, COND, NO_MORE, SEND)

# The cell's officers.
CELLS = Codec("rvl")  # 📝 Kiểm điểm on the cell panel: who has sent theirs
PROXY = Codec("rvw", Id())  # ✍️ Làm thay: a member without Telegram's entry
FORMS = Codec("rvf")  # 🔄 Đổi mẫu: the forms of the members who have not sent theirs
FORM = Codec("rvz", Id(), Choice("2A", "2B", "2C"))  # a member's entry given that form
