"""The durable queue: idempotent enqueueing, deferred answers, retries with backoff, dead letters, rate limits,
and a worker killed mid-job."""
from __future__ import annotations

import time

import pytest
from rq import Retry
from rq.registry import ScheduledJobRegistry

from tests.support.fake_wechat import kill_tree, start_worker, wait_for
from wechat import jobs
from tests.support.outbound_jobs import always_fails, gated_effect
from wechat.custom_messages import CustomQuota, list_unsent, send_custom_job, send_deferred_answer
from wechat.redis_conn import Keys
from wechat.templates import TemplateMessage, enqueue_template, get_status, send_template_job

CUSTOM = "/cgi-bin/message/custom/send"
TEMPLATE = "/cgi-bin/message/template/send"
ANSWER = send_deferred_answer


@pytest.fixture
def keys(outbound_settings):
    return Keys(outbound_settings.key_prefix)


@pytest.fixture(autouse=True)
def _runtime(outbound_settings, redis):
    """Jobs called directly in this process use the test's settings (the worker sets its own)."""
    jobs.set_runtime(outbound_settings, redis)
    yield
    jobs.reset_runtime()


def drain(settings) -> bool:
    """Run a burst worker in this process, exactly as ``flask worker --burst`` would."""
    return jobs.run_worker(settings, burst=True)


def template(**kw) -> TemplateMessage:
    base = {"touser": "o_sales", "template_id": "TPL", "data": {"thing1": "新线索"}, "client_msg_id": "lead-7"}
    return TemplateMessage(**{**base, **kw})


# -- enqueueing ----------------------------------------------------------------------------------
def test_same_job_id_enqueues_one_job(outbound_settings, redis):
    kwargs = {"openid": "o1", "reply": {"type": "text", "content": "hi"}}
    first = jobs.enqueue(redis, outbound_settings, ANSWER, kwargs, job_id="o1:msg:42")
    again = jobs.enqueue(redis, outbound_settings, ANSWER, kwargs, job_id="o1:msg:42")
    other = jobs.enqueue(redis, outbound_settings, ANSWER, kwargs, job_id="o1:msg:43")
    assert first == again != other
    assert jobs.get_queue(redis, outbound_settings, jobs.REALTIME).count == 2


def test_queues_are_namespaced_by_the_key_prefix(make_outbound_settings, outbound_settings, redis):
    other = make_outbound_settings(key_prefix=outbound_settings.key_prefix + "other:")
    jobs.enqueue(redis, outbound_settings, always_fails, {"name": "x"})
    assert jobs.queue_name(outbound_settings) != jobs.queue_name(other)
    assert jobs.get_queue(redis, outbound_settings).count == 1
    assert jobs.get_queue(redis, other).count == 0


def test_enqueue_checks_function_and_arguments_up_front(outbound_settings, redis):
    def local_job() -> None: ...

    with pytest.raises(ValueError):     # the worker could not import it by name
        jobs.enqueue(redis, outbound_settings, local_job, {})
    with pytest.raises(ValueError):
        jobs.enqueue(redis, outbound_settings, lambda: None, {})
    with pytest.raises(TypeError):
        jobs.enqueue(redis, outbound_settings, ANSWER, {"openid": object()})


def test_retry_schedules():
    assert jobs.backoff(first=10, factor=2, cap=100, attempts=5).intervals == [10, 20, 40, 80, 100]
    crm = jobs.retry_for(24 * 3600)
    assert sum(crm.intervals) >= 24 * 3600 and max(crm.intervals) <= 3600 and crm.max == len(crm.intervals)


# -- deferred answers ----------------------------------------------------------------------------
def test_deferred_answer_called_directly_arrives_as_customer_service_message(fake_wechat, redis, keys):
    CustomQuota(redis, keys).record_interaction("o1", "click")
    assert send_deferred_answer("o1", {"type": "text", "content": "这是稍后的答案"}) == "sent"
    [request] = fake_wechat.requests_to(CUSTOM)
    assert request.json == {"touser": "o1", "msgtype": "text", "text": {"content": "这是稍后的答案"}}


def test_deferred_answer_through_the_queue(fake_wechat, outbound_settings, redis, keys):
    CustomQuota(redis, keys).record_interaction("o1", "text")
    reply = {"type": "news", "articles": [{"title": "KOL 报告", "url": "https://example.com/kol",
                                           "description": "2026", "image": ""}]}
    job_id = jobs.enqueue(redis, outbound_settings, ANSWER, {"openid": "o1", "reply": reply},
                          job_id="o1:msg:1")
    assert drain(outbound_settings) is True
    [request] = fake_wechat.requests_to(CUSTOM)
    assert request.json["touser"] == "o1" and request.json["news"]["articles"][0]["title"] == "KOL 报告"
    assert jobs.job_status(redis, job_id) == "finished"


