"""One checked, immutable content version, compiled for serving: messages, articles, keyword matcher, search.

Usage::

    content = compile_bundle(read_dir("content"), version=3)   # raises ContentInvalid on any error
    content.message("fallback", "en", topics=content.topics("en"))
    content.match("KOL")            # -> Hit | None   (exact, regex, contains)
    content.intent("KOL合作")        # -> Intent(hit=kol rule, offer_form=True)
    content.click("MENU_KOL")       # -> ReplySpec | None
    content.search("微博还有用吗", "zh")
    content.flow("lead")            # -> FlowWording | None, built once per version
    content.templates["lead_sales_alert"].fields_for("zh")
"""
from __future__ import annotations

import functools
import threading
from dataclasses import dataclass, field
from typing import Any

from library.bundle import Bundle, checksum
from library.checker import check_bundle
from library.intent import Intent, read_intent
from library.issues import ContentInvalid
from library.loader import MENU_FILE, Tree
from library.matcher import Hit, Matcher, Target
from library.models import Button, FlowConsent, FlowFile, Localized, ReplySpec, Rule, Scene, TemplateSpec
from library.needs import NO_NEEDS, ContentNeeds
from library.search import Doc, Found, Scored, SearchIndex, add_words, confident, tokenize
from library.vocabulary import Rewritten, Vocabulary
from wechat.flow_wording import FlowWording, StepWording
from wechat.language import DEFAULT_LANGUAGE, LANGUAGES, detect
from wechat.validators import Choice

TOPICS_SHOWN = 6
# Followers ask the same questions again and again; a version's index never changes, so neither do its answers.
SEARCH_CACHE_SIZE = 4096
# A named platform (synonyms.yaml) counts this many times a generic word in a search.
PLATFORM_BOOST = 3.0
RELATED_MIN_SCORE = 0.05      # below this an article is not "close" enough to offer when a platform is missing
_TOPIC_SEPARATOR = {"zh": "、", "en": ", "}


class _Blank(dict):
    def __missing__(self, key: str) -> str:  # a placeholder the caller did not fill stays visible, never crashes
        return "{" + key + "}"


@dataclass(frozen=True)
class ArticleDoc:
    """One language version of an article, as the bot sends it."""

    id: str
    lang: str
    title: str
    summary: str
    url: str
    image: str
    tags: tuple[str, ...]
    keywords: tuple[str, ...]
    date: str
    body: str


