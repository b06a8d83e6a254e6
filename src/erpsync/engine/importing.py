"""Import from ERP (reference §2.11): choose actors, preview, import — page by page.

``apply_import`` checks the selection and the settings in one read, then streams pages of actors
from the connector (``GetActors`` on the chosen keys, or the paged ``GetActorsByTimestamp`` feed
from the beginning for "all actors"). Each page is written in ONE write transaction that looks up
links, parents and duplicates with a few IN queries, plans every row with :mod:`.import_plan`, and
writes the new CRM records (``store.create_many``), the updates (``store.update_many``), the links
and the sync log in bulk. The connector is never called inside a transaction: the next page is
fetched by a worker thread while this one is written. ``preview_import`` plans the same rows in
read transactions and writes nothing.

Only whole pages are committed: an import stopped by a connector failure, or by automatic sync
being switched on, keeps the pages before it and reports why it stopped.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextvars import copy_context
from dataclasses import dataclass, field, replace
from dataclasses import fields as dataclass_fields
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Table, bindparam, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import BindParameter

from erpsync.crm import store
from erpsync.crm.bulk import insert_rows, insert_rows_returning_ids
from erpsync.crm.catalogue import CrmEntity, FieldKind, find_field
from erpsync.crm.catalogue import field as catalogue_field
from erpsync.crm.db import utcnow
from erpsync.crm.errors import CrmValidationError, RecordNotFound
from erpsync.crm.lists import list_items_by_id
from erpsync.crm.models import Company, Person, Project
from erpsync.crm.store import connection_origin
from erpsync.crm.texts import _, noun
from erpsync.hub.erp_tab import active_mappings
from erpsync.hub.errors import ConnectorFailed, InvalidInput, NotFound, Refused
from erpsync.hub.field_values import MappedField, crm_entity_of, erp_field_type, erp_fields_of, mapped_fields
from erpsync.hub.lookups import client_for_url, connection_row, connector_row
from erpsync.hub.models import ErpActorTypeMapping, ErpConfiguration, ErpConnection, ErpLink, ErpSyncLog
from erpsync.hub.searching import OPERATORS, check_restrictions
from erpsync.hub.service import Hub, connector_call
from erpsync.hub.synclog import LogEntry
from erpsync.hub.transactions import reading, writing
from erpsync.i18n import lazy_gettext
from erpsync.protocol import Capability, ConnectorClient, ErpActor, ErrorCode, SearchRestriction, call

from .gc_pause import gc_paused
from .import_plan import (
    MATCH_KEYS,
    DuplicateAction,
    FieldRules,
    ImportRow,
    ImportSettings,
    LogRow,
    Match,
    MatchField,
    MatchKey,
    ReadActor,
    RowAction,
    count_actions,
    log_rows,
    match_fields_of,
    match_key,
    plan_row,
    read_actor,
    record_key,
    required_crm_fields,
)

__all__ = [
    "MAX_KEYS",
    "PAGE_SIZE",
    "CreatedFromActors",
    "CreatedLink",
    "ImportActorType",
    "ImportPlan",
    "ImportProgress",
    "ImportResult",
    "ImportSelection",
    "apply_import",
    "create_from_actors",
    "import_actor_types",
    "preview_import",
]

#: Actors per page: one connector call and one write transaction each.
PAGE_SIZE = 2_000
#: The most ERP keys one import may name (a selection from the Search ERP dialog).
MAX_KEYS = 10_000
#: The most ERP keys one import may leave out (rows unticked in the preview).
MAX_EXCLUDED = 100_000
SOURCE = "import"
#: Why an actor already linked in the connection is not imported (auto import leaves it unsaid).
ALREADY_LINKED = lazy_gettext("already linked")
_IN_CHUNK = 1_000

_MODELS: Mapping[CrmEntity, type[Company | Person | Project]] = {
    CrmEntity.company: Company,
    CrmEntity.person: Person,
    CrmEntity.project: Project,
}
_LINKS = cast(Table, ErpLink.__table__)
_LOG = cast(Table, ErpSyncLog.__table__)
_NAME_KEYS = ("NAME", "FIRSTNAME", "LASTNAME")
#: The columns of a ``LogRow``: ``LogEntry``'s fields, in their order.
_LOG_COLUMNS = tuple(f.name for f in dataclass_fields(LogEntry))
# Only our own table and column names go into the text.
_SQLITE_LOG_INSERT = "INSERT INTO erp_sync_log ({}, created_at) VALUES ({}?)".format(  # noqa: S608
    ", ".join(_LOG_COLUMNS), "?, " * len(_LOG_COLUMNS)
)


# --- what the caller gives and gets ----------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ImportSelection:
    """Which actors to import: exactly one of chosen ErpKeys (rows of a Search ERP result),
    search restrictions (``SearchActorsAdvanced`` is run) or every actor of the type."""

    connection_id: int
    actor_type: str
    erp_keys: tuple[str, ...] = ()
    restrictions: tuple[SearchRestriction, ...] = ()
    all_actors: bool = False


@dataclass(frozen=True, slots=True)
class ImportActorType:
    """An actor type the import dialog offers: an active mapping with at least one searchable field."""

    erp_actor_type: str
    crm_actor_type: str
    match_fields: tuple[MatchField, ...]
    searchable_fields: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class ImportProgress:
    done: int
    total: int | None


@dataclass
class ImportPlan:
    """The preview: one row per actor (up to the limit asked for) and the count of each action."""

    connection_id: int
    actor_type: str
    entity: CrmEntity
    rows: list[ImportRow]
    counts: dict[RowAction, int]
    more: bool = False


@dataclass
class ImportResult:
    """What an import did: CRM record ids created, updated and linked unchanged; ErpKey → reason for
    the actors skipped and those that failed; the number of fields left out with a warning."""

    connection_id: int
    actor_type: str
    entity: CrmEntity
    created: list[int] = field(default_factory=list)
    updated: list[int] = field(default_factory=list)
    unchanged: list[int] = field(default_factory=list)
    skipped: dict[str, str] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)
    warnings: int = 0
    #: Why the import stopped before the end ("" when it ran to the end).
    stopped: str = ""

    @property
    def done(self) -> int:
        return (
            len(self.created) + len(self.updated) + len(self.unchanged) + len(self.skipped) + len(self.errors)
        )


@dataclass(frozen=True, slots=True)
class CreatedLink:
    link_id: int
    crm_record_id: int
    erp_key: str


@dataclass
class CreatedFromActors:
    """What :func:`create_from_actors` did; the caller writes ``log`` in its transaction."""

    links: list[CreatedLink]
    skipped: list[tuple[str, str]]
    log: list[LogEntry]


# --- the job: what every page needs ----------------------------------------------------------------


@dataclass(frozen=True)
class _Target:
    """Where the rows of one actor type mapping go, and how they are planned."""

    connection_id: int
    connection_name: str
    actor_type: str
    entity: CrmEntity
    rules: FieldRules
    settings: ImportSettings


@dataclass(frozen=True)
class _Job:
    target: _Target
    guid: str
    client: ConnectorClient
    field_keys: tuple[str, ...]
    restrictions: tuple[SearchRestriction, ...]
    page_size: int
    paged_feed: bool


def _import_mapping(session: Session, connection: ErpConnection, actor_type: str) -> ErpActorTypeMapping:
    mapping = next(
        (m for m in active_mappings(session, connection.id) if m.erp_actor_type == actor_type), None
    )
    if mapping is None or crm_entity_of(mapping) is None:
        raise NotFound(
            _(
                "%(connection)s has no active actor type mapping for %(type)r to import from.",
                connection=connection.display_name,
                type=actor_type,
            )
        )
    return mapping


def _check_selection(selection: ImportSelection) -> None:
    modes = [bool(selection.erp_keys), bool(selection.restrictions), selection.all_actors]
    if sum(modes) != 1:
        raise InvalidInput(
            _("Choose the actors to import one way."),
            {"Selection": _("give ErpKeys, Restrictions or AllActors: exactly one of them")},
        )
    if len(selection.erp_keys) > MAX_KEYS:
        raise InvalidInput(
            _("Too many actors chosen."), {"ErpKeys": _("at most %(max)s keys per import", max=MAX_KEYS)}
        )
    if any(not key or "\x00" in key for key in selection.erp_keys):
        raise InvalidInput(_("Some ErpKeys are empty."), {"ErpKeys": _("every key must be non-empty text")})


def _normal_settings(settings: ImportSettings, entity: CrmEntity) -> ImportSettings:
    """The settings with their enums checked (callers may pass plain text)."""
    errors: dict[str, str] = {}
    try:
        match = MatchField(settings.match)
    except ValueError:
        match = MatchField.none
        errors["Match"] = _("%(value)r is not a match field", value=settings.match)
    try:
        action = DuplicateAction(settings.action)
    except ValueError:
        action = DuplicateAction.add
        errors["Action"] = _(
            "%(value)r is not one of %(choices)s",
            value=settings.action,
            choices=", ".join(a.value for a in DuplicateAction),
        )
    if match not in MATCH_KEYS[entity] and "Match" not in errors:
        choices = ", ".join(m.value for m in MATCH_KEYS[entity])
        errors["Match"] = _(
            "a %(kind)s is matched by one of %(choices)s, not %(match)s",
            kind=noun(entity.value),
            choices=choices,
            match=match.value,
        )
    if errors:
        raise InvalidInput(_("The import settings cannot be used."), errors)
    return replace(settings, match=match, action=action)


def _check_settings(
    settings: ImportSettings,
    entity: CrmEntity,
    actor_type: str,
    fields: Sequence[MappedField],
    erp_keys: set[str],
) -> None:
    errors: dict[str, str] = {}
    if settings.matching and settings.match is MatchField.id:
        if not settings.id_field:
            errors["IdField"] = _("name the ERP field that holds the CRM record id")
        elif settings.id_field not in erp_keys:
            errors["IdField"] = _(
                "%(key)r is not a field of %(type)s", key=settings.id_field, type=actor_type
            )
    elif settings.matching:
        mapped = {f.crm_field.key for f in fields}
        for crm_key in MATCH_KEYS[entity][settings.match]:
            if crm_key not in mapped:
                label = find_field(entity, crm_key)
                errors["Match"] = _(
                    "no field of %(type)s is mapped to the CRM field %(field)s",
                    type=actor_type,
                    field=label.label if label else crm_key,
                )
    if errors:
        raise InvalidInput(_("The import settings cannot be used."), errors)
    written = {f.crm_field.key for f in fields if f.to_crm}
    missing = [key for key in required_crm_fields(entity) if key not in written]
    if missing or not written:
        names = ", ".join(missing) or _("any field")
        raise Refused(
            _(
                "No field of %(type)s is synced into the CRM's %(fields)s, which a new %(kind)s needs.",
                type=actor_type,
                fields=names,
                kind=noun(entity.value),
            ),
            [_("Map a field of %(type)s to it, synced to the CRM, and try again.", type=actor_type)],
        )


def _rules(
    session: Session, connection: ErpConnection, entity: CrmEntity, fields: Sequence[MappedField]
) -> FieldRules:
    """The field rules, with the CRM list items the mapped list fields may write."""
    wanted = {item for f in fields if f.crm_field.kind is FieldKind.list for item in f.list_to_crm.values()}
    items = list_items_by_id(session, wanted)
    lists = {f.crm_field.list_name for f in fields if f.crm_field.kind is FieldKind.list}
    usable = frozenset(i for i, item in items.items() if not item.deleted and item.list_name in lists)
    return FieldRules(
        entity=entity,
        fields=tuple(fields),
        usable_items=usable,
        item_names={i: item.name for i, item in items.items()},
        no_blank_values=connection.no_blank_values,
    )


def _prepare(hub: Hub, selection: ImportSelection, settings: ImportSettings) -> _Job:
    """Everything the pages need, read once; refuses bad input before the connector is asked."""
    with reading(hub) as session:
        connection = connection_row(session, selection.connection_id)
        mapping = _import_mapping(session, connection, selection.actor_type)
        entity = crm_entity_of(mapping)
        assert entity is not None
        _check_selection(selection)
        settings = _normal_settings(settings, entity)
        fields = mapped_fields(session, mapping)
        rows = erp_fields_of(session, mapping.id)
        erp_keys = {row.erp_field_key for row in rows}
        _check_settings(settings, entity, selection.actor_type, fields, erp_keys)
        restrictions = (
            tuple(check_restrictions(rows, selection.restrictions)) if selection.restrictions else ()
        )
        names = [key for key in _NAME_KEYS if key in erp_keys]
        extra = [settings.id_field] if settings.match is MatchField.id and settings.matching else []
        field_keys = tuple(dict.fromkeys([*(f.erp_key for f in fields), *names, *extra]))
        client = client_for_url(
            hub, connector_row(session, connection.connector_id, include_deleted=True).url
        )
        size = min(PAGE_SIZE, connection.max_page_size) if connection.max_page_size > 0 else PAGE_SIZE
        target = _Target(
            connection_id=connection.id,
            connection_name=connection.display_name,
            actor_type=selection.actor_type,
            entity=entity,
            rules=_rules(session, connection, entity, fields),
            settings=settings,
        )
        return _Job(
            target=target,
            guid=connection.guid,
            client=client,
            field_keys=field_keys,
            restrictions=restrictions,
            page_size=size,
            paged_feed=Capability.PagedTimestampFeed.value in (connection.capabilities or []),
        )


def import_actor_types(hub: Hub, connection_id: int) -> list[ImportActorType]:
    """The Actor type choices of the "Select ERP connection" dialog: every active actor type mapping
    for which the connector named at least one searchable field (reference §2.11 step 2)."""
    with reading(hub) as session:
        connection = connection_row(session, connection_id)
        choices: list[ImportActorType] = []
        for mapping in active_mappings(session, connection.id):
            entity = crm_entity_of(mapping)
            searchable = tuple(
                row.erp_field_key
                for row in erp_fields_of(session, mapping.id)
                if row.searchable and erp_field_type(row) in OPERATORS
            )
            if entity is None or not searchable:
                continue
            choices.append(
                ImportActorType(
                    erp_actor_type=mapping.erp_actor_type,
                    crm_actor_type=mapping.crm_actor_type,
                    match_fields=tuple(match_fields_of(entity)),
                    searchable_fields=searchable,
                )
            )
        return choices


# --- pages of actors -------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Page:
    actors: list[ErpActor]
    #: Chosen keys the ERP does not have.
    missing: tuple[str, ...] = ()
    #: Keys left out by the caller, met on this page.
    excluded: tuple[str, ...] = ()
    #: How many actors the whole selection has, when known.
    total: int | None = None


def _chunks(items: Sequence[str], size: int) -> Iterator[Sequence[str]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _search_keys(job: _Job) -> list[str]:
    target = job.target
    request = call.search_actors_advanced(job.guid, target.actor_type, job.restrictions, job.field_keys)
    reply = connector_call("SearchActorsAdvanced", lambda: job.client.send(request))
    return list(dict.fromkeys(actor.erp_key for actor in reply.actors if actor.erp_key))


def _key_pages(job: _Job, keys: Sequence[str], excluded: frozenset[str]) -> Iterator[_Page]:
    """``GetActors`` a page of keys at a time (reference §2.11 step 7)."""
    chosen = [key for key in dict.fromkeys(keys) if key not in excluded]
    left_out = tuple(key for key in dict.fromkeys(keys) if key in excluded)
    if left_out:
        yield _Page([], excluded=left_out, total=len(chosen))
    for chunk in _chunks(chosen, job.page_size):
        request = call.get_actors(job.guid, job.target.actor_type, list(chunk), job.field_keys)
        try:
            reply = connector_call("GetActors", lambda r=request: job.client.send(r))  # type: ignore[misc]
        except ConnectorFailed as exc:
            if exc.error_code != ErrorCode.ActorNotFound:
                raise
            yield _Page([], missing=tuple(chunk), total=len(chosen))
            continue
        found = {actor.erp_key: actor for actor in reply.actors}
        yield _Page(
            [found[key] for key in chunk if key in found],
            missing=tuple(key for key in chunk if key not in found),
            total=len(chosen),
        )


def _feed_pages(job: _Job, excluded: frozenset[str]) -> Iterator[_Page]:
    """Every actor of the type: the change feed from the beginning, paged when the connector can."""

    def page(actors: list[ErpActor]) -> _Page:
        if not excluded:
            return _Page(actors)
        return _Page(
            [a for a in actors if a.erp_key not in excluded],
            excluded=tuple(a.erp_key for a in actors if a.erp_key in excluded),
        )

    target = job.target
    if not job.paged_feed:
        request = call.get_actors_by_timestamp(job.guid, "", target.actor_type, job.field_keys)
        reply = connector_call("GetActorsByTimestamp", lambda: job.client.send(request))
        for start in range(0, len(reply.actors), job.page_size):
            yield page(reply.actors[start : start + job.page_size])
        return
    token = ""
    while True:
        request = call.get_actors_by_timestamp(
            job.guid, "", target.actor_type, job.field_keys, job.page_size, token
        )
        reply = connector_call("GetActorsByTimestamp", lambda r=request: job.client.send(r))  # type: ignore[misc]
        yield page(reply.actors)
        token = reply.next_page_token
        if not token:
            return


def _pages(job: _Job, selection: ImportSelection, excluded: frozenset[str]) -> Iterator[_Page]:
    if selection.all_actors:
        return _feed_pages(job, excluded)
    if selection.restrictions:
        return _key_pages(job, _search_keys(job), excluded)
    return _key_pages(job, selection.erp_keys, excluded)


def _ahead(pages: Iterator[_Page]) -> Iterator[_Page]:
    """The pages, each fetched by a worker thread while the caller handles the one before."""
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="erp-import") as worker:
        # In the caller's context, so that what it says comes in the caller's language (one fetch
        # runs at a time, so the one copy is never entered twice at once).
        context = copy_context()

        def fetch() -> _Page | None:
            return context.run(next, pages, None)

        pending = worker.submit(fetch)
        while True:
            page = pending.result()
            if page is None:
                return
            pending = worker.submit(fetch)
            yield page


# --- planning a page -------------------------------------------------------------------------------


@dataclass
class _Memory:
    """What an import remembers between the rows it planned: CRM records already claimed as a
    duplicate and match keys of records about to be created (so two actors never pair with one
    record). Apply keeps it for one page (the database remembers the rest); preview for the run."""

    claimed: dict[int, str] = field(default_factory=dict)
    new_keys: dict[MatchKey, str] = field(default_factory=dict)


_KEYS: BindParameter[Any] = bindparam("keys", expanding=True)


def _links_of(
    session: Session, connection_id: int, actor_type: str, erp_keys: Iterable[str]
) -> dict[str, tuple[str, int]]:
    """ErpKey → (CRM entity, record id) of the actors linked in the connection. Columns, not ORM
    objects, and one expanding parameter per chunk: an import asks this for every page."""
    wanted = list(set(erp_keys))
    query = select(ErpLink.erp_key, ErpLink.crm_entity, ErpLink.crm_record_id).where(
        ErpLink.connection_id == connection_id,
        ErpLink.erp_actor_type == actor_type,
        ErpLink.erp_key.in_(_KEYS),
    )
    found: dict[str, tuple[str, int]] = {}
    for start in range(0, len(wanted), _IN_CHUNK):
        for key, entity, record_id in session.execute(query, {"keys": wanted[start : start + _IN_CHUNK]}):
            found[key] = (entity, record_id)
    return found


def _parent_companies(
    session: Session, target: _Target, actors: Sequence[ErpActor]
) -> dict[tuple[str, str], int]:
    """(parent actor type, parent ErpKey) → the CRM company its actor is linked to in the connection."""
    by_type: dict[str, set[str]] = {}
    for actor in actors:
        if actor.parent_erp_key:
            by_type.setdefault(actor.parent_actor_type, set()).add(actor.parent_erp_key)
    found: dict[tuple[str, str], int] = {}
    for parent_type, keys in by_type.items():
        for key, (entity, record_id) in _links_of(session, target.connection_id, parent_type, keys).items():
            if entity == CrmEntity.company.value:
                found[(parent_type, key)] = record_id
    return found


def _crm_candidates(
    session: Session, target: _Target, wanted: Mapping[MatchKey, Any]
) -> dict[MatchKey, list[int]]:
    """Scoped match key → ids of the CRM records with that key, lowest first.

    A scoped key is (company id or None, match key): persons are matched among the persons of
    their company only. These bulk lookups read the CRM tables directly (with IN, by chunk) because
    ``crm.store.search`` filters by one value at a time.
    """
    settings, entity = target.settings, target.entity
    model = _MODELS[entity]
    crm_keys = MATCH_KEYS[entity][settings.match]
    columns = [getattr(model, catalogue_field(entity, key).attribute) for key in crm_keys]
    scoped = entity is CrmEntity.person
    extra = [Person.company_id] if scoped else []
    if settings.match is MatchField.id:
        probe, values = model.id, {key[1][0] for key in wanted}
    elif scoped:
        probe, values = Person.company_id, {key[0] for key in wanted}
    else:
        probe, values = columns[0], {key[1][0] for key in wanted}
    ordered = sorted(values, key=repr)
    found: dict[MatchKey, list[int]] = {}
    for start in range(0, len(ordered), _IN_CHUNK):
        query = select(model.id, *extra, *columns).where(probe.in_(_KEYS))
        for row in session.execute(query, {"keys": ordered[start : start + _IN_CHUNK]}):
            record_id, rest = row[0], row[1:]
            scope = rest[0] if scoped else None
            values_of = dict(zip(crm_keys, rest[1:] if scoped else rest, strict=True))
            key = (scope, record_key(settings, entity, record_id, values_of))
            if key in wanted:
                found.setdefault(key, []).append(record_id)
    return {key: sorted(ids) for key, ids in found.items()}


def _linked_records(
    session: Session, target: _Target, record_ids: Iterable[int]
) -> dict[int, tuple[str, str]]:
    """CRM record id → (actor type, ErpKey) of the records linked in the connection."""
    wanted = sorted(set(record_ids))
    query = select(ErpLink.crm_record_id, ErpLink.erp_actor_type, ErpLink.erp_key).where(
        ErpLink.connection_id == target.connection_id,
        ErpLink.crm_entity == target.entity.value,
        ErpLink.crm_record_id.in_(_KEYS),
    )
    found: dict[int, tuple[str, str]] = {}
    for start in range(0, len(wanted), _IN_CHUNK):
        for record_id, actor_type, erp_key in session.execute(
            query, {"keys": wanted[start : start + _IN_CHUNK]}
        ):
            found[record_id] = (actor_type, erp_key)
    return found


def _matches(
    session: Session, target: _Target, keys: Mapping[str, MatchKey], memory: _Memory
) -> dict[str, Match]:
    """The duplicate of each actor (ErpKey → match) by its scoped match key; actors without one
    are left out."""
    settings, entity = target.settings, target.entity
    if not keys:
        return {}
    candidates = _crm_candidates(session, target, dict.fromkeys(keys.values()))
    linked = _linked_records(session, target, (i for ids in candidates.values() for i in ids))
    chosen: dict[str, int] = {}
    matches: dict[str, Match] = {}
    for erp_key, key in keys.items():
        ids = candidates.get(key, [])
        if not ids:
            continue
        free = [i for i in ids if i not in linked and i not in memory.claimed]
        if settings.action is DuplicateAction.skip:
            matches[erp_key] = Match(record_id=ids[0], record_values={})
        elif free:
            memory.claimed[free[0]] = erp_key
            chosen[erp_key] = free[0]
        elif ids[0] in memory.claimed:
            other = memory.claimed[ids[0]]
            matches[erp_key] = Match(
                record_id=ids[0],
                error=_(
                    "duplicate of %(kind)s %(id)s, which %(type)s %(key)s matches too",
                    kind=noun(entity.value),
                    id=ids[0],
                    type=target.actor_type,
                    key=other,
                ),
            )
        else:
            linked_type, linked_key = linked[ids[0]]
            matches[erp_key] = Match(
                record_id=ids[0],
                error=_(
                    "duplicate of %(kind)s %(id)s, which is already linked to %(type)s %(key)s in "
                    "%(connection)s",
                    kind=noun(entity.value),
                    id=ids[0],
                    type=linked_type,
                    key=linked_key,
                    connection=target.connection_name,
                ),
            )
    records = store.get_many(session, entity, set(chosen.values()))
    for erp_key, record_id in chosen.items():
        record = records.get(record_id)
        if record is not None:
            matches[erp_key] = Match(record_id=record_id, record_values=record.values)
    return matches


def _plan_page(
    session: Session, target: _Target, actors: Sequence[ErpActor], memory: _Memory
) -> list[ImportRow]:
    """One row per actor of the page, in the page's order."""
    unique = list({actor.erp_key: actor for actor in actors if actor.erp_key}.values())
    linked = _links_of(session, target.connection_id, target.actor_type, [a.erp_key for a in unique])
    persons = target.entity is CrmEntity.person
    parents = _parent_companies(session, target, unique) if persons else {}
    early: dict[str, ImportRow] = {}
    reads: list[tuple[ReadActor, int | None]] = []
    for actor in unique:
        company = parents.get((actor.parent_actor_type, actor.parent_erp_key))
        if actor.erp_key in linked:
            early[actor.erp_key] = ImportRow(
                actor.erp_key,
                actor.erp_key,
                RowAction.skip,
                linked[actor.erp_key][1],
                _(ALREADY_LINKED),
            )
        elif persons and company is None:
            early[actor.erp_key] = ImportRow(
                actor.erp_key, actor.erp_key, RowAction.skip, reason=_("company not linked")
            )
        else:
            reads.append((read_actor(target.rules, actor), company))
    keys: dict[str, MatchKey] = {}
    for read, company in reads:
        key = match_key(target.settings, target.entity, read)
        if key is not None:
            keys[read.actor.erp_key] = (company, key)
    matches = _matches(session, target, keys, memory)
    planned: dict[str, ImportRow] = {}
    for read, company in reads:
        erp_key = read.actor.erp_key
        row = plan_row(
            target.settings,
            target.rules,
            read,
            matches.get(erp_key, Match()),
            {"company_id": company} if persons else None,
        )
        if row.action is RowAction.new and erp_key in keys:
            earlier = memory.new_keys.setdefault(keys[erp_key], erp_key)
            if earlier != erp_key:  # two actors would be one record's duplicates: the first only
                reason = _(
                    "same %(match)s as %(type)s %(key)s, which is new",
                    match=target.settings.match.value,
                    type=target.actor_type,
                    key=earlier,
                )
                row = ImportRow(erp_key, row.display_name, RowAction.error, reason=reason)
        planned[erp_key] = row
    return [early.get(actor.erp_key) or planned[actor.erp_key] for actor in unique]


