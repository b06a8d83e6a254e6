"""The data carriers of the connector contract.

Python attributes are snake_case; on the wire every member keeps the reference's PascalCase name
(``ErpKey``, ``LastModified``, ``FieldValues``, ``IsOk`` …), produced by the alias generator. Unknown
members are ignored, so a newer peer never breaks an older one.
"""

from __future__ import annotations

import re
from typing import Annotated, Any, Self

from pydantic import AfterValidator, BaseModel, ConfigDict, Field
from pydantic.alias_generators import to_pascal

from .enums import ErrorCode, FailureKind, FieldAccess, FieldType, ResponseState

__all__ = [
    "NIL_GUID",
    "ActorArrayResponse",
    "ActorResponse",
    "ActorResult",
    "ActorResultArrayResponse",
    "CapabilitiesResponse",
    "Carrier",
    "ConnectionGuid",
    "DeletedActor",
    "DeletedActorArrayResponse",
    "ErpActor",
    "FieldMetadata",
    "FieldMetadataArrayResponse",
    "ListItem",
    "ListItemArrayResponse",
    "PluginResponse",
    "SearchRestriction",
    "StringArrayResponse",
]

#: The connection GUID used before a connection exists (e.g. ``GetList`` while the config dialog is open).
NIL_GUID = "00000000-0000-0000-0000-000000000000"

_GUID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")


def _check_guid(value: str) -> str:
    if not _GUID.fullmatch(value):  # fullmatch: "$" alone lets a trailing newline through
        raise ValueError(f"{value!r} is not a GUID (expected 8-4-4-4-12 hexadecimal digits)")
    return value.lower()


ConnectionGuid = Annotated[str, AfterValidator(_check_guid)]


class Carrier(BaseModel):
    """Base of every wire carrier: PascalCase members, unknown members ignored."""

    model_config = ConfigDict(
        alias_generator=to_pascal,
        populate_by_name=True,
        serialize_by_alias=True,
        extra="ignore",
        use_enum_values=False,
    )

    def to_wire(self) -> dict[str, Any]:
        """The JSON-ready dict with the reference's member names."""
        return self.model_dump(mode="json", by_alias=True)


class ErpActor(Carrier):
    """One record in the ERP (customer, supplier, person, project …)."""

    actor_type: str = Field(description="ErpActorType name; never 'Unknown'.")
    erp_key: str = Field(default="", description="The connector's stable primary key; empty on create.")
    last_modified: str = Field(
        default="", description="Opaque, global and monotonic timestamp; empty on create."
    )
    parent_actor_type: str = Field(default="", description="Parent's actor type, e.g. Customer for a Person.")
    parent_erp_key: str = Field(default="", description="Parent's ErpKey.")
    field_values: dict[str, str] = Field(
        default_factory=dict, description="Field key → encoded value; may hold a subset of the fields."
    )


class FieldMetadata(Carrier):
    """Describes one field, of a connection's configuration or of an actor type."""

    field_key: str = Field(description="Key in value dictionaries.")
    display_name: str = Field(default="", description="Label shown to people.")
    display_description: str = Field(default="", description="Tooltip.")
    field_type: FieldType = Field(default=FieldType.Text, description="Kind of value.")
    list_name: str = Field(default="", description="The connector's list name, for List fields.")
    default_value: str = Field(default="", description="Initial value, encoded; a list item key for lists.")
    max_length: int = Field(default=0, ge=0, description="0 = unlimited.")
    access: FieldAccess = Field(default=FieldAccess.Normal, description="Normal, Mandatory or ReadOnly.")
    rank: int = Field(default=0, description="Display order, lowest first.")


class ListItem(Carrier):
    """One item of a connector-named list."""

    key: str = Field(description="The list item key, as sent in field values.")
    display_value: str = Field(default="", description="Text shown to people.")


class SearchRestriction(Carrier):
    """One criterion of an advanced search; restrictions are combined with AND."""

    field_key: str = Field(description="A searchable field key, or ParentErpKey / ParentActorType.")
    operator: str = Field(description="Operator constant, e.g. '=', 'begins', 'between', 'oneof'.")
    values: list[str] = Field(default_factory=list, description="Encoded values; two for between.")


class PluginResponse(Carrier):
    """The reply every operation returns; typed variants add one payload member."""

    is_ok: bool = Field(default=True, description="Overall success; equivalent to State != Error.")
    state: ResponseState = Field(default=ResponseState.Ok, description="Ok, OkWithInfo, Warning or Error.")
    user_explanation: str = Field(default="", description='For people; may pack languages as US:"…"NO:"…".')
    tech_explanation: str = Field(default="", description="English technical detail.")
    error_code: str = Field(default="", description="Machine code, e.g. ConnectionInfoMissing.")
    failure_kind: FailureKind = Field(
        default=FailureKind.none, description="Extension: config, transient or actor (empty when ok)."
    )

    @classmethod
    def ok(cls, user_explanation: str = "", **payload: Any) -> Self:
        state = ResponseState.OkWithInfo if user_explanation else ResponseState.Ok
        return cls(is_ok=True, state=state, user_explanation=user_explanation, **payload)

    @classmethod
    def error(
        cls,
        user_explanation: str,
        tech_explanation: str = "",
        error_code: ErrorCode | str = ErrorCode.InternalError,
        failure_kind: FailureKind = FailureKind.none,
        **payload: Any,
    ) -> Self:
        return cls(
            is_ok=False,
            state=ResponseState.Error,
            user_explanation=user_explanation,
            tech_explanation=tech_explanation,
            error_code=str(error_code),
            failure_kind=failure_kind,
            **payload,
        )

    @property
    def failed(self) -> bool:
        return not self.is_ok or self.state is ResponseState.Error


class FieldMetadataArrayResponse(PluginResponse):
    field_meta_data_objects: list[FieldMetadata] = Field(default_factory=list)


class StringArrayResponse(PluginResponse):
    items: list[str] = Field(default_factory=list)


class ActorResult(PluginResponse):
    """Extension: the outcome for one actor of a batch (``SaveActors`` / ``CreateActors``)."""

    index: int = Field(default=0, ge=0, description="Position of the actor in the request.")
    actor: ErpActor | None = Field(default=None, description="The saved actor when IsOk.")


class ActorArrayResponse(PluginResponse):
    actors: list[ErpActor] = Field(default_factory=list)
    next_page_token: str = Field(
        default="", description="Extension (paged GetActorsByTimestamp): continue from here; empty = done."
    )
    actor_results: list[ActorResult] | None = Field(
        default=None, description="Extension (SaveActors): one result per actor of the request, in order."
    )


class ActorResponse(PluginResponse):
    actor: ErpActor | None = None


class ListItemArrayResponse(PluginResponse):
    list_items: list[ListItem] = Field(default_factory=list)


class CapabilitiesResponse(PluginResponse):
    protocol_version: str = Field(default="1.0", description="Version of the erpsync connector protocol.")
    capabilities: list[str] = Field(default_factory=list, description="Capability names offered.")
    max_page_size: int = Field(default=0, ge=0, description="Largest PageSize honoured; 0 = no paging.")
    operations: list[str] = Field(default_factory=list, description="Operations the connector implements.")


class ActorResultArrayResponse(PluginResponse):
    actor_results: list[ActorResult] = Field(default_factory=list)


class DeletedActor(Carrier):
    actor_type: str
    erp_key: str
    deleted_at: str = Field(description="Opaque timestamp ordered like LastModified.")


class DeletedActorArrayResponse(PluginResponse):
    deleted_actors: list[DeletedActor] = Field(default_factory=list)
    next_page_token: str = ""
