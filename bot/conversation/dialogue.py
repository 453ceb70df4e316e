"""What the bot says and shows, for any chat front end (Telegram, the terminal).

The conversation decides; front ends render. A reply is a list of
:class:`Message`: plain text (front ends escape it), an optional bold title,
and rows of :class:`Button` whose ``action`` is short, never localised data
(``topic:wages``, ``entry:overtime``), so it fits Telegram's 64-byte limit and
survives a change of language.

A button's data also carries the language of the message it is under
(``entry:overtime~sd``), so a worker who never chose a language and asked in
Sindhi gets the entry they pick in Sindhi too; nothing about the chat is stored
for that. A ``+`` after the language marks a button under text the worker may
still want to read (an answer, a phone number): what it opens comes as a new
message instead of replacing that text.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from bot.conversation.alerts import alert_facts, fact_name
from bot.conversation.answers import MAX_QUERY_CHARS, Reply, redirect_text, respond, smalltalk_text
from bot.conversation.contact import call_nowcommunities, danger_now, nowcommunities_phone
from bot.conversation.i18n import LANGUAGES, N_, gettext_for
from bot.knowledge.facts import render_help
from bot.conversation.replies import answer_text, as_sent, sources_text
from bot.knowledge.model import Entry
from bot.knowledge.store import KnowledgeStore
from bot.conversation.language_switch import SwitchWatch
from bot.stores.alerts import AlertStore
from bot.stores.preferences import Preferences
from bot.conversation.referral import ASK_A_PERSON, PRIVACY_CASES, Referral
from bot.conversation.referral import Reply as ReferralReply
from bot.understanding.danger import Alarm
from bot.understanding.language import detect, reply_language

if TYPE_CHECKING:
    from bot.understanding.matcher import Match

LANGUAGE_NAMES = {"en": "English", "ur": "اردو", "sd": "سنڌي", "ur-Latn": "Roman Urdu"}

# Command names and their descriptions, registered with Telegram per language.
COMMANDS = {
    "start": N_("Start again and choose a language"),
    "topics": N_("Browse topics"),
    "language": N_("Change language"),
    "help": N_("How to use this bot"),
    "contact": N_("Contact NOWCommunities"),
    "privacy": N_("What is kept about you"),
    "forget": N_("Delete everything stored about this chat"),
    "person": N_("Ask a person at NOWCommunities"),
    "alerts": N_("See and stop the alerts you asked for"),
}


# The confidence at which a message in danger also asks a labour question rather than telling the danger's story in
# words the matcher half-recognises (a weak match is then replaced by the danger kind's own answer).
_CLEAR_QUESTION = 0.5
REFERRAL_ACTIONS = ("person", "padd", "psend", "pvoice", "purgent", "pcancel", "pshare")  # the buttons of bot/conversation/referral.py


@dataclass(frozen=True)
class Button:
    """A button under a message: its label, and the action it sends back when pressed."""

    label: str
    action: str


@dataclass(frozen=True)
class Pressed:
    """A button's data, taken apart: ``kind:arg~lang`` with ``+`` when its message must stay."""

    kind: str
    arg: str = ""
    lang: str | None = None
    keep: bool = False

    @classmethod
    def parse(cls, data: str) -> "Pressed":
        action, _sep, tail = data.rpartition("~") if "~" in data else (data, "", "")
        keep = tail.endswith("+")
        lang = tail.rstrip("+")
        kind, _sep, arg = action.partition(":")
        return cls(kind, arg, lang if lang in LANGUAGES else None, keep)


def action_data(action: str, lang: str, keep: bool = False) -> str:
    """The data of a button under a message in ``lang``; ``keep``: that message must not be replaced."""
    return f"{action}~{lang}{'+' if keep else ''}"


