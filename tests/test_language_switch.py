"""A chat that chose one language and writes in another is offered a switch, never switched silently."""

from __future__ import annotations

from bot.conversation.language_switch import SwitchWatch


def test_three_in_a_row_in_one_other_form_bring_an_offer_and_the_count_starts_again():
    watch = SwitchWatch()
    assert [watch.note(1, "ur", "ur-Latn") for _ in range(6)] == [None, None, "ur-Latn", None, None, "ur-Latn"]


def test_a_message_in_the_chosen_form_or_in_a_third_form_breaks_the_streak():
    watch = SwitchWatch()
    assert [watch.note(1, "ur", f) for f in ("ur-Latn", "ur-Latn", "ur", "ur-Latn", "ur-Latn")] == [None] * 5
    assert [watch.note(2, "ur", f) for f in ("en", "en", "ur-Latn", "en", "en")] == [None] * 5
    assert watch.note(2, "ur", "en") == "en"


def test_a_message_without_letters_neither_counts_nor_breaks_and_chats_are_counted_apart():
    watch = SwitchWatch()
    assert [watch.note(1, "sd", f) for f in ("en", None, "en")] == [None, None, None]
    assert watch.note(2, "sd", "en") is None
    assert watch.note(1, "sd", "en") == "en"


def test_forget_clears_a_chat_and_only_the_latest_chats_are_kept():
    watch = SwitchWatch(max_chats=2)
    for chat in (1, 2):
        watch.note(chat, "en", "ur-Latn")
        watch.note(chat, "en", "ur-Latn")
    watch.forget(1)
    assert watch.note(1, "en", "ur-Latn") is None
    watch.note(3, "en", "ur-Latn")  # 2 is now the oldest and is dropped
    assert watch.note(2, "en", "ur-Latn") is None


async def test_the_offer_is_in_the_new_form_and_switches_only_when_pressed(conversation):
    await conversation.action(70, 70, "lang:en")
    replies = [await conversation.text(70, 70, t) for t in ("tankhwa nahi mili", "chutti kitni hai", "overtime ka rate")]
    assert [len(r) for r in replies] == [1, 1, 2]
    assert await conversation.prefs.language(70) == "en"  # not switched by itself
    offer = replies[-1][-1]
    [[button]] = offer.buttons
    assert button.action == "lang:ur-Latn" and "Roman Urdu" in offer.text and offer.text.startswith("Aap")
    await conversation.action(70, 70, button.action)
    assert await conversation.prefs.language(70) == "ur-Latn"


async def test_forget_forgets_the_streak_too(conversation):
    await conversation.action(71, 71, "lang:en")
    for text in ("tankhwa nahi mili", "chutti kitni hai"):
        await conversation.text(71, 71, text)
    await conversation.command(71, 71, "forget")
    await conversation.action(71, 71, "lang:en")
    assert len(await conversation.text(71, 71, "overtime ka rate")) == 1
