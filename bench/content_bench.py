"""What content routing costs: keyword-heavy and search workloads against the core's plain text path.

Run:  python bench/content_bench.py [--seconds 10] [--connections 16] [--rounds 2]
Needs wrk and a Redis (REDIS_URL, default redis://127.0.0.1:6379/9), like bench/core_bench.py.

A temporary content tree is generated from content/: the 18 real articles plus 32 generated ones (50),
and 200 keyword rules (exact, contains, regex). Every workload runs the full webhook under gunicorn
(2 sync workers), each request a text message with a unique MsgId:

  core text path  the core's routes only (system + fallback), no analytics: the baseline
  keywords        full router; texts hit exact, contains and regex rules (article cards or texts)
  search          full router; questions no rule covers, ranked by BM25 over the 50 articles (the 21 questions
                  repeat, so the per-version result cache answers most of them)
  search, new     the same questions made new for every message (two numbers under 100 in front, which search
                  ignores): nothing is answered from the cache, each message computes its intent, synonyms and
                  ranking once, as a question never asked before does
  search, uncached  the same 21 questions with the cache off entirely: even within one message, each route that
                  asks for the intent or the ranking computes it again (a harsher bound than any real question)
  no match        full router; texts nothing matches: keywords, search and fallback all run

"vs core" is throughput (and worker CPU per request) relative to the baseline; the target is >= 90% throughput
(routing costs <= 10%). On a shared or small machine wrk, Redis and the workers compete for CPU and req/s is
noisy; worker CPU per request is the steadier figure.
"""
from __future__ import annotations

import argparse
import os
import random
import re
import shutil
import statistics
import sys
import tempfile
import time
import uuid

import redis as redis_lib

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

from bench.core_bench import TOKEN, _cleanup, run_wrk, signed_line, tree_cpu_seconds  # noqa: E402
from tests.support.live_server import LiveServer  # noqa: E402
from library.bundle import read_dir, write_dir  # noqa: E402
from library.compiled import compile_bundle  # noqa: E402
from library.search import confident  # noqa: E402

RULES, ARTICLES = 200, 50


# -- apps gunicorn serves --------------------------------------------------------------------------------
def core_app():
    """The baseline: the same app, routed only through the core's system and fallback routes."""
    from app import create_app
    from handlers import fallback, system
    from analytics.counters import Analytics
    from wechat.router import Router

    router = Router("core")
    router.include(system.router)
    router.include(fallback.router)
    app = create_app(router=router)
    bot = app.extensions["wxbot"]
    bot.finish_hooks = tuple(h for h in bot.finish_hooks if not isinstance(getattr(h, "__self__", None), Analytics))
    return app


def full_app(search_cache: bool = True):
    from app import create_app
    from library import compiled

    if not search_cache:
        compiled.SEARCH_CACHE_SIZE = 0       # every question is ranked from scratch
    app = create_app()
    app.extensions["wxbot"].library.current().index("en")      # build search indexes before the clock starts
    app.extensions["wxbot"].library.current().index("zh")
    return app


# -- generated content -------------------------------------------------------------------------------------
def generate_content(target: str, seed: int = 7) -> None:
    """content/ plus 32 generated articles (50 in all) and 200 rules, written to ``target``."""
    rng = random.Random(seed)
    bundle = read_dir(os.path.join(ROOT, "content"))
    real_ids = sorted({p.split("/")[2][:-3] for p in bundle if p.startswith("articles/en/")})
    paragraphs = {lang: [para for p, text in bundle.items() if p.startswith(f"articles/{lang}/")
                         for para in text.split("---", 2)[2].split("\n\n") if len(para) > 80]
                  for lang in ("en", "zh")}
    ids = list(real_ids)
    for n in range(ARTICLES - len(real_ids)):
        article_id = f"market-note-{n:02d}"
        ids.append(article_id)
        keywords = f'["market note {n}", "市场笔记{n}号", "note{n}", "笔记{n}"]'
        for lang, title, summary in (("en", f"Market note {n}: what brands should know", f"Generated note {n}."),
                                     ("zh", f"市场笔记第{n}号：品牌须知", f"生成的第{n}号笔记。")):
            body = "\n\n".join(rng.sample(paragraphs[lang], 4))
            bundle[f"articles/{lang}/{article_id}.md"] = (
                f"---\nid: {article_id}\nlanguage: {lang}\ntitle: \"{title}\"\nsummary: \"{summary}\"\n"
                f"url: https://insights.example.com/{lang}/{article_id}\n"
                f"image: https://insights.example.com/img/{article_id}.jpg\ntags: [generated, note-{n}]\n"
                f"date: 2021-10-01\nkeywords: {keywords}\n---\n\n{body}\n")
    lines = [bundle["rules.yaml"].rstrip("\n")]
    existing = bundle["rules.yaml"].count("- name:")
    for i in range(RULES - existing):
        article = ids[i % len(ids)]
        kind = ("exact", "contains", "regex")[i % 3]
        if kind == "exact":
            keywords = f'["kw{i}", "关键词{i}", "keyword {i}"]'
        elif kind == "contains":
            keywords = f'["topic{i}x", "话题{i}号", "subject {i}x"]'
        else:
            keywords = f'["^(rx{i}|正则{i})\\\\s*\\\\d*$"]'
        reply = (f"{{article: {article}}}" if i % 4 else
                 f'{{text: {{zh: "规则{i}的回复", en: "Reply of rule {i}"}}}}')
        lines.append(f"  - name: gen-{i}\n    keywords: {keywords}\n    match: {kind}\n    reply: {reply}")
    bundle["rules.yaml"] = "\n".join(lines) + "\n"
    write_dir(bundle, target)


def workload_texts(content_dir: str, kind: str, rng: random.Random) -> list[str]:
    bundle = read_dir(content_dir)
    content = compile_bundle(bundle, version=1)
    if kind == "keywords":
        texts = []
        for i in range(bundle["rules.yaml"].count("- name: gen-")):   # the generated rules (200 minus content's)
            texts += {0: [f"kw{i}", f"关键词{i}"], 1: [f"tell me about topic{i}x please", f"我想看话题{i}号的内容"],
                      2: [f"rx{i} 2", f"正则{i}"]}[i % 3]
        texts += ["KOL", "小红书", "B站", "Weibo", "我想了解B2B营销", "教育行业怎么做"]
        hits = [t for t in texts if content.match(t)]
        assert len(hits) == len(texts), set(texts) - set(hits)
        return texts
    if kind == "search":
        from tests.test_content_search import QUESTIONS

        texts = [q for q, _, _ in QUESTIONS if content.match(q) is None and confident(content.search(q, _lang(q)))]
        assert len(texts) >= 20, len(texts)
        return texts
    return [f"qwerty asdf {w}" for w in ("zxcv", "uiop", "hjkl", "vbnm")] + ["哦哦哦哦", "嗯嗯嗯嗯"]


def new_questions(questions: list[str], count: int, start: int) -> list[str]:
    """``count`` distinct texts that search reads as ``questions``: two numbers under 100 in front (tokenize drops
    them), so no two messages share a cache entry and every text is as long as the next (100 x 100 x len)."""
    out = []
    for n in range(start, start + count):
        rounds, question = divmod(n, len(questions))
        out.append(f"{rounds // 100 % 100:02d} {rounds % 100:02d} {questions[question]}")
    if len(set(out)) != len(out):
        raise SystemExit("--bodies too large for distinct new questions")
    return out


def _lang(text: str) -> str:
    return "zh" if re.search(r"[\u4e00-\u9fff]", text) else "en"


def make_bodies(path: str, texts: list[str], count: int, run: str) -> None:
    """Unique MsgIds and nonces, signed now: the webhook refuses stale timestamps and reused nonces."""
    timestamp = str(int(time.time()))
    with open(path, "w", encoding="utf-8") as fh:
        for i in range(count):
            text = texts[i % len(texts)]
            xml = (f"<xml><ToUserName><![CDATA[gh_bench]]></ToUserName><FromUserName><![CDATA[o_bench_{i % 500}]]>"
                   f"</FromUserName><CreateTime>{timestamp}</CreateTime><MsgType><![CDATA[text]]></MsgType>"
                   f"<Content><![CDATA[{text}]]></Content><MsgId>{run}{i:08d}</MsgId></xml>")
            fh.write(signed_line(xml, timestamp, f"n{run}x{i}"))


def warm_then_measure(server: LiveServer, tmp: str, warm_texts: list[str], measured_texts: list[str], warm_count: int,
                      count: int, seconds: int, connections: int, run: str) -> dict[str, float]:
    """wrk's figures and the workers' CPU per request for ``count`` messages of ``measured_texts`` over
    ``seconds``, after ``warm_count`` messages of their own have loaded both workers (jieba, indexes), so the
    measured ones are all new (not retries answered from the cache)."""
    warmup, bodies = os.path.join(tmp, "warmup.txt"), os.path.join(tmp, "bodies.txt")
    make_bodies(warmup, warm_texts, warm_count, run="w" + run)
    run_wrk(server.url + "/wechat", warmup, "", 2, connections)
    make_bodies(bodies, measured_texts, count, run=run)
    cpu_before = tree_cpu_seconds(server.proc.pid)
    result = run_wrk(server.url + "/wechat", bodies, "", seconds, connections)
    result["cpu_us"] = (tree_cpu_seconds(server.proc.pid) - cpu_before) / result["requests"] * 1e6
    return result


