"""Content versions: seeding, publishing seen by every process within a second, rollback, refusing invalid content."""
from __future__ import annotations

import os
import queue
import shutil
import subprocess
import sys
import threading
import time

import pytest
import redis as redis_lib
from redis.backoff import NoBackoff
from redis.retry import Retry

from app import create_app
from handlers.content_needs import CONTENT_NEEDS
from tests.support.redis_server import PrivateRedis, free_port
from library import ContentInvalid, ContentLibrary
from library.bundle import read_dir
from library.publishing import NothingToPublish, publish, rollback
from library.versions import VersionStore
from wechat.redis_conn import Keys, connect

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CONTENT = os.path.join(ROOT, "content")
PROBE_RULE = """
  - name: version-probe
    keywords: [version probe]
    reply: {text: {zh: "PROBE-V2", en: "PROBE-V2"}}
"""


@pytest.fixture
def content_v2(tmp_path) -> str:
    """The real content plus one rule that answers "version probe"."""
    directory = str(tmp_path / "v2")
    shutil.copytree(CONTENT, directory)
    with open(os.path.join(directory, "rules.yaml"), "a", encoding="utf-8") as fh:
        fh.write(PROBE_RULE)
    return directory


@pytest.fixture
def broken_dir(tmp_path) -> str:
    directory = str(tmp_path / "broken")
    shutil.copytree(CONTENT, directory)
    with open(os.path.join(directory, "rules.yaml"), "a", encoding="utf-8") as fh:
        fh.write("  - name: oops\n    keywords: [oops]\n    reply: {article: no-such-article}\n")
    return directory


@pytest.fixture
def store(redis, key_prefix) -> VersionStore:
    return VersionStore(redis, Keys(key_prefix))


def test_first_start_seeds_version_one_once(app, store, make_settings, redis):
    assert store.current_number() == 1
    info = store.info(1)
    assert info.author == "seed" and info.summary == "seeded from content files"
    assert store.bundle(1) == read_dir(CONTENT)
    create_app(make_settings(), redis=redis)            # a second worker starting does not seed again
    assert [v.number for v in store.list()] == [1]
    assert app.test_client().get("/healthz").json["content_version"] == 1


