"""Parse a content bundle into typed models, turning every YAML and schema problem into an ``Issue`` with its line.

Usage::

    tree = parse_bundle(read_dir("content"))
    tree.issues            # syntax and schema problems; semantic checks are in ``checker``
    tree.articles["weibo-2021"]["en"].front.title
"""
from __future__ import annotations

import posixpath
from dataclasses import dataclass, field
from typing import Any, get_args

from pydantic import BaseModel, TypeAdapter, ValidationError

from library.bundle import Bundle
from library.issues import ERROR, WARNING, Issue, make_issue
from library.models import (Button, FlowFile, FrontMatter, Localized, MenuFile, Rule, RulesFile, Scene,
                            SynonymsFile, TemplateSpec)
from library.yamlpos import Located, YamlProblem, load_yaml

RULES_FILE = "rules.yaml"
MENU_FILE = "menu.yaml"
MESSAGES_FILE = "messages.yaml"
TEMPLATES_FILE = "templates.yaml"
SYNONYMS_FILE = "synonyms.yaml"
FLOWS_DIR = "flows/"
KNOWN_DIRS = ("articles/", FLOWS_DIR)
# Files only the check reads (review_terms.yaml: words that risk WeChat's content review, library/review_terms.py).
CHECK_ONLY_FILES = ("review_terms.yaml",)
_MESSAGES = TypeAdapter(dict[str, Localized])
_SCENES = TypeAdapter(dict[str, Scene])


@dataclass
class ArticleFile:
    front: FrontMatter
    body: str
    file: str
    doc: Located
    body_line: int


@dataclass
class Tree:
    """Everything parsed from one bundle, with the position data the checker needs."""

    bundle: Bundle
    docs: dict[str, Located] = field(default_factory=dict)          # every parsed YAML (front matter for .md)
    articles: dict[str, dict[str, ArticleFile]] = field(default_factory=dict)
    rules: list[tuple[int, Rule]] | None = None        # (index in rules.yaml, rule); invalid rules left out
    menu: list[tuple[int, Button]] | None = None       # (index, top-level button); invalid buttons left out
    menu_size: int = 0                                 # top-level buttons written, valid or not
    messages: dict[str, Localized] = field(default_factory=dict)
    scenes: dict[str, Scene] = field(default_factory=dict)
    flows: dict[str, FlowFile] = field(default_factory=dict)          # by flow name (the file's stem)
    flow_files: dict[str, str] = field(default_factory=dict)          # flow name -> its path, valid or not
    templates: dict[str, TemplateSpec] = field(default_factory=dict)  # valid templates by name
    synonyms: SynonymsFile | None = None                               # synonyms.yaml, when present and valid
    data: dict[str, Any] = field(default_factory=dict)               # plain YAML data by path, for other readers
    broken: set[str] = field(default_factory=set)     # files whose YAML or shape is wrong: already reported,
                                                      # so what refers to them is not reported again
    issues: list[Issue] = field(default_factory=list)

    def error(self, file: str, line: int, code: str, /, **params: Any) -> None:
        """Report problem ``code`` (``library.issue_codes``) with its parameters, as an error."""
        self.issues.append(make_issue(file, line, code, ERROR, **params))

    def warn(self, file: str, line: int, code: str, /, **params: Any) -> None:
        self.issues.append(make_issue(file, line, code, WARNING, **params))

    def line(self, file: str, path: tuple[Any, ...]) -> int:
        doc = self.docs.get(file)
        return doc.line(path) if doc else 1


def parse_bundle(bundle: Bundle) -> Tree:
    tree = Tree(bundle)
    for rel, text in bundle.items():
        if rel.startswith("articles/"):
            _parse_article(tree, rel, text)
        elif rel.endswith((".yaml", ".yml")):
            _parse_yaml_file(tree, rel, text)
        elif rel.endswith(".md"):
            tree.warn(rel, 1, "file.markdown_outside_articles")
    if RULES_FILE not in bundle:
        tree.warn(RULES_FILE, 1, "file.no_rules")
    for required in (MESSAGES_FILE,):
        if required not in bundle:
            tree.error(required, 1, "file.missing", file=required)
    return tree


def _load(tree: Tree, rel: str, text: str, first_line: int = 1) -> Located | None:
    try:
        doc = load_yaml(text, first_line)
    except YamlProblem as exc:
        tree.error(rel, exc.line, exc.code, **exc.params)
        tree.broken.add(rel)
        return None
    for path, line in doc.duplicates:
        tree.error(rel, line, "yaml.duplicate_key", key=path[-1])
    tree.docs[rel] = doc
    return doc


