"""kb check: the Urdu, Sindhi and Roman Urdu answers say the same figures as the English, in the glossary's words."""

from pathlib import Path

from bot.cli import main
from bot.knowledge.check import check
from bot.knowledge.loader import load_with_problems

EN = "Complain within 7 days; the fine is Rs 100,000. Call NOWCommunities on {nowcommunities_phone}."
UR = "7 دن میں شکایت کریں؛ جرمانہ 100,000 روپے ہے۔ NOWCommunities کو {nowcommunities_phone} پر فون کریں۔"
SD = "7 ڏينهن ۾ شڪايت ڪريو؛ ڏنڊ 100,000 رپيا آهي. NOWCommunities کي {nowcommunities_phone} تي فون ڪريو."


def _translation_errors(root: Path) -> list[str]:
    return [str(p) for p in check(root, self_test=False).errors if "does not say the same as the English" in p.message]


def test_matching_translations_pass(kb_copy, add_entry):
    add_entry(EN, UR, SD)
    assert _translation_errors(kb_copy) == []


def test_a_dropped_number_in_urdu_is_an_error_at_the_urdu_line(kb_copy, add_entry, line_of):
    path = add_entry(EN, UR.replace("7 دن", "دنوں"), SD)
    errors = _translation_errors(kb_copy)
    line = line_of(path, "دنوں میں شکایت")
    assert len(errors) == 1
    assert errors[0].startswith(f"knowledge/entries/test-translated.yaml:{line}: error: entry 'test-translated': the Urdu (ur) answer")
    assert "missing 7" in errors[0]


def test_a_changed_number_names_both(kb_copy, add_entry):
    add_entry(EN, UR, SD.replace("100,000", "10,000"))
    [error] = _translation_errors(kb_copy)
    assert "Sindhi (sd)" in error and "missing 100,000" in error and "has 10,000 that the English does not" in error


def test_urdu_and_arabic_indic_digits_count_as_the_same_numbers(kb_copy, add_entry):
    add_entry(EN, UR.replace("7 دن", "۷ دن").replace("100,000", "۱۰۰٬۰۰۰"), SD.replace("7 ڏينهن", "٧ ڏينهن"))
    assert _translation_errors(kb_copy) == []


def test_urdu_digits_that_differ_are_still_caught(kb_copy, add_entry):
    add_entry(EN, UR.replace("7 دن", "۸ دن"), SD)
    [error] = _translation_errors(kb_copy)
    assert "missing 7" in error and "has 8" in error


def test_lakh_and_million_are_the_same_amounts(kb_copy, add_entry):
    en = "Up to 5 years or Rs 5 million; stalking: up to Rs 1 million or Rs 100,000 in some cases."
    ur = "5 سال تک قید یا 50 لاکھ روپے تک؛ پیچھا کرنا: 10 لاکھ روپے تک یا کچھ صورتوں میں 1 لاکھ روپے۔"
    sd = "5 سالن تائين قيد يا 50 لک رپيا تائين؛ پيڇو ڪرڻ: 10 لک رپيا تائين يا ڪجهه صورتن ۾ 1,00,000 رپيا."
    add_entry(en, ur, sd)
    assert _translation_errors(kb_copy) == []


def test_lakh_that_is_not_the_english_amount_is_an_error(kb_copy, add_entry):
    add_entry("A fine of Rs 5 million.", "5 لاکھ روپے جرمانہ۔", "50 لک رپيا ڏنڊ.")
    [error] = _translation_errors(kb_copy)
    assert "Urdu (ur)" in error and "missing 5,000,000" in error and "has 500,000" in error


def test_half_hours_written_in_words_match(kb_copy, add_entry):
    add_entry("A break after 3½ hours.", "ساڑھے 3 گھنٹے بعد وقفہ۔", "ساڍن 3 ڪلاڪن کانپوءِ وقفو.")
    assert _translation_errors(kb_copy) == []


def test_a_financial_year_written_short_or_long_matches(kb_copy, add_entry):
    add_entry("The 2026-27 rate.", "2026-2027 کی شرح۔", "2026-27 جي شرح.")
    assert _translation_errors(kb_copy) == []


def test_a_missing_placeholder_is_an_error(kb_copy, add_entry):
    add_entry(EN, UR.replace("{nowcommunities_phone}", "دفتر"), SD)
    [error] = _translation_errors(kb_copy)
    assert "Urdu (ur)" in error and "placeholders: missing {nowcommunities_phone}" in error


def test_a_phone_number_that_differs_is_an_error(kb_copy, add_entry):
    en = "Call the Board on 021-99211344."
    add_entry(en, "بورڈ کو 021-99211345 پر فون کریں۔", "بورڊ کي 021-99211344 تي فون ڪريو.")
    [error] = _translation_errors(kb_copy)
    assert "Urdu (ur)" in error and "phone numbers: missing 021-99211344" in error and "021-99211345" in error


def test_the_same_phone_number_written_differently_passes(kb_copy, add_entry):
    add_entry("Call the Board on 021-99211344.", "بورڈ کو +92 21 99211344 پر فون کریں۔", "بورڊ کي ۰۲۱۹۹۲۱۱۳۴۴ تي فون ڪريو.")
    assert _translation_errors(kb_copy) == []


def test_the_check_command_fails_on_a_mismatch(kb_copy, add_entry, capsys):
    add_entry(EN, UR.replace("100,000", "10,000"), SD)
    assert main(["--knowledge", str(kb_copy), "kb", "check"]) == 1
    assert "the bot keeps its last good knowledge base until they are fixed" in capsys.readouterr().out


# -- glossary -------------------------------------------------------------------


def _glossary_warnings(root: Path) -> list[str]:
    return [str(p) for p in check(root, self_test=False).warnings if "(glossary:" in p.message]


