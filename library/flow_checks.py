"""Check ``flows/<name>.yaml`` against what the flow engine and the code running each flow say with it.

The file's shape (every engine text in zh and en, each step's ask and invalid) is the schema's job
(``library.models.FlowFile``); here: placeholders, the steps, texts and choices the code needs
(``ContentNeeds.flows``), and choice words that a command would swallow.

Usage::

    check_flows(tree, needs)       # issues land in tree.issues
"""
from __future__ import annotations

from library.loader import Tree
from library.models import FlowFile, FlowStep, placeholders_of
from library.needs import ContentNeeds, FlowNeeds
from library.placeholders import check_placeholders
from wechat.validators import normalize

LANGS = ("zh", "en")
STEP_TEXTS = ("ask", "invalid")
# The engine compares command words and choices ignoring case and these trailing marks.
_PUNCTUATION = " .。!！、,，"


def check_flows(tree: Tree, needs: ContentNeeds) -> None:
    for name, flow in sorted(tree.flows.items()):
        file = tree.flow_files[name]
        flow_needs = needs.flows.get(name)
        if needs.flows and flow_needs is None:
            tree.warn(file, 1, "flow.not_run", name=name, known=", ".join(sorted(needs.flows)))
        _FlowCheck(tree, file, name, flow, flow_needs).run()
    for name, flow_needs in sorted(needs.flows.items()):
        if name not in tree.flow_files:
            tree.error(f"flows/{name}.yaml", 1, "flow.no_wording", name=name)


class _FlowCheck:
    def __init__(self, tree: Tree, file: str, name: str, flow: FlowFile, needs: FlowNeeds | None):
        self.tree, self.file, self.name, self.flow, self.needs = tree, file, name, flow, needs

    def line(self, *path: object) -> int:
        return self.tree.line(self.file, path)

    def run(self) -> None:
        self.check_texts()
        self.check_steps()
        if self.needs is not None:
            self.check_needs(self.needs)

    def check_texts(self) -> None:
        account = self.needs.placeholders if self.needs is not None else {}
        for text_name, text in self.flow.texts().items():
            engine = placeholders_of(FlowFile, text_name)
            known = self.needs is not None or text_name in FlowFile.model_fields
            fills = engine | account.get(text_name, frozenset())
            for lang in LANGS:
                check_placeholders(self.tree, self.file, self.line(text_name, lang), f"text {text_name!r}",
                                   text.get(lang), allowed=fills if known else None, expected=fills)

    def check_steps(self) -> None:
        commands = {kind: {_key(w) for w in getattr(self.flow.commands, kind)} for kind in ("cancel", "back", "skip")}
        for step_name, step in self.flow.steps.items():
            for part in STEP_TEXTS:
                fills = placeholders_of(FlowStep, part)
                for lang in LANGS:
                    used = check_placeholders(self.tree, self.file, self.line("steps", step_name, part, lang),
                                              f"steps.{step_name}.{part}", getattr(step, part).get(lang),
                                              allowed=fills)
                    if used and "consent_text" in used and self.flow.consent is None:
                        self.tree.error(self.file, self.line("steps", step_name, part, lang),
                                        "flow.consent_missing", step=step_name, part=part)
            self.check_choices(step_name, step, commands)

    def check_choices(self, step_name: str, step: FlowStep, commands: dict[str, set[str]]) -> None:
        seen: dict[str, int] = {}
        for i, choice in enumerate(step.choices):
            line = self.line("steps", step_name, "choices", i)
            if choice.id in seen:
                self.tree.error(self.file, line, "flow.duplicate_choice", step=step_name, id=choice.id)
            seen.setdefault(choice.id, line)
            for word in (choice.zh, choice.en, *choice.aliases):
                for kind, words in commands.items():
                    if _key(word) in words:
                        self.tree.warn(self.file, line, "flow.choice_is_command", step=step_name, word=word,
                                       command=kind)

    def check_needs(self, needs: FlowNeeds) -> None:
        steps_line = self.line("steps")
        for step_name in needs.steps:
            if step_name not in self.flow.steps:
                self.tree.error(self.file, steps_line, "flow.step_missing", step=step_name,
                                steps=", ".join(needs.steps))
        for step_name in self.flow.steps:
            if step_name not in needs.steps:
                self.tree.warn(self.file, self.line("steps", step_name), "flow.step_unused", step=step_name,
                               steps=", ".join(needs.steps))
        texts = self.flow.texts()
        for text_name in needs.texts:
            if text_name not in texts:
                self.tree.error(self.file, 1, "flow.text_missing", name=text_name)
        for step_name, ids in needs.choices.items():
            step = self.flow.steps.get(step_name)
            if step is None:
                continue
            if not step.choices:
                self.tree.error(self.file, self.line("steps", step_name), "flow.needs_choices", step=step_name)
                continue
            offered = {c.id for c in step.choices}
            for choice_id in ids:
                if choice_id not in offered:
                    self.tree.error(self.file, self.line("steps", step_name, "choices"), "flow.choice_missing",
                                    step=step_name, id=choice_id, ids=", ".join(ids))


def _key(word: str) -> str:
    return normalize(word).casefold().strip(_PUNCTUATION)