# --- writing a page --------------------------------------------------------------------------------


@dataclass
class _Written:
    """The rows of a page that were written, with their CRM record ids, and those the CRM refused."""

    rows: list[tuple[ImportRow, int]] = field(default_factory=list)
    link_ids: list[int] = field(default_factory=list)
    refused: dict[str, str] = field(default_factory=dict)
    skipped: dict[str, str] = field(default_factory=dict)
    log: list[LogRow] = field(default_factory=list)


def _refusals(exc: CrmValidationError) -> dict[str, str]:
    """``"<label>.<field>": message`` → label → first message."""
    found: dict[str, str] = {}
    for key, message in exc.errors.items():
        label, _dot, crm_key = key.partition(".")
        found.setdefault(label, _("the CRM refused %(field)s: %(problem)s", field=crm_key, problem=message))
    return found


def _create(session: Session, target: _Target, rows: list[ImportRow], written: _Written) -> None:
    """``store.create_many``; rows it refuses (a check this module did not foresee) fail alone."""
    origin = connection_origin(target.connection_id)
    while rows:
        try:
            ids = store.create_many(session, target.entity, [row.values for row in rows], origin)
        except CrmValidationError as exc:
            bad = _refusals(exc)
            if not bad or not all(label.isdigit() and int(label) < len(rows) for label in bad):
                raise
            written.refused.update((rows[int(label)].erp_key, message) for label, message in bad.items())
            rows = [row for index, row in enumerate(rows) if str(index) not in bad]
            continue
        written.rows.extend(zip(rows, ids, strict=True))
        return


