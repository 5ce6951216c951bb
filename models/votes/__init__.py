"""Votes of a cell (biểu quyết): open (named) or secret ballots (bỏ phiếu kín), closed by the clock.

A secretary opens a vote of one cell. Who may vote is fixed when it opens (the electors): every
full member of the cell, or those of them marked present at a meeting; probationary members
receive it to read and cannot vote (Charter art. 3). Every elector gets the ballot through the
outbox; one ballot per member per vote is enforced by a unique key, so racing taps end in one
ballot. The scheduler's ticks remind those who have not voted and close due votes exactly once
(a conditional UPDATE: only the transaction that sets `closed_at` goes on to queue the results).

A resolution passes when MORE THAN HALF agree (Charter art. 10), counted by default on all the
cell's full members; or on those present; or on the votes cast. Whether exempt members who did
not vote stay in the base follows the cell's setting, copied when the vote opens.

Secret ballots keep two facts apart, in two tables with nothing in common but the vote:
`vote_secret_voters` says who has voted (so nobody votes twice, and reminders skip them), and
`vote_secret_tallies` holds only counts (and the free-text opinions, shuffled) per option. There
is no row per ballot at all: a row per ballot written by the voter's own transaction would carry
that transaction's id (PostgreSQL's xmin) and physical position, which a plain query can join to
the voter's row. Every secret ballot rewrites the tally rows of every option of the vote, so even
those system columns say only "someone voted last", never what. No Telegram here.

The parts: tables.py (the tables, their kinds and limits), rules.py (closing times, options, "more than
half"), ballots.py (opening, casting), results.py (counting), closing.py (the clock's ticks), lists.py.
`from models.votes import X` and `models.votes.X` reach every public name of them.
"""
from __future__ import annotations

from .ballots import (
                      REFUSED,
                      Cast,
                      CastResult,
                      cast_ballot,
                      choice_of,
                      elector,
                      get_vote,
                      has_voted,
                      open_vote,
                      set_status_message,
)
from .closing import close_due, close_vote, remind_due
from .lists import MeetingChoice, MemberVote, for_member, managed_votes, meetings_for_votes
from .results import OptionResult, RollLine, Turnout, VoteResult, results_for_meeting, roll, tally, turnout
from .rules import check_closing, clean_options, clean_text, more_than_half, parse_closing, parse_duration
from .tables import (
                      ABSENT_DELIVERY,
                      BALLOT_DELIVERY,
                      CLOSE_BATCH,
                      DEFAULT_DURATION,
                      DEFAULT_REMINDER,
                      DURATION_MAX,
                      DURATION_MIN,
                      OPTION_MAX,
                      OPTIONS_MAX,
                      OPTIONS_MIN,
                      PROBATION_DELIVERY,
                      QUESTION_MAX,
                      REMINDER_CHOICES,
                      REMINDER_DELIVERY,
                      RESULT_DELIVERY,
                      ROLL_DELIVERY,
                      STANDARD_OPTIONS,
                      TEXT_MAX,
                      Ballot,
                      BallotKind,
                      Elector,
                      Electorate,
                      OptionKind,
                      PassRule,
                      SecretTally,
                      SecretVoter,
                      Vote,
                      VoteError,
                      VoteOption,
)

__all__ = [
    # tables
    "ABSENT_DELIVERY", "BALLOT_DELIVERY", "CLOSE_BATCH", "DEFAULT_DURATION", "DEFAULT_REMINDER", "DURATION_MAX",
    "DURATION_MIN", "OPTION_MAX", "OPTIONS_MAX", "OPTIONS_MIN", "PROBATION_DELIVERY", "QUESTION_MAX",
    "REMINDER_CHOICES", "REMINDER_DELIVERY", "RESULT_DELIVERY", "ROLL_DELIVERY", "STANDARD_OPTIONS", "TEXT_MAX",
    "Ballot", "BallotKind", "Elector", "Electorate", "OptionKind", "PassRule", "SecretTally", "SecretVoter", "Vote",
    "VoteError", "VoteOption",
    # rules
    "check_closing", "clean_options", "clean_text", "more_than_half", "parse_closing", "parse_duration",
    # ballots
    "REFUSED", "Cast", "CastResult", "cast_ballot", "choice_of", "elector", "get_vote", "has_voted", "open_vote",
    "set_status_message",
    # results
    "OptionResult", "RollLine", "Turnout", "VoteResult", "results_for_meeting", "roll", "tally", "turnout",
    # closing, lists
    "close_due", "close_vote", "remind_due",
    "MeetingChoice", "MemberVote", "for_member", "managed_votes", "meetings_for_votes",
]
