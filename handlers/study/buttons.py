"""Buttons of /study (the officer's conversation) and of a member's study card and quiz."""
from models.callback_data import Choice, Codec, Id, Token

PANEL = Codec("sqnew")  # 📖 Giao học tập on the officer's panel: starts the conversation
DOC = Codec("sqd", Id())  # the document chosen
DAY = Codec("sqy", Token(r"[0-9]{8}"))  # yyyymmdd: the deadline, from the calendar
MONTH = Codec("sqm", Token(r"[0-9]{6}"))  # yyyymm: the calendar's page to show
NO_QUIZ = Codec("sqn", Choice("skip"))  # ⏭ Không có bài kiểm tra
ESSAY_ASKED = Codec("sqh", Choice("1", "0"))  # ask for an essay (bài thu hoạch), or not
ESSAY_AGE = Codec("sqg", Choice("70", "75", "80", "0"))  # older members excused from the essay: from this age, or none
CONFIRM = Codec("sqc", Choice("yes"))
BACK = Codec("sqb", Id())  # ◀ Quay lại on a step: the step it sits on (handlers.steps.Trail)
QUIT = Codec("sqq")  # ✖ Hủy on a step
CONVERSATION = (DOC, DAY, MONTH, NO_QUIZ, ESSAY_ASKED, ESSAY_AGE, CONFIRM, BACK, QUIT)
OPEN = Codec("sqo", Id())  # 📄 Xem văn bản on a study card: the study item
STUDIED = Codec("sqs", Id())  # 📖 Đã học on a study card
START = Codec("sqt", Id())  # ▶ Làm bài kiểm tra, 🔁 Làm lại: the study item
ESSAY = Codec("sqe", Id())  # ✍ Nộp bài thu hoạch on a study card (and ✍ Nộp lại): the study item
ESSAY_QUIT = Codec("sqx")  # ✖ Hủy while the essay is awaited
RECEIVED = Codec("sqa", Id())  # ✅ Đã nhận under an essay the officer got: the essay
REDO = Codec("sqr", Id())  # ↩ Yêu cầu làm lại under an essay: the essay
