"""The privacy notice tells followers what is kept and for how long, in figures the code keeps."""
from __future__ import annotations


from config import Settings



def test_privacy_notice_states_the_retention_the_code_enforces(make_follower, settings):
    defaults = {name: info.default for name, info in Settings.model_fields.items()}
    assert defaults["unmatched_retention_days"] == 30 and defaults["leads_retention_days"] == 730
    assert defaults["session_ttl"] == 1800
    zh = make_follower().send("隐私").content
    en = make_follower().send("privacy").content
    assert "30 分钟" in zh and "最多 30 天" in zh and "最多保存 24 个月" in zh and "删除我的数据" in zh
    assert "30 minutes" in en and "at most 30 days" in en and "at most 24 months" in en and "delete my data" in en
    assert len(zh.encode()) <= 2048 and len(en.encode()) <= 2048      # one text reply, no "MORE"


def test_the_lead_form_notice_states_the_retention_setting(make_follower):
    # LEADS_RETENTION_DAYS = 730 by default; the form's privacy notice fills it in from settings.
    assert "730 天（约 24 个月）" in make_follower().send("咨询").content
    assert "730 days (about 24 months)" in make_follower().send("contact").content


def test_help_points_to_the_privacy_notice(make_follower):
    assert "隐私" in make_follower().send("帮助").content
