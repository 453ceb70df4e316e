"""Remove what could identify a person from a question before it is kept.

Phone numbers (found with Google's libphonenumber rules, Pakistani and
international, in any digits), CNIC numbers, emails, links, @usernames and any
run of 7 or more digits become tags such as ``<phone>``; an email spelled out
("ayesha at gmail dot com") too. A name a worker introduces themselves with
becomes ``<name>``: "my name is ...", "mera naam (hai) ...", "naam: ...",
"میرا نام ...", "منهنجو نالو ...", and "main ... hoon", "میں ... ہوں",
"مان ... آهيان", "I am ...", "This is ... from", unless a word there describes
the worker instead ("main factory worker hoon", "I am pregnant"). Names written
any other way cannot be told from ordinary words and stay. Urdu and Arabic-Indic
digits are read as digits first, so ۰۳۰۰۱۲۳۴۵۶۷ is a phone number too. Control
characters (terminal escapes, NUL) are removed, since staff tools print the text.
"""

from __future__ import annotations

import re
from typing import Iterable


from bot.understanding.text import clean

_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+", re.UNICODE)
_URL = re.compile(r"(?:https?://|www\.)\S+|\b[\w-]+(?:\.[\w-]+)*\.(?:com|org|net|pk|gov|edu|io|me|info|ly|link)(?:/\S*)?\b", re.I)
_USERNAME = re.compile(r"(?<![\w@])@[A-Za-z0-9_](?:[A-Za-z0-9_.]*[A-Za-z0-9_])?")
_CNIC = re.compile(r"\b\d{5}[-\s–]?\d{7}[-\s–]?\d\b")
_WORD = r"[^\s\d<>.,،۔!?:;()\[\]\"'=]+"
# "my name is X", "naam: X", in the four language forms: X is the words up to one in _NAME_ENDS (at most three).
_NAME_INTRO = re.compile(
    r"(?P<intro>(?:\b(?:my name is|my name's|i am called|(?:mera|meraa) (?:naam|nam|name)(?:\s+(?:hai|he|hay|hy)(?=\s))?)"
    r"|(?:میرا|مرا|ميرا)\s+نام|(?:منهنجو|منھنجو)\s+نالو|(?<![\w])(?:naam|nam|name|نام|نالو)\s*[:\-–])\s*)"
    rf"(?P<words>{_WORD}(?:\s+{_WORD}){{0,2}})",
    re.I,
)
_NAME_ENDS = {
    "hai", "hay", "he", "hy", "kya", "not", "nahi", "nahin", "on", "in", "hoon", "hun", "hu", "and", "aur", "or", "is", "i", "main", "mein", "me", "se", "ka", "ki",
    "ہے", "ہوں", "کیا", "نہیں", "ڇا", "ناهي", "اور", "میں", "آهي", "آهيان", "۽", "مان", "آ", "a", "an", "the", "from", "but",
    "my", "mera", "meri", "ko", "ne", "par", "likha", "kaun", "kon", "کون", "ڪير", "likhna", "wrong", "galat",
}
# "main X hoon", "میں X ہوں", "مان X آهيان", "I am X", "This is X from": a name unless one of its words says otherwise.
_COPULA = re.compile(
    rf"(?P<intro>\b(?:main|mein|mai|mn)\s+|(?<!\S)(?:میں|ميں)\s+|(?<!\S)مان\s+)(?P<words>{_WORD}(?:\s+{_WORD})?)"
    r"(?P<end>\s+(?:hoon|hun|hu|hon|hn|hoo|ہوں|ھوں|آهيان|آھيان)(?!\w))",
    re.I,
)
_ENGLISH_INTRO = re.compile(
    r"(?P<intro>\b(?i:i am|i'm|im|this is|it's|it is)\s+)(?P<words>[A-Z][a-z]+(?:\s+[A-Z][a-z]+){0,2})\b"
    r"|(?P<intro2>\b(?i:this is)\s+)(?P<words2>[a-z]+(?:\s+[a-z]+)?)(?=\s+from\b)"
)
# "my friend Shabana Parveen", "meri saheli Naseem": someone else named after who they are to the worker.
_RELATION = re.compile(
    r"(?P<intro>\b(?i:my|mera|meri|mere|our|hamari|hamara|humari|humara)\s+(?i:friend|sister|brother|mother|father|"
    r"husband|wife|colleague|neighbour|neighbor|daughter|son|cousin|aunt|uncle|supervisor|manager|dost|saheli|"
    r"behen|bahen|behan|bhai|ammi|abbu|shohar|biwi|beti|beta|khala|phuppo|chacha|mamu)\s+)"
    r"(?P<words>[A-Z][a-z]+(?:\s+[A-Z][a-z]+){0,2})\b"
)
# A surname or title left after a name already taken out: "I am <name> Khatoon", "<name> Bibi".
_NAME_TAIL = re.compile(r"<name>(?:\s+(?!(?:I|Please|Sir|Madam|What|How|Can|My|The|Is|Do|And)\b)[A-Z][a-z]+){1,2}\b")
# Words that describe a worker rather than name one: "main factory worker hoon", "I am Sindhi".
_NOT_NAMES = set("""
a an the my not very so also just still now here there new old only working pregnant
worker workers labour labor labourer mazdoor mazdur mazdoorni factory domestic ghar gharelu ghareloo ghareloo maid naukar naukrani
driver guard chowkidar teacher nurse cleaner sweeper safai tailor darzi mistri helper karigar kisan hari haari mulazim mulazma
employee permanent kacha kachi pakka pakki contract daily dihari dehari student mother maa widow bewa married shadi shuda
hamla hamila haamla bimar beemar pareshan majboor ghareeb garib gareeb akeli akela thaki thaka bohat bahut bohot bht bhi to tu
sirf ek aik is us ki ka ke mein se par pe yahan wahan kaam kam karti karta karte rehti rehta raha rahi gaya gayi gai hui hua
sakti sakta chahti chahta janti jaanti nahi nai na apni apna khud abhi pehle bhi kya kyun
sindhi punjabi pathan baloch balochi muhajir pakistani muslim hindu christian masihi urdu english karachi hyderabad sukkur
مزدور ملازم ملازمہ گھریلو فیکٹری کارخانے کام کرتی کرتا کرتے رہی رہا رہتی رہتا حاملہ بیمار پریشان مجبور غریب اکیلی اکیلا
بیوہ ماں نوکر نوکرانی ڈرائیور چوکیدار استاد استانی نرس درزی مستری کسان ہاری بھی تو یہاں وہاں سندھی پنجابی پٹھان بلوچ مسلمان
ہندو مسیحی پاکستانی نئی نیا پرانا پرانی کچی کچا پکی پکا دیہاڑی ٹھیکے سکتی سکتا چاہتی چاہتا جانتی جانتا گئی گیا ہوئی ہوا
سے کی کا کے پر نہیں بہت تھکی تھکا ایک اپنی اپنا خود ابھی طالبہ طالب علم شادی شدہ
پورهيت گهريلو ڪارخاني ڪم ڪريان ڪندي ڪندو حامله بيمار پريشان مجبور غريب اڪيلي اڪيلو بيواهه ماءُ نوڪر ڊرائيور چوڪيدار
استاد نرس هاري به هتي اتي سنڌي نئين نئون پراڻو ڪچي پڪي ڏهاڙي ملازم مزدور تمام ڏاڍي ڏاڍو
""".split())
# An email address spelled out to get past filters: "ayesha bibi at gmail dot com".
_SPELLED_EMAIL = re.compile(
    r"\b[\w.]+(?:\s+[\w.]+)?\s*(?:\bat\b|\[at\]|\(at\))\s*(?:gmail|yahoo|hotmail|outlook|live|icloud|proton(?:mail)?)"
    r"\s*(?:\bdot\b|\.|\[dot\]|\(dot\))\s*(?:com|pk|net|org)\b",
    re.I,
)
# C0 and C1 control characters (terminal escapes, NUL) except the newline; staff tools print this text.
_CONTROL = re.compile(r"[\x00-\x09\x0b-\x1f\x7f-\x9f]+")
# Digits, possibly separated by spaces, dots or dashes: long runs are ids, accounts or numbers.
_DIGIT_RUN = re.compile(r"\+?\d(?:[\s.\-–]?\d){6,}")


