"""The features' declarations (handlers/features.py): what bot/ composes must fit together."""
from __future__ import annotations

from collections import Counter

import pytest

from handlers import features
from handlers.feature import Command, Feature, MenuButton
from handlers.i18n import LANGUAGES, catalog


def test_every_listed_feature_declares_itself_under_its_name():
    loaded = features.load()
    assert [f.name for f in loaded] == list(features.FEATURES)
    assert all(isinstance(f, Feature) and f.register for f in loaded)


def test_commands_and_menu_buttons_are_unique_and_worded_in_every_language():
    commands = [c.name for f in features.load() for c in f.commands]
    menu = [b.key for f in features.load() for b in f.menu]
    assert [n for n, k in Counter(commands).items() if k > 1] == []
    assert [n for n, k in Counter(menu).items() if k > 1] == []
    for lang in LANGUAGES:
        words = catalog(lang)
        assert [n for n in commands if f"cmd.{n}" not in words] == [], lang
        assert [k for k in menu if k not in words] == [], lang


def test_members_see_member_commands_and_officers_theirs_too():
    member, officer = features.command_names(False), features.command_names(True)
    assert set(member) < set(officer)
    assert member[0] == "start" and member[-2:] == officer[-2:] == ["help", "cancel"]
    assert {"notice", "meeting", "vote", "invite"} <= set(officer) - set(member)


def test_the_menu_is_two_buttons_a_row_and_help_last():
    rows = features.menu_rows()
    assert all(len(row) == 2 for row in rows[:-1]) and rows[-1][-1] == "menu.help"


def test_every_delivery_kind_has_one_renderer_and_progress_is_for_rendered_kinds():
    renderers = features.renderers()
    assert set(features.progress()) <= set(renderers)
    assert len(features.ticks()) == len({id(t) for t in features.ticks()})


def test_two_features_rendering_one_kind_is_refused(monkeypatch):
    async def render(session, ref_id, lang, tz):
        return []

    twins = (Feature("a", renderers=lambda s: {"k": render}), Feature("b", renderers=lambda s: {"k": render}))
    monkeypatch.setattr(features, "load", lambda: twins)
    with pytest.raises(ValueError, match="'k'"):
        features.renderers()


def test_a_new_feature_is_one_declaration(monkeypatch):
    """What adding a feature asks of bot/: nothing. Its commands, menu button, renderer and tick appear."""
    async def render(session, ref_id, lang, tz):
        return []

    async def tick(session):
        return []

    new = Feature("glossary", register=lambda app: None, commands=(Command("glossary", 75),),
                  menu=(MenuButton("menu.glossary", 85),), renderers=lambda s: {"glossary": render}, ticks=(tick,))
    real = features.load()
    monkeypatch.setattr(features, "load", lambda: (*real, new))
    assert "glossary" in features.command_names(False)
    assert features.menu_keys()[-2:] == ("menu.glossary", "menu.help")
    assert features.renderers()["glossary"] is render and tick in features.ticks()
