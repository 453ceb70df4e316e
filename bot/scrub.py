"""Remove what could identify a person from a question before it is kept.

Phone numbers (found with Google's libphonenumber rules, Pakistani and
international, in any digits), CNIC numbers, emails, links, @usernames and any
run of 7 or more digits become tags such as ``<phone>``. A name a worker
introduces themselves with ("my name is ...", "mera naam ...", "میرا نام ...",
"منهنجو نالو ...") becomes ``<name>``; names written any other way cannot be
told from ordinary words and stay. Urdu and Arabic-Indic
digits are read as digits first, so ۰۳۰۰۱۲۳۴۵۶۷ is a phone number too.
"""

from __future__ import annotations

import re

import phonenumbers

from bot.text import clean

_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+", re.UNICODE)
_URL = re.compile(r"(?:https?://|www\.)\S+|\b[\w-]+(?:\.[\w-]+)*\.(?:com|org|net|pk|gov|edu|io|me|info|ly|link)(?:/\S*)?\b", re.I)
_USERNAME = re.compile(r"(?<![\w@])@[A-Za-z0-9_](?:[A-Za-z0-9_.]*[A-Za-z0-9_])?")
_CNIC = re.compile(r"\b\d{5}[-\s–]?\d{7}[-\s–]?\d\b")
# "my name is X", in the four language forms; X is one or two words, the second unless it ends the phrase.
_NAME_INTRO = re.compile(
    r"(?P<intro>\b(?:my name is|my name's|i am called|mera naam|mera nam|meraa naam|mera name)\s+"
    r"|(?:میرا|مرا|ميرا)\s+نام\s+|(?:منهنجو|منھنجو)\s+نالو\s+)"
    r"(?P<first>[^\s\d<>.,،!?]+)(?:\s+(?P<second>[^\s\d<>.,،!?]+))?",
    re.I,
)
_NAME_ENDS = {
    "hai", "hay", "he", "hy", "kya", "not", "nahi", "nahin", "on", "in", "hoon", "hun", "hu", "and", "aur", "or", "is", "i", "main", "mein", "me", "se", "ka", "ki",
    "ہے", "ہوں", "کیا", "نہیں", "ڇا", "ناهي", "اور", "میں", "آهي", "آهيان", "۽", "مان", "آ",
}
# Digits, possibly separated by spaces, dots or dashes: long runs are ids, accounts or numbers.
_DIGIT_RUN = re.compile(r"\+?\d(?:[\s.\-–]?\d){6,}")


def scrub(text: str) -> str:
    text = clean(text)
    text = _EMAIL.sub("<email>", text)
    text = _URL.sub("<link>", text)
    text = _USERNAME.sub("<username>", text)
    text = _CNIC.sub("<cnic>", text)
    text = _phones(text)
    text = _DIGIT_RUN.sub("<number>", text)
    return _NAME_INTRO.sub(_name, text)


def _name(m: re.Match) -> str:
    first, second = m["first"], m["second"]
    if first.lower() in _NAME_ENDS:  # "naam hai?" asks about a name, it does not give one
        return m[0]
    if second and second.lower() not in _NAME_ENDS:
        return f"{m['intro']}<name>"
    return f"{m['intro']}<name>" + m[0][m.end("first") - m.start():]


def _phones(text: str) -> str:
    spans = [(m.start, m.end) for m in phonenumbers.PhoneNumberMatcher(text, "PK", leniency=phonenumbers.Leniency.VALID)]
    for start, end in reversed(spans):
        text = text[:start] + "<phone>" + text[end:]
    return text
