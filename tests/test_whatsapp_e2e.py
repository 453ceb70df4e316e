"""The real ``main.py`` process as a WhatsApp bot, against the fake Graph API on loopback (tests/fake_whatsapp.py).

One bot process serves the module (each test talks from its own users); the privacy test runs its own and stops it.
"""

from __future__ import annotations

import re
import sqlite3
import time
import urllib.parse

import pytest

from tests.fake_whatsapp import FakeGraph
from tests.whatsapp_harness import VERIFY_TOKEN, get, health, options, start_bot, stop_bot, text_of

ARABIC = re.compile(r"[\u0600-\u06FF]")
SINDHI_ONLY = re.compile(r"[ڪڳڻٽڏ]")


@pytest.fixture(scope="module")
def graph():
    fake = FakeGraph().start()
    yield fake
    fake.stop()


@pytest.fixture(scope="module")
def data(tmp_path_factory):
    return tmp_path_factory.mktemp("data")


@pytest.fixture(scope="module")
def bot(graph, data):
    process, url = start_bot(graph, data)
    yield url
    stop_bot(process)
    injected = {130429, 131056, 0}
    assert [r for r in graph.refused if r[0] not in injected] == [], "the bot sent something Meta refuses"
    assert graph.dropped == [], "the bot sent to a BSUID with 'to' (Meta drops it silently)"


def user(n: int, **kw: str) -> dict[str, str]:
    return {"phone": f"9230012{n:05d}", "name": f"Worker {n}", **kw}


def quiet(graph: FakeGraph, who: dict[str, str], count: int, seconds: float = 1.0) -> None:
    """Nothing more than ``count`` messages reaches ``who`` within ``seconds``."""
    time.sleep(seconds)
    assert len(graph.to(who)) == count, graph.to(who)[count:]


def test_meta_verification_returns_the_challenge_only_with_our_token(bot):
    query = {"hub.mode": "subscribe", "hub.verify_token": VERIFY_TOKEN, "hub.challenge": "1158201444"}
    assert get(f"{bot}/whatsapp?{urllib.parse.urlencode(query)}") == (200, "1158201444")
    query["hub.verify_token"] = "guess"
    assert get(f"{bot}/whatsapp?{urllib.parse.urlencode(query)}")[0] == 403
    status = health(bot)
    assert status["ready"] and status["stores_open"] and status["knowledge"]["entries"] > 40


def test_healthz_turns_503_naming_a_store_that_cannot_be_written(bot, data):
    assert get(f"{bot}/healthz")[0] == 200
    other = sqlite3.connect(data / "preferences.sqlite3", isolation_level=None)
    other.execute("BEGIN EXCLUSIVE")  # another writer that never lets go: the bot could not save a language now
    try:
        status, body = get(f"{bot}/healthz")
    finally:
        other.close()
    assert status == 503 and "preferences.sqlite3 cannot be written" in body
    assert get(f"{bot}/healthz")[0] == 200  # well again once the lock is gone


@pytest.mark.parametrize(
    "n, text, title, script",
    [
        (1, "What is the minimum wage?", "The minimum wage in Sindh", None),
        (2, "کم از کم تنخواہ کتنی ہے؟", "سندھ میں کم از کم تنخواہ", ARABIC),
        (3, "گهٽ ۾ گهٽ پگهار ڪيتري آهي؟", "سنڌ ۾ گهٽ ۾ گهٽ پگهار", SINDHI_ONLY),
        (4, "kam se kam tankhwa kitni hai", "Sindh mein kam se kam tankhwa (minimum wage)", None),
    ],
)
def test_first_message_gets_the_picker_and_its_answer_in_its_form(graph, bot, n, text, title, script):
    who = user(n)
    assert graph.text(who, text)[0] == 200
    picker, answer = graph.wait(who, 2)
    assert [t for t, _ in options(picker)] == ["English", "اردو", "سنڌي", "Roman Urdu"]
    assert title in text_of(answer)
    if script:
        assert script.search(text_of(answer))
    assert answer["interactive"]["type"] == "list"  # Yes, No, Related, Back: more than 3 buttons
    assert "recipient" not in answer and answer["to"] == who["phone"]


