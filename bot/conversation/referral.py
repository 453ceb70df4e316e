"""Asking a person: the worker's side of a case referred to NOWCommunities staff.

Telegram-free, like the conversation that calls it. A worker presses "Ask a
person" (or sends /person); the bot says what happens to their message, then
waits for it (or for a press of "Send this question" for the question they just
asked, or a voice note). The message opens a case in :class:`bot.stores.cases.CaseStore`
and goes to the case chat through a :class:`CaseDesk` (the Telegram side posts
it there); while the case is open, everything the worker writes is added to it.

What is held in memory only, per chat, and dropped on /forget: that the bot is
waiting for a case message, the last question asked (for "Send this question")
and a voice note offered as a case. Nothing of it survives a restart.
"""

from __future__ import annotations

import datetime as dt
import logging
import time
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Callable, Protocol

from bot.stores.cases import Case, CaseStore
from bot.conversation.contact import call_nowcommunities, nowcommunities_phone
from bot.conversation.i18n import N_, gettext_for
from bot.knowledge.facts import render
from bot.knowledge.store import KnowledgeStore
from bot.understanding.text import normalise

log = logging.getLogger(__name__)

MEMORY_SECONDS = 30 * 60  # how long a pending case, the last question or a voice offer is remembered
MEMORY_CHATS = 10_000  # at most this many chats' in-memory states; the oldest go first
CASES_PER_DAY = 3  # new cases one chat may open in 24 hours
MAX_CASE_CHARS = 3_000  # of one message to staff (a Telegram message holds 4,096 with the case heading)

ASK_A_PERSON = N_("Ask a person")
PRIVACY_CASES = N_(
    "• If you ask a person (/person): your case, its messages and the chat number needed to send you staff "
    "replies, kept apart from everything else. Staff see what you write, never your Telegram name, username or "
    "number unless you share them. A closed case is deleted {days} days after it closes; /forget closes and "
    "deletes your cases at once."
)


