"""``knowledge/glossary.yaml``: the words Urdu and Sindhi answers use for legal terms.

Staff keep one list of terms (misconduct, the harassment Ombudsperson, gratuity ...)
with the word to use in each language and the words that are wrong for it, such as
بدعنوانی (corruption) for misconduct. ``kb check`` warns, with file and line, when an
answer uses a wrong word where the rule applies. Only ``kb check`` reads the glossary;
the bot does not need it to answer, so a broken glossary never stops the bot.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from pathlib import Path

from bot.knowledge.model import ENTRY_ID, ANSWER_LANGUAGES, Entry, KnowledgeBase
from bot.knowledge.yamlfile import LineList, LineMap, Problem, YamlFileError, read_yaml
from bot.understanding.text import tokens

_TERM_KEYS = {"id", "en", "ur", "sd", "ur-Latn", "note", "wrong"}
_WRONG_KEYS = {"word", "lang", "means", "unless", "topics", "entries"}


@dataclass(frozen=True)
class WrongWord:
    """A word that must not stand for ``term`` in ``lang`` answers, within ``topics``/``entries`` (empty: everywhere)."""

    term: str
    word: str
    lang: str
    means: str
    use: str  # the right word in ``lang``
    unless: tuple[str, ...] = ()  # longer phrases holding the word that are right
    topics: tuple[str, ...] = ()
    entries: tuple[str, ...] = ()

    def applies_to(self, entry: Entry) -> bool:
        if not self.topics and not self.entries:
            return True
        return entry.topic in self.topics or entry.id in self.entries

    def found_in(self, line: str) -> bool:
        """Whether ``line`` uses the word as a whole word outside every ``unless`` phrase."""
        words, word = _tokens(line), _tokens(self.word)
        excused = [(p, _find(p, word)[0]) for p in map(_tokens, self.unless)]
        for start in _find(words, word):
            if not any(words[start - at : start - at + len(p)] == p for p, at in excused if start >= at):
                return True
        return False


@dataclass(frozen=True)
class Term:
    id: str
    en: str
    use: dict[str, tuple[str, ...]]  # ur/sd (and ur-Latn, optional) -> the words to use, the first preferred
    wrong: tuple[WrongWord, ...]


@functools.lru_cache(maxsize=8192)  # every answer line is read once for each wrong word of the glossary
def _tokens(text: str) -> tuple[str, ...]:
    return tuple(tokens(text))


def _find(haystack: list[str] | tuple[str, ...], needle: list[str] | tuple[str, ...]) -> list[int]:
    n = len(needle)
    return [i for i in range(len(haystack) - n + 1) if n and haystack[i : i + n] == needle]


def read_glossary(path: Path, display: str, kb: KnowledgeBase) -> tuple[list[Term], list[Problem]]:
    """The glossary's terms and its problems (errors with file and line). No file: no terms, no problems."""
    if not path.is_file():
        return [], []
    reader = _GlossaryReader(display, {t.id for t in kb.topics}, {e.id for e in kb.entries})
    try:
        data = read_yaml(path, display)
    except YamlFileError as e:
        return [], [e.problem]
    return reader.read(data), reader.problems


