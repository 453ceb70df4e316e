"""The question sets: the bars that a content or matching change must keep.

``questions.yaml`` is the project's own set (tuned on: an upper bound);
``heldout.yaml`` was written apart from the knowledge base and is never copied
into it, so its bars say how the bot does on questions it has never seen.
"""

import json
from pathlib import Path

import pytest

from bot.research import evaluation
from bot.cli import main
from bot.understanding.text import normalise
from tests.helpers import DANGER_BARS, DANGER_FLOOR, HELDOUT_BARS

EVAL = Path(__file__).parent / "eval"
QUESTIONS = EVAL / "questions.yaml"
HELDOUT = EVAL / "heldout.yaml"
DANGER = EVAL / "danger.yaml"
DANGER_HELDOUT = EVAL / "danger-heldout.yaml"
DANGER_HELDOUT2 = EVAL / "danger-heldout2.yaml"
DANGER_HELDOUT3 = EVAL / "danger-heldout3.yaml"
DANGER_HELDOUT4 = EVAL / "danger-heldout4.yaml"
LANGS = ("en", "ur", "sd", "ur-Latn")
# Entries added after the held-out set was written (its writer never saw them): asked in questions.yaml only.
AFTER_HELDOUT = {"domestic-violence", "workplace-closure"}


def _result(store, path: Path) -> dict:
    return evaluation.summary(evaluation.run(store, evaluation.load_items(path)))


@pytest.fixture(scope="module")
def result(store):
    return _result(store, QUESTIONS)


@pytest.fixture(scope="module")
def heldout(store):
    return _result(store, HELDOUT)


@pytest.mark.parametrize("path", [QUESTIONS, HELDOUT], ids=["questions", "heldout"])
def test_question_set_covers_every_entry_and_language(store, path):
    items = evaluation.load_items(path)
    assert len(items) >= 200
    assert {i.lang for i in items} == set(LANGS)
    expected = {e for i in items for e in i.expect}
    entries = {e.id for e in store.kb.entries} - (AFTER_HELDOUT if path == HELDOUT else set())
    assert expected == entries, "every entry needs questions, and no question may name a missing entry"
    assert any(not i.expect for i in items)


def _copied_into_knowledge(kb, items: list) -> list[str]:
    """The items whose text is an example, word or phrase of the knowledge base (normalised)."""
    known = {q for e in kb.entries for qs in e.examples.values() for q in qs}
    known |= {q for g in kb.out_of_scope for qs in g.examples.values() for q in qs}
    known |= {w for words in kb.vocabulary.groups.values() for w in words}
    known |= set(kb.vocabulary.story) | {p for talk in kb.smalltalk for p in talk.phrases}
    known_forms = {normalise(q) for q in known}
    return [i.text for i in items if normalise(i.text) in known_forms]


def test_heldout_set_is_mostly_stories_and_never_copied_into_knowledge(store):
    items = evaluation.load_items(HELDOUT)
    assert sum(i.length == ">15" for i in items) >= len(items) / 3
    assert not _copied_into_knowledge(store.kb, items)


@pytest.mark.parametrize("name", ["realtext.yaml", "realtext-heldout.yaml"])
def test_real_text_sets_are_never_copied_into_knowledge(store, name):
    """Real public text (issue 25) is scored, never copied: no example, word or phrase of the knowledge base is one
    of its items."""
    assert not _copied_into_knowledge(store.kb, evaluation.load_items(EVAL / name))


def test_overall_quality_bar(result):
    assert result["top1"] >= 0.90
    assert result["top3"] >= 0.97
    assert result["abstain"] >= 0.85
    assert result["lang_detect"] >= 0.97
    assert result["by_lang"]["ur-Latn"]["reply_lang"] >= 0.97  # Roman Urdu questions get Roman Urdu answers


@pytest.mark.parametrize("lang", LANGS)
def test_each_language_form_bar(result, lang):
    assert result["by_lang"][lang]["top1"] >= 0.85


def test_heldout_bar(heldout):
    assert heldout["top1"] >= HELDOUT_BARS["top1"], "right entry first (answered, or the first suggestion)"
    assert heldout["by_length"][">15"]["top1"] >= HELDOUT_BARS["stories"], "stories over 15 words"
    assert heldout["declined"] <= HELDOUT_BARS["declined"], "in-scope questions declined"
    assert heldout["abstain"] >= HELDOUT_BARS["abstain"], "out-of-scope questions declined or redirected"
    assert heldout["wrong_outright"] <= HELDOUT_BARS["wrong_outright"], "answered outright with a wrong entry"


@pytest.mark.parametrize("lang", LANGS)
def test_heldout_bar_in_each_language_form(heldout, lang):
    assert heldout["by_lang"][lang]["top1"] >= HELDOUT_BARS["per_form"]


