"""The real Application, over HTTP, against a fake Telegram Bot API server on loopback."""

from __future__ import annotations

import asyncio
import re
import sqlite3

import pytest

from bot.config import Settings
from tests.telegram_harness import STAFF_CHAT, buttons, choose, running, wait

STAFF = STAFF_CHAT
ARABIC = re.compile(r"[\u0600-\u06FF]")
SINDHI_ONLY = re.compile(r"[ڪڳڻٽڏ]")


async def test_start_registers_commands_per_language(fake, settings):
    async with running(settings):
        fake.message(1, "/start")
        sent = await wait(fake, 1, 1)
    langs = {c.get("language_code") for m, c in fake.calls if m == "setMyCommands"}
    assert {"en", "ur", "sd", None} <= langs
    ur = next(c for m, c in fake.calls if m == "setMyCommands" and c.get("language_code") == "ur")
    assert any(ARABIC.search(cmd["description"]) for cmd in ur["commands"])
    assert [label for label, _ in buttons(sent[0])] == ["English", "اردو", "سنڌي", "Roman Urdu"]
    assert "ur-Latn" not in langs  # no phone is set to Roman Urdu: Telegram has no such language code
    assert any(m == "deleteWebhook" for m, _ in fake.calls)


async def test_language_choice_and_menu_navigation(fake, settings):
    async with running(settings):
        sent = await choose(fake, 10, "sd")
        welcome = sent[-1]
        assert welcome.get("message_id")  # the picker is edited into the welcome
        topics = buttons(welcome)
        assert topics[0] == ("پگهار ۽ اجرت", "topic:wages~sd")
        fake.press(10, topics[0][1])
        menu = (await wait(fake, 10, 3))[-1]
        assert ("سنڌ ۾ گهٽ ۾ گهٽ پگهار", "entry:minimum-wage-amount~sd") in buttons(menu)
        assert all(len(data.encode()) <= 64 for _, data in buttons(menu))
        fake.press(10, "entry:minimum-wage-amount~sd")
        answer = (await wait(fake, 10, 4))[-1]
        assert "<b>سنڌ ۾ گهٽ ۾ گهٽ پگهار</b>" in answer["text"]
        assert "40,000 رپيا" in answer["text"]
        back = [data for _, data in buttons(answer) if data.startswith("topic:")]
        assert back == ["topic:wages~sd+"]
        fake.press(10, back[0])
        assert buttons((await wait(fake, 10, 5))[-1]) == buttons(menu)
    assert fake.errors == []


@pytest.mark.parametrize(
    "text, entry_title, script",
    [
        ("What is the minimum wage?", "The minimum wage in Sindh", None),
        ("کم از کم تنخواہ کتنی ہے؟", "سندھ میں کم از کم تنخواہ", ARABIC),
        ("گهٽ ۾ گهٽ پگهار ڪيتري آهي؟", "سنڌ ۾ گهٽ ۾ گهٽ پگهار", SINDHI_ONLY),
        ("kam se kam tankhwa kitni hai", "Sindh mein kam se kam tankhwa (minimum wage)", None),  # Roman Urdu in Roman Urdu
    ],
)
async def test_free_text_in_each_language_form(fake, settings, text, entry_title, script):
    async with running(settings):
        fake.message(20, text)
        reply = (await wait(fake, 20, 1))[-1]
    assert f"<b>{entry_title}</b>" in reply["text"]
    if script:
        assert script.search(reply["text"])
    labels = {label for label, _ in buttons(reply)}
    assert labels >= {"Yes", "No"} or labels >= {"Haan", "Nahi"} or ARABIC.search(buttons(reply)[0][0])


async def test_did_you_mean_offers_buttons(fake, settings):
    async with running(settings):
        await choose(fake, 30, "en")
        fake.message(30, "leave")
        reply = (await wait(fake, 30, 3))[-1]
    assert reply["text"].startswith("Did you mean")
    entries = [data for _, data in buttons(reply) if data.startswith("entry:")]
    assert 2 <= len(entries) <= 3


