"""``main.py doctor``: checks a deployment before it goes live and says, in plain words, what is wrong and how to fix it.

Each check reads the environment (the same variables the bot reads), the data folder or the knowledge base, and
returns findings: a *problem* stops the bot from working as configured (``doctor`` exits 1), a *warning* is worth
fixing but the bot runs. Nothing is changed, and no secret is ever printed, only which setting holds it.
Channel-free: the Telegram and WhatsApp settings are checked by their variable names.
"""

from __future__ import annotations

import dataclasses
import os
import re
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Mapping

from bot.config import SettingError, Settings
from bot.knowledge import check as kb_check
from bot.stores.backup import FILES, KEYS, NEVER, STORES

WHATSAPP = ("WHATSAPP_ACCESS_TOKEN", "WHATSAPP_PHONE_NUMBER_ID", "WHATSAPP_APP_SECRET", "WHATSAPP_VERIFY_TOKEN")
# BotFather's tokens: the bot's number, a colon, then 35 letters, digits, '-' or '_'.
_TOKEN = re.compile(r"\d{5,12}:[A-Za-z0-9_-]{30,50}")


@dataclass(frozen=True)
class Finding:
    level: str  # "problem" or "warning"
    what: str
    fix: str


@dataclass(frozen=True)
class Check:
    title: str  # what "ok" means, for the report
    run: Callable[[Mapping[str, str], Settings], list[Finding]]


def problem(what: str, fix: str) -> Finding:
    return Finding("problem", what, fix)


def warning(what: str, fix: str) -> Finding:
    return Finding("warning", what, fix)


def settings_of(env: Mapping[str, str]) -> tuple[Settings, list[Finding]]:
    """The settings, or (when some do not parse) the defaults with the paths and token from ``env``, and a
    problem for each setting that does not parse (the bot itself stops at the first)."""
    try:
        return Settings.from_env(dict(env)), []
    except SettingError:
        pass
    found = []
    for name in sorted(n for n in env if n.startswith(("BOT_", "TELEGRAM_"))):
        try:
            Settings.from_env({name: env[name]})
        except SettingError as e:
            found.append(problem(f"a setting does not parse: {e}",
                                 "correct it in the environment file (see the settings table in the README)"))
    fallback = Settings(token=env.get("TELEGRAM_BOT_TOKEN", ""), data_dir=Path(env.get("BOT_DATA_DIR", "data")),
                        knowledge_dir=Path(env.get("BOT_KNOWLEDGE_DIR", str(Settings.knowledge_dir))))
    return fallback, found


def channels(env: Mapping[str, str], settings: Settings) -> list[Finding]:
    found = []
    token = env.get("TELEGRAM_BOT_TOKEN", "")
    whatsapp = [name for name in WHATSAPP if env.get(name, "").strip()]
    if token and not _TOKEN.fullmatch(token):
        hint = " (it has spaces or quotes around it)" if _TOKEN.fullmatch(token.strip().strip("'\"")) else ""
        found.append(problem(f"TELEGRAM_BOT_TOKEN does not look like a Telegram bot token{hint}: it should be the "
                             "bot's number, a colon, then about 35 letters and digits",
                             "copy it again from @BotFather (/mybots -> your bot -> API Token), with nothing around it"))
    if 0 < len(whatsapp) < len(WHATSAPP):
        missing = [name for name in WHATSAPP if name not in whatsapp]
        found.append(problem(f"WhatsApp is half set up: {', '.join(whatsapp)} set but {', '.join(missing)} not",
                             "set all four WhatsApp settings (see the README), or remove them all to run on "
                             "Telegram only"))
    if not token and not whatsapp:
        found.append(problem("no channel is set up: neither TELEGRAM_BOT_TOKEN nor the WhatsApp settings are set, so "
                             "the service would exit", "put TELEGRAM_BOT_TOKEN=... (from @BotFather) in the "
                             "environment file"))
    return found


def _probe(folder: Path) -> str | None:
    """None if a file can be made in ``folder`` (as this user), else why not."""
    try:
        fd, name = tempfile.mkstemp(dir=folder, prefix=".doctor-")
    except OSError as e:
        return e.strerror or str(e)
    os.close(fd)
    os.unlink(name)
    return None


def data_folder(env: Mapping[str, str], settings: Settings) -> list[Finding]:
    folder = settings.data_dir
    fix = (f"make it and give it to the bot's user: `sudo install -d -o nowbot -m 700 {folder}` (the systemd unit's "
           "StateDirectory does this), or set BOT_DATA_DIR to a folder that user can write")
    if folder.exists() and not folder.is_dir():
        return [problem(f"the data folder {folder} (BOT_DATA_DIR) is a file, not a folder", fix)]
    if not folder.exists():
        parent = next(p for p in folder.absolute().parents if p.exists())
        why = _probe(parent) if parent.is_dir() else "not a folder"
        if why:
            return [problem(f"the data folder {folder} (BOT_DATA_DIR) does not exist and cannot be made in {parent} "
                            f"({why})", fix)]
        return []
    why = _probe(folder)
    if why:
        return [problem(f"the data folder {folder} (BOT_DATA_DIR) cannot be written by this user ({why})", fix)]
    stuck = [name for name in (*STORES, *(s + "-wal" for s in STORES), *(s + "-shm" for s in STORES), *FILES)
             if (folder / name).exists() and not os.access(folder / name, os.W_OK)]
    if stuck:
        return [problem(f"in {folder}, {', '.join(stuck)} cannot be written by this user",
                        f"give them to the bot's user: `sudo chown -R nowbot: {folder}`")]
    return []


