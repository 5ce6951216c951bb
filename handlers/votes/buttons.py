"""Buttons of /vote (the conversation), ballots and vote cards."""
from models.callback_data import Choice, Codec, Id, Token

CAST = Codec("v", Id(), Id())  # vote, option position
CELL = Codec("vc", Id())
STANDARD_OPTIONS = Codec("vd", Choice("std"))
CLOSES = Codec("vt", Token(r"[0-9]{1,3}[mhd]"))  # a preset like "24h", checked against the offered ones
TOGGLE = Codec("vg", Choice("b", "m", "e", "r", "l", "c", "n"))
CONFIRM = Codec("vk", Choice("ok", "no"))  # "no": the ❌ Hủy of settings sent before ✖ Hủy replaced it
KEEP = Codec("vkp", Choice("question", "options", "closes"))  # ✔ …: what was given before ◀, again
BACK = Codec("vbk", Id())  # ◀ Quay lại on a step: the step it sits on (handlers.steps.Trail)
QUIT = Codec("vqt")  # ✖ Hủy on a step
CONVERSATION = (CELL, STANDARD_OPTIONS, CLOSES, TOGGLE, CONFIRM, KEEP, BACK, QUIT)
OPEN = Codec("vo", Id())  # an open vote in /votes: the vote
RESULT = Codec("vv", Id())  # 📊 Xem kết quả, or a closed vote in /votes: the vote
STATUS = Codec("vs", Id())  # 🔄 Cập nhật on the vote's card, or ⚙️ a vote in /votes: the vote
CLOSE_ASK = Codec("vx", Id())  # ⏹ Kết thúc biểu quyết ngay on the vote's card: the vote
CLOSE_YES = Codec("vy", Id())  # ✅ Kết thúc ngay, asked after it: the vote
ROLL = Codec("vr", Id())  # 📋 Ai chọn gì on the vote's card: the vote
PRINT = Codec("vpr", Id())  # 📄 Bản in of a closed vote's result
PANEL = Codec("vnew")  # 🗳 Biểu quyết on the officer's panel: starts the conversation
