"""Default values for new ERP actors (reference §2.7).

Per ERP field: a fixed first-sync default (``HasFirstSyncDefaultValue`` / ``FirstSyncDefaultValue``,
encoded like a field value of the field's type), whether to ask the user (``PromptUser``), and
whether a value is required (``Mandatory``). The rules (:func:`default_value_errors`):

- an administrator's Mandatory needs a non-blank default or Ask-the-user (or both);
- a field the connector marked Mandatory is always Mandatory (and needs neither: its value may
  come from the CRM);
- the default must be a valid value of the field's type and fit its MaxLength; a list default must
  be a key of the ERP list (checked with one ``GetListItems`` call);
- Password, Label and read-only fields take no default and no prompt: the hub never stores a
  password outside the sealed config, and the ERP would refuse the others.

Defaults of an active connection are not changed: deactivate it first.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import select

from erpsync.crm.texts import _
from erpsync.protocol import FieldAccess, FieldType, call
from erpsync.protocol.codec import is_encoded

from .config_values import MASK
from .errors import InvalidInput
from .lookups import client_for_url, connector_row, erp_field_row, require_inactive, send
from .mappings import erp_access, erp_type
from .models import ErpActorTypeMapping, ErpField
from .service import Hub
from .transactions import reading, writing

__all__ = [
    "DefaultValueInfo",
    "DefaultValueSettings",
    "default_value_errors",
    "default_value_info",
    "default_value_infos",
    "save_default_value",
]

_NO_DEFAULTS = frozenset({FieldType.Password, FieldType.Label})


@dataclass(frozen=True, slots=True)
class DefaultValueSettings:
    """What the administrator sets for one ERP field."""

    has_first_sync_default_value: bool = False
    first_sync_default_value: str = ""
    prompt_user: bool = False
    mandatory: bool = False


def default_value_errors(
    field_type: FieldType, access: FieldAccess, max_length: int, settings: DefaultValueSettings
) -> dict[str, str]:
    """The problems of ``settings`` for a field, keyed by the carrier member they concern."""
    errors: dict[str, str] = {}
    value = settings.first_sync_default_value
    wants_value = settings.has_first_sync_default_value or settings.prompt_user
    if wants_value and field_type in _NO_DEFAULTS:
        errors["FirstSyncDefaultValue"] = _("%(type)s fields take no default value.", type=field_type.value)
        return errors
    if wants_value and access is FieldAccess.ReadOnly:
        errors["FirstSyncDefaultValue"] = _("The ERP field is read-only: the CRM cannot set it.")
        return errors
    if settings.has_first_sync_default_value and value:
        if not is_encoded(value, field_type):
            errors["FirstSyncDefaultValue"] = _("is not a valid %(type)s value", type=field_type.value)
        elif max_length and field_type is FieldType.Text and len(value) > max_length:
            errors["FirstSyncDefaultValue"] = _("is longer than %(max)s characters", max=max_length)
    has_default = settings.has_first_sync_default_value and value != ""
    if (
        settings.mandatory
        and access is not FieldAccess.Mandatory
        and not (has_default or settings.prompt_user)
    ):
        errors["Mandatory"] = _("A mandatory field needs a default value or Ask the user (or both).")
    return errors


@dataclass(frozen=True, slots=True)
class DefaultValueInfo:
    """The reference's ``ErpSyncDefaultValue`` for one ERP field."""

    erp_field_id: int
    erp_field_key: str
    erp_actor_type: str
    display_name: str
    field_type: str
    list_name: str
    access: str
    #: The connector's own default (``FieldMetadata.DefaultValue``).
    default_value: str
    has_first_sync_default_value: bool
    first_sync_default_value: str
    prompt_user: bool
    #: Required: set by the administrator, or always when the connector marked the field Mandatory.
    mandatory: bool


def _info(row: ErpField, mapping: ErpActorTypeMapping) -> DefaultValueInfo:
    return DefaultValueInfo(
        erp_field_id=row.id,
        erp_field_key=row.erp_field_key,
        erp_actor_type=mapping.erp_actor_type,
        display_name=row.display_name,
        field_type=row.field_type,
        list_name=row.list_name,
        access=row.access,
        default_value=MASK
        if erp_type(row) is FieldType.Password and row.default_value
        else row.default_value,
        has_first_sync_default_value=row.has_first_sync_default_value,
        first_sync_default_value=row.first_sync_default_value,
        prompt_user=row.prompt_user,
        mandatory=row.mandatory or erp_access(row) is FieldAccess.Mandatory,
    )


def default_value_info(hub: Hub, erp_field_id: int) -> DefaultValueInfo:
    """Read from the hub's cache: no connector call (reference §2.7 rule 5)."""
    with reading(hub) as session:
        row, mapping, _connection = erp_field_row(session, erp_field_id)
        return _info(row, mapping)


def default_value_infos(hub: Hub, erp_field_ids: Sequence[int]) -> list[DefaultValueInfo]:
    """``default_value_info`` of many fields (an actor type's page) in one read: the fields are
    loaded together, their mapping and connection once."""
    with reading(hub) as session:
        wanted = [each for each in erp_field_ids if each > 0]
        list(session.scalars(select(ErpField).where(ErpField.id.in_(wanted))))  # into the identity map
        infos = []
        for erp_field_id in erp_field_ids:
            row, mapping, _connection = erp_field_row(session, erp_field_id)
            infos.append(_info(row, mapping))
        return infos


def save_default_value(hub: Hub, erp_field_id: int, settings: DefaultValueSettings) -> DefaultValueInfo:
    with reading(hub) as session:
        row, _mapping, connection = erp_field_row(session, erp_field_id)
        require_inactive(connection, _("change its default values"))
        kind, access = erp_type(row), erp_access(row)
        url = connector_row(session, connection.connector_id, include_deleted=True).url
        guid, list_name = connection.guid, row.list_name
    errors = default_value_errors(kind, access, row.max_length, settings)
    if errors:
        raise InvalidInput(_("The default value of %(key)s cannot be saved.", key=row.erp_field_key), errors)
    value = settings.first_sync_default_value if settings.has_first_sync_default_value else ""
    if kind is FieldType.List and value:
        reply = send(
            client_for_url(hub, url),
            _("Reading the ERP list %(list)r", list=list_name),
            call.get_list_items(guid, list_name, [value]),
        )
        if value not in {item.key for item in reply.list_items}:
            raise InvalidInput(
                _("The default value of %(key)s cannot be saved.", key=row.erp_field_key),
                {"FirstSyncDefaultValue": _("is not an item of the ERP list %(list)r", list=list_name)},
            )
    with writing(hub) as session:
        row, mapping, connection = erp_field_row(session, erp_field_id)
        require_inactive(connection, _("change its default values"))
        row.has_first_sync_default_value = settings.has_first_sync_default_value
        row.first_sync_default_value = value
        row.prompt_user = settings.prompt_user
        row.mandatory = settings.mandatory or access is FieldAccess.Mandatory
        session.flush()
        return _info(row, mapping)
