"""A staff upload's size is checked on its bytes, not only on the size Telegram declares (QA G21)."""

from __future__ import annotations

from tests.telegram_harness import STAFF_CHAT, running, wait


async def test_a_huge_upload_without_a_declared_size_is_refused_and_nothing_changes(fake, settings, kb_copy):
    path = kb_copy / "wages.yaml" if (kb_copy / "wages.yaml").exists() else next(kb_copy.rglob("*.yaml"))
    before = path.read_bytes()
    huge = before + b"\n# padding\n" + b"# " + b"x" * 3_000_000 + b"\n"
    async with running(settings):
        fake.document(STAFF_CHAT, path.name, huge, declare_size=False)
        told = (await wait(fake, STAFF_CHAT, 1, 60))[-1]
    assert "too large" in told["text"]
    assert path.read_bytes() == before
