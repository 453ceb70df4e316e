"""The conversation core, driven directly: which language and which message a worker gets back."""

from __future__ import annotations

import re

import pytest

from bot.conversation.dialogue import WELCOME, Message
from bot.conversation.i18n import gettext_for

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

    from bot.conversation.dialogue import Conversation
    from bot.stores.querylog import QueryLog

    log = QueryLog(tmp_path / "queries.sqlite3")
    await log.start()
    conversation = Conversation(store, prefs, log=log)
    await conversation.text(11, 11, "Zarmeena Khaskheli here, overtime kitna milta hai", names=("Zarmeena", "Khaskheli"))
    await log.close()
    texts = sqlite3.connect(tmp_path / "queries.sqlite3").execute("SELECT text FROM queries").fetchall()
    assert texts == [("<name> <name> here, overtime kitna milta hai",)]


# -- languages, menus, feedback, small talk, redirects, forget: the core every channel shares --------------

@pytest.mark.parametrize("lang", ["en", "ur", "sd", "ur-Latn"])
async def test_a_chosen_language_is_welcomed_in_and_kept_for_later_commands(conversation, lang):
    _ = gettext_for(lang)
    [picker] = await conversation.start(20)
    assert {b.action for row in picker.buttons for b in row} == {"lang:en", "lang:ur", "lang:sd", "lang:ur-Latn"}
    assert "Roman Urdu" in [b.label for row in picker.buttons for b in row]
    [welcome] = await conversation.action(20, 20, f"lang:{lang}")
    assert welcome.edit and welcome.text.startswith(_(WELCOME))
    assert (lang == "en") == welcome.text.startswith("Assalam-o-Alaikum!")  # translated, not the English fallback
    assert len(welcome.buttons) == len(conversation.knowledge.kb.topics)
    [menu] = await conversation.command(20, 20, "topics", hint="en")
    assert menu.text == _("Choose a topic, or type your question:")


async def test_from_the_topic_menu_to_an_answer_logged_as_a_menu_choice(logged):
    conversation, log = logged
    [menu] = await conversation.command(21, 21, "topics", hint="en")
    [topic] = await conversation.action(21, 21, data([menu], "Wages and pay"))
    assert topic.edit and topic.text == "Questions about Wages and pay:"
    [answer] = await conversation.action(21, 21, data([topic], prefix="entry:overtime"))
    assert answer.title == "Overtime limits and pay" and answer.text.endswith("Was this helpful?")
    assert [(r["kind"], r["entry_id"], r["detected_lang"], r["text"]) for r in log.rows] == [("menu", "overtime", None, None)]


async def test_a_rating_reaches_the_row_of_the_answer_it_is_under(logged):
    conversation, log = logged
    first = await conversation.text(22, 22, "how is overtime paid")
    second = await conversation.text(22, 22, "maternity leave kitni hai")
    await conversation.action(22, 22, data(first, "Yes"))
    await conversation.action(22, 22, data(second, prefix="no:"))
    assert [r["outcome"] for r in log.rows] == ["answered", "answered"]
    assert log.ratings == [("t1", True), ("t2", False)]


async def test_an_edited_question_is_answered_but_not_logged_again(logged):
    conversation, log = logged
    again = await conversation.text(23, 23, "how is overtime paid", record=False)
    assert again[-1].title == "Overtime limits and pay" and log.rows == []


async def test_small_talk_gets_its_reply_and_the_menu_in_the_language_used(logged, store):
    conversation, log = logged
    [reply] = await conversation.text(24, 24, "thank you")
    assert reply.text == store.kb.smalltalk_kind("thanks").reply["en"]
    assert len(reply.buttons) == len(store.kb.topics)
    assert log.rows[-1]["outcome"] == "smalltalk"


def _post_office(redirect: bool) -> str:
    lines = ["  - id: post-office", "    about: test group"]
    if redirect:
        lines += ["    redirect:", "      en: Ask the post office.", "      ur: ڈاک خانے سے پوچھیں۔", "      sd: ڊاڪخاني کان پڇو.",
                  "      ur-Latn: Dak khane se poochein."]
    lines.append("    examples:")
    lines += [f"      {form}: [zorblax parcel stamps, zorblax letter, zorblax parcel post, zorblax stamps price]"
              for form in ("en", "ur", "sd", "ur-Latn")]
    return "\n".join(lines)


