"""Delete exactly what a test wrote to the shared Redis: keys under its prefix and RQ's records of its queues."""
from __future__ import annotations

import re

import redis as redis_lib


def cleanup_prefix(client: redis_lib.Redis, prefix: str) -> int:
    """Delete only what a test run wrote: keys under ``prefix`` and RQ's keys for its queues, jobs and workers."""
    tag = re.sub(r"[^A-Za-z0-9_-]+", "-", prefix).strip("-")  # what jobs.namespace() puts in RQ ids and names
    deleted = 0
    for pattern in (f"{prefix}*", f"rq:*{prefix}*", f"rq:*{tag}*"):
        for key in client.scan_iter(match=pattern, count=1000):
            deleted += client.delete(key)
    for key in client.scan_iter(match="rq:scheduler:*", count=1000):  # scheduler records name only their queues
        queues = client.hget(key, "queues") or b""
        if tag.encode() in queues:
            deleted += client.delete(key)
    for shared in ("rq:workers", "rq:queues"):  # sets RQ shares between all queues: remove only our members
        for member in client.smembers(shared):
            if tag.encode() in member or prefix.encode() in member:
                client.srem(shared, member)
    return deleted
