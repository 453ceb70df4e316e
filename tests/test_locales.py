"""Every interface message is translated into Urdu, Sindhi and Roman Urdu, with the same placeholders."""

import re

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import PoFileError, read_po

from bot.conversation.i18n import LANGUAGES, LOCALES_DIR, catalog_folder

BOT_DIR = LOCALES_DIR.parent / "bot"

PLACEHOLDER = re.compile(r"\{[a-z_]*\}")


def _catalog(lang):
    with (LOCALES_DIR / catalog_folder(lang) / "LC_MESSAGES" / "messages.po").open("rb") as f:
        return read_po(f, locale=catalog_folder(lang))


def _source_ids():
    """Every message marked in the code, extracted as pybabel does (babel.cfg)."""
    found = extract_from_dir(str(BOT_DIR), [("**.py", "python")], keywords={"_": None, "N_": None, "gettext": None})
    return {message for _, _, message, _, _ in found}


@pytest.mark.parametrize("lang", ["ur", "sd", "ur-Latn"])
def test_every_message_is_translated_with_matching_placeholders(lang):
    catalog = _catalog(lang)
    ids = {m.id for m in catalog if m.id}
    missing = _source_ids() - ids
    assert not missing, f"messages not in the {lang} catalog; run the pybabel commands in the README: {sorted(missing)}"
    for m in catalog:
        if not m.id:
            continue
        assert m.string and not m.fuzzy, f"{lang}: untranslated: {m.id!r}"
        assert sorted(PLACEHOLDER.findall(m.id)) == sorted(PLACEHOLDER.findall(m.string)), f"{lang}: placeholders differ: {m.id!r}"


@pytest.mark.parametrize("lang", LANGUAGES)
def test_every_catalog_reads_without_a_warning(lang, capsys):
    """Babel prints "missing msgstr" and "Problem on line N" for a broken entry and goes on; every start of the bot
    then showed them. abort_invalid turns such a problem into an error this test reports with its line."""
    with (LOCALES_DIR / catalog_folder(lang) / "LC_MESSAGES" / "messages.po").open("rb") as f:
        read_po(f, locale=catalog_folder(lang), abort_invalid=True)
    assert capsys.readouterr() == ("", "")


def test_a_catalog_entry_without_its_msgstr_is_caught(tmp_path):
    broken = tmp_path / "messages.po"
    broken.write_text('msgid "Yes"\nmsgid "No"\nmsgstr ""\n', encoding="utf-8")
    with broken.open("rb") as f, pytest.raises(PoFileError):
        read_po(f, locale="en", abort_invalid=True)


@pytest.mark.parametrize("lang", LANGUAGES)
def test_what_the_bot_says_of_privacy_and_cases_names_no_channel(lang):
    """WhatsApp workers read /privacy and the case texts too: "your Telegram id" would be wrong for them."""
    from bot.conversation.dialogue import PRIVACY, PRIVACY_ALERTS
    from bot.conversation.i18n import gettext_for
    from bot.conversation.referral import EXPLAIN, PRIVACY_CASES

    _ = gettext_for(lang)
    for message in (PRIVACY, PRIVACY_ALERTS, PRIVACY_CASES, EXPLAIN):
        assert not re.search(r"Telegram|ٹیلیگرام|ٽيليگرام", _(message)), _(message)


def test_a_compiled_catalog_is_read_from_the_cache_and_an_edited_one_compiled_again(tmp_path, monkeypatch):
    """A start with an unchanged .po reads the compiled catalog; an edit to the .po is seen on the next start."""
    from bot.conversation import i18n

    monkeypatch.setenv("BOT_CACHE_DIR", str(tmp_path / "cache"))
    po = tmp_path / "locales" / "ur" / "LC_MESSAGES" / "messages.po"
    po.parent.mkdir(parents=True)
    po.write_bytes((LOCALES_DIR / "ur" / "LC_MESSAGES" / "messages.po").read_bytes())
    fresh = i18n.translations("ur", tmp_path / "locales").gettext("Did you mean:")
    assert fresh != "Sources" and len(list((tmp_path / "cache").glob("messages-ur-*.mo"))) == 1
    i18n.translations.cache_clear()
    with monkeypatch.context() as m:
        m.setattr(i18n, "compile_po", lambda source, folder: pytest.fail("compiled again"))
        assert i18n.translations("ur", tmp_path / "locales").gettext("Did you mean:") == fresh
    po.write_text(po.read_text(encoding="utf-8").replace(f'msgstr "{fresh}"', 'msgstr "کیا آپ کا مطلب:"', 1), encoding="utf-8")
    i18n.translations.cache_clear()
    assert i18n.translations("ur", tmp_path / "locales").gettext("Did you mean:") == "کیا آپ کا مطلب:"
    i18n.translations.cache_clear()
