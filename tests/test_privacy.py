"""No worker can be traced from what the bot stores.

Conversations run through the Telegram end-to-end harness and the terminal chat;
then every file the bot wrote is read as bytes and searched for the ids, names,
usernames and phone numbers that the workers sent.
"""

from __future__ import annotations

import io
import sqlite3
from pathlib import Path

from bot.channels.terminal import run_terminal_chat
from bot.bootstrap import bootstrap
from bot.config import Settings
from bot.stores.preferences import Preferences
from tests.telegram_harness import choose, running, wait

USER_ID = 918273645  # chat id = user id in a private chat
GROUP_ID = -1001987654321
PROFILE = {"first_name": "Zarmeena", "last_name": "Khaskheli", "username": "zarmeena_kh77"}

# What workers type: questions with their own phone numbers, CNIC, email, @username and name inside.
MESSAGES = [
    "mera number 0321-7654329 hai, tankhwa nahi mili",
    "minimum wage kitni hai? call me on +92 345 8765431",
    "میرا نمبر ۰۳۳۳۲۴۶۸۱۳۵ ہے، اوور ٹائم کا کیا حساب ہے",
    "منهنجو نمبر ٠٣٠٠٩٧٥٣١٨٦ آهي، پگهار ڪيتري آهي",
    "my CNIC 42101-9876543-1, maternity leave kitni hai",
    "email zarmeena.kh@gmail.com about harassment at work",
    "message me @zarmeena_kh77 about union",
    "mera naam Zarmeena Khaskheli hai, seth ne nikal diya",
]

SECRETS = ["0321", "7654329", "345 8765431", "8765431", "۰۳۳۳۲۴۶۸۱۳۵", "03332468135", "٠٣٠٠٩٧٥٣١٨٦", "03009753186",
           "9876543", "zarmeena", "Zarmeena", "Khaskheli", "khaskheli", "zarmeena_kh77", "gmail"]


def forbidden(ids: list[int]) -> list[bytes]:
    """Each secret as UTF-8, and each id as text and as SQLite stores integers (big-endian, 4 or 8 bytes)."""
    out = [s.encode() for s in SECRETS]
    for i in ids:
        out += [str(i).encode(), str(abs(i)).encode(), i.to_bytes(8, "big", signed=True)]
        if -2**31 <= i < 2**31:
            out.append(i.to_bytes(4, "big", signed=True))
    return out


def leaks(data_dir: Path, ids: list[int]) -> list[tuple[str, bytes]]:
    files = [p for p in data_dir.rglob("*") if p.is_file()]
    assert files, "the bot wrote nothing: the test would prove nothing"
    return [(p.name, s) for p in files for s in forbidden(ids) if s in p.read_bytes()]


async def test_telegram_conversations_leave_no_trace(fake, settings):
    fake.profiles[USER_ID] = PROFILE
    async with running(settings):
        await choose(fake, USER_ID, "ur")
        n = len(fake.sent(USER_ID))
        for text in MESSAGES:
            fake.message(USER_ID, text)
            n += 1
            await wait(fake, USER_ID, n)
        fake.press(USER_ID, "feedback:yes:x")  # an odd callback must not leak either
        fake.message(GROUP_ID, "@nowrights_test_bot overtime ka rate, mera number 0321-7654329", user_id=USER_ID, group=True)
        await wait(fake, GROUP_ID, 1)
    questions = sqlite3.connect(settings.log_path).execute("SELECT COUNT(*), COUNT(text) FROM queries").fetchone()
    assert questions[0] >= len(MESSAGES) + 1 and questions[1] >= len(MESSAGES), "the questions were logged"
    assert leaks(settings.data_dir, [USER_ID, GROUP_ID]) == []


def test_terminal_chat_leaves_no_trace(tmp_path, store):
    lines = iter(["2", *MESSAGES, "/quit"])  # 2: the language button for Urdu
    core = bootstrap(Settings(data_dir=tmp_path / "data"), store, prefs=Preferences(":memory:"))
    run_terminal_chat(core, read=lambda prompt: next(lines), out=io.StringIO())
    count = sqlite3.connect(tmp_path / "data" / "queries.sqlite3").execute("SELECT COUNT(text) FROM queries").fetchone()[0]
    assert count == len(MESSAGES)
    assert leaks(tmp_path / "data", []) == []


async def test_the_senders_own_name_typed_anywhere_is_not_kept(fake, settings):
    fake.profiles[USER_ID] = PROFILE
    async with running(settings):
        fake.message(USER_ID, "Zarmeena here from Korangi, overtime kitna milta hai")
        await wait(fake, USER_ID, 1)
    assert leaks(settings.data_dir, [USER_ID]) == []
