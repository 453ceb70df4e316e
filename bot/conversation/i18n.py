"""Interface text in English, Urdu, Sindhi and Roman Urdu through gettext catalogs.

Catalogs live in ``locales/{folder}/LC_MESSAGES/messages.po`` (Roman Urdu, ``ur-Latn``, in ``ur_Latn``:
Babel parses locale names with ``_``) and are read with
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

LOCALES_DIR = Path(__file__).resolve().parents[2] / "locales"
DOMAIN = "messages"
LANGUAGES = ("en", "ur", "sd", "ur-Latn")

Gettext = Callable[[str], str]


def catalog_folder(lang: str) -> str:
    """The folder under ``locales/`` of ``lang``'s catalog: ``ur-Latn`` -> ``ur_Latn``."""
    return lang.replace("-", "_")


@lru_cache(maxsize=None)
def translations(lang: str, locales_dir: Path = LOCALES_DIR) -> NullTranslations:
    folder = catalog_folder(lang)
    po = locales_dir / folder / "LC_MESSAGES" / f"{DOMAIN}.po"
    if not po.is_file():
        return NullTranslations()
    with po.open("rb") as f:
        catalog = read_po(f, locale=folder)
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
