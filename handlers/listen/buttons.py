"""The 🔊 button under notices, documents and resolutions."""
from models.callback_data import Codec, Id

HEAR = Codec("bh", Id())
