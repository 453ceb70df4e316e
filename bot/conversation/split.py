"""Long text cut into messages a chat service accepts (Telegram and WhatsApp both take 4,096 characters)."""

from __future__ import annotations

MAX_CHARS = 4096


def split_text(text: str, limit: int = MAX_CHARS) -> list[str]:
    """Pieces of at most ``limit`` characters, cut at paragraph, then line, then word boundaries."""
    parts: list[str] = []
    rest = text
    while len(rest) > limit:
        # The coarsest boundary that still fills half a message; else the last boundary of any kind.
        found = [rest.rfind(boundary, 0, limit) for boundary in ("\n\n", "\n", " ")]
        cut = next((at for at in found if at > limit // 2), max(found))
        if cut <= 0:  # one unbroken word: cut inside it
            cut = limit
        parts.append(rest[:cut].rstrip())
        rest = rest[cut:].lstrip()
    parts.append(rest)
    return [p for p in parts if p]