@dataclass(eq=False)
class Content:
    """Everything the bot says in one version. ``messages`` stays a plain dict (tests patch it)."""

    version: int
    messages: dict[str, dict[str, str]] = field(default_factory=dict)
    articles: dict[str, dict[str, ArticleDoc]] = field(default_factory=dict)
    clicks: dict[str, ReplySpec] = field(default_factory=dict)
    scenes: dict[str, Scene] = field(default_factory=dict)
    flows: dict[str, FlowWording] = field(default_factory=dict)
    consents: dict[str, FlowConsent] = field(default_factory=dict)          # flow name -> its consent section
    templates: dict[str, TemplateSpec] = field(default_factory=dict)
    button_names: dict[str, dict[str, str]] = field(default_factory=dict)    # click key -> name per language
    rule_labels: dict[str, dict[str, str]] = field(default_factory=dict)     # rule name -> label per language
    data: dict[str, Any] = field(default_factory=dict)       # every YAML file parsed, by path (e.g. "menu.yaml")
    bundle: Bundle = field(default_factory=dict)
    matcher: Matcher = field(default_factory=lambda: Matcher([]))
    vocabulary: Vocabulary = field(default_factory=Vocabulary)
    article_platforms: dict[str, frozenset[str]] = field(default_factory=dict)   # platforms each article is about
    topic_names: dict[str, list[str]] = field(default_factory=dict)
    checksum: str = ""
    _indexes: dict[str, SearchIndex] = field(default_factory=dict, repr=False)
    _search_cache: dict[tuple[str, str, int], tuple[Scored, ...]] = field(default_factory=dict, repr=False)
    _answer_cache: dict[tuple[str, str], Any] = field(default_factory=dict, repr=False)   # intents and finds
    _index_lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def message(self, name: str, lang: str, **fmt: Any) -> str:
        variants = self.messages.get(name) or {}
        text = variants.get(lang) or variants.get(DEFAULT_LANGUAGE) or next(iter(variants.values()), "")
        return text.format_map(_Blank(fmt)) if fmt else text

    def topics(self, lang: str) -> str:
        """Topics to suggest when nothing matched: the ``topics`` message if set, else the menu's click buttons."""
        if "topics" in self.messages:
            return self.message("topics", lang)
        names = self.topic_names.get(lang) or self.topic_names.get(DEFAULT_LANGUAGE) or []
        return _TOPIC_SEPARATOR.get(lang, ", ").join(names)

    def article(self, article_id: str, lang: str) -> ArticleDoc | None:
        variants = self.articles.get(article_id) or {}
        return variants.get(lang) or variants.get(DEFAULT_LANGUAGE) or next(iter(variants.values()), None)

    def match(self, text: str) -> Hit | None:
        return self.matcher.match(text)

    def intent(self, text: str) -> Intent:
        """Topic, lead form, or both (``library.intent``); remembered per version like search results."""
        return self._remember(("intent", text),
                              lambda: read_intent(self.matcher, text, self.rewrite, self.article_platforms))

    def _remember(self, key: tuple[str, str], compute: Any) -> Any:
        value = self._answer_cache.get(key)
        if value is None:
            value = compute()
            if SEARCH_CACHE_SIZE:
                if len(self._answer_cache) >= SEARCH_CACHE_SIZE:
                    self._answer_cache.clear()
                self._answer_cache[key] = value
        return value

    def click(self, key: str) -> ReplySpec | None:
        return self.clicks.get(key)

    def scene(self, name: str) -> Scene | None:
        return self.scenes.get(name)

    def source_name(self, kind: str, key: str, lang: str) -> str | None:
        """What a follower tapped or typed to start a flow, as people read it: the menu button's name or the
        keyword rule's label, in ``lang``; None when this version has no such button or rule."""
        names = (self.button_names.get(key.removeprefix("menu:")) if kind == "menu" or key.startswith("menu:")
                 else self.rule_labels.get(key) if kind == "keyword" else None)
        return (names.get(lang) or names.get(DEFAULT_LANGUAGE)) if names else None

    def flow(self, name: str) -> FlowWording | None:
        """What flow ``name`` says in this version (checked and built once), for the flow engine."""
        return self.flows.get(name)

    def consent(self, name: str) -> FlowConsent | None:
        """Flow ``name``'s consent section: version, text, controller and privacy policy link."""
        return self.consents.get(name)

    def search(self, query: str, lang: str, limit: int = 5) -> list[Scored]:
        """Articles ranked for ``query`` in ``lang``'s index, best first (remembered per version)."""
        key = (lang, query, limit)
        cached = self._search_cache.get(key)
        if cached is None:
            cached = tuple(self.index(lang).search(self.rewrite(query).text, limit))
            if SEARCH_CACHE_SIZE:
                if len(self._search_cache) >= SEARCH_CACHE_SIZE:
                    self._search_cache.clear()        # crude but bounded; popular questions come back at once
                self._search_cache[key] = cached
        return list(cached)

    def find(self, query: str, lang: str) -> Found:
        """What to answer ``query`` with: confident articles, or, when it names a platform no article is about
        (and the best match does not even mention it), that platform and the closest articles instead."""
        return self._remember((lang, query), lambda: self._find(query, lang))

    def rewrite(self, text: str) -> Rewritten:
        """``text`` with synonyms read as their ids (``library.vocabulary``), remembered per version."""
        return self._remember(("rewrite", text), lambda: self.vocabulary.rewrite(text))

    def _find(self, query: str, lang: str) -> Found:
        results = self.search(query, lang)
        named = self.rewrite(query).platforms
        if not named:
            return Found(tuple(confident(results)))
        index = self.index(lang)
        terms = {platform: _term(platform) for platform in named}
        # Never answer about another platform: the article must at least mention one the follower named.
        mentioned = frozenset().union(*(index.mentions(term) for term in terms.values()))
        answer = confident([r for r in results if r.id in mentioned])
        first = answer[0] if answer else None
        on_named = first is not None and any(first in index.about(term) for term in terms.values())
        # A platform no article is about is "missing" unless the answer, about another platform named in the
        # same question, discusses it too ("Taobao links in WeChat chats" -> the WeChat links article).
        missing = tuple(p for p in named if not index.about(terms[p]) and not (on_named and first in
                                                                               index.mentions(terms[p])))
        if missing:
            return Found((), missing, tuple(r.id for r in results if r.score >= RELATED_MIN_SCORE)[:3])
        return Found(tuple(answer))

    def platform_names(self, platforms: tuple[str, ...], lang: str) -> str:
        """``("xiaohongshu", "zhihu")`` as followers read them: 小红书、知乎 / Xiaohongshu (RED), Zhihu."""
        return _TOPIC_SEPARATOR.get(lang, ", ").join(self.vocabulary.platform_name(p, lang) for p in platforms)

    def index(self, lang: str) -> SearchIndex:
        """The search index for ``lang``, built once per version on first use."""
        index = self._indexes.get(lang)
        if index is None:
            with self._index_lock:
                index = self._indexes.get(lang)
                if index is None:
                    index = self._indexes[lang] = _build_index(self, lang)
        return index


