"""kb check on facts: stale money figures, unchecked facts, bad `checked:` dates."""

import datetime as dt

from bot.knowledge.check import check, months_before
from bot.knowledge.loader import load_with_problems

def _fact_warnings(root, fact_id, today):
    return [str(w) for w in check(root, today=today, self_test=False).warnings if f"fact {fact_id!r}" in w.message]


def test_money_fact_warns_once_its_effective_date_is_over_a_year_old(fee, kb_copy, add_fact, line_of):
    path = add_fact("test_fee", fee)
    assert not any("months ago" in w and "applies from" in w for w in _fact_warnings(kb_copy, "test_fee", dt.date(2026, 3, 1)))
    [stale] = [w for w in _fact_warnings(kb_copy, "test_fee", dt.date(2026, 3, 2)) if "applies from" in w]
    assert stale.startswith(f"knowledge/facts.yaml:{line_of(path, 'test_fee:')}: warning: fact 'test_fee': this money figure applies from 2025-03-01")


def test_an_old_date_on_a_fact_that_is_not_money_does_not_warn_as_stale(fee, kb_copy, add_fact):
    add_fact("test_count", fee.replace("kind: money", "kind: number"))
    assert not any("money" in w for w in _fact_warnings(kb_copy, "test_count", dt.date(2026, 6, 1)))


def test_money_fact_without_effective_date_warns(fee, kb_copy, add_fact):
    add_fact("test_fee", fee.replace("effective: 2025-03-01\n", ""))
    assert any("without `effective:`" in w for w in _fact_warnings(kb_copy, "test_fee", dt.date(2026, 3, 1)))


def test_fact_never_checked_warns(fee, kb_copy, add_fact):
    add_fact("test_fee", fee.replace("checked: 2026-01-10\nchecked_by: content reviewer\n", ""))
    assert any("never checked" in w for w in _fact_warnings(kb_copy, "test_fee", dt.date(2026, 1, 11)))


def test_fact_checked_over_six_months_ago_warns(fee, kb_copy, add_fact):
    add_fact("test_fee", fee)
    assert not any("last checked" in w for w in _fact_warnings(kb_copy, "test_fee", dt.date(2026, 7, 10)))
    assert any("last checked on 2026-01-10, more than 6 months ago" in w for w in _fact_warnings(kb_copy, "test_fee", dt.date(2026, 7, 11)))


def test_checked_date_in_the_future_warns(fee, kb_copy, add_fact):
    add_fact("test_fee", fee)
    assert any("is in the future" in w for w in _fact_warnings(kb_copy, "test_fee", dt.date(2026, 1, 9)))


def test_impossible_checked_date_is_an_error_with_its_line(fee, kb_copy, add_fact, line_of):
    path = add_fact("test_fee", fee.replace("checked: 2026-01-10", "checked: 2026-02-30"))
    kb, problems = load_with_problems(kb_copy)
    assert kb is None
    line = line_of(path, "checked: 2026-02-30")
    assert any(str(p).startswith(f"knowledge/facts.yaml:{line}: error: fact 'test_fee': `checked:` must be the date") for p in problems)


def test_checked_that_is_not_a_date_is_an_error(fee, kb_copy, add_fact):
    add_fact("test_fee", fee.replace("checked: 2026-01-10", "checked: last week"))
    kb, problems = load_with_problems(kb_copy)
    assert kb is None and any("`checked:` must be the date" in p.message for p in problems)


def test_checked_without_checked_by_warns(fee, kb_copy, add_fact):
    add_fact("test_fee", fee.replace("checked_by: content reviewer\n", ""))
    kb, problems = load_with_problems(kb_copy)
    assert kb is not None
    assert any("add `checked_by:`" in p.message and p.severity == "warning" for p in problems)


def test_months_before_keeps_the_day_or_the_month_end():
    assert months_before(dt.date(2026, 11, 28), 12) == dt.date(2025, 11, 28)
    assert months_before(dt.date(2026, 8, 31), 6) == dt.date(2026, 2, 28)
    assert months_before(dt.date(2026, 1, 15), 1) == dt.date(2025, 12, 15)
