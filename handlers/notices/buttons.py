"""Buttons of /notice (the conversation), notice cards and /notices."""
from models.callback_data import Choice, Codec, Id
from models.notices import NoticeKind

KIND = Codec("nk", Choice(*(k.value for k in NoticeKind)))
NO_FILE = Codec("nf", Choice("skip"))
STUDY = Codec("ny", Choice("1", "0"))
AUDIENCE = Codec("na", Choice("u", "c"), Id())  # a whole unit, or one cell toggled
AUDIENCE_DONE = Codec("nao", Choice("ok"))
WHEN = Codec("nw", Choice("now", "at"))
CONFIRM = Codec("nc", Choice("yes", "no"))  # "no": the ❌ Hủy of previews sent before ✖ Hủy replaced it
KEEP = Codec("nkp", Choice("title", "body", "file", "at"))  # ✔ Giữ …: what was given before ◀, again
BACK = Codec("nbk", Id())  # ◀ Quay lại on a step: the step it sits on (handlers.steps.Trail)
QUIT = Codec("nqt")  # ✖ Hủy on a step
DRAFTING = Codec("ndf", Choice("ask", "mine", "use", "edit"))  # ✨ Nhờ máy soạn, then what of the machine's draft
CONVERSATION = (KIND, NO_FILE, STUDY, AUDIENCE, AUDIENCE_DONE, WHEN, CONFIRM, KEEP, BACK, QUIT, DRAFTING)
READ = Codec("nr", Id())  # ✅ Đã đọc under a notice: the notice
STUDIED = Codec("ns", Id())  # 📖 Đã học under a notice to study: the notice
OPEN = Codec("no", Id())  # 📖 Mở để đọc on a reminder, or a notice in /notices or /documents: the notice
INBOX_PAGE = Codec("ni", Id())  # the pages of /notices: the page
SENT_PAGE = Codec("nx", Id())  # 📤 Thông báo đã gửi, then its pages: the page
STATUS = Codec("nt", Id())  # 🔄 Cập nhật on the status card, or a sent notice in that list: the notice
REMIND = Codec("nm", Id())  # 🔔 Nhắc người chưa đọc on the status card: the notice
STUDY_RATES = Codec("nq", Id())  # 📖 Tỷ lệ học tập theo chi bộ on the status card: the notice
DOCUMENTS_PAGE = Codec("nd", Id())  # the pages of /documents: the page
PRINT = Codec("npr", Id())  # 📄 Bản in on the status card
PRINT_CELLS = Codec("npl", Id(), Id())  # notice, page: which cell to print for
PRINT_CELL = Codec("npc", Id(), Id())  # notice, cell
PANEL = Codec("nnew")  # ➕ Thông báo on the officer's panel: starts the conversation
