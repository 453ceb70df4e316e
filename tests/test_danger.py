"""A worker in danger gets help first: the detector, the emergency message, the log, the danger file's checks."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.knowledge.loader import load_with_problems

# Written for these tests (not from any question set): a danger message in each form, and what its help must give.
IN_DANGER = [
    ("en", "FIRE at the factory, the exit door is locked and people upstairs cannot get out", "1122"),
    ("en", "help my husband is hitting me and the kids right now", "1094"),
    ("en", "I was raped by the son of the family where I work", "15"),
    ("en", "he says I will find your body in the nala if I complain", "15"),
    ("ur", "سیٹھ نے دھمکی دی ہے کہ جان سے مار دے گا", "15"),
    ("ur", "میرا شوہر مجھے مارتا ہے اور گھر سے نکال دیا ہے", "1094"),
    ("ur", "میں خودکشی کرنا چاہتی ہوں، نوکری بھی چلی گئی", "1122"),
    ("sd", "منهنجو مڙس مون کي ماري ٿو", "1094"),
    ("sd", "ڪارخاني ۾ باهه لڳي آهي", "1122"),
    ("sd", "مالڪ اسان کي ڪمري ۾ بند ڪري ڇڏيو آهي", "15"),
    ("ur-Latn", "seth ne dhamki di hai ke jaan se maar dega", "15"),
    ("ur-Latn", "mera haath machine mein phans gaya hai khoon beh raha hai", "1122"),
    ("ur-Latn", "bhatta malik ne hamare poore khandan ko rok kar rakha hai", "15"),
]
NEAR_MISSES = [
    "I was fired yesterday, what are my rights",
    "they cut my wage for coming late",
    "mara malik tankhwa nahi deta",
    "is mehngai ne maar dala hai",
    "پگهار مان ٻه هزار ڪٽي ورتا",
    "I had an accident last year, can I still claim compensation",
    "what is the minimum wage",
]


@pytest.mark.parametrize("lang, text, number", IN_DANGER)
async def test_a_danger_message_gets_the_emergency_message_first_in_its_own_form(conversation, lang, text, number):
    replies = await conversation.text(f"d-{text}", 1, text, hint="en" if lang in ("en", "ur-Latn") else lang)
    first = replies[0]
    assert first.danger, f"no emergency message for {text!r}: {first.text[:80]!r}"
    assert number in first.text and ("15" in first.text or "1122" in first.text)
    title = conversation.knowledge.kb.danger.title[lang]
    assert first.title == title  # the emergency message in the worker's form
    assert "still being checked" not in first.text


# QA 2026-12, G1: typed as an ordinary question by a worker whose phone says English, these got a decline or "Did you
# mean" (only the one after /person got the numbers). The QA's own words, from danger.yaml's vocabulary.
@pytest.mark.parametrize("lang, text", [
    ("en", "he is beating me"),
    ("ur-Latn", "mujhe maar raha hai"),
    ("ur-Latn", "malik mujhe mar raha hai"),
    ("ur", "وہ مجھے مار رہا ہے"),
    ("sd", "مالڪ مون کي ماري ٿو"),
])
async def test_danger_typed_as_a_question_on_an_english_phone_gets_the_emergency_message_first(conversation, lang, text):
    replies = await conversation.text(f"g1-{text}", 1, text, hint="en")
    first = replies[0]
    assert first.danger and first.title == conversation.knowledge.kb.danger.title[lang], first.text[:80]
    # the police first: "mujhe maar raha hai" (someone is beating me) may get the help for violence (15, Rescue 1122)
    # or, as the kind classifier reads most such messages, for domestic violence (15, the women's helpline 1094)
    assert first.danger in ("violence", "domestic-violence") and "15" in first.text


@pytest.mark.parametrize("text", NEAR_MISSES)
async def test_a_message_that_only_looks_alarming_gets_no_emergency_message(conversation, text):
    replies = await conversation.text(f"n-{text}", 1, text)
    assert not any(m.danger for m in replies)


async def test_a_labour_question_in_a_danger_message_is_answered_after_the_emergency_message(conversation):
    text = "what is the minimum wage in Sindh? and the supervisor slapped me when I asked"
    replies = await conversation.text(20, 20, text)
    assert replies[0].danger == "violence"
    assert len(replies) == 2 and replies[1].title == conversation.knowledge.kb.entry("minimum-wage-amount").title["en"]


@pytest.mark.parametrize("lang, text", [
    ("en", "salary 3 months late, and when I asked the supervisor slapped me and said he will kill me"),
    ("ur", "میری تنخواہ تین مہینے سے نہیں ملی، اور جب میں نے پوچھا تو سپروائزر نے تھپڑ مارا اور کہا جان سے مار دوں گا"),
    ("sd", "منهنجي پگهار ٽن مهينن کان نه ملي آهي، ۽ جڏهن مون پڇيو ته سپروائيزر چماٽ هنئي ۽ چيو ته ماري ڇڏيندس"),
    ("ur-Latn", "meri tankhwa 3 mahine se nahi mili aur supervisor ne thappar mara aur kaha jaan se maar dunga"),
])
async def test_a_labour_problem_told_beside_the_danger_is_answered_after_the_emergency_message(conversation, lang, text):
    """The danger words drown the question in the whole message (only "Did you mean"); what is left of it without
    them is a clear wages question, answered second."""
    kb = conversation.knowledge.kb
    replies = await conversation.text(f"dl-{lang}", 1, text, hint="en" if lang in ("en", "ur-Latn") else lang)
    assert replies[0].danger in ("violence", "threat-to-life")
    assert len(replies) == 2 and replies[1].title == kb.entry("wages-late-or-unpaid").title[lang]


async def test_the_last_words_of_a_danger_story_are_not_taken_for_a_labour_question(conversation):
    replies = await conversation.text("dl-story", 1, "machine just cut my friend's fingers, so much blood, supervisor "
                                                    "won't call ambulance, what do we do")
    assert replies[0].danger == "injury-now"
    assert len(replies) == 1, [m.title for m in replies]


@pytest.mark.parametrize("lang, text", [
    ("en", "the owner's son is misusing me when madam goes out"),
    ("en", "seth said start counting your last days"),
    ("en", "the manager is keeping my CNIC and says he returns it only when I resign"),
    ("en", "what is the point of living, I am done with everything"),
    ("ur", "منشی نے کہا تو کل کا سورج نہیں دیکھے گا"),
    ("ur", "ایک آدمی روز بس اسٹاپ سے میرے پیچھے آتا ہے"),
    ("sd", "مالڪ منهنجو شناختي ڪارڊ موٽائي نٿو ڏئي"),
    ("ur-Latn", "bas ab zindagi se chutti chahiye"),
    ("en", "a woman on our line fainted from the heat and is not waking up"),
    ("en", "the wall fell and two loaders are under the debris"),
    ("ur", "ٹھیکیدار کے آدمیوں نے کل رات میرا بیٹا اٹھا لیا"),
    ("sd", "منشي چوي ٿو جيڪو ڀڳو ان کي گولي هڻنداسين"),
    ("ur-Latn", "madad kro mujhe plz"),
    ("en", "two men snatched my child outside the factory gate"),
    ("ur", "ٹھیکیدار نے کہا آج تجھے ٹھکانے لگا دوں گا"),
    ("sd", "سيٺ جي پٽ منهنجي ڀيڻ جي عزت لٽي"),
    ("ur-Latn", "malik kehta hai jab tak qarz nahi utarta bache yahin rahenge"),
])
async def test_danger_said_indirectly_gets_the_emergency_message(conversation, lang, text):
    replies = await conversation.text(f"ind-{text}", 1, text, hint="en" if lang in ("en", "ur-Latn") else lang)
    assert replies[0].danger, text


@pytest.mark.parametrize("text", [
    "we were held prisoner at a brick kiln for 6 years until the court freed us last year, now the old owner says "
    "we still owe peshgi, is that debt valid",
    "hum bhatte pe saalon qaid rahe, pichle saal court ne azaad karwaya, ab purana malik kehta hai peshgi baqi hai",
    "my CNIC got lost, how do I make a new one",
    "ٹیکس سے بچاؤ کا طریقہ بتائیں",
    "the company is sucking our blood with 12 hour shifts, what does the law say on overtime",
    "the supervisor says he will finish my job if I complain again",
    "my blood boils when I see what they pay us",
    "what is the punishment for throwing acid, we are making a poster for our union",
    "workers are sitting in protest in the hall, the manager is shouting, nobody is hurt, can we strike legally",
    "can I shoot a video of the broken fire alarm for the labour inspector",
    "ہماری کینٹین میں زہر کھلا ہے، شکایت کہاں کریں",
    "what is the punishment for kidnapping, it is for my law assignment",
])
async def test_a_past_or_figurative_danger_gets_no_emergency_message(conversation, text):
    """A kiln family freed by a court is no family held now, even where "qaid" (held) reads as a kiln's bondage."""
    replies = await conversation.text(f"past-{text}", 1, text)
    assert not any(m.danger for m in replies)


