"""A fake Telegram Bot API server on loopback, for end-to-end tests of the real Application.

It speaks the Bot API's HTTP protocol (``POST /bot<token>/<method>``, form or
JSON parameters, ``{"ok": ..., "result": ...}`` answers), queues updates for
``getUpdates`` long polling, records every call, and refuses what Telegram
refuses: malformed HTML (``can't parse entities``) and texts over 4,096
characters (``message is too long``). ``sendVoice`` takes an uploaded OGG file
(multipart, as Telegram does) and answers with a new ``file_id``, or a ``file_id``
it gave before; ``voices`` keeps what was uploaded under each id.

``delay`` adds a round trip's worth of seconds to every call (as a distant Bot
API would), and ``jitter`` up to that many more at random, so calls made at once
can finish in any order; :meth:`FakeTelegram.fail` makes chosen calls fail the way Telegram
does: 429 with ``retry_after``, 403 (blocked by the user), 502.

Files: :meth:`FakeTelegram.document` sends the bot a document as a user would; ``getFile`` and the
``/file/bot<token>/<path>`` download route serve it back; ``sendDocument`` and ``sendPhoto`` uploaded (multipart)
are kept in :attr:`FakeTelegram.documents`; ``sendPhoto`` and ``sendDocument`` with a file id (a file a user sent,
passed on) are accepted as posts. :meth:`FakeTelegram.photo` sends the bot a photo.
"""

from __future__ import annotations

import html
import itertools
import json
import random
import re
import threading
import time
from email.parser import BytesParser
from email.policy import HTTP
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, unquote

BOT = {"id": 777000111, "is_bot": True, "first_name": "NOW Rights", "username": "nowrights_test_bot",
       "can_join_groups": True, "can_read_all_group_messages": False, "supports_inline_queries": False}
_ALLOWED_TAGS = {"b", "strong", "i", "em", "u", "ins", "s", "strike", "del", "a", "code", "pre", "span", "tg-spoiler", "blockquote"}
_TAG = re.compile(r"<(/?)([a-zA-Z-]+)([^<>]*)>")
_ENTITY = re.compile(r"&(lt|gt|amp|quot|#\d+|#x[0-9a-fA-F]+);")


def parse_html(text: str) -> str:
    """The visible text of a Telegram HTML message; ValueError like Telegram's on bad markup."""
    out, stack, pos = [], [], 0
    for m in _TAG.finditer(text):
        out.append(text[pos:m.start()])
        closing, name = m.group(1), m.group(2).lower()
        if name not in _ALLOWED_TAGS:
            raise ValueError(f"Unsupported start tag \"{name}\" at byte offset {m.start()}")
        if closing:
            if not stack or stack.pop() != name:
                raise ValueError(f"Unexpected end tag at byte offset {m.start()}")
        else:
            stack.append(name)
        pos = m.end()
    out.append(text[pos:])
    if stack:
        raise ValueError("Can't find end tag corresponding to start tag \"%s\"" % stack[-1])
    visible = "".join(out)
    if "<" in visible or ">" in visible:
        raise ValueError("Unsupported start tag at byte offset %d" % visible.find("<"))
    for m in re.finditer(r"&", visible):
        if not _ENTITY.match(visible, m.start()):
            raise ValueError(f"Character '&' is reserved at byte offset {m.start()}")
    return html.unescape(visible)


