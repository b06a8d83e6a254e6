"""Errors raised by the connector client.

ConnectorError
├── ConnectorTransportError      the call did not get a usable reply: retry later
│   ├── ConnectorTimeout
│   ├── ConnectorUnavailable     connection refused, DNS, 5xx without a carrier
│   └── MalformedReply           not JSON, or not the carrier the operation promises
└── ConnectorReplyError          the connector answered State=Error (``.response`` holds the carrier)
    ├── ConnectorRefusedRequest  the host refused the request (4xx): bad input, unknown operation …
    │   └── ConnectorAuthenticationError   the signature was refused (401)
    └── ConnectionInfoMissingError         the connector lost the connection's config
"""

from __future__ import annotations

from .carriers import PluginResponse
from .enums import FailureKind

__all__ = [
    "ConnectionInfoMissingError",
    "ConnectorAuthenticationError",
    "ConnectorError",
    "ConnectorRefusedRequest",
    "ConnectorReplyError",
    "ConnectorTimeout",
    "ConnectorTransportError",
    "ConnectorUnavailable",
    "MalformedReply",
    "UnknownPluginError",
]


class ConnectorError(Exception):
    """Root of every client error; ``operation`` names the call."""

    failure_kind: FailureKind = FailureKind.transient

    def __init__(self, message: str, operation: str = "") -> None:
        super().__init__(message)
        self.operation = operation


class ConnectorTransportError(ConnectorError):
    failure_kind = FailureKind.transient


class ConnectorTimeout(ConnectorTransportError):
    pass


class ConnectorUnavailable(ConnectorTransportError):
    pass


class MalformedReply(ConnectorTransportError):
    pass


class UnknownPluginError(ConnectorUnavailable):
    """``plugin://name`` names no connector registered in this process."""


class ConnectorReplyError(ConnectorError):
    """The connector replied with ``State=Error``."""

    def __init__(self, response: PluginResponse, operation: str = "", status_code: int = 200) -> None:
        text = response.user_explanation or response.tech_explanation or response.error_code or "error"
        super().__init__(f"{operation or 'connector'}: {text}", operation)
        self.response = response
        self.status_code = status_code

    @property
    def error_code(self) -> str:
        return self.response.error_code

    @property
    def failure_kind(self) -> FailureKind:  # type: ignore[override]
        return self.response.failure_kind or FailureKind.config


class ConnectorRefusedRequest(ConnectorReplyError):
    pass


class ConnectorAuthenticationError(ConnectorRefusedRequest):
    pass


class ConnectionInfoMissingError(ConnectorReplyError):
    pass
