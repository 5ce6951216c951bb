"""Settings: config.toml, then HANDBOOK_* environment variables (the environment wins)."""
from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Annotated, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, SecretStr, ValidationError, field_validator
from pydantic_settings import (
    BaseSettings,
    NoDecode,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)

LANGUAGES = ("vi", "en", "bn")


class SettingsError(SystemExit):
    """A missing or malformed setting: one line that names it, then stop."""


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="HANDBOOK_", extra="forbid", validate_default=True)

    bot_token: SecretStr | None = None
    database_url: str = "sqlite+aiosqlite:///handbook.db"
    telegram_api_url: str = "https://api.telegram.org"
    default_language: Literal["vi", "en", "bn"] = "vi"
    timezone: str = "Asia/Ho_Chi_Minh"
    tts_engine: Literal["gtts", "espeak", "auto"] = "auto"
    # Speech for older listeners: espeak-ng words a minute (its own default is 175); the disk cache of
    # synthesised audio (default: .cache/audio next to a SQLite database, else in the working directory).
    tts_rate: int = Field(default=130, ge=80, le=300)
    tts_cache_dir: str | None = None
    tts_cache_mb: int = Field(default=512, ge=16, le=1_000_000)
    admin_ids: Annotated[frozenset[int], NoDecode] = frozenset()
    invite_ttl_days: int = Field(default=7, ge=1, le=90)
    # The bot's @username for invite links (https://t.me/<username>?start=CODE) printed by `handbook invite`;
    # empty: asked from Telegram (getMe) when the token is set. The running bot asks getMe itself.
    bot_username: str | None = None
    members_page_size: int = Field(default=8, ge=3, le=30)
    # The delivery dispatcher (bot/dispatcher.py); 0 switches a limit off.
    delivery_rate_per_s: float = Field(default=30, ge=0)
    delivery_per_chat_per_s: float = Field(default=1, ge=0)
    delivery_max_attempts: int = Field(default=5, ge=1, le=50)
    delivery_concurrency: int = Field(default=64, ge=1, le=512)
    delivery_lease_s: float = Field(default=30, ge=1, le=3600)
    delivery_backoff_s: float = Field(default=5, gt=0, le=3600)
    delivery_poll_s: float = Field(default=1, gt=0, le=60)
    # Several instances share delivery_rate_per_s (replies and deliveries together) through Redis when this
    # is set (redis://[:password@]host:6379/0), else through PostgreSQL; never logged (it may hold a password).
    redis_url: SecretStr | None = None
    # Meeting reminders, before the start: "3d", "1d", "2h", "30m" (models/meetings/).
    meeting_reminders: Annotated[tuple[str, ...], NoDecode] = ("3d", "1d", "2h")
    # The officers' weekly to-do, Mondays at this hour (local time; each officer may choose another);
    # "off": only officers who turned it on themselves get it.
    todo_hour: int | None = Field(default=7, ge=0, le=23)
    # `handbook run --webhook URL`: where our server listens (a reverse proxy in front) and the secret
    # Telegram sends back in every request; /healthz and /metrics are served there too.
    webhook_listen: str = "127.0.0.1"
    webhook_port: int = Field(default=8443, ge=1, le=65535)
    webhook_secret: SecretStr | None = None
    # Seals the way back to the author of anonymous feedback and keys its hourly counts (models/sealing.py):
    # a secret of its own, never in the database nor derived from the token. `handbook run` needs it.
    seal_key: SecretStr | None = None
    # Long polling: /healthz and /metrics on their own small server (0: none).
    metrics_listen: str = "127.0.0.1"
    metrics_port: int = Field(default=0, ge=0, le=65535)
    # An optional language model (bot/chat_model.py): an OpenAI-compatible chat API's base URL; unset, nothing
    # is sent anywhere. 🔎 Hỏi đáp and /ask then show its short answer (checked) above the passages.
    llm_url: str | None = None
    llm_model: str | None = None
    llm_api_key: SecretStr | None = None
    llm_timeout_s: float = Field(default=8, ge=1, le=60)
    # A draft for the secretary (a notice's text, the minutes' prose, a month's feedback summed up) is longer
    # to write than a short answer, and she asked for it: it may take this long.
    llm_draft_timeout_s: float = Field(default=60, ge=1, le=300)
    sandbox_host: str = "127.0.0.1"
    sandbox_api_port: int = Field(default=8081, ge=0, le=65535)
    sandbox_web_port: int = Field(default=8080, ge=0, le=65535)
    sandbox_database_url: str = "sqlite+aiosqlite:///.sandbox/sandbox.db"

    @field_validator("admin_ids", mode="before")
    @classmethod
    def _split_ids(cls, value):
        if isinstance(value, str):
            return frozenset(int(part) for part in value.replace(";", ",").split(",") if part.strip())
        return value

    @field_validator("meeting_reminders", mode="before")
    @classmethod
    def _reminders(cls, value):
        from models.dates import parse_offset

        items = value.replace(";", ",").split(",") if isinstance(value, str) else list(value)
        items = [str(item).strip() for item in items if str(item).strip()]
        for item in items:
            try:
                parse_offset(item)
            except ValueError:
                raise ValueError("each reminder looks like 3d, 1d, 2h or 30m") from None
        return tuple(items)

    @field_validator("todo_hour", mode="before")
    @classmethod
    def _todo_hour(cls, value):
        if isinstance(value, str):
            text = value.strip().lower()
            if text in ("off", "none", ""):
                return None
            return int(text.split(":")[0]) if re.fullmatch(r"\d{1,2}(:00)?", text) else value
        return value

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError("unknown time zone") from exc
        return value

    @field_validator("bot_username")
    @classmethod
    def _username(cls, value: str | None) -> str | None:
        value = (value or "").strip().removeprefix("@")
        if value and not re.fullmatch(r"[A-Za-z][A-Za-z0-9_]{4,31}", value):
            raise ValueError("must be the bot's username as @BotFather gave it (letters, digits and _), without t.me/")
        return value or None

    @field_validator("webhook_secret")
    @classmethod
    def _secret_token(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and not re.fullmatch(r"[A-Za-z0-9_-]{16,256}", value.get_secret_value()):
            raise ValueError("must be 16 to 256 characters, each a letter, a digit, _ or - (Telegram's rule)")
        return value

    @field_validator("seal_key")
    @classmethod
    def _long_seal_key(cls, value: SecretStr | None) -> SecretStr | None:
        if value is None:  # commands that seal nothing (invite, grant) load no sealing
            return value
        from models.sealing import HOW_TO_MAKE, MIN_SECRET_CHARS

        if len(value.get_secret_value().strip()) < MIN_SECRET_CHARS:
            raise ValueError(f"must be at least {MIN_SECRET_CHARS} characters; make one with {HOW_TO_MAKE}")
        return value

    @field_validator("llm_url")
    @classmethod
    def _llm_url(cls, value: str | None) -> str | None:
        value = (value or "").strip()
        if value and not value.startswith(("http://", "https://")):
            raise ValueError("must start with http:// or https:// (the API's base, as http://127.0.0.1:8080/v1)")
        return value.rstrip("/") or None

    @field_validator("redis_url")
    @classmethod
    def _redis_url(cls, value: SecretStr | None) -> SecretStr | None:
        if value is None or not value.get_secret_value().strip():
            return None
        if not value.get_secret_value().strip().startswith(("redis://", "rediss://", "unix://")):
            raise ValueError("must start with redis://, rediss:// or unix:// (as redis://127.0.0.1:6379/0)")
        return SecretStr(value.get_secret_value().strip())

    @field_validator("telegram_api_url")
    @classmethod
    def _no_trailing_slash(cls, value: str) -> str:
        if not value.startswith(("http://", "https://")):
            raise ValueError("must start with http:// or https://")
        return value.rstrip("/")

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @property
    def tts_cache_path(self) -> Path:
        if self.tts_cache_dir:
            return Path(self.tts_cache_dir).expanduser()
        from models.db import sqlite_path

        database = sqlite_path(self.database_url)
        return (database.parent if database is not None else Path(".")) / ".cache" / "audio"

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ):
        toml_file = Path(os.environ.get("HANDBOOK_CONFIG", "config.toml"))
        return (init_settings, env_settings, TomlConfigSettingsSource(settings_cls, toml_file=toml_file))


def load_settings(**overrides) -> Settings:
    """Read the settings, or stop with one line naming the setting that is wrong."""
    try:
        return Settings(**overrides)
    except ValidationError as exc:
        err = exc.errors()[0]
        name = "HANDBOOK_" + str(err["loc"][0]).upper() if err.get("loc") else "config.toml"
        raise SettingsError(f"Setting {name} is invalid: {err['msg']}") from None
    except (OSError, ValueError) as exc:  # an unreadable or malformed config.toml
        raise SettingsError(f"config.toml could not be read: {type(exc).__name__}: {exc}") from None
