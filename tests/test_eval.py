"""The question set: the bar that a content or matching change must keep."""

import json
from pathlib import Path

import pytest

from bot import evaluation
from bot.cli import main

QUESTIONS = Path(__file__).parent / "eval" / "questions.yaml"
LANGS = ("en", "ur", "sd", "ur-Latn")


@pytest.fixture(scope="module")
def result(store):
    return evaluation.summary(evaluation.run(store, evaluation.load_items(QUESTIONS)))


def test_question_set_covers_every_entry_and_language(store):
    items = evaluation.load_items(QUESTIONS)
    assert len(items) >= 100
    assert {i.lang for i in items} == set(LANGS)
    expected = {e for i in items for e in i.expect}
    assert expected == {e.id for e in store.kb.entries}, "every entry needs questions, and no question may name a missing entry"
    assert any(not i.expect for i in items)


def test_overall_quality_bar(result):
    assert result["top1"] >= 0.90
    assert result["top3"] >= 0.97
    assert result["abstain"] >= 0.85
    assert result["lang_detect"] >= 0.97


@pytest.mark.parametrize("lang", LANGS)
def test_each_language_form_bar(result, lang):
    assert result["by_lang"][lang]["top1"] >= 0.85


def test_eval_json_shape(capsys):
    assert main(["eval", str(QUESTIONS), "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    keys = {"n", "top1", "top3", "abstain", "lang_detect"}
    assert keys | {"by_lang"} == data.keys()
    assert set(data["by_lang"]) == set(LANGS)
    assert all(keys == m.keys() for m in data["by_lang"].values())
    assert data["n"] == sum(m["n"] for m in data["by_lang"].values())


def test_eval_counts_declining_as_a_miss(tmp_path, store):
    path = tmp_path / "q.yaml"
    path.write_text('- {text: "who won the cricket match", lang: en, expect: [minimum-wage-amount]}\n'
                    '- {text: "kam se kam tankhwa", lang: ur-Latn, expect: []}\n', encoding="utf-8")
    result = evaluation.summary(evaluation.run(store, evaluation.load_items(path)))
    assert result["top1"] == 0.0 and result["abstain"] == 0.0
