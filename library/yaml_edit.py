"""Edit a content file's YAML in place: ruamel.yaml's round trip keeps the marketers' comments, key order and
quoting, so a console edit changes only the values it touched (PyYAML would drop every comment).

Usage::

    data = load(text); data["rules"][0]["priority"] = 5; text = dump(data)
    plain(data)     # the same data as plain dicts and lists, for pydantic
    with trailing_comment_kept(rule): rule["match"] = "exact"   # the comment below the rule stays below it
"""
from __future__ import annotations

import io
from contextlib import contextmanager
from typing import Any, Iterator, Mapping

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq


def _yaml() -> YAML:
    yaml = YAML()
    yaml.width = 4096            # never fold a long reply onto several lines
    yaml.allow_unicode = True
    yaml.preserve_quotes = True
    yaml.indent(mapping=2, sequence=4, offset=2)   # the content files' own "  - name:" style
    return yaml


def load(text: str) -> Any:
    """The file's data (a ``CommentedMap`` for a mapping); an empty file is an empty mapping."""
    data = _yaml().load(text or "")
    return CommentedMap() if data is None else data


def dump(data: Any) -> str:
    out = io.StringIO()
    _yaml().dump(data, out)
    return out.getvalue()


def plain(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [plain(v) for v in value]
    return value


def _last_slot(node: Any) -> tuple[Any, Any] | None:
    """(container, key or index) of the last scalar in ``node``: where ruamel keeps the comment lines that
    follow ``node`` in the file (e.g. the comment above the next rule)."""
    while isinstance(node, (CommentedMap, CommentedSeq)) and len(node):
        key = list(node.keys())[-1] if isinstance(node, CommentedMap) else len(node) - 1
        child = node[key]
        if isinstance(child, (CommentedMap, CommentedSeq)) and len(child):
            node = child
            continue
        return node, key
    return None


def _comment_slot(container: Any) -> int:
    return 2 if isinstance(container, CommentedMap) else 0


@contextmanager
def trailing_comment_kept(node: Any) -> Iterator[None]:
    """Edit ``node`` (add keys, list items) and keep the comment lines after it after it, not inside the edit."""
    slot = _last_slot(node)
    token = None
    if slot is not None:
        entry = slot[0].ca.items.get(slot[1])
        at = _comment_slot(slot[0])
        if entry and len(entry) > at and entry[at] is not None:
            token, entry[at] = entry[at], None
    yield
    if token is None:
        return
    slot = _last_slot(node)
    if slot is None:
        return
    container, key = slot
    entry = container.ca.items.setdefault(key, [None, None, None, None] if isinstance(container, CommentedMap)
                                           else [None, None])
    entry[_comment_slot(container)] = token


def commented(value: Any) -> Any:
    """Plain dicts and lists as ruamel's own types, so comments can be attached to what an edit adds."""
    if isinstance(value, Mapping) and not isinstance(value, CommentedMap):
        return CommentedMap((k, commented(v)) for k, v in value.items())
    if isinstance(value, list) and not isinstance(value, CommentedSeq):
        return CommentedSeq(commented(v) for v in value)
    return value
