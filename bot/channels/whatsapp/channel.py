"""WhatsApp messages through the conversation core, and its replies back through the Graph API.

The webhook hands each message here (:meth:`WhatsAppChannel.accept`) after answering Meta; each chat's
messages run in their own lane, in order. What is held in memory only, per chat, and lost at a restart:
the message ids seen (Meta delivers some twice), the chats greeted since the start, and the actions of the
last numbered list sent (a reply "2" means its second item). None of it is written anywhere.
"""

from __future__ import annotations

import dataclasses
import logging
import mimetypes
import time
from functools import partial
from collections import Counter, OrderedDict
from pathlib import Path
from typing import Any, Hashable

import httpx

from bot.bootstrap import Core
from bot.channels.whatsapp.client import WINDOW_CLOSED, GraphClient, GraphError
from bot.channels.whatsapp.lanes import Lanes
from bot.channels.whatsapp.render import Labels, render
from bot.channels.whatsapp.webhook import Inbound, Sender, Status
from bot.conversation.dialogue import COMMANDS, Button, Message, Pressed, action_data
from bot.conversation.outbox import Delivery
from bot.stores.cases import Case
from bot.conversation.flood import FloodGuard
from bot.conversation.i18n import N_, gettext_for

log = logging.getLogger(__name__)

REMEMBERED = 50_000  # message ids, greeted chats and numbered lists kept in memory; the oldest go first
MEDIA_RENEW_SECONDS = 25 * 24 * 3600  # an uploaded recording's media id is valid 30 days; renewed well before


class _Bounded(OrderedDict):
    """At most :data:`REMEMBERED` keys; adding one more drops the oldest."""

    def remember(self, key: Hashable, value: Any = True) -> None:
        self.pop(key, None)
        self[key] = value
        while len(self) > REMEMBERED:
            self.popitem(last=False)


