"""The floor: a bare Flask route returning a fixed reply, served the same way as the bot."""
from flask import Flask, Response

REPLY = ("<xml><ToUserName><![CDATA[o]]></ToUserName><FromUserName><![CDATA[gh]]></FromUserName>"
         "<CreateTime>1</CreateTime><MsgType><![CDATA[text]]></MsgType><Content><![CDATA[hi]]></Content></xml>")


def create_bare_app() -> Flask:
    app = Flask(__name__)

    @app.post("/wechat")
    def fixed() -> Response:
        return Response(REPLY, mimetype="application/xml")

    @app.get("/healthz")
    def healthz() -> Response:
        return Response("ok")

    return app
