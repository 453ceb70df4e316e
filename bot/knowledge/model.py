"""Immutable objects of a loaded knowledge base."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Mapping

ANSWER_LANGUAGES = ("en", "ur", "sd", "ur-Latn")
# Written right to left (Arabic script); English and Roman Urdu are Latin.
RTL_LANGUAGES = ("ur", "sd")
# Ids of entries, topics, out-of-scope groups and glossary terms: lower-case words joined by hyphens.
ENTRY_ID = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
# Entry and topic ids travel in Telegram button data (at most 64 bytes) with the action and language around them:
# ``related:<id>~ur-Latn+`` is 17 bytes more than the id (see bot.conversation.dialogue).
MAX_ID_LENGTH = 47
EXAMPLE_FORMS = ("en", "ur", "sd", "ur-Latn")
FACT_KINDS = ("money", "number", "date", "text")


@dataclass(frozen=True)
class Source:
    """What an answer rests on: a statute or notification (``act``: its id in statutes.yaml, so it is named in the
    worker's language) and its sections, or a page or report. ``note`` is what a reviewer noted about it, for staff
    only: no worker ever sees it."""

    statute: str
    section: str = ""
    link: str | None = None
    act: str | None = None
    note: str = ""

    def cite(self) -> str:
        return f"{self.statute}, {self.section}" if self.section else self.statute


@dataclass(frozen=True)
class Statute:
    """A law or notification named once in every form (knowledge/statutes.yaml).

    ``unit`` is what its numbered parts are called when they are not sections (a Standing Order, an item)."""

    id: str
    name: Mapping[str, str]
    unit: Mapping[str, str] | None = None


@dataclass(frozen=True)
class Topic:
    """A topic of the menu (topics.yaml): its id and its title in every form."""

    id: str
    title: Mapping[str, str]


@dataclass(frozen=True)
class Fact:
    """A figure that changes (a wage, a phone number), kept once and referenced by placeholder.

    ``value`` is a number for money/number, a date for date, and for text either a
    string or a per-language mapping. ``checked`` is the day someone last confirmed
    the value against its source and ``checked_by`` their role (never a name).
    ``alert``: workers may ask to be told when it changes (``alert: true`` in facts.yaml).
    """

    id: str
    kind: str
    value: object
    source: str
    verified: bool
    effective: dt.date | None = None
    note: str = ""
    checked: dt.date | None = None
    checked_by: str = ""
    file: str = ""
    line: int = 0
    # What a worker is told while the fact is unconfirmed, per form ("The 2026-27 wage is not confirmed yet: ...");
    # shown under every answer that uses the fact, and gone from all of them once ``verified: true``.
    caveat: Mapping[str, str] | None = None
    # For the verification pack: what exactly must be confirmed, and where staff can confirm it.
    confirm: str = ""
    confirm_with: str = ""
    alert: bool = False


@dataclass(frozen=True)
class Recording:
    """A staff recording of an answer: ``path`` under the knowledge folder, and the day it was recorded."""

    path: str
    recorded: dt.date | None = None


@dataclass(frozen=True)
class Entry:
    """One question workers ask (entries/*.yaml): its answer in every form, the examples that teach the matcher,
    its sources, review dates and recordings."""

    id: str
    topic: str
    title: Mapping[str, str]
    answer: Mapping[str, str]
    examples: Mapping[str, tuple[str, ...]]
    sources: tuple[Source, ...]
    verified: bool
    keywords: tuple[str, ...] = ()
    related: tuple[str, ...] = ()
    reviewed: dt.date | None = None
    review_by: dt.date | None = None
    file: str = ""
    line: int = 0
    # The line where each language's answer text starts, so checks can point at the line they mean.
    answer_lines: Mapping[str, int] = field(default_factory=lambda: MappingProxyType({}))
    # Recorded answers (voice notes), by language; optional.
    audio: Mapping[str, Recording] = field(default_factory=lambda: MappingProxyType({}))
    # For staff (``kb verify``): which office, gazette or helpline can confirm what the answer leaves unconfirmed.
    confirm_with: str = ""

    def answer_line(self, lang: str, offset: int = 0) -> int:
        """The file line of character ``offset`` of the ``lang`` answer (exact for ``|`` blocks)."""
        start = self.answer_lines.get(lang)
        if start is None:
            return self.line
        return start + self.answer[lang][:offset].count("\n")


@dataclass(frozen=True)
class OutOfScope:
    """Something workers ask that the bot does not cover, matched like an entry.

    ``redirect`` (en/ur/sd, optional) tells the worker where to go instead; ``verified`` is false while something it
    says is not confirmed (``kb check`` and ``kb verify`` list it for staff).
    """

    id: str
    about: str
    examples: Mapping[str, tuple[str, ...]]
    redirect: Mapping[str, str] | None = None
    verified: bool = True
    file: str = ""
    line: int = 0


@dataclass(frozen=True)
class SmallTalk:
    """Greetings, thanks and the like: a message made only of ``phrases`` gets ``reply``."""

    id: str
    phrases: tuple[str, ...]
    reply: Mapping[str, str]


@dataclass(frozen=True)
class Vocabulary:
    """Words that mean the same (``groups``: id -> words) and words that only tell the story."""

    groups: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    story: tuple[str, ...] = ()


@dataclass(frozen=True)
class DangerKind:
    """One kind of immediate danger (danger.yaml): what to do now and whom to call, and how workers say it.

    ``help`` (en/ur/sd/ur-Latn) is the emergency message, first line first; its numbers are fact placeholders.
    ``examples`` teach the detector; ``cues`` are phrases that mean this danger on their own. A kind that
    ``refines`` others (domestic violence refines violence) is chosen instead of them when one of its
    ``context`` words (husband, shohar) is in the message.
    """

    id: str
    help: Mapping[str, str]
    examples: Mapping[str, tuple[str, ...]]
    cues: tuple[str, ...] = ()
    refines: tuple[str, ...] = ()
    context: tuple[str, ...] = ()
    # Phrases that, anywhere in the message, mean it is not this danger now ("last year" for an injury).
    unless: tuple[str, ...] = ()
    # Phrases that mean this danger only as the whole message, filler words aside ("help", "bachao", "مدد کریں"):
    # "help" alone is a cry, "I need help with my salary" a question.
    whole: tuple[str, ...] = ()
    # The answer entry sent after the emergency message when the message asks no labour question
    # (domestic violence: the domestic-violence answer, not the family-court redirect).
    entry: str | None = None
    line: int = 0


@dataclass(frozen=True)
class DangerMessage:
    """A whole message as someone wrote it (danger-messages.yaml), labelled with its kinds of danger, main kind
    first, or none when it only looks alarming. The detector learns from these beside each kind's examples."""

    text: str
    lang: str
    kinds: tuple[str, ...] = ()
    line: int = 0

    @property
    def in_danger(self) -> bool:
        return bool(self.kinds)


@dataclass(frozen=True)
class Danger:
    """Everything danger.yaml says: the emergency message's title, the kinds, and guards.

    ``guards`` are phrases that only look alarming ("I was fired", "mara malik" for "mera malik",
    "mehngai ne maar dala"): they never count as danger, and the detector learns them as such.
    """

    title: Mapping[str, str] = field(default_factory=dict)
    kinds: tuple[DangerKind, ...] = ()
    guards: tuple[str, ...] = ()
    # Words that make the clause they are in figurative or not about now ("mehngai", "haha", "lockout").
    veto: tuple[str, ...] = ()
    # Words that may stand beside a kind's ``whole`` phrase without making it a question ("please help", "koi bachao").
    filler: tuple[str, ...] = ()
    # Whole messages that only look alarming, in the four forms: the detector learns them as ordinary.
    near_misses: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    # Labelled messages from danger-messages.yaml (optional): learnt as their main kind, or as ordinary.
    messages: tuple[DangerMessage, ...] = ()
    file: str = ""
    # Said after an unconfirmed number (verified: false), in each form.
    caveat: Mapping[str, str] = field(default_factory=dict)

    def kind(self, kind_id: str) -> DangerKind | None:
        return next((k for k in self.kinds if k.id == kind_id), None)


@dataclass(frozen=True)
class KnowledgeBase:
    """Everything the knowledge folder holds, loaded and checked."""

    topics: tuple[Topic, ...]
    entries: tuple[Entry, ...]
    facts: Mapping[str, Fact]
    out_of_scope: tuple[OutOfScope, ...] = ()
    smalltalk: tuple[SmallTalk, ...] = ()
    # Words that may stand beside a small-talk phrase ("ji", "sir") without making it a question.
    smalltalk_filler: tuple[str, ...] = ()
    vocabulary: Vocabulary = field(default_factory=Vocabulary)
    # Kinds of immediate danger (danger.yaml): their emergency message comes before anything else.
    danger: Danger = field(default_factory=Danger)
    # Laws and notifications by id, and the word for "section" in each form (knowledge/statutes.yaml).
    statutes: Mapping[str, Statute] = field(default_factory=dict)
    section_word: Mapping[str, str] = field(default_factory=dict)
    _by_id: Mapping[str, Entry] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "facts", MappingProxyType(dict(self.facts)))
        object.__setattr__(self, "_by_id", MappingProxyType({e.id: e for e in self.entries}))

    def entry(self, entry_id: str) -> Entry | None:
        return self._by_id.get(entry_id)

    def out_of_scope_group(self, group_id: str) -> OutOfScope | None:
        return next((g for g in self.out_of_scope if g.id == group_id), None)

    def smalltalk_kind(self, kind_id: str) -> SmallTalk | None:
        return next((s for s in self.smalltalk if s.id == kind_id), None)

    def topic(self, topic_id: str) -> Topic | None:
        return next((t for t in self.topics if t.id == topic_id), None)

    def entries_in(self, topic_id: str) -> tuple[Entry, ...]:
        return tuple(e for e in self.entries if e.topic == topic_id)


def frozen_map(d: Mapping) -> Mapping:
    return MappingProxyType(dict(d))
