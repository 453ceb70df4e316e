import pytest

from bot.understanding.language import detect, reply_language


@pytest.mark.parametrize(
    "text, form",
    [
        ("What is the minimum wage?", "en"),
        ("my boss did not pay me", "en"),
        ("کم از کم تنخواہ کتنی ہے؟", "ur"),
        ("مجھے نوکری سے نکال دیا گیا", "ur"),
        ("گهٽ ۾ گهٽ پگهار ڪيتري آهي؟", "sd"),
        ("مون کي نوڪري مان ڪڍي ڇڏيو", "sd"),
        ("kam se kam tankhwa kitni hai", "ur-Latn"),
        ("meri salary nahi mili", "ur-Latn"),
        ("minimum wage kitni hai", "ur-Latn"),
        ("union join kiya to dhamki", "ur-Latn"),  # English loanwords, Urdu grammar
        ("پينشن اي او بي آءِ", "sd"),  # only the Arabic yeh that Sindhi writes tells it from Urdu
        ("پینشن ای او بی آئی", "ur"),  # the same with the Farsi yeh of Urdu
    ],
)
def test_detects_the_four_language_forms(text, form):
    assert detect(text) == form


def test_sindhi_without_special_letters_is_told_by_its_words():
    # typed on an Urdu keyboard: no ڪ or ٽ, but Sindhi function words
    assert detect("پگهار ملي ته آهي") == "sd"


def test_no_letters_means_unknown():
    assert detect("12345 👍") is None
    assert detect("") is None


def test_roman_urdu_is_answered_in_roman_urdu():
    assert reply_language("ur-Latn") == "ur-Latn"
    assert reply_language("sd") == "sd"
    assert reply_language(None) == "ur"
