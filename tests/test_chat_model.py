"""bot/chat_model.py against a fake OpenAI-compatible server (tests/fake_llm.py): the reply's text, or None
when the endpoint fails, is slow, answers garbage or too much; the key goes only in its header, never in a log;
nothing is configured, nothing is made."""
from __future__ import annotations

import logging

import pytest

from bot.chat_model import ChatModel, chat_model
from bot.settings import Settings
from tests.fake_llm import FakeModel, completion

MESSAGES = [{"role": "system", "content": "quy tắc"}, {"role": "user", "content": "<cau_hoi>\nhỏi\n</cau_hoi>"}]
KEY = "sk-test-secret-0123456789"


async def test_a_reply_and_what_is_sent():
    async with FakeModel(lambda body: ("json", "Đáp [1].")) as fake:
        model = ChatModel(fake.url + "/", "qwen2.5:7b", KEY, timeout_s=5)
        assert await model.complete(MESSAGES) == "Đáp [1]."
        headers, body = fake.requests[0]
        assert headers["Authorization"] == f"Bearer {KEY}"
        assert body["model"] == "qwen2.5:7b" and body["messages"] == MESSAGES and body["stream"] is False
        assert KEY not in repr(model)
        # The URL as given when it names the endpoint itself; no key, no Authorization header.
        bare = ChatModel(fake.url + "/chat/completions", None, None, timeout_s=5)
        assert await bare.complete(MESSAGES) == "Đáp [1]."
        assert "Authorization" not in fake.requests[1][0] and fake.requests[1][1]["model"] == "default"


@pytest.mark.parametrize("behaviour, code", [
    (("status", 500), "http_500"),
    (("status", 401), "http_401"),
    (("raw", b"<html>not json</html>"), "not_openai_json"),
    (("raw", b'{"choices": []}'), "not_openai_json"),
    (("raw", b'{"choices": [{"message": {"content": 42}}]}'), "not_openai_json"),
    (("huge", 1024 * 1024), "too_large"),
    (("slow", 5), "timeout"),
])
async def test_failures_give_none_and_log_only_their_kind(behaviour, code, caplog):
    caplog.set_level(logging.DEBUG)
    async with FakeModel(lambda body: behaviour) as fake:
        model = ChatModel(fake.url, "m", KEY, timeout_s=0.3 if code == "timeout" else 5)
        assert await model.complete(MESSAGES) is None
    assert model.outcomes == {code: 1}
    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert code in logged and KEY not in logged and "hỏi" not in logged


async def test_a_draft_has_its_own_timeout():
    async with FakeModel(lambda body: ("slow", 0.5)) as fake:
        model = ChatModel(fake.url, "m", None, timeout_s=0.2, draft_timeout_s=3)
        assert await model.complete(MESSAGES) is None and model.outcomes == {"timeout": 1}
        assert await model.complete(MESSAGES, 1500, draft=True) == "Quá muộn [1]."
        assert fake.requests[-1][1]["max_tokens"] == 1500


async def test_an_endpoint_nobody_listens_on():
    async with FakeModel() as fake:
        url = fake.url
    model = ChatModel(url, "m", None, timeout_s=2)
    assert await model.complete(MESSAGES) is None and next(iter(model.outcomes)).startswith("unreachable")


def test_made_only_when_configured(monkeypatch, tmp_path):
    monkeypatch.setenv("HANDBOOK_CONFIG", str(tmp_path / "absent.toml"))
    assert chat_model(Settings()) is None
    monkeypatch.setenv("HANDBOOK_LLM_URL", "http://127.0.0.1:11434/v1/")
    monkeypatch.setenv("HANDBOOK_LLM_API_KEY", KEY)
    settings = Settings()
    model = chat_model(settings)
    assert model is not None and model.url == "http://127.0.0.1:11434/v1/chat/completions" and model.timeout_s == 8
    assert model.draft_timeout_s == 60  # a draft the secretary asked for may take longer than a member's answer
    assert KEY not in repr(settings)
    monkeypatch.setenv("HANDBOOK_LLM_URL", "127.0.0.1:11434")
    with pytest.raises(Exception, match="http"):
        Settings()
    assert completion("x")["choices"][0]["message"]["content"] == "x"
