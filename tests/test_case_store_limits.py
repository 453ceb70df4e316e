"""Cases and /forget (QA G6, G7, G18): the daily limit outlives /forget, /forget leaves no case text on disk, old
open cases are brought to staff, the purge runs while the bot runs, and bad retention settings are refused."""

from __future__ import annotations

import dataclasses
import datetime as dt

import pytest

from bot.config import SettingError, Settings
from bot.conversation.referral import Referral
from bot.stores.cases import CaseStore
from tests.case_helpers import WORKER
from tests.helpers import UTC, Clock
from tests.telegram_harness import CASE_CHAT, running, wait


class Desk:
    async def new_case(self, case, entry_title, text, voice) -> None:
        pass

    async def follow_up(self, case, text, voice) -> None:
        pass

    async def withdrawn(self, case) -> None:
        pass


async def test_forget_does_not_reset_the_daily_case_limit(store, cases):
    case_store, clock = cases
    referral = Referral(store, case_store, Desk(), clock=lambda: clock.now)
    for i in range(3):
        await referral.offer(10, "en")
        assert "K-" in (await referral.take(10, f"case {i}"))[0].text
        await case_store.close_case((await case_store.open_case_of(10)).number)
    await referral.settle()
    await referral.forget(10)
    assert await case_store.latest_case_of(10) is None  # the cases themselves are gone
    refused = await referral.offer(10, "en")
    assert "several cases today" in refused[0].text
    clock.now += dt.timedelta(hours=25)
    assert "Type your message now" in (await referral.offer(10, "en"))[0].text
    keys = [r[0] for r in await (await case_store.db.execute("SELECT chat_key FROM case_counts")).fetchall()]
    assert keys and all(len(k) == 64 and k != "10" for k in keys)  # a keyed code of the chat, never its id


async def test_forget_leaves_no_case_text_in_the_database_or_its_write_ahead_log(cases):
    case_store, _clock = cases
    case = await case_store.open_case(4321987, "en", None)
    await case_store.add_message(case.number, "worker", "text", "UNIQUE-WORD-zanzibar my boss")
    await case_store.forget(4321987)
    wal = case_store.path.with_name(case_store.path.name + "-wal")
    for path in (case_store.path, wal):
        data = path.read_bytes() if path.exists() else b""
        assert b"zanzibar" not in data and b"4321987" not in data, path


async def test_open_cases_past_their_age_are_brought_to_staff_once(cases):
    case_store, clock = cases
    old = await case_store.open_case(1, "en", None)
    clock.now += dt.timedelta(days=15)
    young = await case_store.open_case(2, "en", None)
    assert [c.number for c in await case_store.open_too_long(14)] == [old.number]
    assert await case_store.open_too_long(14) == []  # asked once
    assert (await case_store.case(young.number)).status == "open"


async def test_the_purge_runs_each_day_without_a_new_case(cases):
    case_store, clock = cases
    case = await case_store.open_case(1, "en", None)
    await case_store.close_case(case.number)
    clock.now += dt.timedelta(days=91)
    await case_store.daily_purge()
    assert await case_store.case(case.number) is None


@pytest.mark.parametrize("name", ["BOT_CASE_RETENTION_DAYS", "BOT_RETENTION_DAYS", "BOT_CASE_OPEN_DAYS"])
@pytest.mark.parametrize("value", ["0", "-5"])
def test_retention_of_zero_or_less_is_refused_at_start(name, value):
    with pytest.raises(SettingError, match=f"{name} must be a number of days, 1 or more"):
        Settings.from_env({name: value})


async def test_a_case_open_too_long_is_brought_to_staff_at_start(fake, case_settings):
    store = CaseStore(case_settings.cases_path, clock=Clock(dt.datetime.now(UTC) - dt.timedelta(days=400)))
    await store.open()
    old = await store.open_case(WORKER, "en", None)
    await store.close()
    async with running(dataclasses.replace(case_settings, case_open_days=30)):
        said = [t["text"] for t in await wait(fake, CASE_CHAT, 2)]
    assert any(old.number in t and "more than 30 days" in t and "/close" in t for t in said)
