"""Meta's webhook: the verification request, the signature over the raw body, and the envelope taken apart.

Pure functions, no network: the server (:mod:`bot.channels.whatsapp.server`) calls them.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass, replace
from typing import Any, Mapping


def verify(params: Mapping[str, str], verify_token: str) -> tuple[int, str]:
    """Meta's GET when the callback URL is set: the challenge back (200) if the token is ours, else 403."""
    given = params.get("hub.verify_token", "")
    if params.get("hub.mode") == "subscribe" and verify_token and hmac.compare_digest(given.encode(), verify_token.encode()):
        return 200, params.get("hub.challenge", "")
    return 403, "forbidden"


def signature_ok(raw: bytes, header: str | None, app_secret: str) -> bool:
    """``X-Hub-Signature-256: sha256=<hex HMAC-SHA256 of the raw body>``, compared in constant time."""
    if not header or not app_secret or not header.startswith("sha256="):
        return False
    expected = hmac.new(app_secret.encode(), raw, hashlib.sha256).hexdigest().encode()
    return hmac.compare_digest(header[len("sha256="):].strip().lower().encode("utf-8", "replace"), expected)


@dataclass(frozen=True)
class Sender:
    """Who wrote: keyed on the business-scoped user id (BSUID) where Meta sends one, else the phone number.

    ``key`` is what the conversation sees (the preferences store keeps only its keyed hash). Replies go to
    ``recipient`` for a BSUID: Meta answers a BSUID in ``to`` with a message id and silently drops the message.
    """

    bsuid: str | None
    phone: str | None
    name: str | None = None

    @property
    def key(self) -> str:
        return f"wa:{self.bsuid}" if self.bsuid else f"wa:+{self.phone}"

    @classmethod
    def of_key(cls, key: str) -> "Sender":
        """Who a chat key (kept with a case, to send staff replies) belongs to."""
        rest = key.removeprefix("wa:")
        return cls(None, rest[1:]) if rest.startswith("+") else cls(rest, None)

    @property
    def address(self) -> dict[str, str]:
        """The recipient fields of a send to this person."""
        if self.bsuid:
            return {"recipient": self.bsuid}
        return {"to": self.phone or ""}

    @property
    def names(self) -> tuple[str, ...]:
        """What identifies the sender, to keep out of the query log wherever their text repeats it."""
        return tuple(n for n in (self.name, self.phone, self.bsuid) if n)


@dataclass(frozen=True)
class Inbound:
    """A worker's message. ``kind``: text, action (a tapped button or row), voice, media (a photo or document, its
    caption in ``text``), reaction, other. ``media_kind``: ``photo`` or ``document``, as the case chat posts them."""

    id: str
    sender: Sender
    kind: str
    text: str = ""
    action: str = ""
    media_id: str = ""
    media_kind: str = ""
    filename: str = ""
    timestamp: int = 0


@dataclass(frozen=True)
class Status:
    """What became of a message the bot sent: sent, delivered, read, failed (with Meta's error codes)."""

    id: str
    status: str
    codes: tuple[int, ...] = ()


def parse(payload: Any) -> list[Inbound | Status]:
    """Every message and status in a webhook body; anything malformed is skipped, never raised."""
    out: list[Inbound | Status] = []
    if not isinstance(payload, dict) or payload.get("object") != "whatsapp_business_account":
        return out
    for entry in _list(payload.get("entry")):
        for change in _list(entry.get("changes") if isinstance(entry, dict) else None):
            value = change.get("value") if isinstance(change, dict) else None
            if not isinstance(value, dict):
                continue
            names = _profile_names(value)
            for message in _list(value.get("messages")):
                inbound = _message(message, names) if isinstance(message, dict) else None
                if inbound is not None:
                    out.append(inbound)
            for status in _list(value.get("statuses")):
                if isinstance(status, dict) and status.get("id"):
                    codes = tuple(int(e["code"]) for e in _list(status.get("errors"))
                                  if isinstance(e, dict) and str(e.get("code", "")).isdigit())
                    out.append(Status(str(status["id"]), str(status.get("status", "")), codes))
    return out


def _list(value: Any) -> list:
    return value if isinstance(value, list) else []


def _profile_names(value: dict) -> dict[str, str]:
    """Profile names by BSUID and by phone number (``contacts[]``)."""
    names: dict[str, str] = {}
    for contact in _list(value.get("contacts")):
        if not isinstance(contact, dict):
            continue
        name = (contact.get("profile") or {}).get("name")
        for key in (contact.get("user_id"), contact.get("wa_id")):
            if key and name:
                names[str(key)] = str(name)
    return names


def _message(message: dict, names: dict[str, str]) -> Inbound | None:
    bsuid, phone = message.get("from_user_id"), message.get("from")
    if not (bsuid or phone) or not message.get("id"):
        return None
    sender = Sender(str(bsuid) if bsuid else None, str(phone) if phone else None,
                    names.get(str(bsuid)) or names.get(str(phone)))
    kind = message.get("type")
    body = message.get(kind) if isinstance(kind, str) and isinstance(message.get(kind), dict) else {}
    stamp = str(message.get("timestamp", ""))
    inbound = Inbound(str(message["id"]), sender, "other", timestamp=int(stamp) if stamp.isdigit() else 0)
    if kind == "text":
        return replace(inbound, kind="text", text=str(body.get("body", "")))
    if kind == "interactive":
        reply = body.get("button_reply") or body.get("list_reply") or {}
        return replace(inbound, kind="action", action=str(reply.get("id", "")))
    if kind == "button":  # a template's quick-reply button
        return replace(inbound, kind="action", action=str(body.get("payload", "")))
    if kind in ("audio", "voice"):
        return replace(inbound, kind="voice", media_id=str(body.get("id", "")))
    if kind in ("image", "document", "video"):
        caption = str(body.get("caption") or "").strip()  # a payslip with "is this legal?" is a question, or for a case
        return replace(inbound, kind="media", text=caption, media_id=str(body.get("id", "")),
                       media_kind="photo" if kind == "image" else "document", filename=str(body.get("filename") or ""))
    if kind == "reaction":
        return replace(inbound, kind="reaction")
    return inbound  # sticker, location, contacts, unsupported, anything new
