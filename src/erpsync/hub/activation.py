"""Activating and deactivating a connection (``ToggleErpConnectionActive``, reference §2.4).

Deactivating always succeeds. Activating succeeds only when :func:`activation_reasons` finds
nothing and the connector passes ``TestConnection``; otherwise the connection stays inactive and
the reasons are returned, one clear sentence each. The rules look at the *active* actor type
mappings only (the others do not sync):

- at least one actor type mapping is active;
- persons sync only with their companies: an active Person mapping needs an active Customer,
  Supplier or Partner mapping;
- every field the connector marked Mandatory has a sync direction;
- a field with a direction is still offered by the connector, is mapped to a CRM field that still
  exists, and may sync in that direction (the kinds are compatible, nothing read-only is written);
- a synced List field has a complete list mapping: every item of the ERP list is mapped to a CRM
  item (CRM items may stay unmapped: such a value is not sent to the ERP, and the engine logs it);
- a CRM field is written from the ERP (SyncToCrm) by one active connection at most.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass

import httpx
from sqlalchemy import select
from sqlalchemy.orm import Session

from erpsync.crm.catalogue import ENTITY_OF_ACTOR_TYPE, CrmActorType, CrmField, fields_by_key
from erpsync.crm.texts import _, shown
from erpsync.protocol import ActorType, ConnectorError, FieldAccess, FieldType, ListItem, call

from .compatibility import allowed_directions
from .config_values import load_config
from .discovery import COMPANY_ACTOR_TYPES
from .errors import ConnectorFailed
from .list_mappings import fetch_erp_lists
from .lookups import client_for_url, connection_row, connector_row, field_rows, mapping_rows, redact
from .mappings import crm_fields_written_from_erp, erp_access, erp_type, field_label
from .models import ErpActorTypeMapping, ErpConfigValue, ErpConnection, ErpListItemMapping
from .service import Hub
from .transactions import reading, writing

__all__ = ["ActorTypeFacts", "FieldFacts", "activation_reasons", "toggle_connection_active"]

_SHOWN_ITEMS = 5


@dataclass(frozen=True, slots=True)
class FieldFacts:
    """What activation needs to know of one ERP field."""

    erp_field_key: str
    display_name: str
    field_type: FieldType
    access: FieldAccess
    crm_field_key: str = ""
    #: The mapped CRM field; ``None`` when there is none or it is gone from the catalogue.
    crm_field: CrmField | None = None
    sync_to_crm: bool = False
    sync_to_erp: bool = False
    missing_in_erp: bool = False
    #: For a List field: the ERP list's item keys that have no CRM item.
    unmapped_erp_items: tuple[str, ...] = ()

    @property
    def syncs(self) -> bool:
        return self.sync_to_crm or self.sync_to_erp


@dataclass(frozen=True, slots=True)
class ActorTypeFacts:
    erp_actor_type: str
    crm_actor_type: CrmActorType
    is_active: bool
    fields: tuple[FieldFacts, ...] = ()


def _items(keys: Sequence[str]) -> str:
    shown = ", ".join(keys[:_SHOWN_ITEMS])
    return shown + (f" and {len(keys) - _SHOWN_ITEMS} more" if len(keys) > _SHOWN_ITEMS else "")


def _field_reasons(
    actor: ActorTypeFacts, field: FieldFacts, written_elsewhere: Mapping[tuple[str, str], str]
) -> list[str]:
    where = actor.erp_actor_type
    name = field_label(field.display_name, field.erp_field_key)
    if not field.syncs:
        if field.access is FieldAccess.Mandatory and not field.missing_in_erp:
            return [
                _(
                    "%(type)s: the ERP field %(field)s is mandatory and needs a sync direction.",
                    type=where,
                    field=name,
                )
            ]
        return []
    if field.missing_in_erp:
        return [
            _(
                "%(type)s: the connector no longer offers the ERP field %(field)s; remove its sync "
                "direction.",
                type=where,
                field=name,
            )
        ]
    crm = field.crm_field
    if crm is None:
        if field.crm_field_key:
            return [
                _(
                    "%(type)s: the CRM field %(key)r mapped to %(field)s no longer exists.",
                    type=where,
                    key=field.crm_field_key,
                    field=name,
                )
            ]
        return [
            _(
                "%(type)s: the ERP field %(field)s has a sync direction but no CRM field.",
                type=where,
                field=name,
            )
        ]
    reasons: list[str] = []
    allowed = allowed_directions(field.field_type, field.access, crm)
    if field.sync_to_crm and not allowed.to_crm:
        reasons.append(
            _(
                "%(type)s: %(field)s cannot sync to the CRM field %(crm_field)s: %(reason)s",
                type=where,
                field=name,
                crm_field=crm.label,
                reason=allowed.to_crm_reason,
            )
        )
    if field.sync_to_erp and not allowed.to_erp:
        reasons.append(
            _(
                "%(type)s: %(field)s cannot sync from the CRM field %(crm_field)s: %(reason)s",
                type=where,
                field=name,
                crm_field=crm.label,
                reason=allowed.to_erp_reason,
            )
        )
    if field.field_type is FieldType.List and field.unmapped_erp_items:
        reasons.append(
            _(
                "%(type)s: the list field %(field)s syncs, but the ERP list items %(items)s have no CRM list "
                "item: complete its list mapping.",
                type=where,
                field=name,
                items=_items(field.unmapped_erp_items),
            )
        )
    other = written_elsewhere.get((actor.crm_actor_type.value, crm.key))
    if field.sync_to_crm and other is not None:
        reasons.append(
            _(
                "%(type)s: the CRM field %(crm_field)s is already written from the ERP by the active "
                "connection %(connection)r; only one connection may write a CRM field.",
                type=where,
                crm_field=crm.label,
                connection=other,
            )
        )
    return reasons


def activation_reasons(
    actor_types: Sequence[ActorTypeFacts], written_elsewhere: Mapping[tuple[str, str], str]
) -> list[str]:
    """Why a connection with these actor type mappings cannot be activated (empty: it can).
    ``written_elsewhere`` maps (CRM actor type, CRM field key) to the name of another active
    connection that writes that CRM field from its ERP."""
    active = [actor for actor in actor_types if actor.is_active]
    if not active:
        return [_('No actor type is active: tick "Sync ERP …" for at least one actor type in the mappings.')]
    reasons: list[str] = []
    names = {actor.erp_actor_type for actor in active}
    if ActorType.Person.value in names and not names & {t.value for t in COMPANY_ACTOR_TYPES}:
        reasons.append(
            _("Persons sync only with their companies: activate Customer, Supplier or Partner too.")
        )
    for actor in active:
        for field in actor.fields:
            reasons += _field_reasons(actor, field, written_elsewhere)
    return reasons


# -- gathering the facts ----------------------------------------------------------------------------


def _active_mappings(session: Session, connection_id: int) -> list[ErpActorTypeMapping]:
    return [m for m in mapping_rows(session, connection_id) if m.is_active and not m.missing_in_erp]


def _synced_list_names(session: Session, connection_id: int) -> set[str]:
    return {
        row.list_name
        for mapping in _active_mappings(session, connection_id)
        for row in field_rows(session, mapping.id)
        if row.field_type == FieldType.List.value
        and (row.sync_to_crm or row.sync_to_erp)
        and not row.missing_in_erp
    }


def _mapped_erp_items(session: Session, field_id: int) -> set[str]:
    query = select(ErpListItemMapping.erp_item_key).where(ErpListItemMapping.erp_field_id == field_id)
    return set(session.scalars(query))


def _facts(
    session: Session, connection: ErpConnection, erp_lists: Mapping[str, Collection[str]] | None
) -> tuple[list[ActorTypeFacts], set[str]]:
    """The facts of every actor type mapping, and the list names whose items were not fetched."""
    unfetched: set[str] = set()
    actors: list[ActorTypeFacts] = []
    for mapping in mapping_rows(session, connection.id):
        crm_type = CrmActorType(mapping.crm_actor_type)
        catalogue = fields_by_key(ENTITY_OF_ACTOR_TYPE[crm_type])
        active = mapping.is_active and not mapping.missing_in_erp
        fields: list[FieldFacts] = []
        for row in field_rows(session, mapping.id):
            kind = erp_type(row)
            syncs = row.sync_to_crm or row.sync_to_erp
            unmapped: tuple[str, ...] = ()
            if (
                active
                and kind is FieldType.List
                and syncs
                and not row.missing_in_erp
                and erp_lists is not None
            ):
                if row.list_name in erp_lists:
                    mapped = _mapped_erp_items(session, row.id)
                    unmapped = tuple(key for key in erp_lists[row.list_name] if key not in mapped)
                else:
                    unfetched.add(row.list_name)
            fields.append(
                FieldFacts(
                    erp_field_key=row.erp_field_key,
                    display_name=row.display_name,
                    field_type=kind,
                    access=erp_access(row),
                    crm_field_key=row.crm_field_key or "",
                    crm_field=catalogue.get(row.crm_field_key) if row.crm_field_key else None,
                    sync_to_crm=row.sync_to_crm,
                    sync_to_erp=row.sync_to_erp,
                    missing_in_erp=row.missing_in_erp,
                    unmapped_erp_items=unmapped,
                )
            )
        actors.append(ActorTypeFacts(mapping.erp_actor_type, crm_type, active, tuple(fields)))
    return actors, unfetched


def _written_elsewhere(session: Session, connection_id: int) -> dict[tuple[str, str], str]:
    found: dict[tuple[str, str], str] = {}
    for crm_type in CrmActorType:
        for key, name in crm_fields_written_from_erp(session, crm_type.value, connection_id).items():
            found[(crm_type.value, key)] = name
    return found


def _secrets(session: Session, hub: Hub, connection_id: int) -> set[str]:
    secret_keys = set(
        session.scalars(
            select(ErpConfigValue.field_key).where(
                ErpConfigValue.connection_id == connection_id, ErpConfigValue.secret.is_(True)
            )
        )
    )
    return {v for k, v in load_config(session, connection_id, hub.box).items() if k in secret_keys and v}


def _ask_connector(
    hub: Hub, url: str, guid: str, list_names: set[str], secrets: set[str]
) -> tuple[dict[str, list[ListItem]] | None, list[str]]:
    """The ERP lists to check and the connector's own verdict on the connection."""
    reasons: list[str] = []
    erp_lists: dict[str, list[ListItem]] | None = None
    try:
        erp_lists = fetch_erp_lists(hub, url, guid, list_names)
    except ConnectorFailed as exc:
        reasons.append(
            _(
                "The ERP lists could not be read to check the list mappings: %(problem)s",
                problem=redact(exc.message, secrets),
            )
        )
    try:
        reply = client_for_url(hub, url).send(call.test_connection(guid))
    except (ConnectorFailed, ConnectorError, httpx.InvalidURL) as exc:  # a reason, not an error
        reasons.append(
            _(
                "The connector could not test the connection: %(problem)s",
                problem=redact(_problem(exc), secrets),
            )
        )
    else:
        if reply.failed:
            explanation = redact(
                shown(reply.user_explanation) or reply.tech_explanation or _("no explanation"), secrets
            )
            reasons.append(
                _("The connector's test of the connection failed: %(explanation)s", explanation=explanation)
            )
    return erp_lists, reasons


