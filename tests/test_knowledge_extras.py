"""What staff see when they edit out-of-scope groups, small talk and the vocabulary."""

from pathlib import Path

from bot.conversation.answers import respond
from bot.knowledge.check import check
from bot.knowledge.loader import load_with_problems
from bot.knowledge.store import KnowledgeStore

FORMS = ("en", "ur", "sd", "ur-Latn")


def _problems(root: Path, severity: str) -> list[str]:
    _, problems = load_with_problems(root)
    return [str(p) for p in problems if p.severity == severity]


def _group(group_id: str, forms=FORMS, redirect: bool = True) -> str:
    lines = [f"  - id: {group_id}", "    about: test group"]
    if redirect:
        lines += ["    redirect:", "      en: Ask the post office.", "      ur: ڈاک خانے سے پوچھیں۔", "      sd: ڊاڪخاني کان پڇو.",
                  "      ur-Latn: Dak khane se poochein."]
    lines.append("    examples:")
    lines += [f"      {form}: [zorblax parcel stamps, zorblax letter, zorblax parcel post, zorblax stamps price]" for form in forms]
    return "\n".join(lines)


def test_a_new_out_of_scope_group_redirects_its_questions(kb_copy):
    path = kb_copy / "out-of-scope.yaml"
    path.write_text(path.read_text(encoding="utf-8") + "\n" + _group("post-office") + "\n", encoding="utf-8")
    store = KnowledgeStore(kb_copy)
    reply = respond(store, "how much are zorblax stamps for a parcel")
    assert reply.match.outcome == "redirected"
    assert reply.match.group == "post-office"
    assert reply.entry_id is None


def test_out_of_scope_group_without_a_form_names_file_and_line(kb_copy):
    path = kb_copy / "out-of-scope.yaml"
    text = path.read_text(encoding="utf-8")
    path.write_text(text + "\n" + _group("post-office", forms=("en", "ur", "sd")) + "\n", encoding="utf-8")
    line = len(text.splitlines()) + 1 + 9  # the first form under `examples:` of the appended group
    errors = _problems(kb_copy, "error")
    assert any(e.startswith(f"knowledge/out-of-scope.yaml:{line}: error: out-of-scope group 'post-office': add Roman Urdu") for e in errors), errors


def test_out_of_scope_group_may_not_reuse_an_entry_id(kb_copy):
    path = kb_copy / "out-of-scope.yaml"
    path.write_text(path.read_text(encoding="utf-8") + "\n" + _group("overtime") + "\n", encoding="utf-8")
    assert any("'overtime': the id is already used" in e for e in _problems(kb_copy, "error"))


def test_a_word_in_two_vocabulary_groups_is_an_error(kb_copy):
    path = kb_copy / "vocabulary.yaml"
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace("groups:\n", "groups:\n  - id: twice\n    words: [tankhwa, zorblax]\n", 1), encoding="utf-8")
    errors = _problems(kb_copy, "error")
    assert any(e.startswith("knowledge/vocabulary.yaml:") and "'tankhwa' is in both" in e for e in errors), errors
    kb, _ = load_with_problems(kb_copy)
    assert kb is None, "an ambiguous word must not load"


def test_a_one_word_vocabulary_group_is_a_warning(kb_copy):
    path = kb_copy / "vocabulary.yaml"
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace("groups:\n", "groups:\n  - id: lonely\n    words: [zorblax]\n", 1), encoding="utf-8")
    warnings = _problems(kb_copy, "warning")
    assert any("'lonely' has one word only" in w for w in warnings), warnings
    assert check(kb_copy).ok


def test_a_word_staff_add_to_the_vocabulary_is_understood_by_every_entry(kb_copy):
    question = "zorblax ki chutti kitne din ki hoti hai"
    assert KnowledgeStore(kb_copy).matcher.match(question).entry_id != "maternity-leave"
    path = kb_copy / "vocabulary.yaml"
    text = path.read_text(encoding="utf-8")
    group = next(line for line in text.splitlines() if "zachgi" in line)
    path.write_text(text.replace(group, group.replace("[", "[zorblax, ", 1)), encoding="utf-8")
    assert KnowledgeStore(kb_copy).matcher.match(question).entry_id == "maternity-leave"


def test_nonsense_is_declined_not_sent_elsewhere(store):
    for text in ("zorblax", "qwxz vbnm"):
        assert store.matcher.match(text).outcome == "declined"


def test_small_talk_without_a_reply_language_is_an_error(kb_copy):
    path = kb_copy / "smalltalk.yaml"
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace("smalltalk:\n", "smalltalk:\n  - id: wave\n    phrases: [zorblax]\n    reply:\n      en: Hi!\n", 1),
                    encoding="utf-8")
    errors = _problems(kb_copy, "error")
    assert any("small talk 'wave': missing Urdu (ur) reply" in e for e in errors), errors


def test_knowledge_base_without_the_optional_files_still_loads(kb_copy):
    for name in ("out-of-scope.yaml", "smalltalk.yaml", "vocabulary.yaml"):
        (kb_copy / name).unlink()
    store = KnowledgeStore(kb_copy)
    assert store.matcher.match("hello").outcome != "smalltalk"
    assert store.matcher.match("kam se kam tankhwa kitni hai").entry_id == "minimum-wage-amount"
