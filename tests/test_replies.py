"""Every reply fits one phone screen, speaks the worker's language to the end, and says where to get help."""

import re

import pytest

from bot.conversation.dialogue import Conversation
from bot.conversation.replies import MAX_REPLY_CHARS
from bot.knowledge.check import check
from bot.conversation.replies import sent_length
from bot.knowledge.model import ANSWER_LANGUAGES
from bot.knowledge.store import KnowledgeStore

# Latin words an Urdu or Sindhi reply may keep (README: names workers use in English).
KEPT_NAMES = {"NOWCommunities", "SESSI", "EOBI", "CNIC", "FIR", "DRF", "NCCIA", "sessi", "gov", "pk", "Rs"}


def replies(conversation: Conversation):
    for entry in conversation.knowledge.kb.entries:
        for lang in ANSWER_LANGUAGES:
            yield entry, lang, conversation.answer_message(entry, lang)


def test_every_reply_as_sent_fits_one_screen_in_every_form(conversation):
    longest = {}
    for entry, lang, message in replies(conversation):
        assert len(message.sent) <= MAX_REPLY_CHARS, f"{entry.id} {lang}: {len(message.sent)} characters"
        longest[lang] = max(longest.get(lang, 0), len(message.sent))
    assert set(longest) == set(ANSWER_LANGUAGES)


def test_no_staff_note_reaches_a_worker(conversation):
    kb = conversation.knowledge.kb
    notes = [s.note for e in kb.entries for s in e.sources if s.note]
    assert notes  # the reviewers' notes are kept, for staff
    for entry, lang, message in replies(conversation):
        law = conversation.law_message(entry, lang)
        for shown in (message.sent, law.sent):
            assert not any(note in shown for note in notes), (entry.id, lang)
            assert not re.search(r"not read|not seen|not found|secondary|content review", shown), (entry.id, lang)


def test_the_law_line_is_in_the_workers_language(conversation):
    kb = conversation.knowledge.kb
    entry = kb.entry("overtime")
    assert "قانون: سندھ شاپس اینڈ کمرشل اسٹیبلشمنٹ ایکٹ 2015، دفعہ 8، 9" in conversation.answer_message(entry, "ur").text
    assert "قانون: سنڌ شاپس اينڊ ڪمرشل اسٽيبلشمينٽ ايڪٽ 2015، دفعو 8، 9" in conversation.answer_message(entry, "sd").text
    assert "Qanoon: Sindh Shops and Commercial Establishment Act 2015, dafa 8, 9" in conversation.answer_message(entry, "ur-Latn").text
    assert "Law: Sindh Shops and Commercial Establishment Act 2015, s.8, 9" in conversation.answer_message(entry, "en").text


def test_urdu_and_sindhi_replies_have_no_english_words_but_names(conversation):
    for entry, lang, message in replies(conversation):
        if lang not in ("ur", "sd"):
            continue
        tail = message.text.split("\n\n", 1)[1] if "\n\n" in message.text else ""  # caveats, law line, feedback
        words = set(re.findall(r"[A-Za-z]{2,}", tail)) - KEPT_NAMES
        assert not words, (entry.id, lang, words)


def test_every_reply_says_it_is_not_legal_advice_and_gives_the_nowcommunities_number(conversation):
    advice = {"en": "not legal advice", "ur": "قانونی مشورہ نہیں", "sd": "قانوني صلاح ناهي", "ur-Latn": "qanooni mashwara nahi"}
    for entry, lang, message in replies(conversation):
        assert advice[lang] in message.text, (entry.id, lang)
        assert "021-34325500" in message.text, (entry.id, lang)


def test_the_law_button_shows_every_source_in_the_workers_form(conversation):
    entry = conversation.knowledge.kb.entry("termination-notice")
    law_button = [b for row in conversation.answer_message(entry, "ur").buttons for b in row if b.action.startswith("law:")]
    assert law_button and law_button[0].label == "قانون"
    text = conversation.law_message(entry, "ur").text
    assert "اسٹینڈنگ آرڈر 16(1)-(3)" in text and "سندھ انڈسٹریل ریلیشنز ایکٹ 2013، دفعہ 34" in text


async def test_the_law_button_answers_in_the_chat(conversation):
    messages = await conversation.action(1, 1, "law:overtime~sd+")
    assert "سنڌ شاپس اينڊ ڪمرشل اسٽيبلشمينٽ ايڪٽ 2015" in messages[0].text


