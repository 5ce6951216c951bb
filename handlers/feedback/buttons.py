"""Buttons of /feedback: the member's draft and items, the officer's inbox and monthly digest."""
from models.callback_data import Codec, Id

ABOUT = Codec("fba", Id(), Id())  # draft nonce, choice index
SEND = Codec("fbs", Id(), Id())  # draft nonce, anonymous 0/1
DISCARD = Codec("fbx", Id())  # draft nonce
DRAFT = (ABOUT, SEND, DISCARD)
MINE = Codec("fbm", Id())
INBOX = Codec("fbi", Id())
UNIT = Codec("fbu", Id())
LIST = Codec("fbl", Id(), Id(), Id())  # unit, status index, page
OPEN = Codec("fbo", Id())
REPLY = Codec("fbr", Id())
CLOSE = Codec("fbc", Id())
DIGEST = Codec("fbg", Id())
DIGEST_MONTH = Codec("fbd", Id(), Id())  # unit, yyyymm
DIGEST_ABOUT = Codec("fbe", Id(), Id(), Id())  # unit, about kind index, its id
DIGESTS = (DIGEST, DIGEST_MONTH, DIGEST_ABOUT)
DIGEST_MODEL = Codec("fbw", Id(), Id())  # ✨ under a month's digest (with a language model): unit, yyyymm
