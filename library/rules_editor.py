"""The keyword rules table of the console: ``rules.yaml`` read as rows and one rule written back (added,
changed, removed) in the file's own text, comments and the other rules untouched (ruamel.yaml round trip).

The rows are what a marketer edits: keywords, match kind (whole message / contains / regex), priority and the
reply (a text in both languages, an article, several articles, a named message, a flow, or ``random``: one of
several such replies picked at random). A random reply's alternatives are edited with the schema-generated
forms of ``library.forms`` (``reply_section``), which grow and shrink the list (``append_item``/``remove_item``).
The content checker judges the result, like any other edit.

Usage::

    rows = rule_rows(bundle["rules.yaml"])
    text = save_rule(bundle["rules.yaml"], RuleEdit(name="pricing", keywords=["price", "报价"], match="contains",
                                                    priority=5, reply_kind="text", text_zh="…", text_en="…"))
    text = delete_rule(text, "pricing")
    text = save_rule(text, RuleEdit(name="hi", keywords=["hi"], reply_kind="random", random_kinds=["text", "article"]))
    apply_form(reply_section(rule_index(text, "hi")), text, posted)      # the alternatives' values
"""
from __future__ import annotations

import copy
from dataclasses import dataclass, field
from typing import Any, get_args

from ruamel.yaml.comments import CommentedMap, CommentedSeq

from library.forms import Section
from library.models import MatchKind, ReplySpec
from library.yaml_edit import commented, dump, load, plain, trailing_comment_kept

MATCH_KINDS: tuple[str, ...] = get_args(MatchKind)     # exact, command, contains, regex: the schema's own list
REPLY_KINDS = ("text", "article", "articles", "message", "flow", "random")
# What one alternative of a random reply may be: the schema allows any reply, the checker refuses a flow
# there, and a random inside a random or a hand-off picked by chance make no sense to a follower.
RANDOM_KINDS = ("text", "article", "articles", "message")
_BLANK: dict[str, Any] = {"text": {"zh": "", "en": ""}, "article": "", "articles": [], "message": ""}


class RuleEditError(ValueError):
    """An edit the table cannot make (a name already used, a rule that is gone); names the field."""

    def __init__(self, field_name: str, message: str):
        self.field = field_name
        super().__init__(message)


@dataclass(frozen=True)
class RuleRow:
    index: int
    name: str
    keywords: list[str]                 # as written; a per-keyword kind shows as "kind:keyword"
    match: str
    priority: int
    reply_kind: str                     # text | article | articles | message | flow | random | ""
    reply: dict[str, Any] = field(default_factory=dict)

    @property
    def summary(self) -> str:
        """The reply in one line, for the table."""
        value = self.reply.get(self.reply_kind)
        if self.reply_kind == "text" and isinstance(value, dict):
            return str(value.get("zh") or value.get("en") or "")
        if isinstance(value, list):
            return ", ".join(str(v) for v in value) if self.reply_kind == "articles" else f"{len(value)} replies"
        return "" if value is None else str(value)


@dataclass
class RuleEdit:
    name: str
    keywords: list[str]
    match: str = "exact"
    priority: int = 0
    reply_kind: str = "text"
    text_zh: str = ""
    text_en: str = ""
    target: str = ""                    # article id, message name or flow name; articles: ids, comma separated
    random_kinds: list[str] = field(default_factory=list)   # random: the kind of each alternative, in order


def blank_reply(kind: str) -> dict[str, Any]:
    """An empty alternative of ``kind`` for a random reply: the form fills it, the checker judges it."""
    if kind not in RANDOM_KINDS:
        raise RuleEditError("random", f"an alternative is one of {', '.join(RANDOM_KINDS)}")
    return {kind: copy.deepcopy(_BLANK[kind])}


def reply_kind_of(reply: Any) -> str:
    """The kind of one reply mapping (its one key), "" when it has none of the schema's."""
    kinds = ReplySpec.model_fields
    return next((key for key in reply if key in kinds), "") if isinstance(reply, dict) else ""


def reply_section(index: int) -> Section:
    """The generated form of rule ``index``'s reply (input names ``rules.<index>.reply.random.0.text.zh``)."""
    return Section("rule_reply", "rules.yaml", ("rules", index, "reply"), ReplySpec)


def rule_index(text: str, name: str) -> int:
    for i, rule in enumerate(_load(text)["rules"] or []):
        if isinstance(rule, dict) and str(rule.get("name")) == name:
            return i
    raise RuleEditError("name", f"rule {name!r} is no longer in the draft")


def _load(text: str) -> Any:
    data = load(text)
    if not isinstance(data, dict):
        raise RuleEditError("", "rules.yaml must be a mapping with a 'rules' list")
    if data.get("rules") is None:
        data["rules"] = CommentedSeq()
    return data


def _keyword_text(item: Any) -> str:
    if isinstance(item, dict) and len(item) == 1:
        kind, word = next(iter(item.items()))
        return f"{kind}:{word}"
    return str(item)