def _update(session: Session, target: _Target, rows: list[ImportRow], written: _Written) -> None:
    """``store.update_many``; a row it refuses, or whose record is gone (deleted by someone else
    on PostgreSQL after the page was planned), fails alone."""
    origin = connection_origin(target.connection_id)
    while rows:
        changes = {cast(int, row.crm_record_id): row.values for row in rows if row.values}
        try:
            store.update_many(session, target.entity, changes, origin)
        except CrmValidationError as exc:
            bad = _refusals(exc)
        except RecordNotFound as exc:
            bad = {str(exc.record_id): _("the CRM record %(id)s is gone", id=exc.record_id)}
        else:
            written.rows.extend((row, cast(int, row.crm_record_id)) for row in rows)
            return
        failed = [row for row in rows if str(row.crm_record_id) in bad]
        if not failed:
            raise AssertionError(f"update_many refused rows it was not given: {bad}")
        written.refused.update((row.erp_key, bad[str(row.crm_record_id)]) for row in failed)
        rows = [row for row in rows if str(row.crm_record_id) not in bad]


def _write_page(session: Session, target: _Target, rows: Sequence[ImportRow], source: str) -> _Written:
    """Create and update the CRM records, then bind the links; the log entries are returned."""
    written = _Written()
    _create(session, target, [row for row in rows if row.action is RowAction.new], written)
    _update(
        session,
        target,
        [row for row in rows if row.action in (RowAction.update, RowAction.no_change)],
        written,
    )
    now = utcnow()
    link_rows = [
        {
            "connection_id": target.connection_id,
            "crm_entity": target.entity.value,
            "crm_record_id": record_id,
            "erp_actor_type": target.actor_type,
            "erp_key": row.erp_key,
            "last_modified": row.last_modified,
            "base_values": dict(row.base_values),
            "state": "active",
            "created_at": now,
            "updated_at": now,
        }
        for row, record_id in written.rows
    ]
    written.link_ids = insert_rows_returning_ids(session, _LINKS, link_rows)
    for row, record_id in written.rows:
        written.log.extend(
            log_rows(row, record_id, target.connection_id, target.entity, target.actor_type, source)
        )
    return written


