"""The keys of anonymous feedback, none of which is in the database or derived from the bot's token.

Two things must not lead from the database back to the member who wrote an anonymous item:

* the way back for the secretary's reply: the author's chat id, sealed (encrypted and
  authenticated) under a key derived from HANDBOOK_SEAL_KEY, a secret of its own kept with the
  server's other secrets. Whoever holds the database and the bot token, but not this key,
  cannot open it. (Before, the key came from the token: `legacy_key`; such seals are still read
  and are sealed again under the new key at start, see `reseal_legacy`.)
* the hourly limit: each row counts one member's items in one minute under
  HMAC(day key, member:minute), where the day key is HMAC(seal key, "rate:" + day), worked out
  in memory when needed and never stored. The rows are deleted as soon as they leave the hour
  the limit looks at, so no row of an earlier day is left to try keys on.
"""
from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import date, datetime

MIN_SECRET_CHARS = 32
HOW_TO_MAKE = 'python3 -c "import secrets; print(secrets.token_urlsafe(32))"'


def _derive(root: bytes, label: bytes) -> bytes:
    return hmac.new(root, label, hashlib.sha256).digest()


def legacy_key(token: str) -> bytes:
    """The key older versions derived from the bot's token: read only, to reseal what they sealed."""
    return hashlib.sha256(b"handbook-feedback\0" + token.encode()).digest()


@dataclass(frozen=True)
class FeedbackKeys:
    seal_key: bytes  # seals the way back of anonymous items
    rate_root: bytes  # the day keys of the hourly limit come from it
    legacy: bytes | None = None  # the token-derived key of older versions, to read their seals
    # Not feedback's, but from the same secret: the invite codes made for a whole cell from the panel are
    # derived under it (models/invitations.py), so they can be shown again while the database keeps only hashes.
    invite_key: bytes | None = None

    @classmethod
    def from_secret(cls, secret: str | bytes, *, legacy_token: str | None = None) -> FeedbackKeys:
        root = secret.encode() if isinstance(secret, str) else secret
        return cls(
            seal_key=_derive(root, b"handbook-feedback-seal"),
            rate_root=_derive(root, b"handbook-feedback-rate"),
            legacy=legacy_key(legacy_token) if legacy_token else None,
            invite_key=_derive(root, b"handbook-invite-codes"),
        )

    def rate_key(self, day: date) -> bytes:
        """The key of one day's rate rows (UTC day); never stored, the next day's is another."""
        return _derive(self.rate_root, b"rate:" + day.isoformat().encode())

    def rate_row(self, member_id: int, minute: datetime) -> str:
        """The opaque key of the row counting this member's items in this minute."""
        day_key = self.rate_key(minute.date())
        return hmac.new(day_key, f"{member_id}:{minute.isoformat()}".encode(), hashlib.sha256).hexdigest()

    def seal(self, chat_id: int) -> str:
        return seal_chat(self.seal_key, chat_id)

    def unseal(self, sealed: str) -> int | None:
        """The chat id, under the current key or else the legacy one; None when neither opens it."""
        chat_id = unseal_chat(self.seal_key, sealed)
        if chat_id is None and self.legacy is not None:
            chat_id = unseal_chat(self.legacy, sealed)
        return chat_id

    def is_current(self, sealed: str) -> bool:
        return unseal_chat(self.seal_key, sealed) is not None


def seal_chat(key: bytes, chat_id: int) -> str:
    """The chat id encrypted (HMAC-SHA256 as a keystream, random nonce) and authenticated."""
    nonce = secrets.token_bytes(16)
    pad = hmac.new(key, b"pad" + nonce, hashlib.sha256).digest()[:8]
    body = bytes(a ^ b for a, b in zip(chat_id.to_bytes(8, "big", signed=True), pad, strict=True))
    tag = hmac.new(key, b"tag" + nonce + body, hashlib.sha256).digest()[:16]
    return base64.urlsafe_b64encode(nonce + body + tag).decode()


def unseal_chat(key: bytes, sealed: str) -> int | None:
    try:
        raw = base64.urlsafe_b64decode(sealed.encode())
    except (ValueError, TypeError):
        return None
    if len(raw) != 40:
        return None
    nonce, body, tag = raw[:16], raw[16:24], raw[24:]
    if not hmac.compare_digest(tag, hmac.new(key, b"tag" + nonce + body, hashlib.sha256).digest()[:16]):
        return None
    pad = hmac.new(key, b"pad" + nonce, hashlib.sha256).digest()[:8]
    return int.from_bytes(bytes(a ^ b for a, b in zip(body, pad, strict=True)), "big", signed=True)
