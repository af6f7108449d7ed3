"""The privacy notice tells followers what is kept and for how long, in figures the code keeps."""
from __future__ import annotations

from pathlib import Path

from config import Settings

LEAD_FLOW = Path(__file__).resolve().parents[1] / "content" / "flows" / "lead.yaml"


def test_privacy_notice_states_the_retention_the_code_enforces(make_follower, settings):
    defaults = {name: info.default for name, info in Settings.model_fields.items()}
    assert defaults["unmatched_retention_days"] == 30 and defaults["leads_retention_days"] == 730
    assert defaults["session_ttl"] == 1800
    zh = make_follower().send("隐私").content
    en = make_follower().send("privacy").content
    assert "30 分钟" in zh and "最多 30 天" in zh and "最多保存 24 个月" in zh and "删除我的数据" in zh
    assert "30 minutes" in en and "at most 30 days" in en and "at most 24 months" in en and "delete my data" in en
    assert len(zh.encode()) <= 2048 and len(en.encode()) <= 2048      # one text reply, no "MORE"


def test_the_consent_text_promises_the_same_lead_retention():
    import yaml

    with open(LEAD_FLOW, encoding="utf-8") as fh:
        consent = yaml.safe_load(fh)["consent"]["text"]
    assert "24 个月" in consent["zh"] and "24 months" in consent["en"]     # LEADS_RETENTION_DAYS = 730


def test_help_points_to_the_privacy_notice(make_follower):
    assert "隐私" in make_follower().send("帮助").content
