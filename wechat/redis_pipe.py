"""A per-thread Redis connection whose writes need not wait for their replies.

The webhook's last Redis step (cache the reply, save the conversation, unlock) must happen, but the
follower need not wait for Redis to acknowledge it. ``send_later`` writes the commands to the socket
and returns; ``flush`` reads their replies (logging any error) once the HTTP response has been
handed to the server, so Redis works on the write while the reply travels to WeChat, and by the time
the request is over the write is confirmed. A follower's next message is safe even before that: it
meets the follower's lock, which the same write releases.

A connection that was used before may have died while idle (a Redis restart): a connection error on
it is retried once on a fresh connection before the caller sees it, so the first message after Redis
comes back is served with Redis, not without. A fresh connection that fails, or any timeout, is
raised at once (the caller's breaker then skips Redis for a moment).

Scripts are loaded on every (re)connect, so EVALSHA never meets NOSCRIPT after a Redis restart;
only an operator's SCRIPT FLUSH could still cost one deferred write (logged). Each connect also
reads Redis's clock, so ``deadline_ms`` can tell a script when its caller will have given up.

Usage::

    pipe = DeferredPipe(redis, scripts=[CLAIM])
    owned, conv = pipe.call([pipe.evalsha(CLAIM, [key], [arg])])[0]   # waits for the reply
    pipe.send_later([("SET", key, value), ("EXPIRE", key, 60)])        # does not wait
"""
from __future__ import annotations

import hashlib
import logging
import os
import threading
import time
from typing import Any, Sequence

import redis as redis_lib

try:
    from hiredis import pack_command as _hiredis_pack
except ImportError:   # hiredis is a dependency; without it redis-py packs in Python
    _hiredis_pack = None

log = logging.getLogger(__name__)

Command = Sequence[Any]

# This process's id, kept current across forks: os.getpid() is a system call, asked several times a message.
_pid = os.getpid()


def _forked() -> None:
    global _pid
    _pid = os.getpid()


os.register_at_fork(after_in_child=_forked)


def process_id() -> int:
    """``os.getpid()`` without the system call (updated in a forked child before it runs anything else)."""
    return _pid


class DeferredPipe:
    def __init__(self, redis: redis_lib.Redis, scripts: Sequence[str] = ()):
        self.pool = redis.connection_pool
        self.scripts = {script: hashlib.sha1(script.encode("utf-8")).hexdigest() for script in scripts}
        self._local = threading.local()

    def evalsha(self, script: str, keys: Sequence[Any], args: Sequence[Any]) -> Command:
        """The EVALSHA command for one of the scripts given at construction."""
        return ("EVALSHA", self.scripts[script], len(keys), *keys, *args)

    def _on_connect(self, conn: Any) -> None:
        for script in self.scripts:
            conn.send_command("SCRIPT", "LOAD", script)
            conn.read_response()
        self._sync_clock(conn)

    def _sync_clock(self, conn: Any) -> None:
        """Remember how far Redis's clock is from ours (to a round trip), for ``deadline_ms``."""
        before = time.time()
        conn.send_command("TIME")
        seconds, micros = conn.read_response()
        after = time.time()
        self._local.offset_ms = int(seconds) * 1000 + int(micros) // 1000 - (before + after) * 500

    def deadline_ms(self, within_s: float) -> int:
        """Redis's clock ``within_s`` seconds from now: a script run later than this has lost its caller."""
        return int(time.time() * 1000 + getattr(self._local, "offset_ms", 0.0) + within_s * 1000)

    def resync_clock(self) -> None:
        """Our clock or Redis's jumped: measure the offset again on this thread's connection."""
        conn, _ = self._connection()
        try:
            self._drain(conn)
            self._sync_clock(conn)
        except BaseException:
            self._reset(conn)
            raise

    def _connection(self) -> tuple[Any, bool]:
        """This thread's connection and whether it served a round trip before (so it may have gone stale)."""
        local = self._local
        if getattr(local, "pid", None) != _pid:      # never share a socket across a fork
            conn = self.pool.make_connection()
            conn.register_connect_callback(self._on_connect)
            local.conn, local.pending, local.pid, local.used = conn, 0, _pid, False
        return local.conn, local.used

    def _drain(self, conn: Any) -> None:
        """Read the replies of earlier ``send_later`` writes; a failed one is logged, not raised."""
        while self._local.pending:
            self._local.pending -= 1
            try:
                conn.read_response()
            except redis_lib.ResponseError as exc:
                log.error("deferred redis write failed: %s", exc)

    def _round_trip(self, conn: Any, commands: list[Command], *, wait: bool) -> list[Any]:
        self._drain(conn)
        conn.send_packed_command(_pack(conn, commands))
        self._local.used = True
        if not wait:
            self._local.pending = len(commands)
            return []
        replies = []
        for _ in commands:
            try:
                replies.append(conn.read_response())
            except redis_lib.ResponseError as exc:
                replies.append(exc)
        return replies

    def _with_retry(self, commands: list[Command], *, wait: bool) -> list[Any]:
        conn, used = self._connection()
        try:
            return self._round_trip(conn, commands, wait=wait)
        except redis_lib.ConnectionError as exc:
            self._reset(conn)
            if not used:
                raise
            # Idle or broken since its last use (e.g. Redis restarted): once more on a fresh connection.
            log.info("redis connection was stale (%s); retrying once on a fresh one", type(exc).__name__)
        except BaseException:
            self._reset(conn)
            raise
        try:
            return self._round_trip(conn, commands, wait=wait)
        except BaseException:
            self._reset(conn)
            raise

    def call(self, commands: list[Command]) -> list[Any]:
        """Send ``commands`` in one round trip and return their replies (errors are returned, not raised).

        Commands sent through ``call`` must be safe to run twice: after a connection error on a used
        connection they are sent again, and Redis may have run the first copy.
        """
        return self._with_retry(commands, wait=True)

    def send_later(self, commands: list[Command]) -> None:
        """Write ``commands`` now; read their replies at the next use of this connection."""
        self._with_retry(commands, wait=False)

    def flush(self) -> None:
        """Wait for the replies of earlier ``send_later`` writes (call once the HTTP response is on its way)."""
        conn = getattr(self._local, "conn", None)
        if conn is None or not getattr(self._local, "pending", 0) or self._local.pid != _pid:
            return
        try:
            self._drain(conn)
        except (redis_lib.RedisError, OSError) as exc:
            log.warning("deferred redis write not confirmed: %s", type(exc).__name__)
            self._reset(conn)

    def _reset(self, conn: Any) -> None:
        if self._local.pending:
            log.warning("%d deferred redis write(s) not confirmed (connection lost)", self._local.pending)
        self._local.pending = 0
        self._local.used = False
        conn.disconnect()


def _pack(conn: Any, commands: list[Command]) -> list[bytes]:
    """The commands in Redis's protocol (one buffer, as ``send_packed_command`` takes it), packed by hiredis in C (redis-py's own packer first rebuilds every
    argument tuple in Python: a third of the cost of a message's Redis calls on our side)."""
    if _hiredis_pack is not None:
        try:
            return [b"".join([_hiredis_pack(tuple(command)) for command in commands])]
        except TypeError:   # an argument type hiredis does not take: let redis-py convert it
            pass
    return conn.pack_commands(commands)
