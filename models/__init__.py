"""The handbook itself: tables and the domain operations on them. No Telegram here."""
from . import (  # noqa: F401  (register every table)
    accounts,
    audit,
    bulletins,
    conversations,
    corrections,
    deliveries,
    feedback,
    meetings,
    members,
    notices,
    permissions,
    relinking,
    roles,
    units,
    votes,
)
from .base import Base

__all__ = ["Base"]