@pytest.mark.parametrize(
    "n, text, title",
    [  # written for this test, one per form
        (5, "FIRE in the factory, the exit door is locked and we cannot get out", "Get help now"),
        (6, "میرا شوہر مجھے ابھی مار رہا ہے", "ابھی مدد لیں"),
        (7, "ڪارخاني ۾ باهه لڳي آهي ۽ دروازو بند آهي", "هاڻي مدد وٺو"),
        (8, "malik ne hamein factory ke andar band kar diya hai", "Abhi madad lein"),
    ],
)
def test_a_first_message_in_danger_gets_the_emergency_numbers_before_the_picker(graph, bot, n, text, title):
    who = user(n)
    assert graph.text(who, text)[0] == 200
    graph.wait(who, 2)
    time.sleep(1)  # the answer after the emergency message, if any, and the picker
    replies = graph.to(who)
    first = text_of(replies[0])
    assert title in first and "15" in first
    assert [t for t, _ in options(replies[-1])] == ["English", "اردو", "سنڌي", "Roman Urdu"]  # the picker comes last


def test_menus_work_when_tapped_and_stay_within_metas_limits(graph, bot):
    who = user(10)
    graph.text(who, "/start")
    picker = graph.wait(who, 1)[0]
    graph.tap(who, dict((t, i) for t, i in options(picker))["سنڌي"], kind="list_reply")
    welcome = graph.wait(who, 2)[-1]
    topics = options(welcome)
    assert topics[0][1] == "topic:wages~sd" and len(topics) <= 10
    graph.tap(who, topics[0][1], kind="list_reply")
    menu = graph.wait(who, 3)[-1]
    entries = dict((i, t) for t, i in options(menu))
    assert "entry:minimum-wage-amount~sd" in entries
    graph.tap(who, "entry:minimum-wage-amount~sd", kind="list_reply")
    answer = graph.wait(who, 4)[-1]
    assert "40,000 رپيا" in text_of(answer)
    back = [i for _, i in options(answer) if i.startswith("topic:")]
    assert back == ["topic:wages~sd+"]
    graph.tap(who, back[0], kind="list_reply")
    assert options(graph.wait(who, 5)[-1]) == options(menu)
    # Long titles are cut to Meta's 24 characters, the whole title in the row's description.
    cut = [r for s in menu["interactive"]["action"]["sections"] for r in s["rows"] if r["title"].endswith("…")]
    assert all(len(r["title"]) <= 24 and r["description"].startswith(r["title"][:-1]) for r in cut)
    yes = next(i for t, i in options(answer) if i.startswith("yes:"))
    graph.tap(who, yes, kind="list_reply")
    assert "شڪريو" in text_of(graph.wait(who, 6)[-1]) or graph.to(who)[-1]["type"] == "text"


def test_reply_buttons_are_used_for_three_or_fewer(graph, bot):
    who = user(11)
    graph.text(who, "/language")
    graph.wait(who, 1)
    graph.tap(who, "lang:en", kind="list_reply")
    graph.wait(who, 2)
    graph.text(who, "asdkjh qwpoe zzxv")  # nothing the bot knows: the decline and the topics
    graph.text(who, "/privacy")
    privacy = graph.wait(who, 4)[-1]
    assert privacy["type"] == "text" and "What we keep" in privacy["text"]["body"]


def test_duplicate_deliveries_are_answered_once(graph, bot):
    who = user(20)
    status, message_id = graph.text(who, "What is the minimum wage?")
    assert status == 200
    assert graph.text(who, "What is the minimum wage?", message_id=message_id)[0] == 200
    graph.wait(who, 2)  # the picker and the answer, once
    quiet(graph, who, 2)
    assert health(bot)["duplicates"] >= 1


@pytest.mark.parametrize("signature", [None, "sha256=" + "0" * 64, "sha1=abc", "sha256=zz"])
def test_a_bad_or_missing_signature_is_refused_and_nothing_answered(graph, bot, signature):
    who = user(30)
    assert graph.text(who, "What is the minimum wage?", signature=signature)[0] == 401
    quiet(graph, who, 0, 0.5)