def in_process_costs(content_dir: str) -> list[str]:
    """Microseconds per call of the pieces routing adds, measured without HTTP or Redis: hot (the same loop
    again and again, everything in the CPU's caches) and cold (8 MB written between calls, as the other
    worker, Redis and wrk do between two messages of a served worker; the write itself is subtracted)."""
    content = compile_bundle(read_dir(content_dir), version=1)
    rng = random.Random(1)
    out = []
    flush = bytearray(8 << 20)
    ones = b"\x01" * (len(flush) // 64)

    def evict() -> None:
        flush[::64] = ones

    questions = new_questions(workload_texts(content_dir, "search", rng), 3000, start=0)
    keywords = workload_texts(content_dir, "keywords", rng)
    for kind, call, texts in (
            ("keyword intent", content.intent, keywords),
            ("new question intent", content.intent, questions),
            ("new question search", lambda t: content.find(t, _lang(t)), questions)):
        for text in texts[:50]:
            call(text)
        content._answer_cache.clear()
        content._search_cache.clear()
        hot = _per_call(call, texts, lambda: None) - _per_call(lambda t: None, texts, lambda: None)
        content._answer_cache.clear()
        content._search_cache.clear()
        cold = _per_call(call, texts, evict) - _per_call(lambda t: None, texts, evict)
        out.append(f"{kind:<22}{hot:>8.1f} us hot{cold:>8.1f} us cold ({len(texts)} texts)")
    return out


def _per_call(call, texts: list[str], between) -> float:
    """Microseconds per ``call``, each after ``between()``; every text once (nothing is answered from a cache
    a question never asked before would miss: the caches are cleared before and bounded by the text count)."""
    start = time.perf_counter()
    for text in texts:
        between()
        call(text)
    return (time.perf_counter() - start) / len(texts) * 1e6


def _kind_name(workload: tuple[str, str, str]) -> str:
    name, app, kind = workload
    if name == "core text path":
        return "core"
    return "search-uncached" if "search_cache=False" in app else kind


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--rounds", type=int, default=2, help="runs per workload, interleaved; the median counts")
    parser.add_argument("--bodies", type=int, default=60000)
    parser.add_argument("--only", default="", help="comma-separated workload kinds to run besides the core text path "
                        "(keywords, search, search-new, search-uncached, nomatch); default all")
    args = parser.parse_args()
    if not shutil.which("wrk"):
        sys.exit("wrk not found: apt-get install wrk")
    redis_url = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/9")
    tmp = tempfile.mkdtemp(prefix="wxbot-content-bench-")
    content_dir = os.path.join(tmp, "content")
    generate_content(content_dir)
    rng = random.Random(3)
    workloads = [("core text path", "bench.content_bench:core_app()", "nomatch"),
                 ("keywords (200 rules)", "bench.content_bench:full_app()", "keywords"),
                 ("search (50 articles)", "bench.content_bench:full_app()", "search"),
                 ("search, new questions", "bench.content_bench:full_app()", "search-new"),
                 ("search, uncached", "bench.content_bench:full_app(search_cache=False)", "search"),
                 ("no match (all routes)", "bench.content_bench:full_app()", "nomatch")]
    if args.only:
        wanted = {"core", "keywords"} | set(args.only.split(","))
        workloads = [w for w in workloads if _kind_name(w) in wanted]
    kinds = {"search" if kind == "search-new" else kind for _, _, kind in workloads}
    texts = {kind: workload_texts(content_dir, kind, rng) for kind in kinds}
    results: dict[str, list[dict[str, float]]] = {name: [] for name, _, _ in workloads}
    prefixes = []
    try:
        for round_no in range(args.rounds):
            for name, app, kind in workloads:
                prefix = f"bench-{uuid.uuid4().hex[:8]}:"
                prefixes.append(prefix)
                env = {"WECHAT_TOKEN": TOKEN, "REDIS_URL": redis_url, "REDIS_KEY_PREFIX": prefix,
                       "CONTENT_DIR": content_dir, "LOG_LEVEL": "WARNING"}
                server = LiveServer(env, app=app, workers=2, threads=None).start()
                try:
                    warm_texts, measured_texts = texts.get(kind), texts.get(kind)
                    if kind == "search-new":     # every message a question this server never saw
                        warm_texts = new_questions(texts["search"], args.bodies // 4, start=0)
                        measured_texts = new_questions(texts["search"], args.bodies, start=args.bodies // 4)
                    result = warm_then_measure(server, tmp, warm_texts, measured_texts, args.bodies // 4, args.bodies,
                                               args.seconds, args.connections,
                                               run=f"{round_no}{len(prefixes)}{int(time.time()) % 10000:04d}")
                    results[name].append(result)
                finally:
                    server.stop()
    finally:
        for prefix in prefixes:
            _cleanup(redis_lib.Redis.from_url(redis_url), prefix)
        costs = in_process_costs(content_dir)
        shutil.rmtree(tmp, ignore_errors=True)
    median = {name: {k: statistics.median(r[k] for r in runs) for k in runs[0]} for name, runs in results.items()}
    base = median["core text path"]["rps"]
    base_cpu = median["core text path"]["cpu_us"]
    keywords = median["keywords (200 rules)"]["rps"]
    print(f"{'workload':<24}{'req/s':>10}{'p50 ms':>10}{'p99 ms':>10}{'errors':>8}{'vs core':>10}{'vs keywords':>13}"
          f"{'worker CPU us/req':>20}{'vs core':>10}")
    for name, r in median.items():
        print(f"{name:<24}{r['rps']:>10.0f}{r['p50']:>10.2f}{r['p99']:>10.2f}{r['errors']:>8.0f}{r['rps'] / base:>10.0%}"
              f"{r['rps'] / keywords:>13.0%}{r['cpu_us']:>20.0f}{r['cpu_us'] / base_cpu:>10.0%}")
    print(f"(gunicorn sync workers x2, {args.connections} connections, {args.seconds}s x {args.rounds} rounds, "
          f"median; {RULES} rules, {ARTICLES} articles; Redis {redis_url})")
    print("in-process cost of routing:")
    print("\n".join("  " + line for line in costs))


if __name__ == "__main__":
    main()
