"""A problem found in content, named by file and line with a hint a marketer can act on."""
from __future__ import annotations

from dataclasses import dataclass

ERROR = "error"
WARNING = "warning"


@dataclass(frozen=True, order=True)
class Issue:
    file: str
    line: int
    message: str
    hint: str = ""
    severity: str = ERROR

    def __str__(self) -> str:
        text = f"{self.file}:{self.line}: {self.severity}: {self.message}"
        return text + (f"\n    hint: {self.hint}" if self.hint else "")

    @property
    def is_error(self) -> bool:
        return self.severity == ERROR


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