def test_the_webhook_answers_meta_at_once_while_the_graph_api_is_slow(graph, bot):
    who = user(31)
    graph.delay = 1.0  # every Graph call takes a second: the bot's replies are slow, Meta's webhook must not be
    try:
        started = time.monotonic()
        assert graph.text(who, "What is the minimum wage?")[0] == 200
        answered_in = time.monotonic() - started
        picker, answer = graph.wait(who, 2)
    finally:
        graph.delay = 0.0
    assert answered_in < 0.25 < picker["at"] - started  # Meta asks for a median under 250 ms
    assert "The minimum wage in Sindh" in text_of(answer)


def test_a_bsuid_only_user_is_answered_at_recipient(graph, bot):
    who = {"bsuid": "PK.4821930017765501", "name": "Amina"}
    graph.text(who, "What is the minimum wage?")
    picker, answer = graph.wait(who, 2)
    assert answer["recipient"] == who["bsuid"] and "to" not in answer
    assert "The minimum wage in Sindh" in text_of(answer)


def test_a_user_with_both_is_keyed_and_answered_on_the_bsuid(graph, bot):
    who = user(40, bsuid="PK.99887766554433")
    graph.text(who, "/start")
    graph.tap(who, "lang:ur", kind="list_reply")
    welcome = graph.wait(who, 2)[-1]
    assert all(m["recipient"] == who["bsuid"] for m in graph.to(who))
    assert ARABIC.search(text_of(welcome))


def test_captions_stickers_reactions_and_voice_notes(graph, bot):
    who = user(50)
    graph.text(who, "/language")
    graph.tap(who, "lang:en", kind="list_reply")
    graph.wait(who, 2)
    graph.send(who, "image", {"id": "img-1", "mime_type": "image/jpeg", "caption": "What is the minimum wage?"})
    assert "The minimum wage in Sindh" in text_of(graph.wait(who, 3)[-1])
    graph.send(who, "sticker", {"id": "st-1", "mime_type": "image/webp"})
    assert "I can only read text" in text_of(graph.wait(who, 4)[-1])
    graph.send(who, "reaction", {"message_id": "wamid.OUT1", "emoji": "👍"})
    graph.send(who, "location", {"latitude": 24.86, "longitude": 67.0})
    assert "I can only read text" in text_of(graph.wait(who, 5)[-1])
    graph.voice(who)  # no case chat: the bot says it cannot listen, and shows the topics
    cannot, topics = graph.wait(who, 7)[-2:]
    assert "cannot listen" in text_of(cannot) and options(topics)[0][1] == "topic:wages~en"
    graph.send(who, "unsupported", {})
    graph.wait(who, 8)
    quiet(graph, who, 8, 0.5)  # the reaction got no answer


def test_throttling_and_server_errors_are_retried_in_order(graph, bot):
    who = user(60)
    graph.text(who, "/language")
    graph.wait(who, 1)
    graph.fail((400, 130429), (400, 131056), (503, 0))
    graph.tap(who, "lang:en", kind="list_reply")
    graph.text(who, "/privacy")
    got = graph.wait(who, 3, timeout=20)
    assert "Assalam-o-Alaikum" in text_of(got[1]) and "What we keep" in text_of(got[2])
    assert health(bot)["retried"] >= 3


def test_status_webhooks_are_counted_never_answered(graph, bot):
    before = health(bot).get("failed", 0)
    assert graph.status("wamid.OUT00000001", "delivered") == 200
    assert graph.status("wamid.OUT00000002", "failed", (131026,)) == 200
    time.sleep(0.3)
    status = health(bot)
    assert status["failed"] == before + 1 and status["status_delivered"] >= 1


