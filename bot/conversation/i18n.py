"""Interface text in English, Urdu, Sindhi and Roman Urdu through gettext catalogs.

Catalogs live in ``locales/{folder}/LC_MESSAGES/messages.po`` (Roman Urdu, ``ur-Latn``, in ``ur_Latn``:
Babel parses locale names with ``_``) and are read with
Babel at start-up, so there is no compiled ``.mo`` file to forget to rebuild. The compiled catalog is kept in the
index cache (``messages-<lang>-<hash of the .po>.mo``, see :mod:`bot.knowledge.indexcache`): a start with an
unchanged ``.po`` file reads it and imports no Babel catalog code. English message ids are the source text.
"""

from __future__ import annotations

import hashlib
import logging
from functools import lru_cache
from gettext import GNUTranslations, NullTranslations
from io import BytesIO
from pathlib import Path
from typing import Callable

import babel

from bot.knowledge.indexcache import cache_dir_from_env, prune, write_atomically

log = logging.getLogger(__name__)

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
    source = po.read_bytes()
    key = hashlib.sha256(source + Path(__file__).read_bytes() + babel.__version__.encode()).hexdigest()
    cached = cache_dir_from_env() / f"messages-{folder}-{key[:32]}.mo"
    try:
        return GNUTranslations(BytesIO(cached.read_bytes()))
    except (OSError, ValueError):  # not there yet, or cut short: compile it again
        pass
    mo = compile_po(source, folder)
    try:
        write_atomically(cached, lambda f: f.write(mo))
        prune(cached.parent, f"messages-{folder}-*.mo")
    except OSError as e:  # a read-only disk: compiled again next start
        log.warning("could not save the compiled %s catalog in %s: %s", lang, cached.parent, e)
    return GNUTranslations(BytesIO(mo))


def compile_po(source: bytes, folder: str) -> bytes:
    """A ``.po`` file's text as a ``.mo`` catalog; fuzzy and empty translations are left out, so they fall back to
    English."""
    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po

    mo = BytesIO()
    write_mo(mo, read_po(BytesIO(source), locale=folder))
    return mo.getvalue()


def gettext_for(lang: str) -> Gettext:
    """The ``_`` function for ``lang``; an untranslated message falls back to English."""
    return translations(lang).gettext


def N_(message: str) -> str:
    """Mark ``message`` for extraction where it is translated later (module-level constants)."""
    return message
