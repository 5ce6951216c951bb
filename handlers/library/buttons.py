"""Buttons of the library's results (/ask, /documents words)."""
from models.callback_data import Choice, Codec, Id

HEAR = Codec("lh", Id())  # 🔊 Nghe under a result: the passage
HEAR_ANSWER = Codec("la", Id())  # 🔊 Nghe câu trả lời under the model's answer: which answer of the member's
TO_SECRETARY = Codec("lq", Choice("send"))  # 📨 nothing found: the question goes to the secretary as feedback
BROWSE = Codec("lb", Choice("home", "k", "y", "u"))  # 📚 Duyệt thư viện, then by kind, year or issuing unit
SHELF = Codec("ls", Choice("k", "y", "u"), Id(), Id())  # one kind (its place), year or unit (its id); the page
