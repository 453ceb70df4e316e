"""The weekly digest's timing, in Pakistan time, with an injected clock."""

from __future__ import annotations

import asyncio
import datetime as dt

import pytest

from bot.config import SettingError, Settings
from bot.staff.digest import digest_text, next_digest, weekly
from tests.helpers import UTC, Clock


@pytest.mark.parametrize("now, day, hour, expected", [
    (dt.datetime(2026, 3, 7, 22, 30, tzinfo=UTC), "mon", 9, dt.datetime(2026, 3, 9, 4, tzinfo=UTC)),
    # Monday 09:00 in Pakistan is 04:00 UTC: at 03:59 it is still to come that day; at 04:00 it is next week's.
    (dt.datetime(2026, 3, 9, 3, 59, tzinfo=UTC), "mon", 9, dt.datetime(2026, 3, 9, 4, tzinfo=UTC)),
    (dt.datetime(2026, 3, 9, 4, 0, tzinfo=UTC), "mon", 9, dt.datetime(2026, 3, 16, 4, tzinfo=UTC)),
    # Late on Sunday in UTC is already Monday in Pakistan.
    (dt.datetime(2026, 3, 8, 20, tzinfo=UTC), "mon", 2, dt.datetime(2026, 3, 8, 21, tzinfo=UTC)),
    (dt.datetime(2026, 3, 9, 12, tzinfo=UTC), "fri", 17, dt.datetime(2026, 3, 13, 12, tzinfo=UTC)),
])
def test_the_next_digest_is_the_set_weekday_and_hour_in_pakistan(now, day, hour, expected):
    assert next_digest(now, day, hour) == expected


async def test_the_digest_goes_out_once_a_week_at_the_set_time_and_a_failure_does_not_stop_it():
    clock = Clock(dt.datetime(2026, 3, 4, 8, 15, tzinfo=UTC))
    sent: list[dt.datetime] = []
    done = asyncio.Event()

    async def sleep(seconds: float) -> None:
        assert 0 < seconds <= 3600
        clock.now += dt.timedelta(seconds=seconds)

    async def send(when: dt.datetime) -> None:
        sent.append(clock.now)
        if len(sent) == 3:
            done.set()
            await asyncio.Event().wait()
        if len(sent) == 1:
            raise RuntimeError("Telegram is down")

    task = asyncio.create_task(weekly("thu", 10, send, clock, sleep))
    await asyncio.wait_for(done.wait(), 10)
    task.cancel()
    first = dt.datetime(2026, 3, 5, 5, tzinfo=UTC)  # Thursday 10:00 in Pakistan
    assert sent == [first, first + dt.timedelta(days=7), first + dt.timedelta(days=14)]


def test_without_a_query_log_the_digest_still_lists_the_facts_due(store):
    text = digest_text(None, store, dt.datetime(2026, 3, 9, 4, tzinfo=UTC))
    assert "No questions logged yet." in text and "Facts due for review" in text


@pytest.mark.parametrize("env, message", [({"BOT_DIGEST_DAY": "someday"}, "BOT_DIGEST_DAY"),
                                          ({"BOT_DIGEST_HOUR": "24"}, "BOT_DIGEST_HOUR")])
def test_a_digest_setting_that_cannot_be_used_is_named(env, message):
    with pytest.raises(SettingError, match=message):
        Settings.from_env(env)


def test_digest_settings_read_a_weekday_or_off():
    assert Settings.from_env({"BOT_DIGEST_DAY": "Friday", "BOT_DIGEST_HOUR": "17"}).digest_day == "fri"
    assert Settings.from_env({"BOT_DIGEST_DAY": "off"}).digest_day == "off"
    assert Settings.from_env({}).digest_day == "mon" and Settings.from_env({}).digest_hour == 9
