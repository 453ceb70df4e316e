"""Do an entry's English, Urdu, Sindhi and Roman Urdu answers say the same figures?

A worker reads one language only, so a number dropped or changed in translation
is a wrong answer. Three things are compared, each as a set (a sentence may
repeat a figure in one language and not in another):

- numbers: ASCII, Urdu (۰-۹) and Arabic-Indic (٠-٩) digits alike; thousand
  separators (40,000, 1,00,000, ٤٠٬٠٠٠); decimals and ½; times (8:30); and a
  multiplier word after a number (5 million = 50 lakh = 50 لاکھ = 50 لک;
  1 crore = 10 million; 5 ہزار = 5,000); a short financial year (2026-27 =
  2026-2027). Number words ("one", "ایک") are not
  counted: ایک is also the article "a". Numbers inside {placeholders} and phone
  numbers are left to their own checks;
- {placeholders}, with their attribute ({fact.effective});
- phone numbers, compared as international numbers, so 021-34325500 and
  +92 21 34325500 are the same.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from fractions import Fraction


from bot.knowledge.facts import PLACEHOLDER
from bot.knowledge.model import Entry
from bot.knowledge.yamlfile import Problem
from bot.understanding.text import clean, normalise

_LANG_NAMES = {"ur": "Urdu", "sd": "Sindhi", "ur-Latn": "Roman Urdu"}

# A multiplier word after a number, in the spellings English, Urdu and Sindhi answers use.
# Keys are normalised like every other word, so keyboard variants of a letter match too.
_MULTIPLIER_WORDS = {
    1_000: ["thousand", "ہزار", "هزار", "hazar", "hazaar"],
    100_000: ["lakh", "lakhs", "lac", "lacs", "لاکھ", "لاكھ", "لک", "لکھ"],
    1_000_000: ["million", "millions", "ملین", "ملين"],
    10_000_000: ["crore", "crores", "karor", "کروڑ", "ڪروڙ"],
    1_000_000_000: ["billion", "ارب", "بلین", "بلين"],
}
_MULTIPLIERS = {normalise(word): value for value, words in _MULTIPLIER_WORDS.items() for word in words}

# Quarter words before a number: ساڑھے 3 = 3½ (Sindhi ساڍا, ساڍن), سوا 3 = 3¼, پونے 3 = 2¾.
_BEFORE_WORDS = {
    Fraction(1, 2): ["ساڑھے", "ساڑھ", "ساڍا", "ساڍن", "ساڍي"],
    Fraction(1, 4): ["سوا"],
    Fraction(-1, 4): ["پونے", "پوڻا", "پوڻن", "پوڻي"],
}
_BEFORE = {normalise(word): delta for delta, words in _BEFORE_WORDS.items() for word in words}
# Words that are numbers on their own and cannot mean anything else.
_NUMBER_WORDS = {normalise(w): Fraction(3, 2) for w in ["ڈیڑھ", "ڏيڍ", "ڏيڍھ"]} | {
    normalise(w): Fraction(5, 2) for w in ["ڈھائی", "اڍائي", "اڍائی"]
}
_VULGAR = {"½": ".5", "¼": ".25", "¾": ".75"}
_NUMBER = re.compile(
    r"(?:(?P<before>[^\W\d_]+)\s+)?"
    r"(?<!\d)(?:"
    r"(?P<hour>\d{1,2}):(?P<minute>\d{2})"  # a time: 8:30
    r"|(?P<int>\d{1,3}(?:,\d{2})*,\d{3}|\d+)(?:\.(?P<dec>\d+))?"  # 40,000 / 1,00,000 / 2.5
    r")(?!\d)"
    r"(?:\s*(?P<word>[^\W\d_]+))?"
)
_WORD = re.compile(r"[^\W\d_]+")
# A financial year written short: 2026-27 is 2026-2027.
_YEAR_RANGE = re.compile(r"(?<!\d)((?:19|20)\d\d)([-–/])(\d\d)(?!\d)")


def _full_year_range(m: re.Match[str]) -> str:
    start = int(m.group(1))
    if int(m.group(3)) != (start + 1) % 100:
        return m.group(0)
    return f"{start}{m.group(2)}{start + 1}"


@dataclass(frozen=True)
class Figures:
    """What an answer states that must not change in translation."""

    numbers: frozenset[Fraction]
    placeholders: frozenset[str]
    phones: frozenset[str]
    phone_text: dict[str, str]  # international form -> as written, for messages


_FIVE_DIGITS = re.compile(r"\d(?:\D*\d){4}")


def figures(text: str) -> Figures:
    import phonenumbers  # a tenth of a start: only when the translation check runs (a cached start skips it)

    placeholders = frozenset(m.group(0) for m in PLACEHOLDER.finditer(text))
    text = re.sub(r"(\d*)([½¼¾])", lambda m: (m.group(1) or "0") + _VULGAR[m.group(2)], PLACEHOLDER.sub(" ", text))
    text = _YEAR_RANGE.sub(_full_year_range, clean(text).replace("٬", ",").replace("٫", "."))
    phone_text: dict[str, str] = {}
    # No valid number has fewer than 5 digits (Pakistani ones 8 or more, any with its country code at least 5;
    # short codes such as 15 or 1122 are not valid numbers): the matcher, slow, reads only answers that could hold one.
    digits = _FIVE_DIGITS.search(text) is not None
    for match in phonenumbers.PhoneNumberMatcher(text, "PK", leniency=phonenumbers.Leniency.VALID) if digits else ():
        phone_text.setdefault(phonenumbers.format_number(match.number, phonenumbers.PhoneNumberFormat.E164), match.raw_string)
        text = text[: match.start] + " " * (match.end - match.start) + text[match.end :]
    return Figures(frozenset(_numbers(text)), placeholders, frozenset(phone_text), phone_text)


# Every word of every answer is looked up at each load; answers repeat their words, so each is normalised once.
_normal_word = functools.lru_cache(maxsize=16384)(normalise)


def _numbers(text: str) -> list[Fraction]:
    out = [_NUMBER_WORDS[w] for w in map(_normal_word, _WORD.findall(text)) if w in _NUMBER_WORDS]
    for m in _NUMBER.finditer(text):
        if m.group("hour"):
            out.append(Fraction(int(m.group("hour"))) + Fraction(int(m.group("minute")), 60))
            continue
        value = Fraction(m.group("int").replace(",", ""))
        if m.group("dec"):
            value += Fraction(int(m.group("dec")), 10 ** len(m.group("dec")))
        if m.group("before"):
            value += _BEFORE.get(normalise(m.group("before")), 0)
        if m.group("word"):
            value *= _MULTIPLIERS.get(normalise(m.group("word")), 1)
        out.append(value)
    return out


def _show(value: Fraction) -> str:
    return f"{int(value):,}" if value.denominator == 1 else f"{float(value):,.2f}".rstrip("0").rstrip(".")


def _differences(what: str, english: frozenset, other: frozenset, show) -> str:
    missing = sorted(english - other)
    extra = sorted(other - english)
    parts = []
    if missing:
        parts.append(f"missing {', '.join(map(show, missing))}")
    if extra:
        parts.append(f"has {', '.join(map(show, extra))} that the English does not")
    return f"{what}: {'; '.join(parts)}" if parts else ""


def compare(entry: Entry) -> list[Problem]:
    """An error for each of the Urdu, Sindhi and Roman Urdu answers whose figures differ from the English one."""
    if "en" not in entry.answer:
        return []
    english = figures(entry.answer["en"])
    problems = []
    for lang in _LANG_NAMES:
        if lang not in entry.answer:
            continue
        other = figures(entry.answer[lang])
        phone_text = english.phone_text | other.phone_text
        found = [
            _differences("numbers", english.numbers, other.numbers, _show),
            _differences("placeholders", english.placeholders, other.placeholders, str),
            _differences("phone numbers", english.phones, other.phones, lambda p: phone_text[p]),  # noqa: B023 - called in this iteration
        ]
        found = [f for f in found if f]
        if found:
            problems.append(Problem(
                entry.file, entry.answer_line(lang),
                f"entry {entry.id!r}: the {_LANG_NAMES[lang]} ({lang}) answer does not say the same as the English - "
                + "; ".join(found)
                + ". Translate every figure (1 lakh = 100,000; 10 lakh = 1 million)",
            ))
    return problems