def test_kb_check_fails_a_reply_over_one_screen(kb_copy, add_entry):
    long = "word " * 170
    add_entry(f"{long} Next step: call NOWCommunities on {{nowcommunities_phone}}.",
              f"{long} اگلا قدم: NOWCommunities کو {{nowcommunities_phone}} پر فون کریں۔",
              f"{long} ايندڙ قدم: NOWCommunities کي {{nowcommunities_phone}} تي فون ڪريو.")
    result = check(kb_copy, self_test=False, reply_length=sent_length)
    over = [p for p in result.errors if "test-translated" in p.message and "reply as sent" in p.message]
    assert over and not result.ok
    assert all(f"{MAX_REPLY_CHARS}" in p.message for p in over)


@pytest.mark.parametrize("answer, missing", [
    ("Complain within 7 days. Next step: write it down.", "NOWCommunities number"),
    ("Call NOWCommunities on {nowcommunities_phone} within 7 days.", "must end with a line starting"),
])
def test_kb_check_refuses_an_entry_without_a_next_step_and_a_person(kb_copy, add_entry, answer, missing):
    add_entry(answer, answer, answer)
    result = check(kb_copy, self_test=False)
    assert any("test-translated" in p.message and missing in p.message for p in result.errors)


def test_the_shipped_knowledge_passes_the_screen_check(store: KnowledgeStore):
    result = check(store.root, self_test=False, reply_length=sent_length)
    assert not [p for p in result.errors if "reply as sent" in p.message or "Next step" in p.message]


def test_confirming_a_fact_removes_its_caveat_from_every_answer(kb_copy, prefs):
    facts = kb_copy / "facts.yaml"
    before = Conversation(KnowledgeStore(kb_copy), prefs)
    caveat = before.knowledge.kb.facts["minimum_wage_unskilled"].caveat
    users = [e for e in before.knowledge.kb.entries if "{minimum_wage_unskilled}" in e.answer["en"]]
    assert users
    for entry in users:
        for lang in ANSWER_LANGUAGES:
            assert caveat[lang] in before.answer_message(entry, lang).text
    text = facts.read_text(encoding="utf-8")
    start = text.index("  minimum_wage_unskilled:")
    end = text.index("verified: false", start)
    facts.write_text(text[:end] + "verified: true" + text[end + len("verified: false"):], encoding="utf-8")  # one edit
    after = Conversation(KnowledgeStore(kb_copy), prefs)
    for entry in users:
        for lang in ANSWER_LANGUAGES:
            assert caveat[lang] not in after.answer_message(entry, lang).text


def test_kb_verify_lists_every_unconfirmed_fact_and_answer_with_where_to_confirm(tmp_path, capsys, store):
    from bot.cli import main

    out = tmp_path / "verify.md"
    assert main(["kb", "verify", "--out", str(out)]) == 0
    page = out.read_text(encoding="utf-8")
    kb = store.kb
    facts = [f for f in kb.facts.values() if not f.verified]
    entries = [e for e in kb.entries if not e.verified]
    assert page.startswith(f"# To confirm: {len(facts) + len(entries)} items ({len(facts)} facts, {len(entries)} answers)")
    assert all(f"`{f.id}`" in page for f in facts) and all(f"`{e.id}`" in page for e in entries)
    wage = page[page.index("`minimum_wage_unskilled`"):]
    wage = wage[:wage.index("###")]
    assert "2026-27" in wage and "Sindh Government Gazette" in wage and "minimum-wage-amount" in wage
    assert "set `verified: true`" in wage
    groups = [g for g in kb.out_of_scope if not g.verified]
    assert groups and all(f"`{g.id}`" in page[page.index("## Redirects"):] for g in groups)


def test_kb_check_warns_about_an_unconfirmed_fact_without_a_caveat(kb_copy, add_fact, add_entry):
    add_fact("test_fee", "kind: money\nvalue: 500\neffective: 2026-07-01\nsource: a test\nverified: false")
    add_entry("The fee is {test_fee}. Next step: call NOWCommunities on {nowcommunities_phone}.",
              "فیس {test_fee} ہے۔ اگلا قدم: NOWCommunities کو {nowcommunities_phone} پر فون کریں۔",
              "فيس {test_fee} آهي. ايندڙ قدم: NOWCommunities کي {nowcommunities_phone} تي فون ڪريو.")
    result = check(kb_copy, self_test=False)
    assert any("'test_fee' is not verified" in p.message and "caveat" in p.message for p in result.warnings)


