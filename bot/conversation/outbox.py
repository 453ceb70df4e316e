"""Staff replies to workers who wrote on another channel than the case chat's (a port; WhatsApp plugs in here).

The case chat is on Telegram. A case opened from WhatsApp carries a chat key starting ``wa:``; when staff answer
it, the case chat hands the reply to the outbox that takes such chats instead of sending it on Telegram.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal, Protocol

if TYPE_CHECKING:
    from bot.stores.cases import Case

# waiting: kept, and sent when the worker next writes; notified: the same, and the worker was sent a short notice
Delivery = Literal["sent", "waiting", "notified", "failed"]


class WorkerOutbox(Protocol):
    def takes(self, chat_id: str) -> bool:
        """Whether this outbox reaches the chat (by its key's prefix)."""
        ...

    async def deliver(self, case: Case, text: str, title: str | None = None) -> Delivery: ...

    async def deliver_file(self, case: Case, kind: str, data: bytes, mime_type: str, name: str,
                           label: str) -> Delivery:
        """A staff voice note, photo or document (``kind``), from its bytes, after ``label`` (who sends it): sent, or
        failed (never kept)."""
        ...