@dataclass(frozen=True)
class Message:
    """One message to send a worker, as every channel renders it."""

    text: str
    title: str | None = None
    buttons: tuple[tuple[Button, ...], ...] = ()
    # Replace the message whose button was pressed instead of sending a new one (menus).
    edit: bool = False
    # A recorded answer to send as a voice note, with ``text`` as its caption.
    voice: Path | None = None
    # The label of a button that shares the worker's own name and number (Telegram's contact button).
    contact: str | None = None
    # The kind of danger, when this is an emergency message (knowledge/danger.yaml); front ends show it as any other.
    danger: str | None = None

    @property
    def sent(self) -> str:
        """The text as the worker's phone shows it, title first."""
        return as_sent(self.title, self.text)


@dataclass(frozen=True)
class Turn:
    """The messages answering a typed question, and what the bot made of it (None for an empty message)."""

    reply: Reply | None
    messages: list[Message]


class QuestionLog(Protocol):
    """Where questions go for research (bot.stores.querylog.QueryLog); optional."""

    def record(self, *, user: int | str, channel: str, kind: str, detected_lang: str | None, reply_lang: str,
               entry_id: str | None, confidence: float, outcome: str, text: str | None,
               out_of_scope: str | None = None, names: tuple[str, ...] = (), danger: str | None = None) -> str: ...

    def feedback(self, token: str, helpful: bool) -> None: ...