def test_deferred_answer_outside_the_window_is_recorded_not_sent(fake_wechat, outbound_settings, redis,
                                                                 keys):
    jobs.enqueue(redis, outbound_settings, ANSWER,
                 {"openid": "o_silent", "reply": {"type": "text", "content": "hi"}}, job_id="o_silent:1")
    drain(outbound_settings)
    assert not fake_wechat.requests_to(CUSTOM)
    [entry] = list_unsent(redis, keys)
    assert entry["openid"] == "o_silent" and entry["reason"] == "window closed"


def test_a_rerun_customer_service_job_does_not_send_twice(fake_wechat, redis, keys):
    CustomQuota(redis, keys).record_interaction("o1", "text")
    body = {"msgtype": "text", "text": {"content": "once"}}
    assert send_custom_job("o1", body, answer_id="a-1") == "sent"
    assert send_custom_job("o1", body, answer_id="a-1") == "sent"
    assert len(fake_wechat.requests_to(CUSTOM)) == 1


# -- template messages through the queue ---------------------------------------------------------
def test_enqueue_template_is_queued_then_sent_once(fake_wechat, outbound_settings, redis, keys):
    first = enqueue_template(redis, outbound_settings, template())
    again = enqueue_template(redis, outbound_settings, template().to_dict())
    assert first == again
    assert get_status(redis, keys, "lead-7")["status"] == "queued"
    drain(outbound_settings)
    assert get_status(redis, keys, "lead-7")["status"] == "sent"
    assert len(fake_wechat.requests_to(TEMPLATE)) == 1


def wait_until_due(redis, settings, queue=jobs.DEFAULT):
    registry = ScheduledJobRegistry(queue=jobs.get_queue(redis, settings, queue))
    ids = registry.get_job_ids()
    assert ids, "expected a scheduled retry"
    due = max(registry.get_scheduled_time(i).timestamp() for i in ids)
    wait_for(lambda: time.time() > due + 0.05, timeout=30)


@pytest.mark.parametrize("errcode", [-1, 45009])
def test_busy_wechat_is_retried_with_backoff(fake_wechat, outbound_settings, redis, keys, errcode):
    fake_wechat.fail_next(TEMPLATE, errcode)
    jobs.enqueue(redis, outbound_settings, send_template_job,
                 {"message": template().to_dict()}, retry=Retry(max=2, interval=[1, 2]))
    drain(outbound_settings)
    assert get_status(redis, keys, "lead-7")["status"] == "retrying"
    assert len(fake_wechat.requests_to(TEMPLATE)) == 1

    wait_until_due(redis, outbound_settings)
    drain(outbound_settings)  # the worker's scheduler moves the due retry back onto the queue
    assert get_status(redis, keys, "lead-7")["status"] == "sent"
    assert len(fake_wechat.requests_to(TEMPLATE)) == 2


def test_exhausted_retries_land_in_dead_letters_and_can_be_retried(fake_wechat, outbound_settings, redis,
                                                                   keys):
    fake_wechat.fail_next(TEMPLATE, -1, times=2)
    job_id = jobs.enqueue(redis, outbound_settings, send_template_job,
                          {"message": template().to_dict()}, retry=Retry(max=1))
    drain(outbound_settings)
    assert get_status(redis, keys, "lead-7")["status"] == "failed"
    [letter] = jobs.dead_letters(redis, outbound_settings)
    assert letter.job_id == job_id and letter.func == "wechat.templates.send_template_job"
    assert "errcode -1" in letter.error and "o_sales" not in letter.error

    assert jobs.retry_dead_letter(redis, outbound_settings, job_id) is True
    drain(outbound_settings)
    assert get_status(redis, keys, "lead-7")["status"] == "sent"
    assert jobs.dead_letters(redis, outbound_settings) == []
    assert jobs.retry_dead_letter(redis, outbound_settings, job_id) is False


def test_retry_all_dead_letters(outbound_settings, redis, keys):
    for name in ("a", "b"):
        jobs.enqueue(redis, outbound_settings, always_fails,
                     {"name": name}, retry=None)
    drain(outbound_settings)
    assert len(jobs.dead_letters(redis, outbound_settings)) == 2
    for name in ("a", "b"):
        redis.set(keys("test", name, "heal"), "1")
    assert jobs.retry_all_dead_letters(redis, outbound_settings) == 2
    drain(outbound_settings)
    assert jobs.dead_letters(redis, outbound_settings) == []
    assert [int(redis.get(keys("test", n, "attempts"))) for n in ("a", "b")] == [2, 2]


