"""Workers who greet, tell their story, or ask what the bot does not cover get a fitting reply."""

import pytest

from bot.conversation.answers import respond
from bot.conversation.dialogue import Conversation
from bot.stores.preferences import Preferences


@pytest.fixture
async def conversation(store, tmp_path):
    prefs = Preferences(tmp_path / "prefs.sqlite3")
    await prefs.open()
    yield Conversation(store, prefs, log=RecordingLog())
    await prefs.close()


class RecordingLog:
    """Stands in for the query log: keeps what the conversation records."""

    def __init__(self):
        self.rows: list[dict] = []

    def record(self, **row) -> str:
        self.rows.append(row)
        return "t"

    def feedback(self, token: str, helpful: bool) -> None:
        pass


@pytest.mark.parametrize("text", ["hello", "salam", "shukriya", "thank you", "سلام", "مهرباني", "Assalam o alaikum ji", "ok"])
def test_greetings_and_thanks_are_small_talk(store, text):
    match = respond(store, text).match
    assert match.outcome == "smalltalk", text
    assert match.entry_id is None


@pytest.mark.parametrize("text", ["salam, meri tankhwa 3 mahine se nahi mili", "thank you, and what about overtime pay?"])
def test_a_question_after_a_greeting_is_answered_as_a_question(store, text):
    assert respond(store, text).match.outcome in ("answered", "suggested")


async def test_small_talk_gets_a_short_reply_in_the_chat_language_with_the_menu(conversation):
    [message] = await conversation.text(1, 1, "مهرباني")
    assert "Sorry" not in message.text and "معاف" not in message.text
    assert any(ch in message.text for ch in "ڪڳٿڏ") or "مهرباني" not in message.text
    assert [b.action for row in message.buttons for b in row][0].startswith("topic:")
    assert conversation.log.rows[-1]["outcome"] == "smalltalk"


@pytest.mark.parametrize("lang, text", [("en", "what do we do"), ("en", "what can we do?"), ("ur", "میں کیا کروں"),
                                        ("sd", "مان ڇا ڪريان"), ("ur-Latn", "ab kya karein")])
async def test_what_should_i_do_alone_is_asked_what_happened_not_answered_with_a_guess(conversation, lang, text):
    """"What do we do" shares its wording with one entry's questions ("what do we get") and was answered with it."""
    [message] = await conversation.text(f"u-{text}", 1, text, hint="en" if lang in ("en", "ur-Latn") else lang)
    assert message.title is None and message.text == conversation.knowledge.kb.smalltalk_kind("unclear").reply[lang]
    assert [b.action for row in message.buttons for b in row][0].startswith("topic:")


def test_what_should_i_do_with_the_problem_told_is_answered(store):
    match = respond(store, "what should I do, my salary is 2 months late").match
    assert match.outcome == "answered" and match.best and match.best.entry_id == "wages-late-or-unpaid"


async def test_are_you_a_person_is_answered_honestly(conversation):
    [message] = await conversation.text(1, 1, "are you a real person?")
    assert conversation.log.rows[-1]["outcome"] == "smalltalk"
    assert "NOWCommunities" in message.text


@pytest.mark.parametrize("text, group", [
    ("mera shanakhti card gum ho gaya hai naya kaise banwaun", "identity-documents"),
    ("How do I file my income tax return with FBR?", "income-tax"),
    ("طلاق کے بعد بچوں کی حوالگی کس کو ملے گی", "family-law"),
    ("My landlord wants me to leave the house without notice", "land-housing-and-rent"),
    ("is there paternity leave for fathers in private jobs", "paternity-leave"),
    ("پیٹرنٹی لیو کتنے دن کی ہوتی ہے", "paternity-leave"),
    ("when will civil servants in my department get the next grade", "government-service"),
    ("is the salary halal if I only work half the day", "religion"),
    ("kya aadhe din ke kaam par poori tankhwa lena halal hai", "religion"),
])
def test_what_the_bot_does_not_cover_is_redirected(store, text, group):
    match = respond(store, text).match
    assert match.outcome == "redirected", text
    assert match.group == group


async def test_a_redirect_points_elsewhere_and_is_logged_with_its_group(conversation):
    [message] = await conversation.text(1, 1, "mera shanakhti card gum ho gaya hai naya kaise banwaun")
    assert "NADRA" in message.text and "jayein" in message.text  # a Roman Urdu question is answered in Roman Urdu
    row = conversation.log.rows[-1]
    assert row["outcome"] == "redirected" and row["out_of_scope"] == "identity-documents"
    assert row["entry_id"] is None


@pytest.mark.parametrize("text, entries", [
    ("my husband died in a boiler blast at the factory, the owner gave us 50,000 and says that's all", {"workplace-injury"}),
    ("meri beti ek ghar mein kaam karti hai, begum sahiba usko 3 mahine se tankhwa nahi de rahi aur kehti hai "
     "agle mahine dungi, hum bohat pareshan hain please batao kya karein", {"wages-late-or-unpaid", "domestic-workers"}),
    ("the interest on the money we borrowed from the kiln owner keeps growing", {"bonded-labour"}),
    ("in the cotton season we women pick all day for 400 rupees", {"women-agricultural-workers"}),
    ("we security guards are hired by a company and have not been paid for three months",
     {"contract-workers", "wages-late-or-unpaid"}),
    ("pension is too little to buy medicines, we retired workers ask for more", {"eobi-pension"}),
    ("I asked the owner for more pay and he sacked me", {"termination-notice"}),
    ("maine malik se tankhwa barhane ko kaha to usne naukri se nikal diya", {"termination-notice"}),
])
def test_a_story_finds_its_entry_instead_of_being_declined(store, text, entries):
    match = respond(store, text).match
    assert match.outcome in ("answered", "suggested")
    assert match.entry_id in entries


def test_a_debt_story_naming_the_owner_and_the_wages_is_about_work_not_a_bank_loan(store):
    """Its words (lends, loan, pay back) are nearer the loans group's, but it names an employer, wages and a debt."""
    match = respond(store, "the kiln owner lends us money for food and cuts it from our weekly wages, so the loan never "
                           "ends and we cannot pay it back").match
    assert match.outcome in ("answered", "suggested")
    assert match.entry_id == "bonded-labour"


@pytest.mark.parametrize("text", ["maternity leave kitni hai", "بچے کی پیدائش پر کتنی چھٹی ملتی ہے"])
def test_a_mothers_leave_is_still_answered_beside_the_fathers_redirect(store, text):
    match = respond(store, text).match
    assert match.outcome == "answered" and match.entry_id == "maternity-leave"
