"""The Tryton ERP served as a sync connector (``/connectors/tryton``, ``plugin://tryton``)."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from erpsync.protocol import (
    NIL_GUID,
    ActorResult,
    ActorType,
    ErpActor,
    FailureKind,
    FieldMetadata,
    ListItem,
    PluginResponse,
    SearchRestriction,
)
from erpsync.sdk.config_store import ConfigStore
from erpsync.sdk.connector import ActorPage, ErpConnector, register_connector
from erpsync.sdk.errors import (
    ActorNotFound,
    ConfigInvalid,
    ConnectorFailure,
    InvalidValue,
    UnknownField,
)
from erpsync.sdk.languages import explain as _
from erpsync.sdk.search import (
    PARENT_ERP_KEY,
    SearchError,
    actor_matches,
    text_matches,
    validate_restrictions,
)

from .actors import ACTOR_TYPES, COLUMNS, actor_type_of, field_map, fields_of
from .config import CONFIG_FIELDS, TrytonConfig, parse_config
from .domains import Domain, escape_like, restriction_domain
from .feed import changed_since, make_token, read_token
from .parties import PartyRow, party_actors, party_changes, read_parties
from .projects import project_actors, project_changes, read_projects
from .rpc import TrytonConfigError, TrytonError, TrytonFault, TrytonRpc, TrytonUnavailable
from .session import TrytonSession, open_session, role_domain
from .values import TrytonValueError, normalise_since

__all__ = ["TrytonConnector"]

#: Codes of our own (the protocol allows them): Tryton is down / Tryton failed inside.
ERP_UNAVAILABLE = "ErpUnavailable"
ERP_FAULT = "ErpFault"


@contextmanager
def tryton_errors() -> Iterator[None]:
    """Tryton's failures as the protocol's: what to fix, retry, or refuse for one actor."""
    try:
        yield
    except TrytonConfigError as exc:
        raise ConfigInvalid(str(exc)) from None
    except TrytonUnavailable as exc:
        raise ConnectorFailure(str(exc), "", ERP_UNAVAILABLE, FailureKind.transient) from None
    except TrytonFault as exc:
        if exc.is_user_error:
            raise InvalidValue(
                _("Tryton refused the values: %(message)s", message=exc.message), exc.kind
            ) from None
        if exc.kind == "AccessError":
            raise ConfigInvalid(
                _("The Tryton user lacks access rights: %(message)s", message=exc.message), exc.kind
            ) from None
        raise ConnectorFailure(
            _(
                "Tryton failed while answering (%(message)s); is every module the connector needs activated?",
                message=exc.message,
            ),
            f"{exc.method}: {exc.kind}: {exc.message}",
            ERP_FAULT,
            FailureKind.transient,
        ) from None
    except (TrytonError, TrytonValueError) as exc:
        raise ConnectorFailure(str(exc), type(exc).__name__, ERP_FAULT, FailureKind.transient) from None


@register_connector
class TrytonConnector(ErpConnector):
    """Customers, suppliers, contact persons and projects of a Tryton database.

    One login session per distinct config is kept and reused by every connection that shares it.
    """

    name = "tryton"
    max_page_size = 2000

    def __init__(self, config_store: ConfigStore, data_dir: Path) -> None:
        super().__init__(config_store, data_dir)
        self._sessions: dict[tuple[str, str, str, str], TrytonSession] = {}
        self._lock = threading.Lock()

    def close(self) -> None:
        with self._lock:
            for session in self._sessions.values():
                session.rpc.close()
            self._sessions.clear()

    def rpc_clients(self) -> list[TrytonRpc]:
        """The JSON-RPC clients of the live sessions, for their call statistics."""
        with self._lock:
            return [session.rpc for session in self._sessions.values()]

    # -- connections -------------------------------------------------------------------------------

    def get_config_data(self) -> list[FieldMetadata]:
        return list(CONFIG_FIELDS)

    def test_config_data(self, connection_info: dict[str, str]) -> PluginResponse:
        try:
            config = parse_config(connection_info)
            with tryton_errors():
                self._forget(config)
                self._open(config)
        except ConnectorFailure as exc:
            return PluginResponse.error(
                exc.user_explanation, exc.tech_explanation, exc.error_code, exc.failure_kind
            )
        return PluginResponse.ok()

    def _forget(self, config: TrytonConfig) -> None:
        """Drop the session of ``config`` so that a test logs in and resolves everything afresh."""
        with self._lock:
            session = self._sessions.pop(config.session_key, None)
        if session is not None:
            session.rpc.close()

    def _open(self, config: TrytonConfig) -> TrytonSession:
        with self._lock:
            session = self._sessions.get(config.session_key)
        if session is not None and session.config == config:
            return session
        rpc = TrytonRpc(config.server_url, config.database, config.username, config.password)
        try:
            session = open_session(rpc, config)
        except BaseException:
            rpc.close()
            raise
        with self._lock:
            stale = self._sessions.get(config.session_key)
            self._sessions[config.session_key] = session
        if stale is not None:
            stale.rpc.close()
        return session

    @contextmanager
    def _session(self, connection_guid: str) -> Iterator[TrytonSession]:
        """The connection's session, with Tryton's failures translated for the whole block."""
        config = parse_config(self.connection_info(connection_guid))
        with tryton_errors():
            yield self._open(config)

    # -- discovery ---------------------------------------------------------------------------------

    def get_supported_actor_types(self, connection_guid: str) -> list[str]:
        with self._session(connection_guid):
            return [t.value for t in ACTOR_TYPES]

    def get_supported_actor_type_fields(self, connection_guid: str, actor_type: str) -> list[FieldMetadata]:
        return list(fields_of(actor_type_of(actor_type)))

    def get_searchable_fields(self, connection_guid: str, actor_type: str) -> list[str]:
        return list(COLUMNS[actor_type_of(actor_type)])

    # -- reading -----------------------------------------------------------------------------------

    def _actors(
        self,
        session: TrytonSession,
        kind: ActorType,
        ids: Sequence[int],
        keys: Sequence[str] = (),
        stamps: Mapping[int, str] | None = None,
    ) -> list[ErpActor]:
        """The actors with ``ids`` that are of ``kind`` (others are simply not returned), with the
        field values of ``keys`` (all when empty); parties' LastModified from ``stamps`` if given."""
        if not ids:
            return []
        if kind is ActorType.Project:
            members = set(
                session.call(
                    "project.work",
                    "search",
                    [("id", "in", list(ids)), *role_domain(session, kind)],
                    0,
                    None,
                    None,
                    session.context,
                )
            )
            present = [i for i in ids if i in members]  # Tryton refuses to read ids that do not exist
            return project_actors(session, read_projects(session, present), keys)
        return party_actors(session, kind, read_parties(session, kind, ids, keys, stamps), keys)

    def _search(self, session: TrytonSession, kind: ActorType, domain: Domain) -> list[ErpActor]:
        model = "project.work" if kind is ActorType.Project else "party.party"
        ids = session.call(
            model,
            "search",
            [*role_domain(session, kind), *domain],
            0,
            None,
            [("id", "ASC")],
            session.context,
        )
        return self._actors(session, kind, [int(i) for i in ids])

    def get_actors(
        self, connection_guid: str, actor_type: str, erp_keys: Sequence[str], field_keys: Sequence[str]
    ) -> list[ErpActor]:
        kind = actor_type_of(actor_type)
        keys = _field_keys(kind, field_keys)
        ids = list(dict.fromkeys(_ids(erp_keys)))
        with self._session(connection_guid) as session:
            return self._actors(session, kind, ids, keys)

    def _text_search(
        self, session: TrytonSession, kind: ActorType, search_text: str, extra: Domain
    ) -> list[ErpActor]:
        text = search_text.strip()
        domain: Domain = list(extra)
        if text:
            pattern = f"%{escape_like(text)}%"
            if kind is ActorType.Project:
                domain.append(["OR", ("name", "ilike", pattern), ("number", "ilike", pattern)])
            else:
                domain.append(
                    [
                        "OR",
                        ("name", "ilike", pattern),
                        ("code", "ilike", pattern),
                        ("contact_mechanisms.value", "ilike", pattern),
                    ]
                )
        found = self._search(session, kind, domain)
        return [a for a in found if text_matches(text, *a.field_values.values())]

    def search_actors(
        self, connection_guid: str, actor_type: str, search_text: str, field_keys: Sequence[str]
    ) -> list[ErpActor]:
        kind = actor_type_of(actor_type)
        select = _selector(kind, field_keys)
        with self._session(connection_guid) as session:
            return select(self._text_search(session, kind, search_text, []))

    def search_actor_by_parent(
        self,
        connection_guid: str,
        actor_type: str,
        search_text: str,
        parent_actor_type: str,
        parent_erp_key: str,
        field_keys: Sequence[str],
    ) -> list[ErpActor]:
        kind = actor_type_of(actor_type)
        select = _selector(kind, field_keys)
        if kind is not ActorType.Person:
            raise InvalidValue(_("Only persons have a parent in Tryton, not %(type)s.", type=actor_type))
        if not parent_erp_key:
            raise InvalidValue(_("Say whose persons to search: the parent's ErpKey is empty."))
        parent = _ids([parent_erp_key])
        if not parent:
            return []
        with self._session(connection_guid) as session:
            domain: Domain = [
                ("relations", "where", [("type", "=", session.contact_relation), ("to", "=", parent[0])])
            ]
            found = self._text_search(session, kind, search_text, domain)
        found = [a for a in found if a.parent_erp_key == parent_erp_key]
        if parent_actor_type:
            # The parent is whatever role the caller links it as (a party may be both).
            found = [a.model_copy(update={"parent_actor_type": parent_actor_type}) for a in found]
        return select(found)

    def search_actors_advanced(
        self,
        connection_guid: str,
        actor_type: str,
        restrictions: Sequence[SearchRestriction],
        field_keys: Sequence[str],
    ) -> list[ErpActor]:
        kind = actor_type_of(actor_type)
        select = _selector(kind, field_keys)
        fields = field_map(kind)
        columns = COLUMNS[kind]
        try:
            validate_restrictions(fields, columns, restrictions)
        except SearchError as exc:
            raise InvalidValue(str(exc), f"restriction on {exc.field_key!r} refused") from None
        with self._session(connection_guid) as session:
            domain: Domain = []
            for restriction in restrictions:
                clause = _special_domain(session, restriction)
                if restriction.field_key in columns:
                    clause = restriction_domain(columns[restriction.field_key], restriction)
                if clause:
                    domain.extend(clause if _is_clause_list(clause) else [clause])
            found = self._search(session, kind, domain)
        return select([a for a in found if actor_matches(a, fields, restrictions)])

    def get_actors_by_timestamp(
        self,
        connection_guid: str,
        updated_on_or_after: str,
        actor_type: str,
        field_keys: Sequence[str],
        page_size: int = 0,
        page_token: str = "",
    ) -> ActorPage:
        kind = actor_type_of(actor_type)
        keys = _field_keys(kind, field_keys)
        since = normalise_since(updated_on_or_after)
        after = read_token(page_token) if page_token else None
        size = min(page_size, self.max_page_size) if page_size > 0 else 0
        with self._session(connection_guid) as session:
            positions, more = changed_since(session, kind, since, after, size)
            # A position's stamp is the actor's LastModified as this request found it: the page is
            # read without the dates of every child row.
            stamps = {key: stamp for stamp, key in positions}
            actors = self._actors(session, kind, list(stamps), keys, stamps)
        # An actor changed after its position was taken is read with its newer values; the next page
        # catches the change up and brings it again at its new place.
        token = make_token(positions[-1]) if more else ""
        return ActorPage(actors, token)

    def get_list(self, connection_guid: str, list_name: str) -> list[ListItem]:
        if connection_guid.lower() == NIL_GUID:
            raise ConfigInvalid(_("Save the connection first: Tryton's lists are read from its database."))
        with self._session(connection_guid) as session:
            return session.lists(list_name).as_list_items()

    # -- writing -----------------------------------------------------------------------------------

    def create_actors(self, connection_guid: str, actors: Sequence[ErpActor]) -> list[ActorResult]:
        with self._session(connection_guid) as session:
            return self._write(session, actors, creating=True)

    def save_actors(self, connection_guid: str, actors: Sequence[ErpActor]) -> list[ActorResult]:
        with self._session(connection_guid) as session:
            return self._write(session, actors, creating=False)

    def create_actor(self, connection_guid: str, actor: ErpActor) -> ErpActor:
        return _only(self.create_actors(connection_guid, [actor]))

    def save_actor(self, connection_guid: str, actor: ErpActor) -> ErpActor:
        return _only(self.save_actors(connection_guid, [actor]))

    def _write(self, session: TrytonSession, actors: Sequence[ErpActor], creating: bool) -> list[ActorResult]:
        """One result per actor: checks first, then one Tryton call per actor type and model (each
        actor alone when Tryton refuses the batch, to find which one it refused)."""
        outcomes: dict[int, ErpActor | ConnectorFailure] = {}
        by_type: dict[ActorType, list[tuple[int, ErpActor]]] = {}
        for index, actor in enumerate(actors):
            try:
                kind = actor_type_of(actor.actor_type)
                self.check_field_values(fields_of(kind), actor, creating)
                if not creating and not _ids([actor.erp_key]):
                    raise ActorNotFound(
                        _("Tryton has no %(type)s %(key)r.", type=actor.actor_type, key=actor.erp_key)
                    )
            except ConnectorFailure as exc:
                outcomes[index] = exc
            else:
                by_type.setdefault(kind, []).append((index, actor))
        for kind, batch in by_type.items():
            outcomes.update(_write_batch(session, kind, batch, creating, self._actors))
        return [_result(index, outcomes[index]) for index in range(len(actors))]


