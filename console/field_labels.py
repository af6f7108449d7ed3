"""Content schema field names ("zh", "article", "random 2") as a marketer reads them, in the UI's language.

Forms generated from the schema (``library.forms``) label each input with its field name; the templates
show ``field_label(name)``. A name not listed here (a message's own name, such as ``welcome``) shows as is.
"""
from __future__ import annotations

from console.i18n import add_messages, t

_LABELS = {
    "zh": ("中文", "Chinese"),
    "en": ("英文", "English"),
    "text": ("文字", "Text"),
    "article": ("文章 ID", "Article id"),
    "articles": ("文章 ID（多篇）", "Article ids"),
    "message": ("消息名", "Message name"),
    "random": ("随机回复", "Random reply"),
    "flow": ("表单流程", "Flow"),
    "handoff": ("转人工", "Hand to a person"),
    "title": ("标题", "Title"),
    "summary": ("摘要", "Summary"),
    "url": ("链接", "Link"),
    "image": ("封面图链接", "Cover image link"),
    "keywords": ("关键词", "Keywords"),
    "tags": ("标签", "Tags"),
    "reply": ("回复", "Reply"),
    "name": ("名称", "Name"),
    "ask": ("提问", "Question"),
    "label": ("摘要里的名称", "Name in the summary"),
    "invalid": ("答案不合格式时的提示", "When the answer does not fit"),
    "choices": ("选项", "Choices"),
    "controller": ("处理者", "Controller"),
    "policy_url": ("隐私政策链接", "Privacy policy link"),
    "version": ("版本", "Version"),
    "welcome": ("欢迎语", "Welcome"),
    "start": ("开场白", "Said first"),
    "resume": ("回来继续时", "On coming back"),
    "consent": ("同意事项", "Consent"),
    "steps": ("问题", "Questions"),
}
add_messages({f"schema.{name}": words for name, words in _LABELS.items()})


def field_label(name: str) -> str:
    """``zh`` -> 中文 / Chinese; ``random 2`` -> 随机回复 2; anything unknown is returned unchanged."""
    head, _, number = name.rpartition(" ")
    if head and number.isdigit():
        return f"{field_label(head)} {number}"
    key = f"schema.{name}"
    words = t(key)
    return name if words == key else words
