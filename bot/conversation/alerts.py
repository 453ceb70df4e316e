"""What a worker can be told when a fact changes: which facts an answer uses, their names, and the alert's words.

A fact is an alert fact when ``facts.yaml`` marks it ``alert: true`` (the minimum wages, the EOBI pension). An
answer that shows one offers "Tell me when this changes"; the alert itself says the new figure with the same
rendering as answers (:func:`bot.knowledge.facts.format_fact`), so a worker reads "Rs 42,000" in an alert exactly
as in an answer.
"""

from __future__ import annotations

from bot.conversation.i18n import N_, gettext_for
from bot.knowledge.facts import format_fact, placeholders
from bot.knowledge.model import Entry, KnowledgeBase

# How a worker would name the facts marked for alerts; a fact staff mark later is named by the answer using it.
FACT_NAMES = {
    "minimum_wage_unskilled": N_("The Sindh minimum wage for unskilled workers"),
    "minimum_wage_hourly": N_("The Sindh minimum wage for an hour of work"),
    "minimum_wage_daily": N_("The Sindh minimum wage for a day of work"),
    "minimum_wage_semi_skilled": N_("The Sindh minimum wage for semi-skilled workers"),
    "minimum_wage_skilled": N_("The Sindh minimum wage for skilled workers"),
    "minimum_wage_highly_skilled": N_("The Sindh minimum wage for highly skilled workers"),
    "eobi_minimum_pension": N_("The EOBI minimum pension"),
}
CLOSING = N_("Ask me about your rights.")  # the alert's last line (a WhatsApp template has its own)


def alert_facts(entry: Entry, kb: KnowledgeBase) -> tuple[str, ...]:
    """The alert facts the entry's answers show, in the order they first appear (the same in every form)."""
    seen: dict[str, None] = {}
    for text in entry.answer.values():
        for fact_id, _attr in placeholders(text):
            fact = kb.facts.get(fact_id)
            if fact is not None and fact.alert:
                seen.setdefault(fact_id, None)
    return tuple(seen)


def fact_name(kb: KnowledgeBase, fact_id: str, lang: str) -> str:
    """The fact as a worker would name it: its own name, else the title of the first answer that shows it."""
    _ = gettext_for(lang)
    if fact_id in FACT_NAMES:
        return _(FACT_NAMES[fact_id])
    for entry in kb.entries:
        if any(f == fact_id for text in entry.answer.values() for f, _a in placeholders(text)):
            return entry.title[lang]
    return fact_id


def alert_text(kb: KnowledgeBase, facts: tuple[str, ...], lang: str) -> str:
    """The message sent when ``facts`` changed: each new figure, and from when."""
    _ = gettext_for(lang)
    lines = []
    for fact_id in facts:
        fact = kb.facts.get(fact_id)
        if fact is None:
            continue
        name, value = fact_name(kb, fact_id, lang), format_fact(fact, lang)
        if fact.effective:
            lines.append(_("{name} is now {value} from {date}.").format(name=name, value=value,
                                                                        date=format_fact(fact, lang, "effective")))
        else:
            lines.append(_("{name} is now {value}.").format(name=name, value=value))
        if not fact.verified:
            lines.append(_("NOWCommunities staff are still checking this figure."))
    lines.append(_(CLOSING))
    return "\n".join(lines)
