"""Field mapping: which ERP field syncs with which CRM field, in which direction (reference §2.5).

The rules (:func:`mapping_errors`, plain data in, messages out):

- a direction needs a CRM field, and must be one :func:`~.compatibility.allowed_directions` allows;
- a field the connector no longer offers, or mapped to a CRM field that no longer exists, cannot
  get a direction;
- syncing and Show-in-ERP-tab exclude each other (a synced value is already in the CRM);
- Password fields are never shown (ERP tab or search results);
- a CRM field is mapped to at most one ERP field per actor type;
- a CRM field already written from the ERP (SyncToCrm) by another active connection cannot be
  written from this one too (the reference's AlreadyMapped), so that two ERPs never ping-pong a
  CRM field.

A save with any problem is refused as a whole, with one message per ERP field. The mapping of an
active connection is not changed: deactivate it first (reference §2.4).
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, replace

from sqlalchemy import select
from sqlalchemy.orm import Session

from erpsync.crm.catalogue import (
    ENTITY_OF_ACTOR_TYPE,
    CrmActorType,
    CrmEntity,
    CrmField,
    fields_by_key,
    fields_of,
)
from erpsync.crm.texts import _, noun
from erpsync.protocol import ActorType, FieldAccess, FieldType

from .compatibility import allowed_directions, crm_fields_for
from .discovery import CRM_ACTOR_TYPE_OF
from .errors import InvalidInput, NotFound
from .lookups import actor_type_row, connection_row, field_rows, require_inactive
from .models import ErpActorTypeMapping, ErpConnection, ErpField
from .service import Hub
from .transactions import reading, writing

__all__ = [
    "ActorTypeMappingView",
    "FieldMappingChange",
    "FieldMappingView",
    "MappingChoice",
    "actor_type_mapping",
    "crm_actor_type",
    "crm_fields_written_from_erp",
    "erp_access",
    "erp_type",
    "list_reference",
    "mapping_errors",
    "save_actor_type_mapping",
]


def erp_type(row: ErpField) -> FieldType:
    try:
        return FieldType(row.field_type)
    except ValueError:
        return FieldType.Label  # an unknown kind never syncs


def erp_access(row: ErpField) -> FieldAccess:
    try:
        return FieldAccess(row.access)
    except ValueError:
        return FieldAccess.Normal


def list_reference(crm_field: CrmField | None) -> str:
    """The reference's ListReference: which CRM list a list field's items come from."""
    return f"list={crm_field.list_name.value}" if crm_field is not None and crm_field.list_name else ""


def field_label(display_name: str, key: str) -> str:
    return f"{display_name} ({key})" if display_name and display_name != key else key


# -- the rules --------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class MappingChoice:
    """One ERP field's mapping as it would be saved."""

    erp_field_key: str
    erp_display_name: str
    field_type: FieldType
    access: FieldAccess
    missing_in_erp: bool
    crm_field_key: str  # "" = no CRM field
    sync_to_crm: bool = False
    sync_to_erp: bool = False
    show_in_gui: bool = False
    show_in_search: bool = False
    #: The CRM field stored now: one gone from the catalogue may be kept (without direction).
    stored_crm_field_key: str | None = None

    @property
    def syncs(self) -> bool:
        return self.sync_to_crm or self.sync_to_erp


