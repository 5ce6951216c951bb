"""What a profile shows of a member's transfers (models.transfers.history): the cells they left, and the
transfer under way with its end or deadlines."""
from __future__ import annotations

from models import transfers
from models.transfers import History, Purpose

from ..i18n import fmt_date
from ..turn import Turn, esc


def kind_key(t: transfers.Transfer) -> str:
    """The catalog's word for a transfer's kind: official, or temporary for work or for study."""
    return "official" if t.purpose is None else Purpose(t.purpose).value


def profile_lines(turn: Turn, found: History) -> list[str]:
    lines = []
    if found.past:
        cells = "; ".join(turn.t("transfer.profile_cell", cell=esc(name), until=fmt_date(until))
                          for name, _since, until in found.past)
        lines.append(turn.t("transfer.profile_past", cells=cells))
    if (t := found.open) is not None:
        lines.append(turn.t("transfer.profile_open", kind=turn.t(f"transfer.kind.{kind_key(t)}"),
                            dest=esc(found.other), day=fmt_date(t.decided_on)))
        due = transfers.deadlines(t)
        if due.until is not None:
            lines.append(turn.t("transfer.due_until", day=fmt_date(due.until)))
        elif due.move_by is not None:
            lines.append(turn.t("transfer.due_move", day=fmt_date(due.move_by), days=transfers.rules().working_days))
    return lines
