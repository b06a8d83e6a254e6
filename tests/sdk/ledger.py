"""Small connectors for the host's tests: an in-memory ERP that records every write it makes.

``Ledger`` implements the reference operations a typical connector has (no advanced search, no
delete feed, no paging); ``PagedLedger`` adds the paged change feed; ``Bare`` implements almost
nothing. None of them is registered globally, so the demo connector's registry stays untouched.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from erpsync.protocol import (
    ErpActor,
    FieldAccess,
    FieldMetadata,
    FieldType,
    ListItem,
    PluginResponse,
)
from erpsync.sdk import (
    ActorNotFound,
    ActorPage,
    ConfigInvalid,
    ConfigStore,
    ErpConnector,
    UnknownList,
)

GUID = "6f1c2d3e-0000-4000-8000-00000000abcd"
OTHER_GUID = "6f1c2d3e-0000-4000-8000-00000000ffff"
PASSWORD = "pa55-w0rd-never-logged"

CUSTOMER_FIELDS = [
    FieldMetadata(field_key="Name", display_name="Name", access=FieldAccess.Mandatory),
    FieldMetadata(field_key="Phone", display_name="Phone"),
    FieldMetadata(field_key="Employees", display_name="Employees", field_type=FieldType.Integer),
    FieldMetadata(field_key="Revenue", display_name="Revenue", field_type=FieldType.Double),
    FieldMetadata(field_key="Active", display_name="Active", field_type=FieldType.Checkbox),
    FieldMetadata(field_key="Founded", display_name="Founded", field_type=FieldType.Datetime),
    FieldMetadata(
        field_key="Country", display_name="Country", field_type=FieldType.List, list_name="Countries"
    ),
]
PERSON_FIELDS = [
    FieldMetadata(field_key="FirstName", display_name="First name", access=FieldAccess.Mandatory),
    FieldMetadata(field_key="Email", display_name="E-mail"),
]
FIELDS = {"Customer": CUSTOMER_FIELDS, "Person": PERSON_FIELDS}
COUNTRIES = [ListItem(key="NO", display_value="Norway"), ListItem(key="SE", display_value="Sweden")]


class Ledger(ErpConnector):
    name = "ledger"

    def __init__(self, config_store: ConfigStore, data_dir: Path) -> None:
        super().__init__(config_store, data_dir)
        self.actors: dict[tuple[str, str], ErpActor] = {}
        self.writes: list[tuple[str, str]] = []  # (what, ErpKey or GUID)
        self.calls: list[str] = []
        self.prepared = False
        self._clock = 0

    def prepare(self) -> None:
        self.prepared = True

    def _tick(self) -> str:
        self._clock += 1
        return f"{self._clock:010d}"

    def add(self, actor_type: str, **values: str) -> ErpActor:
        """Seed an actor without recording a write (test set-up)."""
        key = f"{actor_type[0]}{len(self.actors) + 1}"
        actor = ErpActor(actor_type=actor_type, erp_key=key, last_modified=self._tick(), field_values=values)
        self.actors[actor_type, key] = actor
        return actor

    # -- connections ----------------------------------------------------------------------------

    def get_config_data(self) -> list[FieldMetadata]:
        return [
            FieldMetadata(field_key="Url", display_name="Address", access=FieldAccess.Mandatory),
            FieldMetadata(field_key="Password", display_name="Password", field_type=FieldType.Password),
        ]

    def test_config_data(self, connection_info: dict[str, str]) -> PluginResponse:
        self.calls.append("test_config_data")
        if not connection_info.get("Url"):
            raise ConfigInvalid("The address is missing.")
        return PluginResponse.ok()

    def save_connection(self, connection_guid: str, connection_info: dict[str, str]) -> PluginResponse:
        self.writes.append(("save_connection", connection_guid))
        return super().save_connection(connection_guid, connection_info)

    def delete_connection(self, connection_guid: str) -> PluginResponse:
        self.writes.append(("delete_connection", connection_guid))
        return super().delete_connection(connection_guid)

    # -- discovery ---------------------------------------------------------------------------

    def get_supported_actor_types(self, connection_guid: str) -> list[str]:
        self.connection_info(connection_guid)  # ConnectionInfoMissing for an unknown GUID
        return ["Customer", "Person"]

    def get_supported_actor_type_fields(self, connection_guid: str, actor_type: str) -> list[FieldMetadata]:
        return FIELDS[actor_type]

    def get_searchable_fields(self, connection_guid: str, actor_type: str) -> list[str]:
        return ["Name"] if actor_type == "Customer" else []

    # -- reading -------------------------------------------------------------------------------

    def get_actors(
        self, connection_guid: str, actor_type: str, erp_keys: Sequence[str], field_keys: Sequence[str]
    ) -> list[ErpActor]:
        self.calls.append("get_actors")
        return [self.actors[actor_type, k] for k in erp_keys if (actor_type, k) in self.actors]

    def search_actors(
        self, connection_guid: str, actor_type: str, search_text: str, field_keys: Sequence[str]
    ) -> list[ErpActor]:
        self.calls.append("search_actors")
        text = search_text.lower()
        return [
            a
            for (t, _), a in self.actors.items()
            if t == actor_type and text in a.field_values.get("Name", "").lower()
        ]

    def get_actors_by_timestamp(
        self,
        connection_guid: str,
        updated_on_or_after: str,
        actor_type: str,
        field_keys: Sequence[str],
        page_size: int = 0,
        page_token: str = "",
    ) -> ActorPage:
        self.calls.append(f"get_actors_by_timestamp size={page_size} token={page_token!r}")
        changed = sorted(
            (
                a
                for (t, _), a in self.actors.items()
                if t == actor_type and a.last_modified >= updated_on_or_after
            ),
            key=lambda a: (a.last_modified, a.erp_key),
        )
        return ActorPage(changed)

    def get_list(self, connection_guid: str, list_name: str) -> list[ListItem]:
        if list_name != "Countries":
            raise UnknownList(f"There is no list {list_name!r}.")
        return COUNTRIES

    # -- writing -------------------------------------------------------------------------------

    def create_actor(self, connection_guid: str, actor: ErpActor) -> ErpActor:
        self.check_field_values(FIELDS[actor.actor_type], actor, creating=True)
        created = actor.model_copy(update={"erp_key": f"{actor.actor_type[0]}{len(self.actors) + 1}"})
        created.last_modified = self._tick()
        self.actors[created.actor_type, created.erp_key] = created
        self.writes.append(("create_actor", created.erp_key))
        return created

    def save_actor(self, connection_guid: str, actor: ErpActor) -> ErpActor:
        self.check_field_values(FIELDS[actor.actor_type], actor, creating=False)
        current = self.actors.get((actor.actor_type, actor.erp_key))
        if current is None:
            raise ActorNotFound(f"{actor.actor_type} {actor.erp_key} does not exist.")
        saved = current.model_copy(
            update={
                "field_values": {**current.field_values, **actor.field_values},
                "last_modified": self._tick(),
            }
        )
        self.actors[saved.actor_type, saved.erp_key] = saved
        self.writes.append(("save_actor", saved.erp_key))
        return saved


class PagedLedger(Ledger):
    """The same ERP with a paged change feed: at most three actors a page, the token an offset."""

    name = "paged"
    max_page_size = 3

    def get_actors_by_timestamp(
        self,
        connection_guid: str,
        updated_on_or_after: str,
        actor_type: str,
        field_keys: Sequence[str],
        page_size: int = 0,
        page_token: str = "",
    ) -> ActorPage:
        everything = super().get_actors_by_timestamp(
            connection_guid, updated_on_or_after, actor_type, field_keys
        )
        self.calls[-1] = f"get_actors_by_timestamp size={page_size} token={page_token!r}"
        if page_size == 0:
            return everything
        start = int(page_token or 0)
        page = everything.actors[start : start + page_size]
        more = start + page_size < len(everything.actors)
        return ActorPage(page, str(start + page_size) if more else "")


class Bare(ErpConnector):
    """Implements only what a connector cannot do without."""

    name = "bare"

    def get_supported_actor_types(self, connection_guid: str) -> list[str]:
        return ["Customer"]

    def get_actors(
        self, connection_guid: str, actor_type: str, erp_keys: Sequence[str], field_keys: Sequence[str]
    ) -> list[ErpActor]:
        return []
