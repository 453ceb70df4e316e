"""A fake WhatsApp Cloud API (Graph API) on loopback, for end-to-end tests of the real bot process.

Standard library only. It serves what the bot calls (``POST /<version>/<phone id>/messages``,
``POST /<version>/<phone id>/media``, ``GET /<version>/<media id>`` and the media download), checks the bearer
token, and refuses what Meta refuses, with Meta-shaped errors (HTTP 400, ``{"error": {"code": ...}}``):

* a text over 4,096 characters, reply buttons outside 1-3, a button title over 20 or twice the same, a button
  id over 256, a reply-button body over 1,024, a header over 60; a list with no rows or more than 10 across its
  sections, a row title over 24, a description over 72, a row id over 200, a list body over 4,096, a list button
  label over 20 (code 131009, "Parameter value is not valid"); a template without a name or language (132001), or
  with a text parameter holding a line break, a tab or more than four spaces in a row (132018);
* a free-form message to a user whose last message is more than 24 hours old by :attr:`FakeGraph.now` (131047);
  templates pass;
* a BSUID in ``to``: answered 200 with a message id and silently dropped, as Meta does (kept in ``dropped``).

:meth:`FakeGraph.fail` injects errors for the next calls (130429, 131056, 131047, or HTTP 5xx). Every call is
recorded in :attr:`FakeGraph.calls`; every message delivered in :attr:`FakeGraph.sent`. The user's side sends
webhooks to the bot, signed with X-Hub-Signature-256 over the exact bytes posted: :meth:`text`, :meth:`tap`,
:meth:`voice`, :meth:`file` (a photo or document), :meth:`send` (any message body), :meth:`status`.
"""

from __future__ import annotations

import hashlib
import hmac
import itertools
import json
import re
import threading
import time
import urllib.error
import urllib.request
from email.parser import BytesParser
from email.policy import HTTP
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

VERSION = "v25.0"
PHONE_NUMBER_ID = "106540352242922"
BSUID = re.compile(r"^[A-Z]{2}\.\d+$")
WINDOW_SECONDS = 24 * 3600

TEXT_MAX, BUTTON_TITLE_MAX, BUTTON_ID_MAX, BUTTON_BODY_MAX, HEADER_MAX = 4096, 20, 256, 1024, 60
ROWS_MAX, ROW_TITLE_MAX, ROW_DESCRIPTION_MAX, ROW_ID_MAX, LIST_BODY_MAX, LIST_BUTTON_MAX = 10, 24, 72, 200, 4096, 20


class Refused(Exception):
    def __init__(self, code: int, message: str, http: int = 400):
        super().__init__(message)
        self.code, self.http = code, http


