"""Text normalisation for matching.

Workers type Urdu and Sindhi on many keyboards (Arabic, Persian, Urdu, phone
layouts), with or without diacritics, and Roman Urdu in many spellings. Both the
knowledge base's example questions and incoming messages go through
:func:`normalise`, so the matcher compares like with like.

Arabic-script folding merges only letters that keyboards confuse (Arabic
kaf/yeh/heh and their Urdu forms, hamza carriers, alef variants). The letters
that make Sindhi Sindhi (ڪ ڳ ڱ ڻ ٻ ڀ ٺ ٽ ٿ ڄ ڃ ڇ ڊ ڌ ڍ ڏ ڙ ڦ) are kept, so a
Sindhi word never collapses into an Urdu one.
"""

from __future__ import annotations

import functools
import re
import unicodedata

# Invisible characters that phones insert: zero-width (non-)joiners, direction
# marks and embeddings, the BOM, soft hyphen, Arabic letter mark.
_INVISIBLE = dict.fromkeys(
    [0x00AD, 0x061C, 0x180E, 0xFEFF, *range(0x200B, 0x2010), *range(0x202A, 0x202F), *range(0x2060, 0x206A)]
)

# Arabic-Indic (U+0660..) and Extended/Urdu (U+06F0..) digits to ASCII.
_DIGITS = {0x0660 + i: str(i) for i in range(10)} | {0x06F0 + i: str(i) for i in range(10)}

# Harakat, Quranic marks, superscript alef, tatweel.
_DIACRITICS = dict.fromkeys([*range(0x064B, 0x0660), 0x0670, *range(0x06D6, 0x06EE), 0x0640])

# Keyboard variants folded to one form each.
_ARABIC_FOLD = str.maketrans(
    {
        "ك": "ک",  # Arabic kaf -> keheh (Sindhi ڪ is a different letter and stays)
        "ي": "ی",  # Arabic yeh -> Farsi yeh
        "ى": "ی",  # alef maksura
        "ې": "ی",
        "ے": "ی",  # yeh barree: typed and omitted interchangeably
        "ۓ": "ی",
        "ئ": "ی",
        "ه": "ہ",  # Arabic heh -> heh goal
        "ھ": "ہ",  # do-chashmi heh: often typed as plain heh
        "ۂ": "ہ",
        "ۃ": "ہ",
        "ة": "ہ",
        "أ": "ا",
        "إ": "ا",
        "آ": "ا",
        "ٱ": "ا",
        "ؤ": "و",
        "ۀ": "ہ",
        "ء": "",  # lone hamza is spelled inconsistently
    }
)

# Punctuation used in Urdu and Sindhi: question mark, comma, full stop, semicolon.
_ARABIC_PUNCT = str.maketrans({"؟": " ", "،": " ", "۔": " ", "؛": " ", "٪": "%", "٫": ".", "٬": ","})

_ARABIC_LETTER = re.compile(r"[\u0600-\u06FF\u0750-\u077F\u08A0-\u08FF]")
_LATIN_LETTER = re.compile(r"[a-zA-Z]")
_TOKEN = re.compile(r"[0-9]+|[^\W\d_]+|\u06FE", re.UNICODE)