def test_no_number_bsuid_or_name_reaches_the_data_folder(tmp_path):
    graph = FakeGraph().start()
    data = tmp_path / "data"
    process, url = start_bot(graph, data)
    people = [
        {"phone": "923331234567", "name": "Rukhsana Bibi"},
        {"bsuid": "PK.1410018717833190", "name": "Shabana Mallah"},
        {"phone": "923451112233", "bsuid": "PK.5550001112223334", "name": "Ghulam Rasool"},
    ]
    try:
        for who in people:
            graph.text(who, "/start")
            graph.tap(who, "lang:ur", kind="list_reply")
            name = who["name"]
            graph.text(who, f"Mera naam {name} hai, mera number 0333 1234567, overtime ka kya qanoon hai?")
            graph.text(who, f"{name}: minimum wage?")
            graph.wait(who, 4)
        graph.text(people[0], "/forget")
        graph.wait(people[0], 5)
    finally:
        err = stop_bot(process)
        graph.stop()
    assert graph.token not in err and graph.app_secret not in err and VERIFY_TOKEN not in err
    with sqlite3.connect(data / "queries.sqlite3") as db:
        logged = db.execute("SELECT channel, text FROM queries").fetchall()
    assert len(logged) == 6 and {c for c, _ in logged} == {"whatsapp"}  # the questions are there, scrubbed
    assert all("overtime" in t or "minimum wage" in t for _, t in logged)
    files = [p for p in data.rglob("*") if p.is_file()]
    assert any(p.name.startswith("queries") for p in files) and any(p.name.startswith("preferences") for p in files)
    secrets = [v for who in people for v in who.values()] + ["3331234567", "0333 1234567", "Rukhsana", "Shabana",
                                                              "Ghulam", "Rasool"]
    for path in files:
        raw = path.read_bytes()
        for secret in secrets:
            for encoded in (secret.encode(), secret.encode("utf-16-le")):
                assert encoded not in raw, f"{secret!r} found in {path.name}"


def test_beside_telegram_in_one_process_on_one_core(tmp_path):
    from tests.fake_telegram import FakeTelegram

    graph, telegram = FakeGraph().start(), FakeTelegram().start()
    data = tmp_path / "data"
    try:
        process, url = start_bot(graph, data, TELEGRAM_BOT_TOKEN=telegram.token,
                                 TELEGRAM_API_BASE_URL=telegram.base_url)
        who = user(70)
        try:
            telegram.message(7001, "What is the minimum wage?")
            graph.text(who, "What is the minimum wage?")
            assert "The minimum wage in Sindh" in text_of(graph.wait(who, 2)[-1])
            assert telegram.wait_sent(7001, 1)[0]["text"].startswith("<b>The minimum wage in Sindh</b>")
        finally:
            stop_bot(process)
    finally:
        graph.stop()
        telegram.stop()
    with sqlite3.connect(data / "queries.sqlite3") as db:
        assert sorted(c for (c,) in db.execute("SELECT channel FROM queries")) == ["telegram", "whatsapp"]


def test_a_recorded_answer_is_uploaded_once_and_sent_as_a_voice_note(tmp_path, kb_copy, add_recording):
    add_recording("overtime", "en")
    graph = FakeGraph().start()
    process, url = start_bot(graph, tmp_path / "data", BOT_KNOWLEDGE_DIR=str(kb_copy))
    who = user(80)
    try:
        graph.text(who, "/language")
        graph.tap(who, "lang:en", kind="list_reply")
        graph.tap(who, "entry:overtime~en", kind="list_reply")
        answer = graph.wait(who, 3)[-1]
        listen = next(i for t, i in options(answer) if i.startswith("listen:"))
        graph.tap(who, listen, kind="list_reply")
        graph.tap(who, listen, kind="list_reply")
        sent = graph.wait(who, 7)
    finally:
        stop_bot(process)
        graph.stop()
    title, voice = sent[3], sent[4]
    assert title["type"] == "text" and "Overtime" in title["text"]["body"]
    assert voice["type"] == "audio" and voice["audio"]["voice"] is True
    assert sent[6]["audio"]["id"] == voice["audio"]["id"]  # the second time from the cache
    uploads = [c for c in graph.calls if c[1].endswith("/media")]
    assert len(uploads) == 1 and graph.media[voice["audio"]["id"]][0].startswith(b"OggS")


def texts_in(telegram, chat: int) -> list[str]:
    return [p.get("text", "") for p in telegram.sent(chat)]


