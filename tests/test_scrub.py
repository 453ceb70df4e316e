"""Nothing that identifies a person survives into the query log."""

import pytest

from bot.scrub import scrub

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