@pytest.mark.parametrize("text", [
    "Sir I have worked at a garment unit in Landhi for four years, twelve hours a day standing at the cutting table. "
    "The supervisor shouts at us all day and this overtime without pay is killing us slowly. Last month they cut two "
    "days wage for one late morning and nobody gives an appointment letter. What does the law say about overtime pay "
    "and deductions?",
    "Salam, main Korangi ki ek shoe factory mein packing karti hoon. Subah aath se raat das tak kaam, supervisor "
    "gaaliyan deta hai aur kehta hai tumhe bhooka maar dunga agar chhutti maangi. Teen mahine se overtime ke paise "
    "nahi mile. Overtime ka qanoon kya hai?",
    "میں سائٹ ایریا کی ایک ٹیکسٹائل مل میں کام کرتا ہوں، بارہ گھنٹے کی ڈیوٹی ہے، مشینوں کی گرمی میں دم گھٹتا ہے، "
    "سپروائزر گالیاں دیتا ہے اور کہتا ہے نکال دوں گا، تین مہینے سے اوور ٹائم نہیں ملا، اوور ٹائم کا قانون کیا ہے؟",
    "مان سائيٽ جي هڪ ڪارخاني ۾ ٻارهن ڪلاڪ ڪم ڪريان ٿو، گرمي ۾ ساهه گهٽجي ٿو، سپروائيزر گاريون ڏئي ٿو ۽ چوي ٿو ڪڍي "
    "ڇڏيندس، ٽن مهينن کان اوور ٽائيم نه مليو آهي، اوور ٽائيم جو قانون ڇا آهي؟",
])
async def test_a_hard_labour_story_with_a_few_alarming_words_is_answered_as_a_question(conversation, text):
    """Ten words of a long story may sound like danger ("killing us slowly", "دم گھٹتا ہے"); the whole story must
    lean that way too before the classifier raises an alarm."""
    replies = await conversation.text(f"story-{text[:20]}", 1, text)
    assert replies and not any(m.danger for m in replies)


