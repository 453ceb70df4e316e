"""Adding examples to a knowledge file in place: only the new lines change, and the file reads back the same."""

from __future__ import annotations

import datetime as dt
import difflib

import pytest
import yaml

from bot.staff.yamledit import EditError, add_examples

DAY = dt.date(2026, 11, 28)

ENTRIES = """\
topic: wages
# a comment staff wrote
entries:
  - id: overtime
    title: {en: Overtime, ur: اوور ٹائم, sd: اوور ٽائيم}
    examples:
      en:
        - "overtime rate?"   # quoted, with a comment
        - how much for extra hours
      ur-Latn:
        - overtime ka rate
    keywords: [overtime]
  - id: working-hours
    examples:
      en:
        - how many hours a day
"""


def added_lines(before: str, after: str) -> list[str]:
    diff = list(difflib.ndiff(before.splitlines(), after.splitlines()))
    assert not [d for d in diff if d.startswith("- ")], "a line was removed or changed"
    return [d[2:] for d in diff if d.startswith("+ ")]


def test_new_questions_go_after_the_last_of_their_form_with_the_date_and_nothing_else_moves():
    after = add_examples(ENTRIES, "overtime", "en", ["extra ghante", "double pay for sunday"], DAY)
    assert added_lines(ENTRIES, after) == ["        - extra ghante  # added 2026-11-28",
                                           "        - double pay for sunday  # added 2026-11-28"]
    assert after.index("how much for extra hours") < after.index("extra ghante") < after.index("ur-Latn:")
    assert yaml.safe_load(after)["entries"][1] == yaml.safe_load(ENTRIES)["entries"][1]


@pytest.mark.parametrize("question", [
    "salary: kab milegi?", "- a dash first", "#hashtag overtime", "it's 'quoted' and \"double\"", "yes", "123",
    "null", "overtime @ 2x", "[brackets] {braces}", "a: b # c", "  spaces  ", "ڪم جا ڪلاڪ؟",
])
def test_any_question_reads_back_exactly_as_it_was_asked(question):
    after = add_examples(ENTRIES, "working-hours", "en", [question], DAY)
    assert yaml.safe_load(after)["entries"][1]["examples"]["en"][-1] == question
    assert len(added_lines(ENTRIES, after)) == 1


def test_a_one_line_list_becomes_one_question_a_line_each_kept_as_written():
    text = "groups:\n  - id: games\n    examples:\n      en: [cricket score, 'ludo: coins', \"pubg\"]  # games\n" \
           "      ur: [کرکٹ]\n"
    after = add_examples(text, "games", "en", ["match kab hai"], DAY)
    assert "      en:\n        - cricket score\n        - 'ludo: coins'\n        - \"pubg\"\n" \
           "        - match kab hai  # added 2026-11-28\n" in after
    assert "# games" in after and "      ur: [کرکٹ]\n" in after
    assert yaml.safe_load(after)["groups"][0]["examples"]["en"] == ["cricket score", "ludo: coins", "pubg", "match kab hai"]


def test_windows_line_endings_stay_windows_line_endings():
    text = ENTRIES.replace("\n", "\r\n")
    after = add_examples(text, "working-hours", "en", ["shift kitne ghante"], DAY)
    assert "\r\n        - shift kitne ghante  # added 2026-11-28\r\n" in after
    assert after.count("\n") == after.count("\r\n")


@pytest.mark.parametrize("owner, form, message", [
    ("no-such-entry", "en", "no entry or group"),
    ("working-hours", "sd", "no `sd:` list"),
])
def test_what_cannot_be_added_is_refused_with_a_reason(owner, form, message):
    with pytest.raises(EditError, match=message):
        add_examples(ENTRIES, owner, form, ["anything"], DAY)


def test_a_question_over_several_lines_is_refused_rather_than_written_wrong():
    with pytest.raises(EditError):
        add_examples(ENTRIES, "overtime", "en", ["first line\nsecond line"], DAY)