def test_eval_json_carries_every_measure_by_form_and_length(capsys):
    assert main(["eval", str(QUESTIONS), "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    keys = {"n", *evaluation.METRICS}
    assert keys | {"by_lang", "by_length"} == data.keys()
    assert set(data["by_lang"]) == set(LANGS)
    assert set(data["by_length"]) == set(evaluation.LENGTHS)
    assert all(keys == m.keys() for m in [*data["by_lang"].values(), *data["by_length"].values()])
    assert data["n"] == sum(m["n"] for m in data["by_lang"].values()) == sum(m["n"] for m in data["by_length"].values())


def _summary_of(store, tmp_path: Path, items: str) -> dict:
    """The eval summary of a small question set given as YAML lines."""
    path = tmp_path / "q.yaml"
    path.write_text(items, encoding="utf-8")
    return _result(store, path)


def test_eval_counts_declining_as_a_miss(tmp_path, store):
    result = _summary_of(store, tmp_path, '- {text: "who won the cricket match", lang: en, expect: [minimum-wage-amount]}\n'
                                          '- {text: "kam se kam tankhwa", lang: ur-Latn, expect: []}\n')
    assert result["top1"] == 0.0 and result["abstain"] == 0.0
    assert result["declined"] == 1.0


def test_eval_tells_answered_from_suggested_and_wrong_by_length(tmp_path, store):
    result = _summary_of(store, tmp_path, '- {text: "kam se kam tankhwa kitni", lang: ur-Latn, expect: [minimum-wage-amount]}\n'
                                          '- {text: "kam se kam tankhwa kitni", lang: ur-Latn, expect: [overtime]}\n')
    assert result["answered_right"] == 0.5 and result["wrong_outright"] == 0.5
    assert result["by_length"]["<6"]["n"] == 2 and "6-15" not in result["by_length"]


# -- danger (issue 20) ------------------------------------------------------------------------------------------


def _danger(store, path: Path) -> dict:
    from bot.research import danger_eval

    kinds = {k.id for k in store.kb.danger.kinds}
    return danger_eval.summary(danger_eval.run(store, danger_eval.load_danger_items(path, kinds)))


@pytest.fixture(scope="module")
def danger_heldout(store):
    return _danger(store, DANGER_HELDOUT)


@pytest.mark.parametrize("path", [DANGER, DANGER_HELDOUT, DANGER_HELDOUT2, DANGER_HELDOUT3, DANGER_HELDOUT4],
                         ids=["danger", "danger-heldout", "danger-heldout2", "danger-heldout3", "danger-heldout4"])
def test_danger_sets_have_240_messages_in_four_forms_danger_and_near_misses(store, path):
    from bot.research import danger_eval

    items = danger_eval.load_danger_items(path, {k.id for k in store.kb.danger.kinds})
    assert len(items) >= 240
    assert {i.lang for i in items} == set(LANGS)
    # every kind asked (a lone cry, "help", known by whole-message phrases only, some writers did not label)
    assert {k.id for k in store.kb.danger.kinds if not k.whole} <= {k for i in items for k in i.kinds}
    assert sum(1 for i in items if not i.in_danger) >= 60  # near misses


def test_danger_examples_are_never_copied_from_the_danger_sets(store):
    danger = store.kb.danger
    written = {normalise(q) for k in danger.kinds for qs in k.examples.values() for q in qs}
    written |= {normalise(q) for qs in danger.near_misses.values() for q in qs}
    written |= {normalise(m.text) for m in danger.messages}  # knowledge/danger-messages.yaml
    assert len(danger.messages) > 1000
    for path in (DANGER, DANGER_HELDOUT, DANGER_HELDOUT2, DANGER_HELDOUT3, DANGER_HELDOUT4):
        import yaml

        asked = {normalise(i["text"]) for i in yaml.safe_load(path.read_text(encoding="utf-8"))}
        assert not written & asked


def test_danger_heldout_stays_above_its_floor(danger_heldout):
    assert danger_heldout["recall"] >= DANGER_FLOOR["recall"]
    assert danger_heldout["false_alarms"] <= DANGER_FLOOR["false_alarms"]
    for lang in LANGS:
        assert danger_heldout["by_lang"][lang]["recall"] >= DANGER_FLOOR["per_form"], lang


@pytest.mark.xfail(strict=True, reason="issue 20's bars are not reached yet on the held-out half (see DANGER_FLOOR); "
                                       "strict: when they are, this must be turned into a plain test")
def test_danger_heldout_bar(danger_heldout):
    assert danger_heldout["recall"] >= DANGER_BARS["recall"]
    assert danger_heldout["false_alarms"] <= DANGER_BARS["false_alarms"]
    for lang in LANGS:
        assert danger_heldout["by_lang"][lang]["recall"] >= DANGER_BARS["per_form"], lang


def test_danger_eval_counts_only_an_emergency_message_sent_first(tmp_path, store, capsys):
    path = tmp_path / "danger.yaml"
    path.write_text("- {text: 'the owner is beating me with a stick', lang: en, danger: [violence]}\n"
                    "- {text: 'what is the minimum wage', lang: en, danger: []}\n"
                    "- {text: 'I was fired yesterday', lang: en, danger: []}\n", encoding="utf-8")
    assert main(["eval", "--json", str(path)]) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["recall"] == 1.0 and result["false_alarms"] == 0.0
    assert result["by_lang"]["en"]["danger"] == 1 and result["by_kind"]["violence"]["recall"] == 1.0