def _validate(tree: Tree, rel: str, doc: Located, model: Any, data: Any, base: tuple[Any, ...] = ()) -> Any:
    """Validate ``data`` (found at ``base`` in ``doc``) against ``model``; record each error at its line."""
    try:
        if isinstance(model, type) and issubclass(model, BaseModel):
            return model.model_validate(data)
        return model.validate_python(data)
    except ValidationError as exc:
        seen: set[tuple[int, str]] = set()
        for err in exc.errors():
            path = base + _data_path(data, tuple(err["loc"]))
            line = doc.line(path)
            code, params = _describe(err, path)
            params["description"] = _field_description(model, tuple(err["loc"]))
            issue = make_issue(rel, line, code, ERROR, **params)
            if (line, issue.message) not in seen:
                seen.add((line, issue.message))
                tree.issues.append(issue)
        return None


def _data_path(data: Any, loc: tuple[Any, ...]) -> tuple[Any, ...]:
    """Keep the parts of pydantic's ``loc`` that address the data (drop union member names and the like)."""
    path: list[Any] = []
    node = data
    for i, part in enumerate(loc):
        if isinstance(node, dict) and part in node:
            path.append(part)
            node = node[part]
        elif isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node):
            path.append(part)
            node = node[part]
        elif isinstance(node, dict) and isinstance(part, str) and i == len(loc) - 1:
            path.append(part)   # a missing key: the line is its mapping's, the message names the key
    return tuple(path)


def where(path: tuple[Any, ...]) -> str:
    """``rules[3].reply.text`` for a data path."""
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or "file"


def _describe(err: dict[str, Any], path: tuple[Any, ...]) -> tuple[str, dict[str, Any]]:
    """The issue code and parameters of one pydantic error (``library.issue_codes``, ``schema.*``)."""
    kind = err["type"]
    field_name = path[-1] if path else ""
    if kind == "missing":
        if field_name in ("zh", "en"):
            return "schema.missing_language", {"where": where(path[:-1]), "key": field_name}
        if not path[:-1]:
            return "schema.missing_key", {"key": field_name}
        return "schema.missing_key_at", {"where": where(path[:-1]), "key": field_name}
    where_ = where(path)
    if kind == "extra_forbidden":
        return "schema.unknown_key", {"where": where_, "key": field_name}
    if kind == "string_too_short":
        return "schema.empty", {"where": where_}
    if kind == "string_type" and isinstance(err.get("input"), bool):
        return "schema.yes_no", {"where": where_}
    if kind == "model_type" and (err.get("ctx") or {}).get("class_name") == "Localized":
        return "schema.localized", {"where": where_}
    return "schema.invalid", {"where": where_, "detail": err["msg"].removeprefix("Value error, ")}


def _field_description(model: Any, loc: tuple[Any, ...]) -> str:
    """The schema's description of the field at pydantic's ``loc``, offered as the hint for a missing key."""
    current: Any = model if isinstance(model, type) and issubclass(model, BaseModel) else None
    description = ""
    for part in loc:
        if current is None or not isinstance(part, str) or part not in current.model_fields:
            continue                     # list indexes, dict keys and union branches keep the current model
        info = current.model_fields[part]
        description = info.description or ""
        current = _model_in(info.annotation)
    return description


def _model_in(annotation: Any) -> Any:
    """The pydantic model inside ``X``, ``X | None``, ``list[X]`` or ``dict[str, X]``, if any."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in get_args(annotation):
        found = _model_in(arg)
        if found is not None:
            return found
    return None


def _parse_yaml_file(tree: Tree, rel: str, text: str) -> None:
    doc = _load(tree, rel, text)
    if doc is None:
        return
    tree.data[rel] = doc.data
    if rel == RULES_FILE:
        tree.rules = _each(tree, rel, doc, RulesFile, "rules", Rule, empty_ok=True)
    elif rel == MENU_FILE:
        tree.menu = _each(tree, rel, doc, MenuFile, "buttons", Button, empty_ok=False)
        tree.menu_size = len(doc.data["buttons"]) if tree.menu is not None else 0
    elif rel == MESSAGES_FILE:
        _parse_messages(tree, rel, doc)
    elif rel == TEMPLATES_FILE:
        _parse_templates(tree, rel, doc)
    elif rel == SYNONYMS_FILE:
        tree.synonyms = _validate(tree, rel, doc, SynonymsFile, doc.data or {})
        if tree.synonyms is None:
            tree.broken.add(rel)
    elif rel.startswith(FLOWS_DIR) and rel.count("/") == 1:
        _parse_flow(tree, rel, doc)
    elif rel in CHECK_ONLY_FILES:
        pass
    elif not rel.startswith(KNOWN_DIRS):
        tree.warn(rel, 1, "file.unknown", file=rel,
                  known=f"{RULES_FILE}, {MENU_FILE}, {MESSAGES_FILE} or {TEMPLATES_FILE}")
    else:
        tree.warn(rel, 1, "file.misplaced", file=rel)


def flow_name(rel: str) -> str:
    """``flows/lead.yaml`` -> ``lead``."""
    return posixpath.splitext(posixpath.basename(rel))[0]


def _parse_flow(tree: Tree, rel: str, doc: Located) -> None:
    name = flow_name(rel)
    tree.flow_files[name] = rel
    if not isinstance(doc.data, dict):
        tree.error(rel, 1, "flow.not_mapping")
        tree.broken.add(rel)
        return
    flow = _validate(tree, rel, doc, FlowFile, doc.data)
    if flow is None:
        tree.broken.add(rel)
    else:
        tree.flows[name] = flow


def _parse_templates(tree: Tree, rel: str, doc: Located) -> None:
    """Each template on its own, so one bad template does not hide the others' problems."""
    data = doc.data or {}
    if not isinstance(data, dict):
        tree.error(rel, 1, "templates.not_mapping")
        tree.broken.add(rel)
        return
    for name, raw in data.items():
        spec = _validate(tree, rel, doc, TemplateSpec, raw, (name,))
        if spec is not None:
            tree.templates[str(name)] = spec


