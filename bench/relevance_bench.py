"""How well typed questions find the right article: top-1 accuracy and no-answer precision.

Run:  .venv/bin/python bench/relevance_bench.py [--content content] [--questions tests/fixtures/relevance.yaml] [-v]

Each question in the set (tests/fixtures/relevance.yaml: zh and en, comparisons, typos, several topics, and
questions we have nothing on) goes through what the bot decides for a typed message: keyword rules with the
lead-form intent, then search (``library.answer.first_article``). Printed:

  top-1 accuracy        answerable questions whose first article sent is the expected one
  no-answer precision   of the questions the bot sent no article for, the share that indeed had none
  no-answer recall      of the questions that have no article, the share the bot sent none for
  per kind              accuracy for plain, typo, comparison, multi and none questions

On a checkout before issue 10 (no ``library.answer``) the bench falls back to that version's order, keyword
rule then confident search, so the figures before and after the change come from the same questions.
No Redis, no server: the content is compiled in process. -v lists every miss. --cost also prints what
deciding costs per question in process (keyword rules, intent and search), with the per-version caches
warm (a question asked before) and cleared before every question (one never seen).
"""
from __future__ import annotations

import argparse
import os
import sys
import time
from collections import defaultdict

import yaml

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

from library.bundle import read_dir  # noqa: E402
from library.compiled import compile_bundle  # noqa: E402

try:
    from library.answer import first_article
except ImportError:                     # a checkout before issue 10: rules, then confident search
    from library.search import confident

    def first_article(content, text, lang):
        hit = content.match(text)
        if hit is not None:
            spec = hit.target.action
            return spec.article or (spec.articles[0] if spec.articles else None)
        picked = confident(content.search(text, lang))
        return picked[0] if picked else None


def load_questions(path: str) -> list[dict]:
    with open(path, encoding="utf-8") as f:
        return yaml.safe_load(f)["questions"]


def measure(content, questions: list[dict]) -> dict:
    """The figures for ``questions`` against compiled ``content``, with the misses."""
    by_kind: dict[str, list[bool]] = defaultdict(list)
    answerable_ok = answerable = predicted_none = predicted_none_ok = expected_none = 0
    misses = []
    for item in questions:
        got = first_article(content, item["q"], item["lang"])
        expected = None if item["expect"] == "none" else item["expect"]
        ok = got == expected
        by_kind[item["kind"]].append(ok)
        if expected is not None:
            answerable += 1
            answerable_ok += ok
        else:
            expected_none += 1
        if got is None:
            predicted_none += 1
            predicted_none_ok += expected is None
        if not ok:
            misses.append((item["q"], item["expect"], got or "none"))
    return {
        "questions": len(questions),
        "top1_accuracy": answerable_ok / answerable if answerable else 1.0,
        "no_answer_precision": predicted_none_ok / predicted_none if predicted_none else 1.0,
        "no_answer_recall": predicted_none_ok / expected_none if expected_none else 1.0,
        "by_kind": {kind: sum(oks) / len(oks) for kind, oks in sorted(by_kind.items())},
        "answerable": answerable, "expected_none": expected_none, "misses": misses,
    }


def cost(content, questions: list[dict], rounds: int = 20) -> dict[str, float]:
    """Microseconds per question for ``first_article``, caches warm and cleared."""
    for item in questions:                  # build the indexes and load jieba first
        first_article(content, item["q"], item["lang"])
    out = {}
    for label, clear in (("warm", False), ("cold", True)):
        start = time.perf_counter()
        for _ in range(rounds):
            for item in questions:
                if clear:
                    for cache in ("_search_cache", "_answer_cache"):
                        getattr(content, cache, {}).clear()
                first_article(content, item["q"], item["lang"])
        out[label] = (time.perf_counter() - start) / (rounds * len(questions)) * 1e6
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--content", default=os.path.join(ROOT, "content"))
    parser.add_argument("--questions", default=os.path.join(ROOT, "tests", "fixtures", "relevance.yaml"))
    parser.add_argument("-v", "--verbose", action="store_true", help="list every miss")
    parser.add_argument("--cost", action="store_true", help="also time the decision per question")
    args = parser.parse_args()
    content = compile_bundle(read_dir(args.content), version=1)
    figures = measure(content, load_questions(args.questions))
    print(f"questions            {figures['questions']} ({figures['answerable']} answerable, "
          f"{figures['expected_none']} with no article)")
    print(f"top-1 accuracy       {figures['top1_accuracy']:.1%}")
    print(f"no-answer precision  {figures['no_answer_precision']:.1%}")
    print(f"no-answer recall     {figures['no_answer_recall']:.1%}")
    print("per kind             " + "  ".join(f"{k} {v:.0%}" for k, v in figures["by_kind"].items()))
    if args.cost:
        timing = cost(content, load_questions(args.questions))
        print(f"cost per question    {timing['warm']:.0f} us asked before, {timing['cold']:.0f} us never seen")
    if args.verbose:
        for question, expected, got in figures["misses"]:
            print(f"  miss: {question!r}: expected {expected}, got {got}")


if __name__ == "__main__":
    main()
