"""A case speaks the worker's language at every step, whatever her phone is set to (QA G4).

Telegram has no Urdu or Sindhi interface, so most workers' phones say English. A worker who never chose a language
and writes in Urdu, Sindhi or Roman Urdu gets every message of her case in that form: the case itself, the consent
to send her name and number (text and button), /person while the case is open and after it is closed, the
emergency numbers of a case opened with /person, and both /forget messages.
"""

from __future__ import annotations

import re

import pytest

from bot.conversation.i18n import gettext_for
from bot.conversation.referral import EXPLAIN
from tests.telegram_harness import CASE_CHAT, buttons, choose, running, wait
from tests.case_helpers import NUMBER, WORKER, posted_case

FORGOTTEN = ("Everything stored about this chat has been deleted. Your earlier questions were kept only without any "
             "link to you, so there is nothing else to delete.")
FORMS = {
    "ur": ("کم از کم تنخواہ کتنی ہے", "میرے سیٹھ نے تین مہینے سے تنخواہ نہیں دی",
           "مالک نے مجھے مارا اور جان سے مارنے کی دھمکی دی"),
    "sd": ("گهٽ ۾ گهٽ پگهار ڪيتري آهي", "منهنجي مالڪ ٻن مهينن کان پگهار نه ڏني آهي", "مالڪ مون کي ماريو ۽ ڌمڪي ڏني"),
    "ur-Latn": ("kam se kam tankhwa kitni hai", "mujhe teen mahine se tankhwa nahi mili", "seth ne mujhe maara aur dhamki di"),
}


def said(lang: str, msgid: str, **values: str) -> str:
    """What the bot says in ``lang`` (the start of it, up to the first placeholder when none is given)."""
    text = gettext_for(lang)(msgid)
    return text.format(**values) if values else text.split("{")[0]


@pytest.mark.parametrize("lang", list(FORMS))
async def test_every_step_of_a_case_is_in_the_workers_form_when_her_phone_says_english(fake, case_settings, lang):
    question, message, danger = FORMS[lang]
    _ = gettext_for(lang)
    assert _("Added to your case {number}.") != gettext_for("en")("Added to your case {number}.")
    async with running(case_settings):
        fake.message(WORKER, question, lang="en")
        answer = (await wait(fake, WORKER, 1))[-1]
        person = next(d for _l, d in buttons(answer) if d.startswith("person:"))
        assert person.endswith(f"~{lang}+")
        fake.press(WORKER, person)
        explained = (await wait(fake, WORKER, 2))[-1]
        assert said(lang, EXPLAIN) in explained["text"]
        fake.message(WORKER, message, lang="en")
        opened = (await wait(fake, WORKER, 3))[-1]
        number = NUMBER.search(opened["text"]).group(0)
        assert _("Case {number}").format(number=number) in opened["text"]
        assert (_("Share my name and number with staff"), f"pshare~{lang}+") in buttons(opened)
        post = await posted_case(fake, number)
        fake.press(WORKER, f"pshare~{lang}+")
        consent = (await wait(fake, WORKER, 4))[-1]
        assert _("Press the button below only if you want NOWCommunities staff to call you back: it sends "
                  "your name and phone number to them for case {number}.").format(number=number) \
            in consent["text"]
        assert consent["reply_markup"]["keyboard"][0][0]["text"] == _("Share my name and number with staff")
        fake.contact(WORKER, "+923001112233", user_id=WORKER + 1, first_name="Somebody")
        refused = (await wait(fake, WORKER, 5))[-1]
        assert refused["text"] == _("Please share your own number with the button; nothing was sent.")
        fake.message(WORKER, "/person", lang="en")
        still_open = (await wait(fake, WORKER, 6))[-1]
        assert still_open["text"] == _("Your case {number} is open. Type your message and it goes to "
                                       "NOWCommunities staff.").format(number=number)
        fake.staff(CASE_CHAT, "/close", reply_to=post)
        closed = (await wait(fake, WORKER, 7))[-1]
        assert closed["text"] == _("NOWCommunities has closed your case {number}. To ask again, send /person.").format(
            number=number)
        fake.message(WORKER, "/person", lang="en")  # after the close: the latest case's language
        again = (await wait(fake, WORKER, 8))[-1]
        assert said(lang, EXPLAIN) in again["text"]
        fake.press(WORKER, f"pcancel~{lang}+")
        cancelled = (await wait(fake, WORKER, 9))[-1]
        assert cancelled["text"] == _("Nothing was sent.")
        fake.message(WORKER, "/forget", lang="en")  # the closed case is deleted too; only open ones are named
        forgot = await wait(fake, WORKER, 10)
    assert forgot[-1]["text"].startswith(said(lang, FORGOTTEN))


@pytest.mark.parametrize("lang", list(FORMS))
async def test_a_case_opened_with_person_on_an_english_phone_speaks_the_language_it_is_written_in(
        fake, case_settings, lang):
    _question, _message, danger = FORMS[lang]
    _ = gettext_for(lang)
    async with running(case_settings):
        fake.message(WORKER, "/person", lang="en")
        await wait(fake, WORKER, 1)
        fake.message(WORKER, danger, lang="en")
        numbers, opened = (await wait(fake, WORKER, 3))[-2:]
        # the emergency message of the kind of danger, first, in her form: the police number, in her script
        assert re.search(r"(?<!\d)15(?!\d)", numbers["text"])
        assert bool(re.search(r"[\u0600-\u06FF]", numbers["text"])) == (lang != "ur-Latn")
        number = NUMBER.search(opened["text"]).group(0)
        assert _("Case {number}").format(number=number) in opened["text"]
        assert any(d == f"pshare~{lang}+" for _l, d in buttons(opened))
        await posted_case(fake, number)  # in the case chat before she forgets it (on a busy machine it may lag)
        fake.message(WORKER, "/forget", lang="en")
        forgot = await wait(fake, WORKER, 5)
    assert forgot[-2]["text"] == _("Your case {number} is closed and deleted.").format(number=number)
    assert forgot[-1]["text"].startswith(said(lang, FORGOTTEN))


async def test_a_contact_shared_with_no_case_open_is_answered_in_the_chosen_language(fake, case_settings):
    async with running(case_settings):
        await choose(fake, WORKER, "sd")
        fake.contact(WORKER, "03001234567")
        told = (await wait(fake, WORKER, 3))[-1]
    assert told["text"] == gettext_for("sd")("You have no open case, so nothing was sent.")
