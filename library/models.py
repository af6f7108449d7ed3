"""The shape of each content file, as pydantic models; ``extra="forbid"`` turns a misspelt key into an error.

Limits that need the whole tree (unknown targets, duplicates, WeChat's menu limits) live in ``checker``.
"""
from __future__ import annotations

import datetime as dt
import re
from typing import Annotated, Literal, Union

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

Lang = Literal["zh", "en"]
MatchKind = Literal["exact", "contains", "regex"]
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

    article: str | None = None
    articles: list[str] | None = None
    text: Localized | None = None
    message: str | None = None
    random: list["ReplySpec"] | None = None
    flow: str | None = None

    @model_validator(mode="after")
    def _exactly_one(self) -> "ReplySpec":
        chosen = [name for name in ("article", "articles", "text", "message", "random", "flow")
                  if getattr(self, name) is not None]
        if len(chosen) != 1:
            raise ValueError("a reply needs exactly one of article, articles, text, message, random, flow"
                             + (f" (got {', '.join(chosen)})" if chosen else ""))
        if self.articles is not None and not self.articles:
            raise ValueError("articles: list at least one article id")
        if self.random is not None and not self.random:
            raise ValueError("random: list at least one reply")
        return self

    @property
    def kind(self) -> str:
        return next(name for name in ("article", "articles", "text", "message", "random", "flow")
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
    id: NonEmpty
    language: Lang
    title: NonEmpty
    summary: NonEmpty
    url: NonEmpty
    image: NonEmpty
    tags: list[NonEmpty] = Field(min_length=1)
    date: dt.date
    keywords: list[NonEmpty] = Field(default_factory=list)

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