def rule_rows(text: str) -> list[RuleRow]:
    rows = []
    for i, rule in enumerate(_load(text)["rules"] or []):
        if not isinstance(rule, dict):
            continue
        reply = dict(rule.get("reply") or {})
        if rule.get("flow"):
            reply, kind = {"flow": rule["flow"]}, "flow"
        else:
            kind = next(iter(reply), "")
        try:
            priority = int(rule.get("priority") or 0)
        except (TypeError, ValueError):
            priority = 0
        rows.append(RuleRow(i, str(rule.get("name") or ""), [_keyword_text(k) for k in rule.get("keywords") or []],
                            str(rule.get("match") or "exact"), priority, kind, plain(reply)))
    return rows


def _parse_keyword(word: str) -> Any:
    """``contains:小红书`` writes a per-keyword kind, anything else is a plain keyword."""
    kind, sep, rest = word.partition(":")
    if sep and kind in MATCH_KINDS and rest.strip():
        return {kind: rest.strip()}
    return word


def _random(edit: RuleEdit, old: Any) -> list[Any]:
    """The alternatives as ``random_kinds`` lists them: the rule's own where the kind is unchanged (comments and
    quoting kept; the form then sets their values), blank ones elsewhere; none listed: the text fields as one."""
    if not edit.random_kinds:
        return [{"text": {"zh": edit.text_zh, "en": edit.text_en}}]
    current = old.get("random") if isinstance(old, dict) and isinstance(old.get("random"), list) else []
    return [current[i] if i < len(current) and reply_kind_of(current[i]) == kind else blank_reply(kind)
            for i, kind in enumerate(edit.random_kinds)]


def reply_entry(edit: RuleEdit, old: Any = None) -> tuple[str, Any]:
    """The (key, value) a rule or menu button gets for the edited reply: ``reply`` or ``flow``."""
    if edit.reply_kind == "text":
        return "reply", {"text": {"zh": edit.text_zh, "en": edit.text_en}}
    if edit.reply_kind == "articles":
        return "reply", {"articles": [a.strip() for a in edit.target.split(",") if a.strip()]}
    if edit.reply_kind in ("article", "message"):
        return "reply", {edit.reply_kind: edit.target.strip()}
    if edit.reply_kind == "flow":
        return "flow", edit.target.strip()
    if edit.reply_kind == "random":
        alternatives = commented(_random(edit, old))
        if isinstance(old, dict) and "random" in old and len(old) == 1:
            old["random"] = alternatives            # the same mapping: a comment above "random:" stays
            return "reply", old
        return "reply", {"random": alternatives}
    raise RuleEditError("reply_kind", f"reply kind must be one of {', '.join(REPLY_KINDS)}")


def save_rule(text: str, edit: RuleEdit, original: str | None = None) -> str:
    """``text`` with rule ``original`` (None: a new rule, added first so it is easy to find) set to ``edit``."""
    data = _load(text)
    rules = data["rules"]
    name = edit.name.strip()
    if not name:
        raise RuleEditError("name", "a rule needs a name")
    if edit.match not in MATCH_KINDS:
        raise RuleEditError("match", f"match must be one of {', '.join(MATCH_KINDS)}")
    keywords = [_parse_keyword(k.strip()) for k in edit.keywords if k.strip()]
    if not keywords:
        raise RuleEditError("keywords", "list at least one keyword")
    names = [str(r.get("name")) for r in rules if isinstance(r, dict)]
    if name != original and name in names:
        raise RuleEditError("name", f"another rule is already called {name!r}")
    if original is None:
        rule = CommentedMap()
        rules.insert(0, rule)
    else:
        rule = next((r for r in rules if isinstance(r, dict) and str(r.get("name")) == original), None)
        if rule is None:
            raise RuleEditError("name", f"rule {original!r} is no longer in the draft (someone removed it?)")
    with trailing_comment_kept(rule):
        answer_key, answer = reply_entry(edit, rule.get("reply"))
        rule["name"] = name
        if plain(rule.get("keywords")) != plain(keywords):     # unchanged: keep the file's own list style
            rule["keywords"] = keywords
        if "match" in rule or edit.match != "exact":
            rule["match"] = edit.match
        if edit.priority or "priority" in rule:
            rule["priority"] = int(edit.priority)
        for key in ("reply", "flow"):
            if key in rule and key != answer_key:
                del rule[key]
        if rule.get(answer_key) is not answer:
            rule[answer_key] = commented(answer)
    return dump(data)


def delete_rule(text: str, name: str) -> str:
    data = _load(text)
    rules = data["rules"]
    for i, rule in enumerate(rules):
        if isinstance(rule, dict) and str(rule.get("name")) == name:
            del rules[i]
            return dump(data)
    raise RuleEditError("name", f"rule {name!r} is no longer in the draft")


def rule_from_question(question: str) -> RuleEdit:
    """A new rule pre-filled from an unmatched question ("make a rule from this"): the text as its keyword."""
    words = question.strip()
    slug = "".join(ch if ch.isalnum() and ch.isascii() else "-" for ch in words.lower()).strip("-")[:24]
    return RuleEdit(name=slug or "new-rule", keywords=[words], match="contains" if len(words) > 8 else "exact")
