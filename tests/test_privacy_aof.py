"""Erased data leaves Redis's append-only file: erasures ask for a rewrite, the worker runs at most one per interval."""
from __future__ import annotations

import json
import logging
import time
from pathlib import Path

import pytest
import redis as redis_lib

from privacy.aof import AofRewriter, request_rewrite, settle_seconds
from tests.support.leads import follower_for, kill_worker, make_app, says, start_worker, wait_for
from tests.support.redis_server import PrivateRedis
from wechat.redis_conn import Keys

NAME, COMPANY, PHONE = "王小丫", "示例科技", "13711112222"
# how each may be written: raw UTF-8 (lead data) or JSON-escaped (a conversation)
TRACES = [PHONE.encode(), NAME.encode(), COMPANY.encode(), json.dumps(NAME).strip('"').encode(),
          json.dumps(COMPANY).strip('"').encode()]


def files_of(server: PrivateRedis) -> bytes:
    """Everything Redis keeps on disk (AOF; its RDB preamble is written uncompressed in these tests)."""
    return b"".join(p.read_bytes() for p in sorted(Path(server.dir).rglob("*")) if p.is_file())


def rewrite_finished(redis: redis_lib.Redis) -> bool:
    info = redis.info("persistence")
    return (info["aof_rewrite_in_progress"] == 0 and info["aof_rewrite_scheduled"] == 0
            and info["aof_last_bgrewrite_status"] == "ok")


@pytest.fixture
def private_redis():
    server = PrivateRedis(True, "--rdbcompression", "no").start()
    yield server
    server.close()


def test_erased_lead_leaves_the_append_only_file(make_settings, private_redis):
    settings = make_settings(redis_url=private_redis.url)
    redis = redis_lib.Redis.from_url(private_redis.url)
    app = make_app(settings, redis)
    f = follower_for(app, settings)
    f.send("咨询")
    for answer in (NAME, COMPANY, "市场总监", PHONE, "1", "1"):
        f.send(answer)
    says(f.send("确认"), "已")
    says(f.send("删除我的数据"), "已删除")
    assert PHONE.encode() in files_of(private_redis)       # gone from memory, still readable on disk

    worker = start_worker(settings, burst=True)             # the erasure's jobs: cached replies, CRM notice
    try:
        assert worker.wait(60) == 0
    finally:
        if worker.poll() is None:
            kill_worker(worker)
    keys = Keys(settings.key_prefix)
    settled = time.time() + settle_seconds(settings) + 1
    rewriter = AofRewriter(redis, keys, interval=settings.aof_rewrite_interval, clock=lambda: settled)
    assert AofRewriter(redis, keys, 3600, clock=time.time).tick() == "idle"   # not before the retry claims expire
    assert rewriter.tick() == "started"
    wait_for(lambda: rewrite_finished(redis), timeout=60)
    on_disk = files_of(private_redis)
    assert not [t for t in TRACES if t in on_disk]

    # at most one rewrite per interval: a second erasure waits for the next one
    request_rewrite(redis, keys, now=settled - 1, settle=0)
    assert rewriter.tick() == "waiting"
    assert AofRewriter(redis, keys, 3600, clock=lambda: settled + 3601).tick() == "waiting"   # the spacing is in Redis
    redis.delete(keys("privacy", "aof-spacing"))                                              # (an hour later)
    assert rewriter.tick() == "started"
    wait_for(lambda: rewrite_finished(redis), timeout=60)
    assert rewriter.tick() == "idle"


def test_managed_redis_refusing_the_rewrite_is_said_once(make_settings, caplog):
    server = PrivateRedis(True, "--rename-command", "BGREWRITEAOF", "").start()
    try:
        redis = redis_lib.Redis.from_url(server.url)
        keys = Keys("refused:")
        rewriter = AofRewriter(redis, keys, interval=3600, clock=lambda: 2e9)
        with caplog.at_level(logging.WARNING, logger="privacy.aof"):
            for _ in range(2):
                request_rewrite(redis, keys, now=1e9, settle=0)
                assert rewriter.tick() == "refused"
                redis.delete(keys("privacy", "aof-spacing"))
        said = [r.getMessage() for r in caplog.records if r.name == "privacy.aof"]
        assert len(said) == 1 and said[0].startswith("Redis refused BGREWRITEAOF")
        assert rewriter.tick() == "idle"                     # the requests are not kept piling up
    finally:
        server.close()


def test_without_an_append_only_file_there_is_nothing_to_rewrite():
    server = PrivateRedis(False).start()
    try:
        redis = redis_lib.Redis.from_url(server.url)
        keys = Keys("no-aof:")
        request_rewrite(redis, keys, now=1e9, settle=0)
        assert AofRewriter(redis, keys, 3600, clock=lambda: 2e9).tick() == "no-aof"
        assert not list(Path(server.dir).rglob("*.aof"))
    finally:
        server.close()
