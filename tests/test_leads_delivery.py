"""Lead delivery to a CRM webhook (a local, signature-checking HTTP receiver) by the real worker process."""
from __future__ import annotations

import json
import threading
import time

import pytest
import requests

from tests.support.leads import (Receiver, cleanup, follower_for, kill_worker, make_app, readme_verify, says,
                                 start_worker, wait_for)
from tests.support.redis_server import PrivateRedis
from wechat import jobs
from leads import LeadStore, reconcile
from leads.delivery import default_schedule, deliver_lead, sign, signed_request
from wechat.redis_conn import Keys, connect

SECRET = "crm-shared-secret"


@pytest.fixture
def receiver():
    r = Receiver(SECRET).start()
    yield r
    r.stop()


@pytest.fixture
def crm_settings(make_settings, receiver, redis, key_prefix):
    yield make_settings(leads_webhook_url=receiver.url, leads_webhook_secret=SECRET)
    cleanup(redis, key_prefix)


@pytest.fixture
def workers():
    """Worker processes started by a test; killed (process group) afterwards."""
    started = []

    def start(settings, **kw):
        proc = start_worker(settings, **kw)
        started.append(proc)
        return proc
    yield start
    for proc in started:
        if proc.poll() is None:
            kill_worker(proc)


def capture(app, settings, openid=None, phone="13800138000"):
    """Walk one follower through the form and confirm; return (follower, lead id)."""
    f = follower_for(app, settings, openid)
    f.send("咨询")
    for answer in ("张三", "示例科技", "市场总监", phone, "2", "1"):
        f.send(answer)
    says(f.send("确认"), "已")
    store = LeadStore(app.extensions["wxbot"].redis, Keys(settings.key_prefix))
    return f, store.lead_ids_of(f.openid)[0]


def lead(redis, settings, lead_id):
    return LeadStore(redis, Keys(settings.key_prefix)).get(lead_id)


def delivered(redis, settings, lead_id):
    return lead(redis, settings, lead_id).delivery == "delivered"


def test_the_default_schedule_retries_for_more_than_24_hours():
    schedule = default_schedule()
    assert sum(schedule) >= 24 * 3600
    assert schedule[:3] == [30, 60, 120] and max(schedule) == 3600           # exponential, capped at an hour


def test_delivery_success_signed_with_idempotency_key(crm_settings, redis, receiver, workers):
    app = make_app(crm_settings, redis)
    f, lead_id = capture(app, crm_settings)
    assert lead(redis, crm_settings, lead_id).delivery == "pending"
    assert receiver.received == []                              # nothing is sent inside the request
    worker = workers(crm_settings, burst=True)
    assert worker.wait(60) == 0
    assert delivered(redis, crm_settings, lead_id)
    [got] = receiver.received
    assert got.signature_ok
    timestamp = int(got.headers["X-Signature-Timestamp"])
    assert abs(timestamp - time.time()) < 60
    assert got.headers["X-Signature-SHA256"] == sign(SECRET, timestamp, got.body)
    assert got.headers["Idempotency-Key"] == f"{lead_id}-r1" and got.headers["X-Lead-Id"] == lead_id
    assert got.headers["Content-Type"].startswith("application/json")
    body = got.json
    assert body["event"] == "lead.created" and body["lead_id"] == lead_id and body["revision"] == 1
    assert (body["name"], body["company"], body["role"], body["phone"]) == ("张三", "示例科技", "市场总监", "+8613800138000")
    assert body["need"] == "social_kol" and body["openid"] == f.openid and body["source"]["kind"] == "keyword"
    assert body["consent"]["version"] == "2026-12-lead-v2"
    store = LeadStore(redis, Keys(crm_settings.key_prefix))
    assert store.outbox() == [] and store.dead() == []
    events = [e["event"] for e in store.audit_entries()]
    assert events.count("lead.delivered") == 1 and "lead.created" in events