def open_whatsapp_case(graph: FakeGraph, telegram, who: dict[str, str], consent: str) -> tuple[str, int]:
    """The worker asks a person on WhatsApp, writes their case and answers the notice question (``Yes``/``No``);
    returns the case number and the case chat's post to reply to. The worker has received 6 messages."""
    from tests.telegram_harness import CASE_CHAT

    graph.text(who, "/language")
    graph.tap(who, "lang:en", kind="list_reply")
    graph.text(who, "/person")
    offer = graph.wait(who, 3)[-1]
    assert "Type your message now" in text_of(offer) and [t for t, _ in options(offer)] == ["Cancel"]
    graph.text(who, "My employer has not paid me for two months.")
    opened, question = graph.wait(who, 5)[-2:]
    number = re.search(r"K-\d+", text_of(opened)).group(0)
    # "Add to my case" only: the "share my number" row needs Telegram's contact button
    assert [t for t, _ in options(opened)] == ["Add to my case"]
    assert "24 hours" in text_of(question) and [t for t, _ in options(question)] == ["Yes", "No"]
    graph.tap(who, dict(options(question))[consent])
    graph.wait(who, 6)
    telegram.wait_sent(CASE_CHAT, 1)
    post, params = telegram.posts(CASE_CHAT)[0]
    assert number in params["text"] and "not paid me for two months" in params["text"]
    assert who["phone"] not in params["text"] and who["name"] not in params["text"]
    return number, post


def test_a_case_from_whatsapp_across_the_24_hour_line(tmp_path):
    from tests.fake_telegram import FakeTelegram
    from tests.telegram_harness import CASE_CHAT

    graph, telegram = FakeGraph().start(), FakeTelegram().start()
    who = user(90)
    try:
        process, url = start_bot(graph, tmp_path / "data", TELEGRAM_BOT_TOKEN=telegram.token,
                                 TELEGRAM_API_BASE_URL=telegram.base_url, BOT_CASE_CHAT_ID=str(CASE_CHAT),
                                 WHATSAPP_CASE_TEMPLATE="case_answer_ready")
        try:
            number, post = open_whatsapp_case(graph, telegram, who, "No")
            telegram.staff(CASE_CHAT, "We will call your employer tomorrow.", reply_to=post)
            reply = graph.wait(who, 7)[-1]
            assert number in text_of(reply) and "call your employer tomorrow" in text_of(reply)

            graph.now += 25 * 3600  # the worker's last message is now more than 24 hours old
            telegram.staff(CASE_CHAT, "Your employer agreed to pay on Friday.", reply_to=post)
            waiting = telegram.wait_sent(CASE_CHAT, 2)[-1]
            assert "more than 24 hours ago" in waiting["text"] and "notice" not in waiting["text"]
            time.sleep(0.5)
            assert [code for code, _ in graph.refused] == [131047]  # tried once, never again meanwhile
            assert len(graph.to(who)) == 7  # no notice: the worker said no
            telegram.files["AwACtoolate"] = b"OggS late"
            telegram.staff(CASE_CHAT, None, reply_to=post, voice={"file_id": "AwACtoolate", "file_unique_id": "ut",
                                                                  "duration": 3, "mime_type": "audio/ogg"})
            late = telegram.wait_sent(CASE_CHAT, 3)[-1]  # nothing kept: no label waiting without its file
            assert "could not be delivered" in late["text"] and "within 24 hours" in late["text"]
            assert len(graph.to(who)) == 7

            graph.text(who, "Thank you!")  # the window opens again: the kept reply first, then the usual answer
            kept, usual = graph.wait(who, 9)[-2:]
            assert "pay on Friday" in text_of(kept) and number in text_of(kept)
            assert "Added" not in text_of(usual)  # with a case open, a typed message is not sent to it unasked
            graph.tap(who, next(i for m in graph.to(who) for _t, i in options(m) if i.startswith("padd")))
            graph.wait(who, 10)
            graph.text(who, "Thank you!")
            added = graph.wait(who, 11)[-1]
            assert number in text_of(added) and "Added" in text_of(added)
            assert "Thank you!" in telegram.wait_sent(CASE_CHAT, 4)[-1]["text"]
        finally:
            stop_bot(process)
    finally:
        graph.stop()
        telegram.stop()


