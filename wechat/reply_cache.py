"""Forget a follower's cached replies without forgetting the retry claims that hold them.

Every reply is cached for ``DEDUPE_TTL_SECONDS`` under ``seen:<dedupe key>`` so that WeChat's retries get it
again; the key names the follower and the reply may quote them (a lead form's summary lists name, company,
phone and email). After "delete my data" the worker overwrites each of the follower's cached replies with
``success`` and keeps the key and its TTL: a late retry of that message still finds its claim, gets
``success`` and runs nothing twice. Pending claims (a message still in flight) are left to their owner.

Finding the keys takes a SCAN over the keyspace, work no webhook request should do: it runs as a job
(``forget_cached_replies``), seconds after the erasure and well within the 60 s the cache lives. The job
carries the openid, so RQ deletes it as soon as it succeeds (``result_ttl=0``).

Usage::

    ctx.defer(forget_cached_replies, openid=ctx.openid, keep=ctx.message.dedupe_key)   # "delete my data"
    scrub_cached_replies(redis, keys, openid)                # -> how many replies were overwritten
"""
from __future__ import annotations

import re

import redis as redis_lib
from rq import Retry

from wechat.jobs.policy import job
from wechat.jobs.queues import REALTIME
from wechat.jobs.runtime import runtime
from wechat.messages import is_dedupe_key_of
from wechat.redis_conn import Keys
from wechat.store import REPLY_PREFIX

NEUTRAL_REPLY = REPLY_PREFIX + b"success"     # what WeChat is told when there is nothing to say
SCAN_COUNT = 1000
BATCH = 200

# KEYS: cached replies. ARGV: the neutral reply. Only finished replies ('R...') are overwritten, TTL kept.
_NEUTRALISE = """
local n = 0
for _, key in ipairs(KEYS) do
  local value = redis.call('GET', key)
  if value and string.sub(value, 1, 1) == 'R' and value ~= ARGV[1] then
    redis.call('SET', key, ARGV[1], 'KEEPTTL')
    n = n + 1
  end
end
return n
"""


def _glob_escape(text: str) -> str:
    return re.sub(r"([*?\[\]\\])", r"\\\1", text)


def scrub_cached_replies(redis: redis_lib.Redis, keys: Keys, openid: str, keep: str = "") -> int:
    """Overwrite every cached reply to ``openid`` with ``success``, except the one under dedupe key ``keep``
    (the erasure's own answer, which names no one: a retry of it should still confirm); return how many."""
    if not openid:
        return 0
    seen = keys.seen("")
    neutralise = redis.register_script(_NEUTRALISE)
    found: list[bytes] = []
    for key in redis.scan_iter(match=f"{_glob_escape(seen)}*{_glob_escape(openid)}*", count=SCAN_COUNT):
        dedupe_key = key.decode("utf-8", "replace")[len(seen):]
        if dedupe_key != keep and is_dedupe_key_of(dedupe_key, openid):
            found.append(key)
    done = 0
    for start in range(0, len(found), BATCH):
        done += int(neutralise(keys=found[start:start + BATCH], args=[NEUTRAL_REPLY]))
    return done


@job(queue=REALTIME, retry=Retry(max=3, interval=[1, 3, 10]), timeout=60, result_ttl=0, failure_ttl=600)
def forget_cached_replies(openid: str, keep: str = "") -> int:
    """After an erasure: the follower's cached replies become ``success`` (their retry claims stay)."""
    rt = runtime()
    return scrub_cached_replies(rt.redis, rt.keys, openid, keep)
