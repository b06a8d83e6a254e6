"""Errors of the hub's operations; the API turns each into its status code.

HubError
├── NotFound            no such connector, connection, field, record or link (404)
├── AccessDenied        outside the connection's scope, or without CanConnect / CanCreateERP (403)
├── Refused             a rule of reference §2 says no; ``reasons`` lists why (409)
├── InvalidInput        the request's values are wrong; ``errors`` maps field → message (422)
├── ConnectorFailed     the connector answered with an error or could not be reached (502)
└── EngineNotAvailable  the method needs the sync engine, which is not running here (503)
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

__all__ = [
    "AccessDenied",
    "ConnectorFailed",
    "EngineNotAvailable",
    "HubError",
    "InvalidInput",
    "NotFound",
    "Refused",
]


class HubError(Exception):
    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class NotFound(HubError):
    pass


class AccessDenied(HubError):
    pass


class Refused(HubError):
    def __init__(self, message: str, reasons: Iterable[str] = ()) -> None:
        super().__init__(message)
        self.reasons = list(reasons)


class InvalidInput(HubError):
    def __init__(self, message: str, errors: Mapping[str, str] | None = None) -> None:
        super().__init__(message)
        self.errors = dict(errors or {})


class ConnectorFailed(HubError):
    """``user_explanation`` is the connector's own text for people (may pack languages)."""

    def __init__(self, message: str, user_explanation: str = "", error_code: str = "") -> None:
        super().__init__(message)
        self.user_explanation = user_explanation
        self.error_code = error_code


class EngineNotAvailable(HubError):
    pass
