"""From a worker's message to the bot's reply, independent of any chat platform."""

from __future__ import annotations

from dataclasses import dataclass

from bot.i18n import gettext_for
from bot.knowledge.facts import render
from bot.knowledge.model import Entry, KnowledgeBase
from bot.knowledge.store import KnowledgeStore
from bot.language import LanguageForm, detect, reply_language
from bot.matcher import Match

# Matching looks at the start of a message only: a question fits in far less,
# and this bounds the work a pasted wall of text can cause.
MAX_QUERY_CHARS = 1000


@dataclass(frozen=True)
class Reply:
    question: str
    detected_lang: LanguageForm | None
    reply_lang: str
    match: Match

    @property
    def entry_id(self) -> str | None:
        return self.match.entry_id if self.match.outcome != "declined" else None


def respond(store: KnowledgeStore, text: str, lang: str | None = None) -> Reply:
    """Rank the knowledge base for ``text``; ``lang`` forces the reply language."""
    detected = detect(text[:MAX_QUERY_CHARS])
    match = store.matcher.match(text[:MAX_QUERY_CHARS])
    return Reply(text, detected, lang or reply_language(detected), match)


def answer_text(kb: KnowledgeBase, entry: Entry, lang: str) -> str:
    """An entry's answer as a worker reads it: title, answer with figures filled in, sources."""
    _ = gettext_for(lang)
    parts = [entry.title[lang], render(entry.answer[lang], kb.facts, lang)]
    if not entry.verified:
        parts.append(_("Note: part of this information is still being checked by NOWCommunities staff."))
    cites = "; ".join(s.cite() for s in entry.sources)
    parts.append(_("Source: {sources}").format(sources=cites))
    return "\n\n".join(parts)


def suggestion_text(kb: KnowledgeBase, match: Match, lang: str) -> str:
    _ = gettext_for(lang)
    lines = [_("Did you mean:")]
    for i, cand in enumerate(match.candidates, 1):
        entry = kb.entry(cand.entry_id)
        if entry:
            lines.append(f"{i}. {entry.title[lang]}")
    return "\n".join(lines)


def smalltalk_text(kb: KnowledgeBase, kind: str, lang: str) -> str:
    """The short reply to a greeting, thanks or "are you a person?"."""
    talk = kb.smalltalk_kind(kind)
    return render(talk.reply[lang], kb.facts, lang) if talk else ""


def redirect_text(kb: KnowledgeBase, group_id: str, lang: str) -> str:
    """Where to go for something the bot does not cover; the usual decline when the group names no place."""
    group = kb.out_of_scope_group(group_id)
    if group is None or group.redirect is None:
        return decline_text(kb, lang)
    return render(group.redirect[lang], kb.facts, lang)


def decline_text(kb: KnowledgeBase, lang: str) -> str:
    _ = gettext_for(lang)
    contact = render("{nowcommunities_phone}", kb.facts, lang)
    return _(
        "Sorry, I do not have an answer to that question. Choose a topic from the menu, "
        "or call NOWCommunities on {phone} for help with your case."
    ).format(phone=contact)


def reply_text(kb: KnowledgeBase, reply: Reply) -> str:
    """The whole reply as plain text (the terminal shows it as is; Telegram adds markup)."""
    match, lang = reply.match, reply.reply_lang
    if match.outcome == "answered" and match.best:
        entry = kb.entry(match.best.entry_id)
        if entry:
            return answer_text(kb, entry, lang)
    if match.outcome == "suggested":
        return suggestion_text(kb, match, lang)
    if match.outcome == "smalltalk" and match.group:
        return smalltalk_text(kb, match.group, lang)
    if match.outcome == "redirected" and match.group:
        return redirect_text(kb, match.group, lang)
    return decline_text(kb, lang)