def test_concurrent_first_starts_seed_exactly_one_version(redis_url, key_prefix, store):
    libraries: list[ContentLibrary] = []
    barrier = threading.Barrier(8)

    def start() -> None:
        client = redis_lib.Redis.from_url(redis_url)
        barrier.wait()
        libraries.append(ContentLibrary.open(client, Keys(key_prefix), CONTENT))

    threads = [threading.Thread(target=start) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert [v.number for v in store.list()] == [1]
    assert {lib.version for lib in libraries} == {1}


def test_publish_switches_the_running_app(follower, bot, store, content_v2):
    assert "PROBE-V2" not in follower.send("version probe").content
    number = publish(store, read_dir(content_v2), CONTENT_NEEDS, author="mei", message="probe rule")
    assert number == 2
    assert follower.send("version probe").content == "PROBE-V2"
    assert bot.library.version == 2
    info = store.info(2)
    assert info.author == "mei" and info.summary == "probe rule (changed rules.yaml)"


def test_publish_without_changes_is_refused(app, store):
    with pytest.raises(NothingToPublish):
        publish(store, read_dir(CONTENT), CONTENT_NEEDS, author="mei")
    assert publish(store, read_dir(CONTENT), CONTENT_NEEDS, author="mei", force=True) == 2


def test_rollback_serves_the_earlier_version_again(follower, bot, store, content_v2):
    publish(store, read_dir(content_v2), CONTENT_NEEDS, author="mei")
    assert follower.send("version probe").content == "PROBE-V2"
    rollback(store, 1, CONTENT_NEEDS, author="mei")
    assert "PROBE-V2" not in follower.send("version probe").content
    assert bot.library.version == 1 and store.current_number() == 1
    assert [v.number for v in store.list()] == [1, 2]                 # versions are never deleted
    assert store.log()[-1]["action"] == "rollback" and store.log()[-1]["from"] == 2
    rollback(store, 2, CONTENT_NEEDS, author="mei")
    assert follower.send("version probe").content == "PROBE-V2"
    with pytest.raises(KeyError):
        rollback(store, 9, CONTENT_NEEDS, author="mei")


def test_invalid_publish_is_refused_and_the_old_version_still_served(follower, bot, store, content_v2, broken_dir):
    publish(store, read_dir(content_v2), CONTENT_NEEDS, author="mei")
    with pytest.raises(ContentInvalid) as refused:
        publish(store, read_dir(broken_dir), CONTENT_NEEDS, author="mei")
    assert [(i.file, i.message) for i in refused.value.errors] == [("rules.yaml", "unknown article 'no-such-article'")]
    assert store.current_number() == 2 and [v.number for v in store.list()] == [1, 2]
    assert follower.send("version probe").content == "PROBE-V2"
    assert follower.send("oops").content != ""                         # answered by v2 (search or fallback)


def test_a_stored_version_this_code_cannot_load_is_never_served(follower, bot, store, content_v2, broken_dir, caplog):
    publish(store, read_dir(content_v2), CONTENT_NEEDS, author="mei")
    assert follower.send("version probe").content == "PROBE-V2"
    store.publish(read_dir(broken_dir), author="bypass", summary="written around the checks")   # current -> 3
    assert follower.send("version probe").content == "PROBE-V2"        # keeps serving the last good version
    assert bot.library.version == 2
    assert bot.health()["content_version"] == 2
    assert "content version 3 is missing or invalid" in caplog.text


def test_rollback_refuses_a_version_that_fails_todays_checks(store, broken_dir, app):
    bad = store.publish(read_dir(broken_dir), author="bypass", summary="x")
    rollback(store, 1, CONTENT_NEEDS, author="mei")
    with pytest.raises(ContentInvalid):
        rollback(store, bad, CONTENT_NEEDS, author="mei")
    assert store.current_number() == 1


def test_an_idle_worker_reports_the_new_version_within_a_second(redis, key_prefix, store, content_v2, app):
    idle = ContentLibrary.open(redis, Keys(key_prefix), CONTENT)
    assert idle.version == 1
    publish(store, read_dir(content_v2), CONTENT_NEEDS, author="mei")
    published = time.monotonic()
    while idle.version != 2:
        assert time.monotonic() - published < 1.0, "idle worker still on the old version after 1 s"
        time.sleep(0.05)


WATCHER = """
import sys, time
from app import create_app
from handlers.content_needs import CONTENT_NEEDS
from devtools.simulator import FlaskTransport, Follower
app = create_app()
bot = app.extensions["wxbot"]
follower = Follower(FlaskTransport(app.test_client()), bot.settings.wechat_token, openid="o_watcher", mode="plain")
print("READY", bot.library.version, follower.send("version probe").content[:20].replace(chr(10), " "), flush=True)
deadline = time.monotonic() + 60
while time.monotonic() < deadline:
    reply = follower.send("version probe")
    print("SEEN", bot.library.current().version, reply.content[:20].replace(chr(10), " "), flush=True)
    time.sleep(0.02)
"""


def test_publish_in_one_process_is_served_by_another_within_a_second(settings, store, content_v2, app):
    env = {**os.environ, "WECHAT_TOKEN": settings.wechat_token, "REDIS_URL": settings.redis_url,
           "REDIS_KEY_PREFIX": settings.key_prefix, "CONTENT_DIR": CONTENT, "LOG_LEVEL": "WARNING",
           "PYTHONPATH": ROOT}
    env.pop("WECHAT_AES_KEY", None)
    proc = subprocess.Popen([sys.executable, "-c", WATCHER], cwd=ROOT, env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.DEVNULL, text=True)
    lines: queue.Queue[str] = queue.Queue()
    threading.Thread(target=lambda: [lines.put(line) for line in proc.stdout], daemon=True).start()
    try:
        first = lines.get(timeout=60)
        assert first.startswith("READY 1") and "PROBE-V2" not in first
        publish(store, read_dir(content_v2), CONTENT_NEEDS, author="mei")
        published = time.monotonic()
        while True:
            remaining = 1.0 - (time.monotonic() - published)
            assert remaining > 0, "the other process did not serve the new version within 1 s"
            line = lines.get(timeout=remaining)
            if "PROBE-V2" in line:
                assert line.startswith("SEEN 2")
                break
    finally:
        proc.kill()
        proc.wait(10)


def test_redis_down_keeps_serving_the_loaded_version(make_settings, content_v2):
    server = PrivateRedis().start()
    try:
        settings = make_settings(redis_url=server.url)
        app = create_app(settings, redis=connect(settings))
        from devtools.simulator import FlaskTransport, Follower
        follower = Follower(FlaskTransport(app.test_client()), settings.wechat_token, openid="o_down", mode="plain")
        publish(VersionStore(connect(settings), Keys(settings.key_prefix)), read_dir(content_v2), CONTENT_NEEDS,
                author="mei")
        assert follower.send("version probe").content == "PROBE-V2"
        server.stop()
        assert follower.send("version probe").content == "PROBE-V2"
        assert app.extensions["wxbot"].library.version == 2
    finally:
        server.close()


def test_redis_down_at_start_serves_the_files(tmp_path):
    unreachable = redis_lib.Redis(host="127.0.0.1", port=free_port(), socket_connect_timeout=0.2, socket_timeout=0.2,
                                  retry=Retry(NoBackoff(), 0))
    library = ContentLibrary.open(unreachable, Keys("nowhere:"), CONTENT)
    assert library.current(None).version == 0
    assert library.current(None).message("welcome", "en").startswith("Welcome!")


# -- the CLI -------------------------------------------------------------------------------------------
def test_cli_publish_versions_diff_export_import_rollback(app, tmp_path, content_v2, broken_dir):
    runner = app.test_cli_runner()

    result = runner.invoke(args=["content", "publish"])
    assert result.exit_code == 0 and "nothing to publish" in result.output

    result = runner.invoke(args=["content", "diff", "--dir", content_v2])
    assert result.exit_code == 0 and "+  - name: version-probe" in result.output and "v1/rules.yaml" in result.output

    result = runner.invoke(args=["content", "publish", "--dir", content_v2, "--author", "mei", "-m", "probe"])
    assert result.exit_code == 0 and "published version 2: probe (changed rules.yaml)" in result.output

    result = runner.invoke(args=["content", "publish", "--dir", broken_dir, "--author", "mei"])
    assert result.exit_code != 0
    assert "rules.yaml:" in result.output and "unknown article 'no-such-article'" in result.output
    assert "not published" in result.output

    exported = str(tmp_path / "exported")
    result = runner.invoke(args=["content", "export", exported])
    assert result.exit_code == 0 and "exported version 2" in result.output
    assert read_dir(exported) == read_dir(content_v2)

    with open(os.path.join(exported, "messages.yaml"), "a", encoding="utf-8") as fh:
        fh.write("topics:\n  zh: \"KOL、B站\"\n  en: \"KOL, Bilibili\"\n")
    result = runner.invoke(args=["content", "import", exported, "--author", "lee"])
    assert result.exit_code == 0 and "published version 3" in result.output

    result = runner.invoke(args=["content", "versions"])
    lines = result.output.strip().splitlines()
    assert lines[0].startswith("*    3") and "lee" in lines[0]
    assert lines[-1].startswith("     1") and "seed" in lines[-1]

    result = runner.invoke(args=["content", "rollback", "1"])
    assert result.exit_code == 0 and "version 1 is live" in result.output
    result = runner.invoke(args=["content", "rollback", "42"])
    assert result.exit_code != 0 and "no content version 42" in result.output

    result = runner.invoke(args=["content", "diff", "--from", "1", "--to", "3"])
    assert "topics:" in result.output and "version-probe" in result.output

    old = str(tmp_path / "old")
    runner.invoke(args=["content", "export", old, "--version", "1"])
    assert read_dir(old) == read_dir(CONTENT)


def test_broken_files_and_nothing_published_still_start_politely(make_settings, redis, broken_dir, caplog):
    settings = make_settings(content_dir=broken_dir)
    app = create_app(settings, redis=redis)
    assert "no valid content" in caplog.text and "content check" in caplog.text    # one clear line for the operator
    store = VersionStore(redis, Keys(settings.key_prefix))
    assert store.current_number() is None                       # invalid files are never seeded
    from devtools.simulator import FlaskTransport, Follower
    follower = Follower(FlaskTransport(app.test_client()), settings.wechat_token, openid="o_early", mode="plain")
    assert follower.send("KOL").content == "系统有点忙，请稍后再试一次。"
    assert follower.click("MENU_CONTACT").content == "系统有点忙，请稍后再试一次。"      # no flow wording: no crash
    result = app.test_cli_runner().invoke(args=["content", "check"])
    assert result.exit_code == 1 and "unknown article 'no-such-article'" in result.output
    publish(store, read_dir(CONTENT), CONTENT_NEEDS, author="mei")             # a good publish fixes every worker
    assert follower.send("KOL").type == "news"
