"""The NOWCommunities phone line, as every reply that points a worker to a person writes it.

The number is a fact (``nowcommunities_phone`` in ``knowledge/facts.yaml``), rendered in the reply's language;
the conversation and "Ask a person" both take it from here.
"""

from __future__ import annotations

from bot.conversation.i18n import gettext_for
from bot.knowledge.facts import render
from bot.knowledge.store import KnowledgeStore


def nowcommunities_phone(knowledge: KnowledgeStore, lang: str) -> str:
    return render("{nowcommunities_phone}", knowledge.kb.facts, lang)


def call_nowcommunities(knowledge: KnowledgeStore, lang: str) -> str:
    """"Call NOWCommunities on 021-...", in ``lang``."""
    return gettext_for(lang)("Call NOWCommunities on {phone}.").format(phone=nowcommunities_phone(knowledge, lang))


def danger_now(knowledge: KnowledgeStore, lang: str) -> str:
    """"In danger now? Call police 15 or Rescue 1122.", in ``lang``: said wherever the bot cannot read the worker."""
    facts = knowledge.kb.facts
    return gettext_for(lang)("In danger now? Call police {police} or Rescue {rescue}.").format(
        police=render("{police_emergency}", facts, lang), rescue=render("{rescue_emergency}", facts, lang))