class _GlossaryReader:
    def __init__(self, name: str, topic_ids: set[str], entry_ids: set[str]):
        self.name = name
        self.topic_ids = topic_ids
        self.entry_ids = entry_ids
        self.problems: list[Problem] = []

    def error(self, line: int, message: str) -> None:
        self.problems.append(Problem(self.name, line, message))

    def read(self, data: object) -> list[Term]:
        items = data.get("terms") if isinstance(data, LineMap) else None
        if not isinstance(items, LineList):
            self.error(getattr(data, "line", 1), "expected `terms:` with a list of terms, each starting with `- id:`")
            return []
        terms: list[Term] = []
        seen: dict[str, int] = {}
        for item, line in zip(items, items.item_lines):
            if not isinstance(item, LineMap):
                self.error(line, "each term must be a mapping starting with `- id:`, with `en:`, `ur:` and `sd:` under it")
                continue
            term = self.read_term(item)
            if term is None:
                continue
            if term.id in seen:
                self.error(item.line_of("id"), f"term {term.id!r} is also on line {seen[term.id]}; keep one")
                continue
            seen[term.id] = item.line_of("id")
            terms.append(term)
        return terms

    def read_term(self, item: LineMap) -> Term | None:
        before = len(self.problems)
        term_id = item.get("id")
        if not isinstance(term_id, str) or not ENTRY_ID.match(term_id):
            self.error(item.line_of("id"), f"term id {term_id!r}: use lower-case words joined by hyphens, like inquiry-committee")
            term_id = str(term_id)
        what = f"term {term_id!r}"
        for key in item:
            if key not in _TERM_KEYS:
                self.error(item.line_of(key), f"{what}: unknown field `{key}`; allowed: {', '.join(sorted(_TERM_KEYS))}")
        en = item.get("en")
        if not isinstance(en, str) or not en.strip():
            self.error(item.line_of("en"), f"{what}: add `en:` with the English term")
        use = {}
        for lang in ("ur", "sd"):
            words = self.words(item, lang)
            if not words:
                self.error(item.line_of(lang), f"{what}: add `{lang}:` with the word to use (or a list, the preferred first)")
            use[lang] = words
        if "ur-Latn" in item:  # optional: Roman Urdu answers mostly keep the English term
            use["ur-Latn"] = self.words(item, "ur-Latn")
            if not use["ur-Latn"]:
                self.error(item.line_of("ur-Latn"), f"{what}: `ur-Latn:` must be the Roman Urdu words to use (or a list)")
        if not isinstance(item.get("note", ""), str):
            self.error(item.line_of("note"), f"{what}: `note:` must be text")
        wrong_items = item.get("wrong")
        wrong = []
        if wrong_items is not None and not isinstance(wrong_items, LineList):
            self.error(item.line_of("wrong"), f"{what}: `wrong:` must be a list of `- word:` items")
        elif wrong_items is not None:
            wrong = [self.read_wrong(w, line, what, term_id, en, use) for w, line in zip(wrong_items, wrong_items.item_lines)]
        if len(self.problems) > before:
            return None
        return Term(id=term_id, en=en.strip(), use=use, wrong=tuple(w for w in wrong if w))

    def words(self, item: LineMap, key: str) -> tuple[str, ...]:
        value = item.get(key)
        values = [value] if isinstance(value, str) else value if isinstance(value, list) else []
        if not all(isinstance(v, str) and v.strip() for v in values):
            return ()
        return tuple(v.strip() for v in values)

    def read_wrong(self, item: object, line: int, what: str, term_id: str, en: object, use: dict) -> WrongWord | None:
        if not isinstance(item, LineMap):
            self.error(line, f"{what}: each `wrong:` item needs `word:`, `lang:` and `means:`")
            return None
        before = len(self.problems)
        for key in item:
            if key not in _WRONG_KEYS:
                self.error(item.line_of(key), f"{what}: unknown field `{key}` under `wrong:`; allowed: {', '.join(sorted(_WRONG_KEYS))}")
        word, lang, means = item.get("word"), item.get("lang"), item.get("means")
        if not isinstance(word, str) or not tokens(word):
            self.error(item.line_of("word"), f"{what}: `word:` must be the wrong word as an answer would write it")
        if lang not in ANSWER_LANGUAGES:
            self.error(item.line_of("lang"), f"{what}: `lang:` must be one of {', '.join(ANSWER_LANGUAGES)}")
        if not isinstance(means, str) or not means.strip():
            self.error(item.line_of("means"), f"{what}: add `means:` - what the wrong word says to a reader")
        unless = self.words(item, "unless") if "unless" in item else ()
        if "unless" in item and not unless:
            self.error(item.line_of("unless"), f"{what}: `unless:` must be a list of phrases")
        elif isinstance(word, str):
            for phrase in unless:
                if not _find(tokens(phrase), tokens(word)):
                    self.error(item.line_of("unless"), f"{what}: `unless:` phrase {phrase!r} does not contain {word!r}")
        topics = self.ids(item, "topics", self.topic_ids, "topic", what)
        entries = self.ids(item, "entries", self.entry_ids, "entry", what)
        if len(self.problems) > before:
            return None
        right = str(en) if lang == "en" else (use[lang][0] if use.get(lang) else "")
        return WrongWord(term=term_id, word=word, lang=lang, means=means.strip(), use=right, unless=unless,
                         topics=topics, entries=entries)

    def ids(self, item: LineMap, key: str, known: set[str], kind: str, what: str) -> tuple[str, ...]:
        if key not in item:
            return ()
        value = item[key]
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            self.error(item.line_of(key), f"{what}: `{key}:` must be a list of {kind} ids, like [a, b]")
            return ()
        for v in value:
            if v not in known:
                self.error(item.line_of(key), f"{what}: {kind} {v!r} does not exist")
        return tuple(value)


def wrong_terms(terms: list[Term], entry: Entry) -> list[Problem]:
    """A warning for each answer line that uses a word the glossary marks wrong for this entry."""
    problems = []
    for term in terms:
        for wrong in term.wrong:
            if not wrong.applies_to(entry) or wrong.lang not in entry.answer:
                continue
            text = entry.answer[wrong.lang]
            offset = 0
            for line in text.split("\n"):
                if wrong.found_in(line):
                    problems.append(Problem(
                        entry.file, entry.answer_line(wrong.lang, offset),
                        f"entry {entry.id!r}: the {wrong.lang} answer uses {wrong.word!r} ({wrong.means}); "
                        f"for {term.en} write {wrong.use!r} (glossary: {term.id})",
                        "warning",
                    ))
                offset += len(line) + 1
    return problems