def test_a_tampered_body_or_timestamp_would_fail_the_signature():
    body = json.dumps({"lead_id": "x"}).encode()
    assert sign(SECRET, 1700000000, body) != sign(SECRET, 1700000000, body + b" ")
    assert sign(SECRET, 1700000000, body) != sign("other", 1700000000, body)
    assert sign(SECRET, 1700000000, body) != sign(SECRET, 1700000001, body)


def test_readme_verification_accepts_fresh_deliveries_and_refuses_replays(settings):
    """The ~10 lines README gives CRM developers, run as written (the test receiver runs them too)."""
    verify = readme_verify()
    settings = settings.model_copy(update={"leads_webhook_secret": SECRET})
    sent_at = 1_760_000_000
    body, headers = signed_request(settings, "ld1", 1, {"event": "lead.created", "lead_id": "ld1"}, now=sent_at)
    assert headers["X-Signature-Timestamp"] == str(sent_at)
    assert verify(SECRET, headers, body, now=sent_at + 2)
    assert verify(SECRET, headers, body, now=sent_at - 299)               # a receiver clock a little behind
    assert not verify(SECRET, headers, body, now=sent_at + 301)           # a captured delivery replayed later
    assert not verify("other-secret", headers, body, now=sent_at)
    assert not verify(SECRET, headers, body + b" ", now=sent_at)
    restamped = {**headers, "X-Signature-Timestamp": str(sent_at + 600)}  # a replay with a fresh-looking time
    assert not verify(SECRET, restamped, body, now=sent_at + 600)
    for bad in ("", "abc", "１７６００００００００", "-1"):
        assert not verify(SECRET, {**headers, "X-Signature-Timestamp": bad}, body, now=sent_at)
    assert not verify(SECRET, {**headers, "X-Signature-SHA256": "é" * 64}, body, now=sent_at)
    assert not verify(SECRET, {"X-Signature-Timestamp": str(sent_at)}, body, now=sent_at)


def test_a_captured_delivery_replayed_later_is_refused(crm_settings, redis, receiver, workers):
    app = make_app(crm_settings, redis)
    _, lead_id = capture(app, crm_settings)
    assert workers(crm_settings, burst=True).wait(60) == 0
    [got] = receiver.accepted
    replay_headers = {k: v for k, v in got.headers.items() if k.lower() not in ("host", "content-length")}
    assert requests.post(receiver.url, data=got.body, headers=replay_headers, timeout=10).status_code == 200
    receiver.clock = lambda: time.time() + 301                       # the same request, five minutes later
    assert requests.post(receiver.url, data=got.body, headers=replay_headers, timeout=10).status_code == 401


def test_resubmission_delivers_the_update(crm_settings, redis, receiver, workers):
    app = make_app(crm_settings, redis)
    f, lead_id = capture(app, crm_settings)
    assert workers(crm_settings, burst=True).wait(60) == 0
    capture(app, crm_settings, openid=f.openid, phone="13900000000")
    assert workers(crm_settings, burst=True).wait(60) == 0
    assert [r.json["revision"] for r in receiver.accepted] == [1, 2]
    update = receiver.accepted[1]
    assert update.json["event"] == "lead.updated" and update.json["phone"] == "+8613900000000"
    assert update.headers["Idempotency-Key"] == f"{lead_id}-r2"
    assert lead(redis, crm_settings, lead_id).delivered_rev == 2


def test_receiver_failing_then_recovering(crm_settings, redis, receiver, workers):
    receiver.fail_first = 2
    app = make_app(crm_settings, redis, lead_retry_schedule=[1, 1, 1, 1])
    _, lead_id = capture(app, crm_settings)
    workers(crm_settings)
    wait_for(lambda: delivered(redis, crm_settings, lead_id), timeout=60)
    assert len(receiver.received) == 3 and len(receiver.accepted) == 1
    assert {r.headers["Idempotency-Key"] for r in receiver.received} == {f"{lead_id}-r1"}
    assert all(r.signature_ok for r in receiver.received)
    stamps = [int(r.headers["X-Signature-Timestamp"]) for r in receiver.received]
    assert stamps == sorted(stamps) and stamps[-1] > stamps[0]       # every attempt is signed afresh
    current = lead(redis, crm_settings, lead_id)
    assert current.attempts == 3 and current.last_error == ""
    events = [e["event"] for e in LeadStore(redis, Keys(crm_settings.key_prefix)).audit_entries()]
    assert events.count("lead.delivered") == 1 and "lead.dead_lettered" not in events