def scrub(text: str, names: Iterable[str] = ()) -> str:
    """``text`` without what identifies a person; ``names``: the sender's own (Telegram first, last and user name)."""
    text = _CONTROL.sub(" ", clean(text)).strip()
    text = _SPELLED_EMAIL.sub("<email>", text)
    text = _EMAIL.sub("<email>", text)
    text = _URL.sub("<link>", text)
    text = _USERNAME.sub("<username>", text)
    text = _CNIC.sub("<cnic>", text)
    text = _phones(text)
    text = _DIGIT_RUN.sub("<number>", text)
    own = [re.escape(clean(n)) for n in names if n and len(clean(n).strip()) >= 3]
    if own:
        text = re.sub(rf"(?<![\w@])(?:{'|'.join(sorted(own, key=len, reverse=True))})(?!\w)", "<name>", text, flags=re.I)
    text = _NAME_INTRO.sub(_named, text)
    text = _COPULA.sub(_described, text)
    text = _RELATION.sub(_described, text)
    text = _ENGLISH_INTRO.sub(_described, text)
    return _NAME_TAIL.sub("<name>", text)


def _named(m: re.Match) -> str:
    """After "my name is": the words up to the first that ends a name; none if the first does ("naam hai?")."""
    words = m["words"].split()
    n = next((i for i, w in enumerate(words) if w.lower() in _NAME_ENDS), len(words))
    if n == 0:
        return m[0]
    rest = m["words"][m["words"].index(words[n - 1]) + len(words[n - 1]):] if n < len(words) else ""
    return f"{m['intro']}<name>{rest}"


def _described(m: re.Match) -> str:
    """After "main ... hoon" or "I am": a name, unless a word in it describes the worker instead."""
    intro, words = (m["intro"], m["words"]) if m["intro"] is not None else (m["intro2"], m["words2"])
    if any(w.lower() in _NOT_NAMES or w.lower().endswith("ing") for w in words.split()):
        return m[0]
    end = m.groupdict().get("end") or ""
    return f"{intro}<name>{end}"


def _phones(text: str) -> str:
    import phonenumbers  # a tenth of a start: with the first question logged, not at start

    spans = [(m.start, m.end) for m in phonenumbers.PhoneNumberMatcher(text, "PK", leniency=phonenumbers.Leniency.VALID)]
    for start, end in reversed(spans):
        text = text[:start] + "<phone>" + text[end:]
    return text