async def test_out_of_scope_is_declined_kindly(fake, settings):
    async with running(settings):
        await choose(fake, 31, "en")
        fake.message(31, "who won the cricket match yesterday")
        reply = (await wait(fake, 31, 3))[-1]
    assert reply["text"].startswith("Sorry, I do not have an answer")
    assert "021-34325500" in reply["text"]
    assert any(data.startswith("topic:") for _, data in buttons(reply))


async def test_feedback_is_recorded(fake, settings):
    async with running(settings):
        await choose(fake, 32, "en")
        fake.message(32, "how is overtime paid")
        answer = (await wait(fake, 32, 3))[-1]
        yes = next(data for label, data in buttons(answer) if label == "Yes")
        fake.press(32, yes)
        thanks = (await wait(fake, 32, 4))[-1]
        assert thanks["text"] == "Thank you for telling us."
    rows = sqlite3.connect(settings.log_path).execute("SELECT entry_id, helpful FROM queries WHERE kind = 'text'").fetchall()
    assert rows == [("overtime", 1)]


async def test_sticker_gets_a_polite_reply_in_the_users_language(fake, settings):
    async with running(settings):
        await choose(fake, 33, "ur")
        fake.sticker(33)
        reply = (await wait(fake, 33, 3))[-1]
    assert ARABIC.search(reply["text"])
    assert "/topics" in reply["text"]


async def test_ten_thousand_characters_get_an_answer(fake, settings):
    async with running(settings):
        fake.message(34, "meri tankhwa 3 mahine se nahi mili. " * 280)  # about 10,000 characters
        replies = await wait(fake, 34, 2)
    assert all(len(r["text"]) <= 4096 for r in replies)
    assert fake.errors == []
    assert any("<b>" in r["text"] for r in replies)


async def test_interpolated_text_is_escaped(fake, settings, kb_copy):
    path = kb_copy / "entries" / "wages.yaml"
    path.write_text(path.read_text(encoding="utf-8").replace(
        "      en: Deductions and fines from wages", "      en: Deductions & fines <from> wages"), encoding="utf-8")
    async with running(settings):
        await choose(fake, 35, "en")
        fake.press(35, "entry:wage-deductions-fines")
        reply = (await wait(fake, 35, 3))[-1]
    assert "<b>Deductions &amp; fines &lt;from&gt; wages</b>" in reply["text"]
    assert fake.errors == []


async def test_edited_message_is_answered_like_a_new_one(fake, settings):
    async with running(settings):
        fake.message(36, "maternity leave kitni hai", edited=True)
        reply = (await wait(fake, 36, 1))[-1]
    assert "<b>Maternity (zachgi) ki chutti aur tankhwa</b>" in reply["text"]


async def test_in_groups_only_mentions_replies_and_commands(fake, settings):
    async with running(settings):
        fake.message(-100, "minimum wage kitni hai", group=True, user_id=50)
        fake.message(-100, "@nowrights_test_bot minimum wage kitni hai", group=True, user_id=50)
        await wait(fake, -100, 1)
        fake.message(-100, "overtime double milta hai?", group=True, user_id=51, reply_to_bot=True)
        await wait(fake, -100, 2)
        fake.message(-100, "/help", group=True, user_id=52)
        await wait(fake, -100, 3)
        await asyncio.sleep(0.3)
    sent = fake.sent(-100)
    assert len(sent) == 3
    assert "kam se kam tankhwa" in sent[0]["text"] and "Overtime" in sent[1]["text"] and "/forget" in sent[2]["text"]


