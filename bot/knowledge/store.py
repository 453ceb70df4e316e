"""The knowledge base in use, swapped atomically on reload."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from bot.knowledge.loader import load_with_problems, KnowledgeError
from bot.knowledge.model import KnowledgeBase
from bot.knowledge.yamlfile import Problem
from bot.understanding.danger import DangerDetector
from bot.understanding.matcher import Matcher

DEFAULT_ROOT = Path(__file__).resolve().parent.parent.parent / "knowledge"


@dataclass(frozen=True)
class Loaded:
    kb: KnowledgeBase
    matcher: Matcher
    danger: DangerDetector


class KnowledgeStore:
    """Holds one valid knowledge base with its matcher.

    :meth:`reload` builds the new pair completely before swapping it in with a
    single assignment, so a broken edit never replaces a working knowledge base
    and a question being answered during a reload sees either the old or the new.
    """

    def __init__(self, root: Path = DEFAULT_ROOT):
        self.root = root
        kb, problems = load_with_problems(root)
        if kb is None:
            raise KnowledgeError(problems)
        self.current = Loaded(kb, Matcher(kb), DangerDetector(kb))
        self.warnings = [p for p in problems if p.severity == "warning"]

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
        kb, problems = load_with_problems(self.root)
        if kb is not None:
            self.current = Loaded(kb, Matcher(kb), DangerDetector(kb))
            self.warnings = [p for p in problems if p.severity == "warning"]
        return problems