def _insert_log(session: Session, rows: Sequence[LogRow]) -> None:
    """The sync log entries in one bulk insert per page.

    An import logs several entries per actor, so this is its largest insert. Every column is
    given (a bulk insert skips the model's defaults). On SQLite the rows go to the driver as they
    are: the only column needing conversion is ``created_at``, the same for the whole page, so it
    is converted once instead of per row as ``crm.bulk.insert_rows`` would."""
    if not rows:
        return
    now = utcnow()
    if session.get_bind().dialect.name != "sqlite":
        insert_rows(
            session, _LOG, [{**dict(zip(_LOG_COLUMNS, row, strict=True)), "created_at": now} for row in rows]
        )
        return
    session.flush()
    connection = session.connection()
    process = _LOG.c.created_at.type.bind_processor(connection.dialect)
    stamp: object = process(now) if process is not None else now
    if isinstance(stamp, datetime):  # what the sqlite3 module would store for it, made once
        stamp = stamp.isoformat(" ")
    connection.exec_driver_sql(_SQLITE_LOG_INSERT, [(*row, stamp) for row in rows])


# --- preview and apply -----------------------------------------------------------------------------


def _engine_running(session: Session) -> bool:
    running = session.scalar(select(ErpConfiguration.sync_running).order_by(ErpConfiguration.id).limit(1))
    return bool(running)


