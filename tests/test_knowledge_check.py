"""What staff see when an edit breaks the knowledge base."""

import datetime as dt
import re
from pathlib import Path

from bot.cli import main
from bot.knowledge.check import check
from bot.knowledge.loader import load_with_problems


def _errors(root: Path) -> list[str]:
    kb, problems = load_with_problems(root)
    assert kb is None, "a broken knowledge base must not load"
    return [str(p) for p in problems if p.severity == "error"]


def _line_of(path: Path, needle: str) -> int:
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if needle in line:
            return n
    raise AssertionError(f"{needle!r} not in {path}")


def test_bundled_knowledge_base_passes(capsys):
    assert main(["kb", "check"]) == 0
    out = capsys.readouterr().out
    assert re.search(r"^ok: \d+ entries in \d+ topics", out, re.M)


def test_bad_indentation_names_file_and_line(kb_copy):
    path = kb_copy / "entries" / "wages.yaml"
    lines = path.read_text(encoding="utf-8").splitlines()
    n = _line_of(path, "- id: equal-pay")
    lines[n] = "   " + lines[n]  # the `title:` under it, pushed out of line
    path.write_text("\n".join(lines), encoding="utf-8")
    errors = _errors(kb_copy)
    assert len(errors) == 1
    file_line = re.match(r"(\S+):(\d+): error: YAML syntax", errors[0])
    assert file_line and file_line.group(1).endswith("entries/wages.yaml")
    assert abs(int(file_line.group(2)) - (n + 1)) <= 1


def test_missing_urdu_answer_names_file_line_and_fix(kb_copy):
    path = kb_copy / "entries" / "hours-and-leave.yaml"
    text = path.read_text(encoding="utf-8")
    start = text.index("      ur: |\n", text.index("- id: working-hours"))
    end = text.index("      sd: |", start)
    path.write_text(text[:start] + text[end:], encoding="utf-8")
    errors = _errors(kb_copy)
    answer_line = _line_of(path, "    answer:") + 1
    assert any(
        e.startswith(f"knowledge/entries/hours-and-leave.yaml:{answer_line}: error: entry 'working-hours': missing Urdu (ur) answer")
        for e in errors
    ), errors


def test_missing_roman_urdu_answer_or_title_is_an_error_like_the_others(kb_copy):
    path = kb_copy / "entries" / "hours-and-leave.yaml"
    text = path.read_text(encoding="utf-8")
    start = text.index("      ur-Latn: |\n", text.index("- id: working-hours"))
    end = text.index("    examples:", start)
    text = text[:start] + text[end:]
    path.write_text(text.replace("      ur-Latn: Hafte ki chutti\n", ""), encoding="utf-8")
    errors = _errors(kb_copy)
    assert any("entry 'working-hours': missing Roman Urdu (ur-Latn) answer; add `ur-Latn:` under `answer:`" in e for e in errors), errors
    assert any("entry 'weekly-holiday': missing Roman Urdu (ur-Latn) title" in e for e in errors), errors


def test_duplicate_id_names_both_places(kb_copy):
    path = kb_copy / "entries" / "unions.yaml"
    text = path.read_text(encoding="utf-8").replace("- id: union-protection", "- id: union-right-to-join")
    path.write_text(text, encoding="utf-8")
    errors = _errors(kb_copy)
    dup = [e for e in errors if "duplicate id 'union-right-to-join'" in e]
    assert len(dup) == 1
    second = _line_of(path, "union-right-to-join") and [n for n, line in enumerate(text.splitlines(), 1) if "- id: union-right-to-join" in line]
    assert dup[0].startswith(f"knowledge/entries/unions.yaml:{second[1]}:")
    assert f"also at knowledge/entries/unions.yaml:{second[0]}" in dup[0]


def test_unknown_placeholder_is_an_error(kb_copy):
    path = kb_copy / "entries" / "wages.yaml"
    text = path.read_text(encoding="utf-8").replace("{minimum_wage_skilled}", "{minimum_wage_skiled}", 1)
    path.write_text(text, encoding="utf-8")
    errors = _errors(kb_copy)
    line = _line_of(path, "- id: minimum-wage-amount")
    assert any(
        e.startswith(f"knowledge/entries/wages.yaml:{line}:") and "unknown placeholder {minimum_wage_skiled}" in e
        for e in errors
    ), errors


