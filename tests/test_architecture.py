"""The layering README promises: the engine knows nothing of this account, handlers see only their Context.

import-linter checks the package contracts in pyproject.toml; the two checks below cover what it cannot
express (app.py is a module, and ``ctx.bot`` is an attribute, not an import).
"""
from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("wechat", "handlers", "library", "leads", "analytics", "privacy", "devtools", "cli", "config")


def test_import_contracts_hold():
    lint = Path(sys.executable).with_name("lint-imports")
    result = subprocess.run([str(lint), "--no-cache"], cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "BROKEN" not in result.stdout and result.stdout.count("KEPT") >= 4


def _python_files(package: str) -> list[Path]:
    return sorted((ROOT / package).rglob("*.py"))


def test_no_package_imports_the_app_module():
    for package in PACKAGES:
        for path in _python_files(package):
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                names = ([a.name for a in node.names] if isinstance(node, ast.Import)
                         else [node.module or ""] if isinstance(node, ast.ImportFrom) else [])
                assert "app" not in names, f"{path.relative_to(ROOT)} imports app.py (only the top may)"


def test_handlers_never_touch_the_bot_or_its_internals():
    for path in _python_files("handlers"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.Attribute):
                continue
            on_ctx = isinstance(node.value, ast.Name) and node.value.id == "ctx"
            if node.attr in ("bot", "redis") or (on_ctx and node.attr in ("session", "notes", "keys", "store")):
                raise AssertionError(f"{path.relative_to(ROOT)}:{node.lineno} uses .{node.attr}; "
                                     "give the handler what it needs through the typed Context")
