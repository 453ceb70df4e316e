"""Asking a person: the worker's side of a case referred to NOWCommunities staff.

Telegram-free, like the conversation that calls it. A worker presses "Ask a
person" (or sends /person); the bot says what happens to their message, then
waits for it (or for a press of "Send this question" for the question they just
asked, or a voice note). The message opens a case in :class:`bot.stores.cases.CaseStore`
and goes to the case chat through a :class:`CaseDesk` (the Telegram side posts
it there). While the case is open the worker still asks the bot questions: a typed
message goes to the case only after she presses "Add to my case" (or "Ask a person",
or sends /person), one message per press. Voice notes, photos and documents cannot be
questions: they go straight to her open case.

What is held in memory only, per chat, and dropped on /forget: the last question
asked (for "Send this question"), a voice note offered as a case, that the next
message is to be added to the open case, and a danger message offered to it. That the bot
is waiting for a case message ("Type your message now") is also kept in the case
store, under a keyed code of the chat, for its 30 minutes, so a restart (a deploy)
between the two does not turn the worker's message into a question.

A case speaks one language, decided once by :meth:`Referral.language`: the one
the worker chose; else the one she writes in (her case message, her last
question); else that of her latest case. Every message of the case, /person,
/forget and the consent to share her number use it, whatever her phone is set to.

The worker is answered at once; her messages reach the case chat in the
background (the case chat may send only 20 messages a minute, and the emergency
numbers must never wait for that). A message that cannot reach staff is kept as
undelivered and the worker is told through :attr:`Referral.notify`.

That the worker just wrote of immediate danger is held in memory too (dropped on /forget), so a
case she opens or writes to then is marked urgent. The danger check itself runs in the conversation,
before a message reaches :meth:`Referral.take`: the emergency message comes first, whatever the
referral says.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import time
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Awaitable, Callable, Protocol

from bot.conversation.contact import call_nowcommunities, danger_now, nowcommunities_phone
from bot.conversation.i18n import N_, gettext_for
from bot.knowledge.facts import render
from bot.knowledge.store import KnowledgeStore
from bot.understanding.language import detect

if TYPE_CHECKING:  # a case store is opened only with a case chat: an answer alone never imports it
    from bot.stores.cases import Case, CaseStore

log = logging.getLogger(__name__)

MEMORY_SECONDS = 30 * 60  # how long a pending case, the last question or a voice offer is remembered
MEMORY_CHATS = 10_000  # at most this many chats' in-memory states; the oldest go first
CASES_PER_DAY = 3  # new cases one chat may open in 24 hours
MAX_CASE_CHARS = 3_000  # of the last question kept for "Send this question" (a case message itself is never cut)

ASK_A_PERSON = N_("Ask a person")
PRIVACY_CASES = N_(
    "• If you ask a person (/person): your case, its messages and the chat number needed to send you staff "
    "replies, kept apart from everything else. Staff see what you write, never your name, username or "
    "number unless you share them. A closed case is deleted {days} days after it closes; /forget closes and "
    "deletes your cases at once."
)


class CaseDesk(Protocol):
    """Where cases go to staff (the Telegram case chat). Each method raises if the case could not be delivered."""

    async def new_case(self, case: Case, entry_title: str | None, text: str | None, voice: str | None) -> None: ...

    async def follow_up(self, case: Case, text: str | None, voice: str | None) -> None: ...

    async def withdrawn(self, case: Case) -> None: ...

    async def attachment(self, case: Case, kind: str, file_id: str, caption: str | None) -> None: ...


class CaseLog(Protocol):
    """The anonymous query log: only that a case was opened, its topic and language (bot.stores.querylog.QueryLog)."""

    def case_opened(self, *, topic: str | None, lang: str) -> None: ...


@dataclass(frozen=True)
class Reply:
    """What the referral says; ``buttons``: (label, action) rows; ``contact``: a share-my-contact button's label."""

    text: str
    title: str | None = None
    buttons: tuple[tuple[tuple[str, str], ...], ...] = ()
    contact: str | None = None
    lang: str | None = None  # the case's language, for the data of its buttons; None: the caller's


@dataclass
class _Memory:
    """Per-chat state kept in memory for a while, oldest chats dropped first."""

    seconds: float = MEMORY_SECONDS
    items: OrderedDict = field(default_factory=OrderedDict)

    def put(self, chat: int | str, value) -> None:
        key = str(chat)
        self.items.pop(key, None)
        self.items[key] = (time.monotonic(), value)
        while len(self.items) > MEMORY_CHATS:
            self.items.popitem(last=False)

    def get(self, chat: int | str):
        got = self.items.get(str(chat))
        if got is None or time.monotonic() - got[0] > self.seconds:
            self.items.pop(str(chat), None)
            return None
        return got[1]

    def pop(self, chat: int | str):
        value = self.get(chat)
        self.items.pop(str(chat), None)
        return value


