import asyncio
import datetime as dt
import os
import shutil
import tempfile
from pathlib import Path

import pytest

from bot.knowledge.store import DEFAULT_ROOT, KnowledgeStore
from bot.stores.cases import CaseStore
from tests.helpers import GAP_QUESTIONS, FIXTURES, UTC, WEEK1, WEEK2, Clock, CollectingLog, ask

ROOT = Path(__file__).resolve().parent.parent


# Tests that build a knowledge base from files, run the bot against the fake Bot API, start processes or a
# browser, or score whole question sets take seconds each; `uv run pytest -m "not slow"` leaves them out.
SLOW_FIXTURES = {"kb_copy", "fake", "settings", "data_dir", "gap_log"}
SLOW_MODULES = {"test_telegram_shutdown", "test_report_in_browser", "test_eval", "test_cli", "test_whatsapp_e2e",
                "test_whatsapp_agreement"}
# (A test taking capsys runs a CLI command, which loads the knowledge base from files.)
# The run's index cache folder, passed to the worker processes.
_RUN_CACHE = "BOT_TEST_RUN_CACHE_DIR"


def pytest_configure(config: pytest.Config) -> None:
    """One index cache for the whole run (and the processes tests start, through the environment): every
    store built from an unchanged copy of the knowledge base loads the index trained by the first, instead of
    training its own. The developer's own cache (BOT_CACHE_DIR, data/cache) is never touched. The tests run in
    parallel processes (pytest-xdist, ``-n`` in pyproject.toml): the first process makes the folder, and the
    workers it starts inherit it."""
    cache = os.environ.get(_RUN_CACHE) if os.environ.get("PYTEST_XDIST_WORKER") else None
    if cache is None:
        cache = tempfile.mkdtemp(prefix="bot-test-index-cache-")
        os.environ[_RUN_CACHE] = cache
        config.add_cleanup(lambda: shutil.rmtree(cache, ignore_errors=True))
    os.environ["BOT_CACHE_DIR"] = cache


@pytest.hookimpl(tryfirst=True)
def pytest_sessionstart(session: pytest.Session) -> None:
    """With workers, the first process trains the bundled knowledge base's index before starting them, so that
    they all load it instead of each training its own at once."""
    if getattr(session.config.option, "numprocesses", None) and not os.environ.get("PYTEST_XDIST_WORKER"):
        KnowledgeStore(DEFAULT_ROOT)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark the slow tests (the marker is declared in pyproject.toml)."""
    for item in items:
        fixtures = set(getattr(item, "fixturenames", ()))
        if fixtures & SLOW_FIXTURES or item.module.__name__.rpartition(".")[2] in SLOW_MODULES or "capsys" in fixtures:
            item.add_marker(pytest.mark.slow)


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
def line_of():
    """Finds the 1-based number of the first line of a file that contains a text."""

    def find(path: Path, needle: str) -> int:
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if needle in line:
                return n
        raise AssertionError(f"{needle!r} not in {path}")

    return find


@pytest.fixture
def add_entry(kb_copy: Path):
    """Add a file with one entry, whose answers the test chooses, to the knowledge base copy; returns the file."""

    def add(en: str, ur: str, sd: str, *, entry_id: str = "test-translated", topic: str = "wages",
            roman: str | None = None) -> Path:
        """``roman``: the Roman Urdu answer (the English text when not given)."""
        path = kb_copy / "entries" / f"{entry_id}.yaml"
        path.write_text(
            f"""topic: {topic}
entries:
  - id: {entry_id}
    title:
      en: A test entry
      ur: ایک آزمائشی سوال
      sd: هڪ آزمائشي سوال
      ur-Latn: Ek aazmaishi sawal
    answer:
      en: |
        {en}
      ur: |
        {ur}
      sd: |
        {sd}
      ur-Latn: |
        {en if roman is None else roman}
    examples:
      en: [zqx vorpal blorb {entry_id}]
      ur: [زقس وورپل بلورب {entry_id}]
      sd: [زقس وورپل بلورب سنڌي {entry_id}]
      ur-Latn: [zqx vorpal blorb roman {entry_id}]
    sources:
      - statute: Test Act
    reviewed: 2026-11-28
    review_by: 2027-11-28
    verified: true
""",
            encoding="utf-8",
        )
        return path

    return add


@pytest.fixture
def add_recording(kb_copy: Path):
    """Give an entry of the knowledge base copy a recording: a file copied under ``audio/`` (a real OGG/Opus one
    from tests/fixtures/audio by default, or ``content``), and its ``audio:`` line. Returns the file's path."""

    def add(entry_id: str, lang: str, *, fixture: str = "overtime.ur-Latn.ogg", content: bytes | None = None,
            name: str | None = None, recorded: str | None = None) -> Path:
        name = name or f"{entry_id}.{lang}.ogg"
        dest = kb_copy / "audio" / name
        dest.parent.mkdir(exist_ok=True)
        dest.write_bytes(content if content is not None else (FIXTURES / "audio" / fixture).read_bytes())
        spec = f"audio/{name}" if recorded is None else f"{{file: audio/{name}, recorded: {recorded}}}"
        for path in (kb_copy / "entries").glob("*.yaml"):
            text = path.read_text(encoding="utf-8")
            start = text.find(f"- id: {entry_id}\n")
            if start >= 0:
                at = text.index("    sources:", start)
                path.write_text(text[:at] + f"    audio:\n      {lang}: {spec}\n" + text[at:], encoding="utf-8")
                return dest
        raise AssertionError(f"no entry {entry_id!r}")

    return add


