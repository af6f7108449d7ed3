"""Console accounts in Redis: name, role, Argon2id password hash, language, disabled flag.

Keys: ``console:user:<name>`` (a hash) and ``console:users`` (the set of names). Passwords are hashed with
argon2-cffi's defaults (RFC 9106 low-memory profile); a login re-hashes when those defaults change.

Usage::

    users = UserStore(redis, keys)
    password = users.add("mei", "marketer")        # a one-time password to hand over
    user = users.authenticate("mei", password)      # None when wrong, unknown or disabled
"""
from __future__ import annotations

import functools
import re
import secrets
import time
from dataclasses import dataclass

import redis as redis_lib
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from wechat.redis_conn import Keys

ROLES = ("marketer", "sales", "admin")
LANGS = ("zh", "en")
NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{1,31}$")
MIN_PASSWORD = 10
FIRST_ADMIN = "admin"

_hasher = PasswordHasher()


@functools.cache
def _dummy_hash() -> str:
    """Verifying an unknown name against this costs as much as a real check: no timing hint that a name exists."""
    return _hasher.hash(secrets.token_hex(8))


class UserError(ValueError):
    """A name, role or password that cannot be used; the message says why."""


@dataclass(frozen=True)
class User:
    name: str
    role: str
    lang: str = "zh"
    disabled: bool = False
    created_at: float = 0.0
    must_change: bool = False     # a generated (one-time) password: the next login must set a new one

    def can(self, role: str) -> bool:
        """Admins may do everything; the others only what their role covers."""
        return self.role == "admin" or self.role == role


def new_password() -> str:
    return secrets.token_urlsafe(12)


class UserStore:
    def __init__(self, redis: redis_lib.Redis, keys: Keys):
        self.redis = redis
        self.keys = keys
        self.index = keys("console", "users")

    def _key(self, name: str) -> str:
        return self.keys("console", "user", name.lower())

    def add(self, name: str, role: str, password: str | None = None, *, one_time: bool | None = None) -> str:
        """Create ``name``; return its password. A generated one (no ``password``) is one-time: the first login
        must replace it. Refuses an existing name."""
        one_time = password is None if one_time is None else one_time
        if not NAME.match(name):
            raise UserError("a name is 2-32 letters, digits, dots, dashes or underscores")
        if role not in ROLES:
            raise UserError(f"role must be one of {', '.join(ROLES)}")
        password = password or new_password()
        if len(password) < MIN_PASSWORD:
            raise UserError(f"a password needs at least {MIN_PASSWORD} characters")
        fields = {"name": name, "role": role, "hash": _hasher.hash(password), "lang": "zh", "disabled": "0",
                  "must_change": "1" if one_time else "0",
                  "created_at": repr(time.time())}
        if not self.redis.hsetnx(self._key(name), "name", name):
            raise UserError(f"user {name!r} already exists")
        self.redis.hset(self._key(name), mapping=fields)
        self.redis.sadd(self.index, name.lower())
        return password

    def seed_admin(self, password: str, *, one_time: bool = False) -> bool:
        """On a fresh install (no user at all), create ``admin`` with ``password``; True when created."""
        if not password or self.redis.scard(self.index):
            return False
        try:
            self.add(FIRST_ADMIN, "admin", password, one_time=one_time)
        except UserError:
            return False     # another worker seeded it first, or the password is too short (reported at start)
        return True

    def get(self, name: str) -> User | None:
        raw = self.redis.hgetall(self._key(name))
        if not raw or b"role" not in raw:
            return None
        value = {k.decode(): v.decode() for k, v in raw.items()}
        return User(value["name"], value["role"], value.get("lang", "zh"), value.get("disabled") == "1",
                    float(value.get("created_at") or 0), value.get("must_change") == "1")

    def list(self) -> list[User]:
        names = sorted(n.decode() for n in self.redis.smembers(self.index))
        return [user for name in names if (user := self.get(name)) is not None]

    def authenticate(self, name: str, password: str) -> User | None:
        stored = self.redis.hget(self._key(name), "hash") if NAME.match(name or "") else None
        try:
            _hasher.verify(stored.decode() if stored else _dummy_hash(), password)
        except (VerificationError, InvalidHashError):
            return None
        user = self.get(name)
        if stored is None or user is None or user.disabled:
            return None
        if _hasher.check_needs_rehash(stored.decode()):
            self.redis.hset(self._key(name), "hash", _hasher.hash(password))
        return user

    def set_password(self, name: str, password: str | None = None) -> str:
        """Set ``password``, or a generated one-time password (returned) that the next login must replace."""
        if self.get(name) is None:
            raise UserError(f"no user {name!r}")
        one_time = password is None
        password = password or new_password()
        if len(password) < MIN_PASSWORD:
            raise UserError(f"a password needs at least {MIN_PASSWORD} characters")
        self.redis.hset(self._key(name), mapping={"hash": _hasher.hash(password), "must_change": "1" if one_time else "0"})
        return password

    def disable(self, name: str) -> None:
        """Refuse ``name``'s logins and end its sessions (the session loader re-reads the flag every request)."""
        if self.get(name) is None:
            raise UserError(f"no user {name!r}")
        self.redis.hset(self._key(name), "disabled", "1")

    def set_lang(self, name: str, lang: str) -> None:
        if lang not in LANGS:
            raise UserError(f"language must be one of {', '.join(LANGS)}")
        self.redis.hset(self._key(name), "lang", lang)