def _problem(exc: Exception) -> str:
    return exc.message if isinstance(exc, ConnectorFailed) else str(exc)


def toggle_connection_active(hub: Hub, connection_id: int) -> list[str]:
    """Deactivate an active connection, or activate an inactive one when nothing stands against it.
    Returns the reasons activation was refused (empty: toggled)."""
    with reading(hub) as session:
        connection = connection_row(session, connection_id)
        url = connector_row(session, connection.connector_id, include_deleted=True).url
        list_names = _synced_list_names(session, connection_id)
        secrets = _secrets(session, hub, connection_id)
    if connection.active:
        with writing(hub) as session:
            connection_row(session, connection_id).active = False
        return []
    erp_lists, connector_reasons = _ask_connector(hub, url, connection.guid, list_names, secrets)
    keys = (
        {name: [item.key for item in items] for name, items in erp_lists.items()}
        if erp_lists is not None
        else None
    )
    with writing(hub) as session:
        row = connection_row(session, connection_id)
        if row.active:
            return []  # activated meanwhile
        actors, unfetched = _facts(session, row, keys)
        reasons = activation_reasons(actors, _written_elsewhere(session, connection_id))
        if unfetched:
            reasons.append(_("The mappings changed while they were checked; try again."))
        reasons += connector_reasons
        if not reasons:
            row.active = True
        return reasons
