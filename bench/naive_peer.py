"""The naive peer: what a developer writes in an afternoon with wechatpy, Flask and one Redis SET NX.

Signature check, parse (and AES in safe mode), one ``SET NX`` to drop WeChat's retries, a text reply.
No follower lock, no conversation, no reply cache, no counters, no content versions: the speed to beat
while doing all of those. Served by gunicorn with the bot's flags (``bench/core_bench.py``).
"""
import os

import redis
from flask import Flask, Response, request
from wechatpy import parse_message
from wechatpy.crypto import WeChatCrypto
from wechatpy.replies import TextReply
from wechatpy.utils import check_signature


def create_peer_app() -> Flask:
    token, appid, aes_key = os.environ["WECHAT_TOKEN"], os.environ["WECHAT_APPID"], os.environ["WECHAT_AES_KEY"]
    crypto = WeChatCrypto(token, aes_key, appid)
    r = redis.Redis.from_url(os.environ["REDIS_URL"])
    prefix = os.environ.get("REDIS_KEY_PREFIX", "peer:")
    app = Flask(__name__)

    @app.post("/wechat")
    def wechat() -> Response:
        args = request.args
        check_signature(token, args["signature"], args["timestamp"], args["nonce"])
        body = request.get_data()
        safe = args.get("encrypt_type") == "aes"
        if safe:
            body = crypto.decrypt_message(body, args["msg_signature"], args["timestamp"], args["nonce"])
        msg = parse_message(body)
        if not r.set(f"{prefix}seen:{msg.id}:{msg.source}", 1, nx=True, ex=60):
            return Response("success")
        xml = TextReply(content="hello", message=msg).render()
        if safe:
            xml = crypto.encrypt_message(xml, args["nonce"], args["timestamp"])
        return Response(xml, mimetype="application/xml")

    @app.get("/healthz")
    def healthz() -> Response:
        return Response("ok")

    return app