@pytest.mark.parametrize("lang, text, kind", [
    ("en", "my daughter is 24, she works as a maid, the owner's son raped her last night", "sexual-violence"),
    ("ur-Latn", "meri beti 22 saal ki hai, malik ke bete ne uske saath zabardasti ki", "sexual-violence"),
    ("sd", "منهنجي ڌيءَ سان مالڪ جي پٽ زيادتي ڪئي", "sexual-violence"),
    ("en", "the munshi says he will kill me if I ask for my wages again", "threat-to-life"),
    ("ur", "منشی کہتا ہے اگر تنخواہ مانگی تو جان سے مار دوں گا", "threat-to-life"),
    ("ur-Latn", "munshi ne kaha tankhwa mangi to jaan se maar dunga", "threat-to-life"),
])
async def test_the_help_shown_is_for_the_danger_told_not_for_a_word_beside_it(conversation, lang, text, kind):
    """"Daughter" made a grown woman's rape child abuse (the child helpline's help), "munshi" made a threat over wages a
    family held at a kiln: the kind classifier reads the whole message, the cue's kind counting extra."""
    replies = await conversation.text(f"kind-{text}", 1, text, hint="en" if lang in ("en", "ur-Latn") else lang)
    assert replies[0].danger == kind


@pytest.mark.parametrize("text", [
    "Sir my husband worked at a coal mine near Thatta for eleven years. In 2014 there was a gas explosion in the tunnel "
    "and he was badly burned, he passed away after some months. The company gave nothing except the funeral expenses. I "
    "have his appointment letter and EOBI card. Can I still claim his pension and compensation as a widow, and which "
    "office should I go to?",
    "Mera bhai 2016 me truck chalata tha aur Kashmore ke paas daakuon ne usay aghwa kar liya tha, teen mahine baad wo "
    "chhoot gaya aur ab bilkul theek hai. Company ne un teen mahinon ki tankhwa nahi di aur na hi koi madad ki. Ab wo "
    "poochna chahta hai ke kya itne saal baad bhi wo tankhwa ka claim labour court me kar sakta hai?",
])
async def test_a_danger_long_past_named_in_a_story_about_dues_gets_no_emergency_message(conversation, text):
    """A cue ("explosion", "aghwa") in a long story counts only when the story as a whole leans towards danger."""
    replies = await conversation.text(f"old-{text[:20]}", 1, text)
    assert replies and not any(m.danger for m in replies)


