"""An entry's answer as a worker receives it: the answer, what is not confirmed yet, the law, the feedback question.

The whole reply, title included, fits one phone screen (:data:`MAX_REPLY_CHARS`); ``kb check`` measures it with
:func:`sent_length`, the same text the conversation sends. Staff notes (a source's ``note:``) never reach it.
"""

from __future__ import annotations

import re

from bot.conversation.i18n import gettext_for
from bot.knowledge.facts import placeholders, render
from bot.knowledge.model import Entry, KnowledgeBase, Source

# One phone screen: the title, the answer, its caveats, the law line and "Was this helpful?", as sent.
MAX_REPLY_CHARS = 900
# A clause after a section number, left out of the short law line: 16(1)-(3) -> 16.
_CLAUSE = re.compile(r"\(.*$")


def caveats(kb: KnowledgeBase, entry: Entry, lang: str) -> list[str]:
    """What the answer says that is not confirmed yet: the caveat of each unconfirmed fact it uses, once each."""
    out: list[str] = []
    for fact_id, _attr in placeholders(entry.answer[lang]):
        fact = kb.facts.get(fact_id)
        if fact and not fact.verified and fact.caveat:
            text = render(fact.caveat[lang], kb.facts, lang)
            if text not in out:
                out.append(text)
    return out


def cite(kb: KnowledgeBase, source: Source, lang: str, short: bool = False) -> str:
    """A source as the worker's form names it: "Sindh Shops ... Act 2015, s.9"; ``short``: section numbers only."""
    statute = kb.statutes.get(source.act) if source.act else None
    if statute is None:
        return source.statute
    name = statute.name[lang]
    if not source.section:
        return name
    parts = source.section.split(", ")
    if short:
        parts = list(dict.fromkeys(_CLAUSE.sub("", p) for p in parts))
    unit = statute.unit[lang] if statute.unit else kb.section_word.get(lang, "s.")
    separator = "" if unit.endswith(".") else " "
    comma = "، " if lang in ("ur", "sd") else ", "
    return f"{name}{comma}{unit}{separator}{comma.join(parts)}"


def law_line(kb: KnowledgeBase, entry: Entry, lang: str) -> str:
    """The Act and section the answer rests on, in the worker's form, and that this is not legal advice."""
    _ = gettext_for(lang)
    first = next((s for s in entry.sources if s.act in kb.statutes), None)
    if first is None:
        return _("This is information, not legal advice.")
    return _("Law: {law}. Information, not legal advice.").format(law=cite(kb, first, lang, short=True))


def answer_text(kb: KnowledgeBase, entry: Entry, lang: str) -> str:
    """The message under the title: answer, caveats, law line and the feedback question."""
    _ = gettext_for(lang)
    parts = [render(entry.answer[lang], kb.facts, lang)]
    found = caveats(kb, entry, lang)
    if found:
        parts.append("\n".join(found))
    parts += [law_line(kb, entry, lang), _("Was this helpful?")]
    return "\n\n".join(parts)


def as_sent(title: str | None, text: str) -> str:
    """What the worker's phone shows: the title above the text (the Telegram channel sends exactly this)."""
    return f"{title}\n\n{text}" if title else text


def sent_length(kb: KnowledgeBase, entry: Entry, lang: str) -> int:
    return len(as_sent(entry.title[lang], answer_text(kb, entry, lang)))


def sources_text(kb: KnowledgeBase, entry: Entry, lang: str) -> str:
    """Every source of the answer (the Law button): laws named in the worker's form, never a reviewer's note."""
    return "\n".join(f"• {cite(kb, s, lang)}" for s in entry.sources)
