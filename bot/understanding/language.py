"""Which of the four language forms a message is written in.

``en`` English, ``ur`` Urdu (Arabic script), ``sd`` Sindhi (Arabic script),
``ur-Latn`` Roman Urdu. The script decides between the two pairs; within a
script, letters and function words that belong to only one language decide.
"""

from __future__ import annotations

import re
from typing import Literal

from bot.understanding.text import arabic_letter_count, clean, latin_letter_count

LanguageForm = Literal["en", "ur", "sd", "ur-Latn"]
LANGUAGE_FORMS: tuple[LanguageForm, ...] = ("en", "ur", "sd", "ur-Latn")

# Letters written in Sindhi but not in Urdu (implosives, aspirates and
# retroflexes with their own letters, Sindhi kaf, the postposition ۾).
# Sindhi also writes the Arabic yeh (ي) where Urdu writes the Farsi one (ی).
_SINDHI_LETTERS = set("ڪڳڱڻٻڀٺٽٿڄڃڇڊڌڍڏڙڦ۾ي")
# Letters written in Urdu but not in Sindhi (Sindhi spells these sounds with
# the letters above, and writes no yeh barree, noon ghunna or heh goal).
_URDU_LETTERS = set("ٹڈڑںےۓہی")

_SINDHI_WORDS = {
    "آهي", "آهن", "آهيان", "هو", "ڪهڙو", "ڪهڙي", "ڇا", "جو", "جي", "جا", "کي", "مون", "منهنجو",
    "منهنجي", "ته", "نه", "سان", "تي", "۾", "ڪيترو", "ڪيتري", "ڪٿي", "ڪيئن", "ملي", "ٿو", "ٿي",
    "ٿيندو", "پگهار", "موڪل", "مالڪ", "ڪم", "ڪري", "هجي", "وٺي", "اسان", "توهان", "ڏيڻ", "ڏني",
}
_URDU_WORDS = {
    "ہے", "ہیں", "ہوں", "کیا", "کی", "کا", "کے", "کو", "میں", "مجھے", "میرا", "میری", "نہیں",
    "کتنی", "کتنا", "کہاں", "کیسے", "کیوں", "چاہیے", "تنخواہ", "چھٹی", "رہا", "رہی", "ہوتی",
    "ہوتا", "سکتا", "سکتی", "اور", "یا", "بھی", "سے", "پر", "نے", "دی", "دیا",
}

_ROMAN_URDU_WORDS = {
    "hai", "hain", "hy", "ha", "ka", "ki", "ke", "ko", "se", "mein", "main", "mai", "mujhe", "mujhay",
    "mujhko", "mera", "meri", "mere", "kya", "kia", "kitni", "kitna", "kitne", "kab", "kaise", "kese",
    "kaisay", "kahan", "kidhar", "nahi", "nahin", "nai", "nhi", "kar", "karna", "karein", "karen",
    "karta", "karti", "raha", "rahi", "rahe", "hota", "hoti", "hoga", "hogi", "chahiye", "chahie",
    "chaiye", "agar", "aur", "ya", "bhi", "koi", "kuch", "tankhwa", "tankhwah", "tankha", "chutti",
    "chhutti", "chuti", "malik", "seth", "naukri", "nokri", "kaam", "kam", "mazdoor", "mazdur",
    "paisa", "paise", "pese", "diya", "diye", "di", "mili", "mila", "milti", "milta", "milegi",
    "sakta", "sakti", "sakte", "wala", "wali", "wale", "hum", "ham", "tum", "aap", "ap", "apna",
    "apni", "kyun", "kyon", "kaun", "kon", "jab", "tak", "par", "pe", "wo", "woh", "yeh", "ye",
    "hamein", "hamen", "dena", "deta", "deti", "lena", "ho", "hun", "hoon", "gaya", "gayi", "gai",
    "liye", "lie", "sath", "saath", "bohat", "bahut", "boht", "thekedar", "peshgi", "zyada",
    "ziada", "kitny", "kesy", "bata", "batao", "batain", "btao", "pata", "shikayat", "hamla",
    "haamla", "bacha", "bachay", "bachon", "aurat", "auraton", "karwana", "karwani", "milna",
    "unka", "uska", "uski", "iska", "iski", "kahin", "abhi", "pehle", "baad", "din", "mahina",
    "mahine", "saal", "ghante", "ghanta", "hafta", "hafte", "jaye", "jaaye", "jata", "jati",
    "kiya", "kiye", "liya", "hua", "hui", "huwa", "gaye", "wajah", "dhamki", "lekin", "magar",
    "phir", "waqt", "ghar", "hamara", "hamari", "karo", "karun", "karoon", "karte", "karwate", "nikal",
    "nikala", "sirf", "kaha", "kehta", "kehti", "ab", "toh", "bhai", "baji", "sahab",
}
_ENGLISH_WORDS = {
    "the", "a", "an", "is", "are", "am", "was", "were", "be", "been", "what", "which", "who", "whom",
    "how", "when", "where", "why", "can", "could", "should", "would", "will", "do", "does", "did",
    "my", "i", "me", "you", "your", "he", "she", "her", "his", "they", "their", "we", "our", "it",
    "to", "of", "for", "in", "on", "at", "by", "with", "from", "about", "not", "no", "yes", "if",
    "and", "or", "but", "this", "that", "there", "have", "has", "had", "get", "got", "much", "many",
    "long", "any", "after", "before", "without", "pay", "paid", "wage", "wages", "leave", "work",
    "job", "rights", "right", "law", "boss", "employer", "worker", "workers", "days", "hours",
    "month", "week", "year", "please", "tell", "need", "want", "help", "give", "gives", "given",
    "allowed", "must", "still", "too", "than", "less", "more", "only", "all", "every", "someone",
}

_WORD = re.compile(r"[^\W\d_]+|\u06FE", re.UNICODE)


def detect(text: str) -> LanguageForm | None:
    """The language form of ``text``, or ``None`` when it has no letters at all."""
    text = clean(text)
    arabic, latin = arabic_letter_count(text), latin_letter_count(text)
    if arabic == 0 and latin == 0:
        return None
    words = _WORD.findall(text.lower())
    if arabic >= latin:
        return _urdu_or_sindhi(text, words)
    return _english_or_roman_urdu(words)


def _urdu_or_sindhi(text: str, words: list[str]) -> LanguageForm:
    sindhi = sum(c in _SINDHI_LETTERS for c in text) + 2 * sum(w in _SINDHI_WORDS for w in words)
    urdu = sum(c in _URDU_LETTERS for c in text) + 2 * sum(w in _URDU_WORDS for w in words)
    return "sd" if sindhi > urdu else "ur"


def _english_or_roman_urdu(words: list[str]) -> LanguageForm:
    roman = sum(w in _ROMAN_URDU_WORDS for w in words)
    english = sum(w in _ENGLISH_WORDS for w in words)
    return "ur-Latn" if roman > english or (roman and roman == english) else "en"


def reply_language(form: LanguageForm | None, default: str = "ur") -> str:
    """The language to answer in: the question's own form (Roman Urdu is answered in Roman Urdu)."""
    return default if form is None else form
