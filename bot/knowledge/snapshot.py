"""A loaded knowledge base and its findings as JSON, so a start with unchanged files skips parsing and checking.

Reading the YAML and validating every entry is most of a cached start's work; the result is a pure function of
the files under the knowledge folder and of the loader's code. :func:`bot.knowledge.loader.load_with_problems`
keeps it in the index cache under a hash of both (see :mod:`bot.knowledge.indexcache`).

The format is plain JSON with a tag for each kind of value the model holds (its dataclasses by name, tuples,
read-only mappings, dates): decoding builds only those classes, never runs code, and a file that does not
decode into them is rebuilt like any other unusable cache file.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
from types import MappingProxyType
from typing import Any

from bot.knowledge import facts, model
from bot.knowledge.model import KnowledgeBase
from bot.knowledge.yamlfile import Problem

# The classes a snapshot may hold, by name: nothing else is ever built from one.
_CLASSES: dict[str, type] = {cls.__name__: cls for cls in (
    model.Source, model.Statute, model.Topic, model.Fact, model.Recording, model.Entry, model.OutOfScope,
    model.SmallTalk, model.Vocabulary, model.DangerKind, model.DangerMessage, model.Danger, model.KnowledgeBase, Problem)}


def _encode(value: Any) -> Any:
    kind = type(value)
    if value is None or kind in (str, int, float, bool):
        return value
    if kind is tuple:
        return {"$tuple": [_encode(v) for v in value]}
    if kind is list:
        return [_encode(v) for v in value]
    if kind in (dict, MappingProxyType):
        return {"$dict" if kind is dict else "$proxy": [[_encode(k), _encode(v)] for k, v in value.items()]}
    if kind is dt.date:
        return {"$date": value.isoformat()}
    if kind.__name__ in _CLASSES and _CLASSES[kind.__name__] is kind:
        return {"$class": kind.__name__, "$fields": {f.name: _encode(getattr(value, f.name))
                                                   for f in dataclasses.fields(value) if f.init}}
    raise TypeError(f"a knowledge snapshot cannot hold a {kind.__name__}")


def _decode(obj: dict[str, Any]) -> Any:
    """json's object hook: each tagged object back into its value (inner objects are decoded first)."""
    if "$tuple" in obj:
        return tuple(obj["$tuple"])
    if "$dict" in obj:
        return {k: v for k, v in obj["$dict"]}
    if "$proxy" in obj:
        return MappingProxyType({k: v for k, v in obj["$proxy"]})
    if "$date" in obj:
        return dt.date.fromisoformat(obj["$date"])
    if "$class" in obj:
        return _CLASSES[obj["$class"]](**obj["$fields"])
    return obj  # a class's fields (never a key starting with $), decoded before the class itself


def dumps(kb: KnowledgeBase | None, problems: list[Problem]) -> bytes:
    """The knowledge base and problems, with its facts' figures as Babel shows them (see :mod:`bot.knowledge.facts`)."""
    shown = facts.figures(kb.facts) if kb else {}
    return json.dumps([_encode(kb), [_encode(p) for p in problems], shown], ensure_ascii=False).encode("utf-8")


def loads(data: bytes) -> tuple[KnowledgeBase | None, list[Problem]]:
    """The knowledge base and problems :func:`dumps` wrote (its figures handed to :func:`bot.knowledge.facts.remember`);
    ValueError, KeyError or TypeError when it is not one."""
    kb, problems, shown = json.loads(data.decode("utf-8"), object_hook=_decode)
    if not (kb is None or isinstance(kb, KnowledgeBase)) or not all(isinstance(p, Problem) for p in problems) \
            or not all(isinstance(k, str) and isinstance(v, str) for k, v in shown.items()):
        raise ValueError("not a knowledge snapshot")
    facts.remember(shown)
    return kb, problems