@pytest.mark.parametrize("text", ["manager bola aaj report nahi di to zinda nahi chhorunga 😂",
                                  "my wife will kill me if I miss the bus again 😂",
                                  "باس کہتا ہے آج رپورٹ نہ دی تو جان سے مار دوں گا 😂"])
async def test_a_threat_said_laughing_gets_no_emergency_message(conversation, text):
    """A laughing emoji is no word (the tokens drop it), yet it sets its clause aside like "haha"."""
    replies = await conversation.text(f"joke-{text[:20]}", 1, text)
    assert replies and not any(m.danger for m in replies)
    serious = await conversation.text(f"serious-{text[:20]}", 1, text.replace(" 😂", ""))
    assert serious[0].danger  # the same words without it are a threat


async def test_domestic_violence_gets_its_own_help_not_the_family_court(conversation):
    replies = await conversation.text(21, 21, "my sister's husband beats her every day, what can she do")
    assert replies[0].danger == "domestic-violence"
    assert "Domestic Violence Act 2013" in replies[0].text and "1094" in replies[0].text
    assert not any("family court" in m.text for m in replies)


@pytest.mark.parametrize("lang, text", [("en", "please help me!!"), ("ur", "مدد کریں"), ("sd", "بچايو"),
                                        ("ur-Latn", "koi bachao plz")])
async def test_a_lone_cry_for_help_gets_the_emergency_message(conversation, lang, text):
    replies = await conversation.text(f"c-{text}", 1, text, hint="en" if lang in ("en", "ur-Latn") else lang)
    first = replies[0]
    assert first.danger == "cry-for-help"
    assert "15" in first.text and "1122" in first.text and "1094" in first.text


@pytest.mark.parametrize("text", ["I need help with my salary", "mujhe tankhwa ke mamle mein madad chahiye",
                                  "تنخواہ کے مسئلے میں مدد کریں", "پگهار جي مسئلي ۾ مدد ڪريو"])
async def test_help_in_a_question_is_a_question(conversation, text):
    replies = await conversation.text(f"q-{text}", 1, text)
    assert not any(m.danger for m in replies)


@pytest.mark.parametrize("lang, text", [
    ("en", "my husband hits me and threw me out of the house"),
    ("ur", "میرا شوہر مجھے مارتا ہے اور گھر سے نکال دیا ہے"),  # review row N2: answered with dismissal notice before
    ("sd", "منهنجو مڙس مون کي ماري ٿو ۽ گهر مان ڪڍي ڇڏيو آهي"),
    ("ur-Latn", "mera shohar mujhe marta hai aur ghar se nikal diya"),
])
async def test_domestic_violence_without_a_labour_question_gets_the_domestic_violence_answer_second(conversation, lang, text):
    kb = conversation.knowledge.kb
    replies = await conversation.text(f"dv-{text}", 1, text, hint="en" if lang in ("en", "ur-Latn") else lang)
    assert replies[0].danger == "domestic-violence"
    assert len(replies) == 2 and replies[1].title == kb.entry("domestic-violence").title[lang]


@pytest.mark.parametrize("lang, words", [("en", "Call police 15 or Rescue 1122"), ("ur", "پولیس 15 یا ریسکیو 1122"),
                                          ("sd", "پوليس 15 يا ريسڪيو 1122"), ("ur-Latn", "Police 15 ya Rescue 1122")])
