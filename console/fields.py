"""Put each content problem next to the form field it concerns, not only at file:line.

The checker names a file and a line (``library.checker``); the parsed YAML remembers the line of every
value (``library.yamlpos``). Turning the line back into the value's path gives the field: ``title`` in an
article's front matter, ``rules.3.keywords`` in rules.yaml. A problem on no value's line (a missing file,
an article's body) goes under ``body`` for articles, else under ``FILE_LEVEL``.

Usage::

    report = check_bundle(draft.bundle, needs)
    by_field = issues_by_field(report, "articles/zh/weibo-2021.md")   # {"title": [Issue, ...], ...}
"""
from __future__ import annotations

from typing import Any, Callable

from library.checker import Report
from library.issues import Issue

FILE_LEVEL = "_file"


def field_name(path: tuple[Any, ...]) -> str:
    return ".".join(str(part) for part in path) or FILE_LEVEL


def _paths_by_line(report: Report, file: str) -> dict[int, tuple[Any, ...]]:
    """The deepest value path that starts on each line (a key and its scalar value share one)."""
    doc = report.tree.docs.get(file)
    by_line: dict[int, tuple[Any, ...]] = {}
    for path, line in (doc.lines.items() if doc else ()):
        if path and (line not in by_line or len(path) > len(by_line[line])):
            by_line[line] = path
    return by_line


def issues_by_field(report: Report, file: str, *, depth: int | None = None) -> dict[str, list[Issue]]:
    """``{field: [issues]}`` for one file; ``depth`` cuts paths (1: front matter keys like ``title``)."""
    by_line = _paths_by_line(report, file)
    body_line = _article_body_line(report, file)
    fields: dict[str, list[Issue]] = {}
    for issue in report.issues:
        if issue.file != file:
            continue
        path = by_line.get(issue.line)
        if path is None and body_line and issue.line >= body_line:
            name = "body"
        elif path is None:
            name = FILE_LEVEL
        else:
            name = field_name(path[:depth] if depth else path)
        fields.setdefault(name, []).append(issue)
    return fields


def _article_body_line(report: Report, file: str) -> int:
    for variants in report.tree.articles.values():
        for art in variants.values():
            if art.file == file:
                return art.body_line
    text = report.tree.bundle.get(file, "")
    if file.endswith(".md") and text.startswith("---"):
        lines = text.splitlines()
        for i in range(1, len(lines)):
            if lines[i].strip() == "---":
                return i + 2
    return 0


# Pages that edit a file register how to reach a problem's field, so the draft and publish pages link each
# problem to the form where it can be fixed: ``add_issue_link(fn)``, ``fn(issue, field) -> url or None``.
_ISSUE_LINKS: list[Callable[[Issue, str], str | None]] = []


def add_issue_link(resolver: Callable[[Issue, str], str | None]) -> None:
    _ISSUE_LINKS.append(resolver)


def issue_url(report: Report, issue: Issue) -> str | None:
    """Where to fix ``issue``: the first registered page that edits its file, anchored at the field."""
    if not _ISSUE_LINKS:
        return None
    fields = issues_by_field(report, issue.file)
    field = next((name for name, issues in fields.items() if issue in issues), FILE_LEVEL)
    for resolver in _ISSUE_LINKS:
        url = resolver(issue, field)
        if url:
            return url
    return None