async def test_forget_deletes_the_chats_language(fake, settings):
    async with running(settings):
        await choose(fake, 37, "sd")
        fake.message(37, "/forget")
        await wait(fake, 37, 3)
        fake.message(37, "What is the minimum wage?")
        reply = (await wait(fake, 37, 4))[-1]
    assert reply["text"].startswith("<b>The minimum wage in Sindh</b>")  # back to the detected language
    assert sqlite3.connect(settings.prefs_path).execute("SELECT COUNT(*) FROM chat_language").fetchone() == (0,)


async def test_restart_keeps_the_language(fake, settings):
    async with running(settings):
        await choose(fake, 38, "sd")
    async with running(settings):
        fake.message(38, "What is the minimum wage?")  # English question, Sindhi chosen
        reply = (await wait(fake, 38, 3))[-1]
    assert "<b>سنڌ ۾ گهٽ ۾ گهٽ پگهار</b>" in reply["text"]


async def test_reload_with_a_broken_file_keeps_the_old_knowledge(fake, settings, kb_copy):
    async with running(settings):
        (kb_copy / "entries" / "unions.yaml").write_text("topic: unions\nentries:\n  - id: [\n", encoding="utf-8")
        fake.message(STAFF, "/reload")
        report = (await wait(fake, STAFF, 1))[-1]
        assert report["text"].startswith("Reload refused")
        assert re.search(r"knowledge/entries/unions\.yaml:\d+: error: YAML syntax", report["text"])
        fake.message(39, "union kaise banayen")
        reply = (await wait(fake, 39, 1))[-1]
        assert "union" in reply["text"].lower() and not ARABIC.search(reply["text"])  # asked in Roman Urdu
        fake.message(40, "/reload")  # not staff: an unknown command
        other = (await wait(fake, 40, 1))[-1]
        assert "/help" in other["text"] and "Reload" not in other["text"]


async def test_stats_for_staff(fake, settings):
    async with running(settings):
        fake.message(41, "kam se kam tankhwa")
        await wait(fake, 41, 1)
        fake.message(STAFF, "/stats")
        report = (await wait(fake, STAFF, 1))[-1]
    assert "1 questions from 1 people" in report["text"]


async def test_flood_is_told_once_then_ignored(fake, settings):
    settings = Settings(**{**settings.__dict__, "flood_messages": 3})
    async with running(settings):
        for _ in range(6):
            fake.message(42, "tankhwa")
        await wait(fake, 42, 4)
        await asyncio.sleep(0.5)
    texts = [m["text"] for m in fake.sent(42)]
    assert len(texts) == 4
    assert sum("very fast" in t or "تیز" in t for t in texts) == 1


async def test_a_long_answer_is_split_at_paragraphs(fake, settings, kb_copy):
    paragraph = "Paragraph {n}: " + "the employer must pay wages on time " * 8
    long_answer = "\n\n".join(paragraph.format(n=n) for n in range(1, 31))  # about 9,000 characters
    path = kb_copy / "entries" / "wages.yaml"
    text = path.read_text(encoding="utf-8")
    start = text.index("      en: |\n", text.index("- id: overtime"))
    end = text.index("    examples:", start)
    body = "".join(f"        {line}\n" if line else "\n" for line in long_answer.split("\n"))
    # The same long text in all four, so the translations keep the same figures and the knowledge base loads.
    answers = "".join(f"      {lang}: |\n{body}" for lang in ("en", "ur", "sd", "ur-Latn"))
    path.write_text(text[:start] + answers + text[end:], encoding="utf-8")
    async with running(settings):
        await choose(fake, 37, "en")
        fake.press(37, "entry:overtime")
        replies = (await wait(fake, 37, 5))[2:]
    assert fake.errors == []
    assert len(replies) == 3 and all(len(r["text"]) <= 4096 for r in replies)
    assert all(r["text"].rstrip().endswith("on time") for r in replies[:-1]), "each piece ends at a paragraph's end"
    assert replies[1]["text"].startswith("Paragraph ")
    assert "reply_markup" not in replies[0] and "Yes" in str(replies[-1]["reply_markup"])
