"""Rendering fact placeholders in answers, per language, with Babel.

An answer says ``{minimum_wage_unskilled}`` and the reader sees "Rs 40,000",
"40,000 روپے", "40,000 رپيا" or, in Roman Urdu, "Rs 40,000" (Latin digits); ``{minimum_wage_unskilled.effective}`` gives the
date the figure applies from ("1 July 2025", "1 جولائی 2025").

Babel loads a locale's data the first time it formats in it (about 10 ms for the first, a few for each other):
the knowledge snapshot keeps every figure of the knowledge base as Babel shows it (:func:`figures`) and a start
that reads the snapshot hands them back (:func:`remember`), so it neither imports Babel's formatting nor loads a
locale. They are kept by the value and locale formatted, so a figure can only ever be the one Babel gives.
"""

from __future__ import annotations

import re
from typing import Mapping

from bot.knowledge.model import Fact

PLACEHOLDER = re.compile(r"\{([a-z][a-z0-9_]*)(?:\.(effective))?\}")

_LOCALES = {"en": "en_PK", "ur": "ur_PK", "sd": "sd_Arab_PK", "ur-Latn": "en_PK"}
# Babel's currency formats put a Latin "Rs" before the number even in Urdu and
# Sindhi, which breaks right-to-left lines; workers write the word after it.
_MONEY = {"en": "Rs {}", "ur": "{} روپے", "sd": "{} رپيا", "ur-Latn": "Rs {}"}
# Babel's formatting of each figure by "date|number value locale" (see the module's docstring).
_SHOWN: dict[str, str] = {}


def placeholders(text: str) -> list[tuple[str, str | None]]:
    """(fact id, attribute) of every placeholder in ``text``."""
    return [(m.group(1), m.group(2)) for m in PLACEHOLDER.finditer(text)]


def format_fact(fact: Fact, lang: str, attribute: str | None = None) -> str:
    figure = _figure(fact, attribute)
    if figure is not None:
        shown = _shown(*figure, _LOCALES[lang])
        return _MONEY[lang].format(shown) if fact.kind == "money" and attribute is None else shown
    if attribute == "effective":
        return ""
    if isinstance(fact.value, Mapping):
        return str(fact.value.get(lang) or fact.value["en"])
    return str(fact.value)


def _figure(fact: Fact, attribute: str | None) -> tuple[str, object] | None:
    """What Babel formats for the placeholder: ("date" or "number", the value), or None (a text, no date)."""
    if attribute == "effective":
        return ("date", fact.effective) if fact.effective else None
    if fact.kind in ("money", "number"):
        return "number", fact.value
    return ("date", fact.value) if fact.kind == "date" else None


def _shown(kind: str, value: object, locale: str) -> str:
    key = f"{kind} {value!r} {locale}"
    shown = _SHOWN.get(key)
    if shown is None:
        if kind == "date":
            from babel.dates import format_date

            shown = format_date(value, "d MMMM y", locale=locale)  # type: ignore[arg-type]  # checked by the loader
        else:
            from babel.numbers import format_decimal

            shown = format_decimal(value, locale=locale)  # type: ignore[arg-type]  # checked by the loader
        _SHOWN[key] = shown
    return shown


def figures(facts: Mapping[str, Fact]) -> dict[str, str]:
    """Every figure of ``facts`` as Babel shows it in every language, for :func:`remember` on a later start."""
    needed = {(*figure, locale) for fact in facts.values() for attribute in (None, "effective")
              if (figure := _figure(fact, attribute)) for locale in _LOCALES.values()}
    return {f"{kind} {value!r} {locale}": _shown(kind, value, locale) for kind, value, locale in sorted(needed, key=repr)}


def remember(shown: Mapping[str, str]) -> None:
    """Figures :func:`figures` gave: formatting them again gives these, without Babel."""
    _SHOWN.update(shown)


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