def test_duplicate_yaml_key_is_caught(kb_copy):
    path = kb_copy / "facts.yaml"
    text = path.read_text(encoding="utf-8").replace("    value: 40000\n", "    value: 40000\n    value: 43000\n")
    path.write_text(text, encoding="utf-8")
    errors = _errors(kb_copy)
    assert any("facts.yaml" in e and "duplicate key 'value'" in e for e in errors), errors


def test_kb_check_command_exits_1_and_prints_problems(kb_copy, capsys):
    (kb_copy / "entries" / "wages.yaml").write_text("topic: wages\nentries:\n  - id: x\n    title: [", encoding="utf-8")
    assert main(["--knowledge", str(kb_copy), "kb", "check"]) == 1
    out = capsys.readouterr().out
    assert "knowledge/entries/wages.yaml:4: error: YAML syntax" in out
    assert "last good knowledge base" in out


def test_overdue_review_is_a_warning_not_an_error(kb_copy):
    result = check(kb_copy, today=dt.date(2030, 1, 1))
    assert result.ok
    assert any("was due for review" in str(w) for w in result.warnings)


def test_unverified_entries_and_facts_are_listed(capsys):
    assert main(["kb", "check"]) == 0
    out = capsys.readouterr().out
    listed = re.search(r"^not verified \(staff to check\): (.*)$", out, re.M)
    assert listed and "minimum-wage-amount" in listed.group(1)


def test_missing_required_entry_fails_the_check(kb_copy):
    path = kb_copy / "entries" / "help.yaml"
    text = path.read_text(encoding="utf-8")
    start = text.index("  - id: help-emergency")
    path.write_text(text[:start], encoding="utf-8")
    errors = _errors(kb_copy)
    line = _line_of(kb_copy / "required.yaml", "- help-emergency")
    assert f"knowledge/required.yaml:{line}: error: required entry 'help-emergency' is missing; every required id needs an entry in entries/" in errors


def test_required_ids_match_the_project_spec():
    import yaml

    spec = Path(__file__).resolve().parents[2] / "shared" / "spec" / "required-entries.yaml"
    if not spec.is_file():
        import pytest

        pytest.skip("shared/spec is not beside this checkout")
    wanted = {i for ids in yaml.safe_load(spec.read_text(encoding="utf-8")).values() for i in ids}
    ours = set(yaml.safe_load((Path(__file__).resolve().parents[1] / "knowledge" / "required.yaml").read_text(encoding="utf-8"))["required"])
    assert wanted <= ours


def test_bundled_content_fits_phones_and_reads_right_to_left():
    from bot.knowledge.store import DEFAULT_ROOT

    result = check(DEFAULT_ROOT)
    layout = [str(w) for w in result.warnings if "starts with Latin" in str(w) or "phone screen" in str(w)]
    assert layout == []


def test_latin_line_start_in_urdu_is_flagged(kb_copy):
    path = kb_copy / "entries" / "unions.yaml"
    path.write_text(path.read_text(encoding="utf-8").replace("        ہر مزدور کو کسی", "        CBA: ہر مزدور کو کسی"), encoding="utf-8")
    result = check(kb_copy)
    assert any("'union-right-to-join': a ur line starts with Latin text" in str(w) for w in result.warnings)


# -- F9: what `kb check` calls an error, a reload refuses; ids fit Telegram's 64-byte button data ---------------

def _rename(root: Path, old: str, new: str) -> None:
    for path in root.rglob("*.yaml"):
        text = path.read_text(encoding="utf-8")
        if old in text:
            path.write_text(text.replace(old, new), encoding="utf-8")


