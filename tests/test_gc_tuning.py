"""The served app tunes Python's collector once per worker (config/gc_tuning.py); apps built by tests,
commands and second apps in one process leave it alone."""
from __future__ import annotations

import json
import os
import subprocess
import sys

from tests.test_first_run import ROOT

PROBE = """
import gc, json, sys
before = (gc.get_threshold(), gc.get_freeze_count())
from app import create_app
app = create_app()                       # as gunicorn calls it: settings from the environment
served = (gc.get_threshold(), gc.get_freeze_count())
leftover = [object() for _ in range(3)]  # built after start-up: not frozen
create_app()                             # a second app in the same process changes nothing
again = (gc.get_threshold(), gc.get_freeze_count())
print(json.dumps({"before": before, "served": served, "again": again}))
"""


def test_a_served_app_freezes_start_up_and_raises_the_young_threshold(redis_url, key_prefix, tmp_path):
    env = {**os.environ, "WECHAT_TOKEN": "gctoken", "REDIS_URL": redis_url, "REDIS_KEY_PREFIX": key_prefix,
           "CONTENT_DIR": str(ROOT / "content"), "LOG_LEVEL": "WARNING", "FLASK_SKIP_DOTENV": "1"}
    done = subprocess.run([sys.executable, "-c", PROBE], cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0, done.stderr
    seen = json.loads(done.stdout.strip().splitlines()[-1])
    (threshold_before, frozen_before), (threshold, frozen) = seen["before"], seen["served"]
    assert frozen_before == 0 and threshold_before[0] != 20_000     # CPython's default (700 on 3.11)
    assert threshold[0] == 20_000 and threshold[1:] == threshold_before[1:]
    assert frozen > 50_000                   # the modules, compiled content and app: out of every collection
    # Not frozen again (a second freeze would add the new app's thousands of objects); frozen objects that
    # died since were freed by reference counting.
    assert seen["again"][0] == threshold and seen["again"][1] <= frozen


def test_apps_built_with_their_own_settings_leave_the_collector_alone(app):
    import gc

    assert app.extensions["wxbot"] is not None
    assert gc.get_freeze_count() == 0 and gc.get_threshold()[0] != 20_000


def test_a_replaced_content_version_is_freed_without_the_collector():
    """The start-up version is frozen (never collected); a publish must free it by reference counting."""
    import gc
    import weakref

    from library.bundle import read_dir
    from library.compiled import compile_bundle

    was_enabled = gc.isenabled()
    gc.disable()
    try:
        content = compile_bundle(read_dir(str(ROOT / "content")), version=1)
        content.index("en"), content.index("zh")                 # everything a served version builds
        content.intent("KOL"), content.find("微博还有用吗", "zh"), content.find("KOL marketing", "en")
        alive = weakref.ref(content)
        del content
        assert alive() is None
    finally:
        if was_enabled:
            gc.enable()
