"""Groups (QA G23): no "Ask a person" button where cases cannot be opened, and no member's writing changes the
whole group's language."""

from __future__ import annotations

from tests.telegram_harness import buttons, running, wait

GROUP = -1001231231231


async def test_answers_in_a_group_have_no_ask_a_person_button_and_no_language_switch(fake, case_settings):
    async with running(case_settings):
        fake.message(GROUP, "/language@nowrights_test_bot", user_id=11, group=True)
        await wait(fake, GROUP, 1)
        fake.press(GROUP, "lang:en", user_id=11, group=True)
        await wait(fake, GROUP, 2)
        for n, member in enumerate((12, 13, 14, 12), 3):  # several members write Roman Urdu
            fake.message(GROUP, "@nowrights_test_bot overtime ka rate kya hai", user_id=member, group=True)
            await wait(fake, GROUP, n)
        fake.message(601, "/start")  # a private chat still gets the button
        await wait(fake, 601, 1)
        fake.press(601, "lang:en")
        await wait(fake, 601, 2)
        fake.message(601, "overtime ka rate kya hai")
        private = (await wait(fake, 601, 3))[-1]
    said = fake.sent(GROUP)[2:]
    assert len(said) == 4 and not any("Roman Urdu" in m["text"] for m in said)
    assert not any(d.startswith("person:") for m in said for _l, d in buttons(m))
    assert any(d.startswith("person:") for _l, d in buttons(private))
