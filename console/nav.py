"""The navigation bar: each page module adds its own entry, so pages never edit the base template.

Usage (in ``console/pages/<name>.py``)::

    add_nav("nav.rules", "console.rules.index", roles=("marketer",), order=20)

Orders so far: articles 10, draft 80, versions 85, users 90, audit 95 (leave gaps for new pages).
"""
from __future__ import annotations

from dataclasses import dataclass

from flask import request, url_for


@dataclass(frozen=True)
class NavItem:
    label: str                 # an i18n key
    endpoint: str
    roles: tuple[str, ...]     # who sees it (admins see everything)
    order: int
    match: tuple[str, ...] = ()   # endpoint prefixes shown as current (default: the entry's blueprint)

    @property
    def url(self) -> str:
        return url_for(self.endpoint)

    @property
    def current(self) -> bool:
        """The page being shown is this entry's (by ``match``, else by blueprint)."""
        prefixes = self.match or (self.endpoint.rsplit(".", 1)[0] + ".",)
        return (request.endpoint or "").startswith(prefixes)


_NAV: dict[str, NavItem] = {}


def add_nav(label: str, endpoint: str, *, roles: tuple[str, ...], order: int, match: tuple[str, ...] = ()) -> None:
    _NAV[endpoint] = NavItem(label, endpoint, roles, order, match)


def nav_for(user: object) -> list[NavItem]:
    return sorted((item for item in _NAV.values() if any(user.can(role) for role in item.roles)),  # type: ignore[attr-defined]
                  key=lambda item: (item.order, item.label))
