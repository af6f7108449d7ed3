"""Errors an operator can fix, shown as one short line and exit status 1 instead of a traceback."""
from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

import click
import redis as redis_lib

from wechat.api_client import WeChatAPIError
from wechat.menu import MenuError


def friendly(func: Callable[..., Any]) -> Callable[..., Any]:
    """Turn WeChat, Redis, menu and file problems into a ``click.ClickException``."""
    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except MenuError as exc:
            raise click.ClickException(str(exc)) from None
        except WeChatAPIError as exc:
            hint = " (is WECHAT_API_BASE_URL reachable?)" if exc.errcode is None else ""
            raise click.ClickException(f"{exc}{hint}") from None
        except redis_lib.RedisError as exc:
            raise click.ClickException(f"cannot reach Redis: {exc}") from None
        except (OSError, ValueError) as exc:
            raise click.ClickException(str(exc)) from None
    return wrapper
