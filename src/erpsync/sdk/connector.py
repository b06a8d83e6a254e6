"""The base class a connector author subclasses.

A connector implements the contract's operations as snake_case methods over plain carriers and
raises :mod:`erpsync.sdk.errors` exceptions for failures; the host does the wire work (decoding,
validation of the request, error carriers, signatures). An operation left unimplemented raises
``NotImplementedError``, is answered with ``NotSupported`` and is left out of ``GetCapabilities``.

Example::

    @register_connector
    class Books(ErpConnector):
        name = "books"

        def get_config_data(self) -> list[FieldMetadata]:
            return [FieldMetadata(field_key="ApiKey", field_type=FieldType.Password,
                                  access=FieldAccess.Mandatory)]
        ...
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import ClassVar

from erpsync.protocol import (
    ActorResult,
    ErpActor,
    FieldAccess,
    FieldMetadata,
    FieldType,
    ListItem,
    PluginResponse,
    SearchRestriction,
)
from erpsync.protocol.codec import ValueError_, decode

from .config_store import ConfigStore
from .errors import (
    ConnectionInfoMissing,
    ConnectorFailure,
    InvalidValue,
    MandatoryFieldMissing,
    ReadOnlyField,
    UnknownField,
)

__all__ = ["ActorPage", "DeletedPage", "ErpConnector", "connector_classes", "register_connector"]


@dataclass(slots=True)
class ActorPage:
    """One page of the change feed; ``next_page_token`` is empty on the last page."""

    actors: list[ErpActor]
    next_page_token: str = ""


@dataclass(slots=True)
class DeletedPage:
    deleted: list[tuple[str, str, str]] = field(default_factory=list)  # (actor type, ErpKey, deleted at)
    next_page_token: str = ""


class ErpConnector:
    """Base of every connector. One instance serves every connection GUID of that connector."""

    #: The connector's unique name: used in ``plugin://<name>`` and ``/connectors/<name>/…``.
    name: ClassVar[str] = ""
    #: Largest page the connector serves in the paged change feed (0 = no paging).
    max_page_size: ClassVar[int] = 0

    def __init__(self, config_store: ConfigStore, data_dir: Path) -> None:
        self.config_store = config_store
        self.data_dir = data_dir

    def prepare(self) -> None:
        """Called once by the host on start: create whatever the connector needs to answer."""

    # -- connections ---------------------------------------------------------------------------

    def get_config_data(self) -> list[FieldMetadata]:
        raise NotImplementedError

    def test_config_data(self, connection_info: dict[str, str]) -> PluginResponse:
        raise NotImplementedError

    def save_connection(self, connection_guid: str, connection_info: dict[str, str]) -> PluginResponse:
        """Store the config for the GUID (Password values encrypted)."""
        secret_keys = [f.field_key for f in self.get_config_data() if f.field_type is FieldType.Password]
        self.config_store.save(connection_guid, connection_info, secret_keys)
        return PluginResponse.ok()

    def test_connection(self, connection_guid: str) -> PluginResponse:
        return self.test_config_data(self.connection_info(connection_guid))

    def delete_connection(self, connection_guid: str) -> PluginResponse:
        self.config_store.delete(connection_guid)
        return PluginResponse.ok()

    def connection_info(self, connection_guid: str) -> dict[str, str]:
        """The stored config of a connection; raises :class:`ConnectionInfoMissing` when there is none."""
        info = self.config_store.load(connection_guid)
        if info is None:
            raise ConnectionInfoMissing(
                "The connector has no configuration for this connection.",
                f"no config stored for connection {connection_guid}",
            )
        return info

    # -- discovery -------------------------------------------------------------------------------

    def get_supported_actor_types(self, connection_guid: str) -> list[str]:
        raise NotImplementedError

    def get_supported_actor_type_fields(self, connection_guid: str, actor_type: str) -> list[FieldMetadata]:
        raise NotImplementedError

    def get_searchable_fields(self, connection_guid: str, actor_type: str) -> list[str]:
        return []

    # -- reading -------------------------------------------------------------------------------

    def get_actors(
        self, connection_guid: str, actor_type: str, erp_keys: Sequence[str], field_keys: Sequence[str]
    ) -> list[ErpActor]:
        raise NotImplementedError

    def search_actors(
        self, connection_guid: str, actor_type: str, search_text: str, field_keys: Sequence[str]
    ) -> list[ErpActor]:
        raise NotImplementedError

    def search_actor_by_parent(
        self,
        connection_guid: str,
        actor_type: str,
        search_text: str,
        parent_actor_type: str,
        parent_erp_key: str,
        field_keys: Sequence[str],
    ) -> list[ErpActor]:
        raise NotImplementedError

    def search_actors_advanced(
        self,
        connection_guid: str,
        actor_type: str,
        restrictions: Sequence[SearchRestriction],
        field_keys: Sequence[str],
    ) -> list[ErpActor]:
        raise NotImplementedError

    def get_actors_by_timestamp(
        self,
        connection_guid: str,
        updated_on_or_after: str,
        actor_type: str,
        field_keys: Sequence[str],
        page_size: int = 0,
        page_token: str = "",
    ) -> ActorPage:
        """Actors changed on or after the timestamp (inclusive).

        With ``page_size`` > 0 (only when :attr:`max_page_size` > 0) return at most that many, in a
        stable order, and a token to continue from; no actor may be lost or repeated across pages,
        even when many share one ``LastModified``.
        """
        raise NotImplementedError

    def get_deleted_actors(
        self,
        connection_guid: str,
        actor_type: str,
        deleted_on_or_after: str,
        page_size: int = 0,
        page_token: str = "",
    ) -> DeletedPage:
        raise NotImplementedError

    def get_list(self, connection_guid: str, list_name: str) -> list[ListItem]:
        raise NotImplementedError

    def get_list_items(
        self, connection_guid: str, list_name: str, list_item_keys: Sequence[str]
    ) -> list[ListItem]:
        """Default: filter :meth:`get_list`."""
        wanted = set(list_item_keys)
        return [item for item in self.get_list(connection_guid, list_name) if item.key in wanted]

    # -- writing -------------------------------------------------------------------------------

    def create_actor(self, connection_guid: str, actor: ErpActor) -> ErpActor:
        raise NotImplementedError

    def save_actor(self, connection_guid: str, actor: ErpActor) -> ErpActor:
        """Update one actor with the fields present in ``actor.field_values``; return it saved."""
        raise NotImplementedError

    def save_actors(self, connection_guid: str, actors: Sequence[ErpActor]) -> list[ActorResult]:
        """Default: :meth:`save_actor` per actor, so one bad actor never fails the others."""
        return [
            self._attempt(i, lambda a=a: self.save_actor(connection_guid, a)) for i, a in enumerate(actors)
        ]

    def create_actors(self, connection_guid: str, actors: Sequence[ErpActor]) -> list[ActorResult]:
        """Default: :meth:`create_actor` per actor."""
        return [
            self._attempt(i, lambda a=a: self.create_actor(connection_guid, a)) for i, a in enumerate(actors)
        ]

    @staticmethod
    def _attempt(index: int, call: object) -> ActorResult:
        try:
            saved = call()  # type: ignore[operator]
        except ConnectorFailure as exc:
            return ActorResult.error(
                exc.user_explanation, exc.tech_explanation, exc.error_code, exc.failure_kind, index=index
            )
        except ValueError_ as exc:
            # A badly encoded value refuses this actor only; the actors before it are already saved.
            failure = InvalidValue(str(exc))
            return ActorResult.error(
                failure.user_explanation, "", failure.error_code, failure.failure_kind, index=index
            )
        return ActorResult.ok(index=index, actor=saved)

    # -- helpers for subclasses -------------------------------------------------------------------

    def check_field_values(self, fields: Iterable[FieldMetadata], actor: ErpActor, creating: bool) -> None:
        """Refuse unknown keys, wrong encodings, writes to read-only fields and, on create, missing
        mandatory values. Raises the matching :mod:`~erpsync.sdk.errors` exception."""
        by_key = {f.field_key: f for f in fields}
        for key, value in actor.field_values.items():
            meta = by_key.get(key)
            if meta is None:
                raise UnknownField(f"The field {key!r} does not exist on {actor.actor_type}.")
            if meta.access is FieldAccess.ReadOnly or meta.field_type is FieldType.Label:
                raise ReadOnlyField(f"The field {meta.display_name or key!r} is read-only.")
            try:
                decode(value, meta.field_type)
            except ValueError_ as exc:
                raise InvalidValue(f"{meta.display_name or key}: {exc}") from None
            if meta.max_length and meta.field_type is FieldType.Text and len(value) > meta.max_length:
                raise InvalidValue(f"{meta.display_name or key} is longer than {meta.max_length} characters.")
        if creating:
            missing = [
                f.display_name or f.field_key
                for f in by_key.values()
                if f.access is FieldAccess.Mandatory and not actor.field_values.get(f.field_key)
            ]
            if missing:
                raise MandatoryFieldMissing("Mandatory fields are empty: " + ", ".join(missing) + ".")


_registry: dict[str, type[ErpConnector]] = {}


def register_connector(cls: type[ErpConnector]) -> type[ErpConnector]:
    """Class decorator: make the connector known under ``cls.name``."""
    if not cls.name:
        raise ValueError(f"{cls.__name__} needs a non-empty 'name'")
    _registry[cls.name] = cls
    return cls


def connector_classes() -> dict[str, type[ErpConnector]]:
    return dict(_registry)
