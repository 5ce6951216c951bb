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
HEAR = Codec("rwh", Id(), Token(r"[a-z][0-9]?"))  # 🔊 Nghe: the step's text as a voice note (the step stays)
VOICE = Codec("rwv", Id(), Id())  # ▶ a voice answer heard again (re-sent by file_id): the entry, the text's place
SELF = (START, STEP, POINTS, COND, NO_MORE, SEND)

# The cell's officers.
CELLS = Codec("rvl")  # 📝 Kiểm điểm on the cell panel: who has sent theirs
PROXY = Codec("rvw", Id())  # ✍️ Làm thay: a member without Telegram's entry
FORMS = Codec("rvf")  # 🔄 Đổi mẫu: the forms of the members who have not sent theirs
FORM = Codec("rvz", Id(), Choice("2A", "2B", "2C"))  # a member's entry given that form

# The cell's appraisal: a cell's page (the round, the cell), a member's sheet for the cell (the entry).
LEVEL = Choice("excellent", "good", "done", "failed")
APPRAISE = Codec("rva", Id(), Id())  # 📋 Đánh giá, xếp loại: the round and the cell
MEMBER = Codec("rve", Id())  # a sent member's sheet with the cell's comments and vote
COMMENT = Codec("rvg", Id())  # ✏️ Nhận xét của chi bộ: typed next
VOTE_ONE = Codec("rvv", Id())  # 🗳 Biểu quyết xếp loại: this member
VOTE_ALL = Codec("rvi", Id(), Id())  # 🗳 for every sent member of the cell at once
END_VOTES = Codec("rvj", Id(), Id())  # ⏹ Kết thúc biểu quyết: the cell's votes on levels still open
PICK = Codec("rvh", Id(), LEVEL)  # the secretary's level after a vote without a majority: the reason typed next

# The committee's decision.
DECIDE = Codec("rdl")  # 🏛 Quyết định xếp loại on the committee's panel
ROUND = Codec("rdr", Id())  # a round's cells
ROUND_PAGE = Codec("rdp", Id(), Id())  # another page of a round's cells, in place: the round, the page
CELL = Codec("rdc", Id(), Id())  # the round and the cell: its proposals
APPROVE = Codec("rda", Id(), Id())  # ✅ Duyệt tất cả đề nghị của chi bộ
CHANGE = Codec("rdm", Id())  # ✏️ a member's level: the four levels
CHANGE_TO = Codec("rdt", Id(), LEVEL)  # the level chosen: the reason typed next
CLOSE = Codec("rdx", Id())  # 🔒 Kết thúc đợt kiểm điểm
CLOSE_ANYWAY = Codec("rdy", Id())  # confirmed: members without a proposal stay unrated

# The documents, sent as files.
FORM_DOC = Codec("rwf", Id())  # 📄 the member's self-review form (.docx): the entry
LIST_DOC = Codec("rwl", Id(), Id())  # 📄 the cell's list of levels (.docx, .xlsx): the round and the cell
FORMS_DOC = Codec("rwz", Id(), Id())  # 📦 every sent self-review form of the cell in one .zip: the round and the cell
REPORT_DOC = Codec("rwm", Id(), Id())  # 📄 the cell's collective report Mẫu 01 (.docx)
SUMMARY_DOC = Codec("rws", Id())  # 📊 the committee's summary by cell (.xlsx and a chart): the round
