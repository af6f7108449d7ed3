"""Spot regexes that can backtrack catastrophically before they reach the webhook's 5 s budget.

Heuristic (the classic ReDoS shapes): an unbounded repeat whose body can itself repeat unboundedly,
``(a+)+``, ``(\\w*)*``, ``(.*,)*``; or an unbounded repeat of alternatives that can match the same
text, ``(a|a)*``, ``(\\w|\\d)+``. It may miss exotic cases; it never flags a regex without nesting
or alternation under a repeat.

Usage::

    backtracking_risk(r"(a+)+$")   # -> "nested quantifier ..." ; None when it looks safe
"""
from __future__ import annotations

try:  # Python 3.11+
    import re._constants as sre_constants
    import re._parser as sre_parse
except ImportError:  # pragma: no cover - older Pythons
    import sre_constants  # type: ignore[no-redef]
    import sre_parse  # type: ignore[no-redef]

_REPEATS = {sre_constants.MAX_REPEAT, sre_constants.MIN_REPEAT}
_POSSESSIVE = getattr(sre_constants, "POSSESSIVE_REPEAT", None)
_UNBOUNDED = sre_constants.MAXREPEAT


def _children(op, av):
    if op in _REPEATS or op == _POSSESSIVE:
        return [av[2]]
    if op == sre_constants.SUBPATTERN:
        return [av[-1]]
    if op == sre_constants.BRANCH:
        return list(av[1])
    if op in (sre_constants.ASSERT, sre_constants.ASSERT_NOT):
        return [av[1]]
    if op == sre_constants.GROUPREF_EXISTS:
        return [branch for branch in av[1:] if branch is not None]
    if op == getattr(sre_constants, "ATOMIC_GROUP", None):
        return []  # atomic groups never backtrack into themselves
    return []


def _has_unbounded_repeat(pattern) -> bool:
    for op, av in pattern:
        if op in _REPEATS and av[1] == _UNBOUNDED:
            return True
        if any(_has_unbounded_repeat(child) for child in _children(op, av)):
            return True
    return False


def _first_sets_overlap(branches) -> bool:
    """Two alternatives that start alike ("a|ab", "\\w|\\d") can both match where the repeat resumes."""
    firsts = []
    for branch in branches:
        items = list(branch)
        if not items:
            return True        # an empty alternative under a repeat: "(a|)*"
        firsts.append(items[0])
    for i, left in enumerate(firsts):
        for right in firsts[i + 1:]:
            if left == right or sre_constants.IN in (left[0], right[0]) or sre_constants.ANY in (left[0], right[0]):
                return True
            if sre_constants.CATEGORY in (left[0], right[0]) or sre_constants.NOT_LITERAL in (left[0], right[0]):
                return True
    return False


def _scan(pattern) -> str | None:
    for op, av in pattern:
        if op in _REPEATS and av[1] == _UNBOUNDED:
            body = av[2]
            if _has_unbounded_repeat(body):
                return "nested quantifier: a repeated group contains another unbounded repeat, e.g. (a+)+"
            for inner_op, inner_av in body:
                if inner_op == sre_constants.SUBPATTERN:
                    inner = list(inner_av[-1])
                    if len(inner) == 1 and inner[0][0] == sre_constants.BRANCH and _first_sets_overlap(inner[0][1][1]):
                        return "overlapping alternatives under a repeat, e.g. (a|ab)*"
                if inner_op == sre_constants.BRANCH and _first_sets_overlap(inner_av[1]):
                    return "overlapping alternatives under a repeat, e.g. (a|ab)*"
        for child in _children(op, av):
            found = _scan(child)
            if found:
                return found
    return None


def backtracking_risk(regex: str) -> str | None:
    """Why ``regex`` could take exponential time on a hostile message, or None. Raises ``re.error`` if invalid."""
    return _scan(sre_parse.parse(regex))