async def test_a_voice_note_the_bot_cannot_hear_gets_the_emergency_numbers(store, prefs, lang, words):
    from bot.conversation.dialogue import Conversation
    from bot.conversation.referral import Referral

    for conversation in (Conversation(store, prefs, referral=Referral(store)), Conversation(store, prefs)):
        await conversation.prefs.set_language(f"v-{lang}", lang)
        first = (await conversation.voice(f"v-{lang}", "AwACvoice"))[0]
        assert words in first.text


async def test_a_withheld_identity_card_is_forced_labour_not_a_nadra_question(conversation):
    replies = await conversation.text(22, 22, "the factory owner keeps my ID card so I cannot leave")
    assert replies[0].danger in ("cnic-withheld", "held-locked-in")
    assert not any("NADRA" in m.text for m in replies)


async def test_unconfirmed_numbers_come_with_their_caveat_and_never_alone(conversation):
    kb = conversation.knowledge.kb
    replies = await conversation.text(23, 23, "I want to kill myself")
    first = replies[0]
    assert first.danger == "suicide-self-harm"
    assert f"0311-7786264 {kb.danger.caveat['en']}" in first.text  # the crisis line, not confirmed
    assert "1122" in first.text and "1122 (" not in first.text  # a confirmed number beside it, without caveat


async def test_a_danger_message_is_counted_but_its_text_is_never_logged(logged):
    conversation, log = logged
    await conversation.text(24, 24, "my husband is beating me, my number is 0300-1234567")
    row = log.rows[-1]
    assert row["outcome"] == "danger" and row["danger"] == "domestic-violence" and row["text"] is None


def test_the_query_log_never_stores_a_danger_message_text(tmp_path):
    import asyncio
    import sqlite3

    from bot.stores.querylog import QueryLog

    async def go() -> None:
        log = QueryLog(tmp_path / "q.sqlite3")
        await log.start()
        log.record(user=1, channel="telegram", kind="text", detected_lang="en", reply_lang="en", entry_id=None,
                   confidence=1.0, outcome="danger", text="he beat me at the godown", danger="violence")
        await log.close()

    asyncio.run(go())
    rows = sqlite3.connect(tmp_path / "q.sqlite3").execute("SELECT outcome, danger, text FROM queries").fetchall()
    assert rows == [("danger", "violence", None)]
    assert b"godown" not in (tmp_path / "q.sqlite3").read_bytes()


def _errors(root: Path) -> list[str]:
    kb, problems = load_with_problems(root)
    return [str(p) for p in problems if p.severity == "error"]


def test_a_danger_file_without_kinds_is_refused(kb_copy):
    (kb_copy / "danger.yaml").write_text("groups: []\n", encoding="utf-8")
    assert any("danger.yaml:1" in e and "kinds:" in e for e in _errors(kb_copy))


def test_a_danger_kind_without_help_in_every_form_is_refused(kb_copy, line_of):
    path = kb_copy / "danger.yaml"
    text = path.read_text(encoding="utf-8")
    start = text.index("    help:\n", text.index("  - id: acid\n"))
    sd = text.index("      sd: |", start)
    ur_latn = text.index("      ur-Latn: |", start)
    path.write_text(text[:sd] + text[ur_latn:], encoding="utf-8")
    assert any("danger kind 'acid'" in e and "missing Sindhi (sd) help" in e for e in _errors(kb_copy))


def test_a_number_written_into_help_instead_of_a_fact_is_refused(kb_copy):
    path = kb_copy / "danger.yaml"
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace("Sindh women's helpline: {women_helpline}.\n", "Sindh women's helpline: 1094.\n", 1),
                    encoding="utf-8")
    assert any("writes the number '1094'" in e for e in _errors(kb_copy))


def test_help_whose_only_numbers_are_unconfirmed_is_refused(kb_copy):
    path = kb_copy / "danger.yaml"
    text = path.read_text(encoding="utf-8")
    start = text.index("  - id: kidnapping\n")
    end = text.index("    examples:", start)
    block = text[start:end]
    for fact in ("police_emergency", "child_protection_helpline", "women_helpline"):
        block = block.replace("{" + fact + "}", "{madadgaar_helpline}")
    path.write_text(text[:start] + block + text[end:], encoding="utf-8")
    assert any("danger kind 'kidnapping'" in e and "unconfirmed" in e for e in _errors(kb_copy))


