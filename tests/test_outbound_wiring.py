"""The webhook and the outbound side meet: deferred answers, template delivery events, quota windows."""
from __future__ import annotations

import uuid

import pytest

from app import create_app
from tests.support.fake_wechat import start_worker, wait_for
from wechat.api_client import build_client
from wechat.custom_messages import CustomQuota
from wechat.router import Router
from devtools.simulator import FlaskTransport, Follower
from wechat.templates import TemplateMessage, get_status, send_template


@pytest.fixture
def wired(outbound_settings, redis):
    probe = Router("probe")

    @probe.text("slow question")
    def answer_slowly(ctx):
        return ctx.answer_later({"type": "text", "content": "Here is the answer that took a while."})

    from app import build_router
    root = Router("root")
    root.include(probe)
    root.include(build_router())
    app = create_app(outbound_settings, redis=redis, router=root)
    follower = Follower(FlaskTransport(app.test_client()), outbound_settings.wechat_token,
                        openid="o_" + uuid.uuid4().hex[:16], mode="plain")
    return app, follower


def test_deferred_answer_arrives_as_customer_service_message_once(wired, fake_wechat, outbound_settings):
    app, follower = wired
    first = follower.send("slow question", msg_id=60001)
    assert first.type == "success"                         # WeChat gets its answer at once
    assert follower.resend().type == "success"             # a retry queues nothing new
    worker = start_worker(outbound_settings, burst=True)
    worker.wait(60)
    sent = fake_wechat.requests_to("/cgi-bin/message/custom/send")
    assert len(sent) == 1
    assert sent[0].json["touser"] == follower.openid
    assert sent[0].json["text"]["content"] == "Here is the answer that took a while."


def test_template_delivery_event_updates_the_recorded_status(wired, fake_wechat, outbound_settings, redis):
    app, follower = wired
    bot = app.extensions["wxbot"]
    message = TemplateMessage(touser=follower.openid, template_id="TPL_LEAD_ALERT", data={"thing1": "New lead"},
                              client_msg_id="wiring-" + uuid.uuid4().hex[:8])
    status = send_template(build_client(outbound_settings, redis), redis, bot.keys, message)
    assert status == "sent"
    msgid = get_status(redis, bot.keys, message.message_id())["msgid"]
    assert msgid
    reply = follower.event("TEMPLATESENDJOBFINISH", MsgID=msgid, Status="success")
    assert reply.type == "success"
    assert get_status(redis, bot.keys, message.message_id())["status"] == "delivered"


def test_every_inbound_message_opens_its_customer_service_window(wired, redis):
    app, follower = wired
    quota = CustomQuota(redis, app.extensions["wxbot"].keys)
    assert not quota.can_send(follower.openid)
    follower.click("MENU_KOL")
    wait_for(lambda: quota.can_send(follower.openid), timeout=5)
    follower.unsubscribe()
    wait_for(lambda: not quota.can_send(follower.openid), timeout=5)
