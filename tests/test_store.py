"""A broken edit never replaces a working knowledge base."""

import pytest

from bot.conversation.answers import respond
from bot.knowledge.store import KnowledgeStore


def test_reload_keeps_the_old_knowledge_base_when_the_new_one_is_broken(kb_copy):
    store = KnowledgeStore(kb_copy)
    before = store.current
    (kb_copy / "entries" / "wages.yaml").write_text("topic: wages\nentries: [\n", encoding="utf-8")
    problems = store.reload()
    assert any(p.severity == "error" and "wages.yaml" in p.file for p in problems)
    assert store.current is before
    assert respond(store, "kam se kam tankhwa kitni hai").entry_id == "minimum-wage-amount"


def test_reload_swaps_in_a_good_edit(kb_copy):
    store = KnowledgeStore(kb_copy)
    facts = kb_copy / "facts.yaml"
    facts.write_text(facts.read_text(encoding="utf-8").replace("value: 021-34325500", "value: 021-0000000"), encoding="utf-8")
    problems = store.reload()
    assert not [p for p in problems if p.severity == "error"]
    assert store.kb.facts["nowcommunities_phone"].value == "021-0000000"


def test_entries_are_immutable(store):
    entry = store.kb.entry("overtime")
    with pytest.raises(TypeError):
        entry.answer["en"] = "changed"  # type: ignore[index]
    with pytest.raises(AttributeError):
        entry.verified = True  # type: ignore[misc]
