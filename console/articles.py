"""Articles as the console edits them: one form per article with both languages, read from and written to
the draft bundle as the same Markdown files ``content/articles/<lang>/<id>.md`` the CLI publishes.

The form never validates: it writes the file and the content checker judges it, and each problem comes
back next to its field (``console.fields``). Counters and the news card use the limits the checker uses
(``library.checker`` hard limits, ``library.display_limits`` for what a phone shows).

Usage::

    rows = article_rows(state)                              # the list page, with flags
    form = ArticleForm.from_bundle(bundle, report, "weibo-2021")
    changes = form.changes(bundle)                          # {"articles/zh/weibo-2021.md": text, ...}
"""
from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from typing import Any, Mapping

import yaml
from markdown_it import MarkdownIt

from console.fields import issues_by_field
from library.bundle import Bundle
from library.checker import SUMMARY_MAX, TITLE_MAX, Report
from library.display_limits import SUMMARY_SHOWN, TITLE_SHOWN, display_width, shown_part
from library.issues import Issue
from library.loader import split_front_matter
from library.yamlpos import YamlProblem, load_yaml

LANGS = ("zh", "en")
FIELDS = ("title", "summary", "url", "image", "tags", "date", "keywords")
LIST_FIELDS = ("tags", "keywords")
_SPLIT = re.compile(r"[,，、;；\n]+")
# Markdown as the article page would show it; "js-default" turns raw HTML off, so a preview runs no script.
_markdown = MarkdownIt("js-default")


def path_of(article_id: str, lang: str) -> str:
    return f"articles/{lang}/{article_id}.md"


def render_markdown(text: str) -> str:
    return _markdown.render(text or "")


def _raw_front(report: Report, bundle: Bundle, path: str) -> tuple[dict[str, Any], str]:
    """Front matter values as written (even when invalid) and the body."""
    text = bundle.get(path)
    if text is None:
        return {}, ""
    split = split_front_matter(text)
    if split is None:
        return {}, text
    doc = report.tree.docs.get(path)
    data = doc.data if doc is not None and isinstance(doc.data, dict) else {}
    return data, split[1]


def _as_text(value: Any) -> str:
    if isinstance(value, list):
        return ", ".join(str(v) for v in value)
    if isinstance(value, dt.date):
        return value.isoformat()
    return "" if value is None else str(value)


@dataclass
class Variant:
    """One language of an article, as form text."""

    lang: str
    exists: bool
    values: dict[str, str] = field(default_factory=dict)
    body: str = ""

    @property
    def empty(self) -> bool:
        return not any(self.values.get(name, "").strip() for name in FIELDS) and not self.body.strip()


@dataclass
class ArticleForm:
    article_id: str
    variants: dict[str, Variant]

    @classmethod
    def from_bundle(cls, bundle: Bundle, report: Report, article_id: str) -> "ArticleForm":
        variants = {}
        for lang in LANGS:
            path = path_of(article_id, lang)
            data, body = _raw_front(report, bundle, path)
            variants[lang] = Variant(lang, path in bundle, {name: _as_text(data.get(name)) for name in FIELDS},
                                     body.lstrip("\n"))
        return cls(article_id, variants)

    @classmethod
    def from_form(cls, form: Mapping[str, str], article_id: str, bundle: Bundle) -> "ArticleForm":
        variants = {lang: Variant(lang, path_of(article_id, lang) in bundle,
                                  {name: form.get(f"{lang}-{name}", "") for name in FIELDS},
                                  form.get(f"{lang}-body", "")) for lang in LANGS}
        return cls(article_id, variants)

    def front(self, lang: str) -> dict[str, Any]:
        """The front matter the form says, as YAML data (lists split at commas, the date parsed if it can be)."""
        values = self.variants[lang].values
        front: dict[str, Any] = {"id": self.article_id, "language": lang}
        for name in FIELDS:
            raw = values.get(name, "").strip()
            if name in LIST_FIELDS:
                front[name] = [part.strip() for part in _SPLIT.split(raw) if part.strip()]
            elif name == "date":
                try:
                    front[name] = dt.date.fromisoformat(raw)
                except ValueError:
                    front[name] = raw      # the checker names the problem at this line
            else:
                front[name] = raw
        return front

    def body(self, lang: str) -> str:
        return self.variants[lang].body.replace("\r\n", "\n").strip("\n")

    def file_text(self, lang: str, original: str | None = None) -> str:
        """The Markdown file for ``lang``. Editing an existing file rewrites only the lines of fields that
        changed, so the diff shown before publishing is the marketer's change, not a reformatting."""
        front, body = self.front(lang), self.body(lang)
        if original is not None:
            patched = _patch_front(original, front, body)
            if patched is not None:
                return patched
        text = yaml.safe_dump(front, allow_unicode=True, sort_keys=False, default_flow_style=None, width=10_000)
        return f"---\n{text}---\n\n{body}\n"

    def changes(self, bundle: Bundle) -> dict[str, str]:
        """Files that differ from ``bundle`` (a language left entirely empty is not created)."""
        changed = {}
        for lang, variant in self.variants.items():
            path = path_of(self.article_id, lang)
            if not variant.exists and variant.empty:
                continue
            text = self.file_text(lang, bundle.get(path))
            if bundle.get(path) != text:
                changed[path] = text
        return changed


