"""Signatures and safe-mode AES, as WeChat computes them.

Usage::

    ok = signature_valid(token, signature, timestamp, nonce)          # every request
    box = SafeModeBox(token, aes_key, appid)
    xml = box.decrypt(encrypt, msg_signature, timestamp, nonce)       # raises Refused
    envelope = box.encrypt(reply_xml, nonce)
"""
from __future__ import annotations

import base64
import hashlib
import hmac
import time

from wechatpy.crypto import PrpCrypto
from wechatpy.exceptions import InvalidAppIdException


class Refused(Exception):
    """A request that is not from WeChat for this account; the webhook answers 403."""


def sign(token: str, timestamp: str, nonce: str, *extra: str) -> str:
    """WeChat's SHA-1 over the sorted strings (token, timestamp, nonce[, encrypt])."""
    return hashlib.sha1("".join(sorted((token, timestamp, nonce, *extra))).encode("utf-8")).hexdigest()


def signature_valid(token: str, signature: str, timestamp: str, nonce: str, *extra: str) -> bool:
    """Constant-time comparison, so the signature cannot be guessed byte by byte from timings."""
    if not (signature and timestamp and nonce):
        return False
    return hmac.compare_digest(sign(token, timestamp, nonce, *extra), signature.lower())


class SafeModeBox:
    """Decrypt WeChat's ``Encrypt`` field and encrypt replies (AES-256-CBC, PKCS#7, AppID check) via wechatpy."""

    def __init__(self, token: str, encoding_aes_key: str, appid: str):
        self.token = token
        self.appid = appid
        self.key = base64.b64decode(encoding_aes_key + "=")

    def decrypt(self, encrypt: str, msg_signature: str, timestamp: str, nonce: str) -> str:
        if not signature_valid(self.token, msg_signature, timestamp, nonce, encrypt):
            raise Refused("bad msg_signature")
        try:
            return PrpCrypto(self.key).decrypt(encrypt, self.appid)
        except InvalidAppIdException:
            raise Refused("message is for another AppID") from None
        except Exception:  # bad base64, padding or key: not a message from WeChat for us
            raise Refused("cannot decrypt message") from None

    def encrypt(self, plaintext: str, nonce: str, timestamp: str | None = None) -> str:
        timestamp = timestamp or str(int(time.time()))
        encrypt = PrpCrypto(self.key).encrypt(plaintext, self.appid)
        encrypt = encrypt.decode() if isinstance(encrypt, bytes) else encrypt
        signature = sign(self.token, timestamp, nonce, encrypt)
        return (
            f"<xml><Encrypt><![CDATA[{encrypt}]]></Encrypt>"
            f"<MsgSignature><![CDATA[{signature}]]></MsgSignature>"
            f"<TimeStamp>{timestamp}</TimeStamp><Nonce><![CDATA[{nonce}]]></Nonce></xml>"
        )
