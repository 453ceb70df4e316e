"""The WhatsApp channel's pure parts: the renderer within Meta's limits, the webhook's signature and envelope,
and the Graph client's retries (against the fake Graph API in the same process)."""

from __future__ import annotations

import hashlib
import hmac

import pytest

from bot.channels.whatsapp.client import GraphClient, GraphError
from bot.channels.whatsapp.render import Labels, render
from bot.channels.whatsapp.webhook import Inbound, Sender, Status, parse, signature_ok, verify
from bot.conversation.dialogue import Button, Conversation, Message
from bot.conversation.i18n import LANGUAGES
from bot.conversation.referral import Referral
from bot.stores.cases import CaseStore
from tests.fake_whatsapp import PHONE_NUMBER_ID, FakeGraph, Refused, check_limits

LABELS = Labels(menu="Choose", numbered="Reply with the number of your choice:")


def payloads(message: Message) -> list[dict]:
    return render(message, LABELS).payloads


def within_limits(message: Message) -> list[dict]:
    out = payloads(message)
    for p in out:
        check_limits(p)
    return out


async def test_every_menu_and_answer_in_every_language_fits_metas_limits(store, prefs, tmp_path):
    class Desk:  # "Ask a person" on, so answers carry its row too
        async def new_case(self, *a): ...
        async def follow_up(self, *a): ...
        async def withdrawn(self, *a): ...

    cases = CaseStore(tmp_path / "cases.sqlite3", 90)
    await cases.open()
    conv = Conversation(store, prefs, referral=Referral(store, cases=cases, desk=Desk()))
    kb = store.kb
    forms = {"list": 0, "button": 0}
    for lang in LANGUAGES:
        messages = [conv.language_picker(), conv.topic_menu(lang)]
        for topic in kb.topics:
            messages += await conv.action("c", "u", f"topic:{topic.id}~{lang}")
        messages += [conv.answer_message(entry, lang, token="t" * 16) for entry in kb.entries]
        messages += await conv.text("c", "u", "leave")
        for message in messages:
            for p in within_limits(message):
                if p["type"] == "interactive":
                    forms[p["interactive"]["type"]] += 1
                    ids = [r["id"] for s in p["interactive"]["action"].get("sections", []) for r in s["rows"]]
                    ids += [b["reply"]["id"] for b in p["interactive"]["action"].get("buttons", [])]
                    assert sorted(ids) == sorted(b.action for row in message.buttons for b in row)  # none lost
    await cases.close()
    assert forms["list"] > 100


def test_three_short_buttons_are_reply_buttons_with_the_title_as_header():
    [p] = within_limits(Message("Shall I answer in Urdu?", title="Language", buttons=((Button("Yes", "lang:ur"),),
                                                                                     (Button("No", "no:"),))))
    inter = p["interactive"]
    assert inter["type"] == "button" and inter["header"]["text"] == "Language"
    assert [b["reply"] for b in inter["action"]["buttons"]] == [{"id": "lang:ur", "title": "Yes"}, {"id": "no:", "title": "No"}]


def test_a_label_over_20_makes_a_list_and_over_24_is_cut_with_the_whole_label_described():
    label = "Share my name and number with staff"  # 35 characters
    [p] = within_limits(Message("Case K-1", buttons=((Button(label, "pshare"),),)))
    [row] = p["interactive"]["action"]["sections"][0]["rows"]
    assert p["interactive"]["type"] == "list" and row["title"] == "Share my name and numbe…"
    assert row["description"] == label


def test_a_body_over_1024_with_buttons_is_a_list_and_over_4096_goes_first_as_text():
    long = ("A paragraph of the law. " * 30 + "\n\n") * 8  # about 5,800 characters
    out = within_limits(Message(long, title="Title", buttons=((Button("Yes", "yes:1"),),)))
    assert [p["type"] for p in out] == ["text", "interactive"] and out[1]["interactive"]["type"] == "list"
    assert sum(len(p["text"]["body"]) for p in out[:1]) + len(out[1]["interactive"]["body"]["text"]) >= len(long) - 20


