from bot.understanding.text import normalise, tokens


def test_urdu_and_arabic_indic_digits_become_ascii():
    assert normalise("تنخواہ ۲۵۰۰۰") == normalise("تنخواہ 25000")
    assert "25000" in tokens("٢٥٠٠٠ روپے")


def test_arabic_keyboard_letters_match_urdu_letters():
    # Arabic kaf, yeh and heh typed on an Arabic keyboard
    assert normalise("تنخواه كتني هے") == normalise("تنخواہ کتنی ہے")


def test_diacritics_tatweel_and_invisible_characters_are_removed():
    assert normalise("تَنْخـــواہ") == normalise("تنخواہ")
    assert normalise("تن\u200cخواہ\u200f") == normalise("تنخواہ")
    assert normalise("\ufeffsalary\u200b") == "salary"


def test_presentation_forms_fold_to_base_letters():
    assert normalise("\ufef7") == normalise("لا") or normalise("\ufe8d") == normalise("ا")


def test_sindhi_letters_survive():
    # ڪ (Sindhi kaf), ڳ, ڻ, ٽ, ڏ are what make Sindhi Sindhi: never folded into Urdu letters
    text = normalise("ڪم ڳالهه ماڻهو ٽيڪس ڏينهن ۾")
    for letter in "ڪڳڻٽڏ۾":
        assert letter in text


def test_roman_urdu_spelling_variants_meet():
    variants = ["tankhwah", "tankhwa", "tankha", "TANKHWAAH", "tankhuwa"]
    assert {normalise(v) for v in variants} == {"tankhwa"}
    assert normalise("nahin") == normalise("nahi") == normalise("nhi")
    assert normalise("chhutti") == normalise("chutti")
    assert normalise("mujhay") == normalise("mujhe")


def test_repeated_letters_collapse():
    assert normalise("salaryyyy") == normalise("salary")
    assert normalise("pleeeease") == normalise("please")
    assert normalise("nahiiii") == normalise("nahi")


def test_punctuation_and_case():
    assert normalise("Minimum  WAGE??!") == "minimum wage"
    assert normalise("کیا ہے؟") == normalise("کیا ہے")


def test_empty_and_symbol_only_text():
    assert normalise("") == ""
    assert normalise("👍🏽 ... !!!") == ""