class CaseDesk(Protocol):
    """Where cases go to staff (the Telegram case chat). Each method raises if the case could not be delivered."""

    async def new_case(self, case: Case, entry_title: str | None, text: str | None, voice: str | None) -> None: ...

    async def follow_up(self, case: Case, text: str | None, voice: str | None) -> None: ...

    async def withdrawn(self, case: Case) -> None: ...


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
    knowledge: KnowledgeStore
    cases: CaseStore | None = None
    desk: CaseDesk | None = None
    log: CaseLog | None = None
    cases_per_day: int = CASES_PER_DAY
    clock: Callable[[], dt.datetime] = lambda: dt.datetime.now(dt.timezone.utc)
    _waiting: _Memory = field(default_factory=_Memory)  # chat -> (lang, entry id) of a case waiting for its message
    _recent: _Memory = field(default_factory=_Memory)  # chat -> (question, entry id) last asked
    _voice: _Memory = field(default_factory=_Memory)  # chat -> file id of a voice note offered as a case

    @property
    def enabled(self) -> bool:
        """Cases are on: a case store and a case chat (``BOT_CASE_CHAT_ID``) to send them to."""
        return self.cases is not None and self.desk is not None

    def stop_waiting(self, chat: int | str) -> None:
        """The worker went elsewhere (a command, a menu): their next message is a question again, not a case."""
        self._waiting.pop(chat)

    def private_only(self, lang: str) -> list[Reply]:
        """In a group: staff replies would be read by everyone there, so cases are opened in private chats only."""
        _ = gettext_for(lang)
        return [Reply(_("To ask a person, write to me in a private chat. Cases are never opened in groups."))]

    def remember(self, chat: int | str, question: str, entry_id: str | None) -> None:
        """The question just asked, so "Ask a person" can offer to send it."""
        if self.enabled:
            self._recent.put(chat, (question[:MAX_CASE_CHARS], entry_id))

    # -- opening ------------------------------------------------------------------------------

    async def offer(self, chat: int | str, lang: str, entry_id: str | None = None) -> list[Reply]:
        """/person or "Ask a person": what happens, then wait for the message."""
        _ = gettext_for(lang)
        if not self.enabled:
            return [Reply(call_nowcommunities(self.knowledge, lang))]
        assert self.cases is not None
        case = await self.cases.open_case_of(chat)
        if case is not None:
            return [Reply(_("Your case {number} is open. Type your message and it goes to NOWCommunities staff.")
                          .format(number=case.number))]
        if limited := await self._limited(chat, lang):
            return limited
        recent = self._recent.get(chat)
        if entry_id is None or not self.knowledge.kb.entry(entry_id):
            entry_id = recent[1] if recent else None
        self._waiting.put(chat, (lang, entry_id))
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

    async def take(self, chat: int | str, text: str | None = None, voice: str | None = None) -> list[Reply] | None:
        """A message while a case waits for one or is open: it goes to the case. None: not a case message."""
        if not self.enabled:
            return None
        assert self.cases is not None
        waiting = self._waiting.pop(chat)
        if waiting is not None:
            lang, entry_id = waiting
            return await self._open(chat, lang, entry_id, text, voice)
        case = await self.cases.open_case_of(chat)
        if case is None:
            return None
        _ = gettext_for(case.lang)
        try:
            await self._deliver_follow_up(case, text, voice)
        except Exception:  # noqa: BLE001 - the worker is told; the bot keeps answering
            log.exception("a message could not be added to case %s", case.number)
            return [Reply(self._not_delivered(case.lang))]
        return [Reply(_("Added to your case {number}.").format(number=case.number))]

    async def action(self, chat: int | str, kind: str, lang: str, arg: str = "") -> list[Reply]:
        """A pressed button of the referral (``person``, ``psend``, ``pvoice``, ``pcancel``, ``pshare``)."""
        _ = gettext_for(lang)
        if kind == "person":
            return await self.offer(chat, lang, arg or None)
        if not self.enabled:
            return [Reply(call_nowcommunities(self.knowledge, lang))]
        if kind == "psend":
            recent, waiting = self._recent.get(chat), self._waiting.get(chat)
            if recent is None or waiting is None:  # an old button: start again
                return await self.offer(chat, lang)
            self._waiting.pop(chat)
            return await self._open(chat, waiting[0], waiting[1] or recent[1], recent[0], None)
        if kind == "pvoice":
            voice = self._voice.pop(chat)
            if voice is None:
                return await self.offer(chat, lang)
            self._waiting.pop(chat)
            if await self._open_case(chat) is not None:
                return await self.take(chat, voice=voice) or []
            return await self._open(chat, lang, None, None, voice)
        if kind == "pcancel":
            self._waiting.pop(chat)
            self._voice.pop(chat)
            return [Reply(_("Nothing was sent."))]
        if kind == "pshare":
            case = await self._open_case(chat)
            if case is None:
                return [Reply(_("You have no open case, so nothing was sent."))]
            return [Reply(_("Press the button below only if you want NOWCommunities staff to call you back: it sends "
                            "your name and phone number to them for case {number}.").format(number=case.number),
                          contact=_("Share my name and number with staff"))]
        return await self.offer(chat, lang)

    async def voice(self, chat: int | str, lang: str, file_id: str) -> list[Reply]:
        """A voice note: added to a waiting or open case; otherwise the bot says it cannot listen and offers to send it."""
        taken = await self.take(chat, voice=file_id)
        if taken is not None:
            return taken
        _ = gettext_for(lang)
        text = _("Sorry, I cannot listen to voice notes. Please type your question, or choose a topic.")
        if not self.enabled:
            return [Reply(text + "\n\n" + call_nowcommunities(self.knowledge, lang))]
        self._voice.put(chat, file_id)
        text += "\n\n" + _("I can send your voice note to NOWCommunities staff as a case. They will hear it, but will "
                           "not see your Telegram name, username or number. Their answer comes here; /forget ends the case.")
        return [Reply(text, buttons=(((_("Send it to staff"), "pvoice"),), ((_("Cancel"), "pcancel"),)))]

    async def shared_contact(self, chat: int | str, own: bool) -> tuple[Case | None, list[Reply]]:
        """The worker shared a contact: the case to show it in (only their own contact, only an open case)."""
        case = await self._open_case(chat)
        lang = case.lang if case else "en"
        _ = gettext_for(lang)
        if case is None:
            return None, [Reply(_("You have no open case, so nothing was sent."))]
        if not own:
            return None, [Reply(_("Please share your own number with the button; nothing was sent."))]
        return case, [Reply(_("Your name and number were sent to NOWCommunities staff for case {number}.")
                            .format(number=case.number))]

    async def forget(self, chat: int | str) -> list[Case]:
        """/forget: the chat's cases closed and deleted at once, and what was held in memory dropped."""
        for memory in (self._waiting, self._recent, self._voice):
            memory.pop(chat)
        if self.cases is None:
            return []
        withdrawn = await self.cases.forget(chat)
        for case in withdrawn:
            if self.desk is not None:
                try:
                    await self.desk.withdrawn(case)
                except Exception:  # noqa: BLE001 - the deletion stands even if staff cannot be told
                    log.exception("could not tell the case chat that case %s was withdrawn", case.number)
        return withdrawn

    # -- inside ---------------------------------------------------------------------------------

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
        text = (text or "").strip()[:MAX_CASE_CHARS] or None
        if text is None and voice is None:
            self._waiting.put(chat, (lang, entry_id))
            return [Reply(_("Please type your message, or send a voice note."))]
        danger = self._danger(text, lang) if text else []
        if limited := await self._limited(chat, lang):
            return danger + limited
        kb = self.knowledge.kb
        entry = kb.entry(entry_id) if entry_id else None
        case = await self.cases.open_case(chat, lang, entry.id if entry else None)
        try:
            await self.cases.add_message(case.number, "worker", "voice" if voice else "text", voice or text or "")
            await self.desk.new_case(case, entry.title["en"] if entry else None, text, voice)
        except Exception:  # noqa: BLE001 - a case staff never saw is no case: remove it and say so
            log.exception("a new case could not be delivered to the case chat")
            await self.cases.forget_case(case.number)
            return danger + [Reply(self._not_delivered(lang))]
        if self.log is not None:
            self.log.case_opened(topic=entry.topic if entry else None, lang=lang)
        return danger + [Reply(
            _("Your message was sent to NOWCommunities staff: case {number}. Their answer will come here. Anything "
              "more you write now is added to this case. /forget ends it.").format(number=case.number),
            title=_("Case {number}").format(number=case.number),
            buttons=(((_("Share my name and number with staff"), "pshare"),),))]

    async def _deliver_follow_up(self, case: Case, text: str | None, voice: str | None) -> None:
        assert self.cases is not None and self.desk is not None
        text = (text or "").strip()[:MAX_CASE_CHARS] or None
        await self.desk.follow_up(case, text, voice)
        await self.cases.add_message(case.number, "worker", "voice" if voice else "text", voice or text or "")

    def _danger(self, text: str, lang: str) -> list[Reply]:
        """The emergency numbers first, when the message mentions immediate danger (knowledge/danger.yaml)."""
        kb = self.knowledge.kb
        said = f" {normalise(text)} "
        if not any(f" {normalise(word)} " in said for word in kb.danger):
            return []
        _ = gettext_for(lang)
        entry = kb.entry("help-emergency")
        numbers = (render(entry.answer[lang], kb.facts, lang) if entry else
                   render("{police_emergency}, {rescue_emergency}", kb.facts, lang))
        return [Reply(_("If you are in danger now, call for help first:") + "\n\n" + numbers,
                      title=entry.title[lang] if entry else None)]

    def _not_delivered(self, lang: str) -> str:
        _ = gettext_for(lang)
        return _("Sorry, your message could not reach NOWCommunities staff just now. Please try again later, or call "
                 "{phone}.").format(phone=nowcommunities_phone(self.knowledge, lang))


# A worker with a deadline or in danger must not wait for a case reply (content review 2026-12, N7).
URGENT = N_("If it is urgent, call NOWCommunities on {phone}. If you are in danger, call the police on {police}.")
EXPLAIN = N_(
    "Your message will go to NOWCommunities staff. They will see what you write, but not your Telegram name, "
    "username or phone number, unless you choose to share them. Staff usually answer {time}; their answer comes "
    "here, in this chat. /forget ends the case and deletes it.\n\n"
    "Type your message now, or send a voice note."
)
