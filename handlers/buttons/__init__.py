"""The callback data of every inline button, one codec module per feature (see models.callback_data.Codec).

Importing this package registers every codec, so a prefix clash (even by case only) fails at import.

Renamed in issue 13 (prefixes that differed from another only by case): gQ→gqa, gZ→gzp, gX→gxy, gL→gla,
gW→gwf, gE→gey, gA→gap, gD→gdl. Buttons already sent with the old prefix are still read, for one release,
through each codec's `legacy` prefix; drop the legacy prefixes in the release after. "na:ok" became "nao:ok"
(a step of the /notice conversation, gone within minutes): an old one gets the "button no longer valid" answer.
"""
from . import bulletins, common, corrections, feedback, imports, listen, meetings, members, notices, votes  # noqa: F401
