"""Votes of a cell (biểu quyết): open (named) or secret ballots (bỏ phiếu kín), closed by the clock.

A secretary opens a vote of one cell. Who may vote is fixed when it opens (the electors): every
full member of the cell, or those of them marked present at a meeting; probationary members
receive it to read and cannot vote (Charter art. 3). Every elector gets the ballot through the
outbox; one ballot per member per vote is enforced by a unique key, so racing taps end in one
ballot. The scheduler's ticks remind those who have not voted and close due votes exactly once
(a conditional UPDATE: only the transaction that sets `closed_at` goes on to queue the results).

A resolution passes when MORE THAN HALF agree (Charter art. 10), counted by default on all the
cell's full members; or on those present; or on the votes cast. Whether exempt members who did
not vote stay in the base follows the cell's setting, copied when the vote opens. A "two thirds"
vote (a probationary member's conversion, models/conversion.py) passes when AT LEAST two thirds of
the full members agree, those the opener marked away (transferred out, excused) left out of the
base unless they voted.

Secret ballots keep two facts apart, in two tables with nothing in common but the vote:
`vote_secret_voters` says who has voted (so nobody votes twice, and reminders skip them), and
`vote_secret_tallies` holds only counts (and the free-text opinions, shuffled) per option. There
is no row per ballot at all: a row per ballot written by the voter's own transaction would carry
that transaction's id (PostgreSQL's xmin) and physical position, which a plain query can join to
the voter's row. Every secret ballot rewrites the tally rows of every option of the vote, so even
those system columns say only "someone voted last", never what. No Telegram here.

The parts: tables.py (the tables, their kinds and limits), rules.py (closing times, options, "more than
half"), ballots.py (opening, casting), together.py (the ballots of taps that come together, written in one
transaction), results.py (counting), closing.py (the clock's ticks), lists.py.
`from models.votes import X` and `models.votes.X` reach every public name of them.
"""
from __future__ import annotations

# Each part lists what it exports in its own __all__; the package exports all of them.
from . import ballots, closing, lists, results, rules, tables, together
from .ballots import *  # noqa: F403
from .closing import *  # noqa: F403
from .lists import *  # noqa: F403
from .results import *  # noqa: F403
from .rules import *  # noqa: F403
from .tables import *  # noqa: F403
from .together import *  # noqa: F403

__all__ = [*ballots.__all__, *closing.__all__, *lists.__all__, *results.__all__, *rules.__all__, *tables.__all__,
           *together.__all__]