@dataclass
class Conversation:
    """The conversation core for one channel: a worker's message or button in, the messages to send out."""

    knowledge: KnowledgeStore
    prefs: Preferences
    log: QuestionLog | None = None
    channel: str = "telegram"
    default_lang: str = "ur"
    retention_days: int = 180
    switches: SwitchWatch = field(default_factory=SwitchWatch)
    referral: Referral | None = None  # "Ask a person" (bot/conversation/referral.py); off without a case chat
    case_retention_days: int = 90
    alerts: AlertStore | None = None  # who asked to be told when a fact changes (bot/stores/alerts.py)
    sends_alerts: bool = False  # the channel can send alerts (Telegram; WhatsApp only with an approved template)

    # -- language ---------------------------------------------------------------

    async def lang(self, chat: int | str, hint: str | None = None) -> str:
        """The chat's chosen language; until one is chosen, the hint (the question's, the button's or the phone's)."""
        return await self.prefs.language(chat) or (hint if hint in LANGUAGES else self.default_lang)

    def language_picker(self, edit: bool = False) -> Message:
        lines = []
        for lang in LANGUAGES:
            _ = gettext_for(lang)
            lines.append(_("Please choose your language:"))
        row = tuple(Button(LANGUAGE_NAMES[lang], f"lang:{lang}") for lang in LANGUAGES)
        return Message("\n".join(lines), buttons=(row,), edit=edit)

    # -- entry points -------------------------------------------------------------
    # ``hint`` is the language of the worker's phone (Telegram's language_code), used until they choose one.

    async def start(self, chat: int | str, hint: str | None = None) -> list[Message]:
        return [self.language_picker()]

    async def command(self, chat: int | str, user: int | str, name: str, hint: str | None = None) -> list[Message]:
        lang = await self.lang(chat, hint)
        _ = gettext_for(lang)
        if self.referral and name != "person":
            self.referral.stop_waiting(chat)
        if name == "start":
            return await self.start(chat, hint)
        if name == "language":
            return [self.language_picker()]
        if name == "topics":
            return [self.topic_menu(lang)]
        if name == "help":
            return [Message(self.help_text(lang), buttons=self._topics_row(lang, keep=True))]
        if name == "contact":
            entry = self.knowledge.kb.entry("help-nowcommunities")
            return [self.answer_message(entry, lang)] if entry else [Message(self._contact_line(lang))]
        if name == "privacy":
            text = _(PRIVACY).format(days=self.retention_days) + "\n" + _(PRIVACY_DANGER)
            if self.referral and self.referral.enabled:
                text += "\n" + _(PRIVACY_CASES).format(days=self.case_retention_days)
            if self.alerts and self.sends_alerts:
                text += "\n" + _(PRIVACY_ALERTS)
            return [Message(text, title=_("Privacy"))]
        if self.referral and name in ("person", "forget"):  # the case's language, not the phone's
            lang = await self.case_language(chat, hint)
            _ = gettext_for(lang)
        if name == "person":
            return self._referred(await self.referral.offer(chat, lang), lang) if self.referral else [Message(self._contact_line(lang))]
        if name == "forget":
            self.switches.forget(chat)
            closed = await self.referral.forget(chat) if self.referral else []
            if self.alerts:
                await self.alerts.forget(self.channel, chat)
            done = [Message(gettext_for(c.lang)("Your case {number} is closed and deleted.").format(number=c.number))
                    for c in closed]
            if await self.prefs.forget(chat):
                return done + [Message(_("Everything stored about this chat has been deleted. Your earlier questions "
                                         "were kept only without any link to you, so there is nothing else to delete."))]
            return done + [Message(_("Sorry, the bot's storage is not working just now, so your language choice could "
                                     "not be deleted yet. The bot will not use it, and will delete it as soon as the "
                                     "storage works again. To be sure, send /forget again later."))]
        if name == "alerts":
            return [await self.alerts_list(chat, lang)]
        return [Message(_("I do not know that command. Type /help to see what I can do."))]

    async def text(self, chat: int | str, user: int | str, text: str, hint: str | None = None,
                   record: bool = True, names: tuple[str, ...] = (), group: bool = False) -> list[Message]:
        """A typed question; ``record=False`` answers without logging it (an edit of a question already logged).

        ``names``: the sender's own (Telegram profile), kept out of the log wherever they appear in the text.
        ``group``: asked in a group, where one member's writing never changes everyone's language.
        """
        return (await self.question(chat, user, text, hint, record, names, group)).messages

    async def question(self, chat: int | str, user: int | str, text: str, hint: str | None = None,
                       record: bool = True, names: tuple[str, ...] = (), group: bool = False) -> Turn:
        """Like :meth:`text`, with what the bot made of the question (``main.py ask --json`` shows both)."""
        chosen = await self.prefs.language(chat)
        text = text.strip()
        default = hint if hint in LANGUAGES else self.default_lang
        if not text:
            lang = chosen or default
            _ = gettext_for(lang)
            return Turn(None, [Message(_("Please type your question, or choose a topic."), buttons=self._topics_row(lang))])
        # Danger first, before anything else: a worker in danger gets the emergency message as the first reply,
        # whether the message is a question, a case's message or typed while a case is open.
        alarm = self.knowledge.danger.check(text)
        if alarm and self.referral:
            self.referral.alarm(chat, alarm.kind)
        if self.referral and (taken := await self.referral.take(chat, text, chosen=chosen)) is not None:
            first: list[Message] = []
            if alarm:
                detected = detect(text[:MAX_QUERY_CHARS])
                lang = chosen or reply_language(detected, default)
                first = [self.emergency_message(alarm, lang)]
                if record:
                    self._record_danger(user, alarm, detected, lang)
            return Turn(None, first + self._referred(taken, chosen or default))  # a message for staff: not a question
        reply = respond(self.knowledge, text, chosen, default)  # the language is detected here, once
        match, lang = reply.match, reply.reply_lang
        _ = gettext_for(lang)
        if self.referral:
            self.referral.remember(chat, text, reply.entry_id, lang)
        if alarm:
            token = self._record_danger(user, alarm, reply.detected_lang, lang) if record else ""
            messages = [self.emergency_message(alarm, lang)]
            entry = self._after_emergency(alarm, match, text)
            if entry:
                messages.append(self.answer_message(entry, lang, token))
            if self.referral:  # with a case open, she may send it to staff as urgent
                messages += self._referred(await self.referral.danger_offer(chat, text), lang)
            return Turn(reply, messages)
        token = self._record(user, "text", reply.detected_lang, lang, reply.entry_id,
                             match.best.confidence if match.best else 0.0, match.outcome, text,
                             match.group if match.outcome == "redirected" else None, names) if record else ""
        note = [Message(_("Your message was long, so I read only its beginning."))] if len(text) > MAX_QUERY_CHARS else []
        turn = self._reply_to(reply, lang, token, note)
        offer = self.switches.note(chat, chosen, reply.detected_lang) if chosen and record and not group else None
        if offer in LANGUAGES:
            turn.messages.append(self.switch_offer(offer))
        return turn

    def _reply_to(self, reply: Reply, lang: str, token: str, note: list[Message]) -> Turn:
        match = reply.match
        _ = gettext_for(lang)
        kb = self.knowledge.kb
        if match.outcome == "answered" and match.best:
            entry = kb.entry(match.best.entry_id)
            if entry:
                return Turn(reply, note + [self.answer_message(entry, lang, token, also=self._second_problem(reply))])
        if match.outcome == "suggested":
            rows = [(self._button(self._title(c.entry_id, lang), f"entry:{c.entry_id}", lang),) for c in match.candidates]
            return Turn(reply, note + [Message(_("Did you mean:"), buttons=tuple(rows) + self._topics_row(lang)
                                               + self._person_row(lang))])
        if match.outcome == "smalltalk" and match.group:
            return Turn(reply, [Message(smalltalk_text(kb, match.group, lang), buttons=self._topic_rows(lang, keep=True))])
        redirect = redirect_text(kb, match.group, lang) if match.outcome == "redirected" and match.group else None
        return Turn(reply, note + [Message(redirect or self._decline_text(lang),
                                           buttons=self._topic_rows(lang, keep=True) + self._person_row(lang))])

    async def action(self, chat: int | str, user: int | str, data: str, hint: str | None = None) -> list[Message]:
        """A pressed button: answered in the chat's chosen language, else in the language of the button's message."""
        pressed = Pressed.parse(data)
        kind, arg = pressed.kind, pressed.arg
        if kind == "lang" and arg in LANGUAGES:
            await self.prefs.set_language(chat, arg)
            _ = gettext_for(arg)
            return [Message(_(WELCOME) + "\n\n" + _(DISCLAIMER), buttons=self._topic_rows(arg), edit=True)]
        lang = await self.lang(chat, pressed.lang or hint)
        _ = gettext_for(lang)
        kb = self.knowledge.kb
        edit = not pressed.keep  # a menu is replaced by the next menu; an answer stays
        if kind == "topics":
            return [self.topic_menu(lang, edit=edit)]
        if kind == "topic" and kb.topic(arg):
            topic = kb.topic(arg)
            rows = [(self._button(e.title[lang], f"entry:{e.id}", lang),) for e in kb.entries_in(arg)]
            rows.append((self._button(_("« Back"), "topics", lang),))
            return [Message(_("Questions about {topic}:").format(topic=topic.title[lang]), buttons=tuple(rows), edit=edit)]
        if kind == "entry" and kb.entry(arg):
            entry = kb.entry(arg)
            token = self._record(user, "menu", None, lang, entry.id, 1.0, "answered", None)
            return [self.answer_message(entry, lang, token)]
        if kind == "related" and kb.entry(arg):
            entry = kb.entry(arg)
            rows = [(self._button(self._title(r, lang), f"entry:{r}", lang),) for r in entry.related if kb.entry(r)]
            rows.append((self._button(_("« Back"), f"topic:{entry.topic}", lang),))
            return [Message(_("Related to “{title}”:").format(title=entry.title[lang]), buttons=tuple(rows))]
        if kind == "law" and kb.entry(arg):
            return [self.law_message(kb.entry(arg), lang)]
        if kind == "listen" and kb.entry(arg):
            return [self.recording(kb.entry(arg), lang)]
        if kind in REFERRAL_ACTIONS:
            if self.referral is None:
                return [Message(self._contact_line(lang))]
            return self._referred(await self.referral.action(chat, kind, lang, arg if kb.entry(arg) else ""), lang)
        if self.referral:
            self.referral.stop_waiting(chat)
        if kind == "alert" and kb.entry(arg):
            return [await self.follow(chat, kb.entry(arg), lang)]
        if kind == "unalert":
            if self.alerts:
                await self.alerts.unsubscribe(self.channel, chat, None if arg == "*" else arg)
            return [await self.alerts_list(chat, lang, edit=True)]
        if kind in ("yes", "no"):
            if self.log and arg:
                self.log.feedback(arg, kind == "yes")
            if kind == "yes":
                return [Message(_("Thank you for telling us."))]
            return [Message(_("Sorry it did not help. NOWCommunities can help with your case: call {phone}.")
                            .format(phone=nowcommunities_phone(self.knowledge, lang)), buttons=self._topics_row(lang, keep=True))]
        # A button from an old menu whose entry or topic no longer exists.
        return [self.topic_menu(lang)]

    async def case_language(self, chat: int | str, hint: str | None = None) -> str:
        """The language of the chat's case messages (bot/conversation/referral.py's rule), the phone's last."""
        lang = await self.lang(chat, hint)
        if self.referral is None:
            return lang
        return await self.referral.language(chat, await self.prefs.language(chat), lang)

    async def person_in_group(self, chat: int | str, hint: str | None = None) -> list[Message]:
        """/person or an "Ask a person" button in a group chat: cases are for private chats only."""
        lang = await self.lang(chat, hint)
        return self._referred(self.referral.private_only(lang), lang) if self.referral else [Message(self._contact_line(lang))]

    async def unsupported(self, chat: int | str, kind: str, hint: str | None = None) -> list[Message]:
        """A sticker, photo, voice note, document or anything else that is not text."""
        lang = await self.lang(chat, hint)
        _ = gettext_for(lang)
        text = _("I can only read text. Please type your question, or choose a topic with /topics.")
        if kind == "voice":  # a worker who cannot type may be in danger: what to do now, though the note is unheard
            text += "\n" + danger_now(self.knowledge, lang)
        return [Message(text)]

    async def attachment(self, chat: int | str, kind: str, file_id: str, caption: str | None) -> list[Message] | None:
        """A photo or document (``kind``): added to the worker's open case; None when she has none."""
        if self.referral is None or not self.referral.enabled:
            return None
        taken = await self.referral.attach(chat, kind, file_id, caption)
        return self._referred(taken, "en") if taken is not None else None

    async def voice(self, chat: int | str, file_id: str, hint: str | None = None) -> list[Message]:
        """A voice note or audio (``file_id``: the channel's handle on it): for a case, or the bot cannot listen."""
        if self.referral is None:
            return await self.unsupported(chat, "voice", hint)
        lang = await self.case_language(chat, hint)
        replies = await self.referral.voice(chat, lang, file_id)
        offered = any(action == "pvoice" for r in replies for row in r.buttons for _label, action in row)
        to_case = self.referral.enabled and not offered
        # No topic menu after a voice note added to a case: it would invite a question that goes to staff.
        return self._referred(replies, lang) + ([] if to_case else [self.topic_menu(lang)])

    # -- building blocks ----------------------------------------------------------------

    def topic_menu(self, lang: str, edit: bool = False) -> Message:
        _ = gettext_for(lang)
        return Message(_("Choose a topic, or type your question:"), buttons=self._topic_rows(lang), edit=edit)

    def answer_message(self, entry: Entry, lang: str, token: str = "", also: str = "") -> Message:
        """An answer with its buttons; ``also``: another entry the question touches, offered as a button of its own."""
        _ = gettext_for(lang)
        kb = self.knowledge.kb
        body = answer_text(kb, entry, lang)
        rows: list[tuple[Button, ...]] = [(self._button(_("Yes"), f"yes:{token}", lang), self._button(_("No"), f"no:{token}", lang))]
        if also and also != entry.id and kb.entry(also):
            rows.append((self._button(self._title(also, lang), f"entry:{also}", lang, keep=True),))
        nav: list[Button] = []
        if lang in entry.audio:
            nav.append(self._button(_("Listen"), f"listen:{entry.id}", lang, keep=True))
        nav.append(self._button(_("Law"), f"law:{entry.id}", lang, keep=True))
        if any(kb.entry(r) for r in entry.related):
            nav.append(self._button(_("Related"), f"related:{entry.id}", lang))
        nav.append(self._button(_("« Back"), f"topic:{entry.topic}", lang, keep=True))
        rows.append(tuple(nav))
        rows += self._person_row(lang, entry.id)
        if self.alerts and self.sends_alerts and alert_facts(entry, kb):
            rows.append((self._button(_("🔔 Tell me when this changes"), f"alert:{entry.id}", lang, keep=True),))
        return Message(body, title=entry.title[lang], buttons=tuple(rows))

    def emergency_message(self, alarm: Alarm, lang: str) -> Message:
        """What to do now and whom to call for this kind of danger (danger.yaml), with "Ask a person" when cases are on.

        An unconfirmed number comes with its caveat; the loader makes sure it is never the only number.
        """
        danger = self.knowledge.kb.danger
        kind = danger.kind(alarm.kind) or danger.kinds[0]
        text = render_help(kind.help[lang], self.knowledge.kb.facts, lang, danger.caveat.get(lang, ""))
        return Message(text, title=danger.title.get(lang), buttons=self._person_row(lang), danger=kind.id)

    def _after_emergency(self, alarm: Alarm, match: Match, text: str) -> Entry | None:
        """The answer sent after the emergency message: the labour question the message asks, if any; otherwise the
        kind's own answer (danger.yaml ``entry:``; domestic violence: the domestic-violence answer).

        The question is looked for in the whole message, then, when that finds no clear answer, in what is left of it
        without its alarming clauses ("salary 3 months late, and the supervisor slapped me": the wages answer).
        For a kind with its own answer, only a clear match counts as a labour question: "my husband beats me and
        threw me out of the house" matches dismissal notice weakly, and must get the domestic-violence answer."""
        kb = self.knowledge.kb
        kind = kb.danger.kind(alarm.kind)
        own = kb.entry(kind.entry) if kind and kind.entry else None
        if match.outcome != "answered" and match.best:
            match = self._calm_match(text, match.best.entry_id) or match
        best = match.best
        asked = kb.entry(best.entry_id) if match.outcome == "answered" and best else None
        if asked and best and asked.id != "help-emergency" and (own is None or best.confidence >= _CLEAR_QUESTION):
            return asked
        return own

    def _calm_match(self, text: str, whole_best: str) -> Match | None:
        """The match of what is left of a message without its alarming clauses, when it is a labour question that
        the whole message already pointed to: the same best entry, and a word of work in what is left. A story's
        last words ("..., what do we do") are not a question of their own."""
        rest = self.knowledge.danger.rest(text)[:MAX_QUERY_CHARS]
        matcher = self.knowledge.matcher
        match = matcher.match(rest) if rest and matcher.speaks_of_work(rest) else None
        return match if match and match.best and match.best.entry_id == whole_best else None

    def law_message(self, entry: Entry, lang: str) -> Message:
        """Every source of an answer, for the worker who wants to read the law itself (the Law button)."""
        _ = gettext_for(lang)
        return Message(sources_text(self.knowledge.kb, entry, lang),
                       title=_("The law behind “{title}”").format(title=entry.title[lang]),
                       buttons=((self._button(_("« Back"), f"entry:{entry.id}", lang),),))

    async def follow(self, chat: int | str, entry: Entry, lang: str) -> Message:
        """The worker pressed "Tell me when this changes" under an answer: follow its alert facts."""
        _ = gettext_for(lang)
        facts = alert_facts(entry, self.knowledge.kb)
        if not (self.alerts and self.sends_alerts and facts):
            return Message(_("Sorry, alerts are not available here."))
        await self.alerts.subscribe(self.channel, chat, facts, lang)
        names = "\n".join(f"• {fact_name(self.knowledge.kb, f, lang)}" for f in facts)
        return Message(_("I will send you a message when one of these changes:\n{names}\n\nNothing else about you is "
                         "kept for this. /alerts shows and stops your alerts.").format(names=names))

    async def alerts_list(self, chat: int | str, lang: str, edit: bool = False) -> Message:
        """/alerts: what the chat follows, each with a button to stop it."""
        _ = gettext_for(lang)
        following = await self.alerts.following(self.channel, chat) if self.alerts else []
        if not following:
            return Message(_("You have no alerts. Under an answer about the minimum wage or a pension, press "
                             "“Tell me when this changes” to get a message when the figure changes."), edit=edit)
        kb = self.knowledge.kb
        rows = [(self._button(_("Stop: {name}").format(name=fact_name(kb, f, lang)), f"unalert:{f}", lang),)
                for f in following]
        if len(following) > 1:
            rows.append((self._button(_("Stop all alerts"), "unalert:*", lang),))
        names = "\n".join(f"• {fact_name(kb, f, lang)}" for f in following)
        return Message(_("You get a message when one of these changes:\n{names}").format(names=names),
                       buttons=tuple(rows), edit=edit)

    def recording(self, entry: Entry, lang: str) -> Message:
        """The entry's recorded answer in ``lang`` as a voice note (front ends send the file)."""
        _ = gettext_for(lang)
        recording = entry.audio.get(lang)
        path = self.knowledge.root / recording.path if recording else None
        if path is None or not path.is_file():  # removed since the knowledge base was loaded
            return Message(_("Sorry, this recording cannot be played just now. Please read the answer above."))
        return Message(entry.title[lang], voice=path)

    def switch_offer(self, form: str) -> Message:
        """Offered, in the form the worker now writes, after several messages in it: one tap changes the language."""
        _ = gettext_for(form)
        return Message(_("You are writing in {language}. Shall I answer in {language} from now on?")
                       .format(language=LANGUAGE_NAMES[form]),
                       buttons=((Button(_("Yes, answer in {language}").format(language=LANGUAGE_NAMES[form]),
                                        f"lang:{form}"),),))

    def help_text(self, lang: str) -> str:
        _ = gettext_for(lang)
        lines = [_(WELCOME), ""]
        lines += [f"/{name} – {_(desc)}" for name, desc in COMMANDS.items()]
        lines += ["", _(DISCLAIMER)]
        return "\n".join(lines)

    @staticmethod
    def _button(label: str, action: str, lang: str, keep: bool = False) -> Button:
        return Button(label, action_data(action, lang, keep))

    def _topic_rows(self, lang: str, keep: bool = False) -> tuple[tuple[Button, ...], ...]:
        return tuple((self._button(t.title[lang], f"topic:{t.id}", lang, keep),) for t in self.knowledge.kb.topics)

    def _topics_row(self, lang: str, keep: bool = False) -> tuple[tuple[Button, ...], ...]:
        _ = gettext_for(lang)
        return ((self._button(_("Topics"), "topics", lang, keep),),)

    def _person_row(self, lang: str, entry_id: str = "") -> tuple[tuple[Button, ...], ...]:
        """The "Ask a person" button, when cases are on."""
        if not (self.referral and self.referral.enabled):
            return ()
        _ = gettext_for(lang)
        return ((self._button(_(ASK_A_PERSON), f"person:{entry_id}", lang, keep=True),),)

    def _referred(self, replies: list[ReferralReply], lang: str) -> list[Message]:
        """The referral's replies as messages, its buttons in this module's data scheme."""
        return [Message(r.text, title=r.title, contact=r.contact,
                        buttons=tuple(tuple(self._button(label, action, r.lang or lang, keep=True) for label, action in row)
                                      for row in r.buttons)) for r in replies]

    def _second_problem(self, reply: Reply) -> str:
        """The runner-up entry of a story answered outright: a worker's story often tells of two problems (wages
        unpaid and harassment), and the second is one tap away instead of lost. Only one likely enough to have
        been suggested on its own: a story's weak runner-up (annual leave under unpaid wages) would be noise."""
        second = reply.match.alternatives[0] if reply.match.alternatives else None
        thresholds = self.knowledge.matcher.thresholds
        story = len(reply.question.split()) > thresholds.story_words
        return second.entry_id if story and second and second.confidence >= thresholds.suggest else ""

    def _title(self, entry_id: str, lang: str) -> str:
        entry = self.knowledge.kb.entry(entry_id)
        return entry.title[lang] if entry else entry_id

    def _decline_text(self, lang: str) -> str:
        _ = gettext_for(lang)
        return _(
            "Sorry, I do not have an answer to that question. Choose a topic from the menu, "
            "or call NOWCommunities on {phone} for help with your case."
        ).format(phone=nowcommunities_phone(self.knowledge, lang))

    def _contact_line(self, lang: str) -> str:
        return call_nowcommunities(self.knowledge, lang)

    def _record_danger(self, user: int | str, alarm: Alarm, detected: str | None, lang: str) -> str:
        """A danger message is counted (outcome ``danger``, its kind, hour and language), its text never kept."""
        return self._record(user, "text", detected, lang, None, alarm.score, "danger", None, danger=alarm.kind)

    def _record(self, user: int | str, kind: str, detected: str | None, lang: str, entry_id: str | None,
                confidence: float, outcome: str, text: str | None, out_of_scope: str | None = None,
                names: tuple[str, ...] = (), danger: str | None = None) -> str:
        if self.log is None:
            return ""
        return self.log.record(user=user, channel=self.channel, kind=kind, detected_lang=detected, reply_lang=lang,
                               entry_id=entry_id, confidence=confidence, outcome=outcome, text=text,
                               out_of_scope=out_of_scope, names=names, danger=danger)