def _engine_on() -> Refused:
    return Refused(
        _("Automatic sync is on: switch it off before importing from the ERP."),
        [_("The import and the sync engine would write the same records; turn the engine Off first.")],
    )


def _page_rows(page: _Page) -> list[ImportRow]:
    """Rows for the chosen keys a page did not bring: missing in the ERP, or left out."""
    return [
        *(ImportRow(key, key, RowAction.error, reason=_("not found in the ERP")) for key in page.missing),
        *(ImportRow(key, key, RowAction.skip, reason=_("left out")) for key in page.excluded),
    ]


def preview_import(
    hub: Hub, selection: ImportSelection, settings: ImportSettings | None = None, limit: int | None = None
) -> ImportPlan:
    """What the import would do, row by row (at most ``limit`` rows kept; every row counted).
    Reads only: nothing is written, whatever the engine's state."""
    job = _prepare(hub, selection, settings or ImportSettings())
    target = job.target
    memory = _Memory()
    plan = ImportPlan(target.connection_id, target.actor_type, target.entity, [], dict.fromkeys(RowAction, 0))
    for page in _ahead(_pages(job, selection, frozenset())):
        with gc_paused(), reading(hub) as session:
            rows = [*_plan_page(session, target, page.actors, memory), *_page_rows(page)]
        for action, count in count_actions(rows).items():
            plan.counts[action] += count
        room = len(rows) if limit is None else max(0, limit - len(plan.rows))
        plan.rows.extend(rows[:room])
        plan.more = plan.more or room < len(rows)
    return plan


