"""The connector SDK: base class, host, config store, search helpers, conformance checker."""

from .config_store import ConfigStore, load_or_create_key
from .connector import ActorPage, DeletedPage, ErpConnector, connector_classes, register_connector
from .errors import (
    ActorNotFound,
    ConfigInvalid,
    ConnectionInfoMissing,
    ConnectorFailure,
    InvalidValue,
    MandatoryFieldMissing,
    NotSupported,
    ReadOnlyField,
    UnknownActorType,
    UnknownField,
    UnknownList,
)

__all__ = [
    "ActorNotFound",
    "ActorPage",
    "ConfigInvalid",
    "ConfigStore",
    "ConnectionInfoMissing",
    "ConnectorFailure",
    "DeletedPage",
    "ErpConnector",
    "InvalidValue",
    "MandatoryFieldMissing",
    "NotSupported",
    "ReadOnlyField",
    "UnknownActorType",
    "UnknownField",
    "UnknownList",
    "connector_classes",
    "load_or_create_key",
    "register_connector",
]
