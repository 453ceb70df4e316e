"""The Graph API calls the bot makes, on httpx: messages, media upload and download.

Throughput errors (130429 for the number, 131056 for one recipient, and the other codes courier treats as
throttling), server errors (5xx) and connections that fail or are cut before Meta answers are retried after a
growing pause. The caller sends each chat's messages one after another in that chat's lane, so a pause holds
back only the chat it concerns. Anything else Meta refuses raises :class:`GraphError` with Meta's code (131047: the 24-hour window is closed).
"""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path
from typing import Any, Awaitable, Callable

import httpx

log = logging.getLogger(__name__)

THROTTLED = frozenset({4, 80007, 130429, 131048, 131056, 133016})
WINDOW_CLOSED = 131047
LOST = (httpx.ConnectError, httpx.ConnectTimeout, httpx.ReadError, httpx.WriteError, httpx.RemoteProtocolError,
        httpx.PoolTimeout)


class GraphError(Exception):
    """Meta refused a call: ``code`` is Meta's error code (0 when the answer had none), ``status`` the HTTP status."""

    def __init__(self, code: int, status: int, message: str):
        super().__init__(f"Graph API error {code} (HTTP {status}): {message}")
        self.code, self.status = code, status


class GraphClient:
    def __init__(self, base_url: str, token: str, phone_number_id: str, *, http: httpx.AsyncClient | None = None,
                 attempts: int = 6, first_pause: float = 0.5, max_pause: float = 30.0,
                 sleep: Callable[[float], Awaitable[Any]] = asyncio.sleep):
        self.base_url = base_url.rstrip("/")
        self.phone_number_id = phone_number_id
        self._headers = {"Authorization": f"Bearer {token}"}
        self.http = http or httpx.AsyncClient(timeout=httpx.Timeout(20.0, connect=5.0),
                                              limits=httpx.Limits(max_connections=64, max_keepalive_connections=64))
        self.attempts, self.first_pause, self.max_pause, self.sleep = attempts, first_pause, max_pause, sleep
        self.retried = 0  # calls sent again after a throttling or server error (shown by /healthz)

    async def close(self) -> None:
        await self.http.aclose()

    async def send(self, address: dict[str, str], payload: dict[str, Any]) -> str:
        """One message to ``address`` (``{"recipient": bsuid}`` or ``{"to": phone}``); returns its message id."""
        body = {"messaging_product": "whatsapp", "recipient_type": "individual", **address, **payload}
        answer = await self._call("POST", f"/{self.phone_number_id}/messages", json=body)
        return str(answer.get("messages", [{}])[0].get("id", ""))

    async def upload(self, path: Path, mime_type: str) -> str:
        """A file for later sends (a recorded answer); returns its media id, valid 30 days."""
        return await self.upload_bytes(path.read_bytes(), path.name, mime_type)

    async def upload_bytes(self, data: bytes, name: str, mime_type: str) -> str:
        """The same from bytes (a staff member's file from the case chat)."""
        form = {"messaging_product": "whatsapp", "type": mime_type}
        answer = await self._call("POST", f"/{self.phone_number_id}/media", data=form,
                                  files={"file": (name, data, mime_type)})
        return str(answer["id"])

    async def download(self, media_id: str) -> tuple[bytes, str]:
        """A worker's media (its id expires within days, its URL within minutes): the bytes and their type."""
        info = await self._call("GET", f"/{media_id}")
        response = await self.http.get(str(info["url"]), headers=self._headers)
        response.raise_for_status()
        return response.content, str(info.get("mime_type", ""))

    async def _call(self, method: str, path: str, **kwargs: Any) -> dict[str, Any]:
        pause = self.first_pause
        for attempt in range(1, self.attempts + 1):
            try:
                response = await self.http.request(method, self.base_url + path, headers=self._headers, **kwargs)
            except LOST as e:  # the connection failed or was cut before Meta answered: a lost reply is worse than
                if attempt == self.attempts:  # the rare one sent twice (a slow answer, ReadTimeout, is not retried)
                    raise GraphError(0, 0, f"connection failed: {e!r}") from e
                error = GraphError(0, 0, f"connection failed: {e!r}")
            else:
                if response.status_code < 400:
                    return response.json()
                error = _error(response)
                if attempt == self.attempts or not (error.code in THROTTLED or response.status_code >= 500):
                    raise error
            log.info("Graph API %s (attempt %d): trying again in %.1f s", error, attempt, pause)
            self.retried += 1
            await self.sleep(pause)
            pause = min(pause * 2, self.max_pause)
        raise AssertionError("unreachable")


def _error(response: httpx.Response) -> GraphError:
    try:
        err = response.json().get("error", {})
    except ValueError:
        err = {}
    code = err.get("code", 0) if isinstance(err, dict) else 0
    message = str(err.get("message", "")) if isinstance(err, dict) else ""
    return GraphError(int(code) if str(code).isdigit() else 0, response.status_code, message or response.reason_phrase)