@pytest.mark.parametrize("redirect", [True, False])
async def test_out_of_scope_questions_are_pointed_elsewhere_or_declined_with_the_phone(kb_copy, prefs, redirect):
    from bot.conversation.dialogue import Conversation
    from bot.knowledge.store import KnowledgeStore
    from tests.helpers import CollectingLog

    path = kb_copy / "out-of-scope.yaml"
    path.write_text(path.read_text(encoding="utf-8") + "\n" + _post_office(redirect) + "\n", encoding="utf-8")
    log = CollectingLog()
    conversation = Conversation(KnowledgeStore(kb_copy), prefs, log=log)
    [reply] = await conversation.text(25, 25, "how much are zorblax stamps for a parcel")
    if redirect:
        assert reply.text == "Ask the post office."
    else:
        assert reply.text.startswith("Sorry, I do not have an answer") and "021-34325500" in reply.text
    assert reply.buttons and (log.rows[-1]["outcome"], log.rows[-1]["out_of_scope"]) == ("redirected", "post-office")


async def test_an_empty_message_asks_for_a_question_and_logs_nothing(logged):
    conversation, log = logged
    [reply] = await conversation.text(26, 26, "   \n ", hint="en")
    assert reply.text == "Please type your question, or choose a topic." and log.rows == []


async def test_a_long_message_says_only_its_beginning_was_read(conversation):
    reply = await conversation.text(27, 27, "how is overtime paid " + "." * 1000)
    assert reply[0].text == "Your message was long, so I read only its beginning."
    assert reply[-1].title == "Overtime limits and pay"


@pytest.mark.parametrize("stale", ["entry:no-such-entry~sd", "topic:no-such-topic~sd", "related:gone~sd+"])
async def test_a_stale_button_opens_the_topic_menu_in_its_language(conversation, stale):
    [menu] = await conversation.action(28, 28, stale)
    assert menu.text == gettext_for("sd")("Choose a topic, or type your question:")
    assert len(menu.buttons) == len(conversation.knowledge.kb.topics)


async def test_forget_deletes_the_choice_and_the_phone_language_applies_again(conversation):
    await conversation.action(29, 29, "lang:sd")
    [gone] = await conversation.command(29, 29, "forget", hint="en")
    assert gone.text == gettext_for("sd")("Everything stored about this chat has been deleted. Your earlier questions "
                                          "were kept only without any link to you, so there is nothing else to delete.")
    [menu] = await conversation.command(29, 29, "topics", hint="en")
    assert menu.text == "Choose a topic, or type your question:"


async def test_a_story_of_two_problems_is_answered_with_the_second_one_button_away(conversation):
    story = ("I work in a garment factory and the owner has not paid my salary for three months, "
             "and the supervisor also touches me and sends me dirty messages")
    answer = await conversation.text(40, 40, story)
    assert answer[-1].title == "Wages late or not paid"
    second = await conversation.action(40, 40, data(answer, prefix="entry:harassment-what-counts"))
    assert "harass" in second[-1].text.lower()


async def test_a_short_question_answered_outright_offers_no_second_answer(conversation):
    answer = await conversation.text(41, 41, "salary not paid for three months")
    assert answer[-1].title == "Wages late or not paid"
    assert not any(b.action.startswith("entry:") for row in answer[-1].buttons for b in row)


@pytest.mark.parametrize("question, words", [
    ("my landlord says leave the rented room by next week without any notice", "Sindh Legal Advisory"),
    ("مالک مکان کہتا ہے ایک ہفتے میں کرائے کا کمرہ خالی کرو", "لیگل ایڈوائزری"),
    ("گهر جو مالڪ چوي ٿو هڪ هفتي ۾ ڪرائي جو ڪمرو خالي ڪريو", "ليگل ايڊوائيزري"),
    ("makan malik kehta hai ek hafte mein kiraye ka kamra khali karo", "Legal Advisory"),
])
async def test_a_tenant_put_out_by_a_landlord_is_sent_to_free_legal_advice_not_the_dismissal_answer(conversation, question, words):
    reply = await conversation.text(42, 42, question)
    assert words in reply[-1].text