def test_after_24_hours_one_notice_if_the_worker_agreed_and_the_replies_on_tapping_it(tmp_path):
    from tests.fake_telegram import FakeTelegram
    from tests.telegram_harness import CASE_CHAT

    graph, telegram = FakeGraph().start(), FakeTelegram().start()
    who = user(91, bsuid="PK.777000111222")
    try:
        process, url = start_bot(graph, tmp_path / "data", TELEGRAM_BOT_TOKEN=telegram.token,
                                 TELEGRAM_API_BASE_URL=telegram.base_url, BOT_CASE_CHAT_ID=str(CASE_CHAT),
                                 WHATSAPP_CASE_TEMPLATE="case_answer_ready")
        try:
            number, post = open_whatsapp_case(graph, telegram, who, "Yes")
            assert "one short notice" in text_of(graph.to(who)[-1])
            graph.now += 25 * 3600
            telegram.staff(CASE_CHAT, "Please bring your payslips on Monday.", reply_to=post)
            telegram.staff(CASE_CHAT, "The office opens at 10.", reply_to=post)
            notes = telegram.wait_sent(CASE_CHAT, 3)[-2:]
            assert "notice" in notes[0]["text"] and "notice" not in notes[1]["text"]
            [notice] = graph.wait(who, 7)[6:]
            assert notice["type"] == "template" and notice["recipient"] == who["bsuid"]
            assert notice["template"]["name"] == "case_answer_ready" and notice["template"]["language"]["code"] == "en"
            assert number not in str(notice) and "payslips" not in str(notice)  # nothing of the case
            payload = notice["template"]["components"][0]["parameters"][0]["payload"]
            graph.send(who, "button", {"payload": payload, "text": "Read the answer"})
            first, second = graph.wait(who, 9)[7:]
            assert "payslips" in text_of(first) and "opens at 10" in text_of(second)
            quiet(graph, who, 9, 0.5)
        finally:
            stop_bot(process)
    finally:
        graph.stop()
        telegram.stop()


