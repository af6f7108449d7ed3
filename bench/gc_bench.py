"""What Python's garbage collector costs a served worker, with and without config/gc_tuning.py.

Run:  python bench/gc_bench.py [--seconds 10] [--rounds 2]
Needs wrk and a Redis (REDIS_URL, default redis://127.0.0.1:6379/9), like bench/content_bench.py.

Each variant runs under gunicorn (2 sync workers, 16 connections) on content_bench's generated content with
its never-seen questions (every message a question no cache has seen: the workload that keeps new objects
alive longest). A callback in each worker times every collection after start-up; per variant it prints
collections per generation, their total time and the longest pause, with req/s and p99.
"""
from __future__ import annotations

import argparse
import gc
import glob
import json
import os
import random
import shutil
import statistics
import sys
import tempfile
import time
import uuid

import redis as redis_lib

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

from bench.content_bench import generate_content, new_questions, warm_then_measure, workload_texts  # noqa: E402
from bench.core_bench import TOKEN, _cleanup  # noqa: E402
from tests.support.live_server import LiveServer  # noqa: E402

WARMUP_BODIES = 15000


def _record_collections(path_prefix: str) -> None:
    """Time every collection from now on; rewrite ``<path_prefix><pid>.json`` at most once a second."""
    stats = {generation: [0, 0.0, 0.0] for generation in range(3)}   # count, seconds, longest
    started = [0.0, time.monotonic()]

    def on_collection(phase: str, info: dict) -> None:
        if phase == "start":
            started[0] = time.perf_counter()
            return
        took = time.perf_counter() - started[0]
        entry = stats[info["generation"]]
        entry[0] += 1
        entry[1] += took
        entry[2] = max(entry[2], took)
        if time.monotonic() - started[1] > 1:
            started[1] = time.monotonic()
            with open(f"{path_prefix}{os.getpid()}.json", "w", encoding="utf-8") as fh:
                json.dump(stats, fh)

    gc.callbacks.append(on_collection)


def tuned_app():
    """The app as gunicorn builds it (``create_app()`` tunes the collector), then the callback."""
    from bench.content_bench import full_app

    app = full_app()
    _record_collections(os.environ["GC_BENCH_STATS"])
    return app


def untuned_app():
    """The same app with the tuning skipped, as every release before config/gc_tuning.py ran."""
    import app as app_module

    app_module.tune_for_serving = lambda: False
    return tuned_app()


def run_variant(factory: str, content_dir: str, tmp: str, seconds: int, round_no: int,
                redis_url: str) -> dict[str, float]:
    prefix = f"bench-{uuid.uuid4().hex[:8]}:"
    stats_prefix = os.path.join(tmp, f"gc-{round_no}-{factory.split(':')[1][:5]}-")
    env = {"WECHAT_TOKEN": TOKEN, "REDIS_URL": redis_url, "REDIS_KEY_PREFIX": prefix, "CONTENT_DIR": content_dir,
           "LOG_LEVEL": "WARNING", "GC_BENCH_STATS": stats_prefix}
    questions = workload_texts(content_dir, "search", random.Random(3))
    server = LiveServer(env, app=factory, workers=2, threads=None).start()
    try:
        result = warm_then_measure(server, tmp, new_questions(questions, WARMUP_BODIES, 0),
                                   new_questions(questions, 60000, WARMUP_BODIES), WARMUP_BODIES, 60000, seconds, 16,
                                   run=f"{round_no}{prefix[6:12]}")
        time.sleep(1.2)            # let each worker write its figures once more
    finally:
        server.stop()
        _cleanup(redis_lib.Redis.from_url(redis_url), prefix)
    workers = [json.load(open(path, encoding="utf-8")) for path in glob.glob(stats_prefix + "*.json")]
    if not workers:
        raise SystemExit(f"{factory}: no worker wrote its collection figures")
    for generation in "012":
        result[f"gen{generation}_count"] = sum(w[generation][0] for w in workers)
        result[f"gen{generation}_ms"] = sum(w[generation][1] for w in workers) * 1000
        result[f"gen{generation}_max_ms"] = max(w[generation][2] for w in workers) * 1000
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args()
    if not shutil.which("wrk"):
        sys.exit("wrk not found: apt-get install wrk")
    redis_url = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/9")
    tmp = tempfile.mkdtemp(prefix="wxbot-gc-bench-")
    content_dir = os.path.join(tmp, "content")
    generate_content(content_dir)
    variants = (("default collector", "bench.gc_bench:untuned_app()"), ("gc_tuning.py", "bench.gc_bench:tuned_app()"))
    runs: dict[str, list[dict[str, float]]] = {name: [] for name, _ in variants}
    try:
        for round_no in range(args.rounds):
            for name, factory in variants:
                runs[name].append(run_variant(factory, content_dir, tmp, args.seconds, round_no, redis_url))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    print(f"{'collector':<20}{'req/s':>8}{'p99 ms':>8}  collections after start-up, both workers "
          f"(count / total ms / longest ms) for generations 0, 1, 2")
    for name, results in runs.items():
        def med(field: str) -> float:
            return statistics.median(r[field] for r in results)
        gens = "   ".join(f"{med(f'gen{g}_count'):.0f} / {med(f'gen{g}_ms'):.1f} / {med(f'gen{g}_max_ms'):.1f}"
                          for g in "012")
        print(f"{name:<20}{med('rps'):>8.0f}{med('p99'):>8.2f}  {gens}")
    print(f"(gunicorn 2 sync workers, 16 connections, {WARMUP_BODIES} warm-up messages then {args.seconds}s, "
          f"never-seen questions; medians of {args.rounds} round(s), interleaved; Redis {redis_url})")


if __name__ == "__main__":
    main()
