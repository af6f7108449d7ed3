"""Check a whole content tree at once: every error and warning with file:line and a hint.

Usage::

    report = check_bundle(read_dir("content"), needs)   # needs: what the account's code asks of content
    for issue in report.issues: print(issue)        # rules.yaml:12: error: ... / hint: ...
    report.ok                                      # False when any error: never published, never served

Every file is checked here once: articles, rules, menu, messages and scenes in this module, flows in
``flow_checks`` and templates in ``template_checks``; their shape comes from the schemas in ``models``.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from library.bundle import Bundle
from library.display_limits import check_display_limits
from library.flow_checks import check_flows
from library.issues import Issue
from library.loader import MENU_FILE, MESSAGES_FILE, RULES_FILE, SYNONYMS_FILE, Tree, parse_bundle
from library.matcher import exact_form, normalize
from library.models import FLOW_NAME, Button, ReplySpec
from library.needs import NO_NEEDS, ContentNeeds
from library.placeholders import check_placeholders
from library.regex_safety import backtracking_risk
from library.review_terms import check_review_terms
from library.template_checks import check_templates
from wechat.limits import (MENU_KEY_BYTES, MENU_SUB_BUTTONS, MENU_SUB_NAME_BYTES, MENU_TOP_BUTTONS,
                           MENU_TOP_NAME_BYTES, MENU_URL_BYTES, NEWS_ARTICLES_OTHER, QR_SCENE_CHARS, TEXT_BYTES)

MENU_KEY = re.compile(r"^MENU_[A-Z0-9_]+$")      # our naming convention, not WeChat's rule
# Hard limits (errors), from the MP editor's 64-character title and 120-character summary. What a phone
# shows is far less: library/display_limits.py warns above that.
TITLE_MAX = {"en": 64, "zh": 32}
SUMMARY_MAX = {"en": 120, "zh": 60}


@dataclass
class Report:
    tree: Tree
    issues: list[Issue]

    @property
    def errors(self) -> list[Issue]:
        return [i for i in self.issues if i.is_error]

    @property
    def warnings(self) -> list[Issue]:
        return [i for i in self.issues if not i.is_error]

    @property
    def ok(self) -> bool:
        return not self.errors


def check_bundle(bundle: Bundle, needs: ContentNeeds = NO_NEEDS) -> Report:
    """Check every file of ``bundle``; ``needs`` (from the account) adds what the running code asks for by name."""
    tree = parse_bundle(bundle)
    _Checker(tree, needs).run()
    check_flows(tree, needs)
    check_templates(tree, needs)
    issues = sorted(set(tree.issues), key=lambda i: (i.file, i.line, i.severity, i.message))
    return Report(tree, issues)


def _nbytes(text: str) -> int:
    return len(text.encode("utf-8"))


class _Checker:
    def __init__(self, tree: Tree, needs: ContentNeeds):
        self.tree = tree
        self.needs = needs
        self.reached: set[str] = set()

    def run(self) -> None:
        self.check_articles()
        self.check_messages()
        self.check_rules()
        self.check_menu()
        self.check_scenes()
        self.check_dead_articles()
        self.check_synonyms()
        check_display_limits(self.tree)
        check_review_terms(self.tree)

    # -- replies (shared by rules, menu and scenes) ----------------------------------------------
    def check_reply(self, spec: ReplySpec, file: str, path: tuple[Any, ...], *, in_random: bool = False) -> None:
        line = self.tree.line(file, path)
        if spec.article is not None:
            self.check_article_ref(spec.article, file, self.tree.line(file, path + ("article",)))
        if spec.articles is not None:
            if len(spec.articles) > NEWS_ARTICLES_OTHER:
                self.tree.error(file, self.tree.line(file, path + ("articles",)), "reply.too_many_articles",
                                count=len(spec.articles), limit=NEWS_ARTICLES_OTHER)
            for k, article_id in enumerate(spec.articles):
                self.check_article_ref(article_id, file, self.tree.line(file, path + ("articles", k)))
        if spec.text is not None:
            for lang in ("zh", "en"):
                self.check_text(spec.text.get(lang), file, self.tree.line(file, path + ("text", lang)))
        if (spec.message is not None and spec.message not in self.tree.messages
                and not self.message_reported(spec.message)):
            known = sorted(self.tree.messages)[:8]
            self.tree.error(file, line, "reply.unknown_message" if known else "reply.unknown_message_none",
                            name=spec.message, file=MESSAGES_FILE, known=", ".join(known))
        if spec.flow is not None:
            if in_random:
                self.tree.error(file, line, "reply.flow_in_random")
            self.check_flow_ref(spec.flow, file, self.tree.line(file, path + ("flow",)))
        for k, option in enumerate(spec.random or ()):
            self.check_reply(option, file, path + ("random", k), in_random=True)

    def check_routed(self, item: Any, file: str, path: tuple[Any, ...]) -> None:
        if item.flow is not None:
            self.check_flow_ref(item.flow, file, self.tree.line(file, path + ("flow",)))
        if item.reply is not None:
            self.check_reply(item.reply, file, path + ("reply",))
        if item.flow is not None and item.reply is not None:
            self.tree.error(file, self.tree.line(file, path), "reply.both_reply_and_flow")

    def message_reported(self, name: str) -> bool:
        """True when ``name`` fails because messages.yaml (or that message in it) is broken: said there already."""
        return MESSAGES_FILE not in self.tree.docs or name in (self.tree.data.get(MESSAGES_FILE) or {})

    def article_file_exists(self, article_id: str, lang: str | None = None) -> bool:
        """Whether a file for ``article_id`` exists, valid or not (an invalid one has its own error)."""
        langs = (lang,) if lang else ("en", "zh")
        return any(f"articles/{one}/{article_id}.md" in self.tree.bundle for one in langs)

    def check_article_ref(self, article_id: str, file: str, line: int) -> None:
        self.reached.add(article_id)
        if article_id not in self.tree.articles and not self.article_file_exists(article_id):
            close = [a for a in self.tree.articles if article_id.split("-")[0] in a][:3]
            self.tree.error(file, line, "reply.unknown_article" if close else "reply.unknown_article_none",
                            id=article_id, close=", ".join(close))

    def check_flow_ref(self, name: str, file: str, line: int) -> None:
        if name in self.tree.flow_files and name not in self.tree.flows:
            return          # the flow file has errors of its own: reported there, once
        if name not in self.tree.flows:
            self.tree.error(file, line, "reply.unknown_flow", name=name)
        elif not FLOW_NAME.match(name):
            self.tree.error(file, line, "reply.bad_flow_name", name=name)

    def check_text(self, text: str, file: str, line: int) -> None:
        size = _nbytes(text)
        if size > TEXT_BYTES:
            self.tree.error(file, line, "text.too_long", size=size, limit=TEXT_BYTES)

    # -- articles ------------------------------------------------------------------------------
    def check_articles(self) -> None:
        owners: dict[str, tuple[str, str, int]] = {}
        for article_id, variants in sorted(self.tree.articles.items()):
            for lang, other in (("en", "zh"), ("zh", "en")):
                if lang in variants and other not in variants and not self.article_file_exists(article_id, other):
                    self.tree.error(variants[lang].file, 1, "article.missing_language", other=other, id=article_id)
            for lang, art in sorted(variants.items()):
                front, doc = art.front, art.doc
                if len(front.title) > TITLE_MAX[lang]:
                    self.tree.error(art.file, doc.line(("title",)), "article.title_too_long",
                                    length=len(front.title), limit=TITLE_MAX[lang], lang=lang)
                if len(front.summary) > SUMMARY_MAX[lang]:
                    self.tree.error(art.file, doc.line(("summary",)), "article.summary_too_long",
                                    length=len(front.summary), limit=SUMMARY_MAX[lang], lang=lang)
                if not 4 <= len(front.keywords) <= 10:
                    self.tree.warn(art.file, doc.line(("keywords",)), "article.keyword_count",
                                   count=len(front.keywords))
                for k, keyword in enumerate(front.keywords):
                    key = exact_form(keyword)
                    owner = owners.get(key)
                    if owner and owner[0] != article_id:
                        self.tree.error(art.file, doc.line(("keywords", k)), "article.keyword_taken",
                                        keyword=keyword, other=owner[0], other_file=owner[1], other_line=owner[2])
                    else:
                        owners.setdefault(key, (article_id, art.file, doc.line(("keywords", k))))
            if "en" in variants and "zh" in variants:
                en, zh = variants["en"].front, variants["zh"].front
                for name in ("image", "tags", "date", "keywords"):
                    if getattr(en, name) != getattr(zh, name):
                        self.tree.warn(variants["zh"].file, variants["zh"].doc.line((name,)),
                                       "article.variants_differ", field=name, id=article_id)

    # -- messages ------------------------------------------------------------------------------
    def check_messages(self) -> None:
        if MESSAGES_FILE not in self.tree.docs:
            return
        for name in self.needs.messages:
            if name not in self.tree.messages and name not in (self.tree.data.get(MESSAGES_FILE) or {}):
                self.tree.error(MESSAGES_FILE, 1, "messages.missing", name=name)
        # Unless the account declared its messages, what the code fills in is unknown: check the braces only.
        account_known = bool(self.needs.messages)
        for name, variants in self.tree.messages.items():
            fills = self.needs.placeholders.get(name, frozenset())
            for lang in ("zh", "en"):
                text = variants.get(lang)
                line = self.tree.line(MESSAGES_FILE, (name, lang))
                self.check_text(text, MESSAGES_FILE, line)
                check_placeholders(self.tree, MESSAGES_FILE, line, f"message {name!r}", text,
                                   allowed=fills if account_known else None, expected=fills)

    # -- rules ---------------------------------------------------------------------------------
    def check_rules(self) -> None:
        if self.tree.rules is None:
            return
        seen: dict[tuple[str, str], tuple[str, int]] = {}
        names: dict[str, int] = {}
        for i, rule in self.tree.rules:
            path = ("rules", i)
            line = self.tree.line(RULES_FILE, path)
            if rule.name in names:
                self.tree.error(RULES_FILE, self.tree.line(RULES_FILE, path + ("name",)), "rule.duplicate_name",
                                name=rule.name, other_line=names[rule.name])
            names.setdefault(rule.name, line)
            for k, (kind, keyword) in enumerate(rule.keyword_items()):
                kline = self.tree.line(RULES_FILE, path + ("keywords", k))
                key = (kind, exact_form(keyword) if kind in ("exact", "command") else normalize(keyword) if kind == "contains"
                       else keyword)
                if not key[1]:
                    self.tree.error(RULES_FILE, kline, "rule.empty_keyword")
                    continue
                if key in seen:
                    other_rule, other_line = seen[key]
                    self.tree.error(RULES_FILE, kline, "rule.duplicate_keyword", keyword=keyword, kind=kind,
                                    other=other_rule, other_line=other_line)
                else:
                    seen[key] = (rule.name, kline)
                if kind == "regex":
                    self.check_regex(keyword, kline)
            self.check_routed(rule, RULES_FILE, path)

    def check_regex(self, pattern: str, line: int) -> None:
        try:
            risk = backtracking_risk(pattern)
            re.compile(pattern)
        except re.error as exc:
            self.tree.error(RULES_FILE, line, "rule.regex_invalid", pattern=pattern, problem=str(exc))
            return
        if risk:
            self.tree.error(RULES_FILE, line, "rule.regex_backtracking", pattern=pattern, problem=risk)

    # -- menu ----------------------------------------------------------------------------------
    def check_menu(self) -> None:
        if self.tree.menu is None:
            return
        f = MENU_FILE
        if self.tree.menu_size > MENU_TOP_BUTTONS:
            self.tree.error(f, self.tree.line(f, ("buttons", MENU_TOP_BUTTONS)), "menu.too_many_buttons",
                            count=self.tree.menu_size, limit=MENU_TOP_BUTTONS)
        keys: dict[str, int] = {}
        for i, button in self.tree.menu:
            path = ("buttons", i)
            self.check_button_name(button, path, MENU_TOP_NAME_BYTES)
            if button.sub_buttons:
                if len(button.sub_buttons) > MENU_SUB_BUTTONS:
                    self.tree.error(f, self.tree.line(f, path + ("sub_buttons", MENU_SUB_BUTTONS)),
                                    "menu.too_many_sub_buttons", count=len(button.sub_buttons), limit=MENU_SUB_BUTTONS)
                for field_name in ("type", "key", "url", "reply", "flow"):
                    if getattr(button, field_name) is not None:
                        self.tree.error(f, self.tree.line(f, path + (field_name,)), "menu.group_with_action",
                                        field=field_name)
                for j, sub in enumerate(button.sub_buttons):
                    if sub.sub_buttons:
                        self.tree.error(f, self.tree.line(f, path + ("sub_buttons", j, "sub_buttons")),
                                        "menu.nested_sub_buttons")
                    self.check_button_name(sub, path + ("sub_buttons", j), MENU_SUB_NAME_BYTES)
                    self.check_leaf(sub, path + ("sub_buttons", j), keys)
            else:
                self.check_leaf(button, path, keys)

    def check_button_name(self, button: Button, path: tuple[Any, ...], limit: int) -> None:
        for lang in ("zh", "en"):
            name = button.name.get(lang)
            if _nbytes(name) > limit:
                self.tree.error(MENU_FILE, self.tree.line(MENU_FILE, path + ("name", lang)), "menu.name_too_long",
                                name=name, size=_nbytes(name), limit=limit)

    def check_leaf(self, button: Button, path: tuple[Any, ...], keys: dict[str, int]) -> None:
        f = MENU_FILE
        line = self.tree.line(f, path)
        if button.type is None:
            self.tree.error(f, line, "menu.no_type")
            return
        if button.type == "view" or button.type == "miniprogram":
            if not button.url:
                self.tree.error(f, line, "menu.needs_url", type=button.type)
            elif not button.url.startswith(("https://", "http://")) or _nbytes(button.url) > MENU_URL_BYTES:
                self.tree.error(f, self.tree.line(f, path + ("url",)), "menu.bad_url", limit=MENU_URL_BYTES)
        if button.type == "miniprogram" and not (button.appid and button.pagepath):
            self.tree.error(f, line, "menu.miniprogram_fields")
        if button.type in ("view", "miniprogram"):
            if button.action is not None:
                self.tree.warn(f, line, "menu.page_reply_unused", type=button.type)
            return
        if button.type in ("media_id", "view_limited") and not button.media_id:
            self.tree.error(f, line, "menu.needs_media_id", type=button.type)
            return
        if button.type in ("article_id", "article_view_limited") and not button.article_id:
            self.tree.error(f, line, "menu.needs_article_id", type=button.type)
            return
        if button.key is None:
            if button.type not in ("media_id", "view_limited", "article_id", "article_view_limited"):
                self.tree.error(f, line, "menu.needs_key", type=button.type)
            return
        kline = self.tree.line(f, path + ("key",))
        if _nbytes(button.key) > MENU_KEY_BYTES:
            self.tree.error(f, kline, "menu.key_too_long", size=_nbytes(button.key), limit=MENU_KEY_BYTES)
        if not MENU_KEY.match(button.key):
            self.tree.warn(f, kline, "menu.key_style", key=button.key)
        if button.key in keys:
            self.tree.error(f, kline, "menu.duplicate_key", key=button.key, other_line=keys[button.key])
        keys.setdefault(button.key, kline)
        if button.type == "click" and button.action is None:
            self.tree.error(f, line, "menu.click_without_reply", key=button.key)
        self.check_routed(button, f, path)

    # -- scenes and reachability -----------------------------------------------------------------
    def check_scenes(self) -> None:
        for name, scene in self.tree.scenes.items():
            path = ("scenes", name)
            if not 1 <= len(str(name)) <= QR_SCENE_CHARS:
                self.tree.error(MESSAGES_FILE, self.tree.line(MESSAGES_FILE, path), "scene.name_too_long",
                                name=name, limit=QR_SCENE_CHARS)
            if scene.welcome is not None:
                for lang in ("zh", "en"):
                    self.check_text(scene.welcome.get(lang), MESSAGES_FILE,
                                    self.tree.line(MESSAGES_FILE, path + ("welcome", lang)))
            self.check_routed(scene, MESSAGES_FILE, path)

    # -- synonyms -------------------------------------------------------------------------------
    def check_synonyms(self) -> None:
        """A variant may belong to one entry only: search could not tell which thing the follower meant."""
        spec = self.tree.synonyms
        if spec is None:
            return
        seen: dict[str, tuple[str, int]] = {}
        ids: dict[str, int] = {}
        for group in ("platforms", "terms"):
            for i, entry in enumerate(getattr(spec, group)):
                path = (group, i)
                line = self.tree.line(SYNONYMS_FILE, path + ("id",))
                if entry.id in ids:
                    self.tree.error(SYNONYMS_FILE, line, "synonym.duplicate_id", id=entry.id, other_line=ids[entry.id])
                ids.setdefault(entry.id, line)
                for k, variant in enumerate((entry.id, *entry.variants)):
                    key = normalize(variant)
                    vline = line if k == 0 else self.tree.line(SYNONYMS_FILE, path + ("variants", k - 1))
                    owner = seen.get(key)
                    if owner is not None and owner[0] != entry.id:
                        self.tree.error(SYNONYMS_FILE, vline, "synonym.duplicate_variant", variant=variant,
                                        other=owner[0], other_line=owner[1])
                    seen.setdefault(key, (entry.id, vline))

    def check_dead_articles(self) -> None:
        for article_id, variants in sorted(self.tree.articles.items()):
            has_keywords = any(v.front.keywords for v in variants.values())
            if article_id not in self.reached and not has_keywords:
                art = next(iter(variants.values()))
                self.tree.warn(art.file, 1, "article.unreached", id=article_id)