def test_a_half_configured_whatsapp_stops_with_what_is_missing(tmp_path):
    import os
    import subprocess
    import sys

    from tests.whatsapp_harness import ROOT

    env = {k: v for k, v in os.environ.items() if not k.startswith(("TELEGRAM_", "WHATSAPP_", "BOT_"))}
    env.update(WHATSAPP_ACCESS_TOKEN="EAA-secret-token", WHATSAPP_PHONE_NUMBER_ID="1", BOT_DATA_DIR=str(tmp_path))
    done = subprocess.run([sys.executable, "main.py"], cwd=ROOT, env=env, stdin=subprocess.DEVNULL,
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 2
    assert "WHATSAPP_APP_SECRET" in done.stderr and "WHATSAPP_VERIFY_TOKEN" in done.stderr
    assert "EAA-secret-token" not in done.stderr


def test_files_go_both_ways_between_a_whatsapp_worker_and_the_case_chat(tmp_path):
    """Meta's media ids expire: the bot downloads each file at once and uploads its bytes to the case chat."""
    from tests.fake_telegram import FakeTelegram
    from tests.telegram_harness import CASE_CHAT

    graph, telegram = FakeGraph().start(), FakeTelegram().start()
    who, other = user(92), user(93, bsuid="PK.31415926535")
    data = tmp_path / "data"
    try:
        process, url = start_bot(graph, data, TELEGRAM_BOT_TOKEN=telegram.token,
                                 TELEGRAM_API_BASE_URL=telegram.base_url, BOT_CASE_CHAT_ID=str(CASE_CHAT))
        try:
            number, post = open_whatsapp_case(graph, telegram, who, "No")
            graph.voice(who, b"OggS the worker speaks")
            voiced = graph.wait(who, 7)[-1]
            assert f"Added to your case {number}" in text_of(voiced)
            graph.file(who, "image", b"\xff\xd8 a payslip photo", "image/jpeg", caption="My payslip for May")
            assert f"Added to your case {number}" in text_of(graph.wait(who, 8)[-1])
            graph.file(who, "document", b"%PDF- a contract", "application/pdf", filename="contract.pdf")
            assert f"Added to your case {number}" in text_of(graph.wait(who, 9)[-1])
            telegram.wait_sent(CASE_CHAT, 4)  # the case, then a line before each file
            deadline = time.monotonic() + 10
            while len(telegram.documents) < 2 and time.monotonic() < deadline:
                time.sleep(0.05)
            voices = [p for _, p in telegram.posts(CASE_CHAT, methods=("sendVoice",))]
            assert [telegram.voices[p["voice"]] for p in voices] == [b"OggS the worker speaks"]
            photo, document = telegram.documents
            assert (photo["method"], photo["content"], photo["caption"]) == ("sendPhoto", b"\xff\xd8 a payslip photo",
                                                                            f"Case {number}: photo")
            assert (document["method"], document["filename"], document["content"]) == (
                "sendDocument", "contract.pdf", b"%PDF- a contract")
            lines = [p["text"] for p in telegram.sent(CASE_CHAT)]
            assert any("adds a photo" in t and "My payslip for May" in t for t in lines)
            assert len([c for c in graph.calls if c[0] == "GET" and "/download/" not in c[1]]) == 3  # each fetched once
            telegram.fail("sendPhoto", 400, chat_id=CASE_CHAT, description="Bad Request: wrong file")
            graph.file(who, "image", b"\xff\xd8 refused", "image/jpeg")
            added, sorry = graph.wait(who, 11)[-2:]
            assert f"Added to your case {number}" in text_of(added)
            assert "could not reach NOWCommunities staff" in text_of(sorry)  # told, as on Telegram

            # Staff answer with a voice note and a document: fetched from Telegram, uploaded to WhatsApp, sent.
            telegram.files["AwACstaffvoice"] = b"OggS staff speaks"
            telegram.files["BQACletter"] = b"%PDF- the employer's letter"
            telegram.staff(CASE_CHAT, None, reply_to=post, voice={"file_id": "AwACstaffvoice", "file_unique_id": "usv",
                                                                  "duration": 4, "mime_type": "audio/ogg"})
            label, voice = graph.wait(who, 13)[-2:]
            assert number in text_of(label) and voice["type"] == "audio" and voice["audio"]["voice"] is True
            assert graph.media[voice["audio"]["id"]][0] == b"OggS staff speaks"
            telegram.staff(CASE_CHAT, None, reply_to=post, document={
                "file_id": "BQACletter", "file_unique_id": "ul", "file_name": "letter.pdf", "mime_type": "application/pdf"})
            letter = graph.wait(who, 15)[-1]
            assert letter["type"] == "document" and letter["document"]["filename"] == "letter.pdf"
            assert graph.media[letter["document"]["id"]] == (b"%PDF- the employer's letter", "application/pdf")
            assert not any("not" in t and "deliver" in t for t in texts_in(telegram, CASE_CHAT))

            # No case open: the same offer as on Telegram, and the voice note becomes a case when she agrees.
            graph.text(other, "/language")
            graph.tap(other, "lang:en", kind="list_reply")
            graph.voice(other, b"OggS please help me")
            offer = graph.wait(other, 3)[2]
            assert "cannot listen" in text_of(offer) and "Telegram" not in text_of(offer)
            graph.tap(other, dict((t, i) for t, i in options(offer))["Send it to staff"])
            opened = graph.wait(other, 5)[4]  # after the offer and the topics
            assert re.search(r"K-\d+", text_of(opened))
            deadline = time.monotonic() + 10
            while len(telegram.posts(CASE_CHAT, methods=("sendVoice",))) < 2 and time.monotonic() < deadline:
                time.sleep(0.05)
            last = telegram.posts(CASE_CHAT, methods=("sendVoice",))[-1][1]
            assert telegram.voices[last["voice"]] == b"OggS please help me"
        finally:
            stop_bot(process)
    finally:
        graph.stop()
        telegram.stop()
    with sqlite3.connect(data / "cases.sqlite3") as db:  # the case keeps the case chat's file ids, not the handles
        bodies = [b for (b,) in db.execute("SELECT body FROM case_messages WHERE kind != 'text' AND sender = 'worker'")]
    assert len(bodies) == 5 and sum(b.startswith("held:") for b in bodies) == 1  # the refused photo: never posted
