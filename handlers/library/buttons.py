"""Buttons of the library's results (/ask, /documents words)."""
from models.callback_data import Choice, Codec, Id

HEAR = Codec("lh", Id())  # 🔊 Nghe under a result: the passage
TO_SECRETARY = Codec("lq", Choice("send"))  # 📨 nothing found: the question goes to the secretary as feedback
