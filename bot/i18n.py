"""Interface text in English, Urdu and Sindhi through gettext catalogs.

Catalogs live in ``locales/{lang}/LC_MESSAGES/messages.po`` and are read with
Babel at start-up, so there is no compiled ``.mo`` file to forget to rebuild.
English message ids are the source text.
"""

from __future__ import annotations

from functools import lru_cache
from gettext import GNUTranslations, NullTranslations
from io import BytesIO
from pathlib import Path
from typing import Callable

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

LOCALES_DIR = Path(__file__).resolve().parent.parent / "locales"
DOMAIN = "messages"
LANGUAGES = ("en", "ur", "sd")

Gettext = Callable[[str], str]


@lru_cache(maxsize=None)
def translations(lang: str, locales_dir: Path = LOCALES_DIR) -> NullTranslations:
    po = locales_dir / lang / "LC_MESSAGES" / f"{DOMAIN}.po"
    if not po.is_file():
        return NullTranslations()
    with po.open("rb") as f:
        catalog = read_po(f, locale=lang)
    mo = BytesIO()
    write_mo(mo, catalog)  # fuzzy and empty translations are left out, so they fall back to English
    mo.seek(0)
    return GNUTranslations(mo)


def gettext_for(lang: str) -> Gettext:
    """The ``_`` function for ``lang``; an untranslated message falls back to English."""
    return translations(lang).gettext


def N_(message: str) -> str:
    """Mark ``message`` for extraction where it is translated later (module-level constants)."""
    return message
