"""What the code serving content asks of it, handed to the checker by the account (``handlers/content_needs.py``).

The library knows the shape of every content file; which messages, flow steps, texts and template
placeholders the bot actually uses is the account's business. The checker takes them as a parameter so
``content check`` refuses a version the running code could not serve, without the library importing handlers.

Usage::

    needs = ContentNeeds(messages=("welcome", "help"), placeholders={"fallback": frozenset({"topics"})},
                         flows={"lead": FlowNeeds(steps=("name", "contact"), texts=("done",))})
    check_bundle(bundle, needs)
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Mapping


@dataclass(frozen=True)
class FlowNeeds:
    """What the code running one flow asks of ``flows/<name>.yaml`` beyond what the flow engine needs."""

    steps: tuple[str, ...] = ()                                   # asked in this order
    texts: tuple[str, ...] = ()                                   # the code's own texts, e.g. "done"
    placeholders: Mapping[str, frozenset[str]] = field(default_factory=dict)   # text -> what the code fills in
    choices: Mapping[str, tuple[str, ...]] = field(default_factory=dict)       # step -> choice ids it needs
                                                                               # (empty: at least one choice)


@dataclass(frozen=True)
class TemplateNeeds:
    """A template message the code sends: a typical value per placeholder and language, to check WeChat's rules."""

    samples: Mapping[str, Mapping[str, str]]                      # lang -> placeholder -> sample value

    @property
    def placeholders(self) -> frozenset[str]:
        return frozenset(name for values in self.samples.values() for name in values)


@dataclass(frozen=True)
class ContentNeeds:
    """Everything the running code asks of content by name; empty means "check the files' shape only"."""

    messages: tuple[str, ...] = ()
    placeholders: Mapping[str, frozenset[str]] = field(default_factory=dict)   # message -> what the code fills in
    flows: Mapping[str, FlowNeeds] = field(default_factory=dict)
    templates: Mapping[str, TemplateNeeds] = field(default_factory=dict)


NO_NEEDS = ContentNeeds()
