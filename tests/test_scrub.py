"""Nothing that identifies a person survives into the query log."""

import pytest

from bot.stores.scrub import scrub

# (message, what must be kept after scrubbing, in order) in all four language forms.
CORPUS = [
    # English
    ("my number is 0300-1234567 please call", "my number is <phone> please call"),
    ("call me on +92 300 1234567", "call me on <phone>"),
    ("whatsapp 03001234567", "whatsapp <phone>"),
    ("office phone (021) 3432 5500", "office phone <phone>"),
    ("UK number +44 20 7946 0958", "UK number <phone>"),
    ("my CNIC is 42101-1234567-1", "my CNIC is <cnic>"),
    ("cnic 4210112345671", "cnic <cnic>"),
    ("email me at amina.bibi@gmail.com", "email me at <email>"),
    ("see https://example.com/a?b=c for details", "see <link> for details"),
    ("my facebook www.facebook.com/amina.bibi", "my facebook <link>"),
    ("message @amina_khan on telegram", "message <username> on telegram"),
    ("EOBI no 123456789012 not working", "EOBI no <number> not working"),
    ("account 12345678 at the bank", "account <number> at the bank"),
    ("I earn 25000 a month", "I earn 25000 a month"),
    ("worked 12 hours on 14 August 2025", "worked 12 hours on 14 August 2025"),
    ("salary Rs 40,000 since July", "salary Rs 40,000 since July"),
    ("Hi, my name is Zarmeena Khaskheli, my boss does not pay", "Hi, my name is <name>, my boss does not pay"),
    ("my name is Ali and I work in a factory", "my name is <name> and I work in a factory"),
    # Roman Urdu
    ("mera naam Shabana hai, tankhwa nahi mili", "mera naam <name> hai, tankhwa nahi mili"),
    ("mera naam Gul Bano hai", "mera naam <name> hai"),
    ("company ka naam kya hai", "company ka naam kya hai"),
    ("mera naam nahi likha register mein", "mera naam nahi likha register mein"),
    ("mera number 0312 7654321 hai", "mera number <phone> hai"),
    ("is number par call karo 0092-300-1112223", "is number par call karo <phone>"),
    ("mera shanakhti card 42201-7654321-3 hai", "mera shanakhti card <cnic> hai"),
    ("seth ka number 0333-9876543 hai", "seth ka number <phone> hai"),
    ("mujhe ali123@yahoo.com par email karo", "mujhe <email> par email karo"),
    ("mera insta @ali.khan99 nahi @alikhan99", "mera insta <username> nahi <username>"),
    ("factory ka link bit.ly/abc123 hai", "factory ka link <link> hai"),
    ("tankhwa 18000 milti hai", "tankhwa 18000 milti hai"),
    ("3 mahine se 2 din ki chutti", "3 mahine se 2 din ki chutti"),
    ("card number 1234 5678 9012 3456", "card number <number>"),
    ("registration 7654321", "registration <number>"),
    ("mera whatsapp +923451234567 hai", "mera whatsapp <phone> hai"),
    # Urdu (Urdu digits and Arabic-Indic digits too)
    ("میرا نمبر ۰۳۰۰۱۲۳۴۵۶۷ ہے", "میرا نمبر <phone> ہے"),
    ("میرا نمبر 0300-1234567 ہے", "میرا نمبر <phone> ہے"),
    ("مالک کا نمبر ٠٣٣٣٩٨٧٦٥٤٣ ہے", "مالک کا نمبر <phone> ہے"),
    ("شناختی کارڈ ۴۲۱۰۱-۱۲۳۴۵۶۷-۱ ہے", "شناختی کارڈ <cnic> ہے"),
    ("میری ای میل amina@gmail.com ہے", "میری ای میل <email> ہے"),
    ("یہ لنک دیکھیں https://x.pk/abc", "یہ لنک دیکھیں <link>"),
    ("ٹیلیگرام پر @amina_bibi کو لکھیں", "ٹیلیگرام پر <username> کو لکھیں"),
    ("اکاؤنٹ نمبر ۱۲۳۴۵۶۷۸۹ ہے", "اکاؤنٹ نمبر <number> ہے"),
    ("تنخواہ ۲۵۰۰۰ روپے ہے", "تنخواہ 25000 روپے ہے"),
    ("۱۲ گھنٹے کام", "12 گھنٹے کام"),
    ("فون +92 21 34325500 پر کریں", "فون <phone> پر کریں"),
    ("میرا نمبر 03001234567اور", "میرا نمبر <phone>اور"),
    ("میرا نام رضیہ ہے اور مجھے تنخواہ نہیں ملی", "میرا نام <name> ہے اور مجھے تنخواہ نہیں ملی"),
    # Sindhi
    ("منهنجو نالو سسئي آهي", "منهنجو نالو <name> آهي"),
    ("منهنجو نمبر 0300-1234567 آهي", "منهنجو نمبر <phone> آهي"),
    ("منهنجو نمبر ۰۳۱۲۷۶۵۴۳۲۱ آهي", "منهنجو نمبر <phone> آهي"),
    ("مالڪ جو نمبر +92 333 9876543 آهي", "مالڪ جو نمبر <phone> آهي"),
    ("شناختي ڪارڊ 42101-1234567-1 آهي", "شناختي ڪارڊ <cnic> آهي"),
    ("منهنجي اي ميل ali@yahoo.com آهي", "منهنجي اي ميل <email> آهي"),
    ("هي لنڪ ڏسو www.example.org", "هي لنڪ ڏسو <link>"),
    ("@sindhi_worker کي لکو", "<username> کي لکو"),
    ("رجسٽريشن نمبر 98765432 آهي", "رجسٽريشن نمبر <number> آهي"),
    ("پگهار 40000 رپيا آهي", "پگهار 40000 رپيا آهي"),
    ("ٻه سال ڪم 2024 کان", "ٻه سال ڪم 2024 کان"),
    ("فون ڪريو ٠٣٠٠١١١٢٢٢٣", "فون ڪريو <phone>"),
    ("ڪارڊ ۴۲۱۰۱۱۲۳۴۵۶۷۱ آهي", "ڪارڊ <cnic> آهي"),
]


