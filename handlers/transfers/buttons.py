"""Buttons of a transfer of party activity (chuyển sinh hoạt), recorded step by step from a member's card."""
from models.callback_data import Choice, Codec, Id

START = Codec("trs", Id())  # 🔁 Chuyển sinh hoạt on a member's card: the member
KIND = Codec("trk", Choice("official", "work", "study"))  # chính thức, tạm thời (công tác), tạm thời (học tập)
DEST = Codec("trd", Id())  # a cell of the handbook: the unit
DEST_PAGE = Codec("trp", Id())  # another page of the cells: the page
OUTSIDE = Codec("tro")  # 🏢 Đơn vị ngoài sổ tay: its name typed next
TODAY = Codec("trt")  # the decision dated today
UNTIL = Codec("tru", Id())  # a temporary transfer's end, months after the decision
CONFIRM = Codec("trc", Choice("ok"))  # ✅ Ghi nhận
BACK = Codec("trb", Id())  # ◀ Quay lại on a step: the step it sits on (handlers.steps.Trail)
QUIT = Codec("trq")  # ✖ Hủy on a step
CONVERSATION = (KIND, DEST, DEST_PAGE, OUTSIDE, TODAY, UNTIL, CONFIRM, BACK, QUIT)
LIST = Codec("trl", Id())  # 🔁 Chuyển sinh hoạt on the officer's panel: the open transfers (a new message); the page
PAGE = Codec("trg", Id())  # another page of them, in place
ASK = Codec("tra", Id())  # a transfer of the list: done or cancelled? (the transfer)
DONE = Codec("trx", Id())  # ✅ Đã chuyển xong: the transfer completed today
DROP = Codec("trz", Id())  # 🗑 Hủy việc chuyển: the transfer cancelled
RECEIVE = Codec("trr", Id())  # ✅ Tiếp nhận: the receiving cell's officer takes in a member of an official transfer
