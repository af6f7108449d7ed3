"""Forms generated from the content schema (``library/models.py``): the console's pages for messages, QR scene
welcomes, the lead form's wording and template messages are built from the same pydantic models the checker
uses, so a field added to a model appears on its page with no new template or route.

A form is a tree of ``FormField``s over one part of one YAML file (a ``Section``). Posting it back changes only
the values the form shows, in the file's own text (comments and order kept, via ruamel.yaml), and each problem
pydantic finds is reported under the input it concerns.

Usage::

    section = SECTIONS["messages"]
    form = build_form(section, bundle[section.file])          # FormField tree with current values
    result = apply_form(section, bundle[section.file], request.form)
    result.text, result.errors                                # new file text; {input name: message}
    text = append_item(text, ("rules", 3, "reply", "random"), {"text": {"zh": "", "en": ""}})   # lists grow
    text = remove_item(text, ("rules", 3, "reply", "random"), 0)                                # and shrink
"""
from __future__ import annotations

import types
import typing
from dataclasses import dataclass, field
from typing import Any, Iterator, Literal, Mapping, Union, get_args, get_origin

from pydantic import BaseModel, TypeAdapter, ValidationError
from ruamel.yaml.scalarstring import ScalarString

from library.models import FlowFile, Localized, Scene, TemplateSpec
from library.yaml_edit import commented, dump, load, plain, trailing_comment_kept

Path = tuple[Any, ...]
LONG_TEXT = 60          # longer values (or any with a line break) get a textarea


@dataclass(frozen=True)
class Section:
    """One generated page: the part of a file at ``path`` and the schema it follows."""

    name: str
    file: str
    path: Path
    schema: Any                            # a pydantic model or a typing annotation such as dict[str, Localized]
    skip: tuple[str, ...] = ()             # keys at ``path`` that belong to another section


SECTIONS: dict[str, Section] = {s.name: s for s in (
    Section("messages", "messages.yaml", (), dict[str, Localized], skip=("scenes",)),
    Section("scenes", "messages.yaml", ("scenes",), dict[str, Scene]),
    Section("lead_form", "flows/lead.yaml", (), FlowFile),
    Section("templates", "templates.yaml", (), dict[str, TemplateSpec]),
)}


@dataclass
class FormField:
    """One input (``widget`` text, textarea, lines, select, number, checkbox) or a group of them."""

    name: str                              # the input's name: the path joined with "." ("steps.name.ask.zh")
    path: Path
    label: str
    widget: str = "group"
    value: Any = ""
    description: str = ""
    options: tuple[str, ...] = ()
    required: bool = False
    children: list["FormField"] = field(default_factory=list)
    error: str = ""

    def inputs(self) -> Iterator["FormField"]:
        """Every input in this tree, depth first."""
        if self.widget != "group":
            yield self
        for child in self.children:
            yield from child.inputs()


def input_name(path: Path) -> str:
    return ".".join(str(p) for p in path)


def _unwrap(annotation: Any) -> tuple[Any, bool]:
    """(the annotation without Optional/Annotated, whether None is allowed)."""
    optional = False
    while True:
        origin = get_origin(annotation)
        if origin is typing.Annotated:
            annotation = get_args(annotation)[0]
        elif origin in (Union, types.UnionType) and type(None) in get_args(annotation):
            optional = True
            rest = [a for a in get_args(annotation) if a is not type(None)]
            annotation = rest[0] if len(rest) == 1 else Union[tuple(rest)]
        else:
            return annotation, optional


def _is_model(annotation: Any) -> bool:
    return isinstance(annotation, type) and issubclass(annotation, BaseModel)


def _text_widget(value: Any) -> str:
    text = "" if value is None else str(value)
    return "textarea" if "\n" in text or len(text) > LONG_TEXT else "text"


def _describe(annotation: Any, value: Any, path: Path, label: str, description: str = "",
              required: bool = True) -> FormField | None:
    annotation, optional = _unwrap(annotation)
    required = required and not optional
    origin, args = get_origin(annotation), get_args(annotation)
    name = input_name(path)
    if origin in (Union, types.UnionType):           # e.g. a template field: plain text or one per language
        pick = next((a for a in args if _is_model(a)), str) if isinstance(value, dict) else str
        return _describe(pick, value, path, label, description, required)
    if _is_model(annotation):
        if value is None and optional:
            return None                               # not written: nothing to edit (add it in the file)
        data = value if isinstance(value, Mapping) else {}
        group = FormField(name, path, label, description=description or (annotation.__doc__ or "").strip())
        one_of = (annotation.model_config.get("json_schema_extra") or {}).get("form") == "one_of" and bool(data)
        for key, info in annotation.model_fields.items():
            if one_of and key not in data:
                continue                              # "exactly one of" (a reply): only the key it has
            child = _describe(info.annotation, data.get(key), path + (key,), key, info.description or "",
                              info.is_required())
            if child is not None:
                group.children.append(child)
        if annotation.model_config.get("extra") == "allow":   # e.g. a flow's own texts (done, declined, ...)
            known = set(annotation.model_fields)
            extra_type = Localized
            for key, item in data.items():
                if key not in known:
                    child = _describe(extra_type, item, path + (key,), str(key))
                    if child is not None:
                        group.children.append(child)
        return group
    if origin is dict:
        data = value if isinstance(value, Mapping) else {}
        group = FormField(name, path, label, description=description)
        for key, item in data.items():
            child = _describe(args[1], item, path + (key,), str(key))
            if child is not None:
                group.children.append(child)
        return group
    if origin is list:
        inner, _ = _unwrap(args[0])
        if _is_model(inner):
            group = FormField(name, path, label, description=description)
            for i, item in enumerate(value or []):
                child = _describe(inner, item, path + (i,), f"{label} {i + 1}")
                if child is not None:
                    group.children.append(child)
            return group
        if inner is str:
            return FormField(name, path, label, "lines", "\n".join(str(v) for v in value or []), description,
                             required=required)
        return None                                   # mixed lists (rule keywords) have their own page
    if origin is Literal:
        return FormField(name, path, label, "select", "" if value is None else str(value), description,
                         tuple(str(a) for a in args), required)
    if annotation is bool:
        return FormField(name, path, label, "checkbox", bool(value), description, required=required)
    if annotation is int:
        return FormField(name, path, label, "number", "" if value is None else str(value), description,
                         required=required)
    if annotation is str:
        if value is not None and not isinstance(value, str):
            value = str(value)
        return FormField(name, path, label, _text_widget(value), value or "", description, required=required)
    return None