def _problems(entity: CrmEntity, choice: MappingChoice, written_elsewhere: Mapping[str, str]) -> list[str]:
    catalogue = fields_by_key(entity)
    crm_field = catalogue.get(choice.crm_field_key) if choice.crm_field_key else None
    problems: list[str] = []
    if choice.crm_field_key and crm_field is None:
        if choice.crm_field_key != choice.stored_crm_field_key:
            return [
                _("The CRM has no %(kind)s field %(key)r.", kind=noun(entity.value), key=choice.crm_field_key)
            ]
        if choice.syncs:
            return [
                _("The CRM field %(key)r no longer exists: remove its direction.", key=choice.crm_field_key)
            ]
    if choice.syncs and choice.missing_in_erp:
        problems.append(_("The connector no longer offers this field: it cannot sync."))
    elif choice.syncs and not choice.crm_field_key:
        problems.append(_("Choose a CRM field before setting a sync direction."))
    if crm_field is not None:
        allowed = allowed_directions(choice.field_type, choice.access, crm_field)
        if not allowed.any and choice.crm_field_key != choice.stored_crm_field_key:
            problems.append(
                _(
                    "The CRM field %(field)s cannot be mapped to it: %(reason)s",
                    field=crm_field.label,
                    reason=allowed.to_crm_reason,
                )
            )
        else:
            if choice.sync_to_crm and not allowed.to_crm:
                problems.append(_("It cannot sync to the CRM: %(reason)s", reason=allowed.to_crm_reason))
            if choice.sync_to_erp and not allowed.to_erp:
                problems.append(_("It cannot sync to the ERP: %(reason)s", reason=allowed.to_erp_reason))
        other = written_elsewhere.get(crm_field.key)
        if choice.sync_to_crm and other is not None:
            problems.append(
                _(
                    "The CRM field %(field)s is already written from the ERP by the active connection "
                    "%(connection)r; only one connection may write a CRM field.",
                    field=crm_field.label,
                    connection=other,
                )
            )
    if choice.syncs and choice.show_in_gui:
        problems.append(
            _("A synced field cannot also be shown in the ERP tab: its value is already in the CRM.")
        )
    if choice.field_type is FieldType.Password and (choice.show_in_gui or choice.show_in_search):
        problems.append(_("Password fields are never shown."))
    return problems


def mapping_errors(
    entity: CrmEntity,
    choices: Sequence[MappingChoice],
    checked: Collection[str],
    written_elsewhere: Mapping[str, str],
) -> dict[str, str]:
    """The problems of the ``checked`` ERP fields (by key) among ``choices`` (every field of one
    actor type, as it would be saved); ``written_elsewhere`` maps CRM field keys written from the ERP
    by other active connections to that connection's name."""
    by_crm_field: dict[str, list[MappingChoice]] = {}
    for choice in choices:
        if choice.crm_field_key:
            by_crm_field.setdefault(choice.crm_field_key, []).append(choice)
    errors: dict[str, str] = {}
    for choice in choices:
        if choice.erp_field_key not in checked:
            continue
        problems = _problems(entity, choice, written_elsewhere)
        others = [c for c in by_crm_field.get(choice.crm_field_key, []) if c is not choice]
        if choice.crm_field_key and others:
            names = ", ".join(field_label(c.erp_display_name, c.erp_field_key) for c in others)
            problems.append(
                _(
                    "The CRM field %(key)r is also mapped to %(fields)s; a CRM field may be "
                    "mapped to one ERP field per actor type.",
                    key=choice.crm_field_key,
                    fields=names,
                )
            )
        if problems:
            errors[choice.erp_field_key] = " ".join(problems)
    return errors


# -- reading ----------------------------------------------------------------------------------------


def crm_fields_written_from_erp(
    session: Session, crm_actor_type: str, excluding_connection_id: int
) -> dict[str, str]:
    """CRM field key → name of another active connection that writes it from its ERP."""
    query = (
        select(ErpField.crm_field_key, ErpConnection.display_name)
        .join(ErpActorTypeMapping, ErpField.actor_type_mapping_id == ErpActorTypeMapping.id)
        .join(ErpConnection, ErpActorTypeMapping.connection_id == ErpConnection.id)
        .where(
            ErpConnection.id != excluding_connection_id,
            ErpConnection.active.is_(True),
            ErpConnection.deleted.is_(False),
            ErpActorTypeMapping.is_active.is_(True),
            ErpActorTypeMapping.crm_actor_type == crm_actor_type,
            ErpField.sync_to_crm.is_(True),
            ErpField.missing_in_erp.is_(False),
        )
        .order_by(ErpConnection.id)
    )
    found: dict[str, str] = {}
    for key, name in session.execute(query):
        if key:
            found.setdefault(key, name)
    return found


