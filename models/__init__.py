"""The handbook itself: tables and the domain operations on them. No Telegram here."""
from .base import Base
from . import accounts, audit, bulletins, conversations, corrections, deliveries, feedback, meetings, members, notices, permissions, relinking, roles, units, votes  # noqa: F401  (register every table)

__all__ = ["Base"]