def _at(data: Any, path: Path) -> Any:
    for part in path:
        if isinstance(data, Mapping):
            data = data.get(part)
        elif isinstance(data, list) and isinstance(part, int) and 0 <= part < len(data):
            data = data[part]
        else:
            return None
    return data


def _section_value(section: Section, data: Any) -> Any:
    value = _at(data, section.path)
    if isinstance(value, Mapping) and section.skip:
        return {k: v for k, v in value.items() if k not in section.skip}
    return value


def build_form(section: Section, text: str) -> FormField:
    """The form for ``section`` with the values in ``text`` (the file's current draft)."""
    data = load(text)
    form = _describe(section.schema, _section_value(section, data), section.path, section.name)
    return form or FormField(section.name, section.path, section.name)


@dataclass
class FormResult:
    text: str                              # the file with the posted values
    form: FormField                        # the form re-built from them, errors attached
    errors: dict[str, str]                 # input name -> problem ("" key: not tied to one input)

    @property
    def ok(self) -> bool:
        return not self.errors


def _posted(widget: str, raw: str | None) -> Any:
    if widget == "checkbox":
        return raw is not None
    raw = (raw or "").replace("\r\n", "\n")
    if widget == "lines":
        return [line.strip() for line in raw.split("\n") if line.strip()]
    if widget == "number":
        try:
            return int(raw)
        except ValueError:
            return raw            # pydantic names the problem next to the field
    return raw


def _set(data: Any, path: Path, value: Any) -> None:
    for part in path[:-1]:
        data = data[part]
    old = data.get(path[-1]) if isinstance(data, Mapping) else None
    if isinstance(value, str) and isinstance(old, ScalarString):
        value = type(old)(value)        # keep the file's quoting style ("..." or a | block)
    data[path[-1]] = value


def apply_form(section: Section, text: str, posted: Mapping[str, str]) -> FormResult:
    """Put the posted values into ``text`` and check them against the schema; the file's other parts stay."""
    data = load(text)
    form = _describe(section.schema, _section_value(section, data), section.path, section.name)
    if form is None:
        return FormResult(text, FormField(section.name, section.path, section.name), {})
    for one in form.inputs():
        if one.name not in posted and one.widget != "checkbox":
            continue
        value = _posted(one.widget, posted.get(one.name))
        if value == "" and not one.required and _at(data, one.path) is None:
            continue                                  # an empty optional field that was not written stays out
        _set(data, one.path, value)
    new_text = dump(data)
    errors = _errors(section, data)
    rebuilt = build_form(section, new_text)
    by_name = {f.name: f for f in rebuilt.inputs()}
    for name, message in errors.items():
        target = by_name.get(name) or next((f for n, f in by_name.items() if n.startswith(name + ".")), None)
        if target is not None:
            target.error = (target.error + "; " if target.error else "") + message
    return FormResult(new_text, rebuilt, errors)


def _errors(section: Section, data: Any) -> dict[str, str]:
    """Schema problems of the section, keyed by the input name they concern."""
    value = plain(_section_value(section, data))
    try:
        TypeAdapter(section.schema).validate_python(value)
    except ValidationError as exc:
        errors: dict[str, str] = {}
        for error in exc.errors():
            loc = tuple(p for p in error["loc"] if not (isinstance(p, str) and p in ("str", "Localized")))
            name = input_name(section.path + loc)
            message = error["msg"].removeprefix("Value error, ")
            errors[name] = f"{errors[name]}; {message}" if name in errors else message
        return errors
    return {}


def _list_at(data: Any, path: Path) -> list[Any]:
    items = data
    for part in path:
        items = items[part]
    if not isinstance(items, list):
        raise ValueError(f"{input_name(path)} is not a list")
    return items


def append_item(text: str, path: Path, item: Any) -> str:
    """``text`` with ``item`` added at the end of the list at ``path`` (a form's "add one")."""
    data = load(text)
    items = _list_at(data, path)
    with trailing_comment_kept(items):
        items.append(commented(item))
    return dump(data)


def remove_item(text: str, path: Path, index: int) -> str:
    """``text`` without item ``index`` of the list at ``path`` (a form's "remove this one")."""
    data = load(text)
    items = _list_at(data, path)
    if not 0 <= index < len(items):
        raise ValueError(f"{input_name(path)} has no item {index}")
    with trailing_comment_kept(items):
        del items[index]
    return dump(data)
