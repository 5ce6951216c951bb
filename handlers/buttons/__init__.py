"""The callback data of every inline button, one codec module per feature (see models.callback_data.Codec):
handlers/<feature>/buttons.py; the buttons shared by all are in common.py here.

`load_all()` registers every codec, so a prefix clash (even by case only) fails then (tests call it; the bot
loads every feature anyway). Importing this package loads no feature: a feature imports handlers.keyboards,
which imports common.py here.

Renamed in issue 13 (prefixes that differed from another only by case): gQ→gqa, gZ→gzp, gX→gxy, gL→gla,
gW→gwf, gE→gey, gA→gap, gD→gdl. Buttons already sent with the old prefix are still read, for one release,
through each codec's `legacy` prefix; drop the legacy prefixes in the release after. "na:ok" became "nao:ok"
(a step of the /notice conversation, gone within minutes): an old one gets the "button no longer valid" answer.
"""
import importlib
import importlib.util

from ..features import FEATURES
from . import common  # noqa: F401


def _buttons_of(feature: str) -> str | None:
    """A feature package's `buttons` module (handlers/<feature>/buttons.py), when it has one."""
    name = f"handlers.{feature}.buttons"
    return name if importlib.util.find_spec(name) is not None else None


def load_all() -> None:
    """Import every feature's buttons module (registering its codecs)."""
    for feature in FEATURES:
        module = _buttons_of(feature)
        if module:
            importlib.import_module(module)
