"""getUpdates that survives an update PTB cannot parse.

When Telegram sends an update PTB's schema does not accept, ``Bot.get_updates``
fails for the whole batch; the Updater logs a CRITICAL traceback and asks for
the same batch again at once, for ever, and nobody gets an answer (QA F28).
This request checks each update of a getUpdates answer and replaces one that
does not parse with its bare ``update_id``: it is logged once (without its
content), confirmed to Telegram like any other, and the rest of the batch is
answered.
"""

from __future__ import annotations

import logging

from telegram import Update
from telegram.request import HTTPXRequest, RequestData

log = logging.getLogger(__name__)


class TolerantUpdatesRequest(HTTPXRequest):
    async def post(self, url: str, request_data: RequestData | None = None, *args, **kwargs):  # type: ignore[misc]  # PTB marks post final
        result = await super().post(url, request_data, *args, **kwargs)
        if url.endswith("/getUpdates") and isinstance(result, list):
            return [_parseable(raw) for raw in result]
        return result


def _parseable(raw: dict) -> dict:
    try:
        Update.de_json(raw, None)
        return raw
    except Exception as e:  # noqa: BLE001 - whatever PTB cannot read is skipped, not retried for ever
        kinds = sorted(k for k in raw if k != "update_id")
        log.error("skipped update %s (%s) that python-telegram-bot cannot read: %s: %s",
                  raw.get("update_id"), ", ".join(kinds) or "empty", type(e).__name__, e)
        return {"update_id": raw["update_id"]}
