"""What the worker reads: the answer, figures filled in per language, the source."""

import io
import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from bot.cli import main
from bot.conversation.dialogue import Conversation
from bot.knowledge.store import KnowledgeStore

ROOT = Path(__file__).resolve().parent.parent


def answer_text(conversation: Conversation, entry_id: str, lang: str) -> str:
    """An entry's answer as a worker reads it: the title, then the answer, its caveats and the law line."""
    return conversation.answer_message(conversation.knowledge.kb.entry(entry_id), lang).sent


def test_answer_has_title_figures_and_source_in_urdu(conversation):
    text = answer_text(conversation, "minimum-wage-amount", "ur")
    assert text.startswith("سندھ میں کم از کم تنخواہ")
    assert "40,000 روپے" in text
    assert "1 جولائی 2025" in text
    assert "قانون: سندھ کم از کم اجرت ایکٹ 2015، دفعہ 1، 9" in text  # the law line, in Urdu
    assert "{" not in text  # no placeholder left


def test_figures_are_rendered_per_language(conversation):
    assert "Rs 40,000" in answer_text(conversation, "minimum-wage-amount", "en")
    assert "1 July 2025" in answer_text(conversation, "minimum-wage-amount", "en")
    assert "40,000 رپيا" in answer_text(conversation, "minimum-wage-amount", "sd")


def test_changing_the_minimum_wage_is_one_edit(kb_copy, prefs):
    facts = kb_copy / "facts.yaml"
    facts.write_text(facts.read_text(encoding="utf-8").replace("value: 40000", "value: 43000"), encoding="utf-8")
    conversation = Conversation(KnowledgeStore(kb_copy), prefs)
    for lang, figure in [("en", "Rs 43,000"), ("ur", "43,000 روپے"), ("sd", "43,000 رپيا")]:
        text = answer_text(conversation, "minimum-wage-amount", lang)
        assert figure in text and "40,000" not in text


def test_an_unconfirmed_figure_says_what_is_not_confirmed(conversation):
    assert not conversation.knowledge.kb.facts["minimum_wage_unskilled"].verified
    assert "Not confirmed yet: the rate from 1 July 2026" in answer_text(conversation, "minimum-wage-amount", "en")
    assert "ابھی تصدیق نہیں ہوئی: 1 جولائی 2026 سے نئی شرح" in answer_text(conversation, "minimum-wage-amount", "ur")
    assert "still being checked by NOWCommunities staff" not in answer_text(conversation, "minimum-wage-amount", "en")


async def test_decline_points_to_nowcommunities(conversation):
    text = (await conversation.text(1, 1, "who won the cricket match"))[-1].text
    assert "021-34325500" in text


def test_ask_prints_a_roman_urdu_question_answered_in_roman_urdu(capsys):
    assert main(["ask", "kam", "se", "kam", "tankhwa", "kitni", "hai"]) == 0
    out = capsys.readouterr().out
    assert "Sindh mein kam se kam tankhwa" in out.split("\n")[0] and "Rs 40,000" in out
    assert not re.search(r"[\u0600-\u06FF]", out)


def test_ask_prints_an_urdu_question_answered_in_urdu(capsys):
    assert main(["ask", "کم از کم تنخواہ کتنی ہے"]) == 0
    out = capsys.readouterr().out
    assert "کم از کم تنخواہ" in out and "Source" not in out.split("\n")[0]


def test_ask_json_has_the_documented_shape(capsys):
    assert main(["ask", "--json", "kam se kam tankhwa kitni hai"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert {"text", "detected_lang", "reply_lang", "entry_id", "confidence", "alternatives", "answer"} <= data.keys()
    assert data["text"] == "kam se kam tankhwa kitni hai"
    assert data["detected_lang"] == "ur-Latn" and data["reply_lang"] == "ur-Latn"
    assert data["entry_id"] == "minimum-wage-amount"
    assert 0 < data["confidence"] <= 1
    assert all({"entry_id", "confidence"} == a.keys() for a in data["alternatives"])
    assert "40,000" in data["answer"]


@pytest.mark.slow
def test_ask_json_for_an_english_question_is_json_and_nothing_else():
    """QA G13: a catalog warning printed before the JSON made `ask --json` unreadable for English questions."""
    done = subprocess.run([sys.executable, "main.py", "ask", "--json", "what is the minimum wage"], cwd=ROOT,
                          capture_output=True, text=True, timeout=120, check=True)
    data = json.loads(done.stdout)
    assert data["reply_lang"] == "en" and data["entry_id"] == "minimum-wage-amount"


def test_ask_json_when_declining(capsys):
    assert main(["ask", "--json", "--lang", "sd", "who won the cricket match"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["entry_id"] is None and data["answer"] is None
    assert data["reply_lang"] == "sd"
    assert re.search(r"[\u0600-\u06FF]", data["reply"])  # the decline itself is in Sindhi


def test_ask_prints_what_the_terminal_chat_shows(capsys, store, tmp_path):
    from bot.bootstrap import bootstrap
    from bot.channels.terminal import run_terminal_chat
    from bot.config import Settings
    from bot.stores.preferences import Preferences

    for question in ("kam se kam tankhwa kitni hai", "leave", "who won the cricket match"):
        assert main(["ask", question]) == 0
        asked = capsys.readouterr().out.strip("\n")
        lines = iter([question, "/quit"])
        chat = io.StringIO()
        run_terminal_chat(bootstrap(Settings(data_dir=tmp_path), store, prefs=Preferences(":memory:"),
                                    log_questions=False), read=lambda prompt, lines=lines: next(lines), out=chat)
        assert chat.getvalue().rstrip("\n").endswith(asked), question
    assert not (tmp_path / "queries.sqlite3").exists()


async def test_the_language_of_a_message_is_detected_once(conversation, monkeypatch):
    import bot.conversation.answers
    import bot.understanding.language

    calls = []
    real = bot.understanding.language.detect
    monkeypatch.setattr(bot.conversation.answers, "detect", lambda text: calls.append(text) or real(text))
    await conversation.text(1, 1, "kam se kam tankhwa kitni hai")
    assert len(calls) == 1
