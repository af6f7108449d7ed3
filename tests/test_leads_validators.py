"""What followers type, and what the lead form makes of it."""
from __future__ import annotations

import pytest

from wechat.validators import (Choice, Invalid, normalize, parse_choice, parse_contact, parse_email, parse_name,
                               parse_phone, parse_text)


@pytest.mark.parametrize("typed,expected", [
    ("13800138000", "+8613800138000"),
    ("138 0013 8000", "+8613800138000"),
    ("138-0013-8000", "+8613800138000"),
    ("+86 138 0013 8000", "+8613800138000"),
    ("+86-13800138000", "+8613800138000"),
    ("8613800138000", "+8613800138000"),
    ("0086 139 1234 5678", "+8613912345678"),
    ("１３８００１３８０００", "+8613800138000"),              # full-width digits from a Chinese keyboard
    ("(+86) 199.1234.5678", "+8619912345678"),
    ("+44 20 7946 0958", "+442079460958"),                   # international: E.164
    ("+1 (415) 555-0100", "+14155550100"),
    ("0044 20 7946 0958", "+442079460958"),
    ("+86 10 8888 6666", "+861088886666"),                   # a Beijing landline, written internationally
])
def test_phone_accepted(typed, expected):
    assert parse_phone(typed) == expected


@pytest.mark.parametrize("typed", [
    "12800138000",        # 1 then 2: no such mobile prefix
    "1380013800",         # 10 digits
    "138001380001",       # 12 digits
    "23800138000",
    "+86 128 0013 8000",  # looks like a mobile, is not one
    "+0 123 456 789",     # country codes never start with 0
    "+1 23",              # too short for E.164
    "+1234567890123456",  # 16 digits: too long for E.164
    "138 0013 800O",      # a letter O
    "call me", "", "   ",
])
def test_phone_refused(typed):
    with pytest.raises(Invalid):
        parse_phone(typed)


@pytest.mark.parametrize("typed,expected", [
    ("li@example.com", "li@example.com"),
    ("Li.Wei+crm@Example.COM.cn", "Li.Wei+crm@example.com.cn"),
    ("li＠example．com", "li@example.com"),                # full-width @ and dot
    (" li@example.com ", "li@example.com"),
])
def test_email_accepted(typed, expected):
    assert parse_email(typed) == expected


@pytest.mark.parametrize("typed", ["li@", "@example.com", "li@example", "li@@example.com", "li..wei@example.com",
                                   "li@example.c", "li@-example.com", "a" * 65 + "@example.com", "li@exa mple.com1"])
def test_email_refused(typed):
    with pytest.raises(Invalid):
        parse_email(typed)


def test_contact_is_phone_or_email():
    assert parse_contact("138 0013 8000") == {"phone": "+8613800138000"}
    assert parse_contact("Jane@Example.com") == {"email": "Jane@example.com"}
    with pytest.raises(Invalid):
        parse_contact("wechat id: jane_doe")


@pytest.mark.parametrize("typed,expected", [("张三", "张三"), ("  Jane   Doe ", "Jane Doe"), ("欧阳·娜娜", "欧阳·娜娜"),
                                            ("Mary-Jane O'Neil", "Mary-Jane O'Neil"), ("李", "李"),
                                            ("José Núñez", "José Núñez"), ("张三\x00", "张三")])
def test_name_accepted(typed, expected):
    assert parse_name(typed) == expected


@pytest.mark.parametrize("typed", ["", "   ", "12345", "张三123", "http://spam.example", "a@b.com", "@@@",
                                   "x" * 41, "😀", "<b>张三</b>"])
def test_name_refused(typed):
    with pytest.raises(Invalid):
        parse_name(typed)


def test_short_text():
    assert parse_text(" 示例 科技 ") == "示例 科技"
    assert parse_text("示例科技（上海）有限公司") == "示例科技（上海）有限公司"      # brackets kept as typed
    assert parse_text("3M") == "3M"
    for bad in ("", "…", "x" * 61):
        with pytest.raises(Invalid):
            parse_text(bad)


CHOICES = (Choice("market_entry", {"zh": "中国市场进入策略", "en": "China market-entry strategy"}, ("strategy",)),
           Choice("social_kol", {"zh": "社交媒体与 KOL 营销", "en": "Social media and KOL marketing"}, ("kol",)))


@pytest.mark.parametrize("typed,expected", [("1", "market_entry"), ("2.", "social_kol"), ("２", "social_kol"),
                                            ("社交媒体与 KOL 营销", "social_kol"), ("china market-entry strategy",
                                                                              "market_entry"),
                                            ("KOL", "social_kol"), ("social_kol", "social_kol"), (" 1。", "market_entry")])
def test_choice_by_number_or_text(typed, expected):
    assert parse_choice(typed, CHOICES) == expected


@pytest.mark.parametrize("typed", ["0", "3", "-1", "", "营销", "both"])
def test_choice_refused(typed):
    with pytest.raises(Invalid):
        parse_choice(typed, CHOICES)


def test_invalid_carries_a_reason_not_the_answer():
    with pytest.raises(Invalid) as err:
        parse_phone("13800")
    assert err.value.reason == "phone" and "13800" not in str(err.value)


def test_normalize():
    assert normalize("  Ａ\u3000B\tc\n ") == "A B c"
