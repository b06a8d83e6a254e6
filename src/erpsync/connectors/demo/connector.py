"""The demo ERP served as a sync connector (``plugin://demo``, ``/connectors/demo``)."""

from __future__ import annotations

import base64
import binascii
import json
import threading
from collections.abc import Callable, Sequence
from pathlib import Path

from erpsync.protocol import (
    NIL_GUID,
    ActorResult,
    ErpActor,
    FieldMetadata,
    ListItem,
    PluginResponse,
    SearchRestriction,
)
from erpsync.sdk.config_store import ConfigStore
from erpsync.sdk.connector import ActorPage, DeletedPage, ErpConnector, register_connector
from erpsync.sdk.errors import ConfigInvalid, ConnectorFailure, InvalidValue, UnknownField
from erpsync.sdk.languages import explain as _
from erpsync.sdk.search import SearchError, actor_matches, validate_restrictions

from .actors import ACTOR_TYPES, SEARCHABLE_FIELDS, actor_type_of, field_map, fields_of
from .clock import normalise_timestamp
from .config import CONFIG_FIELDS, DemoConfig, parse_config
from .database import DemoErpDatabase, database_path
from .lists import catalogue_items
from .seed import seed_database

__all__ = ["DemoConnector"]

_WRONG_LOGIN = _("Wrong user name or password.")
_SANDBOX = "demo"
_SANDBOX_ACTORS = 50


