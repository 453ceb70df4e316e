"""The conversation core, driven directly: which language and which message a worker gets back."""

from __future__ import annotations

import re

import pytest

from bot.conversation import Message
from bot.i18n import gettext_for

SINDHI_ONLY = re.compile(r"[ڪڳڻٽڏ]")
URDU_ONLY = re.compile(r"[ےۓ]")


def data(messages: list[Message], label: str | None = None, prefix: str = "") -> str:
    """The data of the first button (with this label, or whose data starts with ``prefix``)."""
    for msg in messages:
        for row in msg.buttons:
            for b in row:
                if (label is None or b.label == label) and b.action.startswith(prefix):
                    return b.action
    raise AssertionError(f"no button {label or prefix!r} in {messages}")


# -- F1: button replies keep the language the worker asked in ----------------------------------------

@pytest.mark.parametrize("question, entry, title", [
    ("موڪل", "weekly-holiday", "هفتيوار موڪل"),    # Sindhi, never chose a language
    ("leave", "annual-leave", "Paid annual leave"),  # English
])
async def test_did_you_mean_choice_comes_in_the_question_language(conversation, question, entry, title):
    suggested = await conversation.text(1, 1, question)
    picked = await conversation.action(1, 1, data(suggested, prefix=f"entry:{entry}"))
    assert picked[-1].title == title


async def test_every_button_under_an_english_answer_answers_in_english(conversation):
    answer = await conversation.text(2, 2, "how is overtime paid")
    assert answer[-1].title == "Overtime limits and pay"
    thanks = await conversation.action(2, 2, data(answer, "Yes"))
    assert thanks[-1].text == "Thank you for telling us."
    sorry = await conversation.action(2, 2, data(answer, "No"))
    assert sorry[-1].text.startswith("Sorry it did not help")
    back = await conversation.action(2, 2, data(answer, "« Back"))
    assert back[-1].text == "Questions about Wages and pay:"
    related = await conversation.action(2, 2, data(answer, "Related"))
    assert related[-1].text.startswith("Related to “Overtime limits and pay”")
    picked = await conversation.action(2, 2, data(related, prefix="entry:"))
    assert not URDU_ONLY.search(picked[-1].text) and not SINDHI_ONLY.search(picked[-1].text)


async def test_sindhi_decline_menu_stays_sindhi(conversation):
    declined = await conversation.text(3, 3, "ڪرڪيٽ جو ميچ ڪير کٽيو؟")
    menu = await conversation.action(3, 3, data(declined, prefix="topic:wages"))
    assert menu[-1].text == gettext_for("sd")("Questions about {topic}:").format(topic="پگهار ۽ اجرت")


async def test_a_chosen_language_wins_over_the_buttons(conversation):
    answer = await conversation.text(4, 4, "how is overtime paid")
    await conversation.action(4, 4, "lang:sd")
    thanks = await conversation.action(4, 4, data(answer, "Yes"))
    assert thanks[-1].text == gettext_for("sd")("Thank you for telling us.")


async def test_old_and_forged_button_data_still_get_a_menu(conversation):
    for forged in ("topic:wages", "topic:wages~xx", "entry:nope~sd", "~", "topic:wages~en~sd"):
        reply = await conversation.action(5, 5, forged)
        assert reply and reply[-1].buttons, forged


# -- F8: « Back under an answer keeps the answer --------------------------------------------------------

async def test_back_under_an_answer_opens_a_new_menu_and_back_in_a_menu_replaces_it(conversation):
    menu = await conversation.action(6, 6, "topic:wages~en")
    assert menu[-1].edit  # menu to menu: replaced
    answer = await conversation.action(6, 6, data(menu, prefix="entry:overtime"))
    back = await conversation.action(6, 6, data(answer, "« Back"))
    assert back[-1].text == "Questions about Wages and pay:" and not back[-1].edit
    up = await conversation.action(6, 6, data(back, "« Back"))
    assert up[-1].edit


async def test_topic_chosen_under_a_decline_keeps_the_phone_number(conversation):
    declined = await conversation.text(7, 7, "who won the cricket match yesterday")
    assert "021-34325500" in declined[-1].text
    menu = await conversation.action(7, 7, data(declined, prefix="topic:"))
    assert not menu[-1].edit


# -- F14: the phone's language before a choice -------------------------------------------------------

@pytest.mark.parametrize("command", ["help", "topics", "privacy", "nonsense"])
async def test_commands_use_the_phones_language_until_one_is_chosen(conversation, command):
    english = await conversation.command(8, 8, command, hint="en")
    assert not re.search(r"[\u0600-\u06FF]", english[-1].text.split("\n")[0])
    await conversation.action(8, 8, "lang:sd")
    sindhi = await conversation.command(8, 8, command, hint="en")
    assert re.search(r"[\u0600-\u06FF]", sindhi[-1].text)


async def test_sticker_reply_in_the_phones_language(conversation):
    assert (await conversation.unsupported(9, "sticker", hint="en"))[-1].text.startswith("I can only read text")
    assert (await conversation.unsupported(9, "sticker", hint="zz"))[-1].text != "I can only read text."


async def test_emoji_only_question_declined_in_the_phones_language(conversation):
    reply = await conversation.text(10, 10, "🙏🙂", hint="en")
    assert reply[-1].text.startswith("Sorry, I do not have an answer")


async def test_the_senders_telegram_names_never_reach_the_log(tmp_path, store, prefs):
    import sqlite3

    from bot.conversation import Conversation
    from bot.querylog import QueryLog

    log = QueryLog(tmp_path / "queries.sqlite3")
    await log.start()
    conversation = Conversation(store, prefs, log=log)
    await conversation.text(11, 11, "Zarmeena Khaskheli here, overtime kitna milta hai", names=("Zarmeena", "Khaskheli"))
    await log.close()
    texts = sqlite3.connect(tmp_path / "queries.sqlite3").execute("SELECT text FROM queries").fetchall()
    assert texts == [("<name> <name> here, overtime kitna milta hai",)]
