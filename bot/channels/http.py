"""The bot's small HTTP server: ``GET /healthz`` for every deployment, and the routes a webhook channel adds.

WhatsApp serves its webhook here (:mod:`bot.channels.whatsapp.server`); a Telegram bot that polls has no server of
its own, so with ``BOT_HTTP_PORT`` set it serves ``/healthz`` alone (:func:`health_running`), for a service
manager's or a container's health check. uvicorn runs in the bot's own event loop without its signal handlers: the
bot's runner owns SIGTERM and SIGINT and stops the server in order.
"""

from __future__ import annotations

import asyncio
import logging
from contextlib import asynccontextmanager, contextmanager
from typing import Any, AsyncIterator, Callable, Iterator

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from bot.bootstrap import Core
from bot.health import check

log = logging.getLogger(__name__)


def healthz_route(core: Core, details: Callable[[], dict[str, Any]] = dict, backlog: Callable[[], int] = lambda: 0) -> Route:
    """``GET /healthz``: 503 until the stores are open; then 200, or 503 naming any store that cannot be written or
    a backlog too long. ``details``: what the channel adds (its counts)."""

    async def healthz(request: Request) -> Response:
        body = {"ready": core.started, **details()}
        if not core.started:
            return JSONResponse(body, status_code=503)
        health = await asyncio.to_thread(check, core.settings.data_dir, core.knowledge.kb, backlog=backlog())
        return JSONResponse({**body, **health.as_json()}, status_code=health.status)

    return Route("/healthz", healthz, methods=["GET"])


class Server(uvicorn.Server):
    """uvicorn without its own signal handlers."""

    @contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


@asynccontextmanager
async def serving(app: Starlette, host: str, port: int, name: str) -> AsyncIterator[None]:
    """``app`` on ``host``:``port`` while inside; a port that is taken raises at once."""
    server = Server(uvicorn.Config(app, host=host, port=port, access_log=False, log_level="warning", lifespan="off"))
    task = asyncio.create_task(server.serve(), name=name)
    while not server.started and not task.done():
        await asyncio.sleep(0.02)
    if task.done():
        task.result()  # the port is taken, or the host wrong: raise it
        raise OSError(f"the HTTP server on {host}:{port} stopped at once")
    log.info("%s listening on %s:%d", name, host, port)
    try:
        yield
    finally:
        server.should_exit = True
        await task


@asynccontextmanager
async def health_running(core: Core) -> AsyncIterator[None]:
    """``/healthz`` alone on ``BOT_HTTP_HOST``:``BOT_HTTP_PORT``, beside a channel that has no server (Telegram)."""
    s = core.settings
    async with serving(Starlette(routes=[healthz_route(core)]), s.http_host, s.http_port, "health check"):
        yield
