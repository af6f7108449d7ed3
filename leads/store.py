"""Leads in Redis: an append-only log (a stream) plus a current view per lead, written atomically.

Keys (all under the configured prefix)::

    leads:log               stream, one entry per submission (kind created|updated) or erasure (tombstone)
    leads:lead:{id}         hash, the lead's current state, delivery status and its data key ``dek``
    leads:run:{run}         string "{id}:{rev}": a confirm already stored for this flow run (retry guard)
    leads:recent:{openid}   string, the follower's lead of the last 24 h (a resubmission updates it)
    leads:by-openid:{openid} set of the follower's lead ids (for erasure)
    leads:index             zset id -> created_at (export by date)
    leads:outbox            zset id -> when it became pending (delivery not yet confirmed)
    leads:dead              zset id -> when delivery gave up (dead letters)
    leads:audit             stream of events with ids and counts only: no name, phone, email or openid

Personal data in the log is sealed (AES-GCM) under a per-lead data key kept in the lead's hash. Redis
XDEL only marks a stream entry deleted: its bytes stay in the stream node, in RDB files and in an AOF's
RDB preamble until the whole node goes. Erasure therefore deletes the key (crypto-shredding) as well as
the entries, so whatever copy survives can no longer be read.

Usage::

    store = LeadStore(redis, Keys("wxbot:"))
    result = store.capture(openid, run_id, {"name": ..., "phone": ...})   # Capture(lead_id, revision, outcome)
    store.get(result.lead_id).delivery                                     # "pending"
    store.erase(openid)                                                    # tombstones, returns lead ids
"""
from __future__ import annotations

import base64
import hashlib
import json
import os
import time
from dataclasses import dataclass, field
from typing import Any, Callable, Iterator

import redis as redis_lib
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from wechat.redis_conn import Keys

UPDATE_WINDOW_S = 24 * 3600       # a follower's new submission within this window updates their lead
RUN_GUARD_S = 7 * 24 * 3600       # how long a confirmed run is remembered (far beyond WeChat's 15 s of retries)
PENDING, DELIVERED, FAILED, DELETED = "pending", "delivered", "failed", "deleted"

# KEYS: run, recent, lead, log, index, by-openid, outbox, dead, audit
# ARGV: run id, lead id, openid, data json, now, update window s, run guard s, expected recent ('' = none),
#       source kind, data key, sealed {openid, data}
_CAPTURE = """
local done = redis.call('GET', KEYS[1])
if done then return {'duplicate', done} end
local recent = redis.call('GET', KEYS[2]) or ''
if recent ~= ARGV[8] then return {'stale', recent} end
local kind, rev = 'created', 1
if recent ~= '' and redis.call('HGET', KEYS[3], 'state') == 'active' then
  local dek = redis.call('HGET', KEYS[3], 'dek')
  if dek and dek ~= ARGV[10] then return {'stale', recent} end
  if not dek then redis.call('HSET', KEYS[3], 'dek', ARGV[10]) end
  kind = 'updated'
  rev = redis.call('HINCRBY', KEYS[3], 'rev', 1)
else
  redis.call('DEL', KEYS[3])
  redis.call('HSET', KEYS[3], 'id', ARGV[2], 'rev', 1, 'created_at', ARGV[5], 'openid', ARGV[3],
             'delivered_rev', 0, 'state', 'active', 'dek', ARGV[10])
  redis.call('ZADD', KEYS[5], ARGV[5], ARGV[2])
  redis.call('SADD', KEYS[6], ARGV[2])
  redis.call('SET', KEYS[2], ARGV[2], 'EX', ARGV[6])
end
local entry = redis.call('XADD', KEYS[4], '*', 'kind', kind, 'lead', ARGV[2], 'rev', rev,
                         'sealed', ARGV[11], 'at', ARGV[5])
local entries = redis.call('HGET', KEYS[3], 'entries')
if entries and entries ~= '' then entries = entries .. ',' .. entry else entries = entry end
local runs = redis.call('HGET', KEYS[3], 'runs')
if runs and runs ~= '' then runs = runs .. ',' .. ARGV[1] else runs = ARGV[1] end
redis.call('HSET', KEYS[3], 'data', ARGV[4], 'updated_at', ARGV[5], 'run', ARGV[1], 'delivery', 'pending',
           'attempts', 0, 'last_error', '', 'entries', entries, 'runs', runs)
redis.call('ZADD', KEYS[7], ARGV[5], ARGV[2])
redis.call('ZREM', KEYS[8], ARGV[2])
redis.call('SET', KEYS[1], ARGV[2] .. ':' .. rev, 'EX', ARGV[7])
redis.call('XADD', KEYS[9], '*', 'event', 'lead.' .. kind, 'lead', ARGV[2], 'rev', rev, 'source', ARGV[9], 'at', ARGV[5])
return {kind, ARGV[2] .. ':' .. rev}
"""