class _Desk:
    async def new_case(self, case, entry_title, text, voice) -> None: ...

    async def follow_up(self, case, text, voice) -> None: ...

    async def withdrawn(self, case) -> None: ...


@pytest.mark.parametrize("lang, urgent, unconfirmed", [
    ("en", "If it is urgent, call NOWCommunities on 021-34325500", "Not confirmed yet: how soon staff answer."),
    ("ur", "NOWCommunities کو 021-34325500 پر فون کریں", "ابھی تصدیق نہیں ہوئی"),
    ("sd", "NOWCommunities کي 021-34325500 تي فون ڪريو", "اڃا تصديق ناهي ٿي"),
    ("ur-Latn", "NOWCommunities ko 021-34325500 par call karein", "Abhi tasdeeq nahi hui"),
])
async def test_asking_a_person_says_the_reply_time_is_unconfirmed_and_whom_to_call_if_urgent(
        store, tmp_path, lang, urgent, unconfirmed):
    from bot.conversation.referral import Referral
    from bot.stores.cases import CaseStore

    cases = CaseStore(tmp_path / "cases.sqlite3", retention_days=90)
    await cases.open()
    try:
        text = (await Referral(store, cases, _Desk()).offer(10, lang))[0].text
    finally:
        await cases.close()
    assert urgent in text and unconfirmed in text and "15" in text


def test_equal_pay_promises_the_minimum_wage_only_and_sends_farm_women_to_nowcommunities(conversation):
    text = conversation.answer_message(conversation.knowledge.kb.entry("equal-pay"), "en").text
    assert "the same pay for work of equal value" not in text
    assert "no general right to equal pay above the minimum" in text and "on a farm" in text


async def test_the_unpaid_wages_answer_sends_domestic_workers_to_their_own_answer(conversation):
    kb = conversation.knowledge.kb
    entry = kb.entry("wages-late-or-unpaid")
    assert "Domestic workers: these are shop and factory rules, see Related." in conversation.answer_message(entry, "en").text
    assert "گھریلو ملازم: یہ دکان اور فیکٹری کے اصول ہیں" in conversation.answer_message(entry, "ur").text
    related = await conversation.action(1, 1, "related:wages-late-or-unpaid~en+")
    assert "entry:domestic-workers~en" in [b.action for row in related[0].buttons for b in row]


@pytest.mark.parametrize("entry_id, lang, right, wrong", [
    ("harassment-what-counts", "ur-Latn", "jinsi taur par zaleel", "jinsi ya zaleel"),  # N11, C12
    ("grievance-labour-court", "en", "7 days if raised through the steward or CBA", "through the union)"),  # N16
    ("union-right-to-join", "en", "can ask for a secret ballot", "chosen by secret ballot among unions"),  # N17
    ("bonded-labour", "en", "Release is by the police or a court", "exist to free bonded workers"),  # N22
    ("online-harassment", "ur-Latn", "5 saal tak qaid", "5 saal tak ya"),  # N19
])
def test_review_rows_are_fixed_in_the_reply(conversation, entry_id, lang, right, wrong):
    text = conversation.answer_message(conversation.knowledge.kb.entry(entry_id), lang).text
    assert right in text and wrong not in text


def test_kb_verify_says_where_to_confirm_the_ombudspersons_contacts(store):
    from bot.knowledge.verification import page

    text = page(store.kb)
    item = text[text.index("`harassment-ombudsperson`"):]
    item = item[:item.index("###")]
    assert "current address, phone and fee are not confirmed" in item and "Registrar's office" in item


@pytest.mark.parametrize("question, expected", [
    ("the police refused to register my FIR against my employer who hit me", ["15", "021-34325500"]),  # N13
    ("a loan app keeps calling my relatives and threatening me every day", ["Digital Rights Foundation"]),
])
async def test_crime_and_loan_app_threats_get_somewhere_to_go(conversation, question, expected):
    text = (await conversation.text(1, 1, question))[-1].text
    assert all(e in text for e in expected), text


@pytest.mark.parametrize("question", [
    "how can a wife get khula",  # N14: the family-law redirect names a free legal advice line, not only "legal aid"
    "بیوی خلع کیسے لے سکتی ہے",
    "زال خلع ڪيئن وٺي سگهي ٿي",
    "biwi khula kaise le sakti hai",
])
async def test_family_law_questions_are_given_a_free_legal_advice_line(conversation, question):
    messages = await conversation.text(1, 1, question)
    text = "\n".join(m.text for m in messages)
    assert "0800-70806" in text, text