# -- rate limit ----------------------------------------------------------------------------------
def test_token_bucket_lets_a_burst_through_then_holds(redis, keys):
    limiter = jobs.RateLimiter(redis, keys, {"template": (0.01, 3)})  # 3 at once, then 1 per 100 s
    assert [limiter.try_acquire("template") for _ in range(3)] == [0.0, 0.0, 0.0]
    assert limiter.try_acquire("template") > 50
    slept: list[float] = []
    limiter.sleep = slept.append
    with pytest.raises(jobs.RateLimited):
        limiter.wait("template", max_wait=5)
    assert slept == []  # it did not sleep for a wait longer than it may
    other = jobs.RateLimiter(redis, keys, {"default": (0.01, 1)})
    assert other.try_acquire("custom") == 0.0  # buckets are per API


def test_rate_limited_job_waits_for_its_turn(redis, keys):
    limiter = jobs.RateLimiter(redis, keys, {"menu": (0.01, 1)})
    slept: list[float] = []

    def sleep(seconds: float) -> None:  # stands in for time passing: the bucket refills
        slept.append(seconds)
        redis.delete(keys("rate", "menu"))

    limiter.sleep = sleep
    limiter.wait("menu", max_wait=1000)
    assert slept == []
    limiter.wait("menu", max_wait=1000)
    assert len(slept) == 1 and slept[0] > 50


# -- crash safety --------------------------------------------------------------------------------
@pytest.mark.parametrize("stage", ["before_effect", "after_effect"])
def test_worker_killed_mid_job_runs_it_again_and_the_effect_happens_once(outbound_settings, redis, keys,
                                                                         stage):
    job_id = jobs.enqueue(redis, outbound_settings, gated_effect,
                          {"name": "crash", "stage": stage}, job_id="crash-test", retry=Retry(max=3, interval=[1]))
    attempts = keys("test", "crash", "attempts")
    effect = keys("test", "crash", "effect")

    first = start_worker(outbound_settings, burst=True)
    try:
        wait_for(lambda: redis.get(attempts) == b"1", timeout=60)
        assert jobs.job_status(redis, job_id) == "started"
    finally:
        kill_tree(first)  # SIGKILL the worker and its work horse mid-job
    assert redis.get(effect) == (b"1" if stage == "after_effect" else None)

    redis.set(keys("test", "crash", "gate"), "1")
    second = start_worker(outbound_settings, burst=False)
    try:
        wait_for(lambda: jobs.job_status(redis, job_id) == "finished", timeout=120)
    finally:
        kill_tree(second)
    assert redis.get(attempts) == b"2"
    assert redis.get(effect) == b"1"


# -- worker logs ---------------------------------------------------------------------------------
def test_an_expected_retry_is_one_warning_line_and_the_last_failure_an_error(outbound_settings, redis, caplog):
    import logging

    from rq.job import Job
    from rq.serializers import JSONSerializer

    job_id = jobs.enqueue(redis, outbound_settings, always_fails, {"name": "logs"},
                          retry=Retry(max=2, interval=[1, 1]))
    job = Job.fetch(job_id, connection=redis, serializer=JSONSerializer)
    worker = jobs.build_worker(outbound_settings, connection=redis)
    try:
        raise RuntimeError("receiver down")
    except RuntimeError as exc:
        failure = (type(exc), exc, exc.__traceback__)
    with caplog.at_level(logging.DEBUG, logger="wechat.jobs.worker"):
        worker.handle_exception(job, *failure)
        job.retries_left = 0
        worker.handle_exception(job, *failure)
    retry, final = [r for r in caplog.records if r.name == "wechat.jobs.worker"]
    assert retry.levelno == logging.WARNING and "will retry (2 left): RuntimeError: receiver down" in retry.getMessage()
    assert "\n" not in retry.getMessage() and "Traceback" not in retry.getMessage()
    assert final.levelno == logging.ERROR and "Traceback" in final.getMessage()


def test_a_job_queued_under_its_old_name_still_runs(fake_wechat, outbound_settings, redis, keys):
    """Jobs enqueued before a function moved (e.g. wechat.jobs -> wechat.custom_messages) run after the upgrade."""
    CustomQuota(redis, keys).record_interaction("o1", "text")
    queue = jobs.get_queue(redis, outbound_settings, jobs.REALTIME)
    old = queue.enqueue("wechat.jobs.send_deferred_answer", kwargs={"openid": "o1",
                        "reply": {"type": "text", "content": "queued before the upgrade"}},
                        job_id=jobs.rq_job_id(outbound_settings.key_prefix, "old-name"))
    assert drain(outbound_settings) is True
    assert jobs.job_status(redis, old.id) == "finished"
    [request] = fake_wechat.requests_to(CUSTOM)
    assert request.json["text"]["content"] == "queued before the upgrade"