# -- writing a batch ----------------------------------------------------------------------------------

Reader = Callable[[TrytonSession, ActorType, Sequence[int]], list[ErpActor]]


def _changes(
    session: TrytonSession, kind: ActorType, actor: ErpActor, row: PartyRow | None, creating: bool
) -> dict[str, Any]:
    if kind is ActorType.Project:
        progress = 0.0
        if not creating and "STATUS" in actor.field_values:
            [current] = session.call(
                "project.work", "read", [int(actor.erp_key)], ["progress"], session.context
            )
            progress = float(current.get("progress") or 0.0)
        return project_changes(session, actor.field_values, creating, progress)
    parent: int | None = None
    if creating and kind is ActorType.Person:
        found = _ids([actor.parent_erp_key])
        if not found:
            raise InvalidValue(_("A Tryton contact person needs its company: the ParentErpKey is empty."))
        parent = found[0]
        if not session.call("party.party", "search", [("id", "=", parent)], 0, 1, None, session.context):
            raise InvalidValue(
                _("The parent party %(key)r does not exist in Tryton.", key=actor.parent_erp_key)
            )
    return party_changes(session, kind, row, actor.field_values, parent)


def _write_batch(
    session: TrytonSession,
    kind: ActorType,
    batch: list[tuple[int, ErpActor]],
    creating: bool,
    read: Reader,
) -> dict[int, ErpActor | ConnectorFailure]:
    model = "project.work" if kind is ActorType.Project else "party.party"
    outcomes: dict[int, ErpActor | ConnectorFailure] = {}
    rows: dict[int, PartyRow] = {}
    if not creating:
        ids = [int(a.erp_key) for _, a in batch]
        if kind is ActorType.Project:
            present = {int(a.erp_key) for a in read(session, kind, ids)}
        else:  # the rows tell which parties exist and have the role, too
            rows = {r.id: r for r in read_parties(session, kind, ids)}
            present = set(rows)
    planned: list[tuple[int, int, dict[str, Any]]] = []  # (index, id or 0, Tryton values)
    for index, actor in batch:
        try:
            erp_id = 0 if creating else int(actor.erp_key)
            if not creating and erp_id not in present:
                raise ActorNotFound(
                    _("Tryton has no %(type)s %(key)r.", type=actor.actor_type, key=actor.erp_key)
                )
            planned.append((index, erp_id, _changes(session, kind, actor, rows.get(erp_id), creating)))
        except ConnectorFailure as exc:
            outcomes[index] = exc

    def send(group: list[tuple[int, int, dict[str, Any]]]) -> list[int]:
        if creating:
            return [int(i) for i in session.call(model, "create", [v for _, _, v in group], session.context)]
        arguments: list[Any] = []
        for _index, erp_id, values in group:
            arguments += [[erp_id], values]
        session.call(model, "write", *arguments, session.context)
        return [erp_id for _, erp_id, _ in group]

    written: list[tuple[int, int]] = []
    if planned:
        try:
            with tryton_errors():
                written = list(zip([i for i, _, _ in planned], send(planned), strict=True))
        except InvalidValue:
            # Tryton refused the batch as a whole: one call per actor tells which.
            for item in planned:
                try:
                    with tryton_errors():
                        written.append((item[0], send([item])[0]))
                except InvalidValue as exc:
                    outcomes[item[0]] = exc
    saved = {int(a.erp_key): a for a in read(session, kind, [erp_id for _, erp_id in written])}
    for index, erp_id in written:
        found = saved.get(erp_id)
        outcomes[index] = (
            found if found is not None else InvalidValue(_("Tryton did not return the saved actor."))
        )
    return outcomes