# KEYS: lead, outbox, dead, audit. ARGV: revision sent, now.
# Delivered only if no newer revision arrived meanwhile (that one has its own job).
_DELIVERED = """
if redis.call('HGET', KEYS[1], 'state') ~= 'active' then return 0 end
local rev = tonumber(redis.call('HGET', KEYS[1], 'rev'))
local sent = tonumber(ARGV[1])
if sent > tonumber(redis.call('HGET', KEYS[1], 'delivered_rev') or '0') then
  redis.call('HSET', KEYS[1], 'delivered_rev', sent, 'delivered_at', ARGV[2])
end
redis.call('HINCRBY', KEYS[1], 'attempts', 1)
redis.call('XADD', KEYS[4], '*', 'event', 'lead.delivered', 'lead', redis.call('HGET', KEYS[1], 'id'),
           'rev', sent, 'at', ARGV[2])
if sent >= rev then
  redis.call('HSET', KEYS[1], 'delivery', 'delivered', 'last_error', '')
  redis.call('ZREM', KEYS[2], redis.call('HGET', KEYS[1], 'id'))
  redis.call('ZREM', KEYS[3], redis.call('HGET', KEYS[1], 'id'))
  return 1
end
return 2
"""


@dataclass(frozen=True)
class Capture:
    lead_id: str
    revision: int
    outcome: str          # created | updated | duplicate


@dataclass(frozen=True)
class Lead:
    """A lead's current state. ``data`` holds the personal fields; never log it."""

    lead_id: str
    revision: int
    state: str                      # active | deleted
    openid: str = ""
    created_at: float = 0.0
    updated_at: float = 0.0
    data: dict[str, Any] = field(default_factory=dict)
    delivery: str = PENDING         # pending | delivered | failed | deleted
    delivered_rev: int = 0
    delivered_at: float = 0.0
    attempts: int = 0
    last_error: str = ""
    job: str = ""
    dead_at: float = 0.0
    deleted_at: float = 0.0

    def status(self) -> dict[str, Any]:
        """Delivery facts without personal data, for the CLI and logs."""
        return {"lead_id": self.lead_id, "state": self.state, "revision": self.revision,
                "delivery": self.delivery, "delivered_revision": self.delivered_rev, "attempts": self.attempts,
                "last_error": self.last_error, "created_at": self.created_at, "updated_at": self.updated_at,
                "delivered_at": self.delivered_at, "dead_at": self.dead_at, "deleted_at": self.deleted_at,
                "job": self.job}


def new_key() -> str:
    return base64.b64encode(os.urandom(32)).decode()


def seal(key: str, plaintext: str, lead_id: str) -> str:
    """AES-256-GCM under the lead's data key, bound to the lead id; base64(nonce + ciphertext)."""
    nonce = os.urandom(12)
    box = AESGCM(base64.b64decode(key)).encrypt(nonce, plaintext.encode("utf-8"), lead_id.encode())
    return base64.b64encode(nonce + box).decode()


def unseal(key: str, sealed: str, lead_id: str) -> str:
    raw = base64.b64decode(sealed)
    return AESGCM(base64.b64decode(key)).decrypt(raw[:12], raw[12:], lead_id.encode()).decode("utf-8")


def _s(value: bytes | str | None) -> str:
    return value.decode("utf-8") if isinstance(value, bytes) else (value or "")


def _f(value: bytes | str | None) -> float:
    try:
        return float(_s(value) or 0)
    except ValueError:
        return 0.0