def test_help_longer_than_a_phone_screen_is_refused(kb_copy):
    path = kb_copy / "danger.yaml"
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace("        Edhi ambulance: {edhi_ambulance}.\n",
                                 "        Edhi ambulance: {edhi_ambulance}." + " Stay calm." * 100 + "\n", 1),
                    encoding="utf-8")
    assert any("fits one phone screen" in e for e in _errors(kb_copy))


def test_a_danger_kind_naming_an_unknown_answer_is_refused(kb_copy):
    path = kb_copy / "danger.yaml"
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace("    entry: domestic-violence\n", "    entry: family-court\n", 1), encoding="utf-8")
    assert any("danger kind 'domestic-violence'" in e and "family-court" in e for e in _errors(kb_copy))


def test_a_whole_message_cry_made_only_of_filler_words_is_refused(kb_copy):
    path = kb_copy / "danger.yaml"
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace("    whole: [", "    whole: [please koi, ", 1), encoding="utf-8")
    assert any("danger kind 'cry-for-help'" in e and "'please koi'" in e for e in _errors(kb_copy))


def test_the_report_counts_danger_by_kind_and_hides_small_counts(tmp_path):
    import asyncio
    import sqlite3

    from bot.research.reports import Filters, build_tables
    from bot.stores.querylog import QueryLog
    from tests.helpers import Clock

    async def go() -> None:
        log = QueryLog(tmp_path / "q.sqlite3", clock=Clock())
        await log.start()
        for kind, n in (("violence", 6), ("fire-gas-collapse", 2)):
            for i in range(n):
                log.record(user=i, channel="telegram", kind="text", detected_lang="ur", reply_lang="ur", entry_id=None,
                           confidence=1.0, outcome="danger", text="کچھ بھی", danger=kind)
        await log.close()

    asyncio.run(go())
    tables = {t.name: t for t in build_tables(sqlite3.connect(tmp_path / "q.sqlite3"), Filters())}
    assert tables["weekly_danger"].suppressed(5) == [["2026-03-02", "fire-gas-collapse", "<5"],
                                                      ["2026-03-02", "violence", 6]]


@pytest.mark.parametrize("text, kind, cue", [
    ("wo kehti hai tumhein uthwa lungi", "threat-to-life", "uthwa lungi"),  # the file has "uthwa lunga"
    ("ايجنٽ منهنجو ڪارڊ وٺي ڇڏي", "cnic-withheld", "ڪارڊ وٺی ڇڏی"),  # the file has "ڪارڊ وٺي ڇڏيا"
])
def test_a_cue_is_found_with_its_last_word_in_another_gender_or_number(store, text, kind, cue):
    alarm = store.danger.check(text)
    assert alarm is not None and (alarm.kind, alarm.score, alarm.cue) == (kind, 1.0, cue)


def test_the_detector_scores_a_message_as_scikit_learn_would_without_importing_it():
    """At check time the detector computes with numpy what scikit-learn's vectorisers and classifiers would (they
    are only imported to train): the same n-grams, TF-IDF weights and probabilities, to the last few bits."""
    import numpy as np
    import scipy.sparse as sparse
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import SGDClassifier

    from bot.understanding import danger
    from bot.understanding.terms import Terms

    texts = ["he beat me with a stick", "the boss beat me today", "fire in the factory", "aag lagi hai factory mein",
             "مالک نے مارا", "what is the minimum wage", "overtime pay rate", "مڙس ماري ٿو", "a b", "x"]
    labels = ["violence", "violence", "fire", "fire", "violence", "none", "none", "violence", "none", "none"]
    words = TfidfVectorizer(analyzer="word", ngram_range=(1, 2), token_pattern=r"\S+", sublinear_tf=True).fit(texts)
    chars = TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 4), sublinear_tf=True).fit(texts)
    ours = [danger._Tfidf(name, Terms(Terms.arrays(sorted(v.vocabulary_, key=v.vocabulary_.__getitem__), name), name),
                          v.idf_, 0) for name, v in (("word", words), ("char_wb", chars))]
    unseen = ["He BEAT me  and beat me again", "fire fire fire", "مالک نے مارا", "ab", "nothing known here qq"]
    for theirs, mine in zip((words, chars), ours):
        expected = theirs.transform(unseen).toarray()
        got = np.zeros_like(expected)
        for row, text in enumerate(unseen):
            cols, values = mine.transform(text)
            got[row, cols] = values
        assert np.allclose(got, expected, rtol=0, atol=1e-12)
    matrix = sparse.hstack([words.transform(texts), chars.transform(texts)]).tocsr()
    n = matrix.shape[1]
    binary = SGDClassifier(loss="log_loss", max_iter=20, tol=None, random_state=0).fit(matrix, [lab != "none" for lab in labels])
    kinds = SGDClassifier(loss="log_loss", max_iter=20, tol=None, random_state=0).fit(matrix, labels)
    rows = [(matrix[i].indices, matrix[i].data) for i in range(len(texts))]
    assert np.allclose(danger._Linear(binary.coef_.T, binary.intercept_, n).probabilities(rows),
                       binary.predict_proba(matrix)[:, 1], rtol=0, atol=1e-12)
    assert [danger._Linear(kinds.coef_.T, kinds.intercept_, n, kinds.classes_).predict(r) for r in rows] == \
        list(kinds.predict(matrix))
    two = danger._Linear(binary.coef_.T, binary.intercept_, n, ["no", "yes"])  # two kinds: one column of weights
    assert [two.predict(r) == "yes" for r in rows] == list(binary.predict(matrix))