@register_connector
class DemoConnector(ErpConnector):
    """The demo ERP: every actor type, list and search operator, backed by a SQLite file.

    The connection's ``Database`` names ``<data_dir>/demo-erp/<name>.sqlite``; open databases are
    shared by every connection that names them.
    """

    name = "demo"
    max_page_size = 5000

    def __init__(self, config_store: ConfigStore, data_dir: Path) -> None:
        super().__init__(config_store, data_dir)
        self._databases: dict[Path, DemoErpDatabase] = {}
        self._lock = threading.Lock()

    def prepare(self) -> None:
        """Create the sandbox database ``demo`` (user admin, password demo) on first start, so that
        the connector answers out of the box."""
        path = database_path(self.data_dir, _SANDBOX)
        with self._lock:
            if not path.exists():
                seed_database(path, _SANDBOX_ACTORS, password=_SANDBOX, user="admin")

    def close(self) -> None:
        """Close every open database."""
        with self._lock:
            for db in self._databases.values():
                db.close()
            self._databases.clear()

    # -- connections -------------------------------------------------------------------------------

    def get_config_data(self) -> list[FieldMetadata]:
        return list(CONFIG_FIELDS)

    def test_config_data(self, connection_info: dict[str, str]) -> PluginResponse:
        try:
            self._session(parse_config(connection_info, self.data_dir))
        except ConfigInvalid as exc:
            return PluginResponse.error(
                exc.user_explanation, exc.tech_explanation, exc.error_code, exc.failure_kind
            )
        return PluginResponse.ok()

    def _database(self, path: Path) -> DemoErpDatabase:
        with self._lock:
            db = self._databases.get(path)
            if db is None:
                try:
                    db = DemoErpDatabase(path, create=False)
                except FileNotFoundError:
                    name = path.stem
                    raise ConfigInvalid(
                        _(
                            "The demo database %(name)r does not exist. Create it with: "
                            "erpsync demo-erp seed --database %(name)s",
                            name=name,
                        ),
                        f"missing file {path}",
                    ) from None
                self._databases[path] = db
            return db

    def _session(self, config: DemoConfig) -> DemoErpDatabase:
        """The database of a config, once its currency and login are checked."""
        db = self._database(config.path)
        if config.currency and not db.list_items("currencies", [config.currency]):
            raise ConfigInvalid(
                _(
                    "Default currency: %(currency)r is not a currency of the demo ERP.",
                    currency=config.currency,
                )
            )
        if not db.check_user(config.username, config.password):
            raise ConfigInvalid(_WRONG_LOGIN, f"login refused for user {config.username!r}")
        return db

    def _connect(self, connection_guid: str) -> tuple[DemoErpDatabase, DemoConfig]:
        config = parse_config(self.connection_info(connection_guid), self.data_dir)
        return self._session(config), config

    # -- discovery ---------------------------------------------------------------------------------

    def get_supported_actor_types(self, connection_guid: str) -> list[str]:
        self._connect(connection_guid)
        return [kind.value for kind in ACTOR_TYPES]

    def get_supported_actor_type_fields(self, connection_guid: str, actor_type: str) -> list[FieldMetadata]:
        _db, config = self._connect(connection_guid)
        fields = fields_of(actor_type)
        # Announce the connection's own defaults, so the CRM pre-fills what the ERP would use.
        defaults = config.actor_defaults()
        return [
            f.model_copy(update={"default_value": defaults[f.field_key]}) if f.field_key in defaults else f
            for f in fields
        ]

    def get_searchable_fields(self, connection_guid: str, actor_type: str) -> list[str]:
        self._connect(connection_guid)
        return list(SEARCHABLE_FIELDS[actor_type_of(actor_type)])

    # -- reading -----------------------------------------------------------------------------------

    def get_actors(
        self, connection_guid: str, actor_type: str, erp_keys: Sequence[str], field_keys: Sequence[str]
    ) -> list[ErpActor]:
        db, _config = self._connect(connection_guid)
        select = _selector(actor_type, field_keys)
        return select(db.get_actors(actor_type, erp_keys))

    def search_actors(
        self, connection_guid: str, actor_type: str, search_text: str, field_keys: Sequence[str]
    ) -> list[ErpActor]:
        db, config = self._connect(connection_guid)
        select = _selector(actor_type, field_keys)
        return select(db.find_actors(actor_type, search_text, include_inactive=config.include_inactive))

    def search_actor_by_parent(
        self,
        connection_guid: str,
        actor_type: str,
        search_text: str,
        parent_actor_type: str,
        parent_erp_key: str,
        field_keys: Sequence[str],
    ) -> list[ErpActor]:
        db, config = self._connect(connection_guid)
        select = _selector(actor_type, field_keys)
        if parent_actor_type:
            actor_type_of(parent_actor_type)
        if not parent_erp_key:
            raise InvalidValue(_("Say whose children to search: the parent's ErpKey is empty."))
        found = db.find_actors(
            actor_type,
            search_text,
            include_inactive=config.include_inactive,
            parent_actor_type=parent_actor_type,
            parent_erp_key=parent_erp_key,
        )
        return select(found)

    def search_actors_advanced(
        self,
        connection_guid: str,
        actor_type: str,
        restrictions: Sequence[SearchRestriction],
        field_keys: Sequence[str],
    ) -> list[ErpActor]:
        db, config = self._connect(connection_guid)
        kind = actor_type_of(actor_type)
        select = _selector(kind, field_keys)
        fields = field_map(kind)
        try:
            validate_restrictions(fields, SEARCHABLE_FIELDS[kind], restrictions)
        except SearchError as exc:
            raise InvalidValue(str(exc), f"restriction on {exc.field_key!r} refused") from None
        # A search that asks about INACTIVE itself decides; otherwise the connection setting does.
        include_inactive = config.include_inactive or any(r.field_key == "INACTIVE" for r in restrictions)
        candidates = db.find_actors(kind, include_inactive=include_inactive)
        return select([a for a in candidates if actor_matches(a, fields, restrictions)])

    def get_actors_by_timestamp(
        self,
        connection_guid: str,
        updated_on_or_after: str,
        actor_type: str,
        field_keys: Sequence[str],
        page_size: int = 0,
        page_token: str = "",
    ) -> ActorPage:
        db, config = self._connect(connection_guid)
        select = _selector(actor_type, field_keys)
        # Ticks are fixed-width text, so the later bound is the larger string.
        since = max(normalise_timestamp(updated_on_or_after), config.sync_from)
        size = min(page_size, self.max_page_size) if page_size > 0 else 0
        after = _read_token(page_token) if page_token else None
        actors = db.changed_since(actor_type, since, after, size + 1 if size else 0)
        token = ""
        if size and len(actors) > size:
            actors = actors[:size]
            token = _make_token(actors[-1].last_modified, actors[-1].erp_key)
        return ActorPage(select(actors), token)

    def get_deleted_actors(
        self,
        connection_guid: str,
        actor_type: str,
        deleted_on_or_after: str,
        page_size: int = 0,
        page_token: str = "",
    ) -> DeletedPage:
        db, _config = self._connect(connection_guid)
        since = normalise_timestamp(deleted_on_or_after)
        size = min(page_size, self.max_page_size) if page_size > 0 else 0
        after = _read_token(page_token) if page_token else None
        deleted = db.deleted_since(actor_type, since, after, size + 1 if size else 0)
        token = ""
        if size and len(deleted) > size:
            deleted = deleted[:size]
            _type, erp_key, deleted_at = deleted[-1]
            token = _make_token(deleted_at, erp_key)
        return DeletedPage(deleted, token)

    def get_list(self, connection_guid: str, list_name: str) -> list[ListItem]:
        if connection_guid.lower() == NIL_GUID:
            return catalogue_items(list_name)  # the config dialog, before any database is chosen
        db, _config = self._connect(connection_guid)
        return db.list_items(list_name)

    def get_list_items(
        self, connection_guid: str, list_name: str, list_item_keys: Sequence[str]
    ) -> list[ListItem]:
        if connection_guid.lower() == NIL_GUID:
            wanted = set(list_item_keys)
            return [item for item in catalogue_items(list_name) if item.key in wanted]
        db, _config = self._connect(connection_guid)
        return db.list_items(list_name, list_item_keys)

    # -- writing -----------------------------------------------------------------------------------

    def _check_write(self, actor: ErpActor, creating: bool) -> None:
        """The contract's rules before the ERP's own: no writes to read-only fields, and so on."""
        self.check_field_values(fields_of(actor.actor_type), actor, creating)
        if not creating and not actor.erp_key:
            raise InvalidValue(_("Which %(type)s to save? The ErpKey is empty.", type=actor.actor_type))

    def _write(
        self,
        actors: Sequence[ErpActor],
        creating: bool,
        write: Callable[[list[ErpActor]], list[ErpActor | ConnectorFailure]],
    ) -> list[ErpActor | ConnectorFailure]:
        """One outcome per actor: the contract's checks first, then one batch into the ERP."""
        outcomes: dict[int, ErpActor | ConnectorFailure] = {}
        accepted: list[tuple[int, ErpActor]] = []
        for index, actor in enumerate(actors):
            try:
                self._check_write(actor, creating)
            except ConnectorFailure as exc:
                outcomes[index] = exc
            else:
                accepted.append((index, actor))
        written = write([actor for _index, actor in accepted]) if accepted else []
        outcomes.update((index, outcome) for (index, _actor), outcome in zip(accepted, written, strict=True))
        return [outcomes[index] for index in range(len(actors))]

    def create_actors(self, connection_guid: str, actors: Sequence[ErpActor]) -> list[ActorResult]:
        return _results(self._create(connection_guid, actors))

    def save_actors(self, connection_guid: str, actors: Sequence[ErpActor]) -> list[ActorResult]:
        """The whole batch in one transaction (one ``LastModified``); one result per actor."""
        return _results(self._save(connection_guid, actors))

    def create_actor(self, connection_guid: str, actor: ErpActor) -> ErpActor:
        return _only(self._create(connection_guid, [actor]))

    def save_actor(self, connection_guid: str, actor: ErpActor) -> ErpActor:
        return _only(self._save(connection_guid, [actor]))

    def _create(self, connection_guid: str, actors: Sequence[ErpActor]) -> list[ErpActor | ConnectorFailure]:
        db, config = self._connect(connection_guid)
        defaults = config.actor_defaults()
        return self._write(actors, True, lambda batch: db.create_actors(batch, defaults))

    def _save(self, connection_guid: str, actors: Sequence[ErpActor]) -> list[ErpActor | ConnectorFailure]:
        db, _config = self._connect(connection_guid)
        return self._write(actors, False, db.update_actors)