def check_limits(body: dict[str, Any]) -> None:
    """Raise :class:`Refused` (131009) for anything over Meta's limits, as the Cloud API does."""
    kind = body.get("type")
    if kind == "text":
        text = (body.get("text") or {}).get("body", "")
        if not text or len(text) > TEXT_MAX:
            raise Refused(131009, f"Parameter value is not valid: text body length {len(text)}")
    elif kind == "interactive":
        inter = body.get("interactive") or {}
        header = (inter.get("header") or {}).get("text", "")
        if len(header) > HEADER_MAX:
            raise Refused(131009, f"header too long ({len(header)})")
        text = (inter.get("body") or {}).get("text", "")
        if not text:
            raise Refused(131009, "body text is required")
        if inter.get("type") == "button":
            buttons = (inter.get("action") or {}).get("buttons") or []
            titles = [b["reply"]["title"] for b in buttons]
            if not 1 <= len(buttons) <= 3 or len(set(titles)) != len(titles):
                raise Refused(131009, f"buttons: {len(buttons)}, titles must be unique")
            if any(len(t) > BUTTON_TITLE_MAX or not t for t in titles):
                raise Refused(131009, f"button title too long: {max(titles, key=len)!r}")
            if any(len(b["reply"]["id"]) > BUTTON_ID_MAX for b in buttons):
                raise Refused(131009, "button id too long")
            if len(text) > BUTTON_BODY_MAX:
                raise Refused(131009, f"body too long for reply buttons ({len(text)})")
        elif inter.get("type") == "list":
            action = inter.get("action") or {}
            label = action.get("button", "")
            rows = [r for s in action.get("sections") or [] for r in s.get("rows") or []]
            if not label or len(label) > LIST_BUTTON_MAX:
                raise Refused(131009, f"list button label {label!r}")
            if not 1 <= len(rows) <= ROWS_MAX:
                raise Refused(131009, f"a list holds 1 to 10 rows, not {len(rows)}")
            for row in rows:
                if not row.get("title") or len(row["title"]) > ROW_TITLE_MAX:
                    raise Refused(131009, f"row title too long: {row.get('title')!r}")
                if len(row.get("description", "")) > ROW_DESCRIPTION_MAX:
                    raise Refused(131009, "row description too long")
                if len(row.get("id", "")) > ROW_ID_MAX or not row.get("id"):
                    raise Refused(131009, "row id")
            if len({r["id"] for r in rows}) != len(rows):
                raise Refused(131009, "row ids must be unique")
            if len(text) > LIST_BODY_MAX:
                raise Refused(131009, "list body too long")
        else:
            raise Refused(131009, f"interactive type {inter.get('type')!r}")
    elif kind in ("audio", "image", "document"):
        if not (body.get(kind) or {}).get("id"):
            raise Refused(131009, f"{kind} needs a media id")
    elif kind == "template":
        template = body.get("template") or {}
        if not template.get("name") or not (template.get("language") or {}).get("code"):
            raise Refused(132001, "Template name does not exist in the translation")
        for component in template.get("components") or []:
            for parameter in component.get("parameters") or []:
                text = parameter.get("text", "") if parameter.get("type") == "text" else ""
                if "\n" in text or "\t" in text or " " * 5 in text:
                    raise Refused(132018, "Param text cannot have new-line/tab characters or more than 4 consecutive spaces")
    else:
        raise Refused(131009, f"message type {kind!r}")


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 128  # Meta takes many connections at once; the standard library's 5 resets some under load


