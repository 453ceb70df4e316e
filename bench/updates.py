"""Updates per second through the real Application, and peak memory.

Text-message updates (the project's question set, in all four language forms,
from 500 different chats) go through ``Application.process_update`` with the
real handlers, conversation, preferences store and query log; the Bot API is a
recording request in-process, so no network is involved. Telegram's own rate
limiter is left out: it paces sending (about 30 messages/s), not processing.

    uv run python bench/updates.py [--updates 5000]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import resource
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from telegram import Update  # noqa: E402
from telegram.request import BaseRequest, RequestData  # noqa: E402

from bot.config import Settings  # noqa: E402
from bot.research.evaluation import load_items  # noqa: E402
from bot.bootstrap import bootstrap  # noqa: E402
from bot.channels.telegram.app import build_application  # noqa: E402

QUESTIONS = Path(__file__).resolve().parent.parent / "tests" / "eval" / "questions.yaml"
BOT = {"id": 1, "is_bot": True, "first_name": "bench", "username": "bench_bot"}


class RecordingRequest(BaseRequest):
    """Answers every Bot API call at once and counts what the bot sent."""

    def __init__(self) -> None:
        self.sent = 0

    @property
    def read_timeout(self) -> float | None:
        return 1.0

    async def initialize(self) -> None: ...

    async def shutdown(self) -> None: ...

    async def do_request(self, url, method, request_data: RequestData | None = None, read_timeout=None,
                         write_timeout=None, connect_timeout=None, pool_timeout=None) -> tuple[int, bytes]:
        name = url.rsplit("/", 1)[-1]
        params = request_data.parameters if request_data else {}
        if name == "getMe":
            result: object = BOT
        elif name in ("sendMessage", "editMessageText"):
            self.sent += 1
            result = {"message_id": self.sent, "date": 0, "chat": {"id": params.get("chat_id", 1), "type": "private"}, "text": "ok"}
        else:
            result = True
        return 200, json.dumps({"ok": True, "result": result}).encode()


def update(n: int, text: str) -> dict:
    chat = 10_000 + n % 500
    return {"update_id": n, "message": {"message_id": n, "date": 0, "text": text,
                                        "chat": {"id": chat, "type": "private"},
                                        "from": {"id": chat, "is_bot": False, "first_name": "W"}}}


async def run(n_updates: int) -> None:
    texts = [item.text for item in load_items(QUESTIONS)]
    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(token="1:bench", data_dir=Path(tmp), watch_seconds=0, flood_messages=10**9)
        request = RecordingRequest()
        app = build_application(bootstrap(settings), request=request, rate_limit=False)
        await app.initialize()
        await app.post_init(app)
        updates = [Update.de_json(update(i, texts[i % len(texts)]), app.bot) for i in range(n_updates)]
        for u in updates[:100]:  # warm-up
            await app.process_update(u)
        start = time.perf_counter()
        for u in updates:
            await app.process_update(u)
        elapsed = time.perf_counter() - start
        await app.post_shutdown(app)
        await app.shutdown()
        logged = app.bot_data["services"].querylog.stats.written
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"{n_updates} text updates in {elapsed:.2f} s: {n_updates / elapsed:,.0f} updates/s on one core "
          f"({request.sent} messages sent, {logged} questions logged); peak memory {peak_mb:.0f} MB")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--updates", type=int, default=5000)
    asyncio.run(run(parser.parse_args().updates))


if __name__ == "__main__":
    main()
