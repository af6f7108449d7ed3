"""The shape of each content file, as pydantic models; ``extra="forbid"`` turns a misspelt key into an error.

Limits that need the whole tree (unknown targets, duplicates, WeChat's menu limits) live in ``checker``.
"""
from __future__ import annotations

import datetime as dt
import re
from typing import Annotated, Any, Literal, Union

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

Lang = Literal["zh", "en"]
MatchKind = Literal["exact", "command", "contains", "regex"]
ARTICLE_ID = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
FLOW_NAME = re.compile(r"^[a-z][a-z0-9_-]*$")


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


NonEmpty = Annotated[str, Field(min_length=1)]


class Localized(Strict):
    """Every reply has both variants: followers get the one for their language."""

    zh: NonEmpty
    en: NonEmpty

    def get(self, lang: str) -> str:
        return self.en if lang == "en" else self.zh


class ReplySpec(Strict):
    """What to send: exactly one of these keys."""

    # Generated forms (library/forms.py) show only the key a reply has, not all seven empty.
    model_config = ConfigDict(extra="forbid", frozen=True, json_schema_extra={"form": "one_of"})

    article: str | None = None
    articles: list[str] | None = None
    text: Localized | None = None
    message: str | None = None
    random: list["ReplySpec"] | None = None
    flow: str | None = None
    handoff: Literal[True] | None = Field(None, description="Hand the follower to a person: WeChat's customer "
                                          "service when enabled in settings, else the lead form's offer")

    @model_validator(mode="after")
    def _exactly_one(self) -> "ReplySpec":
        chosen = [name for name in ("article", "articles", "text", "message", "random", "flow", "handoff")
                  if getattr(self, name) is not None]
        if len(chosen) != 1:
            raise ValueError("a reply needs exactly one of article, articles, text, message, random, flow, handoff"
                             + (f" (got {', '.join(chosen)})" if chosen else ""))
        if self.articles is not None and not self.articles:
            raise ValueError("articles: list at least one article id")
        if self.random is not None and not self.random:
            raise ValueError("random: list at least one reply")
        return self

    @property
    def kind(self) -> str:
        return next(name for name in ("article", "articles", "text", "message", "random", "flow", "handoff")
                    if getattr(self, name) is not None)


class Routed(Strict):
    """Something that answers: either ``reply:`` or the ``flow:`` shortcut."""

    reply: ReplySpec | None = None
    flow: str | None = None

    @property
    def action(self) -> ReplySpec | None:
        if self.flow is not None:
            return ReplySpec(flow=self.flow)
        return self.reply


KeywordItem = Union[str, dict[MatchKind, str]]


class Rule(Routed):
    name: NonEmpty
    keywords: list[KeywordItem] = Field(min_length=1)
    match: MatchKind = "exact"
    priority: int = 0
    label: Localized | None = Field(None, description="How sales see this rule as the source of a lead "
                                                      "(default: its first keyword in their language)")

    @model_validator(mode="after")
    def _answers(self) -> "Rule":
        if (self.reply is None) == (self.flow is None):
            raise ValueError("a rule needs exactly one of reply or flow")
        return self

    @field_validator("keywords", mode="before")
    @classmethod
    def _numbers_as_text(cls, items: object) -> object:
        # YAML reads B2B as text but 2021 as a number; a keyword is always text.
        if isinstance(items, list):
            return [str(i) if isinstance(i, (int, float)) and not isinstance(i, bool) else i for i in items]
        return items

    @field_validator("keywords")
    @classmethod
    def _one_key_each(cls, items: list[KeywordItem]) -> list[KeywordItem]:
        for item in items:
            if isinstance(item, dict) and len(item) != 1:
                raise ValueError("write a keyword as text, or as {exact|contains|regex: text}")
        return items

    def keyword_items(self) -> list[tuple[str, str]]:
        """(match kind, keyword) per entry, the rule's ``match`` applying to plain strings."""
        out = []
        for item in self.keywords:
            if isinstance(item, dict):
                kind, text = next(iter(item.items()))
                out.append((kind, str(text)))
            else:
                out.append((self.match, str(item)))
        return out