def test_more_than_ten_options_are_a_numbered_list():
    buttons = tuple((Button(f"Topic {n}", f"topic:t{n}~en"),) for n in range(12))
    rendered = render(Message("Choose a topic:", buttons=buttons), LABELS)
    [p] = rendered.payloads
    check_limits(p)
    assert p["type"] == "text" and "12. Topic 11" in p["text"]["body"]
    assert rendered.numbered[0] == "topic:t0~en" and len(rendered.numbered) == 12


def test_plain_text_is_split_at_4096():
    out = within_limits(Message("word " * 2000))
    assert len(out) == 3 and all(p["type"] == "text" for p in out)


def test_the_fake_refuses_what_meta_refuses():
    with pytest.raises(Refused):
        check_limits({"type": "interactive", "interactive": {"type": "button", "body": {"text": "x"}, "action": {
            "buttons": [{"type": "reply", "reply": {"id": str(n), "title": "t"}} for n in range(4)]}}})
    with pytest.raises(Refused):
        check_limits({"type": "text", "text": {"body": "x" * 4097}})


# -- webhook ---------------------------------------------------------------------------------------------


def sign(raw: bytes, secret: str = "s3cret") -> str:
    return "sha256=" + hmac.new(secret.encode(), raw, hashlib.sha256).hexdigest()


def test_signature_is_checked_over_the_raw_bytes():
    raw = b'{"object":"whatsapp_business_account"}'
    assert signature_ok(raw, sign(raw), "s3cret")
    assert signature_ok(raw, sign(raw).upper().replace("SHA256=", "sha256="), "s3cret")
    assert not signature_ok(raw + b" ", sign(raw), "s3cret")  # the same JSON, other bytes
    assert not signature_ok(raw, sign(raw, "other"), "s3cret")
    assert not signature_ok(raw, None, "s3cret") and not signature_ok(raw, "", "s3cret")
    assert not signature_ok(raw, sign(raw)[7:], "s3cret")  # no "sha256=" prefix
    assert not signature_ok(raw, "sha256=ü" * 10, "s3cret")  # non-ASCII: refused, not a crash
    assert not signature_ok(raw, sign(raw), "")  # no secret configured: nothing is trusted


def test_verification():
    ok = {"hub.mode": "subscribe", "hub.verify_token": "t", "hub.challenge": "42"}
    assert verify(ok, "t") == (200, "42")
    assert verify({**ok, "hub.verify_token": "x"}, "t")[0] == 403
    assert verify({**ok, "hub.mode": "unsubscribe"}, "t")[0] == 403
    assert verify(ok, "")[0] == 403


def envelope(*messages: dict, contacts: list | None = None, statuses: list | None = None) -> dict:
    value = {"messaging_product": "whatsapp", "metadata": {"phone_number_id": PHONE_NUMBER_ID},
             "contacts": contacts or [], "messages": list(messages), "statuses": statuses or []}
    return {"object": "whatsapp_business_account", "entry": [{"changes": [{"value": value, "field": "messages"}]}]}