# Roman Urdu spellings seen in worker messages, after the generic rules in
# _latin_token (lower case, stretched letters cut, ee->i, oo->u, q->k, doubles collapsed,
# trailing h after a vowel dropped). Maps variant -> canonical spelling.
ROMAN_URDU_VARIANTS: dict[str, str] = {
    # salary / wage
    "tankhwa": "tankhwa", "tankha": "tankhwa", "tankwa": "tankhwa", "tankua": "tankhwa",
    "tanka": "tankhwa", "tankhua": "tankhwa", "tnkhwa": "tankhwa", "tankhuwa": "tankhwa",
    "tankhowa": "tankhwa", "tankwah": "tankhwa",
    "ujrat": "ujrat", "ujarat": "ujrat",
    "mazdur": "mazdur", "mazdor": "mazdur", "mzdur": "mazdur", "majdur": "mazdur",
    "mazduri": "mazduri", "majduri": "mazduri",
    # leave
    "chuti": "chuti", "chhuti": "chuti", "chuty": "chuti", "chutiyan": "chutian", "chutian": "chutian",
    "chutiya": "chutian",
    # function words
    "nahi": "nahi", "nahin": "nahi", "nai": "nahi", "nhi": "nahi", "nahe": "nahi", "nhin": "nahi",
    "hai": "hai", "hay": "hai", "hy": "hai", "hei": "hai", "ha": "hai",
    "hain": "hain", "hen": "hain", "hein": "hain", "hyn": "hain",
    "kya": "kya", "kia": "kya", "kyaa": "kya",
    "mujhe": "mujhe", "mujhay": "mujhe", "mujhy": "mujhe", "mjhe": "mujhe", "mje": "mujhe",
    "muje": "mujhe", "mujhko": "mujhe",
    "mein": "mein", "main": "mein", "mai": "mein", "mn": "mein",
    "kitni": "kitni", "kitny": "kitni", "kitne": "kitne", "kitna": "kitna",
    "kaise": "kaise", "kese": "kaise", "kaisy": "kaise", "kesy": "kaise", "kaisay": "kaise",
    "kahan": "kahan", "kahaan": "kahan", "kaha": "kahan", "kidhar": "kahan",
    "chahiye": "chahiye", "chahie": "chahiye", "chahye": "chahiye", "chaiye": "chahiye",
    "chahiay": "chahiye", "chaheye": "chahiye", "chahiya": "chahiye",
    "zyada": "zyada", "ziada": "zyada", "ziyada": "zyada", "zayada": "zyada", "jyada": "zyada",
        "paisa": "paise", "paise": "paise", "pese": "paise", "paisay": "paise", "pesay": "paise",
    "malik": "malik", "malk": "malik",
    "thekedar": "thekedar", "thekidar": "thekedar", "thekadar": "thekedar", "tekedar": "thekedar",
    "peshgi": "peshgi", "peshagi": "peshgi", "peshki": "peshgi",
    "naukri": "naukri", "nokri": "naukri", "nokari": "naukri", "naukari": "naukri",
    "harasment": "harassment", "harrasment": "harassment", "harasmant": "harassment",
    "salari": "salary", "selary": "salary", "sallary": "salary",
    "oretime": "overtime", "overtym": "overtime", "ovrtime": "overtime",
}

_VOWELS = set("aeiou")


@functools.lru_cache(maxsize=65536)  # a pure function of one word, called for every word of every text
def _latin_token(token: str) -> str:
    t = re.sub(r"(.)\1{2,}", r"\1", token)  # stretched for emphasis: "pleeease", "nahiii"
    t = t.replace("ee", "i").replace("oo", "u").replace("q", "k")
    t = re.sub(r"(.)\1+", r"\1", t)
    if len(t) > 2 and t.endswith("h") and t[-2] in _VOWELS:
        t = t[:-1]
    return ROMAN_URDU_VARIANTS.get(t, t)


def clean(text: str) -> str:
    """Unicode clean-up shared by detection and matching.

    NFKC (which also maps Arabic presentation forms to base letters), invisible
    characters removed, Urdu and Arabic-Indic digits to ASCII, diacritics and
    tatweel removed. Letters are not folded here, so language detection still
    sees every letter as typed.
    """
    text = unicodedata.normalize("NFKC", text)
    return text.translate(_INVISIBLE).translate(_DIGITS).translate(_DIACRITICS)


# Combining marks below the Arabic block (Latin accents and the like); Arabic-script marks are handled above.
_LATIN_MARKS = dict.fromkeys(c for c in range(0x0600) if unicodedata.combining(chr(c)))


def _strip_latin_accents(text: str) -> str:
    return unicodedata.normalize("NFD", text).translate(_LATIN_MARKS)


def normalise(text: str) -> str:
    """The matching form of ``text``: cleaned, folded, lower-cased, one space between tokens."""
    return " ".join(tokens(text))


# clean()'s tables, then the punctuation and the folding, as one table: they map disjoint characters, and
# none maps a character to one another changes, so one pass gives what five would.
_TOKEN_TABLE = {**_INVISIBLE, **_DIGITS, **_DIACRITICS, **_ARABIC_PUNCT, **_ARABIC_FOLD}


def tokens(text: str) -> list[str]:
    """Normalised word tokens of ``text`` (Arabic-script and Latin words, digit runs)."""
    if text.isascii():  # no table maps an ASCII character, and Unicode normalisation leaves ASCII as it is
        text = text.lower()
    else:
        text = unicodedata.normalize("NFKC", text).translate(_TOKEN_TABLE)
        text = _strip_latin_accents(text).lower()
    out = []
    for tok in _TOKEN.findall(text):
        if _LATIN_LETTER.match(tok):
            tok = _latin_token(tok)
        out.append(tok)
    return out


def arabic_letter_count(text: str) -> int:
    return len(_ARABIC_LETTER.findall(text))


def latin_letter_count(text: str) -> int:
    return len(_LATIN_LETTER.findall(text))