def _add_example(root: Path, entry_id: str, example: str) -> None:
    """Give ``entry_id`` one more English example question."""
    for path in (root / "entries").glob("*.yaml"):
        text = path.read_text(encoding="utf-8")
        start = text.find(f"- id: {entry_id}\n")
        if start >= 0:
            at = text.index("      en:\n", text.index("    examples:", start)) + len("      en:\n")
            path.write_text(text[:at] + f"        - {example}\n" + text[at:], encoding="utf-8")
            return
    raise AssertionError(entry_id)


def _all_button_data(root: Path) -> list[str]:
    """Every button's data the conversation can show for this knowledge base, in every language."""
    import asyncio

    from bot.conversation.dialogue import Conversation
    from bot.knowledge.store import KnowledgeStore
    from bot.stores.preferences import Preferences

    async def walk() -> list[str]:
        prefs = Preferences(":memory:")
        await prefs.open()
        conv = Conversation(KnowledgeStore(root), prefs)
        kb = conv.knowledge.kb
        out = []
        for lang in ("en", "ur", "sd"):
            actions = [f"topic:{t.id}~{lang}+" for t in kb.topics] + [f"entry:{e.id}~{lang}" for e in kb.entries]
            actions += [f"related:{e.id}~{lang}" for e in kb.entries]
            for action in actions:
                for msg in await conv.action(1, 1, action):
                    out += [b.action for row in msg.buttons for b in row]
        await prefs.close()
        return out

    return asyncio.run(walk())


LONGEST = "wage-deductions-and-fines-that-the-employer-takes"[:47].rstrip("-")


def test_the_longest_ids_allowed_still_fit_in_button_data(kb_copy):
    entry = LONGEST.ljust(47, "x")
    topic = ("wages-pay-and-everything-about-money-at-work-xyz")[:47]
    _rename(kb_copy, "wage-deductions-fines", entry)
    _rename(kb_copy, "id: wages\n", f"id: {topic}\n")
    _rename(kb_copy, "topic: wages\n", f"topic: {topic}\n")
    assert check(kb_copy, self_test=False).ok  # (the self-test only ever warns)
    data = _all_button_data(kb_copy)
    assert any(entry in d for d in data) and any(topic in d for d in data)
    assert max(len(d.encode()) for d in data) <= 64


def test_an_id_too_long_for_button_data_fails_check_and_reload(kb_copy):
    from bot.knowledge.store import KnowledgeStore

    store = KnowledgeStore(kb_copy)
    _rename(kb_copy, "wage-deductions-fines", "wage-deductions-and-fines-that-the-employer-takes-from-pay")
    errors = [str(p) for p in check(kb_copy, self_test=False).errors]
    assert any("wage-deductions-and-fines-that-the-employer-takes-from-pay" in e and "47" in e for e in errors), errors
    assert [p for p in store.reload() if p.severity == "error"]
    assert store.kb.entry("wage-deductions-fines")  # the bot keeps the last good knowledge base


def test_a_duplicate_example_fails_check_and_reload_alike(kb_copy):
    from bot.knowledge.store import KnowledgeStore

    store = KnowledgeStore(kb_copy)
    _add_example(kb_copy, "equal-pay", "How is overtime paid?")
    _add_example(kb_copy, "overtime", "How is overtime paid?")
    assert not check(kb_copy).ok
    problems = [str(p) for p in store.reload() if p.severity == "error"]
    assert any("is also an example of" in p for p in problems), problems


def test_empty_and_yml_entry_files_are_errors_of_their_own(kb_copy):
    (kb_copy / "entries" / "new-topic.yaml").write_text("# to be written\n", encoding="utf-8")
    (kb_copy / "entries" / "blank.yaml").write_text("", encoding="utf-8")
    (kb_copy / "entries" / "extra.yml").write_text("topic: wages\nentries: []\n", encoding="utf-8")
    errors = [str(p) for p in check(kb_copy, self_test=False).errors]
    assert any(e.startswith("knowledge/entries/new-topic.yaml") and "empty" in e for e in errors), errors
    assert any(e.startswith("knowledge/entries/blank.yaml") and "empty" in e for e in errors), errors
    assert any(e.startswith("knowledge/entries/extra.yml") and ".yaml" in e for e in errors), errors
