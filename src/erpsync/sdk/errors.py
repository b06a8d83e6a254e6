"""Exceptions a connector raises; the host turns each into a ``State=Error`` reply.

A connector never has to build error carriers by hand: raise one of these (or let any other
exception escape — the host then answers with an ``InternalError`` and the traceback as the
technical explanation).
"""

from __future__ import annotations

from erpsync.protocol import ErrorCode, FailureKind

__all__ = [
    "ActorNotFound",
    "ConfigInvalid",
    "ConnectionInfoMissing",
    "ConnectorFailure",
    "InvalidValue",
    "MandatoryFieldMissing",
    "NotSupported",
    "ReadOnlyField",
    "UnknownActorType",
    "UnknownField",
    "UnknownList",
]


class ConnectorFailure(Exception):
    """Base: carries what the reply will say."""

    error_code: str = ErrorCode.InternalError
    failure_kind: FailureKind = FailureKind.transient

    def __init__(
        self,
        user_explanation: str,
        tech_explanation: str = "",
        error_code: str | None = None,
        failure_kind: FailureKind | None = None,
    ) -> None:
        super().__init__(user_explanation)
        self.user_explanation = user_explanation
        self.tech_explanation = tech_explanation
        if error_code is not None:
            self.error_code = error_code
        if failure_kind is not None:
            self.failure_kind = failure_kind


class ConnectionInfoMissing(ConnectorFailure):
    """No config is stored for the connection GUID; the hub re-sends it and retries once."""

    error_code = ErrorCode.ConnectionInfoMissing
    failure_kind = FailureKind.config


class ConfigInvalid(ConnectorFailure):
    error_code = ErrorCode.ConfigInvalid
    failure_kind = FailureKind.config


class UnknownActorType(ConnectorFailure):
    error_code = ErrorCode.UnknownActorType
    failure_kind = FailureKind.config


class UnknownList(ConnectorFailure):
    error_code = ErrorCode.UnknownList
    failure_kind = FailureKind.config


class NotSupported(ConnectorFailure):
    error_code = ErrorCode.NotSupported
    failure_kind = FailureKind.config


class UnknownField(ConnectorFailure):
    error_code = ErrorCode.UnknownField
    failure_kind = FailureKind.actor


class InvalidValue(ConnectorFailure):
    error_code = ErrorCode.InvalidValue
    failure_kind = FailureKind.actor


class ReadOnlyField(ConnectorFailure):
    error_code = ErrorCode.ReadOnlyField
    failure_kind = FailureKind.actor


class MandatoryFieldMissing(ConnectorFailure):
    error_code = ErrorCode.MandatoryFieldMissing
    failure_kind = FailureKind.actor


class ActorNotFound(ConnectorFailure):
    error_code = ErrorCode.ActorNotFound
    failure_kind = FailureKind.actor