def _dump_line(name: str, value: Any) -> str:
    return yaml.safe_dump({name: value}, allow_unicode=True, sort_keys=False, default_flow_style=True,
                          width=10_000).strip()[1:-1] + "\n"


def _patch_front(original: str, front: dict[str, Any], body: str) -> str | None:
    """``original`` with each changed one-line field replaced and the body swapped; None when the front
    matter cannot be patched line by line (unreadable, a multi-line value, a field added or removed)."""
    split = split_front_matter(original)
    if split is None:
        return None
    front_text, old_body, _ = split
    try:
        old = load_yaml(front_text, first_line=2)
    except YamlProblem:
        return None
    if not isinstance(old.data, dict) or list(old.data) != list(front):
        return None
    lines = original.splitlines(keepends=True)
    closing = split[2] - 2                              # 0-based index of the closing ---
    starts = sorted((old.lines[(key,)] - 1, key) for key in old.data)
    for i, (start, key) in enumerate(starts):
        end = starts[i + 1][0] if i + 1 < len(starts) else closing
        if old.data[key] == front[key]:
            continue
        if end - start != 1:
            return None
        lines[start] = _dump_line(key, front[key])
    head = "".join(lines[:closing + 1])
    gap = old_body[:len(old_body) - len(old_body.lstrip("\n"))] or "\n"
    return f"{head}{gap}{body}\n"


@dataclass(frozen=True)
class Counter:
    """One field's length against the hard limit (error) and what a phone shows (the card cuts it)."""

    chars: int
    limit: int
    width: float
    shown: int

    @property
    def state(self) -> str:
        return "over" if self.chars > self.limit else "cut" if self.width > self.shown else "ok"


def counters(variant: Variant) -> dict[str, Counter]:
    lang = variant.lang
    title, summary = variant.values.get("title", ""), variant.values.get("summary", "")
    return {
        "title": Counter(len(title), TITLE_MAX[lang], display_width(title, lang), TITLE_SHOWN[lang]),
        "summary": Counter(len(summary), SUMMARY_MAX[lang], display_width(summary, lang), SUMMARY_SHOWN[lang]),
    }


@dataclass(frozen=True)
class Card:
    """The news card a follower sees: title and summary cut where a phone cuts them."""

    title: str
    summary: str
    image: str
    url: str


def card(variant: Variant) -> Card:
    lang = variant.lang
    return Card(shown_part(variant.values.get("title", ""), lang, TITLE_SHOWN[lang]),
                shown_part(variant.values.get("summary", ""), lang, SUMMARY_SHOWN[lang]),
                variant.values.get("image", ""), variant.values.get("url", ""))


def field_problems(report: Report, article_id: str) -> dict[str, dict[str, list[Issue]]]:
    """``{lang: {field: [issues]}}`` for both files of an article."""
    return {lang: issues_by_field(report, path_of(article_id, lang), depth=1) for lang in LANGS}


@dataclass(frozen=True)
class ArticleRow:
    article_id: str
    titles: dict[str, str]
    tags: tuple[str, ...]
    langs: tuple[str, ...]
    errors: int
    warnings: int
    text: str      # what the search box looks in, lower-cased

    @property
    def missing(self) -> tuple[str, ...]:
        return tuple(lang for lang in LANGS if lang not in self.langs)


def article_rows(bundle: Bundle, report: Report) -> list[ArticleRow]:
    ids = sorted({path.split("/")[2][:-3] for path in bundle
                  if path.startswith("articles/") and path.count("/") == 2 and path.endswith(".md")})
    rows = []
    for article_id in ids:
        titles, tags, words, langs, errors, warnings = {}, [], [article_id], [], 0, 0
        for lang in LANGS:
            path = path_of(article_id, lang)
            if path not in bundle:
                continue
            langs.append(lang)
            data, _ = _raw_front(report, bundle, path)
            titles[lang] = _as_text(data.get("title"))
            tags += [t for t in (data.get("tags") or []) if isinstance(t, str) and t not in tags]
            words += [_as_text(data.get(name)) for name in ("title", "summary", "keywords", "tags")]
            for issue in report.issues:
                if issue.file == path:
                    errors += issue.is_error
                    warnings += not issue.is_error
        rows.append(ArticleRow(article_id, titles, tuple(tags), tuple(langs), errors, warnings,
                               " ".join(words).lower()))
    return rows


def filter_rows(rows: list[ArticleRow], *, query: str = "", tag: str = "", lang: str = "",
                missing: bool = False) -> list[ArticleRow]:
    terms = query.lower().split()
    return [row for row in rows
            if all(term in row.text for term in terms)
            and (not tag or tag in row.tags)
            and (not lang or lang in row.langs)
            and (not missing or row.missing)]
