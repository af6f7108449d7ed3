"""Names followers use for the same thing (``content/synonyms.yaml``), compiled once per content version.

Search reads every variant as its entry's id, in questions and in articles alike, so "Bilbili", "B 站",
"哔哩哔哩" and "Bilibili" are one term, and "Tik Tok", "TikTok" and "抖音" another. Entries under
``platforms`` are named platforms and brands: search weighs them more than generic words and, when a
follower names one no article is about, says so instead of answering about another platform.

Usage::

    vocab = Vocabulary.build(tree.synonyms)
    vocab.rewrite("Bilbili和小红书")      # -> Rewritten(" bilibili 和 xiaohongshu ", platforms=("bilibili", "xiaohongshu"))
    vocab.platform_name("xiaohongshu", "zh")   # -> "小红书"
"""
from __future__ import annotations

from dataclasses import dataclass, field

from library.matcher import AhoCorasick, normalize, whole_word
from library.models import SynonymsFile


@dataclass(frozen=True)
class Rewritten:
    text: str                          # the normalized text with each variant replaced by its entry's id
    platforms: tuple[str, ...] = ()    # platform ids named, in the order they appear
    terms: tuple[str, ...] = ()        # other entries' ids found


@dataclass
class Vocabulary:
    ids: list[str] = field(default_factory=list)                 # per variant (automaton word index)
    platforms: dict[str, dict[str, str]] = field(default_factory=dict)   # platform id -> name per language
    automaton: AhoCorasick = field(default_factory=lambda: AhoCorasick(()))

    @classmethod
    def build(cls, spec: SynonymsFile | None) -> "Vocabulary":
        if spec is None:
            return cls()
        variants: dict[str, str] = {}
        for entry in [*spec.platforms, *spec.terms]:
            for variant in (entry.id, *entry.variants):
                key = normalize(variant)
                if key:
                    variants.setdefault(key, entry.id)       # the checker refuses a variant in two entries
        automaton = AhoCorasick(variants)
        return cls([variants[w] for w in automaton.words],
                   {p.id: p.name.model_dump() for p in spec.platforms}, automaton)

    def platform_name(self, platform: str, lang: str) -> str:
        names = self.platforms.get(platform) or {}
        return names.get(lang) or names.get("zh") or platform

    def rewrite(self, text: str) -> Rewritten:
        """``text`` normalized, each variant (longest first, Latin ones as whole words) replaced by its id."""
        norm = normalize(text)
        if not self.ids:
            return Rewritten(norm)
        spans: list[tuple[int, int, str]] = []
        for index, end in self.automaton.find(norm):
            word = self.automaton.words[index]
            start = end - len(word)
            if whole_word(norm, start, end):
                spans.append((start, end, self.ids[index]))
        if not spans:
            return Rewritten(norm)
        spans.sort(key=lambda s: (s[0], -(s[1] - s[0])))
        out, pos, named, terms = [], 0, [], []
        for start, end, entry in spans:
            if start < pos:
                continue                                   # inside a longer variant already replaced
            out.append(norm[pos:start])
            out.append(f" {entry} ")
            pos = end
            found = named if entry in self.platforms else terms
            if entry not in found:
                found.append(entry)
        out.append(norm[pos:])
        return Rewritten("".join(out), tuple(named), tuple(terms))
