"""Erase what we hold about one follower: leads, customer-service windows and unsent messages, the expiry
marker of an open form. The conversation itself is cleared by the handler (the bot deletes it when it saves);
the worker then overwrites the follower's cached replies (``wechat.reply_cache``) and rewrites Redis's
append-only file (``privacy.aof``), so the erased data leaves Redis's files too.

Analytics keeps no per-follower record: openids only enter HyperLogLog counters (hashed registers that
cannot be read back) and unmatched texts are sampled without openids (and kept 30 days).

Usage::

    erasure = Erasure(redis, keys, LeadStore(redis, keys), flows, aof_settle=settle_seconds(settings))
    lead_ids = erasure.erase(openid)                      # then tell the CRM
"""
from __future__ import annotations

import time
from typing import Callable

import redis as redis_lib

from leads.store import LeadStore
from privacy.aof import request_rewrite
from wechat.custom_messages import forget_follower
from wechat.flow import FlowEngine
from wechat.redis_conn import Keys


class Erasure:
    def __init__(self, redis: redis_lib.Redis, keys: Keys, leads: LeadStore, flows: FlowEngine | None = None, *,
                 aof_settle: float, clock: Callable[[], float] = time.time):
        """``aof_settle``: how long the AOF rewrite waits (``privacy.aof.settle_seconds``)."""
        self.redis = redis
        self.keys = keys
        self.leads = leads
        self.flows = flows
        self.aof_settle = aof_settle
        self.clock = clock

    def erase(self, openid: str, channel: str = "wechat") -> list[str]:
        """Erase the follower's data; return the ids of the erased leads (the CRM is told to forget them).

        ``channel`` names who asked, in the audit log: ``wechat`` (the follower), ``console`` (sales, on request).
        """
        lead_ids = self.leads.erase(openid, channel)         # tombstones and shredded per-lead keys
        forget_follower(self.redis, self.keys, openid)       # customer-service windows and unsent messages
        if self.flows is not None:
            self.redis.delete(self.flows.marker_key(openid))
        request_rewrite(self.redis, self.keys, now=self.clock(), settle=self.aof_settle)
        return lead_ids