def _apply_page(hub: Hub, job: _Job, page: _Page) -> _Written:
    """Plan and write one page in one write transaction; a link made meanwhile by someone else (a
    unique constraint firing on PostgreSQL) makes the page start again, planned afresh."""
    for attempt in range(2):
        try:
            with gc_paused(), writing(hub) as session:
                if _engine_running(session):
                    raise _engine_on()
                rows = _plan_page(session, job.target, page.actors, _Memory())
                written = _write_page(session, job.target, rows, SOURCE)
                _insert_log(session, written.log)
                written.log = []
                for row in rows:
                    if row.action is RowAction.error:
                        written.refused[row.erp_key] = row.reason
                    elif row.action is RowAction.skip:
                        written.skipped[row.erp_key] = row.reason
                return written
        except IntegrityError:
            if attempt:
                raise
    raise AssertionError("unreachable")


def apply_import(
    hub: Hub,
    selection: ImportSelection,
    settings: ImportSettings | None = None,
    excluded_keys: Iterable[str] = (),
    progress: Callable[[ImportProgress], None] | None = None,
) -> ImportResult:
    """Import the selected actors (module docstring); refused while automatic sync is on."""
    excluded = frozenset(excluded_keys)
    if len(excluded) > MAX_EXCLUDED:
        raise InvalidInput(
            _("Too many keys left out."), {"ExcludedKeys": _("at most %(max)s keys", max=MAX_EXCLUDED)}
        )
    job = _prepare(hub, selection, settings or ImportSettings())
    target = job.target
    with reading(hub) as session:
        if _engine_running(session):
            raise _engine_on()
    result = ImportResult(target.connection_id, target.actor_type, target.entity)
    try:
        for page in _ahead(_pages(job, selection, excluded)):
            written = _apply_page(hub, job, page)
            _add(result, written, page)
            if progress is not None:
                progress(ImportProgress(result.done, page.total))
    except Refused as exc:
        if not result.done:
            raise
        result.stopped = exc.message
    except ConnectorFailed as exc:
        if not result.done:
            raise
        result.stopped = exc.message
    return result