def _each(tree: Tree, rel: str, doc: Located, file_model: Any, key: str, item_model: Any,
          *, empty_ok: bool) -> list[tuple[int, Any]] | None:
    """Validate a file's list item by item, so one bad rule or button does not hide the others' problems."""
    data = doc.data if doc.data is not None else ({key: []} if empty_ok else None)
    if not (isinstance(data, dict) and set(data) <= {key} and isinstance(data.get(key), list)) or \
            (not empty_ok and not data[key]):
        _validate(tree, rel, doc, file_model, data)      # reports the file-level problem
        return None
    items = []
    for i, raw in enumerate(data[key]):
        item = _validate(tree, rel, doc, item_model, raw, (key, i))
        if item is not None:
            items.append((i, item))
    return items


def _parse_messages(tree: Tree, rel: str, doc: Located) -> None:
    data = doc.data or {}
    if not isinstance(data, dict):
        tree.error(rel, 1, "messages.not_mapping")
        return
    messages = {k: v for k, v in data.items() if k != "scenes"}
    parsed = _validate(tree, rel, doc, _MESSAGES, messages)
    tree.messages = parsed or {}
    if parsed is None:   # keep the good ones so later checks do not cascade into "missing message"
        for name, value in messages.items():
            try:
                tree.messages[name] = Localized.model_validate(value)
            except ValidationError:
                pass
    if "scenes" in data:
        raw = data["scenes"] or {}
        # A numeric scene id (qrscene_123) arrives as text in the event: key it as text too.
        raw = {str(k): v for k, v in raw.items()} if isinstance(raw, dict) else raw
        scenes = _validate(tree, rel, doc, _SCENES, raw, ("scenes",))
        tree.scenes = scenes or {}


def split_front_matter(text: str) -> tuple[str, str, int] | None:
    """(front matter, body, body's first line) of a Markdown file that starts with ``---``."""
    lines = text.splitlines(keepends=True)
    if not lines or lines[0].strip() != "---":
        return None
    for i in range(1, len(lines)):
        if lines[i].strip() == "---":
            return "".join(lines[1:i]), "".join(lines[i + 1:]), i + 2
    return None


def _parse_article(tree: Tree, rel: str, text: str) -> None:
    parts = rel.split("/")
    if len(parts) != 3 or not rel.endswith(".md"):
        tree.warn(rel, 1, "article.misplaced")
        return
    _, lang, filename = parts
    stem = filename[:-3]
    if lang not in ("en", "zh"):
        tree.error(rel, 1, "article.language_folder", lang=lang)
        return
    split = split_front_matter(text)
    if split is None:
        tree.error(rel, 1, "article.no_front_matter")
        return
    front_text, body, body_line = split
    doc = _load(tree, rel, front_text, first_line=2)
    if doc is None:
        return
    if not isinstance(doc.data, dict):
        tree.error(rel, 2, "article.front_matter_lines")
        return
    front = _validate(tree, rel, doc, FrontMatter, doc.data)
    if front is None:
        return
    if front.id != stem:
        tree.error(rel, doc.line(("id",)), "article.id_mismatch", id=front.id, stem=stem)
        return
    if front.language != lang:
        tree.error(rel, doc.line(("language",)), "article.language_mismatch", language=front.language, lang=lang)
        return
    if not body.strip():
        tree.error(rel, body_line, "article.no_body")
    tree.articles.setdefault(front.id, {})[lang] = ArticleFile(front, body, rel, doc, body_line)
