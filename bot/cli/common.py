"""What several command groups share: the knowledge store, the settings, the query log opened read-only."""

from __future__ import annotations

import argparse
import dataclasses
import sqlite3
from pathlib import Path

from bot.config import Settings
from bot.knowledge.store import KnowledgeStore


def knowledge_store(args: argparse.Namespace) -> KnowledgeStore:
    return KnowledgeStore(Path(args.knowledge))


def settings_for(args: argparse.Namespace) -> Settings:
    """The environment's settings, with ``--knowledge`` in place of ``BOT_KNOWLEDGE_DIR``."""
    return dataclasses.replace(Settings.from_env(), knowledge_dir=Path(args.knowledge))


def log_db(settings: Settings) -> sqlite3.Connection:
    if not settings.log_path.is_file():
        raise SystemExit(f"No query log at {settings.log_path} yet (set BOT_DATA_DIR to where the bot keeps its data).")
    return sqlite3.connect(f"file:{settings.log_path}?mode=ro", uri=True)
