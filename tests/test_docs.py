"""The README stays true: every command has help and is shown there, and every setting is in its table."""

from __future__ import annotations

import argparse
import re
from pathlib import Path

import pytest

from bot import cli

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text(encoding="utf-8")


def commands(parser: argparse.ArgumentParser, prefix: str = "") -> list[tuple[str, str | None]]:
    """(command path, help) for every subcommand, nested ones (``kb check``) included."""
    found = []
    for action in parser._actions:  # noqa: SLF001 - argparse has no public walk of its subcommands
        if isinstance(action, argparse._SubParsersAction):  # noqa: SLF001
            helps = {choice.dest: choice.help for choice in action._choices_actions}  # noqa: SLF001
            for name, sub in action.choices.items():
                found.append((f"{prefix}{name}", helps.get(name)))
                found += commands(sub, f"{prefix}{name} ")
    return found


COMMANDS = commands(cli.parser())


def test_the_command_groups_register_every_command():
    names = {name for name, _ in COMMANDS}
    assert {"ask", "eval", "kb", "kb check", "kb facts", "report", "gaps", "export", "purge", "run", "chat",
            "backup", "restore", "doctor"} <= names


@pytest.mark.parametrize("name, help", COMMANDS, ids=[name for name, _ in COMMANDS])
def test_every_command_has_help(name, help):
    assert help and help.strip(), f"`main.py {name}` has no help text"


@pytest.mark.parametrize("name", [name for name, _ in COMMANDS if name != "kb"])
def test_every_command_is_in_the_readme(name):
    assert f"main.py {name}" in README, f"the README never shows `main.py {name}`"


def test_every_setting_is_in_the_readmes_table():
    source = (ROOT / "bot" / "config.py").read_text(encoding="utf-8")
    variables = sorted(set(re.findall(r'"((?:BOT|TELEGRAM)_[A-Z_]+)"', source)))
    assert len(variables) >= 15  # the search found them
    missing = [v for v in variables if f"`{v}`" not in _settings_table()]
    assert not missing, f"settings missing from the README's table (or cut off from it by a paragraph): {missing}"


def test_every_database_the_bot_keeps_is_named_in_the_data_dir_row():
    """QA G25: the BOT_DATA_DIR row left out cases.sqlite3."""
    source = "\n".join(p.read_text(encoding="utf-8") for p in (ROOT / "bot").rglob("*.py"))
    databases = sorted(set(re.findall(r'"([a-z_-]+\.sqlite3)"', source)))
    assert "cases.sqlite3" in databases  # the search found them
    row = next(line for line in _settings_table().splitlines() if line.startswith("| `BOT_DATA_DIR`"))
    assert [d for d in databases if f"`{d}`" not in row] == []


def _settings_table() -> str:
    """The README's settings table as Markdown renders it: from its header to the first line that is not a row (a
    row after a paragraph is plain text to a reader, though it looks like a row in the file)."""
    lines = README.splitlines()
    start = lines.index("| variable | default | what it sets |")
    end = next((i for i in range(start, len(lines)) if not lines[i].startswith("|")), len(lines))
    return "\n".join(lines[start:end])


def test_each_command_group_names_the_commands_it_registers():
    """``main.py ask`` makes only its group's parsers: each group must name exactly the commands it adds."""
    for group in cli.GROUPS:
        root = argparse.ArgumentParser()
        sub = root.add_subparsers()
        group.register(sub)
        assert tuple(sub.choices) == group.COMMANDS, group.__name__


@pytest.mark.parametrize("argv", [["ask", "what is the minimum wage"], ["--knowledge", "report", "kb", "check"],
                                  ["--know", "report", "ask", "x"], ["--webhook-url", "https://x", "run"], ["chat"]])
def test_a_command_parses_the_same_with_only_its_group(argv):
    whole = cli.parser().parse_args(argv)
    assert vars(cli.parser(argv).parse_args(argv)) == vars(whole)
