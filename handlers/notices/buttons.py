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
CONVERSATION = (KIND, NO_FILE, STUDY, AUDIENCE, AUDIENCE_DONE, WHEN, CONFIRM, KEEP, BACK, QUIT)
READ = Codec("nr", Id())
STUDIED = Codec("ns", Id())
OPEN = Codec("no", Id())
INBOX_PAGE = Codec("ni", Id())
SENT_PAGE = Codec("nx", Id())
STATUS = Codec("nt", Id())
REMIND = Codec("nm", Id())
STUDY_RATES = Codec("nq", Id())
DOCUMENTS_PAGE = Codec("nd", Id())
PRINT = Codec("npr", Id())  # 📄 Bản in on the status card
PRINT_CELLS = Codec("npl", Id(), Id())  # notice, page: which cell to print for
PRINT_CELL = Codec("npc", Id(), Id())  # notice, cell
PANEL = Codec("nnew")  # ➕ Thông báo on the officer's panel: starts the conversation
