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
