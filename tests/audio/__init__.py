"""Helpers shared by the audio tests: a fake MP3 and Google's batchexecute answer around it."""

import base64

GOOGLE_URL = "https://translate.google.com/_/TranslateWebserverUi/data/batchexecute"  # as gtts 2.5.4 posts

# An MPEG-2 Layer III frame header as gTTS returns them: 32 kbit/s, 24 kHz, mono; 96 bytes, 24 ms.
MP3_FRAME = b"\xff\xf3\x44\xc4" + bytes(92)
MP3_FRAME_SECONDS = 576 / 24000


def fake_mp3(frames: int = 50) -> bytes:
    return MP3_FRAME * frames


def google_answer(audio: bytes) -> str:
    """A body shaped like translate.google.com's answer to the jQ1olc (speech) RPC."""
    encoded = base64.b64encode(audio).decode("ascii")
    rpc = f'[["wrb.fr","jQ1olc","[\\"{encoded}\\"]",null,null,null,"generic"],["di",52]]'
    return f")]}}'\n\n{len(rpc)}\n{rpc}\n25\n[[\"e\",4,null,null,157]]\n"
