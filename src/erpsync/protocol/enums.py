"""Enumerations of the connector contract, sent on the wire by name."""

from __future__ import annotations

from enum import StrEnum

__all__ = [
    "SUPPORTED_ACTOR_TYPES",
    "ActorType",
    "Capability",
    "ErrorCode",
    "FailureKind",
    "FieldAccess",
    "FieldType",
    "ResponseState",
]


class ActorType(StrEnum):
    """ERP actor types. A connector may only announce these; it cannot define its own."""

    Unknown = "Unknown"
    Customer = "Customer"
    Supplier = "Supplier"
    Partner = "Partner"
    Person = "Person"
    Project = "Project"
    Employee = "Employee"
    Sale = "Sale"


#: Actor types the sync engine works with (Employee and Sale may be announced but are not synced).
SUPPORTED_ACTOR_TYPES = frozenset(
    {ActorType.Customer, ActorType.Supplier, ActorType.Partner, ActorType.Person, ActorType.Project}
)


class FieldType(StrEnum):
    """Kinds of field a connector declares (FieldMetadataTypeInfo)."""

    Checkbox = "Checkbox"
    Text = "Text"
    Password = "Password"  # noqa: S105 - a field kind, not a secret
    Integer = "Integer"
    Double = "Double"
    List = "List"
    Datetime = "Datetime"
    Label = "Label"


class FieldAccess(StrEnum):
    Normal = "Normal"
    Mandatory = "Mandatory"
    ReadOnly = "ReadOnly"


class ResponseState(StrEnum):
    """Ok and OkWithInfo completed; Warning completed, maybe degraded; Error did not complete."""

    Ok = "Ok"
    OkWithInfo = "OkWithInfo"
    Warning = "Warning"
    Error = "Error"


class FailureKind(StrEnum):
    """Extension: what an error means for the caller.

    ``config`` — the connection is misconfigured: skip it until someone fixes it;
    ``transient`` — try again later with backoff; ``actor`` — this one actor was refused: dead-letter it.
    """

    none = ""
    config = "config"
    transient = "transient"
    actor = "actor"


class ErrorCode(StrEnum):
    """Machine codes in ``PluginResponse.ErrorCode``. Connectors may send codes of their own too."""

    ConnectionInfoMissing = "ConnectionInfoMissing"
    InvalidRequest = "InvalidRequest"
    UnknownOperation = "UnknownOperation"
    UnknownConnector = "UnknownConnector"
    UnknownActorType = "UnknownActorType"
    UnknownField = "UnknownField"
    UnknownList = "UnknownList"
    InvalidValue = "InvalidValue"
    ActorNotFound = "ActorNotFound"
    ReadOnlyField = "ReadOnlyField"
    MandatoryFieldMissing = "MandatoryFieldMissing"
    NotSupported = "NotSupported"
    PayloadTooLarge = "PayloadTooLarge"
    Unauthorized = "Unauthorized"
    ConfigInvalid = "ConfigInvalid"
    InternalError = "InternalError"


class Capability(StrEnum):
    """Extensions a connector offers, announced by ``GetCapabilities``."""

    PagedTimestampFeed = "PagedTimestampFeed"
    PerActorResults = "PerActorResults"
    BatchCreate = "BatchCreate"
    DeleteFeed = "DeleteFeed"
