"""The demo ERP's clock: the format of ``LastModified`` and how the next tick is taken.

A tick is ``max(now, previous tick + 1 µs)``: global (one clock per database), strictly increasing
even when the system clock stands still or goes back, and written as fixed-width ISO UTC
(``2024-05-01T12:00:00.000000Z``) so that text order is time order and the value still parses as
a date-time.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from erpsync.protocol.timestamps import as_datetime
from erpsync.sdk.errors import InvalidValue
from erpsync.sdk.languages import explain as _

__all__ = ["format_timestamp", "is_tick", "next_tick", "normalise_timestamp", "parse_tick"]

_TICK_TEXT = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z$")
_TICK = timedelta(microseconds=1)


def format_timestamp(moment: datetime) -> str:
    """The fixed-width UTC text of a clock tick (sortable as text)."""
    moment = moment.astimezone(UTC) if moment.tzinfo else moment
    return (
        f"{moment.year:04d}-{moment.month:02d}-{moment.day:02d}T"
        f"{moment.hour:02d}:{moment.minute:02d}:{moment.second:02d}.{moment.microsecond:06d}Z"
    )


def normalise_timestamp(text: str) -> str:
    """A caller's timestamp in tick format; ``""`` stays ``""`` (= from the beginning).

    Our own ticks pass unchanged; other date-times (``[DT:…]``, other ISO forms) are converted.
    Raises :class:`InvalidValue` for anything that is not a date-time.
    """
    if not text or is_tick(text):
        return text
    moment = as_datetime(text)
    if moment is None:
        raise InvalidValue(
            _("%(value)r is not a timestamp of the demo ERP.", value=text),
            "expected YYYY-MM-DDTHH:MM:SS.ffffffZ, an ISO 8601 date-time or [DT:…]",
        )
    return format_timestamp(moment)


def is_tick(text: str) -> bool:
    """Is ``text`` written in the tick format?"""
    return _TICK_TEXT.match(text) is not None


def parse_tick(text: str) -> datetime:
    """The instant of a tick."""
    return datetime.strptime(text, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=UTC)


def next_tick(previous: str, now: datetime) -> str:
    """The tick after ``previous`` ("" = none yet) at wall-clock time ``now``."""
    moment = now.astimezone(UTC)
    if previous:
        moment = max(moment, parse_tick(previous) + _TICK)
    return format_timestamp(moment)
