"""Load the knowledge base from YAML and validate it into immutable objects.

Layout under the knowledge folder:

- ``topics.yaml``: the topic menu, in order, with titles in en/ur/sd/ur-Latn;
- ``facts.yaml``: figures that change, referenced from answers as ``{fact_id}``;
- ``entries/*.yaml``: one file per topic, ``topic:`` and a list of ``entries:``;
- ``out-of-scope.yaml`` (optional): what the bot does not cover, with examples and redirects;
- ``smalltalk.yaml`` (optional): greetings, thanks and the like, with short replies;
- ``vocabulary.yaml`` (optional): words that mean the same, and words that only tell the story;
- ``danger.yaml``: the kinds of immediate danger, each with its emergency message (first line first, numbers as
  facts), examples and cue phrases in the four forms, and guards (phrases that only look alarming);
- ``danger-messages.yaml`` (optional): whole messages as people wrote them, each labelled with its kinds of
  danger (or none), which the danger detector learns from beside the kinds' examples.
- ``statutes.yaml`` (optional): the laws and notifications sources name with ``act:``, in the four forms.

Every problem is collected (not just the first), each with file and line, so a
staff member fixes a whole edit in one go.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import sys
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING, Any, Collection, Mapping

from bot.knowledge import facts as facts_module
from bot.knowledge import model, yamlfile
from bot.knowledge.facts import PLACEHOLDER, placeholders, render_help
from bot.knowledge import recordings
from bot.knowledge.indexcache import IndexCache, code_version
from bot.knowledge.model import (
    ANSWER_LANGUAGES,
    ENTRY_ID,
    MAX_ID_LENGTH,
    EXAMPLE_FORMS,
    FACT_KINDS,
    Danger,
    DangerKind,
    DangerMessage,
    Entry,
    Fact,
    KnowledgeBase,
    OutOfScope,
    SmallTalk,
    Source,
    Statute,
    Topic,
    Vocabulary,
    frozen_map,
)
from bot.knowledge.yamlfile import LineList, LineMap, Problem, YamlFileError, read_yaml
from bot.understanding import text as text_module
from bot.understanding.text import normalise

if TYPE_CHECKING:  # numpy only for the cached findings' arrays: commands that read no cache never import it
    import numpy as np

FACT_ID = re.compile(r"^[a-z][a-z0-9_]*$")
_ENTRY_KEYS = {
    "id", "title", "answer", "examples", "keywords", "sources", "reviewed", "review_by", "verified", "related", "audio",
    "confirm_with",
}
# An emergency message must fit one phone screen, title included.
MAX_HELP_CHARS = 900
_DANGER_KEYS = {"id", "help", "examples", "cues", "refines", "context", "unless", "whole", "entry"}
# A phone number (three or more digits; a year like 2013 is not one) written into an emergency message instead of a
# fact placeholder.
_BARE_NUMBER = re.compile(r"(?<![\d-])(?!(?:19|20)\d\d(?![\d-]))\d[\d-]{1,}\d")
# A source's sections when it names an act: numbers with their clauses, like "9", "1(3), 9", "16(1)-(3), 21(3)(v)".
SECTIONS = re.compile(r"^[0-9A-Za-z()\-–]+(?:, [0-9A-Za-z()\-–]+)*$")
_LANG_NAMES = {"en": "English", "ur": "Urdu", "sd": "Sindhi", "ur-Latn": "Roman Urdu"}
# The glossary and translation checks: imported when they run (a start that reads the snapshot runs neither).
_CHECKS = ("bot.knowledge.glossary", "bot.knowledge.translation")


def _text_lines(value: LineMap, texts: dict[str, str]) -> dict[str, int]:
    """The line each stripped text in ``value`` starts on (blank lines the strip removed counted)."""
    lines = {}
    for key in texts:
        raw = value[key]
        lines[key] = value.value_line(key) + raw[: len(raw) - len(raw.lstrip())].count("\n")
    return lines


class KnowledgeError(Exception):
    """The knowledge base has errors; ``problems`` lists them all."""

    def __init__(self, problems: list[Problem]):
        self.problems = problems
        errors = [p for p in problems if p.severity == "error"]
        super().__init__(f"{len(errors)} error(s) in the knowledge base:\n" + "\n".join(map(str, errors)))


def load_knowledge(root: Path) -> KnowledgeBase:
    """The knowledge base under ``root``; raises :class:`KnowledgeError` if it has any error."""
    kb, problems = load_with_problems(root)
    if kb is None:
        raise KnowledgeError(problems)
    return kb


def load_with_problems(root: Path, cache: IndexCache | None = None,
                       source: tuple[bytes, bytes] | None = None) -> tuple[KnowledgeBase | None, list[Problem]]:
    """Load and validate; the knowledge base is ``None`` when any problem is an error.

    ``cache``: where the result is kept between starts (see :mod:`bot.knowledge.snapshot`): a start with the same
    files and code reads it instead of parsing and checking them again. Within a build, the translation check's
    findings (the slowest check, a function of the files' text alone) are kept there too. ``source``: what
    :func:`knowledge_source` gave for ``root``, when the caller has it already.
    """
    cache = cache or IndexCache(None)
    if cache.directory is None:
        return _read(root, cache)
    from bot.knowledge import snapshot

    files, code = source or knowledge_source(root)
    return cache.load_or_build("knowledge", files, code,
                               build=lambda: {"json": _bytes_array(snapshot.dumps(*_read(root, cache)))},
                               use=lambda arrays: snapshot.loads(arrays["json"].tobytes()))


def _read(root: Path, cache: IndexCache) -> tuple[KnowledgeBase | None, list[Problem]]:
    reader = _Reader(root, cache)
    kb = reader.read()
    return (None if reader.has_errors else kb), reader.problems


def knowledge_source(root: Path) -> tuple[bytes, bytes]:
    """What a knowledge base loaded from ``root`` is a function of: a digest of its files, and the loader's code
    (the snapshot's key). A value derived from the knowledge base alone can be kept in the cache under them."""
    from bot.knowledge import snapshot

    return _knowledge_files(root), _loader_code(snapshot)


def _knowledge_files(root: Path) -> bytes:
    """Every file under ``root`` (its path, bytes and modification time: a recording's date may come from it)."""
    h = hashlib.sha256(root.name.encode())
    for path in sorted(p for p in root.rglob("*") if p.is_file()):
        h.update(f"\0{path.relative_to(root)}\0{path.stat().st_mtime_ns}\0".encode())
        h.update(path.read_bytes())
    return h.digest()


def _loader_code(*more: ModuleType) -> bytes:
    """The code a loaded knowledge base is a function of: this module, what it calls, and the YAML, audio and
    formatting libraries (the snapshot holds the facts' figures as Babel shows them)."""
    modules = [sys.modules[__name__], facts_module, recordings, model, yamlfile, text_module, *more]
    return code_version(modules, [*_CHECKS, "yaml", "mutagen", "babel"])


def _bytes_array(data: bytes) -> np.ndarray:
    import numpy as np

    return np.frombuffer(data, dtype=np.uint8)


def _problem_arrays(problems: list[Problem]) -> dict[str, np.ndarray]:
    import numpy as np

    fields = [f for p in problems for f in (p.file, p.message, p.severity)]
    return {"lines": np.array([p.line for p in problems], dtype=np.int64),
            "text": np.frombuffer("\0".join(fields).encode("utf-8"), dtype=np.uint8)}


def _problems_from(arrays: Mapping[str, np.ndarray]) -> list[Problem]:
    fields = arrays["text"].tobytes().decode("utf-8").split("\0") if len(arrays["text"]) else []
    lines = arrays["lines"].tolist()
    if len(fields) != 3 * len(lines):
        raise ValueError("the findings are cut short")
    return [Problem(fields[3 * i], line, fields[3 * i + 1], fields[3 * i + 2]) for i, line in enumerate(lines)]


class _Reader:
    def __init__(self, root: Path, cache: IndexCache):
        self.root = root
        self.cache = cache
        self.problems: list[Problem] = []
        self.ids_seen: set[str] = set()
        self.unreadable = False  # a file that does not parse hides its ids from the related-id check
        self.statutes: dict[str, Statute] = {}

    @property
    def has_errors(self) -> bool:
        return any(p.severity == "error" for p in self.problems)

    def error(self, file: str, line: int, message: str) -> None:
        self.problems.append(Problem(file, line, message))

    def warn(self, file: str, line: int, message: str) -> None:
        self.problems.append(Problem(file, line, message, "warning"))

    def display(self, path: Path) -> str:
        """How problems name ``path``: relative to the knowledge folder's parent, like knowledge/facts.yaml."""
        try:
            return str(path.relative_to(self.root.parent))
        except ValueError:
            return str(path)

    def parse(self, path: Path) -> tuple[str, Any]:
        name = self.display(path)
        if not path.is_file():
            self.error(name, 0, "file is missing")
            return name, None
        try:
            return name, read_yaml(path, name)
        except YamlFileError as e:
            self.problems.append(e.problem)
            self.unreadable = True
            return name, None

    # -- whole knowledge base -------------------------------------------------

    def read(self) -> KnowledgeBase:
        topics = self.read_topics(self.root / "topics.yaml")
        facts = self.read_facts(self.root / "facts.yaml")
        self.statutes, section_word = self.read_statutes(self.root / "statutes.yaml")
        entries: list[Entry] = []
        entry_files = sorted((self.root / "entries").glob("*.yaml"))
        if not entry_files:
            self.error(self.display(self.root / "entries"), 0, "no entry files (*.yaml) found")
        for path in sorted((self.root / "entries").glob("*.yml")):
            self.error(self.display(path), 0, f"entry files end in .yaml, so this one is not read; rename it to {path.stem}.yaml")
        for path in entry_files:
            entries.extend(self.read_entry_file(path, {t.id for t in topics}))
        self.cross_check(entries, facts)
        self.check_required(self.root / "required.yaml", {e.id for e in entries})
        order = {t.id: i for i, t in enumerate(topics)}
        entries.sort(key=lambda e: order.get(e.topic, len(order)))
        out_of_scope = self.read_out_of_scope(self.root / "out-of-scope.yaml", facts)
        smalltalk, filler = self.read_smalltalk(self.root / "smalltalk.yaml", facts)
        vocabulary = self.read_vocabulary(self.root / "vocabulary.yaml")
        kb = KnowledgeBase(topics=tuple(topics), entries=tuple(entries), facts=facts, out_of_scope=out_of_scope,
                           smalltalk=smalltalk, smalltalk_filler=filler, vocabulary=vocabulary,
                           danger=self.read_danger(self.root / "danger.yaml", facts, {e.id for e in entries}), statutes=frozen_map(self.statutes),
                           section_word=frozen_map(section_word))
        if not self.unreadable:  # the glossary names entries: an unreadable file would hide them
            self.check_translations(kb, self.root / "glossary.yaml")
        return kb

    def check_translations(self, kb: KnowledgeBase, glossary: Path) -> None:
        """The same figures in en, ur, sd and ur-Latn (errors), and no word the glossary marks wrong (warnings).

        The findings are a function of the files' text (answers, their lines, the glossary) and of the checks'
        code: they are kept in the cache under a hash of both."""
        files = sorted(self.root.rglob("*.yaml"))
        inputs = "\0".join([self.root.name, *(f"{p.relative_to(self.root)}\0{p.read_text(encoding='utf-8')}"
                                               for p in files)]).encode("utf-8")
        code = code_version([sys.modules[__name__], text_module], _CHECKS)
        self.problems += self.cache.load_or_build("translations", inputs, code,
                                                  build=lambda: _problem_arrays(self.translation_problems(kb, glossary)),
                                                  use=_problems_from)

    def translation_problems(self, kb: KnowledgeBase, glossary: Path) -> list[Problem]:
        from bot.knowledge import translation
        from bot.knowledge.glossary import read_glossary, wrong_terms

        terms, problems = read_glossary(glossary, self.display(glossary), kb)
        for entry in kb.entries:
            problems += translation.compare(entry)
            problems += wrong_terms(terms, entry)
        return problems

    def read_topics(self, path: Path) -> list[Topic]:
        name, data = self.parse(path)
        if data is None:
            return []
        items = data.get("topics") if isinstance(data, dict) else None
        if not isinstance(items, list) or not items:
            self.error(name, getattr(data, "line", 1), "expected `topics:` with a list of topics")
            return []
        topics = []
        for item in items:
            if not isinstance(item, LineMap) or not isinstance(item.get("id"), str):
                self.error(name, getattr(item, "line", items.line), "each topic needs an `id:` and a `title:`")
                continue
            self.check_id(name, item.line_of("id"), "topic", item["id"])
            title = self.translations(name, item, "title", f"topic {item['id']!r}")
            topics.append(Topic(id=item["id"], title=frozen_map(title)))
        return topics

    def read_facts(self, path: Path) -> dict[str, Fact]:
        name, data = self.parse(path)
        if data is None:
            return {}
        items = data.get("facts") if isinstance(data, dict) else None
        if not isinstance(items, LineMap):
            self.error(name, getattr(data, "line", 1), "expected `facts:` with one named fact under it")
            return {}
        facts = {}
        for fact_id, spec in items.items():
            line = items.line_of(fact_id)
            if not isinstance(fact_id, str) or not FACT_ID.match(fact_id):
                self.error(name, line, f"fact name {fact_id!r}: use lower case letters, digits and _ only")
                continue
            if not isinstance(spec, LineMap):
                self.error(name, line, f"fact {fact_id!r}: give `kind:`, `value:`, `source:` and `verified:`")
                continue
            fact = self.read_fact(name, fact_id, spec, line)
            if fact:
                facts[fact_id] = fact
        return facts

    def read_fact(self, name: str, fact_id: str, spec: LineMap, line: int) -> Fact | None:
        kind, value = spec.get("kind"), spec.get("value")
        ok = True
        if kind not in FACT_KINDS:
            self.error(name, spec.line_of("kind"), f"fact {fact_id!r}: `kind:` must be one of {', '.join(FACT_KINDS)}")
            ok = False
        elif kind in ("money", "number") and (isinstance(value, bool) or not isinstance(value, (int, float))):
            self.error(name, spec.line_of("value"), f"fact {fact_id!r}: `value:` must be a plain number like 40000 (no commas or Rs)")
            ok = False
        elif kind == "date" and not isinstance(value, dt.date):
            self.error(name, spec.line_of("value"), f"fact {fact_id!r}: `value:` must be a date written YYYY-MM-DD")
            ok = False
        elif kind == "text" and not (isinstance(value, str) or (isinstance(value, dict) and "en" in value)):
            self.error(name, spec.line_of("value"), f"fact {fact_id!r}: `value:` must be text, or en/ur/sd/ur-Latn texts")
            ok = False
        effective = spec.get("effective")
        if effective is not None and not isinstance(effective, dt.date):
            self.error(name, spec.line_of("effective"), f"fact {fact_id!r}: `effective:` must be a date written YYYY-MM-DD")
            ok = False
        if not isinstance(spec.get("source"), str) or not spec["source"].strip():
            self.error(name, spec.line, f"fact {fact_id!r}: add `source:` (the notification or document it comes from)")
            ok = False
        if not isinstance(spec.get("verified"), bool):
            self.error(name, spec.line, f"fact {fact_id!r}: add `verified: true` or `verified: false`")
            ok = False
        checked, checked_by = spec.get("checked"), spec.get("checked_by")
        if checked is not None and (not isinstance(checked, dt.date) or isinstance(checked, dt.datetime)):
            self.error(name, spec.line_of("checked"), f"fact {fact_id!r}: `checked:` must be the date of the check, written YYYY-MM-DD ({checked!r} is not a date)")
            ok = False
        if checked_by is not None and (not isinstance(checked_by, str) or not checked_by.strip()):
            self.error(name, spec.line_of("checked_by"), f"fact {fact_id!r}: `checked_by:` must be the role of who checked it, like 'content reviewer' (not a name)")
            ok = False
        elif checked is not None and checked_by is None:
            self.warn(name, spec.line_of("checked"), f"fact {fact_id!r}: add `checked_by:` (the role of who checked it, not a name) beside `checked:`")
        elif checked_by is not None and checked is None:
            self.warn(name, spec.line_of("checked_by"), f"fact {fact_id!r}: add `checked:` (the date of the check, YYYY-MM-DD) beside `checked_by:`")
        caveat = None
        if "caveat" in spec:
            caveat = self.translations(name, spec, "caveat", f"fact {fact_id!r}")
            ok = ok and len(caveat) == len(ANSWER_LANGUAGES)
        alert = spec.get("alert", False)
        if not isinstance(alert, bool):
            self.error(name, spec.line_of("alert"), f"fact {fact_id!r}: `alert:` must be true (workers may ask to be told when it changes) or false")
            ok = False
        if not ok:
            return None
        return Fact(
            id=fact_id, kind=kind, value=frozen_map(value) if isinstance(value, dict) else value,
            source=spec["source"], verified=spec["verified"], effective=effective, note=str(spec.get("note") or ""),
            checked=checked, checked_by=(checked_by or "").strip(), file=name, line=line, alert=alert,
            caveat=frozen_map(caveat) if caveat else None, confirm=str(spec.get("confirm") or ""),
            confirm_with=str(spec.get("confirm_with") or ""),
        )

    def read_entry_file(self, path: Path, topic_ids: set[str]) -> list[Entry]:
        known = len(self.problems)
        name, data = self.parse(path)
        if data is None:
            if len(self.problems) == known:  # it parsed, to nothing
                self.error(name, 1, "file is empty; give it `topic:` and `entries:`, or delete it")
            return []
        if not isinstance(data, LineMap) or not isinstance(data.get("entries"), list):
            self.error(name, getattr(data, "line", 1), "expected `topic:` and `entries:` (a list of entries)")
            return []
        topic = data.get("topic")
        if topic not in topic_ids:
            self.error(name, data.line_of("topic"), f"topic {topic!r} is not in topics.yaml; use one of: {', '.join(sorted(topic_ids))}")
        entries = []
        for item in data["entries"]:
            if not isinstance(item, LineMap):
                self.error(name, getattr(item, "line", data["entries"].line), "each entry must be a mapping starting with `- id:`")
                continue
            entry = self.read_entry(name, str(topic), item)
            if entry:
                entries.append(entry)
        return entries

    def read_entry(self, name: str, topic: str, item: LineMap) -> Entry | None:
        before = len([p for p in self.problems if p.severity == "error"])
        entry_id = item.get("id")
        if not isinstance(entry_id, str) or not ENTRY_ID.match(entry_id):
            self.error(name, item.line_of("id"), f"entry id {entry_id!r}: use lower-case words joined by hyphens, like minimum-wage-amount")
            entry_id = str(entry_id)
        else:
            self.check_id(name, item.line_of("id"), "entry", entry_id)
        self.ids_seen.add(entry_id)
        what = f"entry {entry_id!r}"
        for key in item:
            if key not in _ENTRY_KEYS:
                self.error(name, item.line_of(key), f"{what}: unknown field `{key}`; allowed: {', '.join(sorted(_ENTRY_KEYS))}")
        title = self.translations(name, item, "title", what)
        answer = self.translations(name, item, "answer", what)
        examples = self.examples(name, item, what)
        sources = self.sources(name, item, what)
        verified = item.get("verified")
        if not isinstance(verified, bool):
            self.error(name, item.line, f"{what}: add `verified: true` (facts checked) or `verified: false` (staff must check)")
        dates = {}
        for key in ("reviewed", "review_by"):
            value = item.get(key)
            if value is None:
                self.error(name, item.line, f"{what}: add `{key}:` as a date YYYY-MM-DD")
            elif not isinstance(value, dt.date):
                self.error(name, item.line_of(key), f"{what}: `{key}:` must be a date written YYYY-MM-DD")
            else:
                dates[key] = value
        related = self.string_list(name, item, "related", what)
        keywords = self.string_list(name, item, "keywords", what, allow_numbers=True)
        audio: dict = {}
        if "audio" in item:
            audio, found = recordings.read(self.root, name, item, what, dates.get("reviewed"))
            self.problems.extend(found)
        if len([p for p in self.problems if p.severity == "error"]) > before:
            return None
        return Entry(
            id=entry_id, topic=topic, title=frozen_map(title), answer=frozen_map(answer),
            examples=frozen_map(examples), sources=sources, verified=verified, keywords=keywords,
            related=related, reviewed=dates.get("reviewed"), review_by=dates.get("review_by"), file=name, line=item.line,
            answer_lines=frozen_map(_text_lines(item["answer"], answer)), audio=frozen_map(audio),
            confirm_with=str(item.get("confirm_with") or ""),
        )

    def read_out_of_scope(self, path: Path, facts: dict[str, Fact]) -> tuple[OutOfScope, ...]:
        found = self.optional_list(path, "groups", "expected `groups:` with a list of groups, each with `id:` and `examples:`")
        if found is None:
            return ()
        name, data, items = found
        groups = []
        for item in items:
            if not isinstance(item, LineMap):
                self.error(name, getattr(item, "line", items.line), "each group must be a mapping starting with `- id:`")
                continue
            group_id = item.get("id")
            if not isinstance(group_id, str) or not ENTRY_ID.match(group_id):
                self.error(name, item.line_of("id"), f"group id {group_id!r}: use lower-case words joined by hyphens, like identity-documents")
                continue
            what = f"out-of-scope group {group_id!r}"
            if group_id in self.ids_seen:
                self.error(name, item.line_of("id"), f"{what}: the id is already used by an entry or another group; choose another")
            self.ids_seen.add(group_id)
            for key in item:
                if key not in ("id", "about", "redirect", "examples", "verified"):
                    self.error(name, item.line_of(key), f"{what}: unknown field `{key}`; allowed: about, examples, id, redirect, verified")
            verified = item.get("verified", True)
            if not isinstance(verified, bool):
                self.error(name, item.line_of("verified"), f"{what}: `verified:` is true or false (false while the redirect says something not confirmed)")
            redirect = self.translations(name, item, "redirect", what) if "redirect" in item else None
            self.known_placeholders(name, item.line_of("redirect"), what, redirect or {}, facts)
            examples = self.examples(name, item, what)
            if len(examples) == len(EXAMPLE_FORMS) and (redirect is None or len(redirect) == len(ANSWER_LANGUAGES)):
                groups.append(OutOfScope(id=group_id, about=str(item.get("about") or ""), examples=frozen_map(examples),
                                         redirect=frozen_map(redirect) if redirect else None,
                                         verified=verified is not False, file=name, line=item.line))
        return tuple(groups)

    def read_smalltalk(self, path: Path, facts: dict[str, Fact]) -> tuple[tuple[SmallTalk, ...], tuple[str, ...]]:
        found = self.optional_list(path, "smalltalk", "expected `smalltalk:` with a list of kinds, each with `id:`, `phrases:` and `reply:`")
        if found is None:
            return (), ()
        name, data, items = found
        kinds, owner = [], {}
        for item in items:
            if not isinstance(item, LineMap) or not isinstance(item.get("id"), str):
                self.error(name, getattr(item, "line", items.line), "each kind of small talk needs `id:`, `phrases:` and `reply:`")
                continue
            what = f"small talk {item['id']!r}"
            phrases = self.string_list(name, item, "phrases", what)
            if not phrases:
                self.error(name, item.line_of("phrases"), f"{what}: add `phrases:`, the words workers use, like [hello, salam]")
            for phrase in phrases:
                key = normalise(phrase)
                if key in owner and owner[key] != item["id"]:
                    self.error(name, item.line_of("phrases"), f"{what}: phrase {phrase!r} is also under {owner[key]!r}; keep it in one place")
                owner.setdefault(key, item["id"])
            reply = self.translations(name, item, "reply", what)
            self.known_placeholders(name, item.line_of("reply"), what, reply, facts)
            if phrases and len(reply) == len(ANSWER_LANGUAGES):
                kinds.append(SmallTalk(id=item["id"], phrases=phrases, reply=frozen_map(reply)))
        filler = self.string_list(name, data, "filler", "small talk")
        return tuple(kinds), filler

    def read_vocabulary(self, path: Path) -> Vocabulary:
        found = self.optional_list(path, "groups", "expected `groups:` with a list of groups, each with `id:` and `words:`")
        if found is None:
            return Vocabulary()
        name, data, items = found
        groups: dict[str, tuple[str, ...]] = {}
        owner: dict[str, str] = {}
        for item in items:
            if not isinstance(item, LineMap) or not isinstance(item.get("id"), str):
                self.error(name, getattr(item, "line", items.line), "each group needs `id:` and `words:` (a list)")
                continue
            group_id = item["id"]
            what = f"vocabulary group {group_id!r}"
            if group_id in groups:
                self.error(name, item.line_of("id"), f"{what}: two groups have this id; merge them or rename one")
            words = self.string_list(name, item, "words", what, allow_numbers=True)
            if len({normalise(w) for w in words}) < 2:
                self.warn(name, item.line, f"{what} has one word only; a group is for words that mean the same, so add the others or remove it")
            self.claim_words(name, item.line_of("words"), words, group_id, owner)
            groups[group_id] = words
        story = self.string_list(name, data, "story", "vocabulary")
        self.claim_words(name, data.line_of("story"), story, "story", owner)
        return Vocabulary(groups=frozen_map(groups), story=story)

    def read_danger(self, path: Path, facts: dict[str, Fact], entry_ids: Collection[str]) -> Danger:
        """The kinds of danger, each with its emergency message in the four forms, examples, cues; and the guards.

        Refused: a file without kinds, a kind without help in every form, a number written into help instead of a
        fact placeholder, help whose only numbers are unconfirmed, help longer than one phone screen, a kind with
        neither examples nor whole-message phrases, and an `entry:` that is no entry.
        """
        name = self.display(path)
        if not path.is_file():
            self.error(name, 0, "danger.yaml is missing: without it the bot cannot recognise a worker in danger")
            return Danger()
        name, data = self.parse(path)
        if data is None:
            return Danger()
        if not isinstance(data, LineMap) or not isinstance(data.get("kinds"), LineList) or not data["kinds"]:
            self.error(name, getattr(data, "line", 1), "expected `kinds:` with a list of kinds of danger, each with "
                                                        "`id:`, `help:`, `examples:` and `cues:`; without them the bot "
                                                        "cannot recognise a worker in danger")
            return Danger(file=name)
        title = self.translations(name, data, "title", "danger.yaml")
        caveat = self.translations(name, data, "unconfirmed", "danger.yaml")
        guards = self.string_list(name, data, "guards", "danger.yaml")
        veto = self.string_list(name, data, "veto", "danger.yaml")
        filler = self.string_list(name, data, "filler", "danger.yaml")
        near_misses = self.examples(name, data, "danger.yaml near misses", key="near_misses") if "near_misses" in data else {}
        kinds: list[DangerKind] = []
        for item in data["kinds"]:
            if not isinstance(item, LineMap) or not isinstance(item.get("id"), str):
                self.error(name, getattr(item, "line", data.line), "each kind needs `id:`, `help:`, `examples:` and `cues:`")
                continue
            kind_id = item["id"]
            what = f"danger kind {kind_id!r}"
            self.check_id(name, item.line_of("id"), "danger kind", kind_id)
            if any(k.id == kind_id for k in kinds):
                self.error(name, item.line_of("id"), f"{what}: two kinds have this id; merge them or rename one")
            for key in item:
                if key not in _DANGER_KEYS:
                    self.error(name, item.line_of(key), f"{what}: unknown field `{key}`; allowed: {', '.join(sorted(_DANGER_KEYS))}")
            help_text = self.translations(name, item, "help", what)
            self.help_numbers(name, item, what, help_text, facts, title, caveat)
            whole = self.string_list(name, item, "whole", what)
            # A kind known only by whole messages ("help", "bachao") needs no examples: the classifier would learn
            # "help" as danger and fire on "I need help with my salary".
            examples = self.examples(name, item, what) if "examples" in item or not whole else dict.fromkeys(EXAMPLE_FORMS, ())
            cues = self.string_list(name, item, "cues", what)
            for cue in cues:
                if not normalise(cue):
                    self.error(name, item.line_of("cues"), f"{what}: cue {cue!r} has no letters or digits to match")
            filler_keys = {normalise(f) for f in filler}
            for phrase in whole:
                if not normalise(phrase) or all(normalise(w) in filler_keys for w in phrase.split()):
                    self.error(name, item.line_of("whole"), f"{what}: whole-message phrase {phrase!r} has no word that is "
                                                             "not a filler word, so it would match an empty message")
            entry = item.get("entry")
            if entry is not None and (not isinstance(entry, str) or entry not in entry_ids):
                self.error(name, item.line_of("entry"), f"{what}: `entry: {entry}` is not the id of any entry in entries/; "
                                                         "name the answer to send after the emergency message")
                entry = None
            refines = self.string_list(name, item, "refines", what)
            context = self.string_list(name, item, "context", what)
            unless = self.string_list(name, item, "unless", what)
            if refines and not context:
                self.error(name, item.line_of("refines"), f"{what}: `refines:` needs `context:`, the words that tell this kind apart")
            if len(help_text) == len(ANSWER_LANGUAGES) and len(examples) == len(EXAMPLE_FORMS):
                kinds.append(DangerKind(id=kind_id, help=frozen_map(help_text), examples=frozen_map(examples),
                                        cues=tuple(c for c in cues if normalise(c)), refines=refines, context=context,
                                        unless=unless, whole=tuple(w for w in whole if normalise(w)), entry=entry,
                                        line=item.line))
        known = {k.id for k in kinds}
        for kind in kinds:
            for other in kind.refines:
                if other not in known:
                    self.error(name, kind.line, f"danger kind {kind.id!r}: refines unknown kind {other!r}")
        messages = self.read_danger_messages(path.with_name("danger-messages.yaml"), known)
        return Danger(title=frozen_map(title), kinds=tuple(kinds), guards=guards, veto=veto, filler=filler,
                      near_misses=frozen_map(near_misses), messages=messages, file=name, caveat=frozen_map(caveat))

    def read_danger_messages(self, path: Path, kinds: Collection[str]) -> tuple[DangerMessage, ...]:
        """The labelled messages of ``danger-messages.yaml`` (optional): each `text:`, `lang:` (a form) and `danger:`
        (kinds, main kind first; ``[]`` for a message that only looks alarming)."""
        if not path.is_file():
            return ()
        name, data = self.parse(path)
        if data is None:
            return ()
        if not isinstance(data, LineList):
            self.error(name, getattr(data, "line", 1), "expected a list of messages, each like "
                                                        "{text: '...', lang: en, danger: [violence]}")
            return ()
        out = []
        for item, line in zip(data, data.item_lines):
            text, lang, labels = (item.get(k) if isinstance(item, dict) else None for k in ("text", "lang", "danger"))
            if not isinstance(text, str) or not text.strip():
                self.error(name, line, "each message needs `text:`, the message as it was written")
            elif lang not in EXAMPLE_FORMS:
                self.error(name, line, f"`lang: {lang}` is not a form; use en, ur, sd or ur-Latn")
            elif not isinstance(labels, list) or not all(isinstance(k, str) for k in labels):
                self.error(name, line, "`danger:` must list the message's kinds, like [violence], or be [] when it "
                                       "only looks alarming")
            elif unknown := [k for k in labels if k not in kinds]:
                self.error(name, line, f"`danger:` names {unknown[0]!r}, which is no kind in danger.yaml")
            else:
                out.append(DangerMessage(text=text.strip(), lang=lang, kinds=tuple(labels), line=line))
        return tuple(out)

    def help_numbers(self, name: str, item: LineMap, what: str, help_text: dict[str, str], facts: dict[str, Fact],
                     title: dict[str, str], caveat: dict[str, str]) -> None:
        """Every number of an emergency message is a fact, at least one of them confirmed; it fits one screen."""
        line = item.line_of("help")
        self.known_placeholders(name, line, what, help_text, facts)
        for lang, text in help_text.items():
            used = [facts[f] for f, _ in placeholders(text) if f in facts]
            bare = _BARE_NUMBER.search(PLACEHOLDER.sub("", text))
            if bare:
                self.error(name, line, f"{what}: the {lang} help writes the number {bare.group(0)!r}; write every "
                                       "number as a fact placeholder like {police_emergency}, so it has a source")
            if not used:
                self.error(name, line, f"{what}: the {lang} help gives no number; add at least one, like {{police_emergency}}")
            elif not any(f.verified for f in used):
                self.error(name, line, f"{what}: every number in the {lang} help is unconfirmed (verified: false); "
                                       "add a confirmed one, like {police_emergency}, so no worker is left with only a maybe")
            rendered = render_help(text, facts, lang, caveat.get(lang, ""))
            size = len(rendered) + len(title.get(lang, ""))
            if size > MAX_HELP_CHARS:
                self.error(name, line, f"{what}: the {lang} help is {size} characters with its title; keep it to "
                                       f"{MAX_HELP_CHARS} so it fits one phone screen")

    def optional_list(self, path: Path, key: str, expected: str) -> tuple[str, LineMap, LineList] | None:
        """An optional file's name, top mapping and the list under ``key``; None when the file is absent, or (with
        an error, unless the file did not parse) when there is no such list."""
        if not path.is_file():
            return None
        name, data = self.parse(path)
        items = data.get(key) if isinstance(data, LineMap) else None
        if isinstance(data, LineMap) and isinstance(items, LineList):
            return name, data, items
        if data is not None:
            self.error(name, getattr(data, "line", 1), expected)
        return None

    def claim_words(self, name: str, line: int, words: tuple[str, ...], group: str, owner: dict[str, str]) -> None:
        """A word may belong to one group only: otherwise the matcher cannot tell what it means."""
        for word in words:
            key = normalise(word)
            if not key:
                self.error(name, line, f"{group}: {word!r} has no letters or digits to match")
            elif key in owner and owner[key] != group:
                self.error(name, line, f"{word!r} is in both {owner[key]!r} and {group!r}; a word belongs to one group only")
            owner.setdefault(key, group)

    def known_placeholders(self, name: str, line: int, what: str, texts: dict[str, str], facts: dict[str, Fact]) -> None:
        for lang, text in texts.items():
            for fact_id, _ in placeholders(text):
                if fact_id not in facts:
                    self.error(name, line, f"{what}: {lang} text uses unknown placeholder {{{fact_id}}}; add it to facts.yaml or fix the name")

    # -- fields -----------------------------------------------------------------

    def check_id(self, name: str, line: int, what: str, value: str) -> None:
        if not ENTRY_ID.match(value):
            self.error(name, line, f"{what} id {value!r}: use lower-case words joined by hyphens, like minimum-wage-amount")
        elif len(value) > MAX_ID_LENGTH:
            self.error(name, line, f"{what} id {value!r} is {len(value)} characters; keep it to {MAX_ID_LENGTH} so "
                                   "its buttons fit in Telegram (64 bytes of button data)")

    def translations(self, name: str, item: LineMap, key: str, what: str) -> dict[str, str]:
        value = item.get(key)
        if not isinstance(value, LineMap):
            self.error(name, item.line_of(key), f"{what}: `{key}:` needs en, ur, sd and ur-Latn lines under it")
            return {}
        out = {}
        for lang in ANSWER_LANGUAGES:
            text = value.get(lang)
            if not isinstance(text, str) or not text.strip():
                self.error(name, value.line, f"{what}: missing {_LANG_NAMES[lang]} ({lang}) {key}; add `{lang}:` under `{key}:`")
            else:
                out[lang] = text.strip()
        return out

    def examples(self, name: str, item: LineMap, what: str, key: str = "examples") -> dict[str, tuple[str, ...]]:
        value = item.get(key)
        if not isinstance(value, LineMap):
            self.error(name, item.line_of(key), f"{what}: `{key}:` needs lists under en, ur, sd and ur-Latn")
            return {}
        out = {}
        for form in EXAMPLE_FORMS:
            questions = value.get(form)
            if not isinstance(questions, list) or not questions or not all(isinstance(q, str) and q.strip() for q in questions):
                self.error(name, value.line_of(form), f"{what}: add {_LANG_NAMES[form]} example questions as a list under `{form}:`")
                continue
            out[form] = tuple(q.strip() for q in questions)
        for form in value:
            if form not in EXAMPLE_FORMS:
                self.error(name, value.line_of(form), f"{what}: unknown example language `{form}`; use en, ur, sd or ur-Latn")
        return out

    def sources(self, name: str, item: LineMap, what: str) -> tuple[Source, ...]:
        value = item.get("sources")
        if not isinstance(value, list) or not value:
            self.error(name, item.line_of("sources"), f"{what}: add `sources:` with the statute and section the answer rests on")
            return ()
        out = []
        for src in value:
            line = getattr(src, "line", value.line)
            if not isinstance(src, dict) or not isinstance(src.get("statute"), str):
                self.error(name, line, f"{what}: each source needs `statute:` (and `act:`, `section:`, `link:`, `note:` if there are any)")
                continue
            unknown = set(src) - {"statute", "section", "link", "act", "note"}
            if unknown:
                self.error(name, line, f"{what}: unknown source field `{sorted(unknown)[0]}`; allowed: act, link, note, section, statute")
            act, section = src.get("act"), str(src.get("section") or "").strip()
            if act is not None and act not in self.statutes:
                self.error(name, line, f"{what}: source act {act!r} is not in statutes.yaml; add it there (named in the four forms) or fix the id")
            if act is None and section:
                self.error(name, line, f"{what}: a source's `section:` goes with `act:` (the statute's id in statutes.yaml); "
                                       "put anything else about the source in `note:`")
            elif section and not SECTIONS.match(section):
                self.error(name, line, f"{what}: `section: {section}` must be section numbers only, like 9 or 1(3), 9; "
                                       "put a reviewer's remarks in `note:` (workers never see it)")
            out.append(Source(statute=src["statute"], section=section, link=src.get("link"), act=act,
                              note=str(src.get("note") or "")))
        return tuple(out)

    def read_statutes(self, path: Path) -> tuple[dict[str, Statute], dict[str, str]]:
        """The laws sources name with ``act:``, and the word for "section" in each form."""
        if not path.is_file():
            return {}, {}
        name, data = self.parse(path)
        if not isinstance(data, LineMap) or not isinstance(data.get("statutes"), LineList):
            if data is not None:
                self.error(name, getattr(data, "line", 1), "expected `section:` (en/ur/sd/ur-Latn) and `statutes:` (a list)")
            return {}, {}
        section_word = self.translations(name, data, "section", "statutes")
        statutes: dict[str, Statute] = {}
        for item in data["statutes"]:
            if not isinstance(item, LineMap) or not isinstance(item.get("id"), str) or not ENTRY_ID.match(item["id"]):
                self.error(name, getattr(item, "line", 1), "each statute needs `id:` (lower-case words joined by hyphens) and its name in en, ur, sd and ur-Latn")
                continue
            what = f"statute {item['id']!r}"
            if item["id"] in statutes:
                self.error(name, item.line_of("id"), f"{what}: two statutes have this id; keep one")
            names = {}
            for lang in ANSWER_LANGUAGES:
                text = item.get(lang)
                if not isinstance(text, str) or not text.strip():
                    self.error(name, item.line, f"{what}: add its name in {_LANG_NAMES[lang]} (`{lang}:`)")
                else:
                    names[lang] = text.strip()
            unit = self.translations(name, item, "unit", what) if "unit" in item else None
            statutes[item["id"]] = Statute(id=item["id"], name=frozen_map(names), unit=frozen_map(unit) if unit else None)
        return statutes, section_word

    def string_list(self, name: str, item: LineMap, key: str, what: str, allow_numbers: bool = False) -> tuple[str, ...]:
        value = item.get(key, [])
        kinds = (str, int) if allow_numbers else (str,)
        if not isinstance(value, list) or not all(isinstance(v, kinds) and not isinstance(v, bool) for v in value):
            self.error(name, item.line_of(key), f"{what}: `{key}:` must be a list of words, like [a, b]")
            return ()
        return tuple(str(v) for v in value)

    # -- across files -------------------------------------------------------------

    def check_required(self, path: Path, present: set[str]) -> None:
        if not path.is_file() or self.unreadable:
            return
        name, data = self.parse(path)
        required = data.get("required") if isinstance(data, dict) else None
        if not isinstance(required, list):
            self.error(name, getattr(data, "line", 1), "expected `required:` with a list of entry ids")
            return
        for entry_id, line in zip(required, required.item_lines):
            if entry_id not in present and entry_id not in self.ids_seen:
                self.error(name, line, f"required entry {entry_id!r} is missing; every required id needs an entry in entries/")

    def cross_check(self, entries: list[Entry], facts: dict[str, Fact]) -> None:
        self.duplicate_examples(entries)
        first: dict[str, Entry] = {}
        for entry in entries:
            if entry.id in first:
                other = first[entry.id]
                self.error(entry.file, entry.line, f"duplicate id {entry.id!r}, also at {other.file}:{other.line}; give one of them a new id")
            else:
                first[entry.id] = entry
        for entry in entries:
            for rel in entry.related:
                if rel not in self.ids_seen and not self.unreadable:
                    self.error(entry.file, entry.line, f"entry {entry.id!r}: related id {rel!r} does not exist")
            self.known_placeholders(entry.file, entry.line, f"entry {entry.id!r}", dict(entry.answer), facts)

    def duplicate_examples(self, entries: list[Entry]) -> None:
        """The same question under two entries makes one of them unreachable: an error."""
        owner: dict[str, str] = {}
        for entry in entries:
            for questions in entry.examples.values():
                for q in questions:
                    key = normalise(q)
                    if key in owner and owner[key] != entry.id:
                        self.error(entry.file, entry.line, f"example {q!r} of {entry.id!r} is also an example of "
                                                           f"{owner[key]!r}; keep it in one entry only")
                    owner.setdefault(key, entry.id)
