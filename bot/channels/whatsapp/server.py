"""The HTTP server: Meta's webhook at ``/whatsapp`` and ``/healthz``, run by uvicorn in the bot's own event loop.

``POST /whatsapp`` checks the signature over the raw bytes before anything else (401, nothing touched), then
answers 200 at once; the messages are handled in their chats' lanes afterwards. Until the stores are open it
answers 503, and Meta delivers again later. No access log is written: Meta's verification request carries the
verify token in its URL.
"""

from __future__ import annotations

import asyncio
import json
import logging
import signal
import sys
from contextlib import asynccontextmanager
from typing import AsyncIterator

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route

from bot.bootstrap import Core
from bot.channels.whatsapp import alerts
from bot.channels.whatsapp.channel import WhatsAppChannel
from bot.channels.whatsapp.client import GraphClient
from bot.channels.whatsapp.webhook import parse, signature_ok, verify
from bot.channels.http import healthz_route, serving

log = logging.getLogger(__name__)


def build_app(channel: WhatsAppChannel) -> Starlette:
    settings = channel.core.settings

    async def verification(request: Request) -> Response:
        status, body = verify(request.query_params, settings.whatsapp_verify_token)
        return PlainTextResponse(body, status_code=status)

    async def webhook(request: Request) -> Response:
        raw = await request.body()
        if not signature_ok(raw, request.headers.get("x-hub-signature-256"), settings.whatsapp_app_secret):
            return PlainTextResponse("bad signature", status_code=401)
        if not channel.core.started:
            return PlainTextResponse("starting", status_code=503)
        try:
            payload = json.loads(raw)
        except ValueError:
            return PlainTextResponse("not JSON", status_code=400)
        channel.accept(parse(payload))  # queued in the chats' lanes; Meta gets its 200 now
        return PlainTextResponse("ok")

    return Starlette(routes=[
        Route("/whatsapp", verification, methods=["GET"]),
        Route("/whatsapp", webhook, methods=["POST"]),
        healthz_route(channel.core, channel.health, lambda: channel.lanes.busy),
    ])


class Redact(logging.Filter):
    """Keeps the access token and the app secret out of every log line and traceback."""

    def __init__(self, *secrets: str):
        super().__init__()
        self.secrets = [s for s in secrets if s]

    def _clean(self, text: str) -> str:
        for secret in self.secrets:
            text = text.replace(secret, "<secret>")
        return text

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if any(s in message for s in self.secrets):
            record.msg, record.args = self._clean(message), ()
        if record.exc_info and not record.exc_text:
            record.exc_text = self._clean(logging.Formatter().formatException(record.exc_info))
        return True


@asynccontextmanager
async def whatsapp_running(core: Core) -> AsyncIterator[WhatsAppChannel]:
    """The webhook server on ``BOT_HTTP_HOST``:``BOT_HTTP_PORT`` while inside; on leaving, stop taking messages,
    answer those taken (up to ``BOT_STOP_SECONDS``) and close the Graph client. The core is started by the caller."""
    s = core.settings
    for handler in logging.getLogger().handlers:
        handler.addFilter(Redact(s.whatsapp_token, s.whatsapp_app_secret))
    channel = WhatsAppChannel(core, GraphClient(s.whatsapp_api_base_url, s.whatsapp_token, s.whatsapp_phone_number_id))
    sending = alerts.attach(core, channel.client)  # alerts staff send from the Telegram staff chat
    try:
        async with serving(build_app(channel), s.http_host, s.http_port, "WhatsApp webhook"):
            yield channel
    finally:
        await alerts.detach(core, sending)
        left = await channel.lanes.drain(s.stop_seconds)
        if left:
            log.warning("%d WhatsApp messages were still being answered at the stop; Meta does not resend them", left)
        await channel.client.close()


def run_whatsapp(core: Core) -> int:
    """WhatsApp alone (no Telegram token): until SIGTERM or SIGINT."""
    logging.basicConfig(format="%(asctime)s %(levelname)s %(name)s: %(message)s", level=logging.INFO)
    logging.getLogger("httpx").setLevel(logging.WARNING)
    try:
        asyncio.run(_alone(core))
    except (OSError, SystemExit) as e:
        print(f"The WhatsApp server could not start ({e}). Check BOT_HTTP_HOST and BOT_HTTP_PORT.", file=sys.stderr)
        return 1
    return 0


async def _alone(core: Core) -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    try:
        async with whatsapp_running(core):
            await core.start()
            await stop.wait()
            log.info("stop signal received: answering the WhatsApp messages already taken, then stopping")
    finally:
        await core.close()