def key_files(env: Mapping[str, str], settings: Settings) -> list[Finding]:
    loose = []
    for name in (*KEYS, *NEVER, "pending-updates.json"):
        try:
            mode = (settings.data_dir / name).stat().st_mode
        except OSError:  # none yet, or a folder this user cannot read (the data folder check says so)
            continue
        if mode & 0o077:
            loose.append(f"{name} ({oct(mode & 0o777)[2:]})")
    if not loose:
        return []
    return [problem(f"in {settings.data_dir}, {', '.join(loose)} can be read by other users: these files hold the "
                    "keys that keep chats and question-askers unlinkable, or whole messages",
                    f"`chmod 600 {settings.data_dir}/<file>` for each, and `chmod 700 {settings.data_dir}`")]


def staff_chats(env: Mapping[str, str], settings: Settings) -> list[Finding]:
    if settings.case_chat_id is not None and not settings.staff_chat_ids:
        return [warning("BOT_CASE_CHAT_ID is set but BOT_STAFF_CHAT_IDS is not: cases arrive, but no chat can "
                        "/reload the knowledge base, fix a missed question or get the weekly digest",
                        "set BOT_STAFF_CHAT_IDS to the staff chat's id (it may be the case chat's id too)")]
    return []


def knowledge(self_test: bool) -> Callable[[Mapping[str, str], Settings], list[Finding]]:
    def run(env: Mapping[str, str], settings: Settings) -> list[Finding]:
        root = settings.knowledge_dir
        if not root.is_dir():
            return [problem(f"the knowledge base folder {root} (BOT_KNOWLEDGE_DIR) does not exist",
                            "set BOT_KNOWLEDGE_DIR to the knowledge folder of this repository, or leave it unset")]
        result = kb_check.check(root, self_test=self_test)
        found = []
        if not result.ok:
            first = "; ".join(str(p) for p in result.errors[:3])
            found.append(problem(f"the knowledge base in {root} fails `kb check` with {len(result.errors)} "
                                 f"error(s), so the bot would not start: {first}",
                                 f"run `uv run main.py --knowledge {root} kb check` and fix what it lists"))
        facts = [u.removeprefix("fact ") for u in result.unverified if u.startswith("fact ")]
        entries = [u for u in result.unverified if not u.startswith("fact ")]
        if facts:
            found.append(warning(f"{len(facts)} unconfirmed fact(s) are shown to workers, marked as not yet "
                                 f"confirmed: {', '.join(facts)}",
                                 "have NOWCommunities confirm each against its source (`uv run main.py kb facts` "
                                 "lists them with their sources), then set `verified: true` in knowledge/facts.yaml"))
        if entries:
            found.append(warning(f"{len(entries)} answer(s) not yet checked by NOWCommunities are shown to workers: "
                                 f"{', '.join(entries)}",
                                 "have each checked, then set `verified: true` on the entry"))
        return found

    return run


def checks(self_test: bool = True) -> list[Check]:
    return [
        Check("Telegram and WhatsApp settings", channels),
        Check("data folder can be written", data_folder),
        Check("key files readable by the bot's user only", key_files),
        Check("staff and case chats", staff_chats),
        Check("knowledge base passes `kb check`, every fact confirmed", knowledge(self_test)),
    ]


@dataclass(frozen=True)
class Report:
    settings: Settings
    results: list[tuple[Check | None, list[Finding]]]  # None: the settings themselves

    @property
    def findings(self) -> list[Finding]:
        return [f for _, found in self.results for f in found]

    @property
    def ok(self) -> bool:
        return all(f.level != "problem" for f in self.findings)


def diagnose(env: Mapping[str, str], *, self_test: bool = True, knowledge_dir: Path | None = None) -> Report:
    """Run every check; ``knowledge_dir`` stands for ``BOT_KNOWLEDGE_DIR`` (``--knowledge``)."""
    settings, parsed = settings_of(env)
    if knowledge_dir is not None:
        settings = dataclasses.replace(settings, knowledge_dir=knowledge_dir)
    results: list[tuple[Check | None, list[Finding]]] = [(None, parsed)]
    results += [(c, c.run(env, settings)) for c in checks(self_test)]
    return Report(settings, results)


def format_report(report: Report) -> str:
    lines = []
    for check, found in report.results:
        if not found and check is not None:
            lines.append(f"ok       {check.title}")
        for f in found:
            lines.append(f"{f.level.upper():8} {f.what}")
            lines.append(f"         Fix: {f.fix}")
    problems = sum(f.level == "problem" for f in report.findings)
    warnings = len(report.findings) - problems
    if problems:
        lines.append(f"{problems} problem(s), {warnings} warning(s): fix the problems before starting the bot.")
    else:
        lines.append(f"Ready to start ({warnings} warning(s)).")
    return "\n".join(lines)