class FakeGraph:
    def __init__(self, app_secret: str = "test-app-secret", token: str = "test-access-token", delay: float = 0.0):
        self.app_secret, self.token, self.delay = app_secret, token, delay
        self.bot_url = ""  # the bot's webhook, set by the test once the bot listens
        self.now = time.time()  # the fake's clock for the 24-hour window; tests move it
        self.calls: list[tuple[str, str, Any]] = []  # (method, path, JSON body or form)
        self.sent: list[dict[str, Any]] = []  # messages delivered (payload plus the user it reached)
        self.dropped: list[dict[str, Any]] = []  # accepted but never delivered (a BSUID in "to")
        self.refused: list[tuple[int, dict[str, Any]]] = []
        self.media: dict[str, tuple[bytes, str]] = {}  # media id -> (bytes, mime type)
        self.last_inbound: dict[str, float] = {}  # user (BSUID or phone) -> the fake clock at their last message
        self._failures: list[tuple[int, int]] = []  # (http status, Meta code) for the next sends
        self._ids = itertools.count(1)
        self._lock = threading.Lock()
        self.cond = threading.Condition(self._lock)
        self._server = _Server(("127.0.0.1", 0), self._handler())
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}/{VERSION}"

    def start(self) -> "FakeGraph":
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def fail(self, *failures: tuple[int, int]) -> None:
        """The next sends fail with these (HTTP status, Meta code) pairs, one each, e.g. (400, 130429), (503, 0)."""
        with self._lock:
            self._failures.extend(failures)

    # -- the user's side: signed webhooks ------------------------------------------------------------

    def _envelope(self, user: dict[str, str], message: dict[str, Any] | None = None,
                  status: dict[str, Any] | None = None) -> dict[str, Any]:
        contact: dict[str, Any] = {"profile": {"name": user.get("name", "")}}
        if user.get("phone"):
            contact["wa_id"] = user["phone"]
        if user.get("bsuid"):
            contact["user_id"] = user["bsuid"]
        value: dict[str, Any] = {"messaging_product": "whatsapp",
                                 "metadata": {"display_phone_number": "15550001111", "phone_number_id": PHONE_NUMBER_ID}}
        if message is not None:
            value["contacts"] = [contact]
            value["messages"] = [message]
        if status is not None:
            value["statuses"] = [status]
        return {"object": "whatsapp_business_account",
                "entry": [{"id": "WABA-1", "changes": [{"value": value, "field": "messages"}]}]}

    def post(self, raw: bytes, signature: str | None = "auto") -> int:
        """POST raw bytes to the bot's webhook, signed (``auto``), unsigned (None) or with the given header."""
        headers = {"Content-Type": "application/json"}
        if signature == "auto":
            signature = "sha256=" + hmac.new(self.app_secret.encode(), raw, hashlib.sha256).hexdigest()
        if signature is not None:
            headers["X-Hub-Signature-256"] = signature
        request = urllib.request.Request(self.bot_url, data=raw, headers=headers, method="POST")
        try:
            with urllib.request.urlopen(request, timeout=10) as response:
                return response.status
        except urllib.error.HTTPError as e:
            return e.code

    def send(self, user: dict[str, str], kind: str, content: dict[str, Any], message_id: str | None = None,
             signature: str | None = "auto") -> tuple[int, str]:
        """The user sends a message of ``kind``; returns the webhook's HTTP status and the message id."""
        message_id = message_id or f"wamid.IN{next(self._ids):08d}"
        message: dict[str, Any] = {"id": message_id, "timestamp": str(int(self.now)), "type": kind, kind: content}
        if user.get("phone"):
            message["from"] = user["phone"]
        if user.get("bsuid"):
            message["from_user_id"] = user["bsuid"]
        with self._lock:
            self.last_inbound[self._who(user)] = self.now
        raw = json.dumps(self._envelope(user, message), ensure_ascii=False).encode()
        return self.post(raw, signature), message_id

    def text(self, user: dict[str, str], body: str, **kw: Any) -> tuple[int, str]:
        return self.send(user, "text", {"body": body}, **kw)

    def tap(self, user: dict[str, str], reply_id: str, title: str = "", kind: str = "button_reply") -> tuple[int, str]:
        """A tap on a reply button (``button_reply``) or a list row (``list_reply``)."""
        return self.send(user, "interactive", {"type": kind, kind: {"id": reply_id, "title": title}})

    def voice(self, user: dict[str, str], data: bytes = b"OggS fake opus") -> tuple[int, str]:
        media_id = f"media-in-{next(self._ids)}"
        with self._lock:
            self.media[media_id] = (data, "audio/ogg; codecs=opus")
        return self.send(user, "audio", {"id": media_id, "mime_type": "audio/ogg; codecs=opus", "voice": True})

    def file(self, user: dict[str, str], kind: str, data: bytes, mime_type: str, caption: str = "",
             filename: str = "") -> tuple[int, str]:
        """A photo (``image``) or ``document`` the user sends, served for download under a new media id."""
        media_id = f"media-in-{next(self._ids)}"
        with self._lock:
            self.media[media_id] = (data, mime_type)
        content = {"id": media_id, "mime_type": mime_type, **({"caption": caption} if caption else {}),
                   **({"filename": filename} if filename else {})}
        return self.send(user, kind, content)

    def status(self, message_id: str, status: str, codes: tuple[int, ...] = ()) -> int:
        st: dict[str, Any] = {"id": message_id, "status": status, "timestamp": str(int(self.now)), "recipient_id": "0"}
        if codes:
            st["errors"] = [{"code": c, "title": "error"} for c in codes]
        return self.post(json.dumps(self._envelope({}, status=st)).encode())

    @staticmethod
    def _who(user: dict[str, str]) -> str:
        return user.get("bsuid") or user["phone"]

    # -- waiting -----------------------------------------------------------------------------------

    def to(self, user: dict[str, str]) -> list[dict[str, Any]]:
        """The messages delivered to ``user`` so far."""
        who = self._who(user)
        with self._lock:
            return [m for m in self.sent if m["user"] == who]

    def wait(self, user: dict[str, str], count: int, timeout: float = 15.0) -> list[dict[str, Any]]:
        """Until ``user`` has received ``count`` messages; then all of them."""
        deadline = time.monotonic() + timeout
        with self.cond:
            while len([m for m in self.sent if m["user"] == self._who(user)]) < count:
                left = deadline - time.monotonic()
                if left <= 0:
                    got = [m for m in self.sent if m["user"] == self._who(user)]
                    raise AssertionError(f"{len(got)} messages for {self._who(user)}, not {count}: {got}")
                self.cond.wait(left)
            return [m for m in self.sent if m["user"] == self._who(user)]

    # -- the Graph API side ----------------------------------------------------------------------------

    def _deliver(self, body: dict[str, Any]) -> dict[str, Any]:
        if body.get("messaging_product") != "whatsapp":
            raise Refused(100, "messaging_product must be whatsapp")
        to, recipient = body.get("to"), body.get("recipient")
        if not (to or recipient):
            raise Refused(100, "The parameter to is required.")
        wamid = f"wamid.OUT{next(self._ids):08d}"
        if to and BSUID.match(str(to)):  # Meta: 200 and a message id, and the message is silently dropped
            self.dropped.append(body)
            return {"messages": [{"id": wamid}]}
        check_limits(body)
        who = str(recipient or to)
        if self._failures:
            status, code = self._failures.pop(0)
            raise Refused(code, f"injected error {code}", status)
        last = self.last_inbound.get(who)
        if body.get("type") != "template" and (last is None or self.now - last > WINDOW_SECONDS):
            raise Refused(131047, "Re-engagement message: More than 24 hours have passed since the recipient last "
                                  "replied to the sender number.")
        self.sent.append({**body, "user": who, "id": wamid, "at": time.monotonic()})
        self.cond.notify_all()
        return {"messaging_product": "whatsapp", "contacts": [{"input": who}], "messages": [{"id": wamid}]}

    def _handler(self):
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def _answer(self, status: int, body: Any, content_type: str = "application/json") -> None:
                data = body if isinstance(body, bytes) else json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def _error(self, e: Refused) -> None:
                self._answer(e.http, {"error": {"message": str(e), "type": "OAuthException", "code": e.code,
                                                "error_data": {"messaging_product": "whatsapp", "details": str(e)},
                                                "fbtrace_id": "fake"}})

            def _authorised(self) -> bool:
                if self.headers.get("Authorization") != f"Bearer {fake.token}":
                    self._error(Refused(190, "Invalid OAuth access token.", 401))
                    return False
                return True

            def do_GET(self) -> None:
                if fake.delay:
                    time.sleep(fake.delay)
                if not self._authorised():
                    return
                parts = self.path.strip("/").split("/")
                with fake._lock:
                    fake.calls.append(("GET", self.path, None))
                    if parts[0] == "download" and parts[-1] in fake.media:
                        data, mime = fake.media[parts[-1]]
                        return self._answer(200, data, mime)
                    if len(parts) == 2 and parts[1] in fake.media:
                        port = fake._server.server_address[1]
                        return self._answer(200, {"url": f"http://127.0.0.1:{port}/download/{parts[1]}",
                                                  "mime_type": fake.media[parts[1]][1], "id": parts[1]})
                self._error(Refused(100, "Unsupported get request.", 400))

            def do_POST(self) -> None:
                if fake.delay:
                    time.sleep(fake.delay)
                raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                if not self._authorised():
                    return
                parts = self.path.strip("/").split("/")
                if len(parts) != 3 or parts[0] != VERSION or parts[1] != PHONE_NUMBER_ID:
                    return self._error(Refused(100, f"Unknown path {self.path}", 404))
                if parts[2] == "media":
                    return self._upload(raw)
                body = json.loads(raw or b"{}")
                with fake.cond:
                    fake.calls.append(("POST", self.path, body))
                    try:
                        answer = fake._deliver(body)
                    except Refused as e:
                        fake.refused.append((e.code, body))
                        return self._error(e)
                self._answer(200, answer)

            def _upload(self, raw: bytes) -> None:
                head = f"Content-Type: {self.headers.get('Content-Type')}\r\n\r\n".encode()
                form = BytesParser(policy=HTTP).parsebytes(head + raw)
                fields = {part.get_param("name", header="content-disposition"): part for part in form.iter_parts()}
                if "file" not in fields or fields.get("messaging_product") is None:
                    return self._error(Refused(100, "file and messaging_product are required"))
                media_id = f"media-up-{next(fake._ids)}"
                with fake._lock:
                    fake.media[media_id] = (fields["file"].get_payload(decode=True), fields["file"].get_content_type())
                    fake.calls.append(("POST", self.path, {"uploaded": media_id}))
                self._answer(200, {"id": media_id})

        return Handler
