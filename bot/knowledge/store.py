"""The knowledge base in use, swapped atomically on reload."""

from __future__ import annotations

import hashlib
import json
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Callable, Mapping

from bot.knowledge.indexcache import IndexCache, cache_dir_from_env, code_version
from bot.knowledge.loader import knowledge_source, load_with_problems, KnowledgeError
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


def build_matcher(kb: KnowledgeBase, cache: IndexCache, inputs: Mapping[str, bytes] | None = None) -> Matcher:
    """The matcher for ``kb``, its index from ``cache`` when it was built before from the same entries and code.

    Another trained component joins the cache the same way: a name, its inputs from the knowledge base as
    bytes, the modules whose code shapes it, a function that trains its arrays and one that makes the
    component from them (raising ValueError or KeyError when they do not fit). ``inputs``: what
    :func:`component_inputs` gave for ``kb``, when the caller has it already.
    """
    from bot.understanding import matcher, phrases, terms, text

    inputs = inputs or component_inputs(kb, cache)
    tokenised = phrase_tokens("matcher", lambda: matcher.phrase_lists(kb), inputs["phrases.matcher"], cache)
    return cache.load_or_build(
        "matcher", inputs["matcher"],
        code_version([matcher, phrases, terms, text], ["sklearn"]),
        build=lambda: matcher.Matcher(kb, phrases=tokenised).index,
        use=lambda index: matcher.Matcher(kb, index=index, phrases=tokenised),
    )


def build_danger(kb: KnowledgeBase, cache: IndexCache, inputs: Mapping[str, bytes] | None = None) -> DangerDetector:
    """The danger detector for ``kb``, its classifiers from ``cache`` when they were trained before from the same
    examples and code (a cached start imports no scikit-learn)."""
    from bot.understanding import danger, phrases, terms, text

    inputs = inputs or component_inputs(kb, cache)
    tokenised = phrase_tokens("danger", lambda: danger.phrase_lists(kb), inputs["phrases.danger"], cache)
    return cache.load_or_build(
        "danger", inputs["danger"],
        code_version([danger, phrases, terms, text], ["sklearn"]),
        build=lambda: danger.DangerDetector(kb, phrases=tokenised).models,
        use=lambda models: danger.DangerDetector(kb, models=models, phrases=tokenised),
    )


def phrase_tokens(component: str, lists: Callable[[], PhraseLists], inputs: bytes, cache: IndexCache) -> Tokenised:
    """The tokens of a component's phrase lists (a few thousand cues, guards and vocabulary words), from ``cache``
    when the lists (``inputs``: their digest) and the code that tokenises them are unchanged."""
    from bot.understanding import phrases, text

    return cache.load_or_build(
        f"phrases.{component}", inputs, code_version([phrases, text]),
        build=lambda: phrases.pack(phrases.tokenise(lists())),
        use=phrases.unpack,
    )


def component_inputs(kb: KnowledgeBase, cache: IndexCache,
                     source: tuple[bytes, bytes] | None = None) -> dict[str, bytes]:
    """What the matcher, the danger detector and their phrase lists are built from, each as a digest (the part of
    their cache key that is the knowledge base's). Serialising every example and inflecting every cue to get them
    is a fortieth of a cached start: with the knowledge base's ``source`` (:func:`knowledge_source`) they are kept in
    the cache under it and the code that derives them, and read on a start with unchanged files."""
    from bot.understanding import danger, matcher, phrases, terms, text

    def lists(names: Callable[[KnowledgeBase], PhraseLists]) -> Callable[[KnowledgeBase], bytes]:
        return lambda kb: json.dumps(names(kb), ensure_ascii=False).encode("utf-8")

    derive: dict[str, Callable[[KnowledgeBase], bytes]] = {
        "matcher": matcher.index_inputs, "danger": danger.training_inputs,
        "phrases.matcher": lists(matcher.phrase_lists), "phrases.danger": lists(danger.phrase_lists)}

    def digests() -> dict[str, bytes]:
        return {name: hashlib.sha256(inputs(kb)).digest() for name, inputs in derive.items()}

    if source is None or cache.directory is None:
        return digests()
    import numpy as np

    files, loader = source
    return cache.load_or_build(
        "inputs", files, loader + code_version([matcher, danger, phrases, terms, text, sys.modules[__name__]]),
        build=lambda: {name: np.frombuffer(digest, dtype=np.uint8) for name, digest in digests().items()},
        use=lambda arrays: {name: arrays[name].tobytes() for name in derive},
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
        source = knowledge_source(self.root) if self.cache.directory else None
        kb, problems = load_with_problems(self.root, self.cache, source)
        if kb is None:
            return None, problems
        inputs = component_inputs(kb, self.cache, source)
        return Loaded(kb, build_matcher(kb, self.cache, inputs), build_danger(kb, self.cache, inputs)), problems

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
