"""The bot finds the right entry whatever language form the worker writes in, and declines the rest."""

import copy
from dataclasses import replace

import pytest

from bot.conversation.answers import respond
from bot.conversation.replies import answer_text


@pytest.mark.parametrize(
    "twins, entry",
    [
        (["What is the minimum wage?", "کم از کم تنخواہ کتنی ہے؟", "گهٽ ۾ گهٽ پگهار ڪيتري آهي؟", "kam se kam tankhwah kitni hai"], "minimum-wage-amount"),
        (["How long is maternity leave?", "زچگی کی چھٹی کتنے دن کی ہے", "زچگي جي موڪل ڪيترن ڏينهن جي آهي", "maternity ki chutti kitne din ki hai"], "maternity-leave"),
        (["My supervisor harasses me", "سپروائزر مجھے ہراساں کرتا ہے", "سپروائيزر مون کي هراسان ڪري ٿو", "supervisor mujhe harass karta hai"], "harassment-what-counts"),
        (["overtime is not paid double", "اوور ٹائم ڈبل نہیں ملتا", "اوور ٽائيم ٻيڻو نٿو ملي", "overtime double nahi milta"], "overtime"),
    ],
)
def test_every_language_form_finds_the_same_entry(store, twins, entry):
    for text in twins:
        reply = respond(store, text)
        assert reply.entry_id == entry, text


def test_mixed_urdu_english_finds_the_entry(store):
    assert respond(store, "meri salary minimum wage se kam hai complaint kahan karun").entry_id == "minimum-wage-underpaid"
    assert respond(store, "مجھے overtime کے پیسے نہیں ملتے").entry_id == "overtime"


@pytest.mark.parametrize(
    "text",
    ["Who won the cricket match?", "bank se loan kaise milega", "بریانی کی ترکیب بتائیں", "ڪالهه ڪرڪيٽ ميچ ڪير کٽيو", "asdfgh qwerty"],
)
def test_out_of_scope_questions_are_declined_or_redirected(store, text):
    reply = respond(store, text)
    assert reply.match.outcome in ("declined", "redirected")
    assert reply.entry_id is None


def test_confidence_and_alternatives_are_bounded(store):
    for text in ["tankhwa", "chutti", "harassment complaint", "union", "x"]:
        match = respond(store, text).match
        for cand in match.candidates:
            assert 0.0 <= cand.confidence <= 1.0
        assert len(match.alternatives) <= 2
        assert len({c.entry_id for c in match.candidates}) == len(match.candidates)


def test_reply_language_follows_the_question(store):
    assert respond(store, "kam se kam tankhwa").reply_lang == "ur-Latn"
    assert respond(store, "گهٽ ۾ گهٽ پگهار").reply_lang == "sd"
    assert respond(store, "minimum wage").reply_lang == "en"
    assert respond(store, "minimum wage", lang="sd").reply_lang == "sd"


def test_empty_huge_and_odd_messages_do_not_break(store):
    assert respond(store, "").match.outcome == "declined"
    assert respond(store, "🙂🙂🙂").match.outcome == "declined"
    huge = "tankhwa nahi mili " * 800  # about 14,000 characters
    assert respond(store, huge).entry_id == "wages-late-or-unpaid"
    assert respond(store, "\u200f\u200b\ufeff").match.outcome == "declined"


def test_a_story_needs_more_confidence_to_be_answered_outright(store):
    story = ("I have worked in a garment factory in Korangi for two years and the owner has not paid my salary "
             "for the last three months, he keeps saying next week")
    short = "salary not paid for three months"
    default = store.matcher
    assert default.match(story).outcome == "answered" and default.match(short).outcome == "answered"
    wary = copy.copy(default)
    wary.thresholds = replace(default.thresholds, story_answer=0.99)
    offered = wary.match(story)
    assert offered.outcome == "suggested" and offered.best == default.match(story).best  # the same entry, as a button
    assert wary.match(short).outcome == "answered"


@pytest.mark.parametrize(
    "text, entry",
    [
        ("Is a weekly rest day mandatory under Pakistan labour law?", "weekly-holiday"),
        ("پاکستان کے قانون میں اوور ٹائم کا کیا حکم ہے", "overtime"),
        ("پاڪستان جي قانون ۾ اوور ٽائيم جو ڪهڙو حڪم آهي", "overtime"),
        ("pakistan ke qanoon mein overtime ka kya hukum hai", "overtime"),
    ],
)
def test_a_question_about_what_pakistan_law_says_is_matched_on_its_subject(store, text, entry):
    reply = respond(store, text)
    assert reply.match.outcome in ("answered", "suggested")
    assert reply.entry_id == entry


# QA 2026-12, G12: "the factory closed" was answered with what can happen to a harasser, sent to the family court
# (Roman Urdu) or to the BISP office (Urdu). In every form it now gets the answer about wages and dues on closure.
@pytest.mark.parametrize(
    "text, lang",
    [
        ("the factory closed what happens to my wages", "en"),
        ("The owner shut the factory and ran away, what about our wages and dues?", "en"),
        ("فیکٹری بند ہو گئی اب میرے پیسوں کا کیا ہوگا", "ur"),
        ("مالک فیکٹری بند کر کے بھاگ گیا، ہماری تنخواہ اور واجبات کا کیا ہوگا", "ur"),
        ("اسان جي فيڪٽري بند ٿي وئي، اسان جي پگهار ۽ واجبات جو ڇا ٿيندو", "sd"),
        ("مالڪ ڪارخانو بند ڪري ڀڄي ويو، اسان جي پگهار ۽ واجبات جو ڇا ٿيندو", "sd"),
        ("factory band ho gayi", "ur-Latn"),
        ("mill band ho gayi", "ur-Latn"),
        ("malik factory band karke bhag gaya, hamari tankhwa aur wajibat ka kya", "ur-Latn"),
    ],
)
def test_a_factory_closing_is_answered_about_wages_and_dues_not_harassment_or_family_court(store, text, lang):
    reply = respond(store, text)
    assert (reply.match.outcome, reply.entry_id, reply.reply_lang) == ("answered", "workplace-closure", lang)
    answer = answer_text(store.kb, store.kb.entry("workplace-closure"), lang)
    assert "14" in answer and "2" in answer and "021-34325500" in answer  # lay-off days, dues deadline, NOWCommunities