class FakeTelegram:
    def __init__(self, token: str = "123456:TEST-token", delay: float = 0.0, jitter: float = 0.0):
        self.token = token
        self.delay, self.jitter = delay, jitter
        self.delivered: list[tuple[float, str, dict]] = []  # (monotonic time, method, parameters) of each message accepted
        self._failures: list[dict] = []
        self.calls: list[tuple[str, dict]] = []
        self.errors: list[tuple[str, str]] = []
        self._updates: list[dict] = []
        self._cond = threading.Condition()
        self._ids = itertools.count(1)
        self._message_ids = itertools.count(1000)
        self.profiles: dict[int, dict] = {}  # user id -> first_name, last_name, username to use instead of the defaults
        self.files: dict[str, bytes] = {}  # file_id -> content, for getFile and the download route
        self.undeclared: set[str] = set()  # files whose size Telegram does not state
        self.documents: list[dict] = []  # documents and photos the bot uploaded: chat_id, filename, content, caption, method
        self.voices: dict[str, bytes] = {}  # file_id -> the OGG file uploaded with sendVoice
        self.posted: list[tuple[int, str, dict]] = []  # (message id, method, parameters) of each message sent
        self.forums: set[int] = set()  # supergroups with topics: getChat says is_forum, createForumTopic works
        self._thread_ids = itertools.count(500)
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    # -- lifecycle ---------------------------------------------------------------------------

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}/bot"

    def start(self) -> "FakeTelegram":
        self._thread.start()
        return self

    def stop(self) -> None:
        with self._cond:
            self._cond.notify_all()
        self._server.shutdown()
        self._server.server_close()

    # -- what users do -----------------------------------------------------------------------

    def _push(self, update: dict) -> dict:
        with self._cond:
            update["update_id"] = next(self._ids)
            self._updates.append(update)
            self._cond.notify_all()
        return update

    def _chat(self, chat_id: int, group: bool) -> dict:
        if chat_id in self.forums:
            return {"id": chat_id, "type": "supergroup", "title": "Cases", "is_forum": True}
        if group:
            return {"id": chat_id, "type": "group", "title": "Workers"}
        profile = self.profiles.get(chat_id, {})
        return {"id": chat_id, "type": "private", "first_name": profile.get("first_name", "Amina"),
                **({"username": profile["username"]} if "username" in profile else {})}

    def user(self, user_id: int, lang: str | None = None) -> dict:
        u = {"id": user_id, "is_bot": False, "first_name": "Amina", "last_name": "Bibi", "username": f"amina{user_id}",
             **self.profiles.get(user_id, {})}
        if lang:
            u["language_code"] = lang
        return u

    def message(self, chat_id: int, text: str | None = None, *, user_id: int | None = None, group: bool = False,
                edited: bool = False, reply_to_bot: bool = False, lang: str | None = None, **extra) -> dict:
        msg = {"message_id": next(self._message_ids), "date": int(time.time()), "chat": self._chat(chat_id, group),
               "from": self.user(user_id or chat_id, lang), **extra}
        if text is not None:
            msg["text"] = text
            if text.startswith("/"):
                msg["entities"] = [{"type": "bot_command", "offset": 0, "length": len(text.split()[0])}]
        if reply_to_bot:
            msg["reply_to_message"] = {"message_id": 1, "date": int(time.time()), "chat": self._chat(chat_id, group), "from": BOT, "text": "..."}
        if edited:
            msg["edit_date"] = int(time.time())
            return self._push({"edited_message": msg})
        return self._push({"message": msg})

    def sticker(self, chat_id: int) -> dict:
        sticker = {"file_id": "CAAC", "file_unique_id": "u1", "type": "regular", "width": 512, "height": 512,
                   "is_animated": False, "is_video": False}
        return self.message(chat_id, sticker=sticker)

    def document(self, chat_id: int, filename: str, content: bytes, caption: str | None = None,
                 declare_size: bool = True, **kw) -> dict:
        """A user sends the bot a file (``declare_size=False``: Telegram's message and getFile omit its size)."""
        file_id = f"DOC{len(self.files) + 1}"
        self.files[file_id] = content
        if not declare_size:
            self.undeclared.add(file_id)
        doc = {"file_id": file_id, "file_unique_id": f"u{file_id}", "file_name": filename,
               "mime_type": "application/x-yaml", **({"file_size": len(content)} if declare_size else {})}
        return self.message(chat_id, document=doc, **({"caption": caption} if caption else {}), **kw)

    def photo(self, chat_id: int, file_id: str = "AgACphoto", caption: str | None = None) -> dict:
        """A user sends a photo (Telegram gives several sizes; the last is the largest)."""
        sizes = [{"file_id": f"{file_id}-small", "file_unique_id": "p1", "width": 90, "height": 120},
                 {"file_id": file_id, "file_unique_id": "p2", "width": 960, "height": 1280}]
        return self.message(chat_id, photo=sizes, **({"caption": caption} if caption else {}))

    def voice(self, chat_id: int, file_id: str = "AwACAgQAAxkBAAIBvoice", duration: int = 7) -> dict:
        return self.message(chat_id, voice={"file_id": file_id, "file_unique_id": "v" + file_id[-6:],
                                            "duration": duration, "mime_type": "audio/ogg"})

    def contact(self, chat_id: int, phone: str, *, user_id: int | None = None, first_name: str = "Amina",
                last_name: str | None = None) -> dict:
        """The worker presses Telegram's share-contact button (``user_id``: whose contact it is)."""
        contact = {"phone_number": phone, "first_name": first_name, "user_id": user_id or chat_id,
                   **({"last_name": last_name} if last_name else {})}
        return self.message(chat_id, contact=contact)

    def staff(self, chat_id: int, text: str | None, *, user_id: int = 5555, reply_to: int | None = None,
              thread: int | None = None, **extra) -> dict:
        """A staff member writes in the case chat: replying to message ``reply_to``, or inside topic ``thread``."""
        if reply_to is not None:
            extra["reply_to_message"] = {"message_id": reply_to, "date": int(time.time()),
                                         "chat": self._chat(chat_id, True), "from": BOT, "text": "..."}
        if thread is not None:
            extra.update(message_thread_id=thread, is_topic_message=True)
            extra.setdefault("reply_to_message", {"message_id": thread, "date": int(time.time()),
                                                  "chat": self._chat(chat_id, True), "from": BOT,
                                                  "forum_topic_created": {"name": "Case", "icon_color": 7322096}})
        return self.message(chat_id, text, user_id=user_id, group=True, **extra)

    def press(self, chat_id: int, data: str, message_id: int = 1, user_id: int | None = None, group: bool = False) -> dict:
        msg = {"message_id": message_id, "date": int(time.time()), "chat": self._chat(chat_id, group), "from": BOT, "text": "menu"}
        return self._push({"callback_query": {"id": str(next(self._ids)), "from": self.user(user_id or chat_id),
                                              "chat_instance": "ci", "data": data, "message": msg}})

    def fail(self, method: str, status: int, *, chat_id: int | None = None, times: int = 1, retry_after: int = 1,
             description: str | None = None) -> None:
        """The next ``times`` calls of ``method`` (in ``chat_id``, if given) fail with ``status``."""
        texts = {429: f"Too Many Requests: retry after {retry_after}", 403: "Forbidden: bot was blocked by the user",
                 502: "Bad Gateway"}
        with self._cond:
            self._failures.append({"method": method, "status": status, "chat_id": chat_id, "times": times,
                                   "retry_after": retry_after, "description": description or texts.get(status, "Error")})

    def raw(self, update: dict) -> dict:
        """Queue an update exactly as given (its ``update_id`` is assigned here)."""
        return self._push(update)

    # -- what the bot did --------------------------------------------------------------------

    def sent(self, chat_id: int | None = None, methods=("sendMessage", "editMessageText")) -> list[dict]:
        """Messages sent or edited (and accepted), in the order they arrived."""
        return [p for _, m, p in list(self.delivered) if m in methods and (chat_id is None or int(p.get("chat_id", 0)) == chat_id)]

    def posts(self, chat_id: int, methods=("sendMessage", "sendVoice", "copyMessage")) -> list[tuple[int, dict]]:
        """(message id, parameters) of each message the bot sent to the chat, in order."""
        return [(i, p) for i, m, p in list(self.posted) if m in methods and int(p.get("chat_id", 0)) == chat_id]

    def wait_sent(self, chat_id: int, count: int, timeout: float = 10.0,
                  methods=("sendMessage", "editMessageText")) -> list[dict]:
        """Wait until the bot has sent (or edited) at least ``count`` messages in the chat (by ``methods``)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            got = self.sent(chat_id, methods)
            if len(got) >= count:
                return got
            time.sleep(0.02)
        raise AssertionError(f"bot sent {len(self.sent(chat_id, methods))} messages to {chat_id}, expected {count}: "
                             f"{self.sent(chat_id, methods)}")

    # -- the HTTP side -------------------------------------------------------------------------

    def _handler(self):
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):  # keep test output quiet
                pass

            def do_POST(self):  # noqa: N802
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                m = re.fullmatch(r"/bot([^/]+)/(\w+)", self.path)
                if not m or m.group(1) != fake.token:
                    return self._reply(404, {"ok": False, "error_code": 404, "description": "Not Found"})
                params = fake._params(body, self.headers.get("Content-Type", ""))
                status, payload = fake._call(m.group(2), params)
                self._reply(status, payload)

            def do_GET(self):  # noqa: N802 - a file download: /file/bot<token>/<file_path>
                m = re.fullmatch(r"/file/bot([^/]+)/documents/(\w+)\.\w+", unquote(self.path))
                content = fake.files.get(m.group(2)) if m and m.group(1) == fake.token else None
                if content is None:
                    return self._reply(404, {"ok": False, "error_code": 404, "description": "Not Found"})
                self.send_response(200)
                self.send_header("Content-Type", "application/octet-stream")
                self.send_header("Content-Length", str(len(content)))
                self.end_headers()
                self.wfile.write(content)

            def _reply(self, status, payload):
                data = json.dumps(payload).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                try:
                    self.wfile.write(data)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the bot stopped a long poll by hanging up

        return Handler

    @staticmethod
    def _params(raw: bytes, content_type: str) -> dict:
        if "multipart/form-data" in content_type:  # a file upload: files come as {"filename", "content"}
            message = BytesParser(policy=HTTP).parsebytes(f"Content-Type: {content_type}\r\n\r\n".encode() + raw)
            params: dict = {}
            for part in message.iter_parts():
                name = part.get_param("name", header="content-disposition")
                content = part.get_payload(decode=True)
                if part.get_filename():
                    params[name] = {"filename": part.get_filename(), "content": content}
                else:
                    params[name] = FakeTelegram._value(content.decode())
            return params
        body = raw.decode()
        if "json" in content_type:
            return json.loads(body or "{}")
        params = {}
        for key, values in parse_qs(body, keep_blank_values=True).items():
            try:
                params[key] = json.loads(values[0])
            except json.JSONDecodeError:
                params[key] = values[0]
        return params

    def _injected(self, method: str, p: dict) -> tuple[int, dict] | None:
        with self._cond:
            for f in self._failures:
                if f["method"] == method and f["times"] > 0 and (f["chat_id"] is None or int(p.get("chat_id", 0)) == f["chat_id"]):
                    f["times"] -= 1
                    break
            else:
                return None
        self.errors.append((method, f["description"]))
        body = {"ok": False, "error_code": f["status"], "description": f["description"]}
        if f["status"] == 429:
            body["parameters"] = {"retry_after": f["retry_after"]}
        return f["status"], body

    def _call(self, method: str, p: dict) -> tuple[int, dict]:
        if (self.delay or self.jitter) and method != "getUpdates":
            time.sleep(self.delay + random.uniform(0, self.jitter))
        self.calls.append((method, p))
        failure = self._injected(method, p)
        if failure is not None:
            return failure
        ok = lambda result: (200, {"ok": True, "result": result})  # noqa: E731
        if method == "getMe":
            return ok(BOT)
        if method in ("deleteWebhook", "setMyCommands", "answerCallbackQuery", "setWebhook"):
            return ok(True)
        if method == "getUpdates":
            updates = self._get_updates(int(p.get("offset") or 0), float(p.get("timeout") or 0), int(p.get("limit") or 100))
            if self.delay:
                time.sleep(self.delay)  # the answer's trip back
            return ok(updates)
        if method == "getFile":
            file_id = str(p.get("file_id", ""))
            if file_id not in self.files:
                return self._error(method, "Bad Request: invalid file_id")
            size = {} if file_id in self.undeclared else {"file_size": len(self.files[file_id])}
            return ok({"file_id": file_id, "file_unique_id": f"u{file_id}", **size,
                       "file_path": f"documents/{file_id}.yaml"})
        if method in ("sendPhoto", "sendDocument") and isinstance(p.get(method[4:].lower()), str):  # by file id
            self.delivered.append((time.monotonic(), method, p))
            message_id = next(self._message_ids)
            self.posted.append((message_id, method, p))
            return ok({"message_id": message_id, "date": int(time.time()), "from": BOT,
                       "chat": self._chat(int(p["chat_id"]), int(p["chat_id"]) < 0), "caption": p.get("caption", "")})
        if method in ("sendDocument", "sendPhoto"):
            field = method[4:].lower()
            upload = p.get(field)
            if not isinstance(upload, dict):
                return self._error(method, f"Bad Request: there is no {field} in the request")
            self.documents.append({"chat_id": int(p["chat_id"]), "filename": upload["filename"], "method": method,
                                   "content": upload["content"], "caption": p.get("caption")})
            file = {"file_id": f"SENT{len(self.documents)}", "file_unique_id": f"s{len(self.documents)}"}
            message_id = next(self._message_ids)
            self.posted.append((message_id, method, {**p, field: file["file_id"]}))
            return ok({"message_id": message_id, "date": int(time.time()),
                       "chat": {"id": int(p["chat_id"]), "type": "private"}, "from": BOT,
                       field: {**file, "file_name": upload["filename"]} if field == "document"
                       else [{**file, "width": 800, "height": 600}]})
        if method in ("sendMessage", "editMessageText"):
            text = str(p.get("text", ""))
            try:
                visible = parse_html(text) if p.get("parse_mode") == "HTML" else text
            except ValueError as e:
                return self._error(method, f"Bad Request: can't parse entities: {e}")
            if not visible.strip():
                return self._error(method, "Bad Request: message text is empty")
            if len(visible) > 4096:
                return self._error(method, "Bad Request: message is too long")
            self.delivered.append((time.monotonic(), method, p))
            message_id = next(self._message_ids)
            self.posted.append((message_id, method, p))
            return ok({"message_id": message_id, "date": int(time.time()),
                       "chat": {"id": int(p["chat_id"]) if "chat_id" in p else 1, "type": "private"}, "from": BOT, "text": visible})
        if method == "sendVoice":
            return self._send_voice(p)
        if method == "getChat":
            chat_id = int(p["chat_id"])
            return ok({**self._chat(chat_id, True), "accent_color_id": 0, "max_reaction_count": 11,
                       "accepted_gift_types": {"unlimited_gifts": False, "limited_gifts": False,
                                               "unique_gifts": False, "premium_subscription": False,
                                               "gifts_from_channels": False}})
        if method == "createForumTopic":
            if int(p["chat_id"]) not in self.forums:
                return self._error(method, "Bad Request: the chat is not a forum")
            self.delivered.append((time.monotonic(), method, p))
            return ok({"message_thread_id": next(self._thread_ids), "name": p["name"], "icon_color": 7322096})
        if method == "copyMessage":
            self.delivered.append((time.monotonic(), method, p))
            message_id = next(self._message_ids)
            self.posted.append((message_id, method, p))
            return ok({"message_id": message_id})
        return 404, {"ok": False, "error_code": 404, "description": "Not Found: method not found"}

    @staticmethod
    def _value(text: str):
        try:
            return json.loads(text)
        except json.JSONDecodeError:
            return text

    def _send_voice(self, p: dict) -> tuple[int, dict]:
        voice = p.get("voice")
        if isinstance(voice, dict):  # uploaded
            if not voice["content"].startswith(b"OggS"):
                return self._error("sendVoice", "Bad Request: wrong file type")
            file_id = f"voice-{next(self._ids)}"
            self.voices[file_id] = voice["content"]
            p = {**p, "voice": {"uploaded": voice["filename"], "file_id": file_id}}
        elif isinstance(voice, str) and voice:  # a file Telegram has: uploaded before, or a user's voice note
            file_id = voice
            p = {**p, "voice": {"file_id": file_id}}
        else:
            return self._error("sendVoice", "Bad Request: wrong remote file identifier specified")
        self.delivered.append((time.monotonic(), "sendVoice", p))
        message_id = next(self._message_ids)
        self.posted.append((message_id, "sendVoice", {**p, "voice": file_id}))
        return 200, {"ok": True, "result": {
            "message_id": message_id, "date": int(time.time()), "from": BOT,
            "chat": self._chat(int(p["chat_id"]), int(p["chat_id"]) < 0), "caption": p.get("caption", ""),
            "voice": {"file_id": file_id, "file_unique_id": f"u{file_id}", "duration": 5, "mime_type": "audio/ogg",
                      "file_size": len(self.voices.get(file_id, b""))}}}

    def _error(self, method: str, description: str) -> tuple[int, dict]:
        self.errors.append((method, description))
        return 400, {"ok": False, "error_code": 400, "description": description}

    def _get_updates(self, offset: int, timeout: float, limit: int) -> list[dict]:
        deadline = time.monotonic() + min(timeout, 2.0)
        with self._cond:
            self._updates = [u for u in self._updates if u["update_id"] >= offset]
            while not self._updates and time.monotonic() < deadline:
                self._cond.wait(deadline - time.monotonic())
            return list(self._updates[:limit])

    def unconfirmed(self) -> list[dict]:
        """Updates the bot has not confirmed yet (Telegram would send them again)."""
        with self._cond:
            return list(self._updates)
