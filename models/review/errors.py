"""The review's refusals."""
from __future__ import annotations


class ReviewError(Exception):
    """An action on a round or an entry that is refused; `reason` names the catalog message (review.refused.<reason>)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason
