"""Free-text search over articles: jieba for Chinese, Snowball stemming for English, Okapi BM25 ranking.

jieba is jieba-rs (through ``rjieba``): the same dictionary, algorithm and words as the Python jieba, cut
for every chunk of our articles and relevance questions alike, at about a tenth of the cost (2 µs a
chunk instead of 25), which is most of what a never-seen question used to cost.

The index is built once per content version and language; a query costs one tokenization and a
dictionary walk over its terms.

Usage::

    index = SearchIndex([Doc("weibo-2021", fields={"title": "...", "body": "..."})])
    index.search("微博还有用吗")   # -> [Scored("weibo-2021", 0.71), ...] best first, scores in 0..1
"""
from __future__ import annotations

import math
import re
import threading
import unicodedata
from array import array
from collections import Counter
from dataclasses import dataclass, field
from typing import Iterable, NamedTuple

import snowballstemmer

_jieba_lock = threading.Lock()
_jieba = None
_stemmer = snowballstemmer.stemmer("english")
_stem_cache: dict[str, str] = {}

# How much a word in each field counts: a match in the title or keywords says more than one in the body.
FIELD_WEIGHTS = {"title": 3, "keywords": 3, "tags": 2, "summary": 2, "body": 1}
# Fields that say what an article is about; a word found only in the body may be incidental.
TOPICAL_FIELDS = frozenset({"title", "keywords", "tags", "summary"})
K1, B = 1.2, 0.75

_EN_STOP = frozenset("""a an the and or but if of to in on at by for with about from into over as is are was were be
been being do does did doing have has had having i me my we our you your he she it its they them their this that these
those what which who whom whose when where why how can could should would will shall may might must not no nor so than
too very just also there here any some all more most other such only own same both each few s t don now still use used
using get got anything something tell know want need like please hi hello thanks thank reach way ways""".split())
_ZH_STOP = frozenset("""的 了 吗 呢 吧 啊 呀 是 在 有 和 与 及 或 就 都 也 还 又 很 太 更 最 我 你 您 他 她 它 我们 你们 他们 这 那 这个
那个 哪 哪些 哪个 哪里 什么 怎么 怎样 怎么样 怎么办 如何 为什么 吗 嘛 么 一下 一些 一个 可以 能 能否 会 要 想 想要 请问 请 问 关于
对 对于 用 有用 没有 没 不 把 被 让 给 从 到 上 下 中 里 个 些 该 得 地 着 过 哦 嗯 好 多少 是否 现在 还有 知道 了解 一点
有没有 帮 帮我 讲讲 应该 还是 大家 直接 随便 问问 看看 聊聊 试试 谢谢 请教 一直 已经 真的 其实 觉得 呵呵 哈哈 嘿嘿""".split())
# Words jieba's general dictionary lacks or splits badly in marketing questions ("用微信字" -> "用微", "信字").
DOMAIN_WORDS = ("微信", "公众号", "服务号", "订阅号", "小程序", "小游戏", "朋友圈", "视频号", "短视频", "直播", "带货", "种草",
                "私域", "私域流量", "网红", "博主", "粉丝", "月活", "获客", "投放", "出海", "元宇宙", "虚拟人", "抖音", "微博",
                "B站", "哔哩哔哩", "小红书", "淘宝", "天猫", "京东", "美团", "支付宝", "字体", "大字", "长辈", "老年人")
DOMAIN_WORD_FREQ = 2000   # as frequent as a common word: kept whole rather than split
_TOKEN = re.compile(r"[a-z0-9\u3400-\u4dbf\u4e00-\u9fff]+(?:[-'][a-z0-9]+)*")
_JOINERS = re.compile(r"[-']")
_CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff]")


def jieba_tokenizer():
    """The process's one jieba tokenizer with our domain words, loaded on first use (its dictionary takes a
    moment, which the CLI and the worker never need to pay)."""
    global _jieba
    if _jieba is None:
        with _jieba_lock:
            if _jieba is None:
                import rjieba

                tokenizer = rjieba.Jieba()
                for word in DOMAIN_WORDS:
                    tokenizer.add_word(word.casefold(), DOMAIN_WORD_FREQ, None)
                _jieba = tokenizer
    return _jieba


def add_words(words: Iterable[str]) -> None:
    """Teach jieba domain words ("私域流量", "B站") so they stay whole; adding twice is harmless."""
    tokenizer = jieba_tokenizer()
    with _jieba_lock:      # a dictionary change never overlaps another thread's (rare) change
        for word in words:
            word = unicodedata.normalize("NFKC", word).casefold().strip()
            if _CJK.search(word) and " " not in word and not tokenizer.has_word(word):
                tokenizer.add_word(word, DOMAIN_WORD_FREQ, None)


def _stem(word: str) -> str:
    stem = _stem_cache.get(word)
    if stem is None:
        stem = _stemmer.stemWord(word) if word.isalpha() else word
        if len(_stem_cache) < 100_000:
            _stem_cache[word] = stem
    return stem


def tokenize(text: str) -> list[str]:
    """Search terms of ``text``: stemmed English words and jieba's Chinese words, stop words removed."""
    text = unicodedata.normalize("NFKC", text).casefold()
    terms: list[str] = []
    for chunk in _TOKEN.findall(text):
        words = (chunk,) if chunk.isascii() else jieba_tokenizer().cut_for_search(chunk)
        for word in words:
            if not word.isascii():
                if word not in _ZH_STOP:
                    terms.append(word)
            elif word.isalnum():
                if word not in _EN_STOP and not (word.isdigit() and len(word) < 3):
                    terms.append(_stem(word))
            else:
                parts = [p for p in _JOINERS.split(word) if p]
                # Short numbers ("2", "14") are list picks, counts and quarters, not topics; years ("2018") are.
                terms += [_stem(p) for p in parts if p not in _EN_STOP and not (p.isdigit() and len(p) < 3)]
                if "-" in word and len(parts) > 1:
                    terms.append("".join(parts))    # "gen-z", "e-commerce" stay findable as one term too
    return terms


@dataclass(frozen=True)
class Doc:
    id: str
    fields: dict[str, str] = field(default_factory=dict)


class Scored(NamedTuple):
    """One ranked article (a named tuple: a search builds five per question, at a third of a frozen
    dataclass's cost)."""

    id: str
    score: float       # BM25 divided by the best score the query could reach: 0..1, comparable across queries
    evidence: float    # summed IDF of the query terms this article contains (named platforms weighted): low when
                       # only common words matched
    topical: int = 0   # query terms found in the title, summary, tags or keywords (not just the body)
    matched: int = 0   # query terms the article contains
    topical_evidence: float = 0.0   # summed (weighted) IDF of the query terms in the title, summary, tags or keywords


class _Term(NamedTuple):
    """What a search reads of one term."""

    weighted_idf: float              # IDF times the term's boost
    numbers: array                   # doc numbers of the postings
    impacts: array                   # BM25 impact per posting, times the boost
    present: frozenset[int]          # articles containing the term
    topical: frozenset[int]          # articles with it in the title, summary, tags or keywords


class SearchIndex:
    """Okapi BM25 over weighted fields (a term in the title counts as several occurrences).

    A term's BM25 contribution to a document does not depend on the query, so it is computed once here;
    a search only adds up the precomputed impacts of its terms.
    """

    def __init__(self, docs: Iterable[Doc], boost: dict[str, float] | None = None):
        """``boost``: terms that weigh more than others (named platforms), by factor."""
        self.boost = dict(boost or {})
        self._about: dict[str, frozenset[str]] = {}       # filled on first use; only named platforms are asked
        self._mentions: dict[str, frozenset[str]] = {}
        self.ids: list[str] = []
        counts_per_doc: list[Counter[str]] = []
        topical: set[tuple[str, int]] = set()
        for doc in docs:
            counts: Counter[str] = Counter()
            for name, text in doc.fields.items():
                weight = FIELD_WEIGHTS.get(name, 1)
                for term in tokenize(text):
                    counts[term] += weight
                    if name in TOPICAL_FIELDS:
                        topical.add((term, len(self.ids)))
            self.ids.append(doc.id)
            counts_per_doc.append(counts)
        n = len(self.ids)
        lengths = [sum(c.values()) for c in counts_per_doc]
        avg_length = (sum(lengths) / n) if n else 1.0
        doc_freq: Counter[str] = Counter(term for counts in counts_per_doc for term in counts)
        self.idf = {term: math.log(1 + (n - df + 0.5) / (df + 0.5)) for term, df in doc_freq.items()}
        self.unknown_idf = math.log(1 + (n + 0.5) / 0.5)
        # term -> [(doc number, BM25 impact, 1 if the term is in a topical field else 0)]
        impacts: dict[str, list[tuple[int, float, int]]] = {}
        for number, counts in enumerate(counts_per_doc):
            norm = K1 * (1 - B + B * lengths[number] / avg_length)
            for term, tf in counts.items():
                impact = self.idf[term] * tf * (K1 + 1) / (tf + norm)
                impacts.setdefault(term, []).append((number, impact, int((term, number) in topical)))
        # What a search reads, one entry per term so a question touches few cache lines (a served worker meets
        # them cold: the other worker, Redis and the network ran on this core since its last message): its
        # postings as two flat arrays, impacts already multiplied by the term's boost.
        self._terms: dict[str, _Term] = {}
        for term, postings in impacts.items():
            weight = self.boost.get(term, 1.0)
            numbers = array("I", [number for number, _, _ in postings])
            weighted = array("d", [impact * weight if weight != 1.0 else impact for _, impact, _ in postings])
            self._terms[term] = _Term(self.idf[term] * weight, numbers, weighted,
                                      frozenset(number for number, _, _ in postings),
                                      frozenset(number for number, _, topical in postings if topical))

    def about(self, term: str) -> frozenset[str]:
        """Articles with ``term`` in a field that says what they are about (title, summary, tags, keywords)."""
        found = self._about.get(term)
        if found is None:
            entry = self._terms.get(term)
            found = self._about[term] = frozenset(self.ids[n] for n in entry.topical) if entry else frozenset()
        return found

    def mentions(self, term: str) -> frozenset[str]:
        """Articles with ``term`` anywhere, the body included."""
        found = self._mentions.get(term)
        if found is None:
            entry = self._terms.get(term)
            found = self._mentions[term] = frozenset(self.ids[n] for n in entry.present) if entry else frozenset()
        return found

    def search(self, query: str, limit: int = 5) -> list[Scored]:
        terms = set(tokenize(query))
        if not terms or not self.ids:
            return []
        entries = self._terms
        known: list[_Term] = []
        best_possible = 0.0
        for term in terms:
            entry = entries.get(term)
            if entry is None:
                # An unknown term still counts against the query: "Gen Z video platforms xyz" matches 3 of 4.
                best_possible += self.unknown_idf * self.boost.get(term, 1.0)
                continue
            best_possible += entry[0]
            known.append(entry)
        if not known:
            return []
        # Scores first, one addition per posting; the evidence figures only for the few results returned.
        scores = [0.0] * len(self.ids)
        for _, numbers, impacts, _, _ in known:
            for number, impact in zip(numbers, impacts):
                scores[number] += impact
        # Best score first among the articles with any of the terms; equal scores keep article order (the sort
        # is stable, reverse included).
        candidates = sorted(set().union(*(entry.present for entry in known)))
        ranked = sorted(candidates, key=scores.__getitem__, reverse=True)[:limit]
        # (K1 + 1) bounds tf * (K1 + 1) / (tf + norm): dividing by it makes scores comparable across queries.
        ceiling = best_possible * (K1 + 1)
        results = []
        for number in ranked:
            score = scores[number]
            evidence = topical_evidence = 0.0
            topical = matched = 0
            for weighted_idf, _, _, present, about in known:
                if number in present:
                    evidence += weighted_idf
                    matched += 1
                    if number in about:
                        topical += 1
                        topical_evidence += weighted_idf
            results.append(Scored(self.ids[number], _round4(score / ceiling), _round4(evidence), topical, matched,
                                  _round4(topical_evidence)))
        return results


def _round4(value: float) -> float:
    """``round(value, 4)`` for the non-negative figures of a result, without ``round``'s decimal conversion
    (dtoa and printf code a served worker meets cold: it was a tenth of a search's cache misses)."""
    return int(value * 10000.0 + 0.5) / 10000.0


@dataclass(frozen=True)
class Found:
    """What search has for a question: articles to send, or the platforms named that no article is about."""

    articles: tuple[str, ...]                  # confident answers, best first; () when there is nothing to send
    missing_platforms: tuple[str, ...] = ()    # platform ids named that no article is about
    related: tuple[str, ...] = ()              # the closest articles, offered when a platform is missing


# A result counts when its score clears MIN_SCORE, the query names what the article is about (title,
# summary, tags or keywords), and the match is more than one common word: either the words it shares with
# those fields are distinctive (summed IDF >= MIN_TOPICAL_EVIDENCE: a word only one or two of 18 articles use,
# or a named platform), or the article shares at least MIN_TERMS_MATCHED of the question's words with enough
# summed IDF (MIN_EVIDENCE). "this is a test", "do you sell shoes" or "服务怎么收费" share one common word
# (IDF about 1.4) and get nothing. Results within CLOSE_RATIO of the best are offered as a list.
MIN_SCORE = 0.12
MIN_TOPICAL_EVIDENCE = 2.0
MIN_TERMS_MATCHED = 3
MIN_EVIDENCE = 2.5
CLOSE_RATIO = 0.85
LIST_MAX = 3


def confident(results: list[Scored], *, min_score: float = MIN_SCORE, close_ratio: float = CLOSE_RATIO,
              limit: int = LIST_MAX) -> list[str]:
    """Article ids worth sending for ``results``: [] (a miss), one id, or a few close ones for a numbered list."""
    good = [r for r in results if r.score >= min_score and r.topical > 0 and (
        r.topical_evidence >= MIN_TOPICAL_EVIDENCE or (r.matched >= MIN_TERMS_MATCHED and r.evidence >= MIN_EVIDENCE))]
    if not good:
        return []
    best = good[0].score
    return [r.id for r in good if r.score >= best * close_ratio][:limit]