@dataclass
class Referral:
    """"Ask a person": a worker's way to a case with NOWCommunities staff (see the module's docstring)."""

    knowledge: KnowledgeStore
    cases: CaseStore | None = None
    desk: CaseDesk | None = None
    log: CaseLog | None = None
    cases_per_day: int = CASES_PER_DAY
    clock: Callable[[], dt.datetime] = lambda: dt.datetime.now(dt.timezone.utc)
    _waiting: _Memory = field(default_factory=_Memory)  # chat -> (lang, entry id) of a case waiting for its message
    _recent: _Memory = field(default_factory=_Memory)  # chat -> (question, entry id) last asked
    _voice: _Memory = field(default_factory=_Memory)  # chat -> file id of a voice note offered as a case
    # How to tell a worker, later, that her message did not reach staff after all (the channel sets it).
    notify: Callable[[int | str, str], Awaitable[None]] | None = None
    _deliveries: set[asyncio.Task] = field(default_factory=set)
    _alarm: _Memory = field(default_factory=_Memory)  # chat -> the kind of danger the worker just wrote of
    _adding: _Memory = field(default_factory=_Memory)  # chat -> case number: her next message is added to it
    _danger: _Memory = field(default_factory=_Memory)  # chat -> a danger message offered to her open case

    @property
    def enabled(self) -> bool:
        """Cases are on: a case store and a case chat (``BOT_CASE_CHAT_ID``) to send them to."""
        return self.cases is not None and self.desk is not None

    def stop_waiting(self, chat: int | str) -> None:
        """The worker went elsewhere (a command, a menu): their next message is a question again, not a case."""
        self._waiting.pop(chat)
        if self.enabled:
            assert self.cases is not None
            self._background(self.cases.stop_waiting(chat))

    def private_only(self, lang: str) -> list[Reply]:
        """In a group: staff replies would be read by everyone there, so cases are opened in private chats only."""
        _ = gettext_for(lang)
        return [Reply(_("To ask a person, write to me in a private chat. Cases are never opened in groups."))]

    def remember(self, chat: int | str, question: str, entry_id: str | None, lang: str | None = None) -> None:
        """The question just asked (and the language it was answered in), so "Ask a person" can offer to send it."""
        if self.enabled:
            self._recent.put(chat, (question[:MAX_CASE_CHARS], entry_id, lang))

    async def language(self, chat: int | str, chosen: str | None, fallback: str) -> str:
        """The language of the chat's case messages: the chosen one; else her open case's; else that of the last
        question she wrote; else her latest case's; else ``fallback`` (a button's, or the phone's)."""
        if chosen:
            return chosen
        case = await self._open_case(chat)
        if case is not None:
            return case.lang
        recent = self._recent.get(chat)
        if recent is not None and recent[2]:
            return recent[2]
        latest = await self.cases.latest_case_of(chat) if self.cases is not None else None
        return latest.lang if latest is not None else fallback

    async def stop(self) -> None:
        """At shutdown: messages still on their way stay in the case store as undelivered (posted at the next start)."""
        for task in list(self._deliveries):
            task.cancel()
        await asyncio.gather(*list(self._deliveries), return_exceptions=True)

    async def settle(self) -> None:
        """Wait until every message on its way to the case chat got there (or failed)."""
        while self._deliveries:
            await asyncio.gather(*list(self._deliveries), return_exceptions=True)

    def alarm(self, chat: int | str, kind: str) -> None:
        """The worker wrote of immediate danger: a case they open or write to now is urgent."""
        if self.enabled:
            self._alarm.put(chat, kind)

    # -- opening ------------------------------------------------------------------------------

    async def offer(self, chat: int | str, lang: str, entry_id: str | None = None) -> list[Reply]:
        """/person or "Ask a person": what happens, then wait for the message."""
        _ = gettext_for(lang)
        if not self.enabled:
            return [Reply(call_nowcommunities(self.knowledge, lang))]
        assert self.cases is not None
        case = await self.cases.open_case_of(chat)
        if case is not None:  # her next message is added to it
            self._adding.put(chat, case.number)
            _ = gettext_for(case.lang)
            return [Reply(_("Your case {number} is open. Type your message and it goes to NOWCommunities staff.")
                          .format(number=case.number), buttons=(((_("Cancel"), "pcancel"),),), lang=case.lang)]
        if limited := await self._limited(chat, lang):
            return limited
        recent = self._recent.get(chat)
        if entry_id is None or not self.knowledge.kb.entry(entry_id):
            entry_id = recent[1] if recent else None
        await self._wait_for_message(chat, lang, entry_id)
        facts = self.knowledge.kb.facts
        text = _(EXPLAIN).format(time=render("{case_reply_time}", facts, lang))
        reply_time = facts.get("case_reply_time")
        if reply_time and not reply_time.verified and reply_time.caveat:  # not a promise until NOWCommunities confirms
            text += "\n" + reply_time.caveat[lang]
        text += "\n\n" + _(URGENT).format(phone=nowcommunities_phone(self.knowledge, lang),
                                         police=render("{police_emergency}", facts, lang))
        rows: list[tuple[tuple[str, str], ...]] = []
        if recent:
            text += "\n\n" + _("Or send the question you just asked:") + f"\n“{recent[0]}”"
            rows.append(((_("Send this question"), "psend"),))
        rows.append(((_("Cancel"), "pcancel"),))
        return [Reply(text, title=_(ASK_A_PERSON), buttons=tuple(rows))]

    async def take(self, chat: int | str, text: str | None = None, voice: str | None = None,
                   chosen: str | None = None) -> list[Reply] | None:
        """A message for a case: the one a new case waits for, a voice note while a case is open, or the one
        typed message after "Add to my case". None: not a case message (a question, even with a case open).

        ``chosen``: the chat's chosen language; without one, a new case speaks the language of its message.
        """
        if not self.enabled:
            return None
        assert self.cases is not None
        stored = await self.cases.waiting_for(chat)  # kept across a restart
        waiting = self._waiting.pop(chat) or stored
        if waiting is not None:
            lang, entry_id = waiting
            written = detect(text) if text else None
            return await self._open(chat, chosen or written or lang, entry_id, text, voice)
        case = await self.cases.open_case_of(chat)
        adding = self._adding.pop(chat)
        if case is None or (voice is None and adding != case.number):
            return None
        await self._deliver_follow_up(case, text, voice)
        return self._added(case)

    def _added(self, case: Case, urgent: bool = False) -> list[Reply]:
        _ = gettext_for(case.lang)
        text = _("Added to your case {number}.").format(number=case.number)
        if urgent:
            text += " " + _("Staff see it marked urgent.")
        return [Reply(text, buttons=(((_(ADD_TO_CASE), "padd"),),), lang=case.lang)]

    async def danger_offer(self, chat: int | str, text: str) -> list[Reply]:
        """A danger message typed while a case is open (after the emergency numbers): offered to the case, urgent."""
        case = await self._open_case(chat)
        if case is None or not self.enabled:
            return []
        self._danger.put(chat, (case.number, text))
        _ = gettext_for(case.lang)
        return [Reply(_("Your case {number} is open. Shall I send what you just wrote to NOWCommunities staff, "
                        "marked urgent?").format(number=case.number),
                      buttons=(((_("Send it to staff"), "purgent"),), ((_("Cancel"), "pcancel"),)), lang=case.lang)]

    async def action(self, chat: int | str, kind: str, lang: str, arg: str = "") -> list[Reply]:
        """A pressed button of the referral (``person``, ``padd``, ``psend``, ``pvoice``, ``purgent``, ``pcancel``,
        ``pshare``)."""
        _ = gettext_for(lang)
        if kind in ("person", "padd"):  # with a case open, both add her next message to it
            return await self.offer(chat, lang, arg or None)
        if not self.enabled:
            return [Reply(call_nowcommunities(self.knowledge, lang))]
        if kind == "psend":
            recent, waiting = self._recent.get(chat), self._waiting.get(chat)
            if recent is None or waiting is None:  # an old button: start again
                return await self.offer(chat, lang)
            self.stop_waiting(chat)
            return await self._open(chat, recent[2] or waiting[0], waiting[1] or recent[1], recent[0], None)
        if kind == "pvoice":
            voice = self._voice.pop(chat)
            if voice is None:
                return await self.offer(chat, lang)
            self.stop_waiting(chat)
            if await self._open_case(chat) is not None:
                return await self.take(chat, voice=voice) or []
            return await self._open(chat, lang, None, None, voice)
        if kind == "purgent":
            return await self._send_urgent(chat, lang)
        if kind == "pcancel":
            self.stop_waiting(chat)
            for memory in (self._voice, self._adding, self._danger):
                memory.pop(chat)
            return [Reply(_("Nothing was sent."))]
        if kind == "pshare":
            case = await self._open_case(chat)
            if case is None:
                return [Reply(_("You have no open case, so nothing was sent."))]
            _ = gettext_for(case.lang)
            return [Reply(_("Press the button below only if you want NOWCommunities staff to call you back: it sends "
                            "your name and phone number to them for case {number}.").format(number=case.number),
                          contact=_("Share my name and number with staff"), lang=case.lang)]
        return await self.offer(chat, lang)

    async def _send_urgent(self, chat: int | str, lang: str) -> list[Reply]:
        """"Send it to staff" under a danger message typed while her case was open: added to it, the case urgent."""
        offered, case = self._danger.pop(chat), await self._open_case(chat)
        if case is None:
            return [Reply(gettext_for(lang)("You have no open case, so nothing was sent."))]
        if offered is None or case.number != offered[0]:  # an old button, or the memory ran out: she types it again
            return await self.offer(chat, lang)
        assert self.cases is not None
        case = await self.cases.mark_urgent(case.number) or case
        await self._deliver_follow_up(case, offered[1], None)
        return self._added(case, urgent=True)

    async def attach(self, chat: int | str, kind: str, file_id: str, caption: str | None) -> list[Reply] | None:
        """A photo or document (``kind``) sent while a case is open: it goes to staff, with its caption. None: no
        open case (the caption, if any, is then a question)."""
        case = await self._open_case(chat)
        if case is None or self.desk is None:
            return None
        assert self.cases is not None
        caption = (caption or "").strip() or None
        kept = await self.cases.add_message(case.number, "worker", kind, file_id, delivered=False)
        if caption:
            await self.cases.add_message(case.number, "worker", "text", caption)
        self._deliver(case, kept, self.desk.attachment(case, kind, file_id, caption), new=False)
        _ = gettext_for(case.lang)
        return [Reply(_("Added to your case {number}.").format(number=case.number), lang=case.lang)]

    async def voice(self, chat: int | str, lang: str, file_id: str) -> list[Reply]:
        """A voice note: added to a waiting or open case; otherwise the bot says it cannot listen and offers to send it."""
        taken = await self.take(chat, voice=file_id)
        if taken is not None:
            return taken
        _ = gettext_for(lang)
        text = _("Sorry, I cannot listen to voice notes. Please type your question, or choose a topic.")
        text += "\n" + danger_now(self.knowledge, lang)  # a voice note is never checked for danger
        if not self.enabled:
            return [Reply(text + "\n\n" + call_nowcommunities(self.knowledge, lang))]
        self._voice.put(chat, file_id)
        text += "\n\n" + _("I can send your voice note to NOWCommunities staff as a case. They will hear it, but will "
                           "not see your name, username or number. Their answer comes here; /forget ends the case.")
        return [Reply(text, buttons=(((_("Send it to staff"), "pvoice"),), ((_("Cancel"), "pcancel"),)))]

    async def shared_contact(self, chat: int | str, own: bool, lang: str) -> tuple[Case | None, list[Reply]]:
        """The worker shared a contact: the case to show it in (only their own contact, only an open case).
        ``lang``: the chat's language, for when no case is open."""
        case = await self._open_case(chat)
        _ = gettext_for(case.lang if case else lang)
        if case is None:
            return None, [Reply(_("You have no open case, so nothing was sent."))]
        if not own:
            return None, [Reply(_("Please share your own number with the button; nothing was sent."))]
        return case, [Reply(_("Your name and number were sent to NOWCommunities staff for case {number}.")
                            .format(number=case.number))]

    async def forget(self, chat: int | str) -> list[Case]:
        """/forget: the chat's cases closed and deleted at once, and what was held in memory dropped."""
        for memory in (self._waiting, self._recent, self._voice, self._alarm, self._adding, self._danger):
            memory.pop(chat)
        if self.cases is None:
            return []
        withdrawn = await self.cases.forget(chat)
        for case in withdrawn:
            if self.desk is not None:
                self._background(self._withdrawn(case))  # the worker's answer never waits for the case chat
        return withdrawn

    async def _withdrawn(self, case: Case) -> None:
        assert self.desk is not None
        try:
            await self.desk.withdrawn(case)
        except asyncio.CancelledError:
            raise
        except Exception:  # noqa: BLE001 - the deletion stands even if staff cannot be told
            log.exception("could not tell the case chat that case %s was withdrawn", case.number)

    # -- inside ---------------------------------------------------------------------------------

    async def _wait_for_message(self, chat: int | str, lang: str, entry_id: str | None) -> None:
        self._waiting.put(chat, (lang, entry_id))
        assert self.cases is not None
        await self.cases.wait_for_message(chat, lang, entry_id, self.clock() + dt.timedelta(seconds=MEMORY_SECONDS))

    async def _open_case(self, chat: int | str) -> Case | None:
        return await self.cases.open_case_of(chat) if self.cases is not None else None

    async def _limited(self, chat: int | str, lang: str) -> list[Reply] | None:
        assert self.cases is not None
        since = self.clock() - dt.timedelta(days=1)
        if await self.cases.opened_since(chat, since) < self.cases_per_day:
            return None
        _ = gettext_for(lang)
        return [Reply(_("You have opened several cases today. Please wait for staff to answer, or call NOWCommunities "
                        "on {phone}.").format(phone=nowcommunities_phone(self.knowledge, lang)))]

    async def _open(self, chat: int | str, lang: str, entry_id: str | None, text: str | None,
                    voice: str | None) -> list[Reply]:
        assert self.cases is not None and self.desk is not None
        _ = gettext_for(lang)
        text = (text or "").strip() or None
        if text is None and voice is None:
            await self._wait_for_message(chat, lang, entry_id)
            return [Reply(_("Please type your message, or send a voice note."))]
        if limited := await self._limited(chat, lang):
            return limited
        kb = self.knowledge.kb
        entry = kb.entry(entry_id) if entry_id else None
        case = await self.cases.open_case(chat, lang, entry.id if entry else None,
                                          urgent=self._alarm.get(chat) is not None)
        kept = await self.cases.add_message(case.number, "worker", "voice" if voice else "text", voice or text or "",
                                            delivered=False)
        self._deliver(case, kept, self.desk.new_case(case, entry.title["en"] if entry else None, text, voice), new=True)
        if self.log is not None:
            self.log.case_opened(topic=entry.topic if entry else None, lang=lang)
        return [Reply(
            _(OPENED).format(number=case.number), title=_("Case {number}").format(number=case.number),
            buttons=(((_(ADD_TO_CASE), "padd"),), ((_("Share my name and number with staff"), "pshare"),)), lang=lang)]

    async def _deliver_follow_up(self, case: Case, text: str | None, voice: str | None) -> None:
        assert self.cases is not None and self.desk is not None
        text = (text or "").strip() or None
        if self._alarm.get(case.chat_id) is not None and not case.urgent:
            case = await self.cases.mark_urgent(case.number) or case
        kept = await self.cases.add_message(case.number, "worker", "voice" if voice else "text", voice or text or "",
                                            delivered=False)
        self._deliver(case, kept, self.desk.follow_up(case, text, voice), new=False)

    def _deliver(self, case: Case, message: int, posting: Awaitable[None], new: bool) -> None:
        """Post to the case chat in the background; the worker is answered meanwhile. If it fails, she is told, and
        a new case staff never saw is no case: it is removed."""
        async def deliver() -> None:
            assert self.cases is not None
            try:
                await posting
            except asyncio.CancelledError:  # the bot is stopping: kept as undelivered, posted at the next start
                raise
            except Exception:  # noqa: BLE001 - the worker is told; the bot keeps answering
                log.exception("a message could not be delivered to the case chat (case %s)", case.number)
                if new:
                    await self.cases.forget_case(case.number, "undelivered")
                if self.notify is not None:
                    await self.notify(case.chat_id, self._not_delivered(case.lang))
            else:
                await self.cases.delivered(message)

        self._background(deliver())

    def _background(self, work: Awaitable[None]) -> None:
        task = asyncio.ensure_future(work)
        self._deliveries.add(task)
        task.add_done_callback(self._deliveries.discard)

    def _not_delivered(self, lang: str) -> str:
        _ = gettext_for(lang)
        return _("Sorry, your message could not reach NOWCommunities staff just now. Please try again later, or call "
                 "{phone}.").format(phone=nowcommunities_phone(self.knowledge, lang))


ADD_TO_CASE = N_("Add to my case")
OPENED = N_(
    "Your message was sent to NOWCommunities staff: case {number}. Their answer will come here. You can still ask me "
    "questions: to add a message to your case, press “Add to my case” first. Voice notes, photos and documents go "
    "to your case. /forget ends it."
)
# A worker with a deadline or in danger must not wait for a case reply (content review 2026-12, N7).
URGENT = N_("If it is urgent, call NOWCommunities on {phone}. If you are in danger, call the police on {police}.")
EXPLAIN = N_(
    "Your message will go to NOWCommunities staff. They will see what you write, but not your name, "
    "username or phone number, unless you choose to share them. Staff usually answer {time}; their answer comes "
    "here, in this chat. /forget ends the case and deletes it.\n\n"
    "Type your message now, or send a voice note."
)
