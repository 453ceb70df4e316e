"""Names workers type about themselves or others never reach the log, and so never /gaps in a staff group (QA G24)."""

from __future__ import annotations

import pytest

from bot.stores.scrub import scrub


@pytest.mark.parametrize("text, names, kept, gone", [
    ("I am Ayesha Khatoon, my wages are late", ("Ayesha",), "my wages are late", ("Ayesha", "Khatoon")),
    ("my friend Shabana Parveen was fired without notice", (), "was fired without notice", ("Shabana", "Parveen")),
    ("meri saheli Naseem ko tankhwa nahi mili", (), "ko tankhwa nahi mili", ("Naseem",)),
    ("my sister Rukhsana Bibi works in a garment factory", (), "works in a garment factory", ("Rukhsana", "Bibi")),
])
def test_names_typed_after_an_introduction_or_a_relation_are_taken_out(text, names, kept, gone):
    out = scrub(text, names)
    assert kept in out and "<name>" in out
    assert not any(g in out for g in gone), out


@pytest.mark.parametrize("text", ["my friend works in a factory", "I am <name>. Please help me",
                                  "my employer Company Limited pays late"])
def test_ordinary_words_after_a_relation_or_a_name_stay(text):
    out = scrub(text)
    assert out.split()[:3] == text.split()[:3] and ("Please help" in out or "Please" not in text)
