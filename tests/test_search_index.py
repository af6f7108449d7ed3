"""SearchIndex against a from-the-definition BM25: the index's precomputed, flat layout (kept for speed) must
rank and score exactly as the plain formula does, on the real articles and on random word mixes."""
from __future__ import annotations

import math
import random
from collections import Counter

import pytest

from library.bundle import read_dir
from library.compiled import compile_bundle, index_documents
from library.search import B, FIELD_WEIGHTS, K1, TOPICAL_FIELDS, Doc, SearchIndex, tokenize
from tests.test_content_search import QUESTIONS


def reference_search(docs: list[Doc], boost: dict[str, float], query: str, limit: int = 5) -> list[tuple]:
    """Okapi BM25 over weighted fields, computed from scratch for one query (slow and obvious)."""
    counts, topical = [], []
    for doc in docs:
        c: Counter[str] = Counter()
        about: set[str] = set()
        for name, text in doc.fields.items():
            for term in tokenize(text):
                c[term] += FIELD_WEIGHTS.get(name, 1)
                if name in TOPICAL_FIELDS:
                    about.add(term)
        counts.append(c)
        topical.append(about)
    n = len(docs)
    lengths = [sum(c.values()) for c in counts]
    average = sum(lengths) / n
    df = Counter(term for c in counts for term in c)
    terms = set(tokenize(query))
    best = sum(boost.get(t, 1.0) * (math.log(1 + (n - df[t] + 0.5) / (df[t] + 0.5)) if df[t] else
                                    math.log(1 + (n + 0.5) / 0.5)) for t in terms)
    rows = []
    for number, c in enumerate(counts):
        score = evidence = topical_evidence = 0.0
        matched = about = 0
        for term in terms:
            if not c[term]:
                continue
            weight, idf = boost.get(term, 1.0), math.log(1 + (n - df[term] + 0.5) / (df[term] + 0.5))
            tf, norm = c[term], K1 * (1 - B + B * lengths[number] / average)
            score += weight * idf * tf * (K1 + 1) / (tf + norm)
            evidence += idf * weight
            matched += 1
            if term in topical[number]:
                about += 1
                topical_evidence += idf * weight
        if score > 0:
            rows.append((docs[number].id, score / (best * (K1 + 1)), evidence, about, matched, topical_evidence, number))
    rows.sort(key=lambda r: (-r[1], r[6]))
    return [r[:6] for r in rows[:limit]]


@pytest.fixture(scope="module")
def indexed() -> list[tuple[str, list[Doc], dict[str, float], SearchIndex]]:
    content = compile_bundle(read_dir("content"), version=1)
    out = []
    for lang in ("en", "zh"):
        docs, boost = index_documents(content, lang)
        out.append((lang, docs, boost, SearchIndex(docs, boost=boost)))
    return out


def _queries(index: SearchIndex, lang: str) -> list[str]:
    rng = random.Random(11)
    words = sorted(index.idf)
    mixes = [" ".join(rng.sample(words, rng.randint(1, 7))) + rng.choice(["", " qzxv"]) for _ in range(150)]
    return [q for q, q_lang, _ in QUESTIONS if q_lang == lang] + mixes


def test_search_equals_plain_bm25(indexed):
    compared = 0
    for lang, docs, boost, index in indexed:
        for query in _queries(index, lang):
            got = [tuple(r) for r in index.search(query)]
            want = reference_search(docs, boost, query)
            assert [g[0] for g in got] == [w[0] for w in want], query
            for g, w in zip(got, want):
                assert g[1] == pytest.approx(w[1], abs=1e-4) and g[2] == pytest.approx(w[2], abs=1e-4), query
                assert g[3:5] == w[3:5] and g[5] == pytest.approx(w[5], abs=1e-4), query
            compared += 1
    assert compared > 300


def test_equal_scores_keep_article_order():
    docs = [Doc(f"a{i}", {"title": "kol marketing"}) for i in range(7)]
    ranked = SearchIndex(docs).search("kol", limit=5)
    assert [r.id for r in ranked] == ["a0", "a1", "a2", "a3", "a4"]
    assert len({r.score for r in ranked}) == 1