# -- helpers ------------------------------------------------------------------------------------------


def _ids(erp_keys: Sequence[str]) -> list[int]:
    """The record ids among ``erp_keys``; text that cannot be one of our keys is left out."""
    return [int(k) for k in erp_keys if k.isascii() and k.isdigit() and str(int(k)) == k and int(k) > 0]


def _is_clause_list(domain: Domain) -> bool:
    return not (domain and domain[0] in ("OR", "AND"))


def _special_domain(session: TrytonSession, restriction: SearchRestriction) -> Domain | None:
    """``ParentErpKey =`` narrows to the persons of that parent; the rest is checked afterwards."""
    if restriction.field_key != PARENT_ERP_KEY or restriction.operator != "=":
        return None
    parent = _ids(restriction.values)
    if not parent:
        return [("id", "=", -1)]
    return [("relations", "where", [("type", "=", session.contact_relation), ("to", "=", parent[0])])]


def _field_keys(kind: ActorType, field_keys: Sequence[str]) -> tuple[str, ...]:
    """The requested field keys, checked and without repeats (empty: every field)."""
    fields = field_map(kind)
    unknown = [key for key in field_keys if key not in fields]
    if unknown:
        raise UnknownField(
            _("%(type)s has no field %(keys)s.", type=kind.value, keys=", ".join(map(repr, unknown)))
        )
    return tuple(dict.fromkeys(field_keys))


def _selector(kind: ActorType, field_keys: Sequence[str]) -> Callable[[list[ErpActor]], list[ErpActor]]:
    """Checks the requested field keys up front and returns what trims actors to them (searches
    read every field: they match against all of them)."""
    keys = _field_keys(kind, field_keys)
    if not keys:
        return lambda actors: actors

    def select(actors: list[ErpActor]) -> list[ErpActor]:
        return [a.model_copy(update={"field_values": {k: a.field_values[k] for k in keys}}) for a in actors]

    return select


def _result(index: int, outcome: ErpActor | ConnectorFailure) -> ActorResult:
    if isinstance(outcome, ConnectorFailure):
        failure = outcome
        return ActorResult.error(
            failure.user_explanation,
            failure.tech_explanation,
            failure.error_code,
            failure.failure_kind,
            index=index,
        )
    return ActorResult.ok(index=index, actor=outcome)


def _only(results: list[ActorResult]) -> ErpActor:
    (result,) = results
    if result.failed or result.actor is None:
        raise ConnectorFailure(
            result.user_explanation, result.tech_explanation, result.error_code, result.failure_kind
        )
    return result.actor
