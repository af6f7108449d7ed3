"""A problem found in content, named by file and line with a hint a marketer can act on, and by a stable code
with its parameters (``library.issue_codes``) so the console can word it in the reader's language."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from library.issue_codes import ISSUES

ERROR = "error"
WARNING = "warning"


@dataclass(frozen=True, order=True)
class Issue:
    file: str
    line: int
    message: str
    hint: str = ""
    severity: str = ERROR
    code: str = ""                                   # e.g. rule.duplicate_keyword (library.issue_codes)
    params: tuple[tuple[str, Any], ...] = field(default=(), compare=False)

    def __str__(self) -> str:
        text = f"{self.file}:{self.line}: {self.severity}: {self.message}"
        return text + (f"\n    hint: {self.hint}" if self.hint else "")

    @property
    def is_error(self) -> bool:
        return self.severity == ERROR

    @property
    def values(self) -> dict[str, Any]:
        return dict(self.params)


def make_issue(file: str, line: int, code: str, severity: str = ERROR, /, **params: Any) -> Issue:
    """The issue ``code`` (which must be in ``ISSUES``) with its English message and hint filled in."""
    message, hint = ISSUES[code]
    return Issue(file, line, message.format(**params), hint.format(**params), severity, code,
                 tuple(sorted(params.items())))


class ContentInvalid(ValueError):
    """Content with at least one error: it is never published or served."""

    def __init__(self, issues: list[Issue]):
        self.issues = issues
        errors = [i for i in issues if i.is_error]
        shown = "\n".join(str(i) for i in errors[:20])
        more = f"\n... and {len(errors) - 20} more" if len(errors) > 20 else ""
        super().__init__(f"{len(errors)} content error(s):\n{shown}{more}")

    @property
    def errors(self) -> list[Issue]:
        return [i for i in self.issues if i.is_error]