def test_receiver_down_past_the_window_dead_letter_then_manual_retry(crm_settings, redis, receiver, workers):
    receiver.down = True
    app = make_app(crm_settings, redis, lead_retry_schedule=[1, 1])
    _, lead_id = capture(app, crm_settings)
    workers(crm_settings)
    wait_for(lambda: lead(redis, crm_settings, lead_id).delivery == "failed", timeout=60)
    assert len(receiver.received) == 3                          # first try + the two scheduled retries
    store = LeadStore(redis, Keys(crm_settings.key_prefix))
    assert [lid for lid, _ in store.dead()] == [lead_id] and store.outbox() == []
    assert lead(redis, crm_settings, lead_id).last_error == "HTTP 503"

    runner = app.test_cli_runner()
    listing = runner.invoke(args=["leads", "dead-letters"])
    assert listing.exit_code == 0 and lead_id in listing.output and "HTTP 503" in listing.output
    status = runner.invoke(args=["leads", "status", lead_id])
    assert json.loads(status.output)["delivery"] == "failed" and "张三" not in status.output

    receiver.down = False
    result = runner.invoke(args=["leads", "retry", lead_id])
    assert result.exit_code == 0, result.output
    wait_for(lambda: delivered(redis, crm_settings, lead_id), timeout=60)
    assert len(receiver.accepted) == 1 and store.dead() == []
    assert "no dead letters" in runner.invoke(args=["leads", "dead-letters"]).output
    # the old job is gone from RQ's generic dead-letter list too
    assert not [d for d in jobs.dead_letters(redis, crm_settings) if lead_id in d.job_id]


def test_retry_all_dead_letters(crm_settings, redis, receiver, workers):
    receiver.down = True
    app = make_app(crm_settings, redis, lead_retry_schedule=[1])
    ids = [capture(app, crm_settings)[1] for _ in range(3)]
    workers(crm_settings)
    wait_for(lambda: all(lead(redis, crm_settings, i).delivery == "failed" for i in ids), timeout=60)
    receiver.down = False
    out = app.test_cli_runner().invoke(args=["leads", "retry", "--all"])
    assert "3 lead(s) queued" in out.output
    wait_for(lambda: all(delivered(redis, crm_settings, i) for i in ids), timeout=60)
    assert sorted(r.json["lead_id"] for r in receiver.accepted) == sorted(ids)


def test_worker_killed_mid_delivery_still_delivers(crm_settings, redis, receiver, workers):
    receiver.hold = threading.Event()
    app = make_app(crm_settings, redis, lead_retry_schedule=[0, 1, 1])
    _, lead_id = capture(app, crm_settings)
    first = workers(crm_settings)
    assert receiver.entered.wait(30)                            # the worker is inside the HTTP call...
    kill_worker(first)                                           # ...when it is SIGKILLed
    assert lead(redis, crm_settings, lead_id).delivery == "pending"
    receiver.hold.set()                                         # the CRM finishes, but nobody hears the answer
    receiver.hold = None
    workers(crm_settings)                                       # restart
    wait_for(lambda: delivered(redis, crm_settings, lead_id), timeout=90)
    keys = {r.headers["Idempotency-Key"] for r in receiver.received}
    assert len(receiver.received) >= 2 and keys == {f"{lead_id}-r1"}   # same key: the CRM can drop the repeat