@functools.lru_cache(maxsize=256)
def _term(word: str) -> str:
    """A synonym id as search stores it (stemmed like any English word)."""
    terms = tokenize(f" {word} ")
    return terms[0] if terms else word


def _build_index(content: Content, lang: str) -> SearchIndex:
    docs, boost = index_documents(content, lang)
    return SearchIndex(docs, boost=boost)


def index_documents(content: Content, lang: str) -> tuple[list[Doc], dict[str, float]]:
    """The documents ``lang``'s index reads (fields with synonyms rewritten) and its term boosts."""
    add_words(kw for variants in content.articles.values() for a in variants.values() for kw in a.keywords)
    rewrite = content.vocabulary.rewrite      # articles read variants as their synonym ids, like questions do
    docs = []
    for article_id in sorted(content.articles):
        art = content.article(article_id, lang)
        if art is None:
            continue
        fields = {"title": art.title, "summary": art.summary, "keywords": " ; ".join(art.keywords),
                  "tags": " ".join(t.replace("-", " ") for t in art.tags), "body": art.body}
        docs.append(Doc(article_id, {name: rewrite(text).text for name, text in fields.items()}))
    return docs, {_term(platform): PLATFORM_BOOST for platform in content.vocabulary.platforms}


def compile_bundle(bundle: Bundle, version: int, needs: ContentNeeds = NO_NEEDS) -> Content:
    """Check ``bundle`` (against the account's ``needs``) and build its ``Content``; raise ``ContentInvalid``
    listing every error."""
    report = check_bundle(bundle, needs)
    if not report.ok:
        raise ContentInvalid(report.issues)
    return build_content(report.tree, version)


