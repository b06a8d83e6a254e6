"""Engine settings (reference §2.10): automatic sync On/Off and the interval, stored in
``ErpConfiguration``, where the engine's scheduler reads them at every tick. The full status
message (cycles, failures, dead letters) is the engine's ``operations.engine_overview``."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select

from erpsync.crm.texts import _

from .models import ErpConfiguration
from .priorities import configuration_row
from .service import Hub
from .transactions import reading, writing

__all__ = [
    "DEFAULT_INTERVAL",
    "MAX_INTERVAL",
    "MIN_INTERVAL",
    "EngineStatus",
    "change_engine_interval",
    "change_engine_status",
    "engine_status",
    "timespan",
]

#: About every minute at most ("probably not recommended") to yearly at least.
MIN_INTERVAL = 60
MAX_INTERVAL = 365 * 24 * 3600
DEFAULT_INTERVAL = 300


@dataclass(frozen=True, slots=True)
class EngineStatus:
    is_running: bool
    status_message: str
    interval_seconds: int

    @property
    def interval(self) -> str:
        return timespan(self.interval_seconds)


def timespan(seconds: int) -> str:
    """Seconds as a .NET TimeSpan, as the reference shows intervals: ``[d.]hh:mm:ss``."""
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, secs = divmod(rest, 60)
    clock = f"{hours:02d}:{minutes:02d}:{secs:02d}"
    return f"{days}.{clock}" if days else clock


def _status(running: bool, interval: int) -> EngineStatus:
    if running:
        message = _("Automatic sync is switched on (every %(interval)s).", interval=timespan(interval))
    else:
        message = _("Automatic sync is switched off (every %(interval)s).", interval=timespan(interval))
    return EngineStatus(running, message, interval)


def engine_status(hub: Hub) -> EngineStatus:
    with reading(hub) as session:
        row = session.scalar(select(ErpConfiguration).order_by(ErpConfiguration.id).limit(1))
        if row is None:
            return _status(False, DEFAULT_INTERVAL)
        return _status(row.sync_running, row.sync_interval)


def change_engine_status(hub: Hub, run: bool) -> EngineStatus:
    with writing(hub) as session:
        row = configuration_row(session)
        row.sync_running = run
        return _status(row.sync_running, row.sync_interval)


def change_engine_interval(hub: Hub, seconds: int) -> EngineStatus:
    """``seconds`` between :data:`MIN_INTERVAL` and :data:`MAX_INTERVAL` (the API checks the bounds)."""
    with writing(hub) as session:
        row = configuration_row(session)
        row.sync_interval = min(max(seconds, MIN_INTERVAL), MAX_INTERVAL)
        return _status(row.sync_running, row.sync_interval)
