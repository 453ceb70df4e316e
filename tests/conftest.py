import shutil
from pathlib import Path

import pytest

from bot.knowledge.store import DEFAULT_ROOT, KnowledgeStore

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="session")
def store() -> KnowledgeStore:
    """The bundled knowledge base, loaded once."""
    return KnowledgeStore(DEFAULT_ROOT)


@pytest.fixture
def kb_copy(tmp_path: Path) -> Path:
    """A writable copy of the bundled knowledge base, for tests that break it."""
    dest = tmp_path / "knowledge"
    shutil.copytree(DEFAULT_ROOT, dest)
    return dest


@pytest.fixture
async def prefs(tmp_path: Path):
    """An open chat-preference store in a temporary data folder."""
    from bot.preferences import Preferences

    p = Preferences(tmp_path / "data" / "preferences.sqlite3")
    await p.open()
    yield p
    await p.close()


@pytest.fixture
def conversation(store: KnowledgeStore, prefs):
    """The conversation core on the bundled knowledge base, with no query log."""
    from bot.conversation import Conversation

    return Conversation(store, prefs)


@pytest.fixture
def fake():
    """The fake Telegram Bot API server on loopback (tests/fake_telegram.py)."""
    from tests.fake_telegram import FakeTelegram

    server = FakeTelegram().start()
    yield server
    server.stop()


@pytest.fixture
def settings(fake, tmp_path: Path, kb_copy: Path):
    """Bot settings pointing at the fake Bot API, a temporary data folder and a writable knowledge copy."""
    from bot.config import Settings
    from tests.telegram_harness import STAFF_CHAT

    return Settings(token=fake.token, api_base_url=fake.base_url, data_dir=tmp_path / "data", knowledge_dir=kb_copy,
                    staff_chat_ids=frozenset({STAFF_CHAT}), watch_seconds=0, flood_messages=20, flood_seconds=60)
