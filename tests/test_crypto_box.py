"""Safe-mode AES: our box and wechatpy's PrpCrypto (the reference it replaced) read each other's envelopes,
and anything else is refused with a 403 reason, never a crash."""
from __future__ import annotations

import base64
import re

import pytest
from hypothesis import given, settings, strategies as st
from wechatpy.crypto import PrpCrypto

from tests.conftest import SAMPLE_AES_KEY, SAMPLE_APPID, SAMPLE_TOKEN
from wechat.crypto import Refused, SafeModeBox, sign

KEY = base64.b64decode(SAMPLE_AES_KEY + "=")
BOX = SafeModeBox(SAMPLE_TOKEN, SAMPLE_AES_KEY, SAMPLE_APPID)


def _encrypt_field(envelope: str) -> str:
    return re.search(r"<Encrypt><!\[CDATA\[(.*?)\]\]>", envelope).group(1)


def _open(encrypt: str) -> str:
    return BOX.decrypt(encrypt, sign(SAMPLE_TOKEN, "1", "n", encrypt), "1", "n")


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=300))
def test_wechatpy_reads_ours_and_we_read_wechatpys(text):
    ours = _encrypt_field(BOX.encrypt(text, "n", "1"))
    assert PrpCrypto(KEY).decrypt(ours, SAMPLE_APPID) == text
    theirs = PrpCrypto(KEY).encrypt(text, SAMPLE_APPID)
    assert _open(theirs.decode() if isinstance(theirs, bytes) else theirs) == text


def test_wechats_published_sample():
    # WeChat's WXBizMsgCrypt sample: "我是中文abcd123" for AppID wxb11529c136998cb6.
    box = SafeModeBox(SAMPLE_TOKEN, SAMPLE_AES_KEY, "wxb11529c136998cb6")
    encrypt = "jn1L23DB+6ELqJ+6bruv21Y6MD7KeIfP82D6gU39rmkgczbWwt5+3bnyg5K55bgVtVzd832WzZGMhkP72vVOfg=="
    assert box.decrypt(encrypt, sign(SAMPLE_TOKEN, "1", "n", encrypt), "1", "n") == "我是中文abcd123"


def test_another_accounts_message_is_refused():
    other = PrpCrypto(KEY).encrypt("<xml/>", "wx_other_account")
    with pytest.raises(Refused, match="another AppID"):
        _open(other.decode() if isinstance(other, bytes) else other)


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=200))
def test_garbage_is_refused_not_crashed(raw):
    for encrypt in (base64.b64encode(raw).decode(), raw.decode("latin-1")):
        try:
            _open(encrypt)
        except Refused:
            pass


def test_a_forged_signature_is_refused_before_decrypting():
    encrypt = _encrypt_field(BOX.encrypt("<xml/>", "n", "1"))
    with pytest.raises(Refused, match="bad msg_signature"):
        BOX.decrypt(encrypt, "0" * 40, "1", "n")
