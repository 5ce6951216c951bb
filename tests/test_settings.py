"""Settings load from config.toml and HANDBOOK_* (environment wins); bad ones stop with one line; tokens never logged."""
from __future__ import annotations

import logging

import pytest

from bot.logs import RedactTokens, setup_logging
from bot.settings import SettingsError, load_settings

TOKEN = "1234567890:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw"


@pytest.fixture
def config(tmp_path, monkeypatch):
    path = tmp_path / "config.toml"
    monkeypatch.setenv("HANDBOOK_CONFIG", str(path))
    for name in ("HANDBOOK_DEFAULT_LANGUAGE", "HANDBOOK_ADMIN_IDS", "HANDBOOK_BOT_TOKEN", "HANDBOOK_TIMEZONE"):
        monkeypatch.delenv(name, raising=False)
    return path


def test_defaults_without_a_file(config):
    s = load_settings()
    assert s.database_url == "sqlite+aiosqlite:///handbook.db"
    assert s.default_language == "vi" and s.timezone == "Asia/Ho_Chi_Minh" and s.tts_engine == "auto"
    assert s.telegram_api_url == "https://api.telegram.org" and s.admin_ids == frozenset()


def test_file_then_environment_wins(config, monkeypatch):
    config.write_text('default_language = "en"\nadmin_ids = [5, 6]\n', encoding="utf-8")
    assert load_settings().default_language == "en"
    assert load_settings().admin_ids == frozenset({5, 6})
    monkeypatch.setenv("HANDBOOK_DEFAULT_LANGUAGE", "bn")
    monkeypatch.setenv("HANDBOOK_ADMIN_IDS", "7, 8")
    s = load_settings()
    assert s.default_language == "bn" and s.admin_ids == frozenset({7, 8})


@pytest.mark.parametrize(
    "name,value",
    [("HANDBOOK_DEFAULT_LANGUAGE", "fr"), ("HANDBOOK_TIMEZONE", "Mars/Olympus"), ("HANDBOOK_ADMIN_IDS", "1,x"),
     ("HANDBOOK_TELEGRAM_API_URL", "api.telegram.org")],
)
def test_a_malformed_setting_stops_with_one_line_naming_it(config, monkeypatch, name, value):
    monkeypatch.setenv(name, value)
    with pytest.raises(SettingsError) as exc:
        load_settings()
    message = str(exc.value)
    assert name in message and "\n" not in message


def test_a_broken_config_file_is_named(config):
    config.write_text("default_language = \n", encoding="utf-8")
    with pytest.raises(SettingsError, match="config.toml"):
        load_settings()


def test_the_token_is_never_printed_by_the_settings(config, monkeypatch):
    monkeypatch.setenv("HANDBOOK_BOT_TOKEN", TOKEN)
    s = load_settings()
    assert TOKEN not in repr(s) and TOKEN not in str(s.model_dump())


def test_logs_never_show_a_token(caplog):
    handler_filter = RedactTokens((TOKEN,))
    record = logging.LogRecord("x", logging.INFO, __file__, 1, "HTTP Request: POST https://api.telegram.org/bot%s/getMe", (TOKEN,), None)
    handler_filter.filter(record)
    assert TOKEN not in record.getMessage() and "[secret]" in record.getMessage()
    other = logging.LogRecord("x", logging.INFO, __file__, 1, "url /bot987654321:ZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZ/x", None, None)
    handler_filter.filter(other)
    assert "ZZZZZZZZZZ" not in other.getMessage()


def test_httpx_request_lines_are_silenced():
    setup_logging(secrets=(TOKEN,))
    assert logging.getLogger("httpx").getEffectiveLevel() >= logging.WARNING


def test_a_short_seal_key_is_refused_without_showing_it(config, monkeypatch):
    monkeypatch.setenv("HANDBOOK_SEAL_KEY", "too-short-a-key")
    with pytest.raises(SettingsError) as exc:
        load_settings()
    message = str(exc.value)
    assert "HANDBOOK_SEAL_KEY" in message and "token_urlsafe" in message and "too-short-a-key" not in message
    monkeypatch.setenv("HANDBOOK_SEAL_KEY", "k" * 43)
    s = load_settings()
    assert s.seal_key.get_secret_value() == "k" * 43 and "k" * 43 not in repr(s)


@pytest.mark.parametrize(
    "name,value,expected",
    [("tts_rate", " 150 ", 150), ("todo_hour", "08:00", 8), ("todo_hour", "off", None), ("todo_hour", "", None),
     ("delivery_poll_s", "0.5", 0.5), ("delivery_rate_per_s", "0", 0.0), ("admin_ids", "1; 2,3", frozenset({1, 2, 3})),
     ("meeting_reminders", "2h, 30m", ("2h", "30m")), ("bot_username", "@my_bot_1", "my_bot_1"),
     ("bot_username", "", None), ("telegram_api_url", "http://127.0.0.1:8081/", "http://127.0.0.1:8081")],
)
def test_variables_are_read_as_their_settings(config, monkeypatch, name, value, expected):
    monkeypatch.setenv(f"HANDBOOK_{name.upper()}", value)
    assert getattr(load_settings(), name) == expected


@pytest.mark.parametrize("line", ["tts_rate = 150.5", "database_url = 5", "admin_ids = 5", "nonsense = 1",
                                  "delivery_poll_s = 0", "tts_engine = 'festival'"])
def test_a_wrong_value_in_the_file_is_named(config, line):
    config.write_text(line + "\n", encoding="utf-8")
    with pytest.raises(SettingsError) as exc:
        load_settings()
    assert f"HANDBOOK_{line.split(' =')[0].upper()} is invalid" in str(exc.value)


def test_values_given_in_code_win_and_copies_are_not_checked(config, monkeypatch):
    config.write_text('database_url = "sqlite+aiosqlite:///file.db"\n', encoding="utf-8")
    monkeypatch.setenv("HANDBOOK_DATABASE_URL", "sqlite+aiosqlite:///env.db")
    s = load_settings(DATABASE_URL="sqlite+aiosqlite:///code.db")
    assert s.database_url == "sqlite+aiosqlite:///code.db"
    copy = s.model_copy(update={"telegram_api_url": "http://emulator/"})
    assert copy.telegram_api_url == "http://emulator/" and s.telegram_api_url == "https://api.telegram.org"
