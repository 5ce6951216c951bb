"""Buttons of meetings: invitations, the secretary's card, /meeting (the conversation), roll call, minutes."""
from models.callback_data import Choice, Codec, Id, Token
from models.meetings import MeetingKind

ATTEND = Codec("ga", Id())
ABSENT = Codec("gn", Id())
REASON = Codec("gz", Id(), Id())  # meeting, reason index
CARD = Codec("gs", Id())
OPEN = Codec("go", Id())
PROXY = Codec("gq", Id())
PROXY_ANSWER = Codec("gqa", Id(), Id(), Id(), legacy="gQ")  # meeting, member, attends 1/0
PROXY_REASON = Codec("gzp", Id(), Id(), Id(), legacy="gZ")  # meeting, member, reason index
PRINT = Codec("gpr", Id())  # 📄 Bản in: the invitation for members without Telegram
PAPER = Codec("gpw", Id())  # ✍️ answers given on the printed invitation: who has not answered yet
PAPER_ANSWER = Codec("gpwa", Id(), Id(), Id())  # meeting, member, attends 1/0
PAPER_REASON = Codec("gpwz", Id(), Id(), Id())  # meeting, member, reason index
MOVE = Codec("gv", Id())
CANCEL = Codec("gx", Id())
CANCEL_YES = Codec("gxy", Id(), legacy="gX")
# /meeting, step by step
CELL = Codec("gc", Id())
KIND = Codec("gk", Choice(*(k.value for k in MeetingKind)))
DAY = Codec("gd", Token(r"[0-9]{8}"))  # yyyymmdd, a day of the calendar
MONTH = Codec("gmo", Token(r"[0-9]{6}"))  # yyyymm, the calendar's page to show
TIME = Codec("gh", Token(r"[0-9]{4}"))  # hhmm
TITLE = Codec("gt", Choice("0", "1"))  # 0: the suggested title, 1: the one typed before (after ◀)
PLACE = Codec("gp", Id())
NO_AGENDA = Codec("gg", Choice("0", "1"))  # 0: no agenda, 1: keep the one typed before (after ◀)
USE_TEMPLATE = Codec("gu", Choice("0"))  # the agenda from the cell's template
DOCS_DONE = Codec("gf", Choice("0"))
CONFIRM = Codec("gy", Choice("yes", "no"))  # "no": the ✖️ Bỏ of previews sent before ✖ Hủy replaced it
BACK = Codec("gbk", Id())  # ◀ Quay lại on a step: the step it sits on (handlers.steps.Trail)
QUIT = Codec("gqt")  # ✖ Hủy on a step
CONVERSATION = (CELL, KIND, DAY, MONTH, TIME, TITLE, PLACE, NO_AGENDA, USE_TEMPLATE, DOCS_DONE, CONFIRM, BACK, QUIT)
# roll call, closing, minutes
ROLL = Codec("gr", Id(), Id())  # meeting, page
MARK = Codec("gl", Id(), Id(), Id())  # meeting, member, page
ALL_PRESENT = Codec("gla", Id(), Id(), legacy="gL")  # meeting, page
CLOSE = Codec("ge", Id())
CLOSE_YES = Codec("gey", Id(), legacy="gE")
NO_DECISIONS = Codec("gj", Id())
MINUTES = Codec("gw", Id())
MINUTES_FIELD = Codec("gwf", Id(), Choice("c", "r", "n", "d"), legacy="gW")
APPROVE = Codec("gap", Id(), legacy="gA")
DOWNLOAD = Codec("gdl", Id(), legacy="gD")
REVIEW_NEW = Codec("gnk", Id())  # 📅 Đặt lịch họp kiểm điểm on the review's appraisal: the cell, kind "review" chosen
MINUTES_MODEL = Codec("gwm", Id())  # ✨ Bản nháp biên bản do máy soạn (with a language model configured)
MINUTES_PROSE = Codec("gwp", Id(), Choice("use", "template"))  # under the machine's prose: ✅ Dùng / ↩ Bản mẫu
PANEL = Codec("gnew")  # 📅 Cuộc họp on the officer's panel: starts the conversation
ROLL_DUE = Codec("grd")  # ✅ Điểm danh on the officer's panel: the meetings whose roll can be taken now
TEMPLATE = Codec("gtm")  # 🧾 Mẫu chương trình on the officer's panel: the cell's agenda template
TEMPLATE_CELL = Codec("gtc", Id())  # whose template, when the officer manages several cells
TEMPLATE_RESET = Codec("gtr", Id())  # the cell goes back to the common template
DOCS_DUE = Codec("gdd")  # 📎 Tài liệu họp on the officer's panel: meetings of tomorrow without documents