def test_parse_keys_on_the_bsuid_and_answers_it_at_recipient():
    got = parse(envelope(
        {"from": "923001234567", "from_user_id": "PK.1", "id": "w1", "timestamp": "1", "type": "text", "text": {"body": "hi"}},
        {"from_user_id": "PK.2", "id": "w2", "type": "interactive",
         "interactive": {"type": "list_reply", "list_reply": {"id": "topic:wages~ur", "title": "x"}}},
        {"from": "923009999999", "id": "w3", "type": "image", "image": {"id": "m", "caption": "is this legal?"}},
        {"from": "923009999999", "id": "w4", "type": "audio", "audio": {"id": "m2", "voice": True}},
        {"from": "923009999999", "id": "w5", "type": "sticker", "sticker": {"id": "m3"}},
        {"from": "923009999999", "id": "w6", "type": "button", "button": {"payload": "caseshow:1~ur", "text": "Read"}},
        contacts=[{"profile": {"name": "Amina"}, "wa_id": "923001234567", "user_id": "PK.1"}],
        statuses=[{"id": "wamid.9", "status": "failed", "errors": [{"code": 131047}]}]))
    a, b, c, d, e, f, status = got
    assert a == Inbound("w1", Sender("PK.1", "923001234567", "Amina"), "text", text="hi", timestamp=1)
    assert a.sender.key == "wa:PK.1" and a.sender.address == {"recipient": "PK.1"}
    assert b.kind == "action" and b.action == "topic:wages~ur" and b.sender.address == {"recipient": "PK.2"}
    assert (c.kind, c.media_kind, c.media_id, c.text) == ("media", "photo", "m", "is this legal?")
    assert c.sender.address == {"to": "923009999999"}
    assert (d.kind, d.media_id) == ("voice", "m2") and e.kind == "other" and f.action == "caseshow:1~ur"
    assert status == Status("wamid.9", "failed", (131047,))


@pytest.mark.parametrize("payload", [None, [], {"object": "page"}, {"object": "whatsapp_business_account", "entry": 5},
                                     envelope({"id": "w"}), envelope({"from": "1", "id": "w", "type": "text"})])
def test_parse_never_raises_on_odd_bodies(payload):
    parse(payload)


# -- Graph client -------------------------------------------------------------------------------------------


@pytest.fixture
def graph():
    fake = FakeGraph().start()
    yield fake
    fake.stop()


async def test_client_retries_throttling_and_5xx_then_delivers(graph):
    pauses: list[float] = []

    async def sleep(seconds: float) -> None:
        pauses.append(seconds)

    client = GraphClient(graph.base_url, graph.token, PHONE_NUMBER_ID, sleep=sleep)
    graph.last_inbound["923001234567"] = graph.now
    graph.fail((400, 130429), (400, 131056), (500, 0), (503, 0))
    wamid = await client.send({"to": "923001234567"}, {"type": "text", "text": {"body": "hello"}})
    assert wamid.startswith("wamid.") and pauses == [0.5, 1.0, 2.0, 4.0] and client.retried == 4
    assert [m["text"]["body"] for m in graph.sent] == ["hello"]
    await client.close()


async def test_client_sends_again_when_the_connection_is_cut_before_meta_answers():
    import httpx

    calls: list[str] = []

    def answer(request: httpx.Request) -> httpx.Response:
        calls.append(request.url.path)
        if len(calls) == 1:
            raise httpx.ReadError("Connection reset by peer", request=request)
        return httpx.Response(200, json={"messages": [{"id": "wamid.2"}]})

    async def sleep(seconds: float) -> None: ...

    client = GraphClient("https://graph.test/v25.0", "t", PHONE_NUMBER_ID, sleep=sleep,
                         http=httpx.AsyncClient(transport=httpx.MockTransport(answer)))
    assert await client.send({"to": "923001234567"}, {"type": "text", "text": {"body": "hi"}}) == "wamid.2"
    assert len(calls) == 2 and client.retried == 1
    await client.close()


async def test_client_does_not_retry_a_closed_window(graph):
    client = GraphClient(graph.base_url, graph.token, PHONE_NUMBER_ID)
    graph.last_inbound["923001234567"] = graph.now - 25 * 3600
    with pytest.raises(GraphError) as refused:
        await client.send({"to": "923001234567"}, {"type": "text", "text": {"body": "late"}})
    assert refused.value.code == 131047 and len([c for c in graph.calls if c[0] == "POST"]) == 1
    await client.close()


async def test_client_uploads_and_downloads_media(graph, tmp_path):
    client = GraphClient(graph.base_url, graph.token, PHONE_NUMBER_ID)
    path = tmp_path / "a.ogg"
    path.write_bytes(b"OggS-recording")
    media_id = await client.upload(path, "audio/ogg")
    assert await client.download(media_id) == (b"OggS-recording", "audio/ogg")
    await client.close()


