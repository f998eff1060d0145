"""The API's error type and argument parsing, shared by every route module (routes.py mounts them
all, so they cannot import it)."""

from __future__ import annotations

from flask import request

from core.candles import MAX_TIME_MS


class ApiError(Exception):
    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status = status
        self.message = message


def int_arg(name: str, default: int | None, minimum: int, maximum: int = MAX_TIME_MS) -> int | None:
    raw = request.args.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ApiError(400, f"{name} must be a whole number, got {raw!r}") from None
    if value < minimum:
        raise ApiError(400, f"{name} must be >= {minimum}, got {value}")
    if value > maximum:
        raise ApiError(400, f"{name} must be <= {maximum} (epoch ms within 2^53), got {value}")
    return value
