"""A content tree as data: ``{relative path: file text}``, the unit that is checked, versioned and exported.

Keeping the files' own text (not a parsed form) makes export/import lossless and lets an error in a
published version still name the file and line a marketer wrote.

Usage::

    bundle = read_dir("content")             # {"rules.yaml": "...", "articles/en/weibo-2021.md": "..."}
    write_dir(bundle, "/tmp/export")         # the same files back
    packed = pack(bundle); unpack(packed) == bundle
"""
from __future__ import annotations

import difflib
import hashlib
import json
import os
import zlib
from typing import Iterable

Bundle = dict[str, str]

# What belongs to a content version: YAML and Markdown files; READMEs are documentation for marketers.
CONTENT_SUFFIXES = (".yaml", ".yml", ".md")
SKIPPED_NAMES = {"readme.md"}


def is_content_file(relpath: str) -> bool:
    name = os.path.basename(relpath)
    return (relpath.endswith(CONTENT_SUFFIXES) and name.lower() not in SKIPPED_NAMES
            and not any(part.startswith(".") for part in relpath.split("/")))


def read_dir(directory: str) -> Bundle:
    """Every content file under ``directory`` (paths with ``/``, sorted), read as UTF-8."""
    if not os.path.isdir(directory):
        raise FileNotFoundError(f"content directory not found: {directory}")
    bundle: Bundle = {}
    for root, dirs, files in os.walk(directory):
        dirs[:] = sorted(d for d in dirs if not d.startswith(".") and d != "__pycache__")
        for name in sorted(files):
            rel = os.path.relpath(os.path.join(root, name), directory).replace(os.sep, "/")
            if is_content_file(rel):
                with open(os.path.join(root, name), encoding="utf-8") as fh:
                    bundle[rel] = fh.read()
    return dict(sorted(bundle.items()))


def write_dir(bundle: Bundle, directory: str, *, prune: bool = True) -> list[str]:
    """Write ``bundle`` under ``directory``; with ``prune`` remove content files the bundle lacks.

    Returns the pruned paths. Non-content files (READMEs, anything else) are never touched.
    """
    os.makedirs(directory, exist_ok=True)
    for rel, text in bundle.items():
        path = os.path.join(directory, *rel.split("/"))
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "w", encoding="utf-8", newline="") as fh:
            fh.write(text)
    pruned = [rel for rel in read_dir(directory) if rel not in bundle] if prune else []
    for rel in pruned:
        os.remove(os.path.join(directory, *rel.split("/")))
    return pruned


def pack(bundle: Bundle) -> bytes:
    return zlib.compress(json.dumps(bundle, ensure_ascii=False, sort_keys=True).encode("utf-8"), 6)


def unpack(packed: bytes) -> Bundle:
    return json.loads(zlib.decompress(packed).decode("utf-8"))


def checksum(bundle: Bundle) -> str:
    """Identity of a tree's content, independent of how it was read."""
    digest = hashlib.sha256()
    for rel in sorted(bundle):
        digest.update(rel.encode("utf-8") + b"\0" + bundle[rel].encode("utf-8") + b"\0")
    return digest.hexdigest()


def changed_paths(old: Bundle, new: Bundle) -> tuple[list[str], list[str], list[str]]:
    """(added, removed, modified) paths from ``old`` to ``new``."""
    added = sorted(set(new) - set(old))
    removed = sorted(set(old) - set(new))
    modified = sorted(p for p in set(old) & set(new) if old[p] != new[p])
    return added, removed, modified


def summarize_changes(old: Bundle, new: Bundle) -> str:
    """One line a marketer can read in ``content versions``: what a publish changed."""
    added, removed, modified = changed_paths(old, new)
    parts = []
    for label, paths in (("added", added), ("changed", modified), ("removed", removed)):
        if paths:
            shown = ", ".join(paths[:4]) + (f" and {len(paths) - 4} more" if len(paths) > 4 else "")
            parts.append(f"{label} {shown}")
    return "; ".join(parts) or "no changes"


def unified_diff(old: Bundle, new: Bundle, old_label: str, new_label: str) -> Iterable[str]:
    """A unified diff over every file that differs, like ``git diff``."""
    for rel in sorted(set(old) | set(new)):
        a, b = old.get(rel), new.get(rel)
        if a == b:
            continue
        yield from difflib.unified_diff((a or "").splitlines(keepends=True), (b or "").splitlines(keepends=True),
                                        f"{old_label}/{rel}" if a is not None else "/dev/null",
                                        f"{new_label}/{rel}" if b is not None else "/dev/null")
