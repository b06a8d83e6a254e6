"""The embedded demo: what ``erpsync serve`` sets up on a new data folder so that a newcomer sees a
working system at once — an administrator, sample CRM data, the demo ERP registered as a sync
connector, and a tested, mapped and active ERP connection to it.

Everything here goes through the same hub operations an administrator uses, so the demo obeys every
rule (the connection is tested before it is saved, activation is checked).
"""

from __future__ import annotations

import logging
import os
import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import func, select

from erpsync.crm import users
from erpsync.crm.models.users import User
from erpsync.crm.seed import seed_sample_data
from erpsync.hub.activation import toggle_connection_active
from erpsync.hub.connections import ConnectionDraft, save_connection
from erpsync.hub.connectors import all_connectors, save_connector
from erpsync.hub.list_mappings import ItemChoice, connection_list_mappings, save_connection_list_mappings
from erpsync.hub.mappings import FieldMappingChange, actor_type_mapping, save_actor_type_mapping
from erpsync.hub.service import Hub

__all__ = ["DEMO_MAPPINGS", "DemoLogin", "ensure_admin", "ensure_demo"]

log = logging.getLogger(__name__)

#: ERP field → (CRM field, to CRM, to ERP, shown in the ERP tab) per actor type. Fields shown in the
#: ERP tab have no CRM field: they are read live from the ERP.
DEMO_MAPPINGS: dict[str, list[tuple[str, str, bool, bool, bool]]] = {
    "Customer": [
        ("NAME", "name", True, True, False),
        ("PHONE", "phone", True, True, False),
        ("EMAIL", "email", True, True, False),
        ("URL", "web_site", True, True, False),
        ("POSTALCITY", "postal_city", True, True, False),
        ("VATNO", "vat_no", True, True, False),
        ("COUNTRY", "country", True, True, False),
        ("CUSTOMERNO", "", False, False, True),
        ("CREDITLIMIT", "", False, False, True),
        ("PAYMENTTERMS", "", False, False, True),
        ("BALANCE", "", False, False, True),
    ],
    "Person": [
        ("FIRSTNAME", "first_name", True, True, False),
        ("LASTNAME", "last_name", True, True, False),
        ("EMAIL", "email", True, True, False),
        ("PHONE_DIRECT", "phone_direct", True, True, False),
        ("POSITION", "position", True, True, False),
    ],
    "Project": [
        ("NAME", "name", True, True, False),
        ("TEXT", "description", True, True, False),
        ("ENDDATE", "end_date", True, True, False),
        ("BUDGET", "budget", True, True, False),
        ("NUMBER", "", False, False, True),
    ],
}


@dataclass(frozen=True, slots=True)
class DemoLogin:
    username: str
    password: str | None  # None when the administrator existed before and its password is not known


def ensure_admin(hub: Hub, data_dir: Path) -> DemoLogin:
    """An administrator ``admin`` on an empty user table, with a random password kept (mode 0600) in
    ``admin-password`` in the data folder so that it can be shown again."""
    path = data_dir / "admin-password"
    with hub.session() as session:
        if session.scalar(select(func.count()).select_from(User)):
            known = path.read_text().strip() if path.exists() else None
            return DemoLogin("admin", known)
        password = secrets.token_urlsafe(12)
        users.create_user(session, "admin", password, "Administrator", is_admin=True)
    data_dir.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(password + "\n")
    return DemoLogin("admin", password)


def ensure_demo(hub: Hub, connector_url: str = "plugin://demo") -> bool:
    """Set up the demo on a data folder without connectors; False when there was nothing to do."""
    if all_connectors(hub):
        return False
    with hub.session() as session:
        seed_sample_data(session)
    connector = save_connector(hub, 0, "Demo ERP", connector_url)
    connection = save_connection(
        hub,
        ConnectionDraft(
            connector_id=connector.id,
            display_name="Demo ERP",
            description="The bundled sandbox ERP.",
            all_access=True,
            config={"Database": "demo", "Username": "admin", "Password": "demo"},
        ),
    )
    for actor_type, rows in DEMO_MAPPINGS.items():
        _map(hub, connection.id, actor_type, rows)
    _map_lists_by_name(hub, connection.id)
    reasons = toggle_connection_active(hub, connection.id)
    if reasons:
        log.warning("the demo connection stays inactive: %s", "; ".join(reasons))
    return True


def _map(
    hub: Hub, connection_id: int, actor_type: str, rows: Iterable[tuple[str, str, bool, bool, bool]]
) -> None:
    view = actor_type_mapping(hub, connection_id, actor_type)
    known = {f.erp_field_key for f in view.fields}
    changes = [
        FieldMappingChange(0, key, crm, to_crm, to_erp, show, bool(crm))
        for key, crm, to_crm, to_erp, show in rows
        if key in known
    ]
    save_actor_type_mapping(hub, connection_id, actor_type, True, changes)


def _map_lists_by_name(hub: Hub, connection_id: int) -> None:
    """Pair ERP and CRM list items with the same name (case ignored); the demo's country lists match."""
    mappings = connection_list_mappings(hub, connection_id)
    sent = []
    for each in mappings.lists:
        crm_by_name = {item.name.casefold(): item.id for item in each.crm_items}
        choices, used = [], set()
        for pair in each.pairs:
            crm_id = crm_by_name.get(pair.erp_item_name.casefold())
            if crm_id in used:
                crm_id = None
            used.add(crm_id)
            choices.append(ItemChoice(pair.erp_item_key, crm_id))
        sent.append((each.erp_field_id, choices))
    if sent:
        save_connection_list_mappings(hub, connection_id, sent)