class RulesFile(Strict):
    rules: list[Rule] = Field(default_factory=list)


ButtonType = Literal["click", "view", "miniprogram", "scancode_push", "scancode_waitmsg", "pic_sysphoto",
                     "pic_photo_or_album", "pic_weixin", "location_select", "media_id", "article_id",
                     "view_limited", "article_view_limited"]


class Button(Routed):
    name: Localized
    type: ButtonType | None = None
    key: str | None = None
    url: str | None = None
    appid: str | None = None
    pagepath: str | None = None
    media_id: str | None = None
    article_id: str | None = None
    sub_buttons: list["Button"] | None = None


class MenuFile(Strict):
    buttons: list[Button] = Field(min_length=1)


class Scene(Routed):
    """A QR code's scene: its own welcome and/or a flow to start (e.g. a lead form at a trade fair)."""

    welcome: Localized | None = None

    @model_validator(mode="after")
    def _says_something(self) -> "Scene":
        if self.welcome is None and self.action is None:
            raise ValueError("a scene needs a welcome, a reply or a flow")
        return self


class FrontMatter(Strict):
    """The lines between the two ``---`` at the top of an article."""

    id: NonEmpty = Field(description="The file name without .md, e.g. weibo-2021; the same in both languages")
    language: Lang = Field(description="zh or en, matching the folder the file is in")
    title: NonEmpty = Field(description="The headline on the news card (zh: up to 32 characters, en: 64)")
    summary: NonEmpty = Field(description="The line under the headline (zh: up to 60 characters, en: 120)")
    url: NonEmpty = Field(description="The article's page, starting with https://")
    image: NonEmpty = Field(description="The cover picture, starting with https://")
    tags: list[NonEmpty] = Field(min_length=1, description="Topics, e.g. [weibo, social-media]")
    date: dt.date = Field(description="When the article was written, as YYYY-MM-DD")
    keywords: list[NonEmpty] = Field(default_factory=list, description="Words that answer with this article")

    @field_validator("url", "image")
    @classmethod
    def _https(cls, value: str) -> str:
        # WeChat clients open article links and load covers over HTTPS only.
        if not value.startswith("https://"):
            raise ValueError("must start with https://")
        return value

    @field_validator("id")
    @classmethod
    def _kebab(cls, value: str) -> str:
        if not ARTICLE_ID.match(value):
            raise ValueError("must be lowercase ASCII words joined by hyphens, e.g. wechat-education")
        return value

    @field_validator("keywords", "tags", mode="before")
    @classmethod
    def _as_text(cls, value: object) -> object:
        # "2021" or 5G would otherwise arrive as numbers; a keyword is always text.
        return [str(v) for v in value] if isinstance(value, list) else value


# -- synonyms.yaml: names followers use for the same thing ------------------------------------------------------
SYNONYM_ID = re.compile(r"^[a-z][a-z0-9]*$")


class SynonymEntry(Strict):
    """One thing and the ways followers write it; search reads every variant as ``id``."""

    id: NonEmpty = Field(description="One lowercase ASCII word, e.g. bilibili: the term search uses")
    variants: list[NonEmpty] = Field(min_length=1, description="What followers type: spellings, typos, "
                                     "other languages (case and full-width letters are ignored)")

    @field_validator("id")
    @classmethod
    def _one_word(cls, value: str) -> str:
        if not SYNONYM_ID.match(value):
            raise ValueError("must be one lowercase ASCII word (letters and digits), e.g. xiaohongshu")
        return value

    @field_validator("variants", mode="before")
    @classmethod
    def _as_text(cls, value: object) -> object:
        return [str(v) for v in value] if isinstance(value, list) else value


class PlatformEntry(SynonymEntry):
    """A named platform or brand: weighs more than generic words in search."""

    name: Localized = Field(description="How the bot names it to followers, e.g. zh: 小红书, en: Xiaohongshu")