def test_a_term_counts_only_when_the_model_knows_it_exactly():
    """The detector's vocabularies are looked up as sorted UTF-8 bytes: a longer word that starts with a known one
    ("مارا" after "مار") is not taken for it, nor is a prefix ("ab" of "abc")."""
    from bot.understanding.terms import DICT_AFTER, Terms

    terms = Terms(Terms.arrays(["abc", "b", "مار", "ab c"], "t"), "t")
    for _ in range(DICT_AFTER + 2):  # by binary search, then by the dict made after DICT_AFTER lookups
        assert terms.columns(["b", "مار", "abc", "ab c", "مارا", "ab", "", "zz", "abcd"]).tolist() == \
            [1, 2, 0, 3, -1, -1, -1, -1, -1]
    assert Terms(Terms.arrays([], "t"), "t").columns(["b"]).tolist() == [-1]


def test_messages_staff_label_in_danger_messages_teach_the_detector(kb_copy):
    """A way of saying danger the detector has never seen is learnt from a handful of labelled messages, and a message
    labelled [] that reads alike stays ordinary."""
    from bot.knowledge.loader import load_knowledge
    from bot.understanding.danger import DangerDetector

    said = "red cloth on our door again, thekedar says it is for the next one"
    before = DangerDetector(load_knowledge(kb_copy))
    assert before.check(said) is None
    path = kb_copy / "danger-messages.yaml"
    path.write_text(path.read_text(encoding="utf-8") + "\n".join([
        "- {danger: [threat-to-life], lang: en, text: 'red cloth tied on our door last night, next one is us'}",
        "- {danger: [threat-to-life], lang: en, text: 'they tied the red cloth on my brothers door, he is next'}",
        "- {danger: [threat-to-life], lang: en, text: 'thekedar men put red cloth on our jhuggi, means we are next'}",
        "- {danger: [threat-to-life], lang: en, text: 'red cloth on the door again, thekedar says that one is next'}",
        "- {danger: [threat-to-life], lang: en, text: 'again red cloth on our door, it is for the next one'}",
        "- {danger: [], lang: en, text: 'i bought red cloth for the wedding, is eid bonus due'}",
    ]) + "\n", encoding="utf-8")
    after = DangerDetector(load_knowledge(kb_copy))
    alarm = after.check(said)
    assert alarm is not None and alarm.kind == "threat-to-life"
    assert after.check("she sews red cloth for the wedding shop, is her overtime paid") is None


def test_a_danger_message_with_an_unknown_kind_or_form_is_refused(kb_copy):
    path = kb_copy / "danger-messages.yaml"
    path.write_text(path.read_text(encoding="utf-8")
                    + "- {danger: [beating], lang: en, text: 'the owner beats us'}\n"
                    + "- {danger: [violence], lang: hi, text: 'the owner beats us'}\n", encoding="utf-8")
    errors = _errors(kb_copy)
    assert any("danger-messages.yaml" in e and "'beating'" in e for e in errors)
    assert any("danger-messages.yaml" in e and "`lang: hi`" in e for e in errors)
