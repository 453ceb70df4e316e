"""Running the Application until SIGTERM or SIGINT, and stopping it without losing updates.

PTB's ``run_polling`` turns each stop signal into ``SystemExit``; a second signal
(``uv run`` forwards the one sent to its process group, so Python gets two) cuts
its clean-up short, the databases are never closed, aiosqlite's threads keep the
process alive, and updates already taken are lost. Here:

* a first signal starts an orderly stop and later ones are only logged;
* updates already taken are answered, for up to ``drain_seconds``; whatever has
  not started by then is kept on disk (``pending-updates.json`` in the data
  directory) and handled first at the next start; handlers still running after
  ``grace_seconds`` more are cancelled and their updates kept the same way
  (the file holds whole updates, with chat ids and text, because they are
  needed to answer; it is readable by the bot's user only and deleted as soon
  as its updates are queued again);
* the databases are closed in a ``finally``, so the process always exits.
"""

from __future__ import annotations

import asyncio
import json
import logging
import signal
from pathlib import Path
from contextlib import AbstractAsyncContextManager, nullcontext
from typing import Any, Awaitable, Callable

from telegram import Update
from telegram.ext import Application

from bot.channels.telegram.lanes import ChatLanes

log = logging.getLogger(__name__)

PENDING_FILE = "pending-updates.json"


async def serve(app: Application, start_updater: Callable[[], Awaitable[object]], pending: Path,
                drain_seconds: float = 6.0, grace_seconds: float = 2.0,
                beside: Callable[[], AbstractAsyncContextManager[Any]] | None = None) -> None:
    """Run until a stop signal; ``start_updater`` starts polling or the webhook server.

    ``beside``: another channel in the same process (WhatsApp), entered once the core is started and left at the
    stop signal, before Telegram stops.
    """
    stop = asyncio.Event()
    _install_signal_handlers(stop)
    try:
        await app.initialize()
        if app.post_init:
            await app.post_init(app)
        if stop.is_set():
            return
        await app.start()
        await _replay(app, pending)
        await start_updater()
        async with beside() if beside is not None else nullcontext():
            await stop.wait()
        await _stop(app, pending, drain_seconds, grace_seconds)
    finally:
        try:
            if app.updater and app.updater.running:  # only after an error above
                await app.updater.stop()
            if app.running:
                await app.stop()
        finally:
            if app.post_shutdown:
                await app.post_shutdown(app)  # closes the databases, whatever happened above
            if app._initialized:  # noqa: SLF001 - PTB has no public flag for it
                await app.shutdown()


def _install_signal_handlers(stop: asyncio.Event) -> None:
    loop = asyncio.get_running_loop()

    def on_signal(sig: signal.Signals) -> None:
        if stop.is_set():
            log.info("%s received while stopping; still finishing the updates already taken", sig.name)
            return
        log.info("%s received: answering the updates already taken, then stopping", sig.name)
        stop.set()

    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, on_signal, sig)


async def _stop(app: Application, pending: Path, drain_seconds: float, grace_seconds: float) -> None:
    if app.updater and app.updater.running:
        try:
            await asyncio.wait_for(app.updater.stop(), timeout=grace_seconds + 1)
        except asyncio.TimeoutError:
            log.warning("the updater did not stop in time")
    lanes = app.update_processor
    stopping = asyncio.ensure_future(app.stop())
    done, _ = await asyncio.wait({stopping}, timeout=drain_seconds)
    if not done and isinstance(lanes, ChatLanes):
        log.warning("updates still queued after %.0f s: keeping them for the next start", drain_seconds)
        lanes.park()
        done, _ = await asyncio.wait({stopping}, timeout=grace_seconds)
        if not done:
            lanes.cancel_running()
    await stopping
    if isinstance(lanes, ChatLanes) and lanes.parked:
        _keep(lanes.parked, pending)


def _keep(updates: list[object], pending: Path) -> None:
    kept = sorted((u for u in updates if isinstance(u, Update)), key=lambda u: u.update_id)
    previous = json.loads(pending.read_text(encoding="utf-8")) if pending.is_file() else []
    pending.parent.mkdir(parents=True, exist_ok=True)
    tmp = pending.with_suffix(".tmp")
    tmp.touch(mode=0o600)
    tmp.write_text(json.dumps(previous + [u.to_dict() for u in kept]), encoding="utf-8")
    tmp.replace(pending)
    log.warning("kept %d unanswered updates in %s; they are answered at the next start", len(kept), pending)


async def _replay(app: Application, pending: Path) -> None:
    """Queue the updates kept at the last stop, ahead of anything new; the file is removed once queued."""
    if not pending.is_file():
        return
    try:
        raw = json.loads(pending.read_text(encoding="utf-8"))
    except (OSError, ValueError) as e:
        log.error("could not read kept updates from %s (%s); leaving the file for inspection", pending, e)
        return
    for data in raw:
        await app.update_queue.put(Update.de_json(data, app.bot))
    pending.unlink()
    log.info("answering %d updates kept at the last stop", len(raw))
