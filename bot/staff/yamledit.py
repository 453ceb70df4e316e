"""Adding example questions to a knowledge file in place: every other line, comment and quote stays as it was.

The new questions go under the entry's (or out-of-scope group's) ``examples: <form>:`` list, one a line,
each with a trailing ``# added YYYY-MM-DD`` comment. A list written on one line (``en: [a, b]``, as in
out-of-scope.yaml) is rewritten one question a line, each kept exactly as written, so that the additions
can carry their dates. The edit is made on the text, then the file is parsed again and must hold
exactly what it held before plus the new questions; anything else is refused, never written.

(A round-trip YAML library would re-emit the whole file: long one-line lists wrapped at its line width,
indentation made uniform, so a one-line addition would show as a diff over lines nobody touched.)
"""

from __future__ import annotations

import copy
import datetime as dt
from typing import Any

import yaml

SECTIONS = ("entries", "groups")  # the top-level lists: entries/*.yaml and out-of-scope.yaml


class EditError(ValueError):
    """The addition could not be made safely; the message says why, for staff."""


def scalar(text: str) -> str:
    """``text`` as one YAML scalar on one line: plain where that reads back the same, quoted otherwise."""
    dumped = yaml.safe_dump(text, allow_unicode=True, width=1_000_000, default_flow_style=True)
    out = dumped.removesuffix("\n").removesuffix("\n...").strip()
    if "\n" in out or yaml.safe_load(out) != text:
        raise EditError(f"cannot write {text!r} as one line")
    return out


def _find(root: yaml.Node, owner_id: str) -> yaml.MappingNode:
    if isinstance(root, yaml.MappingNode):
        for key, value in root.value:
            if key.value in SECTIONS and isinstance(value, yaml.SequenceNode):
                for item in value.value:
                    if isinstance(item, yaml.MappingNode) and any(
                            k.value == "id" and isinstance(v, yaml.ScalarNode) and v.value == owner_id for k, v in item.value):
                        return item
    raise EditError(f"no entry or group with id {owner_id!r} in this file")


def _get(node: yaml.MappingNode, key: str) -> tuple[yaml.Node, yaml.Node] | None:
    return next(((k, v) for k, v in node.value if isinstance(k, yaml.ScalarNode) and k.value == key), None)


def add_examples(text: str, owner_id: str, form: str, questions: list[str], today: dt.date) -> str:
    """``text`` (a knowledge file) with ``questions`` added to ``owner_id``'s ``examples: form:`` list."""
    if not questions:
        return text
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError as e:
        raise EditError(f"the file does not parse ({e})") from e
    item = _find(root, owner_id)
    examples = _get(item, "examples")
    if examples is None or not isinstance(examples[1], yaml.MappingNode):
        raise EditError(f"{owner_id!r} has no `examples:` mapping")
    found = _get(examples[1], form)
    if found is None or not isinstance(found[1], yaml.SequenceNode) or not found[1].value:
        raise EditError(f"{owner_id!r} has no `{form}:` list of examples to add to")
    key, seq = found[0], found[1]
    assert isinstance(seq, yaml.SequenceNode)
    lines = text.splitlines(keepends=True)
    comment = f"  # added {today.isoformat()}"
    new = [scalar(q) for q in questions]
    if seq.flow_style:
        # One question a line: each existing one exactly as written, then the new ones.
        indent = " " * (key.start_mark.column + 2)
        old = [text[i.start_mark.index:i.end_mark.index] for i in seq.value]
        block = "".join(f"\n{indent}- {q}" for q in old) + "".join(f"\n{indent}- {q}{comment}" for q in new)
        start, end = seq.start_mark.index, seq.end_mark.index
        rest = text[end:]
        edited = text[:start].rstrip(" ") + block + (rest if rest.startswith(("\n", "\r")) else "\n" + rest.lstrip(" "))
    else:
        first, last = seq.value[0], seq.value[-1]
        prefix = lines[first.start_mark.line][:first.start_mark.column]
        if prefix.strip() != "-":
            raise EditError(f"the `{form}:` list of {owner_id!r} is laid out in a way this tool does not edit; add by hand")
        end_line = last.end_mark.line - (1 if last.end_mark.column == 0 else 0)
        newline = "\r\n" if lines[end_line].endswith("\r\n") else "\n"
        if not lines[end_line].endswith(("\n", "\r")):
            lines[end_line] += newline
        lines[end_line + 1:end_line + 1] = [f"{prefix}{q}{comment}{newline}" for q in new]
        edited = "".join(lines)
    _verify(text, edited, owner_id, form, questions)
    return edited


def _verify(before: str, after: str, owner_id: str, form: str, questions: list[str]) -> None:
    """The edited file must read as the old one plus exactly the new questions."""
    try:
        old: Any = yaml.safe_load(before)
        new: Any = yaml.safe_load(after)
    except yaml.YAMLError as e:
        raise EditError(f"the edit would break the file ({e}); nothing was written") from e
    expected = copy.deepcopy(old)
    for section in SECTIONS:
        for item in (expected.get(section) or []) if isinstance(expected, dict) else []:
            if isinstance(item, dict) and item.get("id") == owner_id:
                item["examples"][form] = list(item["examples"][form]) + list(questions)
    if new != expected:
        raise EditError("the edit would change more than the examples; nothing was written")