def _add(result: ImportResult, written: _Written, page: _Page) -> None:
    for row, record_id in written.rows:
        match row.action:
            case RowAction.new:
                result.created.append(record_id)
            case RowAction.update:
                result.updated.append(record_id)
            case _:
                result.unchanged.append(record_id)
        result.warnings += len(row.warnings)
    result.skipped.update(written.skipped)
    result.skipped.update((key, _("left out")) for key in page.excluded)
    result.errors.update(written.refused)
    result.errors.update((key, _("not found in the ERP")) for key in page.missing)


# --- for the sync engine ---------------------------------------------------------------------------


def create_from_actors(
    session: Session,
    connection: ErpConnection,
    mapping: ErpActorTypeMapping,
    fields: Sequence[MappedField],
    actors: Sequence[ErpActor],
    source: str = "engine",
) -> CreatedFromActors:
    """Create CRM records and links for unlinked actors of a mapping with auto import on (action
    add, no duplicate check), in the caller's write transaction. Persons are created only under a
    company linked in the connection; actors already linked are skipped. The caller writes ``log``."""
    entity = crm_entity_of(mapping)
    if entity is None:
        return CreatedFromActors([], [(a.erp_key, _("actor type not synced")) for a in actors], [])
    target = _Target(
        connection_id=connection.id,
        connection_name=connection.display_name,
        actor_type=mapping.erp_actor_type,
        entity=entity,
        rules=_rules(session, connection, entity, fields),
        settings=ImportSettings(MatchField.none, DuplicateAction.add),
    )
    rows = _plan_page(session, target, actors, _Memory())
    written = _write_page(session, target, rows, source)
    skipped = [(row.erp_key, row.reason) for row in rows if row.action in (RowAction.skip, RowAction.error)]
    skipped.extend(written.refused.items())
    links = [
        CreatedLink(link_id, record_id, row.erp_key)
        for link_id, (row, record_id) in zip(written.link_ids, written.rows, strict=True)
    ]
    return CreatedFromActors(links, skipped, [LogEntry(*row) for row in written.log])