def test_corpus_is_large_and_covers_four_language_forms():
    assert len(CORPUS) >= 50


@pytest.mark.parametrize("message, expected", CORPUS)
def test_scrubbed(message, expected):
    assert scrub(message) == expected


# Names in the ways workers introduce themselves (F7), and self-descriptions that are not names and must stay.
INTRODUCTIONS = [
    ("mera naam hai Ayesha Bibi, tankhwa nahi mili", "mera naam hai <name>, tankhwa nahi mili"),
    ("mera naam hai ayesha", "mera naam hai <name>"),
    ("main Ayesha Bibi hoon, seth ne nikal diya", "main <name> hoon, seth ne nikal diya"),
    ("mein shabana hun aur overtime nahi milta", "mein <name> hun aur overtime nahi milta"),
    ("I am Ayesha Bibi and my boss does not pay", "I am <name> and my boss does not pay"),
    ("I'm Zubaida, a cleaner", "I'm <name>, a cleaner"),
    ("This is Zubaida Khatoon from Landhi", "This is <name> from Landhi"),
    ("naam: Ayesha Bibi", "naam: <name>"),
    ("Name - Gul Bano, factory worker", "Name - <name>, factory worker"),
    ("میرا نام عائشہ بی بی ہے", "میرا نام <name> ہے"),
    ("میں عائشہ ہوں اور تنخواہ نہیں ملی", "میں <name> ہوں اور تنخواہ نہیں ملی"),
    ("منهنجو نالو سسئي آهي", "منهنجو نالو <name> آهي"),
    ("مان سسئي آهيان، پگهار نه ملي", "مان <name> آهيان، پگهار نه ملي"),
    ("ayesha bibi at gmail dot com", "<email>"),
]
NOT_NAMES = [
    "I am a domestic worker",
    "I am pregnant and my boss wants me to leave",
    "I am working 12 hours a day",
    "I am Sindhi, can I join a union",
    "main factory worker hoon",
    "main pregnant hoon kya chutti milegi",
    "main ghar ka kaam karti hoon",
    "main bhi mazdoor hoon",
    "mein pareshan hun",
    "main kaam karti hoon",
    "this is my third month without pay",
    "This is not fair",
    "میں گھریلو ملازمہ ہوں",
    "میں حاملہ ہوں",
    "میں کام کرتی ہوں",
    "میں بہت پریشان ہوں",
    "مان مزدور آهيان",
    "مان حامله آهيان",
    "مان ڪم ڪريان ٿي",
    "company ka naam kya hai",
    "mera naam hai?",
]


@pytest.mark.parametrize("message, expected", INTRODUCTIONS)
def test_self_introduced_names_are_scrubbed(message, expected):
    assert scrub(message) == expected


@pytest.mark.parametrize("message", NOT_NAMES)
def test_self_descriptions_are_kept(message):
    assert scrub(message) == message


def test_control_characters_are_removed():
    text = "\x1b]0;pwned\x07\x1b[2J\x1b[31mFAKE\x1b[0m min\x00imum wage\x9b?\r\nline two\tend"
    kept = scrub(text)
    assert not any(ord(c) < 32 and c != "\n" or 0x7F <= ord(c) <= 0x9F for c in kept)
    assert "FAKE" in kept and "line two" in kept


def test_the_senders_own_names_are_scrubbed_wherever_they_are():
    names = ("Zarmeena", "Khaskheli", "zarmeena_kh77", "Al")
    assert scrub("zarmeena here, seth ne KHASKHELI family ko nikala", names) == "<name> here, seth ne <name> family ko nikala"
    assert scrub("ping zarmeena_kh77 about it", names) == "ping <name> about it"
    assert scrub("Zarmeenas and Albert stay whole words; all is fine", names) == "Zarmeenas and Albert stay whole words; all is fine"
