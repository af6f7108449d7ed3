"""A per-thread Redis connection whose writes need not wait for their replies.

The webhook's last Redis step (cache the reply, save the conversation, unlock) must happen, but the
follower need not wait for Redis to acknowledge it. ``send_later`` writes the commands to the socket
and returns; ``flush`` reads their replies (logging any error) once the HTTP response has been
handed to the server, so Redis works on the write while the reply travels to WeChat, and by the time
the request is over the write is confirmed. A follower's next message is safe even before that: it
meets the follower's lock, which the same write releases.

Scripts are loaded on every (re)connect, so EVALSHA never meets NOSCRIPT after a Redis restart;
only an operator's SCRIPT FLUSH could still cost one deferred write (logged).

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
from typing import Any, Sequence

import redis as redis_lib

log = logging.getLogger(__name__)

Command = Sequence[Any]


class DeferredPipe:
    def __init__(self, redis: redis_lib.Redis, scripts: Sequence[str] = ()):
        self.pool = redis.connection_pool
        self.scripts = {script: hashlib.sha1(script.encode("utf-8")).hexdigest() for script in scripts}
        self._local = threading.local()

    def evalsha(self, script: str, keys: Sequence[Any], args: Sequence[Any]) -> Command:
        """The EVALSHA command for one of the scripts given at construction."""
        return ("EVALSHA", self.scripts[script], len(keys), *keys, *args)

    def _load_scripts(self, conn: Any) -> None:
        for script in self.scripts:
            conn.send_command("SCRIPT", "LOAD", script)
            conn.read_response()

    def _connection(self) -> Any:
        local = self._local
        if getattr(local, "pid", None) != os.getpid():      # never share a socket across a fork
            conn = self.pool.make_connection()
            conn.register_connect_callback(self._load_scripts)
            local.conn, local.pending, local.pid = conn, 0, os.getpid()
        return local.conn

    def _drain(self, conn: Any) -> None:
        """Read the replies of earlier ``send_later`` writes; a failed one is logged, not raised."""
        while self._local.pending:
            self._local.pending -= 1
            try:
                conn.read_response()
            except redis_lib.ResponseError as exc:
                log.error("deferred redis write failed: %s", exc)

    def call(self, commands: list[Command]) -> list[Any]:
        """Send ``commands`` in one round trip and return their replies (errors are returned, not raised)."""
        conn = self._connection()
        try:
            self._drain(conn)
            conn.send_packed_command(conn.pack_commands(commands))
            replies = []
            for _ in commands:
                try:
                    replies.append(conn.read_response())
                except redis_lib.ResponseError as exc:
                    replies.append(exc)
            return replies
        except BaseException:
            self._reset(conn)
            raise

    def send_later(self, commands: list[Command]) -> None:
        """Write ``commands`` now; read their replies at the next use of this connection."""
        conn = self._connection()
        try:
            self._drain(conn)
            conn.send_packed_command(conn.pack_commands(commands))
            self._local.pending = len(commands)
        except BaseException:
            self._reset(conn)
            raise

    def flush(self) -> None:
        """Wait for the replies of earlier ``send_later`` writes (call once the HTTP response is on its way)."""
        conn = getattr(self._local, "conn", None)
        if conn is None or not getattr(self._local, "pending", 0) or self._local.pid != os.getpid():
            return
        try:
            self._drain(conn)
        except (redis_lib.RedisError, OSError) as exc:
            log.warning("deferred redis write not confirmed: %s", type(exc).__name__)
            self._reset(conn)

    def _reset(self, conn: Any) -> None:
        self._local.pending = 0
        conn.disconnect()
