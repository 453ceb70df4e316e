"""The question sets score the same through WhatsApp as through Telegram.

Every question of the project's set (and of the danger set) is sent, from a chat of its own, as a signed-shape
webhook body through the WhatsApp channel (the envelope parsed, the chat's lane, the conversation, the renderer
within Meta's limits), and typed into the conversation core as the Telegram channel does. Both must log the same
entry, outcome and reply language, and show the worker the same words and the same choices; the danger set's
emergency message must come first on both. (WhatsApp adds the language picker to a first message, as it has no
/start; it is left out of the comparison.) The held-out sets are not read here: their scores come from the same
core, so a question that agrees here agrees there.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from bot.bootstrap import Core
from bot.channels.whatsapp.channel import WhatsAppChannel
from bot.channels.whatsapp.webhook import parse
from bot.config import Settings
from bot.conversation.dialogue import Message
from tests.fake_whatsapp import PHONE_NUMBER_ID, check_limits
from tests.helpers import CollectingLog

EVAL = Path(__file__).parent / "eval"
PICKER = ["English", "اردو", "سنڌي", "Roman Urdu"]


class Log(CollectingLog):
    """The collecting log, with the query log's start and close."""

    async def start(self) -> None: ...

    async def close(self) -> None: ...


class RecordingClient:
    """Stands in for the Graph client: keeps every payload, after checking it against Meta's limits."""

    retried = 0

    def __init__(self) -> None:
        self.sent: list[tuple[dict[str, str], dict[str, Any]]] = []

    async def send(self, address: dict[str, str], payload: dict[str, Any]) -> str:
        check_limits(payload)
        self.sent.append((address, payload))
        return f"wamid.{len(self.sent)}"


def envelope(phone: str, text: str) -> dict[str, Any]:
    message = {"from": phone, "id": f"wamid.IN{phone}", "timestamp": "1", "type": "text", "text": {"body": text}}
    value = {"messaging_product": "whatsapp", "metadata": {"phone_number_id": PHONE_NUMBER_ID},
             "contacts": [{"profile": {"name": "Worker"}, "wa_id": phone}], "messages": [message]}
    return {"object": "whatsapp_business_account", "entry": [{"changes": [{"value": value, "field": "messages"}]}]}


def shown(payloads: list[dict[str, Any]]) -> tuple[str, list[str]]:
    """What the worker reads (without spaces, which splitting moves) and the actions of what she can tap."""
    words, actions = [], []
    for p in payloads:
        if p["type"] == "text":
            words.append(p["text"]["body"])
            continue
        inter = p["interactive"]
        words += [(inter.get("header") or {}).get("text", ""), inter["body"]["text"]]
        for row in [r for s in inter["action"].get("sections", []) for r in s["rows"]]:
            words += [row["title"], row.get("description", "")]
            actions.append(row["id"])
        for button in inter["action"].get("buttons", []):
            words.append(button["reply"]["title"])
            actions.append(button["reply"]["id"])
    return "".join("\n".join(words).split()), actions


def is_picker(payload: dict[str, Any]) -> bool:
    rows = [r["title"] for s in payload.get("interactive", {}).get("action", {}).get("sections", []) for r in s["rows"]]
    return rows == PICKER


def compact(text: str) -> str:
    return "".join(text.replace("*", "").split())


def telegram_view(messages: list[Message]) -> tuple[list[str], list[str], list[str]]:
    """The texts, button labels and button actions of the core's replies, as the Telegram channel sends them."""
    texts = [compact(t) for m in messages for t in (m.title or "", m.text) if t]
    buttons = [b for m in messages for row in m.buttons for b in row]
    return texts, [b.label for b in buttons], [b.action for b in buttons]


def questions(name: str) -> list[str]:
    return [item["text"] for item in yaml.safe_load((EVAL / name).read_text(encoding="utf-8"))]


@pytest.mark.parametrize("name", ["questions.yaml", "danger.yaml"])
async def test_every_question_gets_the_same_answer_on_whatsapp_as_on_telegram(store, tmp_path, name):
    from bot.stores.preferences import Preferences

    texts = questions(name)
    cores = []
    for side in ("whatsapp", "telegram"):
        prefs = Preferences(tmp_path / side / "preferences.sqlite3")
        core = Core(Settings(data_dir=tmp_path / side, flood_messages=1000), store, prefs, Log())  # type: ignore[arg-type]
        await core.start()
        cores.append(core)
    client = RecordingClient()
    channel = WhatsAppChannel(cores[0], client)  # type: ignore[arg-type]
    telegram = cores[1].conversation("telegram")
    disagree = []
    for n, text in enumerate(texts):
        before = len(client.sent)
        channel.accept(parse(envelope(f"92300{n:07d}", text)))
        await channel.lanes.drain(30)
        payloads = [p for _, p in client.sent[before:]]
        on_telegram = await telegram.text(n, n, text)
        words, actions = shown([p for p in payloads if not is_picker(p)])
        tg_texts, tg_labels, tg_actions = telegram_view(on_telegram)
        missing = [t for t in tg_texts + [compact(label) for label in tg_labels] if t.rstrip("…") not in words]
        if missing or actions != tg_actions:
            disagree.append(f"{text!r}: missing {missing[:2]}, actions {actions} vs {tg_actions}")
        if on_telegram[0].danger:  # the emergency message first on both
            first = next(p for p in payloads if not is_picker(p))
            assert compact(on_telegram[0].text) in shown([first])[0], text
    logged = [[(r["entry_id"], r["outcome"], r["reply_lang"], r["detected_lang"], r["danger"]) for r in core.querylog.rows]  # type: ignore[union-attr]
              for core in cores]
    for core in cores:
        await core.close()
    assert disagree == [], f"{len(disagree)} of {len(texts)} differ: " + "\n".join(disagree[:5])
    assert logged[0] == logged[1] and len(logged[0]) >= len(texts) * 0.9
    assert {r["channel"] for r in cores[0].querylog.rows} == {"whatsapp"}  # type: ignore[union-attr]