class LeadStore:
    def __init__(self, redis: redis_lib.Redis, keys: Keys, *, clock: Callable[[], float] = time.time,
                 update_window: int = UPDATE_WINDOW_S):
        self.redis = redis
        self.keys = keys
        self.clock = clock
        self.update_window = update_window
        self._capture = redis.register_script(_CAPTURE)
        self._delivered = redis.register_script(_DELIVERED)

    # -- keys -----------------------------------------------------------------------------------
    def k(self, *parts: str) -> str:
        return self.keys("leads", *parts)

    @staticmethod
    def lead_id_for(openid: str, run_id: str) -> str:
        """Derived from follower and flow run, so every retry of one confirm names the same lead."""
        return "ld" + hashlib.sha256(f"{openid}\x00{run_id}".encode("utf-8")).hexdigest()[:18]

    # -- writing --------------------------------------------------------------------------------
    def capture(self, openid: str, run_id: str, data: dict[str, Any]) -> Capture:
        """Store a confirmed submission once: a repeat of the same run is a no-op, a new run within 24 h updates."""
        payload = json.dumps(data, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
        kind = str((data.get("source") or {}).get("kind") or "")
        for _ in range(5):
            recent = _s(self.redis.get(self.k("recent", openid)))
            lead_id = recent or self.lead_id_for(openid, run_id)
            dek = (_s(self.redis.hget(self.k("lead", lead_id), "dek")) if recent else "") or new_key()
            sealed = seal(dek, json.dumps({"openid": openid, "data": data}, ensure_ascii=False), lead_id)
            keys = [self.k("run", run_id), self.k("recent", openid), self.k("lead", lead_id), self.k("log"),
                    self.k("index"), self.k("by-openid", openid), self.k("outbox"), self.k("dead"), self.k("audit")]
            args = [run_id, lead_id, openid, payload, f"{self.clock():.3f}", self.update_window, RUN_GUARD_S,
                    recent, kind, dek, sealed]
            outcome, ref = self._capture(keys=keys, args=args)
            outcome, ref = _s(outcome), _s(ref)
            if outcome != "stale":
                lead, _, rev = ref.rpartition(":")
                return Capture(lead, int(rev), outcome)
        raise RuntimeError("lead capture kept racing with another submission of the same follower")

    def set_job(self, lead_id: str, job_id: str) -> None:
        self.redis.hset(self.k("lead", lead_id), "job", job_id)

    def mark_delivered(self, lead_id: str, revision: int) -> bool:
        """Record a successful delivery of ``revision``; True when the lead is now fully delivered."""
        keys = [self.k("lead", lead_id), self.k("outbox"), self.k("dead"), self.k("audit")]
        return int(self._delivered(keys=keys, args=[revision, f"{self.clock():.3f}"])) == 1

    def record_failure(self, lead_id: str, error: str) -> None:
        """One failed attempt; ``error`` is a status code or exception name, never a response body."""
        key = self.k("lead", lead_id)
        with self.redis.pipeline() as pipe:
            pipe.hincrby(key, "attempts", 1)
            pipe.hset(key, mapping={"last_error": error[:200], "last_attempt_at": f"{self.clock():.3f}"})
            pipe.execute()

    def mark_dead(self, lead_id: str, error: str) -> None:
        """Delivery gave up (retries spent, or nothing to deliver to): list it as a dead letter."""
        now = f"{self.clock():.3f}"
        if _s(self.redis.hget(self.k("lead", lead_id), "state")) != "active":
            return
        with self.redis.pipeline() as pipe:
            pipe.hset(self.k("lead", lead_id), mapping={"delivery": FAILED, "last_error": error[:200], "dead_at": now})
            pipe.zrem(self.k("outbox"), lead_id)
            pipe.zadd(self.k("dead"), {lead_id: float(now)})
            pipe.xadd(self.k("audit"), {"event": "lead.dead_lettered", "lead": lead_id, "at": now})
            pipe.execute()

    def mark_pending(self, lead_id: str, reason: str = "retry") -> bool:
        """Put a lead back in the outbox (manual retry); False for unknown or erased leads."""
        now = f"{self.clock():.3f}"
        if _s(self.redis.hget(self.k("lead", lead_id), "state")) != "active":
            return False
        with self.redis.pipeline() as pipe:
            pipe.hset(self.k("lead", lead_id), mapping={"delivery": PENDING, "dead_at": ""})
            pipe.zrem(self.k("dead"), lead_id)
            pipe.zadd(self.k("outbox"), {lead_id: float(now)})
            pipe.xadd(self.k("audit"), {"event": f"lead.{reason}", "lead": lead_id, "at": now})
            pipe.execute()
        return True

    def erase(self, openid: str, channel: str = "wechat") -> list[str]:
        """Erase the follower's leads: log entries replaced by tombstones, views emptied, indexes cleaned.

        Only the lead ids survive (in tombstones and the audit log) so a CRM can be told what to forget.
        """
        by_openid = self.k("by-openid", openid)
        for _ in range(5):
            with self.redis.pipeline() as pipe:
                try:
                    pipe.watch(by_openid)
                    lead_ids = sorted(_s(x) for x in pipe.smembers(by_openid))
                    views = {lead_id: pipe.hmget(self.k("lead", lead_id), "entries", "runs") for lead_id in lead_ids}
                    now = f"{self.clock():.3f}"
                    pipe.multi()
                    for lead_id, (entries, runs) in views.items():
                        self._tombstone(pipe, lead_id, _s(entries), _s(runs), now)
                    pipe.delete(by_openid, self.k("recent", openid))
                    self._audit_erasure(pipe, lead_ids, channel, now)
                    pipe.execute()
                    return lead_ids
                except redis_lib.WatchError:
                    continue
        raise RuntimeError("erasure kept racing with a new submission; try again")

    def erase_leads(self, lead_ids: list[str], channel: str) -> list[str]:
        """Erase these leads (e.g. past their retention) exactly as ``erase`` does; the follower's other
        leads stay. Returns the ids that were active (erased now); all leave the indexes."""
        if not lead_ids:
            return []
        lead_keys = [self.k("lead", lead_id) for lead_id in lead_ids]
        for _ in range(5):
            with self.redis.pipeline() as pipe:
                try:
                    pipe.watch(*lead_keys)
                    views = {lead_id: [_s(v) for v in pipe.hmget(key, "state", "openid", "entries", "runs")]
                             for lead_id, key in zip(lead_ids, lead_keys)}
                    active = {lead_id: view for lead_id, view in views.items() if view[0] == "active"}
                    openids = sorted({openid for _, openid, _, _ in active.values() if openid})
                    if openids:      # a follower's lead of the last 24 h is "recent": that pointer goes too
                        pipe.watch(*[self.k("recent", openid) for openid in openids])
                    recent = {openid: _s(pipe.get(self.k("recent", openid))) for openid in openids}
                    now = f"{self.clock():.3f}"
                    pipe.multi()
                    for lead_id, (_, openid, entries, runs) in active.items():
                        self._tombstone(pipe, lead_id, entries, runs, now)
                        if openid:
                            pipe.srem(self.k("by-openid", openid), lead_id)
                            if recent.get(openid) == lead_id:
                                pipe.delete(self.k("recent", openid))
                    for lead_id in set(lead_ids) - set(active):    # already erased: only stale index entries
                        for index in ("index", "outbox", "dead"):
                            pipe.zrem(self.k(index), lead_id)
                    if active:
                        self._audit_erasure(pipe, sorted(active), channel, now)
                    pipe.execute()
                    return sorted(active)
                except redis_lib.WatchError:
                    continue
        raise RuntimeError("erasure kept racing with a new submission; try again")

    def _tombstone(self, pipe: Any, lead_id: str, entries: str, runs: str, now: str) -> None:
        """Queue one lead's erasure: its log entries become one tombstone, its view (and data key) goes."""
        ids = [e for e in entries.split(",") if e]
        if ids:
            pipe.xdel(self.k("log"), *ids)
        pipe.xadd(self.k("log"), {"kind": "tombstone", "lead": lead_id, "replaces": len(ids), "at": now})
        pipe.delete(self.k("lead", lead_id))
        pipe.hset(self.k("lead", lead_id), mapping={"id": lead_id, "state": DELETED, "delivery": DELETED,
                                                    "deleted_at": now})
        for run in (r for r in runs.split(",") if r):
            pipe.delete(self.k("run", run))
        for index in ("index", "outbox", "dead"):
            pipe.zrem(self.k(index), lead_id)

    def _audit_erasure(self, pipe: Any, lead_ids: list[str], channel: str, now: str) -> None:
        pipe.xadd(self.k("audit"), {"event": "data.erased", "channel": channel, "leads": len(lead_ids),
                                    "lead_ids": ",".join(lead_ids), "at": now})

    # -- reading --------------------------------------------------------------------------------
    def get(self, lead_id: str) -> Lead | None:
        raw = {_s(k): v for k, v in self.redis.hgetall(self.k("lead", lead_id)).items()}
        if not raw:
            return None
        data = json.loads(_s(raw.get("data")) or "{}")
        return Lead(lead_id=_s(raw.get("id")) or lead_id, revision=int(_f(raw.get("rev"))), state=_s(raw.get("state")),
                    openid=_s(raw.get("openid")), created_at=_f(raw.get("created_at")),
                    updated_at=_f(raw.get("updated_at")), data=data, delivery=_s(raw.get("delivery")) or PENDING,
                    delivered_rev=int(_f(raw.get("delivered_rev"))), delivered_at=_f(raw.get("delivered_at")),
                    attempts=int(_f(raw.get("attempts"))), last_error=_s(raw.get("last_error")),
                    job=_s(raw.get("job")), dead_at=_f(raw.get("dead_at")), deleted_at=_f(raw.get("deleted_at")))

    def lead_ids_of(self, openid: str) -> list[str]:
        return sorted(_s(x) for x in self.redis.smembers(self.k("by-openid", openid)))

    def created_between(self, start: float, end: float) -> Iterator[Lead]:
        """Active leads created in [start, end), oldest first."""
        for lead_id in self.redis.zrangebyscore(self.k("index"), start, f"({end}"):
            lead = self.get(_s(lead_id))
            if lead is not None and lead.state == "active":
                yield lead

    def count_created(self, start: float, end: float) -> int:
        """How many leads the index holds for [start, end) (one ZCOUNT: erased leads leave the index)."""
        return int(self.redis.zcount(self.k("index"), start, f"({end}"))

    def ids_created(self, start: float, end: float, offset: int, count: int) -> list[str]:
        """Ids of leads created in [start, end), newest first, ``count`` of them from ``offset`` (one ZRANGE)."""
        return [_s(x) for x in self.redis.zrevrangebyscore(self.k("index"), f"({end}", start, start=offset,
                                                            num=count)]

    def delivery_and_source(self, lead_ids: list[str]) -> list[tuple[str, str, str]]:
        """(state, delivery, source kind) per id, in one pipelined round trip: what the list filters on,
        without building whole leads."""
        with self.redis.pipeline(transaction=False) as pipe:
            for lead_id in lead_ids:
                pipe.hmget(self.k("lead", lead_id), "state", "delivery", "data")
            rows = pipe.execute()
        out = []
        for state, delivery, data in rows:
            source = (json.loads(_s(data) or "{}").get("source") or {}) if data else {}
            out.append((_s(state), _s(delivery) or PENDING, str(source.get("kind") or "unknown")))
        return out

    def leads(self, lead_ids: list[str]) -> list[Lead]:
        """The active ones of these leads, in the given order."""
        found = (self.get(lead_id) for lead_id in lead_ids)
        return [lead for lead in found if lead is not None and lead.state == "active"]

    def created_before(self, cutoff: float, limit: int = 100) -> list[str]:
        """Ids of leads (active or not yet cleaned from the index) created before ``cutoff``, oldest first."""
        return [_s(x) for x in self.redis.zrangebyscore(self.k("index"), "-inf", f"({cutoff}", start=0, num=limit)]

    def outbox(self, older_than: float | None = None, limit: int = 1000) -> list[str]:
        """Leads still waiting for delivery, optionally only those pending since before ``older_than``."""
        top = older_than if older_than is not None else "+inf"
        return [_s(x) for x in self.redis.zrangebyscore(self.k("outbox"), "-inf", top, start=0, num=limit)]

    def dead(self) -> list[tuple[str, float]]:
        return [(_s(m), s) for m, s in self.redis.zrange(self.k("dead"), 0, -1, withscores=True)]

    def log_entries(self) -> list[dict[str, str]]:
        """The log as stored: kinds, ids and times in clear, personal data sealed."""
        return [{"id": _s(eid), **{_s(k): _s(v) for k, v in fields.items()}}
                for eid, fields in self.redis.xrange(self.k("log"))]

    def history(self, lead_id: str) -> list[dict[str, Any]]:
        """Every submission of one lead, unsealed; empty once the lead is erased (its key is gone)."""
        dek = _s(self.redis.hget(self.k("lead", lead_id), "dek"))
        out = []
        for entry in self.log_entries():
            if entry.get("lead") == lead_id and entry.get("sealed") and dek:
                out.append({"kind": entry["kind"], "rev": int(entry["rev"]), "at": float(entry["at"]),
                            **json.loads(unseal(dek, entry["sealed"], lead_id))})
        return out

    def audit_entries(self, count: int = 1000) -> list[dict[str, str]]:
        return [{"id": _s(eid), **{_s(k): _s(v) for k, v in fields.items()}}
                for eid, fields in self.redis.xrevrange(self.k("audit"), count=count)]