class WhatsAppChannel:
    def __init__(self, core: Core, client: GraphClient, *, clock=time.time):
        self.core = core
        self.conversation = core.conversation("whatsapp", sends_alerts=core.settings.whatsapp_alerts)  # by template
        self.client = client
        self.lanes = Lanes()
        settings = core.settings
        self.flood = FloodGuard(settings.flood_messages, settings.flood_seconds)
        self.button_flood = FloodGuard(3 * settings.flood_messages, settings.flood_seconds)
        self.clock = clock
        self.counts: Counter[str] = Counter()  # messages, duplicates, statuses by kind, refused sends
        self._seen = _Bounded()
        self._greeted = _Bounded()
        self._numbered = _Bounded()
        self._media: dict[Path, tuple[str, float, int]] = {}  # recording -> (media id, uploaded at, file mtime)
        # "Ask a person": cases go to the case chat of the channel that has one (Telegram); staff replies come back
        # through this channel's outbox (:meth:`deliver`).
        if core.desk is not None and self.conversation.referral is not None:
            self.conversation.referral.desk = core.desk
            self.conversation.referral.notify = self._tell
            core.outboxes.append(self)

    # -- from the webhook ------------------------------------------------------------------------

    def accept(self, items: list[Inbound | Status]) -> None:
        """Messages go to their chat's lane (each message id once); statuses are counted and logged, never answered."""
        for item in items:
            if isinstance(item, Status):
                self._status(item)
            elif item.id in self._seen:
                self.counts["duplicates"] += 1
            else:
                self._seen.remember(item.id)
                self.counts["messages"] += 1
                self.lanes.submit(item.sender.key, partial(self.handle, item))

    def _status(self, status: Status) -> None:
        self.counts[f"status_{status.status}"] += 1
        if status.status == "failed":
            self.counts["failed"] += 1
            log.warning("Meta could not deliver a message (error codes %s)", ", ".join(map(str, status.codes)) or "none")

    # -- one message -------------------------------------------------------------------------------

    async def handle(self, inbound: Inbound) -> None:
        chat = inbound.sender.key
        if inbound.kind == "reaction":
            return  # an emoji on a message: nothing to answer
        guard = self.button_flood if inbound.kind == "action" else self.flood
        verdict = guard.check(chat)
        if verdict != "ok":
            if verdict == "warn":
                _ = gettext_for(await self.conversation.lang(chat))
                slow = _("You are sending messages very fast. Please wait a minute, then ask again.")
                await self.send_replies(inbound.sender, [Message(slow)])
            return
        await self._pending(inbound.sender)  # staff replies kept while the 24-hour window was closed go first
        try:
            before = await self._open_case(chat)
            messages = await self.replies(inbound)
            opened = await self._open_case(chat)
            if opened is not None and (before is None or before.number != opened.number):
                messages.append(self._followup_question(opened))  # the opt-in for a notice after 24 hours
        except Exception:  # noqa: BLE001 - the worker hears something went wrong; the lane goes on
            log.exception("error while handling a WhatsApp message")
            _ = gettext_for(await self.conversation.lang(chat))
            messages = [Message(_("Sorry, something went wrong. Please try again."))]
        await self.send_replies(inbound.sender, messages)

    async def replies(self, inbound: Inbound) -> list[Message]:
        conv, chat = self.conversation, inbound.sender.key
        if inbound.kind == "action":
            self._numbered.pop(chat, None)
            pressed = Pressed.parse(inbound.action)
            if pressed.kind == "wafollow":
                return await self._followup_answer(chat, pressed.arg == "yes", pressed.lang or "ur")
            if pressed.kind == "caseshow":
                return []  # the notice's button: the kept replies were sent just before (see handle)
            return await conv.action(chat, chat, inbound.action)
        cases_on = conv.referral is not None and conv.referral.enabled
        if inbound.kind == "voice":
            if not cases_on:
                return await conv.voice(chat, inbound.media_id)  # no case chat: "I cannot listen", nothing kept
            held = await self._download(inbound)  # for her case, or for the offer to send it as one
            return await conv.voice(chat, held) if held else await conv.unsupported(chat, "voice")
        if inbound.kind == "media" and cases_on and await self._open_case(chat) is not None:
            held = await self._download(inbound)
            taken = await conv.attachment(chat, inbound.media_kind, held, inbound.text or None) if held else None
            if taken is not None:  # staff get the file itself, with its caption; she is told it was added
                return taken
        if inbound.kind != "text" and not (inbound.kind == "media" and inbound.text):
            return await conv.unsupported(chat, inbound.kind)  # a caption alone is a question
        text = inbound.text.strip()
        if text.startswith("/") and len(text) > 1:
            name = text[1:].split()[0].lower()
            if name in COMMANDS:  # typed as a word: WhatsApp has no command menu the bot can set
                self._greeted.remember(chat)
                self._numbered.pop(chat, None)
                return await conv.start(chat) if name == "start" else await conv.command(chat, chat, name)
        numbered = self._numbered.get(chat)
        if numbered and text.isdigit() and 1 <= int(text) <= len(numbered):
            return await conv.action(chat, chat, numbered[int(text) - 1])
        first = chat not in self._greeted and await self.core.prefs.language(chat) is None
        self._greeted.remember(chat)
        answer = await conv.text(chat, chat, text, names=inbound.sender.names)
        # A first message gets the language picker too: WhatsApp has no /start and tells no phone language. A worker
        # in danger gets the emergency message first, the picker after her replies.
        if not first:
            return answer
        return answer + [conv.language_picker()] if answer and answer[0].danger else [conv.language_picker()] + answer

    async def _download(self, inbound: Inbound) -> str | None:
        """A worker's voice note, photo or document for a case, fetched at once (Meta's media ids expire within days,
        their download links within minutes) and held for the case chat: the handle to pass as its file id. None
        if Meta would not give it."""
        try:
            data, mime_type = await self.client.download(inbound.media_id)
        except (GraphError, httpx.HTTPError) as e:
            log.warning("a worker's file could not be downloaded from the Graph API: %s", e)
            return None
        name = inbound.filename or (inbound.media_kind or "voice") + (mimetypes.guess_extension(
            mime_type.split(";")[0].strip()) or "")
        return self.core.files.hold(data, mime_type, name)

    # -- replies --------------------------------------------------------------------------------------

    async def send_replies(self, sender: Sender, messages: list[Message]) -> None:
        """The replies in order. A send Meta refuses ends this reply: nothing after it is tried (no loop of refusals)."""
        lang = await self.conversation.lang(sender.key)
        _ = gettext_for(lang)
        labels = Labels(menu=_("Choose"), numbered=_("Reply with the number of your choice:"))
        try:
            for message in messages:
                if message.voice is not None:
                    await self._voice(sender, message)
                    continue
                rendered = render(_without_contact_button(message), labels)
                if rendered.numbered:
                    self._numbered.remember(sender.key, rendered.numbered)
                for payload in rendered.payloads:
                    await self.client.send(sender.address, payload)
                    self.counts["sent"] += 1
        except GraphError as e:
            self.counts["refused"] += 1
            log.warning("a reply was refused by the Graph API: %s", e)

    async def _voice(self, sender: Sender, message: Message) -> None:
        """A recorded answer: its title as text (WhatsApp shows no caption on audio), then the voice note."""
        assert message.voice is not None
        if message.text:
            await self.client.send(sender.address, {"type": "text", "text": {"body": message.text}})
        media_id = await self._media_id(message.voice)
        await self.client.send(sender.address, {"type": "audio", "audio": {"id": media_id, "voice": True}})
        self.counts["sent"] += 2 if message.text else 1

    async def _media_id(self, path: Path) -> str:
        """The recording's media id, uploaded once and again before Meta's 30 days run out (or when the file changes)."""
        mtime = path.stat().st_mtime_ns
        cached = self._media.get(path)
        if cached and cached[2] == mtime and self.clock() - cached[1] < MEDIA_RENEW_SECONDS:
            return cached[0]
        media_id = await self.client.upload(path, "audio/ogg")
        self._media[path] = (media_id, self.clock(), mtime)
        return media_id

    # -- staff replies to cases opened here (bot.conversation.outbox.WorkerOutbox) -----------------------

    def takes(self, chat_id: str) -> bool:
        return chat_id.startswith("wa:")

    async def deliver(self, case: Case, text: str, title: str | None = None) -> Delivery:
        """A staff reply, in the worker's lane. After Meta's 24-hour window (131047) it is kept, once, and sent when
        the worker next writes: never tried again meanwhile."""
        sender = Sender.of_key(case.chat_id)
        outcome: list[Delivery] = ["failed"]

        async def send() -> None:
            labels = Labels(menu="", numbered="")
            try:
                for payload in render(Message(text, title=title), labels).payloads:
                    await self.client.send(sender.address, payload)
                outcome[0] = "sent"
            except GraphError as e:
                if e.code == WINDOW_CLOSED and self.core.cases is not None:
                    outcome[0] = await self._keep(case, sender, f"{title}\n\n{text}" if title else text)
                else:
                    log.warning("a staff reply could not be sent on WhatsApp: %s", e)

        await self.lanes.submit(case.chat_id, send)
        return outcome[0]

    async def deliver_file(self, case: Case, kind: str, data: bytes, mime_type: str, name: str,
                           label: str) -> Delivery:
        """A staff voice note, photo or document after its label, uploaded and sent in the worker's lane. Neither is
        kept after Meta's 24-hour window: staff are told it was not delivered, and send it again once she writes."""
        sender = Sender.of_key(case.chat_id)
        outcome: list[Delivery] = ["failed"]
        kind = {"voice": "audio", "photo": "image"}.get(kind, "document")
        if kind == "audio" and "ogg" not in mime_type:
            kind = "document"  # WhatsApp plays only OGG/Opus as a voice note

        async def send() -> None:
            try:
                await self.client.send(sender.address, {"type": "text", "text": {"body": label}})
                media: dict[str, Any] = {"id": await self.client.upload_bytes(data, name, mime_type)}
                if kind == "audio":
                    media["voice"] = True
                elif kind == "document":
                    media["filename"] = name
                await self.client.send(sender.address, {"type": kind, kind: media})
                outcome[0] = "sent"
            except GraphError as e:
                log.warning("a staff file could not be sent on WhatsApp: %s", e)

        await self.lanes.submit(case.chat_id, send)
        return outcome[0]

    async def _keep(self, case: Case, sender: Sender, body: str) -> Delivery:
        """A staff reply after the 24-hour window: kept; with the worker's opt-in and an approved template, one
        notice without any case content is sent for the first reply kept (never one per reply)."""
        cases = self.core.cases
        assert cases is not None
        first = not await cases.has_pending(case.number)
        await cases.add_pending(case.number, body)
        self.counts["case_replies_waiting"] += 1
        template = self.core.settings.whatsapp_case_template
        if not (first and template and await cases.followup_ok(case.number)):
            return "waiting"
        lang = "en" if case.lang == "en" else "ur"  # Meta has no Sindhi templates; Roman Urdu readers get Urdu too
        button = {"type": "button", "sub_type": "quick_reply", "index": "0",
                  "parameters": [{"type": "payload", "payload": action_data("caseshow", case.lang)}]}
        try:
            await self.client.send(sender.address, {"type": "template", "template": {
                "name": template, "language": {"code": lang}, "components": [button]}})
        except GraphError as e:
            log.warning("the case notice template could not be sent: %s", e)
            return "waiting"
        self.counts["case_notices"] += 1
        return "notified"

    async def _open_case(self, chat: str) -> Case | None:
        referral = self.conversation.referral
        if referral is None or not referral.enabled or self.core.cases is None:
            return None
        return await self.core.cases.open_case_of(chat)

    def _followup_question(self, case: Case) -> Message:
        _ = gettext_for(case.lang)
        return Message(_(FOLLOWUP), buttons=((Button(_("Yes"), action_data("wafollow:yes", case.lang)),
                                              Button(_("No"), action_data("wafollow:no", case.lang))),))

    async def _followup_answer(self, chat: str, ok: bool, lang: str) -> list[Message]:
        case = await self._open_case(chat)
        _ = gettext_for(case.lang if case else lang)
        if case is None:
            return [Message(_("You have no open case, so nothing was sent."))]
        assert self.core.cases is not None
        await self.core.cases.set_followup(case.number, ok)
        return [Message(_(FOLLOWUP_YES) if ok else _(FOLLOWUP_NO))]

    async def _pending(self, sender: Sender) -> None:
        if self.core.cases is None:
            return
        kept = await self.core.cases.take_pending(sender.key)
        if kept:
            await self.send_replies(sender, [Message(body) for _number, body in kept])

    async def _tell(self, chat: int | str, text: str) -> None:
        """A late word to the worker (the referral's ``notify``): her message did not reach staff. In her lane."""
        sender = Sender.of_key(str(chat))
        await self.lanes.submit(sender.key, partial(self.send_replies, sender, [Message(text)]))

    def health(self) -> dict[str, Any]:
        kb = self.core.knowledge.kb
        return {"ready": self.core.started, "knowledge": {"entries": len(kb.entries), "topics": len(kb.topics)},
                "stores_open": self.core.started, "waiting": self.lanes.busy, "retried": self.client.retried,
                **{k: v for k, v in sorted(self.counts.items())}}


FOLLOWUP = N_("If staff answer after 24 hours, WhatsApp lets the bot send you only a short notice. May NOWCommunities "
              "send you one? It says nothing about your case.")
FOLLOWUP_YES = N_("Thank you. If staff answer after 24 hours, you will get one short notice; tap it to read their answer.")
FOLLOWUP_NO = N_("All right. If staff answer after 24 hours, their answer waits until you write here again.")


def _without_contact_button(message: Message) -> Message:
    """Telegram's "Share my name and number" needs its contact button, which WhatsApp has not: the row is left out."""
    rows = tuple(row for row in (tuple(b for b in r if not b.action.startswith("pshare")) for r in message.buttons) if row)
    return dataclasses.replace(message, buttons=rows) if rows != message.buttons else message
