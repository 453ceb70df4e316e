"""Rendering fact placeholders in answers, per language, with Babel.

An answer says ``{minimum_wage_unskilled}`` and the reader sees "Rs 40,000",
"40,000 روپے", "40,000 رپيا" or, in Roman Urdu, "Rs 40,000" (Latin digits); ``{minimum_wage_unskilled.effective}`` gives the
date the figure applies from ("1 July 2025", "1 جولائی 2025").
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Mapping

from babel.dates import format_date
from babel.numbers import format_decimal

from bot.knowledge.model import Fact

PLACEHOLDER = re.compile(r"\{([a-z][a-z0-9_]*)(?:\.(effective))?\}")

_LOCALES = {"en": "en_PK", "ur": "ur_PK", "sd": "sd_Arab_PK", "ur-Latn": "en_PK"}
# Babel's currency formats put a Latin "Rs" before the number even in Urdu and
# Sindhi, which breaks right-to-left lines; workers write the word after it.
_MONEY = {"en": "Rs {}", "ur": "{} روپے", "sd": "{} رپيا", "ur-Latn": "Rs {}"}


def placeholders(text: str) -> list[tuple[str, str | None]]:
    """(fact id, attribute) of every placeholder in ``text``."""
    return [(m.group(1), m.group(2)) for m in PLACEHOLDER.finditer(text)]


def format_fact(fact: Fact, lang: str, attribute: str | None = None) -> str:
    locale = _LOCALES[lang]
    if attribute == "effective":
        return _date(fact.effective, locale) if fact.effective else ""
    if fact.kind == "money":
        return _MONEY[lang].format(format_decimal(fact.value, locale=locale))  # type: ignore[arg-type]  # checked by the loader
    if fact.kind == "number":
        return format_decimal(fact.value, locale=locale)  # type: ignore[arg-type]  # checked by the loader
    if fact.kind == "date":
        return _date(fact.value, locale)  # type: ignore[arg-type]
    if isinstance(fact.value, Mapping):
        return str(fact.value.get(lang) or fact.value["en"])
    return str(fact.value)


def _date(value: dt.date, locale: str) -> str:
    return format_date(value, "d MMMM y", locale=locale)


def render(text: str, facts: Mapping[str, Fact], lang: str) -> str:
    """``text`` with every placeholder replaced; unknown ones are left visible (kb check reports them)."""

    def sub(m: re.Match[str]) -> str:
        fact = facts.get(m.group(1))
        return format_fact(fact, lang, m.group(2)) if fact else m.group(0)

    return PLACEHOLDER.sub(sub, text)


def render_help(text: str, facts: Mapping[str, Fact], lang: str, caveat: str) -> str:
    """Like :func:`render`, with ``caveat`` ("not confirmed yet") after every fact not verified.

    Emergency messages (danger.yaml) show an unconfirmed number only with its caveat, and the loader makes sure
    such a number is never the only one in a message.
    """

    def sub(m: re.Match[str]) -> str:
        fact = facts.get(m.group(1))
        if fact is None:
            return m.group(0)
        value = format_fact(fact, lang, m.group(2))
        return value if fact.verified else f"{value} {caveat}"

    return PLACEHOLDER.sub(sub, text)