class SynonymsFile(Strict):
    platforms: list[PlatformEntry] = Field(default_factory=list, description="Named platforms and brands")
    terms: list[SynonymEntry] = Field(default_factory=list, description="Other words with variants")


# -- flows/<name>.yaml: what a conversation flow says ----------------------------------------------------------
def _numbers_as_text(value: object) -> object:
    """YAML reads ``2025`` or ``1.0`` as numbers where a marketer meant text."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return str(value)
    if isinstance(value, list):
        return [_numbers_as_text(v) for v in value]
    return value


def placeholders_of(model: type[BaseModel], name: str) -> frozenset[str]:
    """The ``{placeholders}`` the code fills into field ``name`` of ``model`` (from the field's schema extra)."""
    info = model.model_fields.get(name)
    extra = info.json_schema_extra if info is not None and isinstance(info.json_schema_extra, dict) else {}
    return frozenset(extra.get("placeholders", ()))


def _text(description: str, *placeholders: str) -> Any:
    return Field(description=description, json_schema_extra={"placeholders": list(placeholders)} if placeholders
                 else None)


class FlowChoice(Strict):
    """One numbered option of a step."""

    id: NonEmpty = Field(description="What is stored and sent to sales; keep it stable when the wording changes")
    zh: NonEmpty = Field(description="The option as Chinese followers see it")
    en: NonEmpty = Field(description="The option as English followers see it")
    aliases: list[NonEmpty] = Field(default_factory=list, description="Other words that also pick this option")

    @field_validator("id", "aliases", mode="before")
    @classmethod
    def _as_text(cls, value: object) -> object:
        return _numbers_as_text(value)

    @property
    def labels(self) -> dict[str, str]:
        return {"zh": self.zh, "en": self.en}


class FlowStep(Strict):
    """One question; ``steps.<step>.ask`` and ``steps.<step>.invalid`` are what the flow engine says."""

    label: Localized | None = Field(None, description="The step's name in the summary (default: the step's key)")
    ask: Localized = _text("The question", "consent_text")
    invalid: Localized = Field(description="The hint after an answer that does not fit, before the question again")
    choices: list[FlowChoice] = Field(default_factory=list,
                                      description="Numbered options; the follower replies with a number or a label")


class FlowConsent(Strict):
    """The consent a flow asks for; each stored answer keeps the version it was given under."""

    version: NonEmpty = Field(description="Bump it whenever the text or the privacy notice changes")
    text: Localized = Field(description="What the follower agrees to; shown where a question uses {consent_text}")
    controller: Localized | None = Field(None, description="Who is responsible for the data (PIPL's personal "
                                         "information handler): the company's name; fills {controller}")
    policy_url: str | None = Field(None, description="The full privacy policy's page (https://); fills {policy_url}")

    @field_validator("policy_url")
    @classmethod
    def _https(cls, value: str | None) -> str | None:
        if value is not None and not value.startswith("https://"):
            raise ValueError("must start with https://")
        return value

    @field_validator("version", mode="before")
    @classmethod
    def _as_text(cls, value: object) -> object:
        return _numbers_as_text(value)


class FlowCommands(Strict):
    """Words that work at every step, compared ignoring case and surrounding spaces."""

    cancel: list[NonEmpty] = Field(default_factory=lambda: ["取消", "cancel"], description="End the flow, keep nothing")
    back: list[NonEmpty] = Field(default_factory=lambda: ["返回", "back"], description="Go to the previous question")
    skip: list[NonEmpty] = Field(default_factory=lambda: ["跳过", "skip"], description="Skip a skippable question")
    confirm: list[NonEmpty] = Field(default_factory=lambda: ["确认", "confirm", "yes", "ok"],
                                    description="Send the answers, at the summary")

    @field_validator("*", mode="before")
    @classmethod
    def _as_text(cls, value: object) -> object:
        return _numbers_as_text(value)


class FlowFile(BaseModel):
    """``flows/<name>.yaml``: every text a flow says in both languages. The texts below are the ones the flow
    engine says in every flow; the code running a flow may need more (see ``ContentNeeds``), written alongside."""

    model_config = ConfigDict(extra="allow", frozen=True)
    __pydantic_extra__: dict[str, Localized] = Field(init=False)   # the code's own texts, e.g. done, declined

    consent: FlowConsent | None = Field(None, description="The consent asked for, if the flow stores personal data")
    commands: FlowCommands = Field(default_factory=FlowCommands, description="Words that work at every step")
    steps: dict[str, FlowStep] = Field(min_length=1, description="The questions, keyed by the step's name")
    start: Localized = _text("Said before the first question")
    resume: Localized = _text("Said when a follower comes back to an unfinished flow, before the open question")
    summary: Localized = _text("The answers to check before sending; {summary} lists them", "summary")
    confirm_invalid: Localized = _text("At the summary, when the reply is neither a confirm word nor a line number")
    skipped: Localized = _text("Shown in the summary for a skipped question")
    stuck: Localized = _text("After three answers that do not fit a skippable question")
    stuck_required: Localized = _text("After three answers that do not fit a question that cannot be skipped")
    not_skippable: Localized = _text("When a follower tries to skip a question that cannot be skipped")
    back_at_start: Localized = _text("When a follower says back at the first question")
    text_only: Localized = _text("When a follower answers with a picture, voice or sticker")
    cancelled: Localized = _text("When a follower cancels; nothing is kept")
    expired: Localized = _text("The next message after the conversation timed out in the middle of the flow")

    @field_validator("steps")
    @classmethod
    def _no_reserved_step(cls, steps: dict[str, FlowStep]) -> dict[str, FlowStep]:
        if "confirm" in steps:
            raise ValueError("'confirm' is the summary, not a step: rename the step")
        for name in steps:
            if not FLOW_NAME.match(str(name)):
                raise ValueError(f"step {name!r}: use lowercase letters, digits, - and _")
        return steps

    @classmethod
    def engine_texts(cls) -> tuple[str, ...]:
        """The texts every flow needs, in the file's usual order."""
        return tuple(name for name, info in cls.model_fields.items()
                     if info.annotation is Localized and info.is_required())

    def texts(self) -> dict[str, Localized]:
        """Every text of the flow by name: the engine's and the code's own."""
        own = {name: getattr(self, name) for name in self.engine_texts()}
        return {**own, **(self.model_extra or {})}


# -- templates.yaml: WeChat template messages -----------------------------------------------------------------
class MiniProgram(Strict):
    appid: NonEmpty = Field(description="The mini-program's AppID")
    pagepath: str = Field("", description="The page to open; WeChat opens the url on clients without mini-programs")


TemplatePattern = Union[str, Localized]


class TemplateSpec(Strict):
    """One template message the code sends, e.g. ``lead_sales_alert``."""

    template_id: str = Field("", description="The template's id from the MP console (广告与服务 > 模板消息); "
                                             "empty switches this message off")
    language: Literal["zh", "en", "follower"] = Field(
        "zh", description="The language the values are written in; follower: the recipient's own language")
    url: str = Field("", description="Page the message opens (http or https); may use placeholders")
    miniprogram: MiniProgram | None = Field(None, description="Open a mini-program page instead of the url")
    fields: dict[str, TemplatePattern] = Field(
        min_length=1, description="The template's keywords (thing1, time2, ...) and what to put in each: "
                                  "fixed text and {placeholders}, or one pattern per language")

    @field_validator("fields", mode="before")
    @classmethod
    def _patterns_as_text(cls, value: object) -> object:
        if isinstance(value, dict):
            return {str(k): _numbers_as_text(v) for k, v in value.items()}
        return value

    def pattern(self, key: str, lang: str) -> str:
        value = self.fields[key]
        return value.get(lang) if isinstance(value, Localized) else value

    def fields_for(self, lang: str) -> dict[str, str]:
        """``{keyword: pattern}`` in ``lang``."""
        return {key: self.pattern(key, lang) for key in self.fields}
