"""From a worker's message to what the bot makes of it (language, match), independent of any chat platform.

The reply itself is built by :mod:`bot.conversation.dialogue` and rendered by each channel; there is no second copy.
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.knowledge.facts import render
from bot.knowledge.model import KnowledgeBase
from bot.knowledge.store import KnowledgeStore
from bot.understanding.language import LanguageForm, detect, reply_language
from bot.understanding.matcher import Match

# Matching looks at the start of a message only: a question fits in far less,
# and this bounds the work a pasted wall of text can cause.
MAX_QUERY_CHARS = 1000


@dataclass(frozen=True)
class Reply:
    """What was understood of one question: the form it was written in, the form to answer in, and its match."""

    question: str
    detected_lang: LanguageForm | None
    reply_lang: str
    match: Match

    @property
    def entry_id(self) -> str | None:
        return self.match.entry_id if self.match.outcome != "declined" else None


def respond(store: KnowledgeStore, text: str, lang: str | None = None, default: str = "ur") -> Reply:
    """Detect the language of ``text`` and rank the knowledge base for it, once each.

    ``lang`` forces the reply language; else the question's, or ``default`` when it has no letters.
    """
    detected = detect(text[:MAX_QUERY_CHARS])
    match = store.matcher.match(text[:MAX_QUERY_CHARS])
    return Reply(text, detected, lang or reply_language(detected, default), match)


def smalltalk_text(kb: KnowledgeBase, kind: str, lang: str) -> str:
    """The short reply to a greeting, thanks or "are you a person?"."""
    talk = kb.smalltalk_kind(kind)
    return render(talk.reply[lang], kb.facts, lang) if talk else ""


def redirect_text(kb: KnowledgeBase, group_id: str, lang: str) -> str | None:
    """Where to go for something the bot does not cover; None when the group names no place."""
    group = kb.out_of_scope_group(group_id)
    if group is None or group.redirect is None:
        return None
    return render(group.redirect[lang], kb.facts, lang)
