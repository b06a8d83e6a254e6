"""Ordering of the connectors' opaque ``LastModified`` timestamps.

The hub never interprets a connector's timestamp format, but it must order values: when both parse
as numbers they compare numerically; when both parse as date-times (``[DT:…]`` or ISO 8601) they
compare as instants; otherwise they compare as text. The empty string comes before everything.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from functools import cmp_to_key, lru_cache

from .codec import ValueError_, decode_datetime

__all__ = ["as_datetime", "compare", "is_newer", "latest", "sort_key"]

_NUMBER = re.compile(r"^[+-]?\d+(\.\d+)?$")


@lru_cache(maxsize=65536)
def _as_number(value: str) -> Decimal | None:
    if not _NUMBER.match(value):
        return None
    try:
        return Decimal(value)
    except InvalidOperation:  # pragma: no cover - the pattern already guarantees a number
        return None


@lru_cache(maxsize=65536)  # the engine compares the same few timestamps thousands of times a page
def as_datetime(value: str) -> datetime | None:
    """The instant a timestamp names, when it is a date-time; ``None`` for opaque values."""
    if not value:
        return None
    if value.startswith("[DT:"):
        try:
            return decode_datetime(value)
        except ValueError_:
            return None
    if _NUMBER.match(value):
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
        return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)
    except (ValueError, OverflowError):  # OverflowError: out of range once in UTC
        return None


def compare(a: str, b: str) -> int:
    """-1, 0 or 1 as ``a`` is older than, as old as, or newer than ``b``."""
    if a == b:
        return 0
    if not a or not b:
        return -1 if not a else 1
    na, nb = _as_number(a), _as_number(b)
    if na is not None and nb is not None:
        return (na > nb) - (na < nb)
    da, db = as_datetime(a), as_datetime(b)
    if da is not None and db is not None:
        return (da > db) - (da < db)
    return (a > b) - (a < b)


def is_newer(a: str, b: str) -> bool:
    """Is ``a`` strictly newer than ``b``?"""
    return compare(a, b) > 0


def latest(*values: str) -> str:
    """The newest of ``values`` (``""`` when there are none)."""
    best = ""
    for value in values:
        if compare(value, best) > 0:
            best = value
    return best


sort_key = cmp_to_key(compare)
