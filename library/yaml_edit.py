"""Edit a content file's YAML in place: ruamel.yaml's round trip keeps the marketers' comments, key order and
quoting, so a console edit changes only the values it touched (PyYAML would drop every comment).

Usage::

    data = load(text); data["rules"][0]["priority"] = 5; text = dump(data)
    plain(data)     # the same data as plain dicts and lists, for pydantic
"""
from __future__ import annotations

import io
from typing import Any, Mapping

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap


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
