"""Remove what could identify a person from a question before it is kept.

Phone numbers (found with Google's libphonenumber rules, Pakistani and
international, in any digits), CNIC numbers, emails, links, @usernames and any
run of 7 or more digits become tags such as ``<phone>``. Urdu and Arabic-Indic
digits are read as digits first, so ۰۳۰۰۱۲۳۴۵۶۷ is a phone number too.
"""

from __future__ import annotations

import re

import phonenumbers

from bot.text import clean

_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+", re.UNICODE)
_URL = re.compile(r"(?:https?://|www\.)\S+|\b[\w-]+(?:\.[\w-]+)*\.(?:com|org|net|pk|gov|edu|io|me|info|ly|link)(?:/\S*)?\b", re.I)
_USERNAME = re.compile(r"(?<![\w@])@[A-Za-z][A-Za-z0-9_]{3,}")
_CNIC = re.compile(r"\b\d{5}[-\s–]?\d{7}[-\s–]?\d\b")
# Digits, possibly separated by spaces, dots or dashes: long runs are ids, accounts or numbers.
_DIGIT_RUN = re.compile(r"\+?\d(?:[\s.\-–]?\d){6,}")


def scrub(text: str) -> str:
    text = clean(text)
    text = _EMAIL.sub("<email>", text)
    text = _URL.sub("<link>", text)
    text = _USERNAME.sub("<username>", text)
    text = _CNIC.sub("<cnic>", text)
    text = _phones(text)
    return _DIGIT_RUN.sub("<number>", text)


def _phones(text: str) -> str:
    spans = [(m.start, m.end) for m in phonenumbers.PhoneNumberMatcher(text, "PK", leniency=phonenumbers.Leniency.VALID)]
    for start, end in reversed(spans):
        text = text[:start] + "<phone>" + text[end:]
    return text