@dataclass(frozen=True, slots=True)
class FieldMappingView:
    """One row of the mapping dialog."""

    erp_field_id: int
    erp_field_key: str
    erp_display_name: str
    erp_display_tooltip: str
    field_type: str
    access: str
    list_name: str
    crm_field_key: str
    crm_display_name: str
    sync_to_crm: bool
    sync_to_erp: bool
    show_in_gui: bool
    show_in_search: bool
    already_mapped: bool
    missing_in_erp: bool
    missing_in_crm: bool
    list_reference: str
    rank: int
    searchable: bool
    can_sync_to_crm: bool
    can_sync_to_erp: bool
    sync_to_crm_disabled_reason: str
    sync_to_erp_disabled_reason: str
    offered_crm_field_keys: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class ActorTypeMappingView:
    connection_id: int
    erp_actor_type: str
    crm_actor_type: str
    is_active: bool
    missing_in_erp: bool
    fields: tuple[FieldMappingView, ...]
    crm_fields: tuple[CrmField, ...]
    #: New ERP actors of this type become CRM records with links (off by default).
    auto_import: bool = False


def _entity(mapping: ErpActorTypeMapping) -> CrmEntity:
    return ENTITY_OF_ACTOR_TYPE[CrmActorType(mapping.crm_actor_type)]


def _view(session: Session, connection: ErpConnection, mapping: ErpActorTypeMapping) -> ActorTypeMappingView:
    entity = _entity(mapping)
    catalogue = fields_by_key(entity)
    elsewhere = crm_fields_written_from_erp(session, mapping.crm_actor_type, connection.id)
    rows: list[FieldMappingView] = []
    for row in field_rows(session, mapping.id):
        kind, access = erp_type(row), erp_access(row)
        crm_field = catalogue.get(row.crm_field_key) if row.crm_field_key else None
        allowed = allowed_directions(kind, access, crm_field)
        rows.append(
            FieldMappingView(
                erp_field_id=row.id,
                erp_field_key=row.erp_field_key,
                erp_display_name=row.display_name,
                erp_display_tooltip=row.display_description,
                field_type=row.field_type,
                access=row.access,
                list_name=row.list_name,
                crm_field_key=row.crm_field_key or "",
                crm_display_name=crm_field.label if crm_field is not None else "",
                sync_to_crm=row.sync_to_crm,
                sync_to_erp=row.sync_to_erp,
                show_in_gui=row.show_in_gui,
                show_in_search=row.show_in_search,
                already_mapped=crm_field is not None and crm_field.key in elsewhere,
                missing_in_erp=row.missing_in_erp,
                missing_in_crm=row.missing_in_crm,
                list_reference=list_reference(crm_field),
                rank=row.rank,
                searchable=row.searchable,
                can_sync_to_crm=allowed.to_crm and not row.missing_in_erp,
                can_sync_to_erp=allowed.to_erp and not row.missing_in_erp,
                sync_to_crm_disabled_reason="" if allowed.to_crm else allowed.to_crm_reason,
                sync_to_erp_disabled_reason="" if allowed.to_erp else allowed.to_erp_reason,
                offered_crm_field_keys=tuple(f.key for f in crm_fields_for(kind, access, fields_of(entity))),
            )
        )
    return ActorTypeMappingView(
        connection_id=connection.id,
        erp_actor_type=mapping.erp_actor_type,
        crm_actor_type=mapping.crm_actor_type,
        is_active=mapping.is_active,
        missing_in_erp=mapping.missing_in_erp,
        fields=tuple(rows),
        crm_fields=tuple(f for f in fields_of(entity) if f.syncable),
        auto_import=mapping.auto_import,
    )


def actor_type_mapping(hub: Hub, connection_id: int, erp_actor_type: str) -> ActorTypeMappingView:
    with reading(hub) as session:
        connection = connection_row(session, connection_id)
        return _view(session, connection, actor_type_row(session, connection, erp_actor_type))


def crm_actor_type(hub: Hub, connection_id: int, erp_actor_type: str) -> CrmActorType:
    """The CRM actor type an ERP actor type maps to in a connection (the reference's table when
    discovery has not stored the type)."""
    with reading(hub) as session:
        connection = connection_row(session, connection_id)
        row = session.scalar(
            select(ErpActorTypeMapping).where(
                ErpActorTypeMapping.connection_id == connection.id,
                ErpActorTypeMapping.erp_actor_type == erp_actor_type,
            )
        )
        if row is not None:
            return CrmActorType(row.crm_actor_type)
    try:
        return CRM_ACTOR_TYPE_OF[ActorType(erp_actor_type)]
    except (KeyError, ValueError):
        raise NotFound(_("%(type)r actors are not synced with the CRM.", type=erp_actor_type)) from None


