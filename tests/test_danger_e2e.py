"""End to end: a danger message's first reply holds the emergency numbers, in each form, on every channel."""

from __future__ import annotations

import io

import pytest

from tests.telegram_harness import running, wait

# Written for these tests (not from any question set), one per form, with the title its reply must carry.
CRIES = [
    ("en", "the owner is beating my brother with a rod right now", "Get help now"),
    ("ur", "سپروائزر نے دھمکی دی ہے کہ جان سے مار دے گا", "ابھی مدد لیں"),
    ("sd", "ڪارخاني ۾ باهه لڳي آهي ۽ دروازو بند آهي", "هاڻي مدد وٺو"),
    ("ur-Latn", "malik ne hamein factory ke andar band kar diya hai", "Abhi madad lein"),
]


@pytest.mark.parametrize("lang, text, title", CRIES, ids=[c[0] for c in CRIES])
async def test_telegram_sends_the_emergency_numbers_first(fake, settings, lang, text, title):
    chat = 4000 + len(text)
    async with running(settings):
        fake.message(chat, text)
        first = (await wait(fake, chat, 1))[0]
    assert f"<b>{title}</b>" in first["text"]
    assert "15" in first["text"] and ("1122" in first["text"] or "1094" in first["text"])
    assert fake.errors == []


@pytest.mark.parametrize("lang, text, title", CRIES, ids=[c[0] for c in CRIES])
def test_the_terminal_chat_shows_the_emergency_numbers_first(store, tmp_path, lang, text, title):
    from bot.bootstrap import bootstrap
    from bot.channels.terminal import run_terminal_chat
    from bot.config import Settings
    from bot.stores.preferences import Preferences

    lines = iter([text, "/quit"])
    out = io.StringIO()
    run_terminal_chat(bootstrap(Settings(data_dir=tmp_path), store, prefs=Preferences(":memory:"), log_questions=False),
                      read=lambda prompt: next(lines), out=out)
    reply = out.getvalue().split("[4] Roman Urdu", 1)[1]  # what follows the language picker
    assert reply.lstrip("\n").startswith(f"== {title} ==") and "15" in reply