@pytest.fixture
def add_fact(kb_copy: Path):
    """Append a fact, given as its YAML lines under the name, to the copy's facts.yaml; returns the file."""

    def add(fact_id: str, spec: str) -> Path:
        path = kb_copy / "facts.yaml"
        body = "".join(f"    {line}\n" for line in spec.strip().splitlines())
        path.write_text(path.read_text(encoding="utf-8").rstrip("\n") + f"\n  {fact_id}:\n{body}", encoding="utf-8")
        return path

    return add


@pytest.fixture
def fee() -> str:
    """A checked money fact, as the YAML lines under its name, for ``add_fact``."""
    return """
kind: money
value: 1250
effective: 2025-03-01
checked: 2026-01-10
checked_by: content reviewer
source: Test notification No. 1
verified: true
"""


@pytest.fixture
async def cases(tmp_path: Path):
    """An open case store on a hand-set clock: (store, clock)."""
    clock = Clock()
    store = CaseStore(tmp_path / "cases.sqlite3", retention_days=90, clock=clock)
    await store.open()
    yield store, clock
    await store.close()


@pytest.fixture
async def prefs(tmp_path: Path):
    """An open chat-preference store in a temporary data folder."""
    from bot.stores.preferences import Preferences

    p = Preferences(tmp_path / "data" / "preferences.sqlite3")
    await p.open()
    yield p
    await p.close()


@pytest.fixture
def conversation(store: KnowledgeStore, prefs):
    """The conversation core on the bundled knowledge base, with no query log."""
    from bot.conversation.dialogue import Conversation

    return Conversation(store, prefs)


@pytest.fixture
def logged(store: KnowledgeStore, prefs):
    """The conversation core with a log that collects what it records: ``(conversation, log)``."""
    from bot.conversation.dialogue import Conversation

    log = CollectingLog()
    return Conversation(store, prefs, log=log), log


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
                    staff_chat_ids=frozenset({STAFF_CHAT}), watch_seconds=0, flood_messages=20, flood_seconds=60,
                    cache_dir=Path(os.environ["BOT_CACHE_DIR"]))


@pytest.fixture
def case_settings(settings):
    """The ``settings`` with "Ask a person" on: cases go to the case chat CASE_CHAT of tests/telegram_harness.py."""
    import dataclasses

    from tests.telegram_harness import CASE_CHAT

    return dataclasses.replace(settings, case_chat_id=CASE_CHAT)


@pytest.fixture
def data_dir(tmp_path, store, monkeypatch) -> Path:
    """A query log with a known mix of questions over two weeks; BOT_DATA_DIR points at it."""
    from bot.stores.querylog import QueryLog

    data = tmp_path / "data"
    clock = Clock()
    topic = {e.id: e.topic for e in store.kb.entries}
    log = QueryLog(data / "queries.sqlite3", topic_of=topic.get, clock=clock)

    async def fill() -> None:
        await log.start()
        await ask(log, clock, dt.datetime(2025, 12, 1, 9, tzinfo=UTC), 6, "old question", "overtime")
        await ask(log, clock, WEEK1, 7, "kam se kam tankhwa", "minimum-wage-amount", helpful=True)
        await ask(log, clock, WEEK1, 3, "harassment complaint", "harassment-ombudsperson", lang="en")  # a small group
        await ask(log, clock, WEEK1, 6, "پگهار ڪيتري آهي", "minimum-wage-amount", lang="sd", helpful=False)
        await ask(log, clock, WEEK2, 5, None, "maternity-leave", lang=None)  # chosen from the menu
        await ask(log, clock, WEEK2, 6, "cricket score kya hai", None)
        await ask(log, clock, WEEK2, 2, "cricket match kab hai", None)
        await ask(log, clock, WEEK2, 5, "bank loan chahiye", None, lang="en")
        await ask(log, clock, WEEK2, 4, "overtime ka rate", "overtime", outcome="suggested", confidence=0.3)
        await log.close()

    asyncio.run(fill())
    monkeypatch.setenv("BOT_DATA_DIR", str(data))
    return data


@pytest.fixture
def gap_log(tmp_path, store, monkeypatch) -> Path:
    """A query log holding the GAP_QUESTIONS gap and a smaller one (cricket); BOT_DATA_DIR points at it."""
    from bot.stores.querylog import QueryLog

    data = tmp_path / "data"
    clock = Clock()
    log = QueryLog(data / "queries.sqlite3", clock=clock)

    async def fill() -> None:
        await log.start()
        for text, n in GAP_QUESTIONS:
            await ask(log, clock, WEEK1, n, text, None)
        await ask(log, clock, WEEK2, 2, "cricket match kab hai bhai", None)
        await log.close()

    asyncio.run(fill())
    monkeypatch.setenv("BOT_DATA_DIR", str(data))
    return data