def test_corruption_for_misconduct_warns_at_its_line(kb_copy, add_entry, line_of):
    path = add_entry(
        "Dismissed for misconduct: you get no gratuity.",
        "بدعنوانی پر برطرفی: گریجویٹی نہیں ملتی۔",
        "بدعملي (مس ڪنڊڪٽ) تي برطرفي: گريجوئيٽي نه ملندي.",
    )
    [warning] = _glossary_warnings(kb_copy)
    assert warning.startswith(f"knowledge/entries/test-translated.yaml:{line_of(path, 'بدعنوانی پر')}: warning:")
    assert "'بدعنوانی' (corruption)" in warning and "بدعملی (مس کنڈکٹ)" in warning


def test_bare_ombudsman_warns_in_harassment_entries_only(kb_copy, add_entry):
    en, ur, sd = "Complain to the Ombudsperson.", "محتسب کو شکایت کریں۔", "محتسب وٽ شڪايت ڪريو."
    add_entry(en, ur, sd, entry_id="test-harassment", topic="harassment")
    add_entry(en, ur, sd, entry_id="test-government", topic="help")
    warnings = _glossary_warnings(kb_copy)
    assert len(warnings) == 2
    assert all("test-harassment" in w for w in warnings)


def test_the_full_name_of_the_harassment_ombudsperson_passes(kb_copy, add_entry):
    add_entry(
        "Complain to the harassment Ombudsperson (not the general one); appeal to the same Ombudsperson.",
        "کام کی جگہ پر ہراسانی کے خلاف محتسب کو شکایت کریں (یہ عام صوبائی محتسب نہیں)؛ اسی محتسب کو اپیل کریں۔",
        "ڪم جي جاءِ تي هراساني خلاف محتسب کي شڪايت ڪريو؛ ساڳئي محتسب کي اپيل ڪريو.",
        topic="harassment",
    )
    assert _glossary_warnings(kb_copy) == []


def test_a_malformed_glossary_is_an_error_and_a_reload_refuses_it(kb_copy, line_of):
    path = kb_copy / "glossary.yaml"
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace("        lang: ur\n", "        lang: urdu\n", 1), encoding="utf-8")
    result = check(kb_copy)
    line = line_of(path, "lang: urdu")
    assert f"knowledge/glossary.yaml:{line}: error: term 'misconduct': `lang:` must be one of en, ur, sd, ur-Latn" in map(str, result.errors)
    kb, _ = load_with_problems(kb_copy)
    assert kb is None  # a reload refuses whatever kb check calls an error


def test_glossary_yaml_syntax_error_names_its_line(kb_copy):
    (kb_copy / "glossary.yaml").write_text("terms:\n  - id: misconduct\n    en: [misconduct\n", encoding="utf-8")
    errors = [str(e) for e in check(kb_copy, self_test=False).errors]
    assert any(e.startswith("knowledge/glossary.yaml:") and "YAML syntax" in e for e in errors), errors


def test_glossary_rule_for_an_unknown_entry_is_an_error(kb_copy, line_of):
    path = kb_copy / "glossary.yaml"
    path.write_text(path.read_text(encoding="utf-8").replace("entries: [minimum-wage-amount]", "entries: [minimum-wages]"), encoding="utf-8")
    errors = [str(e) for e in check(kb_copy, self_test=False).errors]
    assert f"knowledge/glossary.yaml:{line_of(path, 'minimum-wages]')}: error: term 'conveyance': entry 'minimum-wages' does not exist" in errors


# -- Roman Urdu answers are held to the same figures and words ------------------------------------------------

RL = "7 din mein shikayat karein; jurmana Rs 100,000 hai. NOWCommunities ko {nowcommunities_phone} par call karein."


def test_a_roman_urdu_answer_with_a_dropped_number_or_placeholder_is_an_error(kb_copy, add_entry, line_of):
    path = add_entry(EN, UR, SD, roman=RL.replace("7 din", "kuch din").replace("{nowcommunities_phone}", "office"))
    [error] = _translation_errors(kb_copy)
    assert error.startswith(f"knowledge/entries/test-translated.yaml:{line_of(path, 'kuch din mein')}: error:")
    assert "Roman Urdu (ur-Latn)" in error and "missing 7" in error and "{nowcommunities_phone}" in error


def test_roman_urdu_thousands_in_words_match(kb_copy, add_entry):
    add_entry(EN, UR, SD, roman=RL.replace("Rs 100,000", "Rs 100 hazar"))
    assert _translation_errors(kb_copy) == []


def test_a_roman_urdu_phone_number_that_differs_is_an_error(kb_copy, add_entry):
    add_entry(EN + " Or 021-34325500.", UR + " یا 021-34325500۔", SD + " يا 021-34325500.", roman=RL + " Ya 021-34325501.")
    [error] = _translation_errors(kb_copy)
    assert "Roman Urdu (ur-Latn)" in error and "phone numbers" in error


def test_bare_mohtasib_in_a_roman_urdu_harassment_answer_warns_and_the_full_name_passes(kb_copy, add_entry):
    en, ur, sd = "Complain to the harassment Ombudsperson.", "ہراسانی کے خلاف محتسب کو شکایت کریں۔", "هراساني خلاف محتسب وٽ شڪايت ڪريو."
    add_entry(en, ur, sd, roman="Mohtasib ko shikayat karein.", entry_id="test-bare", topic="harassment")
    add_entry(en, ur, sd, roman="Harassment Mohtasib (Ombudsperson) ko shikayat karein, aam Soobai Mohtasib ko nahi.",
              entry_id="test-full", topic="harassment")
    [warning] = _glossary_warnings(kb_copy)
    assert "'test-bare'" in warning and "ur-Latn" in warning and "harassment Mohtasib (Ombudsperson)" in warning