def test_redis_restarted_with_aof_between_capture_and_delivery(make_settings, receiver, workers):
    private = PrivateRedis().start()
    try:
        settings = make_settings(redis_url=private.url, key_prefix="aoftest:",
                                 leads_webhook_url=receiver.url, leads_webhook_secret=SECRET)
        redis = connect(settings)
        app = make_app(settings, redis)
        _, lead_id = capture(app, settings)
        private.stop(kill=True)                                 # SIGKILL: no shutdown save, only the AOF
        private.start()
        store = LeadStore(connect(settings), Keys(settings.key_prefix))
        assert store.get(lead_id).delivery == "pending" and len(store.log_entries()) == 1
        workers(settings)
        wait_for(lambda: store.get(lead_id).delivery == "delivered", timeout=60)
        assert [r.json["lead_id"] for r in receiver.accepted] == [lead_id]
    finally:
        private.close()


def test_not_configured_is_a_dead_letter_until_configured(make_settings, redis, key_prefix, receiver):
    settings = make_settings()                                   # no LEADS_WEBHOOK_URL
    try:
        app = make_app(settings, redis)
        _, lead_id = capture(app, settings)
        jobs.set_runtime(settings, redis)
        assert deliver_lead(lead_id, 1) == "not_configured"
        assert lead(redis, settings, lead_id).last_error == "LEADS_WEBHOOK_URL not set"
        assert lead(redis, settings, lead_id).delivery == "failed"
        configured = make_settings(leads_webhook_url=receiver.url, leads_webhook_secret=SECRET)
        jobs.set_runtime(configured, redis)
        assert deliver_lead(lead_id, 1) == "delivered"
        assert receiver.accepted[0].signature_ok
    finally:
        jobs.reset_runtime()
        cleanup(redis, key_prefix)


def test_reconcile_requeues_a_lead_whose_job_never_made_it(crm_settings, redis, receiver, workers):
    app = make_app(crm_settings, redis)
    _, lead_id = capture(app, crm_settings)
    # as if the web process died between storing the lead and queueing its job
    store = LeadStore(redis, Keys(crm_settings.key_prefix))
    for key in redis.scan_iter(match=f"rq:*{jobs.namespace(crm_settings.key_prefix)}*"):
        redis.delete(key)
    redis.hset(store.k("lead", lead_id), "job", "")
    result = reconcile(redis, crm_settings, older_than=0)
    assert result["requeued"] == [lead_id]
    assert workers(crm_settings, burst=True).wait(60) == 0
    assert delivered(redis, crm_settings, lead_id)


def test_the_worker_reconciles_on_its_own(crm_settings, redis, receiver, workers):
    from leads.delivery import start_reconciler
    app = make_app(crm_settings, redis)
    _, lead_id = capture(app, crm_settings)
    store = LeadStore(redis, Keys(crm_settings.key_prefix))
    for key in redis.scan_iter(match=f"rq:*{jobs.namespace(crm_settings.key_prefix)}*"):
        redis.delete(key)                       # the delivery job is lost; only the lead remains
    redis.hset(store.k("lead", lead_id), "job", "")
    reconciler = start_reconciler(crm_settings, interval=0.3, older_than=0)
    try:
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and not any(redis.scan_iter(match=f"rq:job:*{jobs.namespace(crm_settings.key_prefix)}*")):
            time.sleep(0.1)
    finally:
        assert reconciler.stop()
    assert workers(crm_settings, burst=True).wait(60) == 0
    assert delivered(redis, crm_settings, lead_id)


def test_an_erased_lead_is_not_delivered(crm_settings, redis, receiver, workers):
    app = make_app(crm_settings, redis)
    f, lead_id = capture(app, crm_settings)
    f.send("删除我的数据")
    assert workers(crm_settings, burst=True).wait(60) == 0
    assert all(r.json.get("event") == "lead.erased" for r in receiver.received)
    assert [r.json for r in receiver.accepted] == [{"event": "lead.erased", "lead_id": lead_id}]