def test_settings_need_all_four_whatsapp_values():
    from bot.config import Settings

    full = {"WHATSAPP_ACCESS_TOKEN": "EAAtoken", "WHATSAPP_PHONE_NUMBER_ID": "1", "WHATSAPP_APP_SECRET": "appsecret",
            "WHATSAPP_VERIFY_TOKEN": "verifytoken"}
    assert Settings.from_env(full).whatsapp_configured and not Settings.from_env(full).whatsapp_missing
    half = dict(full, WHATSAPP_APP_SECRET="")
    assert not Settings.from_env(half).whatsapp_configured
    assert Settings.from_env(half).whatsapp_missing == ["WHATSAPP_APP_SECRET"]
    assert Settings.from_env({}).whatsapp_missing == []
    shown = repr(Settings.from_env(full))
    assert not any(secret in shown for secret in ("EAAtoken", "appsecret", "verifytoken"))
    assert Settings.from_env({}).whatsapp_api_base_url == "https://graph.facebook.com/v25.0"


def test_a_held_file_is_kept_only_for_its_minutes_and_only_the_latest_files():
    from bot.conversation.files import HOLD_FILES, HOLD_SECONDS, HeldFiles, is_held

    now = [0.0]
    files = HeldFiles(clock=lambda: now[0])
    handle = files.hold(b"OggS", "audio/ogg", "voice.ogg")
    assert is_held(handle) and files.get(handle) is not None and files.get(handle).data == b"OggS"
    now[0] = HOLD_SECONDS + 1  # a restart or a long wait: gone, never posted half
    assert files.get(handle) is None
    handles = [files.hold(bytes([i % 256]), "image/jpeg", "photo.jpg") for i in range(HOLD_FILES + 1)]
    assert files.get(handles[0]) is None and files.get(handles[-1]) is not None
    files.release(handles[-1])
    assert files.get(handles[-1]) is None


# -- the channel on a stand-in Graph client -------------------------------------------------------------------


class StandIn:
    """A Graph client that records sends and uploads; ``refuse``: the Meta code every free-form send gets."""

    retried = 0

    def __init__(self, refuse: int = 0) -> None:
        self.sent: list[tuple[dict, dict]] = []
        self.uploads = 0
        self.refuse = refuse

    async def send(self, address: dict, payload: dict) -> str:
        if self.refuse and payload["type"] != "template":
            raise GraphError(self.refuse, 400, "refused")
        self.sent.append((address, payload))
        return "wamid.1"

    async def upload(self, path, mime_type: str) -> str:
        self.uploads += 1
        return f"media-{self.uploads}"

    async def upload_bytes(self, data: bytes, name: str, mime_type: str) -> str:
        self.uploads += 1
        return f"media-{self.uploads}"


def whatsapp(store, prefs, tmp_path, client, cases=None, clock=None, **settings):
    from bot.bootstrap import Core
    from bot.channels.whatsapp.channel import WhatsAppChannel
    from bot.config import Settings

    core = Core(Settings(data_dir=tmp_path, **settings), store, prefs, None, cases)
    return WhatsAppChannel(core, client, **({"clock": clock} if clock else {}))


async def test_a_recorded_answer_is_uploaded_again_before_metas_30_days_run_out(store, prefs, tmp_path):
    now = [0.0]
    client = StandIn()
    channel = whatsapp(store, prefs, tmp_path, client, clock=lambda: now[0])
    recording = tmp_path / "overtime.ur.ogg"
    recording.write_bytes(b"OggS answer")
    worker = Sender(None, "923001234567")
    for day in (0, 24, 26):  # Meta keeps an uploaded file's id 30 days; the bot renews it after 25
        now[0] = day * 24 * 3600
        await channel.send_replies(worker, [Message("Overtime", voice=recording)])
    voices = [p["audio"]["id"] for _, p in client.sent if p["type"] == "audio"]
    assert voices == ["media-1", "media-1", "media-2"] and client.uploads == 2


