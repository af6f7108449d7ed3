"""YAML that remembers where each value came from, so every content error can name file:line.

PyYAML's ``safe_load`` forgets positions and silently keeps the last of two duplicate keys; marketers
need both reported. We compose the node tree and build plain Python values ourselves.

Usage::

    doc = load_yaml(text, first_line=1)
    doc.data["rules"][0]["name"]; doc.line(("rules", 0, "name")) -> 3
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Sequence

import yaml

from library.issue_codes import ISSUES

Path = tuple[Any, ...]


class YamlProblem(ValueError):
    """Unreadable YAML: ``line`` is 1-based in the file."""

    def __init__(self, code: str, line: int, **params: str):
        """``code``: a ``yaml.*`` issue code (``library.issue_codes``); ``params`` fill its text."""
        super().__init__(f"{code}: {params}")
        self.code = code
        self.line = line
        self.params = params

    @property
    def message(self) -> str:
        return ISSUES[self.code][0].format(**self.params)

    @property
    def hint(self) -> str:
        return ISSUES[self.code][1].format(**self.params)


@dataclass
class Located:
    """Parsed YAML plus the line of every value and mapping key, addressed by path."""

    data: Any
    lines: dict[Path, int] = field(default_factory=dict)
    duplicates: list[tuple[Path, int]] = field(default_factory=list)   # (path, line) of repeated keys

    def line(self, path: Sequence[Any]) -> int:
        """Line of ``path``, or of its nearest ancestor that has one (a missing key points at its parent)."""
        path = tuple(path)
        while path:
            if path in self.lines:
                return self.lines[path]
            path = path[:-1]
        return self.lines.get((), 1)


def load_yaml(text: str, first_line: int = 1) -> Located:
    """Parse one YAML document; ``first_line`` is the file line the text starts on (front matter: 2)."""
    offset = first_line - 1
    loader = yaml.SafeLoader(text)
    try:
        node = loader.get_single_node()
        located = Located(None)
        if node is not None:
            located.data = _build(loader, node, (), located, offset)
        else:
            located.lines[()] = first_line
        return located
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = (mark.line + 1 + offset) if mark else first_line
        problem = " ".join(str(part) for part in (exc.context, exc.problem) if part)
        raise YamlProblem(_syntax_code(problem), line, problem=problem) from None
    except yaml.YAMLError as exc:
        raise YamlProblem("yaml.error", first_line, problem=str(exc)) from None
    finally:
        loader.dispose()


def _syntax_code(problem: str) -> str:
    """The issue code whose hint fits the parser's complaint (each has its own hint)."""
    if "mapping values are not allowed" in problem:
        return "yaml.syntax_colon"
    if "found character '\\t'" in problem:
        return "yaml.syntax_tab"
    if "expected <block end>" in problem or "did not find expected" in problem:
        return "yaml.syntax_unclosed"
    return "yaml.syntax"


def _build(loader: yaml.SafeLoader, node: yaml.Node, path: Path, out: Located, offset: int) -> Any:
    out.lines.setdefault(path, node.start_mark.line + 1 + offset)
    if isinstance(node, yaml.MappingNode):
        loader.flatten_mapping(node)          # honour YAML merge keys (<<)
        result: dict[Any, Any] = {}
        for key_node, value_node in node.value:
            key = loader.construct_object(key_node, deep=True)
            if not isinstance(key, (str, int, float, bool)) and key is not None:
                raise YamlProblem("yaml.key_not_plain", key_node.start_mark.line + 1 + offset)
            key_line = key_node.start_mark.line + 1 + offset
            if key in result:
                out.duplicates.append((path + (key,), key_line))
            out.lines[path + (key,)] = key_line
            result[key] = _build(loader, value_node, path + (key,), out, offset)
        return result
    if isinstance(node, yaml.SequenceNode):
        return [_build(loader, item, path + (i,), out, offset) for i, item in enumerate(node.value)]
    return loader.construct_object(node, deep=True)
