"""Check ``templates.yaml`` against WeChat's template-message rules and what the code fills in.

Each field is a pattern such as ``"{status}：{name}"``. It may only use the placeholders the code
sending that template fills in (``ContentNeeds.templates``), its fixed text must fit WeChat's 20
characters, and the field filled with typical values must pass WeChat's rule for its type
(``thing``, ``time``, ...), the same check the sender applies.

Usage::

    check_templates(tree, needs)       # issues land in tree.issues
"""
from __future__ import annotations

from library.loader import TEMPLATES_FILE, Tree
from library.models import Localized, TemplateSpec
from library.needs import ContentNeeds, TemplateNeeds
from library.placeholders import check_placeholders, literal_part
from wechat.limits import TEMPLATE_FIELD_CHARS
from wechat.templates import RETIRED_FIELDS, check_field, fit_field

LANGS = ("zh", "en")


def check_templates(tree: Tree, needs: ContentNeeds) -> None:
    for name, spec in sorted(tree.templates.items()):
        template_needs = needs.templates.get(name)
        if needs.templates and template_needs is None:
            tree.warn(TEMPLATES_FILE, tree.line(TEMPLATES_FILE, (name,)), "template.not_sent", name=name,
                      known=", ".join(sorted(needs.templates)))
        _check_template(tree, name, spec, template_needs)


def _check_template(tree: Tree, name: str, spec: TemplateSpec, needs: TemplateNeeds | None) -> None:
    allowed = needs.placeholders if needs is not None else None
    for key, value in spec.fields.items():
        path = (name, "fields", key)
        if key in RETIRED_FIELDS:
            tree.error(TEMPLATES_FILE, tree.line(TEMPLATES_FILE, path), "template.retired_field", name=name, key=key)
            continue
        for lang in LANGS:
            pattern = spec.pattern(key, lang)
            line = tree.line(TEMPLATES_FILE, path + (lang,) if isinstance(value, Localized) else path)
            where = f"{name}.fields.{key}" + (f" ({lang})" if isinstance(value, Localized) else "")
            if check_placeholders(tree, TEMPLATES_FILE, line, where, pattern, allowed=allowed) is None:
                continue
            fixed = literal_part(pattern)
            if len(fixed) > TEMPLATE_FIELD_CHARS:
                tree.error(TEMPLATES_FILE, line, "template.fixed_too_long", where=where, length=len(fixed),
                           limit=TEMPLATE_FIELD_CHARS)
                continue
            if needs is not None and lang in needs.samples:
                problem = check_field(key, fit_field(key, pattern.format_map(dict(needs.samples[lang]))))
                if problem:
                    tree.error(TEMPLATES_FILE, line, "template.typical_values", where=where, problem=problem)
    if spec.url:
        line = tree.line(TEMPLATES_FILE, (name, "url"))
        check_placeholders(tree, TEMPLATES_FILE, line, f"{name}.url", spec.url, allowed=allowed)
        if not spec.url.startswith(("https://", "http://")):
            tree.error(TEMPLATES_FILE, line, "template.bad_url", name=name)