# -- saving -----------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class FieldMappingChange:
    """One row of ``SaveActorTypeMapping``: the field by id, or by key when the id is 0."""

    erp_field_id: int
    erp_field_key: str
    crm_field_key: str
    sync_to_crm: bool
    sync_to_erp: bool
    show_in_gui: bool
    show_in_search: bool


def _resolve(
    rows: Sequence[ErpField], changes: Sequence[FieldMappingChange]
) -> dict[str, FieldMappingChange]:
    by_id = {row.id: row for row in rows}
    by_key = {row.erp_field_key: row for row in rows}
    resolved: dict[str, FieldMappingChange] = {}
    errors: dict[str, str] = {}
    for position, change in enumerate(changes):
        row = by_id.get(change.erp_field_id) if change.erp_field_id else by_key.get(change.erp_field_key)
        name = f"FieldMappings[{position}]"
        if row is None:
            errors[name] = _("is not a field of this actor type")
        elif row.erp_field_key in resolved:
            errors[name] = _("maps %(key)s a second time", key=row.erp_field_key)
        else:
            resolved[row.erp_field_key] = change
    if errors:
        raise InvalidInput(_("Some field mappings name no field of this actor type."), errors)
    return resolved


def _choice(row: ErpField, change: FieldMappingChange | None) -> MappingChoice:
    stored = MappingChoice(
        erp_field_key=row.erp_field_key,
        erp_display_name=row.display_name,
        field_type=erp_type(row),
        access=erp_access(row),
        missing_in_erp=row.missing_in_erp,
        crm_field_key=row.crm_field_key or "",
        sync_to_crm=row.sync_to_crm,
        sync_to_erp=row.sync_to_erp,
        show_in_gui=row.show_in_gui,
        show_in_search=row.show_in_search,
        stored_crm_field_key=row.crm_field_key,
    )
    if change is None:
        return stored
    return replace(
        stored,
        crm_field_key=change.crm_field_key.strip(),
        sync_to_crm=change.sync_to_crm,
        sync_to_erp=change.sync_to_erp,
        show_in_gui=change.show_in_gui,
        show_in_search=change.show_in_search,
    )


def save_actor_type_mapping(
    hub: Hub,
    connection_id: int,
    erp_actor_type: str,
    is_active: bool | None,
    changes: Sequence[FieldMappingChange],
    auto_import: bool | None = None,
) -> ActorTypeMappingView:
    """Save the field mappings sent (fields left out stay as they are) and the actor type's active
    flag; refused as a whole when any rule says no."""
    with writing(hub) as session:
        connection = connection_row(session, connection_id)
        require_inactive(connection, _("change its field mappings"))
        mapping = actor_type_row(session, connection, erp_actor_type)
        rows = field_rows(session, mapping.id)
        resolved = _resolve(rows, changes)
        choices = [_choice(row, resolved.get(row.erp_field_key)) for row in rows]
        elsewhere = crm_fields_written_from_erp(session, mapping.crm_actor_type, connection.id)
        errors = mapping_errors(_entity(mapping), choices, resolved.keys(), elsewhere)
        if is_active and mapping.missing_in_erp:
            errors["IsActive"] = _("The connector no longer offers %(type)s actors.", type=erp_actor_type)
        if errors:
            raise InvalidInput(_("The %(type)s mapping cannot be saved.", type=erp_actor_type), errors)
        catalogue = fields_by_key(_entity(mapping))
        for row, choice in zip(rows, choices, strict=True):
            if row.erp_field_key not in resolved:
                continue
            row.crm_field_key = choice.crm_field_key
            row.sync_to_crm, row.sync_to_erp = choice.sync_to_crm, choice.sync_to_erp
            row.show_in_gui, row.show_in_search = choice.show_in_gui, choice.show_in_search
            row.missing_in_crm = bool(choice.crm_field_key) and choice.crm_field_key not in catalogue
        if is_active is not None:
            mapping.is_active = is_active
        if auto_import is not None:
            mapping.auto_import = auto_import
        session.flush()
        return _view(session, connection, mapping)