def build_content(tree: Tree, version: int) -> Content:
    articles = {
        article_id: {lang: ArticleDoc(art.front.id, lang, art.front.title, art.front.summary, art.front.url,
                                      art.front.image, tuple(art.front.tags), tuple(art.front.keywords),
                                      art.front.date.isoformat(), art.body)
                     for lang, art in variants.items()}
        for article_id, variants in tree.articles.items()
    }
    clicks: dict[str, ReplySpec] = {}
    topic_names: dict[str, list[str]] = {lang: [] for lang in LANGUAGES}
    targets: list[Target] = []
    order = 0
    for _, rule in tree.rules or ():
        for kind, keyword in rule.keyword_items():
            targets.append(Target(rule.name, rule.action, kind, keyword, tier=0, priority=rule.priority, order=order))
            order += 1
    button_names: dict[str, dict[str, str]] = {}
    for button in _leaves([b for _, b in tree.menu or ()]):
        if button.key:
            button_names[button.key] = button.name.model_dump()
        if button.type == "click" and button.key and button.action is not None:
            clicks[button.key] = button.action
            for lang in LANGUAGES:
                name = button.name.get(lang)
                targets.append(Target(f"menu:{button.key}", button.action, "exact", name, tier=1, order=order))
                order += 1
                if button.action.flow is None:
                    topic_names[lang].append(name)
    for article_id in sorted(articles):
        keywords = {kw for variant in articles[article_id].values() for kw in variant.keywords}
        for keyword in sorted(keywords):
            targets.append(Target(f"article:{article_id}", ReplySpec(article=article_id), "exact", keyword,
                                  tier=2, order=order))
            order += 1
    vocabulary = Vocabulary.build(tree.synonyms)
    return Content(
        version=version,
        messages={name: {"zh": loc.zh, "en": loc.en} for name, loc in tree.messages.items()
                  if isinstance(loc, Localized)},
        articles=articles,
        clicks=clicks,
        scenes=dict(tree.scenes),
        flows={name: flow_wording(name, spec) for name, spec in tree.flows.items()},
        consents={name: spec.consent for name, spec in tree.flows.items() if spec.consent is not None},
        templates=dict(tree.templates),
        button_names=button_names,
        rule_labels={rule.name: _rule_label(rule) for _, rule in tree.rules or ()},
        data=dict(tree.data),
        bundle=dict(tree.bundle),
        matcher=Matcher(targets),
        vocabulary=vocabulary,
        article_platforms=_article_platforms(articles, vocabulary),
        topic_names={lang: names[:TOPICS_SHOWN] for lang, names in topic_names.items()},
        checksum=checksum(tree.bundle),
    )


def _article_platforms(articles: dict[str, dict[str, ArticleDoc]], vocabulary: Vocabulary) -> dict[str, frozenset[str]]:
    """The platforms each article is about: named in its title, summary, tags or keywords, in either language."""
    out = {}
    for article_id, variants in articles.items():
        text = " ; ".join(f"{a.title} ; {a.summary} ; {' ; '.join(a.tags)} ; {' ; '.join(a.keywords)}"
                          for a in variants.values())
        out[article_id] = frozenset(vocabulary.rewrite(text).platforms)
    return out


def _rule_label(rule: Rule) -> dict[str, str]:
    """The rule's ``label``, else its first keyword written in each language (e.g. 合作 / contact)."""
    if rule.label is not None:
        return rule.label.model_dump()
    words = [keyword for _, keyword in rule.keyword_items() if rule.match != "regex"]
    by_language = {lang: next((w for w in words if detect(w) == lang), "") for lang in LANGUAGES}
    fallback = words[0] if words else rule.name
    return {lang: by_language[lang] or fallback for lang in LANGUAGES}


def flow_wording(name: str, spec: FlowFile) -> FlowWording:
    """The engine's view of a checked flow file."""
    steps = [StepWording(step_name, (step.label or Localized(zh=step_name, en=step_name)).model_dump(),
                         step.ask.model_dump(), step.invalid.model_dump(),
                         tuple(Choice(c.id, c.labels, tuple(c.aliases)) for c in step.choices))
             for step_name, step in spec.steps.items()]
    consent = spec.consent
    return FlowWording.build(name, {key: text.model_dump() for key, text in spec.texts().items()}, steps,
                             spec.commands.model_dump(), consent.version if consent else "",
                             consent.text.model_dump() if consent else {})


def _leaves(buttons: list[Button]) -> list[Button]:
    out: list[Button] = []
    for button in buttons:
        out.extend(button.sub_buttons or [button])
    return out


def menu_data(content: Content) -> dict[str, Any]:
    """``menu.yaml`` of this version as plain data, the shape the menu publisher reads."""
    return content.data.get(MENU_FILE) or {}