# "band" (closed, stopped) alone must not bring the closure answer: a salary stopped is a wage not paid. (The Sindhi one
# is offered both; one more Sindhi example answered it outright but cost the held-out set a point.)
@pytest.mark.parametrize(
    "text, entry",
    [
        ("tankhwa band ho gayi", "wages-late-or-unpaid"),
        ("میری تنخواہ بند ہو گئی", "wages-late-or-unpaid"),
        ("منهنجي پگهار بند ٿي وئي", "wages-late-or-unpaid"),
        ("my salary has stopped", "wages-late-or-unpaid"),
    ],
)
def test_a_stopped_salary_is_answered_as_wages_not_paid_not_as_a_factory_closing(store, text, entry):
    match = respond(store, text).match
    assert not (match.outcome == "answered" and match.entry_id == "workplace-closure")
    assert entry in [c.entry_id for c in match.candidates]  # answered, or offered among "Did you mean"


def test_a_story_is_scored_clause_by_clause_as_the_plain_products_say(store):
    """The index's sparse products (a whole message and its clauses in one pass, some of them with no known
    word) are the dense vector products they stand for."""
    import numpy as np

    matcher = store.matcher
    story = ("My husband works in a factory. The owner has not paid him for three months, and yesterday he said "
             "he will not pay overtime either; what can we do, where do we complain?")
    queries = [matcher._lookup(*matcher._query(part)[:2]) for part in [story, *story.split(",")]]
    queries.insert(1, (np.zeros(0, dtype=np.int64), np.zeros(0)))  # a clause the knowledge base has no word of
    for postings in (matcher._doc_index, matcher._centroid_index):
        expected = np.zeros((len(queries), postings.n))
        for row, (cols, weights) in zip(expected, queries):
            for col, weight in zip(cols.tolist(), weights.tolist()):  # each column of the matrix, scaled, added
                at = slice(postings.indptr[col], postings.indptr[col + 1])
                np.add.at(row, postings.rows[at], weight * postings.weights[at])
        got = postings.dot(queries)
        assert np.allclose(got, expected, rtol=1e-12, atol=1e-15)
        assert not got[1].any() and got[0].max() > 0


def test_matching_in_several_threads_at_once_gives_each_its_own_answer(store):
    """The matcher reuses work arrays between messages, one set per thread: threads never see each other's."""
    from concurrent.futures import ThreadPoolExecutor

    texts = ["meri salary teen mahine se nahi mili, malik kehta hai agle mahine dega, kya karun?",
             "How long is maternity leave? My employer says I must come back after two weeks, is that right?",
             "مجھے اوور ٹائم کے پیسے نہیں ملتے، سیٹھ کہتا ہے یہ تنخواہ میں شامل ہے، کہاں شکایت کروں؟"] * 20
    alone = [store.matcher.match(t) for t in texts]
    with ThreadPoolExecutor(4) as pool:
        together = list(pool.map(store.matcher.match, texts))
    assert together == alone


@pytest.mark.parametrize(
    "text",
    ["the factory owner has lodged false police cases against the union workers because they asked together for their dues",
     "فیکٹری مالک نے یونین والے مزدوروں پر پولیس میں جھوٹے مقدمے درج کروا دیے کیونکہ انہوں نے مل کر اپنے واجبات مانگے",
     "ڪارخاني جي مالڪ يونين وارن پورهيتن تي پوليس ۾ ڪوڙا مقدما داخل ڪرايا ڇو ته هنن گڏجي پنهنجا واجبات گهريا",
     "factory malik ne union wale mazdooron par police mein jhoote muqadme darj karwa diye kyunke unhon ne mil kar apne wajibat mange"],
)
def test_a_report_of_false_cases_against_union_workers_finds_union_protection(store, text):
    """Letters and news tell of workers punished for organising in the third person, in Sindhi too (issue 25)."""
    reply = respond(store, text)
    assert reply.match.outcome in ("answered", "suggested")
    assert "union-protection" in [c.entry_id for c in reply.match.candidates[:2]], text


@pytest.mark.parametrize(
    "text",
    ["the haris told reporters that the zamindar has kept their accounts for years and does not let their families leave his land",
     "ہاریوں نے بتایا کہ زمیندار برسوں سے ان کا حساب اپنے پاس رکھے ہوئے ہے اور ان کے خاندانوں کو اپنی زمین سے جانے نہیں دیتا",
     "هارين ٻڌايو ته زميندار سالن کان سندن حساب پاڻ وٽ رکيو ويٺو آهي ۽ سندن ڪٽنبن کي پنهنجي زمين تان وڃڻ نٿو ڏئي",
     "haariyon ne bataya ke zamindar saalon se un ka hisaab apne paas rakhe hue hai aur un ke khandanon ko apni zameen se jaane nahi deta"],
)
def test_a_report_of_haris_held_by_the_landlords_accounts_finds_bonded_labour_not_rent(store, text):
    """A sharecroppers' debt told without the word "bonded", in the third person, is bonded labour (issue 25): in
    Sindhi it was sent to the land and rent group."""
    reply = respond(store, text)
    assert reply.match.outcome in ("answered", "suggested"), text
    assert reply.entry_id == "bonded-labour", text
