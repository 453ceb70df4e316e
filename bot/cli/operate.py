"""Running a deployment: ``backup``, ``restore`` and ``doctor``, for the volunteer who keeps the bot up."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from bot.config import Settings
from bot.stores import backup as store_backup
from bot.stores.runlock import AlreadyRunning


def register(sub: argparse._SubParsersAction) -> None:
    b = sub.add_parser("backup", help="copy the data folder (stores, key, pending messages) into a new dated folder "
                                      "under DIR while the bot runs, and keep the newest --keep there")
    b.add_argument("--to", required=True, type=Path, metavar="DIR", help="where backups are kept")
    b.add_argument("--keep", type=int, default=14, help="how many backups to keep in DIR (default 14)")
    b.set_defaults(func=cmd_backup)
    r = sub.add_parser("restore", help="put a backup folder back into BOT_DATA_DIR (the bot must be stopped)")
    r.add_argument("folder", type=Path, help="one backup, e.g. /var/backups/nowbot/nowbot-20261204T020000Z")
    r.set_defaults(func=cmd_restore)


def cmd_backup(args: argparse.Namespace) -> int:
    settings = Settings.from_env()
    try:
        folder = store_backup.backup(settings.data_dir, args.to, keep=args.keep)
    except store_backup.BackupError as e:
        print(f"main.py backup: {e}", file=sys.stderr)
        return 1
    items = store_backup.read_manifest(folder)
    print(f"Backed up {len(items)} files to {folder}:")
    for item in items:
        print(f"  {item.stored_as:24} {item.bytes:>10} bytes")
    print("Left out: queries.daykey (today's secret for the query log; it must never be kept).")
    if settings.prefs_key:
        print("BOT_PREFS_KEY is set, so the chats' language key is in your environment file, not in this backup: "
              "keep a copy of that file apart from the backups.")
    else:
        print(f"Keep {folder / 'keys'} apart from the other files when you copy backups off this server.")
    return 0


def cmd_restore(args: argparse.Namespace) -> int:
    settings = Settings.from_env()
    try:
        aside = store_backup.restore(args.folder, settings.data_dir)
    except AlreadyRunning as e:
        print(f"main.py restore: refused: {e}. Stop it first (`sudo systemctl stop nowbot` or "
              "`docker compose stop bot`), then restore again.", file=sys.stderr)
        return 1
    except store_backup.BackupError as e:
        print(f"main.py restore: {e}", file=sys.stderr)
        return 1
    print(f"Restored {args.folder} into {settings.data_dir}.")
    if aside:
        print(f"The files it replaced are in {aside}; delete that folder once the bot runs well "
              "(it holds the same kind of data as the stores).")
    return 0
