"""Leads are erased LEADS_RETENTION_DAYS after they came, by the worker, exactly as "delete my data" erases them."""
from __future__ import annotations

import time

import pytest

from leads import LeadStore, erasure_job_id
from privacy.retention import expire_leads, start_retention
from tests.support.leads import Receiver, cleanup, kill_worker, start_worker, wait_for
from wechat import jobs
from wechat.redis_conn import Keys

DAY = 86400
NOW = 1_790_000_000.0          # the injected clock: every test runs at this instant, whatever the date


def lead_data(name: str, phone: str) -> dict:
    return {"name": name, "company": "示例科技", "phone": phone, "lang": "zh", "source": {"kind": "menu"},
            "consent": {"version": "2025-06-lead-v1", "given_at": "then"}}


def capture_at(redis, settings, when: float, openid: str, name: str, phone: str) -> str:
    store = LeadStore(redis, Keys(settings.key_prefix), clock=lambda: when)
    redis.delete(store.k("recent", openid))      # days apart: the 24 h update window (a real TTL) is long over
    return store.capture(openid, f"run-{openid}-{when}", lead_data(name, phone)).lead_id


@pytest.fixture
def leads_of_three(settings, redis, key_prefix):
    """Ann: one lead 731 days old. Ben: one 10 days old. Cai: one 800 days old and one 100 days old."""
    ids = {
        "ann": capture_at(redis, settings, NOW - 731 * DAY, "o_ann", "安安", "13700000001"),
        "ben": capture_at(redis, settings, NOW - 10 * DAY, "o_ben", "本本", "13700000002"),
        "cai_old": capture_at(redis, settings, NOW - 800 * DAY, "o_cai", "蔡蔡", "13700000003"),
        "cai_new": capture_at(redis, settings, NOW - 100 * DAY, "o_cai", "蔡蔡", "13700000004"),
    }
    yield ids
    cleanup(redis, key_prefix)


def test_leads_past_retention_are_erased_like_delete_my_data(settings, redis, leads_of_three):
    ids = leads_of_three
    store = LeadStore(redis, Keys(settings.key_prefix))
    assert settings.leads_retention_days == 730
    assert expire_leads(redis, settings, now=NOW) == sorted([ids["ann"], ids["cai_old"]])

    for who in ("ann", "cai_old"):
        tomb = store.get(ids[who])
        assert tomb.state == "deleted" and tomb.data == {} and tomb.openid == "" and tomb.deleted_at == NOW
        assert store.history(ids[who]) == []                                  # its data key is gone
        assert [e["kind"] for e in store.log_entries() if e["lead"] == ids[who]] == ["tombstone"]
        status = jobs.job_status(redis, jobs.rq_job_id(settings.key_prefix, erasure_job_id(ids[who])))
        assert status is not None and status.rsplit(".", 1)[-1].lower() == "queued"   # the CRM is told
    assert store.lead_ids_of("o_ann") == [] and not redis.exists(store.k("by-openid", "o_ann"))
    assert store.lead_ids_of("o_cai") == [ids["cai_new"]]
    assert [lead.lead_id for lead in store.created_between(0, 2e10)] == [ids["cai_new"], ids["ben"]]
    for who in ("ben", "cai_new"):
        assert store.get(ids[who]).state == "active" and store.get(ids[who]).data["company"] == "示例科技"
    [audit] = [e for e in store.audit_entries() if e["event"] == "data.erased"]
    assert audit["channel"] == "retention" and audit["lead_ids"] == ",".join(sorted([ids["ann"], ids["cai_old"]]))
    assert "安安" not in repr(store.audit_entries()) and "o_ann" not in repr(store.audit_entries())
    assert redis.zcard(Keys(settings.key_prefix)("privacy", "aof-requests")) == 1   # and the AOF is rewritten
    # nothing of Ann is left under the prefix
    for key in redis.scan_iter(match=f"{settings.key_prefix}*"):
        if redis.type(key) == b"hash":
            assert b"13700000001" not in repr(redis.hgetall(key)).encode() and b"o_ann" not in key

    assert expire_leads(redis, settings, now=NOW) == []                         # idempotent
    assert expire_leads(redis, settings, now=NOW + 631 * DAY) == [ids["cai_new"]]   # its turn comes


def test_retention_is_a_setting(make_settings, redis, leads_of_three):
    short = make_settings(leads_retention_days=30)
    assert sorted(expire_leads(redis, short, now=NOW)) == sorted(
        [leads_of_three["ann"], leads_of_three["cai_old"], leads_of_three["cai_new"]])


def test_a_follower_s_recent_lead_pointer_goes_with_it(make_settings, redis, key_prefix):
    one_day = make_settings(leads_retention_days=1)
    store = LeadStore(redis, Keys(one_day.key_prefix), clock=lambda: NOW - 2 * DAY)
    lead_id = store.capture("o_eve", "run-eve", lead_data("伊伊", "13700000006")).lead_id
    assert redis.get(store.k("recent", "o_eve")) == lead_id.encode()
    assert expire_leads(redis, one_day, now=NOW) == [lead_id]
    assert not redis.exists(store.k("recent", "o_eve"))          # a new submission starts a new lead
    fresh = LeadStore(redis, Keys(one_day.key_prefix)).capture("o_eve", "run-eve-2", lead_data("伊伊", "13700000006"))
    assert fresh.outcome == "created" and fresh.lead_id != lead_id
    cleanup(redis, key_prefix)


def test_a_run_stops_at_its_limit_and_the_next_goes_on(settings, redis, leads_of_three):
    first = expire_leads(redis, settings, now=NOW, batch=1, limit=1)
    assert len(first) == 1
    assert len(expire_leads(redis, settings, now=NOW, batch=1, limit=1)) == 1
    assert expire_leads(redis, settings, now=NOW) == []


def test_one_worker_at_a_time_and_a_clean_stop(settings, redis, leads_of_three):
    tasks = [start_retention(settings, interval=0.2, clock=lambda: NOW) for _ in range(3)]
    store = LeadStore(redis, Keys(settings.key_prefix))
    try:
        wait_for(lambda: store.get(leads_of_three["ann"]).state == "deleted", timeout=20)
        time.sleep(0.5)
    finally:
        assert all(task.stop(timeout=10) for task in tasks)
    assert not any(task.running for task in tasks)
    erasures = [e for e in store.audit_entries() if e["event"] == "data.erased"]
    assert len(erasures) == 1 and erasures[0]["channel"] == "retention"


def test_the_crm_receives_the_erasure_notice(make_settings, redis, key_prefix):
    receiver = Receiver("crm-secret").start()
    settings = make_settings(leads_webhook_url=receiver.url, leads_webhook_secret="crm-secret")
    worker = None
    try:
        old = capture_at(redis, settings, NOW - 740 * DAY, "o_dee", "迪迪", "13700000005")
        assert expire_leads(redis, settings, now=NOW) == [old]
        worker = start_worker(settings, burst=True)
        assert worker.wait(60) == 0
        assert [r.json for r in receiver.accepted] == [{"event": "lead.erased", "lead_id": old}]
        assert all(r.signature_ok for r in receiver.received)
    finally:
        if worker is not None and worker.poll() is None:
            kill_worker(worker)
        receiver.stop()
        cleanup(redis, key_prefix)
