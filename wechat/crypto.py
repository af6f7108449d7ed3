"""Signatures and safe-mode AES, as WeChat computes them.

Usage::

    ok = signature_valid(token, signature, timestamp, nonce)          # every request
    ok = fresh(timestamp, max_skew=300)                               # and not replayed from a log
    box = SafeModeBox(token, aes_key, appid)
    xml = box.decrypt(encrypt, msg_signature, timestamp, nonce)       # raises Refused
    envelope = box.encrypt(reply_xml, nonce)
"""
from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import secrets
import struct
import time

from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes


class Refused(Exception):
    """A request that is not from WeChat for this account; the webhook answers 403."""


def sign(token: str, timestamp: str, nonce: str, *extra: str) -> str:
    """WeChat's SHA-1 over the sorted strings (token, timestamp, nonce[, encrypt])."""
    return hashlib.sha1("".join(sorted((token, timestamp, nonce, *extra))).encode("utf-8")).hexdigest()


def signature_valid(token: str, signature: str, timestamp: str, nonce: str, *extra: str) -> bool:
    """Constant-time comparison, so the signature cannot be guessed byte by byte from timings."""
    if not (signature and timestamp and nonce):
        return False
    # Bytes, not str: compare_digest raises TypeError on a str with non-ASCII characters (a forged query).
    return hmac.compare_digest(sign(token, timestamp, nonce, *extra).encode(),
                               signature.lower().encode("utf-8", "replace"))


def fresh(timestamp: str, max_skew: int, now: float | None = None) -> bool:
    """The signed ``timestamp`` is within ``max_skew`` seconds of now, so a triple copied from a log soon dies.

    WeChat's three tries of one message span about 15 s, so a window of minutes loses nothing real.
    """
    if not timestamp.isascii() or not timestamp.isdigit() or len(timestamp) > 12:
        return False
    return abs((time.time() if now is None else now) - int(timestamp)) <= max_skew


def body_digest(body: bytes) -> str:
    """What the replay record remembers of a body: enough to tell a WeChat retry from a forged reuse."""
    return hashlib.blake2b(body, digest_size=12).hexdigest()


# WeChat's message encryption (WXBizMsgCrypt): AES-256-CBC with the IV = the key's first 16 bytes, over
# 16 random bytes + the message length (4 bytes, big-endian) + the message + the AppID, padded PKCS#7-style
# to a multiple of 32 bytes (not AES's 16).
_PAD_BLOCK = 32


class SafeModeBox:
    """Decrypt WeChat's ``Encrypt`` field and encrypt replies (AES-256-CBC, PKCS#7, AppID check).

    The cipher is set up once per box (key and IV never change); the byte layout is wechatpy's PrpCrypto,
    which tests/test_crypto_box.py checks both ways, plus WeChat's own published sample.
    """

    def __init__(self, token: str, encoding_aes_key: str, appid: str):
        self.token = token
        self.appid = appid
        self.key = base64.b64decode(encoding_aes_key + "=")
        self._cipher = Cipher(algorithms.AES(self.key), modes.CBC(self.key[:16]))
        self._appid_bytes = appid.encode("utf-8")

    def decrypt(self, encrypt: str, msg_signature: str, timestamp: str, nonce: str) -> str:
        if not signature_valid(self.token, msg_signature, timestamp, nonce, encrypt):
            raise Refused("bad msg_signature")
        try:
            decryptor = self._cipher.decryptor()
            plain = decryptor.update(base64.b64decode(encrypt, validate=True)) + decryptor.finalize()
            padding = plain[-1]
            if not 1 <= padding <= _PAD_BLOCK or len(plain) < 20 + padding:
                raise ValueError("bad padding")
            content = plain[16:-padding]
            (length,) = struct.unpack(">I", content[:4])
            if length > len(content) - 4:
                raise ValueError("bad length")
            xml, from_appid = content[4:4 + length], content[4 + length:]
            text = xml.decode("utf-8")
        except (ValueError, binascii.Error, IndexError, struct.error):   # not a message from WeChat for us
            raise Refused("cannot decrypt message") from None
        if from_appid != self._appid_bytes:
            raise Refused("message is for another AppID")
        return text

    def encrypt(self, plaintext: str, nonce: str, timestamp: str | None = None) -> str:
        timestamp = timestamp or str(int(time.time()))
        body = plaintext.encode("utf-8")
        # 16 random characters first, as WeChat's own libraries write them (letters and digits).
        data = secrets.token_hex(8).encode("ascii") + struct.pack(">I", len(body)) + body + self._appid_bytes
        padding = _PAD_BLOCK - len(data) % _PAD_BLOCK
        encryptor = self._cipher.encryptor()
        encrypt = base64.b64encode(encryptor.update(data + bytes([padding]) * padding) + encryptor.finalize()).decode()
        signature = sign(self.token, timestamp, nonce, encrypt)
        return (
            f"<xml><Encrypt><![CDATA[{encrypt}]]></Encrypt>"
            f"<MsgSignature><![CDATA[{signature}]]></MsgSignature>"
            f"<TimeStamp>{timestamp}</TimeStamp><Nonce><![CDATA[{nonce}]]></Nonce></xml>"
        )
