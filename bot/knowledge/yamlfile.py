"""Safe YAML loading that remembers line numbers, so staff see where a problem is."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import yaml


class LineMap(dict):
    """A YAML mapping that knows the line it starts on, the line of each key and where each value's text starts."""

    line: int = 0
    key_lines: dict
    value_lines: dict

    def line_of(self, key: str) -> int:
        return self.key_lines.get(key, self.line)

    def value_line(self, key: str) -> int:
        """The line of the first character of ``key``'s value: for a ``|`` block, the line after the key."""
        return self.value_lines.get(key, self.line_of(key))


class LineList(list):
    """A YAML sequence that knows its line and the line of each item."""

    line: int = 0
    item_lines: list[int]


class _Lines(yaml.constructor.SafeConstructor):
    """A safe loader (no arbitrary objects) that attaches 1-based line numbers and refuses duplicate keys."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> LineMap:
        seen: dict = {}
        value_lines: dict = {}
        for key_node, value_node in node.value:
            key = self.construct_object(key_node, deep=deep)
            if key in seen:
                raise yaml.constructor.ConstructorError(
                    None, None, f"duplicate key {key!r} (first on line {seen[key]})", key_node.start_mark
                )
            seen[key] = key_node.start_mark.line + 1
            block = isinstance(value_node, yaml.ScalarNode) and value_node.style in ("|", ">")
            value_lines[key] = value_node.start_mark.line + 1 + block
        result = LineMap(super().construct_mapping(node, deep=True))
        result.line = node.start_mark.line + 1
        result.key_lines = seen
        result.value_lines = value_lines
        return result

    def construct_sequence(self, node: yaml.SequenceNode, deep: bool = False) -> LineList:
        result = LineList(super().construct_sequence(node, deep=True))
        result.line = node.start_mark.line + 1
        result.item_lines = [item.start_mark.line + 1 for item in node.value]
        return result


    def construct_yaml_timestamp(self, node: yaml.ScalarNode) -> object:  # type: ignore[override]
        """A date that does not exist (2026-02-30) stays text, so the field check names its file and line."""
        try:
            return super().construct_yaml_timestamp(node)
        except ValueError:
            return self.construct_scalar(node)


class _LineLoader(_Lines, yaml.SafeLoader):
    """In Python: slow, but its syntax errors name the line staff need to look at."""


class _FastLineLoader(_Lines, yaml.CSafeLoader):
    """On libyaml (several times faster): for a file without syntax errors, the same values and lines."""


for _loader in (_LineLoader, _FastLineLoader):
    _loader.add_constructor("tag:yaml.org,2002:timestamp", _loader.construct_yaml_timestamp)  # type: ignore[type-var]
    _loader.add_constructor("tag:yaml.org,2002:map", _loader.construct_mapping)  # type: ignore[type-var]
    _loader.add_constructor("tag:yaml.org,2002:seq", _loader.construct_sequence)  # type: ignore[type-var]


@dataclass(frozen=True)
class Problem:
    """One thing wrong in the knowledge base, said so that staff can fix it."""

    file: str
    line: int
    message: str
    severity: str = "error"  # "error" stops the knowledge base from loading; "warning" does not

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else self.file
        return f"{where}: {self.severity}: {self.message}"


class YamlFileError(Exception):
    def __init__(self, problem: Problem):
        super().__init__(str(problem))
        self.problem = problem


def read_yaml(path: Path, display: str) -> object:
    """Parse ``path``; a syntax error becomes a :class:`YamlFileError` naming file and line."""
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as e:
        raise YamlFileError(Problem(display, 0, f"not UTF-8 text ({e.reason}); save the file as UTF-8")) from e
    try:
        return yaml.load(text, Loader=_FastLineLoader)  # noqa: S506 - a CSafeLoader subclass
    except yaml.YAMLError:
        pass  # read it again in Python, whose messages point at the right line
    try:
        return yaml.load(text, Loader=_LineLoader)  # noqa: S506 - a SafeLoader subclass
    except yaml.MarkedYAMLError as e:
        mark = e.problem_mark or e.context_mark
        line = mark.line + 1 if mark else 0
        what = " ".join(filter(None, [e.context, e.problem]))
        raise YamlFileError(
            Problem(display, line, f"YAML syntax: {what}. Check the indentation and quotes on this line and the one above.")
        ) from e
    except yaml.YAMLError as e:
        raise YamlFileError(Problem(display, 0, f"YAML syntax: {e}")) from e