WELCOME = N_(
    "Assalam-o-Alaikum! I answer questions about workers' rights in Sindh: wages, leave, maternity, "
    "harassment, unions and more. Choose a topic, or type your question in Urdu, Sindhi, English or Roman Urdu."
)
DISCLAIMER = N_(
    "This is information about the law, not legal advice. For help with your own case, contact NOWCommunities (/contact)."
)
PRIVACY = N_(
    "What we keep, and why:\n"
    "• Your chosen language, so the bot remembers it, and the day you chose it. It is filed under a code made "
    "from your chat with a secret key kept apart from these records. /forget deletes it.\n"
    "• Each question, without your name, number, username or account id, so NOWCommunities can see what "
    "workers ask and what the bot cannot answer yet, as evidence to improve workers' rights. Phone numbers, "
    "ID card numbers, emails and links in a question are removed before it is kept, and the text itself is "
    "deleted after {days} days; only the counts stay.\n"
    "• A daily code, different every day, so we can count how many people asked each day. It cannot be "
    "traced back to you, and your questions on different days cannot be linked.\n"
    "No one can find out from these records who you are."
)
PRIVACY_DANGER = N_(
    "• If you write that you are in danger, the bot first shows the emergency numbers. For that message it keeps only "
    "that it happened, with the hour, the language and the kind of danger (such as violence or fire), never what you "
    "wrote, so NOWCommunities can count how often workers face danger."
)
PRIVACY_ALERTS = N_(
    "• If you press “Tell me when this changes”: your chat id, which figures you follow and your language, in a "
    "separate store, only so the bot can send you the message. /alerts stops them; /forget deletes them all."
)
