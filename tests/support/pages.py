"""Small helpers for console page tests."""
from __future__ import annotations

import re


def form_rev(html: str) -> str:
    """The draft revision a page's form carries back (optimistic concurrency)."""
    match = re.search(r'name="rev" value="(\d+)"', html)
    assert match, "page has no draft revision field"
    return match.group(1)
