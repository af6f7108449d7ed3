"""``{placeholders}`` in content texts: the ones the code fills in are fine, anything else is a marketer's typo.

Usage::

    check_placeholders(tree, "messages.yaml", 8, "message 'fallback'", text, allowed={"topics"})
"""
from __future__ import annotations

import string
from collections.abc import Iterable

from library.loader import Tree


def placeholders_in(text: str) -> set[str]:
    """The ``{names}`` in ``text``; raises ValueError for an unmatched brace."""
    return {name for _, name, _, _ in string.Formatter().parse(text) if name is not None}


def literal_part(text: str) -> str:
    """``text`` without its placeholders: what is always shown."""
    return "".join(literal for literal, _, _, _ in string.Formatter().parse(text))


def _listed(names: Iterable[str]) -> str:
    return ", ".join("{" + name + "}" for name in sorted(names)) or "none"


def check_placeholders(tree: Tree, file: str, line: int, what: str, text: str, *,
                       allowed: frozenset[str] | None, expected: frozenset[str] = frozenset()) -> set[str] | None:
    """Report a broken brace, an unknown placeholder (error) or an expected one left out (warning).

    ``allowed`` None means the code using this text is not known here: only the braces are checked.
    Returns the placeholders used, or None when the text cannot be filled in at all.
    """
    try:
        used = placeholders_in(text)
    except ValueError as exc:
        tree.error(file, line, "placeholder.broken", what=what, problem=str(exc))
        return None
    if allowed is None:
        return used
    for missing in sorted(expected - used):
        tree.warn(file, line, "placeholder.unused", what=what, name=missing)
    unknown = used - allowed
    for name in sorted(unknown):
        tree.error(file, line, "placeholder.unknown", what=what, name=name, allowed=_listed(allowed))
    return None if unknown else used
