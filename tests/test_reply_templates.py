"""The precompiled text and news templates render byte for byte what wechatpy's reply objects render."""
from __future__ import annotations

from hypothesis import given, settings, strategies as st
from wechatpy import replies as wx

from wechat.messages import parse_message
from wechat.replies import Article, News, Text, _cdata_safe, render

TEXT = st.lists(st.characters(blacklist_categories=("Cs",)) | st.sampled_from(["]]>", "<", "&", "\n", "微博"]),
                max_size=20).map("".join)
IDS = st.text(alphabet="abcdefghijklmnopqrstuvwxyz_0123456789-", min_size=1, max_size=28)


def _message(openid: str, account: str, msg_type: str = "text"):
    extra = "<Content>hi</Content><MsgId>1</MsgId>" if msg_type == "text" else "<Event>CLICK</Event><EventKey>K</EventKey>"
    return parse_message(f"<xml><ToUserName>{account}</ToUserName><FromUserName>{openid}</FromUserName>"
                         f"<CreateTime>1</CreateTime><MsgType>{msg_type}</MsgType>{extra}</xml>")


@settings(max_examples=300, deadline=None)
@given(TEXT.filter(lambda t: len(t.encode()) < 2000), IDS, IDS, st.integers(1, 2**31))
def test_text_matches_wechatpy(content, openid, account, now):
    rendered = render(Text(content), _message(openid, account), now=now)
    expected = wx.TextReply(content=_cdata_safe(content), source=account, target=openid, time=now).render()
    assert (rendered.body, rendered.reply_type) == (expected, "text")


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(TEXT, TEXT, TEXT, TEXT), min_size=1, max_size=10), IDS, IDS, st.integers(1, 2**31),
       st.sampled_from(["text", "event"]))
def test_news_matches_wechatpy(articles, openid, account, now, msg_type):
    message = _message(openid, account, msg_type)
    reply = News(Article(title=t, url=u, description=d, image=i) for t, d, i, u in articles)
    rendered = render(reply, message, now=now)
    shown = articles[:1] if msg_type == "text" else articles[:8]      # WeChat's limits per trigger
    expected = wx.ArticlesReply(articles=[{"title": _cdata_safe(t), "description": _cdata_safe(d),
                                           "image": _cdata_safe(i), "url": _cdata_safe(u)} for t, d, i, u in shown],
                                source=account, target=openid, time=now).render()
    assert (rendered.body, rendered.reply_type) == (expected, "news")
