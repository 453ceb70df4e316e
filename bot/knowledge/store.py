"""The knowledge base in use, swapped atomically on reload."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from bot.knowledge.indexcache import IndexCache, cache_dir_from_env, code_version
from bot.knowledge.loader import load_with_problems, KnowledgeError
from bot.knowledge.model import KnowledgeBase
from bot.knowledge.yamlfile import Problem

if TYPE_CHECKING:  # the matcher (numpy work) is imported when a store is built, not by importing this module
    from bot.understanding.danger import DangerDetector
    from bot.understanding.matcher import Matcher
    from bot.understanding.phrases import PhraseLists, Tokenised

DEFAULT_ROOT = Path(__file__).resolve().parent.parent.parent / "knowledge"


@dataclass(frozen=True)
class Loaded:
    """A knowledge base with the matcher and danger detector built for it: swapped in together."""

    kb: KnowledgeBase
    matcher: Matcher
    danger: DangerDetector


def load_knowledge(root: Path = DEFAULT_ROOT) -> KnowledgeBase:
    """The knowledge base alone, without a matcher: for commands that never match a message (reports)."""
    kb, problems = load_with_problems(root)
    if kb is None:
        raise KnowledgeError(problems)
    return kb


def build_matcher(kb: KnowledgeBase, cache: IndexCache) -> Matcher:
    """The matcher for ``kb``, its index from ``cache`` when it was built before from the same entries and code.

    Another trained component joins the cache the same way: a name, its inputs from the knowledge base as
    bytes, the modules whose code shapes it, a function that trains its arrays and one that makes the
    component from them (raising ValueError or KeyError when they do not fit).
    """
    from bot.understanding import matcher, phrases, terms, text

    tokenised = phrase_tokens("matcher", matcher.phrase_lists(kb), cache)
    return cache.load_or_build(
        "matcher", matcher.index_inputs(kb),
        code_version([matcher, phrases, terms, text], ["sklearn"]),
        build=lambda: matcher.Matcher(kb, phrases=tokenised).index,
        use=lambda index: matcher.Matcher(kb, index=index, phrases=tokenised),
    )


def build_danger(kb: KnowledgeBase, cache: IndexCache) -> DangerDetector:
    """The danger detector for ``kb``, its classifiers from ``cache`` when they were trained before from the same
    examples and code (a cached start imports no scikit-learn)."""
    from bot.understanding import danger, phrases, terms, text

    tokenised = phrase_tokens("danger", danger.phrase_lists(kb), cache)
    return cache.load_or_build(
        "danger", danger.training_inputs(kb),
        code_version([danger, phrases, terms, text], ["sklearn"]),
        build=lambda: danger.DangerDetector(kb, phrases=tokenised).models,
        use=lambda models: danger.DangerDetector(kb, models=models, phrases=tokenised),
    )


def phrase_tokens(component: str, lists: PhraseLists, cache: IndexCache) -> Tokenised:
    """The tokens of a component's phrase lists (a few thousand cues, guards and vocabulary words), from ``cache``
    when the lists and the code that tokenises them are unchanged."""
    from bot.understanding import phrases, text

    return cache.load_or_build(
        f"phrases.{component}", json.dumps(lists, ensure_ascii=False).encode("utf-8"), code_version([phrases, text]),
        build=lambda: phrases.pack(phrases.tokenise(lists)),
        use=lambda arrays: phrases.unpack(lists, arrays),
    )


class KnowledgeStore:
    """Holds one valid knowledge base with its matcher.

    :meth:`reload` builds the new pair completely before swapping it in with a
    single assignment, so a broken edit never replaces a working knowledge base
    and a question being answered during a reload sees either the old or the new.

    ``cache_dir``: where trained indexes are kept between starts (see :mod:`bot.knowledge.indexcache`);
    by default ``BOT_CACHE_DIR`` or ``cache`` under ``BOT_DATA_DIR``.
    """

    def __init__(self, root: Path = DEFAULT_ROOT, cache_dir: Path | None = None):
        self.root = root
        self.cache = IndexCache(cache_dir or cache_dir_from_env())
        loaded, problems = self._load()
        if loaded is None:
            raise KnowledgeError(problems)
        self.current = loaded
        self.warnings = [p for p in problems if p.severity == "warning"]

    def _load(self) -> tuple[Loaded | None, list[Problem]]:
        kb, problems = load_with_problems(self.root, self.cache)
        if kb is None:
            return None, problems
        return Loaded(kb, build_matcher(kb, self.cache), build_danger(kb, self.cache)), problems

    @property
    def kb(self) -> KnowledgeBase:
        return self.current.kb

    @property
    def matcher(self) -> Matcher:
        return self.current.matcher

    @property
    def danger(self) -> DangerDetector:
        return self.current.danger

    def reload(self) -> list[Problem]:
        """Load again from disk. Returns the problems; on any error the old knowledge base stays."""
        loaded, problems = self._load()
        if loaded is not None:
            self.current = loaded
            self.warnings = [p for p in problems if p.severity == "warning"]
        return problems