async def test_a_throttled_chat_waits_alone_and_keeps_its_order(graph, store, prefs, tmp_path):
    import asyncio
    from functools import partial

    gate = asyncio.Event()

    async def pause(seconds: float) -> None:
        await gate.wait()  # the back-off lasts until the test says so

    channel = whatsapp(store, prefs, tmp_path, GraphClient(graph.base_url, graph.token, PHONE_NUMBER_ID, sleep=pause))
    slow, other = Sender(None, "923000000001"), Sender(None, "923000000002")
    for who in (slow, other):
        graph.last_inbound[who.phone] = graph.now
    graph.fail((400, 131056))  # the pair rate limit: too many messages to this one user
    for text in ("first", "second"):
        channel.lanes.submit(slow.key, partial(channel.send_replies, slow, [Message(text)]))
    while not graph.refused:
        await asyncio.sleep(0.01)
    await channel.lanes.submit(other.key, partial(channel.send_replies, other, [Message("meanwhile")]))
    assert [m["text"]["body"] for m in graph.sent] == ["meanwhile"]  # another chat is not held up
    gate.set()
    await channel.lanes.drain(5)
    assert [m["text"]["body"] for m in graph.sent] == ["meanwhile", "first", "second"]
    await channel.client.close()


@pytest.mark.parametrize("lang, template_lang", [("sd", "ur"), ("ur-Latn", "ur"), ("ur", "ur"), ("en", "en")])
async def test_a_case_notice_after_24_hours_uses_a_language_meta_has_templates_in(store, prefs, tmp_path, lang,
                                                                                   template_lang):
    cases = CaseStore(tmp_path / "cases.sqlite3", 90)
    await cases.open()
    case = await cases.open_case("wa:+923001234567", lang, None)
    await cases.set_followup(case.number, True)
    client = StandIn(refuse=131047)  # the 24-hour window is closed
    channel = whatsapp(store, prefs, tmp_path, client, cases, whatsapp_case_template="case_answer_ready")
    assert await channel.deliver(case, "Staff answer one") == "notified"
    assert await channel.deliver(case, "Staff answer two") == "waiting"  # one notice, never one per reply
    [(address, notice)] = client.sent
    assert address == {"to": "923001234567"} and notice["template"]["language"]["code"] == template_lang
    assert "Staff answer" not in str(notice)
    assert [body for _, body in await cases.take_pending("wa:+923001234567")] == ["Staff answer one", "Staff answer two"]
    await cases.close()


async def test_a_staff_file_goes_as_whatsapp_plays_it_and_after_24_hours_is_refused_once_not_kept(store, prefs,
                                                                                                   tmp_path):
    cases = CaseStore(tmp_path / "cases.sqlite3", 90)
    await cases.open()
    case = await cases.open_case("wa:PK.42", "ur", None)
    client = StandIn()
    channel = whatsapp(store, prefs, tmp_path, client, cases)
    assert await channel.deliver_file(case, "voice", b"OggS", "audio/ogg", "voice.ogg", "Reply (case K-1):") == "sent"
    assert await channel.deliver_file(case, "voice", b"ID3", "audio/mpeg", "answer.mp3", "Reply (case K-1):") == "sent"  # not OGG: a file
    assert await channel.deliver_file(case, "photo", b"\xff\xd8", "image/jpeg", "photo.jpg", "Reply (case K-1):") == "sent"
    assert [p["type"] for _, p in client.sent] == ["text", "audio", "text", "document", "text", "image"]
    assert {a["recipient"] for a, _ in client.sent} == {"PK.42"}
    assert client.sent[1][1]["audio"] == {"id": "media-1", "voice": True}
    assert client.sent[3][1]["document"] == {"id": "media-2", "filename": "answer.mp3"}
    closed = StandIn(refuse=131047)
    channel = whatsapp(store, prefs, tmp_path, closed, cases)
    assert await channel.deliver_file(case, "photo", b"\xff\xd8", "image/jpeg", "photo.jpg", "Reply (case K-1):") == "failed"
    assert closed.sent == [] and await cases.take_pending("wa:PK.42") == []  # staff are told; nothing waits
    await cases.close()