def _selector(actor_type: str, field_keys: Sequence[str]) -> Callable[[list[ErpActor]], list[ErpActor]]:
    """Checks the requested field keys up front and returns what trims actors to them."""
    fields = field_map(actor_type_of(actor_type))
    unknown = [key for key in field_keys if key not in fields]
    if unknown:
        raise UnknownField(
            _("%(type)s has no field %(keys)s.", type=actor_type, keys=", ".join(map(repr, unknown)))
        )
    if not field_keys:
        return lambda actors: actors
    keys = list(dict.fromkeys(field_keys))

    def select(actors: list[ErpActor]) -> list[ErpActor]:
        return [a.model_copy(update={"field_values": {k: a.field_values[k] for k in keys}}) for a in actors]

    return select


def _make_token(tick: str, erp_key: str) -> str:
    return base64.urlsafe_b64encode(json.dumps([tick, erp_key]).encode()).decode()


def _read_token(token: str) -> tuple[str, str]:
    try:
        position = json.loads(base64.urlsafe_b64decode(token.encode()))
    except (binascii.Error, ValueError):
        position = None
    if not (isinstance(position, list) and len(position) == 2 and all(isinstance(p, str) for p in position)):
        raise InvalidValue(
            _("The page token is not one the demo ERP handed out."), f"bad page token {token!r}"
        )
    return position[0], position[1]


def _results(outcomes: list[ErpActor | ConnectorFailure]) -> list[ActorResult]:
    return [
        ActorResult.error(
            outcome.user_explanation,
            outcome.tech_explanation,
            outcome.error_code,
            outcome.failure_kind,
            index=index,
        )
        if isinstance(outcome, ConnectorFailure)
        else ActorResult.ok(index=index, actor=outcome)
        for index, outcome in enumerate(outcomes)
    ]


def _only(outcomes: list[ErpActor | ConnectorFailure]) -> ErpActor:
    (outcome,) = outcomes
    if isinstance(outcome, ConnectorFailure):
        raise outcome
    return outcome
