"""The privacy notice tells followers what is kept and for how long, in figures the code keeps."""
from __future__ import annotations


from config import Settings



def test_privacy_notice_states_the_retention_the_code_enforces(make_follower, settings):
    defaults = {name: info.default for name, info in Settings.model_fields.items()}
    assert defaults["unmatched_retention_days"] == 30 and defaults["leads_retention_days"] == 730
    assert defaults["session_ttl"] == 1800
    zh = make_follower().send("隐私").content
    en = make_follower().send("privacy").content
    assert "30 分钟" in zh and "最多 30 天" in zh and "最多保存 730 天（约 24 个月）" in zh and "删除我的数据" in zh
    assert "30 minutes" in en and "at most 30 days" in en and "at most 730 days (about 24 months)" in en
    assert "delete my data" in en
    assert len(zh.encode()) <= 2048 and len(en.encode()) <= 2048      # one text reply, no "MORE"


def test_the_privacy_message_follows_the_settings_not_a_figure_in_the_text(make_settings, redis):
    """An operator who keeps leads a year and samples two weeks: the privacy reply says so, in both languages."""
    from app import create_app
    from devtools.simulator import FlaskTransport, Follower

    settings = make_settings(leads_retention_days=365, unmatched_retention_days=14, session_ttl=3600)
    client = create_app(settings, redis=redis).test_client()
    zh = Follower(FlaskTransport(client), settings.wechat_token, openid="o_pv_zh", mode="plain").send("隐私").content
    en = Follower(FlaskTransport(client), settings.wechat_token, openid="o_pv_en", mode="plain").send("privacy").content
    assert "60 分钟" in zh and "最多 14 天" in zh and "最多保存 365 天（约 12 个月）" in zh and "24 个月" not in zh
    assert "60 minutes" in en and "at most 14 days" in en and "at most 365 days (about 12 months)" in en
    assert "{" not in zh + en


def test_the_lead_form_notice_states_the_retention_setting(make_follower):
    # LEADS_RETENTION_DAYS = 730 by default; the form's privacy notice fills it in from settings.
    assert "730 天（约 24 个月）" in make_follower().send("咨询").content
    assert "730 days (about 24 months)" in make_follower().send("contact").content


def test_help_points_to_the_privacy_notice(make_follower):
    assert "隐私" in make_follower().send("帮助").content
