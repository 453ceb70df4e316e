"""What several command groups share: the knowledge store, the settings, the query log opened read-only."""

from __future__ import annotations

import argparse
import dataclasses
import gc
import sqlite3
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bot.config import Settings
from bot.knowledge.model import KnowledgeBase
from bot.knowledge.store import KnowledgeStore, load_knowledge

if TYPE_CHECKING:
    from bot.bootstrap import Core


def knowledge_store(args: argparse.Namespace) -> KnowledgeStore:
    """The knowledge base with its matcher, for commands that match text (its index from the cache)."""
    return KnowledgeStore(Path(args.knowledge), settings_for(args).index_cache_dir)


def knowledge_base(args: argparse.Namespace) -> KnowledgeBase:
    """The knowledge base alone, for commands that never match a message: no matcher is imported or loaded."""
    return load_knowledge(Path(args.knowledge))


def settings_for(args: argparse.Namespace) -> Settings:
    """The environment's settings, with ``--knowledge`` in place of ``BOT_KNOWLEDGE_DIR``."""
    return dataclasses.replace(Settings.from_env(), knowledge_dir=Path(args.knowledge))


def core_for(args: argparse.Namespace, **stores: Any) -> Core:
    """The core on the command's settings (:func:`bot.bootstrap.bootstrap`, ``stores`` passed on), what its start
    made frozen out of later garbage collections: the knowledge store's 200,000 objects live as long as the process,
    so no collection need scan them again (a fiftieth of a cached ``ask``; the bot's collections are shorter too)."""
    from bot.bootstrap import bootstrap  # imports the matcher: only for the commands that match text

    core = bootstrap(settings_for(args), **stores)
    gc.freeze()
    return core


def log_db(settings: Settings) -> sqlite3.Connection:
    if not settings.log_path.is_file():
        raise SystemExit(f"No query log at {settings.log_path} yet (set BOT_DATA_DIR to where the bot keeps its data).")
    return sqlite3.connect(f"file:{settings.log_path}?mode=ro", uri=True)
