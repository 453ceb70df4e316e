"""Running a deployment: ``backup``, ``restore`` and ``doctor``, for the volunteer who keeps the bot up."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from bot.config import Settings
from bot.stores.runlock import AlreadyRunning


COMMANDS = ("backup", "restore", "doctor")  # what :func:`register` adds


def register(sub: argparse._SubParsersAction) -> None:
    b = sub.add_parser("backup", help="copy the data folder (stores, key, pending messages) into a new dated folder "
                                      "under DIR while the bot runs, and keep the newest --keep there")
    b.add_argument("--to", required=True, type=Path, metavar="DIR", help="where backups are kept")
    b.add_argument("--keep", type=int, default=14, help="how many backups to keep in DIR (default 14)")
    b.set_defaults(func=cmd_backup)
    r = sub.add_parser("restore", help="put a backup folder back into BOT_DATA_DIR (the bot must be stopped)")
    r.add_argument("folder", type=Path, help="one backup, e.g. /var/backups/nowbot/nowbot-20261204T020000Z")
    r.set_defaults(func=cmd_restore)
    d = sub.add_parser("doctor", help="check a deployment before it goes live: settings, token, data folder, key "
                                      "files, knowledge base, staff and case chats, WhatsApp settings")
    d.add_argument("--quick", action="store_true", help="leave out asking every example of the knowledge base")
    d.set_defaults(func=cmd_doctor)


def cmd_backup(args: argparse.Namespace) -> int:
    from bot.stores import backup as store_backup  # (shutil, bz2, lzma): only for backup and restore

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
    from bot.stores import backup as store_backup

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


def cmd_doctor(args: argparse.Namespace) -> int:
    from bot import doctor  # its checks import most of the bot: only for this command

    report = doctor.diagnose(os.environ, self_test=not args.quick, knowledge_dir=Path(args.knowledge))
    print(f"Checking the settings in this environment, the data folder {report.settings.data_dir} and the knowledge "
          f"base {report.settings.knowledge_dir}:")
    if os.geteuid() == 0:
        print("(You are root, who can write anywhere: run `sudo -u nowbot ... main.py doctor` to check what the bot's "
              "user can do.)")
    print(doctor.format_report(report))
    return 0 if report.ok else 1
